"""S12. Convergence (Proposition 2).

Claim (Goodfellow et al. 2014, Proposition 2; docs/theory.md S12): "If D reaches D*_G at every step and p_g
takes small enough gradient steps on C(G) in function space, p_g -> p_data. V(G, D) is linear in p_g for
fixed D, so C = sup_D V is convex in p_g, and the gradient of the sup at p_g is the gradient of V at D*
(Danskin). On a grid this is a finite convex problem whose minimiser is p_data."
"""

import math

import numpy as np
import pytest
from hypothesis import given
from strategies import densities, normals, reals
from tolerances import slack

import gantheory as gt
from gantheory.quadrature import expectation
from gantheory.training import function_space

TARGETS = {
    "normal": gt.Normal(0.5, 1.2),
    "bimodal": gt.Mixture([gt.Normal(-2.5, 0.6), gt.Normal(2.0, 0.8)], [0.4, 0.6]),
    "laplace": gt.Laplace(-0.5, 1.0),
}


def test_closed_form_step_halves_the_gap():
    """With η = 1 the mirror step is g <- (g + p)/2, so p - g halves exactly at every step."""
    x = np.linspace(-8, 8, 401)
    h = function_space(gt.Normal(0, 1), x, steps=3)
    p = h.extra["p_data"]
    g0 = np.full_like(x, 1.0 / 16.0)
    np.testing.assert_allclose(h.params[0] - p, (g0 - p) / 8, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_panel_function_space_descent_converges_to_round_off(name):
    """1000-point grid, D = D* each step: JSD falls monotonically below 1e-10, C(G) -> -log 4."""
    x = np.linspace(-12, 12, 1000)
    h = function_space(TARGETS[name], x, steps=200, tol=1e-12)
    assert np.all(np.diff(h.jsd) <= 0)
    assert h.final_jsd < 1e-10
    assert h.c_plus_log4[-1] == pytest.approx(0.0, abs=1e-10)


def test_convexity_along_a_segment():
    """C(λ p1 + (1-λ) p2) <= λ C(p1) + (1-λ) C(p2): C is convex in p_g (a mixture is the segment)."""
    p = gt.Normal(0, 1)
    g1, g2 = gt.Laplace(2, 1), gt.Cauchy(-1, 0.5)
    for lam in (0.1, 0.5, 0.8):
        mix = gt.Mixture([g1, g2], [lam, 1 - lam])
        lhs = gt.virtual_criterion(p, mix)
        rhs = lam * float(gt.virtual_criterion(p, g1)) + (1 - lam) * float(gt.virtual_criterion(p, g2))
        assert lhs < rhs


def _danskin(p, g, h):
    """d/dε C(p, (1-ε) g + ε h) at ε = 0 (Richardson), and ∫ (h - g) log(1 - D*_g) (Danskin)."""
    def c(eps):
        return float(gt.virtual_criterion(p, gt.Mixture([g, h], [1 - eps, eps])))

    e = 1e-3
    d1 = (c(e) - c(0.0)) / e
    d2 = (c(e / 2) - c(0.0)) / (e / 2)
    deriv = 2 * d2 - d1  # one Richardson step on the one-sided difference
    dstar = gt.optimal_discriminator(p, g)
    danskin = float(expectation(h, dstar.log1m)) - float(expectation(g, dstar.log1m))
    return deriv, danskin


def test_danskin_gradient_is_v_at_dstar():
    deriv, danskin = _danskin(gt.Normal(0, 1), gt.Normal(1, 1.5), gt.Laplace(-1, 0.7))
    assert deriv == pytest.approx(danskin, abs=1e-6)


@given(p=normals(), g=normals(), h_loc=reals(-1, 1), h_scale=reals(0.6, 1.1))
def test_property_danskin(p, g, h_loc, h_scale):
    """The directional derivative of C along p_g -> h is ∫ (h - p_g) log(1 - D*). h stays within one
    generator scale of p_g and no wider than 1.1 of its scale, so ∫ (h - p_g)^k / p_g^(k-1) is finite for
    the orders k <= 4 that one-sided differences with a Richardson step lean on (a heavier h makes C
    ~ ε² log ε, where differences fail while Danskin's formula still holds)."""
    h = gt.Normal(g.loc + h_loc * g.scale, g.scale * h_scale)
    deriv, danskin = _danskin(p, g, h)
    if math.isfinite(danskin):
        assert deriv == pytest.approx(danskin, abs=1e-5 * max(1.0, abs(danskin)))


@given(p=densities(), g1=densities(), g2=densities(), lam=reals(0.05, 0.95))
def test_property_convexity(p, g1, g2, lam):
    mix = gt.Mixture([g1, g2], [lam, 1 - lam])
    a, b, c = gt.virtual_criterion(p, mix), gt.virtual_criterion(p, g1), gt.virtual_criterion(p, g2)
    assert a <= lam * b + (1 - lam) * c + slack(a, b, c)
