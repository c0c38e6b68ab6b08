"""Numba kernels: compiled and pure-Python (.py_func) agree, and both match mpmath references."""

import math

import mpmath as mp
import numpy as np
import pytest
import reference

from gantheory import _kernels as K
from gantheory.quadrature import _WG, _WK, _XK

RNG = np.random.default_rng(0)
LP = np.concatenate([RNG.uniform(-60, 3, 200), [-np.inf, -np.inf, 0.0, -700.0, -3.0, -3.0 + 1e-9]])
LQ = np.concatenate([RNG.uniform(-60, 3, 200), [-np.inf, -2.0, -np.inf, -3.0, -3.0, -3.0]])
KINDS = {"kl": K.KL, "jsd": K.JSD, "tv": K.TV, "hellinger": K.HELLINGER, "pearson": K.PEARSON,
         "neyman": K.NEYMAN}


def _mp_term(name, lp, lq):
    """The integrand at 80 digits from its textbook definition."""
    with mp.workdps(80):  # (p and q equal to 1e-15 cancel 30 digits)
        p = mp.exp(lp) if lp != -math.inf else mp.mpf(0)
        q = mp.exp(lq) if lq != -math.inf else mp.mpf(0)
        if name == "kl":
            if p == 0:
                return q
            return mp.inf if q == 0 else p * mp.log(p / q) - p + q
        if name == "jsd":
            m = (p + q) / 2
            return sum(v * mp.log(v / m) for v in (p, q) if v > 0) / 2
        if name == "tv":
            return abs(p - q) / 2
        if name == "hellinger":
            return (mp.sqrt(p) - mp.sqrt(q)) ** 2 / 2
        if name == "pearson":
            return (p - q) ** 2 / q if q > 0 else (mp.inf if p > 0 else mp.mpf(0))
        return (p - q) ** 2 / p if p > 0 else (mp.inf if q > 0 else mp.mpf(0))


def _run(fn, kind, lp, lq, a=None, b=None):
    n = lp.size
    a = np.zeros(n) if a is None else a
    b = np.zeros(n) if b is None else b
    out, noise = np.empty(n), np.empty(n)
    fn(kind, lp, lq, a, b, np.zeros(n), np.zeros(n), np.zeros(n), out, noise)
    return out, noise


@pytest.mark.parametrize("name", sorted(KINDS))
def test_terms_match_mpmath(name):
    out, noise = _run(K.terms, KINDS[name], LP, LQ)
    for i in range(LP.size):
        ref = _mp_term(name, LP[i], LQ[i])
        if ref == mp.inf:
            assert out[i] == math.inf
            continue
        ref = float(ref)
        # within a few ulps, and always inside the round-off scale the kernel reports
        assert abs(out[i] - ref) <= max(1e-14 * abs(ref), 1e-300), (name, LP[i], LQ[i])
        assert abs(out[i] - ref) <= noise[i] + 1e-300
        assert out[i] >= 0.0


# Nodes that reach every branch of the integrands: p and q nearly equal (the series of the Bregman and
# Jensen-Shannon forms, and both sides of where they hand over: |Δ| = 0.25 and 0.5), far apart (|Δ| past
# 30, where log|expm1(Δ)| changes form), q dominating p (Δ < -1 in the KL form), one density underflowing
# at the node, and node weights exp(lj) from deep underflow to large.
_DELTA = np.concatenate([[0.0, 1e-15, 1e-12, 1e-6, 1e-3, 0.1, 0.2499, 0.25, 0.2501, 0.4999, 0.5, 0.5001, 0.9,
                          1.0, 1.49, 1.5, 2.0, 5.0, 29.9, 30.0, 30.1, 40.0, 200.0]])
_BASE = np.array([-700.0, -60.0, -3.0, 0.0, 2.0])
_LPW, _DW = (a.ravel() for a in np.meshgrid(_BASE, np.concatenate([_DELTA, -_DELTA[1:]])))
LPW = np.concatenate([_LPW, [-1.0, -1.0, -np.inf, -5.0, -740.0, -750.0]])
LQW = np.concatenate([_LPW + _DW, [-np.inf, -np.inf, -1.0, -5.0, -8.0, -2.0]])
LJW = np.concatenate([RNG.uniform(-6.0, 6.0, _LPW.size), [-50.0, -800.0, 3.0, -744.0, 1.0, 2.0]])


@pytest.mark.parametrize("name", sorted(KINDS))
def test_weighted_terms_match_mpmath_on_every_branch(name):
    """exp(lj) * integrand(p, q) to a few ulps at every branch of the kernel, and the round-off scale it
    reports bounds the error without exceeding what first-order propagation of float64 log-densities allows."""
    out, noise = _run_weighted(K.terms, KINDS[name], LPW, LQW, LJW)
    for i in range(LPW.size):
        lp, lq, lj = LPW[i], LQW[i], LJW[i]
        ref = _mp_term(name, lp, lq)
        if ref == mp.inf:
            # KL: infinite where the weight leaves p's mass representable, nothing below it (a node whose
            # weight underflows says nothing about q's support); the chi-square kinds stay infinite
            want = math.inf if name != "kl" or max(lp, lq) + lj > -745.0 else 0.0
            assert out[i] == want, (name, lp, lq, lj)
            continue
        with mp.workdps(40):
            ref = float(ref * mp.exp(lj))
        if ref == math.inf:  # a chi-square term past float64's range (p^2/q with q 200 e-folds below p)
            assert out[i] == math.inf
            continue
        # a few ulps, plus the rounding of the exponent lp + lj (relative error eps |lp + lj| in its exp)
        scale = 2.0 * 2.2e-16 * (max(abs(v) for v in (lp, lq) if v > -math.inf) + abs(lj) + 1.0)
        assert abs(out[i] - ref) <= max((1e-14 + 2.0 * scale) * abs(ref), 1e-300), (name, lp, lq, lj, out[i], ref)
        assert abs(out[i] - ref) <= noise[i] + 1e-300, (name, lp, lq, lj)
        # each log-density carries ~2 eps (|l| + |lj| + 1) of rounding; a term moves by at most about
        # (p + q + |term|) e^lj (1 + |Δ|) times that (the chi-square terms reach p^2 / q), and by a few ulps
        mass = sum(math.exp(v + lj) for v in (lp, lq) if v > -math.inf)
        spread = (abs(lp - lq) if math.isfinite(lp - lq) else 1.0) + 1.0
        assert noise[i] <= 8.0 * ((mass + abs(ref)) * spread * scale * (1.0 + spread) + 2.2e-16 * abs(ref)) + 1e-300, (
            name, lp, lq, lj, noise[i])


def _run_weighted(fn, kind, lp, lq, lj):
    n = lp.size
    out, noise = np.empty(n), np.empty(n)
    fn(kind, lp, lq, np.zeros(n), np.zeros(n), lj, np.zeros(n), np.zeros(n), out, noise)
    return out, noise


@pytest.mark.parametrize("name", sorted(KINDS))
def test_terms_compiled_equals_py_func(name):
    a = _run(K.terms, KINDS[name], LP, LQ)
    b = _run(K.terms.py_func, KINDS[name], LP, LQ)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-15)


def test_linear_kind_conventions():
    """p a + q b with 0 * anything = 0 and infinite values on positive mass kept."""
    lp = np.array([-np.inf, 0.0, -700.0, -800.0, 0.0])
    lq = np.array([-np.inf, -np.inf, -np.inf, -np.inf, -1.0])
    a = np.array([-np.inf, 2.0, -np.inf, -np.inf, 3.0])
    b = np.array([5.0, np.inf, 0.0, 0.0, -1.0])
    out, _ = _run(K.terms, K.LINEAR, lp, lq, a, b)
    # an infinite value counts on representable mass (p > 1e-308), not below float64's range
    np.testing.assert_array_equal(out[:4], [0.0, 2.0, -np.inf, 0.0])
    assert out[4] == pytest.approx(3.0 - math.exp(-1.0), rel=1e-15)


@pytest.mark.parametrize("fn", [K.gk_panels, K.gk_panels.py_func], ids=["compiled", "py_func"])
def test_gk_panels_integrate_polynomials_exactly(fn):
    """Kronrod part exact to degree 31 on [-1, 1]; the Gauss part to degree 19."""
    for deg in range(0, 32):
        vals = _XK**deg
        n = vals.size
        res = np.empty((12, 1))
        fn(K.LINEAR, np.zeros(n), np.full(n, -np.inf), vals, np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
           _WK, _WG, res)
        val, err, mass = res[0, :1], res[1, :1], res[4, :1]
        assert mass[0] == pytest.approx(2.0, abs=1e-15)  # ∫ p over [-1, 1] with p = 1
        assert res[5, 0] == mass[0] and res[6, 0] == 0.0  # ∫p and ∫q separately
        assert res[7, 0] <= 1e-14 and res[8, 0] == 0.0  # their error estimates
        assert res[3, 0] >= abs(val[0])  # ∫|f| bounds |∫ f|
        exact = 0.0 if deg % 2 else 2.0 / (deg + 1)
        assert val[0] == pytest.approx(exact, abs=1e-15)  # 21 rounded weights
        if deg <= 19:
            assert err[0] <= 1e-14


def test_gauss_kronrod_constants_match_mpmath():
    nodes, wk, gauss, wg = reference.gauss_kronrod_21()
    np.testing.assert_allclose(_XK, nodes, rtol=0, atol=2e-16)
    np.testing.assert_allclose(_WK, wk, rtol=2e-16, atol=0)
    np.testing.assert_allclose(_WG[1::2], wg, rtol=2e-16, atol=0)
    np.testing.assert_allclose(_XK[1::2], gauss, rtol=0, atol=2e-16)


@pytest.mark.parametrize("fn", [K.map_nodes, K.map_nodes.py_func], ids=["compiled", "py_func"])
def test_map_nodes_formulas(fn):
    """The four segment maps and their log-Jacobians against direct numpy formulas."""
    stype = np.array([0, 1, 2, 3])
    x0 = np.array([1.0, -2.0, 5.0, 1.0])
    sgn = np.array([1.0, -1.0, 1.0, -1.0])
    length = np.array([2.0, 0.5, 3.0, 0.25])
    seg = np.arange(4)
    ta, tb = np.full(4, 0.25), np.full(4, 0.75)
    m = _XK.size
    x, off, loff, lj = np.empty(4 * m), np.empty(4 * m), np.empty(4 * m), np.empty(4 * m)
    anc = np.empty(4 * m)
    fn(stype, x0, np.zeros(4), x0 + sgn * length, np.zeros(4), sgn, length, seg, ta, tb, _XK, anc, x, off, loff, lj)
    t = 0.5 + 0.25 * _XK
    u = t / (1 - t)
    du = 1 / (1 - t) ** 2
    expect = [
        (1.0 + 2.0 * t, np.log(2.0 * 0.25) * np.ones(m)),
        (-2.0 - 0.5 * u, np.log(0.5 * du * 0.25)),
        (5.0 + 3.0 * np.expm1(u), np.log(3.0 * np.exp(u) * du * 0.25)),
        (1.0 - 0.25 * np.exp(-u), np.log(0.25 * np.exp(-u) * du * 0.25)),
    ]
    for k, (ex, el) in enumerate(expect):
        np.testing.assert_allclose(x[k * m:(k + 1) * m], ex, rtol=1e-15)
        np.testing.assert_allclose(lj[k * m:(k + 1) * m], el, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(off, x - anc, rtol=1e-15, atol=1e-16)
    # log |offset| on the singular-end segment (the only one whose densities read it), 0 elsewhere
    np.testing.assert_allclose(loff[3 * m:], np.log(np.abs(off[3 * m:])), rtol=1e-14, atol=1e-15)
    assert not loff[:3 * m].any()


def test_linear_kind_drops_nodes_of_zero_weight_whatever_they_carry():
    """A node of weight e^-inf (dropped, or past a heavy tail's cap) or of zero density adds 0 to p a + q b,
    even when the value it carries is NaN or infinite; one of representable weight adds its value."""
    lp = np.array([0.0, 0.0, -np.inf, -np.inf, -10.0, -10.0, 0.0])
    lq = np.full(7, -np.inf)
    a = np.array([np.nan, np.inf, np.nan, np.inf, np.inf, np.inf, 2.0])
    lj = np.array([-np.inf, -np.inf, 0.0, 0.0, -740.0, -700.0, -1.0])  # p e^lj = e^-750 (0 in float64), e^-710
    out, noise = np.empty(7), np.empty(7)
    K.terms(K.LINEAR, lp, lq, a, np.zeros(7), lj, np.zeros(7), np.zeros(7), out, noise)
    np.testing.assert_array_equal(out[:6], [0.0, 0.0, 0.0, 0.0, 0.0, np.inf])
    assert out[6] == pytest.approx(2.0 * math.exp(-1.0), rel=1e-15)
