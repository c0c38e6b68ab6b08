"""S3. Non-saturating generator loss.

Claim (Goodfellow et al. 2014, Sec. 3; docs/theory.md S3): "In practice G maximises E_z[log D(G(z))]
instead. It has the same fixed points, but a much stronger gradient early in training, when D
confidently rejects fakes. With D = sigmoid(a): d/da log(1 - sigmoid(a)) = -sigmoid(a) -> 0 as
a -> -inf (saturates), while d/da log sigmoid(a) = 1 - sigmoid(a) -> 1."
"""

import itertools
import math

import mpmath as mp
import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from pairs import affine_generator
from strategies import reals

import gantheory as gt


@pytest.mark.parametrize("a", [-40.0, -10.0, -1.0, 0.0, 2.0])
def test_closed_form_sigmoid_derivatives(a):
    """d/da log(1 - σ(a)) = -σ(a) and d/da log σ(a) = 1 - σ(a), against mpmath derivatives."""
    with mp.workdps(30):
        d_minimax = mp.diff(lambda t: mp.log(1 - 1 / (1 + mp.exp(-t))), a)
        d_ns = mp.diff(lambda t: mp.log(1 / (1 + mp.exp(-t))), a)
    d = gt.LogitDiscriminator(lambda x: x)  # D = σ(x): the logit is a itself
    assert float(d(a)) == pytest.approx(-float(d_minimax), rel=1e-12)
    assert 1 - float(d(a)) == pytest.approx(float(d_ns), rel=1e-12)


def _expected_dstar(shift):
    """E_{N(shift,1)}[D*] against N(0, 1), by mpmath at 30 digits."""
    pz, pg = reference.normal(0, 1), reference.normal(shift, 1)
    return float(mp.quad(lambda x: pg(x) * pz(x) / (pz(x) + pg(x)), [-mp.inf, 0, shift / 2, shift, mp.inf]))


def test_saturation_ratio_as_fakes_are_rejected():
    """For p_g = N(t, 1) against N(0, 1) the logit of D* has slope -t, so the shift-gradients are
    t E[D*] (minimax) and t (1 - E[D*]) (non-saturating). The ratio falls to 0 as D* rejects the fakes."""
    p = gt.Normal(0, 1)
    ratios = []
    for shift in (1.0, 3.0, 6.0, 10.0, 14.0):
        ed = _expected_dstar(shift)
        g = affine_generator(1.0, shift)
        mm = gt.generator_gradient(p, g, loss="minimax")[1]
        ns = gt.generator_gradient(p, g, loss="non_saturating")[1]
        assert mm == pytest.approx(shift * ed, rel=1e-8)
        assert ns == pytest.approx(shift * (1.0 - ed), rel=1e-12)
        ratios.append(mm / ns)
    assert all(a > b for a, b in itertools.pairwise(ratios))
    # E_{p_g}[D*] = ∫ p q/(p + q) is dominated by the crossing at t/2: ~ 2Φ(-t/2) = 2.6e-12 at t = 14
    assert ratios[-1] < 1e-11
    assert gt.generator_gradient(p, affine_generator(1.0, 14.0), loss="non_saturating")[1] > 13.9


def test_same_fixed_point():
    """At p_g = p_data, D* = 1/2 and both gradients vanish."""
    p = gt.Normal(0.4, 1.3)
    g = affine_generator(1.3, 0.4)
    for loss in ("minimax", "non_saturating"):
        np.testing.assert_allclose(gt.generator_gradient(p, g, loss=loss), 0.0, atol=1e-13)


@pytest.mark.parametrize(("target", "factor"), [
    (gt.Laplace(0, 1), 100), (gt.Mixture([gt.Normal(-2, 0.5), gt.Normal(2, 0.5)], [0.5, 0.5]), 100),
    (gt.Normal(0, 0.5), 1e10), (gt.Cauchy(0, 0.5), 10),
], ids=["laplace", "bimodal", "narrow", "cauchy"])
def test_panel_non_saturating_stronger_when_fakes_rejected(target, factor):
    """Generators placed far from the data: |∇ non-saturating| >> |∇ minimax|. Heavy-tailed data
    keep D* of the fakes at ~p_data/p_g ~ 1e-3 (Cauchy mass reaches x = 9), so saturation is milder.
    (Data with a bounded support are left out: there the non-saturating loss is +inf.)"""
    g = affine_generator(0.5, 9.0)
    mm = gt.generator_gradient(target, g, loss="minimax")
    ns = gt.generator_gradient(target, g, loss="non_saturating")
    assert np.linalg.norm(ns) > factor * np.linalg.norm(mm)


@given(shift=reals(0.05, 12.0), sign=st.sampled_from([-1.0, 1.0]), scale=reals(0.3, 3.0))
def test_property_non_saturating_at_least_as_strong_for_shifts(shift, sign, scale):
    """Equal scales: ∂/∂shift is t E[D*] vs t (1 - E[D*]) and E_{p_g}[D*] <= 1/2 (harmonic <= arithmetic
    mean), so the non-saturating shift-gradient is never the weaker one; with unequal scales we check
    the defining identities instead: ∂L_mm/∂shift = E[-D* ℓ'] and ∂L_ns/∂shift = E[-(1 - D*) ℓ']."""
    t = sign * shift
    p = gt.Normal(0, scale)
    g = affine_generator(scale, t)
    mm = gt.generator_gradient(p, g, loss="minimax")[1]
    ns = gt.generator_gradient(p, g, loss="non_saturating")[1]
    assert abs(ns) >= abs(mm) * (1 - 1e-12)
    assert mm + ns == pytest.approx(t / scale**2, rel=1e-10)  # E[D* + (1 - D*)] (-ℓ') = t/σ²
    assert math.copysign(1.0, mm) == math.copysign(1.0, t)
