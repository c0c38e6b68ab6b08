"""GPU-free training (issue 5): function space and Algorithm 1 on grids, parametric generators against
D* and a quadratic discriminator, the Dirac-GAN. Deterministic quadrature throughout."""

import math

import numpy as np
import pytest

import gantheory as gt
from gantheory import training as T

X = np.linspace(-12, 12, 1000)
TARGETS = {
    "normal": gt.Normal(0.5, 1.2),
    "bimodal": gt.Mixture([gt.Normal(-2.5, 0.6), gt.Normal(2.0, 0.8)], [0.4, 0.6]),
    "laplace": gt.Laplace(-0.5, 1.0),
}


def test_function_space_on_a_2d_grid():
    axes = (np.linspace(-7, 7, 80), np.linspace(-7, 7, 80))
    target = gt.MultivariateNormal([0.5, -0.3], [[1.0, 0.4], [0.4, 0.8]])
    h = T.function_space(target, axes, steps=200, tol=1e-12)
    assert np.all(np.diff(h.jsd) <= 0) and h.final_jsd < 1e-10
    assert h.c_plus_log4[-1] == pytest.approx(0.0, abs=1e-10)


def test_function_space_softmax_descends_monotonically():
    h = T.function_space(TARGETS["normal"], X, steps=300, lr=0.5, method="softmax")
    assert np.all(np.diff(h.jsd) <= 0) and h.final_jsd < h.jsd[0] / 10


@pytest.mark.parametrize("name", sorted(TARGETS))
@pytest.mark.parametrize("k", [1, 5])
@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_algorithm1_converges(name, k, loss):
    """k discriminator steps per generator step, both generator losses: JSD < 1e-6 (steps recorded)."""
    h = T.algorithm1(TARGETS[name], X, k=k, loss=loss, steps=400, tol=1e-12)
    assert h.steps_to(1e-6) is not None and h.steps_to(1e-6) <= 150
    assert h.final_jsd < 1e-10
    p, w, d = h.extra["p_data"], h.extra["weights"], h.extra["d"]
    assert np.dot(w * p, np.abs(d - 0.5)) < 1e-5  # D -> 1/2 where the data have their mass


def test_parametric_gradient_matches_adaptive_quadrature():
    """The fixed z-grid gradient equals gantheory's adaptive generator_gradient (D = D*)."""
    p = TARGETS["bimodal"]
    for loss in ("minimax", "non_saturating"):
        for s, t in ((1.0, 0.0), (0.6, 4.0), (2.5, -1.0)):
            dens, x, dx = T._generator("affine", np.array([s, t]))
            ell, slope = p._logpdf(x) - dens._logpdf(x), p._score(x) - dens._score(x)
            from scipy.special import expit
            factor = expit(ell) if loss == "minimax" else expit(-ell)
            grid = dx @ (T._WZ * (-factor * slope))
            exact = gt.generator_gradient(p, gt.Pushforward(gt.Normal(0, 1), gt.Affine(s, t)), loss=loss)
            np.testing.assert_allclose(grid, exact, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
@pytest.mark.parametrize("disc", ["optimal", "quadratic"])
def test_parametric_gaussian_reaches_the_target(loss, disc):
    p = gt.Normal(0.7, 1.3)
    h = T.parametric(p, init=(1.0, 0.0), discriminator=disc, loss=loss, steps=2000, lr=0.2, record_every=100)
    np.testing.assert_allclose(h.params[-1], [1.3, 0.7], atol=1e-6)
    assert h.final_jsd < 1e-12
    if disc == "quadratic":  # the quadratic family contains D*; at the optimum D = 1/2
        np.testing.assert_allclose(h.extra["discriminator"][-1], 0.0, atol=1e-6)


def test_non_saturating_escapes_rejected_start_much_faster():
    """Start 9 data-scales away, where D* rejects the fakes: E_{p_g}[D*] < 1e-6. Steps to JSD < 0.1."""
    p = gt.Normal(0.7, 1.3)
    g0 = gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, 12.0))
    assert float(gt.quadrature.expectation(g0, gt.optimal_discriminator(p, g0))) < 1e-6
    steps = {}
    for loss in ("minimax", "non_saturating"):
        h = T.parametric(p, init=(1.0, 12.0), loss=loss, steps=12000, lr=0.5, record_every=25, tol=0.05)
        steps[loss] = h.steps_to(0.1)
    assert steps["non_saturating"] is not None and steps["minimax"] is not None
    assert steps["minimax"] >= 20 * steps["non_saturating"], steps


def test_mixture_target_mode_seeking():
    """One normal against a two-mode target (docs/theory.md B2): the minimax loss (2 JSD) settles wide over
    both modes, the non-saturating one (KL(p_g || p_data) - 2 JSD) on a single mode."""
    mix = gt.Mixture([gt.Normal(-3, 0.7), gt.Normal(2.5, 0.8)], [0.45, 0.55])
    mm = T.parametric(mix, init=(1.0, 0.3), loss="minimax", steps=4000, lr=0.3, record_every=500)
    ns = T.parametric(mix, init=(1.0, 0.3), loss="non_saturating", steps=4000, lr=0.3, record_every=500)
    s_mm, t_mm = mm.params[-1]
    s_ns, t_ns = ns.params[-1]
    assert s_mm > 2.0 and abs(t_mm) < 1.0
    assert s_ns < 1.2 and abs(t_ns - 2.5) < 0.2
    # both runs have settled: the exact gradients at the end vanish
    for h, loss in ((mm, "minimax"), (ns, "non_saturating")):
        s, t = h.params[-1]
        g = gt.generator_gradient(mix, gt.Pushforward(gt.Normal(0, 1), gt.Affine(s, t)), loss=loss)
        assert np.linalg.norm(g) < 1e-6


def test_sinh_arcsinh_generator_learns_a_normal():
    h = T.parametric(gt.Normal(0.7, 1.3), generator="sinh_arcsinh", init=(1.0, 0.0, 0.3, 1.2), steps=3000,
                     lr=0.3, record_every=500)
    np.testing.assert_allclose(h.params[-1], [1.3, 0.7, 0.0, 1.0], atol=1e-6)


def test_dirac_gan_simultaneous_radius_factor_is_exact():
    """Each simultaneous step multiplies r by sqrt(1 + h² f'(θψ)²) exactly: it spirals out."""
    h = T.dirac_gan(1.0, 1.0, h=0.1, steps=300)
    th, ps = h.params[:-1].T
    fp = 1.0 / (1.0 + np.exp(th * ps))
    r = h.extra["radius"]
    np.testing.assert_allclose(r[1:], r[:-1] * np.sqrt(1.0 + 0.01 * fp**2), rtol=1e-12)
    assert r[-1] > 1.2 * r[0]
    # near the equilibrium the factor is sqrt(1 + h²/4)
    h2 = T.dirac_gan(1e-6, 1e-6, h=0.1, steps=5)
    np.testing.assert_allclose(h2.extra["radius"][1:] / h2.extra["radius"][:-1], math.sqrt(1 + 0.01 / 4), rtol=1e-12)


def test_dirac_gan_alternating_orbit_is_bounded_and_does_not_converge():
    r = T.dirac_gan(0.5, 0.5, h=0.1, steps=20000, mode="alternating").extra["radius"]
    assert r.max() < 1.1 * r[0] and r.min() > 0.9 * r[0]
    assert r[-5000:].min() > 0.9 * r[0]


def test_dirac_gan_r1_converges():
    r = T.dirac_gan(1.0, 1.0, h=0.1, steps=3000, gamma=1.0).extra["radius"]
    assert r[-1] < 1e-10


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0, 2.0])
def test_dirac_jacobian_eigenvalues_closed_form(gamma):
    """Eigenvalues of the gradient field at (0, 0): (-γ ± sqrt(γ² - 4 f'(0)²))/2, f'(0) = 1/2."""
    ev = np.sort_complex(np.linalg.eigvals(T.dirac_jacobian(0.0, 0.0, gamma)))
    disc = np.sqrt(complex(gamma**2 - 1.0))
    ref = np.sort_complex(np.array([(-gamma - disc) / 2, (-gamma + disc) / 2]))
    np.testing.assert_allclose(ev, ref, atol=1e-10)


def test_dirac_jacobian_matches_finite_differences_off_equilibrium():
    th, ps, g, e = 0.7, -0.4, 0.5, 1e-6

    def field(t, p):
        fp = 1.0 / (1.0 + math.exp(t * p))
        return np.array([-fp * p, fp * t - g * p])

    fd = np.column_stack([(field(th + e, ps) - field(th - e, ps)) / (2 * e),
                          (field(th, ps + e) - field(th, ps - e)) / (2 * e)])
    np.testing.assert_allclose(T.dirac_jacobian(th, ps, g), fd, atol=1e-9)


def test_alternating_linear_map_is_area_preserving():
    """Linearised alternating step: determinant 1 and trace 2 - h²/4, so its eigenvalues lie on the unit
    circle (measured from the step map by finite differences at amplitude 1e-7)."""
    h, e = 0.3, 1e-7
    cols = []
    for v in ((e, 0.0), (0.0, e)):
        out = T.dirac_gan(*v, h=h, steps=1, mode="alternating").params[-1]
        cols.append(out / e)
    m = np.column_stack(cols)
    assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-8)
    assert np.trace(m) == pytest.approx(2 - h * h / 4, abs=1e-8)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(m)), 1.0, atol=1e-8)


def test_runs_are_reproducible_and_validated():
    a = T.parametric(gt.Normal(0, 1), init=(0.5, 1.0), steps=50)
    b = T.parametric(gt.Normal(0, 1), init=(0.5, 1.0), steps=50)
    np.testing.assert_array_equal(a.params, b.params)
    assert a.steps.shape == a.jsd.shape == a.c_plus_log4.shape and a.params.shape == (51, 2)
    with pytest.raises(ValueError, match="init"):
        T.parametric(gt.Normal(0, 1), init=(0.0, 1.0))
    with pytest.raises(ValueError, match="loss"):
        T.algorithm1(gt.Normal(0, 1), X, loss="wgan")
    with pytest.raises(ValueError, match="grid"):
        T.function_space(gt.Normal(0, 1), np.array([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="lr"):
        T.function_space(gt.Normal(0, 1), X, lr=1.5)
    with pytest.raises(ValueError, match="p_g0"):
        T.function_space(gt.Normal(0, 1), X, p_g0=np.zeros(X.size))


def test_a_grid_run_beyond_an_hour_is_refused_up_front():
    """steps x nodes above MAX_GRID_WORK (10^10 units of work, 0.09 to 0.6 us each here) is refused before
    any step, with the estimate in hours; algorithm1 counts its k discriminator steps too."""
    x = np.linspace(-8.0, 8.0, 10**6)
    with pytest.raises(ValueError, match=r"^function_space: 100000 steps on a grid of 1000000 nodes .* 2.8 to 17 h"):
        T.function_space(gt.Normal(0, 1), x, steps=10**5)
    with pytest.raises(ValueError, match=r"^algorithm1: 1001 steps .* 1e\+10 units of work"):
        T.algorithm1(gt.Normal(0, 1), x, steps=1001, k=9)  # (1001 x 10^6 x 10: just beyond)
    assert T.MAX_GRID_WORK == 10**10
    h = T.algorithm1(gt.Normal(0, 1), x[::100], steps=2, k=9)  # (within the budget: runs)
    assert h.jsd.size == 3


def test_parametric_starts_each_generator_at_the_identity_by_default():
    """The default init is the identity map for either generator (a sinh-arcsinh run once needed init)."""
    for generator in ("affine", "sinh_arcsinh"):
        h = T.parametric(gt.Normal(0.5, 1.0), generator=generator, steps=1)
        assert h.params[0][0] == 1.0 and h.params[0][1] == 0.0
        assert h.jsd[0] == pytest.approx(float(gt.js_divergence(gt.Normal(0.5, 1.0), gt.Normal())), abs=1e-9)
