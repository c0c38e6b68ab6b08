"""Numba kernels for the density of a one-hidden-layer network generator with normal noise.

``G(z) = c + sum_j v_j act(w_j z + b_j)`` is inverted branch by branch exactly as
:class:`~gantheory.networks.NetworkPushforward` does in numpy (safeguarded Newton steps from the
branch's table; next to a fold ``G(c)``, ``G(c + δ) - G(c) = x - G(c)`` through the Taylor series at ``c``
or exact differences of the units; along a saturated branch, ``G(z) - G(±inf)`` through the units'
distances to their limits), but point by point in compiled code: the branch sum, its log and the
error of that log from the rounding of ``x`` and of the preimages, in one pass over the nodes.

Activations: 0 tanh, 1 softplus, 2 leaky ReLU. Branch value modes: 0 ``G(z)``, 1 ``G(z) - G(±inf)``
(``dirs``: each unit's saturation direction on that side), 2 ``G(c + δ) - G(c)`` in ``δ``.
"""

import math

import numpy as np

from ._kernels import jit

_EPS = 2.220446049250313e-16
_LN2 = math.log(2.0)


@jit
def _expit(t):
    return 1.0 / (1.0 + math.exp(-t)) if t > -700.0 else math.exp(t)


@jit
def _tanh(u):
    """``(tanh u, sech² u, exp(-2 |u|))`` from one exponential."""
    t = abs(u)
    if t < 0.5:  # (expm1: tanh keeps its digits next to 0)
        em = math.expm1(-2.0 * t)
        a, e = -em / (2.0 + em), 1.0 + em
    else:
        e = math.exp(-2.0 * t)
        a = (1.0 - e) / (1.0 + e)
    d1 = 4.0 * e / ((1.0 + e) * (1.0 + e))  # (sech², not 1 - tanh², which rounds to 0 far out)
    return (a if u >= 0.0 else -a), d1, e


@jit
def _units(kind, u, slope):
    """The activation, its first and its second derivative at ``u``, from one exponential."""
    if kind == 0:
        a, d1, _ = _tanh(u)
        return a, d1, -2.0 * a * d1
    if kind == 1:
        q = math.exp(-abs(u))
        s = 1.0 / (1.0 + q) if u >= 0.0 else q / (1.0 + q)
        return max(u, 0.0) + math.log1p(q), s, s * (1.0 - s)
    if u > 0.0:
        return u, 1.0, 0.0
    return slope * u, slope, 0.0


@jit
def _softplus(t):
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


@jit
def _act_diff(kind, u, du, slope):
    """``act(u + du) - act(u)`` to a few ulps of itself (the identities of ``networks._act_diff``)."""
    v = u + du
    if kind == 0:
        ta, tb = math.tanh(v), math.tanh(u)
        sa, sb = 2.0 * _expit(-2.0 * abs(v)), 2.0 * _expit(-2.0 * abs(u))
        if ta * tb >= 0.0:
            return math.tanh(du) * (sa + (1.0 - sa) * sb)
        return math.tanh(du) * (1.0 + abs(ta * tb))
    if kind == 1:
        if abs(du) < 30.0:
            return math.log1p(math.expm1(du) * _expit(u))
        return _softplus(v) - _softplus(u)
    if (u > 0.0) == (v > 0.0):
        return du if u > 0.0 else slope * du
    return (v if v > 0.0 else slope * v) - (u if u > 0.0 else slope * u)


@jit
def _jet(w, b, v, c0, kind, slope, z):
    """``(G(z), G'(z), G''(z))``."""
    g, g1, g2 = c0, 0.0, 0.0
    for j in range(w.size):
        a, d1, d2 = _units(kind, z * w[j] + b[j], slope)
        g += v[j] * a
        g1 += v[j] * w[j] * d1
        g2 += v[j] * w[j] * w[j] * d2
    return g, g1, g2


@jit
def _value(mode, z, w, b, v, c0, kind, slope, dirs, c, coef, fu, radius):
    """The branch's value function (see the module's modes) and its derivative at ``z`` (``fu``: for mode
    2, the units' activations at ``c`` and their distances to ±1 (tanh), or their expits (softplus))."""
    if mode == 2 and abs(z) <= radius:  # the Taylor series at c: coef[1] δ + coef[2] δ² + ...
        val, der, mag = 0.0, 0.0, 0.0
        for k in range(coef.size - 1, 0, -1):
            val = val * z + coef[k]
            mag = mag * abs(z) + abs(coef[k])
            if k >= 2:
                der = der * z + k * coef[k]
        return val * z, der * z + coef[1], mag * abs(z)
    g, g1 = (c0 if mode == 0 else 0.0), 0.0
    g0 = 0.0  # (g before the unit j's term: mag sums the terms' sizes, what the rounding of g scales with)
    mag = abs(g)
    at = c + z if mode == 2 else z
    for j in range(w.size):
        u = at * w[j] + b[j]
        if kind == 0:
            a, d1, e = _tanh(u)
        else:
            a, d1, _ = _units(kind, u, slope)
        g1 += v[j] * w[j] * d1
        if mode == 0:
            g += v[j] * a
        elif mode == 1:  # the unit's distance to its limit dirs[j] (tanh(u) - s = -2 s expit(-2 s u))
            s = dirs[j]
            if kind == 0 and s != 0.0:
                g += v[j] * (-2.0 * s * (e / (1.0 + e) if s * u >= 0.0 else 1.0 / (1.0 + e)))
            elif kind == 1 and s < 0.0:
                g += v[j] * a
        elif kind == 0:  # tanh a - tanh b = tanh(a - b) (1 - tanh a tanh b), 1 - |tanh| = 2 expit(-2 |.|)
            tb, sb = fu[0, j], fu[1, j]
            sa = 2.0 * _expit(-2.0 * abs(u))
            tdu = _units(0, z * w[j], slope)[0]
            g += v[j] * tdu * ((sa + (1.0 - sa) * sb) if a * tb >= 0.0 else (1.0 + abs(a * tb)))
        elif kind == 1 and abs(z * w[j]) < 30.0:  # log((1 + e^(u + du)) / (1 + e^u)) = log1p(expm1(du) expit(u))
            g += v[j] * math.log1p(math.expm1(z * w[j]) * fu[0, j])
        else:
            g += v[j] * _act_diff(kind, c * w[j] + b[j], z * w[j], slope)
        mag += abs(g - g0)
        g0 = g
    return g, g1, mag


@jit
def _solve(mode, target, lo, hi, z0, inc, w, b, v, c0, kind, slope, dirs, c, coef, fu, radius):
    """``value(z) = target`` in ``[lo, hi]`` by the safeguarded Newton steps of
    ``networks._bracket_newton``; returns ``z``, and ``value'`` and the sum of the sizes of the value's
    terms at the last point evaluated (within 4 ulps of ``z``, or ``z`` itself)."""
    z = min(max(z0, lo), hi)
    sign = 1.0 if inc else -1.0
    der, mag = math.nan, math.nan
    for _ in range(100):
        val, der, mag = _value(mode, z, w, b, v, c0, kind, slope, dirs, c, coef, fu, radius)
        r = sign * (val - target)
        if r <= 0.0:
            lo = z
        if r >= 0.0:
            hi = z
        step = z - (val - target) / der
        bad = not math.isfinite(step) or step < lo or step > hi
        new = z if r == 0.0 else (0.5 * (lo + hi) if bad else step)
        tiny = 4.0 * _EPS * max(max(abs(z), abs(new)), 1e-300)
        flat = abs(val - target) <= 2.0 * _EPS * (abs(val) + abs(target))
        done = abs(new - z) <= tiny or hi - lo <= tiny or flat
        if not flat:
            z = new
        if done:
            break
    return z, der, mag


@jit
def _from_fold(off, pa, pb, inc, right, c, curv, guess, w, b, v, c0, kind, slope, dirs, coef, fu, radius):
    """``(δ, G'(c + δ))`` with ``G(c + δ) - G(c) = off`` on the branch ``[pa, pb]`` that has the fold ``c``
    at its left end (``right``) or its right end: Newton steps from ``sqrt(2 off / G''(c))`` within the
    series' radius, from ``guess - c`` (the branch's table) beyond."""
    span = (pb - c) if right else (pa - c)
    q = 2.0 * off / curv
    d0 = math.sqrt(q) if q > 0.0 else 0.0
    if not math.isfinite(d0):
        d0 = 0.0
    if d0 >= radius and math.isfinite(guess):
        d0 = abs(guess - c)
    if not right:
        d0 = -d0
    lo, hi = (0.0, span) if right else (span, 0.0)
    return _solve(2, off, lo, hi, d0, inc, w, b, v, c0, kind, slope, dirs, c, coef, fu, radius)


@jit
def _table(i, target, start, ztab, vtab):
    """The secant guess of the preimage of ``target`` on branch ``i`` from its table, and its bracket."""
    s0, s1 = start[i], start[i + 1]
    vals = vtab[s0:s1]
    k = min(max(np.searchsorted(vals, target), 1), s1 - s0 - 1)
    za, zb, va, vb = ztab[s0 + k - 1], ztab[s0 + k], vals[k - 1], vals[k]
    z0 = za + (target - va) * (zb - za) / (vb - va) if vb > va else 0.5 * (za + zb)
    return z0, min(za, zb), max(za, zb)


@jit
def _branch(i, x, pa, pb, pinc, pshift, pmode, pdirs, start, ztab, vtab, fold_c, fold_x0, fold_curv, fold_coef,
            fold_units, w, b, v, c0, kind, slope, radius):
    """The preimage of ``x`` on branch ``i``, ``G'`` there, the sizes of the terms of its value (for the
    error) and whether it was found from a fold (``networks.NetworkPushforward._branch``)."""
    dirs = pdirs[i]
    inc = pinc[i] != 0
    for end in range(2):
        f = fold_c[i, end]
        if f >= 0:
            off = x - fold_x0[f]
            curv = fold_curv[f]
            if math.sqrt(2.0 * abs(off) / abs(curv)) < radius:
                d, s, mag = _from_fold(off, pa[i], pb[i], inc, end == 0, pa[i] if end == 0 else pb[i], curv,
                                       math.nan, w, b, v, c0, kind, slope, dirs, fold_coef[f], fold_units[f], radius)
                # (x - G(c) is exact, but G(c) itself is rounded: its terms' sizes join those of the offset)
                c = pa[i] if end == 0 else pb[i]
                mag_c = _value(0, c, w, b, v, c0, kind, slope, dirs, 0.0, fold_coef[f], fold_units[f], radius)[2]
                return c + d, s, mag + mag_c, True
    z0, za, zb = _table(i, x - pshift[i], start, ztab, vtab)
    z, d1, mag = _solve(pmode[i], x - pshift[i], za, zb, z0, inc, w, b, v, c0, kind, slope, dirs, 0.0, fold_coef[0],
                        fold_units[0], radius)
    return z, d1, mag, False


@jit
def preimages(i, x, pa, pb, pinc, pshift, pmode, pdirs, start, ztab, vtab, fold_c, fold_x0, fold_curv, fold_coef,
              fold_units, w, b, v, c0, kind, slope, radius, z, d1):
    """The preimages of the points ``x`` on branch ``i`` into ``z``, and ``G'`` there into ``d1``."""
    for n in range(x.size):
        z[n], d1[n], _, _ = _branch(i, x[n], pa, pb, pinc, pshift, pmode, pdirs, start, ztab, vtab, fold_c,
                                    fold_x0, fold_curv, fold_coef, fold_units, w, b, v, c0, kind, slope, radius)


@jit
def _term(z, d1, loc, scale, lognorm):
    t = (z - loc) / scale
    lpz = -0.5 * t * t - lognorm
    term = lpz - math.log(abs(d1))
    if lpz < -745.0 and not math.isfinite(term):
        return -math.inf
    return term


@jit
def _lse(terms, n):
    top = -math.inf
    for k in range(n):
        top = max(top, terms[k])
    if top == -math.inf:
        return top
    if top == math.inf:
        return top
    s = 0.0
    for k in range(n):
        s += math.exp(terms[k] - top)
    return top + math.log(s)


@jit
def logpdf(x, plo, phi, pa, pb, pinc, pshift, pmode, pdirs, start, ztab, vtab, fold_c, fold_x0, fold_curv,
           fold_coef, fold_units, w, b, v, c0, kind, slope, radius, loc, scale, lognorm, out, err):
    """``log p_g(x)`` into ``out`` and, into ``err``, its error from the rounding of ``x`` (``|d term / dx|
    ulp(x) / 2``), of ``G``'s value (``|d term / dx| 8 eps`` times the sum of the sizes of its terms) and of
    the preimages (``|d term / dz| 2 ulp(z)``), the largest over the branches."""
    terms = np.empty(pa.size)
    for n in range(x.size):
        xn = x[n]
        cnt = 0
        e = 0.0
        for i in range(pa.size):
            if not (plo[i] <= xn <= phi[i]):
                continue
            z, d1, mag, near = _branch(i, xn, pa, pb, pinc, pshift, pmode, pdirs, start, ztab, vtab, fold_c,
                                       fold_x0, fold_curv, fold_coef, fold_units, w, b, v, c0, kind, slope, radius)
            _, g1, d2 = _jet(w, b, v, c0, kind, slope, z)
            if not near:  # (next to a fold G' comes from the series, which keeps its digits)
                d1 = g1
            terms[cnt] = _term(z, d1, loc, scale, lognorm)
            cnt += 1
            dz = abs(-(z - loc) / (scale * scale) - d2 / d1)
            # the rounding of x, of G's value (which moves the preimage by dG / G') and of the preimage itself
            ei = dz * ((0.5 * np.spacing(abs(xn)) + 8.0 * _EPS * mag) / abs(d1) + 2.0 * np.spacing(abs(z)))
            e = max(e, ei if math.isfinite(ei) else math.inf)
        out[n] = _lse(terms, cnt)
        err[n] = e


@jit
def logpdf_offset(x0, off, loff, has_loff, fold, adjacent, plo, phi, pa, pb, pinc, pshift, pmode, pdirs, start,
                  ztab, vtab, fold_c, fold_x0, fold_curv, fold_coef, fold_units, w, b, v, c0, kind, slope, radius, loc,
                  scale, lognorm, out):
    """``log p_g(x0 + off)`` next to the fold ``fold`` (``x0 = G(c)``): on its two branches (``adjacent``)
    through ``G(c + δ) - G(c) = off`` (``networks.NetworkPushforward._logpdf_offset``)."""
    terms = np.empty(pa.size)
    curv = fold_curv[fold]
    lc = math.log(abs(curv))
    for n in range(off.size):
        o = off[n]
        xn = x0 + o
        cnt = 0
        for i in range(pa.size):
            if adjacent[i]:
                ok = (o < 0.0) if curv < 0.0 else (o > 0.0)
                ok = ok and (plo[i] - x0 <= o <= phi[i] - x0)
                if not ok:
                    continue
                right = fold_c[i, 0] == fold
                c = pa[i] if right else pb[i]
                if o == 0.0 and has_loff:
                    lo_all = loff[n]
                elif o == 0.0:
                    lo_all = -math.inf
                else:
                    lo_all = math.log(abs(o))
                t = (c - loc) / scale
                if 0.5 * (_LN2 + lo_all - lc) < math.log(1e-8 * radius):
                    terms[cnt] = -0.5 * t * t - lognorm - 0.5 * (_LN2 + lc + lo_all)
                else:
                    guess = _table(i, xn - pshift[i], start, ztab, vtab)[0]
                    d, s, _ = _from_fold(o, pa[i], pb[i], pinc[i] != 0, right, c, curv, guess, w, b, v, c0, kind,
                                      slope, pdirs[i], fold_coef[fold], fold_units[fold], radius)
                    terms[cnt] = _term(c + d, s, loc, scale, lognorm)
                cnt += 1
            elif plo[i] <= xn <= phi[i]:
                z, d1, _, _ = _branch(i, xn, pa, pb, pinc, pshift, pmode, pdirs, start, ztab, vtab, fold_c,
                                      fold_x0, fold_curv, fold_coef, fold_units, w, b, v, c0, kind, slope, radius)
                terms[cnt] = _term(z, d1, loc, scale, lognorm)
                cnt += 1
        out[n] = _lse(terms, cnt)


@jit
def roots(order, a, b, floor, w, bias, v, c0, kind, slope, out):
    """Sign changes of ``G'`` (``order`` 1) or ``G''`` (2) in the brackets ``[a_i, b_i]``, each by bisection to
    the last ulp or to the width ``floor`` (``networks._bisect``)."""
    for i in range(a.size):
        lo, hi = a[i], b[i]
        flo = _jet(w, bias, v, c0, kind, slope, lo)[order]
        for _ in range(1100):
            m = 0.5 * (lo + hi)
            if not (lo < m < hi and hi - lo > floor):
                break
            fm = _jet(w, bias, v, c0, kind, slope, m)[order]
            if fm == 0.0:
                lo = hi = m
                break
            if (fm < 0.0) == (flo < 0.0):
                lo, flo = m, fm
            else:
                hi = m
        out[i] = 0.5 * (lo + hi)


@jit
def jets(z, w, bias, v, c0, kind, slope, g, g1, g2):
    """``G``, ``G'`` and ``G''`` at the points ``z``."""
    for n in range(z.size):
        g[n], g1[n], g2[n] = _jet(w, bias, v, c0, kind, slope, z[n])


@jit
def limit_values(z, dirs, w, bias, v, c0, kind, slope, out):
    """``G(z) - G(±inf)`` at the points ``z`` (mode 1; ``dirs``: the units' saturation directions)."""
    for n in range(z.size):
        out[n] = _value(1, z[n], w, bias, v, c0, kind, slope, dirs, 0.0, dirs, dirs.reshape(1, -1), 0.0)[0]


@jit
def taylor(c, order, w, bias, v, c0, kind, slope, out):
    """The Taylor coefficients of ``G(c + t)`` up to ``t^order`` into ``out`` (tanh: ``a' = (1 - a²) u'``;
    softplus: ``f' = s u'``, ``s' = s (1 - s) u'``; each unit's input is ``u0 + w t``)."""
    n = order + 1
    out[:] = 0.0
    out[0] = c0
    a, d, s, q = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    for j in range(w.size):
        u0, u1 = c * w[j] + bias[j], w[j]
        a[:] = 0.0
        if kind == 0:
            a[0], d[0] = math.tanh(u0), _units(0, u0, slope)[1]
            for m in range(1, n):
                a[m] = u1 * d[m - 1] / m  # (u has only its first two coefficients)
                acc = 0.0
                for i in range(m + 1):
                    acc += a[i] * a[m - i]
                d[m] = -acc
        elif kind == 1:
            a[0], s[0] = _softplus(u0), _expit(u0)
            q[0] = s[0] * (1.0 - s[0])
            for m in range(1, n):
                a[m] = u1 * s[m - 1] / m
                s[m] = u1 * q[m - 1] / m
                acc = 0.0
                for i in range(m + 1):
                    acc += s[i] * s[m - i]
                q[m] = s[m] - acc
        else:
            up = u0 > 0.0
            a[0] = u0 if up else slope * u0
            if n > 1:
                a[1] = u1 if up else slope * u1
        for m in range(n):
            out[m] += v[j] * a[m]
