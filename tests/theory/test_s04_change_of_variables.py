"""S4. Change of variables.

Claim (law of the unconscious statistician; docs/theory.md S4): "With x = G(z), E_z[f(G(z))] = E_{x~p_g}[f(x)]
for any measurable G. For an invertible differentiable G in 1-D, p_g(x) = p_z(G^{-1}(x)) |dG^{-1}(x)/dx|
(in d dimensions, the absolute Jacobian determinant). Hence V(G, D) = ∫ [p_data log D + p_g log(1 - D)] dx.
The z-space and x-space forms must agree."
"""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from pairs import PANEL, affine_cases, check_three_ways
from strategies import densities, discriminators, monotone_maps
from tolerances import EPS, XZ_ABS

import gantheory as gt
from gantheory.quadrature import expect_nodes, expectation


def test_closed_form_affine_of_normal_and_exp_of_normal():
    """Affine(s, t) of N(0, 1) is N(t, s²); Exp of N(μ, σ²) is log-normal, E[X] = e^(μ + σ²/2)."""
    x = np.linspace(-4, 6, 21)
    g = gt.Pushforward(gt.Normal(0, 1), gt.Affine(-1.7, 0.9))
    np.testing.assert_allclose(g.logpdf(x), gt.Normal(0.9, 1.7).logpdf(x), rtol=1e-14)
    ln = gt.Pushforward(gt.Normal(0.2, 0.6), gt.Exp())
    assert expectation(ln, lambda v: v) == pytest.approx(math.exp(0.2 + 0.18), rel=1e-12)


def test_closed_form_matrix_jacobian():
    """In 2-D the density carries 1/|det A|: A N(0, I) + b = N(b, A Aᵀ)."""
    a = np.array([[2.0, 0.3], [-0.4, 0.5]])
    g = gt.Pushforward(gt.MultivariateNormal([0, 0], np.eye(2)), gt.Affine(a, [1.0, -1.0]))
    ref = gt.MultivariateNormal([1.0, -1.0], a @ a.T)
    pts = np.array([[0.0, 0.0], [1.0, -1.0], [3.0, 2.0]])
    np.testing.assert_allclose(g.logpdf(pts), ref.logpdf(pts), rtol=1e-13)


def _lotus(p_g, f):
    """E_z[f(G(z))] over the noise, and E_{p_g}[f] over x."""
    z_side = expect_nodes(p_g.base, lambda nodes: f(nodes.mapped(p_g.transform).x))
    x_side = expectation(p_g, f)
    return z_side, x_side


@pytest.mark.parametrize("name", ["pushforward", "pushforward_affine"])
def test_panel_lotus_and_value_function(name):
    p, g = PANEL[name]
    for f in (np.tanh, lambda x: np.exp(-x * x), lambda x: 1.0 / (1.0 + x * x)):
        zs, xs = _lotus(g, f)
        assert zs == pytest.approx(float(xs), abs=XZ_ABS)
    d = gt.optimal_discriminator(p, g)
    assert gt.value_function(p, g, d, space="z") == pytest.approx(float(gt.value_function(p, g, d)), abs=XZ_ABS)


def test_pushforward_densities_integrate_to_one():
    for base, maps in [(gt.Normal(0, 1), [gt.SinhArcsinh(0.5, 0.6), gt.Affine(-2.0, 1.0)]),
                       (gt.Beta(0.5, 2.0), [gt.SinhArcsinh(-0.3, 1.5)]),
                       (gt.Laplace(0.0, 0.5), [gt.Exp()])]:
        g = base
        for m in maps:
            g = gt.Pushforward(g, m)
        assert expectation(g, lambda x: np.ones_like(x)) == pytest.approx(1.0, abs=1e-12)


def test_mass_beyond_float_range_is_reported():
    """exp of a Student-t(3) has tails ~ (log x)^-4 / x: 6e-9 of its mass lies beyond x = 1e304, where
    float64 cannot follow. The quadrature says so (warning, error estimate covering the gap)."""
    g = gt.Pushforward(gt.StudentT(3.0), gt.Exp())
    with pytest.warns(gt.AccuracyWarning, match="float64 range"):
        total = expectation(g, lambda x: np.ones_like(x))
    assert abs(1.0 - total) <= total.error and not total.converged


@given(base=densities(), maps=monotone_maps(), data=st.data())
def test_property_lotus_and_xz_value(base, maps, data):
    """For random monotone maps: ∫ p_g = 1, E_z[f(G(z))] = E_{p_g}[f], and V in z equals V in x, each
    within the errors reported, which are below 1e-10 wherever a result says it converged (a function
    read at rounded floats next to a singular end of p_g may not: then its error bar says so)."""
    g = base
    for m in maps:
        g = gt.Pushforward(g, m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        total = expectation(g, lambda x: np.ones_like(x))
        zs, xs = _lotus(g, np.tanh)
        p = gt.Normal(0.0, 1.5)
        _, d = data.draw(discriminators(p, g))
        vx, vz = gt.value_function(p, g, d), gt.value_function(p, g, d, space="z")
    assert abs(float(total) - 1.0) <= total.error
    for a, b in ((zs, xs), (vx, vz)):
        assert abs(float(a) - float(b)) <= a.error + b.error
    for est in (total, zs, xs, vx, vz):
        assert est.error <= 1e-10 or not est.converged


@pytest.mark.parametrize("base", [gt.Beta(2.0, 3.0), gt.Beta(0.7, 1.5), gt.Uniform(0.0, 1.0)], ids=repr)
@pytest.mark.parametrize("transform", [gt.Affine(2.0, -0.5), gt.Affine(-1.0, 1.0)], ids=repr)
def test_change_of_variables_for_a_bounded_generator_at_dstar(base, transform):
    """A generator with a bounded support, at D*: p_g vanishes or jumps at the images of the noise's ends,
    where D* reaches 1 and log(1 - D*) is -inf, on a set of measure zero. The value over the noise (the
    law of the unconscious statistician) is the value over x, and both are C(G) = 2 JSD - log 4 (S7),
    within error bars of 1e-12."""
    p, g = gt.Normal(0.5, 1.0), gt.Pushforward(base, transform)
    d = gt.optimal_discriminator(p, g)
    vx, vz, cg = gt.value_function(p, g, d), gt.value_function(p, g, d, space="z"), gt.virtual_criterion(p, g)
    for v in (vx, vz, cg):
        assert v.converged and v.error <= 1e-12
    assert abs(float(vz) - float(vx)) <= vz.error + vx.error
    assert abs(float(vz) - float(cg)) <= vz.error + cg.error


def _criterion_normal_vs_beta22():
    """C(G) = -log 4 + 2 JSD(N(0.5, 1), Beta(2, 2)) by 30-digit mpmath (it does not change when both move)."""
    with mp.workdps(30):
        jsd = reference.jsd(reference.normal(0.5, 1), reference.beta(2, 2), [-mp.inf, 0, 0.5, 1, mp.inf])
        return float(-mp.log(4) + 2 * jsd)


@pytest.mark.parametrize("scale", [1.0, -1.0])
@pytest.mark.parametrize(("shift", "bar"), [(0.0, 1e-11), (3e5, 1e-8), (1e12, 1e-2)])
def test_change_of_variables_far_from_the_origin(shift, bar, scale):
    """G(z) = shift ± z on Beta(2, 2) noise (the reflection onto the same interval), data N(shift + 0.5, 1),
    at D*. Far from the origin the images
    are rounded to floats (1.2e-4 apart at 1e12), and noise points next to an end round onto the end
    itself, where p_g = 0 and D* = 1: a node inside the support must not make V = -inf. V over the noise,
    V over x and C(G) are finite and within their error bars of the value at shift 0 (translation
    invariance) from 30-digit mpmath; near the origin to 1e-11."""
    p, g = gt.Normal(shift + 0.5, 1.0), gt.Pushforward(gt.Beta(2.0, 2.0), gt.Affine(scale, shift + (scale < 0)))
    d = gt.optimal_discriminator(p, g)
    want = _criterion_normal_vs_beta22()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)  # (far out the bars are wide, and say so)
        values = [gt.value_function(p, g, d, space="z"), gt.value_function(p, g, d), gt.virtual_criterion(p, g)]
    for v in values:
        assert math.isfinite(v) and abs(float(v) - want) <= v.error + 4 * EPS
        assert v.error <= bar  # (a few hundred float spacings of the images)
    if shift == 0.0:
        assert all(v.converged for v in values)


@pytest.mark.parametrize("scale, shift", [(1e-3, 1.0), (1e-6, 1.0), (1e-9, 1.0), (1e-12, 3.0)])
def test_value_over_the_noise_charges_dstar_at_rounded_images(scale, shift):
    """V(G, D*) over the noise, for G(z) = shift + scale z with uniform noise and data N(shift + scale/2,
    scale²): D* reads p_data at G(z) rounded to a float (a spacing that is 2e-13 of the scale at 1e-3,
    2e-4 at 1e-12), and jumps at p_g's ends, the rounded images of 0 and 1. Against 30-digit mpmath on the
    pair as the floats define it (the data's location relative to the shift, exactly): within the bar,
    and the bar within the tolerance only where it could be met."""
    m = shift + scale / 2
    with mp.workdps(30):
        mu = (mp.mpf(m) - mp.mpf(shift)) / mp.mpf(scale)
        p = lambda x: mp.npdf(x, mu, 1)  # noqa: E731
        real = mp.quad(lambda x: p(x) * mp.log(p(x) / (p(x) + (1 if 0 < x < 1 else 0))),
                       [-mp.inf, -10, 0, mu, 1, 11, mp.inf])
        want = float(real + mp.quad(lambda z: -mp.log(p(z) + 1), [0, mu, 1]))
    data, g = gt.Normal(m, scale), gt.Pushforward(gt.Uniform(0.0, 1.0), gt.Affine(scale, shift))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.value_function(data, g, gt.optimal_discriminator(data, g), space="z")
    assert abs(float(got) - want) <= got.error
    flags = [str(w.message) for w in caught if issubclass(w.category, gt.AccuracyWarning)]
    assert got.converged == (not flags)
    assert got.converged or any(m.startswith("value_function") for m in flags), flags
    if scale >= 1e-3:
        assert got.converged and got.error <= 1e-12


@pytest.mark.parametrize("shift, scale", [(1e6, 1 / 3), (-3e7, 0.1), (1.0, 1 / 3)])
@pytest.mark.parametrize("end", [0, 1])
def test_value_over_the_noise_with_narrow_data_on_a_rounded_end(shift, scale, end):
    """Uniform noise through G(z) = shift + scale z, whose end G(1) (or G(0)) is not a float, and data a
    few float spacings wide sitting on that end's float. Every noise point inside (0, 1) maps to a point
    where p_g > 0, so log(1 - D*) is finite there and V(G, D*) over the noise is finite: within its bar of
    30-digit mpmath in the noise variable (the data's location relative to the shift, exactly)."""
    from fractions import Fraction

    x_end = shift + scale * end  # (the float the end rounds to)
    sd = 4 * math.ulp(x_end)
    with mp.workdps(30):
        mu = mp.mpf((Fraction(x_end) - Fraction(shift)) / Fraction(scale))
        sdz = mp.mpf(Fraction(sd) / Fraction(scale))
        p = lambda z: mp.npdf(z, mu, sdz)  # noqa: E731
        pts = sorted({mu + k * sdz for k in (-40, -10, -3, 0, 3, 10, 40)} | {0, 1})
        real = mp.quad(lambda z: p(z) * mp.log(p(z) / (p(z) + (1 if 0 < z < 1 else 0))), [-mp.inf, *pts, mp.inf])
        want = float(real + mp.quad(lambda z: -mp.log(p(z) + 1), [z for z in pts if 0 <= z <= 1]))
    data, g = gt.Normal(x_end, sd), gt.Pushforward(gt.Uniform(0.0, 1.0), gt.Affine(scale, shift))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.value_function(data, g, gt.optimal_discriminator(data, g), space="z")
    assert math.isfinite(float(got)) and abs(float(got) - want) <= got.error
    flags = [str(w.message) for w in caught if issubclass(w.category, gt.AccuracyWarning)]
    assert got.converged == (not flags)


@pytest.mark.parametrize("far", [1e6, -3e7])
def test_value_over_the_noise_charges_the_images_across_the_datas_end(far):
    """Data U(a, a + 8u) (u the float spacing at a) and a generator N(a, (4u)²) over normal noise: D* jumps
    at a, and the images G(z) = a + 4u z round to the floats on either side of it, so a quarter of the
    fake mass lies where D* may be read on the wrong side. The value over the noise covers that in its bar
    and says so, in a warning that names the function called. Reference: 30-digit mpmath in the noise
    variable, where the data is U(0, 2)."""
    u = math.ulp(far)
    data, g = gt.Uniform(far, far + 8 * u), gt.Pushforward(gt.Normal(0.0, 1.0), gt.Affine(4 * u, far))
    with mp.workdps(30):
        half = mp.mpf(1) / 2
        real = mp.quad(lambda z: half * mp.log(half / (half + mp.npdf(z))), [0, 1, 2])
        fake = mp.quad(lambda z: mp.npdf(z) * mp.log(mp.npdf(z) / (mp.npdf(z) + (half if 0 < z < 2 else 0))),
                       [-mp.inf, -5, 0, 2, 7, mp.inf])
        want = float(real + fake)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.value_function(data, g, gt.optimal_discriminator(data, g), space="z")
    assert abs(float(got) - want) <= got.error
    flags = [str(w.message) for w in caught if issubclass(w.category, gt.AccuracyWarning)]
    assert not got.converged and any(m.startswith("value_function: D* jumps") for m in flags), flags


def _beta_pdf(a, b):
    return lambda z: z ** (a - 1) * (1 - z) ** (b - 1) / mp.beta(a, b)


@pytest.mark.parametrize("case", ["normal generator", "beta generator"])
def test_value_over_the_noise_where_images_land_on_a_singular_end_of_the_data(case):
    """Data a Beta with an infinite density at its lower end, pushed 1e-10 wide onto x = a z + b, and a
    wide generator: images G(z) of noise points round onto that end's float, where p_data = inf and
    D* = 1 at that one point only. V(G, D*) over the noise is finite (it was -inf, error 0, converged):
    within its bar of 30-digit mpmath in the data's variable z, where V = -∫ β(z) log(1 + a p_g/β(z)) dz
    - ∫ a p_g log(1 + β(z)/(a p_g)) dz (D* = 1 off the data's support contributes 0)."""
    if case == "normal generator":
        (ad, bd), a, b = (0.5, 4.0), 1.1368683772161603e-10, 999.9999999998863
        g = gt.Pushforward(gt.Normal(0.0, 1.0), gt.Affine(7.0, 1000.0))
        pg = lambda x: mp.npdf(x, 1000, 7)  # noqa: E731
    else:
        (ad, bd), a, b = (0.8, 1.0), 1.4562698947840934e-11, -0.9999999998689357
        third = 0.3333333333333333
        g = gt.Pushforward(gt.Beta(0.387, 0.5), gt.Affine(third, -1.0))
        pg = lambda x: _beta_pdf(mp.mpf(0.387), mp.mpf(0.5))((x + 1) / mp.mpf(third)) / mp.mpf(third)  # noqa: E731
    data = gt.Pushforward(gt.Beta(ad, bd), gt.Affine(a, b))
    with mp.workdps(30):
        beta, am = _beta_pdf(mp.mpf(ad), mp.mpf(bd)), mp.mpf(a)
        q = lambda z: am * pg(am * z + mp.mpf(b))  # noqa: E731  (the generator's density in z)
        want = float(-mp.quad(lambda z: beta(z) * mp.log(1 + q(z) / beta(z)) + q(z) * mp.log(1 + beta(z) / q(z)),
                              [0, mp.mpf(10) ** -12, mp.mpf(10) ** -6, 1]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.value_function(data, g, gt.optimal_discriminator(data, g), space="z")
    assert math.isfinite(float(got)) and abs(float(got) - want) <= got.error
    flagged = any(issubclass(w.category, gt.AccuracyWarning) for w in caught)
    assert got.converged == (not flagged)


@pytest.mark.filterwarnings("ignore::gantheory.AccuracyWarning")
@pytest.mark.parametrize("data, g", affine_cases(0, 24), ids=str)
def test_value_over_x_over_the_noise_and_c_of_g_agree_within_their_bars(data, g):
    """Three computations of one number at D* (S4, S7): V over x, V over the noise, C(G) = 2 JSD - log 4.
    Each pair must agree within the sum of its bars, whatever the scale of the generator: a bar that one
    of them understates shows here (at tiny scales most are flagged, with bars that say so)."""
    check_three_ways(data, g)


@pytest.mark.parametrize("p_data", [gt.Normal(5.0, 1e-6), gt.Uniform(4.9999, 5.0), gt.Laplace(3.0, 1e-5)], ids=repr)
def test_change_of_variables_sees_narrow_data(p_data):
    """Data 1e-6 to 1e-4 wide against a generator of scale 2: over the noise the data's whole mass sits in
    a window 1e-6 wide that the noise's own panels would step over, and V(G, D*) there is the log of p_g's
    share in that window. V over the noise equals V over x and C(G) within their bars, and the bars are
    small (1e-15 absolute, or 1e-10 of the value: the integrand reaches -14 on the window)."""
    g = gt.Pushforward(gt.Normal(0, 1), gt.Affine(2.0, 1.0))
    d = gt.optimal_discriminator(p_data, g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        vx, vz = gt.value_function(p_data, g, d), gt.value_function(p_data, g, d, space="z")
        cg = gt.virtual_criterion(p_data, g)
    for a, b in ((vz, vx), (vz, cg)):
        assert abs(float(a) - float(b)) <= a.error + b.error + 4 * EPS * abs(float(b))
        assert a.error <= 1e-10 * abs(float(a)) + 1e-15
