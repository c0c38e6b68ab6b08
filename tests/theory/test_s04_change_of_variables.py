"""S4. Change of variables.

Claim (law of the unconscious statistician; docs/theory.md S4): "With x = G(z), E_z[f(G(z))] = E_{x~p_g}[f(x)]
for any measurable G. For an invertible differentiable G in 1-D, p_g(x) = p_z(G^{-1}(x)) |dG^{-1}(x)/dx|
(in d dimensions, the absolute Jacobian determinant). Hence V(G, D) = ∫ [p_data log D + p_g log(1 - D)] dx.
The z-space and x-space forms must agree."
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pairs import PANEL
from strategies import densities, discriminators, monotone_maps
from tolerances import XZ_ABS

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
    """For random monotone maps: ∫ p_g = 1, E_z[f(G(z))] = E_{p_g}[f], and V in z equals V in x."""
    g = base
    for m in maps:
        g = gt.Pushforward(g, m)
    assert expectation(g, lambda x: np.ones_like(x)) == pytest.approx(1.0, abs=1e-10)
    zs, xs = _lotus(g, np.tanh)
    assert zs == pytest.approx(float(xs), abs=1e-10)
    p = gt.Normal(0.0, 1.5)
    _, d = data.draw(discriminators(p, g))
    vx, vz = gt.value_function(p, g, d), gt.value_function(p, g, d, space="z")
    assert vz == pytest.approx(float(vx), abs=1e-9)


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
