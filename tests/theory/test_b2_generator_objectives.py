"""B2. What the generator really minimises.

Claim (Arjovsky & Bottou 2017; docs/theory.md B2): "With D = D*, the minimax generator gradient is the
gradient of 2 JSD(p_g || p_data), and the non-saturating gradient is the gradient of
KL(p_g || p_data) - 2 JSD(p_g || p_data) (checked here by finite differences for p_data = N(0,1),
p_g = N(1.3, 1): both sides 0.85099). The reverse KL is mode-seeking: it explains mode dropping. With
disjoint supports JSD is constant (log 2) and the minimax gradient vanishes."
"""

import mpmath as mp
import numpy as np
import pytest
import reference
from hypothesis import given
from pairs import affine_generator
from scipy import optimize
from strategies import reals
from tolerances import GRADIENT_ABS

import gantheory as gt


def _richardson(f, h=1e-2):
    d1 = (f(h) - f(-h)) / (2 * h)
    d2 = (f(h / 2) - f(-h / 2)) / h
    return (4 * d2 - d1) / 3


def _divergence_gradients(p, s0, t0):
    def both(s, t):
        g = affine_generator(s, t)
        return float(gt.js_divergence(g, p)), float(gt.kl_divergence(g, p))

    def grad(fn):
        return np.array([_richardson(lambda h: fn(s0 + h, t0)), _richardson(lambda h: fn(s0, t0 + h))])

    jsd2 = grad(lambda s, t: 2 * both(s, t)[0])
    ns = grad(lambda s, t: both(s, t)[1] - 2 * both(s, t)[0])
    return jsd2, ns


def test_closed_form_value_from_theory():
    """p_data = N(0,1), p_g = N(t, 1) with t = 1.3, D = D* held fixed: d/dx log D* = -t (1 - D*), so the
    non-saturating shift-gradient -E_pg[d/dx log D*] is t E_pg[1 - D*] = t ∫ q²/(p + q) = 0.85099...
    against 30-digit mpmath, to 1e-10."""
    t = 1.3
    with mp.workdps(30):
        tt = mp.mpf(t)

        def f(x):
            p, q = mp.npdf(x), mp.npdf(x, tt)
            return q * q / (p + q)

        want = float(tt * mp.quad(f, [-mp.inf, -5, 0, tt / 2, tt, 5, mp.inf]))
    g = gt.generator_gradient(gt.Normal(0, 1), affine_generator(1.0, t), loss="non_saturating")
    assert want == pytest.approx(0.85099, abs=5e-6)  # (the value quoted in docs/theory.md)
    assert g[1] == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize(("target", "s0", "t0"), [
    (gt.Normal(0, 1), 1.0, 1.3), (gt.Laplace(0.5, 1.0), 0.7, -0.4),
    (gt.Mixture([gt.Normal(-2, 0.6), gt.Normal(2, 0.6)], [0.5, 0.5]), 1.2, 0.3), (gt.Cauchy(0, 1), 2.0, 1.0),
], ids=["normal", "laplace", "bimodal", "cauchy"])
def test_panel_gradients_are_divergence_gradients(target, s0, t0):
    """Exact gradients at D = D* equal finite differences of 2 JSD and of KL - 2 JSD (1e-8)."""
    jsd2, ns = _divergence_gradients(target, s0, t0)
    g = affine_generator(s0, t0)
    np.testing.assert_allclose(gt.generator_gradient(target, g, loss="minimax"), jsd2, atol=GRADIENT_ABS)
    np.testing.assert_allclose(gt.generator_gradient(target, g, loss="non_saturating"), ns, atol=GRADIENT_ABS)


def test_disjoint_supports_minimax_gradient_vanishes():
    """Uniform data, a generator whose support does not meet it: JSD = log 2 for every small move."""
    p = gt.Uniform(0, 1)
    g = gt.Pushforward(gt.Uniform(0, 1), gt.Affine(1.0, 3.0))
    dstar = gt.optimal_discriminator(p, g)
    assert gt.js_divergence(p, g) == pytest.approx(np.log(2), rel=1e-15)
    # on the fakes D* = 0 exactly, so E_{p_g}[-D* ℓ'] = 0: the minimax gradient has nothing to follow
    assert float(gt.generator_loss(p, g, dstar, loss="minimax")) == 0.0
    x = g.sample(100, rng=0)
    assert np.all(dstar(x) == 0.0)


def test_reverse_kl_is_mode_seeking():
    """Fitting one normal to a well-separated bimodal target: minimising KL(p_g || p_data) locks onto one
    mode (small σ, μ near a mode); minimising KL(p_data || p_g) covers both (μ near 0, σ wide)."""
    target = gt.Mixture([gt.Normal(-3, 0.5), gt.Normal(3, 0.5)], [0.5, 0.5])

    def fit(direction, start):
        def obj(th):
            g = gt.Normal(th[0], np.exp(th[1]))
            return float(gt.kl_divergence(g, target) if direction == "reverse" else gt.kl_divergence(target, g))
        return optimize.minimize(obj, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-10}).x

    mu_r, ls_r = fit("reverse", [1.0, 0.0])
    mu_f, ls_f = fit("forward", [1.0, 0.0])
    assert abs(mu_r - 3.0) < 0.05 and np.exp(ls_r) < 0.6
    assert abs(mu_f) < 0.05 and np.exp(ls_f) > 2.5


@given(t0=reals(-3, 3), s0=reals(0.5, 2.0))
def test_property_minimax_gradient_is_2jsd_gradient(t0, s0):
    p = gt.Normal(0, 1)
    jsd2, ns = _divergence_gradients(p, s0, t0)
    g = affine_generator(s0, t0)
    np.testing.assert_allclose(gt.generator_gradient(p, g, loss="minimax"), jsd2, atol=GRADIENT_ABS)
    np.testing.assert_allclose(gt.generator_gradient(p, g, loss="non_saturating"), ns, atol=GRADIENT_ABS)


@pytest.mark.parametrize(("s0", "t0", "h"), [(3.0, -2.0, 2e-3), (0.4, 0.5, 2e-3), (1e-5, 0.3, 2e-8)],
                         ids=["wide", "inside", "tiny"])
def test_danskin_holds_where_the_optimal_discriminator_jumps(s0, t0, h):
    """Uniform data: D* jumps where p_data does (at 0 and 1), inside p_g's support, and the jump moves
    with neither parameter. The gradient of 2 JSD (by Richardson differences) is still the minimax
    gradient at D* held fixed, whether p_g straddles the jumps (wide), sits across one (inside), or is
    so narrow that its own digits live in the noise (tiny: 1e-5 wide at 0.3)."""
    p = gt.Uniform(0.0, 1.0)

    def jsd2(s, t):
        return 2 * float(gt.js_divergence(affine_generator(s, t), p))

    fd = np.array([_richardson(lambda d: jsd2(s0 + d, t0), h), _richardson(lambda d: jsd2(s0, t0 + d), h)])
    got = gt.generator_gradient(p, affine_generator(s0, t0), loss="minimax")
    np.testing.assert_allclose(got, fd, atol=GRADIENT_ABS, rtol=1e-7)


def _dstar_gradient_reference(s, t, loss):
    """p_data = N(0, 1), p_g = N(t, s²) = G(N(0, 1)) with G(z) = s z + t, D = D* frozen: with ℓ = log p - log q,
    ℓ' = -x + (x - t)/s², and h' = -D* ℓ' (minimax) or -(1 - D*) ℓ' (non-saturating), the gradient is
    (E_q[h'(x) (x - t)/s], E_q[h'(x)]), by 30-digit mpmath."""
    with mp.workdps(30):
        s, t = mp.mpf(s), mp.mpf(t)
        p, q = reference.normal(0, 1), reference.normal(t, s)

        def hprime(x):
            dstar = p(x) / (p(x) + q(x))
            factor = dstar if loss == "minimax" else 1 - dstar
            return -factor * (-x + (x - t) / s**2)

        cuts = [-mp.inf, -4, t - 4 * s, 0, t, t + 4 * s, 4, mp.inf]
        cuts = sorted(set(cuts), key=lambda v: float(v))
        return np.array([float(mp.quad(lambda x: q(x) * hprime(x) * (x - t) / s, cuts)),
                         float(mp.quad(lambda x: q(x) * hprime(x), cuts))])


@pytest.mark.parametrize(("s", "t"), [(0.7, 1.2), (1.6, -0.5)])
def test_closed_form_gradients_at_the_optimal_discriminator(s, t):
    """The default generator_gradient (minimax loss, D = D*) and the non-saturating one, both parameters,
    against the 30-digit integrals of the reparametrised derivative (1e-10)."""
    p, g = gt.Normal(0, 1), affine_generator(s, t)
    np.testing.assert_allclose(gt.generator_gradient(p, g), _dstar_gradient_reference(s, t, "minimax"),
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(gt.generator_gradient(p, g, loss="non_saturating"),
                               _dstar_gradient_reference(s, t, "non_saturating"), rtol=1e-10, atol=1e-14)


def _dstar_of(p_data, p_g):
    return gt.optimal_discriminator(p_data, p_g)


@pytest.mark.parametrize(("p_data", "p_g", "d", "pattern"), [
    (gt.Normal(0, 1), gt.Pushforward(gt.Beta(2, 2), gt.Affine(2.0, -0.5)), None, "for a gradient at D = D"),
    (gt.Normal(0, 1), gt.Pushforward(gt.Mixture([gt.Normal(0, 1), gt.Uniform(0, 1)], [0.5, 0.5]), gt.Affine(1.0, 0.5)),
     None, "for a gradient at D = D"),
    (gt.Normal(0, 1), gt.Pushforward(gt.Beta(2, 2), gt.Affine(2.0, -0.5)), (gt.Uniform(0, 1), gt.Normal(0, 1)),
     "where D\\* jumps inside it"),
    (gt.Normal(0, 1), gt.Pushforward(gt.Uniform(0, 1), gt.Affine(1.0, 0.0)), (gt.Uniform(-3, 1), gt.Normal(0, 1)),
     "where D\\* jumps inside it"),
    (gt.Normal(0, 1), gt.Pushforward(gt.Uniform(0, 1), gt.Affine(1.0, 1.0)), (gt.Uniform(1, 3), gt.Normal(0, 1)),
     "where D\\* jumps inside it"),
], ids=["own D*, bounded p_g", "own D*, base with a jump", "D* jumps inside a bounded p_g",
        "D* jumps at p_g's upper end", "D* jumps at p_g's lower end"])
def test_no_gradient_where_the_frozen_discriminator_jumps_with_the_generator(p_data, p_g, d, pattern):
    """The loss at a frozen D has no derivative in (scale, shift) where mass of p_g meets a jump of D that
    does not move with it, or a jump that moves with it (D* of p_g itself when p_g has a support end or a
    jump): the one-sided derivatives differ there. The gradient is refused, not given."""
    d = _dstar_of(*d) if d is not None else None
    with pytest.raises(ValueError, match=pattern):
        gt.generator_gradient(p_data, p_g, d)
    smooth = gt.QuadraticDiscriminator(-0.1, 0.5, 0.2)  # a smooth D has a gradient at any generator
    assert np.all(np.isfinite(gt.generator_gradient(p_data, p_g, smooth)))


@pytest.mark.parametrize(("s", "t"), [(1e-9, 0.3), (1e-7, 0.6), (1e-12, 0.5)])
def test_closed_form_gradient_of_a_tiny_generator_inside_uniform_data(s, t):
    """Uniform data on [0, 1], p_g = N(t, s²) far inside it, D* frozen (it jumps at 0 and 1, where p_g has
    no mass). With q = φ(z)/s: the minimax loss has dL/dscale = -∫ z² φ/(s + φ) dz and the non-saturating
    one -(1/s) ∫ z² φ²/(s + φ) dz; by symmetry dL/dshift = 0. At s = 1e-12 the points x = t + s z keep only
    a few digits of z: the gradient is integrated over the noise. Against 30-digit mpmath, to 1e-12."""
    with mp.workdps(30):
        phi, ss, cuts = mp.npdf, mp.mpf(s), [-mp.inf, -8, -6, -3, 0, 3, 6, 8, mp.inf]
        minimax = float(-mp.quad(lambda z: phi(z) * z**2 / (ss + phi(z)), cuts))
        non_saturating = float(-mp.quad(lambda z: z**2 * phi(z) ** 2 / (ss + phi(z)), cuts) / ss)
    p, g = gt.Uniform(0.0, 1.0), affine_generator(s, t)
    for loss, want in (("minimax", minimax), ("non_saturating", non_saturating)):
        got = gt.generator_gradient(p, g, loss=loss)
        assert got[0] == pytest.approx(want, rel=1e-12) and abs(got[1]) <= 1e-12 * abs(want)


def test_closed_form_gradient_of_a_uniform_generator_at_a_smooth_frozen_discriminator():
    """G(u) = s u + t on uniform noise against a frozen D = D* of another pair (N(0, 1) against N(1, 2):
    smooth, a quadratic logit ℓ). The loss L = ∫_0^1 h(s u + t) du with h = log(1 - D) (minimax) or
    -log D (non-saturating) has dL/dt = (h(s + t) - h(t)) / s and dL/ds = ∫_0^1 h'(s u + t) u du, against
    30-digit mpmath to 1e-12. (p_g has support ends that move with (s, t), where its density jumps: the
    score-function form would need boundary terms there; the reparametrised one does not.)"""
    s, t = 1.5, -0.3
    d = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(1, 2))
    g = gt.Pushforward(gt.Uniform(0, 1), gt.Affine(s, t))
    with mp.workdps(30):
        def logit(x):
            return mp.log(reference.normal(0, 1)(x)) - mp.log(reference.normal(1, 2)(x))

        for loss, sign in (("minimax", 1), ("non_saturating", -1)):
            def h(x, sign=sign):  # log(1 - D) = -softplus(ℓ), -log D = softplus(-ℓ)
                return -sign * mp.log1p(mp.exp(sign * logit(x)))

            want = [float(mp.quad(lambda u, h=h: mp.diff(h, s * u + t) * u, [0, 1])), float((h(s + t) - h(t)) / s)]
            np.testing.assert_allclose(gt.generator_gradient(gt.Normal(0, 1), g, d, loss=loss), want, rtol=1e-12)


@pytest.mark.parametrize(("s", "t"), [(1e-9, 7e-10), (1e-6, 1.0 - 1.3e-6), (1e-12, -2.2e-12)])
def test_closed_form_gradient_of_a_tiny_generator_across_a_jump(s, t):
    """Uniform data, p_g = N(t, s²) centred on a jump of D* (at 0 or 1), D* frozen: with z = (x - t)/s and
    h = log(φ/(s + φ)) on the data's side (0 beyond the jump, where D* = 0), the minimax loss has
    dL/dshift = (1/s) ∫ φ z h dz and dL/dscale = (1/s) ∫ φ (z² - 1) h dz over the data's side: the mass
    crossing the jump, found by the score-function form over the noise. Against 30-digit mpmath (1e-12)."""
    with mp.workdps(30):
        ss, tt = mp.mpf(s), mp.mpf(t)
        lo, hi = max(-tt / ss, -40), min((1 - tt) / ss, 40)
        cuts = sorted({lo, hi, *[v for v in (-8, -3, 0, 3, 8) if lo < v < hi]})

        def h(z):
            return mp.log(mp.npdf(z) / (ss + mp.npdf(z)))

        want = [float(mp.quad(lambda z: mp.npdf(z) * (z * z - 1) * h(z), cuts) / ss),
                float(mp.quad(lambda z: mp.npdf(z) * z * h(z), cuts) / ss)]
    np.testing.assert_allclose(gt.generator_gradient(gt.Uniform(0.0, 1.0), affine_generator(s, t)), want, rtol=1e-12)
