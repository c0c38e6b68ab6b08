"""Divergences between densities, in nats unless ``base`` is given (docs/theory.md, B1-B3 and "Numerics").

Conventions: ``0 log 0 = 0``; ``KL(P || Q) = inf`` (never NaN) when ``P`` puts mass where ``Q`` has
none; ``JSD`` always lies in ``[0, log 2]``. Every function returns an :class:`~gantheory.Estimate`,
a float carrying the error estimate and the number of integrand evaluations.

Each integrand is written so that it is pointwise non-negative and computed in log space (see
``gantheory._kernels``): the KL integrand is the Bregman form ``p log(p/q) - p + q``, the JSD
integrand ``m [(1+δ) log(1+δ) + (1-δ) log(1-δ)] / 2`` with ``δ = (p - q)/(p + q)``. Tiny
divergences therefore keep their relative accuracy, and ``C(G) >= -log 4`` holds in floating point.

``method=`` (of :func:`kl_divergence`, :func:`js_divergence`, :func:`js_distance`, :func:`tv_distance`,
:func:`hellinger`) chooses how: ``"quad"`` (the default: deterministic quadrature, whose ``error`` is a
bound, the true error meant to lie within it), ``"mc"`` and ``"qmc"`` (``error`` a standard error),
``"knn"`` (KL and JSD from samples; ``error`` a rough guide to the sampling noise, not a standard
error, and without the estimator's bias) and ``"discriminator"`` (JSD only: a lower bound,
``error = inf``). Their options (``n=``, ``rng=``, ...) pass through ``**options``: see
:mod:`gantheory.estimators`.

``F_DIVERGENCES`` (a dict) maps each name :func:`f_divergence` accepts, ``"kl"``, ``"reverse_kl"``,
``"pearson"``, ``"neyman"``, ``"hellinger"``, ``"tv"``, ``"js"`` and ``"gan"``, to its :class:`FGenerator`
``(f, f', f*)``: the generator ``f`` of ``D_f(P || Q) = ∫ q f(p/q)``, its derivative (the optimal f-GAN
critic is ``T* = f'(p/q)``) and its convex conjugate ``f*(t) = sup_{u >= 0} (t u - f(u))`` (``+inf``
outside its domain). Each gives the quantity of the function of its name: ``"hellinger"`` is
``(sqrt u - 1)²/2``, so ``H²`` as :func:`hellinger` gives (f-GAN's table lists ``(sqrt u - 1)²``, twice
that), ``"js"`` is scaled to give JSD itself, and ``"gan"``, ``u log u - (u + 1) log(u + 1)``, gives
``2 JSD - log 4``.
"""

import math
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from scipy.special import xlogy

from . import _engine
from . import _kernels as K
from . import estimators as _est
from ._checks import check_options, choice, finite_array, scalar
from .densities import (
    Cauchy,
    Laplace,
    Mixture,
    MultivariateNormal,
    Normal,
    StudentT,
    Uniform,
    _LocationScale,
    _pair,
)
from .quadrature import (
    _XK,
    Estimate,
    _charged,
    _compiled_1d,
    _integrate_pair,
    _principal_axes,
    _scaled,
    crossings,
)
from .transforms import Affine, Exp, Pushforward, SinhArcsinh, _exact_ends, _rounded_ends

__all__ = [
    "F_DIVERGENCES",
    "METHODS",
    "FGenerator",
    "f_divergence",
    "hellinger",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "tv_distance",
    "w1_distance",
]

_LOG2 = math.log(2.0)
#: the keywords of the public functions besides their options (see gantheory._checks.check_options)
_KW_DIVERGENCE, _KW_METHOD, _KW_F, _KW_TOL = ("base", "method", "rtol", "atol"), ("method", "rtol", "atol"), \
    ("f_inf", "rtol", "atol"), ("rtol", "atol")
_FLT_MAX = float(np.finfo(float).max)
_EPS = float(np.finfo(float).eps)

#: Names accepted by ``method=``: deterministic quadrature and the estimators of
#: :mod:`gantheory.estimators` (``n=``, ``rng=`` and their other options pass through).
METHODS = {"quad": None, **{m: _est._registered(m) for m in ("mc", "qmc", "knn", "discriminator")}}


def _unit(base):
    """Divisor turning nats into the unit of ``base`` (None: nats)."""
    if base is None:
        return 1.0
    b = scalar(base, "base")
    if not b > 1.0:
        raise ValueError(f"base must be greater than 1 (2 for bits, e for nats), got {b!r}")
    return math.log(b)


def _method(method):
    return choice(method, "method", METHODS)


def _dispatch(name, p, q, method, options):
    """Run a registered stochastic estimator for divergence ``name``."""
    fn = METHODS[method]
    return fn(name, p, q, **options)


def _log_pair(p, q, moved):
    """Log-densities at the nodes with their errors; ``moved``: also the error from the rounding of the
    node coordinates through a nonlinear map (bounded integrands only: for KL and χ² it is amplified by
    the log-ratio, while it shifts p and q alike and cancels to first order)."""
    def evaluate(nodes):
        lp, lq = nodes.logpdf(p), nodes.logpdf(q)
        z = np.zeros_like(lp)
        ep, eq = nodes.logpdf_err(p, lp), nodes.logpdf_err(q, lq)
        if moved:
            for e, d, l in ((ep, p, lp), (eq, q, lq)):
                extra = getattr(d, "_logpdf_moved", None)
                m = extra(nodes.x) if extra is not None else None
                if m is not None:
                    e += np.where((l > -np.inf) & ~_on_hooks(nodes), m, 0.0)
        return lp, lq, z, z, None, ep, eq

    return evaluate


def _on_hooks(nodes):
    """Nodes evaluated through exact offsets at a singular end."""
    mask = np.zeros(len(nodes.x), bool)
    for _, idx, _, _ in nodes.hooks:
        mask[idx] = True
    return mask


def _overflow_mask(density, x, logs):
    """Nodes where ``density``'s log underflowed to ``-inf`` only because ``-log q`` passed float64's
    largest value (an exp-power tail, ``|x| > 1e154`` scales for a normal); inside its support."""
    marks = density._landmarks() if density.dim == 1 else np.empty(0)
    if marks.size == 0:
        return np.zeros(logs.shape, bool)
    (tl, tr), (lo, hi) = density._tails(), density._support()
    mask = np.zeros(x.shape, bool)
    for tail, far, side in ((tl, x < marks.min(), lo == -math.inf), (tr, x > marks.max(), hi == math.inf)):
        if side and tail is not None and tail.kind == "exppow":
            mask |= far & (logs == -math.inf) & np.isfinite(x)
    return mask


def _kl_pair(p, q):
    """Log-densities for KL(p || q): far-tail nodes where ``log q`` overflowed get ``-1.8e308``, its float64
    bound, instead of ``-inf`` (which would read as q = 0 there and make KL infinite); what lies beyond
    is bounded by ``_kl_far_tail``."""
    def evaluate(nodes):
        lp, lq = nodes.logpdf(p), nodes.logpdf(q)
        lq = np.where(_overflow_mask(q, nodes.x, lq), -_FLT_MAX, lq)
        z = np.zeros_like(lp)
        return lp, lq, z, z, None, nodes.logpdf_err(p, lp), nodes.logpdf_err(q, lq)

    return evaluate


def _kl_far_tail(p, q):
    """Estimated part of ``KL(p || q)`` beyond the point ``X`` where ``log q`` overflows float64, for a
    power tail ``p ~ |x|^-(α+1)`` against an exp-power ``q`` (``-log q ~ |x|^k``, ``α > k``):
    ``∫_X^∞ p |log q| ≈ p(X) |log q(X)| X / (α - k)``. Negligible unless ``α`` is barely above ``k``
    (a Student-t with ``df`` near 2 against a normal)."""
    if p.dim != 1:
        return 0.0
    out = 0.0
    for side, tp, tq in zip((-1.0, 1.0), p._tails(), q._tails()):
        if tp is None or tq is None or tp.kind != "power" or tq.kind != "exppow" or not tp.k > tq.k:
            continue
        for e in range(308, 0, -2):  # the farthest power of ten where log q is still finite
            x = np.array([side * 10.0**e])
            with np.errstate(all="ignore"):
                lq = float(q._logpdf(x)[0])
                lp = float(p._logpdf(x)[0])
            if lq > -math.inf:
                log_b = lp + e * math.log(10.0) + math.log(max(-lq, 1.0)) - math.log(tp.k - tq.k)
                out += math.exp(min(log_b, 700.0))
                break
    return out


def _tables(p, q):
    """The pair as component tables for the compiled path, or None when either is not a built-in family."""
    if p.dim != 1:
        tp, tq = _engine.mvn_table(p), _engine.mvn_table(q)
        return None if tp is None or tq is None else (tp, tq)
    tp = _engine.table(p)
    tq = None if tp is None else _engine.table(q)
    return None if tq is None else (tp, tq)


_MASSES = (1.0, 1.0)


def _quad(kind, p, q, rtol, atol, options):
    """The divergence integral of kind ``kind``; ``rtol`` and ``atol`` are floats the caller checked."""
    tables = _tables(p, q)
    # one compiled call when no other option is given (two zero tolerances: _integrate_pair refuses them)
    if tables is not None and not options and p.dim == 1 and (rtol > 0.0 or atol > 0.0):
        return _compiled_1d(kind, tables, (), rtol, atol, None, 80, _MASSES)
    moved = kind in (K.JSD, K.TV, K.HELLINGER)
    if kind == K.TV and p.dim >= 2:  # (the Python tensor rule judges TV's algebraic convergence; see _tensor)
        tables = None
    return _integrate_pair((p, q), kind, _log_pair(p, q, moved), rtol=rtol, atol=atol, tables=tables, **options)


#: Bounds on |dD/dδ| of a divergence between N(0, 1) and N(δ, 1) (see :func:`_one_dim`): KL = δ²/2;
#: TV = 2Φ(δ/2) - 1; H² = 1 - exp(-δ²/8); for JSD, dJSD/dδ = ∫ q' log(2q/(p+q)) / 2, and
#: |log(2q/(p+q))| <= log 2 + |δx - δ²/2| with ∫|q'| = 0.798 and ∫|q'| |x - δ/2| <= 1 + 0.4 δ.
_SLOPE = {"kl": lambda d: d, "js": lambda d: 0.5 * (0.56 + d * (1.0 + 0.4 * d)), "tv": lambda d: 0.4,
          "hellinger": lambda d: 0.31}  # (δ/4) exp(-δ²/8) peaks at 0.5/sqrt(e) = 0.303


def _one_dim(name, p, q, options):
    """Two multivariate normals with the same covariance, as the one-dimensional pair they are equivalent
    to, ``(N(0, 1), N(δ, 1), error of δ)`` (None for anything else, or when options other than the
    tolerances are given). An f-divergence is invariant under an invertible map of both densities:
    whitening by the common covariance and rotating the difference of the means onto the first axis
    leaves independent unit normals on every other axis, identical in both, which integrate out. ``δ`` is
    the Mahalanobis distance, computed with the inverse Cholesky factor; the error of the divergence is
    that of ``δ`` (bounded componentwise) times a bound on its slope in ``δ`` (``_SLOPE``)."""
    if (options or type(p) is not MultivariateNormal or type(q) is not MultivariateNormal or p.dim < 2
            or not np.array_equal(p.cov, q.cov)):
        return None
    diff = q.mean - p.mean
    z = p._chol_inv @ diff
    delta = float(np.sqrt(z @ z))
    # componentwise: the computed inverse factor is off by about d eps |L^-1| |L| |L^-1| (Higham 2002,
    # ch. 8), the product and the difference of the means by d eps |L^-1| |diff|
    a = np.abs(p._chol_inv)
    bound = a @ (np.abs(p._chol) @ (a @ np.abs(diff))) + a @ np.abs(diff)
    err_z = (3 * p.dim + 4) * _EPS * float(np.sqrt(bound @ bound))
    # and the factor itself: L Lᵀ = Σ + E with |E| <= γ_{d+1} |L| |Lᵀ| (Higham 2002, th. 10.3), which moves
    # δ² = diffᵀ Σ⁻¹ diff by uᵀ E u (u = Σ⁻¹ diff) to first order, so δ by that over 2δ
    if delta > 0.0:
        u = np.abs(p._chol_inv.T @ z)
        lu = np.abs(p._chol).T @ u
        err_z += 2.0 * (p.dim + 1) * _EPS * float(lu @ lu) / (2.0 * delta)
    return Normal(0.0, 1.0), Normal(delta, 1.0), _SLOPE[name](delta) * err_z


def _with_error(est, extra):
    """``est`` with ``extra`` added to its error (the result of :func:`_one_dim`'s pair)."""
    return Estimate(float(est), est.error + extra, est.neval, est.method, est.converged)


def _tail_divergent(p, q, kind):
    """True when ``∫ p log(p/q)`` (``kind="kl"``) or ``∫ p²/q`` (``"chi2"``) diverges in a tail.

    KL needs ``E_p[-log q]``: infinite when ``p`` has a power tail ``|x|^-(α+1)`` with ``α <= k``
    against a ``q`` whose log falls like ``-c |x|^k`` (``KL(StudentT(1.5) || Normal) = inf``).
    ``∫ p²/q`` is infinite when ``p``'s tail is the heavier kind, or of the same kind with
    ``2 c_p <= c_q`` (``2 α_p <= α_q`` for power tails).
    """
    if p.dim != 1:
        return False
    for tp, tq in zip(p._tails(), q._tails()):
        if tp is None or tq is None or tp.kind == "compact":
            continue
        if kind == "kl":
            if tq.kind == "exppow" and tp.kind == "power" and tp.k <= tq.k:
                return True
        elif tq.kind == "compact" or (tp.kind == "power" and tq.kind == "exppow"):
            return True
        elif tp.kind == tq.kind == "power":
            if 2.0 * tp.k <= tq.k:
                return True
        elif tp.kind == tq.kind == "exppow":
            if tp.k < tq.k or (tp.k == tq.k and 2.0 * tp.c <= tq.c):
                return True
    return False


def _supports(p, q, inner):
    """The (1-D) supports of ``p`` and ``q``, as far as they are known: exact where they are (a
    pushforward's float ends are rounded images, which may stand on the wrong side of the other's end),
    else with the float ends moved by a few spacings, outward for ``q`` and for ``p`` unless ``inner``;
    None in more dimensions."""
    if p.dim != 1:
        return None
    if not (_rounded_ends(p) or _rounded_ends(q)):
        return p._support(), q._support()
    ends = _exact_ends(p), _exact_ends(q)
    if None not in ends:
        return ends

    def moved(d, out):
        lo, hi = d._support()
        a, b = (4.0 * np.spacing(abs(e)) if math.isfinite(e) else 0.0 for e in (lo, hi))
        return (lo - a, hi + b) if out else (lo + a, hi - b)

    return moved(p, not inner), moved(q, True)


def _disjoint(p, q):
    """True when the (1-D) supports of p and q are known to meet at most in a point: JSD = log 2,
    TV = H² = 1."""
    ends = _supports(p, q, inner=False)
    if ends is None:
        return False
    (plo, phi), (qlo, qhi) = ends
    return phi <= qlo or qhi <= plo


def _support_excess(p, q):
    """True when the support of ``p`` is known to stick out of the support of ``q`` (1-D)."""
    ends = _supports(p, q, inner=True)
    if ends is None:
        return False
    (plo, phi), (qlo, qhi) = ends
    return plo < qlo or phi > qhi


def kl_divergence(p, q, *, base=None, method="quad", rtol=1e-12, atol=0.0, **options):
    r"""Compute the Kullback-Leibler divergence ``KL(p || q) = ∫ p log(p/q)``.

    Returns ``inf`` when ``p`` has mass where ``q`` has none (detected from the supports and at the
    quadrature nodes), or when the integral diverges in a tail (a power tail ``|x|^-(α+1)``, ``α <= 2``,
    against a normal ``q``: ``KL(StudentT(1.5) || Normal) = inf``). Closed form for normals:
    ``log(σ2/σ1) + (σ1² + (μ1-μ2)²)/(2σ2²) - 1/2``.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    base : float, > 1, optional
        Logarithm base of the result (2 for bits). Default None: nats.
    method : {"quad", "mc", "qmc", "knn"}, default "quad"
        ``"quad"``: deterministic adaptive quadrature (Gauss-Kronrod panels in one dimension, a tensor
        rule in more). ``"mc"``: Monte Carlo with the known densities, ``"qmc"``: randomised quasi-Monte
        Carlo, ``"knn"``: the k-nearest-neighbour estimate [1]_ from ``n`` samples of each density (see
        :mod:`gantheory.estimators`). ``"discriminator"`` bounds the JSD only and raises ValueError here.
    rtol, atol : float, >= 0, default 1e-12 and 0.0
        Relative and absolute tolerance of the quadrature, not both 0: it refines until its error bound
        is below ``max(atol, rtol * KL)``, ``atol`` in the unit of the result. Checked for every method,
        used by ``"quad"`` only.
    **options
        Options of the method. ``"quad"``: ``max_panels`` (int >= 1, panel budget in one dimension;
        default 20000, more for a fine GridDensity), ``max_rounds`` (int >= 1, default 80: refinement
        rounds in one dimension), ``max_nodes`` (float > 0, default 3e7: node budget of the tensor rule
        in two or more dimensions), ``breaks`` (1-D array of finite floats: extra panel edges, one
        dimension only), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2; default: sparse from d = 3 where the
        Gaussian parts share a covariance or the tensor grid would not fit in ``max_nodes``, else tensor). ``"mc"``:
        ``n`` (int in [4, 10**11], default 10**6 samples from ``p``), ``rng`` (None, int or numpy.random.Generator,
        default None), ``variance_reduction`` (bool, default True: with the control variate; False gives the
        textbook mean of ``log p - log q``), ``chunk`` (int >= 1, default 2**20: samples per batch). ``"qmc"``:
        ``n`` (int in [2, 2**26], default 2**14, rounded up to a power of 2: points per replicate), ``replicates``
        (int in [2, 10**4], default 16; at most 2**30 points in all), ``rng``. ``"knn"``: ``n`` (int in [2, 10**7],
        default 10000 samples of each density), ``rng``, ``k`` (int >= 1 and < ``n``, default 1: rank of the
        neighbour).

    Returns
    -------
    Estimate
        KL in nats (or in ``base``): a float with ``error``, ``neval``, ``method`` and ``converged``.
        ``"quad"``: ``error`` is a bound on the absolute error (discretisation and float64 round-off;
        the true error is meant to lie within it, converged or not); ``converged=False`` means the
        tolerance was not met, and the value is good to ``error`` only. ``inf`` comes with ``error=0``.
        ``"mc"``, ``"qmc"``: ``error`` is the standard error (over the samples; over the independently
        scrambled replicates). ``"knn"``: ``error`` is the spread of the per-sample terms over
        ``sqrt(n)``, a rough guide to the sampling noise (not a standard error: the terms share
        neighbours); the estimator's bias, which vanishes as ``n`` grows, is not in it. Sampled estimates
        have ``converged=True`` and may fall below 0.

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``method`` is not a str, ``base``, ``rtol`` or ``atol`` is
        not a real number, an option is not one ``method`` takes, or an option has the wrong type
        (``rng`` not a Generator or seed, say).
    ValueError
        If ``p`` and ``q`` differ in dimension, ``base <= 1``, ``rtol`` or ``atol`` is negative or not
        finite, both are 0, ``method`` is unknown or ``"discriminator"``, an option is out of its range,
        ``breaks`` is given in two or more dimensions, or the tensor rule's coarsest grid exceeds
        ``max_nodes``.

    Warns
    -----
    AccuracyWarning
        When the quadrature stops short of the tolerance (budget spent, round-off, or a tail carrying
        mass beyond the float64 range); the result then has ``converged=False``.

    See Also
    --------
    js_divergence : The symmetric, bounded divergence of the GAN criterion.
    f_divergence : KL as ``f_divergence(p, q, "kl")``, and the other f-divergences.
    gantheory.estimators.monte_carlo : The estimator behind ``method="mc"``.
    gantheory.estimators.knn_kl : The k-NN estimate from samples alone.

    References
    ----------
    .. [1] Q. Wang, S. R. Kulkarni, S. Verdú, "Divergence estimation for multidimensional densities via
       k-nearest-neighbor distances", IEEE Transactions on Information Theory 55(5), 2009.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> kl = gt.kl_divergence(p, q)
    >>> round(float(kl), 12), kl.error < 1e-12, kl.converged
    (0.5, True, True)
    >>> abs(gt.kl_divergence(p, q, base=2) - 0.5 / math.log(2)) < 1e-13
    True
    >>> float(gt.kl_divergence(gt.Uniform(0, 1), gt.Uniform(0, 0.5)))
    inf
    >>> est = gt.kl_divergence(p, q, method="mc", n=10_000, rng=0)
    >>> est.method, abs(est - 0.5) < 3 * est.error
    ('mc', True)
    """
    check_options("kl_divergence", options, _KW_DIVERGENCE, method, _est.method_options)
    p, q = _pair(p, q)
    unit = _unit(base)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
    if _method(method) != "quad":
        return _scaled(_dispatch("kl", p, q, method, options), 1.0 / unit)
    p, q, options = _centred(p, q, options)
    low = _one_dim("kl", p, q, options)
    if low is not None:
        return _with_error(kl_divergence(low[0], low[1], base=base, rtol=rtol, atol=atol), low[2] / unit)
    if _support_excess(p, q) or _tail_divergent(p, q, "kl"):
        return Estimate(math.inf, 0.0, 0, "quad", True)
    est = _integrate_pair((p, q), K.KL, _kl_pair(p, q), rtol=rtol, atol=atol * unit, tables=_tables(p, q),
                          **options)
    far = _kl_far_tail(p, q)
    if far > 0.0:
        limit = max(atol * unit, rtol * abs(float(est))) if math.isfinite(float(est)) else math.inf
        est = _charged(est, far, limit, "KL beyond the float64 range of log q (|x| past the point where it "
                       "overflows) may add up to {extra:.3g} to {value:.17g}: p's power tail is barely lighter "
                       "than q's exp-power tail needs")
    return _scaled(est, 1.0 / unit)


def js_divergence(p, q, *, base=None, method="quad", rtol=1e-12, atol=0.0, **options):
    r"""Compute the Jensen-Shannon divergence ``JSD = KL(p || m)/2 + KL(q || m)/2``, ``m = (p + q)/2``.

    Symmetric, in ``[0, log 2]``: ``log 2`` exactly when the supports are disjoint intervals (found
    from the supports; otherwise the sum is clipped to the interval, which only removes rounding).
    ``C(G) = -log 4 + 2 JSD(p_data || p_g)`` [1]_.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    base : float, > 1, optional
        Logarithm base of the result (2 for bits, where JSD lies in ``[0, 1]``). Default None: nats.
    method : {"quad", "mc", "qmc", "knn", "discriminator"}, default "quad"
        ``"quad"``: deterministic adaptive quadrature (Gauss-Kronrod panels in one dimension, a tensor
        rule in more). ``"mc"``: Monte Carlo with the known densities, half the points from each,
        ``"qmc"``: randomised quasi-Monte Carlo, ``"knn"``: ``H(M) - (H(P) + H(Q))/2`` with
        Kozachenko-Leonenko entropies [2]_ from ``n`` samples of each density, ``"discriminator"``: the
        lower bound ``(V(G, D̂) + log 4)/2`` of a logistic regression ``D̂`` [1]_ (see
        :mod:`gantheory.estimators`).
    rtol, atol : float, >= 0, default 1e-12 and 0.0
        Relative and absolute tolerance of the quadrature, not both 0: it refines until its error bound
        is below ``max(atol, rtol * JSD)``, ``atol`` in the unit of the result. Checked for every method,
        used by ``"quad"`` only.
    **options
        Options of the method. ``"quad"``: ``max_panels`` (int >= 1, panel budget in one dimension;
        default 20000, more for a fine GridDensity), ``max_rounds`` (int >= 1, default 80: refinement
        rounds in one dimension), ``max_nodes`` (float > 0, default 3e7: node budget of the tensor rule
        in two or more dimensions), ``breaks`` (1-D array of finite floats: extra panel edges, one
        dimension only), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2; default: sparse from d = 3 where the
        Gaussian parts share a covariance or the tensor grid would not fit in ``max_nodes``, else tensor). ``"mc"``:
        ``n`` (int in [4, 10**11], default 10**6), ``rng`` (None, int or numpy.random.Generator, default None),
        ``variance_reduction`` (bool, default True: the bounded mixture form; False gives ``E_p[log 2D*]/2 + E_q[log
        2(1 - D*)]/2``), ``chunk`` (int >= 1, default 2**20: samples per batch). ``"qmc"``: ``n`` (int in [2,
        2**26], default 2**14, rounded up to a power of 2: points per replicate), ``replicates`` (int in [2, 10**4],
        default 16; at most 2**30 points in all), ``rng``. ``"knn"``: ``n`` (int in [2, 10**7], default 10000
        samples of each density), ``rng``, ``k`` (int >= 1 and < ``n``, default 1: rank of the neighbour).
        ``"discriminator"``: ``n`` (int in [2, 10**7], default 20000 samples of each density), ``degree`` (int in
        [1, 8], default 2: of the polynomial features), ``rng``, ``population`` (None, True or False; default None,
        True up to three dimensions: ``V(G, D̂)`` by quadrature, else averaged over ``n`` fresh samples of each).

    Returns
    -------
    Estimate
        JSD in nats (or in ``base``): a float with ``error``, ``neval``, ``method`` and ``converged``.
        ``"quad"``: ``error`` is a bound on the absolute error (discretisation and float64 round-off;
        the true error is meant to lie within it, converged or not); ``converged=False`` means the
        tolerance was not met, and the value is good to ``error`` only. ``"mc"``, ``"qmc"``: ``error`` is
        the standard error (over the samples; over the independently scrambled replicates). ``"knn"``:
        ``error`` is a rough guide to the sampling noise only (the spread of the per-sample terms over
        ``sqrt(n)``, which share neighbours: not a standard error, off by up to a factor of 2 either way
        in measurements); the estimator's bias, which vanishes as ``n`` grows, is not in it. ``"discriminator"``:
        ``error`` is ``inf``, since the value is a lower bound of JSD, short of it by the regression's
        misfit (with ``population=False`` the sampled average may also land above JSD). Only the
        quadrature clips to ``[0, log 2]``.

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``method`` is not a str, ``base``, ``rtol`` or ``atol`` is
        not a real number, an option is not one ``method`` takes, or an option has the wrong type
        (``rng`` not a Generator or seed, say).
    ValueError
        If ``p`` and ``q`` differ in dimension, ``base <= 1``, ``rtol`` or ``atol`` is negative or not
        finite, both are 0, ``method`` is unknown, an option is out of its range, ``breaks`` is given in
        two or more dimensions, or the tensor rule's coarsest grid exceeds ``max_nodes``.

    Warns
    -----
    AccuracyWarning
        When the quadrature stops short of the tolerance (budget spent, round-off, or a tail carrying
        mass beyond the float64 range); the result then has ``converged=False``.

    See Also
    --------
    js_distance : Its square root, a metric.
    kl_divergence : The Kullback-Leibler divergence.
    f_divergence : JSD as ``f_divergence(p, q, "js")``; ``"gan"`` gives ``2 JSD - log 4``.
    gantheory.virtual_criterion : ``C(G) = -log 4 + 2 JSD``.
    gantheory.estimators.discriminator_jsd : The estimator behind ``method="discriminator"``.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville,
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.
    .. [2] L. F. Kozachenko, N. N. Leonenko, "Sample estimate of the entropy of a random vector",
       Problems of Information Transmission 23(2), 1987.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> jsd = gt.js_divergence(p, q)  # mpmath.quad at 40 digits: 0.11142148218473617972
    >>> round(float(jsd), 10), jsd.error < 1e-12
    (0.1114214822, True)
    >>> float(gt.js_divergence(gt.Uniform(0, 1), gt.Uniform(2, 3), base=2))
    1.0
    >>> bound = gt.js_divergence(p, q, method="discriminator", n=2000, rng=0)
    >>> bound.error, bound <= jsd
    (inf, True)
    """
    check_options("js_divergence", options, _KW_DIVERGENCE, method, _est.method_options)
    p, q = _pair(p, q)
    unit = _unit(base)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
    if _method(method) != "quad":
        return _scaled(_dispatch("js", p, q, method, options), 1.0 / unit)
    if _disjoint(p, q):  # log 2 exactly, up to its rounding
        return Estimate(_LOG2 / unit, _EPS * _LOG2 / unit, 0, "quad", True)
    p, q, options = _centred(p, q, options)
    low = _one_dim("js", p, q, options)
    if low is not None:
        return _with_error(js_divergence(low[0], low[1], base=base, rtol=rtol, atol=atol), low[2] / unit)
    est = _quad(K.JSD, p, q, rtol, atol * unit, options)
    clipped = min(max(float(est), 0.0), _LOG2)
    if unit == 1.0 and clipped == est:
        return est
    error = est.error / unit + (0.0 if unit == 1.0 else _EPS * clipped / unit)
    return Estimate(clipped / unit, error, est.neval, est.method, est.converged)


def js_distance(p, q, *, base=None, **options):
    """Compute the Jensen-Shannon distance ``sqrt(JSD)``, a metric [1]_.

    With ``base`` the divergence is taken in that base before the square root, as in
    ``scipy.spatial.distance.jensenshannon``.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension.
    base : float, > 1, optional
        Logarithm base of the JSD under the root (2 for a distance in ``[0, 1]``). Default None: nats.
    **options
        Passed to :func:`js_divergence`: ``method`` (``"quad"``, ``"mc"``, ``"qmc"``, ``"knn"`` or
        ``"discriminator"``, default ``"quad"``), ``rtol`` and ``atol`` (floats >= 0, not both 0; default
        1e-12 and 0.0, for the JSD), and the options of the method (see :func:`js_divergence`).

    Returns
    -------
    Estimate
        ``sqrt(JSD)``, with ``neval``, ``method`` and ``converged`` of the JSD. Its ``error`` maps the
        JSD's interval: ``max(sqrt(v) - sqrt(max(v - e, 0)), sqrt(v + e) - sqrt(v))`` for a JSD ``v`` with
        error ``e`` (about ``e / (2 sqrt(v))`` when ``e`` is small, ``sqrt(e)`` where the JSD is 0; a
        sampled estimate below 0 is taken as 0), plus the rounding of the root. The error therefore means
        what it means for the method (see :func:`js_divergence`): a bound for ``"quad"``, a standard
        error for ``"mc"`` and ``"qmc"``, a rough guide for ``"knn"``, ``inf`` for ``"discriminator"``
        (whose square root is a lower bound of the distance).

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``method`` is not a str, ``base``, ``rtol`` or ``atol`` is
        not a real number, an option is not one the method takes, or has the wrong type.
    ValueError
        If ``p`` and ``q`` differ in dimension, ``base <= 1``, ``rtol`` or ``atol`` is negative or not
        finite, both are 0, ``method`` is unknown, or an option is out of its range (as in
        :func:`js_divergence`).

    Warns
    -----
    AccuracyWarning
        When the quadrature of the JSD stops short of its tolerance (``converged=False``).

    See Also
    --------
    js_divergence : The divergence under the root.
    tv_distance : Another bounded metric between densities.

    References
    ----------
    .. [1] D. M. Endres, J. E. Schindelin, "A new metric for probability distributions", IEEE
       Transactions on Information Theory 49(7), 2003.

    Examples
    --------
    >>> import gantheory as gt
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> d = gt.js_distance(p, q)
    >>> exact = 0.3337985652826210  # sqrt(JSD) by mpmath.quad at 40 digits: 0.33379856528262097927
    >>> round(float(d), 10), abs(d - exact) < 1e-12
    (0.3337985653, True)
    >>> float(gt.js_distance(gt.Uniform(0, 1), gt.Uniform(2, 3), base=2))
    1.0
    """
    check_options("js_distance", options, _KW_DIVERGENCE, options.get("method", "quad"),
                  _est.method_options)
    jsd = js_divergence(p, q, base=base, **options)
    value = max(float(jsd), 0.0)  # (a sampled estimate may fall below 0, where JSD cannot)
    root = math.sqrt(value)
    # JSD within [value - e, value + e] puts sqrt(JSD) within [sqrt(max(value - e, 0)), sqrt(value + e)]
    # (e/(2 root) is only the first-order term: too small where e is near the value), plus sqrt's rounding
    e = jsd.error
    error = max(root - math.sqrt(max(value - e, 0.0)), math.sqrt(value + e) - root) + 0.5 * math.ulp(root)
    return Estimate(root, error, jsd.neval, jsd.method, jsd.converged)


def tv_distance(p, q, *, method="quad", rtol=None, atol=0.0, **options):
    """Compute the total variation distance ``TV = (1/2) ∫ |p - q|``, in ``[0, 1]``.

    ``rtol`` defaults to 1e-12 in one dimension and for two bivariate normals (a pair with one
    covariance reduces to one dimension exactly, in any dimension; with two, ``{p > q}`` is bounded by a
    conic, integrated in closed form across it), and to 1e-6 otherwise in two or more: there the
    tensor rule meets the kink of ``|p - q|`` along the surface ``p = q`` and converges algebraically
    instead of geometrically. For an equal mixture of ``N((0, 0), I)`` and ``N((2, 0), I)`` against
    ``N(0, I)`` its error falls about like ``1/nodes``: 1.5e-5 with 2.7e6 nodes, 3.7e-6 with 1.1e7, where
    the default ``max_nodes`` stops it short of 1e-6 (raise ``max_nodes`` with ``rtol``, or sample with
    ``method="mc"``).

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    method : {"quad", "mc", "qmc"}, default "quad"
        ``"quad"``: deterministic adaptive quadrature (Gauss-Kronrod panels in one dimension, with the
        crossings of ``p`` and ``q`` as panel edges; a tensor rule in more). ``"mc"``: Monte Carlo with the
        known densities, half the points from each, ``"qmc"``: randomised quasi-Monte Carlo (see
        :mod:`gantheory.estimators`). ``"knn"`` and ``"discriminator"`` raise ValueError.
    rtol : float, >= 0, optional
        Relative tolerance of the quadrature: it refines until its error bound is below
        ``max(atol, rtol * TV)``. Default None: 1e-12 or 1e-6, as above. Used by ``"quad"`` only,
        checked for every method.
    atol : float, >= 0, default 0.0
        Absolute tolerance of the quadrature, not 0 together with ``rtol``.
    **options
        Options of the method. ``"quad"``: ``max_panels`` (int >= 1, panel budget in one dimension;
        default 20000, more for a fine GridDensity), ``max_rounds`` (int >= 1, default 80: refinement
        rounds in one dimension), ``max_nodes`` (float > 0, default 3e7: node budget of the tensor rule
        in two or more dimensions), ``breaks`` (1-D array of finite floats: extra panel edges, one
        dimension only), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2; default: sparse from d = 3 where the
        Gaussian parts share a covariance or the tensor grid would not fit in ``max_nodes``, else tensor). ``"mc"``:
        ``n`` (int in [4, 10**11], default 10**6), ``rng`` (None, int or numpy.random.Generator, default None),
        ``chunk`` (int >= 1, default 2**20: samples per batch); ``variance_reduction`` is accepted but only True is
        defined for TV. ``"qmc"``: ``n`` (int in [2, 2**26], default 2**14, rounded up to a power of 2: points per
        replicate), ``replicates`` (int in [2, 10**4], default 16; at most 2**30 points in all), ``rng``.

    Returns
    -------
    Estimate
        TV: a float with ``error``, ``neval``, ``method`` and ``converged``. ``"quad"``: ``error`` is a
        bound on the absolute error (discretisation, float64 round-off, and the rounding of the crossings
        of ``p`` and ``q`` to floats; the true error is meant to lie within it, converged or not), the
        value clipped to ``[0, 1]``; ``converged=False`` means the tolerance was not met, and the value
        is good to ``error`` only. ``"mc"``, ``"qmc"``: ``error`` is the standard error (over the samples;
        over the independently scrambled replicates).

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``method`` is not a str, ``rtol`` or ``atol`` is not a real
        number, an option is not one ``method`` takes, or an option has the wrong type.
    ValueError
        If ``p`` and ``q`` differ in dimension, ``rtol`` or ``atol`` is negative or not finite, both are 0,
        ``method`` is unknown, ``"knn"`` or ``"discriminator"``, an option is out of its range,
        ``variance_reduction=False``, ``breaks`` is given in two or more dimensions, or the tensor rule's
        coarsest grid exceeds ``max_nodes``.

    Warns
    -----
    AccuracyWarning
        When the quadrature stops short of the tolerance, or the rounding of the crossings alone may
        move TV by more than both the tolerance and the quadrature's error; the result then has
        ``converged=False``.

    See Also
    --------
    hellinger : The squared Hellinger distance, with ``H² <= TV``.
    f_divergence : TV as ``f_divergence(p, q, "tv")``.
    js_distance : The Jensen-Shannon metric.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> tv = gt.tv_distance(gt.Normal(0, 1), gt.Normal(1, 1))
    >>> abs(tv - math.erf(0.5 / math.sqrt(2))) < 1e-12, tv.converged
    (True, True)
    >>> float(gt.tv_distance(gt.Uniform(0, 1), gt.Uniform(1, 2)))
    1.0
    """
    check_options("tv_distance", options, _KW_METHOD, method, _est.method_options)
    p, q = _pair(p, q)
    p, q, options = _centred(p, q, options)
    low = _one_dim("tv", p, q, options) if _method(method) == "quad" else None
    if low is not None:  # (with the one-dimensional default tolerance)
        return _with_error(tv_distance(low[0], low[1], rtol=rtol, atol=atol), low[2])
    two_normals = p.dim == 2 and not options and type(p) is MultivariateNormal and type(q) is MultivariateNormal
    if rtol is None:
        rtol = 1e-12 if p.dim == 1 or two_normals else 1e-6
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)  # (checked for every method)
    if _method(method) != "quad":
        return _dispatch("tv", p, q, method, options)
    if _disjoint(p, q):
        return Estimate(1.0, 0.0, 0, "quad", True)
    if two_normals:
        return _tv_normals_2d(p, q, rtol, atol)  # (with one covariance, _one_dim took it above)
    kinks = 0.0
    if p.dim == 1:  # |p - q| has kinks where p = q: make them panel edges (with any the user gave)
        def gap(x):
            return p._logpdf(x) - q._logpdf(x)

        tables = _tables(p, q)
        cross = crossings((p, q), gap) if tables is None else _engine.crossings(*tables, _engine.FAST, _XK)
        options = dict(options, breaks=_with_breaks(options, cross))
        # each edge sits on a float next to the true crossing c: the kink inside the panel beside it
        # moves ∫|p - q|/2 by at most |p'(c) - q'(c)| δ²/2 (p = q at c), δ the crossing's uncertainty
        with np.errstate(all="ignore"):
            slope = np.exp(p._logpdf(cross)) * np.abs(_slope(gap, cross, p, q))
            kink = 0.5 * slope * _uncertainty(gap, cross, p, q) ** 2
        kinks = float(np.sum(kink[np.isfinite(kink)]))  # (a jump, where the slope is undefined, is an edge)
    est = _quad(K.TV, p, q, rtol, atol, options)
    est = _charged(est, kinks, max(atol, rtol * float(est), est.error), "TV: the crossings of p and q are "
                   "resolved only to the float spacing there, which leaves an error up to {extra:.3g} on {value:.17g}")
    return Estimate(min(max(float(est), 0.0), 1.0), est.error, est.neval, est.method, est.converged)


def _tv_normals_2d(p, q, rtol, atol):
    """TV of two bivariate normals with different covariances, without a kink inside any panel.

    In their common principal frame (``p = N(0, I)``, ``q = N(m, diag(D))``:
    ``gantheory.quadrature._principal_axes``), ``log p - log q`` is a quadratic in each coordinate, so the set
    ``A = {p > q}`` is, for each ``y1``, where a quadratic in ``y2`` is positive: one or two half-lines or an
    interval, whose probabilities under both normals are closed forms. ``TV = P(A) - Q(A) = ∫ p1 a + q1 b dy1``
    is then a one-dimensional integral of smooth terms over the two marginals, whose only non-smooth points
    (where the two roots in ``y2`` meet) are panel edges. The frame itself is rounded: its parameters carry a
    relative error of about ``eps`` times the factor's condition, which moves TV by at most that times ``1 +
    |m|/sqrt(D)`` (TV is below the square root of half the KL of the move)."""
    from scipy.special import ndtr

    _, dq, m = _principal_axes(p, q)
    d1, d2 = float(dq[0]), float(dq[1])
    m1, m2 = float(m[0]), float(m[1])
    s1, s2 = math.sqrt(d1), math.sqrt(d2)
    a = 0.5 * (1.0 / d2 - 1.0)  # Δ = log p - log q = a y2² + b y2 + c(y1)
    b = -m2 / d2
    half_log = 0.5 * math.log(d1 * d2)

    def regions(y1):
        """The roots ``r1 <= r2`` in ``y2``, whether ``A`` is outside (True) or inside them, and the
        roots' rounding errors (from that of ``c``, of the discriminant, and of the formula)."""
        c = m2 * m2 / (2.0 * d2) - 0.5 * y1 * y1 + (y1 - m1) ** 2 / (2.0 * d1) + half_log
        ec = 2.0 * _EPS * (m2 * m2 / (2.0 * d2) + 0.5 * y1 * y1 + (y1 - m1) ** 2 / (2.0 * d1) + abs(half_log))
        inf, zero = np.full_like(y1, np.inf), np.zeros_like(y1)
        if a == 0.0 and b == 0.0:  # q and p agree along y2: A is the whole line where c > 0, else empty
            return (np.where(c > 0.0, -inf, 0.0), np.where(c > 0.0, inf, 0.0), False), (zero, zero)
        if a == 0.0:  # linear in y2: one root
            r = -c / b
            err = ec / abs(b) + 2.0 * _EPS * np.abs(r)
            if b > 0:  # Δ > 0 above the root when b > 0, below it when b < 0
                return (r, inf, False), (err, zero)
            return (-inf, r, False), (zero, err)
        disc = b * b - 4.0 * a * c
        root = np.sqrt(np.maximum(disc, 0.0))
        qq = -0.5 * (b + np.where(b >= 0.0, root, -root))
        with np.errstate(divide="ignore", invalid="ignore"):
            ra, rb = qq / a, np.where(qq != 0.0, c / qq, 0.0)
            # ∂r/∂c = ∓1/sqrt(disc); the discriminant is rounded to eps (b² + 4|a c|)
            spread = 2.0 * (ec + _EPS * (b * b + 4.0 * abs(a) * np.abs(c))) / np.maximum(root, 1e-300)
        r1, r2 = np.minimum(ra, rb), np.maximum(ra, rb)
        none = disc <= 0.0  # no real root: A is all of the line (a > 0) or empty (a < 0)
        r1 = np.where(none, np.inf if a > 0 else 0.0, r1)
        r2 = np.where(none, np.inf if a > 0 else 0.0, r2)
        e1 = np.where(none, 0.0, 4.0 * _EPS * np.abs(r1) + spread)
        e2 = np.where(none, 0.0, 4.0 * _EPS * np.abs(r2) + spread)
        return (r1, r2, a > 0), (e1, e2)

    def prob(lo, hi, outside):
        """``P(Z outside [lo, hi])`` or ``P(Z in [lo, hi])`` for a standard normal ``Z``, without
        cancelling in a tail."""
        if outside:
            return ndtr(lo) + ndtr(-hi)
        right = lo > 0.0
        return np.where(right, ndtr(-lo) - ndtr(-hi), ndtr(hi) - ndtr(lo))

    def phi(z):
        with np.errstate(invalid="ignore", over="ignore"):
            return np.where(np.isfinite(z), np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi), 0.0)

    def evaluate(nodes):
        (r1, r2, outside), (e1, e2) = regions(nodes.x)
        pa = prob(r1, r2, outside)
        qb = prob((r1 - m2) / s2, (r2 - m2) / s2, outside)
        # a root off by e moves P by φ(r) e and Q by φ((r - m2)/s2) e / s2; the ndtr calls by a few ulps
        na = 8.0 * _EPS * pa + phi(r1) * e1 + phi(r2) * e2
        nb = 8.0 * _EPS * qb + (phi((r1 - m2) / s2) * e1 + phi((r2 - m2) / s2) * e2) / s2
        lp, lq = nodes.logpdf(p1), nodes.logpdf(q1)
        return lp, lq, pa, -qb, (na, nb), nodes.logpdf_err(p1, lp), nodes.logpdf_err(q1, lq)

    p1, q1 = Normal(0.0, 1.0), Normal(m1, s1)
    # where the two roots meet, c(y1) = b²/(4a), or with a = 0 where c(y1) = 0 (A jumps there when b = 0,
    # and turns steeply when b is tiny): a quadratic in y1
    al, be = 0.5 * (1.0 / d1 - 1.0), -m1 / d1
    ga = m1 * m1 / (2.0 * d1) + half_log + m2 * m2 / (2.0 * d2) - (b * b / (4.0 * a) if a != 0.0 else 0.0)
    breaks = []
    if al == 0.0:
        breaks = [-ga / be] if be != 0.0 else []
    elif be * be - 4.0 * al * ga > 0.0:
        qq = -0.5 * (be + math.copysign(math.sqrt(be * be - 4.0 * al * ga), be))
        breaks = [qq / al] + ([ga / qq] if qq != 0.0 else [])
    est = _integrate_pair((p1, q1), K.LINEAR, evaluate, rtol=rtol, atol=atol,
                          breaks=np.array([x for x in breaks if math.isfinite(x)]), masses=(1.0, 1.0))
    kappa = p._kappa + q._kappa
    frame = 16.0 * _EPS * kappa * (1.0 + abs(m1) / s1 + abs(m2) / s2)
    return Estimate(min(max(float(est), 0.0), 1.0), est.error + frame, est.neval, est.method, est.converged)


def _with_breaks(options, cross):
    """The user's ``breaks`` option (checked) and the crossings, which must be panel edges whatever else
    is: a kink inside a panel makes the rule's error estimate unreliable."""
    if "breaks" not in options:
        return cross
    return np.concatenate([finite_array(options["breaks"], "breaks", ndim=1), cross])


def _slope(g, x, p, q):
    """``g'(x)`` by a central difference over a millionth of the densities' smaller scale."""
    h = 1e-6 * min(p._hints().scale, q._hints().scale) + 4.0 * np.spacing(np.abs(x))
    with np.errstate(all="ignore"):
        return (g(x + h) - g(x - h)) / (2.0 * h)


def _uncertainty(g, x, p, q):
    """How far a crossing found by bisection of ``g`` may lie from the true one: a float's spacing, and
    what the rounding of ``g`` (a few ulps of the log-densities) allows given its slope."""
    with np.errstate(all="ignore"):
        lp, lq = np.abs(p._logpdf(x)), np.abs(q._logpdf(x))
        d = np.spacing(np.abs(x)) + 4.0 * _EPS * (lp + lq + 2.0) / np.abs(_slope(g, x, p, q))
    return np.where(np.isfinite(d), d, 0.0)


def hellinger(p, q, *, method="quad", rtol=1e-12, atol=0.0, **options):
    """Compute the squared Hellinger distance ``H² = (1/2) ∫ (sqrt p - sqrt q)² = 1 - ∫ sqrt(p q)``, in ``[0, 1]``.

    ``f_divergence(p, q, "hellinger")`` is the same ``H²`` (its ``f(u) = (sqrt u - 1)²/2``); the
    generator ``(sqrt u - 1)²`` of f-GAN's table gives ``2 H²``. For two normals of one scale ``σ``,
    ``H² = 1 - exp(-(μ1 - μ2)²/(8σ²))``.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    method : {"quad", "mc", "qmc"}, default "quad"
        ``"quad"``: deterministic adaptive quadrature (Gauss-Kronrod panels in one dimension, a tensor
        rule in more). ``"mc"``: Monte Carlo with the known densities, half the points from each,
        ``"qmc"``: randomised quasi-Monte Carlo (see :mod:`gantheory.estimators`). ``"knn"`` and
        ``"discriminator"`` raise ValueError.
    rtol, atol : float, >= 0, default 1e-12 and 0.0
        Relative and absolute tolerance of the quadrature, not both 0: it refines until its error bound
        is below ``max(atol, rtol * H²)``. Used by ``"quad"`` only, checked for every method.
    **options
        Options of the method. ``"quad"``: ``max_panels`` (int >= 1, panel budget in one dimension;
        default 20000, more for a fine GridDensity), ``max_rounds`` (int >= 1, default 80: refinement
        rounds in one dimension), ``max_nodes`` (float > 0, default 3e7: node budget of the tensor rule
        in two or more dimensions), ``breaks`` (1-D array of finite floats: extra panel edges, one
        dimension only), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2; default: sparse from d = 3 where the
        Gaussian parts share a covariance or the tensor grid would not fit in ``max_nodes``, else tensor). ``"mc"``:
        ``n`` (int in [4, 10**11], default 10**6), ``rng`` (None, int or numpy.random.Generator, default None),
        ``chunk`` (int >= 1, default 2**20: samples per batch); ``variance_reduction`` is accepted but only True is
        defined for ``H²``. ``"qmc"``: ``n`` (int in [2, 2**26], default 2**14, rounded up to a power of 2: points
        per replicate), ``replicates`` (int in [2, 10**4], default 16; at most 2**30 points in all), ``rng``.

    Returns
    -------
    Estimate
        ``H²``: a float with ``error``, ``neval``, ``method`` and ``converged``. ``"quad"``: ``error`` is
        a bound on the absolute error (discretisation and float64 round-off; the true error is meant to
        lie within it, converged or not), the value clipped to ``[0, 1]``; ``converged=False`` means the
        tolerance was not met, and the value is good to ``error`` only. ``"mc"``, ``"qmc"``: ``error`` is
        the standard error (over the samples; over the independently scrambled replicates).

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``method`` is not a str, ``rtol`` or ``atol`` is not a real
        number, an option is not one ``method`` takes, or an option has the wrong type.
    ValueError
        If ``p`` and ``q`` differ in dimension, ``rtol`` or ``atol`` is negative or not finite, both are 0,
        ``method`` is unknown, ``"knn"`` or ``"discriminator"``, an option is out of its range,
        ``variance_reduction=False``, ``breaks`` is given in two or more dimensions, or the tensor rule's
        coarsest grid exceeds ``max_nodes``.

    Warns
    -----
    AccuracyWarning
        When the quadrature stops short of the tolerance; the result then has ``converged=False``.

    See Also
    --------
    tv_distance : The total variation distance, with ``H² <= TV``.
    f_divergence : ``H²`` as ``f_divergence(p, q, "hellinger")``.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> h2 = gt.hellinger(gt.Normal(0, 1), gt.Normal(1, 1))
    >>> abs(h2 - (1 - math.exp(-1 / 8))) < 1e-12, h2.converged
    (True, True)
    >>> float(gt.hellinger(gt.Uniform(0, 1), gt.Uniform(1, 2)))
    1.0
    """
    check_options("hellinger", options, _KW_METHOD, method, _est.method_options)
    p, q = _pair(p, q)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)  # (checked for every method)
    if _method(method) != "quad":
        return _dispatch("hellinger", p, q, method, options)
    if _disjoint(p, q):
        return Estimate(1.0, 0.0, 0, "quad", True)
    p, q, options = _centred(p, q, options)
    low = _one_dim("hellinger", p, q, options)
    if low is not None:
        return _with_error(hellinger(low[0], low[1], rtol=rtol, atol=atol), low[2])
    est = _quad(K.HELLINGER, p, q, rtol, atol, options)
    return Estimate(min(max(float(est), 0.0), 1.0), est.error, est.neval, est.method, est.converged)


def _named_f(name, p, q, rtol, atol, options):
    if name == "kl":
        return kl_divergence(p, q, rtol=rtol, atol=atol, **options)
    if name == "reverse_kl":
        return kl_divergence(q, p, rtol=rtol, atol=atol, **options)
    if name == "js":
        return js_divergence(p, q, rtol=rtol, atol=atol, **options)
    if name == "gan":
        return _scaled(js_divergence(p, q, rtol=rtol, atol=atol, **options), 2.0, -math.log(4.0))
    if name == "tv":
        return tv_distance(p, q, rtol=rtol, atol=atol, **options)
    if name == "hellinger":
        return hellinger(p, q, rtol=rtol, atol=atol, **options)
    kind = K.PEARSON if name == "pearson" else K.NEYMAN
    p, q, options = _centred(p, q, options)
    big, small = (p, q) if kind == K.PEARSON else (q, p)
    if _support_excess(big, small) or _tail_divergent(big, small, "chi2"):
        return Estimate(math.inf, 0.0, 0, "quad", True)
    return _quad(kind, p, q, rtol, atol, options)


def _outside(inside, conj, t):
    """A convex conjugate: ``conj(t)`` where ``inside`` (its domain), ``+inf`` elsewhere (the supremum
    over ``u >= 0`` of ``t u - f(u)`` diverges there)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(inside, conj(np.where(inside, t, 0.0)), np.inf)[()]


class FGenerator(NamedTuple):
    """A convex generator ``f`` with its derivative ``f'`` and convex conjugate ``f*``, all vectorised.

    A named tuple ``(f, derivative, conjugate)``: the entries of ``F_DIVERGENCES`` are of this type. For
    ``D_f(P || Q) = ∫ q f(p/q)`` the optimal critic of f-GAN's variational bound
    ``D_f >= sup_T E_P[T] - E_Q[f*(T)]`` is ``T* = f'(p/q)`` [1]_, where Fenchel-Young's equality
    ``f(u) + f*(f'(u)) = u f'(u)`` holds.

    Parameters
    ----------
    f : callable
        The generator ``u -> f(u)`` on ratios ``u = p/q >= 0``: convex, taking and returning float arrays.
    derivative : callable
        Its derivative ``u -> f'(u)``.
    conjugate : callable
        Its convex conjugate ``t -> f*(t) = sup_{u >= 0} (t u - f(u))``, ``+inf`` where the supremum
        diverges.

    See Also
    --------
    f_divergence : The divergence ``∫ q f(p/q)``, by name or for any convex ``f``.

    References
    ----------
    .. [1] S. Nowozin, B. Cseke, R. Tomioka, "f-GAN: Training generative neural samplers using
       variational divergence minimization", NeurIPS, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> kl = gt.F_DIVERGENCES["kl"]
    >>> u = np.array([0.5, 2.0, 8.0])
    >>> t = kl.derivative(u)
    >>> bool(np.allclose(kl.f(u) + kl.conjugate(t), u * t, rtol=1e-14, atol=0))
    True
    >>> sorted(gt.F_DIVERGENCES)
    ['gan', 'hellinger', 'js', 'kl', 'neyman', 'pearson', 'reverse_kl', 'tv']

    A generator of one's own, for Pearson's χ² (conjugate ``t + t²/4`` for ``t >= -2``, else -1):

    >>> chi2 = gt.FGenerator(lambda u: (u - 1.0) ** 2, lambda u: 2.0 * (u - 1.0),
    ...                      lambda t: np.where(t >= -2.0, 0.25 * t * t + t, -1.0))
    >>> round(float(gt.f_divergence(gt.Normal(0, 1), gt.Normal(1, 1), chi2.f)), 10)  # e - 1
    1.7182818285
    """

    f: Callable
    derivative: Callable
    conjugate: Callable


#: Named generators of :func:`f_divergence` (``D_f(P || Q) = ∫ q f(p/q)``, docs/theory.md B1), with
#: ``f'`` (the optimal critic is ``T* = f'(p/q)``) and ``f*``. Each gives the quantity of the function of
#: its name: ``js`` is scaled to give JSD itself and ``hellinger``, ``(sqrt u - 1)²/2``, gives ``H²`` as
#: :func:`hellinger` does (f-GAN's table lists ``(sqrt u - 1)²``, which is ``2 H²``);
#: ``gan`` has ``f(1) = -log 4`` and gives ``2 JSD - log 4``. The tests check every entry against
#: finite differences and a numerical supremum rather than trusting a table.
F_DIVERGENCES = {
    "kl": FGenerator(lambda u: xlogy(u, u), lambda u: 1.0 + np.log(u), lambda t: np.exp(t - 1.0)),
    "reverse_kl": FGenerator(lambda u: -np.log(u), lambda u: -1.0 / u,
                             lambda t: _outside(t < 0.0, lambda t: -1.0 - np.log(-t), t)),
    "pearson": FGenerator(lambda u: (u - 1.0) ** 2, lambda u: 2.0 * (u - 1.0),
                          lambda t: np.where(t >= -2.0, 0.25 * t * t + t, -1.0)),  # (u >= 0: at t < -2, u = 0)
    "neyman": FGenerator(lambda u: (1.0 - u) ** 2 / u, lambda u: 1.0 - 1.0 / (u * u),
                         lambda t: _outside(t <= 1.0, lambda t: 2.0 - 2.0 * np.sqrt(1.0 - t), t)),
    "hellinger": FGenerator(lambda u: 0.5 * (np.sqrt(u) - 1.0) ** 2, lambda u: 0.5 - 0.5 / np.sqrt(u),
                            lambda t: _outside(t < 0.5, lambda t: t / (1.0 - 2.0 * t), t)),
    "tv": FGenerator(lambda u: 0.5 * np.abs(u - 1.0), lambda u: 0.5 * np.sign(u - 1.0),
                     lambda t: np.where(t > 0.5, np.inf, np.maximum(t, -0.5))),  # (t < -1/2: u = 0)
    "js": FGenerator(lambda u: 0.5 * (xlogy(u, u) - xlogy(u + 1.0, 0.5 * (u + 1.0))),
                     lambda u: 0.5 * np.log(2.0 * u / (u + 1.0)),
                     lambda t: _outside(t < 0.5 * _LOG2, lambda t: -0.5 * np.log(2.0 - np.exp(2.0 * t)), t)),
    "gan": FGenerator(lambda u: xlogy(u, u) - xlogy(u + 1.0, u + 1.0), lambda u: np.log(u / (u + 1.0)),
                      lambda t: _outside(t < 0.0, lambda t: -np.log(-np.expm1(t)), t)),
}


def f_divergence(p, q, f, *, f_inf=math.inf, rtol=1e-12, atol=0.0, **options):
    r"""Compute the f-divergence ``D_f(p || q) = ∫ q f(p/q)`` (Nowozin et al. [1]_, docs/theory.md B1).

    A named ``f`` is computed by the function of its name (``"kl"``, ``"reverse_kl"``: :func:`kl_divergence`
    of ``(p, q)`` or ``(q, p)``; ``"js"``, ``"gan"``: :func:`js_divergence`; ``"tv"``: :func:`tv_distance`;
    ``"hellinger"``: :func:`hellinger`) or, for ``"pearson"`` and ``"neyman"``, by its own cancellation-free
    integrand, ``inf`` where the χ² integral diverges (support or tail). A callable ``f`` is integrated
    directly.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, of the same dimension (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    f : str or callable
        A name in ``F_DIVERGENCES`` (``kl``, ``reverse_kl``, ``pearson``, ``neyman``,
        ``hellinger`` (``H²``, as :func:`hellinger`), ``js`` (JSD itself), ``gan`` (``2 JSD - log 4``),
        ``tv``), computed by the matching cancellation-free integrand; or a vectorised convex ``f``
        evaluated at ``u = p/q`` on the quadrature nodes: it takes a float array and returns one float
        per ratio, never NaN.
    f_inf : float, finite or +inf, default inf
        For a callable ``f``: ``lim_{u -> inf} f(u)/u``, the weight of ``p``'s mass where ``q = 0``
        (``inf`` by default, which makes such a divergence infinite), and where ``p/q`` passes ``e^700``
        (beyond which ``u`` itself is not a float): there ``q f(u) = p f(u)/u`` is integrated as ``p f_inf``,
        with a bound on the difference charged to the error (convex ``f``). Where ``p`` has mass there
        and ``f_inf`` is infinite, that part cannot be bounded: the result is not converged, with an
        infinite error and an AccuracyWarning (name KL by ``"kl"`` instead, which integrates in log space).
        Ignored for a named ``f``.
    rtol, atol : float, >= 0, default 1e-12 and 0.0
        Relative and absolute tolerance of the quadrature, not both 0 (for a callable, relative to the
        integral of ``|q f(p/q)|``). A named ``f`` passes them on, so ``"tv"`` in two or more dimensions
        asks 1e-12, not :func:`tv_distance`'s default 1e-6.
    **options
        Quadrature options: ``max_panels`` (int >= 1, panel budget in one dimension; default 20000, more
        for a fine GridDensity), ``max_rounds`` (int >= 1, default 80: refinement rounds in one
        dimension), ``max_nodes`` (float > 0, default 3e7: node budget of the tensor rule in two or more
        dimensions), ``breaks`` (1-D array of finite floats: extra panel edges, one dimension only), ``rule``
        (``"tensor"`` or ``"sparse"``, d >= 2; default: sparse from d = 3 where the Gaussian parts share a
        covariance or the tensor grid would not fit in ``max_nodes``, else tensor). No ``method``: the sampled
        estimators are reached through the functions of each name.

    Returns
    -------
    Estimate
        ``D_f(p || q)``, in nats for the logarithmic generators: a float with ``error`` (a bound on the
        absolute error, discretisation and float64 round-off, plus for a callable ``f`` the bound on the
        ratios beyond ``[e^-700, e^700]``; the true error is meant to lie within it, converged or not),
        ``neval``, ``method="quad"`` and ``converged`` (False when the tolerance was not met: the value
        is good to ``error`` only).

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``f`` is neither a str nor callable, a callable ``f`` fails
        on an array of ratios, ``rtol``, ``atol`` or ``f_inf`` (with a callable ``f``) is not a real
        number, or an option is unknown (``method`` included).
    ValueError
        If ``p`` and ``q`` differ in dimension, ``f`` is an unknown name, a callable ``f`` returns NaN
        or a wrong shape, ``f_inf`` (with a callable ``f``) is NaN or ``-inf``, the integrand
        is ``+inf`` at some points and ``-inf`` at others, ``rtol`` or
        ``atol`` is negative or not finite, both are 0, an option is out of its range, ``breaks`` is given
        in two or more dimensions, or the tensor rule's coarsest grid exceeds ``max_nodes``.

    Warns
    -----
    AccuracyWarning
        When the quadrature stops short of the tolerance, or the ratios beyond ``[e^-700, e^700]`` may
        move the result by more than the tolerance and the quadrature's error; the result then has
        ``converged=False``.

    See Also
    --------
    FGenerator : A generator with its derivative and convex conjugate.
    kl_divergence : The ``"kl"`` and ``"reverse_kl"`` divergences.
    js_divergence : The ``"js"`` divergence; ``"gan"`` is ``2 JSD - log 4``.
    hellinger : The ``"hellinger"`` divergence ``H²``.
    tv_distance : The ``"tv"`` divergence.

    References
    ----------
    .. [1] S. Nowozin, B. Cseke, R. Tomioka, "f-GAN: Training generative neural samplers using
       variational divergence minimization", NeurIPS, 2016.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> round(float(gt.f_divergence(p, q, "kl")), 12)
    0.5
    >>> chi2 = gt.f_divergence(p, q, lambda u: (u - 1.0) ** 2)  # Pearson: exp(1) - 1 here
    >>> abs(chi2 - (math.e - 1)) < 1e-12, chi2.converged
    (True, True)

    ``f_inf`` gives the weight of the mass ``p`` puts where ``q`` has none (TV's ``f`` has ``f_inf = 1/2``):

    >>> import numpy as np
    >>> wide, narrow = gt.Uniform(0, 2), gt.Uniform(0, 1)
    >>> def half_abs(u):
    ...     return 0.5 * np.abs(u - 1.0)
    >>> tv = gt.f_divergence(wide, narrow, half_abs, f_inf=0.5)
    >>> round(float(tv), 12), float(gt.f_divergence(wide, narrow, half_abs))
    (0.5, inf)
    """
    check_options("f_divergence", options, _KW_F)
    p, q = _pair(p, q)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
    if isinstance(f, str):
        choice(f, "f", F_DIVERGENCES)
        return _named_f(f, p, q, rtol, atol, options)
    if not callable(f):
        raise TypeError(f"f must be a name in {sorted(F_DIVERGENCES)} or a callable, got {type(f).__name__}")
    f_inf = math.inf if isinstance(f_inf, (int, float, np.floating)) and f_inf == math.inf else scalar(f_inf, "f_inf")
    p, q, options = _centred(p, q, options)
    beyond = {"high": False, "low": False}  # (whether p/q left [e^-700, e^700] where the mass is)

    def evaluate(nodes):
        lp, lq = nodes.logpdf(p), nodes.logpdf(q)
        qpos = ~np.isneginf(lq)
        # u = p/q with log u clipped to ±700, where f can still be evaluated; beyond, q f(u) is p f(u)/u
        # (p f_inf, up to a bound charged below) or q f(u) near f(0)
        with np.errstate(invalid="ignore"):
            logu = np.where(qpos, lp - np.where(qpos, lq, 0.0), 0.0)
        # (where the density that weights the integrand there is below e^-700, nothing float64 holds is lost)
        high, low = qpos & (logu > 700.0) & (lp > -700.0), qpos & (logu < -700.0) & (lq > -700.0)
        beyond["high"] |= bool(high.any())
        beyond["low"] |= bool(low.any())
        u = np.exp(np.clip(logu, -700.0, 700.0))
        fu = _f_values(f, u)
        if np.isnan(fu[qpos]).any():
            bad = u[qpos][np.isnan(fu[qpos])][0]
            raise ValueError(f"f returned NaN at u = {bad!r}")
        only_p = (~qpos & ~np.isneginf(lp)) | (high if math.isfinite(f_inf) else False)
        a = np.where(only_p, f_inf, 0.0)
        return np.where(only_p, lp, -np.inf), np.where(qpos & ~only_p, lq, -np.inf), a, np.where(qpos, fu, 0.0)

    # p's weights are kept only where q vanishes: its mass is not checked, q's is
    est = _integrate_pair((p, q), K.LINEAR, evaluate, rtol=rtol, atol=atol, masses=(None, 1.0), **options)
    return _charged(est, _f_clip_charge(f, f_inf, beyond), max(atol, rtol * abs(float(est)), est.error),
                    "f_divergence: p/q leaves [e^-700, e^700] where the densities have mass, and f there is "
                    "known only up to {extra:.3g} on {value:.17g} (pass f_inf = lim f(u)/u, finite, for the part "
                    "beyond e^700)")


def _f_values(f, u):
    """The user's ``f`` at the ratios ``u``: one float per ratio."""
    try:
        with np.errstate(all="ignore"):
            fu = np.asarray(f(u), dtype=float)
    except Exception as exc:
        raise TypeError(f"f must accept a numpy array of ratios u = p/q: {exc}") from None
    if fu.shape != u.shape:
        raise ValueError(f"f must return one value per ratio, got shape {fu.shape} for {u.shape}")
    return fu


def _f_clip_charge(f, f_inf, beyond):
    """A bound on what the ratios beyond ``[L, U] = [e^-700, e^700]`` can change, for a convex ``f``
    (inf where none can be given). Above ``U`` the integrand ``p f(u)/u`` was taken as ``p f_inf``:
    ``(f(u) - f(1))/(u - 1)`` rises with ``u`` from ``s_U`` at ``U`` to ``f_inf``, so ``f(u)/u`` stays within
    ``|f_inf - s_U| + (|f_inf| + |s_U| + |f(1)|)/U`` of ``f_inf``, per unit of p's mass. Below ``L``, ``q f(u)``
    was taken as ``q f(L)``: there ``f`` lies between ``f(0)`` and ``f(L)`` or rises by at most
    ``f(2L) - f(L)`` (the slope at ``L`` is below ``(f(2L) - f(L))/L``), per unit of q's mass."""
    charge = 0.0
    if beyond["high"]:
        if not math.isfinite(f_inf):
            return math.inf
        big = math.exp(700.0)
        f1, fu = _f_values(f, np.array([1.0, big]))
        s = (fu - f1) / (big - 1.0)
        charge += abs(f_inf - s) + (abs(f_inf) + abs(s) + abs(f1)) / big
    if beyond["low"]:
        small = math.exp(-700.0)
        f0, fl, f2l = _f_values(f, np.array([0.0, small, 2.0 * small]))
        charge += max(abs(f0 - fl), abs(f2l - fl))
    return charge if math.isfinite(charge) else math.inf


#: A component narrower than this fraction of its distance from 0 is recentred (see :func:`_centred`).
_NARROW = 1e-6


#: location-scale families symmetric about their location: their image under ``x -> a x + b`` is the same
#: family at ``a loc + b`` with scale ``|a| scale``
_SYMMETRIC = (Normal, Laplace, Cauchy, StudentT)


def _parts(d):
    """The components of a one-dimensional density as ``(family, location, its remainder, scale, shape)``
    (a uniform: its low end, scale None, its high end; a pushforward through a scalar affine map of a
    symmetric law: the location it keeps exactly as two floats; of any other base: the map's shift, and
    the pushforward itself as its shape), or None for anything else."""
    if isinstance(d, _LocationScale):
        return [(type(d), d.loc, 0.0, d.scale, getattr(d, "df", None))]
    if type(d) is Uniform:
        return [(Uniform, d.low, 0.0, None, d.high)]
    if type(d) is Mixture:
        out = []
        for c in d.components:
            part = _parts(c)
            if part is None or len(part) != 1:
                return None
            out += part
        return out
    if type(d) is Pushforward and d._loc2 is not None and type(d.base) in _SYMMETRIC:
        hi, lo = d._loc2
        return [(type(d.base), hi, lo, abs(d.transform.scale) * d.base.scale, getattr(d.base, "df", None))]
    if type(d) is Pushforward and d.dim == 1 and isinstance(getattr(d.transform, "scale", None), float):
        tr = d.transform  # any other base: moved by its shift, kept exactly as a float
        return [(Pushforward, tr.shift, 0.0, abs(tr.scale) * float(d.base._hints().scale), d)]
    return None


def _rebuilt(d, parts, shift):
    """``d`` (described by ``parts``) moved by ``-shift``; None when a new position is not a float."""
    comps = []
    for family, hi, lo, scale, shape in parts:
        moved = Fraction(hi) + Fraction(lo) - shift
        if float(moved) != moved:
            return None
        if family is Uniform:
            high = Fraction(shape) - shift
            if float(high) != high:
                return None
            comps.append(Uniform(float(moved), float(high)))
        elif family is Pushforward:
            comps.append(Pushforward(shape.base, Affine(shape.transform.scale, float(moved))))
        elif family is StudentT:
            comps.append(StudentT(shape, float(moved), scale))
        else:
            comps.append(family(float(moved), scale))
    return Mixture(comps, d.weights) if type(d) is Mixture else comps[0]


def _same_map(s, t):
    """True when the transforms ``s`` and ``t`` are the same map (same type and parameters)."""
    if type(s) is not type(t):
        return False
    if type(s) is Affine:
        return np.array_equal(s.scale, t.scale) and np.array_equal(s.shift, t.shift)
    return type(s) in (Exp, SinhArcsinh) and s._params() == t._params()


def _centred(p, q, options, always=False):
    """``p`` and ``q`` reduced by the invariance of every f-divergence under an invertible map of both.
    Two pushforwards through the same map are replaced by their bases (and ``breaks`` by their preimages,
    those outside the map's image dropped): a log-normal pair is computed as the normal pair it comes from.
    Then, in one dimension, ``p`` and ``q`` are moved together by one translation, exactly, and the option
    ``breaks`` with them (W1 is invariant under it too). Quadrature nodes are floats,
    spaced ``2^-52 |x|`` apart: a component far narrower than its distance from 0 (a scale of a few ulps,
    or below one, at ``x = 10^6``) sits on a handful of them, and its landmarks round together; moved to
    0 it is resolved like any other. The translation is the location of the narrowest component (as a
    float), taken only when every new position and break is exactly a float. For location-scale
    families, uniforms, their mixtures and their affine pushforwards (of a symmetric law, at the exact
    location the pushforward keeps). ``always`` (W1): translate only, and even when nothing is narrow (the
    integrand of W1, a difference of CDFs at float nodes, carries the nodes' rounding)."""
    if (not always and isinstance(p, _LocationScale) and isinstance(q, _LocationScale)
            and p.scale >= _NARROW * abs(p.loc) and q.scale >= _NARROW * abs(q.loc)):
        return p, q, options  # (the common case, quickly: nothing narrow)
    if not always:
        while type(p) is Pushforward and type(q) is Pushforward and _same_map(p.transform, q.transform):
            if "breaks" in options and p.dim == 1:  # (the user's breaks, where they are in the bases)
                with np.errstate(all="ignore"):
                    z = p.transform._inverse(finite_array(options["breaks"], "breaks", ndim=1))
                options = dict(options, breaks=z[np.isfinite(z)])
            p, q = p.base, q.base
    pp = _parts(p)
    pq = None if pp is None else _parts(q)
    if pq is None:
        return p, q, options
    # (family, location, remainder, scale, shape): a uniform's width is its high end minus its low one
    widths = [((end - at) if s is None else s, at) for _, at, _, s, end in pp + pq]
    _, loc = min(widths)  # the narrowest component's location
    if loc == 0.0 or not (always or any(w < _NARROW * abs(at) for w, at in widths)):
        return p, q, options
    shift = Fraction(loc)
    breaks = options.get("breaks")
    try:
        moved = (_rebuilt(p, pp, shift), _rebuilt(q, pq, shift))
        if breaks is not None:
            b = [Fraction(x) - shift for x in np.asarray(breaks, dtype=float).ravel().tolist()]
            if any(float(x) != x for x in b):
                return p, q, options
            breaks = [float(x) for x in b]
    except (ValueError, TypeError, OverflowError):  # (a bad break is reported by the caller; a far one stays)
        return p, q, options
    if moved[0] is None or moved[1] is None:
        return p, q, options
    return moved[0], moved[1], (options if breaks is None else dict(options, breaks=breaks))


def _w1_tails(p, q):
    """From the tails: True when W1 is infinite (on some side one law has a mean there and the other has
    not: ``|F_p - F_q| ~ |x|^-k`` with ``k <= 1``), False when it is finite (every tail has ``k > 1``), None
    when a side has two tails without a mean, or a tail is unknown (their difference decides)."""
    out = False
    for tp, tq in zip(p._tails(), q._tails()):
        if tp is None or tq is None:
            return None
        light = [t.kind != "power" or t.k > 1.0 for t in (tp, tq)]
        if light[0] != light[1]:
            return True
        if not light[0]:
            out = None
    return out


def w1_distance(p, q, *, rtol=1e-12, atol=0.0, **options):
    r"""Compute the Wasserstein-1 distance of one-dimensional densities, ``W1 = ∫ |F_p(x) - F_q(x)| dx``.

    Uses the CDFs below the medians and the survival functions above, so both tails keep their
    relative accuracy. ``inf`` when the integral diverges (for example Cauchy laws of different
    scales, whose CDFs differ like ``1/|x|``). A density and its translate by ``c`` are at ``W1 = |c|``.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats continuous distribution
        The two densities, one-dimensional (scipy distributions are wrapped by
        :func:`gantheory.as_density`).
    rtol, atol : float, >= 0, default 1e-12 and 0.0
        Relative and absolute tolerance of the quadrature, not both 0: it refines until its error bound
        is below ``max(atol, rtol * W1)``, ``atol`` in the unit of ``x``.
    **options
        Quadrature options: ``max_panels`` (int >= 1, panel budget; default 20000, more for a fine
        GridDensity), ``max_rounds`` (int >= 1, default 80: refinement rounds), ``breaks`` (1-D array of
        finite floats: extra panel edges; the crossings of the CDFs are always edges). ``max_nodes`` is
        accepted and unused (it budgets the tensor rule of two or more dimensions).

    Returns
    -------
    Estimate
        W1 in the unit of ``x``: a float with ``error`` (a bound on the absolute error, including the
        rounding of the crossings of the CDFs to floats; the true error is meant to lie within it,
        converged or not), ``neval``, ``method="quad"`` and ``converged`` (False when the tolerance was
        not met: the value is good to ``error`` only). ``inf`` comes with ``error=0``.

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a density, ``rtol`` or ``atol`` is not a real number, or an option is
        unknown (``method`` included: W1 is computed by quadrature only).
    ValueError
        If ``p`` and ``q`` differ in dimension or are not one-dimensional, ``rtol`` or ``atol`` is
        negative or not finite, both are 0, or an option is out of its range.

    Warns
    -----
    AccuracyWarning
        When the quadrature stops short of the tolerance, or the rounding of the crossings alone may
        move W1 by more than both the tolerance and the quadrature's error; the result then has
        ``converged=False``.

    See Also
    --------
    tv_distance : The total variation distance, blind to how far mass moves.
    js_divergence : Saturates at ``log 2`` for disjoint supports, where W1 keeps growing.

    Examples
    --------
    >>> import gantheory as gt
    >>> w1 = gt.w1_distance(gt.Normal(0, 1), gt.Normal(1, 1))
    >>> round(float(w1), 12), w1.converged
    (1.0, True)
    >>> round(float(gt.w1_distance(gt.Uniform(0, 1), gt.Uniform(0, 2))), 12)
    0.5
    >>> float(gt.w1_distance(gt.Cauchy(0, 1), gt.Cauchy(0, 2)))
    inf
    """
    check_options("w1_distance", options, _KW_TOL)
    p, q = _pair(p, q)
    if p.dim != 1:
        raise ValueError(f"w1_distance is implemented for one-dimensional densities, got dim={p.dim}")
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
    p, q, options = _centred(p, q, options, always=True)

    def gap(x):
        fp, fq, sp, sq = p._cdf(x), q._cdf(x), p._sf(x), q._sf(x)
        return np.where(fp + fq < 1.0, np.abs(fp - fq), np.abs(sp - sq))

    heavy = _w1_tails(p, q) if p._mean() is None or q._mean() is None else False
    if heavy:
        return Estimate(math.inf, 0.0, 0, "quad", True)
    if heavy is None:
        # two tails without a mean on one side (or tails unknown): W1 diverges where |F_p - F_q| falls no
        # faster than 1/|x| far out: |x| |F_p - F_q| is still above 1e-8 at 1e200, and its decay from 1e100
        # is no faster (|x|^-k gives a ratio of 10^(100 k)). What rounding leaves of two equal tails (a few
        # ulps of the larger) is not a difference
        far = np.array([-1e200, -1e100, 1e100, 1e200])
        tails = np.where(far < 0, p._cdf(far) + q._cdf(far), p._sf(far) + q._sf(far))
        g = np.maximum(gap(far) - 4.0 * _EPS * tails, 0.0)
        for near, out in ((1, 0), (2, 3)):
            # (log 10^100 = 230.26: a decay of 1/|x|, up to the rounding of the ratio)
            if 1e200 * g[out] > 1e-8 and (g[near] == 0.0 or math.log(g[near] / g[out]) <= 230.2585092994046 + 1e-9):
                return Estimate(math.inf, 0.0, 4, "quad", True)

    def evaluate(nodes):
        g = gap(nodes.x)
        z = np.zeros_like(g)
        # a difference of two CDF values carries a few ulps of the larger: the round-off scale
        fp, fq, sp, sq = p._cdf(nodes.x), q._cdf(nodes.x), p._sf(nodes.x), q._sf(nodes.x)
        # and the node itself is a rounded float: F moves by the density times half its spacing
        with np.errstate(over="ignore"):  # (next to a singular end)
            dens = np.exp(p._logpdf(nodes.x)) + np.exp(q._logpdf(nodes.x))
        moved = 0.5 * np.spacing(np.abs(nodes.x)) * dens
        # (a node rounded onto a singular end has no meaningful slope there: its weight is 0)
        noise = 4.0 * _EPS * np.where(fp + fq < 1.0, fp + fq, sp + sq) + np.where(np.isfinite(moved), moved, 0.0)
        return z, np.full_like(g, -np.inf), g, z, noise

    # |F_p - F_q| has kinks where the CDFs cross: panel edges (with any the user gave)
    cross = crossings((p, q), lambda x: p._cdf(x) - q._cdf(x))
    options = dict(options, breaks=_with_breaks(options, cross))
    # an edge on a float beside the true crossing c moves the integral by at most |p(c) - q(c)| δ²
    with np.errstate(all="ignore"):
        slope = np.abs(np.exp(p._logpdf(cross)) - np.exp(q._logpdf(cross)))
        delta = np.spacing(np.abs(cross)) + 4.0 * _EPS * np.minimum(p._cdf(cross), p._sf(cross)) / slope
        kinks = float(np.sum(np.where(np.isfinite(delta), slope * delta**2, 0.0)))
    est = _integrate_pair((p, q), K.LINEAR, evaluate, rtol=rtol, atol=atol, masses=(None, None), **options)
    est = _charged(est, kinks, max(atol, rtol * float(est), est.error), "W1: the crossings of the CDFs are "
                   "resolved only to the float spacing there, which leaves an error up to {extra:.3g} on {value:.17g}")
    return Estimate(max(float(est), 0.0), est.error, est.neval, est.method, est.converged)
