"""S1. Value function.

Claim (Goodfellow et al. 2014, eq. 1; docs/theory.md S1): "V(G, D) = E_{x~p_data}[log D(x)]
+ E_{z~p_z}[log(1 - D(G(z)))]. D ascends V (real -> 1, fake -> 0); G descends V. A misclassified real
point sends log D(x) to minus infinity, and so does a fake point classified 1 in the second term."
"""

import math

import mpmath as mp
import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from pairs import PANEL, affine_generator
from scipy import special
from strategies import discriminators, pairs
from tolerances import EPS, slack, small_error

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


def _value_reference(p, q, logit, cuts):
    """V = ∫ p log σ(ℓ) + q log(1 - σ(ℓ)) by 30-digit mpmath (log σ(ℓ) = -log(1 + e^-ℓ))."""
    with mp.workdps(30):
        return float(mp.quad(lambda x: -p(x) * mp.log1p(mp.exp(-logit(x))) - q(x) * mp.log1p(mp.exp(logit(x))),
                             [-mp.inf, *cuts, mp.inf]))


def _quadratic_logit(x):
    return (-0.2 * x - 1.0) * x + 0.5


#: three forms of one discriminator, D = sigmoid(-0.2 x² - x + 0.5): its logit as a Discriminator
#: (two ways) and D itself as a plain function
DISCRIMINATORS = {
    "quadratic": gt.QuadraticDiscriminator(-0.2, -1.0, 0.5),
    "logit": gt.LogitDiscriminator(_quadratic_logit),
    "callable": lambda x: special.expit(_quadratic_logit(np.asarray(x, dtype=float))),
}


@pytest.mark.parametrize("space", ["x", "z"])
@pytest.mark.parametrize("kind", sorted(DISCRIMINATORS))
def test_closed_form_value_against_mpmath(kind, space):
    """p_data = N(0, 1), p_g = G(N(0, 1)) with G(z) = 0.8 z + 1.5, one fixed D: V over x and over the noise
    equals the 30-digit integral to 1e-12, converged, with an error bar that is small and covers the
    true error."""
    p, g = gt.Normal(0, 1), affine_generator(0.8, 1.5)
    want = _value_reference(reference.normal(0, 1), reference.normal(1.5, 0.8),
                            lambda x: _quadratic_logit(x), [-2.5, 0, 1.5])
    v = gt.value_function(p, g, DISCRIMINATORS[kind], space=space)
    assert v.converged and 0.0 <= small_error(v)
    assert abs(float(v) - want) <= v.error + 4 * EPS * abs(want)
    assert float(v) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("space", ["x", "z"])
def test_value_at_the_optimal_discriminator_of_another_pair(space):
    """D may be the optimal discriminator of a different pair (a discriminator trained against an earlier
    generator): V(G, D*_{G'}) < V(G, D*_G) = C(G), each against a 30-digit integral."""
    p, g = gt.Normal(0, 1), affine_generator(0.8, 1.5)
    old = gt.Normal(0.6, 1.3)
    d_old = gt.optimal_discriminator(p, old)

    def logit_old(x):
        return mp.log(reference.normal(0, 1)(x)) - mp.log(reference.normal(0.6, 1.3)(x))

    want = _value_reference(reference.normal(0, 1), reference.normal(1.5, 0.8), logit_old, [-2.5, 0, 1.5])
    v = gt.value_function(p, g, d_old, space=space)
    assert v.converged and abs(float(v) - want) <= v.error + 4 * EPS * abs(want)
    assert float(v) == pytest.approx(want, rel=1e-12)
    assert float(v) < float(gt.virtual_criterion(p, g)) - 1e-3


@pytest.mark.parametrize("space", ["x", "z"])
@pytest.mark.parametrize("term", ["real", "fake", "both"])
def test_minus_infinity_is_exact(term, space):
    """V = -inf when D = 0 on real mass or D = 1 on fake mass, in either form of V: an exact value (error
    0, converged), whichever term diverges."""
    p, g = gt.Uniform(0, 1), gt.Pushforward(gt.Uniform(0, 1), gt.Affine(1.0, 2.0))
    d = {"real": lambda x: np.where(np.asarray(x) < 0.5, 0.0, 0.9),
         "fake": lambda x: np.where(np.asarray(x) > 2.5, 1.0, 0.1),
         "both": lambda x: np.where(np.asarray(x) < 0.5, 0.0, np.where(np.asarray(x) > 2.5, 1.0, 0.3))}[term]
    v = gt.value_function(p, g, d, space=space)
    assert float(v) == -math.inf and v.error == 0.0 and v.converged is True


def _named(name):
    """A pattern for a message naming the parameter ``name`` (as a word of its own)."""
    return rf"(?<![\w]){name}(?![\w])"


PLANE = gt.MultivariateNormal([0, 0], np.eye(2))


def _half(x):
    return np.full(np.shape(x), 0.5)


OBJECTS = [
    (gt.value_function, ("normal", gt.Normal(0, 1), _half), {}, TypeError, _named("p_data")),
    (gt.value_function, (gt.Normal(0, 1), 1.0, _half), {}, TypeError, _named("p_g")),
    (gt.value_function, (gt.Normal(0, 1), gt.Normal(1, 1), 0.5), {}, TypeError, "d must be a callable"),
    (gt.value_function, (gt.Normal(0, 1), gt.Normal(1, 1), lambda x: 1.5 + 0 * x), {}, ValueError, r"\[0, 1\]"),
    (gt.value_function, (gt.Normal(0, 1), gt.Normal(1, 1), _half), {"space": "y"}, ValueError, "unknown space"),
    (gt.value_function, (gt.Normal(0, 1), gt.Normal(1, 1), _half), {"space": "z"}, TypeError, "Pushforward"),
    (gt.generator_loss, ("normal", gt.Normal(0, 1)), {}, TypeError, _named("p_data")),
    (gt.generator_loss, (gt.Normal(0, 1), None), {}, TypeError, _named("p_g")),
    (gt.generator_loss, (gt.Normal(0, 1), gt.Normal(1, 1)), {"loss": "wasserstein"}, ValueError, "unknown loss"),
    (gt.generator_loss, (gt.Normal(0, 1), gt.Normal(1, 1)), {"hints": ()}, TypeError, "argument .hints."),
    (gt.generator_loss, (gt.Normal(0, 1), gt.Normal(1, 1)), {"noise": None}, TypeError, "argument .noise."),
    (gt.generator_gradient, ("normal", affine_generator(1.0, 1.0)), {}, TypeError, _named("p_data")),
    (gt.generator_gradient, (gt.Normal(0, 1), [1.0]), {}, TypeError, _named("p_g")),
    (gt.generator_gradient, (gt.Normal(0, 1), affine_generator(1.0, 1.0)), {"loss": "hinge"}, ValueError,
     "unknown loss"),
    (gt.generator_gradient, (gt.Normal(0, 1), gt.Normal(1, 1)), {}, TypeError, "Pushforward"),
    (gt.generator_gradient, (gt.Normal(0, 1), gt.Pushforward(gt.Normal(0, 1), gt.Exp())), {}, TypeError, "Affine"),
    (gt.generator_gradient, (gt.Normal(0, 1), affine_generator(1.0, 1.0)), {"noise": None}, TypeError,
     "argument .noise."),
    (gt.generator_gradient, (PLANE, gt.Pushforward(PLANE, gt.Affine(np.eye(2), [1.0, 0.0]))), {}, TypeError,
     "one-dimensional"),
    (gt.virtual_criterion, (gt.Normal(0, 1), "q"), {}, TypeError, _named("p_g")),
    (gt.virtual_criterion, ("p", gt.Normal(0, 1)), {}, TypeError, _named("p_data")),
    (gt.optimal_discriminator, ({}, gt.Normal(0, 1)), {}, TypeError, _named("p_data")),
    (gt.optimal_discriminator, (gt.Normal(0, 1), 2), {}, TypeError, _named("p_g")),
]


@pytest.mark.parametrize(("fn", "args", "kwargs", "error", "pattern"), OBJECTS,
                         ids=[f"{case[0].__name__}-{i}" for i, case in enumerate(OBJECTS)])
def test_the_objects_of_the_derivation_are_checked(fn, args, kwargs, error, pattern):
    """V, the losses, their gradients and D* are defined for two densities and a discriminator with values in
    [0, 1] (S1); anything else is refused with a message naming the parameter, not given a number."""
    with pytest.raises(error, match=pattern):
        fn(*args, **kwargs)


def test_minus_infinity_in_the_plane():
    """The same for a generator of the plane: D = 1 on a half-plane where the fakes have mass gives
    V = -inf over the noise."""
    p = gt.MultivariateNormal([-40.0, 0.0], np.eye(2))  # (no real mass where D jumps)
    g = gt.Pushforward(gt.MultivariateNormal([0.0, 0.0], np.eye(2)), gt.Affine(np.eye(2), [3.0, 0.0]))
    d = lambda x: np.where(np.asarray(x)[..., 0] > 4.0, 1.0, 0.5)  # noqa: E731
    v = gt.value_function(p, g, d, space="z")
    assert float(v) == -math.inf and v.error == 0.0 and v.converged is True


def test_minus_infinity_at_the_optimal_discriminator_of_disjoint_data():
    """D* of U(0, 1) against U(2, 3) is 1 on [0, 1], 0 on [2, 3] and 1/2 elsewhere (where neither has mass):
    for N(0, 1) as both data and fakes, D* = 0 on [2, 3] meets real mass and D* = 1 on [0, 1] fake mass."""
    n = gt.Normal(0, 1)
    v = gt.value_function(n, n, gt.optimal_discriminator(gt.Uniform(0, 1), gt.Uniform(2, 3)))
    assert float(v) == -math.inf and v.error == 0.0 and v.converged is True


#: (p_data, p_g, (a, b, c), the data's density, support and points in mpmath, the generator's): a quadratic
#: logit whose roots or vertex, where log D and log(1 - D) bend, lie a few units wide inside a generator a
#: thousand wide, or twelve of its scales out
_QUADRATIC_CASES = {
    "roots in the generator's far tail": (
        gt.Laplace(12345.67800000004, 8.041825170876852e-11), (0.001, 0.319, 0.948),
        gt.Pushforward(gt.Laplace(0, 1), gt.Affine(1000.0, 12345.678)),
        lambda: (reference.laplace(12345.67800000004, 8.041825170876852e-11), [12345.67800000004]),
        lambda: (reference.laplace(12345.678, 1000), [12345.678])),
    "vertex inside the generator": (
        gt.Pushforward(gt.Beta(2.0, 0.5), gt.Affine(1000.0, -1500.0)), (0.5, 0.947, 1.889),
        gt.Pushforward(gt.Laplace(0, 1), gt.Affine(1000.0, -1000.0)),
        lambda: (lambda x: reference.beta(2, 0.5)((x + 1500) / 1000) / 1000, [-1500, -500]),
        lambda: (reference.laplace(-1000, 1000), [-1000])),
    "roots inside the generator, narrow data": (
        gt.Uniform(1999.9999999994914, 2000.0), (-1.288, 0.472, 1.36),
        gt.Pushforward(gt.Normal(0, 1), gt.Affine(1000.0, 1000.0)),
        lambda: (reference.uniform(1999.9999999994914, 2000.0), [1999.9999999994914, 2000.0]),
        lambda: (reference.normal(1000, 1000), [1000])),
    "vertex far out, no roots": (  # (D > 1/2 everywhere: log D dips by 0.47 over a few units at x = -500)
        gt.Pushforward(gt.Normal(0, 1), gt.Affine(1000.0, 0.0)), (0.5, 500.0, 125000.5),
        gt.Pushforward(gt.Laplace(0, 1), gt.Affine(1000.0, 100.0)),
        lambda: (reference.normal(0, 1000), [0]),
        lambda: (reference.laplace(100, 1000), [100])),
}


@pytest.mark.parametrize("case", list(_QUADRATIC_CASES))
def test_value_and_losses_see_where_a_quadratic_logit_bends(case):
    """V(G, D) over x and over the noise, and both generator losses, for D = sigmoid(a x² + b x + c):
    log(1 - D) = -softplus(ℓ) bends within 1/|ℓ'| of the roots of ℓ and near its vertex, features a few
    units wide that the panels made for the densities stepped over (V was off by up to 3e-4 with bars of
    1e-6, converged). Against 30-digit mpmath with those points and the densities' own as breakpoints."""
    data, (a, b, c), g, ref_data, ref_g = _QUADRATIC_CASES[case]
    with mp.workdps(30):
        am, bm, cm = (mp.mpf(v) for v in (a, b, c))
        ell = lambda x: (am * x + bm) * x + cm  # noqa: E731
        disc = bm * bm - 4 * am * cm
        bends = [-bm / (2 * am)] + ([(-bm + s * mp.sqrt(disc)) / (2 * am) for s in (-1, 1)] if disc > 0 else [])
        softplus = lambda t: t + mp.log1p(mp.exp(-t)) if t > 0 else mp.log1p(mp.exp(t))  # noqa: E731

        def mean(ref, h):
            f, pts = ref()
            cuts = sorted({mp.mpf(x) for x in pts} | {x + k for x in bends for k in (-30, -3, 0, 3, 30)}
                          | {mp.mpf(pts[0]) + k * 1000 for k in range(-40, 41, 4)})
            return mp.quad(lambda x: f(x) * h(x), [-mp.inf, *cuts, mp.inf])

        real = mean(ref_data, lambda x: -softplus(-ell(x)))
        want = {"V": float(real + mean(ref_g, lambda x: -softplus(ell(x)))),
                "minimax": float(mean(ref_g, lambda x: -softplus(ell(x)))),
                "non_saturating": float(mean(ref_g, lambda x: softplus(-ell(x))))}
    d = gt.QuadraticDiscriminator(a, b, c)
    got = {"V": [gt.value_function(data, g, d), gt.value_function(data, g, d, space="z")],
           "minimax": [gt.generator_loss(data, g, d)],
           "non_saturating": [gt.generator_loss(data, g, d, loss="non_saturating")]}
    for name, ests in got.items():
        for est in ests:
            assert est.converged and abs(float(est) - want[name]) <= est.error <= 1e-12 * abs(want[name]) + 1e-300, name
