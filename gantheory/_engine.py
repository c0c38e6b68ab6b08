"""The compiled path of one-dimensional divergences: one numba call per result.

The built-in families (normal, Laplace, Cauchy, Student-t, uniform, Beta, grid densities, and finite
mixtures of them) are described to numba as a table with one row per component::

    family, log weight, loc, scale, shape, log normaliser, aux, form, mode, antimode, log mode, far0, far1,
    map, skew, tailweight, mapped scale

(uniform: ``loc = low``, ``scale = width``, ``shape = high``; Student-t: ``shape = df``,
``aux = scale sqrt(df)``; Beta: ``loc`` and ``scale`` its mean and standard deviation, ``shape = a``,
``aux = b``, with ``a, b >= 10`` the form written about the mode, and the two far landmarks, as in
:class:`gantheory.densities.Beta`; a grid density: a header with its node count in ``shape``, then one
row per node, ``x_k, h_k, v_k, slope_k`` in the columns of ``loc, scale, shape, log normaliser``; a
location-scale base through ``Exp`` or ``SinhArcsinh``: its own row with the map, its parameters and the
pushforward's scale).
:func:`adaptive` then builds the segments from the table (the same panel edges, tail maps, geometric
steps and singular-end maps as :class:`gantheory.quadrature._Geometry`), refines panels
largest error first with the 21-point Gauss-Kronrod rule and the kernels of :mod:`gantheory._kernels`,
and returns the panel sums; :func:`gantheory.quadrature._conclude` turns them into an ``Estimate``
exactly as for the Python path (mass check, charges, round-off floor, warnings). Anything the table
cannot describe (pushforwards of other bases, grids of more than 2^17 cells, scipy adapters, user
integrands) takes the Python path, which has the same invariants.
"""

import math

import numpy as np

from . import _kernels as K

NORMAL, LAPLACE, CAUCHY, STUDENT, UNIFORM, BETA, GRID, NODE = range(8)
_FAM, _LOGW, _LOC, _SCALE, _SHAPE, _LNORM, _AUX, _FORM, _MODE, _ANTI, _LMODE, _FAR0, _FAR1 = range(13)
_MAP, _SKEW, _TW, _MSCALE = range(13, 17)
NCOL = 17
NCOL_BASE = 7  # the columns of a location-scale component
#: how a location-scale component is mapped: not at all (or affinely), ``x = e^z``, the sinh-arcsinh map
_AFFINE, _EXP, _SINH = 0.0, 1.0, 2.0
_LOG2 = math.log(2.0)
_PLAIN, _NEAR_ZERO, _NEAR_ONE = 0.0, 1.0, 2.0  # a Beta's form: plain, or written about a mode below/above 1/2

_INT64_MIN = np.int64(-(2**63))
_EPS = float(np.finfo(float).eps)
_NEG_INF = -math.inf
_FLT_MAX = float(np.finfo(float).max)
_LIN, _LIGHT, _HEAVY, _SING = 0, 1, 2, 3
_TINY = 1e-290
_MIN_WIDTH = 1e-13
_ROWS = 12
_VAL, _ERR, _NOISE, _ABS, _MASS, _MP, _MQ = 0, 1, 2, 3, 4, 5, 6
_EP, _EQ, _NP, _DMAX = 7, 8, 9, 11
#: Standardised landmarks of the normal, Laplace and heavy-tailed families, and whether light tails
#: start as two panels: ``PYTHON`` as in gantheory.densities (the Python path's panels exactly), ``FAST``
#: thinned to the bulk and the tail quantiles, each light tail one panel (nothing lies beyond its start),
#: and landmarks within 1.5 scales of another merged (see ``_thinned``). A narrow component inside another
#: density's wide panel is seen only out to its outermost landmarks, so what it holds beyond them must be
#: negligible even when amplified: KL weighs it by the log-ratio, and by ``1/w`` where it is a mixture
#: component of weight ``w`` in ``q``. A normal keeps 1.5e-23 of its mass beyond 10 scales (``FAST``;
#: 8 scales, 6e-16, was measured to be too few). ``sqrt(p q)`` of Hellinger decays at half the rate in
#: the exponent, so it keeps the normal's landmarks out to 12 scales (``FAST_SQRT``; 1e-33 beyond), as
#: the Laplace's reach 72 (e^-36 of the square root's).
_BULK = np.array([-10.0, -6.0, -2.5, -1.0, 0.0, 1.0, 2.5, 6.0, 10.0])
PYTHON = (np.concatenate([_BULK, [-12.0, 12.0]]), np.concatenate([_BULK, [-72.0, -40.0, -20.0, 20.0, 40.0, 72.0]]),
          _BULK, True, 0.0, _BULK)
_FAST_LAPLACE = np.array([-72.0, -40.0, -20.0, -8.0, -2.5, 0.0, 2.5, 8.0, 20.0, 40.0, 72.0])
_FAST_HEAVY = np.array([-10.0, -2.5, 0.0, 2.5, 10.0])
_FAST_NORMAL = np.array([-10.0, -6.0, -2.5, 0.0, 2.5, 6.0, 10.0])
FAST = (_FAST_NORMAL, _FAST_LAPLACE, _FAST_HEAVY, False, 1.5, _BULK)
FAST_SQRT = (np.array([-12.0, -6.0, -2.5, 0.0, 2.5, 6.0, 12.0]), _FAST_LAPLACE, _FAST_HEAVY, False, 1.5, _BULK)


# status of a result
OK, INFINITE, UNDEFINED = 0, 1, 2


# ------------------------------------------------------------------------------------ log-densities
@K.jit
def _log1p_square_ratio(d, s):
    """``log(1 + (d/s)^2)``, also where ``d / s`` overflows (from the logs far out)."""
    ad = abs(d)
    z = ad / s
    if z < 1e150:
        return math.log1p(z * z)
    big = max(ad, 1e150 * s)
    r = s / big
    return 2.0 * (math.log(big) - math.log(s)) + math.log1p(r * r)


@K.jit
def _beta_logs(T, i, logx, log1mx):
    """A Beta's plain log-density from ``log x`` and ``log(1 - x)`` (an exponent of 0 contributes 0), and
    the terms whose rounding it carries (see :func:`_beta`)."""
    a1, b1 = T[i, _SHAPE] - 1.0, T[i, _AUX] - 1.0
    ta = 0.0 if a1 == 0.0 else a1 * logx
    tb = 0.0 if b1 == 0.0 else b1 * log1mx
    return ta + tb - T[i, _LNORM], abs(T[i, _LNORM]) + abs(ta) + abs(tb)


@K.jit
def _beta_centred(T, i, x, y):
    """A Beta with ``a, b >= 10`` at ``x`` (``y = 1 - x``), written about its mode (see
    ``gantheory.densities.Beta._logpdf_centred``), and the terms whose rounding it carries."""
    if T[i, _FORM] == _NEAR_ZERO:
        u, v, um, vm, au, av = x, y, T[i, _MODE], T[i, _ANTI], T[i, _SHAPE] - 1.0, T[i, _AUX] - 1.0
    else:
        u, v, um, vm, au, av = y, x, T[i, _ANTI], T[i, _MODE], T[i, _AUX] - 1.0, T[i, _SHAPE] - 1.0
    du = u - um
    lu = math.log1p(du / um) if abs(du) < 0.5 * um else (math.log(u / um) if u > 0.0 else _NEG_INF)
    lv = math.log1p(-du / vm) if abs(du) < 0.5 * vm else (math.log(v / vm) if v > 0.0 else _NEG_INF)
    return T[i, _LMODE] + au * lu + av * lv, abs(T[i, _LMODE]) + au * abs(lu) + av * abs(lv)


@K.jit
def _beta(T, i, x0, off, hook, loff):
    """``log`` of the Beta component ``i`` at ``x0 + off``, and its error: ``2 eps`` times the terms of size
    up to ``a |log x|`` that cancel in it (``gantheory.densities.Beta._logpdf_err``). Next to a singular
    end (``hook``, anchored at 0 or 1) it is evaluated through the offset (``loff = log |off|`` where the
    offset underflowed), which is exact: no error is reported there."""
    if hook and (x0 == 0.0 or x0 == 1.0):
        if T[i, _FORM] != _PLAIN:
            x = off if x0 == 0.0 else 1.0 + off
            y = 1.0 - off if x0 == 0.0 else -off
            if not (x >= 0.0 and y >= 0.0):
                return _NEG_INF, 0.0
            if abs(off) < _TINY:  # the log of the distance to the end is still exact
                power = (T[i, _SHAPE] if x0 == 0.0 else T[i, _AUX]) - 1.0
                return power * min(loff, 0.0) - T[i, _LNORM], 0.0
            return _beta_centred(T, i, min(x, 1.0), min(y, 1.0))[0], 0.0
        if not ((off >= 0.0 if x0 == 0.0 else off <= 0.0) and abs(off) <= 1.0):
            return _NEG_INF, 0.0
        near, far = min(loff, 0.0), math.log1p(-min(abs(off), 1.0))
        return (_beta_logs(T, i, near, far) if x0 == 0.0 else _beta_logs(T, i, far, near))[0], 0.0
    # 1 - x from an anchor at or above 1/2 without the rounding of x (see gantheory.densities.Beta._logpdf_split)
    x = x0 + off
    high = x0 >= 0.5
    y = (1.0 - x0) - off if high else 1.0 - x
    if not (x >= 0.0 and x <= 1.0 and y >= 0.0):
        return _NEG_INF, 0.0
    y = min(y, 1.0)
    if T[i, _FORM] != _PLAIN:
        v, terms = _beta_centred(T, i, x, y)
    else:
        ly = (math.log(y) if y > 0.0 else _NEG_INF) if high else (math.log1p(-x) if x < 1.0 else _NEG_INF)
        v, terms = _beta_logs(T, i, math.log(x) if x > 0.0 else _NEG_INF, ly)
    err = 2.0 * _EPS * terms
    return v, (err if math.isfinite(err) else 0.0)


@K.jit
def _grid(T, i, x0, off, hook, loff, guess=0):
    """``log`` of the grid density whose header is row ``i`` (its ``m`` nodes follow as rows ``x_k, h_k,
    v_k, slope_k``) at ``x0 + off``: the interpolant in the cell of the rounded node, from its left node
    through ``(x0 - x_k) + off`` (see ``gantheory.densities.GridDensity._logpdf_split``). Next to a node
    where it reaches 0 (``hook``), ``|slope| |off|`` through ``loff = log |off|``, exact where the offset
    underflows (``GridDensity._logpdf_offset``). ``guess``: a cell row to try first (the previous node's:
    the nodes of a panel share one cell); returns the log and the cell row."""
    m = int(T[i, _SHAPE])
    a, b = i + 1, i + m  # the first and last node rows
    x = x0 + off
    if hook:
        lo, hi = a, b  # the node at x0 (the first at or above it)
        while lo < hi:
            mid = (lo + hi) // 2
            if T[mid, _LOC] < x0:
                lo = mid + 1
            else:
                hi = mid
        if T[lo, _LOC] == x0 and T[lo, _SHAPE] == 0.0:
            up = math.copysign(1.0, off) > 0.0
            ok = lo < b if up else lo > a
            if ok:
                c = lo if up else lo - 1
                slope = T[c, _LNORM] if up else -T[c, _LNORM]
                if abs(off) < T[c, _SCALE]:
                    return (math.log(slope) if slope > 0.0 else _NEG_INF) + loff, c
        x0, off = x, 0.0  # (beyond the cell the offset form does not apply; such offsets do not underflow)
    if not (x >= T[a, _LOC] and x <= T[b, _LOC]):
        return _NEG_INF, guess
    # the cell: the last node at or below x, at most the last cell
    if a <= guess < b and T[guess, _LOC] <= x and (x < T[guess + 1, _LOC] or guess == b - 1):
        lo = guess
    else:
        lo, hi = a, b - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if T[mid, _LOC] <= x:
                lo = mid
            else:
                hi = mid - 1
    t = min(max((x0 - T[lo, _LOC]) + off, 0.0), T[lo, _SCALE])
    v = T[lo, _SHAPE] + T[lo, _LNORM] * t
    return (math.log(v) if v > 0.0 else _NEG_INF), lo


@K.jit
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


@K.jit
def _score(T, i, z):
    """``d/dz log`` of the location-scale component ``i`` at ``z`` (as ``gantheory.densities``)."""
    fam = int(T[i, _FAM])
    sc = T[i, _SCALE]
    u = (z - T[i, _LOC]) / sc
    if fam == NORMAL:
        return -u / sc
    if fam == LAPLACE:
        return -(1.0 if u > 0.0 else -1.0 if u < 0.0 else 0.0) / sc
    if fam == CAUCHY:
        return (-2.0 / (u + 1.0 / u) if abs(u) > 1.0 else -2.0 * u / (1.0 + u * u)) / sc
    nu = T[i, _SHAPE]
    return -(nu + 1.0) * (1.0 / (u + nu / u) if abs(u) > 1.0 else u / (nu + u * u)) / sc


@K.jit
def _forward(T, i, z):
    """The map ``G`` of a mapped component at the base point ``z``."""
    if T[i, _MAP] == _EXP:
        return math.exp(z) if z < 710.0 else math.inf
    v = T[i, _TW] * math.asinh(z) + T[i, _SKEW]
    return math.sinh(v) if abs(v) < 711.0 else math.copysign(math.inf, v)


@K.jit
def _mapped(T, i, x0, off, hook, loff, moved):
    """``log`` of the component ``i``, a location-scale base pushed through ``x = e^z`` or the sinh-arcsinh
    map, at ``x0 + off`` (``gantheory.transforms.Pushforward``): ``log p_z(G^-1(x)) + log |dG^-1/dx|``
    at the rounded node, and at the end 0 of ``e^z`` through ``z = log |off|`` (exact where the offset
    underflows). With ``moved`` (the bounded integrands), also the error from the rounding of
    ``z = G^-1(x)`` through the sinh-arcsinh map (``Pushforward._logpdf_moved``)."""
    x = x0 + off
    if T[i, _MAP] == _EXP:
        if hook and x0 == 0.0:  # (nothing below 0: an offset's sign survives its underflow as -0)
            return (_component(T, i, loff, 0.0) - loff if math.copysign(1.0, off) > 0.0 else _NEG_INF), 0.0
        if not (x > 0.0 and x < math.inf):
            return _NEG_INF, 0.0
        lx = math.log(x)
        return _component(T, i, lx, 0.0) - lx, 0.0
    skew, tw = T[i, _SKEW], T[i, _TW]
    ax = math.asinh(x)
    w = (ax - skew) / tw
    z = math.sinh(w) if abs(w) < 711.0 else math.copysign(math.inf, w)
    if not math.isfinite(z):
        return _NEG_INF, 0.0
    aw = abs(w)
    log_cosh = aw + math.log1p(math.exp(-2.0 * aw)) - _LOG2
    half = 0.5 * math.log1p(x * x) if abs(x) < 1e150 else math.log(abs(x))
    v = _component(T, i, z, 0.0) + log_cosh - math.log(tw) - half
    e = 0.0
    if moved and v > _NEG_INF:
        dz = 2.0 * _EPS * (math.cosh(w) * ((abs(ax) + abs(skew) + 1.0) / tw + aw) + abs(z))
        e = abs(_score(T, i, z)) * dz
        if not math.isfinite(e):
            e = 0.0
    return v, e


@K.jit
def _starts(T):
    """The rows where the components of ``T`` start (a grid's node rows follow its header)."""
    out = np.empty(T.shape[0], np.int64)
    n, i = 0, 0
    while i < T.shape[0]:
        out[n] = i
        n += 1
        i += 1 + (int(T[i, _SHAPE]) if int(T[i, _FAM]) == GRID else 0)
    return out[:n]


@K.jit
def _value(T, i, x0, off, hook, loff, moved):
    """``(log, error, moved error)`` of the component starting at row ``i`` (see :func:`_beta`,
    :func:`_grid`, :func:`_mapped`)."""
    fam = int(T[i, _FAM])
    if fam == BETA:
        v, e = _beta(T, i, x0, off, hook, loff)
        return v, e, 0.0
    if fam == GRID:
        return _grid(T, i, x0, off, hook, loff)[0], 0.0, 0.0
    if T[i, _MAP] != _AFFINE:
        v, m = _mapped(T, i, x0, off, hook, loff, moved)
        return v, 0.0, m
    return _component(T, i, x0, off), 0.0, 0.0


@K.jit
def _clamped(T, i):
    """True when the component's log-density far out is exp-power: where it overflows to ``-inf`` at a
    finite point, KL's ``q`` reads ``-1.8e308`` (its float64 bound)."""
    return int(T[i, _FAM]) <= LAPLACE and T[i, _MAP] != _EXP


@K.jit
def logpdf(T, x0, off, hook, loff, clamp, moved, out, err):
    """``out[j] = log p(x0[j] + off[j])`` of the density ``T`` (mixtures by log-sum-exp), and in ``err[j]``
    the error of that log beyond its own rounding, as the Python path takes it: the largest of the
    components' (a Beta's cancelling terms) plus, with ``moved``, the largest rounding of a node through
    a nonlinear map (0 at nodes next to singular ends, which are evaluated through exact offsets, and
    where the density vanishes). ``hook[j]``: the node lies on a singular-end segment, ``loff[j] =
    log |off[j]|``. ``clamp``: a light tail whose log overflowed at a finite point reads ``-1.8e308``
    (KL's ``q``), not ``-inf``."""
    starts = _starts(T)
    n = starts.shape[0]
    if n == 1:
        fam = int(T[0, _FAM])
        light = clamp and _clamped(T, 0)
        plain = fam <= UNIFORM and T[0, _MAP] == _AFFINE
        cell = 0
        for j in range(off.shape[0]):
            e = m = 0.0
            if plain:
                v = _component(T, 0, x0[j], off[j])
            elif fam == GRID:
                v, cell = _grid(T, 0, x0[j], off[j], hook[j], loff[j], cell)
            else:
                v, e, m = _value(T, 0, x0[j], off[j], hook[j], loff[j], moved)
            if light and v == _NEG_INF and math.isfinite(x0[j] + off[j]):
                v = -_FLT_MAX
            out[j] = v + T[0, _LOGW]
            err[j] = e + m if v > _NEG_INF and not hook[j] else 0.0
        return
    vals = np.empty(n)  # each component once per node
    for j in range(off.shape[0]):
        top, e, m = _NEG_INF, 0.0, 0.0
        for c in range(n):
            i = starts[c]
            v, ei, mi = _value(T, i, x0[j], off[j], hook[j], loff[j], moved)
            e, m = max(e, ei), max(m, mi)
            if clamp and v == _NEG_INF and _clamped(T, i) and math.isfinite(x0[j] + off[j]):
                v = -_FLT_MAX
            vals[c] = v + T[i, _LOGW]
            top = max(top, vals[c])
        err[j] = e + m if top > _NEG_INF and not hook[j] else 0.0
        if top == _NEG_INF:
            out[j] = top
            continue
        s = 0.0
        for c in range(n):
            s += K._exp(vals[c] - top)
        out[j] = top + math.log(s)


# ----------------------------------------------------------------------------------------- geometry
@K.jit
def _argsort(v):
    """Indices that sort ``v`` ascending (Shell sort with Ciura's gaps: quick to compile, and fast for
    the few hundred points and panels of a quadrature)."""
    n = v.shape[0]
    idx = np.arange(n)
    for gap in (701, 301, 132, 57, 23, 10, 4, 1):
        for i in range(gap, n):
            k = idx[i]
            j = i
            while j >= gap and v[idx[j - gap]] > v[k]:
                idx[j] = idx[j - gap]
                j -= gap
            idx[j] = k
    return idx


@K.jit
def _hints(T, marks, pts, own, n, sing, ns):
    """Append the panel edges of the density ``T`` (landmarks, kinks, finite component ends) to ``pts``
    from index ``n``, with the scale of the component each landmark belongs to in ``own`` (0 for kinks
    and ends, which must stay), and its singular ends to ``sing`` from ``ns``; return ``(n, ns, low,
    high, scale, heavy)``: the new counts, the support, bulk scale and tail class."""
    zn, zl, zh, _, _, zb = marks
    lo, hi, scale, heavy = math.inf, -math.inf, 0.0, False
    for i in _starts(T):
        fam = int(T[i, _FAM])
        loc, sc = T[i, _LOC], T[i, _SCALE]
        if fam == GRID:  # every node is an edge (a kink); nodes where it reaches 0 from a positive cell are singular
            m = int(T[i, _SHAPE])
            lo, hi = min(lo, T[i + 1, _LOC]), max(hi, T[i + m, _LOC])
            for k in range(i + 1, i + m + 1):
                pts[n], own[n] = T[k, _LOC], 0.0
                n += 1
                if T[k, _SHAPE] == 0.0 and ((k > i + 1 and T[k - 1, _SHAPE] > 0.0)
                                           or (k < i + m and T[k + 1, _SHAPE] > 0.0)):
                    sing[ns] = T[k, _LOC]
                    ns += 1
        elif fam == UNIFORM:
            lo, hi = min(lo, loc), max(hi, T[i, _SHAPE])
            pts[n], pts[n + 1], pts[n + 2] = loc, T[i, _SHAPE], 0.5 * (loc + T[i, _SHAPE])
            own[n], own[n + 1], own[n + 2] = 0.0, 0.0, sc
            n += 3
        elif fam == BETA:  # landmarks about the mean inside (0, 1), the ends, and which ends are singular
            lo, hi = min(lo, 0.0), max(hi, 1.0)
            for k in range(zb.shape[0]):
                v = loc + sc * zb[k]
                if v > 0.0 and v < 1.0:
                    pts[n], own[n] = v, 0.0  # (none merged: a Beta piled against an end needs them all)
                    n += 1
            for v in (T[i, _FAR0], T[i, _FAR1], 0.0, 1.0):  # (where log p is 72 below its peak: they stay)
                if v >= 0.0 and v <= 1.0:
                    pts[n], own[n] = v, 0.0
                    n += 1
            for end, e in ((0.0, T[i, _SHAPE] - 1.0), (1.0, T[i, _AUX] - 1.0)):
                if not (e >= 0.0 and e == math.floor(e)):
                    sing[ns] = end
                    ns += 1
        elif T[i, _MAP] != _AFFINE:  # the base's landmarks and kink mapped (kept: their spacing is not the scale)
            z = zn if fam == NORMAL else zl if fam == LAPLACE else zh
            for k in range(z.shape[0] + 1):
                if k == z.shape[0] and fam != LAPLACE:
                    break
                v = _forward(T, i, loc + sc * z[k] if k < z.shape[0] else loc)
                if math.isfinite(v):
                    pts[n], own[n] = v, 0.0
                    n += 1
            if T[i, _MAP] == _EXP:  # (0, inf): the end 0, the image of -inf, is singular
                lo, hi = min(lo, 0.0), math.inf
                pts[n], own[n] = 0.0, 0.0
                n += 1
                sing[ns] = 0.0
                ns += 1
            else:
                lo, hi = -math.inf, math.inf
            heavy = True
            sc = T[i, _MSCALE]
        else:
            lo, hi = -math.inf, math.inf
            z = zn if fam == NORMAL else zl if fam == LAPLACE else zh
            for k in range(z.shape[0]):
                pts[n + k] = loc + sc * z[k]
                own[n + k] = sc
            n += z.shape[0]
            if fam == LAPLACE:
                pts[n], own[n] = loc, 0.0
                n += 1
            heavy = heavy or fam >= CAUCHY
        scale = max(scale, sc)
    return n, ns, lo, hi, scale, heavy


@K.jit
def _thinned(v, own, lo, hi, merge):
    """The distinct finite points of ``v`` within ``[lo, hi]``, sorted; with ``merge > 0``, a landmark
    closer than ``merge`` times its own scale (and the kept neighbour's) to the last kept point is
    dropped: the outermost points, kinks and ends always stay."""
    order = _argsort(v)
    out, sc = np.empty(v.shape[0]), np.empty(v.shape[0])
    n = 0
    for i in order:
        x = v[i]
        if not (x >= lo and x <= hi and math.isfinite(x)):
            continue
        if n and x == out[n - 1]:
            sc[n - 1] = min(sc[n - 1], own[i])
            continue
        out[n], sc[n] = x, own[i]
        n += 1
    if merge <= 0.0 or n <= 2:
        return out[:n]
    keep = np.empty(n)
    keep[0] = out[0]
    last, m = sc[0], 1
    for i in range(1, n):
        near = out[i] - keep[m - 1] < merge * min(sc[i], last)
        if i == n - 1:
            if near and m > 1 and last > 0.0:
                m -= 1  # the outermost point replaces the landmark just inside it
        elif near:
            continue
        keep[m] = out[i]
        last = sc[i]
        m += 1
    return keep[:m]


@K.jit
def _geometric(pts, scale):
    """Points at 4, 16, 64, ... scales inside every gap longer than 64 scales, from both of its ends."""
    widest, nlong = 0.0, 0
    for i in range(pts.shape[0] - 1):
        g = pts[i + 1] - pts[i]
        if g > 64.0 * scale:
            widest = max(widest, g)
            nlong += 1
    if nlong == 0:
        return pts
    widest = min(widest, _FLT_MAX)
    top = math.floor((math.log(widest) - math.log(scale)) / math.log(4.0))
    steps = np.empty(top)
    for k in range(top):
        steps[k] = math.exp(math.log(scale) + math.log(4.0) * (k + 1))
    out = np.empty(pts.shape[0] + 2 * nlong * top)
    out[:pts.shape[0]] = pts
    n = pts.shape[0]
    for i in range(pts.shape[0] - 1):
        a, b = pts[i], pts[i + 1]
        if b - a > 64.0 * scale:
            for s in steps:
                if s < 0.5 * (b - a):
                    out[n], out[n + 1] = a + s, b - s
                    n += 2
    return _thinned(out[:n], np.zeros(n), -math.inf, math.inf, 0.0)


@K.jit
def _near_singular(v, sing, width):
    """True when ``v`` lies within ``1e-3 width`` of one of the singular points ``sing``."""
    for s in sing:
        if abs(s - v) <= 1e-3 * width:
            return True
    return False


@K.jit
def geometry(TP, TQ, breaks, marks):
    """Segments ``(stype, x0, x0lo, sgn, length, x1)`` over the union of the two supports, with the extra
    panel edges ``breaks`` (``marks``: the landmark sets, and ``merge``, see :func:`_thinned`); ``x1`` is a
    linear segment's far end (as in ``gantheory.quadrature._Geometry``)."""
    zn, zl, zh, _, merge, zb = marks
    most = max(zn.shape[0], zl.shape[0] + 2, zh.shape[0], zb.shape[0] + 4, 3)
    raw = np.empty(most * (TP.shape[0] + TQ.shape[0]) + breaks.shape[0])
    own = np.empty(raw.shape[0])
    sing = np.empty(2 * (TP.shape[0] + TQ.shape[0]))
    n, ns, lp, hp, sp, vp = _hints(TP, marks, raw, own, 0, sing, 0)
    n, ns, lq, hq, sq, vq = _hints(TQ, marks, raw, own, n, sing, ns)
    raw[n:n + breaks.shape[0]] = breaks
    own[n:n + breaks.shape[0]] = 0.0
    n += breaks.shape[0]
    lo, hi = min(lp, lq), max(hp, hq)
    pts = _thinned(raw[:n], own[:n], lo, hi, merge)
    if pts.shape[0] == 0:
        pts = np.zeros(1)
    if ns:  # a point a few ulps from a singular point would cut a sliver next to it: merge them
        sing = np.unique(sing[:ns])
        keep = np.ones(pts.shape[0], np.bool_)
        for k in range(pts.shape[0]):
            v = pts[k]
            close, on = False, False
            for s in sing:
                on = on or v == s
                close = close or abs(s - v) <= 8.0 * _EPS * abs(v)
            keep[k] = on or not close
        pts = pts[keep]
    scale = max(sp, sq)
    step = scale
    if vp:
        step = min(step, sp)
    if vq:
        step = min(step, sq)
    pts = _geometric(pts, step)
    left, right = lo == -math.inf, hi == math.inf
    n = pts.shape[0] - 1
    cap = 2 * n + 2
    stype = np.zeros(cap, np.int64)
    x0, x0lo, sgn, length, x1 = np.empty(cap), np.zeros(cap), np.ones(cap), np.empty(cap), np.empty(cap)
    o = int(left)
    for k in range(n):  # linear segments, and the exponential map beside a singular point
        a, b = pts[k], pts[k + 1]
        sa = ns > 0 and _near_singular(a, sing, b - a)
        sb = ns > 0 and _near_singular(b, sing, b - a)
        if sa and sb:  # singular at both ends: split in the middle
            mid = 0.5 * (a + b)
            stype[o], x0[o], sgn[o], length[o], x1[o] = _SING, a, 1.0, mid - a, mid
            stype[o + 1], x0[o + 1], sgn[o + 1], length[o + 1], x1[o + 1] = _SING, b, -1.0, b - mid, mid
            o += 2
        elif sa or sb:
            stype[o], length[o] = _SING, b - a
            x0[o], sgn[o], x1[o] = (a, 1.0, b) if sa else (b, -1.0, a)
            o += 1
        else:
            stype[o], x0[o], sgn[o], length[o], x1[o] = _LIN, a, 1.0, b - a, b
            o += 1
    nseg = o + int(right)
    tail = _HEAVY if (vp or vq) else _LIGHT
    if left:
        stype[0], x0[0], sgn[0], length[0], x1[0] = tail, pts[0], -1.0, scale, pts[0]
    if right:
        stype[o], x0[o], sgn[o], length[o], x1[o] = tail, pts[-1], 1.0, scale, pts[-1]
    return stype[:nseg], x0[:nseg], x0lo[:nseg], sgn[:nseg], length[:nseg], x1[:nseg]


# --------------------------------------------------------------------------------------- the engine
@K.jit
def _nodes(geo, seg, ta, tb, xk):
    """The nodes of the panels ``[ta, tb]`` of the segments ``seg`` of the geometry ``geo``: ``(anchors, x,
    offsets, log |offsets|, lj, hook)`` (see ``gantheory._kernels.map_nodes``; ``hook``: the node lies
    on a singular-end segment)."""
    stype, x0, x0lo, sgn, length, x1 = geo
    npts = seg.shape[0] * xk.shape[0]
    anchors, x, off, loff, lj = np.empty(npts), np.empty(npts), np.empty(npts), np.empty(npts), np.empty(npts)
    K.map_nodes(stype, x0, x0lo, x1, x0lo, sgn, length, seg, ta, tb, xk, anchors, x, off, loff, lj)
    hook = np.empty(npts, np.bool_)
    m = xk.shape[0]
    for i in range(seg.shape[0]):
        on = stype[seg[i]] == _SING
        for j in range(m):
            hook[i * m + j] = on
    return anchors, x, off, loff, lj, hook


@K.jit
def _evaluate(kind, TP, TQ, geo, seg, ta, tb, xk, wk, wg, lshift=0.0):
    """Map the panels' nodes, evaluate both densities there and return the per-panel sums and the
    log-densities (for the sensitivity of KL and χ² to missed mass). ``lshift``: added to the log of
    every weight, which scales the sums of the kinds homogeneous in ``(p, q)`` by ``e^lshift``."""
    anchors, _, off, loff, lj, hook = _nodes(geo, seg, ta, tb, xk)
    if lshift != 0.0:
        lj += lshift
    npts = off.shape[0]
    lp, lq, ep, eq = np.empty(npts), np.empty(npts), np.empty(npts), np.empty(npts)
    moved = kind == K.JSD or kind == K.TV or kind == K.HELLINGER  # (see gantheory.divergences._log_pair)
    logpdf(TP, anchors, off, hook, loff, False, moved, lp, ep)
    logpdf(TQ, anchors, off, hook, loff, kind == K.KL, moved, lq, eq)
    zero = np.zeros(npts)
    res = np.empty((_ROWS, seg.shape[0]))
    K.gk_panels(kind, lp, lq, zero, zero, lj, ep, eq, wk, wg, res)
    return res, lp, lq


@K.jit
def _sign_gap(TP, TQ, x):
    """The sign of ``log p - log q`` at the points ``x`` (0 where equal, NaN where both vanish)."""
    lp, lq, e = np.empty(x.shape[0]), np.empty(x.shape[0]), np.empty(x.shape[0])
    zero = np.zeros(x.shape[0])
    no = np.zeros(x.shape[0], np.bool_)
    logpdf(TP, x, zero, no, zero, False, False, lp, e)
    logpdf(TQ, x, zero, no, zero, False, False, lq, e)
    out = np.empty(x.shape[0])
    for j in range(x.shape[0]):
        d = lp[j] - lq[j]
        out[j] = 1.0 if d > 0 else -1.0 if d < 0 else 0.0 if d == 0 else math.nan
    return out


@K.jit
def crossings(TP, TQ, marks, xk):
    """Points where ``log p - log q`` changes sign, to machine precision (see
    ``gantheory.quadrature.crossings``): bracketed by the nodes of the initial panels, then 60
    bisections over the floats (:func:`float_key`)."""
    geo = geometry(TP, TQ, np.empty(0), marks)
    x0 = geo[1]
    n = x0.shape[0]
    m = xk.shape[0]
    _, x, _, _, _, _ = _nodes(geo, np.arange(n), np.zeros(n), np.ones(n), xk)
    pts = np.empty(n * m + n)
    c = 0
    for j in range(n * m):
        if math.isfinite(x[j]):
            pts[c] = x[j]
            c += 1
    for k in range(n):  # the segments' own edges too
        pts[c] = x0[k]
        c += 1
    pts = np.unique(pts[:c])
    s = _sign_gap(TP, TQ, pts)
    # a node on the crossing itself reads 0: the bracket is between the nonzero neighbours around it
    keep = np.empty(pts.shape[0], np.int64)
    c = 0
    for j in range(pts.shape[0]):
        if s[j] == s[j] and s[j] != 0.0:
            keep[c] = j
            c += 1
    lo, hi, slo = np.empty(c), np.empty(c), np.empty(c)
    nb = 0
    for i in range(c - 1):
        a, b = keep[i], keep[i + 1]
        if s[a] * s[b] < 0:
            lo[nb], hi[nb], slo[nb] = pts[a], pts[b], s[a]
            nb += 1
    lo, hi, slo = lo[:nb], hi[:nb], slo[:nb]
    klo, khi, kmid = float_key(lo), float_key(hi), np.empty(nb, np.int64)
    bits = np.empty(nb, np.int64)
    mid = bits.view(np.float64)  # (the floats of the keys, written through their bits)
    for _ in range(64):
        if np.all(khi - klo <= 1):
            break
        for i in range(nb):
            a, b = klo[i], khi[i]
            k = a // 2 + b // 2 + (a % 2 + b % 2) // 2  # (no overflow across the whole range)
            kmid[i] = k
            bits[i] = _INT64_MIN - k if k < 0 else k
        sm = _sign_gap(TP, TQ, mid)
        for i in range(nb):
            if sm[i] == slo[i]:
                klo[i] = kmid[i]
            else:
                khi[i] = kmid[i]
    return 0.5 * (key_float(klo) + key_float(khi))


@K.jit
def float_key(x):
    """Integers in the order of the (finite) floats ``x``, consecutive for adjacent floats: bisecting
    between two keys closes any bracket (1e-140 to 1 as 1 to 2) on adjacent floats in 64 steps."""
    bits = np.ascontiguousarray(x).view(np.int64)
    return np.where(bits < 0, _INT64_MIN - bits, bits)


@K.jit
def key_float(k):
    """The inverse of :func:`float_key`."""
    return np.ascontiguousarray(np.where(k < 0, _INT64_MIN - k, k)).view(np.float64)


@K.jit
def key_mid(a, b):
    """The midpoint of two keys, without overflow across the whole range."""
    return a // 2 + b // 2 + (a % 2 + b % 2) // 2  # (the loop in crossings writes this out per bracket)


@K.jit
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


@K.jit
def adaptive(kind, TP, TQ, breaks, marks, rtol, atol, max_panels, max_rounds, xk, wk, wg, want_p, want_q):
    """Adaptive Gauss-Kronrod quadrature of ``kind`` between the densities ``TP`` and ``TQ``, concluded
    (see :func:`conclude`; ``want_p``, ``want_q``: what the masses must be, NaN for unchecked).

    Returns ``(value, error, converged, reason, lost, neval, status)``: ``status`` is ``INFINITE`` when
    the value is ``±inf`` and ``UNDEFINED`` when the integrand was NaN (the value is meaningless)."""
    split_light = marks[3]
    geo = geometry(TP, TQ, breaks, marks)
    stype = geo[0]
    nseg = stype.shape[0]
    if max_panels <= 0:
        max_panels = max(20_000, 4 * nseg)
    ntail = 0
    for k in range(nseg):  # tails and singular ends start as two panels (their mass sits at small t)
        if stype[k] == _HEAVY or stype[k] == _SING or (split_light and stype[k] == _LIGHT):
            ntail += 1
    nn = nseg + ntail
    seg, ta, tb = np.empty(nn, np.int64), np.zeros(nn), np.ones(nn)
    j = nseg
    for k in range(nseg):
        seg[k] = k
        if stype[k] == _HEAVY or stype[k] == _SING or (split_light and stype[k] == _LIGHT):
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
        res, lp, lq = _evaluate(kind, TP, TQ, geo, seg, ta, tb, xk, wk, wg)
        neval += lp.shape[0]
        if per_mass(kind) == 0.0:
            sens = max(sens, _sensitivity(kind, lp, lq))
        npos = nneg = 0
        for i in range(res.shape[1]):
            v = res[_VAL, i]
            if v != v:
                return math.nan, 0.0, False, 0, 0.0, neval, UNDEFINED
            if v == math.inf:
                npos += 1
            elif v == -math.inf:
                nneg += 1
        if npos and nneg:
            return math.nan, 0.0, False, 0, 0.0, neval, UNDEFINED
        if npos or nneg:
            return math.inf if npos else -math.inf, 0.0, True, 0, 0.0, neval, INFINITE
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
        # the largest errors first, until what is left is within half the tolerance
        order = _argsort(-R[_ERR, :n])
        pick = np.empty(n, np.int64)
        h, cum = 0, 0.0
        for i in order:
            if cum >= disc - 0.5 * tol:
                break
            cum += R[_ERR, i]
            if PB[i] - PA[i] > _MIN_WIDTH:
                pick[h] = i
                h += 1
        if h == 0 or n + h > max_panels:
            break
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
    beyond = _beyond_float_range(kind, TP, TQ, geo, xk, wk, wg)
    sums = np.zeros(_ROWS)
    for r in range(_ROWS):
        for i in range(n):
            sums[r] += R[r, i]
    exact = (_accurate_sum(R[_VAL, :n]), _accurate_sum(R[_MP, :n]), _accurate_sum(R[_MQ, :n]))
    total, etot, converged, roundoff, lost = conclude(kind, sums, exact, sens, converged, roundoff, etot, beyond,
                                                      want_p, want_q, rtol, atol)
    return total, etot, converged, roundoff, lost, neval, OK


@K.jit
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


@K.jit
def _beyond_float_range(kind, TP, TQ, geo, xk, wk, wg):
    """What heavy-tail segments leave out past their cap, or ``inf`` where the integrand per unit of
    ``u`` decays slower than ``u^-2`` (see ``gantheory.quadrature._beyond_float_range``)."""
    stype, length = geo[0], geo[4]
    nh = 0
    for k in range(stype.shape[0]):
        nh += stype[k] == _HEAVY
    if nh == 0:
        return 0.0
    heavy = np.empty(nh, np.int64)
    nh = 0
    for k in range(stype.shape[0]):
        if stype[k] == _HEAVY:
            heavy[nh] = k
            nh += 1
    per_u = np.empty((2, nh))
    ta, tb = np.empty(nh), np.empty(nh)
    # the bounded integrands are homogeneous of degree 1 in (p, q): their weights are raised by e^600 so
    # that the terms at the cap (about e^-700 per unit of u for a Cauchy) stay clear of subnormal floats,
    # whose arithmetic is a hundred times slower; KL and χ², where a clamped log q of -1.8e308 would
    # overflow, are left as they are
    shift = 600.0 if kind == K.JSD or kind == K.TV or kind == K.HELLINGER else 0.0
    for half in range(2):  # at the cap, and at half the cap (in u)
        for i in range(nh):
            u = (700.0 - max(math.log(length[heavy[i]]), 0.0)) * (0.5 if half else 1.0)
            tb[i] = u / (1.0 + u) * (1.0 - 1e-12)
            ta[i] = tb[i] * (1.0 - 1e-9)
        res, _, _ = _evaluate(kind, TP, TQ, geo, heavy, ta, tb, xk, wk, wg, shift)
        for i in range(nh):
            per_u[half, i] = abs(res[_VAL, i]) * math.exp(-shift) / (tb[i] - ta[i]) * (1.0 - tb[i]) ** 2
    out = 0.0
    for i in range(nh):
        if per_u[0, i] > 0.25 * per_u[1, i]:  # slower than u^-2: nothing bounds what lies beyond
            return math.inf
        out += per_u[0, i] * (700.0 - max(math.log(length[heavy[i]]), 0.0))
    return out if math.isfinite(out) else math.inf


# --------------------------------------------------------------------------------- the conclusion
#: Below this a mass discrepancy is the densities' evaluation error spread over their bulk (a relative
#: error of the values); above it, a region the panels did not see.
SPREAD = 1e-10
_ROUNDOFF = 50.0 * _EPS  # the least relative error of an integral of |f| claimed, as in QUADPACK


@K.jit
def per_mass(kind):
    """What a unit of mass adds at most to a bounded integrand (JSD <= (p + q) log 2 / 2, TV and H² <=
    (p + q)/2); 0 for the others, which are unbounded in the densities' ratio."""
    if kind == K.JSD:
        return 0.5 * math.log(2.0)
    if kind == K.TV or kind == K.HELLINGER:
        return 0.5
    return 0.0


@K.jit
def charge(kind, lost, sens, abs_f, mass):
    """What a mass discrepancy ``lost`` may change the integral by. Bounded integrands: ``lost`` times
    their bound per unit of mass. The others: a discrepancy below ``SPREAD`` is a relative error of the
    densities of that size, which moves the integral by at most ``lost (∫|f| + ∫(p + q))``; a larger one
    is a missed region, charged at twice the largest integrand-per-mass the nodes saw (``sens``)."""
    if lost == 0.0:
        return 0.0
    if per_mass(kind) > 0.0:
        return lost * per_mass(kind)
    if lost <= SPREAD:
        return lost * (abs_f + mass)
    return lost * sens


@K.jit
def weight_charge(kind, got_p, got_q, rule_p, rule_q, want_p, want_q, total, abs_f):
    """What the measured error on the masses (whose values ``want`` are known; NaN: not checked) says
    about the value: the nodes' weights ``exp(lp + lj)`` are rounded, and the same rounding moves the
    integral. A relative error ``ε`` common to ``p``'s weights moves KL by ``ε (KL + 1)``, a bounded
    integrand by ``ε`` times its bound, a linear one by ``ε ∫|f|``: so the part of ``|∫p - 1|`` (and
    ``|∫q - 1|``) that the rule's own error on the mass does not explain is charged that way. KL of
    far-apart pairs (KL ~ 1e6) is where this exceeds the propagated round-off."""
    a = max(abs_f, abs(total))
    out = 0.0
    for got, err, want, own in ((got_p, rule_p, want_p, True), (got_q, rule_q, want_q, False)):
        if want != want:
            continue
        gap = max(abs(got - want) - err, 0.0)
        if per_mass(kind) > 0.0:
            amp = per_mass(kind)
        elif kind == K.KL:
            amp = a + 1.0 if own else 1.0
        else:
            amp = a
        out += gap * amp
    return out


@K.jit
def conclude(kind, sums, exact, sens, converged, roundoff, etot, beyond, want_p, want_q, rtol, atol):
    """The error of a 1-D result from the sums of its final panels (both paths): what heavy tails leave
    beyond the float64 range, the mass check and its charges, the final rounding. ``sums``: plain sums of
    every row of ``gantheory._kernels.gk_panels``; ``exact``: the value and the two masses summed
    accurately; ``want_p``, ``want_q``: what the masses must be (NaN: not checked). Returns ``(value,
    error, converged, reason, lost)``: ``reason`` 20 round-off, -1 mass beyond the float64 range, -2 a
    mass discrepancy, else the budget ran out (when not converged)."""
    abs_f, mass = sums[_ABS], sums[_MASS]
    total = exact[0]
    tol = max(atol, rtol * abs_f)
    if beyond > tol and beyond > etot:
        converged = False
        roundoff = -1
    etot += beyond
    # the mass of p and q that the panels did not capture: a captured mass that differs from what it must
    # be by more than its own rule error and rounding means the panels missed part of a density (nodes
    # that all read 0 next to a narrow peak or tail, or nodes dropped below the float spacing at a
    # singular end), or that the densities were evaluated less accurately than their rounding allows
    lost = 0.0
    for got, row, want in ((exact[1], _EP, want_p), (exact[2], _EQ, want_q)):
        if want == want:
            gap = abs(got - want)
            if gap > sums[row] + sums[row + 2] + 8.0 * _EPS * want:
                lost += gap
    missing = charge(kind, lost, sens, abs_f, mass)
    if missing > max(tol, etot):
        converged = False
        if roundoff != -1:  # mass beyond the float64 range is the more specific reason
            roundoff = -2
    etot += max(missing, weight_charge(kind, exact[1], exact[2], sums[_EP], sums[_EQ], want_p, want_q, total,
                                       abs_f))
    # the final rounding of the sum, and QUADPACK's round-off limit of 50 eps ∫|f| (Piessens et al. 1983):
    # the propagated estimate above is first order and its constants are estimates too
    etot += _ROUNDOFF * abs_f + 2.0 * _EPS * abs(total)
    return total, etot, converged, roundoff, lost


# ----------------------------------------------------------------------------------- description
def _rows(d):
    """The component rows of a density, or None when the compiled path cannot describe it."""
    make = _MAKERS.get(type(d))
    if make is None:
        if not _MAKERS:
            _register()
            return _rows(d)
        return None
    return make(d)


_MAKERS = {}


def _register():
    from . import densities as D
    from .transforms import Affine, Exp, Pushforward, SinhArcsinh

    def mixture(d):
        out = []
        for c, lw in zip(d._active, d._logw.tolist()):
            rows = _rows(c)
            if rows is None:
                return None
            out += [r if isinstance(r, np.ndarray) else (r[0], r[1] + lw, *r[2:]) for r in rows]
        return out

    def grid(d):
        """A header row (the node count in ``shape``, the scale of the Python path's hints) and one row per
        node: ``x_k``, the cell width ``h_k``, the value ``v_k`` and the cell's slope (0 for the last)."""
        if d.x.size - 1 > d._MAX_EDGES:  # (a fine grid keeps only some nodes as edges: the Python path)
            return None
        m = d.x.size
        block = np.zeros((m, 6))
        block[:, 0] = NODE
        block[:, 2] = d.x
        block[:-1, 3] = d._h
        block[:, 4] = d.values
        block[:-1, 5] = d._slope
        return [(GRID, 0.0, float(d.x[0]), float(d._scale()), float(m), 0.0, 0.0), block]

    def pushforward(d):
        """A location-scale base through a scalar affine map is the same family at ``loc' = a loc + b``
        (when that sum is a float: otherwise the Python path keeps its remainder) and scale ``|a| σ``."""
        tr, base = d.transform, d.base
        if type(base) not in (D.Normal, D.Laplace, D.Cauchy, D.StudentT):
            return None
        if type(tr) in (Exp, SinhArcsinh):  # the base with the map in its own columns
            row = (*_rows(base)[0], *(0.0,) * (_MAP - NCOL_BASE))
            if type(tr) is Exp:
                return [(*row, _EXP, 0.0, 1.0, d._scale())]
            return [(*row, _SINH, tr.skew, tr.tailweight, d._scale())]
        if (type(tr) is not Affine or not isinstance(tr.scale, float) or d._loc2 is None or d._loc2[1] != 0.0):
            return None
        (fam, logw, _, scale, shape, lognorm, _), a = _rows(base)[0], abs(tr.scale)
        # (the Student-t's stored normaliser enters its log-density with the opposite sign)
        lognorm += -tr._logdet if fam == STUDENT else tr._logdet
        aux = scale * a * math.sqrt(base.df) if fam == STUDENT else 0.0
        return [(fam, logw, d._loc2[0], scale * a, shape, lognorm, aux)]

    def beta(d):
        """The mean and standard deviation place the landmarks; ``a, b >= 10`` are written about the mode."""
        form, mode, anti, lmode = _PLAIN, 0.0, 0.0, 0.0
        if d._centred:
            form, mode, anti, lmode = _NEAR_ZERO if d._near_zero else _NEAR_ONE, d._mode, d._antimode, d._logmode
        return [(BETA, 0.0, d._mean(), d._scale(), d.a, d._logB, d.b, form, mode, anti, lmode, *d._far.tolist())]

    _MAKERS.update({
        Pushforward: pushforward,
        D.Beta: beta,
        D.GridDensity: grid,
        D.Normal: lambda d: [(NORMAL, 0.0, d.loc, d.scale, 0.0, d._lognorm, 0.0)],
        D.Laplace: lambda d: [(LAPLACE, 0.0, d.loc, d.scale, 0.0, math.log(2.0 * d.scale), 0.0)],
        D.Cauchy: lambda d: [(CAUCHY, 0.0, d.loc, d.scale, 0.0, math.log(math.pi * d.scale), 0.0)],
        D.StudentT: lambda d: [(STUDENT, 0.0, d.loc, d.scale, d.df, d._lognorm, d.scale * math.sqrt(d.df))],
        D.Uniform: lambda d: [(UNIFORM, 0.0, d.low, d._width, d.high, math.log(d._width), 0.0)],
        D.Mixture: mixture,
    })


_PAD = (0.0,) * NCOL


def table(d):
    """The density ``d`` as a component table (float array, one row per component), or None."""
    rows = _rows(d)
    if rows is None:
        return None
    if len(rows) == 1 and type(rows[0]) is tuple:  # (the common case, quickly)
        return np.array(rows[0] + _PAD[len(rows[0]):]).reshape(1, NCOL)
    out = np.zeros((sum(len(r) if isinstance(r, np.ndarray) else 1 for r in rows), NCOL))
    i = 0
    for r in rows:
        if isinstance(r, np.ndarray):  # a block of rows (a grid's nodes)
            out[i:i + len(r), :r.shape[1]] = r
            i += len(r)
        else:
            out[i, :len(r)] = r
            i += 1
    return out


# ---------------------------------------------------------------------------------- d >= 2: normals
def mvn_table(d):
    """A multivariate normal as one array: its mean, the rows of its Cholesky factor,
    ``(log normaliser, condition bound)`` and the float spacing of the mean; None for anything else."""
    from .densities import MultivariateNormal

    if type(d) is not MultivariateNormal or d.dim < 2:
        return None
    out = np.zeros((d.dim + 3, d.dim))
    out[0] = d.mean
    out[1:d.dim + 1] = d._chol
    out[d.dim + 1, :2] = d._lognorm, d._kappa
    out[d.dim + 2] = np.spacing(np.abs(d.mean))
    return out


@K.jit
def _mvn_log(T, x, z, g):
    """``(log p(x), its error beyond 2 eps (|log p| + 1))`` of the normal ``T`` (see
    ``MultivariateNormal._logpdf_err``: the spacing of the coordinates times the gradient, and the
    triangular solve); ``z``, ``g``: work arrays of length d."""
    d = T.shape[1]
    for i in range(d):  # L z = x - mean
        acc = x[i] - T[0, i]
        for j in range(i):
            acc -= T[1 + i, j] * z[j]
        z[i] = acc / T[1 + i, i]
    q = 0.0
    for i in range(d):
        q += z[i] * z[i]
    for i in range(d - 1, -1, -1):  # L^T g = z: the gradient of q / 2
        acc = z[i]
        for j in range(i + 1, d):
            acc -= T[1 + j, i] * g[j]
        g[i] = acc / T[1 + i, i]
    lognorm, kappa = T[d + 1, 0], T[d + 1, 1]
    err = _EPS * kappa * q + 2.0 * _EPS * abs(lognorm)
    for i in range(d):
        # the float spacing at x_i (eps |x_i| bounds it; 2^-53 at 0) plus that at the mean's coordinate
        err += 2.0 * abs(g[i]) * (max(_EPS * abs(x[i]), _HALF_EPS) + T[d + 2, i])
    return -0.5 * q - lognorm, err


_HALF_EPS = 0.5 * _EPS


@K.jit
def _coset(kind, TP, TQ, mu, W, start, n, H, mask, lj, pm, acc):
    """Add to ``acc`` the sums over the grid ``start_k + H_k (j + mask_k / 2)``, ``j < n_k`` (in the whitened
    frame ``y``; ``x = mu + W y``), each node weighted ``exp(lj)``: ``acc`` holds the value and its
    compensation (Neumaier), the masses of p and q, the round-off scale, the sensitivity (KL, χ²), and
    the counts of ``+inf`` and ``-inf`` terms. Returns False on a NaN term."""
    d = mu.shape[0]
    digit = np.zeros(d, np.int64)
    y, x, z, g = np.empty(d), np.empty(d), np.empty(d), np.empty(d)
    for k in range(d):
        y[k] = start[k] + 0.5 * H[k] * mask[k]
    total = 1
    for k in range(d):
        total *= n[k]
    val, comp = acc[0], acc[1]
    for _ in range(total):
        for i in range(d):
            s = mu[i]
            for j in range(d):
                s += W[i, j] * y[j]
            x[i] = s
        lp, elp = _mvn_log(TP, x, z, g)
        lq, elq = _mvn_log(TQ, x, z, g)
        v = K._term(kind, lp, lq, 0.0, 0.0, lj)
        if v != v:
            return False
        if math.isinf(v):  # (the result is infinite or undefined: the sums no longer matter)
            acc[7 if v > 0 else 8] += 1.0
        else:
            P = K._exp(lp + lj)
            Q = K._exp(lq + lj)
            acc[4] += K._noise(kind, lp, lq, v, lj, 0.0, 0.0, P, Q, elp, elq)
            t = val + v
            comp += (val - t) + v if abs(val) >= abs(v) else (v - t) + val
            val = t
            acc[2] += P
            acc[3] += Q
            if pm == 0.0 and lp > -math.inf and lq > -math.inf:
                dd = abs(lp - lq)
                sv = dd + 1.0 if kind == K.KL else math.exp(min(dd, 700.0)) + 1.0
                if sv == sv:
                    acc[5] = max(acc[5], sv)
                    acc[6] = 1.0
        k = d - 1  # the next node: an odometer, last axis fastest
        while k >= 0:
            digit[k] += 1
            if digit[k] < n[k]:
                y[k] += H[k]
                break
            digit[k] = 0
            y[k] = start[k] + 0.5 * H[k] * mask[k]
            k -= 1
    acc[0], acc[1] = val, comp
    return True


@K.jit
def _log_volume(H):
    out = 0.0
    for k in range(H.shape[0]):
        out += math.log(H[k])
    return out


@K.jit
def tensor(kind, TP, TQ, mu, W, lo, hi, h, logdet, rtol, atol, max_nodes, want_p, want_q):
    """The nested tensor trapezoid rule for two multivariate normals, in the frame ``x = mu + W y`` of
    ``gantheory.quadrature._tensor``: the grid ``G`` of spacings ``H = 2h`` (one per axis) over the box
    ``[lo, hi]``, then its ``2^d - 1`` copies shifted by half a spacing along some axes, which together
    make the grid of spacing ``H/2``; the difference of the two sums is the error estimate, and when it
    is too large the finer grid becomes ``G``. (A check against one shifted copy alone, a body-centred
    lattice, misses the aliasing the two share, and was measured to.) Returns ``(value, error,
    converged, neval, status)``; ``status`` ``INFINITE``, ``UNDEFINED``, or 3 when even the first
    refinement exceeds ``max_nodes`` (4 when a finer one does: the last value is returned)."""
    d = mu.shape[0]
    pm = per_mass(kind)
    H = 2.0 * h
    n = np.empty(d, np.int64)
    start = np.empty(d)
    nodes = 1.0
    for k in range(d):
        n[k] = math.ceil((hi[k] - lo[k]) / H[k]) // 2 * 2 + 1
        start[k] = 0.5 * (lo[k] + hi[k]) - 0.5 * H[k] * (n[k] - 1)
        nodes *= n[k]
    if nodes * 2.0 ** d > max_nodes:
        return math.nan, math.inf, False, 0, 3
    mask = np.zeros(d, np.int64)
    base = np.zeros(9)  # the sums over G (weights H^d)
    neval, prev, err = 0, math.nan, math.inf
    if not _coset(kind, TP, TQ, mu, W, start, n, H, mask, _log_volume(H) + logdet, pm, base):
        return math.nan, 0.0, False, int(nodes), UNDEFINED
    neval += int(nodes)
    while True:
        lj = _log_volume(H) + logdet
        rest = np.zeros(9)
        for b in range(1, 2 ** d):
            for k in range(d):
                mask[k] = (b >> k) & 1
            if not _coset(kind, TP, TQ, mu, W, start, n, H, mask, lj, pm, rest):
                return math.nan, 0.0, False, neval + int(nodes), UNDEFINED
            neval += int(nodes)
        npos, nneg = base[7] + rest[7], base[8] + rest[8]
        if npos and nneg:
            return math.nan, 0.0, False, neval, UNDEFINED
        if npos or nneg:
            return math.inf if npos else -math.inf, 0.0, True, neval, INFINITE
        scale = 0.5 ** d  # the finer grid's weights
        coarse = base[0] + base[1]
        fine = ((base[0] + rest[0]) + (base[1] + rest[1])) * scale
        mp, mq = (base[2] + rest[2]) * scale, (base[3] + rest[3]) * scale
        cp, cq = base[2], base[3]
        floor = (base[4] + rest[4]) * scale
        sens = 2.0 * max(base[5], rest[5]) if base[6] + rest[6] > 0.0 else math.inf
        diff = abs(fine - coarse)
        # the masses on the same nodes: what the box or the spacing misses of them is charged like the 1-D
        # mass check
        lost = lost_bar = 0.0
        for m, c, want in ((mp, cp, want_p), (mq, cq, want_q)):
            if want == want:
                lost += abs(m - want)
                lost_bar += abs(m - c)
        missing = charge(kind, lost, sens, abs(fine), mp + mq) if lost > lost_bar + 8.0 * _EPS else 0.0
        err = (diff + floor + max(missing, weight_charge(kind, mp, mq, abs(mp - cp), abs(mq - cq), want_p, want_q,
                                                         fine, abs(fine)))
               + _ROUNDOFF * abs(fine) + 2.0 * _EPS * abs(fine))
        if diff <= max(atol, rtol * abs(fine), floor) and missing <= max(atol, rtol * abs(fine)):
            return fine, err, True, neval, OK
        prev = fine
        if nodes * 4.0 ** d > max_nodes:
            return prev, err, False, neval, 4
        for r in range(5):
            base[r] = (base[r] + rest[r]) * scale
        base[5] = max(base[5], rest[5])
        base[6] = max(base[6], rest[6])
        base[7] += rest[7]
        base[8] += rest[8]
        H = 0.5 * H
        nodes *= 2.0 ** d
        for k in range(d):
            n[k] *= 2
