"""The compiled path of one-dimensional divergences: one numba call per result.

The built-in families (normal, Laplace, Cauchy, Student-t, uniform, and finite mixtures of them) are
described to numba as a table with one row per component::

    family, log weight, loc, scale, shape, log normaliser, aux

(uniform: ``loc = low``, ``scale = width``, ``shape = high``; Student-t: ``shape = df``,
``aux = scale sqrt(df)``). :func:`adaptive` then builds the segments from the table (the same panel
edges, tail maps and geometric steps as :class:`gantheory.quadrature._Geometry`), refines panels
largest error first with the 21-point Gauss-Kronrod rule and the kernels of :mod:`gantheory._kernels`,
and returns the panel sums; :func:`gantheory.quadrature._conclude` turns them into an ``Estimate``
exactly as for the Python path (mass check, charges, round-off floor, warnings). Anything the table
cannot describe (Beta, grid densities, pushforwards, scipy adapters, user integrands) takes the Python
path, which has the same invariants.
"""

import math

import numpy as np
from numba import njit

from . import _kernels as K

NORMAL, LAPLACE, CAUCHY, STUDENT, UNIFORM = range(5)
_FAM, _LOGW, _LOC, _SCALE, _SHAPE, _LNORM, _AUX = range(7)
NCOL = 7

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
_NEG_INF = -math.inf
_FLT_MAX = float(np.finfo(float).max)
_LIN, _LIGHT, _HEAVY = 0, 1, 2
_MIN_WIDTH = 1e-13
_ROWS = 12
_VAL, _ERR, _NOISE, _ABS, _MASS, _MP, _MQ = 0, 1, 2, 3, 4, 5, 6
_EP, _NP, _DMAX = 7, 9, 11
# standardised landmarks (as in gantheory.densities): bulk points and, for light tails, tail quantiles
_LANDMARK_Z = np.array([-10.0, -6.0, -2.5, -1.0, 0.0, 1.0, 2.5, 6.0, 10.0])
_NORMAL_Z = np.concatenate([_LANDMARK_Z, [-12.0, 12.0]])
_LAPLACE_Z = np.concatenate([_LANDMARK_Z, [-72.0, -40.0, -20.0, 20.0, 40.0, 72.0]])

# status of a result
OK, INFINITE, UNDEFINED = 0, 1, 2


# ------------------------------------------------------------------------------------ log-densities
@njit(**_JIT)
def _log1p_square_ratio(d, s):
    """``log(1 + (d/s)^2)``, also where ``d / s`` overflows (from the logs far out)."""
    ad = abs(d)
    z = ad / s
    if z < 1e150:
        return math.log1p(z * z)
    big = max(ad, 1e150 * s)
    r = s / big
    return 2.0 * (math.log(big) - math.log(s)) + math.log1p(r * r)


@njit(**_JIT)
def _component(T, i, x0, off):
    """``log`` of component ``i``'s density (without its weight) at ``x0 + off``, from ``(x0 - loc) + off``."""
    fam = int(T[i, _FAM])
    if fam == UNIFORM:
        if (x0 - T[i, _LOC]) + off >= 0.0 and (x0 - T[i, _SHAPE]) + off <= 0.0:
            return -T[i, _LNORM]
        return _NEG_INF
    d = (x0 - T[i, _LOC]) + off
    if fam == NORMAL:
        z = d / T[i, _SCALE]
        return -0.5 * z * z - T[i, _LNORM]
    if fam == LAPLACE:
        return -abs(d / T[i, _SCALE]) - T[i, _LNORM]
    if fam == CAUCHY:
        return -_log1p_square_ratio(d, T[i, _SCALE]) - T[i, _LNORM]
    return T[i, _LNORM] - 0.5 * (T[i, _SHAPE] + 1.0) * _log1p_square_ratio(d, T[i, _AUX])


@njit(**_JIT)
def logpdf(T, x0, off, clamp, out):
    """``out[j] = log p(x0[j] + off[j])`` of the density ``T`` (mixtures by log-sum-exp). ``clamp``: a
    light tail whose log overflowed at a finite point reads ``-1.8e308`` (KL's ``q``), not ``-inf``."""
    n = T.shape[0]
    for j in range(off.shape[0]):
        m = _NEG_INF
        for i in range(n):
            v = _component(T, i, x0[j], off[j])
            if clamp and v == _NEG_INF and int(T[i, _FAM]) <= LAPLACE and math.isfinite(x0[j] + off[j]):
                v = -_FLT_MAX
            v += T[i, _LOGW]
            m = max(m, v)
        if n == 1 or m == _NEG_INF:
            out[j] = m
            continue
        s = 0.0
        for i in range(n):
            v = _component(T, i, x0[j], off[j])
            if clamp and v == _NEG_INF and int(T[i, _FAM]) <= LAPLACE and math.isfinite(x0[j] + off[j]):
                v = -_FLT_MAX
            s += math.exp(v + T[i, _LOGW] - m)
        out[j] = m + math.log(s)


# ----------------------------------------------------------------------------------------- geometry
@njit(**_JIT)
def _hints(T):
    """``(low, high, scale, heavy, points)`` of the density ``T``: its support, bulk scale, tail class
    and panel edges (landmarks, kinks, finite component ends)."""
    lo, hi, scale, heavy = math.inf, -math.inf, 0.0, False
    pts = []
    for i in range(T.shape[0]):
        fam = int(T[i, _FAM])
        loc, sc = T[i, _LOC], T[i, _SCALE]
        if fam == UNIFORM:
            lo, hi = min(lo, loc), max(hi, T[i, _SHAPE])
            pts.append(loc)
            pts.append(T[i, _SHAPE])
            pts.append(0.5 * (loc + T[i, _SHAPE]))
        else:
            lo, hi = -math.inf, math.inf
            z = _NORMAL_Z if fam == NORMAL else _LAPLACE_Z if fam == LAPLACE else _LANDMARK_Z
            for k in range(z.shape[0]):
                pts.append(loc + sc * z[k])
            if fam == LAPLACE:
                pts.append(loc)
            heavy = heavy or fam >= CAUCHY
        scale = max(scale, sc)
    return lo, hi, scale, heavy, pts


@njit(**_JIT)
def _geometric(pts, scale):
    """Points at 4, 16, 64, ... scales inside every gap longer than 64 scales, from both of its ends."""
    gaps = np.diff(pts)
    widest = 0.0
    for g in gaps:
        if g > 64.0 * scale:
            widest = max(widest, g)
    if widest == 0.0:
        return pts
    widest = min(widest, _FLT_MAX)
    top = int(math.floor((math.log(widest) - math.log(scale)) / math.log(4.0)))
    steps = np.exp(math.log(scale) + math.log(4.0) * np.arange(1, 1 + top))
    extra = list(pts)
    for i in range(gaps.shape[0]):
        if gaps[i] > 64.0 * scale:
            a, b = pts[i], pts[i + 1]
            for s in steps:
                if s < 0.5 * (b - a):
                    extra.append(a + s)
                    extra.append(b - s)
    out = np.unique(np.array(extra))
    return out[np.isfinite(out)]


@njit(**_JIT)
def geometry(TP, TQ, breaks):
    """Segments ``(stype, x0, x0lo, sgn, length)`` over the union of the two supports, with the extra
    panel edges ``breaks``."""
    lp, hp, sp, vp, pp = _hints(TP)
    lq, hq, sq, vq, pq = _hints(TQ)
    lo, hi = min(lp, lq), max(hp, hq)
    raw = []
    for v in pp:
        raw.append(v)
    for v in pq:
        raw.append(v)
    for v in breaks:
        raw.append(v)
    keep = []
    for v in raw:
        if v >= lo and v <= hi and math.isfinite(v):
            keep.append(v)
    pts = np.unique(np.array(keep)) if len(keep) else np.zeros(1)
    scale = max(sp, sq)
    step = scale
    if vp:
        step = min(step, sp)
    if vq:
        step = min(step, sq)
    pts = _geometric(pts, step)
    left, right = lo == -math.inf, hi == math.inf
    n = pts.shape[0] - 1
    nseg = n + int(left) + int(right)
    stype = np.zeros(nseg, np.int64)
    x0, x0lo, sgn, length = np.empty(nseg), np.zeros(nseg), np.ones(nseg), np.empty(nseg)
    o = int(left)
    for k in range(n):
        x0[o + k] = pts[k]
        length[o + k] = pts[k + 1] - pts[k]
    tail = _HEAVY if (vp or vq) else _LIGHT
    if left:
        stype[0], x0[0], sgn[0], length[0] = tail, pts[0], -1.0, scale
    if right:
        stype[nseg - 1], x0[nseg - 1], sgn[nseg - 1], length[nseg - 1] = tail, pts[-1], 1.0, scale
    return stype, x0, x0lo, sgn, length


# --------------------------------------------------------------------------------------- the engine
@njit(**_JIT)
def _evaluate(kind, TP, TQ, stype, x0, x0lo, sgn, length, seg, ta, tb, xk, wk, wg):
    """Map the panels' nodes, evaluate both densities there and return the per-panel sums and the
    log-densities (for the sensitivity of KL and χ² to missed mass)."""
    m = xk.shape[0]
    npts = seg.shape[0] * m
    x, off, loff, lj = np.empty(npts), np.empty(npts), np.empty(npts), np.empty(npts)
    K.map_nodes(stype, x0, x0lo, sgn, length, seg, ta, tb, xk, x, off, loff, lj)
    anchors = np.empty(npts)
    for i in range(seg.shape[0]):
        anchors[i * m:(i + 1) * m] = x0[seg[i]]
    lp, lq = np.empty(npts), np.empty(npts)
    logpdf(TP, anchors, off, False, lp)
    logpdf(TQ, anchors, off, kind == K.KL, lq)
    zero = np.zeros(npts)
    res = np.empty((_ROWS, seg.shape[0]))
    K.gk_panels(kind, lp, lq, zero, zero, lj, zero, zero, wk, wg, res)
    return res, lp, lq


@njit(**_JIT)
def _sensitivity(kind, lp, lq):
    """Twice the largest value a unit of mass adds to the integrand at these nodes (see
    ``gantheory.quadrature._sensitivity``)."""
    best, seen = 0.0, False
    for j in range(lp.shape[0]):
        if lp[j] == _NEG_INF or lq[j] == _NEG_INF:
            continue
        d = abs(lp[j] - lq[j])
        v = d + 1.0 if kind == K.KL else math.exp(min(d, 700.0)) + 1.0
        if v == v:
            best = max(best, v)
            seen = True
    return 2.0 * best if seen else math.inf


@njit(**_JIT)
def adaptive(kind, TP, TQ, breaks, rtol, atol, max_panels, max_rounds, xk, wk, wg, per_mass):
    """Adaptive Gauss-Kronrod quadrature of ``kind`` between the densities ``TP`` and ``TQ``.

    Returns ``(sums, exact, neval, sens, converged, roundoff, etot, beyond, status, sign)``: the sums of
    the final panels' rows (see ``gantheory._kernels.gk_panels``), the value and the two masses summed
    accurately, the evaluation count, the sensitivity to
    missed mass, whether the loop met the tolerance, the round-off flag (20: limited by round-off),
    the error estimate so far, the bound on what heavy tails leave beyond the float64 range, and a
    status (``INFINITE`` with the sign of the infinite value, ``UNDEFINED`` for NaN)."""
    stype, x0, x0lo, sgn, length = geometry(TP, TQ, breaks)
    nseg = stype.shape[0]
    if max_panels <= 0:
        max_panels = max(20_000, 4 * nseg)
    ntail = 0
    for k in range(nseg):
        if stype[k] != _LIN:
            ntail += 1
    nn = nseg + ntail
    seg, ta, tb = np.empty(nn, np.int64), np.zeros(nn), np.ones(nn)
    j = nseg
    for k in range(nseg):
        seg[k] = k
        if stype[k] != _LIN:
            tb[k] = 0.5
            seg[j], ta[j], tb[j] = k, 0.5, 1.0
            j += 1
    cap = 2 * nn + 64
    PS, PA, PB = np.empty(cap, np.int64), np.empty(cap), np.empty(cap)
    R = np.empty((_ROWS, cap))
    n = 0
    parents = np.empty((_ROWS, 0))
    neval, sens, roundoff, converged = 0, 0.0, 0, False
    etot = 0.0
    for rnd in range(max_rounds):
        res, lp, lq = _evaluate(kind, TP, TQ, stype, x0, x0lo, sgn, length, seg, ta, tb, xk, wk, wg)
        neval += lp.shape[0]
        if not per_mass:
            sens = max(sens, _sensitivity(kind, lp, lq))
        npos = nneg = 0
        for i in range(res.shape[1]):
            v = res[_VAL, i]
            if v != v:
                return np.zeros(_ROWS), (0.0, 0.0, 0.0), neval, sens, False, 0, 0.0, 0.0, UNDEFINED, 0.0
            if v == math.inf:
                npos += 1
            elif v == -math.inf:
                nneg += 1
        if npos and nneg:
            return np.zeros(_ROWS), (0.0, 0.0, 0.0), neval, sens, False, 0, 0.0, 0.0, UNDEFINED, 0.0
        if npos or nneg:
            return np.zeros(_ROWS), (0.0, 0.0, 0.0), neval, sens, True, 0, 0.0, 0.0, INFINITE, 1.0 if npos else -1.0
        if kind == K.KL:
            for i in range(res.shape[1]):
                res[_ERR, i] += res[_DMAX, i] * res[_EP, i]
                res[_NOISE, i] += res[_DMAX, i] * res[_NP, i]
        if parents.shape[1]:
            half = res.shape[1] // 2
            for i in range(half):
                cval = res[_VAL, i] + res[_VAL, i + half]
                cerr = res[_ERR, i] + res[_ERR, i + half]
                if abs(cval - parents[_VAL, i]) <= 1e-5 * abs(cval) and cerr >= 0.99 * parents[_ERR, i]:
                    roundoff += 1
        k = res.shape[1]
        if n + k > cap:
            cap = 2 * (n + k)
            PS2, PA2, PB2, R2 = np.empty(cap, np.int64), np.empty(cap), np.empty(cap), np.empty((_ROWS, cap))
            PS2[:n], PA2[:n], PB2[:n], R2[:, :n] = PS[:n], PA[:n], PB[:n], R[:, :n]
            PS, PA, PB, R = PS2, PA2, PB2, R2
        PS[n:n + k], PA[n:n + k], PB[n:n + k], R[:, n:n + k] = seg, ta, tb, res
        n += k
        sums = np.zeros(_ROWS)
        for r in range(_ROWS):
            for i in range(n):
                sums[r] += R[r, i]
        disc = sums[_ERR]
        tol = max(atol, rtol * sums[_ABS])
        floor = sums[_NOISE]
        etot = disc + floor
        if disc <= max(tol, floor):
            converged = floor <= max(tol, 1e-14 * sums[_MASS])
            roundoff = 0 if converged else 20
            break
        if roundoff >= 20 or rnd == max_rounds - 1:
            break
        errs = R[_ERR, :n]
        order = np.argsort(errs)[::-1]
        cum = np.cumsum(errs[order])
        kk = int(np.searchsorted(cum, disc - 0.5 * tol)) + 1
        pick = []
        for i in order[:kk]:
            if PB[i] - PA[i] > _MIN_WIDTH:
                pick.append(i)
        if len(pick) == 0 or n + len(pick) > max_panels:
            break
        h = len(pick)
        seg, ta, tb = np.empty(2 * h, np.int64), np.empty(2 * h), np.empty(2 * h)
        parents = np.empty((_ROWS, h))
        gone = np.zeros(n, np.bool_)
        for c in range(h):
            i = pick[c]
            mid = 0.5 * (PA[i] + PB[i])
            seg[c], ta[c], tb[c] = PS[i], PA[i], mid
            seg[c + h], ta[c + h], tb[c + h] = PS[i], mid, PB[i]
            parents[:, c] = R[:, i]
            gone[i] = True
        w = 0
        for i in range(n):
            if not gone[i]:
                PS[w], PA[w], PB[w] = PS[i], PA[i], PB[i]
                R[:, w] = R[:, i]
                w += 1
        n = w
    beyond = _beyond_float_range(kind, TP, TQ, stype, x0, x0lo, sgn, length, xk, wk, wg)
    sums = np.zeros(_ROWS)
    for r in range(_ROWS):
        for i in range(n):
            sums[r] += R[r, i]
    exact = (_accurate_sum(R[_VAL, :n]), _accurate_sum(R[_MP, :n]), _accurate_sum(R[_MQ, :n]))
    return sums, exact, neval, sens, converged, roundoff, etot, beyond, OK, 0.0


@njit(**_JIT)
def _accurate_sum(v):
    """Neumaier's compensated sum: within about ``eps`` of the sum's size, whatever the order of the terms."""
    s, c = 0.0, 0.0
    for x in v:
        t = s + x
        if abs(s) >= abs(x):
            c += (s - t) + x
        else:
            c += (x - t) + s
        s = t
    return s + c


@njit(**_JIT)
def _beyond_float_range(kind, TP, TQ, stype, x0, x0lo, sgn, length, xk, wk, wg):
    """What heavy-tail segments leave out past their cap (see
    ``gantheory.quadrature._beyond_float_range``)."""
    heavy = np.flatnonzero(stype == _HEAVY)
    if heavy.shape[0] == 0:
        return 0.0
    ta, tb = np.empty(heavy.shape[0]), np.empty(heavy.shape[0])
    for i in range(heavy.shape[0]):
        cap = 700.0 - max(math.log(length[heavy[i]]), 0.0)
        tb[i] = cap / (1.0 + cap) * (1.0 - 1e-12)
        ta[i] = tb[i] * (1.0 - 1e-9)
    res, _, _ = _evaluate(kind, TP, TQ, stype, x0, x0lo, sgn, length, heavy, ta, tb, xk, wk, wg)
    out = 0.0
    for i in range(heavy.shape[0]):
        cap = 700.0 - max(math.log(length[heavy[i]]), 0.0)
        out += abs(res[_VAL, i]) / (tb[i] - ta[i]) * (1.0 - tb[i]) ** 2 * cap
    return out if math.isfinite(out) else math.inf


# ----------------------------------------------------------------------------------- description
def _rows(d):
    """The component rows of a density, or None when the compiled path cannot describe it."""
    from . import densities as D

    t = type(d)
    if t is D.Normal:
        return [(NORMAL, 0.0, d.loc, d.scale, 0.0, d._lognorm, 0.0)]
    if t is D.Laplace:
        return [(LAPLACE, 0.0, d.loc, d.scale, 0.0, math.log(2.0 * d.scale), 0.0)]
    if t is D.Cauchy:
        return [(CAUCHY, 0.0, d.loc, d.scale, 0.0, math.log(math.pi * d.scale), 0.0)]
    if t is D.StudentT:
        return [(STUDENT, 0.0, d.loc, d.scale, d.df, d._lognorm, d.scale * math.sqrt(d.df))]
    if t is D.Uniform:
        return [(UNIFORM, 0.0, d.low, d._width, d.high, math.log(d._width), 0.0)]
    if t is D.Mixture:
        out = []
        for c, lw in zip(d._active, d._logw.tolist()):
            rows = _rows(c)
            if rows is None:
                return None
            out += [(r[0], r[1] + lw, *r[2:]) for r in rows]
        return out
    return None


def table(d):
    """The density ``d`` as a component table (float array, one row per component), or None."""
    rows = _rows(d)
    return None if rows is None else np.array(rows, dtype=float)
