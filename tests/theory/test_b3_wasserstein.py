"""B3. Wasserstein contrast.

Claim (Arjovsky, Chintala, Bottou 2017, Example 1; docs/theory.md B3): "P_0 = δ_0, P_θ = δ_θ: W1 = |θ|,
JSD = log 2, TV = 1, KL = +inf for every θ != 0, all 0 at θ = 0. In 1-D, W1 = ∫ |F_P - F_Q| dx."

Diracs are the limit of narrow uniforms U(θ, θ + w): for |θ| >= w the formulas above hold exactly; for
|θ| < w the overlap is 1 - |θ|/w and JSD = (|θ|/w) log 2, TV = |θ|/w, W1 = |θ|, KL = inf.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from strategies import reals

import gantheory as gt

W = 1e-3


@pytest.mark.parametrize("theta", [0.0, 2e-4, -5e-4, 1e-3, 0.01, -0.3, 2.0, 50.0])
def test_shifted_narrow_uniforms(theta):
    p, q = gt.Uniform(0, W), gt.Uniform(theta, theta + W)
    frac = min(abs(theta) / W, 1.0)
    assert gt.w1_distance(p, q) == pytest.approx(abs(theta), rel=1e-12, abs=1e-18)
    assert gt.js_divergence(p, q) == pytest.approx(frac * math.log(2), rel=1e-12, abs=1e-15)
    assert gt.tv_distance(p, q) == pytest.approx(frac, rel=1e-12, abs=1e-15)
    assert gt.kl_divergence(p, q) == (0.0 if theta == 0 else math.inf)


def test_w1_is_continuous_jsd_is_not():
    """As θ -> 0 from far away, W1 -> 0 smoothly while JSD stays at log 2 until the supports meet."""
    thetas = np.array([1.0, 0.1, 0.01, 0.002])
    w1 = np.array([float(gt.w1_distance(gt.Uniform(0, W), gt.Uniform(t, t + W))) for t in thetas])
    jsd = np.array([float(gt.js_divergence(gt.Uniform(0, W), gt.Uniform(t, t + W))) for t in thetas])
    np.testing.assert_allclose(w1, thetas, rtol=1e-12)
    np.testing.assert_allclose(jsd, math.log(2), rtol=1e-14)


def test_w1_is_the_cdf_integral_for_parallel_normals():
    """Normals of equal scale: W1 = |Δμ| whatever the scale (a shift of the CDF)."""
    for s in (1e-3, 1.0, 30.0):
        assert gt.w1_distance(gt.Normal(0, s), gt.Normal(0.7, s)) == pytest.approx(0.7, rel=1e-11)


@given(theta=reals(-10, 10), width=reals(1e-3, 1.0))
def test_property_shift_family(theta, width):
    p, q = gt.Uniform(0, width), gt.Uniform(theta, theta + width)
    frac = min(abs(theta) / width, 1.0)
    assert gt.w1_distance(p, q) == pytest.approx(abs(theta), rel=1e-10, abs=1e-15)
    assert gt.js_divergence(p, q) == pytest.approx(frac * math.log(2), rel=1e-10, abs=1e-14)
    assert gt.tv_distance(p, q) == pytest.approx(frac, rel=1e-10, abs=1e-14)
