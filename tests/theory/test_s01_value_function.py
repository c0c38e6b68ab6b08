"""S1. Value function.

Claim (Goodfellow et al. 2014, eq. 1; docs/theory.md S1): "V(G, D) = E_{x~p_data}[log D(x)]
+ E_{z~p_z}[log(1 - D(G(z)))]. D ascends V (real -> 1, fake -> 0); G descends V. A misclassified real
point sends log D(x) to minus infinity, and so does a fake point classified 1 in the second term."
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pairs import PANEL, affine_generator
from strategies import discriminators, pairs
from tolerances import slack

import gantheory as gt


def test_closed_form_constant_discriminator():
    """D ≡ c gives V = log c + log(1 - c) for any pair."""
    for c in (0.5, 0.1, 0.93):
        v = gt.value_function(gt.Laplace(0, 1), gt.Cauchy(2, 1), lambda x, c=c: np.full(np.shape(x), c))
        assert v == pytest.approx(math.log(c) + math.log1p(-c), rel=1e-14)


def test_closed_form_piecewise_constant_on_uniforms():
    """p_data = U(0, 2), p_g = U(1, 3), D = 0.8 on x < 1.5 and 0.3 beyond:
    V = 3/4 log 0.8 + 1/4 log 0.3 + 1/4 log 0.2 + 3/4 log 0.7. The jump of D inside a panel is
    found by the adaptive refinement alone (it is no breakpoint of the densities)."""
    d = lambda x: np.where(np.asarray(x) < 1.5, 0.8, 0.3)  # noqa: E731
    v = gt.value_function(gt.Uniform(0, 2), gt.Uniform(1, 3), d, rtol=1e-13)
    ref = 0.75 * math.log(0.8) + 0.25 * math.log(0.3) + 0.25 * math.log(0.2) + 0.75 * math.log(0.7)
    assert v == pytest.approx(ref, abs=1e-9)


def test_discriminator_ascends_generator_descends():
    """Pushing D towards 1 on real mass raises V; moving the fakes onto D's high region lowers it."""
    p = gt.Normal(0, 1)
    g = affine_generator(1.0, 2.0)
    d = gt.LogitDiscriminator(lambda x: 1.0 - x)  # says "real" on the left, where p_data lives
    better = gt.LogitDiscriminator(lambda x: 2.0 - 2.0 * x)  # the logit of D* here
    assert gt.value_function(p, g, better) > gt.value_function(p, g, d)
    closer = affine_generator(1.0, 0.5)  # fakes moved to where D is larger
    assert gt.value_function(p, closer, d) < gt.value_function(p, g, d)


def test_misclassification_sends_v_to_minus_infinity():
    p, q = gt.Uniform(0, 1), gt.Uniform(2, 3)
    real_as_fake = lambda x: np.where(np.asarray(x) < 0.5, 0.0, 0.9)  # noqa: E731
    fake_as_real = lambda x: np.where(np.asarray(x) > 2.5, 1.0, 0.1)  # noqa: E731
    assert gt.value_function(p, q, real_as_fake) == -math.inf
    assert gt.value_function(p, q, fake_as_real) == -math.inf


@pytest.mark.parametrize("name", sorted(PANEL))
def test_panel_value_against_monte_carlo(name):
    """The quadrature V agrees with a plain Monte Carlo average of the definition (5 standard errors),
    for a bounded logit (an unbounded one gives V = -inf against heavy tails, correctly)."""
    p, q = PANEL[name]
    if p.dim == 1:
        d = gt.LogitDiscriminator(lambda x: 0.3 - 1.5 * np.tanh(np.asarray(x) - 0.5))
    else:
        w = np.array([0.4, -0.7])
        d = gt.LogitDiscriminator(lambda x: 0.2 + 2.0 * np.tanh(np.asarray(x) @ w))
    rng = np.random.default_rng(1)
    n = 200_000
    xr, xf = p.sample(n, rng), q.sample(n, rng)
    terms = d.log(xr) + d.log1m(xf)
    v = gt.value_function(p, q, d)
    assert abs(v - terms.mean()) < 5 * terms.std() / math.sqrt(n) + slack(v)


@given(pair=pairs(), data=st.data())
def test_property_v_is_never_positive(pair, data):
    """V is an expectation of logs of values in (0, 1): never positive, for any pair and any D."""
    p, q = pair
    _, d = data.draw(discriminators(p, q))
    v = gt.value_function(p, q, d)
    assert v <= slack(v)
