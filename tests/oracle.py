"""Oracle sweep: gantheory's quadrature against closed forms evaluated in mpmath.

A seeded generator draws random but valid density pairs from families with a closed form (or, for the
Student-t and mixture KLs, a 30-digit mpmath quadrature cached in JSON), and :func:`run` counts results
that are wrong beyond their own reported error bar.

    from oracle import cases, run
    summary = run(cases(seed=0, n_per_family=50))

Conventions
    * Every drawn parameter is a Python float before anything else is derived from it; the reference is
      computed from exactly those floats (``mpf(float)`` is exact), in mpmath at ``DPS`` digits.
    * A case's description is the gantheory call itself (``kl_divergence(Laplace(0.0, 1e-06), ...)``,
      floats by ``repr``, which round-trips), and its callable evaluates that very string with the
      public names of gantheory: the description cannot drift from what was run.
    * Case ``i`` of family ``f`` draws from ``numpy.random.default_rng([seed, crc32(f), i])``, so a case
      does not depend on the other families or on ``n_per_family`` (a smaller run is a prefix of a
      larger one), and a parallel run can evaluate any subset.

Classification (:func:`evaluate`), with ``e = |got - ref|`` in mpmath (``inf`` against ``inf`` is 0,
finite against ``inf`` is ``inf``, NaN is ``inf``) and ``bar = got.error``:
    * ``silent``: ``e > max(1e-10 |ref|, bar + slack)``, ``converged`` and no AccuracyWarning;
    * ``outside``: ``e > bar + slack`` (any result; split into converged/unflagged and flagged). A finite
      result where the reference is ``inf`` counts here too: no finite error bar covers it;
    * ``flagged``: ``converged`` is False or an AccuracyWarning was raised;
    * ``crash``: the call raised (message recorded).
    ``slack`` is float64 rounding the result cannot avoid: 2 ulps of ``|ref|``, plus ``2 eps`` for TV,
    whose integrand ``|p - q|`` picks up the densities' own rounding (``eps p``) to first order.
"""

import functools
import itertools
import json
import math
import os
import re
import signal
import tempfile
import time
import warnings
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from mpmath import mp
from reference import kl_beta, kl_laplace, kl_mvn, kl_normal

import gantheory as gt

DPS = 40  # closed forms: cheap, so with ten digits to spare over anything a comparison needs
QUAD_DPS = 30  # mpmath quadrature references (cached): ~1e-25 relative, checked against closed forms
EPS = 2.0**-52
TINY = 1e-300
HERE = Path(__file__).resolve().parent
CACHE_FILES = {"t": HERE / "oracle_t_refs.json", "mix": HERE / "oracle_mix_refs.json"}

#: Families in the order they are run; ``issue`` holds the fixed examples of the issue.
FAMILIES = ("normal", "laplace", "cauchy", "studentt", "uniform", "beta", "lognormal", "invariance",
            "w1", "mixture", "mixture_kl", "grid", "mvn2", "mvn3", "issue")
#: Families whose count is capped whatever ``n_per_family`` is: quadrature references (about a second
#: each, cached) and the multivariate normals (gantheory takes ~0.5 s per call in d = 3).
DEFAULT_CAPS = {"studentt": 240, "mixture_kl": 240, "mvn2": 20, "mvn3": 5}
TV_BOUNDED = {"tv_distance"}


class Case(NamedTuple):
    family: str
    desc: str  # the call, evaluable with gantheory's public names (see ``call``)
    call: Callable[[], Any]
    ref: Any  # mpmath mpf, or mp.inf


# ----------------------------------------------------------------------------------- descriptions
class Spec(NamedTuple):
    """A gantheory constructor call: ``kind(*args)`` with float / list / Spec arguments."""

    kind: str
    args: tuple = ()

    @property
    def desc(self):
        return f"{self.kind}({', '.join(_fmt(a) for a in self.args)})"


def _fmt(a):
    if isinstance(a, Spec):
        return a.desc
    if isinstance(a, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in a) + "]"
    if isinstance(a, float):
        return repr(a)
    raise TypeError(f"unexpected argument {a!r} in a case description")


def _call_desc(fn, p, q):
    return f"{fn}({p.desc}, {q.desc})"


_NAMESPACE = {name: getattr(gt, name) for name in gt.__all__}


@functools.lru_cache(maxsize=4096)
def _compiled(desc):
    return compile(desc, "<oracle case>", "eval")


def call(desc):
    """Run the gantheory call written in ``desc``."""
    return eval(_compiled(desc), {"__builtins__": {}}, _NAMESPACE)


def reproducer(desc):
    """``desc`` with gantheory's names qualified: a call to paste after ``import gantheory as gt``."""
    return re.sub(r"\b([A-Za-z_]\w*)\(", lambda m: f"gt.{m[1]}(" if m[1] in _NAMESPACE else m[0], desc)


# --------------------------------------------------------------------------------------- drawing
def _rng(seed, family, i):
    return np.random.default_rng([seed, zlib.crc32(family.encode()), i])


def _logu(rng, lo, hi):
    """Log-uniform float in [lo, hi]."""
    return float(10.0 ** rng.uniform(math.log10(lo), math.log10(hi)))


def _sign(rng):
    return 1.0 if rng.random() < 0.5 else -1.0


def _valid(loc, scale):
    """gantheory's limits on a location-scale pair."""
    return 1e-150 <= scale <= 1e150 and abs(loc) <= 1e150 and scale >= 1e-17 * abs(loc)


def _loc_scale_pair(rng, base=(1e-3, 1e3), max_ratio=1e8, max_shift=1e3, max_loc=1e6, p_equal=0.1):
    """(m1, s1, m2, s2): scale ratio log-uniform in [1, max_ratio] in either direction (exactly 1 with
    probability ``p_equal``), ``m1`` zero or of log-uniform size up to ``max_loc``, shift zero (10%) or of
    log-uniform size up to ``max_shift`` times the larger scale, random sign."""
    while True:
        s1 = _logu(rng, *base)
        r = 1.0 if rng.random() < p_equal else _logu(rng, 1.0, max_ratio)
        s2 = float(s1 * r if rng.random() < 0.5 else s1 / r)
        m1 = 0.0 if rng.random() < 0.3 else _sign(rng) * _logu(rng, 1e-3, max_loc)
        d = 0.0 if rng.random() < 0.1 else _sign(rng) * _logu(rng, 1e-4, max_shift) * max(s1, s2)
        m2 = float(m1 + d)
        if _valid(m1, s1) and _valid(m2, s2):
            return m1, s1, m2, s2


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


# ------------------------------------------------------------------------------- closed forms (mp)
def _m(*xs):
    return [mp.mpf(x) for x in xs]


def tv_from_crossings(roots, logratio, cdf_p, cdf_q):
    """TV = P(S) - Q(S) over S = {p > q}, from every point where ``log p - log q`` may change sign
    (extra points are harmless). The sign on each piece is read at an interior point."""
    edges = [-mp.inf, *sorted(set(roots)), mp.inf]
    tv = mp.mpf(0)
    for a, b in itertools.pairwise(edges):
        if a == -mp.inf and b == mp.inf:
            x = mp.mpf(0)
        elif a == -mp.inf:
            x = b - 1 - abs(b)
        elif b == mp.inf:
            x = a + 1 + abs(a)
        else:
            x = (a + b) / 2
        if logratio(x) > 0:
            tv += (cdf_p(b) - cdf_p(a)) - (cdf_q(b) - cdf_q(a))
    return tv


def _quadratic_roots(A, B, C):
    """Real roots of A y^2 + B y + C (A may be 0), by the cancellation-free formula."""
    if A == 0:
        return [] if B == 0 else [-C / B]
    disc = B * B - 4 * A * C
    if disc < 0:
        return []
    qq = -(B + mp.sign(B or 1) * mp.sqrt(disc)) / 2
    return [qq / A] + ([C / qq] if qq != 0 else [])


def normal_tv(m1, s1, m2, s2):
    """TV of N(m1, s1^2) and N(m2, s2^2): crossings of the log-densities (a quadratic in y = x - m1)."""
    s1, s2, d = mp.mpf(s1), mp.mpf(s2), mp.mpf(m2) - mp.mpf(m1)
    A = 1 / (2 * s2**2) - 1 / (2 * s1**2)
    B = -d / s2**2
    C = d**2 / (2 * s2**2) + mp.log(s2 / s1)
    return tv_from_crossings(_quadratic_roots(A, B, C), lambda y: A * y * y + B * y + C,
                             lambda y: mp.ncdf(y / s1), lambda y: mp.ncdf((y - d) / s2))


def normal_h2(m1, s1, m2, s2):
    m1, s1, m2, s2 = _m(m1, s1, m2, s2)
    v = s1**2 + s2**2
    return -mp.expm1(mp.log(2 * s1 * s2 / v) / 2 - (m1 - m2) ** 2 / (4 * v))


def _laplace_cdf(c, b):
    def F(y):
        return mp.exp((y - c) / b) / 2 if y < c else 1 - mp.exp(-(y - c) / b) / 2
    return F


def laplace_tv(m1, b1, m2, b2):
    """TV of Laplace(m1, b1) and Laplace(m2, b2): log p - log q is linear on the pieces cut at both
    locations; its roots there are the crossings (y = x - m1)."""
    b1, b2, d = mp.mpf(b1), mp.mpf(b2), mp.mpf(m2) - mp.mpf(m1)
    L = mp.log(b2 / b1)

    def logratio(y):
        return L - abs(y) / b1 + abs(y - d) / b2

    roots = []
    cuts = [-mp.inf, *sorted({mp.mpf(0), d}), mp.inf]
    for lo, hi in itertools.pairwise(cuts):
        probe = hi - 1 if lo == -mp.inf else (lo + 1 if hi == mp.inf else (lo + hi) / 2)
        sp, sq = mp.sign(probe), mp.sign(probe - d)  # logratio = L - sp y/b1 + sq (y - d)/b2 here
        k = -sp / b1 + sq / b2
        if k != 0:
            y = -(L - sq * d / b2) / k
            if lo < y < hi:
                roots.append(y)
    return tv_from_crossings([*roots, mp.mpf(0), d], logratio, _laplace_cdf(0, b1), _laplace_cdf(d, b2))


def laplace_h2(m1, b1, m2, b2):
    """1 - ∫ sqrt(pq) for Laplace laws: the integrand is exp(-|y|/(2 b1) - |y - d|/(2 b2)) / (2 sqrt(b1 b2)),
    an exponential on each of the three pieces cut at 0 and d = |m2 - m1|."""
    b1, b2 = _m(b1, b2)
    d = abs(mp.mpf(m2) - mp.mpf(m1))
    K = 1 / (2 * b1) + 1 / (2 * b2)
    k = 1 / (2 * b2) - 1 / (2 * b1)
    mid = d * (mp.expm1(k * d) / (k * d) if k * d != 0 else 1)
    bc = (mp.exp(-d / (2 * b2)) * (1 / K + mid) + mp.exp(-d / (2 * b1)) / K) / (2 * mp.sqrt(b1 * b2))
    return 1 - bc


def _cauchy_chi(m1, g1, m2, g2):
    """The maximal invariant of a Cauchy pair, chi = ((m1-m2)^2 + (g1-g2)^2) / (2 g1 g2); every
    f-divergence between Cauchy laws is a function of it (Nielsen and Okamura 2021)."""
    m1, g1, m2, g2 = _m(m1, g1, m2, g2)
    return ((m1 - m2) ** 2 + (g1 - g2) ** 2) / (2 * g1 * g2)


def cauchy_kl(m1, g1, m2, g2):
    return mp.log1p(_cauchy_chi(m1, g1, m2, g2) / 2)


def cauchy_js(m1, g1, m2, g2):
    """JSD = log(2a/(1+a)) with a = sqrt(1 + chi/2) = exp(KL/2)."""
    am1 = mp.expm1(cauchy_kl(m1, g1, m2, g2) / 2)
    return mp.log1p(am1 / (am1 + 2))


def cauchy_h2(m1, g1, m2, g2):
    """H^2 = 1 - sqrt(l)/agm(1, l) with l + 1/l = 2 + 2 chi: the pair is equivalent to C(0, 1), C(0, l), and
    ∫ dx / sqrt((x^2 + 1)(x^2 + l^2)) over the line is pi / agm(1, l)."""
    chi = _cauchy_chi(m1, g1, m2, g2)
    lam = 1 + chi - mp.sqrt(chi * (2 + chi))
    return 1 - mp.sqrt(lam) / mp.agm(1, lam)


def cauchy_tv(m1, g1, m2, g2):
    """p > q  <=>  (g1 - g2) y^2 - 2 g1 d y + g1 g2 (g2 - g1) + g1 d^2 > 0 (y = x - m1)."""
    g1, g2, d = mp.mpf(g1), mp.mpf(g2), mp.mpf(m2) - mp.mpf(m1)
    A, B, C = g1 - g2, -2 * g1 * d, g1 * g2 * (g2 - g1) + g1 * d * d
    return tv_from_crossings(_quadratic_roots(A, B, C), lambda y: A * y * y + B * y + C,
                             lambda y: mp.atan(y / g1) / mp.pi, lambda y: mp.atan((y - d) / g2) / mp.pi)


def uniform_forms(a1, b1, a2, b2):
    """KL(P || Q), JSD, TV, H^2 of U[a1, b1] and U[a2, b2] from the lengths and the overlap."""
    a1, b1, a2, b2 = _m(a1, b1, a2, b2)
    L1, L2 = b1 - a1, b2 - a2
    o = max(mp.mpf(0), min(b1, b2) - max(a1, a2))
    kl = mp.log(L2 / L1) if (a2 <= a1 and b1 <= b2) else mp.inf
    p, q = 1 / L1, 1 / L2
    m = (p + q) / 2
    js = ((L1 - o) / L1 + (L2 - o) / L2) * mp.log(2) / 2 + (o / L1 * mp.log(p / m) + o / L2 * mp.log(q / m)) / 2
    return {"kl_divergence": kl, "js_divergence": js, "tv_distance": 1 - o / max(L1, L2),
            "hellinger": 1 - o / mp.sqrt(L1 * L2)}


def _log_beta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def beta_h2(a1, b1, a2, b2):
    a1, b1, a2, b2 = _m(a1, b1, a2, b2)
    return -mp.expm1(_log_beta((a1 + a2) / 2, (b1 + b2) / 2) - (_log_beta(a1, b1) + _log_beta(a2, b2)) / 2)


def mvn_h2(m1, c1, m2, c2):
    """Bhattacharyya: 1 - det(S1)^(1/4) det(S2)^(1/4) det(S)^(-1/2) exp(-d' S^-1 d / 8), S = (S1 + S2)/2."""
    m1, m2, c1, c2 = mp.matrix(m1), mp.matrix(m2), mp.matrix(c1), mp.matrix(c2)
    s = (c1 + c2) / 2
    d = m2 - m1
    quad = (d.T * s**-1 * d)[0, 0]
    return -mp.expm1(mp.log(mp.det(c1) * mp.det(c2)) / 4 - mp.log(mp.det(s)) / 2 - quad / 8)


def grid_forms(x, v, lo, hi):
    """KL(U || G), KL(G || U), H^2 and TV of the piecewise-linear density G (nodes x, values v,
    normalised by its trapezoid sum) against U[lo, hi], cell by cell in closed form."""
    with mp.workdps(DPS + 20):  # divided differences (f(b) - f(a)) / (b - a) of close values cancel
        x, v = _m(*x), _m(*v)
        W = mp.mpf(hi) - mp.mpf(lo)
        Z = mp.fsum((x[i + 1] - x[i]) * (v[i] + v[i + 1]) / 2 for i in range(len(x) - 1))
        g = [t / Z for t in v]
        c = 1 / W

        def xlogx(t):
            return t * mp.log(t) if t > 0 else mp.mpf(0)

        def dd(F, a, b, fa_eq):  # (F(b) - F(a)) / (b - a), its limit F'(a) when a == b
            return fa_eq if a == b else (F(b) - F(a)) / (b - a)

        int_log, int_glogg, int_sqrt, int_abs = mp.mpf(0), mp.mpf(0), mp.mpf(0), mp.mpf(0)
        for i in range(len(x) - 1):
            h, a, b = x[i + 1] - x[i], g[i], g[i + 1]
            # ∫ log g over the cell: h [y log y - y]_a^b / (b - a); -inf on a zero run
            int_log += -mp.inf if a == b == 0 else h * (dd(xlogx, a, b, mp.log(a) + 1 if a > 0 else 0) - 1)
            int_glogg += h * dd(lambda t: (xlogx(t) * t - t * t / 2) / 2, a, b, xlogx(a))
            int_sqrt += h * dd(lambda t: 2 * t**1.5 / 3, a, b, mp.sqrt(a))
            d0, d1 = a - c, b - c
            int_abs += h * (abs(d0 + d1) / 2 if d0 * d1 >= 0 else (d0 * d0 + d1 * d1) / (2 * (abs(d0) + abs(d1))))
        kl_ug = -mp.log(W) - int_log / W if int_log != -mp.inf else mp.inf
        return {"kl_ug": +kl_ug, "kl_gu": +(mp.log(W) + int_glogg), "hellinger": +(1 - int_sqrt / mp.sqrt(W)),
                "tv_distance": +(int_abs / 2)}


# ------------------------------------------------------------------------- quadrature references
def _mp_logpdf(spec, shift):
    """mpmath log-density of a Normal / Laplace / Cauchy / StudentT / Mixture spec, as a function of
    y = x - shift (offsets keep far-out narrow densities resolved at 30 digits)."""
    k, a = spec.kind, spec.args
    if k == "Mixture":
        parts = [_mp_logpdf(c, shift) for c in a[0]]
        w = _m(*a[1])
        w = [t / mp.fsum(w) for t in w]  # gantheory normalises the weights by their float sum
        return lambda y: mp.log(mp.fsum(wi * mp.exp(f(y)) for wi, f in zip(w, parts)))
    if k == "StudentT":
        nu, m, s = _m(*a)
        lc = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2 - mp.log(s)
        return lambda y: lc - (nu + 1) / 2 * mp.log1p(((y - (m - shift)) / s) ** 2 / nu)
    m, s = _m(*a)
    c = m - shift
    if k == "Normal":
        lc = -mp.log(s) - mp.log(2 * mp.pi) / 2
        return lambda y: lc - ((y - c) / s) ** 2 / 2
    if k == "Laplace":
        lc = -mp.log(2 * s)
        return lambda y: lc - abs(y - c) / s
    if k == "Cauchy":
        lc = -mp.log(mp.pi * s)
        return lambda y: lc - mp.log1p(((y - c) / s) ** 2)
    raise ValueError(f"no mpmath density for {k}")


def _features(spec):
    """(location, scale) of every location-scale part of a spec."""
    if spec.kind == "Mixture":
        return [f for c in spec.args[0] for f in _features(c)]
    a = spec.args[1:] if spec.kind == "StudentT" else spec.args
    return [(a[0], a[1])]


def quad_breaks(features, step=10):
    """Break points: every location, and location ± scale * step^k from a tenth of each scale out to
    100 times the whole span. Each piece then holds one decade of one density's structure, where
    tanh-sinh converges fast."""
    cs = [c for c, _ in features]
    span = max(cs) - min(cs) + max(s for _, s in features)
    pts = set()
    for c, s in features:
        pts.add(c)
        h = s / step
        while True:
            pts.update((c - h, c + h))
            if h > 100 * span:
                break
            h *= step
    return sorted(pts)


def kl_quad(p, q):
    """KL(p || q) by mpmath tanh-sinh at QUAD_DPS for Normal / Laplace / Cauchy / StudentT / Mixture specs:
    the Bregman integrand p log(p/q) - p + q (pointwise >= 0, no cancellation between regions) over the
    pieces of :func:`quad_breaks`, and beyond the outermost points x = c ± e^u (algebraic tails become
    exponential in u). Returns (value, summed error estimate of mp.quad)."""
    with mp.workdps(QUAD_DPS):
        feats = _features(p) + _features(q)
        x0 = mp.mpf(feats[0][0])
        feats = [(mp.mpf(c) - x0, mp.mpf(s)) for c, s in feats]
        lp, lq = _mp_logpdf(p, x0), _mp_logpdf(q, x0)

        def f(y):
            a, b = lp(y), lq(y)
            pa = mp.exp(a)
            return pa * (a - b) - pa + mp.exp(b)

        pts = quad_breaks(feats)
        total, err = mp.mpf(0), mp.mpf(0)
        for a, b in itertools.pairwise(pts):
            v, e = mp.quad(f, [a, b], error=True)
            total, err = total + v, err + e
        cmin, cmax = min(c for c, _ in feats), max(c for c, _ in feats)
        for sign, edge, c in ((1, pts[-1], cmax), (-1, pts[0], cmin)):
            # u runs 80 e-folds past the edge (1e34 times as far out): beyond, a Cauchy tail leaves
            # e^-80 of the tail, and mp.quad on [u0, inf] would sample exp(-x^2) at x = e^(1e30)
            u0 = mp.log(abs(edge - c))
            v, e = mp.quad(lambda u, c=c, sign=sign: f(c + sign * mp.exp(u)) * mp.exp(u), [u0, u0 + 80], error=True)
            total, err = total + v, err + e
        return total, err


_CACHES: dict = {}
_NEW: dict = defaultdict(dict)


def _cache(name):
    if name not in _CACHES:
        path = CACHE_FILES[name]
        _CACHES[name] = json.loads(path.read_text())["refs"] if path.exists() else {}
    return _CACHES[name]


def cached_kl_quad(name, desc, p, q):
    """:func:`kl_quad`, memoised in ``CACHE_FILES[name]`` under the call's description (exact floats)."""
    store = _cache(name)
    if desc not in store:
        v, e = kl_quad(p, q)
        store[desc] = _NEW[name][desc] = [mp.nstr(v, QUAD_DPS), mp.nstr(e, 3)]
    return mp.mpf(store[desc][0])


def new_refs():
    """Quadrature references computed in this process and not yet saved: {cache: {desc: [value, error]}}."""
    return {k: dict(v) for k, v in _NEW.items() if v}


def save_refs(extra=None):
    """Merge new references (this process's, and ``extra`` from workers) into the JSON caches."""
    merged = new_refs()
    for name, refs in (extra or {}).items():
        merged.setdefault(name, {}).update(refs)
    for name, refs in merged.items():
        if not refs:
            continue
        path = CACHE_FILES[name]
        old = json.loads(path.read_text())["refs"] if path.exists() else {}
        old.update(refs)
        data = {"about": "mpmath tanh-sinh references of tests/oracle.py (kl_quad): value, quadrature error",
                "dps": QUAD_DPS, "refs": dict(sorted(old.items()))}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=0)
            fh.write("\n")
        os.replace(tmp, path)
        _cache(name).update(refs)
        _NEW[name].clear()


# ------------------------------------------------------------------------------------- families
# Each family maps an rng to (description, reference thunk); thunks run under mp.workdps(DPS).
LS_FORMS = {
    "Normal": {"kl_divergence": kl_normal, "tv_distance": normal_tv, "hellinger": normal_h2},
    "Laplace": {"kl_divergence": kl_laplace, "tv_distance": laplace_tv, "hellinger": laplace_h2},
    "Cauchy": {"kl_divergence": cauchy_kl, "js_divergence": cauchy_js, "tv_distance": cauchy_tv,
               "hellinger": cauchy_h2},
}


def _ls_case(rng, kind, fn, pair):
    """A location-scale pair in random argument order; the reference follows the order."""
    m1, s1, m2, s2 = pair
    if rng.random() < 0.5:
        m1, s1, m2, s2 = m2, s2, m1, s1
    desc = _call_desc(fn, Spec(kind, (m1, s1)), Spec(kind, (m2, s2)))
    return desc, lambda: LS_FORMS[kind][fn](m1, s1, m2, s2)


def _location_scale_family(kind):
    def gen(rng):
        fn = _pick(rng, [*LS_FORMS[kind], "kl_divergence"])  # KL twice as often: its orders differ
        return _ls_case(rng, kind, fn, _loc_scale_pair(rng))
    return gen


T_DFS = (1.5, 3.0, 5.0, 30.0)


def _studentt(rng):
    df = _pick(rng, T_DFS)
    while True:
        _, s1, m, s2 = _loc_scale_pair(rng)
        if _valid(m, s2):
            break
    p, q = Spec("StudentT", (df, 0.0, s1)), Spec("StudentT", (df, m, s2))
    if rng.random() < 0.5:
        p, q = q, p
    desc = _call_desc("kl_divergence", p, q)
    return desc, lambda: cached_kl_quad("t", desc, p, q)


def _uniform(rng):
    while True:
        a1 = 0.0 if rng.random() < 0.3 else _sign(rng) * _logu(rng, 1e-3, 1e6)
        w1 = _logu(rng, 1e-3, 1e3)
        r = 1.0 if rng.random() < 0.1 else _logu(rng, 1.0, 1e8)
        w2 = float(w1 * r if rng.random() < 0.5 else w1 / r)
        b1 = float(a1 + w1)
        mode = _pick(rng, ["free", "free", "share_low", "share_high", "touch", "nested", "equal"])
        if mode == "free":
            shift = 0.0 if rng.random() < 0.1 else _sign(rng) * _logu(rng, 1e-4, 1e3) * max(w1, w2)
            a2 = float(a1 + shift)
            b2 = float(a2 + w2)
        elif mode == "share_low":
            a2, b2 = a1, float(a1 + w2)
        elif mode == "share_high":
            a2, b2 = float(b1 - w2), b1
        elif mode == "touch":  # meeting in one point, on either side
            a2, b2 = (b1, float(b1 + w2)) if rng.random() < 0.5 else (float(a1 - w2), a1)
        elif mode == "nested":  # one inside the other (up to rounding: the reference uses the floats)
            a2 = float(a1 + rng.random() * (w1 - w2))
            b2 = float(a2 + w2)
        else:
            a2, b2 = a1, b1
        if all(hi > lo and hi - lo >= 1e-12 * max(abs(lo), abs(hi)) for lo, hi in ((a1, b1), (a2, b2))):
            break
    if rng.random() < 0.5:
        a1, b1, a2, b2 = a2, b2, a1, b1
    fn = _pick(rng, ["kl_divergence", "kl_divergence", "js_divergence", "tv_distance", "hellinger"])
    desc = _call_desc(fn, Spec("Uniform", (a1, b1)), Spec("Uniform", (a2, b2)))
    return desc, lambda: uniform_forms(a1, b1, a2, b2)[fn]


def _beta_shape(rng):
    return _logu(rng, 1e-2, 1e4)


def _beta(rng):
    a1, b1 = _beta_shape(rng), _beta_shape(rng)
    if rng.random() < 0.5:
        a2, b2 = _beta_shape(rng), _beta_shape(rng)
    else:  # a nearby pair: small divergences
        a2 = float(min(max(a1 * 10.0 ** rng.uniform(-1, 1), 1e-2), 1e4))
        b2 = float(min(max(b1 * 10.0 ** rng.uniform(-1, 1), 1e-2), 1e4))
    if rng.random() < 0.5:
        a1, b1, a2, b2 = a2, b2, a1, b1
    fn = _pick(rng, ["kl_divergence", "kl_divergence", "hellinger"])
    desc = _call_desc(fn, Spec("Beta", (a1, b1)), Spec("Beta", (a2, b2)))
    form = kl_beta if fn == "kl_divergence" else beta_h2
    return desc, lambda: form(a1, b1, a2, b2)


def _lognormal(rng):
    while True:
        m1 = float(rng.uniform(-40, 40))
        s1, s2 = _logu(rng, 1e-3, 10.0), _logu(rng, 1e-3, 10.0)
        u = rng.random()
        if u < 0.2:
            m2 = m1
        elif u < 0.4:
            m2 = float(rng.uniform(-40, 40))
        else:
            m2 = float(m1 + _sign(rng) * _logu(rng, 1e-4, 1e3) * max(s1, s2))
        if abs(m2) <= 40:
            break
    if rng.random() < 0.5:
        m1, s1, m2, s2 = m2, s2, m1, s1
    fn = _pick(rng, ["kl_divergence", "kl_divergence", "tv_distance", "hellinger"])
    p = Spec("Pushforward", (Spec("Normal", (m1, s1)), Spec("Exp")))
    q = Spec("Pushforward", (Spec("Normal", (m2, s2)), Spec("Exp")))
    # f-divergences are invariant under the bijection exp: the base normals' closed forms
    return _call_desc(fn, p, q), lambda: LS_FORMS["Normal"][fn](m1, s1, m2, s2)


def _invariance(rng):
    kind = _pick(rng, list(LS_FORMS))
    fn = _pick(rng, [*LS_FORMS[kind], "kl_divergence"])
    if rng.random() < 0.5:  # a common Affine map of any sign
        while True:
            m1, s1, m2, s2 = _loc_scale_pair(rng)
            a = _sign(rng) * _logu(rng, 1e-6, 1e6)
            c = 0.0 if rng.random() < 0.2 else _sign(rng) * _logu(rng, 1e-3, 1e6)
            images = [(a * m1 + c, abs(a) * s1), (a * m2 + c, abs(a) * s2)]
            if abs(a) >= 1e-17 * abs(c) and all(_valid(*im) for im in images):
                break
        t = Spec("Affine", (a, c))
    else:  # SinhArcsinh: moderate bases, whose images stay inside float64
        m1, s1, m2, s2 = _loc_scale_pair(rng, base=(1e-2, 10.0), max_ratio=1e4, max_shift=1e2, max_loc=10.0)
        t = Spec("SinhArcsinh", (float(rng.uniform(-2, 2)), float(rng.uniform(0.3, 3))))
    if rng.random() < 0.5:
        m1, s1, m2, s2 = m2, s2, m1, s1
    p = Spec("Pushforward", (Spec(kind, (m1, s1)), t))
    q = Spec("Pushforward", (Spec(kind, (m2, s2)), t))
    return _call_desc(fn, p, q), lambda: LS_FORMS[kind][fn](m1, s1, m2, s2)


def _w1(rng):
    """W1 of a pair differing by a shift only: exactly the shift, for any law (∫ F(x) - F(x - d) dx = d)."""
    kind = _pick(rng, ["Normal", "Laplace", "Cauchy", "StudentT", "Uniform"])
    m1, s, m2, _ = _loc_scale_pair(rng, p_equal=1.0)
    if kind == "StudentT":
        df = _pick(rng, T_DFS)
        p, q = Spec(kind, (df, m1, s)), Spec(kind, (df, m2, s))
    elif kind == "Uniform":
        p, q = Spec(kind, (m1, float(m1 + s))), Spec(kind, (m2, float(m2 + s)))
        widths = [Fraction(b) - Fraction(a) for a, b in (p.args, q.args)]
        if widths[0] != widths[1] or widths[0] <= 0:  # the rounded widths must agree exactly
            return _w1(rng)
    else:
        p, q = Spec(kind, (m1, s)), Spec(kind, (m2, s))
    if rng.random() < 0.5:
        p, q = q, p
    return _call_desc("w1_distance", p, q), lambda: abs(mp.mpf(m2) - mp.mpf(m1))


def _component(rng):
    """A random one-dimensional density for the mixture identities."""
    kind = _pick(rng, ["Normal", "Laplace", "Cauchy", "StudentT", "Uniform", "Beta", "Lognormal"])
    m, s, _, _ = _loc_scale_pair(rng)
    if kind == "StudentT":
        return Spec(kind, (_pick(rng, T_DFS), m, s))
    if kind == "Uniform":
        return Spec(kind, (m, float(m + s))) if m + s > m else Spec(kind, (0.0, 1.0))
    if kind == "Beta":
        return Spec(kind, (_beta_shape(rng), _beta_shape(rng)))
    if kind == "Lognormal":
        return Spec("Pushforward", (Spec("Normal", (float(rng.uniform(-40, 40)), _logu(rng, 1e-3, 10.0))),
                                    Spec("Exp")))
    return Spec(kind, (m, s))


def _weight(rng):
    u = rng.random()
    return 0.5 if u < 0.2 else (_logu(rng, 1e-6, 0.5) if u < 0.6 else float(1.0 - _logu(rng, 1e-6, 0.5)))


def _mixture(rng):
    """Mixtures equal to another density: all divergences are exactly 0."""
    w = _weight(rng)
    a = _component(rng)
    if rng.random() < 0.5:  # two copies of one component against the component itself
        p, q = Spec("Mixture", ([a, a], [w, float(1.0 - w)])), a
    else:  # the same mixture with its components (and weights) permuted
        b = _component(rng) if rng.random() < 0.8 else a
        p = Spec("Mixture", ([a, b], [w, float(1.0 - w)]))
        q = Spec("Mixture", ([b, a], [float(1.0 - w), w]))
    if rng.random() < 0.5:
        p, q = q, p
    fn = _pick(rng, ["kl_divergence", "js_divergence", "tv_distance", "hellinger", "w1_distance"])
    return _call_desc(fn, p, q), lambda: mp.mpf(0)


def _mixture_kl(rng):
    """KL(p || w p + (1-w) q) and KL(w p + (1-w) q || p): references by cached quadrature."""
    kind = _pick(rng, ["Normal", "Laplace", "Cauchy"])
    m1, s1, m2, s2 = _loc_scale_pair(rng, base=(1e-2, 1e2), max_ratio=1e6, max_shift=1e2, max_loc=1e3)
    p, q = Spec(kind, (m1, s1)), Spec(kind, (m2, s2))
    w = _weight(rng)
    comps, weights = ([p, q], [w, float(1.0 - w)]) if rng.random() < 0.5 else ([q, p], [float(1.0 - w), w])
    mix = Spec("Mixture", (comps, weights))
    a, b = (p, mix) if rng.random() < 0.5 else (mix, p)
    desc = _call_desc("kl_divergence", a, b)
    return desc, lambda: cached_kl_quad("mix", desc, a, b)


def _grid_draw(rng):
    while True:
        L = 0.0 if rng.random() < 0.2 else _sign(rng) * _logu(rng, 1e-2, 1e4)
        W = _logu(rng, 1e-3, 1e3)
        hi = float(L + W)
        n = int(rng.integers(2, 7))
        inner = sorted({float(L + W * u) for u in rng.random(n - 2)} - {L, hi})
        x = [L, *inner, hi]
        if hi <= L or any(b - a < 1e-150 or b - a < 1e-12 * max(abs(a), abs(b)) for a, b in itertools.pairwise(x)):
            continue
        v = [0.0 if rng.random() < (0.35 if k in (0, len(x) - 1) else 0.25)
             else (float(rng.random()) if rng.random() < 0.7 else _logu(rng, 1e-6, 1.0)) for k in range(len(x))]
        if any(v[k] + v[k + 1] > 0 for k in range(len(x) - 1)):
            return L, hi, x, v


def _grid(rng):
    lo, hi, x, v = _grid_draw(rng)
    u, g = Spec("Uniform", (lo, hi)), Spec("GridDensity", (x, v))
    which = _pick(rng, ["kl_ug", "kl_gu", "hellinger", "tv_distance"])
    if which == "kl_ug":
        desc = _call_desc("kl_divergence", u, g)
    elif which == "kl_gu":
        desc = _call_desc("kl_divergence", g, u)
    else:
        desc = _call_desc(which, *((u, g) if rng.random() < 0.5 else (g, u)))
    return desc, lambda: grid_forms(x, v, lo, hi)[which]


def _spd(rng, d, sigma):
    """Random SPD matrix, condition number up to 1e3, exactly symmetric in float."""
    qm, _ = np.linalg.qr(rng.standard_normal((d, d)))
    c = (qm * (sigma**2 * 10.0 ** rng.uniform(-1.5, 1.5, d))) @ qm.T
    return [[float(c[min(i, j), max(i, j)]) for j in range(d)] for i in range(d)]


def _mvn(d):
    def gen(rng):
        sigma = _logu(rng, 1e-2, 1e2)
        m1 = [0.0 if rng.random() < 0.3 else _sign(rng) * _logu(rng, 1e-3, 1e3) for _ in range(d)]
        u = rng.standard_normal(d)
        shift = (u / np.linalg.norm(u)) * _logu(rng, 1e-3, 5.0) * sigma
        m2 = [float(a + b) for a, b in zip(m1, shift)]
        c1, c2 = _spd(rng, d, sigma), _spd(rng, d, sigma)
        if rng.random() < 0.5:
            m1, c1, m2, c2 = m2, c2, m1, c1
        fn = _pick(rng, ["kl_divergence", "kl_divergence", "hellinger"])
        desc = _call_desc(fn, Spec("MultivariateNormal", (m1, c1)), Spec("MultivariateNormal", (m2, c2)))
        form = kl_mvn if fn == "kl_divergence" else mvn_h2
        return desc, lambda: form(m1, c1, m2, c2)
    return gen


def _issue_cases():
    """The examples listed in the issue, with the values it states (checked by the tests)."""
    t_p, t_q = Spec("StudentT", (3.0, 0.0, 1.0)), Spec("StudentT", (3.0, 0.0, 1e-5))
    t_desc = _call_desc("kl_divergence", t_p, t_q)
    ln = [Spec("Pushforward", (Spec("Normal", (m, 1e-3)), Spec("Exp"))) for m in (-30.0, -30.001)]
    grid = ([5000.0, 5006.0, 5030.0], [0.0, 0.2, 0.4])
    return [
        ("kl_divergence(Laplace(0.0, 1e-06), Laplace(0.0, 1.0))", lambda: kl_laplace(0.0, 1e-6, 0.0, 1.0),
         "12.815511557964273"),
        ("kl_divergence(Cauchy(0.0, 1.0), Cauchy(0.0, 1e-05))", lambda: cauchy_kl(0.0, 1.0, 0.0, 1e-5),
         "10.12665"),
        (t_desc, lambda: cached_kl_quad("t", t_desc, t_p, t_q), "29.76627"),
        (_call_desc("kl_divergence", *ln), lambda: kl_normal(-30.0, 1e-3, -30.001, 1e-3), "0.5"),
        ("kl_divergence(Beta(4000.0, 0.01), Beta(9000.0, 1.5))", lambda: kl_beta(4000.0, 0.01, 9000.0, 1.5),
         "143.9113"),
        ("hellinger(Laplace(0.0, 1.0), Laplace(0.0, 3e-05))", lambda: laplace_h2(0.0, 1.0, 0.0, 3e-5),
         "0.98904588"),
        (_call_desc("kl_divergence", Spec("Uniform", (5000.0, 5030.0)), Spec("GridDensity", grid)),
         lambda: grid_forms(*grid, 5000.0, 5030.0)["kl_ug"], "0.153329"),
    ]


GENERATORS = {
    "normal": _location_scale_family("Normal"),
    "laplace": _location_scale_family("Laplace"),
    "cauchy": _location_scale_family("Cauchy"),
    "studentt": _studentt,
    "uniform": _uniform,
    "beta": _beta,
    "lognormal": _lognormal,
    "invariance": _invariance,
    "w1": _w1,
    "mixture": _mixture,
    "mixture_kl": _mixture_kl,
    "grid": _grid,
    "mvn2": _mvn(2),
    "mvn3": _mvn(3),
}


def family_size(family, n_per_family, caps=None):
    """Number of cases of ``family`` in a run of ``n_per_family``."""
    if family == "issue":
        return len(_issue_cases())
    cap = {**DEFAULT_CAPS, **(caps or {})}.get(family)
    return n_per_family if cap is None else min(n_per_family, cap)


def cases(seed, n_per_family, families=None, *, caps=None, part=None) -> Iterator[Case]:
    """Yield :class:`Case` records: ``n_per_family`` per family (capped by ``caps`` over
    ``DEFAULT_CAPS`` for the slow families), the issue's examples when ``families`` is None or names
    ``"issue"``. ``part=(k, K)`` yields only the cases whose index is ``k`` mod ``K`` (for parallel runs;
    the others are not drawn at all). References are evaluated as each case is yielded."""
    families = FAMILIES if families is None else tuple(families)
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown families {sorted(unknown)}; choose from {FAMILIES}")
    k, K = part or (0, 1)
    for fam in families:
        n = family_size(fam, n_per_family, caps)
        for i in range(k, n, K):
            if fam == "issue":
                desc, thunk, _ = _issue_cases()[i]
            else:
                desc, thunk = GENERATORS[fam](_rng(seed, fam, i))
            with mp.workdps(DPS):
                ref = +thunk()
            yield Case(fam, desc, functools.partial(call, desc), ref)


# ------------------------------------------------------------------------------------ evaluation
def _fmt_ref(ref):
    return "inf" if ref == mp.inf else mp.nstr(ref, 20)


def _quantity(desc):
    return desc.split("(", 1)[0]


class CaseTimeout(Exception):
    """A call ran past the ``timeout`` of :func:`evaluate` (recorded as a crash)."""


def _on_alarm(signum, frame):
    raise CaseTimeout("the call ran past its time limit")


def evaluate(case, ref_time=0.0, timeout=None):
    """Run one case and classify it (see the module docstring). Returns a plain, picklable dict.

    ``timeout`` (seconds, main thread on Unix only) interrupts a call at its next Python bytecode and
    records it as a crash; None waits for ever."""
    rec = {"family": case.family, "desc": case.desc, "ref": _fmt_ref(case.ref), "got": None, "error": None,
           "converged": None, "warned": False, "neval": None, "abs_err": math.nan, "ratio": math.nan,
           "silent": False, "outside": False, "flagged": False, "crash": None, "warnings": [],
           "time": 0.0, "ref_time": ref_time}
    t0 = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, _on_alarm) if timeout else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, timeout)
            got = case.call()
        except Exception as exc:  # a crash is a result to report, not a reason to stop
            rec["crash"] = f"{type(exc).__name__}: {exc}"[:300]
            got = None
        finally:
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
    rec["time"] = time.perf_counter() - t0
    rec["warned"] = any(issubclass(w.category, gt.AccuracyWarning) for w in caught)
    rec["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught})
    if got is None:
        return rec
    value = float(got)
    error = float(getattr(got, "error", math.nan))
    converged = bool(getattr(got, "converged", True))
    rec.update(got=value, error=error, converged=converged, neval=getattr(got, "neval", None))
    bar = error if error >= 0 else 0.0  # a NaN error bar covers nothing
    ref = case.ref
    with mp.workdps(DPS):
        if math.isnan(value):
            e = mp.inf
        elif ref == mp.inf:
            e = mp.mpf(0) if value == math.inf else mp.inf
        elif math.isinf(value):
            e = mp.inf
        else:
            e = abs(mp.mpf(value) - ref)
        finite_ref = ref != mp.inf
        slack = 2 * EPS * (float(abs(ref)) if finite_ref else 0.0)
        slack += 2 * EPS if _quantity(case.desc) in TV_BOUNDED else 0.0
        limit = max(1e-10 * float(abs(ref)), bar + slack) if finite_ref else bar + slack
        rec["abs_err"] = float(e)
        rec["ratio"] = float(e / max(bar + slack, TINY)) if e != 0 else 0.0  # > 1 exactly when outside
        rec["flagged"] = (not converged) or rec["warned"]
        rec["outside"] = bool(e > bar + slack)
        rec["silent"] = bool(e > limit) and not rec["flagged"]
    return rec


def run(case_iter: Iterable[Case], *, worst=15, progress=None, timeout=None):
    """Evaluate every case and summarise (see :func:`summarize`); ``progress(i, record)`` is called
    after each case when given; ``timeout`` as in :func:`evaluate`."""
    records = []
    it = iter(case_iter)
    while True:
        t0 = time.perf_counter()
        try:
            case = next(it)
        except StopIteration:
            break
        rec = evaluate(case, ref_time=time.perf_counter() - t0, timeout=timeout)
        records.append(rec)
        if progress is not None:
            progress(len(records), rec)
    return summarize(records, worst=worst)


def summarize(records, *, worst=15):
    """{"counts": {family: {...}}, "total": {...}, "worst": [records], "crashes": [records],
    "records": records}. ``worst`` ranks by ``ratio`` = e / max(error + slack, TINY), then by e."""
    keys = ("cases", "silent", "outside_converged", "outside_flagged", "flagged", "crash", "time", "ref_time")
    counts = {}
    for r in records:
        c = counts.setdefault(r["family"], dict.fromkeys(keys, 0))
        c["cases"] += 1
        c["silent"] += r["silent"]
        c["outside_converged"] += r["outside"] and not r["flagged"]
        c["outside_flagged"] += r["outside"] and r["flagged"]
        c["flagged"] += r["flagged"]
        c["crash"] += r["crash"] is not None
        c["time"] += r["time"]
        c["ref_time"] += r["ref_time"]
    order = {f: i for i, f in enumerate(FAMILIES)}
    counts = dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))))
    total = {k: sum(c[k] for c in counts.values()) for k in keys}
    ranked = sorted((r for r in records if r["crash"] is None and r["abs_err"] > 0),
                    key=lambda r: (r["ratio"], r["abs_err"]), reverse=True)
    return {"counts": counts, "total": total, "worst": ranked[:worst],
            "crashes": [r for r in records if r["crash"] is not None], "records": records}


def run_part(seed, n_per_family, family, k, K, caps=None, timeout=None):
    """Evaluate part ``k`` of ``K`` of one family (for a process pool): (records, new quadrature refs)."""
    records = run(cases(seed, n_per_family, [family], caps=caps, part=(k, K)), worst=0, timeout=timeout)["records"]
    return records, new_refs()
