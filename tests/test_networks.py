"""Small networks (gantheory.networks): exact gradients against finite differences and derivatives against
mpmath, and the branch-sum density of a network generator against its own integral, its samples and Monte
Carlo."""

import itertools
import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy import special, stats

import gantheory as gt
from gantheory import estimators as E
from gantheory.networks import MLP, CouplingGenerator, CouplingPushforward, NetworkPushforward
from gantheory.quadrature import expectation

mp.mp.dps = 40
NETS = [((1, 8, 1), "tanh"), ((1, 6, 1), "softplus"), ((1, 7, 1), "leaky_relu"), ((2, 6, 5, 1), "tanh"),
        ((1, 4, 3, 1), "softplus"), ((3, 5, 2), "leaky_relu")]


@pytest.mark.parametrize(("widths", "act"), NETS, ids=str)
def test_backpropagation_matches_finite_differences(widths, act):
    rng = np.random.default_rng(1)
    net = MLP(widths, act, rng=2)
    x = rng.normal(size=(9, widths[0]))
    weights = rng.normal(size=(9, widths[-1]))

    def loss(n, xx):
        out = n.forward(xx).reshape(9, widths[-1])
        return float(np.sum(weights * np.tanh(out)))

    out, cache = net.forward(x, keep=True)
    grads, grad_in = net.backward(cache, weights * (1.0 - np.tanh(out.reshape(9, widths[-1])) ** 2))
    theta, h = net.flat(), 1e-6
    fd = np.array([(loss(net.with_params(theta + h * e), x) - loss(net.with_params(theta - h * e), x)) / (2 * h)
                   for e in np.eye(theta.size)])
    np.testing.assert_allclose(grads, fd, rtol=1e-6, atol=1e-8)
    fd_in = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            dx = np.zeros_like(x)
            dx[i, j] = h
            fd_in[i, j] = (loss(net, x + dx) - loss(net, x - dx)) / (2 * h)
    np.testing.assert_allclose(np.asarray(grad_in).reshape(x.shape), fd_in, rtol=1e-6, atol=1e-8)


def _mp_net(net):
    """The network in mpmath (40 digits), for references."""
    act = {"tanh": mp.tanh, "softplus": lambda u: mp.log1p(mp.exp(u)),
           "leaky_relu": lambda u: u if u > 0 else mp.mpf(net.slope) * u}[net.activation]
    params = [np.asarray(p).tolist() for p in net.params]

    def g(z):
        h = [z]
        for k in range(len(params) // 2):
            w, b = params[2 * k], params[2 * k + 1]
            u = [sum(mp.mpf(w[i][j]) * h[j] for j in range(len(h))) + mp.mpf(b[i]) for i in range(len(b))]
            h = u if k == len(params) // 2 - 1 else [act(v) for v in u]
        return h[0]

    return g


@pytest.mark.parametrize(("widths", "act"), [((1, 8, 1), "tanh"), ((1, 6, 1), "softplus"), ((1, 4, 3, 1), "tanh")])
def test_derivatives_series_differences_and_limits_against_mpmath(widths, act):
    net = MLP(widths, act, rng=5)
    g = _mp_net(net)
    z = np.array([-1.3, 0.2, 2.7])
    val, d1, d2 = net.jet(z)
    for k, zk in enumerate(z):
        ref = mp.taylor(g, mp.mpf(zk), 2)
        assert val[k] == pytest.approx(float(ref[0]), rel=1e-14, abs=1e-15)
        assert d1[k] == pytest.approx(float(ref[1]), rel=1e-13, abs=1e-14)
        assert d2[k] == pytest.approx(float(2 * ref[2]), rel=1e-12, abs=1e-13)
    coef, ref = net.taylor(0.4, 10), mp.taylor(g, mp.mpf(0.4), 10)
    scale = max(abs(float(c)) for c in ref)
    assert max(abs(coef[i] - float(ref[i])) for i in range(11)) <= 1e-13 * scale
    for dz in (1e-14, 1e-7, 1e-2, 0.9):  # G(z + dz) - G(z) to a few ulps of itself
        got = net.difference(np.array([0.4]), np.array([dz]))[0]
        exact = g(mp.mpf(0.4) + mp.mpf(dz)) - g(mp.mpf(0.4))
        assert abs(got - float(exact)) <= 1e-14 * abs(float(exact))
    lim = net._limit(1.0)
    if act == "tanh":  # G(z) - G(inf) keeps its digits where G(z) rounds to the limit
        for zk in (3.0, 30.0):
            exact = g(mp.mpf(zk)) - g(mp.mpf(10) ** 60)
            assert abs(net._from_limit(np.array([zk]), lim)[0] - float(exact)) <= 1e-13 * abs(float(exact))


def _generator(seed, act="tanh", units=16):
    return NetworkPushforward(gt.Normal(0.0, 1.0), MLP((1, units, 1), act, rng=seed))


@pytest.mark.parametrize("act", ["tanh", "softplus", "leaky_relu"])
@pytest.mark.parametrize("seed", range(6))
def test_the_branch_sum_density_integrates_to_one_within_its_error(seed, act):
    """Random one-hidden-layer generators of 16 units (0 to 6 folds): the mass is 1 within the reported
    error, which is below 1e-10 wherever the result says it converged."""
    g = _generator(seed, act)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        total = expectation(g, lambda x: np.ones_like(x))
    assert abs(float(total) - 1.0) <= total.error
    assert total.error <= 1e-10 or not total.converged


def test_a_fold_is_an_inverse_square_root_singularity_evaluated_through_offsets():
    """G(z) = tanh(3z + 1) - tanh(3z - 1) has its maximum at 0: next to the fold value p_g(x0 - e) =
    2 p_z(0) / sqrt(2 |G''(0)| e) to first order, and the offset form agrees with the plain one where the
    plain one still has its digits."""
    net = MLP((1, 2, 1), params=[[[3.0], [3.0]], [1.0, -1.0], [[1.0, -1.0]], [0.0]])
    g = NetworkPushforward(gt.Normal(0, 1), net)
    assert g.critical.tolist() == [0.0]
    (x0,) = g._hints().singular
    curv = float(-36 * mp.tanh(1) * mp.sech(1) ** 2)  # G''(0) = 2 * 9 * (-2 tanh(1) sech²(1))
    off = -np.array([1e-300, 1e-100, 1e-30])
    asym = math.log(2 * stats.norm.pdf(0.0)) - 0.5 * np.log(2 * abs(curv) * np.abs(off))
    np.testing.assert_allclose(g._logpdf_offset(x0, off), asym, rtol=1e-12)
    moderate = -np.array([1e-3, 1e-2, 0.3])
    np.testing.assert_allclose(g._logpdf_offset(x0, moderate), g.logpdf(x0 + moderate), rtol=1e-9)
    total = expectation(g, lambda x: np.ones_like(x))
    assert abs(float(total) - 1.0) <= total.error < 1e-11 and total.converged


def _mp_logpdf(net, x, branches):
    """``log p_g(x)`` in mpmath: on each branch (z bracket, from the float solution) the preimage to 40
    digits by Newton's method (at 90 digits: next to a fold, x - G(z) cancels 30 of them), and
    ``log p_z(z) - log |G'(z)|`` summed over the branches."""
    g = _mp_net(net)
    total = mp.mpf(0)
    with mp.workdps(90):
        for z0 in branches:
            z = mp.findroot(lambda t: g(t) - x, mp.mpf(z0), tol=mp.mpf(10) ** -150)
            total += mp.npdf(z) / abs(mp.diff(g, z))
        return +mp.log(total)


@pytest.mark.parametrize(("seed", "act"), [(2, "tanh"), (5, "tanh"), (1, "softplus"), (3, "leaky_relu")])
def test_the_compiled_density_matches_mpmath_at_plain_nodes_next_to_folds_and_through_offsets(seed, act):
    """The compiled branch sum (one hidden layer, normal noise) at points drawn from it, at points
    10^-4 to 10^-14 from each fold value and through exact offsets from the folds, against 40-digit
    preimages: each within its reported rounding error plus 1e-13 relative; and the numpy path (used for
    deeper networks) agrees with it."""
    g = _generator(seed, act, units=12)
    assert g._kern is not None
    rng = np.random.default_rng(seed)
    x = g.sample(16, rng)
    folds = g._singular()
    for x0 in folds:
        c, curv = g._folds[float(x0)]
        side = -1.0 if curv < 0 else 1.0
        x = np.concatenate([x, x0 + side * np.abs(x0) * np.array([1e-4, 1e-9, 1e-14]) + side * 1e-12])
    lp = g.logpdf(x)
    err = g._logpdf_err(x, lp)
    for xk, lk, ek in zip(x, lp, err):
        zs = [float(z[0]) for inside, z, _, _ in g._on_branches(np.array([xk])) if inside[0]]
        ref = float(_mp_logpdf(g.net, mp.mpf(xk), zs))
        assert abs(lk - ref) <= ek + 1e-13 * max(1.0, abs(ref)), (xk, lk, ref, ek)
    kern, g._kern = g._kern, None  # the numpy path
    try:
        np.testing.assert_allclose(g.logpdf(x), lp, rtol=1e-12, atol=1e-12)
    finally:
        g._kern = kern
    mg = _mp_net(g.net)
    for x0 in folds:  # through offsets: the density at G(c) + off, as if the float fold value x0 were G(c) exactly
        c, curv = g._folds[float(x0)]
        off = (-1.0 if curv < 0 else 1.0) * np.array([1e-30, 1e-12, 1e-6, 1e-2])
        got = g._logpdf_offset(x0, off)
        others, c0 = [p for p in g._pz if c not in (p.a, p.b)], c
        with mp.workdps(90):
            c = mp.findroot(lambda t: mp.diff(mg, t), mp.mpf(c), tol=1e-150)  # the critical point to 90 digits
        for ok, gk in zip(off, got):
            xk = np.array([x0 + ok])  # (the other branches' preimages: the plain reference)
            zs = [float(g._branch(p, xk)[0]) for p in others if p.lo <= xk[0] <= p.hi]
            with mp.workdps(90):
                total, gc = mp.exp(_mp_logpdf(g.net, mp.mpf(x0) + mp.mpf(ok), zs)) if zs else mp.mpf(0), mg(c)
                for p in g._pz:
                    if c0 not in (p.a, p.b) or not p.lo - x0 <= ok <= p.hi - x0:
                        continue  # (not adjacent, or the offset is beyond the branch's image)
                    d0 = math.sqrt(2 * abs(ok / curv)) * (1.0 if p.a == c0 else -1.0)
                    if abs(ok) > 1e-6:  # (far from the fold: from the float preimage)
                        d0 = float(g._branch(p, xk)[0]) - c0
                    d = mp.findroot(lambda t, c=c, gc=gc, ok=ok: mg(c + t) - gc - mp.mpf(ok), d0, tol=1e-150)
                    total += mp.npdf(c + d) / abs(mp.diff(mg, c + d))
                ref = float(mp.log(total))
            assert abs(gk - ref) <= 1e-12 * max(1.0, abs(ref)), (x0, ok, gk, ref)


def test_a_landmark_two_ulps_from_a_fold_neither_hides_the_fold_nor_cuts_a_sliver():
    """The image of a critical point evaluated in another batch can round two ulps away from the declared
    fold value; the panels still have the fold as an edge (a JSD of 0.068 once came out as log 2 with an
    error of 3.6e18, and the mass 4e-8 off). Both the density's landmarks and the quadrature guard this."""
    net = MLP((1, 2, 1), params=[[[3.0], [3.0]], [1.0, -1.0], [[1.0, -1.0]], [0.0]])
    g = NetworkPushforward(gt.Normal(0, 1), net)
    (x0,) = g._singular()
    assert x0 in g._hints().edges
    h = g._hints()
    g.__dict__["_hints_cache"] = h._replace(edges=np.where(h.edges == x0, x0 + 2 * np.spacing(x0), h.edges))
    total = expectation(g, lambda x: np.ones_like(x))
    assert abs(float(total) - 1.0) <= total.error < 1e-11 and total.converged


def _mass_below(net, t, lo=-40.0, hi=2000.0):
    """The standard normal mass of {z: G(z) <= t}: the roots of G(z) - t bracketed on a fine grid of z
    (linear out to where the slowest unit turns) and refined by brentq, then normal cdf differences."""
    from scipy.optimize import brentq

    z = np.concatenate([np.linspace(lo, 40.0, 400_001), np.linspace(40.0, hi, 200_001)[1:]])
    f = net.forward(z) - t
    roots = [brentq(lambda u: float(net.forward(np.array([u]))[0]) - t, z[i], z[i + 1], xtol=1e-15)
             for i in np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0)]
    edges = [-np.inf, *roots, np.inf]
    total = 0.0
    for a, b in itertools.pairwise(edges):
        mid = 0.5 * (a + b) if np.isfinite(a + b) else (b - 1.0 if np.isfinite(b) else a + 1.0)
        if float(net.forward(np.array([mid]))[0]) <= t:
            total += stats.norm.cdf(b) - stats.norm.cdf(a)
    return total


def test_a_critical_point_far_beyond_the_noise_mass_still_splits_its_branch():
    """A unit of weight -0.005 turns G around near z = 91.7, where the noise has no mass in float64: the
    branch beyond the fold at z = 2.16 was taken as one monotone piece, and the cdf next to that fold was
    0.0153 too large (0.9640 against 0.9486). The critical points are now sought out to where every unit
    saturates."""
    net = MLP((1, 6, 4, 1), "tanh", rng=4)
    g = NetworkPushforward(gt.Normal(0, 1), net)
    assert g.critical.size == 4 and 91.0 < g.critical[-1] < 92.0
    x0 = min(g._singular(), key=lambda v: abs(v + 0.0187325))
    for t in (x0 + 1e-12, x0 + 1e-6, x0 + 1e-4, -0.3, 0.0):
        assert abs(float(g.cdf(t)) - _mass_below(net, t)) < 1e-9, t
    with warnings.catch_warnings():  # (two folds 1.7e-4 apart: the rounding of G's value limits the bar)
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        total = expectation(g, lambda x: np.ones_like(x))
    assert abs(float(total) - 1.0) <= total.error < 1e-7


def test_cdf_and_sf_keep_their_digits_in_the_tails():
    """G(z) = leaky_relu(z): sf(t) = P(z > t) for t > 0, to the last digits (it was 1 - cdf: 1.27987e-12
    against 1.27981e-12 at 7, and 0 at 9); the same for the cdf of a decreasing branch."""
    up = NetworkPushforward(gt.Normal(0, 1), MLP((1, 1, 1), "leaky_relu", params=[[[1.0]], [0.0], [[1.0]], [0.0]]))
    down = NetworkPushforward(gt.Normal(0, 1), MLP((1, 1, 1), "leaky_relu", params=[[[1.0]], [0.0], [[-1.0]], [0.0]]))
    for t in (7.0, 9.0, 20.0):
        assert float(up.sf(t)) == pytest.approx(stats.norm.sf(t), rel=1e-14, abs=0.0)
        assert float(down.cdf(-t)) == pytest.approx(stats.norm.sf(t), rel=1e-14, abs=0.0)


def test_the_inversion_does_not_stop_early_where_the_slope_is_tiny():
    """A saturated tanh generator with G' = 7.8e-9 at the preimage of t: the inversion stopped on a residual of
    32 eps (|G| + |x|), 1e-5 from the preimage: cdf 1.7e-7 off, log-density 5.4e-5 off against its bar of
    1.5e-5. References: the preimage by Newton's method in mpmath (the branch below -3.19 maps beneath t)."""
    w1 = [-7.901524999630146, -20.346254818318727, 6.033017469247647, 7.442945298799119, -3.0968679986627135,
          3.6732137294554024, 17.10394291477645, 10.607978400658137, 7.076390208060754, 6.87749388505445,
          -8.635674537523599, 9.640167316735617, -16.484628156748702, -3.320918127686623, -4.372938409341125,
          -17.285187058460107]
    b1 = [-0.055169443500726646, 0.8217275383172009, -0.1700636688125574, -0.6038016701296683,
          -0.045526859253217956, 0.42696215825049394, 0.09660905782519139, -0.0013328582315862729,
          -0.7046111292038056, 0.25050787122771306, 0.2428655433918489, 0.6706331028586259, 0.7445266368104765,
          0.3442914900505244, -0.8212084405930568, -0.7176967511076346]
    w2 = [-0.02744946137602651, 0.00737312394456543, -0.01968115255138892, 0.032738441526909065,
          0.006096381518551926, 0.009119184892514105, 0.018762702617878955, 0.008506197535697629,
          -0.035264175212982106, 0.06129822949784352, 0.036574722641545154, 0.038078216783018655,
          -0.018687065825137652, -0.046187444393819325, -0.03766586780551032, -0.02633658034926863]
    net = MLP((1, 16, 1), params=[np.array(w1).reshape(-1, 1), b1, [w2], [5.441069733084171]])
    g = NetworkPushforward(gt.Normal(0, 1), net)
    mg = _mp_net(net)
    t = 5.221229897261831
    z = mp.mpf(-2.5)
    for _ in range(60):
        z -= (mg(z) - t) / mp.diff(mg, z)
    assert abs(float(g.cdf(t)) - float(mp.ncdf(z))) < 1e-8
    lp = g.logpdf(np.array([t]))
    ref = float(mp.log(mp.npdf(z) / abs(mp.diff(mg, z))))
    assert abs(lp[0] - ref) <= g._logpdf_err(np.array([t]), lp)[0]


def test_the_density_passes_a_chi_square_test_against_ten_million_of_its_samples():
    """A generator with four folds: 10^7 samples in 200 bins of equal probability (edges from the exact
    quantiles' neighbourhood: the samples' own quantiles) against the bin masses from the exact cdf."""
    g = _generator(2)
    assert g.critical.size == 4
    x = g.sample(10**7, rng=123)
    edges = np.quantile(x[:20_000], np.linspace(0, 1, 201)[1:-1])
    counts = np.bincount(np.searchsorted(edges, x), minlength=200)
    cdf = np.concatenate([[0.0], g.cdf(edges), [1.0]])
    expected = np.diff(cdf) * x.size
    assert abs(expected.sum() - x.size) < 1e-6 * x.size
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, df=199) > 1e-4, chi2


def test_cdf_and_sf_agree_with_the_integral_of_the_density():
    g = _generator(4)
    for t in (float(np.median(g.sample(1000, rng=0))), *g._hints().singular[:2]):
        below = expectation(g, lambda x, t=t: (x <= t).astype(float), breaks=[t])
        assert abs(float(g.cdf(t)) - float(below)) <= below.error + 1e-14
        assert float(g.cdf(t)) + float(g.sf(t)) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_kl_and_jsd_of_a_network_generator_agree_with_monte_carlo(seed):
    """KL(p_g || p_data) and JSD(p_data || p_g) by quadrature (to 1e-10) against Monte Carlo with the same
    densities (10^5 samples): within 4 standard errors."""
    g, p = _generator(seed), gt.Normal(0.3, 0.5)
    for name, pair in (("kl", (g, p)), ("js", (p, g))):
        exact = (gt.kl_divergence if name == "kl" else gt.js_divergence)(*pair, rtol=1e-10)
        assert exact.converged and exact.error < 1e-9
        mc = E.monte_carlo(name, *pair, n=10**5, rng=seed)
        assert abs(float(exact) - float(mc)) <= 4 * mc.error


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="hidden layer"):
        MLP((1, 1))
    with pytest.raises(ValueError, match="activation"):
        MLP((1, 4, 1), "relu6")
    with pytest.raises(TypeError, match="widths"):
        MLP(3)
    with pytest.raises(ValueError, match=r"params\[0\]"):
        MLP((1, 2, 1), params=[np.zeros((3, 1)), np.zeros(2), np.zeros((1, 2)), np.zeros(1)])
    with pytest.raises(ValueError, match="R -> R"):
        NetworkPushforward(gt.Normal(), MLP((2, 4, 1), rng=0))
    with pytest.raises(TypeError, match="MLP"):
        NetworkPushforward(gt.Normal(), gt.Affine(1.0, 0.0))
    with pytest.raises(ValueError, match="shape"):
        MLP((2, 4, 1), rng=0).forward(np.zeros(3))


@pytest.mark.parametrize("act", ["tanh", "softplus", "leaky_relu"])
def test_a_coupling_generator_inverts_exactly_and_backpropagates_like_finite_differences(act):
    gen = CouplingGenerator(hidden=5, layers=3, activation=act, rng=1)
    z = np.random.default_rng(2).standard_normal((7, 2))
    x, cache = gen.forward(z, keep=True)
    back, _ = gen.inverse(x)
    np.testing.assert_allclose(back, z, rtol=0, atol=1e-13)
    w = np.random.default_rng(3).standard_normal((7, 2))
    grads, grad_in = gen.backward(cache, w)
    np.testing.assert_allclose(grads, _fd(lambda t: np.sum(gen.with_params(t).forward(z) * w), gen.flat()),
                               rtol=1e-6, atol=1e-8)
    fd_in = np.zeros_like(z)
    for i, j in itertools.product(range(7), range(2)):
        e = np.zeros_like(z)
        e[i, j] = 1e-6
        fd_in[i, j] = (np.sum(gen.forward(z + e) * w) - np.sum(gen.forward(z - e) * w)) / 2e-6
    np.testing.assert_allclose(grad_in, fd_in, rtol=1e-6, atol=1e-8)


def test_the_coupling_density_is_the_change_of_variables_and_integrates_to_one():
    """log p_g(G(z)) = log phi(z) - log |det G'(z)| with the Jacobian by central differences (not the layers'
    own log-determinant), and the density sums to 1 on a fine numpy grid."""
    gen = CouplingGenerator(hidden=6, layers=4, rng=5)
    gen = gen.with_params(3.0 * gen.flat())  # (well away from the identity)
    q = CouplingPushforward(gen)
    z = np.random.default_rng(6).standard_normal((20, 2))
    jac = np.stack([(gen.forward(z + h) - gen.forward(z - h)) / 2e-6 for h in (np.array([1e-6, 0.0]),
                                                                               np.array([0.0, 1e-6]))], axis=-1)
    logdet = np.log(np.abs(np.linalg.det(jac)))
    want = stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z) - logdet
    np.testing.assert_allclose(q.logpdf(gen.forward(z)), want, rtol=0, atol=1e-8)
    t = np.linspace(-25.0, 25.0, 2501)
    mass = np.exp(q.logpdf(np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1))).sum() * (t[1] - t[0]) ** 2
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert q.sample(5, rng=0).shape == (5, 2) and q.logpdf(np.array([1e300, 0.0])) == -math.inf


def test_an_affine_coupling_map_pushes_the_noise_to_a_normal():
    """With the hidden layers' weights 0, each layer shifts and scales by constants: p_g is the normal of the
    composed affine map, and JSD to a data normal by the two-normal quadrature is the reference."""
    gen = CouplingGenerator(hidden=3, layers=2, rng=0)
    flat = gen.flat().copy()
    rng = np.random.default_rng(1)
    pos = 0
    scale, shift = np.ones(2), np.zeros(2)
    for s_net, t_net in gen.nets:
        for net in (s_net, t_net):
            w1 = net.params[0]
            flat[pos:pos + w1.size] = 0.0  # (the hidden units are constants tanh(b1))
            pos += net.n_params
    gen = gen.with_params(flat + np.where(flat == 0.0, 0.0, 0.3 * rng.standard_normal(flat.size)))
    for i, (s_net, t_net) in enumerate(gen.nets):
        o = 1 - i % 2
        s, t = float(s_net.forward(np.zeros(1))[0]), float(t_net.forward(np.zeros(1))[0])
        scale[o], shift[o] = scale[o] * math.exp(s), shift[o] * math.exp(s) + t
    normal = gt.MultivariateNormal(shift, np.diag(scale**2))
    x = np.random.default_rng(2).normal(size=(9, 2)) * 2
    np.testing.assert_allclose(CouplingPushforward(gen).logpdf(x), normal.logpdf(x), rtol=1e-13)
    p = gt.MultivariateNormal([0.5, -0.3], [[1.0, 0.4], [0.4, 0.8]])
    js, ref = gt.js_divergence(p, CouplingPushforward(gen), rtol=1e-8), gt.js_divergence(p, normal, rtol=1e-10)
    assert js.converged and abs(js - ref) <= js.error + ref.error and js.error <= 1e-8 * js


def test_coupling_and_network_densities_take_quasi_monte_carlo():
    """method="qmc" pushes Sobol points through the generator: within 4 standard errors of quadrature."""
    p2 = gt.MultivariateNormal([0.3, 0.0], [[1.0, 0.2], [0.2, 1.5]])
    q2 = CouplingPushforward(CouplingGenerator(rng=4))
    p1, q1 = gt.Normal(0.3, 0.7), NetworkPushforward(gt.Normal(0, 1), MLP((1, 6, 1), rng=4))
    for p, q in ((p1, q1), (p2, q2)):
        quad, qmc = gt.js_divergence(p, q, rtol=1e-8), gt.js_divergence(p, q, method="qmc", n=2**12, rng=0)
        assert qmc.method == "qmc" and abs(quad - qmc) <= 4 * qmc.error + quad.error


def test_a_generator_whose_tails_overflow_far_out_still_gets_an_honest_frame():
    """The frame's moments come from the noise's bulk and its tails from the image of the circle |z| = 8:
    a leaky ReLU coupling map that overflows at |z| = 12.7 once crashed the quadrature's frame (Cholesky of
    a NaN covariance); now the mass is 1 within its error, reached or not, and the sparse rule, whose
    error model reads the frame as the density's shape, is refused."""
    g0 = CouplingGenerator(hidden=9, layers=4, activation="leaky_relu", rng=579258192)
    q = CouplingPushforward(g0.with_params(2.0 * g0.flat()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        mass = expectation(q, lambda x: np.ones(len(x)), max_nodes=2**21)
    assert abs(mass - 1.0) <= mass.error < 1e-3
    with pytest.raises(ValueError, match="rule='sparse' needs densities that its Gaussian parts describe"):
        gt.js_divergence(gt.MultivariateNormal([0, 0], [[1, 0], [0, 1]]), q, rule="sparse")


def test_coupling_input_is_checked():
    with pytest.raises(TypeError, match="CouplingPushforward needs a CouplingGenerator"):
        CouplingPushforward(MLP((2, 4, 2), rng=0))
    with pytest.raises(ValueError, match=r"CouplingGenerator.forward needs points of shape \(n, 2\)"):
        CouplingGenerator(rng=0).forward(np.zeros(3))
    with pytest.raises(ValueError, match="with_params needs"):
        CouplingGenerator(rng=0).with_params(np.zeros(3))
    with pytest.raises(ValueError, match="layers"):
        CouplingGenerator(layers=0)
    with pytest.raises(ValueError, match="last axis"):
        CouplingPushforward(CouplingGenerator(rng=0)).logpdf(np.zeros(3))
    with pytest.raises(ValueError, match="without NaN"):
        CouplingGenerator(rng=0).inverse(np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="real numbers"):
        CouplingGenerator(rng=0).forward(np.zeros((2, 2), dtype=complex))


# ------------------------------------------------------------------------------- minibatch training
from gantheory.adversarial import _d_step, _g_step, one_mode_generator, train  # noqa: E402


def _fd(fun, theta, h=1e-6):
    return np.array([(fun(theta + h * e) - fun(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])


@pytest.mark.parametrize("act", ["tanh", "softplus"])
def test_the_minibatch_gradients_match_finite_differences(act):
    """The discriminator's loss with R1 and the generator's two losses, in both networks' parameters."""
    rng = np.random.default_rng(3)
    g, d = MLP((1, 5, 1), act, rng=1), MLP((1, 6, 1), act, rng=2)
    real, z = rng.normal(1.0, 0.5, size=16), rng.normal(size=16)
    fake = g.forward(z)
    value, grad = _d_step(d, real, fake, 2.5)
    # the loss itself, from the network's outputs and slopes: -mean log D(x) - mean log(1 - D(x~)) + R1
    lr_, lf, slopes = d.forward(real), d.forward(fake), d.jet(real)[1]
    direct = -np.mean(np.log(special.expit(lr_))) - np.mean(np.log1p(-special.expit(lf))) + 1.25 * np.mean(slopes**2)
    assert value == pytest.approx(direct, rel=1e-13)
    np.testing.assert_allclose(grad, _fd(lambda t: _d_step(d.with_params(t), real, fake, 2.5)[0], d.flat()),
                               rtol=1e-6, atol=1e-9)
    for loss in ("minimax", "non_saturating"):
        grad = _g_step(g, d, z, loss)[1]
        np.testing.assert_allclose(grad, _fd(lambda t, loss=loss: _g_step(g.with_params(t), d, z, loss)[0], g.flat()),
                                   rtol=1e-6, atol=1e-9)


def test_a_seeded_run_is_deterministic_and_its_records_are_consistent():
    """Two runs from one seed agree exactly; V(G, D) <= C(G) within the errors (the gap is
    E_{p_data + p_g}[kl(D* || D)] >= 0); the JSD is in [0, log 2]; the recorded V (over the noise) is V
    over x."""
    p = gt.Normal(1.0, 0.5)
    h1 = train(p, steps=30, record_every=10, rng=7, r1=1.0, m=32)
    h2 = train(p, steps=30, record_every=10, rng=7, r1=1.0, m=32)
    assert h1.steps.tolist() == [0, 10, 20, 30]
    np.testing.assert_array_equal(h1.jsd, h2.jsd)
    np.testing.assert_array_equal(h1.params, h2.params)
    assert np.all(h1.extra["gap"] >= -h1.extra["jsd_error"] * 2)
    assert np.all((h1.jsd >= 0) & (h1.jsd <= math.log(2)))
    assert np.all(np.isfinite(h1.extra["knn_jsd"]))
    # the recorded V (its fake term over the noise) against V over x, through the branch-sum density
    g_net, d_net = h1.extra["generator"], h1.extra["discriminator"]
    v_x = gt.value_function(p, NetworkPushforward(gt.Normal(0, 1), g_net), gt.LogitDiscriminator(d_net.forward))
    assert abs(v_x - h1.extra["v"][-1]) <= v_x.error + h1.extra["jsd_error"][-1]


def test_train_refuses_bad_settings():
    p = gt.Normal()
    with pytest.raises(ValueError, match="loss"):
        train(p, loss="wasserstein", steps=1)
    with pytest.raises(ValueError, match="one hidden layer"):
        train(p, discriminator=MLP((1, 4, 4, 1), rng=0), r1=1.0, steps=1)
    with pytest.raises(ValueError, match="R -> R"):
        train(p, generator=MLP((2, 4, 1), rng=0), steps=1)
    with pytest.raises(ValueError, match="betas"):
        train(p, betas=(0.5, 1.0), steps=1)
    with pytest.raises(ValueError, match="method"):
        train(p, method="mc", steps=1)
    with pytest.raises(ValueError, match="power of 2"):
        train(p, method="qmc", qmc_points=1000, steps=1)
    p2 = gt.MultivariateNormal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="one-dimensional data"):
        train(p2, r1=1.0, steps=1)
    with pytest.raises(TypeError, match="MLP or CouplingGenerator"):
        train(p2, generator=gt.Affine(1.0, 0.0), steps=1)
    with pytest.raises(ValueError, match="one or two dimensions"):
        train(gt.MultivariateNormal(np.zeros(3), np.eye(3)), steps=1)


def test_train_options_value_decay_and_the_one_mode_start():
    """value=False records the JSD alone (V and the gap NaN, the JSD's own error); lr_decay=1 ends with rates
    of 0, so the last step leaves both networks where they were; records short of rtol are counted in one
    AccuracyWarning and flagged; one_mode_generator starts at its mode."""
    p = gt.Normal(0.0, 1.0)
    h = train(p, steps=20, record_every=10, value=False, rng=3, m=16)
    assert np.all(np.isnan(h.extra["v"])) and np.all(np.isnan(h.extra["gap"])) and np.all(np.isfinite(h.jsd))
    full = train(p, steps=20, record_every=10, rng=3, m=16)
    np.testing.assert_array_equal(h.jsd, full.jsd)
    qmc = train(p, steps=20, record_every=10, rng=3, m=16, method="qmc")  # (the same run, QMC records)
    np.testing.assert_array_equal(qmc.params, full.params)
    assert np.all(np.abs(qmc.jsd - full.jsd) <= 4 * qmc.extra["jsd_error"] + full.extra["jsd_error"])
    assert np.all(h.extra["jsd_error"] <= full.extra["jsd_error"])
    two = train(p, steps=2, record_every=1, lr_decay=1.0, rng=4, m=16, exact=False)
    np.testing.assert_array_equal(two.params[-1], two.params[-2])  # (the rate at the last step is 0)
    assert "lr decay 1" in two.name
    with pytest.warns(gt.AccuracyWarning, match=r"3 of 3 exact records stopped before rtol=1e-30"):
        tight = train(p, steps=2, record_every=1, rng=4, m=16, rtol=1e-30, value=False)
    assert not tight.extra["converged"].any()
    with pytest.raises(ValueError, match="lr_decay must be in"):
        train(p, steps=2, lr_decay=1.5)
    net = one_mode_generator(2, at=-3.0, spread=0.25)
    base = MLP((1, 16, 1), rng=2)
    np.testing.assert_array_equal(net.params[2], 0.25 * base.params[2])
    assert net.params[3].tolist() == [-3.0]
    samples = net.forward(np.random.default_rng(0).standard_normal(1000))
    assert abs(np.median(samples) + 3.0) < 1.0


def test_slope_backward_takes_weights_from_the_slopes():
    net = MLP((1, 5, 1), rng=1)
    x = np.linspace(-2, 2, 7)
    slopes, g1 = net.slope_backward(x, lambda s: 3.0 * s / 7)
    _, g2 = net.slope_backward(x, 3.0 * net.jet(x)[1] / 7)
    np.testing.assert_allclose(slopes, net.jet(x)[1], rtol=1e-14)
    np.testing.assert_allclose(g1, g2, rtol=1e-13)


def test_the_recorded_gap_is_the_integral_of_kl_from_dstar_to_d():
    """C(G) - V(G, D) = E_{p_data}[kl(D* || D)] + E_{p_g}[kl(D* || D)] (docs/theory.md B5), with kl the KL
    divergence of two Bernoulli laws: the run's recorded gap against that integral, computed from the
    densities and the discriminator's logit."""
    p = gt.Normal(0.5, 0.8)
    h = train(p, steps=40, record_every=40, rng=11, m=32)
    g = NetworkPushforward(gt.Normal(0, 1), h.extra["generator"])
    d_net = h.extra["discriminator"]

    def kl(x):
        lp, lq, ell = p.logpdf(x), g.logpdf(x), d_net.forward(x)
        ls = np.logaddexp(lp, lq)
        a, la, l1a = np.exp(lp - ls), lp - ls, lq - ls  # D* and its logs
        lb, l1b = -np.logaddexp(0.0, -ell), -np.logaddexp(0.0, ell)  # log D, log(1 - D)
        with np.errstate(invalid="ignore"):
            return np.where(a > 0, a * (la - lb), 0.0) + np.where(a < 1, (1 - a) * (l1a - l1b), 0.0)

    real, fake = expectation(p, kl, rtol=1e-7), expectation(g, kl, rtol=1e-7)
    gap = h.extra["gap"][-1]
    assert gap > 0.1
    assert abs(gap - (real + fake)) <= 2 * h.extra["jsd_error"][-1] + real.error + fake.error, (gap, real + fake)


def test_two_dimensional_runs_record_the_jsd_of_the_coupling_density():
    """A coupling generator on 2-D data: the quadrature records against a numpy trapezoid of the exact
    densities (a separate computation of the same integral), QMC records within 4 standard errors of them
    on the same minibatches; a general network R^2 -> R^2 records k-NN only, and says so."""
    p = gt.MultivariateNormal([1.0, -0.5], [[1.0, 0.5], [0.5, 2.0]])
    h = train(p, steps=40, record_every=20, rng=2, m=64)
    hq = train(p, steps=40, record_every=20, rng=2, m=64, method="qmc", qmc_points=2**11)
    np.testing.assert_array_equal(h.params, hq.params)
    assert "QMC" in hq.name and "QMC" not in h.name and h.extra["converged"].all()
    t = np.linspace(-16.0, 16.0, 1601)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1)
    lp = p.logpdf(grid)
    for i, theta in enumerate(h.params):
        lq = CouplingPushforward(h.extra["generator"].with_params(theta)).logpdf(grid)
        lm = np.logaddexp(lp, lq) - math.log(2.0)
        ref = 0.5 * np.sum(np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm)) * (t[1] - t[0]) ** 2
        assert abs(h.jsd[i] - ref) <= h.extra["jsd_error"][i] + 1e-12, (h.jsd[i], ref)
        assert abs(hq.jsd[i] - ref) <= 4 * hq.extra["jsd_error"][i], (hq.jsd[i], ref)
    assert np.all(np.abs(hq.extra["v"] - h.extra["v"]) <= 4 * hq.extra["jsd_error"] + h.extra["jsd_error"])
    g = train(p, generator=MLP((2, 8, 2), rng=0), steps=20, record_every=10, rng=2, m=64)
    assert "k-NN estimates only" in g.name and np.all(np.isnan(g.jsd)) and np.all(np.isfinite(g.extra["knn_jsd"]))
    off = train(p, steps=20, record_every=10, rng=2, m=64, exact=False)  # (a coupling run without records)
    assert "k-NN" not in off.name and "QMC" not in off.name and np.all(np.isnan(off.jsd))
    with pytest.raises(ValueError, match=r"generator must map R\^2 -> R\^2"):
        train(p, generator=MLP((2, 4, 1), rng=0), steps=1)
    with pytest.raises(TypeError, match="generator must be an MLP or None"):
        train(gt.Normal(), generator=CouplingGenerator(rng=0), steps=1)


def test_a_diverging_2d_run_says_so_and_records_it_cannot_compute_are_nan_and_flagged():
    p = gt.MultivariateNormal([1.0, -0.5], [[1.0, 0.5], [0.5, 2.0]])
    with pytest.raises(ValueError, match="overflowed at step 6; the run diverged"):
        train(p, steps=200, record_every=50, rng=8, activation="leaky_relu", lr_g=1e-2, hidden=8)
    with pytest.warns(gt.AccuracyWarning, match="4 of 5 exact records stopped before"):
        h = train(p, steps=200, record_every=50, rng=7, activation="softplus", value=False, lr_g=1e-2)
    assert h.extra["converged"].tolist() == [True, False, False, False, False]
    assert np.isnan(h.jsd[1:]).all() and np.isinf(h.extra["jsd_error"][1:]).all()
