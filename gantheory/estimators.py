"""Stochastic estimators of the divergences: Monte Carlo, quasi-Monte Carlo, k-nearest neighbours and
the discriminator bound (docs/theory.md, "Numerics"). Reached through ``method=`` of every divergence
(``gt.js_divergence(p, q, method="mc", n=10**6, rng=0)``) or called directly on samples.

The divergence estimators return an :class:`~gantheory.Estimate`. Its ``error`` is a standard error for
Monte Carlo (over the samples) and quasi-Monte Carlo (over scrambled replicates), a rough guide to the
sampling noise for k nearest neighbours, and ``inf`` for the discriminator bound. All take ``rng`` (a
``numpy.random.Generator`` or a seed) where they draw, and never touch numpy's global random state:
the same seed gives the same number.

Monte Carlo with known densities
    KL(p || q) = E_p[log p - log q], with the control variate ``expm1(log q - log p)`` (mean 0 when q
    lives inside p's support) at its variance-optimal coefficient. JSD, TV and the squared Hellinger
    distance are expectations under ``M = (p + q)/2`` of bounded functions of ``D* = p/(p + q)``
    (``JSD = E_M[log 2 + D log D + (1 - D) log(1 - D)]``), drawn stratified: half the points from p,
    half from q.
Quasi-Monte Carlo
    The same integrands at scrambled Sobol points (``scipy.stats.qmc.Sobol``, linear matrix scrambling
    plus a digital shift) pushed through the densities' inverse transforms; the spread over independent
    scramblings is the error bar.
k nearest neighbours (samples only)
    KL by Wang, Kulkarni and Verdú (2009), JSD = H(M) - (H(P) + H(Q))/2 with Kozachenko-Leonenko
    entropies; a point with repeated neighbours uses the first neighbour at a positive distance (with
    the matching digamma correction), so duplicates give no -inf or NaN.
Discriminator bound
    A logistic regression on polynomial features separates real from fake samples; for the fitted
    D̂, ``(V(G, D̂) + log 4)/2 <= JSD`` (Goodfellow et al. 2014, Proposition 1 and Theorem 1:
    V(G, D̂) <= V(G, D*) = C(G) = -log 4 + 2 JSD).
"""

import math

import numpy as np
from scipy import special

from . import _kernels as K
from ._checks import _keywords, as_generator, choice, finite_array, positive_int, scalar
from .densities import _pair
from .quadrature import Estimate

__all__ = [
    "discriminator_jsd",
    "fit_logistic",
    "knn_entropy",
    "knn_jsd",
    "knn_kl",
    "monte_carlo",
    "quasi_monte_carlo",
]

_LOG2 = math.log(2.0)
_CHUNK = 1 << 20
_MC_KIND = {"kl": K.MC_KL, "js": K.MC_JSD, "tv": K.MC_TV, "hellinger": K.MC_HELLINGER}


# ------------------------------------------------------------------------------- Monte Carlo
def _moments(kind, p, q, x, shift):
    out = np.zeros(5)
    with np.errstate(all="ignore"):
        lp, lq = p._logpdf(x), q._logpdf(x)
    K.mc_sums(kind, lp, lq, shift, out)
    return out


def _kl_from_moments(m, n, supp_ok):
    """Mean of g with the control variate h (coefficient minimising the variance), and its s.e."""
    g, h, gg, hh, gh = m / n
    var_g = max(gg - g * g, 0.0) * n / (n - 1)  # (unbiased: n - 1 degrees of freedom, n - 2 with the variate)
    if not supp_ok or not np.isfinite(hh):
        return g, math.sqrt(var_g / n)
    var_h = max(hh - h * h, 0.0)
    cov = gh - g * h
    beta = cov / var_h if var_h > 0 else 0.0
    var_cv = max(gg - g * g - 2 * beta * cov + beta * beta * var_h, 0.0) * n / (n - 2)
    if not np.isfinite(var_cv) or var_cv >= var_g:
        return g, math.sqrt(var_g / n)
    return g - beta * h, math.sqrt(var_cv / n)


def _support_inside(q, p):
    if p.dim != 1:
        return True
    (plo, phi), (qlo, qhi) = p._support(), q._support()
    return plo <= qlo and qhi <= phi


def monte_carlo(name, p, q, *, n=10**6, rng=None, variance_reduction=True, chunk=_CHUNK):
    """Estimate a divergence of two known densities by Monte Carlo.

    KL(p || q) is the mean of ``log p - log q`` over ``n`` samples of p, corrected by the control variate
    ``expm1(log q - log p)`` (mean 0 when q's support lies inside p's) at the coefficient that minimises
    the variance, estimated from the same samples. The control variate is dropped where it would not lower
    the variance, or where, in one dimension, q's support is not inside p's. JSD, TV and the squared
    Hellinger distance are means of bounded functions of ``D* = p/(p + q)`` under ``M = (p + q)/2``,
    stratified: ``n // 2`` samples of p and ``n - n // 2`` of q. Samples are drawn and evaluated ``chunk``
    at a time, so memory stays bounded for any ``n``.

    Parameters
    ----------
    name : {"kl", "js", "tv", "hellinger"}
        The divergence: KL(p || q), the Jensen-Shannon divergence (nats), the total variation distance
        ``(1/2) ∫ |p - q|`` or the squared Hellinger distance ``1 - ∫ sqrt(p q)``.
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`); both are evaluated, and sampled from as the estimator needs.
    n : int, in [4, 10**11], default 10**6
        Samples in all (all from p for ``"kl"``, half from each density for the others). The standard
        error uses the unbiased variance, so it needs at least two draws from each density.
    rng : None, int or numpy.random.Generator, default None
        Source of the samples: a Generator is used as is, an int seeds a new one, None takes fresh entropy
        from the operating system.
    variance_reduction : bool, default True
        False gives the textbook estimators, for comparison: KL without its control variate, JSD as
        ``E_p[log 2D*]/2 + E_q[log 2(1 - D*)]/2`` instead of the bounded mixture form. Only ``"kl"`` and
        ``"js"`` accept False.
    chunk : int, >= 1, default 2**20
        Samples drawn and evaluated at a time.

    Returns
    -------
    Estimate
        The estimate, with ``method="mc"``, ``neval=n`` and ``converged=True`` (a sampling method has no
        stopping criterion). ``error`` is its standard error, from the sample variance of the terms (of each
        stratum, for the stratified sums). KL is ``inf`` with ``error=0`` when q vanishes at a sample of p.

    Raises
    ------
    TypeError
        If ``name`` is not a str, ``p`` or ``q`` is not a density, ``n`` or ``chunk`` is not an int,
        ``rng`` is not a Generator, an int or None, or ``variance_reduction`` is not a bool.
    ValueError
        If ``name`` is unknown, ``p`` and ``q`` differ in dimension, ``n`` or ``chunk`` is out of its range,
        ``rng`` is a negative seed, or ``variance_reduction=False`` is asked for ``"tv"`` or
        ``"hellinger"``.

    See Also
    --------
    quasi_monte_carlo : The same integrands at scrambled Sobol points.
    knn_kl, knn_jsd : Estimates from samples alone.
    gantheory.kl_divergence : With ``method="mc"`` it calls this function; so do the three below.
    gantheory.js_divergence : By default deterministic quadrature, to a relative 1e-12.
    gantheory.tv_distance : The total variation distance.
    gantheory.hellinger : The squared Hellinger distance.

    Examples
    --------
    Two unit normals one apart: KL = 1/2, JSD = 0.1114214822 (by quadrature).

    >>> import gantheory as gt
    >>> from gantheory.estimators import monte_carlo
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> kl = monte_carlo("kl", p, q, n=10_000, rng=0)
    >>> print(f"{kl:.4f} +- {kl.error:.4f}", abs(kl - 0.5) < 3 * kl.error)
    0.4944 +- 0.0063 True
    >>> js = monte_carlo("js", p, q, n=10_000, rng=0)
    >>> print(f"{js:.4f} +- {js.error:.4f}", abs(js - 0.1114214822) < 3 * js.error)
    0.1127 +- 0.0012 True

    The bounded mixture form has a smaller standard error than the textbook one:

    >>> plain = monte_carlo("js", p, q, n=10_000, rng=0, variance_reduction=False)
    >>> print(f"{plain.error:.4f}", js.error < plain.error)
    0.0042 True
    """
    choice(name, "name", _MC_KIND)
    p, q = _pair(p, q)
    n = positive_int(n, "n", minimum=4, maximum=10**11)  # (two draws from each density for a variance)
    rng = as_generator(rng)
    kind = _MC_KIND[name]
    if not isinstance(variance_reduction, (bool, np.bool_)):
        raise TypeError(f"variance_reduction must be True or False, got {variance_reduction!r}")
    chunk = positive_int(chunk, "chunk")
    if not variance_reduction and name not in ("kl", "js"):
        raise ValueError(f"variance_reduction=False is defined for kl and js, not {name}")
    if name == "kl":
        pilot = p._sample(min(n, 1024), rng)  # a shift for accurate sums of squares
        with np.errstate(all="ignore"):
            d = p._logpdf(pilot) - q._logpdf(pilot)
        shift = float(np.mean(d[np.isfinite(d)])) if np.isfinite(d).any() else 0.0
        m = np.zeros(5)
        done = 0
        while done < n:
            k = min(chunk, n - done)
            m += _moments(kind, p, q, p._sample(k, rng), shift)
            done += k
        if not np.isfinite(m[0]):
            return Estimate(math.inf, 0.0, n, "mc", True)
        est, se = _kl_from_moments(m, n, variance_reduction and _support_inside(q, p))
        return Estimate(est + shift, se, n, "mc", True)
    half = n // 2
    sums = []
    for dens, count, plain in ((p, half, K.MC_LOG2D), (q, n - half, K.MC_LOG2_1MD)):
        m = np.zeros(5)
        done = 0
        while done < count:
            k = min(chunk, count - done)
            m += _moments(kind if variance_reduction else plain, p, q, dens._sample(k, rng), 0.0)
            done += k
        mean = m[0] / count
        sums.append((mean, max(m[2] / count - mean * mean, 0.0) / (count - 1)))  # (unbiased variance / count)
    est = 0.5 * (sums[0][0] + sums[1][0])
    se = 0.5 * math.sqrt(sums[0][1] + sums[1][1])
    return Estimate(est, se, n, "mc", True)


_QMC_MAX_POINTS = 2**30  # minutes of inverse transforms: a bound on one call's work


def quasi_monte_carlo(name, p, q, *, n=2**14, replicates=16, rng=None):
    """Estimate a divergence by randomised quasi-Monte Carlo at scrambled Sobol points.

    The integrands of :func:`monte_carlo` (without the KL control variate) are averaged over Sobol points
    scrambled by ``scipy.stats.qmc.Sobol`` (linear matrix scrambling plus a digital shift [1]_) and pushed
    through the densities' inverse transforms (every gantheory density has them). Each of ``replicates``
    independent scramblings gives an unbiased estimate; the result is their mean and the error their
    standard error. ``n`` is rounded up to a power of 2, ``m``: each replicate uses ``m`` points of p for
    ``"kl"``, and ``m/2`` of p plus ``m/2`` of q otherwise.

    Parameters
    ----------
    name : {"kl", "js", "tv", "hellinger"}
        The divergence, as in :func:`monte_carlo`.
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    n : int, in [2, 2**26], default 2**14
        Points per replicate, rounded up to a power of 2.
    replicates : int, in [2, 10**4], default 16
        Independent scramblings; ``replicates`` times the rounded ``n`` must be at most 2**30.
    rng : None, int or numpy.random.Generator, default None
        Seeds the scramblings: a Generator is used as is, an int seeds a new one, None takes fresh entropy.

    Returns
    -------
    Estimate
        The mean over the replicates, with ``method="qmc"``, ``neval`` the points in all (``replicates``
        times the rounded ``n``) and ``converged=True``; ``error`` is the standard error over the replicates
        (their sample standard deviation over ``sqrt(replicates)``). KL is ``inf`` with ``error=0`` when q
        vanishes at a point of p.

    Raises
    ------
    TypeError
        If ``name`` is not a str, ``p`` or ``q`` is not a density, ``n`` or ``replicates`` is not an int,
        or ``rng`` is not a Generator, an int or None.
    ValueError
        If ``name`` is unknown, ``p`` and ``q`` differ in dimension, ``n`` or ``replicates`` is out of its
        range, their product (after rounding) exceeds 2**30 points, or ``rng`` is a negative seed.

    See Also
    --------
    monte_carlo : Plain Monte Carlo, with the KL control variate.
    gantheory.js_divergence : With ``method="qmc"`` it calls this function, as do the three below.
    gantheory.kl_divergence : The Kullback-Leibler divergence.
    gantheory.tv_distance : The total variation distance.
    gantheory.hellinger : The squared Hellinger distance.

    References
    ----------
    .. [1] J. Matoušek, "On the L2-discrepancy for anchored boxes", Journal of Complexity 14(4), 527-556,
       1998.

    Examples
    --------
    With 8192 points in all the error is some 50 times smaller than with the 10,000 samples of the
    :func:`monte_carlo` example (JSD = 0.1114214822 by quadrature):

    >>> import gantheory as gt
    >>> from gantheory.estimators import quasi_monte_carlo
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> js = quasi_monte_carlo("js", p, q, n=1024, replicates=8, rng=0)
    >>> print(f"{js:.5f} +- {js.error:.1e}", js.neval, abs(js - 0.1114214822) < 3 * js.error)
    0.11139 +- 2.5e-05 8192 True
    >>> kl = quasi_monte_carlo("kl", p, q, n=1000, replicates=8, rng=0)  # n rounded up to 1024; exact: 1/2
    >>> print(f"{kl:.3f}", kl.neval, abs(kl - 0.5) < 4 * kl.error)
    0.500 8192 True
    """
    from scipy.stats import qmc  # scipy.stats is slow to import: only when QMC is asked for

    choice(name, "name", _MC_KIND)
    p, q = _pair(p, q)
    n = positive_int(n, "n", minimum=2, maximum=2**26)
    replicates = positive_int(replicates, "replicates", minimum=2, maximum=10**4)
    rng = as_generator(rng)
    kind = _MC_KIND[name]
    m = 1 << max(1, math.ceil(math.log2(n)))
    if m * replicates > _QMC_MAX_POINTS:
        raise ValueError(f"n (rounded up to {m}) times replicates ({replicates}) must be at most 2**30 points")
    parts = [(p, m)] if name == "kl" else [(p, m // 2), (q, m // 2)]
    values = []
    drawn = 0
    for _ in range(replicates):
        total = 0.0
        for dens, count in parts:
            sob = qmc.Sobol(d=dens._qmc_dims, scramble=True, seed=rng)
            u = sob.random(count)
            x = dens._from_uniform(u)
            mom = _moments(kind, p, q, x, 0.0)
            drawn += count
            if not np.isfinite(mom[0]):  # (p has mass where q has none: KL is infinite)
                return Estimate(math.inf, 0.0, drawn, "qmc", True)
            total += mom[0] / count
        values.append(total / len(parts))
    values = np.array(values)
    return Estimate(float(values.mean()), float(values.std(ddof=1) / math.sqrt(replicates)),
                    replicates * m, "qmc", True)


# ---------------------------------------------------------------------------- k nearest neighbours
def _samples(x, name):
    x = finite_array(x, name)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be an array of shape (n,) or (n, d), got {x.shape}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 samples, got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one coordinate, got shape {x.shape}")
    return x


def _unit_scale(*samples):
    """A power of two that brings the largest coordinate near 1: dividing by it is exact and keeps the
    k-d tree's squared distances clear of overflow (beyond 1e154) and underflow (below 1e-154)."""
    top = max(float(np.max(np.abs(x))) for x in samples)
    return math.ldexp(1.0, math.frexp(top)[1] - 1) if top > 0 else 1.0  # top / unit lies in [1, 2)


def _kth_positive(tree, x, k, exclude_self, kmax):
    """Distance to the k-th neighbour, moving on to the first positive distance where the nearer
    ones are ties at 0 (repeated samples); returns the distances and the ranks used."""
    extra = 1 if exclude_self else 0
    dist, _ = tree.query(x, k=min(kmax + extra, tree.n))
    dist = dist.reshape(x.shape[0], -1)[:, extra:]
    ranks = np.full(x.shape[0], k)
    use = dist[:, k - 1].copy()
    todo = np.flatnonzero(use <= 0)
    width = dist.shape[1]
    while todo.size:
        if width > dist.shape[1]:  # ask for more neighbours of the tied points
            more, _ = tree.query(x[todo], k=min(width + extra, tree.n))
            rows = more.reshape(todo.size, -1)[:, extra:]
        else:
            rows = dist[todo]
        pos = rows > 0
        found = pos.any(axis=1)
        first = np.argmax(pos, axis=1)
        ranks[todo[found]] = first[found] + 1
        use[todo[found]] = rows[found, first[found]]
        todo = todo[~found]
        if todo.size and width >= tree.n - extra:
            raise ValueError("samples hold too many repeated points: some have no neighbour at a positive "
                             "distance")
        width = min(2 * width, tree.n - extra) if todo.size else width
    # with ties the closed ball of that radius holds more than k points: count them all (ties at the
    # radius included), which is what the density estimate k / (n V r^d) needs
    tied = ranks != k
    if dist.shape[1] > k:
        tied |= dist[:, k] == use
    tied = np.flatnonzero(tied)
    if tied.size:
        # the ball's own distance arithmetic may put a tie a rounding beyond the radius the query gave:
        # widen it by a few ulps, and never count fewer neighbours than the rank already found
        radius = use[tied] * (1.0 + 8.0 * np.finfo(float).eps)
        inside = tree.query_ball_point(x[tied], radius, return_length=True) - extra
        ranks[tied] = np.maximum(inside, ranks[tied])
    return use, ranks


def _tree(x):
    from scipy.spatial import cKDTree  # imported when a k-NN estimate is asked for

    return cKDTree(x)


def _check_k(k, n, name):
    k = positive_int(k, "k")
    if k >= n:
        raise ValueError(f"k must be smaller than the number of samples in {name} ({n}), got {k}")
    return k


def knn_kl(x, y, *, k=1):
    """Estimate KL(P || Q) from samples ``x ~ P`` and ``y ~ Q`` by k nearest neighbours.

    The estimator of Wang, Kulkarni and Verdú [1]_ with ``k_i = l_i = k`` (except at ties, below)::

        (d/n) Σ_i log(ν_{l_i}(i) / ρ_{k_i}(i)) + (1/n) Σ_i (ψ(k_i) - ψ(l_i)) + log(m / (n - 1))

    with ρ the distance from ``x_i`` to its k-th nearest neighbour among the other x, ν the distance to its
    l-th nearest among y (Euclidean) and ψ the digamma function. Where samples repeat and that neighbour
    lies at distance 0, the radius moves on to the first positive distance and ``k_i`` (``l_i``) becomes the
    number of points in that closed ball, so there is no -inf and no NaN; repeated values are not a sample of
    a density, though, and bias the estimate (dequantise data by jittering within its resolution first).
    The estimate is consistent, and invariant (up to rounding) under one shift or scaling of both samples.

    Parameters
    ----------
    x : array_like of float, shape (n,) or (n, d)
        Samples of P, finite, n >= 2 (one-dimensional input is one coordinate).
    y : array_like of float, shape (m,) or (m, d)
        Samples of Q, finite, m >= 2, with the same d as ``x``.
    k : int, >= 1, default 1
        Rank of the neighbour; ``k < n`` and ``k <= m``. A larger k lowers the variance and raises the bias.

    Returns
    -------
    Estimate
        KL in nats, with ``method="knn"``, ``neval=n + m`` and ``converged=True``. ``error`` is the standard
        deviation of the n per-point terms over ``sqrt(n)``: a rough guide to the sampling noise, not a
        standard error (the terms share neighbours), and blind to the bias. Over 200 pairs of samples of 1000
        points each from N(0, 1) and N(1, 1) it averaged 0.065 against an observed spread of 0.082.

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not an array of real numbers, or ``k`` is not an int.
    ValueError
        If ``x`` or ``y`` holds a non-finite value, is not of shape (n,) or (n, d) with d >= 1, has fewer than
        2 samples, the dimensions differ, ``k`` is out of its range, or so many points repeat that one has no
        neighbour at a positive distance.

    See Also
    --------
    knn_jsd : The Jensen-Shannon divergence from samples.
    knn_entropy : The Kozachenko-Leonenko entropy.
    monte_carlo : KL when both densities are known.
    gantheory.kl_divergence : With ``method="knn"`` it samples both densities and calls this function.

    References
    ----------
    .. [1] Q. Wang, S. R. Kulkarni, S. Verdú, "Divergence estimation for multidimensional densities via
       k-nearest-neighbor distances", IEEE Transactions on Information Theory 55(5), 2392-2405, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from gantheory.estimators import knn_kl
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1.0, 2000), rng.normal(1.0, 1.0, 2000)
    >>> kl = knn_kl(x, y)  # exact: 1/2
    >>> print(f"{kl:.2f} +- {kl.error:.2f}", abs(kl - 0.5) < 0.15)
    0.52 +- 0.05 True
    >>> abs(knn_kl(x, y, k=5) - 0.5) < 0.15
    True
    >>> bool(np.isfinite(knn_kl(np.repeat(x, 2), y)))  # every point repeated: still finite
    True

    The tolerance 0.15 is about three times the spread of the estimate over 300 pairs of samples like
    these (0.056 for k = 1, 0.041 for k = 5), with its mean bias (-0.008 and -0.019) inside it.
    """
    x, y = _samples(x, "x"), _samples(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    n, m, d = x.shape[0], y.shape[0], x.shape[1]
    k = _check_k(k, n, "x")
    if k > m:
        raise ValueError(f"k must not exceed the number of samples in y ({m}), got {k}")
    kmax = min(max(4 * k, k + 16), n - 1)
    unit = _unit_scale(x, y)  # the estimate does not change with the scale of both samples
    x, y = x / unit, y / unit
    rho, kr = _kth_positive(_tree(x), x, k, True, kmax)
    nu, lr = _kth_positive(_tree(y), x, k, False, min(kmax, m))
    terms = d * np.log(nu / rho) + special.digamma(kr) - special.digamma(lr)
    est = float(np.mean(terms)) + math.log(m / (n - 1))
    return Estimate(est, float(np.std(terms) / math.sqrt(n)), n + m, "knn", True)


def knn_entropy(x, *, k=1):
    """Estimate the differential entropy of a sample by the Kozachenko-Leonenko estimator.

    ``H = ψ(n) - (1/n) Σ_i ψ(k_i) + log V_d + (d/n) Σ_i log ρ_{k_i}(i)`` in nats [1]_, with ρ the Euclidean
    distance from ``x_i`` to its k-th nearest neighbour among the other points, ``V_d = π^(d/2) / Γ(d/2 + 1)``
    the volume of the unit ball and ψ the digamma function. ``k_i = k`` except where repeated points put
    that neighbour at distance 0: then the radius moves on to the first positive distance and ``k_i`` counts
    the points in that closed ball.

    Parameters
    ----------
    x : array_like of float, shape (n,) or (n, d)
        The sample, finite, n >= 2 (one-dimensional input is one coordinate).
    k : int, >= 1, default 1
        Rank of the neighbour, ``k < n``.

    Returns
    -------
    Estimate
        The entropy in nats, with ``method="knn"``, ``neval=n`` and ``converged=True``. ``error`` is the
        standard deviation of the per-point terms ``d log ρ - ψ(k_i)`` over ``sqrt(n)``: a rough guide to the
        sampling noise, blind to the bias (for 1000 points of N(0, 1), 0.046 on average against an observed
        spread of 0.051).

    Raises
    ------
    TypeError
        If ``x`` is not an array of real numbers, or ``k`` is not an int.
    ValueError
        If ``x`` holds a non-finite value, is not of shape (n,) or (n, d) with d >= 1, has fewer than 2
        samples, ``k`` is out of its range, or so many points repeat that one has no neighbour at a positive
        distance.

    See Also
    --------
    knn_jsd : JSD from three of these entropies.
    knn_kl : KL from samples.

    References
    ----------
    .. [1] L. F. Kozachenko, N. N. Leonenko, "Sample estimate of the entropy of a random vector",
       Problems of Information Transmission 23(2), 95-101, 1987.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from gantheory.estimators import knn_entropy
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> h = knn_entropy(x)  # exact: log(2 pi e)/2 = 1.41894
    >>> print(f"{h:.4f} +- {h.error:.4f}", abs(h - 0.5 * math.log(2 * math.pi * math.e)) < 3 * h.error)
    1.4187 +- 0.0336 True
    """
    x = _samples(x, "x")
    n, d = x.shape
    k = _check_k(k, n, "x")
    unit = _unit_scale(x)  # H(x) = H(x / unit) + d log(unit)
    x = x / unit
    rho, kr = _kth_positive(_tree(x), x, k, True, min(max(4 * k, k + 16), n - 1))
    log_vd = 0.5 * d * math.log(math.pi) - special.gammaln(0.5 * d + 1.0)
    terms = d * np.log(rho) - special.digamma(kr)
    est = special.digamma(n) + log_vd + float(np.mean(terms)) + d * math.log(unit)
    return Estimate(est, float(np.std(terms) / math.sqrt(n)), n, "knn", True)


def knn_jsd(x, y, *, k=1, rng=None):
    """Estimate the Jensen-Shannon divergence from samples by k nearest neighbours.

    ``JSD = H(M) - (H(P) + H(Q))/2`` with Kozachenko-Leonenko entropies (:func:`knn_entropy`) [1]_; the
    sample of ``M = (P + Q)/2`` is x and y pooled, the larger of the two first subsampled without
    replacement to the size of the smaller.

    Parameters
    ----------
    x : array_like of float, shape (n,) or (n, d)
        Samples of P, finite, n >= 2 (one-dimensional input is one coordinate).
    y : array_like of float, shape (m,) or (m, d)
        Samples of Q, finite, m >= 2, with the same d as ``x``.
    k : int, >= 1, default 1
        Rank of the neighbour, ``k < min(n, m)``.
    rng : None, int or numpy.random.Generator, default None
        Chooses the subsample when ``n != m`` (unused otherwise).

    Returns
    -------
    Estimate
        JSD in nats (not clipped to ``[0, log 2]``), with ``method="knn"``, ``neval=2 min(n, m)`` and
        ``converged=True``. ``error`` combines the three entropies' errors as if they were independent,
        ``sqrt(e_M² + (e_P² + e_Q²)/4)``; they are not, and it is a rough guide only (for 1000 points each of
        N(0, 1) and N(1, 1) it averaged 0.046 against an observed spread of 0.026), blind to the bias.

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not an array of real numbers, ``k`` is not an int, or ``rng`` is not a
        Generator, an int or None.
    ValueError
        If ``x`` or ``y`` holds a non-finite value, is not of shape (n,) or (n, d) with d >= 1, has fewer than
        2 samples, the dimensions differ, ``k`` is out of its range, ``rng`` is a negative seed, or so many
        points repeat that one has no neighbour at a positive distance.

    See Also
    --------
    knn_entropy : The entropy estimator used three times.
    knn_kl : KL from samples.
    discriminator_jsd : A lower bound of JSD from a fitted discriminator.
    gantheory.js_divergence : With ``method="knn"`` it samples both densities and calls this function.

    References
    ----------
    .. [1] L. F. Kozachenko, N. N. Leonenko, "Sample estimate of the entropy of a random vector",
       Problems of Information Transmission 23(2), 95-101, 1987.

    Examples
    --------
    >>> import numpy as np
    >>> from gantheory.estimators import knn_jsd
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1.0, 2000), rng.normal(1.0, 1.0, 2000)
    >>> js = knn_jsd(x, y, rng=0)  # JSD = 0.11142148 by mpmath.quad
    >>> print(f"{js:.2f} +- {js.error:.2f}", abs(js - 0.11142148) < 0.05)
    0.11 +- 0.03 True

    Over 300 pairs of samples like these the estimate spread by 0.019 (the error overstates it), with a
    mean bias of -0.003: 0.05 is some 2.6 times the spread.
    """
    x, y = _samples(x, "x"), _samples(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    rng = as_generator(rng)
    n = min(x.shape[0], y.shape[0])
    if x.shape[0] > n:
        x = x[rng.choice(x.shape[0], n, replace=False)]
    if y.shape[0] > n:
        y = y[rng.choice(y.shape[0], n, replace=False)]
    hx, hy = knn_entropy(x, k=k), knn_entropy(y, k=k)
    hm = knn_entropy(np.concatenate([x, y]), k=k)
    est = float(hm) - 0.5 * (float(hx) + float(hy))
    return Estimate(est, math.sqrt(hm.error**2 + 0.25 * (hx.error**2 + hy.error**2)), 2 * n, "knn", True)


# ------------------------------------------------------------------------ the discriminator bound
def _features(x, degree, centre, scale, zmax=math.inf):
    with np.errstate(over="ignore"):
        z = np.clip((x - centre) / scale, -zmax, zmax)  # far points are held at zmax: no overflow
    cols = [np.ones(z.shape[0])]
    d = z.shape[1]
    for deg in range(1, degree + 1):
        for idx in _monomials(d, deg):
            cols.append(np.prod(z[:, idx], axis=1))
    return np.stack(cols, axis=1)


def _monomials(d, deg, start=0):
    if deg == 0:
        return [[]]
    return [[i, *rest] for i in range(start, d) for rest in _monomials(d, deg - 1, i)]


def fit_logistic(x_real, x_fake, *, degree=2, l2=1e-6, max_iter=100):
    """Fit a logistic-regression discriminator of real against fake samples by Newton's method.

    The logit is ``w · φ(x)``, with φ every monomial of degree 0 to ``degree`` in the coordinates
    standardised by the pooled samples' mean and standard deviation (a constant coordinate is only
    centred): ``C(d + degree, degree)`` features in d dimensions. ``w`` minimises the cross-entropy summed
    over all samples (targets 1 for real, 0 for fake) plus ``(l2/2) |w|²``, by Newton's method from
    ``w = 0`` until the largest step component is below 1e-10 or ``max_iter`` steps are taken (with no
    warning in that case). When the fitted logit is evaluated, the standardised coordinates are held within
    ``(1e300 / (1 + Σ |w_j|))^(1/degree)`` (at most 1e30 standard deviations from the mean), so it never
    overflows.

    Parameters
    ----------
    x_real : array_like of float, shape (n,) or (n, d)
        The real samples (target 1), finite, n >= 2.
    x_fake : array_like of float, shape (m,) or (m, d)
        The fake samples (target 0), finite, m >= 2, with the same d.
    degree : int, in [1, 8], default 2
        Highest degree of the polynomial features. Degree 2 contains the exact log-ratio of two normals.
    l2 : float, >= 0, default 1e-6
        Weight of the ridge penalty ``(l2/2) |w|²`` (against a sum, not a mean, over the samples; the
        intercept is penalised too). With 0, separable samples make the fit fail.
    max_iter : int, in [1, 10**4], default 100
        Most Newton steps.

    Returns
    -------
    LogitDiscriminator
        ``D̂(x) = sigmoid(w · φ(x))``, taking points as arrays of shape (...,) in one dimension and
        (..., d) in d. In one dimension its ``dlogit`` is a central difference with step
        ``1e-6 (1 + |x|)``; in more it has none.

    Raises
    ------
    TypeError
        If ``x_real`` or ``x_fake`` is not an array of real numbers, ``degree`` or ``max_iter`` is not an
        int, or ``l2`` is not a real number.
    ValueError
        If a sample holds a non-finite value, is not of shape (n,) or (n, d) with d >= 1, has fewer than 2
        points, the dimensions differ, ``degree``, ``l2`` or ``max_iter`` is out of its range, or the fit
        fails: a singular Newton system (``l2 = 0`` with collinear features or separable samples) or
        diverging weights (separable samples with too small an ``l2``).

    See Also
    --------
    discriminator_jsd : The JSD lower bound of such a fit.
    gantheory.LogitDiscriminator : The returned discriminator.
    gantheory.optimal_discriminator : ``D* = p_data/(p_data + p_g)``, what the fit approaches.
    gantheory.value_function : ``V(G, D)`` for any discriminator.

    Examples
    --------
    Real N(0, 1) against fake N(1, 1): ``D*(x) = sigmoid(1/2 - x)``.

    >>> import numpy as np
    >>> from scipy.special import expit
    >>> from gantheory.estimators import fit_logistic
    >>> rng = np.random.default_rng(0)
    >>> d = fit_logistic(rng.normal(0.0, 1.0, 2000), rng.normal(1.0, 1.0, 2000))
    >>> x = np.array([0.0, 0.5, 1.0])
    >>> gap = d.logit(x) - (0.5 - x)  # the fitted logit minus log(p_real/p_fake) = 1/2 - x
    >>> bool(np.max(np.abs(gap)) < 0.1), bool(np.max(np.abs(d(x) - expit(0.5 - x))) < 0.025)
    (True, True)

    At these points the fitted logit spread by 0.031 to 0.034 over 300 pairs of samples like these (mean
    bias below 0.002): 0.1 is three times that, and 0.025 on ``D`` (slope at most 1/4 in the logit) follows.
    """
    from .gan import LogitDiscriminator

    xr, xf = _samples(x_real, "x_real"), _samples(x_fake, "x_fake")
    if xr.shape[1] != xf.shape[1]:
        raise ValueError(f"x_real and x_fake must have the same dimension, got {xr.shape[1]} and {xf.shape[1]}")
    degree = positive_int(degree, "degree", maximum=8)
    l2 = scalar(l2, "l2", lower=0.0)
    max_iter = positive_int(max_iter, "max_iter", maximum=10**4)
    x = np.concatenate([xr, xf])
    t = np.concatenate([np.ones(xr.shape[0]), np.zeros(xf.shape[0])])
    # mean and spread of x / max|x|, then scaled back: no overflow for samples near the float64 limit
    big = np.max(np.abs(x), axis=0)
    big = np.where(big > 0, big, 1.0)
    centre, spread = (x / big).mean(axis=0) * big, (x / big).std(axis=0) * big
    scale = np.where(spread > 0, spread, 1.0)  # a constant coordinate: any scale will do
    phi = _features(x, degree, centre, scale)
    w = np.zeros(phi.shape[1])
    for _ in range(max_iter):
        s = special.expit(phi @ w)
        grad = phi.T @ (s - t) + l2 * w
        hess = (phi * (s * (1 - s))[:, None]).T @ phi + l2 * np.eye(w.size)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            raise ValueError(f"l2 = {l2:g} leaves the Newton system singular (the features are collinear on "
                             "these samples, or the samples are separable): use l2 > 0 or a lower degree") from None
        w -= step
        if not np.all(np.isfinite(w)):
            raise ValueError(f"l2 = {l2:g}: the fit diverged (the samples are separable); use a larger l2")
        if np.max(np.abs(step)) < 1e-10:
            break
    dim = x.shape[1]
    zmax = min(1e30, (1e300 / (1.0 + float(np.sum(np.abs(w))))) ** (1.0 / degree))

    def logit(v):
        v = np.asarray(v, dtype=float)
        if dim > 1 and (v.ndim == 0 or v.shape[-1] != dim):
            raise ValueError(f"x must have shape (..., {dim}) for this {dim}-dimensional discriminator, got {v.shape}")
        pts = v.reshape(-1, dim) if dim > 1 else v.reshape(-1, 1)
        return (_features(pts, degree, centre, scale, zmax) @ w).reshape(v.shape[:-1] if dim > 1 else v.shape)

    def dlogit(v):
        v = np.asarray(v, dtype=float)
        h = 1e-6 * (1.0 + np.abs(v))
        return (logit(v + h) - logit(v - h)) / (2 * h)

    return LogitDiscriminator(logit, dlogit if dim == 1 else None)


def discriminator_jsd(p, q, *, n=20_000, degree=2, rng=None, population=None):
    """Compute the discriminator lower bound ``(V(G, D̂) + log 4)/2`` of JSD(p, q).

    ``D̂`` is the logistic regression of :func:`fit_logistic` on ``n`` samples of p (real) and ``n`` of q
    (fake). For every discriminator ``V(G, D̂) <= V(G, D*) = C(G) = -log 4 + 2 JSD`` [1]_ (Proposition 1
    and Theorem 1), so the value is at most JSD, short of it by how far ``D̂`` is from ``D*``. With
    ``population=True`` ``V(G, D̂)`` is integrated by quadrature, and the bound holds for the population up
    to the quadrature's error; with ``population=False`` it is averaged over ``n`` fresh samples of each
    density, which adds sampling noise: the value may then land above JSD (or below 0).

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The data density p and the generator's density q, of the same dimension (scipy distributions are
        wrapped by :func:`gantheory.as_density`).
    n : int, in [2, 10**7], default 20000
        Samples of each density for the fit (and again for the average with ``population=False``).
    degree : int, in [1, 8], default 2
        Highest degree of the polynomial features.
    rng : None, int or numpy.random.Generator, default None
        Source of the samples: a Generator is used as is, an int seeds a new one, None takes fresh entropy.
    population : None or bool, default None
        True: ``V(G, D̂)`` by quadrature; False: by the sample average. None: True up to three dimensions.

    Returns
    -------
    Estimate
        The bound, with ``method="discriminator"``, ``neval`` the samples drawn (``2 n``, or ``4 n`` with
        ``population=False``) and ``error=inf``: the gap to JSD is the regression's misfit, which only JSD
        itself would measure, and the precision of the bound (the quadrature's, or the samples' spread) says
        nothing of it. ``converged`` is the quadrature's (False: it missed its tolerance) and True for the
        sample average.

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``n`` or ``degree`` is not an int, ``rng`` is not a Generator, an
        int or None, or ``population`` is not None or a bool.
    ValueError
        If ``p`` and ``q`` differ in dimension, ``n`` or ``degree`` is out of its range, ``rng`` is a
        negative seed, or the regression fails (see :func:`fit_logistic`).

    See Also
    --------
    fit_logistic : The fitted discriminator.
    gantheory.js_divergence : JSD by quadrature; ``method="discriminator"`` calls this function.
    gantheory.value_function : ``V(G, D)``.
    gantheory.virtual_criterion : ``C(G) = V(G, D*)``.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville,
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import gantheory as gt
    >>> from gantheory.estimators import discriminator_jsd
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> bound = discriminator_jsd(p, q, n=2000, rng=0)
    >>> jsd = gt.js_divergence(p, q)
    >>> print(f"{bound:.6f} <= {jsd:.6f}", bound <= jsd, bound.error)
    0.111168 <= 0.111421 True inf
    """
    from .gan import value_function

    p, q = _pair(p, q)
    n = positive_int(n, "n", minimum=2, maximum=10**7)
    rng = as_generator(rng)
    d_hat = fit_logistic(p._sample(n, rng), q._sample(n, rng), degree=degree)
    if population is None:
        population = p.dim <= 3
    if not isinstance(population, (bool, np.bool_)):
        raise TypeError(f"population must be True, False or None, got {type(population).__name__}")
    if population:
        v = value_function(p, q, d_hat)
        return Estimate(0.5 * (float(v) + math.log(4.0)), math.inf, 2 * n, "discriminator", v.converged)
    xr, xf = p._sample(n, rng), q._sample(n, rng)
    terms = d_hat.log(xr) + d_hat.log1m(xf)
    return Estimate(0.5 * (float(np.mean(terms)) + math.log(4.0)), math.inf, 4 * n, "discriminator", True)


# ------------------------------------------------------------------------------ method registry
def method_options(method):
    """The keyword options a divergence passes on to the stochastic ``method`` (None: no such method)."""
    fn = {"mc": monte_carlo, "qmc": quasi_monte_carlo, "discriminator": discriminator_jsd}.get(method)
    if fn is not None:
        return _keywords(fn)
    return ("n", "rng", "k") if method == "knn" else None


def _registered(method):
    def run(name, p, q, **options):
        if method == "mc":
            return monte_carlo(name, p, q, **options)
        if method == "qmc":
            return quasi_monte_carlo(name, p, q, **options)
        if method == "discriminator":
            if name != "js":
                raise ValueError("method 'discriminator' estimates (a lower bound of) the JSD only")
            return discriminator_jsd(p, q, **options)
        # knn: sample n points of each and estimate from the samples alone
        if name not in ("kl", "js"):
            raise ValueError(f"method 'knn' estimates KL and JSD, not {name}")
        n = positive_int(options.pop("n", 10_000), "n", minimum=2, maximum=10**7)
        rng = as_generator(options.pop("rng", None))
        x, y = p._sample(n, rng), q._sample(n, rng)
        if name == "kl":
            return knn_kl(x, y, **options)
        return knn_jsd(x, y, rng=rng, **options)
    return run
