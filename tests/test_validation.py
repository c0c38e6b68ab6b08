"""Bad input gets a clear ValueError or TypeError that names the parameter (issue 2 list)."""

import math

import numpy as np
import pytest

import gantheory as gt
from gantheory import estimators as E
from gantheory import quadrature as Q
from gantheory import training as T

NaN, INF = float("nan"), float("inf")

CASES = [
    # (callable, exception, message fragment)
    (lambda: gt.Normal(0, 0), ValueError, "scale"),
    (lambda: gt.Normal(0, -1), ValueError, "scale"),
    (lambda: gt.Normal(0, INF), ValueError, "scale"),
    (lambda: gt.Normal(NaN, 1), ValueError, "loc"),
    (lambda: gt.Normal("0", 1), TypeError, "loc"),
    (lambda: gt.Normal(0, True), TypeError, "scale"),
    (lambda: gt.Laplace(0, 0), ValueError, "scale"),
    (lambda: gt.Cauchy(0, NaN), ValueError, "scale"),
    (lambda: gt.StudentT(0, 0, 1), ValueError, "df"),
    (lambda: gt.StudentT(0.01, 0, 1), ValueError, "df"),
    (lambda: gt.Normal(1e200, 1), ValueError, "loc"),
    (lambda: gt.Normal(0, 1e-200), ValueError, "scale"),
    (lambda: gt.Normal(-10, 1e-17), ValueError, "scale"),
    (lambda: gt.Affine(1e-15, -1e5), ValueError, "scale"),
    (lambda: gt.StudentT(2, 0, -3), ValueError, "scale"),
    (lambda: gt.Uniform(1, 1), ValueError, "low < high"),
    (lambda: gt.Uniform(2, 1), ValueError, "low < high"),
    (lambda: gt.Uniform(0, INF), ValueError, "high"),
    (lambda: gt.Beta(0, 1), ValueError, "a"),
    (lambda: gt.Beta(1e-9, 1), ValueError, "a"),
    (lambda: gt.Beta(2, 1e10), ValueError, "b"),
    (lambda: gt.Beta(1, -2), ValueError, "b"),
    (lambda: gt.Mixture([gt.Normal(), gt.Normal(1)], [0.7, 0.2]), ValueError, "sum to 1"),
    (lambda: gt.Mixture([gt.Normal(), gt.Normal(1)], [1.2, -0.2]), ValueError, "non-negative"),
    (lambda: gt.Mixture([gt.Normal(), gt.Normal(1)], [1.0]), ValueError, "weights"),
    (lambda: gt.Mixture([], []), ValueError, "components"),
    (lambda: gt.Mixture([gt.Normal(), 3.0], [0.5, 0.5]), TypeError, "components"),
    (lambda: gt.Mixture([gt.Normal(), gt.MultivariateNormal([0, 0], np.eye(2))], [0.5, 0.5]), ValueError,
     "dimension"),
    (lambda: gt.GridDensity([0, 1, 1, 2], [1, 1, 1, 1]), ValueError, "increasing"),
    (lambda: gt.GridDensity([0, 2, 1], [1, 1, 1]), ValueError, "increasing"),
    (lambda: gt.GridDensity([0, 1, 2], [1, 1]), ValueError, "values"),
    (lambda: gt.GridDensity([0, 1, 2], [1, -1, 1]), ValueError, "non-negative"),
    (lambda: gt.GridDensity([0, 1, 2], [1, NaN, 1]), ValueError, "values"),
    (lambda: gt.GridDensity([0, 1, 2], [0, 0, 0]), ValueError, "all zero"),
    (lambda: gt.GridDensity([0, NaN, 2], [1, 1, 1]), ValueError, "x"),
    (lambda: gt.GridDensity([0], [1]), ValueError, "x"),
    (lambda: gt.GridDensity([0.0, 1.9e-246], [0.0, 1.0]), ValueError, "x must have cells"),
    (lambda: gt.MultivariateNormal([0, 0], [[1, 0], [0, -1]]), ValueError, "positive definite"),
    (lambda: gt.MultivariateNormal([0, 0], [[1, 0.5], [0.4, 1]]), ValueError, "symmetric"),
    (lambda: gt.MultivariateNormal([0, 0], np.eye(3)), ValueError, "cov"),
    (lambda: gt.MultivariateNormal([0, INF], np.eye(2)), ValueError, "mean"),
    (lambda: gt.Affine(0.0, 1.0), ValueError, "invertible"),
    (lambda: gt.Affine(np.zeros((2, 2))), ValueError, "invertible"),
    (lambda: gt.Pushforward(gt.Normal(), "exp"), TypeError, "transform"),
    (lambda: gt.kl_divergence(gt.Normal(), gt.MultivariateNormal([0, 0], np.eye(2))), ValueError, "dimension"),
    (lambda: gt.js_divergence(gt.Normal(), 1.0), TypeError, "q"),
    (lambda: gt.js_divergence(lambda x: x, gt.Normal()), TypeError, "p"),
    (lambda: gt.kl_divergence(gt.Normal(), gt.Normal(), method="mcmc"), ValueError, "method"),
    (lambda: gt.kl_divergence(gt.Normal(), gt.Normal(), base=1), ValueError, "base"),
    (lambda: gt.kl_divergence(gt.Normal(), gt.Normal(), base=-2), ValueError, "base"),
    (lambda: gt.f_divergence(gt.Normal(), gt.Normal(), 3), TypeError, "f"),
    (lambda: gt.value_function(gt.Normal(), gt.Normal(1), lambda x: 1.5 + 0 * x), ValueError, "d"),
    (lambda: gt.value_function(gt.Normal(), gt.Normal(1), lambda x: np.nan + 0 * x), ValueError, "d"),
    (lambda: gt.value_function(gt.Normal(), gt.Normal(1), 0.5), TypeError, "d"),
    (lambda: gt.value_function(gt.Normal(), gt.Normal(1), lambda x: 0.5 + 0 * x, space="w"), ValueError,
     "space"),
    (lambda: gt.value_function(gt.Normal(), gt.Normal(1), lambda x: 0.5 + 0 * x, space="z"), TypeError, "p_g"),
    (lambda: gt.generator_loss(gt.Normal(), gt.Normal(1), loss="wasserstein"), ValueError, "loss"),
    (lambda: gt.generator_gradient(gt.Normal(), gt.Normal(1)), TypeError, "p_g"),
    (lambda: gt.Normal().logpdf([0.0, NaN]), ValueError, "x"),
    (lambda: gt.Normal().logpdf("a"), TypeError, "x"),
    (lambda: gt.Normal().logpdf([1 + 2j]), TypeError, "x"),
    (lambda: gt.MultivariateNormal([0, 0], np.eye(2)).logpdf([1.0, 2.0, 3.0]), ValueError, "x"),
    (lambda: gt.Normal().sample(-1), ValueError, "n"),
    (lambda: gt.Normal().sample(2.5), TypeError, "n"),
    (lambda: gt.Normal().sample(3, rng="seed"), TypeError, "rng"),
    (lambda: gt.w1_distance(gt.MultivariateNormal([0, 0], np.eye(2)), gt.MultivariateNormal([0, 0], np.eye(2))),
     ValueError, "one-dimensional"),
    (lambda: gt.pointwise_argmax(-1.0, 1.0), ValueError, "non-negative"),
    (lambda: gt.pointwise_objective(1.5, 1.0, 1.0), ValueError, "y"),
    # bounded work: sample sizes have documented maxima
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="mc", n=10**11 + 1), ValueError, "n"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="qmc", n=2**26 + 1), ValueError, "n"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="qmc", n=2**20, replicates=2**11), ValueError,
     "replicates"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="knn", n=10**7 + 1), ValueError, "n"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="discriminator", n=10**7 + 1), ValueError, "n"),
    (lambda: gt.Normal().sample(10**8 + 1), ValueError, "n"),
    (lambda: T.function_space(gt.Normal(), np.linspace(-5, 5, 20), steps=T.MAX_STEPS + 1), ValueError, "steps"),
    (lambda: T.algorithm1(gt.Normal(), np.linspace(-5, 5, 20), steps=T.MAX_STEPS + 1), ValueError, "steps"),
    (lambda: T.parametric(gt.Normal(), steps=T.MAX_STEPS + 1), ValueError, "steps"),
    (lambda: T.dirac_gan(steps=T.MAX_STEPS + 1), ValueError, "steps"),
    (lambda: gt.kl_divergence(gt.Normal(), gt.Normal(), atol=complex(0, INF)), TypeError, "atol"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(), rtol=-1e-3), ValueError, "rtol"),
    # a bad tolerance is refused where a shortcut would answer without integrating (disjoint supports, a
    # divergent tail, a 2-D pair of one covariance, a named f-divergence)
    *[(lambda fn=fn, kw=kw: fn(gt.Uniform(0, 1), gt.Uniform(2, 3), **kw), ValueError, next(iter(kw)))
      for fn in (gt.js_divergence, gt.hellinger, gt.tv_distance) for kw in ({"atol": -1.0}, {"rtol": -1.0})],
    (lambda: gt.kl_divergence(gt.Cauchy(), gt.Normal(), atol=-1.0), ValueError, "atol"),
    (lambda: gt.QuadraticDiscriminator(0.0, 0.0, math.nan), ValueError, "c"),
    (lambda: gt.QuadraticDiscriminator(0.0, 0.0, "c"), TypeError, "c"),
    (lambda: gt.optimal_discriminator(gt.Normal(), gt.Normal(1)).logit("x"), TypeError, "x"),
    (lambda: gt.w1_distance(gt.Cauchy(), gt.Normal(), atol=-1.0), ValueError, "atol"),
    (lambda: gt.w1_distance(gt.Cauchy(), gt.Normal(), rtol=math.nan), ValueError, "rtol"),
    (lambda: gt.f_divergence(gt.Cauchy(), gt.Normal(), "pearson", atol=-1.0), ValueError, "atol"),
    (lambda: gt.f_divergence(gt.Normal(), gt.Normal(1), "neyman", atol=-1.0), ValueError, "atol"),
    (lambda: gt.kl_divergence(gt.MultivariateNormal([0, 0], np.eye(2)), gt.MultivariateNormal([1, 0], np.eye(2)),
                              atol=-1.0), ValueError, "atol"),
    # the rest of the public API (found by tests/test_fuzz.py)
    (lambda: gt.ScipyDensity(gt.Normal()), TypeError, "frozen"),
    # tolerances are checked whatever the method (tv and hellinger once skipped them when sampling)
    *[(lambda fn=fn: fn(gt.Normal(), gt.Normal(1), method="mc", rtol=-1.0, n=100, rng=0), ValueError, "rtol")
      for fn in (gt.tv_distance, gt.hellinger, gt.kl_divergence, gt.js_divergence)],
    # D*'s derivative in 2-D (it once returned the densities' 1-D scores: [-1, -1] for [-1, 0])
    (lambda: gt.OptimalDiscriminator(gt.MultivariateNormal([0, 0], np.eye(2)),
                                     gt.MultivariateNormal([1, 0], np.eye(2))).dlogit([[0.0, 0.0]]),
     ValueError, "one-dimensional"),
    # integrate_pair's evaluate returning log p = +inf at a node (it once ended in an internal NaN error)
    (lambda: Q.integrate_pair((gt.Normal(), gt.Normal(1)), 6, lambda nodes: (
        np.where(np.arange(len(nodes.x)) == 0, np.inf, nodes.logpdf(gt.Normal())), nodes.logpdf(gt.Normal(1)),
        np.zeros(len(nodes.x)), np.zeros(len(nodes.x)))), ValueError, "evaluate returned a log-density of"),
    # scipy freezes invalid parameters and answers NaN (support, logpdf): refused at construction
    (lambda: gt.ScipyDensity(__import__("scipy.stats").stats.norm(0, -1)), ValueError, "invalid parameters"),
    (lambda: gt.kl_divergence(__import__("scipy.stats").stats.t(0), gt.Normal()), ValueError, "invalid parameters"),
    (lambda: T.algorithm1(gt.Normal(), []), ValueError, "grid"),
    (lambda: T.function_space(gt.Normal(), [-1e308, 1e308]), ValueError, "grid"),
    (lambda: T.grid_jsd(0.0, 0.0, 0.0), ValueError, "normalised"),
    (lambda: T.grid_jsd([0.5, 0.5], [1.0], [1.0, 1.0]), ValueError, "one shape"),
    (lambda: E.monte_carlo("kl", gt.Normal(), 0.0), TypeError, "q"),
    (lambda: E.discriminator_jsd(None, gt.Normal()), TypeError, "p"),
    (lambda: E.discriminator_jsd(gt.Normal(), gt.Normal(1), n=100, population=np.ones(2)), TypeError, "population"),
    (lambda: E.fit_logistic([0.0, 0.0], [0.0, 0.0], l2=0.0), ValueError, "l2"),
    (lambda: E.fit_logistic([0.0, 1.0], [2.0, 3.0], degree=9), ValueError, "degree"),
    (lambda: E.fit_logistic([[0.0, 1.0], [1, 0]], [[2.0, 3.0], [3, 2]])(np.zeros(7)), ValueError, "x"),
    (lambda: Q.expectation(gt.Normal(), 0.0), TypeError, "g"),
    (lambda: E.knn_entropy(np.zeros((2, 0))), ValueError, "coordinate"),
    (lambda: T.parametric(gt.Beta(2, 2), steps=5), ValueError, "p_data"),
    (lambda: T.parametric(gt.Mixture([gt.Normal(), gt.Uniform(0, 1)], [0.5, 0.5]), steps=5), ValueError, "p_data"),
    (lambda: gt.generator_loss(gt.Normal(), gt.Normal(1), hints=()), TypeError, "hints"),
    (lambda: Q.expectation(gt.Normal(), lambda x: np.where(x > 0, np.inf, -np.inf)), ValueError, "undefined"),
    (lambda: Q.expectation(gt.Normal(), lambda x: x[:3]), ValueError, "one value per point"),
    (lambda: gt.LogitDiscriminator(lambda x: np.nan * x)(1.0), ValueError, "NaN"),
    (lambda: gt.Mixture([gt.Normal()] * 10_001, np.full(10_001, 1 / 10_001)), ValueError, "at most 10000"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="mc", n=100, chunk=0), ValueError, "chunk"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="mc", n=100, chunk=-5), ValueError, "chunk"),
    (lambda: gt.js_divergence(gt.Normal(), gt.Normal(1), method="mc", n=100, variance_reduction="no"), TypeError,
     "variance_reduction"),
    (lambda: gt.js_divergence(gt.MultivariateNormal([0, 0], np.eye(2)), gt.MultivariateNormal([1, 0], np.eye(2)),
                              breaks=[0.5]), ValueError, "breaks"),
    (lambda: Q.expectation(gt.Normal(), np.sin, bogus=1), TypeError, "expectation() got an unexpected"),
    (lambda: gt.f_divergence(gt.Normal(), gt.Normal(1), "kl", method="mc"), TypeError, "'method'; it takes f_inf"),
    # an f that is NaN at a single ratio (its first): named, not an IndexError
    (lambda: gt.f_divergence(gt.Normal(), gt.Normal(1), lambda u: np.where(np.arange(u.size) == 0, np.nan, u - 1)),
     ValueError, "f returned NaN at u ="),
]


@pytest.mark.parametrize(("call", "exc", "fragment"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_raises_clear_error(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_never_nan_for_the_documented_infinities():
    p, q = gt.Uniform(0, 1), gt.Uniform(0.5, 1.5)
    for value in (gt.kl_divergence(p, q), gt.kl_divergence(q, p), gt.f_divergence(p, q, "pearson")):
        assert value == math.inf
    assert gt.js_divergence(p, q) == pytest.approx(math.log(2) / 2, rel=1e-14)


@pytest.mark.parametrize("fname", ["value_function", "virtual_criterion", "generator_loss"])
def test_a_wrong_density_is_named_by_its_parameter(fname):
    """The GAN functions name the argument that is not a density: p_data or p_g."""
    f = getattr(gt, fname)
    extra = (gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(1, 1)),) if fname == "value_function" else ()
    with pytest.raises(TypeError, match=r"^p_data must be"):
        f(1.0, gt.Normal(0, 1), *extra)
    with pytest.raises(TypeError, match=r"^p_g must be"):
        f(gt.Normal(0, 1), "x", *extra)


@pytest.mark.parametrize("kwargs", [{"rtol": -1.0}, {"atol": -1e-3}, {"rtol": math.nan}])
def test_tolerances_are_checked_where_the_answer_needs_no_integral(kwargs):
    """Disjoint uniforms: KL and Pearson χ² are inf, JSD log 2, TV and H² 1, C(G) 0, all in closed form;
    a negative or NaN tolerance is still refused, the message opening with its name, whatever branch the
    data select."""
    p, q = gt.Uniform(0, 1), gt.Uniform(2, 3)
    name = next(iter(kwargs))
    for fn in (gt.kl_divergence, gt.js_divergence, gt.tv_distance, gt.hellinger, gt.w1_distance, gt.virtual_criterion,
               lambda p, q, **k: gt.f_divergence(p, q, "pearson", **k),
               lambda p, q, **k: gt.f_divergence(p, q, lambda u: (u - 1.0) ** 2, **k)):
        with pytest.raises(ValueError, match=f"^{name} must"):
            fn(p, q, **kwargs)
