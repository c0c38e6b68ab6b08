"""The compiled path of 1-D divergences against the Python path it replaces for the built-in families.

Given the Python path's landmarks, both build the same panels and refine them by the same rule, so on
every pair below they must spend the same number of evaluations and agree to the last few ulps. The
compiled path's own, thinner landmarks are checked against closed forms by the oracle sweep
(tests/test_oracle.py, benchmarks/bench_oracle.py), which runs on it.
"""

import math
import warnings

import numpy as np
import pytest

import gantheory as gt
from gantheory import _engine
from gantheory import _kernels as K
from gantheory.divergences import _kl_pair, _log_pair, _tables
from gantheory.quadrature import _compiled_1d, _integrate_pair

MIX = gt.Mixture([gt.Normal(-2, 0.5), gt.Uniform(1, 3), gt.Cauchy(0, 2)], [0.5, 0.25, 0.25])
PAIRS = [
    (gt.Normal(0, 1), gt.Normal(1, 1)),
    (gt.Normal(1e8, 1e-3), gt.Normal(1e8 + 1e-3, 2e-3)),
    (gt.Laplace(0, 1), gt.Laplace(0.5, 3e-4)),
    (gt.Cauchy(0, 1), gt.Cauchy(1e3, 1e-2)),
    (gt.StudentT(3, 0, 1), gt.Normal(0, 1)),
    (gt.StudentT(0.5, 2, 1e-3), gt.Cauchy(0, 1)),
    (gt.Uniform(0, 1), gt.Normal(0.5, 0.1)),
    (gt.Uniform(5000, 5030), gt.Uniform(5000, 5006)),
    (MIX, gt.Normal(0, 3)),
    (gt.Mixture([MIX, gt.Laplace(0, 1)], [0.5, 0.5]), MIX),
    (gt.Beta(2, 3), gt.Beta(3, 2)),
    (gt.Beta(0.5, 0.05), gt.Beta(3.0, 0.7)),
    (gt.Beta(40, 15), gt.Beta(2000, 900)),
    (gt.Beta(1, 1), gt.Uniform(0, 1)),
    (gt.Mixture([gt.Beta(0.3, 2), gt.Normal(0.5, 0.1)], [0.4, 0.6]), gt.Beta(1.5, 1.5)),
    (gt.GridDensity(np.linspace(-6, 6, 201), np.exp(-np.linspace(-6, 6, 201) ** 2 / 2)), gt.Normal(0.3, 1.2)),
    (gt.GridDensity([0, 1, 2, 3, 4], [0, 1, 0, 0, 2]), gt.GridDensity([0.5, 1, 2, 4.5], [1, 3, 1, 1])),
    (gt.Mixture([gt.GridDensity([0, 1, 2], [0, 1, 0]), gt.Normal(1, 0.5)], [0.5, 0.5]),
     gt.GridDensity([-1, 1, 3], [0, 1, 0])),
    (gt.Pushforward(gt.Normal(0, 1), gt.Exp()), gt.Pushforward(gt.Laplace(0.3, 0.5), gt.Exp())),
    (gt.Pushforward(gt.Normal(-30, 1e-3), gt.Exp()), gt.Beta(2, 3)),
    (gt.Pushforward(gt.Laplace(0.2, 1.0), gt.SinhArcsinh(0.5, 1.7)), gt.Cauchy(0, 1)),
    (gt.Pushforward(gt.StudentT(3, 0, 1), gt.SinhArcsinh(-1.0, 0.6)), gt.Normal(0.5, 2.0)),
    (gt.Mixture([gt.Pushforward(gt.Normal(0, 1), gt.SinhArcsinh(0.3, 1.2)), gt.Normal(2, 0.5)], [0.5, 0.5]),
     gt.Pushforward(gt.Cauchy(0, 1), gt.Exp())),
]
KINDS = {"kl": K.KL, "js": K.JSD, "hellinger": K.HELLINGER, "pearson": K.PEARSON}


def _logpdf(t, x, out):
    """The compiled log-density of the table ``t`` at the floats ``x`` (no offsets, no singular ends)."""
    zero = np.zeros(x.size)
    _engine.logpdf(t, x, zero, np.zeros(x.size, bool), zero, False, False, out, np.empty(x.size))


def _both(kind, p, q):
    evaluate = _kl_pair(p, q) if kind == K.KL else _log_pair(p, q, kind == K.JSD)
    out = []
    for compiled in (True, False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if compiled:  # with the Python path's landmarks
                est = _compiled_1d(kind, _tables(p, q), (), 1e-12, 0.0, None, 80, (1.0, 1.0),
                                   marks=_engine.PYTHON)
            else:
                est = _integrate_pair((p, q), kind, evaluate)
        out.append((est, [w.category for w in caught]))
    return out


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pq: f"{pq[0]!r}|{pq[1]!r}"[:70])
@pytest.mark.parametrize("name", sorted(KINDS))
def test_compiled_path_is_the_python_path(pair, name):
    for p, q in (pair, pair[::-1]):
        (fast, wf), (slow, ws) = _both(KINDS[name], p, q)
        assert fast.neval == slow.neval
        assert fast.converged == slow.converged and wf == ws
        if math.isinf(slow):
            assert fast == slow
            continue
        assert abs(float(fast) - float(slow)) <= 1e-13 * abs(float(slow)) + 1e-300
        assert fast.error == pytest.approx(slow.error, rel=1e-6)


def test_only_the_built_in_families_are_described():
    assert _engine.table(gt.Normal(0, 1)).shape == (1, _engine.NCOL)
    assert _engine.table(MIX).shape == (3, _engine.NCOL)
    assert np.exp(_engine.table(MIX)[:, 1]).sum() == pytest.approx(1.0, abs=1e-15)
    assert _engine.table(gt.Mixture([gt.Normal(0, 1), gt.Beta(2, 2)], [0.5, 0.5])).shape == (2, _engine.NCOL)
    assert _engine.table(gt.GridDensity([0, 1, 2], [0, 1, 0])).shape == (4, _engine.NCOL)  # a header, 3 nodes
    x = np.arange((1 << 17) + 2.0)
    for d in (gt.Pushforward(gt.Beta(2, 2), gt.Exp()),
              gt.Pushforward(gt.Normal(0.1, 1), gt.Affine(3.0, 1.0)),  # 3 * 0.1 + 1 is not a float
              gt.GridDensity(x, np.ones_like(x))):  # (only some of its nodes are edges on the Python path)
        assert _engine.table(d) is None


AFFINE = [gt.Pushforward(gt.Normal(2, 1e-3), gt.Affine(-3e5, 7e5)), gt.Pushforward(gt.Laplace(0.5, 3e-4),
          gt.Affine(-2.0, 1.0)), gt.Pushforward(gt.Cauchy(1, 2), gt.Affine(0.5, 3.0)),
          gt.Pushforward(gt.StudentT(3, 1, 2), gt.Affine(-2.0, 1.0))]


@pytest.mark.parametrize("d", AFFINE, ids=repr)
def test_affine_pushforwards_are_their_family_again(d):
    """A location-scale density through a scalar affine map is described as its family at the mapped
    location and scale: the compiled log-density matches the pushforward's own."""
    t = _engine.table(d)
    assert t is not None and t.shape == (1, _engine.NCOL)
    x = t[0, 2] + t[0, 3] * np.linspace(-40, 40, 801)
    out = np.empty(x.size)
    _logpdf(t, x, out)
    want = d.logpdf(x)
    np.testing.assert_allclose(out, want, rtol=8e-16 * 4, atol=4e-16)


def test_compiled_log_densities_match_the_densities_own():
    x = np.concatenate([np.linspace(-40, 40, 801), [-1e200, 1e200, 1e300]])
    for d in [p for pair in PAIRS for p in pair]:
        out = np.empty(x.size)
        _logpdf(_engine.table(d), x, out)
        want = d.logpdf(x)
        fin = np.isfinite(want)
        assert np.array_equal(fin, np.isfinite(out))
        # (a Beta's log is a sum of terms that cancel: numpy's and libm's logs may differ in the last bit;
        # a grid's value is interpolated from the cell's left node, numpy's from either: a few ulps of p)
        # through sinh(arcsinh x / δ): libm's and numpy's functions differ by an ulp of w = arcsinh(x), which
        # moves z = sinh(w) relatively by |w| ulps (700 at x = 1e300) and log p_z(z) twice that
        atol = 1e-14 * (1.0 + np.abs(want[fin])) if "Beta" in repr(d) else 1e-15 if "Grid" in repr(d) else 1e-300
        rtol = 4e-16 * (1.0 + 4.0 * np.abs(np.arcsinh(x[fin]))) if "SinhArcsinh" in repr(d) else 4e-16
        assert np.all(np.abs(out[fin] - want[fin]) <= rtol * np.abs(want[fin]) + atol)


def test_compiled_crossings_match_the_python_ones():
    """TV's panel edges where p = q: the compiled search finds the same crossings as the Python one."""
    from gantheory.quadrature import _XK, crossings

    for p, q in PAIRS:
        want = crossings((p, q), lambda x, p=p, q=q: p._logpdf(x) - q._logpdf(x))
        got = _engine.crossings(_engine.table(p), _engine.table(q), _engine.FAST, _XK)
        assert got.shape == want.shape
        # (a few ulps: the last bisection; through a nonlinear map the sign of log p - log q next to the
        # crossing rests on libm's or numpy's logs and arcsinh, a few ulps apart)
        mapped = "Exp" in repr((p, q)) or "SinhArcsinh" in repr((p, q))
        np.testing.assert_allclose(got, want, rtol=1e-13 if mapped else 1e-15, atol=1e-20)


def test_crossings_close_brackets_across_the_float_range():
    """N(0, s²) against N(0, 1) cross at ±s sqrt(2 log(1/s) / (1 - s²)) (closed form, 40-digit mpmath):
    2.539e-139 for s = 1e-140, bracketed by nodes up to 1e-21 away; both searches (compiled and Python)
    bisect over the floats and land on it to a few ulps."""
    import mpmath as mp

    from gantheory.quadrature import _XK, crossings

    for s in (1e-140, 1e-30, 0.5):
        with mp.workdps(40):
            sm = mp.mpf(s)
            want = float(sm * mp.sqrt(2 * mp.log(1 / sm) / (1 - sm * sm)))
        p, q = gt.Normal(0.0, s), gt.Normal(0.0, 1.0)
        for got in (_engine.crossings(_engine.table(p), _engine.table(q), _engine.FAST, _XK),
                    crossings((p, q), lambda x, p=p, q=q: p._logpdf(x) - q._logpdf(x))):
            np.testing.assert_allclose(got, [-want, want], rtol=1e-14)
