"""Fuzzing the whole public API (issue 7): arbitrary values in every argument.

Every call must either return a value of the promised type that is finite and inside the theory's
bounds (or a documented ``inf``), or raise ValueError / TypeError naming the offending parameter.
Never NaN, never an uncaught numba error, never a hang (each example has a deadline).
"""

import math
import operator
import re
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import densities, discriminators, pairs

import gantheory as gt
from gantheory import estimators as E
from gantheory import quadrature as Q
from gantheory import training as T

LOG2 = math.log(2)

# --------------------------------------------------------------------------------- junk values
floats_any = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
scalars_any = st.one_of(
    floats_any,
    st.sampled_from([0.0, -0.0, -1.0, 5e-324, 1e-308, 1e308, -1e308, math.inf, -math.inf, math.nan, 1e-12, 1e12]),
    st.integers(-(10**25), 10**25),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=10),
)
arrays_any = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.complex128, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4),
)
arrays_float = hnp.arrays(dtype=np.float64, shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=5),
                          elements=floats_any)
junk = st.one_of(scalars_any, arrays_any, arrays_float, st.lists(floats_any, max_size=5),
                 st.lists(st.integers(-5, 5), max_size=5), st.tuples(floats_any, floats_any))

# Follows the loaded profile (dev 60, ci 100, thorough 1000 examples per test); the deadline turns a hang into
# a failure.
FUZZ = settings(deadline=20_000, suppress_health_check=list(HealthCheck),
                max_examples=max(60, settings.default.max_examples))


def _no_nan(out):
    assert not np.isnan(np.asarray(out, dtype=float)).any()


def _names_param(exc, names):
    """The message cites one of ``names`` as a word (``p`` in "p must ...", not in "operands"); a one-letter
    name must be followed by what a message says of a parameter (so the article "a" does not count)."""
    msg = str(exc)
    said = r"(?= must| and | or |,| =|=|:| has| is| needs| returned| \(| '| \"|$)"
    return any(re.search(rf"(?<![\w.]){re.escape(n)}" + (said if len(n) == 1 else r"(?!\w)"), msg) for n in names)


def _check_raises_or(fn, names, check=None):
    """Call ``fn``; an exception must be ValueError/TypeError naming a parameter; else ``check(result)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gt.AccuracyWarning)
        try:
            out = fn()
        except (ValueError, TypeError) as exc:
            assert _names_param(exc, names), f"{type(exc).__name__} does not name any of {names}: {exc}"
            return None
    if check is not None:
        check(out)
    return out


def _check_density(d):
    """A constructed density must behave: finite-or--inf log-densities, finite samples, never NaN."""
    x = np.array([-3.0, -0.5, 0.0, 0.3, 1.0, 2.5, 40.0])
    if d.dim > 1:
        x = np.zeros((3, d.dim))
    lp = d.logpdf(x)
    assert not np.isnan(lp).any()
    if d.dim == 1:  # +inf only where the density has a singular point
        assert np.all((lp < np.inf) | np.isin(x, d._singular()))
    s = d.sample(5, rng=0)
    assert np.all(np.isfinite(s))


CONSTRUCTORS = {
    "Normal": (gt.Normal, ("loc", "scale")),
    "Uniform": (gt.Uniform, ("low", "high")),
    "Laplace": (gt.Laplace, ("loc", "scale")),
    "Cauchy": (gt.Cauchy, ("loc", "scale")),
    "StudentT": (gt.StudentT, ("df", "loc", "scale")),
    "Beta": (gt.Beta, ("a", "b")),
    "MultivariateNormal": (gt.MultivariateNormal, ("mean", "cov")),
    "GridDensity": (gt.GridDensity, ("x", "values")),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
@FUZZ
@given(data=st.data())
def test_constructors_refuse_or_build_working_densities(name, data):
    cls, params = CONSTRUCTORS[name]
    args = [data.draw(junk, label=p) for p in params]
    _check_raises_or(lambda: cls(*args), params, _check_density)


@FUZZ
@given(comps=st.lists(st.one_of(densities(), junk), min_size=0, max_size=3), weights=junk)
def test_mixture_constructor(comps, weights):
    _check_raises_or(lambda: gt.Mixture(comps, weights), ("components", "weights"), _check_density)


@FUZZ
@given(scale=junk, shift=junk, skew=junk, tail=junk, base=st.one_of(densities(), junk))
def test_maps_and_pushforward(scale, shift, skew, tail, base):
    aff = _check_raises_or(lambda: gt.Affine(scale, shift), ("scale", "shift"))
    sas = _check_raises_or(lambda: gt.SinhArcsinh(skew, tail), ("skew", "tailweight"))
    for tr in (aff, sas, gt.Exp()):
        if tr is not None:
            _check_raises_or(lambda tr=tr: gt.Pushforward(base, tr), ("base", "transform", "dim"), _check_density)


@FUZZ
@given(p=densities(), x=junk)
def test_density_methods_on_any_input(p, x):
    for method in ("pdf", "logpdf", "cdf", "sf", "score"):
        def check(out, method=method):
            assert not np.isnan(out).any()
            if method in ("pdf", "cdf", "sf"):
                assert np.all(np.asarray(out) >= 0)
            if method in ("cdf", "sf"):
                assert np.all(np.asarray(out) <= 1)
        _check_raises_or(lambda method=method: getattr(p, method)(x), ("x",), check)
    _check_raises_or(lambda: p.sample(x, rng=0), ("n",))
    _check_raises_or(lambda: p.sample(3, rng=x), ("rng",))


BOUNDS = {
    "kl_divergence": (0.0, math.inf), "js_divergence": (0.0, LOG2), "js_distance": (0.0, math.sqrt(LOG2)),
    "tv_distance": (0.0, 1.0), "hellinger": (0.0, 1.0), "w1_distance": (0.0, math.inf),
}


@pytest.mark.parametrize("fname", sorted(BOUNDS))
@FUZZ
@given(pair=pairs(two_d=False),
       kw=st.dictionaries(st.sampled_from(["rtol", "atol", "base", "method", "breaks", "max_panels", "max_rounds"]),
                          junk, max_size=2))
@example(pair=(gt.Normal(0, 1), gt.Normal(0, 1)), kw={"max_panels": 2**63, "max_rounds": 2**70})  # past int64
def test_divergences_bounded_never_nan(fname, pair, kw):
    p, q = pair
    if fname not in ("kl_divergence", "js_divergence", "js_distance"):
        kw.pop("base", None)
    lo, hi = BOUNDS[fname]

    def check(out):
        assert isinstance(out, float) and not math.isnan(out)
        nats = float(out)
        if kw.get("base") is not None:  # back to nats (js_distance is the root of JSD in that base)
            unit = math.log(float(kw["base"]))
            nats = nats * math.sqrt(unit) if fname == "js_distance" else nats * unit
        assert lo <= nats <= hi * (1 + 1e-12) + 1e-15

    _check_raises_or(lambda: getattr(gt, fname)(p, q, **kw),
                     ("rtol", "atol", "base", "method", "p", "q", "breaks", "max_panels", "max_rounds"), check)


@FUZZ
@given(pair=pairs(two_d=False), f=st.one_of(st.sampled_from(sorted(gt.F_DIVERGENCES)), junk))
def test_f_divergence_named_or_junk(pair, f):
    p, q = pair

    def check(out):
        assert not math.isnan(out)
        if f == "gan":
            assert -math.log(4) - 1e-12 <= out <= 1e-12
        else:
            assert out >= -1e-12
    _check_raises_or(lambda: gt.f_divergence(p, q, f), ("f",), check)


@FUZZ
@given(pair=pairs(), data=st.data(), space=st.sampled_from(["x", "z", "y", 3]))
def test_value_function_and_criterion(pair, data, space):
    p, q = pair
    _, d = data.draw(discriminators(p, q))

    def check(out):
        assert not math.isnan(out) and out <= 1e-12
    _check_raises_or(lambda: gt.value_function(p, q, d, space=space), ("space", "p_g", "d"), check)
    c = gt.virtual_criterion(p, q)
    assert -math.log(4) <= c <= 0.0


@FUZZ
@given(p=densities(), scale=junk, shift=junk, loss=st.one_of(st.sampled_from(["minimax", "non_saturating"]), junk))
def test_generator_losses_and_gradients(p, scale, shift, loss):
    g = _check_raises_or(lambda: gt.Pushforward(gt.Normal(0, 1), gt.Affine(scale, shift)),
                         ("scale", "shift", "transform"))
    if g is None:
        return

    def finite(out):
        assert np.all(np.isfinite(out))
    _check_raises_or(lambda: gt.generator_gradient(p, g, loss=loss), ("loss", "p_g"), finite)
    _check_raises_or(lambda: gt.generator_loss(p, g, loss=loss), ("loss",), _no_nan)


@FUZZ
@given(a=junk, b=junk, y=junk)
def test_pointwise_lemma(a, b, y):
    def in_unit(out):
        assert np.all((np.asarray(out) >= 0) & (np.asarray(out) <= 1))
    _check_raises_or(lambda: gt.pointwise_argmax(a, b), ("a", "b"), in_unit)
    _check_raises_or(lambda: gt.pointwise_objective(y, a, b), ("y", "a", "b"),
                     _no_nan)


@FUZZ
@given(x=junk, y=junk, k=junk)
def test_knn_estimators_on_junk(x, y, k):
    for fn in (E.knn_kl, E.knn_jsd):
        _check_raises_or(lambda fn=fn: fn(x, y, k=k), ("x", "y", "k", "samples"),
                         _no_nan)


#: The largest sample size each stochastic method accepts (test_validation checks one beyond each).
N_MAX = {"mc": 10**11, "qmc": 2**26, "knn": 10**7, "discriminator": 10**7}


def _costly(v, above, maximum):
    """A valid but large sample size or step count, in ``(above, maximum]``: a request for minutes of
    work, not junk. Values beyond ``maximum`` are kept, since they must be refused at once."""
    if isinstance(v, bool):
        return False
    try:
        return above < operator.index(v) <= maximum
    except TypeError:
        return False


@FUZZ
@given(pair=pairs(two_d=False), method=st.sampled_from(sorted(N_MAX)), data=st.data(),
       rng=st.one_of(st.integers(0, 2**32), junk))
def test_stochastic_methods_on_junk_options(pair, method, data, rng):
    p, q = pair
    n = data.draw(st.one_of(st.integers(-3, 3000), junk.filter(lambda v: not _costly(v, 3000, N_MAX[method]))),
                  label="n")

    def check(out):
        assert not math.isnan(out)
    opts = {"n": n, "rng": rng}
    _check_raises_or(lambda: gt.js_divergence(p, q, method=method, **opts), ("n", "rng", "method", "replicates"),
                     check)


@FUZZ
@given(steps=st.one_of(st.integers(-2, 30), junk.filter(lambda v: not _costly(v, 30, T.MAX_STEPS))), lr=junk,
       grid=st.one_of(junk, st.just(np.linspace(-5, 5, 50))))
def test_training_on_junk(steps, lr, grid):
    p = gt.Normal(0.3, 1.1)

    def check(h):
        assert np.all((h.jsd >= 0) & (h.jsd <= LOG2 * (1 + 1e-15)))
        for arr in (h.params, h.grad_norm):
            _no_nan(arr)
    _check_raises_or(lambda: T.function_space(p, grid, steps=steps, lr=lr), ("grid", "steps", "lr", "p_data"), check)
    _check_raises_or(lambda: T.parametric(p, init=(1.0, 0.0), steps=steps, lr=lr), ("steps", "lr"), check)
    _check_raises_or(lambda: T.dirac_gan(lr, lr, h=0.1, steps=steps), ("theta0", "psi0", "steps", "h", "gamma"),
                     check)


def test_report_main_on_junk_arguments():
    from gantheory import report

    for argv in (["--section"], ["--format"], ["--out", "/proc/forbidden/x"], ["--seed", "1e3"], [3]):
        try:
            code = report.main(argv)
        except TypeError as exc:  # a non-string argv entry
            assert "argv" in str(exc) or "str" in str(exc)
            continue
        assert code == 2


# ------------------------------------------------------------------ the rest of the public API
def _no_nan_anywhere(out):
    """No NaN in a result of any kind: floats, arrays, Estimates, Histories, densities and tuples."""
    if isinstance(out, T.History):
        for arr in (out.jsd, out.params, out.grad_norm):
            _no_nan(arr)
    elif isinstance(out, (tuple, list)):
        for item in out:
            _no_nan_anywhere(item)
    elif isinstance(out, gt.Density):
        _check_density(out)
    elif isinstance(out, gt.Discriminator):
        x = np.linspace(-3, 3, 7) if out.__class__ is not gt.OptimalDiscriminator or out.p_data.dim == 1 else None
        if x is not None:
            _check_raises_or(lambda: out(x), ("d", "logit", "x"), _unit_interval)
    elif isinstance(out, (float, int, np.ndarray, np.generic)):
        _no_nan(out)


def _unit_interval(out):
    out = np.asarray(out, dtype=float)
    assert np.all((out >= 0) & (out <= 1))


_samples = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=12),
                      elements=st.floats(-1e3, 1e3))
def _evaluate_like(nodes):
    """Shaped like quadrature's evaluate callbacks (log-densities 0 and -x², zero weights)."""
    x = np.asarray(getattr(nodes, "x", nodes), dtype=float)
    x = x.reshape(len(x), -1)[:, 0] if x.ndim else x
    return np.zeros_like(x), -x * x, np.zeros_like(x), np.ones_like(x)


anything = st.one_of(junk, densities(), _samples, st.sampled_from(["kl", "js", "tv", "hellinger", "minimax"]),
                     st.just(np.linspace(-5, 5, 40)), st.just(lambda x: 0.5 * np.asarray(x)),
                     st.tuples(densities()), st.integers(-1, 8), st.just(_evaluate_like))

#: callable, names its errors may cite (the positional parameters), number of positional arguments
PUBLIC = {
    "as_density": (gt.as_density, ("obj", "density"), 1),
    "ScipyDensity": (gt.ScipyDensity, ("frozen",), 1),
    "LogitDiscriminator": (gt.LogitDiscriminator, ("logit", "dlogit"), 2),
    "QuadraticDiscriminator": (gt.QuadraticDiscriminator, ("a", "b", "c"), 3),
    "OptimalDiscriminator": (gt.OptimalDiscriminator, ("p_data", "p_g", "dimension"), 2),
    "optimal_discriminator": (gt.optimal_discriminator, ("p_data", "p_g", "dimension"), 2),
    "kl_divergence": (gt.kl_divergence, ("p", "q", "dimension"), 2),
    "w1_distance": (gt.w1_distance, ("p", "q", "dimension", "one-dimensional"), 2),
    "expectation": (Q.expectation, ("p", "g", "integrand"), 2),
    "integrate_pair": (Q.integrate_pair, ("densities", "kind", "evaluate"), 3),
    "knn_entropy": (E.knn_entropy, ("x", "samples"), 1),
    "fit_logistic": (E.fit_logistic, ("x_real", "x_fake", "samples"), 2),
    "monte_carlo": (E.monte_carlo, ("name", "p", "q", "dimension"), 3),
    "quasi_monte_carlo": (E.quasi_monte_carlo, ("name", "p", "q", "dimension"), 3),
    "discriminator_jsd": (E.discriminator_jsd, ("p", "q", "dimension"), 2),
    "algorithm1": (T.algorithm1, ("p_data", "grid"), 2),
    "grid_jsd": (T.grid_jsd, ("p", "g", "w"), 3),
    "dirac_jacobian": (T.dirac_jacobian, ("theta", "psi", "gamma"), 3),
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
@FUZZ
@given(data=st.data())
def test_every_public_callable_on_anything(name, data):
    fn, names, nargs = PUBLIC[name]
    args = [data.draw(anything, label=f"arg{i}") for i in range(nargs)]
    kwargs = {}
    if name in ("monte_carlo", "quasi_monte_carlo", "discriminator_jsd"):
        kwargs = {"n": data.draw(st.integers(-2, 2000), label="n"), "rng": 0}
        names = (*names, "n")
    if name == "algorithm1":
        kwargs = {"steps": data.draw(st.integers(0, 20), label="steps")}
        names = (*names, "steps")
    _check_raises_or(lambda: fn(*args, **kwargs), names, _no_nan_anywhere)
