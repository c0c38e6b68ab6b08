"""JSD by quadrature: gantheory against the fastest code a user would write with each peer's own tools.

Every call is timed on fresh objects (gantheory's densities are built inside the timed call, as a
property test, a training step or a sweep builds them), side by side in one run:

* ``scipy.integrate.quad`` given a plain-Python integrand that uses the ``math`` module only (log
  space, split at the locations, ``epsrel=1e-12``);
* ``scipy.integrate.quad`` given a numba ``cfunc`` integrand as a ``LowLevelCallable`` (the same
  integrand compiled; parameters passed as ``args``, so new parameters do not recompile);
* a trapezoid rule on a uniform grid with numpy's vectorised log-densities, on a box and with a node
  count chosen (by doubling, against the reference) to reach 1e-10 where that is possible;
* for the 2-D pair, ``scipy.integrate.dblquad`` with a ``math`` integrand.

None of the peers calls gantheory. Errors are against 30-digit mpmath references computed here
(the 2-D pair, of equal covariances, reduces exactly to a 1-D pair at the Mahalanobis distance).
JIT compilation is kept out of every timing.

    python benchmarks/bench_quadrature.py [--quick] [--csv FILE]
"""

import argparse
import csv
import gc
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

import mpmath as mp
import numpy as np
from numba import cfunc, njit, types
from scipy import LowLevelCallable, integrate

import gantheory as gt

LN2 = math.log(2.0)
NORMAL, LAPLACE, CAUCHY, STUDENT = range(4)


# ------------------------------------------------------------------------------------- the pairs
def mixture(*parts):
    """``[(weight, family, loc, scale, shape), ...]`` as a gantheory mixture."""
    make = {NORMAL: lambda m, s, k: gt.Normal(m, s), LAPLACE: lambda m, s, k: gt.Laplace(m, s),
            CAUCHY: lambda m, s, k: gt.Cauchy(m, s), STUDENT: lambda m, s, k: gt.StudentT(k, m, s)}
    comps = [make[f](m, s, k) for _, f, m, s, k in parts]
    return comps[0] if len(comps) == 1 else gt.Mixture(comps, [w for w, *_ in parts])


#: name -> (p, q) as component lists (weight, family, loc, scale, shape)
PAIRS = {
    "N(0,1) vs N(1,1)": ([(1.0, NORMAL, 0.0, 1.0, 0.0)], [(1.0, NORMAL, 1.0, 1.0, 0.0)]),
    "N(0,1) vs N(3,2)": ([(1.0, NORMAL, 0.0, 1.0, 0.0)], [(1.0, NORMAL, 3.0, 2.0, 0.0)]),
    "Cauchy(0,1) vs Cauchy(1,3)": ([(1.0, CAUCHY, 0.0, 1.0, 0.0)], [(1.0, CAUCHY, 1.0, 3.0, 0.0)]),
    "Laplace(0,1) vs Laplace(1,2)": ([(1.0, LAPLACE, 0.0, 1.0, 0.0)], [(1.0, LAPLACE, 1.0, 2.0, 0.0)]),
    "Student-t(3) vs N(0,1)": ([(1.0, STUDENT, 0.0, 1.0, 3.0)], [(1.0, NORMAL, 0.0, 1.0, 0.0)]),
    "N(-2,.5)+N(2,.5) vs N(0,1)": ([(0.5, NORMAL, -2.0, 0.5, 0.0), (0.5, NORMAL, 2.0, 0.5, 0.0)],
                                   [(1.0, NORMAL, 0.0, 1.0, 0.0)]),
}
COV2 = [[1.0, 0.8], [0.8, 1.0]]
MEAN2 = [1.0, 0.0]
COV_P, COV_Q, MEAN_Q = [[1.0, 0.3], [0.3, 0.8]], [[1.2, 0.3], [0.3, 0.8]], [0.5, -0.2]


# --------------------------------------------------------------------------- the math integrand
def _lp_math(fam, m, s, k, x):
    z = (x - m) / s
    if fam == NORMAL:
        return -0.5 * z * z - math.log(s) - 0.5 * math.log(2.0 * math.pi)
    if fam == LAPLACE:
        return -abs(z) - math.log(2.0 * s)
    if fam == CAUCHY:
        return -math.log1p(z * z) - math.log(math.pi * s)
    return (math.lgamma(0.5 * (k + 1)) - math.lgamma(0.5 * k) - 0.5 * math.log(k * math.pi) - math.log(s)
            - 0.5 * (k + 1) * math.log1p(z * z / k))


def _logmix_math(parts, x):
    logs = [math.log(w) + _lp_math(f, m, s, k, x) for w, f, m, s, k in parts]
    top = max(logs)
    return top + math.log(sum(math.exp(v - top) for v in logs)) if len(logs) > 1 else logs[0]


def _jsd_term(lp, lq):
    """The JSD integrand from two log-densities (math only, no cancellation far from p = q)."""
    big = max(lp, lq)
    if big == -math.inf:
        return 0.0
    lm = big + math.log1p(math.exp(-abs(lp - lq))) - LN2
    return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))


def _splits(p, q):
    return sorted({m for *_, m, _, _ in p + q})


def quad_math(p, q):
    def f(x):
        return _jsd_term(_logmix_math(p, x), _logmix_math(q, x))
    edges = [-math.inf, *_splits(p, q), math.inf]
    return sum(integrate.quad(f, a, b, epsabs=0.0, epsrel=1e-12, limit=200)[0] for a, b in itertools.pairwise(edges))


# ------------------------------------------------------------------------- the numba cfunc peer
_lp_nb = njit(cache=True)(_lp_math)  # the same math-only formulas, compiled


@njit(cache=True)
def _logmix_nb(xx, o, x):
    """Components ``(n, then n x (weight, family, loc, scale, shape))`` from ``xx[o]`` on."""
    n = int(xx[o])
    top, logs = -math.inf, np.empty(n)
    for i in range(n):
        b = o + 1 + 5 * i
        logs[i] = math.log(xx[b]) + _lp_nb(int(xx[b + 1]), xx[b + 2], xx[b + 3], xx[b + 4], x)
        top = max(top, logs[i])
    if n == 1:
        return logs[0]
    acc = 0.0
    for i in range(n):
        acc += math.exp(logs[i] - top)
    return top + math.log(acc)


@cfunc(types.float64(types.intc, types.CPointer(types.float64)), cache=True)
def _jsd_cfunc(n, xx):
    x = xx[0]
    np_ = int(xx[1])
    lp = _logmix_nb(xx, 1, x)
    lq = _logmix_nb(xx, 2 + 5 * np_, x)
    big = max(lp, lq)
    if big == -math.inf:
        return 0.0
    lm = big + math.log1p(math.exp(-abs(lp - lq))) - LN2
    return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))


_LLC = LowLevelCallable(_jsd_cfunc.ctypes)


def quad_cfunc(p, q):
    args = (len(p), *[v for c in p for v in c], len(q), *[v for c in q for v in c])
    edges = [-math.inf, *_splits(p, q), math.inf]
    return sum(integrate.quad(_LLC, a, b, args=args, epsabs=0.0, epsrel=1e-12, limit=200)[0]
               for a, b in itertools.pairwise(edges))


# ---------------------------------------------------------------------------- numpy trapezoid
def _logmix_np(parts, x):
    from scipy.special import gammaln, logsumexp

    logs = []
    for w, f, m, s, k in parts:
        z = (x - m) / s
        if f == NORMAL:
            v = -0.5 * z * z - math.log(s) - 0.5 * math.log(2 * math.pi)
        elif f == LAPLACE:
            v = -np.abs(z) - math.log(2 * s)
        elif f == CAUCHY:
            v = -np.log1p(z * z) - math.log(math.pi * s)
        else:
            v = (gammaln(0.5 * (k + 1)) - gammaln(0.5 * k) - 0.5 * math.log(k * math.pi) - math.log(s)
                 - 0.5 * (k + 1) * np.log1p(z * z / k))
        logs.append(math.log(w) + v)
    return logs[0] if len(logs) == 1 else logsumexp(np.stack(logs), axis=0)


def trapezoid(p, q, box, n):
    x = np.linspace(box[0], box[1], n)
    lp, lq = _logmix_np(p, x), _logmix_np(q, x)
    lm = np.logaddexp(lp, lq) - LN2
    f = 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))
    return float(np.trapezoid(f, x))


def trapezoid_setup(p, q, ref):
    """The smallest power-of-two node count on a box of 13 scales past every component that reaches
    1e-10 relative, or None (heavy tails: no box short of enormous holds the mass to 1e-10)."""
    if any(c[1] in (CAUCHY, STUDENT) for c in p + q):
        return None
    lo = min(m - 13 * s for _, _, m, s, _ in p + q)
    hi = max(m + 13 * s for _, _, m, s, _ in p + q)
    n = 16
    while n <= 1 << 16:
        if abs(trapezoid(p, q, (lo, hi), n) - ref) <= 1e-10 * ref:
            return (lo, hi), n
        n *= 2
    return None


# -------------------------------------------------------------------------------- references
def reference(p, q):
    """JSD at 30 digits by mpmath, split at the locations."""
    mp.mp.dps = 30

    def lmix(parts, x):
        logs = []
        for w, f, m, s, k in parts:
            m, s, k = mp.mpf(m), mp.mpf(s), mp.mpf(k)
            z = (x - m) / s
            if f == NORMAL:
                v = -z * z / 2 - mp.log(s) - mp.log(2 * mp.pi) / 2
            elif f == LAPLACE:
                v = -abs(z) - mp.log(2 * s)
            elif f == CAUCHY:
                v = -mp.log1p(z * z) - mp.log(mp.pi * s)
            else:
                v = (mp.loggamma((k + 1) / 2) - mp.loggamma(k / 2) - mp.log(k * mp.pi) / 2 - mp.log(s)
                     - (k + 1) / 2 * mp.log1p(z * z / k))
            logs.append(mp.log(w) + v)
        top = max(logs)
        return top + mp.log(sum(mp.exp(v - top) for v in logs))

    def f(x):
        lp, lq = lmix(p, x), lmix(q, x)
        lm = max(lp, lq) + mp.log1p(mp.exp(-abs(lp - lq))) - mp.log(2)
        return (mp.exp(lp) * (lp - lm) + mp.exp(lq) * (lq - lm)) / 2

    pts = sorted({mp.mpf(m) + d * mp.mpf(s) for *_, m, s, _ in p + q for d in (-3, 0, 3)})
    return float(mp.quad(f, [-mp.inf, *pts, mp.inf]))


# ------------------------------------------------------------------------------------ timing
def side_by_side(fns, budget):
    """Per-call times of the callables ``fns`` (a dict), measured interleaved: rounds in which each side
    runs a batch of about a millisecond in turn, so that a change in the machine's speed during the run
    reaches every side alike; the median over the rounds of each side's mean call. The garbage collector
    is off while timing (as ``timeit`` does), for every side alike."""
    batch = {}
    for name, fn in fns.items():
        fn()  # compile / warm up, not timed
        t = time.perf_counter()
        fn()
        batch[name] = max(1, min(1000, int(1e-3 / max(time.perf_counter() - t, 1e-7))))
    times = {name: [] for name in fns}
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        while min(map(len, times.values())) < 5 or (time.perf_counter() - start < budget * len(fns)
                                                    and min(map(len, times.values())) < 500):
            for name, fn in fns.items():
                t = time.perf_counter()
                for _ in range(batch[name]):
                    fn()
                times[name].append((time.perf_counter() - t) / batch[name])
    finally:
        gc.enable()
    return {name: statistics.median(v) for name, v in times.items()}


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


def _two_d(title, call, integrand, xbox, ref, eps, budget, summary, key="ratio_2d"):
    """gantheory's ``call`` against ``scipy.integrate.dblquad`` of the math-only ``integrand`` over
    ``xbox`` x [-14, 14], timed interleaved; prints the line and records the ratio in ``summary``."""
    def dbl():
        return integrate.dblquad(integrand, *xbox, -14, 14, epsabs=eps * ref, epsrel=eps)[0]

    got, peer = call(), dbl()
    t = side_by_side({"gt": call, "dblquad": dbl}, budget)
    print(f"{title}: gantheory {_us(t['gt'])} (rel. error {abs(float(got) - ref) / ref:.0e}, {got.neval} nodes); "
          f"scipy dblquad (eps={eps:g}) {_us(t['dblquad'])} (rel. error {abs(peer - ref) / ref:.0e}): "
          f"{t['dblquad'] / t['gt']:.0f}x")
    summary[key] = t["dblquad"] / t["gt"]


def _us(t):
    return "-" if t is None else f"{t * 1e6:.0f} us" if t < 1e-2 else f"{t * 1e3:.0f} ms"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short timing budgets (CI smoke test)")
    ap.add_argument("--csv", type=Path, help="write the 1-D table as CSV")
    args = ap.parse_args(argv)
    budget = 0.05 if args.quick else 1.0
    rows = []
    for name, (p, q) in PAIRS.items():
        ref = reference(p, q)
        g = gt.js_divergence(mixture(*p), mixture(*q))
        row = {"pair": name, "ref": ref, "gt_err": abs(float(g) - ref) / ref, "gt_bar": g.error / ref,
               "gt_neval": g.neval}
        row["quad_err"] = abs(quad_math(p, q) - ref) / ref
        row["cfunc_err"] = abs(quad_cfunc(p, q) - ref) / ref
        fns = {"gt_s": lambda p=p, q=q: gt.js_divergence(mixture(*p), mixture(*q)),
               "quad_s": lambda p=p, q=q: quad_math(p, q),
               "cfunc_s": lambda p=p, q=q: quad_cfunc(p, q)}
        setup = trapezoid_setup(p, q, ref)
        row.update(trap_s=None, trap_n=None, trap_err=None)
        if setup is not None:
            box, n = setup
            row.update(trap_n=n, trap_err=abs(trapezoid(p, q, box, n) - ref) / ref)
            fns["trap_s"] = lambda p=p, q=q, box=box, n=n: trapezoid(p, q, box, n)
        row.update(side_by_side(fns, budget))
        rows.append(row)

    print("JSD, fresh objects, median times measured side by side (relative errors against 30-digit mpmath)\n")
    print(f"{'pair':28s} {'gantheory':>17s} {'quad, math':>17s} {'quad, cfunc':>17s} {'numpy trapezoid':>24s}"
          f" {'vs math':>8s} {'vs cfunc':>8s} {'vs trapz':>8s}")
    for r in rows:
        trap = "-" if r["trap_s"] is None else f"{_us(r['trap_s'])} ({r['trap_n']}) {r['trap_err']:.0e}"
        print(f"{r['pair']:28s} {_us(r['gt_s']):>8s} {r['gt_err']:8.0e} {_us(r['quad_s']):>8s} {r['quad_err']:8.0e}"
              f" {_us(r['cfunc_s']):>8s} {r['cfunc_err']:8.0e} {trap:>24s} {r['quad_s'] / r['gt_s']:7.1f}x"
              f" {r['cfunc_s'] / r['gt_s']:7.2f}x "
              + ("       -" if r["trap_s"] is None else f"{r['trap_s'] / r['gt_s']:7.2f}x"))
    ratios = [r["quad_s"] / r["gt_s"] for r in rows]
    cf = [r["cfunc_s"] / r["gt_s"] for r in rows]
    print(f"\nover scipy.quad with a math integrand: median {statistics.median(ratios):.1f}x, min {min(ratios):.1f}x; "
          f"over scipy.quad with a numba cfunc: median {statistics.median(cf):.2f}x, min {min(cf):.2f}x")
    print("gantheory within its error bar on every pair: "
          f"{all(r['gt_err'] <= r['gt_bar'] for r in rows)}; within 1e-12: {all(r['gt_err'] <= 1e-12 for r in rows)}")

    # 2-D: equal covariances, so JSD equals the 1-D JSD of unit normals at the Mahalanobis distance
    cov = np.array(COV2)
    delta = math.sqrt(float(np.array(MEAN2) @ np.linalg.solve(cov, np.array(MEAN2))))
    ref2 = reference([(1.0, NORMAL, 0.0, 1.0, 0.0)], [(1.0, NORMAL, delta, 1.0, 0.0)])

    def make2():
        return gt.MultivariateNormal([0.0, 0.0], COV2), gt.MultivariateNormal(MEAN2, COV2)

    inv = np.linalg.inv(cov)
    a, b, c = inv[0, 0], inv[0, 1], inv[1, 1]
    lnorm = -math.log(2 * math.pi) - 0.5 * math.log(np.linalg.det(cov))
    m0, m1 = MEAN2

    def f2(y, x):
        lp = lnorm - 0.5 * (a * x * x + 2 * b * x * y + c * y * y)
        u, v = x - m0, y - m1
        lq = lnorm - 0.5 * (a * u * u + 2 * b * u * v + c * v * v)
        return _jsd_term(lp, lq)

    summary = {}
    eps = 1e-8 if args.quick else 1e-10
    budget2 = 0.1 if args.quick else 0.5
    _two_d(f"\n2-D normals, correlation 0.8, means 0 and {MEAN2} (one covariance: gantheory reduces the pair to "
           "one dimension exactly), JSD", lambda: gt.js_divergence(*make2()), f2, (-14, 15), ref2, eps, budget2,
           summary)

    # 2-D, two covariances: the tensor rule. KL, whose closed form for normals is the reference
    c1, c2, m = np.array(COV_P), np.array(COV_Q), np.array(MEAN_Q)
    i1, i2 = np.linalg.inv(c1), np.linalg.inv(c2)
    ref3 = 0.5 * (np.trace(i2 @ c1) + m @ i2 @ m - 2 + math.log(np.linalg.det(c2) / np.linalg.det(c1)))
    n1 = -math.log(2 * math.pi) - 0.5 * math.log(np.linalg.det(c1))
    n2 = -math.log(2 * math.pi) - 0.5 * math.log(np.linalg.det(c2))

    def f3(y, x):
        lp = n1 - 0.5 * (i1[0, 0] * x * x + 2 * i1[0, 1] * x * y + i1[1, 1] * y * y)
        u, v = x - m[0], y - m[1]
        lq = n2 - 0.5 * (i2[0, 0] * u * u + 2 * i2[0, 1] * u * v + i2[1, 1] * v * v)
        return math.exp(lp) * (lp - lq)

    _two_d(f"2-D normals with two covariances {COV_P} and {COV_Q} (the tensor rule), KL",
           lambda: gt.kl_divergence(gt.MultivariateNormal([0.0, 0.0], COV_P), gt.MultivariateNormal(MEAN_Q, COV_Q)),
           f3, (-14, 14), ref3, eps, budget2, summary, key="ratio_2d_tensor")

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
    summary.update({"median_ratio_math": statistics.median(ratios), "min_ratio_math": min(ratios),
                    "median_ratio_cfunc": statistics.median(cf), "import_s": imp, "cold_first_call_s": cold,
                    "warm_first_call_s": warm})
    print("\n" + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
