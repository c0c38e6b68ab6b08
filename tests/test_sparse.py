"""Sparse grids in three to six dimensions (``rule="sparse"``, the default from d = 3): right to the last
digits on the estimator benchmark's pairs, within their error bars against closed forms on random pairs,
and not converged, with a warning, where the rule cannot resolve the densities in its budget."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from oracle import mvn_h2
from reference import kl_mvn

import gantheory as gt
from gantheory.quadrature import _SparseAxis


def _mp_refs():
    """KL and JSD of the benchmark's pairs, which reduce to one-dimensional integrals, at 30 digits."""
    with mp.workdps(30):
        nrm = lambda m: (lambda x: mp.exp(-((x - m) ** 2) / 2) / mp.sqrt(2 * mp.pi))  # noqa: E731
        mix = lambda x: (nrm(-1.5)(x) + nrm(1.5)(x)) / 2  # noqa: E731
        pts = [-mp.inf, -3, -1.5, 0, 0.5, 1.5, 3, mp.inf]

        def jsd(p, q):
            return mp.quad(lambda x: (p(x) * mp.log(2 * p(x) / (p(x) + q(x)))
                                      + q(x) * mp.log(2 * q(x) / (p(x) + q(x)))) / 2, pts)

        return {"gauss": {"kl": 1.5**2 / 2, "js": float(jsd(nrm(0), nrm(1.5)))},
                "mixture": {"kl": float(mp.quad(lambda x: mix(x) * mp.log(mix(x) / nrm(0.5)(x)), pts)),
                            "js": float(jsd(mix, nrm(0.5)))}}


REFS = _mp_refs()


def _panel(d, seed=0):
    """The estimator benchmark's pairs: equal-covariance normals 1.5 apart (Mahalanobis), and an even
    mixture of N(±1.5 e, I) against N(0.5 e, I), along random directions."""
    rng = np.random.default_rng(seed + d)
    rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
    cov = rot @ np.diag(np.exp(rng.uniform(-0.5, 0.5, d))) @ rot.T
    u = rng.normal(size=d)
    u /= math.sqrt(u @ np.linalg.solve(cov, u))
    e = rot[:, 0]
    return {"gauss": (gt.MultivariateNormal(np.zeros(d), cov), gt.MultivariateNormal(1.5 * u, cov)),
            "mixture": (gt.Mixture([gt.MultivariateNormal(s * 1.5 * e, np.eye(d)) for s in (-1.0, 1.0)], [0.5, 0.5]),
                        gt.MultivariateNormal(0.5 * e, np.eye(d)))}


@pytest.mark.parametrize("d", [3, 4, 5, 6])
@pytest.mark.parametrize("pair", ["gauss", "mixture"])
@pytest.mark.parametrize("quantity", ["kl", "js"])
def test_benchmark_pairs_to_the_last_digits(d, pair, quantity):
    p, q = _panel(d)[pair]
    fn = gt.kl_divergence if quantity == "kl" else gt.js_divergence
    est = fn(p, q, rule="sparse", rtol=1e-10)
    ref = REFS[pair][quantity]
    assert est.converged
    assert abs(float(est) - ref) <= est.error
    assert abs(float(est) - ref) <= 1e-12 * ref
    assert est.neval < 2000  # (the spread of these pairs lies along one axis of the frame)


def _kl_mvn(m1, s1, m2, s2):
    """KL of two normals in closed form, at mpmath's precision (``reference.kl_mvn``)."""
    return float(kl_mvn(*(np.asarray(a, float).tolist() for a in (m1, s1, m2, s2))))


def _h2_mvn(m1, s1, m2, s2):
    """Squared Hellinger of two normals in closed form, at mpmath's precision (``oracle.mvn_h2``)."""
    return float(mvn_h2(*(np.asarray(a, float).tolist() for a in (m1, s1, m2, s2))))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rtol", [1e-3, 1e-6])
def test_normals_of_different_covariances_are_within_their_bars(seed, rtol):
    """Random rotated normals in d = 3 and 4, covariance eigenvalues over e^±1: KL and H² against their
    closed forms, converged or not."""
    rng = np.random.default_rng(seed)
    d = 3 + seed % 2

    def cov():
        rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
        return rot @ np.diag(np.exp(rng.uniform(-1.0, 1.0, d))) @ rot.T

    m1, m2, s1, s2 = rng.normal(size=d), rng.normal(size=d), cov(), cov()
    p, q = gt.MultivariateNormal(m1, s1), gt.MultivariateNormal(m2, s2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        for est, ref in ((gt.kl_divergence(p, q, rtol=rtol), _kl_mvn(m1, s1, m2, s2)),
                         (gt.hellinger(p, q, rtol=rtol), _h2_mvn(m1, s1, m2, s2))):
            assert abs(float(est) - ref) <= est.error, (float(est), ref, est.error)
            if est.converged:
                assert est.error <= 10 * max(rtol * abs(ref), 1e-13)


@pytest.mark.parametrize("seed", range(8))
def test_normals_of_one_covariance_on_the_sparse_rule_are_within_their_bars(seed):
    """Two normals of one random covariance in d = 3 to 6, forced onto the sparse rule (the default
    computes them as a one-dimensional pair): KL and H² against their closed forms."""
    rng = np.random.default_rng(100 + seed)
    d = 3 + seed % 4
    rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
    s = rot @ np.diag(np.exp(rng.uniform(-1.0, 1.0, d))) @ rot.T
    m1, m2 = rng.normal(size=d), rng.normal(size=d) * rng.uniform(0.1, 2.0)
    p, q = gt.MultivariateNormal(m1, s), gt.MultivariateNormal(m2, s)
    for rtol in (1e-3, 1e-8):
        for est, ref in ((gt.kl_divergence(p, q, rtol=rtol, rule="sparse"), _kl_mvn(m1, s, m2, s)),
                         (gt.hellinger(p, q, rtol=rtol, rule="sparse"), _h2_mvn(m1, s, m2, s))):
            assert est.converged
            assert abs(float(est) - ref) <= est.error, (float(est), ref, est.error)


@pytest.mark.parametrize("d", [4, 5])
def test_several_covariances_go_sparse_where_the_tensor_grid_would_not_fit(d):
    """Two normals of different covariances: the tensor rule's first two grids fit in the default budget
    up to d = 3 only (in d = 4 here, 1.2e7 nodes before refinement), so from there the default is the
    sparse rule, where a tensor grid once refused the pair with a ValueError."""
    rng = np.random.default_rng(d)

    def cov():
        rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
        return rot @ np.diag(np.exp(rng.uniform(-0.5, 0.5, d))) @ rot.T

    m1, m2, s1, s2 = rng.normal(size=d), rng.normal(size=d), cov(), cov()
    p, q = gt.MultivariateNormal(m1, s1), gt.MultivariateNormal(m2, s2)
    est = gt.kl_divergence(p, q, rtol=1e-6)
    assert est.converged and est.neval < 1e7  # (in d = 5 2.9e6, where the tensor rule's first grid has 2.3e8)
    assert abs(float(est) - _kl_mvn(m1, s1, m2, s2)) <= est.error <= 1e-5 * float(est)
    if d == 5:  # (2.3e8 nodes on its coarsest grid)
        with pytest.raises(ValueError, match="rule='sparse'"):
            gt.kl_divergence(p, q, rtol=1e-6, rule="tensor")


@pytest.mark.parametrize("d", [3, 5])
def test_a_normal_sixty_deviations_from_a_mixture_is_not_an_infinite_kl(d):
    """The rules' weights carry phi(y), which underflows 38 deviations out while the densities there are
    not small: KL(mixture || normal 60 deviations away) once overflowed to inf with converged=True (and
    JSD came out log 2 with an error of 0). Both against the one-dimensional reduction by mpmath."""
    e = np.eye(d)[0]
    b, c = 5.015634917828317, 60.00456664467599
    p = gt.Mixture([gt.MultivariateNormal(0.0 * e, np.eye(d)), gt.MultivariateNormal(b * e, np.eye(d))], [0.5, 0.5])
    q = gt.MultivariateNormal(c * e, np.eye(d))
    with mp.workdps(40):
        def pm(x):
            return (mp.npdf(x, 0, 1) + mp.npdf(x, b, 1)) / 2

        pts = [-mp.inf, -5, 0, b, 10, 30, c, mp.inf]
        kl = mp.quad(lambda x: pm(x) * (mp.log(pm(x)) - mp.log(mp.npdf(x, c, 1))), pts)
        js = mp.quad(lambda x: (pm(x) * mp.log(2 * pm(x) / (pm(x) + mp.npdf(x, c, 1)))
                                + mp.npdf(x, c, 1) * mp.log(2 * mp.npdf(x, c, 1) / (pm(x) + mp.npdf(x, c, 1)))) / 2,
                     pts)
    for est, ref in ((gt.kl_divergence(p, q), kl), (gt.js_divergence(p, q), js)):
        assert est.converged and abs(mp.mpf(float(est)) - ref) <= est.error <= 1e-9 * abs(ref)


def test_tv_is_not_given_to_the_sparse_rule_and_its_tensor_bar_covers_the_kink():
    """|p - q| has a kink where p = q: the sparse rule, whose estimate assumes geometric convergence, once
    gave TV of a mixture of two unit normals (means 3 apart) against a unit normal in d = 3 as
    0.3920124 with an error of 2e-9 and converged=True, 1.1e-7 from the truth. TV is refused on the
    sparse rule and stays on the tensor rule by default, whose estimate follows the uneven h² convergence
    across the kink (once 1.8e-4 where the error was 3.5e-4)."""
    d, e = 3, np.eye(3)[0]
    a, b, c = 0.0, 3.004129249068651, 1.496562556312588
    p = gt.Mixture([gt.MultivariateNormal(a * e, np.eye(d)), gt.MultivariateNormal(b * e, np.eye(d))], [0.5, 0.5])
    q = gt.MultivariateNormal(c * e, np.eye(d))
    with pytest.raises(ValueError, match="kink"):
        gt.tv_distance(p, q, rule="sparse")
    with mp.workdps(30):  # the pair differs along e only: TV is that of the one-dimensional pair
        def gap(x):
            return (mp.npdf(x, a, 1) + mp.npdf(x, b, 1)) / 2 - mp.npdf(x, c, 1)

        roots = sorted(float(mp.findroot(gap, x0)) for x0 in (0.3, 2.7))
        ref = float(mp.quad(lambda x: abs(gap(x)) / 2, [-mp.inf, *roots, mp.inf]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        est = gt.tv_distance(p, q, rtol=1e-3, max_nodes=2e6)
    assert abs(float(est) - ref) <= est.error


def test_a_budget_too_small_is_not_converged_and_warns():
    p, q = _panel(4)["mixture"]
    with pytest.warns(gt.AccuracyWarning, match="sparse-grid"):
        est = gt.js_divergence(p, q, rule="sparse", max_nodes=50)
    assert not est.converged
    assert abs(float(est) - REFS["mixture"]["js"]) <= est.error


def test_far_apart_narrow_modes_are_resolved_or_flagged():
    """Two narrow modes 40 deviations apart in d = 3 against a wide normal: the frame's first step is a
    mode's width, so the rule must find both modes; whatever it returns lies within its bar."""
    e = np.array([1.0, 0.0, 0.0])
    p = gt.Mixture([gt.MultivariateNormal(s * 20.0 * e, 0.25 * np.eye(3)) for s in (-1, 1)], [0.3, 0.7])
    q = gt.MultivariateNormal(np.zeros(3), 400.0 * np.eye(3))
    # the reference: both modes are far apart, so KL splits into the two components' KL against q
    ref = sum(w * (_kl_mvn(s * 20.0 * e, 0.25 * np.eye(3), np.zeros(3), 400.0 * np.eye(3)) - math.log(w))
              for w, s in ((0.3, -1), (0.7, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        est = gt.kl_divergence(p, q, rtol=1e-8, rule="sparse")
    assert abs(float(est) - ref) <= est.error + 1e-12 * ref  # (the split is exact to ~e^-800)


def test_the_rule_option():
    p, q = gt.MultivariateNormal([0.0, 0.0], np.eye(2)), gt.MultivariateNormal([1.0, 0.5], np.eye(2))
    assert float(gt.kl_divergence(p, q, rule="sparse")) == pytest.approx(0.625, rel=1e-13)
    with pytest.raises(ValueError, match="rule"):
        gt.kl_divergence(p, q, rule="simpson")
    p3, q3 = _panel(3)["mixture"]
    tensor = gt.kl_divergence(p3, q3, rule="tensor", rtol=1e-6)
    assert abs(float(tensor) - REFS["mixture"]["kl"]) <= tensor.error


def test_the_one_dimensional_rules_nest_and_integrate_the_weight_exactly():
    axis = _SparseAxis(-9.0, 11.0, 1.0)
    for lev in range(1, 6):
        axis.level(lev)
        assert np.all(np.isin(axis.ids[lev - 1], axis.ids[lev]))  # nested
        y = axis.ids[lev] * axis.unit
        w = axis.weights[lev] * np.exp(-0.5 * y * y) / math.sqrt(2 * math.pi)  # (kept over phi(y))
        assert math.fsum(w) == pytest.approx(1.0, abs=1e-15)
        # and the second moment of the standard normal, geometrically as the step halves
        if lev >= 3:
            assert abs(float(np.dot(w, y * y)) - 1.0) < 1e-12
