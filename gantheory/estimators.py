"""Stochastic estimators of the divergences: Monte Carlo, quasi-Monte Carlo, k-nearest neighbours and
the discriminator bound (docs/theory.md, "Numerics"). Reached through ``method=`` of every divergence
(``gt.js_divergence(p, q, method="mc", n=10**6, rng=0)``) or called directly on samples.

Each returns an :class:`~gantheory.Estimate` whose ``error`` is a standard error (over samples, or
over scrambled replicates for QMC). All take ``rng`` (a ``numpy.random.Generator`` or a seed) and
never touch numpy's global random state: the same seed gives the same number.

Monte Carlo with known densities
    KL(p || q) = E_p[log p - log q], with the control variate ``expm1(log q - log p)`` (mean 0 when q
    lives inside p's support) at its variance-optimal coefficient. JSD, TV and the squared Hellinger
    distance are expectations under ``M = (p + q)/2`` of bounded functions of ``D* = p/(p + q)``
    (``JSD = E_M[log 2 + D log D + (1 - D) log(1 - D)]``), drawn stratified: half the points from p,
    half from q.
Quasi-Monte Carlo
    The same integrands at scrambled Sobol points (``scipy.stats.qmc``) pushed through the
    densities' inverse transforms; the spread over independent scramblings is the error bar.
k nearest neighbours (samples only)
    KL by Wang, Kulkarni and Verdú (2009), JSD = H(M) - (H(P) + H(Q))/2 with Kozachenko-Leonenko
    entropies; a point with repeated neighbours uses the first neighbour at a positive distance (with
    the matching digamma correction), so duplicates give no -inf or NaN.
Discriminator bound
    A logistic regression on polynomial features separates real from fake samples; for the fitted
    D̂, ``(V(G, D̂) + log 4)/2 <= JSD`` (Proposition 1: V(G, D̂) <= V(G, D*) = C(G)).
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
    var_g = max(gg - g * g, 0.0)
    if not supp_ok or not np.isfinite(hh):
        return g, math.sqrt(var_g / n)
    var_h = max(hh - h * h, 0.0)
    cov = gh - g * h
    beta = cov / var_h if var_h > 0 else 0.0
    var_cv = max(var_g - 2 * beta * cov + beta * beta * var_h, 0.0)
    if not np.isfinite(var_cv) or var_cv >= var_g:
        return g, math.sqrt(var_g / n)
    return g - beta * h, math.sqrt(var_cv / n)


def _support_inside(q, p):
    if p.dim != 1:
        return True
    (plo, phi), (qlo, qhi) = p._support(), q._support()
    return plo <= qlo and qhi <= phi


def monte_carlo(name, p, q, *, n=10**6, rng=None, variance_reduction=True, chunk=_CHUNK):
    """Monte Carlo with known densities for ``name`` in {"kl", "js", "tv", "hellinger"}.

    ``n`` samples in total (from p for KL; half from p and half from q otherwise), in chunks of
    ``chunk`` to bound memory. Returns an Estimate with the standard error. ``variance_reduction=False``
    gives the textbook estimators (KL without its control variate; JSD as
    ``E_p[log 2D]/2 + E_q[log 2(1 - D)]/2`` instead of the bounded mixture form), for comparison.
    """
    choice(name, "name", _MC_KIND)
    p, q = _pair(p, q)
    n = positive_int(n, "n", minimum=2, maximum=10**11)
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
        sums.append((mean, max(m[2] / count - mean * mean, 0.0) / count))
    est = 0.5 * (sums[0][0] + sums[1][0])
    se = 0.5 * math.sqrt(sums[0][1] + sums[1][1])
    return Estimate(est, se, n, "mc", True)


_QMC_MAX_POINTS = 2**30  # minutes of inverse transforms: a bound on one call's work


def quasi_monte_carlo(name, p, q, *, n=2**14, replicates=16, rng=None):
    """Randomised quasi-Monte Carlo: the Monte Carlo integrands at scrambled Sobol points.

    ``n`` points per replicate (rounded up to a power of 2; half for p and half for q except for KL),
    ``replicates`` independent scramblings; the estimate is their mean and the error their standard
    error. Needs the densities' inverse transforms (every gantheory family has them). At most
    ``2**30`` points in all.
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
    for _ in range(replicates):
        total = 0.0
        for dens, count in parts:
            sob = qmc.Sobol(d=dens._qmc_dims, scramble=True, seed=rng)
            u = sob.random(count)
            x = dens._from_uniform(u)
            mom = _moments(kind, p, q, x, 0.0)
            if not np.isfinite(mom[0]):
                return Estimate(math.inf, 0.0, replicates * m, "qmc", True)
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
    """KL(P || Q) from samples ``x ~ P`` (n, d) and ``y ~ Q`` (m, d): Wang, Kulkarni and Verdú (2009),

    ``(d/n) Σ log(ν_l(i)/ρ_k(i)) + (1/n) Σ (ψ(k_i) - ψ(l_i)) + log(m/(n-1))``, with ρ the distance from
    x_i to its k-th neighbour among the other x and ν to its l-th neighbour among y. Where samples repeat,
    the radius moves on to the first positive distance and the count becomes the number of points in
    that closed ball (so no -inf and no NaN); repeated values are not a sample of a density, though, and
    bias the estimate (dequantise data by jittering within its resolution first). Consistent; the error
    shrinks with n (the ``error`` attribute is the spread of the per-point terms over sqrt(n), a rough
    guide, not a standard error).
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
    """Kozachenko-Leonenko entropy ``ψ(n) - mean ψ(k_i) + log V_d + (d/n) Σ log ρ_{k_i}(i)`` (nats)."""
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
    """JSD from samples: ``H(M) - (H(P) + H(Q))/2`` with Kozachenko-Leonenko entropies, M's sample the
    pooled x and y (the larger one subsampled to equal size with ``rng``)."""
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
    """Logistic regression of "real" on polynomial features (standardised) by Newton's method.

    Returns a :class:`~gantheory.LogitDiscriminator` ``D̂(x) = sigmoid(w · φ(x))`` (with ``dlogit`` in
    one dimension). ``degree`` is at most 8 and ``max_iter`` at most 10^4. The standardised coordinates
    are held within ``(1e300 / (1 + sum |w|))^(1/degree)`` (at most 1e30 standard deviations from the
    samples' mean) when the fitted logit is evaluated, so it never overflows.
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
                             "these samples): use l2 > 0 or a lower degree") from None
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
    """The discriminator lower bound ``(V(G, D̂) + log 4)/2 <= JSD(p, q)`` for a logistic regression D̂
    fitted on ``n`` samples of each density.

    With ``population=True`` (the default up to three dimensions) V(G, D̂) is integrated by quadrature,
    so the bound holds for the population exactly; otherwise it is averaged over ``n`` fresh samples
    of each density.

    With ``population=False`` the average carries sampling noise and may land above JSD (or below 0).

    The returned ``error`` is ``inf``: the value is a lower bound of JSD, below it by how far D̂ is from
    D* (the misfit of the regression, which only JSD itself would measure), so no error bar can be
    given. The precision of the bound itself (the quadrature's, or the samples' spread) says nothing of
    that gap: 1e-15 against a gap of 1e-5 for two equal normals.
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
