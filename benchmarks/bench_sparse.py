"""The sparse-grid rule against closed forms: KL and squared Hellinger of random normal pairs in d = 3 to 5.

    python benchmarks/bench_sparse.py [--pairs 30] [--seed 100] [--versus-mc]

``--versus-mc`` times instead, on the estimator benchmark's pairs in d = 3 to 6, JSD by the sparse rule
at rtol 1e-6 against plain Monte Carlo (no variance reduction) with the samples for a standard error of
1e-3, interleaved on fresh objects, best of five (Monte Carlo: of two), with the sparse rule's true error
against 30-digit references.

Pairs of one covariance take the sparse rule by default (forced here: otherwise they are computed as a
one-dimensional pair), pairs of two covariances with ``rule="sparse"``; each at rtol 1e-3 and 1e-6. Prints,
per kind of pair, the results outside their error bar, the flagged ones and the worst true error over
the reported one (the estimate of what is left is 3 times the differences not yet refined for one
covariance and 30 times for two, so the worst multiple of the differences' sum is that ratio times 3 or
30). Several minutes on 2 cores.
"""

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import gantheory as gt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import oracle
import reference


def kl_mvn(m1, s1, m2, s2):
    """KL of two normals in closed form, in mpmath (the tests' ``reference.kl_mvn``)."""
    return float(reference.kl_mvn(*(np.asarray(a, float).tolist() for a in (m1, s1, m2, s2))))


def h2_mvn(m1, s1, m2, s2):
    """Squared Hellinger of two normals in closed form, in mpmath (the tests' ``oracle.mvn_h2``)."""
    return float(oracle.mvn_h2(*(np.asarray(a, float).tolist() for a in (m1, s1, m2, s2))))


def best(fn, repeat):
    fn()  # (compile, warm up)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def versus_mc():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_estimators as bench

    from gantheory import estimators as est

    refs = bench.references()
    for d in (3, 4, 5, 6):
        for name in ("gauss", "mixture"):
            def pair(name=name, d=d):
                return bench.panel(d)[name]

            value = gt.js_divergence(*pair(), rtol=1e-6, max_nodes=3e7)
            t_sparse = best(lambda pair=pair: gt.js_divergence(*pair(), rtol=1e-6, max_nodes=3e7), 5)
            pilot = est.monte_carlo("js", *pair(), n=10**4, rng=0, variance_reduction=False)
            n = int((pilot.error * 100 / 1e-3) ** 2)
            t_mc = best(lambda n=n, pair=pair: est.monte_carlo("js", *pair(), n=n, rng=1, variance_reduction=False), 2)
            rel = abs(float(value) - refs[name]["js"]) / refs[name]["js"]
            print(f"d={d} {name:8s} sparse rtol 1e-6: relative error {rel:.1e}, {value.neval} nodes, "
                  f"{t_sparse * 1e3:6.1f} ms | plain Monte Carlo to 1e-3: n = {n:.1e}, {t_mc * 1e3:6.1f} ms | "
                  f"{t_mc / t_sparse:5.1f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--versus-mc", action="store_true")
    args = ap.parse_args()
    if args.versus_mc:
        versus_mc()
        return
    for shared, factor in ((True, 3.0), (False, 30.0)):
        worst, outside, flagged, n, t0 = 0.0, 0, 0, 0, time.perf_counter()
        for s in range(args.seed, args.seed + args.pairs):
            rng = np.random.default_rng(s)
            d = int(rng.integers(3, 6))

            def cov(rng=rng, d=d):
                rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
                return rot @ np.diag(np.exp(rng.uniform(-1.0, 1.0, d))) @ rot.T

            m1, m2, s1 = rng.normal(size=d), rng.normal(size=d) * rng.uniform(0.0, 2.0), cov()
            s2 = s1 if shared else cov()
            p, q = gt.MultivariateNormal(m1, s1), gt.MultivariateNormal(m2, s2)
            for rtol in (1e-3, 1e-6):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", gt.AccuracyWarning)
                    for est, ref in ((gt.kl_divergence(p, q, rtol=rtol, rule="sparse"), kl_mvn(m1, s1, m2, s2)),
                                     (gt.hellinger(p, q, rtol=rtol, rule="sparse"), h2_mvn(m1, s1, m2, s2))):
                        n += 1
                        ratio = abs(float(est) - ref) / est.error if est.error > 0 else math.inf
                        worst = max(worst, ratio)
                        outside += ratio > 1.0
                        flagged += not est.converged
        print(f"{'one covariance' if shared else 'two covariances':16s}: {n} results, {outside} outside their bar, "
              f"{flagged} flagged; worst true/reported {worst:.3f} (= {worst * factor:.2f} times the differences' "
              f"sum); {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
