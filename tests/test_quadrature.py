"""Quadrature: moments and closed-form expectations, singular ends, heavy tails, tensor rules."""

import math

import numpy as np
import pytest
from scipy import special

import gantheory as gt
from gantheory.quadrature import expect_nodes, expectation


def test_normal_moments_are_exact():
    n = gt.Normal(0.7, 1.9)
    for k, ref in [(0, 1.0), (1, 0.7), (2, 0.7**2 + 1.9**2), (4, 0.7**4 + 6 * 0.7**2 * 1.9**2 + 3 * 1.9**4)]:
        assert expectation(n, lambda x, k=k: x**k) == pytest.approx(ref, rel=1e-14)


@pytest.mark.parametrize("a", [0.05, 0.3, 0.5, 1.5, 7.3])
def test_beta_log_moment_with_singular_end(a):
    """E_{Beta(a,b)}[log X] = ψ(a) - ψ(a+b): an x^(a-1) log x singularity at 0."""
    b = 0.4
    got = expectation(gt.Beta(a, b), np.log)
    assert got == pytest.approx(special.digamma(a) - special.digamma(a + b), rel=1e-12)


def test_heavy_tail_expectation():
    """E_Cauchy[1/(1+X²)] = 1/2 and E_t(1.5)[|X|] = 2 sqrt(ν) Γ((ν+1)/2) / ((ν-1) sqrt(π) Γ(ν/2))."""
    assert expectation(gt.Cauchy(0, 1), lambda x: 1 / (1 + x * x)) == pytest.approx(0.5, rel=1e-13)
    nu = 1.5
    ref = 2 * math.sqrt(nu) * math.gamma((nu + 1) / 2) / ((nu - 1) * math.sqrt(math.pi) * math.gamma(nu / 2))
    assert expectation(gt.StudentT(nu), np.abs) == pytest.approx(ref, rel=1e-11)


def test_laplace_kink_and_uniform_edges_are_panel_edges():
    assert expectation(gt.Laplace(0.3, 2), lambda x: np.abs(x - 0.3)) == pytest.approx(2.0, rel=1e-14)
    u = gt.Uniform(-1, 3)
    assert expectation(u, lambda x: x**3) == pytest.approx((81 - 1) / 16, rel=1e-14)


def test_error_estimate_bounds_the_true_error():
    r = gt.js_divergence(gt.Laplace(0, 1), gt.Laplace(1, 2), rtol=1e-6)
    ref = 0.09748601850558377264744131
    assert abs(r - ref) <= r.error
    assert r.error <= 1e-6 * r


def test_tensor_rule_closed_forms_in_two_and_three_dimensions():
    a = np.array([[1.0, 0.2, 0.1], [0.2, 2.0, 0.3], [0.1, 0.3, 0.5]])
    b = 0.7 * np.eye(3)
    m2 = np.array([0.5, 0.0, -0.5])
    bi = np.linalg.inv(b)
    ref = 0.5 * (np.trace(bi @ a) + m2 @ bi @ m2 - 3 + math.log(np.linalg.det(b) / np.linalg.det(a)))
    got = gt.kl_divergence(gt.MultivariateNormal([0, 0, 0], a), gt.MultivariateNormal(m2, b), rtol=1e-10)
    assert got == pytest.approx(ref, rel=1e-10)


def test_tensor_rule_mixture_in_2d():
    """A 2-D mixture integrates to one and has the mixture mean."""
    m = gt.Mixture([gt.MultivariateNormal([0, 0], np.eye(2)), gt.MultivariateNormal([4, 1], 0.3 * np.eye(2))],
                   [0.6, 0.4])
    assert gt.kl_divergence(m, m) == 0.0
    jsd = gt.js_divergence(m, gt.MultivariateNormal([1.6, 0.4], 3 * np.eye(2)))
    assert 0 < jsd < math.log(2) and jsd.converged


def test_budget_of_the_tensor_rule():
    """A grid budget that stops the refinement warns; one too small for even the coarsest grid refuses."""
    p = gt.MultivariateNormal([0, 0], np.eye(2))
    q = gt.MultivariateNormal([0.5, 0], 0.3 * np.eye(2))
    with pytest.warns(gt.AccuracyWarning, match="max_nodes"):
        r = gt.js_divergence(p, q, max_nodes=6000)
    assert not r.converged and math.isfinite(r)
    with pytest.raises(ValueError, match="max_nodes"):
        gt.js_divergence(p, gt.MultivariateNormal([0, 0], 1e-4 * np.eye(2)), max_nodes=1e4)


@pytest.mark.parametrize("density", [gt.StudentT(3), gt.Laplace(0, 1), gt.Cauchy(0, 1)], ids=repr)
def test_far_breakpoints_do_not_hide_tail_mass(density):
    """A straight panel from the bulk to a breakpoint 1e8-1e11 scales away had no node where the tail keeps
    its mass (StudentT(3) integrated to 0.99787 with a reported error of 6e-15): total mass 1."""
    for far in (1e8, 1e11):
        got = expect_nodes(density, lambda nodes: np.ones(len(nodes.x)), breaks=[-far, far])
        assert float(got) == pytest.approx(1.0, abs=1e-13)
        assert abs(float(got) - 1.0) <= max(got.error, 4e-16)


@pytest.mark.parametrize(("kwargs", "error", "pattern"), [
    ({"error": -1e-16}, ValueError, "error must be >= 0"), ({"error": math.nan}, ValueError, "error must be >= 0"),
    ({"neval": -1}, ValueError, "neval must be >= 0"), ({"neval": 2.5}, TypeError, "integer"),
    ({"method": None}, TypeError, "method"), ({"method": ""}, TypeError, "method"),
    ({"converged": None}, TypeError, "converged"), ({"converged": "yes"}, TypeError, "converged"),
])
def test_an_estimate_is_well_formed(kwargs, error, pattern):
    """Every Estimate the package returns has a non-negative error bar (inf allowed, NaN not), a count of
    evaluations, a method and a converged flag: a bookkeeping slip that would make a bar negative or a flag
    undefined fails where it is made."""
    with pytest.raises(error, match=pattern):
        gt.Estimate(1.0, **kwargs)
    est = gt.Estimate(1.0, math.inf, np.int64(3), "mc", np.bool_(False))
    assert (est.error, est.neval, est.method, est.converged) == (math.inf, 3, "mc", False)


def test_a_sum_of_estimates_adds_the_bars():
    """Two estimates of separate integrals: the sum's bar is the sum of the bars plus the rounding of the
    sum; converged only if both are; an infinite sum is exact."""
    from gantheory.quadrature import _summed

    a, b = gt.Estimate(0.1, 1e-13, 10, "quad", True), gt.Estimate(0.2, 2e-13, 20, "quad", False)
    s = _summed(a, b)
    assert float(s) == 0.1 + 0.2 and s.neval == 30 and not s.converged
    assert 3e-13 < s.error <= 3e-13 + 2.3e-16 * 0.3
    inf = _summed(gt.Estimate(-math.inf, 0.0, 5), b)
    assert float(inf) == -math.inf and inf.error == 0.0 and inf.converged and inf.neval == 25


def test_an_integrand_shared_by_several_integrals_is_evaluated_once_per_nodes():
    """per_nodes: one evaluation per set of nodes, a new one for new nodes, the same values either way."""
    from gantheory.quadrature import per_nodes

    calls = []

    @per_nodes
    def f(nodes):
        calls.append(nodes)
        return np.cos(nodes.x)

    seen = []
    g = gt.Normal(0.3, 1.2)
    first = expect_nodes(g, lambda nodes: seen.append(nodes) or f(nodes))
    second = expect_nodes(g, lambda nodes: f(nodes) ** 2 * 0 + f(nodes))
    assert float(first) == float(second) == pytest.approx(math.cos(0.3) * math.exp(-0.72), rel=1e-12)
    assert len(calls) == len({id(n) for n in calls}) >= len(seen)
