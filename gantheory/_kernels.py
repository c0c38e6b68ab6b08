"""Numba kernels: the hot path of every quadrature.

Every kernel takes float64 arrays of log-densities (``lp = log p``, ``lq = log q``), auxiliary values
and log-weights, and turns them into integrand terms and weighted sums in log space, so that ``p``
and ``q`` are never formed where they would underflow. Validation happens in the Python wrappers;
the kernels assume clean float64 input. ``fastmath`` stays off: the conventions ``0 log 0 = 0`` and
``KL = inf`` depend on IEEE inf arithmetic.

Integrand kinds (``kind`` argument), with ``Δ = lp - lq``:

==========  ========================================================================
KL          ``p log(p/q) - p + q`` (Bregman form: pointwise >= 0, integrates to KL(p||q))
JSD         ``(p log(p/m) + q log(q/m)) / 2`` with ``m = (p + q)/2`` (pointwise >= 0)
TV          ``|p - q| / 2``
HELLINGER   ``(sqrt p - sqrt q)^2 / 2`` (integrates to the squared Hellinger distance)
PEARSON     ``(p - q)^2 / q``
NEYMAN      ``(p - q)^2 / p``
LINEAR      ``p a + q b`` for auxiliary arrays ``a``, ``b`` (with ``0 * anything = 0``)
==========  ========================================================================
"""

import math

import numpy as np
from numba import njit

__all__ = [
    "HELLINGER",
    "JSD",
    "KL",
    "LINEAR",
    "NEYMAN",
    "PEARSON",
    "TV",
    "gk_panels",
    "map_nodes",
    "mc_sums",
    "terms",
]

#: One settings dict for every kernel: cached on disk, IEEE semantics (no fastmath).
_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


def jit(fn):
    """``numba.njit(**_JIT)``, and without the disk cache where numba finds no writable place for it (a
    read-only install with no writable home or ``NUMBA_CACHE_DIR``): the kernels then compile in every
    process, said once with a warning, instead of ``import gantheory`` failing."""
    if _JIT["cache"]:
        try:
            return njit(**_JIT)(fn)
        except RuntimeError as exc:
            if "cannot cache" not in str(exc):
                raise
            _JIT["cache"] = False
            import warnings

            warnings.warn("gantheory: no writable cache location for the compiled kernels (numba found none; "
                          "set NUMBA_CACHE_DIR to a writable directory to keep them): they are compiled in every "
                          "process, which adds about a minute to the first computation", UserWarning, stacklevel=2)
    return njit(**_JIT)(fn)

KL, JSD, TV, HELLINGER, PEARSON, NEYMAN, LINEAR = range(7)

_LN2 = math.log(2.0)
_NEG_INF = -math.inf
_EPS = 2.220446049250313e-16
_UNDERFLOW = -745.2  # exp of anything below rounds to 0


@jit
def _exp(x):
    """``math.exp(x)``, without the libm slow path of an underflow (tail nodes are full of them)."""
    return 0.0 if x < _UNDERFLOW else math.exp(x)


@jit
def _bregman(d):
    """``d + expm1(-d)`` for ``d >= -1`` without cancellation (series near 0)."""
    if abs(d) < 0.25:
        # sum_{k>=2} (-d)^k / k!
        term = d * d / 2.0
        s = term
        k = 2
        while abs(term) > 1e-17 * s:
            k += 1
            term *= -d / k
            s += term
        return s
    return d + math.expm1(-d)


#: 1 / (k (2k - 1)), the coefficients of the series in ``_js_weight_r`` (δ² <= tanh(1/4)² = 0.06 there, so
#: 16 terms reach 1e-17)
_JS_SERIES = np.array([0.0] + [1.0 / (k * (2 * k - 1)) for k in range(1, 40)])


@jit
def _js_weight(a):
    """``(1 + r) (log 2 - log1p r) - r a`` with ``r = exp(-a)``, for ``a >= 0``: see ``_js_weight_r``."""
    return _js_weight_r(a, _exp(-a))


@jit
def _js_weight_r(a, r):
    """``(1 + r) (log 2 - log1p r) - r a`` for ``a >= 0`` and ``r = exp(-a)`` (given).

    Equals ``2 j / P`` where ``j`` is the JSD integrand and ``P = max(p, q)``. For small ``a`` a
    series in ``δ = tanh(a/2)`` avoids the cancellation of the two terms:
    ``(1+δ)log(1+δ) + (1-δ)log(1-δ) = sum_k δ^(2k) / (k (2k-1))`` and ``2 j = m * that``.
    """
    if a < 0.5:
        dl = math.tanh(0.5 * a)
        d2 = dl * dl
        term = d2
        s = d2
        k = 1
        while term > 1e-17 * s:
            term *= d2
            k += 1
            s += term * _JS_SERIES[k]
        return 0.5 * (1.0 + r) * s
    return (1.0 + r) * (_LN2 - math.log1p(r)) - r * a


@jit
def _log_abs_expm1(d):
    """``log |expm1(d)|`` for any real ``d`` (``-inf`` at 0, ``d`` for large ``d``)."""
    if d > 30.0:
        return d + math.log1p(-_exp(-d))
    if d < -30.0:
        return math.log1p(-_exp(d))
    return math.log(abs(math.expm1(d)))


@jit
def _chi2(lw, lo, lj):
    """``w (o/w - 1)^2`` with ``w = exp(lw)``, ``o = exp(lo)``: Pearson with (w, o) = (q, p)."""
    if lw == _NEG_INF:
        return 0.0 if lo == _NEG_INF else math.inf
    if lo == _NEG_INF:
        return _exp(lw + lj)
    return _exp(lw + lj + 2.0 * _log_abs_expm1(lo - lw))


@jit
def _scaled(lw, v, lj):
    """``exp(lw + lj) * v`` in log space (no inf * 0). An infinite ``v`` counts where the weight is
    representable (> 1e-308); below that the node carries no float64 mass and adds 0. A node of weight
    ``lj = -inf`` (dropped, or past a heavy tail's cap) adds 0 whatever ``v`` is, NaN included."""
    if lw == _NEG_INF or lj == _NEG_INF or v == 0.0:
        return 0.0
    if math.isinf(v):
        return v if lw + lj > -745.0 else 0.0
    return math.copysign(_exp(lw + lj + math.log(abs(v))), v)


@jit
def _term(kind, lp, lq, a, b, lj):
    """One weighted integrand value ``exp(lj) * integrand(kind)`` at one node."""
    if kind == LINEAR:
        # p a + q b with 0 * anything = 0 where a density vanishes; an infinite value on positive
        # mass stays infinite even where the weight underflows
        return _scaled(lp, a, lj) + _scaled(lq, b, lj)
    if kind == PEARSON:
        return _chi2(lq, lp, lj)
    if kind == NEYMAN:
        return _chi2(lp, lq, lj)
    if kind == KL:
        if lp == _NEG_INF:
            return 0.0 if lq == _NEG_INF else _exp(lq + lj)
        if lq == _NEG_INF:
            # p's mass where q has none makes KL infinite, once that mass is representable: a node whose
            # weight underflows (an offset at a singular end below 1e-308) says nothing about q's support
            return math.inf if lp + lj > -745.0 else 0.0
        d = lp - lq
        if d >= -1.0:
            return _exp(lp + lj) * _bregman(d)
        # q - p + p d = q (1 - (1 - d) e^d): q dominates, no overflow of expm1(-d)
        return _exp(lq + lj) * (1.0 - (1.0 - d) * _exp(d))
    # symmetric kinds: work with the larger log-density
    if lp == _NEG_INF and lq == _NEG_INF:
        return 0.0
    big = max(lp, lq)
    a_ = abs(lp - lq) if (lp != _NEG_INF and lq != _NEG_INF) else math.inf
    w = _exp(big + lj)
    if kind == JSD:
        if a_ == math.inf:
            return 0.5 * _LN2 * w
        return 0.5 * w * _js_weight(a_)
    if kind == TV:
        return -0.5 * w * math.expm1(-a_)
    if kind == HELLINGER:
        e = math.expm1(-0.5 * a_)
        return 0.5 * w * e * e
    return math.nan


@jit
def _noise(kind, lp, lq, f, lj, a_val, b_val, P, Q, xp, xq):
    """Round-off scale of one term ``f``, by first-order error propagation: a float64 log-density
    ``l`` carries an absolute error of about ``η = 2 eps (|l| + 1)``, plus what the density reports
    beyond that (``xp``, ``xq``: the rounding of a node's coordinate through a nonlinear map, say), so
    ``f`` moves by
    ``|∂f/∂lp| η_p + |∂f/∂lq| η_q``, plus a second-order term near ``p = q`` where both partials
    vanish. Summed like the integral this is the accuracy float64 allows; refining below it only
    chases noise."""
    if math.isinf(f):
        return 0.0
    # the weight's log lj (map Jacobian, panel width) is rounded too, and P = exp(lp + lj)
    wl = abs(lj) if lj != _NEG_INF else 0.0
    ep = 2.0 * _EPS * (abs(lp) + wl + 1.0) + xp if lp != _NEG_INF else 0.0
    eq = 2.0 * _EPS * (abs(lq) + wl + 1.0) + xq if lq != _NEG_INF else 0.0
    out = 4.0 * _EPS * abs(f)
    if kind == LINEAR:
        # each weight's relative error applies to its own part only (a vanishing part adds nothing)
        return out + abs(_scaled(lp, a_val, lj)) * ep + abs(_scaled(lq, b_val, lj)) * eq
    both = P > 0.0 and Q > 0.0
    d = lp - lq if both else math.inf
    second = max(P, Q) * (ep + eq) ** 2 if abs(d) < 1.0 else 0.0
    if kind == PEARSON or kind == NEYMAN:
        # f = w (o/w - 1)^2 (Pearson: w = q, o = p): ∂f/∂lo = 2 |o - w| o/w, ∂f/∂lw = 2|o - w| + f
        if not both:
            return out + abs(f) * max(ep, eq)
        eo, ew = (ep, eq) if kind == PEARSON else (eq, ep)
        if abs(d) > 1.0:
            return out + 3.0 * abs(f) * (ep + eq)
        o, w = (P, Q) if kind == PEARSON else (Q, P)
        return out + 2.0 * abs(o - w) * (o / w * eo + ew) + abs(f) * ew + second
    if kind == KL:
        return out + (abs(P * d) * ep if both else 0.0) + abs(Q - P) * eq + 0.5 * second
    if kind == JSD:
        if not both:
            return out + 0.5 * _LN2 * (P * ep + Q * eq)
        # |log(p/m)| <= log 2 for the larger density, <= |Δ| for the smaller one
        return out + 0.5 * (max(P, Q) * _LN2 + min(P, Q) * abs(d)) * (ep + eq) + 0.125 * second
    if kind == TV:
        return out + 0.5 * (P * ep + Q * eq)
    # HELLINGER: (sqrt p - sqrt q)^2 / 2
    g = abs(math.sqrt(P) - math.sqrt(Q))
    return out + 0.5 * g * (math.sqrt(P) * ep + math.sqrt(Q) * eq) + 0.125 * second


@jit
def terms(kind, lp, lq, a, b, lj, elp, elq, out, noise):
    """Fill ``out[i] = exp(lj[i]) * integrand(kind)`` and its round-off scale, node by node (``elp``,
    ``elq``: errors of the log-densities beyond their own rounding, see ``_noise``)."""
    for i in range(out.shape[0]):
        v = _term(kind, lp[i], lq[i], a[i], b[i], lj[i])
        out[i] = v
        P = _exp(lp[i] + lj[i]) if lp[i] != _NEG_INF else 0.0
        Q = _exp(lq[i] + lj[i]) if lq[i] != _NEG_INF else 0.0
        noise[i] = _noise(kind, lp[i], lq[i], v, lj[i], a[i], b[i], P, Q, elp[i], elq[i])


@jit
def _qp_err(resk, resg, resasc):
    """QUADPACK's error estimate ``resasc * min(1, (200 |K - G| / resasc)^1.5)`` (Piessens et al. 1983)."""
    e = abs(resk - resg)
    if resasc != 0.0 and e != 0.0:
        e = resasc * min(1.0, (200.0 * e / resasc) ** 1.5)
    return e


@jit
def gk_panels(kind, lp, lq, a, b, lj, elp, elq, wk, wg, res):
    """Gauss-Kronrod sums panel by panel, with the QUADPACK error estimate.

    Node ``j`` of panel ``i`` sits at flat index ``i * m + j`` (``m = len(wk)``); ``lj`` already holds
    the log of the map's Jacobian times the panel half-width; ``elp``, ``elq`` the log-densities' errors
    beyond their own rounding (see ``_noise``). Writes, in the rows of ``res`` (shape
    ``(12, panels)``): the Kronrod value, its error estimate ``resasc * min(1, (200 |K - G| /
    resasc)^1.5)`` (Piessens et al. 1983), the round-off scale of the panel (Kronrod-weighted sum of
    ``_noise``), ``∫|f|``, ``∫(p + q)`` (the scale round-off is judged against), and the masses
    ``∫p`` and ``∫q`` on the same nodes with their rule errors and their rounding (from that of the
    log-densities): the quadrature checks them against what they must be, so mass that the panels do
    not see cannot hide; last, the largest ``|log p - log q|`` on the panel (what KL weighs p's mass by).
    """
    m = wk.shape[0]
    f = np.empty(m)
    fp = np.empty(m)
    fq = np.empty(m)
    for i in range(res.shape[1]):
        resk = 0.0
        resg = 0.0
        rnoise = 0.0
        resabs = 0.0
        pk = pg = qk = qg = 0.0
        pnoise = qnoise = 0.0
        dmax = 0.0
        o = i * m
        for j in range(m):
            P = _exp(lp[o + j] + lj[o + j])
            Q = _exp(lq[o + j] + lj[o + j])
            if P == 0.0 and Q == 0.0 and kind <= HELLINGER:  # (χ² and LINEAR can be > 0 here)
                f[j] = fp[j] = fq[j] = 0.0
                continue
            if kind == JSD and P > 0.0 and Q > 0.0 and P < math.inf and Q < math.inf:
                big, small = max(P, Q), min(P, Q)  # the common case without a second pair of exps
                v = 0.5 * big * _js_weight_r(abs(lp[o + j] - lq[o + j]), small / big)
            else:
                v = _term(kind, lp[o + j], lq[o + j], a[o + j], b[o + j], lj[o + j])
            f[j] = v
            fp[j] = P
            fq[j] = Q
            resk += wk[j] * v
            resg += wg[j] * v
            resabs += wk[j] * abs(v)
            pk += wk[j] * P
            pg += wg[j] * P
            qk += wk[j] * Q
            qg += wg[j] * Q
            if P > 0.0 and Q > 0.0 and P < math.inf:
                dmax = max(dmax, abs(lp[o + j] - lq[o + j]))
            if P > 0.0:
                pnoise += wk[j] * P * (abs(lp[o + j]) + 1.0 + elp[o + j] / _EPS)
            if Q > 0.0:
                qnoise += wk[j] * Q * (abs(lq[o + j]) + 1.0 + elq[o + j] / _EPS)
            rnoise += wk[j] * _noise(kind, lp[o + j], lq[o + j], v, lj[o + j], a[o + j], b[o + j], P, Q,
                                     elp[o + j], elq[o + j])
        mean = 0.5 * resk
        pmean = 0.5 * pk
        qmean = 0.5 * qk
        resasc = 0.0
        pasc = 0.0
        qasc = 0.0
        for j in range(m):
            resasc += wk[j] * abs(f[j] - mean)
            pasc += wk[j] * abs(fp[j] - pmean)
            qasc += wk[j] * abs(fq[j] - qmean)
        res[0, i] = resk
        res[1, i] = _qp_err(resk, resg, resasc)
        res[2, i] = rnoise
        res[3, i] = resabs
        res[4, i] = pk + qk
        res[5, i] = pk
        res[6, i] = qk
        res[7, i] = _qp_err(pk, pg, pasc)
        res[8, i] = _qp_err(qk, qg, qasc)
        res[9, i] = 4.0 * _EPS * pnoise
        res[10, i] = 4.0 * _EPS * qnoise
        res[11, i] = dmax


@jit
def map_nodes(stype, x0, x0lo, x1, x1lo, sgn, length, seg, ta, tb, xk, anc, x, off, loff, lj):
    """Nodes of the panels ``[ta, tb]`` (in each segment's own variable ``t``) mapped to ``x``.

    Segment types: 0 linear ``x = x0 + s L t``; 1 light tail ``x = x0 + s L u``; 2 heavy tail
    ``x = x0 + s L expm1(u)``; 3 singular end ``x = x0 + s L exp(-u)``, with ``u = t / (1 - t)``.
    ``x0lo`` is the part of a segment's start that ``x0`` cannot hold (0 but at kinks between floats).
    A linear segment's nodes past its middle are anchored at its far end ``x1`` (``x1lo`` as ``x0lo``):
    ``x = x1 - s L (1 - t)``, so a segment edge is the same float for the two segments that meet there,
    whatever the rounding of ``L`` or of the edge's distance to a density's location.
    Writes the anchor ``anc`` and signed offset ``off`` of each node (``x = anc + off``), ``loff = log |off|``
    on singular-end segments (exact even where the offset itself underflows: densities evaluate those
    nodes through it; 0 elsewhere) and ``lj = log |dx/dt| + log(half-width)``.
    """
    m = xk.shape[0]
    for i in range(seg.shape[0]):
        k = seg[i]
        c = 0.5 * (ta[i] + tb[i])
        hw = 0.5 * (tb[i] - ta[i])
        st = stype[k]
        length_k = length[k]
        log_len = math.log(length_k)
        base = log_len + math.log(hw)
        # panel edges are dyadic, so 1 - c is exact: 1 - t keeps its relative accuracy near t = 1, where
        # u = t / (1 - t) (and the weight) would otherwise carry the rounding of t magnified 1/(1 - t) times
        omc = 1.0 - c
        for j in range(m):
            t = c + hw * xk[j]
            ld = 0.0
            o = i * m + j
            if st == 0:
                l = base
                if t > 0.5:
                    anc[o] = x1[k]
                    off[o] = x1lo[k] - sgn[k] * (length_k * (omc - hw * xk[j]))
                else:
                    anc[o] = x0[k]
                    off[o] = x0lo[k] + sgn[k] * (length_k * t)
                x[o] = anc[o] + off[o]
                loff[o] = 0.0
                lj[o] = l
                continue
            omt = omc - hw * xk[j]
            u = t / omt
            l1 = -2.0 * math.log(omt)
            if st == 1:
                d = length_k * u
                l = base + l1
            elif st == 2:
                cap = 700.0 - max(log_len, 0.0)
                d = length_k * math.expm1(min(u, cap))
                l = base + u + l1 if u < cap else _NEG_INF
            else:
                # no cap: below 1e-308 the offset underflows, but its log (and the weight) do not
                d = length_k * _exp(-u)
                l = base - u + l1
                ld = log_len - u
            anc[o] = x0[k]
            off[o] = x0lo[k] + sgn[k] * d
            x[o] = x0[k] + off[o]
            loff[o] = ld
            lj[o] = l


#: Monte Carlo integrands (mc_sums): per sample, with ℓ = lp - lq.
MC_KL, MC_JSD, MC_TV, MC_HELLINGER, MC_LOG2D, MC_LOG2_1MD = range(6)


@jit
def mc_sums(kind, lp, lq, shift, out):
    """Accumulate Monte Carlo moments of one chunk into ``out`` (5 floats).

    ``MC_KL`` (samples from p): ``g = lp - lq`` and the control variate ``h = expm1(lq - lp)`` (mean 0
    when q lives inside p's support); ``out += [Σg, Σh, Σg², Σh², Σgh]`` with ``g`` taken about
    ``shift`` to keep the sums of squares accurate. The other kinds use samples of the mixture
    ``M = (p + q)/2`` and ``D = sigmoid(ℓ)``: ``MC_JSD`` ``f = log 2 + D log D + (1-D) log(1-D)``,
    ``MC_TV`` ``f = |2D - 1|``, ``MC_HELLINGER`` ``f = 1 - 2 sqrt(D (1 - D))``; ``out += [Σf, 0, Σf², 0, 0]``.
    ``MC_LOG2D`` and ``MC_LOG2_1MD`` are the plain JSD terms ``log 2D`` (samples from p) and
    ``log 2(1 - D)`` (samples from q).
    """
    for i in range(lp.shape[0]):
        a, b = lp[i], lq[i]
        if kind == MC_KL:
            if a == _NEG_INF:
                continue
            if b == _NEG_INF:
                out[0] = math.inf
                continue
            g = a - b - shift
            h = math.expm1(b - a)
            out[0] += g
            out[1] += h
            out[2] += g * g
            out[3] += h * h
            out[4] += g * h
            continue
        if kind == MC_LOG2D or kind == MC_LOG2_1MD:
            ell = (a - b) if kind == MC_LOG2D else (b - a)  # log D = -softplus(-ℓ)
            if ell == math.inf:
                f = _LN2
            else:
                f = _LN2 - (max(-ell, 0.0) + math.log1p(_exp(-abs(ell))))
        elif a == _NEG_INF and b == _NEG_INF:
            f = 0.0
        else:
            ell = a - b
            if ell == math.inf or ell == -math.inf:
                f = _LN2 if kind == MC_JSD else 1.0  # one density only: D is 0 or 1
            else:
                # with e = exp(-|ℓ|): D log D + (1-D) log(1-D) = -log1p(e) - |ℓ| e/(1+e) (either sign)
                al = abs(ell)
                e = _exp(-al)
                if kind == MC_JSD:
                    f = _LN2 - math.log1p(e) - al * e / (1.0 + e)
                elif kind == MC_TV:
                    f = (1.0 - e) / (1.0 + e)  # |2D - 1| = |tanh(ℓ/2)|
                else:
                    r = 1.0 - math.sqrt(e)
                    f = r * r / (1.0 + e)  # 1 - 2 sqrt(D (1 - D))
        f -= shift
        out[0] += f
        out[2] += f * f
