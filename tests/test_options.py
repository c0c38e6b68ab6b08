"""Every public option checked against the mathematics it names (docs/theory.md B1).

``base=``: a divergence in base ``b`` is the divergence in nats divided by ``log b`` (bits: by
``log 2``), for every function that takes it and every method. ``method=``: every method of every
divergence that takes one estimates the same quantity, checked against closed forms within the error
it reports. References are closed forms or 30-digit mpmath.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from reference import kl_normal

import gantheory as gt

P, Q = gt.Normal(0.0, 1.0), gt.Normal(1.0, 2.0)
KL_PQ = float(kl_normal(0.0, 1.0, 1.0, 2.0))
BASES = [2, 10, math.e, 1.5]


def _jsd_normals(m1, s1, m2, s2):
    """JSD of two normals in nats, by 30-digit mpmath quadrature."""
    with mp.workdps(30):
        m1, s1, m2, s2 = (mp.mpf(v) for v in (m1, s1, m2, s2))

        def f(x):
            p, q = mp.npdf(x, m1, s1), mp.npdf(x, m2, s2)
            m = (p + q) / 2
            return (p * mp.log(p / m) + q * mp.log(q / m)) / 2

        return float(mp.quad(f, [-mp.inf, -10, -3, 0, 1, 3, 10, mp.inf]))


JSD_PQ = _jsd_normals(0.0, 1.0, 1.0, 2.0)

M1 = gt.MultivariateNormal([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
M2 = gt.MultivariateNormal([1.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])  # one covariance: an exact 1-D pair
# data with a kink and a generator with power tails: integrals that a first pass does not finish
DATA, G = gt.Laplace(0.0, 1.0), gt.Pushforward(gt.StudentT(5.0, 0.0, 1.0), gt.Affine(2.0, 1.0))
DISC = gt.QuadraticDiscriminator(0.1, -0.3, 0.2)



@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("name", ["kl", "js"])
def test_divergence_in_base_b_is_nats_over_log_b(name, base):
    """KL (closed form) and JSD (mpmath) in base b, and the JS distance, its square root."""
    fn, nats = (gt.kl_divergence, KL_PQ) if name == "kl" else (gt.js_divergence, JSD_PQ)
    got = fn(P, Q, base=base)
    want = nats / math.log(base)
    assert abs(float(got) - want) <= got.error + 2e-16 * want
    assert got.error <= 2e-12 * want  # (rtol = 1e-12 of the value, plus the round-off floor)
    if name == "js":
        assert float(gt.js_distance(P, Q, base=base)) == pytest.approx(math.sqrt(want), rel=1e-12)


@pytest.mark.parametrize("base", BASES)
def test_virtual_criterion_in_base_b(base):
    """C(G) = -log 4 + 2 JSD in nats, divided by log b in base b (the whole of it, not only the JSD):
    -2 + 2 JSD_bits in bits; against the mpmath JSD, and exactly -2 bits for p_g = p_data."""
    got = gt.virtual_criterion(P, Q, base=base)
    want = (-math.log(4.0) + 2.0 * JSD_PQ) / math.log(base)
    assert got.converged and abs(float(got) - want) <= got.error + 4e-16 * abs(want)
    assert got.error <= 2e-12 * abs(want)
    same = gt.virtual_criterion(gt.Normal(0, 1), gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, 0.0)), base=2)
    assert float(same) == -2.0 and float(gt.virtual_criterion(gt.Uniform(0, 1), gt.Uniform(2, 3), base=2)) == 0.0


UNKNOWN = [  # (call, the function the message must name, an option it must list)
    (lambda: gt.js_divergence(P, Q, foo=1), "js_divergence", "max_panels"),
    (lambda: gt.tv_distance(P, Q, base=2), "tv_distance", "rtol"),
    (lambda: gt.hellinger(P, Q, base=2), "hellinger", "method"),
    (lambda: gt.w1_distance(P, Q, base=2), "w1_distance", "breaks"),
    (lambda: gt.f_divergence(P, Q, "pearson", base=2), "f_divergence", "f_inf"),
    (lambda: gt.kl_divergence(P, Q, method="mc", max_panels=3), "kl_divergence", "variance_reduction"),
    (lambda: gt.js_distance(P, Q, n=10), "js_distance", "base"),
    (lambda: gt.value_function(P, Q, DISC, base=2), "value_function", "space"),
    (lambda: gt.generator_loss(DATA, G, DISC, base=2), "generator_loss", "loss"),
    (lambda: gt.generator_loss(DATA, G, DISC, hints=()), "generator_loss", "max_rounds"),
    (lambda: gt.generator_gradient(DATA, G, DISC, base=2), "generator_gradient", "loss"),
    (lambda: gt.virtual_criterion(P, Q, bar=2), "virtual_criterion", "base"),
]


@pytest.mark.parametrize(("call", "name", "option"), UNKNOWN, ids=[u[1] + str(i) for i, u in enumerate(UNKNOWN)])
def test_an_unknown_option_names_the_function_and_what_it_takes(call, name, option):
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument .*; it takes .*{option}"):
        call()


def test_disjoint_supports_give_one_bit():
    """JSD of disjoint supports is log 2: exactly one bit, and log10(2) in base 10."""
    u, v = gt.Uniform(0, 1), gt.Uniform(2, 3)
    assert float(gt.js_divergence(u, v, base=2)) == pytest.approx(1.0, rel=1e-15)
    assert float(gt.js_divergence(u, v, base=10)) == pytest.approx(math.log10(2.0), rel=1e-15)
    assert float(gt.js_distance(u, v, base=2)) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("method", ["mc", "qmc", "knn"])
@pytest.mark.parametrize("name", ["kl", "js"])
def test_every_method_converts_bases_the_same_way(method, name):
    """The same seed in two bases: the numbers differ by exactly the factor log b, error bars too."""
    fn = gt.kl_divergence if name == "kl" else gt.js_divergence
    n = 4000 if method == "knn" else 20_000
    nats = fn(P, Q, method=method, n=n, rng=5)
    bits = fn(P, Q, method=method, n=n, rng=5, base=2)
    assert float(bits) == pytest.approx(float(nats) / math.log(2.0), rel=1e-14)
    assert bits.error == pytest.approx(nats.error / math.log(2.0), rel=1e-14)


@pytest.mark.parametrize("method", ["mc", "qmc"])
@pytest.mark.parametrize("name", ["kl", "js", "tv", "hellinger"])
def test_every_method_estimates_the_same_divergence(method, name):
    """Monte Carlo and quasi-Monte Carlo land within five reported standard errors of the closed form
    (TV and H² of two normals: closed forms; KL: closed form; JSD: mpmath)."""
    # TV of N(0,1), N(1,2): p > q on (a, b) between the roots of log p = log q
    s2 = 2.0
    c = [1.0 / (2 * s2**2) - 0.5, -1.0 / s2**2, 1.0 / (2 * s2**2) + math.log(s2)]  # log p - log q, in x
    roots = sorted(np.roots(c).real)
    cdf = lambda x, m, s: 0.5 * math.erfc(-(x - m) / (s * math.sqrt(2.0)))  # noqa: E731
    tv = (cdf(roots[1], 0, 1) - cdf(roots[0], 0, 1)) - (cdf(roots[1], 1, s2) - cdf(roots[0], 1, s2))
    h2 = 1.0 - math.sqrt(2 * 1.0 * s2 / (1.0 + s2**2)) * math.exp(-1.0 / (4 * (1.0 + s2**2)))
    fn, want = {"kl": (gt.kl_divergence, KL_PQ), "js": (gt.js_divergence, JSD_PQ),
                "tv": (gt.tv_distance, tv), "hellinger": (gt.hellinger, h2)}[name]
    quad = fn(P, Q)
    assert abs(float(quad) - want) <= quad.error + 1e-15  # (and the references agree with quadrature)
    est = fn(P, Q, method=method, n=2**14, rng=3)
    assert est.method == method and 0 < est.error < 0.05
    assert abs(float(est) - want) <= 5 * est.error


def test_the_discriminator_method_bounds_jsd_from_below():
    """``method="discriminator"``: a fitted discriminator's V gives a lower bound of JSD (S6): below the
    quadrature value, up to its sampling error, and close to it for two normals (a quadratic logit is
    the exact log-ratio)."""
    est = gt.js_divergence(P, Q, method="discriminator", n=20_000, rng=2)
    assert JSD_PQ - 0.02 <= float(est) <= JSD_PQ + 1e-12 and est.error == math.inf


@pytest.mark.parametrize("fn", [gt.tv_distance, gt.hellinger])
def test_methods_only_where_they_mean_something(fn):
    with pytest.raises(ValueError, match="knn"):
        fn(P, Q, method="knn")
    with pytest.raises(ValueError, match="discriminator"):
        fn(P, Q, method="discriminator")


@pytest.mark.parametrize("name", ["gan", "hellinger", "js", "kl", "pearson", "tv"])
def test_f_divergence_honours_atol(name):
    """A looser absolute tolerance is met with fewer evaluations, and the result stays within it."""
    p, q = gt.Laplace(0, 1), gt.Cauchy(1, 2)
    tight, loose = gt.f_divergence(p, q, name), gt.f_divergence(p, q, name, atol=1e-4)
    assert loose.neval < tight.neval
    assert abs(float(loose) - float(tight)) <= 1e-4 + tight.error


def test_every_divergence_labels_its_method():
    """Each result says how it was obtained, closed-form shortcuts included (disjoint supports, a
    divergent tail), and carries the exact value where there is one."""
    n, c = gt.Normal(0, 1), gt.Cauchy(0, 1)
    # disjoint supports: H² = 1; a Cauchy has no mean: W1 = inf; p = q: JSD = 0; the Cauchy's tails
    # against a normal's: Pearson χ² = inf
    cases = [(gt.hellinger(gt.Uniform(0, 1), gt.Uniform(5, 6)), 1.0), (gt.w1_distance(n, c), math.inf),
             (gt.js_divergence(n, n), 0.0), (gt.f_divergence(c, n, "pearson"), math.inf),
             (gt.kl_divergence(n, c), None), (gt.kl_divergence(c, n), math.inf),
             (gt.tv_distance(P, Q), None), (gt.tv_distance(gt.Uniform(0, 1), gt.Uniform(5, 6)), 1.0),
             (gt.value_function(P, G, DISC), None), (gt.value_function(P, G, DISC, space="z"), None),
             # D* of disjoint uniforms is 0 where N(0, 1) has mass: V = -inf exactly
             (gt.value_function(n, n, gt.optimal_discriminator(gt.Uniform(0, 1), gt.Uniform(2, 3))), -math.inf)]
    for est, want in cases:
        assert est.method == "quad" and est.converged is True, est
        if want is not None:
            assert float(est) == want and est.error <= 1e-15, est
    # a closed form integrates nothing
    disjoint = gt.js_divergence(gt.Uniform(0, 1), gt.Uniform(2, 3))
    for est in (cases[0][0], cases[3][0], cases[5][0], cases[7][0], disjoint):
        assert est.neval == 0, est
    # a method other than quadrature keeps its label on every branch (a 2-D pair of one covariance too)
    assert gt.tv_distance(M1, M2, method="mc", n=2000, rng=0).method == "mc"

#: (label, call(rtol, atol)) for every public integral that takes tolerances, each branch that hands
#: them on to another integral included (a 2-D pair of one covariance, a named f-divergence, the noise
#: space of the value function, the virtual criterion, the generator's loss)
TOLERANT = [
    ("kl 1-D", lambda **t: gt.kl_divergence(P, Q, **t)),
    ("kl 2-D", lambda **t: gt.kl_divergence(M1, M2, **t)),
    ("js 1-D", lambda **t: gt.js_divergence(P, Q, **t)),
    ("js 2-D", lambda **t: gt.js_divergence(M1, M2, **t)),
    ("js bits", lambda **t: gt.js_divergence(P, Q, base=2, **t)),
    ("tv 2-D", lambda **t: gt.tv_distance(M1, M2, **t)),
    ("hellinger 1-D", lambda **t: gt.hellinger(P, Q, **t)),
    ("hellinger 2-D", lambda **t: gt.hellinger(M1, M2, **t)),
    *[(f"f {name}", lambda name=name, **t: gt.f_divergence(P, Q, name, **t))
      for name in ("kl", "reverse_kl", "js", "gan", "hellinger", "pearson")],
    ("virtual criterion", lambda **t: gt.virtual_criterion(P, Q, **t)),
    ("value x", lambda **t: gt.value_function(DATA, G, DISC, **t)),
    ("value z", lambda **t: gt.value_function(DATA, G, DISC, space="z", **t)),
    ("generator loss", lambda **t: gt.generator_loss(DATA, G, DISC, **t)),
    ("expectation", lambda **t: gt.quadrature.expectation(G, lambda x: 1.0 / (1.0 + x * x), **t)),
    # (these meet 1e-13 in their first pass, reverse KL of the normals too: only the absolute tolerance is checked)
    ("w1", lambda **t: gt.w1_distance(P, Q, **t)),
    ("f callable", lambda **t: gt.f_divergence(P, Q, lambda u: (u - 1.0) ** 2, **t)),
]
_FIRST_PASS = ("w1", "f callable", "f reverse_kl")


@pytest.mark.parametrize("label, call", TOLERANT, ids=[t[0] for t in TOLERANT])
def test_a_tolerance_reaches_every_integral(label, call):
    """``rtol`` governs the whole computation, every integral a branch hands it to: a looser one is met
    (the bar within it) with fewer evaluations, and both results agree within their bars; an absolute
    tolerance alone (``rtol=0``) is a valid request wherever the function takes one."""
    tight, loose = call(rtol=1e-13), call(rtol=1e-5)
    assert loose.neval < tight.neval or label in _FIRST_PASS, label
    assert loose.error <= 1e-5 * abs(float(loose)) + 1e-15
    assert abs(float(loose) - float(tight)) <= loose.error + tight.error
    alone = call(rtol=0.0, atol=1e-7)
    assert alone.error <= 1e-7 and abs(float(alone) - float(tight)) <= alone.error + tight.error


@pytest.mark.parametrize("rtol, atol", [(np.float64(1e-10), 0), (1e-10, np.float32(0.0)), (0, 1e-9),
                                        (np.float32(1e-6), np.int64(0))])
def test_tolerances_of_any_real_type(rtol, atol):
    """numpy scalars and integers are tolerances like floats."""
    for fn in (gt.kl_divergence, gt.js_divergence, gt.hellinger):
        got, want = fn(P, Q, rtol=rtol, atol=atol), fn(P, Q, rtol=float(rtol), atol=float(atol))
        assert float(got) == float(want) and got.error == want.error


_FAR = 1e6
_NARROW_FAR = (gt.Normal(_FAR, 1e-3), gt.Normal(_FAR + 1e-3, 2e-3))
#: (label, call(**options)) for integrals that need more than one round of refinement, each on a branch
#: that rewrites the options on the way (a narrow pair far from 0 is moved to 0, and its breaks with it)
BUDGETED = [
    *[(name, lambda fn=fn, **o: fn(gt.Normal(_FAR, 1e-3), gt.Normal(_FAR + 1e-3, 2e-3), **o))
      for name, fn in (("kl", gt.kl_divergence), ("js", gt.js_divergence), ("hellinger", gt.hellinger))],
    *[(f"f {name}", lambda name=name, **o: gt.f_divergence(*_NARROW_FAR, name, **o))
      for name in ("pearson", "hellinger", "reverse_kl")],
    ("tv", lambda **o: gt.tv_distance(gt.Cauchy(_FAR, 1e-3), gt.Laplace(_FAR + 1e-3, 2e-3), **o)),
]


@pytest.mark.parametrize("label, call", BUDGETED, ids=[t[0] for t in BUDGETED])
@pytest.mark.parametrize("breaks", [None, [_FAR]], ids=["no-breaks", "breaks"])
def test_a_budget_reaches_every_integral(label, call, breaks):
    """A refinement budget the integral cannot meet (``max_rounds=1``) is honoured, with or without
    ``breaks`` beside it: the result says it did not converge, with a warning; without it, it does."""
    given = {} if breaks is None else {"breaks": breaks}
    assert call(**given).converged, label
    with pytest.warns(gt.AccuracyWarning):
        assert not call(max_rounds=1, **given).converged, label


#: (label, p_data, p_g, loss, rounds, integrals): a generator gradient in reparametrised form (a smooth D*),
#: in score-function form (D* jumps at the ends of the data's uniform part), and that over the noise (a
#: generator 1e-6 wide across the data's end; the loss is taken over x and again over the noise). None
#: of its ``integrals`` meets 1e-12 in one round of refinement; all meet 1e-5 in ``rounds``
GRADIENTS = [
    ("reparametrised", gt.Laplace(0.0, 1.0), gt.Pushforward(gt.StudentT(5.0, 0.0, 1.0), gt.Affine(2.0, 1.0)),
     "non_saturating", 2, 3),
    ("score-function", gt.Mixture([gt.Uniform(-1.0, 2.0), gt.Normal(0.0, 0.1)], [0.5, 0.5]),
     gt.Pushforward(gt.Normal(0.0, 1.0), gt.Affine(1.0, 0.3)), "minimax", 1, 3),
    ("score-function over the noise", gt.Uniform(0.5, 2.0), gt.Pushforward(gt.Normal(0.0, 1.0), gt.Affine(1e-6, 0.5)),
     "minimax", 2, 4),
]


@pytest.mark.parametrize("label, p_data, p_g, loss, rounds, integrals", GRADIENTS, ids=[t[0] for t in GRADIENTS])
def test_tolerances_and_budgets_reach_the_generator_gradient(label, p_data, p_g, loss, rounds, integrals):
    """The gradient hands ``rtol``, ``atol`` and the refinement budget to each of the integrals it takes:
    an absolute tolerance alone is met; one round is too few for 1e-12 in each of them, and each says
    so; ``rounds`` suffice, without a flag, for rtol 1e-5."""
    import warnings

    want = gt.generator_gradient(p_data, p_g, loss=loss)
    alone = gt.generator_gradient(p_data, p_g, loss=loss, rtol=0.0, atol=1e-8)
    np.testing.assert_allclose(alone, want, rtol=0, atol=2e-8)
    with pytest.warns(gt.AccuracyWarning) as flags:
        gt.generator_gradient(p_data, p_g, loss=loss, max_rounds=1)
    assert len(flags) == integrals, [str(w.message) for w in flags]
    with warnings.catch_warnings():
        warnings.simplefilter("error", gt.AccuracyWarning)
        loose = gt.generator_gradient(p_data, p_g, loss=loss, rtol=1e-5, max_rounds=rounds)
    np.testing.assert_allclose(loose, want, rtol=1e-5, atol=1e-12)
