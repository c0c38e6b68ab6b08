"""Divergences against closed forms and 30-digit mpmath values (the issue-2 reference set)."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import reference
from pairs import ONE_D, REFERENCE
from reference import kl_normal
from tolerances import IDENTITY_ABS, REFERENCE_REL

import gantheory as gt

VALUES = reference.load()
CASES = [(name, qty) for name, qs in VALUES.items() if name in REFERENCE for qty in qs
         if qty in ("kl_pq", "kl_qp", "jsd")]


def _compute(name, qty):
    p, q = REFERENCE[name]
    if qty == "kl_pq":
        return gt.kl_divergence(p, q)
    if qty == "kl_qp":
        return gt.kl_divergence(q, p)
    return gt.js_divergence(p, q)


@pytest.mark.parametrize(("name", "qty"), CASES, ids=[f"{n}-{q}" for n, q in CASES])
def test_reference_value(name, qty):
    """KL both ways and JSD agree with the closed form / mpmath value to 1e-10 relative."""
    ref = VALUES[name][qty]
    got = _compute(name, qty)
    if math.isinf(ref):
        assert got == math.inf
    else:
        assert got == pytest.approx(ref, rel=REFERENCE_REL, abs=0)
        assert got.converged
        # the error estimate is honest: the true error is below it (or at round-off)
        assert abs(got - ref) <= max(10 * got.error, 4e-16 * abs(ref))


def test_reference_set_covers_issue_list():
    """The pairs named in the issue are all present."""
    assert len(REFERENCE) == 15
    assert VALUES["normal_far_40"]["kl_pq"] == 800.0


def test_pushforward_kl_in_x_equals_invariant_value():
    """mpmath in x (explicit change-of-variables densities) equals the base-normal closed form."""
    v = VALUES["pushforward_sinh_arcsinh"]
    assert v["kl_pq_x"] == pytest.approx(v["kl_pq"], rel=1e-20)


@pytest.mark.parametrize("name", sorted(ONE_D))
def test_jsd_symmetric_and_bounded(name):
    p, q = REFERENCE[name]
    a, b = gt.js_divergence(p, q), gt.js_divergence(q, p)
    assert 0.0 <= a <= math.log(2)
    assert a == pytest.approx(b, rel=1e-12, abs=1e-15)


def test_disjoint_supports_conventions():
    """KL = inf (never NaN), JSD = log 2, TV = 1 for disjoint supports."""
    p, q = gt.Uniform(0, 1), gt.Uniform(2, 3)
    assert gt.kl_divergence(p, q) == math.inf
    assert gt.js_divergence(p, q) == math.log(2)
    assert gt.tv_distance(p, q) == pytest.approx(1.0, abs=1e-15)
    assert gt.hellinger(p, q) == pytest.approx(1.0, abs=1e-15)


def test_kl_inf_detected_at_nodes_for_holes():
    """q vanishes on a hole inside p's support: found at the quadrature nodes."""
    q = gt.Mixture([gt.Uniform(0, 0.4), gt.Uniform(0.6, 1)], [0.5, 0.5])
    assert gt.kl_divergence(gt.Uniform(0, 1), q) == math.inf
    assert gt.kl_divergence(q, gt.Uniform(0, 1)) == pytest.approx(math.log(1 / 0.8), rel=1e-12)


def test_identical_densities_give_zero():
    for p in (gt.Normal(0.3, 2), gt.Laplace(1, 0.5), gt.Beta(0.5, 3), gt.Cauchy(0, 1)):
        assert gt.kl_divergence(p, p) == 0.0
        assert gt.js_divergence(p, p) == 0.0
        assert gt.tv_distance(p, p) == 0.0


def test_tiny_kl_keeps_relative_accuracy():
    """KL(N(0,1) || N(1e-6,1)) = 5e-13: the Bregman integrand keeps the relative accuracy that
    the log-density difference allows (log p - log q carries ~1e-10 relative round-off here)."""
    got = gt.kl_divergence(gt.Normal(0, 1), gt.Normal(1e-6, 1), rtol=1e-9)
    assert got == pytest.approx(0.5e-12, rel=1e-9)


def test_tolerance_below_round_off_stops_at_the_floor():
    """Asking for more than float64 log-densities allow stops at the round-off floor, quickly; an error
    that small against the mass involved (1e-22 on mass 2) is an answer at round-off, not a failure."""
    got = gt.kl_divergence(gt.Normal(0, 1), gt.Normal(1e-6, 1), rtol=1e-15)
    assert got.converged and got.neval < 20_000
    assert got == pytest.approx(0.5e-12, rel=1e-9)
    assert abs(got - 0.5e-12) <= got.error


def test_round_off_above_the_answer_warns():
    """An integrand whose own round-off (reported by its caller) swamps the answer is flagged."""
    from gantheory import _kernels as K
    from gantheory.quadrature import integrate_pair

    p = gt.Normal(0, 1)

    def evaluate(nodes):
        lp = nodes.logpdf(p)
        z = np.zeros_like(lp)
        return lp, np.full_like(lp, -np.inf), np.tanh(nodes.x), z, np.full_like(lp, 1e-3)

    with pytest.warns(gt.AccuracyWarning, match="round-off"):
        got = integrate_pair((p,), K.LINEAR, evaluate)
    assert not got.converged


def test_exhausted_budget_warns_with_the_achieved_error():
    with pytest.warns(gt.AccuracyWarning, match="budget"):
        got = gt.js_divergence(gt.Laplace(0, 1), gt.Cauchy(1, 2), max_panels=20)
    assert not got.converged and got.error > 0


def test_tiny_jsd_keeps_relative_accuracy():
    """JSD ~ δ²/8 for N(0,1) vs N(δ,1): the series branch keeps the relative accuracy."""
    d = 1e-5
    got = gt.js_divergence(gt.Normal(0, 1), gt.Normal(d, 1))
    # JSD = δ²/8 - δ⁴/128 + O(δ⁶) for a unit-variance normal shift (Fisher information 1)
    assert got == pytest.approx(d * d / 8 - d**4 / 128, rel=1e-9)


def test_base_changes_units():
    p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    assert gt.kl_divergence(p, q, base=2) == pytest.approx(0.5 / math.log(2), rel=1e-14)
    assert gt.js_divergence(gt.Uniform(0, 1), gt.Uniform(2, 3), base=2) == pytest.approx(1.0, rel=1e-15)
    assert gt.js_distance(p, q, base=2) == pytest.approx(math.sqrt(gt.js_divergence(p, q, base=2)))


def test_tv_and_hellinger_closed_forms():
    """Normals with equal scale: TV = 2Φ(δ/2) - 1; H² = 1 - exp(-δ²/8)."""
    from scipy.special import ndtr

    d = 1.7
    p, q = gt.Normal(0, 1), gt.Normal(d, 1)
    assert gt.tv_distance(p, q) == pytest.approx(2 * ndtr(d / 2) - 1, rel=1e-12)
    assert gt.hellinger(p, q) == pytest.approx(-math.expm1(-d * d / 8), rel=1e-12)


def test_tv_in_two_dimensions_closed_form():
    """Equal covariances: TV = 2Φ(δ/2) - 1 with δ the Mahalanobis distance of the means."""
    from scipy.special import ndtr

    c = np.array([[1.0, 0.5], [0.5, 1.0]])
    m = np.array([1.0, -1.0])
    delta = math.sqrt(m @ np.linalg.solve(c, m))
    got = gt.tv_distance(gt.MultivariateNormal([0, 0], c), gt.MultivariateNormal(m, c))
    assert got.converged
    assert abs(got - (2 * ndtr(delta / 2) - 1)) <= max(got.error, 1e-6 * got)


EQUAL_COV = [
    (np.array([[1.0, 0.8], [0.8, 1.0]]), np.array([1.0, 0.0])),
    (np.array([[2.0, -0.3, 0.01], [-0.3, 0.5, 0.0], [0.01, 0.0, 1e-4]]), np.array([0.2, -1.0, 0.003])),
    (np.array([[1e6, 0.0], [0.0, 1e-6]]), np.array([3e3, -1e-3])),
]


@pytest.mark.parametrize(("cov", "shift"), EQUAL_COV, ids=["corr0.8", "3d", "scales1e6"])
def test_equal_covariance_normals_against_closed_forms(cov, shift):
    """Two normals with one covariance (reduced to one dimension exactly): KL = δ²/2, TV = 2Φ(δ/2) - 1,
    H² = 1 - exp(-δ²/8), JSD against 30-digit mpmath at δ, in both argument orders, each within its bar."""
    import mpmath as mp
    from scipy.special import ndtr

    mean = np.arange(len(shift)) * 0.25
    p, q = gt.MultivariateNormal(mean, cov), gt.MultivariateNormal(mean + shift, cov)
    delta = math.sqrt(shift @ np.linalg.solve(cov, shift))
    with mp.workdps(30):
        d = mp.mpf(delta)
        phi = lambda x, m: mp.exp(-(x - m) ** 2 / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
        jsd = mp.quad(lambda x: (phi(x, 0) * mp.log(2 * phi(x, 0) / (phi(x, 0) + phi(x, d)))
                                 + phi(x, d) * mp.log(2 * phi(x, d) / (phi(x, 0) + phi(x, d)))) / 2,
                      [-mp.inf, 0, d / 2, d, mp.inf])
    refs = {gt.kl_divergence: delta**2 / 2, gt.js_divergence: float(jsd),
            gt.tv_distance: 2 * ndtr(delta / 2) - 1, gt.hellinger: -math.expm1(-delta**2 / 8)}
    for fn, ref in refs.items():
        for a, b in ((p, q), (q, p)):
            got = fn(a, b)
            assert got.converged
            # δ itself is rounded (relative error ~ eps times the covariance's condition): the bar says so
            assert abs(float(got) - ref) <= got.error + 4e-16 * ref, fn.__name__
            assert got.error <= 1e-10 * ref


def test_unequal_covariance_normals_take_the_tensor_rule():
    """Covariances that differ are not reduced: KL against its closed form for normals."""
    c1, c2 = np.array([[1.0, 0.3], [0.3, 0.8]]), np.array([[1.2, 0.3], [0.3, 0.8]])
    m = np.array([0.5, -0.2])
    p, q = gt.MultivariateNormal([0, 0], c1), gt.MultivariateNormal(m, c2)
    inv = np.linalg.inv(c2)
    ref = 0.5 * (np.trace(inv @ c1) + m @ inv @ m - 2 + math.log(np.linalg.det(c2) / np.linalg.det(c1)))
    got = gt.kl_divergence(p, q)
    assert got.neval > 1000  # a two-dimensional grid
    assert abs(float(got) - ref) <= got.error + 1e-15


def _tv_bivariate_normals_mp(c1, c2, m):
    """TV of N(0, c1) and N(m, c2) in 30-digit mpmath: in the pair's principal frame (computed in mpmath)
    the set {p > q} is, for each y1, where a quadratic in y2 is positive, whose normal probabilities
    are closed forms; the outer integral over y1 has breakpoints where the quadratic's roots meet."""
    import mpmath as mp

    with mp.workdps(30):
        chol = mp.cholesky(mp.matrix(c1.tolist()))
        inv = chol**-1
        e, r = mp.eigsy(inv * mp.matrix(c2.tolist()) * inv.T)
        mm = r.T * (inv * mp.matrix(m.tolist()))
        d1, d2, m1, m2 = e[0], e[1], mm[0], mm[1]
        a, b = (1 / d2 - 1) / 2, -m2 / d2

        def c(y1):
            return m2**2 / (2 * d2) - y1**2 / 2 + (y1 - m1) ** 2 / (2 * d1) + mp.log(d1 * d2) / 2

        def inner(y1):
            if abs(a) < mp.mpf(10) ** -25 and abs(b) < mp.mpf(10) ** -25:
                regs = [(-mp.inf, mp.inf)] if c(y1) > 0 else []
            elif abs(a) < mp.mpf(10) ** -25:
                regs = [(-c(y1) / b, mp.inf)] if b > 0 else [(-mp.inf, -c(y1) / b)]
            else:
                disc = b * b - 4 * a * c(y1)
                if disc <= 0:
                    regs = [(-mp.inf, mp.inf)] if a > 0 else []
                else:
                    lo, hi = sorted([(-b - mp.sqrt(disc)) / (2 * a), (-b + mp.sqrt(disc)) / (2 * a)])
                    regs = [(-mp.inf, lo), (hi, mp.inf)] if a > 0 else [(lo, hi)]
            s = mp.sqrt(d2)
            pd, qd = mp.npdf(y1), mp.npdf(y1, m1, mp.sqrt(d1))
            return sum(pd * (mp.ncdf(hi) - mp.ncdf(lo)) - qd * (mp.ncdf((hi - m2) / s) - mp.ncdf((lo - m2) / s))
                       for lo, hi in regs)

        pts = [-mp.inf, m1, mp.inf]
        if True:  # where the roots meet, c(y1) = b²/(4a), or (a = 0) where c(y1) = 0: quadratics in y1
            k = (b * b / (4 * a) if abs(a) >= mp.mpf(10) ** -25 else 0) - m2**2 / (2 * d2) - mp.log(d1 * d2) / 2
            al, be, ga = (1 / d1 - 1) / 2, -m1 / d1, m1**2 / (2 * d1) - k
            if abs(al) < mp.mpf(10) ** -25:
                pts += [-ga / be] if be != 0 else []
            elif be * be - 4 * al * ga > 0:
                pts += [(-be + sg * mp.sqrt(be * be - 4 * al * ga)) / (2 * al) for sg in (-1, 1)]
        return float(mp.quad(inner, sorted(set(pts)), maxdegree=8))


TV_2D = [
    (np.array([[1.0, 0.3], [0.3, 0.8]]), np.array([[1.2, 0.3], [0.3, 0.8]]), np.array([0.5, -0.2])),
    (np.eye(2), np.diag([0.5, 1.0]), np.array([0.3, 0.4])),  # one axis with equal variances
    (np.array([[2.0, -0.7], [-0.7, 0.5]]), np.array([[0.02, 0.0], [0.0, 300.0]]), np.array([-3.0, 40.0])),
    (np.eye(2), np.array([[0.75, 0.25], [0.25, 0.75]]), np.zeros(2)),  # equal along one principal axis
    (np.eye(2), np.diag([0.5, 1.0]), np.array([0.3, 0.0])),  # ... and the means too
    # two pairs of a random sweep: where the roots meet, the probability of A has a square-root kink in
    # y1; off a panel edge it left TV 2.1e-12 and 2.1e-10 off with bars of 4.9e-13 and 2.1e-12
    (np.array([[6.987845393276502, -21.93857125142608], [-21.93857125142608, 180.28841820584188]]),
     np.array([[139.36885384979024, 217.81977989750072], [217.81977989750072, 653.4577147190955]]),
     np.array([0.09383782483523209, 0.17535774914240815])),
    (np.array([[2.792767875269721, -12.120663663535813], [-12.120663663535813, 167.75877882046842]]),
     np.array([[0.15027018088305635, 0.3750118205312803], [0.3750118205312803, 5.402313123928412]]),
     np.array([0.24217244167761512, -0.1507847954625276])),
]


@pytest.mark.parametrize(("c1", "c2", "m"), TV_2D, ids=["near", "one-equal-axis", "anisotropic", "equal-axis-0",
                                                       "equal-axis-means", "roots-meet-a", "roots-meet-b"])
def test_tv_of_bivariate_normals_with_two_covariances(c1, c2, m):
    """TV of two bivariate normals with different covariances against 30-digit mpmath, to 1e-12 and
    within its bar, in both argument orders (the order changes the principal frame)."""
    ref = _tv_bivariate_normals_mp(c1, c2, m)
    p, q = gt.MultivariateNormal([0, 0], c1), gt.MultivariateNormal(m, c2)
    for got in (gt.tv_distance(p, q), gt.tv_distance(q, p)):
        assert got.converged
        assert abs(float(got) - ref) <= got.error
        assert abs(float(got) - ref) <= 1e-12 * ref
        # (the bar includes the rounding of the principal frame, eps times the covariances' conditions)
        assert got.error <= 1e-8 * ref


@pytest.mark.parametrize(("var", "kind"), [(0.6, "pearson"), (1.5, "pearson"), (1.6, "neyman"), (0.7, "neyman")])
def test_chi2_of_bivariate_normals_closed_form(var, kind):
    """χ² between N(0, I) and N((0.3, 0), var I): a product over the axes of the normal integrals
    ``∫ N(m1, v1)² / N(m2, v2) = sqrt(v2) / (v1 sqrt(a)) exp((b²/a - c)/2)``, ``a = 2/v1 - 1/v2``,
    ``b = 2 m1/v1 - m2/v2``, ``c = 2 m1²/v1 - m2²/v2``. Where q is the narrower, (p - q)²/q reaches
    beyond both densities' 9 deviations: the box must follow the integrand."""
    def axis(m1, v1, m2, v2):
        a, b, c = 2 / v1 - 1 / v2, 2 * m1 / v1 - m2 / v2, 2 * m1 * m1 / v1 - m2 * m2 / v2
        return math.sqrt(v2) / v1 / math.sqrt(a) * math.exp(0.5 * (b * b / a - c))

    p, q = gt.MultivariateNormal([0, 0], np.eye(2)), gt.MultivariateNormal([0.3, 0], var * np.eye(2))
    big, small = ((0, 1), (0.3, var)) if kind == "pearson" else ((0.3, var), (0, 1))
    ref = axis(big[0], big[1], small[0], small[1]) * axis(0, big[1], 0, small[1]) - 1
    got = gt.f_divergence(p, q, kind)
    assert got.converged
    assert abs(float(got) - ref) <= got.error
    assert abs(float(got) - ref) <= 1e-12 * ref


def test_chi2_closed_forms_and_infinities():
    """Pearson χ²(N(μ1,1) || N(μ2,1)) = exp((μ1-μ2)²) - 1; heavy vs light tails give inf."""
    p, q = gt.Normal(0, 1), gt.Normal(0.8, 1)
    assert gt.f_divergence(p, q, "pearson") == pytest.approx(math.expm1(0.64), rel=1e-12)
    assert gt.f_divergence(p, q, "neyman") == pytest.approx(math.expm1(0.64), rel=1e-12)
    assert gt.f_divergence(gt.Cauchy(), gt.Normal(), "pearson") == math.inf
    # σ_q² <= σ_p²/2 makes ∫ p²/q diverge
    assert gt.f_divergence(gt.Normal(0, 1), gt.Normal(0, 0.7), "pearson") == math.inf
    # ∫ p²/q = s²/sqrt(2 s² - 1) for p = N(0, 1), q = N(0, s²)
    assert gt.f_divergence(gt.Normal(0, 1), gt.Normal(0, 0.8), "pearson") == pytest.approx(
        0.64 / math.sqrt(2 * 0.64 - 1) - 1, rel=1e-10)


@pytest.mark.parametrize("name", sorted(gt.F_DIVERGENCES))
def test_named_f_divergences_match_callable_definition(name):
    """Each named f-divergence equals ∫ q f(p/q) computed from its generator f."""
    f = gt.F_DIVERGENCES[name].f
    p, q = gt.Normal(0, 1), gt.Normal(0.7, 1.3)
    named = gt.f_divergence(p, q, name)
    with np.errstate(all="ignore"):
        direct = gt.f_divergence(p, q, f)
    assert named == pytest.approx(direct, rel=1e-9, abs=1e-12)


def test_gan_f_divergence_is_virtual_criterion():
    p, q = gt.Laplace(0, 1), gt.Normal(0.5, 1)
    assert gt.f_divergence(p, q, "gan") == pytest.approx(
        gt.virtual_criterion(p, q), abs=IDENTITY_ABS)


def test_w1_closed_forms():
    """W1 of a shift is the shift (any law with a CDF); of N(0,1) vs N(0,s): (s-1)·sqrt(2/π), where the
    CDFs cross (at 0), a kink of |F_p - F_q| that must cost neither accuracy nor the converged flag."""
    cases = [(gt.Normal(0, 1), gt.Normal(2.5, 1), 2.5), (gt.Cauchy(0, 1), gt.Cauchy(3, 1), 3.0),
             (gt.Normal(0, 1), gt.Normal(0, 3), 2 * math.sqrt(2 / math.pi)),
             (gt.Laplace(0, 1), gt.Laplace(0, 2), 1.0),  # E|X| = b: the CDFs cross at 0, W1 = |b1 - b2|
             (gt.Uniform(0, 1), gt.Uniform(5, 6), 5.0)]
    for p, q, want in cases:
        got = gt.w1_distance(p, q)
        assert got.converged and abs(float(got) - want) <= got.error <= 1e-10 * want, (p, q, got)
    assert gt.w1_distance(gt.Cauchy(0, 1), gt.Cauchy(0, 2)) == math.inf


@pytest.mark.parametrize("side", [-1.0, 1.0], ids=["left", "right"])
def test_w1_is_infinite_when_one_tail_has_no_mean(side):
    """X = e^L, L ~ Laplace(0, 3/2), has the tail P(X > x) ~ x^(-2/3) on one side only: E|X| = inf, so
    W1 against any law with a mean is infinite (W1 >= |E|X| - E|Y||), whichever side the tail is on;
    and against a lighter tail on the same side, without a mean either (Laplace(0, 5/4): P ~ x^(-4/5)),
    as |F_p - F_q| ~ x^(-2/3) still. No floating-point warning escapes on the way (the CDFs are read at
    1e200)."""
    heavy = gt.Pushforward(gt.Pushforward(gt.Laplace(0.0, 1.5), gt.Exp()), gt.Affine(side, 0.0))
    lighter = gt.Pushforward(gt.Pushforward(gt.Laplace(0.0, 1.25), gt.Exp()), gt.Affine(side, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for p, q in ((heavy, gt.Normal(0, 1)), (gt.Laplace(0, 1), heavy), (lighter, heavy)):
            got = gt.w1_distance(p, q)
            assert float(got) == math.inf and got.converged and got.error == 0.0


@pytest.mark.parametrize("b", [0.93, 0.95, 0.98, 1.0, 1.02])
def test_w1_of_log_laplace_laws_near_the_end_of_their_mean(b):
    """X = e^Y, Y ~ Laplace(0, b): F = x^(1/b)/2 below 1, 1 - x^(-1/b)/2 above, a mean for b < 1 only. Against
    e^Laplace(0, 1/2) the CDFs cross at 1 alone: W1 = |b/(1 + b) - 1/3|/2 + |b/(1 - b) - 1|/2, finite for
    b < 1 however slowly |F_p - F_q| ~ x^(-1/b) falls (it was inf, converged, from b = 0.93 up), inf from
    b = 1. Far out the tail beyond the float range is charged to the bar, and flagged."""
    p, q = gt.Pushforward(gt.Laplace(0.0, b), gt.Exp()), gt.Pushforward(gt.Laplace(0.0, 0.5), gt.Exp())
    if b >= 1.0:
        assert float(gt.w1_distance(p, q)) == float(gt.w1_distance(q, p)) == math.inf
        return
    want = abs(b / (1 + b) - 1 / 3) / 2 + abs(b / (1 - b) - 1) / 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.w1_distance(p, q)
    assert abs(float(got) - want) <= got.error
    assert got.converged == (not caught)
    if b <= 0.95:
        assert got.converged and got.error <= 1e-12 * want


def test_scipy_frozen_distributions_are_densities():
    from scipy import stats

    ref = VALUES["normal_shift"]["jsd"]
    assert gt.js_divergence(stats.norm(0, 1), stats.norm(1, 1)) == pytest.approx(ref, rel=REFERENCE_REL)
    assert gt.kl_divergence(stats.laplace(0, 1), gt.Laplace(1, 2)) == pytest.approx(
        VALUES["laplace_pair"]["kl_pq"], rel=REFERENCE_REL)
    mvn = stats.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]])
    assert gt.kl_divergence(mvn, REFERENCE["mvn2_correlated"][1]) == pytest.approx(
        VALUES["mvn2_correlated"]["kl_pq"], rel=REFERENCE_REL)
    # a frozen q says nothing of its tails: KL(t_3 || N(0, 1)) = -h(t_3) + log(2π)/2 + E[X²]/2, E[X²] = 3
    with mp.workdps(30):
        h = 2 * (mp.digamma(2) - mp.digamma(1.5)) + mp.log(mp.sqrt(3) * mp.beta(1.5, 0.5))
        want = float(-h + mp.log(2 * mp.pi) / 2 + mp.mpf(3) / 2)
    got = gt.kl_divergence(gt.StudentT(3.0, 0.0, 1.0), stats.norm(0, 1))
    assert got.converged and abs(float(got) - want) <= got.error <= 1e-12 * want


def test_estimate_is_a_float_with_metadata():
    r = gt.js_divergence(gt.Normal(0, 1), gt.Normal(1, 1))
    assert isinstance(r, float)
    assert r.error < 1e-13 and r.neval > 0 and r.method == "quad" and r.converged
    assert type(r + 1.0) is float
    import pickle

    assert pickle.loads(pickle.dumps(r)).error == r.error


@pytest.mark.parametrize("p, q, finite", [
    (gt.StudentT(1.5, 0, 1), gt.Normal(0, 1), False),  # E_p[x²] = inf
    (gt.StudentT(3.0, 0, 1), gt.Normal(0, 1), True),
    (gt.Cauchy(0, 1), gt.Normal(0, 1), False),
    (gt.Normal(0, 1), gt.Cauchy(0, 1), True),
    (gt.Laplace(0, 1), gt.Normal(0, 1), True),  # E_p[x²] < inf
    (gt.Cauchy(0, 1), gt.Laplace(0, 1), False),  # E_p[|x|] = inf
    (gt.StudentT(1.5, 0, 1), gt.Laplace(0, 1), True),  # E_p[|x|] < inf for df > 1
    (gt.Normal(0, 1), gt.Uniform(-1, 1), False),  # mass outside q's support
])
def test_kl_is_infinite_exactly_when_the_tails_say_so(p, q, finite):
    """KL(p || q) = E_p[log p - log q] is finite iff E_p[-log q] is: against a normal that needs a second
    moment of p, against a Laplace a first one; against a compact q, p inside its support."""
    got = gt.kl_divergence(p, q)
    assert math.isfinite(float(got)) == finite
    if finite:
        assert got.converged and got.error <= 1e-10 * max(1.0, float(got))


@pytest.mark.parametrize("p, q, finite", [
    (gt.Normal(0, 1), gt.Normal(0, 2), True),  # ∫p²/q: 2/σp² > 1/σq²
    (gt.Normal(0, 1), gt.Normal(0, 0.5), False),
    (gt.Normal(0, 1), gt.Normal(0, 1 / math.sqrt(2)), False),  # the boundary: exp(0) integrated
    (gt.Laplace(0, 1), gt.Normal(0, 1), False),  # a heavier tail over a lighter one
    (gt.Normal(0, 1), gt.Laplace(0, 1), True),
    (gt.Cauchy(0, 1), gt.StudentT(3.0, 0, 1), False),  # p²/q ~ x^-4 / x^-4
    (gt.StudentT(3.0, 0, 1), gt.Cauchy(0, 1), True),  # p²/q ~ x^-8 / x^-2
])
def test_pearson_chi2_is_infinite_exactly_when_the_tails_say_so(p, q, finite):
    got = gt.f_divergence(p, q, "pearson")
    assert math.isfinite(float(got)) == finite
    if finite:
        assert got.converged


def test_pearson_chi2_of_normals_against_its_closed_form():
    """χ² = ∫p²/q - 1 = σq² / (σp sqrt(2σq² - σp²)) - 1 for centred normals: 4/sqrt(7) - 1 at σp = 1, σq = 2."""
    got = gt.f_divergence(gt.Normal(0, 1), gt.Normal(0, 2), "pearson")
    want = 4.0 / math.sqrt(7.0) - 1.0
    assert abs(float(got) - want) <= got.error <= 1e-12


@pytest.mark.parametrize("p, q, finite", [
    (gt.Uniform(0, 1), gt.Uniform(-1, 2), True),  # compact p inside compact q: ∫p²/q - 1 = 3 - 1
    (gt.Beta(2, 3), gt.Uniform(0, 1), True),
    (gt.Uniform(-1, 2), gt.Uniform(0, 1), False),  # p sticks out of q's support
])
def test_pearson_chi2_of_compact_densities(p, q, finite):
    """A compact p has no tail to diverge in: χ²(U(0,1) || U(-1,2)) = 2 and χ²(Beta(2,3) || U(0,1)) =
    ∫p² - 1 = B(3,5)/B(2,3)² - 1 = 144/105 - 1 (closed forms); Neyman's χ² is Pearson's with the arguments swapped."""
    want = {0: 2.0, 1: 39.0 / 105.0}
    for got in (gt.f_divergence(p, q, "pearson"), gt.f_divergence(q, p, "neyman")):
        assert math.isfinite(float(got)) == finite
        if finite:
            w = want[0] if isinstance(p, gt.Uniform) else want[1]
            assert got.converged and abs(float(got) - w) <= got.error <= 1e-12


def test_w1_of_two_log_normals_against_mpmath():
    """W1 is not invariant under a nonlinear map of both laws (f-divergences are): W1 of two log-normals
    is ∫|F - G| over (0, inf), not the |Δμ| of the normals they come from."""
    p = gt.Pushforward(gt.Normal(0.0, 1.0), gt.Exp())
    q = gt.Pushforward(gt.Normal(0.5, 1.0), gt.Exp())
    with mp.workdps(30):  # x = e^t: ∫ |Φ(t) - Φ(t - 1/2)| e^t dt
        want = float(mp.quad(lambda t: (mp.ncdf(t) - mp.ncdf(t - mp.mpf(0.5))) * mp.exp(t), [-mp.inf, 0, mp.inf]))
    assert want == pytest.approx(math.exp(0.5) * (math.exp(0.5) - 1.0), rel=1e-14)  # E[X] - E[Y], F >= G
    got = gt.w1_distance(p, q)
    assert abs(float(got) - want) <= got.error <= 1e-11 * want


def test_divergences_of_a_pair_through_one_map_are_those_of_the_pair():
    """f-divergences are invariant under an invertible map of both laws: two log-normals of σ = 300, whose
    mass reaches far beyond 1e308, have the KL, JSD and TV of the normals they come from (KL = 1/(2σ²)
    in closed form), exactly as computed for the normals."""
    p, q = gt.Pushforward(gt.Normal(0.0, 300.0), gt.Exp()), gt.Pushforward(gt.Normal(1.0, 300.0), gt.Exp())
    for fn in (gt.kl_divergence, gt.js_divergence, gt.tv_distance):
        got, base = fn(p, q), fn(gt.Normal(0.0, 300.0), gt.Normal(1.0, 300.0))
        assert got.converged and float(got) == float(base) and got.error == base.error
    assert gt.kl_divergence(p, q) == pytest.approx(1 / (2 * 300.0**2), rel=1e-12)


@pytest.mark.parametrize("far", [1e6, -3e7])
def test_narrow_components_far_from_zero(far):
    """A pair a few floats wide, far from 0, where the nodes are as coarse as the densities are narrow:
    the values are the closed forms of the same pair at 0. KL(U(a, a + w) || U(a, a + 2w)) = log 2; KL
    of two Student-t(3) of one location depends only on the ratio of scales (against 30-digit mpmath);
    a normal pair, its closed form at the locations as the floats hold them."""
    w = 8 * math.ulp(far)  # (8 floats wide)
    p, q = gt.Uniform(far, far + w), gt.Uniform(far, far + 2 * w)
    want = math.log(2.0)
    got = gt.kl_divergence(p, q)
    assert abs(float(got) - want) <= got.error + 1e-15
    with mp.workdps(30):
        t3 = lambda x, s: mp.gamma(2) / (mp.sqrt(3 * mp.pi) * mp.gamma(1.5) * s) * (1 + (x / s) ** 2 / 3) ** -2  # noqa: E731
        ref = float(mp.quad(lambda x: t3(x, 1) * mp.log(t3(x, 1) / t3(x, 2)), [-mp.inf, -1, 0, 1, mp.inf]))
    got = gt.kl_divergence(gt.StudentT(3.0, far, w), gt.StudentT(3.0, far, 2 * w))
    assert got.converged and abs(float(got) - ref) <= got.error <= 1e-12 * ref
    got = gt.kl_divergence(gt.Normal(far, w), gt.Normal(far + w, 2 * w))
    ref = float(kl_normal(far, w, far + w, 2 * w))  # (at the locations as the floats hold them)
    assert got.converged and abs(float(got) - ref) <= got.error + 2e-16 * ref
    # W1 of U(a, a + w) and U(a + w/4, a + 2w): ∫ |Q_p - Q_q| = w ∫_0^1 |1/4 + 3t/4| dt = 5w/8
    u = w / 8
    got = gt.w1_distance(gt.Uniform(far, far + 8 * u), gt.Uniform(far + 2 * u, far + 16 * u))
    assert got.converged and abs(float(got) - 5 * u) <= got.error <= 1e-12 * 5 * u


@pytest.mark.parametrize("nu", ["2.0001", "2.01", "2.1", "2.5", "4"])
def test_kl_of_student_t_against_a_normal_near_its_divergence(nu):
    """KL(t_ν || N(0, 1)) = -h(t_ν) + log(2π)/2 + ν/(2(ν - 2)) (closed form; infinite at ν <= 2). Near
    ν = 2 most of it lies beyond |x| ~ 1e154, where log q overflows float64: the part that quadrature
    cannot reach must be inside the error bar, both tails of it, and the result flagged."""
    with mp.workdps(30):
        v = mp.mpf(nu)
        h = (v + 1) / 2 * (mp.digamma((v + 1) / 2) - mp.digamma(v / 2)) + mp.log(mp.sqrt(v) * mp.beta(v / 2, 0.5))
        want = float(-h + mp.log(2 * mp.pi) / 2 + v / (v - 2) / 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.kl_divergence(gt.StudentT(float(nu), 0.0, 1.0), gt.Normal(0.0, 1.0))
    assert abs(float(got) - want) <= got.error
    flagged = any(issubclass(w.category, gt.AccuracyWarning) for w in caught)
    assert got.converged == (not flagged) == (got.error <= 1e-11 * want)


@pytest.mark.parametrize("s", [1.0 + 1e-8, 1.0 + 1e-4, 2.0])
def test_tv_of_nearly_equal_normals_against_its_closed_form(s):
    """TV(N(0, 1), N(0, s²)) = 2 (Φ(c) - Φ(c / s)) with c² = 2 s² log s / (s² - 1) (40-digit mpmath). Near
    s = 1 the densities cross at a shallow angle, so the crossings are known only to ~1e-7; the kink this
    leaves inside a panel is of second order and must not cost the result its accuracy or its bar (which
    cannot go below the round-off of p - q, about 1e-15 here, however small TV is)."""
    with mp.workdps(40):
        t = mp.mpf(s)
        c = mp.sqrt(2 * t**2 * mp.log(t) / (t**2 - 1))
        want = float(2 * (mp.ncdf(c) - mp.ncdf(c / t)))
    got = gt.tv_distance(gt.Normal(0.0, 1.0), gt.Normal(0.0, s))
    assert got.converged and abs(float(got) - want) <= got.error <= 1e-12 * want + 1e-14


@pytest.mark.parametrize("b", [0.3, 0.45, 0.49, 0.499, 0.4999])
def test_kl_of_a_one_sided_power_tail_against_a_normal(b):
    """X = e^L, L ~ Laplace(0, b), has a power tail x^-(1/b + 1) on the right only (its left end is 0).
    KL(X || N(0, 1)) = -h(X) + log(2π)/2 + E[X²]/2 with h(X) = h(L) + E[L] = 1 + log 2b and
    E[X²] = E[e^{2L}] = 1/(1 - 4b²): finite for b < 1/2, with ever more of it past 1e154 as b nears 1/2.
    That part sits in one tail only, and must still be inside the bar."""
    want = -(1.0 + math.log(2.0 * b)) + 0.5 * math.log(2.0 * math.pi) + 0.5 / (1.0 - 4.0 * b * b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = gt.kl_divergence(gt.Pushforward(gt.Laplace(0.0, b), gt.Exp()), gt.Normal(0.0, 1.0))
    assert abs(float(got) - want) <= got.error
    flagged = any(issubclass(w.category, gt.AccuracyWarning) for w in caught)
    assert got.converged == (not flagged) == (got.error <= 1e-11 * want)


def test_a_narrow_peak_inside_a_wide_uniform_far_from_zero():
    """N(a + 1/2, 1e-3) inside U(a, a + 10), a = 1e6: the narrow normal makes the pair move to 0 (exactly,
    both together), and the uniform must arrive whole. JSD against 30-digit mpmath in coordinates
    relative to a (a + 1/2 and a + 10 are exact floats); the normal's mass outside the uniform is 500
    standard deviations away."""
    far = 1e6
    with mp.workdps(30):
        m, s = mp.mpf(0.5), mp.mpf(1e-3)
        p = lambda x: mp.npdf(x, m, s)  # noqa: E731
        inner = lambda x: p(x) * mp.log(2 * p(x) / (p(x) + 0.1)) + 0.1 * mp.log(0.2 / (p(x) + 0.1))  # noqa: E731
        want = float(mp.quad(inner, [0, m - 40 * s, m - 5 * s, m, m + 5 * s, m + 40 * s, 10]) / 2)
    got = gt.js_divergence(gt.Normal(far + 0.5, 1e-3), gt.Uniform(far, far + 10))
    assert abs(float(got) - want) <= got.error <= 1e-12 * want


def test_a_break_at_the_end_of_the_float_range():
    """A break at the largest float (panels as wide as 1e308, masses on them summed past float64 by the
    exact summation) leaves the closed forms: W1(N(0, 1), N(δ, 1)) = δ, KL = δ²/2, TV = 2Φ(δ/2) - 1."""
    p, q, breaks = gt.Normal(0.0, 1.0), gt.Normal(0.5, 1.0), (0.0, 1.797693134862166e308)
    for got, want in ((gt.w1_distance(p, p, rtol=1.0, breaks=breaks), 0.0), (gt.w1_distance(p, q, breaks=breaks), 0.5),
                      (gt.kl_divergence(p, q, breaks=breaks), 0.125),
                      (gt.tv_distance(p, q, breaks=breaks), 2 * float(mp.ncdf(0.25)) - 1)):
        assert got.converged and abs(float(got) - want) <= got.error + 1e-15


@pytest.mark.parametrize("d", [30.0, 40.0, 60.0, 100.0, 1000.0])
def test_jsd_of_pairs_far_apart_is_log_2_within_a_small_bar(d):
    """Normals, and a uniform against a narrow normal, d >= 30 apart: JSD = log 2 - ε with ε below 1e-48
    (the overlap of the tails, 15 standard deviations out); the result is log 2 within its bar, and the
    bar is small."""
    for p, q in ((gt.Normal(0, 1), gt.Normal(d, 1)), (gt.Normal(0, 1), gt.Normal(d, 0.01)),
                 (gt.Uniform(0, 1), gt.Normal(d, 0.1))):
        got = gt.js_divergence(p, q)
        assert got.converged and abs(float(got) - math.log(2)) <= got.error <= 2e-13


def test_f_divergence_beyond_the_ratios_float64_can_hold():
    """Student-t(3) against N(0, 1): p/q passes e^700 from |x| = 37 on, where t(3) still has 1e-5 of its
    mass. A callable f is integrated there through f_inf = lim f(u)/u (with a bound on the rest, for
    convex f): H² = 1 - ∫ sqrt(p q) against 30-digit mpmath, converged. Without a finite f_inf (KL's
    u log u) that part cannot be bounded: not converged, an infinite bar and a warning (it was 0.5586,
    converged with a 2.7e-13 bar, against the true 0.6455)."""
    p, q = gt.StudentT(3.0, 0.0, 1.0), gt.Normal(0.0, 1.0)
    with mp.workdps(30):
        c = mp.gamma(2) / (mp.sqrt(3 * mp.pi) * mp.gamma(mp.mpf(3) / 2))
        root = lambda x: mp.sqrt(c * (1 + x * x / 3) ** -2 * mp.npdf(x))  # noqa: E731
        want = float(1 - 2 * mp.quad(root, [0, 1, 5, 20, 60, mp.inf]))
    got = gt.f_divergence(p, q, lambda u: 0.5 * (np.sqrt(u) - 1.0) ** 2, f_inf=0.5)
    assert got.converged and abs(float(got) - want) <= got.error <= 1e-12 * want
    with pytest.warns(gt.AccuracyWarning, match="f_inf"):
        kl = gt.f_divergence(p, q, lambda u: u * np.log(u))
    assert not kl.converged and kl.error == math.inf
