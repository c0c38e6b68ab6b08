"""The GAN objective: V(G, D), D*, C(G), generator losses and their exact gradients."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import reference
from pairs import REFERENCE, affine_generator
from tolerances import GRADIENT_ABS, IDENTITY_ABS, REFERENCE_REL, XZ_ABS

import gantheory as gt

VALUES = reference.load()
LOG4 = math.log(4)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_value_at_optimal_discriminator_is_virtual_criterion(name):
    """V(G, D*) computed as ∫ p log D* + q log(1 - D*) equals C(G) = -log 4 + 2 JSD (S7-S10)."""
    p, q = REFERENCE[name]
    v = gt.value_function(p, q, gt.optimal_discriminator(p, q))
    c = gt.virtual_criterion(p, q)
    assert v == pytest.approx(float(c), abs=IDENTITY_ABS)
    assert c == pytest.approx(-LOG4 + 2 * VALUES[name]["jsd"], rel=REFERENCE_REL)


@pytest.mark.parametrize("name", ["normal_shift", "pushforward_sinh_arcsinh", "beta_0.5_vs_2"])
def test_x_space_and_z_space_value_agree(name):
    """S4: ∫ p_z(z) log(1 - D(G(z))) dz equals ∫ p_g(x) log(1 - D(x)) dx."""
    p, q = REFERENCE[name]
    g = q if isinstance(q, gt.Pushforward) else gt.Pushforward(q, gt.Affine(1.0, 0.0))
    for d in (gt.optimal_discriminator(p, g), gt.QuadraticDiscriminator(-0.1, 0.3, 0.2)):
        vx = gt.value_function(p, g, d)
        vz = gt.value_function(p, g, d, space="z")
        assert vx == pytest.approx(float(vz), abs=XZ_ABS)


def test_z_space_with_affine_generator_of_normal():
    p = gt.Laplace(0.5, 1.0)
    g = affine_generator(1.7, -0.4)
    d = gt.LogitDiscriminator(lambda x: np.sin(x) - 0.2 * x)
    assert gt.value_function(p, g, d) == pytest.approx(float(gt.value_function(p, g, d, space="z")), abs=XZ_ABS)


def test_optimal_discriminator_values():
    p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    d = gt.optimal_discriminator(p, q)
    x = np.array([-3.0, 0.0, 0.5, 2.0])
    ref = p.pdf(x) / (p.pdf(x) + q.pdf(x))
    np.testing.assert_allclose(d(x), ref, rtol=1e-14)
    assert d(0.5) == pytest.approx(0.5, abs=1e-16)
    # log D* and log(1 - D*) stay exact where D* rounds to 0 or 1
    assert d.log1m(-60.0) == pytest.approx(-60.5, rel=1e-12)  # log q - log p = x - 1/2 ... sign
    u = gt.optimal_discriminator(gt.Uniform(0, 1), gt.Uniform(2, 3))
    assert u(0.5) == 1.0 and u(2.5) == 0.0 and u(10.0) == 0.5


def test_a_two_dimensional_optimal_discriminator_takes_one_point():
    """D* of two bivariate normals at one point [x, y] is a number (as pdf is), and the same as at that
    point among others: p(x) / (p(x) + q(x)) from the closed-form densities."""
    p = gt.MultivariateNormal([0.0, 0.0], np.eye(2))
    q = gt.MultivariateNormal([1.0, 0.0], 2.0 * np.eye(2))
    d = gt.optimal_discriminator(p, q)

    def dens(x, y, mx, v):
        return math.exp(-((x - mx) ** 2 + y * y) / (2 * v)) / (2 * math.pi * v)

    for pt in ([0.0, 0.0], [1.5, -0.5]):
        want = dens(*pt, 0.0, 1.0) / (dens(*pt, 0.0, 1.0) + dens(*pt, 1.0, 2.0))
        assert np.ndim(d(pt)) == 0 and float(d(pt)) == pytest.approx(want, rel=1e-14)
        assert float(d.log(pt)) == pytest.approx(math.log(want), rel=1e-14)
        assert d([pt, [3.0, 3.0]])[0] == pytest.approx(want, rel=1e-14)


def test_discriminators_show_what_they_are():
    """A discriminator's repr names its class and parameters (the densities of D*)."""
    assert repr(gt.QuadraticDiscriminator(1, -2.5, 0)) == "QuadraticDiscriminator(a=1.0, b=-2.5, c=0.0)"
    assert repr(gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(1, 2))) == (
        "OptimalDiscriminator(p_data=Normal(loc=0.0, scale=1.0), p_g=Normal(loc=1.0, scale=2.0))")
    assert repr(gt.LogitDiscriminator(abs)) == "LogitDiscriminator(<built-in function abs>)"


def test_plain_callable_discriminator_matches_discriminator_object():
    p, q = gt.Normal(0, 1), gt.Normal(0.3, 1.2)
    logit = gt.LogitDiscriminator(lambda x: 0.2 - 0.3 * x)
    plain = lambda x: 1 / (1 + np.exp(-(0.2 - 0.3 * x)))  # noqa: E731
    assert gt.value_function(p, q, plain) == pytest.approx(float(gt.value_function(p, q, logit)), rel=1e-12)


def test_constant_half_discriminator_gives_minus_log_4():
    p, q = gt.Cauchy(0, 1), gt.Laplace(3, 0.1)
    assert gt.value_function(p, q, lambda x: np.full(np.shape(x), 0.5)) == pytest.approx(-LOG4, rel=1e-14)


def test_other_discriminators_do_worse():
    """S6: V(G, D) < V(G, D*) for D differing from D* on positive mass."""
    p, q = gt.Normal(0, 1), gt.Normal(1.5, 0.7)
    c = gt.virtual_criterion(p, q)
    for d in (gt.QuadraticDiscriminator(0.1, -0.5, 0.3), gt.LogitDiscriminator(lambda x: -x),
              lambda x: np.full(np.shape(x), 0.6)):
        assert gt.value_function(p, q, d) < c - 1e-6


def test_misclassified_mass_sends_value_to_minus_infinity():
    """S1: D = 0 on real mass (or D = 1 on fake mass) makes V = -inf."""
    p, q = gt.Uniform(0, 1), gt.Uniform(0.5, 2)
    d = lambda x: np.where(np.asarray(x) < 0.5, 0.0, 0.5)  # noqa: E731
    assert gt.value_function(p, q, d) == -math.inf


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_generator_gradient_matches_finite_differences_at_fixed_discriminator(loss):
    """d/dθ E_{p_gθ}[h(D(x))] with D fixed, against Richardson-extrapolated central differences."""
    p = gt.Normal(0, 1)
    s0, t0 = 1.2, 0.8
    d = gt.optimal_discriminator(p, affine_generator(s0, t0))

    def loss_at(s, t):
        return float(gt.generator_loss(p, affine_generator(s, t), d, loss=loss))

    grad = gt.generator_gradient(p, affine_generator(s0, t0), d, loss=loss)
    fd = [_richardson(lambda h: loss_at(s0 + h, t0), 1e-2), _richardson(lambda h: loss_at(s0, t0 + h), 1e-2)]
    np.testing.assert_allclose(grad, fd, atol=GRADIENT_ABS)


def _richardson(f, h):
    """Central difference with one Richardson step: error O(h^4)."""
    d1 = (f(h) - f(-h)) / (2 * h)
    d2 = (f(h / 2) - f(-h / 2)) / h
    return (4 * d2 - d1) / 3


def test_b2_gradients_are_divergence_gradients():
    """With D = D*: minimax gradient = ∇ 2 JSD(p_g || p_data); non-saturating = ∇[KL - 2 JSD]."""
    p = gt.Normal(0, 1)
    s0, t0 = 1.0, 1.3

    def div(s, t):
        g = affine_generator(s, t)
        return float(gt.js_divergence(g, p)), float(gt.kl_divergence(g, p))

    def jsd2(s, t):
        return 2 * div(s, t)[0]

    def ns(s, t):
        j, k = div(s, t)
        return k - 2 * j

    gm = gt.generator_gradient(p, affine_generator(s0, t0), loss="minimax")
    gn = gt.generator_gradient(p, affine_generator(s0, t0), loss="non_saturating")
    fm = [_richardson(lambda h: jsd2(s0 + h, t0), 1e-2), _richardson(lambda h: jsd2(s0, t0 + h), 1e-2)]
    fn = [_richardson(lambda h: ns(s0 + h, t0), 1e-2), _richardson(lambda h: ns(s0, t0 + h), 1e-2)]
    np.testing.assert_allclose(gm, fm, atol=GRADIENT_ABS)
    np.testing.assert_allclose(gn, fn, atol=GRADIENT_ABS)
    assert gn[1] == pytest.approx(0.85099, abs=5e-6)  # docs/theory.md B2, N(0,1) vs N(1.3, 1)


def test_minimax_gradient_saturates_non_saturating_does_not():
    """S3: for p_g = N(t, 1) against N(0, 1), ℓ' = -t, so the shift-gradients are t E[D*] (minimax)
    and t (1 - E[D*]) (non-saturating): as the fakes are rejected (E_{p_g}[D*] -> 0) the first
    vanishes and the second tends to t. E[D*] comes from mpmath at 30 digits."""

    p = gt.Normal(0, 1)
    ratios = []
    for shift in (2.0, 6.0, 12.0):
        pz, pg = reference.normal(0, 1), reference.normal(shift, 1)
        def integrand(x, pz=pz, pg=pg):
            return pg(x) * pz(x) / (pz(x) + pg(x))

        ed = float(mp.quad(integrand, [-mp.inf, 0, shift / 2, shift, mp.inf]))
        g = affine_generator(1.0, shift)
        m = gt.generator_gradient(p, g, loss="minimax")[1]
        n = gt.generator_gradient(p, g, loss="non_saturating")[1]
        assert m == pytest.approx(shift * ed, rel=1e-9)
        assert n == pytest.approx(shift * (1 - ed), rel=1e-12)
        ratios.append(m / n)
    assert ratios[0] > ratios[1] > ratios[2] and ratios[2] < 1e-8  # shift 12: E[D*] ~ 1.5e-9


def test_pointwise_lemma():
    """S5: y -> a log y + b log(1 - y) peaks at a/(a+b)."""
    a, b = 0.3, 1.7
    y = gt.pointwise_argmax(a, b)
    assert y == pytest.approx(0.15, rel=1e-15)
    grid = np.linspace(1e-6, 1 - 1e-6, 10001)
    assert gt.pointwise_objective(y, a, b) >= np.max(gt.pointwise_objective(grid, a, b))
    assert gt.pointwise_argmax(0.0, 2.0) == 0.0 and gt.pointwise_objective(0.0, 0.0, 2.0) == 0.0
    with pytest.raises(ValueError, match="both be zero"):
        gt.pointwise_argmax(0.0, 0.0)


JUMPY_DATA = {
    "uniform": gt.Uniform(0, 1),
    "arcsine": gt.Beta(0.5, 0.5),
    "beta_1_e-1": gt.Beta(1.0, math.exp(-1.0)),
    "normal_plus_uniform": gt.Mixture([gt.Normal(0, 1), gt.Uniform(0, 1)], [0.5, 0.5]),
    # density 0 at the end, but rising as x^1e-4: a jump below the smallest float (the reparametrised
    # integrand gave [-0.11, 1.18] for [0.82, 0.44])
    "beta_1.0001_2": gt.Beta(1.0001, 2.0),
    "normal_plus_beta_1.01_2": gt.Mixture([gt.Normal(0, 1), gt.Beta(1.01, 2.0)], [0.5, 0.5]),
}


@pytest.mark.parametrize(("s0", "t0"), [(0.4, 0.5), (3.0, -2.0)], ids=["narrow", "wide"])
@pytest.mark.parametrize("name", sorted(JUMPY_DATA))
def test_generator_gradient_where_dstar_jumps(name, s0, t0):
    """Where D* jumps inside p_g's support (data with a support end or a jump), the reparametrised integrand
    misses the mass crossing the jump: for uniform data it even has the wrong sign (-0.50 for +0.82), for
    arcsine data it diverges. The gradient must still be that of 2 JSD (Danskin) and of the loss at frozen D*,
    here against Richardson differences with h = 2e-3 (truncation below 1e-9), for a p_g of scale 0.4 over
    the data and one of scale 3 beside it. (A p_g so narrow that it is integrated over the noise:
    tests/theory/test_b2_generator_objectives.py.)"""
    p = JUMPY_DATA[name]
    grad = gt.generator_gradient(p, affine_generator(s0, t0), loss="minimax")
    d = gt.optimal_discriminator(p, affine_generator(s0, t0))

    def jsd2(s, t):
        return 2 * float(gt.js_divergence(affine_generator(s, t), p))

    def frozen(s, t):
        return float(gt.generator_loss(p, affine_generator(s, t), d, loss="minimax"))

    for f in (jsd2, frozen):
        fd = [_richardson(lambda h, f=f: f(s0 + h, t0), 2e-3), _richardson(lambda h, f=f: f(s0, t0 + h), 2e-3)]
        np.testing.assert_allclose(grad, fd, atol=GRADIENT_ABS)
    if name == "normal_plus_uniform":  # full support: the non-saturating loss is finite, its gradient too
        ns = gt.generator_gradient(p, affine_generator(s0, t0), loss="non_saturating")

        def ns_loss(s, t):
            g = affine_generator(s, t)
            return float(gt.kl_divergence(g, p)) - 2 * float(gt.js_divergence(g, p))
        fd = [_richardson(lambda h: ns_loss(s0 + h, t0), 2e-3), _richardson(lambda h: ns_loss(s0, t0 + h), 2e-3)]
        np.testing.assert_allclose(ns, fd, atol=GRADIENT_ABS)


def test_generator_gradient_refuses_where_there_is_none():
    """No gradient exists, and the call says so: D* jumps at a bounded p_g's moving end or at a jump of its
    base; the non-saturating loss is +inf when p_g has mass where p_data has none (uniform data, or beta
    data whose density vanishes at its ends); the minimax loss is -inf at D* of another, bounded p_g."""
    with pytest.raises(ValueError, match="p_g must have an unbounded support"):
        gt.generator_gradient(gt.Normal(0, 1), affine_generator(1.0, 0.0, base=gt.Uniform(0, 1)))
    with pytest.raises(ValueError, match="base density without jumps"):
        base = gt.Mixture([gt.Normal(0, 1), gt.Uniform(0, 1)], [0.5, 0.5])
        gt.generator_gradient(gt.Normal(0.3, 1.2), affine_generator(1.0, 0.0, base=base))
    for data in (gt.Uniform(0, 1), gt.Beta(2, 2)):
        with pytest.raises(ValueError, match="non_saturating loss is inf"):
            gt.generator_gradient(data, affine_generator(0.4, 0.5), loss="non_saturating")
        assert float(gt.generator_loss(data, affine_generator(0.4, 0.5), loss="non_saturating")) == math.inf
    with pytest.raises(ValueError, match="where D\\* jumps inside it"):  # another pair's D* jumps at 0.5
        d_jump = gt.optimal_discriminator(gt.Uniform(0.5, 2), gt.Normal(0, 1))
        gt.generator_gradient(gt.Normal(0, 1), affine_generator(0.8, 0.3, base=gt.Uniform(0, 1)), d_jump)
    for bounded in (gt.Uniform(0, 1), gt.Beta(2, 2)):
        d_other = gt.optimal_discriminator(gt.Normal(0, 1), bounded)
        with pytest.raises(ValueError, match="minimax loss is -inf"):
            gt.generator_gradient(gt.Normal(0, 1), affine_generator(1.0, 0.5), d_other)


def test_generator_gradient_of_bounded_generators_at_a_smooth_discriminator():
    """A smooth d (a logit, or D* of another smooth pair) gives bounded generators a gradient: against
    Richardson differences of the loss at that fixed d."""
    bounded = affine_generator(0.8, 0.3, base=gt.Uniform(0, 1))
    far_jumps = gt.Mixture([gt.Normal(0, 1), gt.Uniform(5, 6)], [0.5, 0.5])  # D* jumps at 5 and 6 only
    for d in (gt.QuadraticDiscriminator(-0.7, 0.4, 0.2), gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(1, 2)),
              gt.optimal_discriminator(far_jumps, gt.Normal(0, 2))):
        grad = gt.generator_gradient(gt.Normal(0, 1), bounded, d)

        def loss_at(s, t, d=d):
            return float(gt.generator_loss(gt.Normal(0, 1), affine_generator(s, t, base=gt.Uniform(0, 1)), d))
        fd = [_richardson(lambda h: loss_at(0.8 + h, 0.3), 1e-2), _richardson(lambda h: loss_at(0.8, 0.3 + h), 1e-2)]
        np.testing.assert_allclose(grad, fd, atol=GRADIENT_ABS)


@pytest.mark.parametrize(("scale", "shift"), [(1e-3, 0.5), (1e-8, 0.5), (1e-12, 0.5), (1e-17, 0.5), (1e-100, 0.0)])
def test_score_function_gradient_at_tiny_scales(scale, shift):
    """Uniform data centred at the shift, G(z) = scale z + shift. Integrating by parts twice, the
    scale-gradient of the minimax loss at D* is -∫ log(1 + φ(u)/scale) du (mpmath, 30 digits), and the
    shift-gradient is 0 by symmetry. x = scale z + 1/2 cannot hold z's digits below scale = 1e-16: the
    noise must."""
    mp.mp.dps = 30
    s = mp.mpf(scale)
    um = mp.sqrt(-2 * mp.log(s * mp.sqrt(2 * mp.pi)))
    ref = -mp.quad(lambda u: mp.log(1 + mp.npdf(u) / s), [-um - 12, -um, 0, um, um + 12])
    grad = gt.generator_gradient(gt.Uniform(shift - 0.5, shift + 0.5), affine_generator(scale, shift))
    assert grad[0] == pytest.approx(float(ref), rel=1e-10)
    assert abs(grad[1]) < 1e-12


def test_score_function_gradient_at_huge_scales():
    """Scale 1.6e10 puts Beta(1, e^-1) data (infinite at x = 1) 6e-11 wide at z = -32 in the noise,
    about 9000 floats wide: integrated over x instead, the gradient is finite (the noise carries ~1e-243
    mass there), with no NaN from the singular end."""
    grad = gt.generator_gradient(gt.Beta(1.0, math.exp(-1.0)), affine_generator(16329017597.0, 528602451928.0))
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) < 1e-200)


def test_dlogit_is_checked():
    d = gt.LogitDiscriminator(lambda x: 0.3 * x, lambda x: np.ones(3))
    with pytest.raises(ValueError, match="dlogit"):
        gt.generator_gradient(gt.Normal(0, 1), affine_generator(1.0, 0.5), d)
    d = gt.LogitDiscriminator(lambda x: 0.3 * x, lambda x: np.full_like(x, np.inf))
    with pytest.raises(ValueError, match="dlogit"):
        gt.generator_gradient(gt.Normal(0, 1), affine_generator(1.0, 0.5), d)


def test_dlogit_gives_floats_whatever_the_callable_returns():
    """A user's derivative returning integers or a list still gives float slopes (ℓ(x) = 2x + 1: ℓ' = 2)."""
    d = gt.LogitDiscriminator(lambda x: 2 * np.asarray(x) + 1, lambda x: [2] * len(x))
    slope = d.dlogit([0.5, 1.5])
    assert slope.dtype == np.float64 and slope.tolist() == [2.0, 2.0]


def test_z_space_value_carries_both_error_bars():
    """V in z-space is the sum of two expectations, and its error bar the sum of theirs: positive, small,
    and covering the 30-digit mpmath value. D = sigmoid(x); p_data = N(0, 1); p_g = 2 N(0, 1) + 1."""
    d = gt.LogitDiscriminator(lambda x: np.asarray(x))
    g = gt.Pushforward(gt.Normal(0.0, 1.0), gt.Affine(2.0, 1.0))
    got = gt.value_function(gt.Normal(0.0, 1.0), g, d, space="z")
    with mp.workdps(30):
        real = mp.quad(lambda z: mp.npdf(z) * -mp.log1p(mp.exp(-z)), [-mp.inf, 0, mp.inf])
        fake = mp.quad(lambda z: mp.npdf(z) * -mp.log1p(mp.exp(2 * z + 1)), [-mp.inf, -0.5, mp.inf])
        want = float(real + fake)
    assert 0.0 < got.error <= 1e-12 * abs(want)
    assert abs(float(got) - want) <= got.error
    x = gt.value_function(gt.Normal(0.0, 1.0), g, d)
    assert abs(float(x) - want) <= x.error <= 1e-12 * abs(want)


def test_dlogit_is_the_derivative_of_the_logit():
    """For two normals the optimal logit is log N(x; 0, 1) - log N(x; 1, 2), of derivative
    -x + (x - 1) / 4; a quadratic logit a x² + b x + c has derivative 2 a x + b; one point gives a scalar."""
    x = np.array([-1.0, 0.5, 3.0])
    d = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(1, 2))
    np.testing.assert_allclose(d.dlogit(x), -x + (x - 1.0) / 4.0, rtol=1e-15)
    assert d.dlogit(0.5) == pytest.approx(-0.5 - 0.125, rel=1e-15) and np.ndim(d.dlogit(0.5)) == 0
    q = gt.QuadraticDiscriminator(0.5, -2.0, 1.0)
    np.testing.assert_allclose(q.dlogit(x), x - 2.0, rtol=1e-15)
    h = 1e-6  # and against a central difference of the logit itself
    np.testing.assert_allclose(d.dlogit(x), (d.logit(x + h) - d.logit(x - h)) / (2 * h), rtol=1e-8)


def test_quadratic_logit_keeps_its_relative_accuracy_near_the_vertex():
    """ℓ = a x² + b x + c and ℓ' = 2 a x + b against 40-digit mpmath, where they nearly cancel: the vertex
    value c - b²/4a a millionth of c, x within a few units of the vertex (plain Horner loses |c|/|ℓ| ulps,
    enough to move log D by 1e-11 there). Within 2 ulps of the true value, for random a, b, c, x."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        a = float(rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-3, 3))
        v, k = float(rng.uniform(-1e4, 1e4)), float(rng.uniform(-2.0, 2.0))
        b, c = -2.0 * a * v, a * v * v + k
        d = gt.QuadraticDiscriminator(a, b, c)
        x = v + rng.uniform(-5.0, 5.0, 8) / math.sqrt(abs(a))
        got, dgot = d.logit(x), d.dlogit(x)
        with mp.workdps(40):
            for xi, g, dg in zip(x, got, dgot):
                X = mp.mpf(xi)
                want = float((mp.mpf(a) * X + mp.mpf(b)) * X + mp.mpf(c))
                dwant = float(2 * mp.mpf(a) * X + mp.mpf(b))
                assert abs(g - want) <= 2 * np.spacing(abs(want)), (a, b, c, xi)
                assert abs(dg - dwant) <= 2 * np.spacing(abs(dwant)), (a, b, xi)
    # and at the ends of the float range: coefficients too large to split exactly, a logit that overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = gt.QuadraticDiscriminator(1e300, -1e300, 1.0)
        assert big.logit(np.array([1.0, 2.0])).tolist() == [1.0, 2e300] and big.dlogit(0.5) == 0.0
        steep = gt.QuadraticDiscriminator(-1.0, 3.0, 0.0)
        assert steep.logit(np.array([1e200, -1e200, -np.inf])).tolist() == [-np.inf] * 3
        assert steep.dlogit(np.array([1e308, -1e308])).tolist() == [-np.inf, np.inf]


def test_generator_gradient_carries_its_error_and_status():
    """The gradient is an EstimateArray: each component right to its own error bar against a 30-digit
    mpmath integral (D = sigmoid(0.1 x² - 0.3 x + 0.2) fixed, G(z) = 2 z + 1 on Student-t(5) noise,
    minimax: dL/dθ = E_z[-D ℓ'(G(z)) ∂G/∂θ]); a round budget too small says so, with a warning, and its
    bars still cover the truth; indexing and arithmetic give plain numbers."""
    a, b, c, s, m = 0.1, -0.3, 0.2, 2.0, 1.0
    d, g = gt.QuadraticDiscriminator(a, b, c), gt.Pushforward(gt.StudentT(5.0, 0.0, 1.0), gt.Affine(s, m))
    with mp.workdps(30):
        norm = mp.gamma(3) / (mp.sqrt(5 * mp.pi) * mp.gamma(mp.mpf(5) / 2))

        def mean(h):
            def f(z):
                x = s * z + m
                ell, slope = (mp.mpf(a) * x + b) * x + c, 2 * mp.mpf(a) * x + b
                return norm * (1 + z * z / 5) ** -3 * (-1 / (1 + mp.exp(-ell))) * slope * h(z)
            return float(mp.quad(f, [-mp.inf, -10, -1, 0, 1, 10, mp.inf]))
        want = np.array([mean(lambda z: z), mean(lambda z: 1)])
    got = gt.generator_gradient(gt.Normal(0, 1), g, d)
    assert isinstance(got, gt.EstimateArray) and got.converged and got.method == "quad" and got.neval > 0
    assert np.all(np.abs(got - want) <= got.error) and np.all(got.error <= 1e-12 * np.abs(want))
    assert type(got[1]) is np.float64 and type(got * 2.0) is np.ndarray and "converged=True" in repr(got)
    import copy
    import pickle

    for twin in (copy.copy(got), copy.deepcopy(got), pickle.loads(pickle.dumps(got))):  # (bars stay with values)
        assert repr(twin) == repr(got)
    assert type(np.sort(got)) is np.ndarray and np.asarray(got).tolist() == list(got)
    with pytest.raises(TypeError):
        got[0] = 99.0  # (a value cannot be changed under its error bar)
    with pytest.warns(gt.AccuracyWarning):
        short = gt.generator_gradient(gt.Normal(0, 1), g, d, max_rounds=1)
    assert not short.converged and np.all(np.abs(short - want) <= short.error) and "converged=False" in repr(short)


def test_pointwise_objective_refuses_one_negative_weight():
    """a log y + b log(1 - y) is an objective only for a, b >= 0: either weight negative is refused."""
    with pytest.raises(ValueError, match="non-negative"):
        gt.pointwise_objective(0.5, -1.0, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        gt.pointwise_objective(0.5, 1.0, -1.0)


def test_score_function_gradient_over_the_noise_for_a_fixed_discriminator():
    """A generator 1e-6 wide at x = 1 inside uniform data, against a fixed D (the D* of another
    generator, N(1, 1)): D jumps at the data's ends, so the gradient is taken in score-function form over
    the noise. Against the reparametrised integral at 30 digits, h = log(1 - D) = log q - log(1/2 + q)."""
    a, b = 1e-6, 1.0
    d = gt.optimal_discriminator(gt.Uniform(0, 2), gt.Normal(1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)  # (round-off limits it to ~3e-9, and says so)
        got = gt.generator_gradient(gt.Uniform(0, 2), gt.Pushforward(gt.Normal(0, 1), gt.Affine(a, b)), d)
    with mp.workdps(30):
        def hp(x):
            q = mp.npdf(x, 1, 1)
            return -(x - 1) + (x - 1) * q / (mp.mpf(1) / 2 + q)
        want = [mp.quad(lambda z: mp.npdf(z) * z * hp(a * z + b), [-mp.inf, 0, mp.inf]),
                mp.quad(lambda z: mp.npdf(z) * hp(a * z + b), [-mp.inf, 0, mp.inf])]
    assert got[0] == pytest.approx(float(want[0]), rel=1e-4)
    assert abs(got[0] - float(want[0])) <= 3e-9 and abs(got[1] - float(want[1])) <= 3e-9


_G = affine_generator(1.5, 0.5)
_Q = gt.QuadraticDiscriminator(0.1, -0.3, 0.2)
#: every composite GAN quantity, each form of it (x and z spaces; the reparametrised gradient and the
#: score-function one, over x and over the noise), with how many integrals it is made of at least
COMPOSITE = [
    ("value x", lambda **o: gt.value_function(gt.Laplace(0, 1), _G, _Q, **o), 1),
    ("value z", lambda **o: gt.value_function(gt.Laplace(0, 1), _G, _Q, space="z", **o), 2),
    ("loss", lambda **o: gt.generator_loss(gt.Laplace(0, 1), _G, _Q, loss="non_saturating", **o), 1),
    ("gradient", lambda **o: gt.generator_gradient(gt.Laplace(0, 1), _G, **o), 3),
    ("gradient, score form over x", lambda **o: gt.generator_gradient(gt.Uniform(0, 1), affine_generator(3.0, -2.0),
                                                                      **o), 3),
    ("gradient, score form over the noise", lambda **o: gt.generator_gradient(
        gt.Uniform(0, 1), affine_generator(1e-6, 0.5), **o), 4),
    ("virtual criterion", lambda **o: gt.virtual_criterion(gt.Laplace(0, 1), _G, **o), 1),
]


@pytest.mark.parametrize("label, call, integrals", COMPOSITE, ids=[c[0] for c in COMPOSITE])
def test_options_reach_every_integral_of_a_composite_quantity(monkeypatch, label, call, integrals):
    """A composite quantity (two expectations, a loss and two gradient components) is computed to the
    caller's tolerance and budget in every one of its integrals, not only the first: each integral the
    GAN module asks for receives the rtol, atol and max_rounds given (values a tolerance-met result does
    not notice, so the quantity itself is unchanged)."""
    import gantheory.gan as G

    seen = []

    def spy(fn):
        def wrapped(*args, **kw):
            seen.append(kw)
            return fn(*args, **kw)
        return wrapped

    for name in ("expect_nodes", "_integrate_pair", "js_divergence"):
        monkeypatch.setattr(G, name, spy(getattr(G, name)))
    want = np.asarray(call(rtol=1e-11), dtype=float)
    seen.clear()
    got = np.asarray(call(rtol=1e-11, atol=1e-300, max_rounds=79), dtype=float)
    assert len(seen) >= integrals, label
    for kw in seen:
        assert (kw.get("rtol"), kw.get("atol"), kw.get("max_rounds")) == (1e-11, 1e-300, 79), (label, kw)
    np.testing.assert_array_equal(got, want)
