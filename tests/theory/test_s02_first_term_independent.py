"""S2. The first term does not depend on G.

Claim (Goodfellow et al. 2014, Sec. 3; docs/theory.md S2): "The generator's objective reduces to minimising
E_z[log(1 - D(G(z)))]; its gradient with respect to any generator parameter sees only the second term."
"""

import math

import numpy as np
import pytest
from hypothesis import given
from pairs import affine_generator
from strategies import densities, reals
from tolerances import GRADIENT_ABS, IDENTITY_ABS

import gantheory as gt
from gantheory.quadrature import expectation

D_FIXED = gt.LogitDiscriminator(
    lambda x: 0.3 - 0.8 * np.tanh(np.asarray(x) - 0.5),  # logit
    lambda x: -0.8 / np.cosh(np.asarray(x) - 0.5) ** 2,  # its derivative
)


def _first_term(p, d):
    return float(expectation(p, d.log))


@pytest.mark.parametrize(("scale", "shift"), [(1.0, 0.0), (0.5, 2.0), (-2.0, 1.0), (3.0, -4.0)])
def test_v_minus_generator_part_is_the_same_for_every_generator(scale, shift):
    """V(G_θ, D) - E_{p_gθ}[log(1 - D)] = E_{p_data}[log D], whatever θ."""
    p = gt.Laplace(0.2, 0.7)
    g = affine_generator(scale, shift)
    v = gt.value_function(p, g, D_FIXED)
    second = gt.generator_loss(p, g, D_FIXED, loss="minimax")
    assert float(v) - float(second) == pytest.approx(_first_term(p, D_FIXED), abs=IDENTITY_ABS)


def test_gradient_of_v_is_gradient_of_second_term():
    """∂V/∂θ (central differences of the full V, Richardson) = exact gradient of E_z[log(1 - D(G(z)))]."""
    p = gt.Normal(0.3, 1.2)
    s0, t0 = 1.4, -0.6

    def v(s, t):
        return float(gt.value_function(p, affine_generator(s, t), D_FIXED))

    def rich(f, h=1e-2):
        d1 = (f(h) - f(-h)) / (2 * h)
        d2 = (f(h / 2) - f(-h / 2)) / h
        return (4 * d2 - d1) / 3

    fd = [rich(lambda h: v(s0 + h, t0)), rich(lambda h: v(s0, t0 + h))]
    exact = gt.generator_gradient(p, affine_generator(s0, t0), D_FIXED, loss="minimax")
    np.testing.assert_allclose(exact, fd, atol=GRADIENT_ABS)


@given(p=densities(), scale=reals(0.2, 5.0), shift=reals(-3.0, 3.0))
def test_property_first_term_independent_of_generator(p, scale, shift):
    g = affine_generator(scale, shift)
    v = gt.value_function(p, g, D_FIXED)
    second = gt.generator_loss(p, g, D_FIXED, loss="minimax")
    first = expectation(p, D_FIXED.log)
    if math.isfinite(v):
        assert float(v) - float(second) == pytest.approx(float(first), abs=1e-10 + 10 * (v.error + second.error))
