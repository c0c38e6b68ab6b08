"""Cost of a Mixture as its number of components k grows: time and peak memory (tracemalloc) of the
log-density at 10^5 points, KL and JSD against a normal (the compiled path) and W1 (the CDFs, in Python).

    python benchmarks/bench_mixture.py [k ...]      (default: 100 300 1000)

Memory stays linear (points are taken in blocks); the time of a divergence grows about as k²: each
component brings its landmarks (more nodes) and is evaluated at every node."""
import sys
import time
import tracemalloc

import numpy as np

import gantheory as gt


def measure(call):
    tracemalloc.start()
    t = time.perf_counter()
    call()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 1e6


def main(ks):
    gt.kl_divergence(gt.Mixture([gt.Normal(0, 1), gt.Normal(1, 1)], [0.5, 0.5]), gt.Normal())  # (compile)
    print(f"{'k':>6} {'quantity':<22} {'seconds':>9} {'peak MB':>9}")
    for k in ks:
        rng = np.random.default_rng(0)
        comps = [gt.Normal(float(rng.normal(0, 10)), float(rng.uniform(0.1, 2))) for _ in range(k)]
        m, q, x = gt.Mixture(comps, np.full(k, 1 / k)), gt.Normal(0, 10), np.linspace(-60, 60, 10**5)
        rows = [("logpdf at 10^5 points", lambda m, q, x=x: m.logpdf(x)), ("KL(m || N(0, 10))", gt.kl_divergence),
                ("JSD", gt.js_divergence), ("W1", gt.w1_distance)]
        for name, fn in rows:
            seconds, peak = measure(lambda fn=fn, m=m, q=q: fn(m, q))
            print(f"{k:>6} {name:<22} {seconds:>9.2f} {peak:>9.1f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300, 1000])
