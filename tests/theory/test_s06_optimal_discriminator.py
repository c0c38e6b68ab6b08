"""S6. Optimal discriminator.

Claim (Goodfellow et al. 2014, Proposition 1; docs/theory.md S6): "For fixed G,
D*_G(x) = p_data(x) / (p_data(x) + p_g(x)) on the union of the supports. Every other D gives
V(G, D) <= V(G, D*), strictly unless D equals D* almost everywhere there."
"""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pairs import PANEL
from scipy import special
from strategies import discriminators, pairs
from tolerances import slack

import gantheory as gt
from gantheory import _kernels as K
from gantheory.gan import _disc_logs
from gantheory.quadrature import integrate_pair


def test_closed_form_two_normals():
    """N(0,1) vs N(μ,1): D* = σ(μ²/2 - μ x), a logistic regression in x."""
    mu = 1.7
    d = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(mu, 1))
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(d(x), 1 / (1 + np.exp(-(mu * mu / 2 - mu * x))), rtol=1e-13)
    np.testing.assert_allclose(d.logit(x), mu * mu / 2 - mu * x, rtol=1e-13, atol=1e-14)


def test_closed_form_disjoint_uniforms_perfect_classifier():
    d = gt.optimal_discriminator(gt.Uniform(0, 1), gt.Uniform(2, 3))
    assert d(0.5) == 1.0 and d(2.5) == 0.0


def _gap(p, q, d):
    """∫ (p + q) kl(D*(x) || D(x)) with kl the binary KL: V(G, D*) - V(G, D) written pointwise."""
    dstar = gt.optimal_discriminator(p, q)

    def evaluate(nodes):
        lp, lq = nodes.logpdf(p), nodes.logpdf(q)
        ls, l1s = dstar._logs_from(lp, lq)
        ld, l1d = _disc_logs(d, nodes)
        with np.errstate(all="ignore"):  # each part with 0 log 0 = 0
            one = np.where(np.isneginf(ls), 0.0, np.exp(ls) * (ls - ld))
            two = np.where(np.isneginf(l1s), 0.0, np.exp(l1s) * (l1s - l1d))
        kl = one + two
        # kl comes from differences of logs: a few ulps of them, where they carry weight, is its round-off
        with np.errstate(all="ignore"):
            scale = np.exp(ls) * (np.abs(ls) + np.abs(ld)) + np.exp(l1s) * (np.abs(l1s) + np.abs(l1d))
        noise = 8 * np.finfo(float).eps * np.where(np.isfinite(scale), scale, 0.0)
        return lp, lq, kl, kl, noise

    return integrate_pair((p, q), K.LINEAR, evaluate)


@pytest.mark.parametrize("name", sorted(PANEL))
def test_panel_other_discriminators_do_worse(name):
    p, q = PANEL[name]
    c = gt.value_function(p, q, gt.optimal_discriminator(p, q))
    w = np.array([0.5, 0.5]) if p.dim == 2 else None
    for shift in (0.3, -1.0):
        logit = (lambda x, s=shift: s + np.tanh(np.asarray(x) @ w)) if w is not None else (
            lambda x, s=shift: s + np.tanh(np.asarray(x)))
        d = gt.LogitDiscriminator(logit)
        v = gt.value_function(p, q, d)
        assert v < c
        assert float(c) - float(v) == pytest.approx(float(_gap(p, q, d)), rel=1e-9, abs=1e-12)


@given(pair=pairs(), data=st.data())
def test_property_v_at_most_v_at_dstar(pair, data):
    """V(G, D) <= V(G, D*) for every drawn D; the gap is ∫(p+q) kl(D*||D) > 0 unless D = D* a.e."""
    p, q = pair
    kind, d = data.draw(discriminators(p, q))
    c = gt.value_function(p, q, gt.optimal_discriminator(p, q))
    v = gt.value_function(p, q, d)
    assert v <= c + slack(v, c)
    if math.isfinite(v):
        with warnings.catch_warnings():  # near a singular end the gap's round-off may exceed rtol: it says so
            warnings.simplefilter("ignore", gt.AccuracyWarning)
            gap = _gap(p, q, d)
        tol = 1e-10 + 10 * (v.error + c.error + gap.error)
        assert float(c) - float(v) == pytest.approx(float(gap), rel=1e-8, abs=tol)
        if kind == "optimal":
            assert gap == pytest.approx(0.0, abs=1e-12)
        if gap > 1e-8:
            assert v < c  # strictly


def test_two_normals_optimal_discriminator_is_quadratic():
    """N(0, 1) vs N(μ, σ²): log p_data - log p_g = a x² + b x + c with a = (1/σ² - 1)/2, b = -μ/σ²,
    c = μ²/(2σ²) + log σ, so D* is the quadratic logistic discriminator with those coefficients: the
    same D, log D, log(1 - D), logit and slope ℓ' = 2 a x + b at every x, and the same value V(G, D),
    which is C(G) = 2 JSD - log 4 (S7)."""
    mu, s = 1.7, 1.6
    a, b, c = (1.0 / s**2 - 1.0) / 2.0, -mu / s**2, mu**2 / (2.0 * s**2) + math.log(s)
    quad = gt.QuadraticDiscriminator(a, b, c)
    dstar = gt.optimal_discriminator(gt.Normal(0.0, 1.0), gt.Normal(mu, s))
    x = np.linspace(-40.0, 40.0, 81)
    for name in ("__call__", "logit", "log", "log1m", "dlogit"):
        np.testing.assert_allclose(getattr(dstar, name)(x), getattr(quad, name)(x), rtol=1e-12, atol=1e-300,
                                   err_msg=name)
    np.testing.assert_allclose(dstar.dlogit(x), 2.0 * a * x + b, rtol=1e-13, atol=1e-15)
    # (fresh density objects: D* is evaluated as a discriminator, not through the pair it was built from)
    values = [gt.value_function(gt.Normal(0.0, 1.0), gt.Normal(mu, s), d) for d in (quad, dstar)]
    cg = gt.virtual_criterion(gt.Normal(0.0, 1.0), gt.Normal(mu, s))
    for v in values:
        assert v.error <= 1e-12 and abs(float(v) - float(cg)) <= v.error + cg.error


def _named(name):
    """A pattern for a message naming the parameter ``name`` (as a word of its own)."""
    return rf"(?<![\w]){name}(?![\w])"


@pytest.mark.parametrize(("args", "name"), [((math.nan, 0.0, 0.0), "a"), ((0.0, math.inf, 0.0), "b"),
                                            ((0.0, 0.0, -math.inf), "c"), (("1", 0.0, 0.0), "a"),
                                            ((0.0, None, 0.0), "b"), ((0.0, 0.0, [1.0]), "c")])
def test_the_quadratic_family_takes_three_finite_coefficients(args, name):
    """D = sigmoid(a x² + b x + c), the family that holds D* for two normals, is defined for finite real
    a, b, c; anything else is refused, naming the coefficient."""
    with pytest.raises((TypeError, ValueError), match=_named(name)):
        gt.QuadraticDiscriminator(*args)


def test_a_discriminator_is_a_function_of_each_point():
    """D is evaluated pointwise from its logit: far out a quadratic logit with a < 0 reaches -inf and D
    reaches 0 exactly (no overflow reported); a logit must return one value per point (batches of 2-D
    points included); points must be real numbers."""
    d = gt.QuadraticDiscriminator(-1.0, 0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(d(1e200)) == 0.0 and float(d.logit(1e200)) == -math.inf and float(d.log(1e200)) == -math.inf
        assert float(d.dlogit(1e308)) == -math.inf and float(d.log1m(1e200)) == 0.0
    with pytest.raises(ValueError, match="one value per point"):
        gt.LogitDiscriminator(lambda x: 0.0).logit([1.0, 2.0, 3.0])
    batch = np.zeros((2, 3, 2))  # a 2 x 3 array of points of the plane
    assert gt.LogitDiscriminator(lambda x: np.asarray(x).sum(-1)).logit(batch).shape == (2, 3)
    for method in (d.logit, d.dlogit, d.log, d):
        with pytest.raises(TypeError, match=_named("x")):
            method("0.5")


def test_dstar_outside_both_supports_is_one_half():
    """Where p_data = p_g = 0, D* = p_data / (p_data + p_g) is 0/0: any value is optimal (it meets no mass),
    and D* is taken as 1/2, silently (log p_data - log p_g is -inf - -inf there)."""
    d = gt.optimal_discriminator(gt.Uniform(0, 1), gt.Uniform(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert d(5.0) == 0.5 and d.logit(-1.0) == 0.0
        assert d(0.5) == 1.0 and d(2.5) == 0.0


@pytest.mark.parametrize(("args", "kwargs"), [(("x",), {}), ((None,), {}), ((np.tanh,), {"dlogit": 1.0})])
def test_a_logit_discriminator_takes_functions(args, kwargs):
    """D = sigmoid(logit(x)) needs the logit (and its derivative, if given) as functions."""
    with pytest.raises(TypeError, match="callables"):
        gt.LogitDiscriminator(*args, **kwargs)


def test_a_logit_may_be_any_array_of_reals():
    """D = sigmoid(ℓ) for a logit that returns booleans or a list: ℓ = 1 for x > 0, 0 elsewhere. For
    p_data = p_g = N(0, 1), V = (log σ(1) + log(1 - σ(1)))/2 + log(1/2), and with the derivative ℓ' = 1/2
    given as a list for ℓ = x/2 the minimax shift-gradient at N(t, 1) is -E[σ(x/2)]/2 (30-digit mpmath)."""
    p = gt.Normal(0, 1)
    want = 0.5 * (math.log(special.expit(1.0)) + math.log(special.expit(-1.0))) + math.log(0.5)
    for logit in (lambda x: np.asarray(x) > 0, lambda x: [float(v > 0) for v in np.ravel(x)]):
        d = gt.LogitDiscriminator(logit)
        assert gt.value_function(p, p, d) == pytest.approx(want, rel=1e-12)
        assert d.logit([-1.0, 2.0]).tolist() == [0.0, 1.0]
        assert d.log([2.0])[0] == pytest.approx(-math.log1p(math.exp(-1)))
    t = 0.7
    d = gt.LogitDiscriminator(lambda x: np.asarray(x) / 2, lambda x: [0.5] * len(np.ravel(x)))
    assert d.dlogit([1.0, 3.0]).tolist() == [0.5, 0.5]
    with mp.workdps(30):
        mean_d = mp.quad(lambda x: mp.npdf(x, t, 1) / (1 + mp.exp(-x / 2)), [-mp.inf, t, mp.inf])
    grad = gt.generator_gradient(p, gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, t)), d)
    assert grad[1] == pytest.approx(-float(mean_d) / 2, rel=1e-12)
    with pytest.raises(TypeError, match="no derivative"):
        gt.LogitDiscriminator(np.tanh).dlogit(0.5)
    assert gt.LogitDiscriminator(np.tanh, np.cosh).dlogit(0.0) == 1.0
