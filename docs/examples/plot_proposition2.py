r"""
Proposition 2: descent on C(G) in function space
================================================

Goodfellow et al. (2014, Proposition 2) argue that if the discriminator is optimal at every step and
:math:`p_g` itself (not a network's parameters) takes small steps on

.. math::

    C(G) = \sup_D V(G, D) = -\log 4 + 2\,\mathrm{JSD}(p_{\rm data} \| p_g),

then :math:`p_g \to p_{\rm data}`: :math:`V` is linear in :math:`p_g` for a fixed :math:`D`, so its
supremum :math:`C` is convex, and by Danskin's theorem its gradient is that of :math:`V` at
:math:`D^*`, namely :math:`\log(1 - D^*(x))` (docs/theory.md S12).

On a grid this is a finite convex problem. ``gantheory.training.function_space`` takes mirror-descent
steps on the simplex, ``g <- g (1 - D*)^(-η)`` renormalised; with ``η = 1`` the step is exactly
``g <- (g + p_data)/2``, since ``(1 - D*)^(-1) = (p_data + g)/g``. So after ``n`` steps from ``g_0``,
``g_n = p_data + 2^(-n) (g_0 - p_data)``: a closed form to check the run against.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import xlogy

import gantheory as gt
from gantheory import training

# %%
# A bimodal target on a 801-point grid
# ------------------------------------
# The run starts from the uniform density on the grid. ``History.jsd`` is the JSD between
# ``p_data`` (normalised on the grid) and ``p_g`` under the grid's trapezoid weights, recorded after
# every step.

x = np.linspace(-8.0, 8.0, 801)
p_data = gt.Mixture([gt.Normal(-2.5, 0.6), gt.Normal(2.0, 0.8)], [0.4, 0.6])
hist = training.function_space(p_data, x, steps=40, lr=1.0)
p, w = hist.extra["p_data"], hist.extra["weights"]
g0 = np.full(x.size, 1.0 / np.dot(w, np.ones(x.size)))

jsd_quad = gt.js_divergence(p_data, gt.Uniform(-8, 8))
print(f"grid JSD at step 0: {hist.jsd[0]:.12f} nats; quadrature JSD(p_data, U(-8, 8)): {float(jsd_quad):.12f} "
      f"nats; difference {abs(hist.jsd[0] - jsd_quad):.1e}")
# the trapezoid rule is spectrally accurate here (the integrand's derivatives vanish to ~e^-47 at ±8), so
# the grid value is the integral to rounding; 1e-12 relative is far above that, far below any real error
assert abs(hist.jsd[0] - jsd_quad) <= jsd_quad.error + 1e-12 * jsd_quad, "grid JSD at step 0 is not the integral"
print(f"JSD monotonically decreasing: {bool(np.all(np.diff(hist.jsd) <= 0))}; "
      f"below 1e-10 from step {hist.steps_to(1e-10)}; final {hist.final_jsd:.2e} nats")
# (exact) the JSD of g_n = p + 2^(-n) (g_0 - p) is convex in 2^(-n) and 0 at 0, so it falls at every step
assert np.all(np.diff(hist.jsd) <= 0), "the JSD rose"

# %%
# The closed form ``g_n = p + 2^(-n) (g_0 - p)``: the recorded JSD against the grid JSD of the
# closed-form density (``training.grid_jsd``), and the final density against it.

closed = np.array([training.grid_jsd(p, p + 2.0**-n * (g0 - p), w) for n in hist.steps])
rel = np.max(np.abs(hist.jsd - closed) / closed)
print(f"max relative difference of the recorded JSD from the closed-form run: {rel:.1e}")
# the nodes that carry the JSD have small p and g, where both runs hold g to a few ulp: rounding is ~1e-14
assert rel < 1e-12, f"the recorded JSD differs from the closed-form run by {rel:.1e} (relative)"
closed_steps = hist.steps[np.flatnonzero(closed < 1e-10)[0]]
assert hist.steps_to(1e-10) == closed_steps, f"below 1e-10 from step {hist.steps_to(1e-10)}, closed form {closed_steps}"
g_final = hist.params[-1]
print(f"max |g_40 - closed form| / max p: {np.max(np.abs(g_final - (p + 2.0**-40 * (g0 - p)))) / p.max():.1e}")
# each step rounds g to about an ulp and halves the older errors, so a few ulp at most
assert np.max(np.abs(g_final - (p + 2.0**-40 * (g0 - p)))) < 1e-14 * p.max(), "g_40 is not the closed form"
ratios = hist.jsd[1:] / hist.jsd[:-1]
print(f"JSD ratio per step: {ratios[0]:.3f} at step 1, {ratios[9]:.3f} at step 10, {ratios[-1]:.3f} at step 40")
# convexity in 2^(-n) (above) bounds every ratio by 1/2 (rounding aside: the JSD is good to ~1e-14 relative);
# at step 40 the ratio is nearer 1/2 (linear pointwise JSD) than 1/4 (quadratic), as explained next
assert np.all(ratios <= 0.5 * (1 + 1e-12)), f"a JSD ratio exceeds 1/2: {ratios.max():.6f}"
assert ratios[-1] > 0.375, f"JSD ratio at step 40 {ratios[-1]:.3f} is nearer 1/4 than 1/2"

# %%
# Each step halves ``g - p``, but the JSD does not fall by the factor 4 a quadratic would: where
# ``p_data`` is far smaller than the leftover ``2^(-n) g_0`` (the tails of the grid and the gap between
# the modes), the pointwise JSD ``(1/2)[p log(2p/(p+g)) + g log(2g/(p+g))]`` is close to
# ``(g/2) log 2``, linear in ``g``, and falls by 2 per step. The share of the JSD at step 40 from the
# nodes where ``p_data < 2^(-40) g_0``:

g = p + 2.0**-40 * (g0 - p)
terms = 0.5 * (xlogy(p, 2 * p / (p + g)) + xlogy(g, 2 * g / (p + g)))
tail = p < 2.0**-40 * g0
print(f"{np.dot(w[tail], terms[tail]) / np.dot(w, terms):.4f} of the JSD at step 40, on {tail.sum()} of "
      f"{x.size} nodes")
assert np.dot(w[tail], terms[tail]) > 0.5 * np.dot(w, terms), "those nodes do not carry most of the JSD"

# %%
# Smaller steps and the softmax parametrisation
# ---------------------------------------------
# Any mirror step ``η <= 1`` descends; gradient steps on the logits ``log g`` (``method="softmax"``)
# are scaled by ``g`` and crawl where ``g`` is small, here in the gap between the modes.

others = {
    "mirror, η = 0.5": training.function_space(p_data, x, steps=40, lr=0.5),
    "mirror, η = 0.2": training.function_space(p_data, x, steps=40, lr=0.2),
    "softmax, step 5": training.function_space(p_data, x, steps=40, lr=5.0, method="softmax"),
}
for name, h in others.items():
    print(f"{name:16s}: JSD after 40 steps {h.final_jsd:.2e} nats, monotone: {bool(np.all(np.diff(h.jsd) <= 0))}")
    assert np.all(np.diff(h.jsd) <= 0), f"{name}: the JSD rose"

# %%
# Left: the generator's density after ``n`` steps of size 1 (each a separate run of ``n`` steps).
# Right: JSD to the data against the step, on a log scale; the dotted line is the closed form.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
ax1.fill_between(x, p, color="0.8", label="p_data")
for n in (0, 1, 2, 4, 8):
    g = training.function_space(p_data, x, steps=n, lr=1.0).params[-1]
    ax1.plot(x, g, lw=1.2, label=f"p_g after {n} steps")
ax1.set_xlabel("x")
ax1.set_ylabel("density")
ax1.set_title("Mirror descent with η = 1: g ← (g + p_data)/2")
ax1.legend(fontsize=8)
ax2.semilogy(hist.steps, hist.jsd, "o-", ms=3, label="mirror, η = 1")
ax2.semilogy(hist.steps, closed, "k:", label="closed form, η = 1")
for name, h in others.items():
    ax2.semilogy(h.steps, h.jsd, label=name)
ax2.set_xlabel("step")
ax2.set_ylabel("JSD(p_data || p_g) on the grid (nats)")
ax2.set_title("Proposition 2: JSD falls to 0")
ax2.legend(fontsize=8)
plt.show()
