"""The public API: names, documentation, import cost, kernel caching, method registry."""

import inspect
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gantheory as gt
from gantheory import _kernels

CONTRACT = ["Normal", "Uniform", "Laplace", "Cauchy", "StudentT", "Beta", "Mixture", "MultivariateNormal",
            "GridDensity", "Pushforward", "Affine", "kl_divergence", "js_divergence", "js_distance",
            "tv_distance", "hellinger", "f_divergence", "w1_distance", "optimal_discriminator",
            "value_function", "virtual_criterion"]


def test_contract_names_are_exported():
    for name in CONTRACT:
        assert name in gt.__all__
        assert hasattr(gt, name)


@pytest.mark.parametrize("name", sorted(gt.__all__))
def test_every_export_exists_and_is_documented(name):
    obj = getattr(gt, name)
    if name in ("__version__", "F_DIVERGENCES"):
        return
    assert inspect.getdoc(obj), f"{name} has no docstring"


def test_contract_argument_order():
    """Names and positional order of the public signatures."""
    order = {
        gt.Normal: ["loc", "scale"], gt.Uniform: ["low", "high"], gt.Laplace: ["loc", "scale"],
        gt.Cauchy: ["loc", "scale"], gt.StudentT: ["df", "loc", "scale"], gt.Beta: ["a", "b"],
        gt.Mixture: ["components", "weights"], gt.MultivariateNormal: ["mean", "cov"],
        gt.GridDensity: ["x", "values"], gt.Pushforward: ["base", "transform"], gt.Affine: ["scale", "shift"],
        gt.f_divergence: ["p", "q", "f"], gt.value_function: ["p_data", "p_g", "d"],
        gt.optimal_discriminator: ["p_data", "p_g"], gt.virtual_criterion: ["p_data", "p_g"],
    }
    for fn, names in order.items():
        params = list(inspect.signature(fn).parameters)
        assert params[: len(names)] == names, fn


def _run(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_compiles_nothing():
    res = _run("""
        import json, gantheory
        from gantheory import _kernels as K
        from gantheory import _engine as E
        sigs = {n: len(getattr(K, n).signatures) for n in ("terms", "gk_panels", "map_nodes")}
        print(json.dumps(dict(sigs, adaptive=len(E.adaptive.signatures))))
    """)
    assert res == {"terms": 0, "gk_panels": 0, "map_nodes": 0, "adaptive": 0}


def test_kernels_are_cached_across_processes():
    """A second process loads the compiled kernels from the on-disk cache instead of compiling."""
    code = """
        import json, gantheory as gt
        from gantheory import _engine as E, _kernels as K
        gt.js_divergence(gt.Normal(0, 1), gt.Normal(1, 1))  # the compiled path
        gt.js_divergence(gt.Pushforward(gt.Beta(2, 2), gt.Affine(2.0, 0.0)), gt.Beta(3, 2))  # Python path
        s = [E.adaptive.stats, K.gk_panels.stats]
        print(json.dumps({"hits": min(sum(x.cache_hits.values()) for x in s),
                          "misses": sum(sum(x.cache_misses.values()) for x in s)}))
    """
    _run(code)  # warm the cache (compiles if this is the first run)
    second = _run(code)
    assert second["hits"] >= 1 and second["misses"] == 0


def _no_cache_location(tmp_path):
    """A copy of the package where numba can write no cache: its ``__pycache__`` is a file, and so are
    the parents of HOME, XDG_CACHE_HOME and NUMBA_CACHE_DIR (as a read-only install in a container)."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(Path(gt.__file__).parent, site / "gantheory", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "gantheory" / "__pycache__").write_text("")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    env = dict(os.environ, PYTHONPATH=str(site), HOME=str(blocker / "home"), XDG_CACHE_HOME=str(blocker / "c"),
               NUMBA_CACHE_DIR=str(blocker / "numba"), PYTHONDONTWRITEBYTECODE="1")
    return site, env


def _run_in(env, code, cwd):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         env=env, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


_NO_CACHE_CODE = """
    import json, warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import gantheory as gt
        from gantheory import _kernels as K
        value = {value}
    print(json.dumps({{"file": gt.__file__, "cache": K._JIT["cache"], "value": value,
                      "warnings": [str(w.message) for w in caught]}}))
"""


def test_import_without_a_writable_cache_location(tmp_path):
    """``import gantheory`` with nowhere to write numba's cache: it imports (it raised "cannot cache
    function '_bregman': no locator available"), says so once, and densities work."""
    site, env = _no_cache_location(tmp_path)
    res = _run_in(env, _NO_CACHE_CODE.format(value="float(gt.Normal(0, 1).logpdf(0.0))"), tmp_path)
    assert res["file"].startswith(str(site)) and res["cache"] is False
    assert res["value"] == -0.5 * math.log(2 * math.pi)
    assert len(res["warnings"]) == 1 and "NUMBA_CACHE_DIR" in res["warnings"][0]


@pytest.mark.slow
def test_divergences_without_a_writable_cache_location(tmp_path):
    """The same, through the compiled kernels (compiled in the process, about a minute): JSD of two unit
    normals one apart, against the mpmath value."""
    _, env = _no_cache_location(tmp_path)
    res = _run_in(env, _NO_CACHE_CODE.format(value="float(gt.js_divergence(gt.Normal(0, 1), gt.Normal(1, 1)))"),
                  tmp_path)
    assert res["cache"] is False and len(res["warnings"]) == 1
    assert res["value"] == pytest.approx(0.111421482184736179717, rel=1e-12)


def test_kernels_settings_keep_ieee_semantics():
    assert _kernels._JIT["cache"] is True
    assert "fastmath" not in _kernels._JIT


def test_unknown_method_lists_valid_ones():
    with pytest.raises(ValueError, match=r"valid: .*quad"):
        gt.js_divergence(gt.Normal(), gt.Normal(1, 1), method="simpson")
    with pytest.raises(ValueError, match="unknown f"):
        gt.f_divergence(gt.Normal(), gt.Normal(1, 1), "chi")


def test_version():
    assert isinstance(gt.__version__, str) and gt.__version__.count(".") == 2
    assert math.isfinite(float(gt.js_divergence(gt.Normal(), gt.Normal(1, 1))))


def test_warnings_point_at_the_callers_line():
    """An AccuracyWarning names the line that called the public function, through its option checking
    and every helper inside gantheory (from a charge added after the integral, and from the integral)."""
    g = gt.Pushforward(gt.StudentT(5.0, 0.0, 1.0), gt.Affine(2.0, 1.0))
    d = gt.QuadraticDiscriminator(0.1, -0.3, 0.2)
    with pytest.warns(gt.AccuracyWarning) as caught:
        gt.generator_gradient(gt.Normal(0, 1), g, d, max_rounds=1)
    with pytest.warns(gt.AccuracyWarning) as more:
        gt.f_divergence(gt.StudentT(3.0, 0.0, 1.0), gt.Normal(0, 1), lambda u: u * np.log(u))
    assert {w.filename for w in list(caught) + list(more)} == {__file__}
