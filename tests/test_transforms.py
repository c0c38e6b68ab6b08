"""Generator maps and the change of variables p_g(x) = p_z(G^{-1}(x)) |dG^{-1}/dx| (docs/theory.md S4)."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import gantheory as gt

X = np.linspace(-6, 9, 31)


@pytest.mark.parametrize(("scale", "shift"), [(2.0, 1.0), (-0.5, 3.0), (1.0, 0.0)])
def test_affine_pushforward_of_normal_is_normal(scale, shift):
    g = gt.Pushforward(gt.Normal(0.5, 1.5), gt.Affine(scale, shift))
    ref = gt.Normal(scale * 0.5 + shift, abs(scale) * 1.5)
    np.testing.assert_allclose(g.logpdf(X), ref.logpdf(X), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(g.cdf(X), ref.cdf(X), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(g.sf(X), ref.sf(X), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(g.score(X), ref.score(X), rtol=1e-12, atol=1e-14)


def test_exp_pushforward_is_lognormal():
    g = gt.Pushforward(gt.Normal(0.3, 0.8), gt.Exp())
    ref = stats.lognorm(s=0.8, scale=math.exp(0.3))
    x = np.array([1e-3, 0.1, 1.0, 2.0, 30.0])
    np.testing.assert_allclose(g.logpdf(x), ref.logpdf(x), rtol=1e-13)
    assert g.logpdf(-1.0) == -math.inf and g.logpdf(0.0) == -math.inf
    assert g.support == (0.0, math.inf)
    np.testing.assert_allclose(g.cdf(x), ref.cdf(x), rtol=1e-12)


def test_sinh_arcsinh_density_is_the_change_of_variables():
    """Against the explicit formula p_z(sinh w) cosh(w) / (δ sqrt(1 + x²)), w = (asinh x - ε)/δ."""
    eps, delta = 0.3, 1.5
    g = gt.Pushforward(gt.Normal(0, 1), gt.SinhArcsinh(eps, delta))
    w = (np.arcsinh(X) - eps) / delta
    ref = stats.norm.logpdf(np.sinh(w)) + np.log(np.cosh(w)) - np.log(delta) - 0.5 * np.log1p(X * X)
    np.testing.assert_allclose(g.logpdf(X), ref, rtol=1e-13)
    s = g.sample(3000, rng=11)
    assert stats.kstest(s, g.cdf).pvalue > 1e-3
    h = 1e-6
    fd = (g.logpdf(X + h) - g.logpdf(X - h)) / (2 * h)
    np.testing.assert_allclose(g.score(X), fd, rtol=1e-6, atol=1e-8)


def test_pushforward_integrates_to_one():
    g = gt.Pushforward(gt.Laplace(0, 1), gt.SinhArcsinh(-0.4, 0.7))
    assert gt.quadrature.expectation(g, lambda x: np.ones_like(x)) == pytest.approx(1.0, abs=1e-12)


def test_affine_pushforward_of_beta_keeps_singular_ends():
    """KL is invariant under the affine map, even with the singular ends moved to 2 and 5."""
    a, b = gt.Beta(0.5, 0.5), gt.Beta(2, 2)
    g = gt.Affine(3.0, 2.0)
    pa, pb = gt.Pushforward(a, g), gt.Pushforward(b, g)
    assert pa.support == (2.0, 5.0)
    assert gt.kl_divergence(pa, pb) == pytest.approx(float(gt.kl_divergence(a, b)), rel=1e-12)
    assert gt.js_divergence(pb, pa) == pytest.approx(float(gt.js_divergence(b, a)), rel=1e-12)


def test_matrix_affine_pushforward_of_mvn():
    a = np.array([[1.0, 0.5], [-0.3, 2.0]])
    t = np.array([1.0, -2.0])
    base = gt.MultivariateNormal([0.0, 0.0], np.eye(2))
    g = gt.Pushforward(base, gt.Affine(a, t))
    ref = stats.multivariate_normal(t, a @ a.T)
    x = np.random.default_rng(2).normal(size=(5, 2))
    np.testing.assert_allclose(g.logpdf(x), ref.logpdf(x), rtol=1e-13)
    assert gt.kl_divergence(g, gt.MultivariateNormal(t, a @ a.T)) == pytest.approx(0.0, abs=1e-13)


def test_inverse_round_trip():
    for tr in (gt.Affine(-2.0, 1.0), gt.Exp(), gt.SinhArcsinh(0.7, 0.4)):
        z = np.linspace(-3, 3, 13)
        np.testing.assert_allclose(tr.inverse(tr.forward(z)), z, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: gt.Affine(0.0, 1.0), "not invertible"),
        (lambda: gt.Affine([[1.0, 2.0], [2.0, 4.0]]), "invertible"),
        (lambda: gt.SinhArcsinh(0.0, 0.0), "tailweight"),
        (lambda: gt.SinhArcsinh(0.0, -1.0), "tailweight"),
        (lambda: gt.Affine(float("nan"), 0.0), "scale"),
        (lambda: gt.Affine(np.eye(2), [1.0, 2.0, 3.0]), "shift"),
        (lambda: gt.Pushforward(gt.Normal(), gt.Affine(np.eye(2))), "dim"),
    ],
)
def test_non_invertible_or_mismatched_maps_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_pushforward_needs_a_transform():
    with pytest.raises(TypeError, match="transform"):
        gt.Pushforward(gt.Normal(), lambda z: 2 * z)
    with pytest.raises(TypeError, match="base"):
        gt.Pushforward(3.0, gt.Affine(1.0))


def test_a_log_normal_reaching_beyond_float64_is_computed_without_overflow_warnings():
    """Log-normals of σ = 300 and 200 keep mass beyond 1e308 (z > 709.8 maps to inf): with one of them
    a one-component mixture (so the pair is integrated as it is, not as the normals it comes from) JSD
    says so in its flag and warning, and no overflow warning from the map reaches the caller."""
    p = gt.Pushforward(gt.Normal(0, 300), gt.Exp())
    q = gt.Mixture([gt.Pushforward(gt.Normal(1, 200), gt.Exp())], [1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("always", gt.AccuracyWarning)
        got = gt.js_divergence(p, q, breaks=[1.0])
    assert math.isfinite(got) and not got.converged
    assert any("float64 range" in str(w.message) for w in caught)
