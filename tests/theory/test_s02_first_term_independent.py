"""S2. The first term does not depend on G.

Claim (Goodfellow et al. 2014, Sec. 3; docs/theory.md S2): "The generator's objective reduces to minimising
E_z[log(1 - D(G(z)))]; its gradient with respect to any generator parameter sees only the second term."
"""

import math

import mpmath as mp
import numpy as np
import pytest
import reference
from hypothesis import given
from pairs import affine_generator
from strategies import densities, reals
from tolerances import EPS, GRADIENT_ABS, IDENTITY_ABS, small_error

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


def _loss_reference(t, integrand):
    """∫ q(x) integrand(p(x), q(x)) dx for p = N(0, 1), q = N(t, 1), by 30-digit mpmath."""
    with mp.workdps(30):
        p, q = reference.normal(0, 1), reference.normal(t, 1)
        return float(mp.quad(lambda x: q(x) * integrand(p(x), q(x)), [-mp.inf, -3, 0, t / 2, t, t + 3, mp.inf]))


@pytest.mark.parametrize("t", [0.4, 2.5])
def test_closed_form_generator_losses_at_the_optimal_discriminator(t):
    """With D = D* (the default) the generator's losses are E_{p_g}[log(1 - D*)] = ∫ q log(q / (p + q))
    (minimax, the default loss) and -E_{p_g}[log D*] = -∫ q log(p / (p + q)) (non-saturating), each equal
    to the 30-digit integral to 1e-12 and within its own small error bar; both sides of S2's split
    V(G, D*) = E_{p_data}[log D*] + E_{p_g}[log(1 - D*)] hold at once."""
    p, g = gt.Normal(0, 1), affine_generator(1.0, t)
    want = {"minimax": _loss_reference(t, lambda a, b: mp.log(b / (a + b))),
            "non_saturating": _loss_reference(t, lambda a, b: -mp.log(a / (a + b)))}
    got = {"minimax": gt.generator_loss(p, g), "non_saturating": gt.generator_loss(p, g, loss="non_saturating")}
    for loss, est in got.items():
        assert est.converged and abs(float(est) - want[loss]) <= small_error(est) + 4 * EPS * abs(want[loss])
        assert float(est) == pytest.approx(want[loss], rel=1e-12)
    first = _first_term(p, gt.optimal_discriminator(p, g))
    assert first + float(got["minimax"]) == pytest.approx(float(gt.virtual_criterion(p, g)), abs=IDENTITY_ABS)


def test_closed_form_generator_loss_at_a_fixed_discriminator():
    """At a fixed D = sigmoid(a x² + b x + c) the two losses against the 30-digit integrals (1e-12)."""
    p, g = gt.Normal(0, 1), affine_generator(1.0, 1.5)
    d = gt.QuadraticDiscriminator(-0.2, -1.0, 0.5)

    def logit(x):
        return (-0.2 * x - 1.0) * x + 0.5

    with mp.workdps(30):
        q = reference.normal(1.5, 1)
        mm = float(mp.quad(lambda x: -q(x) * mp.log1p(mp.exp(logit(x))), [-mp.inf, 0, 1.5, mp.inf]))
        ns = float(mp.quad(lambda x: q(x) * mp.log1p(mp.exp(-logit(x))), [-mp.inf, 0, 1.5, mp.inf]))
    for loss, want in (("minimax", mm), ("non_saturating", ns)):
        est = gt.generator_loss(p, g, d, loss=loss)
        assert est.converged and abs(float(est) - want) <= small_error(est) + 4 * EPS * abs(want)
        assert float(est) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("case", ["bimodal data, non-saturating", "Cauchy data, minimax"])
def test_generator_losses_on_harder_integrands(case):
    """Losses whose integrands the first pass of the quadrature does not resolve to 1e-12 (a bimodal target
    against a wide generator; Cauchy data against a Student-t(3) generator, both heavy-tailed): against
    30-digit mpmath, to 1e-12, within small error bars."""
    if case.startswith("bimodal"):
        p = gt.Mixture([gt.Normal(-2, 0.3), gt.Normal(2, 0.5)], [0.4, 0.6])
        g, loss = gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.5, 0.2)), "non_saturating"
        ref_p = reference.mixture([(0.4, reference.normal(-2, 0.3)), (0.6, reference.normal(2, 0.5))])
        # (the data's log falls like -x²/0.18 beyond its modes: cuts every half unit keep mpmath's nodes there)
        ref_q = reference.normal(0.2, 1.5)
        cuts = [-mp.inf, -12, -8, -6, *np.arange(-4, 4.5, 0.5).tolist(), 6, 8, 12, mp.inf]
    else:
        p, g, loss = gt.Cauchy(0, 1), gt.Pushforward(gt.StudentT(3.0), gt.Affine(1.0, 1.0)), "minimax"
        ref_p, ref_q, cuts = reference.cauchy(0, 1), reference.student_t(3, 1), [-mp.inf, -10, 0, 1, 10, mp.inf]
    with mp.workdps(30):
        h = (lambda a, b: -mp.log(a / (a + b))) if loss == "non_saturating" else (lambda a, b: mp.log(b / (a + b)))
        want = float(mp.quad(lambda x: ref_q(x) * h(ref_p(x), ref_q(x)), cuts))
    est = gt.generator_loss(p, g, loss=loss)
    assert est.converged and abs(float(est) - want) <= small_error(est) + 4 * EPS * abs(want)
    assert float(est) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_generator_loss_at_a_rounded_jump_of_mixture_data(loss):
    """Data a mixture with a uniform part on [a, e], e = a + 1/3 (as the map rounds the float 1/3: not
    a float itself), and a generator a few float spacings wide on e's float: D* jumps at e, between two
    floats, with about a tenth of the generator's mass between them. The loss is within its bar of
    30-digit mpmath (in units of the generator's scale from e's float), and says the bar is wide."""
    from fractions import Fraction

    a, third = 1e6, 1 / 3
    box = gt.Pushforward(gt.Uniform(0.0, 1.0), gt.Affine(third, a))
    data = gt.Mixture([box, gt.Normal(a, 1.0)], [0.5, 0.5])
    xe = a + third  # (e's float)
    s = 4 * math.ulp(xe)
    g = gt.Pushforward(gt.Normal(0.0, 1.0), gt.Affine(s, xe))
    with mp.workdps(30):
        jump = mp.mpf((Fraction(a) + Fraction(third) - Fraction(xe)) / Fraction(s))  # e, in those units
        p = lambda y: 3 * (y <= jump) / 2 + mp.npdf(mp.mpf(xe - a) + s * y) / 2  # noqa: E731
        q = lambda y: mp.npdf(y) / s  # noqa: E731
        h = (lambda y: -mp.log(p(y) / (p(y) + q(y)))) if loss == "non_saturating" else (
            lambda y: mp.log(q(y) / (p(y) + q(y))))
        want = float(mp.quad(lambda y: mp.npdf(y) * h(y), [-mp.inf, -8, -1, jump, 1, 8, mp.inf]))
    with pytest.warns(gt.AccuracyWarning, match="generator_loss: D\\* jumps"):
        est = gt.generator_loss(data, g, loss=loss)
    assert not est.converged and abs(float(est) - want) <= est.error
