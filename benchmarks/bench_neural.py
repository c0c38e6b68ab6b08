"""Minibatch GAN training with small networks, measured with the exact JSD of the generator.

    python benchmarks/bench_neural.py [--quick]

1. The normal target (``adversarial.NORMAL_TARGET``, ``NORMAL_SETTINGS``: 16-unit tanh networks): the
   seeded run with the exact JSD recorded every 10 steps, its wall time, and what the exact records cost
   beside the training steps (the same run without records, and with the k-NN records only); the final
   exact JSD over seeds.
2. What one exact record costs (building the branch-sum density, the JSD, V(G, D), the k-NN estimate) on
   the generators met along that run.
3. Two modes 8 standard deviations apart (``TWO_MODES``, ``TWO_MODES_SETTINGS``), the generator starting
   on one mode: the plateau of the exact JSD against the one-mode value, the mass the generator puts on
   the other mode, and the k-NN estimate beside it, over seeds; non-saturating against minimax, k = 5
   against k = 1, R1 on and off; and from the default random start.
4. Two dimensions (``NORMAL_2D``, ``COUPLING_SETTINGS``): a coupling generator (4 affine coupling layers
   of 16-unit tanh networks, exact density) with the exact JSD by quadrature every 10 steps, what that
   costs, the same records by randomised QMC against it, and the final exact JSD and k-NN estimate over
   seeds; a general network R^2 -> R^2 beside it, which has k-NN estimates only.

Times are wall-clock seconds on this machine, after compilation, each run on fresh objects.
"""

import argparse
import sys
import time
import warnings

import numpy as np

import gantheory as gt
from gantheory import adversarial as A
from gantheory.estimators import knn_jsd
from gantheory.networks import MLP, CouplingPushforward, NetworkPushforward

NOISE = gt.Normal(0.0, 1.0)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def tracking(p, cfg):
    """Seed 0 without records, with k-NN records every 10 steps and with the exact JSD too: (History of the
    last, the three wall times)."""
    A.train(p, rng=0, record_every=10, **dict(cfg, steps=20))  # (compile)
    _, t_plain = timed(lambda: A.train(p, rng=0, exact=False, record_every=cfg["steps"], **cfg))
    _, t_knn = timed(lambda: A.train(p, rng=0, exact=False, record_every=10, **cfg))
    h, t_jsd = timed(lambda: A.train(p, rng=0, record_every=10, value=False, **cfg))
    return h, t_plain, t_knn, t_jsd


def normal_target(quick):
    p, cfg = A.NORMAL_TARGET, dict(A.NORMAL_SETTINGS)
    if quick:
        cfg["steps"] = 400
    _, t_plain, t_knn, t_jsd = tracking(p, cfg)
    h, t_exact = timed(lambda: A.train(p, rng=0, record_every=10, **cfg))
    below = np.flatnonzero(h.jsd < 1e-3)
    print(f"Normal target N(1, 0.5²), 16-unit tanh networks, {cfg['steps']} steps "
          f"(k={cfg['k']}, m={cfg['m']}, Adam β=(0, 0.99), lr 3e-3 falling to 0, R1 3), seed 0:")
    print(f"  final exact JSD {h.jsd[-1]:.3e} (error {h.extra['jsd_error'][-1]:.1e}); below 1e-3 from step "
          f"{h.steps[below[0]] if below.size else '-'}; k-NN estimate at the end {h.extra['knn_jsd'][-1]:+.3f} "
          f"± {h.extra['knn_error'][-1]:.3f}")
    print(f"  wall time: training alone {t_plain:.2f} s; with k-NN records every 10 steps {t_knn:.2f} s; with the "
          f"exact JSD too {t_jsd:.2f} s; with V(G, D) and the gap too {t_exact:.2f} s")
    print(f"  tracking the exact JSD every 10 steps costs {(t_jsd - t_knn) / t_plain:.2f}x the training steps; "
          f"with V(G, D) and the gap {(t_exact - t_knn) / t_plain:.2f}x; all records, k-NN included, "
          f"{(t_exact - t_plain) / t_plain:.2f}x ({int(np.sum(~h.extra['converged']))} of {h.steps.size} records "
          "short of rtol 1e-6)")
    seeds = range(2 if quick else 6)
    finals = []
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gt.AccuracyWarning)
            run = A.train(p, rng=seed, exact=False, record_every=cfg["steps"], **cfg)
            finals.append(float(gt.js_divergence(p, NetworkPushforward(NOISE, run.extra["generator"]), rtol=1e-8)))
    print("  final exact JSD over seeds " + ", ".join(f"{s}: {j:.1e}" for s, j in zip(seeds, finals)))
    return h


def record_costs(h, quick):
    """Median cost of each part of a record over generators met along the run."""
    p = A.NORMAL_TARGET
    picks = np.linspace(0, h.params.shape[0] - 1, 4 if quick else 12).astype(int)
    g0 = h.extra["generator"]
    d_net = h.extra["discriminator"]
    rows = []
    for i in picks:
        g_net = g0.with_params(h.params[i])
        g, t_build = timed(lambda g_net=g_net: NetworkPushforward(NOISE, g_net))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gt.AccuracyWarning)
            _, t_jsd = timed(lambda g=g: gt.js_divergence(p, g, rtol=1e-6))

            _, t_v = timed(lambda g_net=g_net: A._value_terms(p, NOISE, g_net, d_net, 1e-6))  # (as train records it)
        rng = np.random.default_rng(0)
        _, t_knn = timed(lambda g=g, rng=rng: knn_jsd(p.sample(128, rng), g.sample(128, rng)))
        rows.append((g.critical.size, t_build, t_jsd, t_v, t_knn))
    arr = np.array(rows)
    med = np.median(arr[:, 1:], axis=0) * 1e3
    print(f"\nOne record on {len(picks)} generators along that run ({int(arr[:, 0].min())}-{int(arr[:, 0].max())} "
          f"folds), median ms: density {med[0]:.2f}, JSD {med[1]:.2f}, V(G, D) {med[2]:.2f}, k-NN {med[3]:.2f}; "
          f"slowest record {np.max(arr[:, 1:].sum(axis=1)) * 1e3:.1f} ms")


def two_modes(quick):
    p, cfg = A.TWO_MODES, dict(A.TWO_MODES_SETTINGS)
    steps = 600 if quick else cfg["steps"]
    cfg["steps"] = steps
    one_mode = float(gt.js_divergence(p, gt.Normal(4.0, 1.0)))
    print(f"\nTwo modes 0.5 N(-4, 1) + 0.5 N(4, 1), generator starting on the mode at +4 "
          f"(SGD, lr_g 0.02, lr_d 0.05 falling to 0, m=128, {steps} steps); the one-mode value "
          f"JSD(p_data || N(4, 1)) = {one_mode:.4f}")
    print(f"  {'run':34s} {'seed':>4s} {'plateau':>8s} {'JSD(p_g||N(4,1))':>16s} {'P_g(x<0)':>9s} "
          f"{'k-NN (last 20%)':>16s}")
    variants = [("non-saturating, k=5", {}), ("minimax, k=5", {"loss": "minimax"}),
                ("non-saturating, k=1", {"k": 1}), ("non-saturating, k=5, R1 1", {"r1": 1.0}),
                ("non-saturating, k=5, random start", {"start": None})]
    seeds = range(2 if quick else 6)
    for name, extra in variants:
        knn_means = []
        for seed in seeds:
            kw = dict(cfg, **{k: v for k, v in extra.items() if k != "start"})
            start = extra.get("start", "one")
            gen = A.one_mode_generator(seed) if start == "one" else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", gt.AccuracyWarning)
                h = A.train(p, generator=gen, rng=seed, record_every=50, **kw)
                g = NetworkPushforward(NOISE, h.extra["generator"])
                fit = float(gt.js_divergence(g, gt.Normal(4.0, 1.0), rtol=1e-6))
            tail = slice(int(0.8 * h.steps.size), None)
            plateau = float(np.mean(h.jsd[tail]))
            knn = h.extra["knn_jsd"][tail]
            knn_means.append(float(np.mean(knn)))
            print(f"  {name:34s} {seed:4d} {plateau:8.4f} {fit:16.4f} {float(g.cdf(0.0)):9.3f} "
                  f"{np.mean(knn):+8.3f} ± {np.std(knn):.3f}")
        print(f"  {'':34s} k-NN mean over seeds {np.mean(knn_means):+.3f}, spread (sd) {np.std(knn_means):.3f}")


def two_dimensions(quick):
    p, cfg = A.NORMAL_2D, dict(A.COUPLING_SETTINGS)
    if quick:
        cfg["steps"] = 300
    h, t_plain, t_knn, t_jsd = tracking(p, cfg)
    hv, t_exact = timed(lambda: A.train(p, rng=0, record_every=50, **cfg))
    hq, t_qmc = timed(lambda: A.train(p, rng=0, record_every=50, method="qmc", value=False, **cfg))
    print(f"\nTwo dimensions: N([1, -0.5], [[1, 0.5], [0.5, 2]]), coupling generator (4 layers, 16-unit tanh "
          f"networks), 16-unit discriminator, {cfg['steps']} steps ({cfg['optimizer'].upper()}, k={cfg['k']}, "
          f"m={cfg['m']}, lr_g {cfg['lr_g']:g}, lr_d {cfg['lr_d']:g} falling to 0), seed 0:")
    print(f"  exact JSD (quadrature) at the start {h.jsd[0]:.4f}, at the end {h.jsd[-1]:.3e} (error "
          f"{h.extra['jsd_error'][-1]:.1e}, {int(np.sum(~h.extra['converged']))} of {h.steps.size} records short "
          f"of rtol 1e-6); k-NN estimate at the end {h.extra['knn_jsd'][-1]:+.3f} ± {h.extra['knn_error'][-1]:.3f}")
    print(f"  wall time: training alone {t_plain:.2f} s; with k-NN records every 10 steps {t_knn:.2f} s; with the "
          f"exact JSD too {t_jsd:.2f} s ({(t_jsd - t_knn) / t_plain:.2f}x the training steps); with V(G, D) and the "
          f"gap every 50 steps {t_exact:.2f} s ({(t_exact - t_plain) / t_plain:.2f}x, k-NN included)")
    z = np.abs(hq.jsd - hv.jsd) / hq.extra["jsd_error"]
    print(f"  the JSD every 50 steps by randomised QMC (8 x 4096 Sobol points a density) instead: {t_qmc:.2f} s; "
          f"standard errors {np.median(hq.extra['jsd_error']):.1e} (median); |QMC - quadrature| in standard "
          f"errors: median {np.median(z):.2f}, largest {np.max(z):.2f} of {z.size}")
    seeds = range(2 if quick else 6)
    rows = []
    for seed in seeds:
        run = A.train(p, rng=seed, exact=False, record_every=cfg["steps"], **cfg)
        rows.append((float(gt.js_divergence(p, CouplingPushforward(run.extra["generator"]), rtol=1e-8)),
                     run.extra["knn_jsd"][-1]))
    print("  over seeds, final exact JSD (k-NN estimate at the end): "
          + ", ".join(f"{s}: {j:.1e} ({k:+.3f})" for s, (j, k) in zip(seeds, rows)))
    knn = []
    for seed in seeds:
        run = A.train(p, generator=MLP((2, 16, 2), "tanh", rng=seed), rng=seed, record_every=50, **cfg)
        knn.append(float(np.mean(run.extra["knn_jsd"][int(0.8 * run.steps.size):])))
    print("  general network R^2 -> R^2 (16 tanh units), same settings: no exact density; k-NN estimate over the "
          "last 20% of records, per seed " + ", ".join(f"{k:+.3f}" for k in knn))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs, two seeds (a smoke test)")
    args = ap.parse_args(argv)
    h = normal_target(args.quick)
    record_costs(h, args.quick)
    two_modes(args.quick)
    two_dimensions(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
