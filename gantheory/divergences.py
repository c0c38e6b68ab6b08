"""Divergences between densities, in nats unless ``base`` is given (docs/theory.md, B1-B3 and "Numerics").

Conventions: ``0 log 0 = 0``; ``KL(P || Q) = inf`` (never NaN) when ``P`` puts mass where ``Q`` has
none; ``JSD`` always lies in ``[0, log 2]``. Every function returns an :class:`~gantheory.Estimate`,
a float carrying the error estimate and the number of integrand evaluations.

Each integrand is written so that it is pointwise non-negative and computed in log space (see
``gantheory._kernels``): the KL integrand is the Bregman form ``p log(p/q) - p + q``, the JSD
integrand ``m [(1+δ) log(1+δ) + (1-δ) log(1-δ)] / 2`` with ``δ = (p - q)/(p + q)``. Tiny
divergences therefore keep their relative accuracy, and ``C(G) >= -log 4`` holds in floating point.
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
    r"""Kullback-Leibler divergence ``KL(p || q) = ∫ p log(p/q)``.

    Returns ``inf`` when ``p`` has mass where ``q`` has none (detected from the supports and at the
    quadrature nodes), or when the integral diverges in a tail (a power tail ``|x|^-(α+1)``, ``α <= 2``,
    against a normal ``q``: ``KL(StudentT(1.5) || Normal) = inf``). Closed form for normals:
    ``log(σ2/σ1) + (σ1² + (μ1-μ2)²)/(2σ2²) - 1/2``.

    Parameters
    ----------
    p, q : Density or frozen scipy.stats distribution
    base : float, optional
        Logarithm base of the result (2 for bits); nats by default.
    method : {"quad", ...}
        ``"quad"`` (deterministic quadrature) or a registered estimator.
    rtol, atol : float
        Tolerance of the quadrature's error estimate.

    Examples
    --------
    >>> import gantheory as gt
    >>> round(float(gt.kl_divergence(gt.Normal(0, 1), gt.Normal(1, 1))), 12)
    0.5
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
    r"""Jensen-Shannon divergence ``JSD = KL(p || m)/2 + KL(q || m)/2``, ``m = (p + q)/2``.

    Symmetric, in ``[0, log 2]``: ``log 2`` exactly when the supports are disjoint intervals (found
    from the supports; otherwise the sum is clipped to the interval, which only removes rounding).
    ``C(G) = -log 4 + 2 JSD(p_data || p_g)``.

    Examples
    --------
    >>> import gantheory as gt
    >>> round(float(gt.js_divergence(gt.Normal(0, 1), gt.Normal(1, 1))), 15)
    0.111421482184736
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
    """Jensen-Shannon distance ``sqrt(JSD)`` (a metric; Endres and Schindelin 2003).

    With ``base`` the divergence is taken in that base before the square root, as in
    ``scipy.spatial.distance.jensenshannon``.
    """
    check_options("js_distance", options, _KW_DIVERGENCE, options.get("method", "quad"),
                  _est.method_options)
    jsd = js_divergence(p, q, base=base, **options)
    root = math.sqrt(max(float(jsd), 0.0))  # (a sampled estimate may fall below 0, where JSD cannot)
    error = jsd.error / (2.0 * root) if root > 0 else math.sqrt(jsd.error)
    return Estimate(root, error, jsd.neval, jsd.method, jsd.converged)


def tv_distance(p, q, *, method="quad", rtol=None, atol=0.0, **options):
    """Total variation distance ``TV = (1/2) ∫ |p - q|`` in ``[0, 1]``.

    ``rtol`` defaults to 1e-12 in one dimension and for two bivariate normals (a pair with one
    covariance reduces to one dimension exactly, in any dimension; with two, ``{p > q}`` is bounded by a
    conic, integrated in closed form across it), and to 1e-6 otherwise in two or more: there the
    tensor rule meets
    the kink of ``|p - q|`` along the surface ``p = q`` and converges algebraically (between ``h^2``
    and ``h^3``) instead of geometrically; 1e-6 takes about a second in 2-D, each further digit
    roughly four times the nodes (raise ``max_nodes`` with ``rtol``).
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
    if _method(method) != "quad":
        return _dispatch("tv", p, q, method, options)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
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
    """Squared Hellinger distance ``H² = (1/2) ∫ (sqrt p - sqrt q)² = 1 - ∫ sqrt(p q)`` in ``[0, 1]``.

    ``f_divergence(p, q, "hellinger")`` is the same ``H²`` (its ``f(u) = (sqrt u - 1)²/2``); the
    generator ``(sqrt u - 1)²`` of f-GAN's table gives ``2 H²``.
    """
    check_options("hellinger", options, _KW_METHOD, method, _est.method_options)
    p, q = _pair(p, q)
    if _method(method) != "quad":
        return _dispatch("hellinger", p, q, method, options)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
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
    """A convex generator ``f`` with its derivative ``f'`` and convex conjugate
    ``f*(t) = sup_u (t u - f(u))``, all vectorised."""

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
    r"""f-divergence ``D_f(p || q) = ∫ q f(p/q)`` (Nowozin et al. 2016, docs/theory.md B1).

    Parameters
    ----------
    f : str or callable
        A name in :data:`F_DIVERGENCES` (``kl``, ``reverse_kl``, ``pearson``, ``neyman``,
        ``hellinger`` (``H²``, as :func:`hellinger`), ``js`` (JSD itself), ``gan`` (``2 JSD - log 4``),
        ``tv``), computed by the matching cancellation-free integrand; or a vectorised convex ``f``
        evaluated at ``u = p/q`` on the quadrature nodes.
    f_inf : float
        For a callable ``f``: ``lim_{u -> inf} f(u)/u``, the weight of ``p``'s mass where ``q = 0``
        (``inf`` by default, which makes such a divergence infinite), and where ``p/q`` passes ``e^700``
        (beyond which ``u`` itself is not a float): there ``q f(u) = p f(u)/u`` is integrated as ``p f_inf``,
        with a bound on the difference charged to the error (convex ``f``). Where ``p`` has mass there
        and ``f_inf`` is infinite, that part cannot be bounded: the result is not converged, with an
        infinite error and an AccuracyWarning (name KL by ``"kl"`` instead, which integrates in log space).
    """
    check_options("f_divergence", options, _KW_F)
    p, q = _pair(p, q)
    rtol, atol = scalar(rtol, "rtol", lower=0.0), scalar(atol, "atol", lower=0.0)
    if isinstance(f, str):
        choice(f, "f", F_DIVERGENCES)
        return _named_f(f, p, q, rtol, atol, options)
    if not callable(f):
        raise TypeError(f"f must be a name in {sorted(F_DIVERGENCES)} or a callable, got {type(f).__name__}")
    f_inf = float(f_inf)
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
    r"""Wasserstein-1 distance of one-dimensional densities, ``W1 = ∫ |F_p(x) - F_q(x)| dx``.

    Uses the CDFs below the medians and the survival functions above, so both tails keep their
    relative accuracy. ``inf`` when the integral diverges (for example Cauchy laws of different
    scales, whose CDFs differ like ``1/|x|``).
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
