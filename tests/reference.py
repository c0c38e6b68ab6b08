"""Slow, obviously correct reference values: closed forms and mpmath at 30 digits.

Nothing here imports gantheory's numerics: densities are written out again in mpmath, integrals are
mpmath's tanh-sinh quadrature split at the same kinks a textbook would split at. The values back
the accuracy tests of the reference set (issue 2) and the theory checks.

``python tests/reference.py`` recomputes every value and writes ``tests/reference_values.json``; the
test suite reads that file and ``tests/test_reference.py`` recomputes a sample of it each run (the
whole of it under ``-m slow``).
"""

import json
import math
import sys
from pathlib import Path

import mpmath as mp

mp.mp.dps = 30
INF = mp.inf
VALUES_FILE = Path(__file__).with_name("reference_values.json")


# --------------------------------------------------------------------------- densities in mpmath
def normal(m, s):
    m, s = mp.mpf(m), mp.mpf(s)
    return lambda x: mp.exp(-((x - m) / s) ** 2 / 2) / (s * mp.sqrt(2 * mp.pi))


def laplace(m, b):
    m, b = mp.mpf(m), mp.mpf(b)
    return lambda x: mp.exp(-abs(x - m) / b) / (2 * b)


def cauchy(m, g):
    m, g = mp.mpf(m), mp.mpf(g)
    return lambda x: 1 / (mp.pi * g * (1 + ((x - m) / g) ** 2))


def student_t(nu, m=0, s=1):
    nu, m, s = mp.mpf(nu), mp.mpf(m), mp.mpf(s)
    c = mp.gamma((nu + 1) / 2) / (mp.gamma(nu / 2) * mp.sqrt(nu * mp.pi) * s)
    return lambda x: c * (1 + ((x - m) / s) ** 2 / nu) ** (-(nu + 1) / 2)


def uniform(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    return lambda x: 1 / (b - a) if a <= x <= b else mp.mpf(0)


def beta(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    c = 1 / mp.beta(a, b)
    return lambda x: c * x ** (a - 1) * (1 - x) ** (b - 1) if 0 < x < 1 else mp.mpf(0)


def mixture(parts):
    return lambda x: mp.fsum(mp.mpf(w) * f(x) for w, f in parts)


def sinh_arcsinh_normal(m, s, skew, tail):
    """Density of sinh(tail * asinh(z) + skew) for z ~ N(m, s^2), by the change of variables."""
    base = normal(m, s)
    skew, tail = mp.mpf(skew), mp.mpf(tail)

    def pdf(x):
        w = (mp.asinh(x) - skew) / tail
        return base(mp.sinh(w)) * mp.cosh(w) / (tail * mp.sqrt(1 + x * x))

    return pdf


def lognormal(m, s):
    base = normal(m, s)
    return lambda x: base(mp.log(x)) / x if x > 0 else mp.mpf(0)


# ------------------------------------------------------------------------------------ functionals
def _plogpq(p, q):
    def f(x):
        px = p(x)
        if px == 0:
            return mp.mpf(0)
        return px * mp.log(px / q(x))
    return f


def kl(p, q, points):
    """KL(p || q) = ∫ p log(p/q) over the intervals between ``points``."""
    return mp.quad(_plogpq(p, q), points)


def jsd(p, q, points):
    """JSD(p || q) = (1/2) ∫ p log(2p/(p+q)) + q log(2q/(p+q))."""
    def f(x):
        px, qx = p(x), q(x)
        s = px + qx
        out = mp.mpf(0)
        if px > 0:
            out += px * mp.log(2 * px / s)
        if qx > 0:
            out += qx * mp.log(2 * qx / s)
        return out / 2
    return mp.quad(f, points)


def jsd_2d(p, q, box):
    """2-D JSD by iterated tanh-sinh quadrature over a box (the integrand outside is below 1e-40),
    at 20 digits (30 would take minutes)."""
    def f(x, y):
        px, qx = p(x, y), q(x, y)
        s = px + qx
        return (px * mp.log(2 * px / s) + qx * mp.log(2 * qx / s)) / 2
    with mp.workdps(20):
        return +mp.quad(f, box[0], box[1])


def mvn2(mean, cov):
    m = [mp.mpf(v) for v in mean]
    a, b, c = mp.mpf(cov[0][0]), mp.mpf(cov[0][1]), mp.mpf(cov[1][1])
    det = a * c - b * b
    norm = 1 / (2 * mp.pi * mp.sqrt(det))

    def pdf(x, y):
        dx, dy = x - m[0], y - m[1]
        return norm * mp.exp(-(c * dx * dx - 2 * b * dx * dy + a * dy * dy) / (2 * det))
    return pdf


# ------------------------------------------------------------------------------------ closed forms
def kl_normal(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2


def kl_laplace(m1, b1, m2, b2):
    m1, b1, m2, b2 = map(mp.mpf, (m1, b1, m2, b2))
    d = abs(m1 - m2)
    return mp.log(b2 / b1) + d / b2 + (b1 / b2) * mp.exp(-d / b1) - 1


def kl_cauchy(m1, g1, m2, g2):
    m1, g1, m2, g2 = map(mp.mpf, (m1, g1, m2, g2))
    return mp.log(((g1 + g2) ** 2 + (m1 - m2) ** 2) / (4 * g1 * g2))


def kl_beta(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return (mp.log(mp.beta(a2, b2)) - mp.log(mp.beta(a1, b1)) + (a1 - a2) * mp.digamma(a1)
            + (b1 - b2) * mp.digamma(b1) + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def kl_mvn(m1, s1, m2, s2):
    m1, m2 = mp.matrix(m1), mp.matrix(m2)
    s1, s2 = mp.matrix(s1), mp.matrix(s2)
    d = m1.rows
    inv2 = s2**-1
    diff = m2 - m1
    tr = sum((inv2 * s1)[i, i] for i in range(d))
    quad = (diff.T * inv2 * diff)[0, 0]
    return (tr + quad - d + mp.log(mp.det(s2) / mp.det(s1))) / 2


# --------------------------------------------------------------------------- the reference set
MIX3 = [(0.3, normal(-2, 0.5)), (0.5, normal(0.5, 1)), (0.2, normal(3, 0.7))]
MIX3_PTS = [-INF, -2, 0.5, 3, INF]


def _reference_set():
    """name -> {quantity: thunk returning an mpf (or 'inf')}."""
    R = {}
    g = [-INF, 0, 1, INF]
    R["normal_shift"] = {"kl_pq": lambda: kl_normal(0, 1, 1, 1), "kl_qp": lambda: kl_normal(1, 1, 0, 1),
                         "jsd": lambda: jsd(normal(0, 1), normal(1, 1), g)}
    for ratio in (3, 100):
        pts = [-INF, -3 * ratio, -3, 0, 3, 3 * ratio, INF]
        R[f"normal_scale_{ratio}"] = {
            "kl_pq": (lambda r=ratio: kl_normal(0, 1, 0, r)),
            "kl_qp": (lambda r=ratio: kl_normal(0, r, 0, 1)),
            "jsd": (lambda r=ratio, pts=pts: jsd(normal(0, 1), normal(0, r), pts))}
    R["normal_far_40"] = {"kl_pq": lambda: kl_normal(0, 1, 40, 1),
                          "jsd": lambda: jsd(normal(0, 1), normal(40, 1), [-INF, 0, 20, 40, INF])}
    R["normal_narrow_1e-3"] = {"kl_pq": lambda: kl_normal(0, 1, 0, mp.mpf("1e-3")),
                               "kl_qp": lambda: kl_normal(0, mp.mpf("1e-3"), 0, 1),
                               "jsd": lambda: jsd(normal(0, 1), normal(0, mp.mpf("1e-3")),
                                                  [-INF, -1, -0.01, 0, 0.01, 1, INF])}
    R["cauchy_pair"] = {"kl_pq": lambda: kl_cauchy(0, 1, 1, 3), "kl_qp": lambda: kl_cauchy(1, 3, 0, 1),
                        "jsd": lambda: jsd(cauchy(0, 1), cauchy(1, 3), [-INF, -10, 0, 1, 10, INF])}
    R["student_t_1.5_vs_normal"] = {
        # E_t[x^2] = inf for df = 1.5 while -log N(x) ~ x^2/2: the integral diverges
        "kl_pq": lambda: "inf",
        "kl_qp": lambda: kl(normal(0, 1), student_t(1.5), [-INF, -5, 0, 5, INF]),
        "jsd": lambda: jsd(student_t(1.5), normal(0, 1), [-INF, -5, 0, 5, INF])}
    R["laplace_pair"] = {"kl_pq": lambda: kl_laplace(0, 1, 1, 2), "kl_qp": lambda: kl_laplace(1, 2, 0, 1),
                         "jsd": lambda: jsd(laplace(0, 1), laplace(1, 2), [-INF, 0, 1, INF])}
    R["uniform_overlap_half"] = {"kl_pq": lambda: "inf", "kl_qp": lambda: "inf",
                                 "jsd": lambda: mp.log(2) / 2}
    R["uniform_nested"] = {"kl_pq": lambda: mp.log(3), "kl_qp": lambda: "inf",
                           "jsd": lambda: jsd(uniform(0, 1), uniform(-1, 2), [-1, 0, 1, 2])}
    R["uniform_disjoint"] = {"kl_pq": lambda: "inf", "kl_qp": lambda: "inf", "jsd": lambda: mp.log(2)}
    R["beta_0.5_vs_2"] = {"kl_pq": lambda: kl_beta(0.5, 0.5, 2, 2), "kl_qp": lambda: kl_beta(2, 2, 0.5, 0.5),
                          "jsd": lambda: jsd(beta(0.5, 0.5), beta(2, 2), [0, 0.5, 1])}
    mix = mixture(MIX3)
    R["mixture3_vs_normal"] = {"kl_pq": lambda: kl(mix, normal(0, 2), MIX3_PTS),
                               "kl_qp": lambda: kl(normal(0, 2), mix, MIX3_PTS),
                               "jsd": lambda: jsd(mix, normal(0, 2), MIX3_PTS)}
    sas_p = sinh_arcsinh_normal(0, 1, 0.3, 1.5)
    sas_q = sinh_arcsinh_normal(1, 2, 0.3, 1.5)
    R["pushforward_sinh_arcsinh"] = {
        # f-divergences are invariant under a bijection: KL equals the base normals' closed form,
        # and the explicit change-of-variables densities are integrated in x as an independent check
        "kl_pq": lambda: kl_normal(0, 1, 1, 2), "kl_qp": lambda: kl_normal(1, 2, 0, 1),
        "kl_pq_x": lambda: kl(sas_p, sas_q, [-INF, -1, 0, 1, 5, INF]),
        "jsd": lambda: jsd(sas_p, sas_q, [-INF, -1, 0, 1, 5, INF])}
    c1, c2 = [[1, 0.5], [0.5, 1]], [[2, -0.3], [-0.3, 0.5]]
    R["mvn2_correlated"] = {
        "kl_pq": lambda: kl_mvn([0, 0], c1, [1, -1], c2), "kl_qp": lambda: kl_mvn([1, -1], c2, [0, 0], c1),
        "jsd": lambda: jsd_2d(mvn2([0, 0], c1), mvn2([1, -1], c2),
                              ([-14, -4, 0, 1, 4, 14], [-14, -4, -1, 0, 4, 14]))}
    return R


def _deep(thunk, dps=50):
    """Evaluate at ``dps`` digits: for tiny divergences of nearly equal densities (the integrand
    ``p log(p/q)`` cancels to a result 1e-24 below its parts) and for densities far from the origin."""
    def run():
        with mp.workdps(dps):
            return +thunk()
    return run


def _extreme_set():
    """Extreme but valid parameters (issue 7): far locations, tiny and huge scales, Student-t near
    df = 0.5 and huge df, Beta with tiny or large shapes, a mixture weight of 1e-12."""
    R = {}
    loc = 1e8
    R["extreme_normal_loc_1e8"] = {
        "kl_pq": lambda: kl_normal(loc, 1, loc + 1, 2), "kl_qp": lambda: kl_normal(loc + 1, 2, loc, 1),
        "jsd": _deep(lambda: jsd(normal(loc, 1), normal(loc + 1, 2),
                                 [-INF, loc - 10, loc, loc + 1, loc + 20, INF]))}
    for s in (mp.mpf(1e-8), mp.mpf(1e8)):  # the float values gantheory is given
        tag = "1e-8" if s < 1 else "1e8"
        R[f"extreme_normal_scale_{tag}"] = {
            "kl_pq": lambda s=s: kl_normal(0, s, s, 2 * s), "kl_qp": lambda s=s: kl_normal(s, 2 * s, 0, s),
            "jsd": lambda s=s: jsd(normal(0, s), normal(s, 2 * s), [-INF, -10 * s, 0, s, 20 * s, INF])}
    R["extreme_laplace_scale_1e-8"] = {"kl_pq": lambda: kl_laplace(0, 1e-8, 1e-8, 2e-8),
                                       "kl_qp": lambda: kl_laplace(1e-8, 2e-8, 0, 1e-8)}
    R["extreme_cauchy_scale_1e8"] = {"kl_pq": lambda: kl_cauchy(0, 1e8, 1e8, 3e8),
                                     "kl_qp": lambda: kl_cauchy(1e8, 3e8, 0, 1e8)}
    pts = [-INF, -10, 0, 1, 10, INF]
    R["extreme_student_t_0.5"] = {
        "kl_pq": lambda: kl(student_t(0.5, 0, 1), student_t(0.5, 1, 2), pts),
        "kl_qp": lambda: kl(student_t(0.5, 1, 2), student_t(0.5, 0, 1), pts),
        "jsd": lambda: jsd(student_t(0.5, 0, 1), student_t(0.5, 1, 2), pts)}
    npts = [-INF, -5, 0, 5, INF]
    for tag, nu in (("3", 3), ("1e6", 10**6), ("1e12", 10**12)):
        R[f"extreme_student_t_{tag}_vs_normal"] = {
            # finite for df > 2 (E_t[x^2] < inf): the normal's log overflows far out, the KL does not
            "kl_pq": _deep(lambda nu=nu: kl(student_t(nu), normal(0, 1), npts)),
            "kl_qp": _deep(lambda nu=nu: kl(normal(0, 1), student_t(nu), npts)),
            "jsd": _deep(lambda nu=nu: jsd(student_t(nu), normal(0, 1), npts))}
    for name, (a1, b1, a2, b2) in {"0.05": (0.05, 0.05, 0.05, 0.1), "1e3": (1e3, 1e3, 1e3, 1.1e3),
                                   "0.05_1e3": (0.05, 1e3, 0.1, 1e3)}.items():
        R[f"extreme_beta_{name}"] = {"kl_pq": lambda a=(a1, b1, a2, b2): kl_beta(*a),
                                     "kl_qp": lambda a=(a2, b2, a1, b1): kl_beta(*a)}
    R["extreme_beta_1e3"]["jsd"] = lambda: jsd(beta(1e3, 1e3), beta(1e3, 1.1e3),
                                               [0, 0.4, 0.45, 0.476, 0.5, 0.55, 0.6, 1])
    w = [mp.mpf(1 - 1e-12), mp.mpf(1e-12)]  # the float weights gantheory is given, normalised exactly
    mix = mixture([(w[0] / sum(w), normal(0, 1)), (w[1] / sum(w), normal(5, 1))])
    mpts = [-INF, 0, 2.5, 5, INF]
    R["extreme_mixture_weight_1e-12"] = {"kl_pq": _deep(lambda: kl(mix, normal(0, 1), mpts)),
                                         "kl_qp": _deep(lambda: kl(normal(0, 1), mix, mpts)),
                                         "jsd": _deep(lambda: jsd(mix, normal(0, 1), mpts))}
    return R


def compute(names=None, quantities=None):
    """Recompute reference values as strings of 25 significant digits (or 'inf')."""
    out = {}
    for name, qs in {**_reference_set(), **_extreme_set()}.items():
        if names is not None and name not in names:
            continue
        out[name] = {}
        for qname, thunk in qs.items():
            if quantities is not None and qname not in quantities:
                continue
            v = thunk()
            out[name][qname] = v if isinstance(v, str) else mp.nstr(v, 25, min_fixed=-30, max_fixed=30)
    return out


def load():
    """The stored reference values: {pair: {quantity: float}}."""
    raw = json.loads(VALUES_FILE.read_text())
    return {n: {k: (math.inf if v == "inf" else float(v)) for k, v in qs.items()} for n, qs in raw.items()}


def _roots(coeffs):
    """Roots of a polynomial given by ascending coefficients (any mpmath version)."""
    try:
        return mp.polyroots(coeffs, maxsteps=200, extraprec=200, asc=True)
    except TypeError:  # mpmath < 1.4 takes descending coefficients only
        return mp.polyroots(coeffs[::-1], maxsteps=200, extraprec=200)


def gauss_kronrod_21(dps=50):
    """The 21-point Gauss-Kronrod rule recomputed from its definition at ``dps`` digits.

    The 11 Kronrod nodes are the zeros of the Stieltjes polynomial E_11, orthogonal to x^k P_10(x)
    for k <= 10; the weights make the rule exact for polynomials of degree <= 20 (it is then exact
    to degree 31).
    """
    with mp.workdps(dps):
        n = 10
        pc = mp.taylor(lambda t: mp.legendre(n, t), 0, n)
        gauss = sorted(mp.re(r) for r in _roots(list(pc)))

        def mom(k):
            return mp.mpf(0) if k % 2 else mp.mpf(2) / (k + 1)

        def inner(a, b):
            return mp.fsum(ai * bj * mom(i + j) for i, ai in enumerate(a) for j, bj in enumerate(b))

        A = mp.matrix(n + 1, n + 1)
        rhs = mp.matrix(n + 1, 1)
        for k in range(n + 1):
            xkp = [0] * k + list(pc)
            for j in range(n + 1):
                A[k, j] = inner([0] * j + [1], xkp)
            rhs[k] = -inner([0] * (n + 1) + [1], xkp)
        c = mp.lu_solve(A, rhs)
        stieltjes = [c[j] for j in range(n + 1)] + [1]
        kron = sorted(mp.re(r) for r in _roots(stieltjes))
        nodes = sorted(gauss + kron)
        V = mp.matrix([[t**k for t in nodes] for k in range(2 * n + 1)])
        w = mp.lu_solve(V, mp.matrix([mom(k) for k in range(2 * n + 1)]))
        dP = [mp.diff(lambda s: mp.legendre(n, s), t) for t in gauss]
        wg = [2 / ((1 - t * t) * d * d) for t, d in zip(gauss, dP)]
        return ([float(t) for t in nodes], [float(w[i]) for i in range(len(nodes))],
                [float(t) for t in gauss], [float(v) for v in wg])


if __name__ == "__main__":
    values = compute()
    VALUES_FILE.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
    json.dump(values, sys.stdout, indent=1)
