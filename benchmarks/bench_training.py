"""GPU-free training: the numbers behind issue 5 (times after compilation, steps, settle points).

    python benchmarks/bench_training.py

Function space on a 1000-point grid (time to JSD < 1e-10), Algorithm 1 (steps to JSD < 1e-6 for
k = 1, 5 and both generator losses), a 10^4-step parametric run, the escape of the non-saturating loss
from a start where D* rejects the fakes, where one normal settles against a two-mode target, and the
Dirac-GAN radius under simultaneous, alternating and R1-penalised steps.
"""

import sys
import time

import numpy as np

import gantheory as gt
from gantheory import training as T

X = np.linspace(-12, 12, 1000)
TARGETS = {
    "normal": gt.Normal(0.5, 1.2),
    "bimodal": gt.Mixture([gt.Normal(-2.5, 0.6), gt.Normal(2.0, 0.8)], [0.4, 0.6]),
    "laplace": gt.Laplace(-0.5, 1.0),
}


def timed(fn):
    fn()  # compile / warm up
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main():
    print("Function space (D = D*, mirror descent with step 1) on 1000 grid points")
    for name, p in TARGETS.items():
        h, t = timed(lambda p=p: T.function_space(p, X, steps=200, tol=1e-10))
        print(f"  {name:8s} JSD < 1e-10 after {h.steps_to(1e-10):3d} steps, {t * 1e3:7.1f} ms "
              f"(final JSD {h.final_jsd:.1e}, monotone: {bool(np.all(np.diff(h.jsd) <= 0))})")

    for lr_d in (1.0, 0.5):  # (full Newton steps of the discriminator overshoot in the tails: damped ones)
        print(f"\nAlgorithm 1 on the same grid, discriminator step lr_d = {lr_d}: steps to JSD < 1e-6")
        print(f"  {'target':8s} {'k=1 minimax':>12s} {'k=1 non-sat':>12s} {'k=5 minimax':>12s} {'k=5 non-sat':>12s}")
        for name, p in TARGETS.items():
            cells = [T.algorithm1(p, X, k=k, loss=loss, steps=400, tol=1e-7, lr_d=lr_d).steps_to(1e-6)
                     for k in (1, 5) for loss in ("minimax", "non_saturating")]
            print(f"  {name:8s} " + " ".join(f"{c:12d}" for c in cells))

    p = gt.Normal(0.7, 1.3)
    h, t = timed(lambda: T.parametric(p, init=(1.0, 0.0), steps=10_000, lr=0.2, record_every=100))
    print(f"\nParametric affine generator vs N(0.7, 1.3), D*, minimax: 10^4 steps (JSD recorded every 100th) "
          f"in {t:.2f} s "
          f"(final (scale, shift) = {h.params[-1].round(12).tolist()}, JSD {h.final_jsd:.1e})")

    steps = {loss: T.parametric(p, init=(1.0, 12.0), loss=loss, steps=12000, lr=0.5, record_every=1,
                                tol=0.05).steps_to(0.1) for loss in ("minimax", "non_saturating")}
    ed = float(gt.quadrature.expectation(gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, 12.0)),
                                         gt.optimal_discriminator(p, gt.Pushforward(gt.Normal(0, 1),
                                                                                    gt.Affine(1.0, 12.0)))))
    print(f"Escape from shift 12 (E_g[D*] = {ed:.1e}): steps to JSD < 0.1 with lr 0.5: minimax "
          f"{steps['minimax']}, non-saturating {steps['non_saturating']}: "
          f"{steps['minimax'] / steps['non_saturating']:.0f}x")

    mix = gt.Mixture([gt.Normal(-3, 0.7), gt.Normal(2.5, 0.8)], [0.45, 0.55])
    print("\nOne normal against 0.45 N(-3, 0.7²) + 0.55 N(2.5, 0.8²), D*, from (scale, shift) = (1, 0.3):")
    for loss in ("minimax", "non_saturating"):
        h = T.parametric(mix, init=(1.0, 0.3), loss=loss, steps=4000, lr=0.3, record_every=500)
        s, sh = h.params[-1]
        g = gt.Pushforward(gt.Normal(0, 1), gt.Affine(s, sh))
        print(f"  {loss:15s} settles at scale {s:.4f}, shift {sh:+.4f}: JSD {h.final_jsd:.4f}, "
              f"KL(p_g || p_data) {float(gt.kl_divergence(g, mix)):.4f}, KL(p_data || p_g) "
              f"{float(gt.kl_divergence(mix, g)):.4f}")

    print("\nDirac-GAN from (θ, ψ) = (1, 1), h = 0.1, 3000 steps: radius")
    for mode, gamma in (("simultaneous", 0.0), ("alternating", 0.0), ("simultaneous", 1.0)):
        r = T.dirac_gan(1.0, 1.0, h=0.1, steps=3000, mode=mode, gamma=gamma).extra["radius"]
        print(f"  {mode:12s} γ={gamma:g}: start {r[0]:.4f}, min {r.min():.3e}, max {r.max():.4f}, end {r[-1]:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
