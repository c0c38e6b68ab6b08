"""gantheory quadrature vs scipy.integrate on the issue-2 reference pairs, side by side in one run.

For every one-dimensional pair: the median time of ``gt.js_divergence`` (default rtol=1e-12) and of
``scipy.integrate.quad`` given a plain-Python log-space integrand of the same densities (their
``logpdf`` on scalars), split at the same obvious points a careful user would split at (the
locations and support ends), epsrel=1e-12. Both errors are measured against the 30-digit mpmath
references in tests/reference_values.json. For the 2-D pair, ``scipy.integrate.dblquad`` on the
same integrand at the tolerance that gives comparable error. Also: ``import gantheory`` time in a
fresh process, and the first-call cost with a cold and a warm kernel cache.

    python benchmarks/bench_quadrature.py [--quick] [--csv FILE]

JIT compilation is kept out of every timing (each function runs once before it is timed).
"""

import argparse
import csv
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import integrate

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from pairs import REFERENCE  # noqa: E402
from reference import load  # noqa: E402

import gantheory as gt  # noqa: E402

LN2 = math.log(2.0)


def jsd_integrand(p, q):
    """The JSD integrand in log space, plain Python, calling the densities' logpdf on scalars."""
    def f(x):
        lp, lq = float(p.logpdf(x)), float(q.logpdf(x))
        if lp == -math.inf and lq == -math.inf:
            return 0.0
        lm = max(lp, lq) + math.log1p(math.exp(-abs(lp - lq))) - LN2
        s = 0.0
        if lp > -math.inf:
            s += math.exp(lp) * (lp - lm)
        if lq > -math.inf:
            s += math.exp(lq) * (lq - lm)
        return 0.5 * s
    return f


def split_points(p, q):
    """Locations and finite support ends: where a user would split a quad call."""
    pts = set()
    for d in (p, q):
        for comp in getattr(d, "components", [d]):
            for attr in ("loc", "low", "high"):
                if hasattr(comp, attr):
                    pts.add(float(getattr(comp, attr)))
        lo, hi = d.support
        pts.update(v for v in (lo, hi) if math.isfinite(v))
    lo = min(p.support[0], q.support[0])
    hi = max(p.support[1], q.support[1])
    inner = sorted(v for v in pts if lo <= v <= hi)
    return [lo, *[v for v in inner if v not in (lo, hi)], hi] if inner else [lo, hi]


def scipy_jsd(p, q, epsrel=1e-12):
    f = jsd_integrand(p, q)
    edges = split_points(p, q)
    total = 0.0
    for a, b in itertools.pairwise(edges):
        if a == b:
            continue
        total += integrate.quad(f, a, b, epsabs=0.0, epsrel=epsrel, limit=200)[0]
    return total


def scipy_jsd_2d(p, q, eps):
    def f(y, x):
        pt = np.array([x, y])
        lp, lq = float(p.logpdf(pt)), float(q.logpdf(pt))
        lm = max(lp, lq) + math.log1p(math.exp(-abs(lp - lq))) - LN2
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))
    return integrate.dblquad(f, -14, 14, -14, 14, epsabs=eps, epsrel=eps)[0]


def median_time(fn, budget):
    fn()  # compile / warm up, not timed
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 200):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def import_times(repeats):
    code = "import time; t = time.perf_counter(); import gantheory; print(time.perf_counter() - t)"
    out = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout) for _ in range(repeats)]
    return statistics.median(out)


def first_call(cache_dir):
    code = ("import time, gantheory as gt; t = time.perf_counter(); "
            "gt.js_divergence(gt.Normal(0, 1), gt.Normal(1, 1)); "
            "gt.kl_divergence(gt.MultivariateNormal([0, 0], [[1, 0], [0, 1]]), "
            "gt.MultivariateNormal([1, 0], [[1, 0], [0, 1]])); print(time.perf_counter() - t)")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                env=env).stdout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short timing budgets (CI smoke test)")
    ap.add_argument("--csv", type=Path, help="write the 1-D table as CSV")
    args = ap.parse_args(argv)
    budget = 0.05 if args.quick else 0.5
    refs = load()
    rows = []
    for name, (p, q) in REFERENCE.items():
        if p.dim != 1:
            continue
        ref = refs[name]["jsd"]
        g = gt.js_divergence(p, q)
        s = scipy_jsd(p, q)
        tg = median_time(lambda p=p, q=q: gt.js_divergence(p, q), budget)
        ts = median_time(lambda p=p, q=q: scipy_jsd(p, q), budget)
        rows.append({"pair": name, "gantheory_s": tg, "scipy_quad_s": ts, "ratio": ts / tg,
                     "gantheory_relerr": abs(g - ref) / ref, "scipy_relerr": abs(s - ref) / ref})
    print("JSD by quadrature, 1-D reference pairs (median times; errors vs 30-digit mpmath)\n")
    print(f"{'pair':26s} {'gantheory':>11s} {'scipy quad':>11s} {'ratio':>7s} {'gt rel.err':>10s} "
          f"{'quad rel.err':>12s}")
    for r in rows:
        print(f"{r['pair']:26s} {r['gantheory_s'] * 1e3:9.3f}ms {r['scipy_quad_s'] * 1e3:9.2f}ms "
              f"{r['ratio']:6.0f}x {r['gantheory_relerr']:10.1e} {r['scipy_relerr']:12.1e}")
    ratios = [r["ratio"] for r in rows]
    both_ok = all(r["gantheory_relerr"] <= 1e-10 for r in rows)
    print(f"\nmedian speed-up over scipy quad: {statistics.median(ratios):.0f}x "
          f"(min {min(ratios):.0f}x); gantheory error <= 1e-10 on every pair: {both_ok}")
    quad_ok = [r["pair"] for r in rows if r["scipy_relerr"] > 1e-10]
    if quad_ok:
        print(f"scipy quad missed 1e-10 on: {', '.join(quad_ok)}")

    p, q = REFERENCE["mvn2_correlated"]
    ref = refs["mvn2_correlated"]["jsd"]
    g2 = gt.js_divergence(p, q)
    eg = abs(g2 - ref) / ref
    tg2 = median_time(lambda: gt.js_divergence(p, q), budget)
    eps = 1e-9 if args.quick else 1e-11
    t = time.perf_counter()
    s2 = scipy_jsd_2d(p, q, eps)
    ts2 = time.perf_counter() - t
    es = abs(s2 - ref) / ref
    print("\nJSD of the 2-D correlated Gaussians")
    print(f"  gantheory tensor rule: {tg2 * 1e3:8.2f} ms, rel. error {eg:.1e}")
    print(f"  scipy dblquad (eps={eps:g}): {ts2 * 1e3:8.0f} ms, rel. error {es:.1e}")
    print(f"  ratio: {ts2 / tg2:.0f}x")

    imp = import_times(3 if args.quick else 7)
    cold_dir = tempfile.mkdtemp(prefix="gt-numba-")
    try:
        cold = first_call(cold_dir)
        warm = first_call(cold_dir)
    finally:
        shutil.rmtree(cold_dir, ignore_errors=True)
    print(f"\n`import gantheory` in a fresh process: {imp * 1e3:.0f} ms (median)")
    print(f"first 1-D + 2-D divergence in a fresh process: {cold:.2f} s with an empty kernel cache, "
          f"{warm:.2f} s with the cache from the previous process")
    if args.csv:
        with args.csv.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    summary = {"median_ratio_1d": statistics.median(ratios), "ratio_2d": ts2 / tg2, "import_s": imp,
               "cold_first_call_s": cold, "warm_first_call_s": warm}
    print("\n" + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
