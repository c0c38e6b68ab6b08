"""Extreme but valid parameters give accurate answers, or say they cannot (issue 7).

Each value is checked twice: against a closed form or a 30-50 digit mpmath integral (``reference.py``),
and for honesty, the true error must lie within the error the estimate reports.
"""

import math
import warnings

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from pairs import EXTREME

import gantheory as gt
from gantheory import estimators as E

VALUES = reference.load()
EPS = np.finfo(float).eps
CASES = [(name, qty) for name in sorted(EXTREME) for qty in sorted(VALUES[name])]

#: Divergences between nearly equal densities (below 1e-11) are limited by float64 itself: ``log p - log q``
#: carries an absolute error of a few ulps of ``log p``, so the result has an absolute floor near
#: ``E|log p - log q| * 1e-16`` rather than a relative one. There only honesty and that floor are asked for.
NEAR_EQUAL_ABS = 1e-20

FUNCTIONS = {
    "kl_pq": lambda p, q: gt.kl_divergence(p, q),
    "kl_qp": lambda p, q: gt.kl_divergence(q, p),
    "jsd": lambda p, q: gt.js_divergence(p, q),
}


@pytest.mark.parametrize(("name", "qty"), CASES)
def test_extreme_parameters_accurate_and_honest(name, qty):
    p, q = EXTREME[name]
    ref = VALUES[name][qty]
    with warnings.catch_warnings():
        warnings.simplefilter("error", gt.AccuracyWarning)  # these all must meet the default tolerance
        got = FUNCTIONS[qty](p, q)
    err = abs(float(got) - ref)
    assert got.converged
    assert err <= max(got.error, 4 * EPS * abs(ref)), f"error {err:.3g} beyond the reported {got.error:.3g}"
    if abs(ref) > 1e-11:
        assert err <= 1e-12 * abs(ref)  # the default rtol of kl_divergence and js_divergence
    else:
        assert err <= NEAR_EQUAL_ABS


@given(m=st.floats(1e-3, 1e4), sign=st.sampled_from([-1.0, 1.0]))
def test_kl_of_shifted_normals_is_half_the_square(m, sign):
    """KL(N(0,1) || N(m,1)) = m^2/2: the issue asks 1e-10 relative for m up to 1e4."""
    got = gt.kl_divergence(gt.Normal(0, 1), gt.Normal(sign * m, 1))
    assert float(got) == pytest.approx(m * m / 2, rel=1e-12)


@pytest.mark.parametrize("loc", [1e4, 1e6, 1e8])
def test_far_locations_lose_no_digits(loc):
    """Panels evaluate ``(anchor - loc) + offset``, so a pair far from the origin equals the pair at 0."""
    near = gt.js_divergence(gt.Normal(0, 1), gt.Laplace(0.5, 2))
    far = gt.js_divergence(gt.Normal(loc, 1), gt.Laplace(loc + 0.5, 2))
    assert float(far) == pytest.approx(float(near), rel=4 * EPS)


def test_student_t_normaliser_at_huge_df():
    """log Γ((ν+1)/2) - log Γ(ν/2) at ν = 1e12 loses four digits as a plain difference; the density at 0
    must approach the normal's as 1 - 1/(4ν)."""
    for nu in (1e6, 1e9, 1e12):
        t0 = float(gt.StudentT(nu).logpdf(0.0))
        n0 = float(gt.Normal(0, 1).logpdf(0.0))
        # log p_t(0) - log p_N(0) = -1/(4ν) + O(ν^-3)
        assert t0 - n0 == pytest.approx(-0.25 / nu, rel=1e-6, abs=1e-16)


def test_heavy_tail_barely_integrable_warns():
    """KL(StudentT(2.01) || Normal) is finite, but a part of it lies where log q overflows float64: the
    result says so instead of passing for converged."""
    with pytest.warns(gt.AccuracyWarning, match="beyond the float64 range"):
        got = gt.kl_divergence(gt.StudentT(2.01), gt.Normal(0, 1))
    assert not got.converged and math.isfinite(float(got)) and got.error > 1e-6


# ----------------------------------------------------------------------------------------- grids
def test_grid_with_ten_million_nodes_tent():
    """A tent on [-1, 1] is its own linear interpolant: KL(tent || U(-1, 1)) = log 2 - 1/2 and
    KL(tent || N(0, 1)) = -1/2 + log(2π)/2 + E[x²]/2 with E[x²] = 1/6."""
    x = np.linspace(-1.0, 1.0, 10**7 + 1)
    g = gt.GridDensity(x, 1.0 - np.abs(x))
    del x
    assert float(gt.kl_divergence(g, gt.Uniform(-1, 1))) == pytest.approx(math.log(2) - 0.5, rel=1e-13)
    ref = -0.5 + 0.5 * math.log(2 * math.pi) + 1 / 12
    assert float(gt.kl_divergence(g, gt.Normal(0, 1))) == pytest.approx(ref, rel=1e-13)


def test_grid_with_ten_million_nodes_smooth():
    """The interpolant of the N(0, 1) density on 10^7 nodes over [-9, 9] (h = 1.8e-6) differs from it by at
    most h²/8 max|f''| < 2e-13 pointwise, 4e-12 in mass, so its KL to N(0.5, 1) is within 5e-11 of 1/8;
    every cell is a kink, far more than the panels, which the adaptive rule must resolve."""
    x = np.linspace(-9.0, 9.0, 10**7)
    g = gt.GridDensity(x, np.exp(-0.5 * x * x))
    del x
    with warnings.catch_warnings():
        warnings.simplefilter("error", gt.AccuracyWarning)
        got = gt.kl_divergence(g, gt.Normal(0.5, 1))
    assert float(got) == pytest.approx(0.125, abs=5e-11)


def test_grid_with_a_zero_run():
    """Ones on [0, 1] and [2, 3], zeros between, on nodes k 2^-10: two ramps of width h to zero. Then
    KL(g || U(0, 3)) = log(3/(2+h)) - h/(2(2+h)), while KL(U || g) is infinite (g = 0 inside (1, 2))."""
    h = 2.0**-10
    x = np.arange(3 * 1024 + 1) * h
    g = gt.GridDensity(x, ((x <= 1) | (x >= 2)).astype(float))
    u = gt.Uniform(0, 3)
    assert float(gt.kl_divergence(g, u)) == pytest.approx(math.log(3 / (2 + h)) - h / (2 * (2 + h)), rel=1e-13)
    assert gt.kl_divergence(u, g) == math.inf
    jsd = gt.js_divergence(g, u)
    assert 0.0 < float(jsd) < math.log(2)
    assert float(gt.tv_distance(g, u)) == pytest.approx(_tv_zero_run(h), rel=1e-12)


def _tv_zero_run(h):
    """TV(g, U(0, 3)) for the zero-run grid, by hand: g = c on the flats (c = 1/(2+h)), linear ramps of
    width h from c to 0. TV = ∫ (g - 1/3)^+ = 2 (c - 1/3) + 2 ∫_ramp (g - 1/3)^+ with the ramp above 1/3
    over a width h (1 - 1/(3c))."""
    c = 1.0 / (2.0 + h)
    flat = 2.0 * (c - 1.0 / 3.0)
    w = h * (1.0 - 1.0 / (3.0 * c))  # part of each ramp above 1/3
    ramps = 2.0 * 0.5 * w * (c - 1.0 / 3.0)
    return flat + ramps


# ----------------------------------------------------------------------------------------- dtypes
def test_float32_and_integer_inputs_compute_in_float64():
    f32 = np.float32(0.1)
    a, b = gt.Normal(f32, np.int64(2)), gt.Normal(float(f32), 2.0)
    assert isinstance(a.loc, float) and isinstance(a.scale, float)
    assert float(gt.kl_divergence(a, gt.Normal(1, 3))) == float(gt.kl_divergence(b, gt.Normal(1, 3)))
    x32 = np.linspace(-3, 3, 7, dtype=np.float32)
    assert a.logpdf(x32).dtype == np.float64
    assert np.array_equal(a.logpdf(x32), a.logpdf(x32.astype(np.float64)))
    assert np.array_equal(a.pdf(np.arange(-3, 4)), a.pdf(np.arange(-3.0, 4.0)))
    xs, vs = np.arange(11), np.array([0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0])
    g_int = gt.GridDensity(xs, vs)
    g_f32 = gt.GridDensity(xs.astype(np.float32), vs.astype(np.float32))
    assert float(gt.kl_divergence(g_int, gt.Uniform(0, 10))) == float(gt.kl_divergence(g_f32, gt.Uniform(0, 10)))
    m_int = gt.MultivariateNormal([0, 1], [[2, 0], [0, 1]])
    m_f32 = gt.MultivariateNormal(np.array([0, 1], np.float32), np.array([[2, 0], [0, 1]], np.float32))
    other = gt.MultivariateNormal([1, 1], np.eye(2))
    assert float(gt.js_divergence(m_int, other)) == float(gt.js_divergence(m_f32, other))
    s = np.random.default_rng(0).integers(-5, 5, 200)
    assert E.knn_kl(s, s[::-1] + 1) == E.knn_kl(s.astype(float), s[::-1].astype(float) + 1)
    assert type(gt.Affine(np.int32(2), np.float32(0.5)).scale) is float
    assert float(gt.Beta(np.int8(2), np.float32(3.5)).logpdf(np.float32(0.25))) == float(
        gt.Beta(2.0, 3.5).logpdf(0.25))


def test_narrow_heavy_tail_inside_a_wide_density():
    """JSD(t_3(0.5, 1e-8) || Uniform(0, 1)): the t's tail from 1e-7 to 0.5 away carries the part of the
    integral where p ~ q; a single panel across it missed 7e-4 (0.692408 against 0.693139). mpmath, 30 digits."""
    import mpmath as mp

    mp.mp.dps = 30
    s, loc = mp.mpf("1e-8"), mp.mpf("0.5")
    c = mp.gamma(2) / (mp.sqrt(3 * mp.pi) * mp.gamma(mp.mpf(3) / 2))

    def f(x):
        a = c * (1 + ((x - loc) / s) ** 2 / 3) ** -2 / s
        b = 1 if 0 <= x <= 1 else 0
        m = (a + b) / 2
        return (a * mp.log(a / m) + (b * mp.log(b / m) if b else 0)) / 2
    pts = sorted({mp.mpf(0), mp.mpf(1), loc} | {loc + sg * s * mp.mpf(4) ** k for k in range(15) for sg in (-1, 1)})
    ref = mp.quad(f, [-mp.inf, *pts, mp.inf])
    got = gt.js_divergence(gt.StudentT(3, 0.5, 1e-8), gt.Uniform(0, 1))
    assert float(got) == pytest.approx(float(ref), rel=1e-12)
