"""Densities: log-densities against scipy.stats and closed forms, far tails, CDFs, scores, sampling."""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, stats
from tolerances import LOGPDF_REL

import gantheory as gt


class _MpBeta:
    """Beta(a, b) in 40-digit mpmath: scipy's betaln(0.05, 1e3) is off by 8.5e-13, more than LOGPDF_REL
    allows at log p ~ 3, so this family is checked against the definition instead."""

    def __init__(self, a, b):
        self.a, self.b = mp.mpf(a), mp.mpf(b)

    def _each(self, fn, x):
        with mp.workdps(40):
            return np.array([float(fn(mp.mpf(float(v)))) for v in np.atleast_1d(x)])

    def logpdf(self, x):
        return self._each(lambda v: (self.a - 1) * mp.log(v) + (self.b - 1) * mp.log1p(-v)
                          - mp.log(mp.beta(self.a, self.b)), x)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        return self._each(lambda v: mp.betainc(self.a, self.b, 0, v, regularized=True), x)

    def sf(self, x):
        # the upper tail as the lower tail of Beta(b, a) at 1 - x: no 1 - (1 - tiny) cancellation
        return self._each(lambda v: mp.betainc(self.b, self.a, 0, 1 - v, regularized=True), x)


X = np.array([-30.0, -7.5, -1.0, -0.1, 0.0, 0.2, 1.0, 3.3, 12.0, 45.0])
U01 = np.array([1e-12, 1e-3, 0.1, 0.5, 0.77, 0.999, 1 - 1e-9])

FAMILIES = [
    (gt.Normal(0.3, 1.7), stats.norm(0.3, 1.7), X),
    (gt.Laplace(-0.5, 0.8), stats.laplace(-0.5, 0.8), X),
    (gt.Cauchy(1.0, 2.5), stats.cauchy(1.0, 2.5), X),
    (gt.StudentT(1.5, 0.2, 1.3), stats.t(1.5, 0.2, 1.3), X),
    (gt.StudentT(30.0), stats.t(30.0), X),
    (gt.Uniform(-1.0, 2.0), stats.uniform(-1.0, 3.0), np.array([-1.0, -0.5, 0.0, 1.9, 2.0])),
    (gt.Beta(0.5, 0.5), stats.beta(0.5, 0.5), U01),
    (gt.Beta(2.0, 5.0), stats.beta(2.0, 5.0), U01),
    (gt.Beta(0.05, 1e3), _MpBeta(0.05, 1e3), U01[:-2]),
    (gt.Beta(1e3, 1.1e3), _MpBeta(1e3, 1.1e3), np.array([0.3, 0.45, 0.47, 0.4762, 0.48, 0.5, 0.6])),
]
IDS = [repr(f[0]) for f in FAMILIES]


@pytest.mark.parametrize(("dens", "ref", "x"), FAMILIES, ids=IDS)
def test_logpdf_matches_scipy(dens, ref, x):
    np.testing.assert_allclose(dens.logpdf(x), ref.logpdf(x), rtol=LOGPDF_REL)
    np.testing.assert_allclose(dens.pdf(x), ref.pdf(x), rtol=1e-12)


@pytest.mark.parametrize(("dens", "ref", "x"), FAMILIES, ids=IDS)
def test_cdf_and_sf_match_scipy(dens, ref, x):
    np.testing.assert_allclose(dens.cdf(x), ref.cdf(x), rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(dens.sf(x), ref.sf(x), rtol=1e-11, atol=1e-300)


@pytest.mark.parametrize(("dens", "ref", "x"), FAMILIES, ids=IDS)
def test_samples_follow_the_cdf(dens, ref, x):
    """Kolmogorov-Smirnov with a fixed seed: p-value far from rejection."""
    s = dens.sample(4000, rng=np.random.default_rng(7))
    assert s.shape == (4000,)
    assert stats.kstest(s, dens.cdf).pvalue > 1e-3


@pytest.mark.parametrize(("dens", "ref", "x"), FAMILIES[:5], ids=IDS[:5])
def test_score_is_derivative_of_logpdf(dens, ref, x):
    x = x[np.abs(x - getattr(dens, "loc", 0.0)) > 1e-3]  # away from the Laplace kink
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    fd = (dens.logpdf(x + h) - dens.logpdf(x - h)) / (2 * h)
    np.testing.assert_allclose(dens.score(x), fd, rtol=1e-6, atol=1e-9)


def test_far_tails_are_exact_not_log_of_underflow():
    """logpdf stays exact where pdf underflows to 0."""
    assert gt.Normal(0, 1).pdf(40.0) == 0.0
    assert gt.Normal(0, 1).logpdf(40.0) == pytest.approx(-800 - 0.5 * math.log(2 * math.pi), rel=1e-15)
    assert gt.Laplace(0, 1).logpdf(1e4) == pytest.approx(-1e4 - math.log(2), rel=1e-15)
    # Cauchy at 1e200: log p = -log π - 2 log(1e200) (z² overflows float64)
    assert gt.Cauchy(0, 1).logpdf(1e200) == pytest.approx(-math.log(math.pi) - 400 * math.log(10), rel=1e-14)
    nu = 1.5
    lt = gt.StudentT(nu).logpdf(1e250)
    ref = (math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
           - (nu + 1) / 2 * (2 * 250 * math.log(10) - math.log(nu)))
    assert lt == pytest.approx(ref, rel=1e-14)


def test_beta_end_offsets_keep_digits_below_float_spacing():
    """Near x = 1 the Beta density is evaluated through the distance to the end."""
    b = gt.Beta(0.5, 0.5)
    d = 1e-30
    exact = -0.5 * math.log(d) - math.log(math.pi)  # x^(-1/2) (1-x)^(-1/2) / B(1/2, 1/2), x ≈ 1
    assert b._logpdf_offset(1.0, np.array([-d]))[0] == pytest.approx(exact, rel=1e-15)
    assert b._logpdf_offset(0.0, np.array([d]))[0] == pytest.approx(exact, rel=1e-15)


def test_beta_boundary_values_are_never_nan():
    assert gt.Beta(1.0, 1.0).logpdf(0.0) == 0.0
    assert gt.Beta(1.0, 3.0).logpdf(1.0) == -math.inf
    assert gt.Beta(0.5, 1.0).logpdf(0.0) == math.inf
    assert gt.Beta(2.0, 2.0).logpdf(-0.1) == -math.inf


@pytest.mark.parametrize("dens", [gt.Normal(1, 2), gt.Laplace(0, 3), gt.Beta(0.5, 2), gt.Uniform(2, 5),
                                  gt.StudentT(3, 1, 2)], ids=repr)
def test_densities_integrate_to_one_independently(dens):
    """scipy.integrate.quad on the pdf (independent of gantheory's quadrature)."""
    lo, hi = dens.support
    pts = [p for p in (getattr(dens, "loc", None),) if p is not None and lo < p < hi]
    total = sum(integrate.quad(dens.pdf, a, b, epsabs=0, epsrel=1e-12, limit=200)[0]
                for a, b in zip([lo, *pts], [*pts, hi]))
    assert total == pytest.approx(1.0, abs=1e-10)


def test_mixture_logpdf_sampling_and_cdf():
    comps = [gt.Normal(-2, 0.5), gt.Laplace(1, 1), gt.Cauchy(4, 0.3)]
    w = [0.2, 0.5, 0.3]
    m = gt.Mixture(comps, w)
    x = np.linspace(-10, 10, 41)
    ref = np.log(sum(wi * c.pdf(x) for wi, c in zip(w, comps)))
    np.testing.assert_allclose(m.logpdf(x), ref, rtol=1e-13)
    np.testing.assert_allclose(m.cdf(x), sum(wi * c.cdf(x) for wi, c in zip(w, comps)), rtol=1e-13)
    s = m.sample(5000, rng=1)
    assert stats.kstest(s, m.cdf).pvalue > 1e-3
    # far tail of a mixture in log space: logsumexp, not log of an underflowed sum
    far = gt.Mixture([gt.Normal(0, 1), gt.Normal(1, 1)], [0.5, 0.5]).logpdf(-60.0)
    assert far == pytest.approx(math.log(0.5) - 1800 - 0.5 * math.log(2 * math.pi), rel=1e-14)
    # the score of a mixture is the responsibility-weighted score
    h = 1e-6
    assert m.score(0.3) == pytest.approx((m.logpdf(0.3 + h) - m.logpdf(0.3 - h)) / (2 * h), rel=1e-6)


def test_mixture_with_zero_weight_component():
    m = gt.Mixture([gt.Normal(0, 1), gt.Normal(5, 1)], [1.0, 0.0])
    assert m.logpdf(0.7) == pytest.approx(gt.Normal(0, 1).logpdf(0.7), rel=1e-15)


def test_grid_density_interpolates_and_normalises_exactly():
    x = np.array([0.0, 1.0, 2.0, 4.0])
    v = np.array([0.0, 2.0, 2.0, 0.0])  # trapezoid area 1 + 2 + 2 = 5
    g = gt.GridDensity(x, v)
    assert g.pdf(0.5) == pytest.approx(0.2, rel=1e-15)
    assert g.pdf(3.0) == pytest.approx(0.2, rel=1e-15)
    assert g.logpdf(0.0) == -math.inf and g.logpdf(4.5) == -math.inf
    assert g.cdf(1.0) == pytest.approx(0.2, rel=1e-15)
    assert g.cdf(2.0) == pytest.approx(0.6, rel=1e-15)
    assert g.sf(3.0) == pytest.approx(0.1, rel=1e-14)
    s = g.sample(4000, rng=3)
    assert stats.kstest(s, g.cdf).pvalue > 1e-3
    assert g._mean() == pytest.approx(integrate.quad(lambda t: t * g.pdf(t), 0, 4, points=[1, 2])[0], rel=1e-12)


def test_grid_density_with_zero_run_has_a_hole():
    g = gt.GridDensity([0, 1, 2, 3, 4, 5], [1, 1, 0, 0, 1, 1])
    assert g.pdf(2.5) == 0.0
    assert gt.kl_divergence(gt.Uniform(0, 5), g) == math.inf


def test_multivariate_normal_matches_scipy():
    mean, cov = [0.5, -1.0, 2.0], [[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]]
    g = gt.MultivariateNormal(mean, cov)
    ref = stats.multivariate_normal(mean, cov)
    x = np.random.default_rng(0).normal(size=(7, 3)) * 3
    np.testing.assert_allclose(g.logpdf(x), ref.logpdf(x), rtol=1e-13)
    assert g.logpdf(x[0]).shape == ()
    s = g.sample(20000, rng=5)
    assert s.shape == (20000, 3)
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.06)


@pytest.mark.parametrize("cov", [[[1.0, 0.8], [0.8, 1.0]], [[2.0, -0.3], [-0.3, 0.5]], [[1e-8, 0.0], [0.0, 1e8]],
                                 [[1.0, 1.0 - 1e-9], [1.0 - 1e-9, 1.0]], [[1e250, 3e249], [3e249, 1e250]]])
def test_bivariate_normal_factor_against_lapack_and_mpmath(cov):
    """The 2x2 factor, its inverse and the condition number (written out in closed form) against LAPACK's
    factor and 40-digit eigenvalues; the log-density against 40-digit mpmath."""
    g, s = gt.MultivariateNormal([0.5, -1.0], cov), np.array(cov)
    ref = np.linalg.cholesky(s)
    np.testing.assert_allclose(g._chol, ref, rtol=1e-15 * np.linalg.cond(s), atol=0)
    np.testing.assert_allclose(g._chol_inv @ g._chol, np.eye(2), atol=1e-15 * math.sqrt(np.linalg.cond(s)))
    x = np.random.default_rng(1).normal(size=(5, 2)) * np.sqrt(np.diag(s)) + [0.5, -1.0]
    with mp.workdps(40):
        m = mp.matrix(cov)
        lam = sorted(mp.eigsy(m)[0])
        assert g._kappa == pytest.approx(float(2 * lam[1] / lam[0]), rel=1e-15 + 4e-16 * g._kappa)
        ref = [float(-(mp.matrix([t - 0.5, u + 1.0]).T * mp.inverse(m) * mp.matrix([t - 0.5, u + 1.0]))[0] / 2
                     - mp.log(2 * mp.pi) - mp.log(mp.det(m)) / 2) for t, u in x]
    np.testing.assert_allclose(g.logpdf(x), ref, rtol=1e-15 * np.linalg.cond(s))


@pytest.mark.parametrize("cov", [[[1.0, 2.0], [2.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]],
                                 [[1.0, 1.0], [1.0, 1.0]]])
def test_bivariate_normal_refuses_a_covariance_that_is_not_positive_definite(cov):
    with pytest.raises(ValueError, match="cov must be positive definite"):
        gt.MultivariateNormal([0.0, 0.0], cov)


def test_one_dimensional_multivariate_normal_is_a_normal():
    g = gt.MultivariateNormal([1.0], [[4.0]])
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(g.logpdf(x), gt.Normal(1, 2).logpdf(x), rtol=1e-14)
    assert g.dim == 1 and g.support == (-math.inf, math.inf)


def test_inputs_of_any_real_dtype_give_float64():
    n = gt.Normal(0, 1)
    for x in (np.arange(3), np.arange(3, dtype=np.float32), [0, 1, 2], (0.0, 1.0, 2.0)):
        out = n.logpdf(x)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, n.logpdf(np.arange(3.0)))
    assert isinstance(n.logpdf(0), float)


def test_sampling_is_reproducible_and_leaves_global_state_alone():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global state must stay untouched)
    a = gt.Mixture([gt.Normal(), gt.Cauchy()], [0.5, 0.5]).sample(10, rng=42)
    b = gt.Mixture([gt.Normal(), gt.Cauchy()], [0.5, 0.5]).sample(10, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_densities_pickle_after_use():
    """Cached quadrature hints and segments are left behind by pickling (multiprocessing works)."""
    import pickle

    p = gt.Mixture([gt.Normal(0, 1), gt.Beta(0.5, 0.5)], [0.5, 0.5])
    q = gt.Pushforward(gt.Laplace(0, 1), gt.Affine(2.0, 1.0))
    before = float(gt.js_divergence(p, q))
    p2, q2 = pickle.loads(pickle.dumps((p, q)))
    assert float(gt.js_divergence(p2, q2)) == before


def test_mixture_cdf_stays_within_unit_interval():
    """The weighted sum of component CDFs rounds to 1 + 2^-52 at x = 9 for these weights (before clipping,
    cdf(9) was 1.0000000000000002): it must not leave [0, 1]."""
    m = gt.Mixture([gt.Normal(0, 1)] * 3, [4 / 9, 3 / 9, 2 / 9])
    x = np.array([-40.0, 9.0, 40.0])
    assert np.all((m.cdf(x) >= 0) & (m.cdf(x) <= 1)) and np.all((m.sf(x) >= 0) & (m.sf(x) <= 1))
    assert m.cdf(40.0) == 1.0 and m.sf(-40.0) == 1.0


@pytest.mark.parametrize("a, b", [(1e8, 1.0000000001), (1.0000000001, 1e8), (463.5, 8774.7), (2.0, 3.0), (0.5, 3.0)])
def test_beta_far_landmarks_lie_where_the_density_has_fallen_72(a, b):
    """A Beta's outermost landmarks sit where log p is 72 below its peak, inside (0, 1); NaN where it never
    falls that far before the end, or where the mode rounds onto an end (a hypothesis example once
    divided by zero there)."""
    d = gt.Beta(a, b)
    with mp.workdps(40):
        A, B = mp.mpf(a), mp.mpf(b)
        mode = (A - 1) / (A + B - 2) if a > 1 and b > 1 else None
        for x in d._far:
            if math.isnan(x):
                continue
            assert 0.0 < x < 1.0 and mode is not None
            drop = (A - 1) * mp.log(mode / x) + (B - 1) * mp.log((1 - mode) / (1 - mp.mpf(x)))
            assert abs(float(drop) - 72.0) < 0.01


@pytest.mark.parametrize("df", [0.1, 0.5, 1.0, 3.0, 1e6])
def test_student_t_cdf_keeps_its_far_tails(df):
    """P(T <= z) = I_{ν/(ν+z²)}(ν/2, 1/2)/2 for z < 0 (60-digit mpmath), to a few ulps out to -1e300, where
    z² overflows inside scipy's stdtr (which returned 0: a Student-t with ν = 1 then differed from the
    Cauchy law by all of its tail); the survival function mirrors it."""
    z = np.array([-1e300, -1e200, -1e151, -1e149, -1e20, -3.0])
    with mp.workdps(60):
        want = np.array([float(mp.betainc(mp.mpf(df) / 2, mp.mpf(1) / 2, 0, mp.mpf(df) / (mp.mpf(df) + mp.mpf(v) ** 2),
                                          regularized=True) / 2) for v in z])
    t = gt.StudentT(df, 0.0, 1.0)
    got = t._cdf(z)
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=0.0)
    assert np.array_equal(t._sf(-z), got) and t._cdf(np.array([-np.inf]))[0] == 0.0
    if df == 1.0:
        np.testing.assert_allclose(got, gt.Cauchy(0.0, 1.0)._cdf(z), rtol=4e-16)


def test_a_mixture_of_many_components_keeps_its_memory_modest():
    """400 normals at 10^4 points: log-density, score and CDF against scipy's (a log-sum-exp over the
    components' own log-densities), within 4 ulps, while the memory held at once stays far below the
    32 MB of one components x points table (blocks of points: it was 230 MB, 10.7 GB at 1,000
    components and 10^5 points)."""
    import tracemalloc

    from scipy import special, stats

    rng = np.random.default_rng(3)
    k, n = 400, 10_000
    locs, scales = rng.normal(0, 10, k), rng.uniform(0.1, 2, k)
    m = gt.Mixture([gt.Normal(float(a), float(b)) for a, b in zip(locs, scales)], np.full(k, 1 / k))
    x = np.linspace(-60, 60, n)
    tracemalloc.start()
    try:
        got, score, cdf = m.logpdf(x), m.score(x), m.cdf(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6
    logs = stats.norm.logpdf(x[None, :], locs[:, None], scales[:, None]) - np.log(k)
    want = special.logsumexp(logs, axis=0)
    np.testing.assert_allclose(got, want, rtol=4 * 2.2e-16)
    resp = np.exp(logs - want)
    np.testing.assert_allclose(score, np.sum(resp * (locs[:, None] - x) / scales[:, None] ** 2, axis=0),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cdf, np.mean(stats.norm.cdf(x[None, :], locs[:, None], scales[:, None]), axis=0),
                               rtol=1e-13, atol=1e-300)
