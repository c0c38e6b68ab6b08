"""S8. The candidate optimum.

Claim (Goodfellow et al. 2014, Theorem 1 proof; docs/theory.md S8): "At p_g = p_data: D* = 1/2 everywhere
and C(G) = -log 4."
"""

import math

import numpy as np
import pytest
from hypothesis import given
from pairs import PANEL
from strategies import densities, equal_pairs
from tolerances import IDENTITY_ABS

import gantheory as gt

LOG4 = math.log(4)


def _twin(p):
    """The distribution of ``p`` built another way: as a mixture of two copies of itself (its density is
    then a log-sum-exp of two equal terms, not the same object: D* = 1/2 is not true by construction)."""
    return gt.Mixture([p, p], [0.3, 0.7])


def test_closed_form_dstar_is_one_half():
    """Laplace(0.3, 2) and the image of Laplace(0.15, 1) under x -> 2x: one distribution, two formulas."""
    p = gt.Laplace(0.3, 2.0)
    g = gt.Pushforward(gt.Laplace(0.15, 1.0), gt.Affine(2.0, 0.0))
    d = gt.optimal_discriminator(p, g)
    np.testing.assert_allclose(d(np.linspace(-20, 20, 41)), 0.5, rtol=0, atol=4e-16)
    assert gt.virtual_criterion(p, g) == pytest.approx(-LOG4, abs=IDENTITY_ABS)


@pytest.mark.parametrize("name", sorted(PANEL))
def test_panel_each_density_against_its_twin(name):
    for p in PANEL[name]:
        g = _twin(p)
        assert gt.virtual_criterion(p, g) == pytest.approx(-LOG4, abs=IDENTITY_ABS)
        assert gt.value_function(p, g, gt.optimal_discriminator(p, g)) == pytest.approx(-LOG4, abs=IDENTITY_ABS)


def test_same_distribution_built_differently():
    """An Affine(1, 0) pushforward of N(0, 1), a mixture with permuted components, a GridDensity of
    the same values on a refined grid: C(G) = -log 4 to 1e-12."""
    n = gt.Normal(0, 1)
    m = gt.Mixture([gt.Normal(-1, 0.5), gt.Laplace(2, 1), gt.Cauchy(0, 0.3)], [0.2, 0.5, 0.3])
    mp = gt.Mixture([m.components[2], m.components[0], m.components[1]], [0.3, 0.2, 0.5])
    x = np.array([0.0, 0.5, 1.5, 2.0, 4.0])
    v = np.array([0.0, 1.0, 3.0, 2.0, 0.5])
    xf = np.linspace(0, 4, 81)
    g, gf = gt.GridDensity(x, v), gt.GridDensity(xf, 7.0 * np.interp(xf, x, v))
    for a, b in [(n, gt.Pushforward(n, gt.Affine(1.0, 0.0))), (m, mp), (g, gf)]:
        assert gt.virtual_criterion(a, b) == pytest.approx(-LOG4, abs=IDENTITY_ABS)


@given(pair=equal_pairs())
def test_property_equal_distributions_reach_minus_log4(pair):
    p, q = pair
    assert gt.virtual_criterion(p, q) == pytest.approx(-LOG4, abs=IDENTITY_ABS)


@given(p=densities())
def test_property_dstar_half_on_the_support(p):
    d = gt.optimal_discriminator(p, _twin(p))
    x = p.sample(50, rng=0)
    np.testing.assert_allclose(d(x), 0.5, rtol=0, atol=1e-15)
