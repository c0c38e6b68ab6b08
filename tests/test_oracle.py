"""The oracle sweep of tests/oracle.py: a small seeded sample in the default suite, thousands of cases per
family under ``-m slow``, and checks of the oracle's own references against independent mpmath quadrature
(so a wrong closed form cannot pass or fail gantheory silently)."""

import itertools
import math

import numpy as np
import oracle
import pytest
import reference as R
from mpmath import mp

SAMPLE = {"seed": 0, "n_per_family": 60, "caps": {"mvn2": 3, "mvn3": 0}}  # ~6 s


def _report(summary, k=10):
    lines = [f"{fam}: {c}" for fam, c in summary["counts"].items() if c["silent"] or c["outside_converged"]
             or c["outside_flagged"]]
    for r in [r for r in summary["worst"] if r["outside"] or r["silent"]][:k]:
        lines.append(f"e/(error+slack) = {r['ratio']:.3g}: got {r['got']!r} ± {r['error']!r}, ref {r['ref']}, "
                     f"converged={r['converged']}, warned={r['warned']}\n    {oracle.reproducer(r['desc'])}")
    return "\n".join(lines)


def _assert_clean(summary):
    t = summary["total"]
    assert t["silent"] == 0 and t["outside_converged"] + t["outside_flagged"] == 0, (
        f"{t['silent']} silent misses, {t['outside_converged']} + {t['outside_flagged']} results outside their "
        f"error bar (converged + flagged) in {t['cases']} cases:\n{_report(summary)}")


@pytest.fixture(scope="module")
def sample():
    """~700 fixed-seed cases over every family (references of studentt / mixture_kl from the JSON caches)."""
    return oracle.run(oracle.cases(SAMPLE["seed"], SAMPLE["n_per_family"], caps=SAMPLE["caps"]))


def test_oracle_sample_has_no_silent_miss_and_no_crash(sample):
    t = sample["total"]
    assert t["silent"] == 0 and t["crash"] == 0, f"{t}\n{_report(sample)}\n{sample['crashes']}"


def test_oracle_sample_within_error_bars(sample):
    _assert_clean(sample)


@pytest.mark.slow
def test_oracle_sweep():
    """2000 cases per family (240 for the quadrature-referenced families, 20 + 5 multivariate normals)."""
    _assert_clean(oracle.run(oracle.cases(0, 2000), timeout=120))


# ------------------------------------------------------------------------------ the instrument itself
def test_cases_are_reproducible_and_partitionable():
    fams = ["normal", "grid", "mixture", "invariance"]
    a = [(c.family, c.desc, c.ref) for c in oracle.cases(7, 6, fams)]
    b = [(c.family, c.desc, c.ref) for c in oracle.cases(7, 6, fams)]
    assert a == b
    # a smaller run is a prefix of a larger one, family by family
    small = [c.desc for c in oracle.cases(7, 3, ["normal"])]
    assert small == [c.desc for c in oracle.cases(7, 6, ["normal"])][:3]
    # the parts of a parallel run make up the whole run
    parts = [c.desc for k in range(3) for c in oracle.cases(7, 6, fams, part=(k, 3))]
    assert sorted(parts) == sorted(d for _, d, _ in a)
    assert [c.desc for c in oracle.cases(8, 3, ["normal"])] != small


def test_descriptions_are_the_calls():
    """The callable runs exactly the description, with every float surviving repr."""
    for c in oracle.cases(3, 3, ["lognormal", "grid", "mvn2", "uniform"], caps={"mvn2": 1}):
        assert c.call.args == (c.desc,)
        tree = oracle._compiled(c.desc)  # parses as one expression
        assert tree is not None
    case = next(oracle.cases(0, 1, ["issue"]))
    assert case.desc == "kl_divergence(Laplace(0.0, 1e-06), Laplace(0.0, 1.0))"
    assert oracle.reproducer(case.desc) == "gt.kl_divergence(gt.Laplace(0.0, 1e-06), gt.Laplace(0.0, 1.0))"


def test_classification():
    import gantheory as gt

    def case(ref, value, error=0.0, converged=True, fn="kl_divergence"):
        est = gt.Estimate(value, error, 1, "quad", converged)
        return oracle.evaluate(oracle.Case("x", f"{fn}(Normal(0.0, 1.0), Normal(0.0, 1.0))", lambda: est, ref))

    with mp.workdps(oracle.DPS):
        one = mp.mpf(1) / 3
        assert not case(one, 1 / 3)["outside"]  # the rounded value is exact
        r = case(one, 1 / 3 + 1e-9, error=1e-13)
        assert r["silent"] and r["outside"]
        r = case(one, 1 / 3 + 1e-9, error=1e-13, converged=False)
        assert r["flagged"] and r["outside"] and not r["silent"]
        r = case(one, 1 / 3 + 1e-14, error=1e-16)
        assert r["outside"] and not r["silent"]  # below 1e-10 relative: outside its bar, not a silent miss
        assert case(mp.inf, math.inf)["abs_err"] == 0
        r = case(mp.inf, 5.0, error=1.0)
        assert r["silent"] and r["outside"]
        r = case(one, math.inf)
        assert r["silent"]
        r = case(mp.mpf(0), 1e-16, fn="tv_distance")
        assert not r["outside"]  # within the rounding allowance of TV
    crash = oracle.evaluate(oracle.Case("x", "kl_divergence(Normal(0.0, -1.0), Normal(0.0, 1.0))",
                                        lambda: oracle.call("kl_divergence(Normal(0.0, -1.0), Normal(0.0, 1.0))"),
                                        mp.mpf(0)))
    assert crash["crash"] and crash["crash"].startswith("ValueError")


@pytest.mark.parametrize("i", range(len(oracle._issue_cases())))
def test_issue_examples(i):
    """The references of the issue's examples agree with the values the issue states."""
    desc, thunk, stated = oracle._issue_cases()[i]
    with mp.workdps(oracle.DPS):
        ref = thunk()
        # within two units of the last stated digit (a stated float64 repr is itself rounded)
        last = len(stated.split(".")[1]) if "." in stated else 0
        assert abs(ref - mp.mpf(stated)) <= 2 * mp.mpf(10) ** -last, (desc, ref, stated)


# ------------------------------------------------------------------ references against quadrature
def _close(a, b, rel=1e-20, abs_=1e-25):
    return abs(a - b) <= max(rel * abs(b), abs_)


def _points(features, extra=()):
    feats = [(mp.mpf(c), mp.mpf(s)) for c, s in features]
    return [-mp.inf, *oracle.quad_breaks(feats), *extra, mp.inf]


def _crossings(logratio, pts):
    """Sign changes of ``logratio`` on a fine sampling of ``pts`` (finite ones), refined by bisection:
    found independently of the oracle's quadratic formulas."""
    fin = [x for x in pts if mp.isfinite(x)]
    grid = sorted({a + (b - a) * k / 16 for a, b in itertools.pairwise(sorted(set(fin))) for k in range(17)})
    roots = []
    for a, b in itertools.pairwise(grid):
        fa, fb = logratio(a), logratio(b)
        if fa == 0:
            roots.append(a)
        elif fa * fb < 0:
            for _ in range(200):
                m = (a + b) / 2
                if logratio(m) * fa > 0:
                    a = m
                else:
                    b = m
            roots.append((a + b) / 2)
    return roots


def _quad(f, pts):
    return mp.quad(f, sorted(set(pts)))


def _tv_quad(p, q, pts):
    roots = _crossings(lambda x: mp.log(p(x)) - mp.log(q(x)), pts)
    return _quad(lambda x: abs(p(x) - q(x)), [*pts, *roots]) / 2


def _h2_quad(p, q, pts):
    return 1 - _quad(lambda x: mp.sqrt(p(x) * q(x)), pts)


slow = pytest.mark.slow
LS_PARAMS = [
    (0.0, 1.0, 1.0, 1.0),
    (-2.0, 0.7, 3.0, 0.05),
    (0.0, 1.0, 0.0, 1e-3),
    pytest.param((0.0, 1.0, 0.3, 2.5), marks=slow),
    pytest.param((1e3, 2.0, 1e3 + 1e-4, 2.0), marks=slow),
    pytest.param((5.0, 1e-2, -40.0, 30.0), marks=slow),
    # the sweep's extremes: scale ratio 1e8, a shift of 1e3 scales, a location of 1e6 with a tiny scale
    pytest.param((0.0, 1e-4, 0.3, 1e4), marks=slow),
    pytest.param((0.0, 1.0, 1e3, 1.0), marks=slow),
    pytest.param((1e6, 1e-3, 1e6 + 2.5, 1.0), marks=slow),
]


@pytest.mark.parametrize("params", LS_PARAMS)
@pytest.mark.parametrize("kind", ["Normal", "Laplace", "Cauchy"])
def test_location_scale_forms(kind, params):
    m1, s1, m2, s2 = params
    dens = {"Normal": R.normal, "Laplace": R.laplace, "Cauchy": R.cauchy}[kind]
    p, q = dens(m1, s1), dens(m2, s2)
    with mp.workdps(30):
        pts = _points([(m1, s1), (m2, s2)])
        truth = {"kl_divergence": R.kl(p, q, pts), "tv_distance": _tv_quad(p, q, pts),
                 "hellinger": _h2_quad(p, q, pts)}
        if kind == "Cauchy":
            truth["js_divergence"] = R.jsd(p, q, pts)
        for fn, form in oracle.LS_FORMS[kind].items():
            with mp.workdps(oracle.DPS):
                val = form(m1, s1, m2, s2)
            assert _close(val, truth[fn]), (kind, fn, params, val, truth[fn])
        # the oracle's own quadrature (used for Student-t and mixtures) on the same pair
        v, _ = oracle.kl_quad(oracle.Spec(kind, (m1, s1)), oracle.Spec(kind, (m2, s2)))
        assert _close(v, truth["kl_divergence"]), (kind, "kl_quad", params)


def test_identities_by_quadrature():
    """The identities some families rest on, integrated directly: W1 of a shifted pair is the shift (even
    for Cauchy laws, which have no mean), and KL / TV / H^2 are invariant under a common bijection
    (sinh-arcsinh and exp of normals, in x)."""
    with mp.workdps(30):
        d = mp.mpf(0.7)
        F = lambda x: mp.atan(x) / mp.pi  # noqa: E731  (Cauchy CDF minus 1/2)
        ladder = [mp.mpf(10) ** k for k in range(-1, 9)]
        w1 = mp.quad(lambda x: abs(F(x) - F(x - d)), [-mp.inf, *(-t for t in ladder[::-1]), 0, *ladder, mp.inf])
        assert _close(w1, d, rel=1e-18)
        w1 = mp.quad(lambda x: abs(mp.ncdf(x / 2) - mp.ncdf((x - d) / 2)), [-mp.inf, 0, d, mp.inf])
        assert _close(w1, d)
        for p, q, pts in (
            (R.sinh_arcsinh_normal(0.2, 0.5, -0.4, 2.2), R.sinh_arcsinh_normal(-0.3, 1.5, -0.4, 2.2),
             [-mp.inf, -5, -1, -0.5, 0, 0.5, 1, 5, mp.inf]),
            (R.lognormal(1.0, 0.3), R.lognormal(1.4, 0.5), [0, 1, 2, 2.7, 4, 8, 20, mp.inf]),
        ):
            base = (0.2, 0.5, -0.3, 1.5) if len(pts) == 9 else (1.0, 0.3, 1.4, 0.5)
            with mp.workdps(oracle.DPS):
                forms = {fn: f(*base) for fn, f in oracle.LS_FORMS["Normal"].items()}
            assert _close(forms["kl_divergence"], R.kl(p, q, pts), rel=1e-18)
            assert _close(forms["hellinger"], _h2_quad(p, q, pts), rel=1e-18)
            assert _close(forms["tv_distance"], _tv_quad(p, q, pts), rel=1e-18)


UNIFORM_PARAMS = [
    (0.0, 1.0, -1.0, 2.0),  # nested
    (0.0, 1.0, 0.0, 3.0),  # shared low end
    (0.0, 3.0, 1.0, 3.0),  # shared high end
    (0.0, 1.0, 0.5, 2.5),  # overlap
    (0.0, 1.0, 1.0, 2.0),  # touching
    (0.0, 1.0, 2.0, 3.0),  # disjoint
    (5.0, 5.25, 5.0, 5.25),  # equal
]


@pytest.mark.parametrize("params", UNIFORM_PARAMS)
def test_uniform_forms(params):
    a1, b1, a2, b2 = params
    p, q = R.uniform(a1, b1), R.uniform(a2, b2)
    pts = sorted({a1, b1, a2, b2})
    forms = oracle.uniform_forms(*params)
    with mp.workdps(30):
        inside = a2 <= a1 and b1 <= b2
        assert (forms["kl_divergence"] == mp.inf) == (not inside)
        if inside:
            assert _close(forms["kl_divergence"], R.kl(p, q, pts))
        assert _close(forms["js_divergence"], R.jsd(p, q, pts))
        assert _close(forms["tv_distance"], _quad(lambda x: abs(p(x) - q(x)), pts) / 2)
        assert _close(forms["hellinger"], _h2_quad(p, q, pts))


def _beta_quad(a1, b1, a2, b2):
    """KL and ∫ sqrt(pq) of two Beta laws in log space: each half of [0, 1] in u, where the distance to its
    end is e^-u (Beta(0.05, 3) has a tenth of its mass below 1e-20, out of reach of plain tanh-sinh)."""
    a1, b1, a2, b2 = (mp.mpf(t) for t in (a1, b1, a2, b2))
    lb1, lb2 = mp.log(mp.beta(a1, b1)), mp.log(mp.beta(a2, b2))
    kl, bc = mp.mpf(0), mp.mpf(0)
    for lower in (True, False):
        def ends(u, lower=lower):  # (log x, log(1 - x))
            near, far = -u, mp.log1p(-mp.exp(-u))
            return (near, far) if lower else (far, near)

        def lp(u):
            lx, l1x = ends(u)
            return (a1 - 1) * lx + (b1 - 1) * l1x - lb1, (a2 - 1) * lx + (b2 - 1) * l1x - lb2

        cuts = [mp.log(2), 3, 10, 30, 100, 300, 1000, 3000, mp.inf]
        kl += mp.quad(lambda u: (lambda a, b: mp.exp(a - u) * (a - b))(*lp(u)), cuts)
        bc += mp.quad(lambda u: (lambda a, b: mp.exp((a + b) / 2 - u))(*lp(u)), cuts)
    return kl, bc


@pytest.mark.parametrize("params", [(0.5, 0.5, 2.0, 2.0), (2.0, 5.0, 30.0, 40.0), (0.05, 3.0, 1.5, 0.3),
                                    (1.0, 1.0, 0.7, 1.2), (4000.0, 0.01, 9000.0, 1.5)])
def test_beta_forms(params):
    with mp.workdps(30):
        kl, bc = _beta_quad(*params)
        assert _close(oracle.kl_beta(*params), kl, rel=1e-18), (params, kl)
    with mp.workdps(oracle.DPS):
        h2 = oracle.beta_h2(*params)
    assert _close(h2, 1 - bc, rel=1e-18), (params, h2, 1 - bc)


GRIDS = [
    ([0.0, 1.0], [1.0, 1.0]),
    ([0.0, 0.2, 1.0], [0.0, 0.3, 1.0]),
    ([-3.0, -2.5, -1.0, 0.5, 2.0], [0.4, 0.0, 0.0, 1.2, 0.7]),  # a zero run: KL(U || G) = inf
    ([10.0, 10.5, 11.0, 13.0], [0.0, 2.0, 0.5, 0.0]),  # zero only at the ends: finite
    ([5000.0, 5006.0, 5030.0], [0.0, 0.2, 0.4]),
]


@pytest.mark.parametrize("grid", GRIDS)
def test_grid_forms(grid):
    x, v = grid
    lo, hi = x[0], x[-1]
    forms = oracle.grid_forms(x, v, lo, hi)
    with mp.workdps(30):
        X, V = [mp.mpf(t) for t in x], [mp.mpf(t) for t in v]

        def raw(t):  # the linear interpolant, written afresh
            for i in range(len(X) - 1):
                if X[i] <= t <= X[i + 1]:
                    return V[i] + (V[i + 1] - V[i]) * (t - X[i]) / (X[i + 1] - X[i])
            return mp.mpf(0)

        Z = _quad(raw, X)
        g = lambda t: raw(t) / Z  # noqa: E731
        u = R.uniform(lo, hi)
        W = mp.mpf(hi) - mp.mpf(lo)
        zero_run = any(V[i] == V[i + 1] == 0 for i in range(len(V) - 1))
        if zero_run:
            assert forms["kl_ug"] == mp.inf
        else:
            assert _close(forms["kl_ug"], -mp.log(W) - _quad(lambda t: mp.log(g(t)), X) / W, rel=1e-18)
        assert _close(forms["kl_gu"], R.kl(g, u, X), rel=1e-18)
        assert _close(forms["hellinger"], _h2_quad(g, u, X), rel=1e-18)
        cuts = _crossings(lambda t: g(t) - 1 / W, X)
        assert _close(forms["tv_distance"], _quad(lambda t: abs(g(t) - 1 / W), [*X, *cuts]) / 2, rel=1e-18)


def test_mvn_forms_factorise():
    """Diagonal covariances: KL is the sum of 1-D normal KLs (checked above against quadrature) and
    1 - H^2 the product of 1-D Bhattacharyya coefficients; a common rotation changes neither."""
    m1, m2 = [0.5, -1.0, 2.0], [0.0, 1.5, 2.1]
    d1, d2 = [1.0, 0.25, 9.0], [2.25, 0.5625, 4.0]  # squares of floats: the 1-D scales are exact
    with mp.workdps(oracle.DPS):
        c1 = [[d1[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
        c2 = [[d2[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
        s1, s2 = [math.sqrt(t) for t in d1], [math.sqrt(t) for t in d2]
        kl = mp.fsum(oracle.kl_normal(a, s, b, t) for a, s, b, t in zip(m1, s1, m2, s2))
        bc = mp.fprod(1 - oracle.normal_h2(a, s, b, t) for a, s, b, t in zip(m1, s1, m2, s2))
        assert _close(oracle.kl_mvn(m1, c1, m2, c2), kl, rel=1e-30)
        assert _close(oracle.mvn_h2(m1, c1, m2, c2), 1 - bc, rel=1e-30)
        Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))
        rot = lambda c: (Q @ np.array(c) @ Q.T).tolist()  # noqa: E731
        assert _close(oracle.kl_mvn((Q @ m1).tolist(), rot(c1), (Q @ m2).tolist(), rot(c2)), kl, rel=1e-13)
        assert _close(oracle.mvn_h2((Q @ m1).tolist(), rot(c1), (Q @ m2).tolist(), rot(c2)), 1 - bc, rel=1e-13)


T_AS_CAUCHY = [(1.0, 0.0, 1e-5), (1.0, 3.0, 2.0), (2.5e-3, -7.0, 4e4), (1.0, 1e-4, 1.0), (3.0, 3e3 * 3, 3e-8)]


@pytest.mark.parametrize("params", T_AS_CAUCHY)
def test_student_t_quadrature_on_cauchy(params):
    """The Student-t reference (kl_quad) at df = 1 against the Cauchy closed form, scale ratios up to 1e8
    and shifts up to 1e3 scales."""
    s1, m, s2 = params
    v, err = oracle.kl_quad(oracle.Spec("StudentT", (1.0, 0.0, s1)), oracle.Spec("StudentT", (1.0, m, s2)))
    with mp.workdps(oracle.DPS):
        ref = oracle.cauchy_kl(0.0, s1, m, s2)
    assert _close(v, ref, rel=1e-20), (params, v, ref)
    assert err < 1e-20 * max(abs(v), 1e-10)


def test_mixture_quadrature():
    """kl_quad on mixtures against reference.py's plain quadrature of p log(p/q), and an identity."""
    cases = [
        ("Normal", (0.0, 1.0), (2.0, 0.5), 0.3),
        ("Laplace", (0.0, 1.0), (1.0, 3.0), 0.9),
        ("Cauchy", (0.0, 1.0), (-2.0, 0.2), 0.01),
    ]
    dens = {"Normal": R.normal, "Laplace": R.laplace, "Cauchy": R.cauchy}
    for kind, a, b, w in cases:
        p, q = oracle.Spec(kind, a), oracle.Spec(kind, b)
        mix = oracle.Spec("Mixture", ([p, q], [w, 1.0 - w]))
        ws = [mp.mpf(w), mp.mpf(1.0 - w)]  # gantheory divides the weights by their (float) sum
        pm = R.mixture([(ws[0] / sum(ws), dens[kind](*a)), (ws[1] / sum(ws), dens[kind](*b))])
        with mp.workdps(30):
            pts = [-mp.inf, -30, -10, -3, -1, 0, 1, 2, 3, 10, 30, mp.inf]
            for x, y, px, py in ((p, mix, dens[kind](*a), pm), (mix, p, pm, dens[kind](*a))):
                v, _ = oracle.kl_quad(x, y)
                assert _close(v, R.kl(px, py, pts), rel=1e-18), (kind, x, y)
    same = oracle.Spec("Normal", (3.0, 0.01))
    v, _ = oracle.kl_quad(same, oracle.Spec("Mixture", ([same, same], [0.25, 0.75])))
    assert abs(v) < 1e-28


@pytest.mark.parametrize("name", sorted(oracle.CACHE_FILES))
def test_cached_references(name):
    """Cached quadrature references: small error estimates, and a sample recomputed from the description."""
    store = oracle._cache(name)
    assert store, f"{oracle.CACHE_FILES[name]} is empty"
    for value, err in store.values():
        assert mp.mpf(err) < 1e-20 * max(abs(mp.mpf(value)), mp.mpf(1e-10))
    descs = sorted(store)
    rng = np.random.default_rng(0)
    for desc in (descs[int(i)] for i in rng.choice(len(descs), 2, replace=False)):
        p, q = _specs(desc)
        v, _ = oracle.kl_quad(p, q)
        assert _close(v, mp.mpf(store[desc][0]), rel=1e-22), desc


def _specs(desc):
    """The two argument Specs of a cached ``kl_divergence(...)`` description."""
    ns = {k: (lambda *a, k=k: oracle.Spec(k, tuple(a))) for k in ("Normal", "Laplace", "Cauchy", "StudentT")}
    ns["Mixture"] = lambda comps, weights: oracle.Spec("Mixture", (list(comps), list(weights)))
    ns["kl_divergence"] = lambda p, q: (p, q)
    return eval(desc, {"__builtins__": {}}, ns)
