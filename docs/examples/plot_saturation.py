r"""
Saturation of the minimax generator loss
========================================

The generator of the original GAN minimises :math:`E_{p_z}[\log(1 - D(G(z)))]`. Writing
:math:`D = \mathrm{sigmoid}(\ell)`, the derivative of :math:`\log(1 - D)` in the logit is :math:`-D`:
when the discriminator rejects the fakes confidently (:math:`D \to 0` on them, as it does early in
training), the gradient vanishes. Goodfellow et al. (2014) therefore train the generator to maximise
:math:`E_{p_z}[\log D(G(z))]` instead, whose derivative in the logit is :math:`1 - D \to 1`
(docs/theory.md S3).

With :math:`D = D^*` both gradients are gradients of divergences (Arjovsky and Bottou 2017; docs/theory.md
B2): the minimax one is that of :math:`2\,\mathrm{JSD}(p_g \| p_{\rm data})`, which is flat at
:math:`2 \log 2` once the densities barely overlap; the non-saturating one is that of
:math:`\mathrm{KL}(p_g \| p_{\rm data}) - 2\,\mathrm{JSD}`. This example moves a generator
:math:`G(z) = z + t` away from :math:`p_{\rm data} = N(0, 1)` and computes both exact gradients with
``gt.generator_gradient``.
"""

import matplotlib.pyplot as plt
import numpy as np

import gantheory as gt
from gantheory import training

p_data = gt.Normal(0, 1)
z = gt.Normal(0, 1)

# %%
# Both gradients along the shift
# ------------------------------
# ``generator_gradient`` returns ``[dL/dscale, dL/dshift]`` at ``D = D*`` (held fixed while
# differentiating). Since ``KL(N(t, 1) || N(0, 1)) = t²/2``, the two shift components must add up to
# ``t`` exactly; and by Danskin's theorem the minimax component is ``d(2 JSD)/dt``, checked here by a
# central difference of ``gt.js_divergence`` (step 1e-5, so agreement to about 1e-10 is all a finite
# difference can show).

shifts = np.linspace(0.25, 14.0, 56)
mm, ns, mm_bar, ns_bar = [], [], [], []
for t in shifts:
    p_g = gt.Pushforward(z, gt.Affine(1.0, t))
    grad_mm = gt.generator_gradient(p_data, p_g, loss="minimax")
    grad_ns = gt.generator_gradient(p_data, p_g, loss="non_saturating")
    mm.append(grad_mm[1])
    ns.append(grad_ns[1])
    mm_bar.append(grad_mm.error[1])
    ns_bar.append(grad_ns.error[1])
mm, ns, mm_bar, ns_bar = map(np.array, (mm, ns, mm_bar, ns_bar))
jsd = np.array([float(gt.js_divergence(p_data, gt.Pushforward(z, gt.Affine(1.0, t)))) for t in shifts])

print(f"max |minimax + non-saturating - t| over {shifts.size} shifts: {np.max(np.abs(mm + ns - shifts)):.2e}")
assert np.all(np.abs(mm + ns - shifts) <= mm_bar + ns_bar), "minimax + non-saturating is not t within the bars"
h = 1e-5
fd_err = 0.0
# each difference within its bound: the two JSD error bars over h, the gradient's bar, and the truncation
# error h² |d³(2 JSD)/dt³|/6 < 1e-10
fd_within = []
for t, g, g_bar in zip(shifts[::5], mm[::5], mm_bar[::5]):
    up, down = (gt.js_divergence(p_data, gt.Pushforward(z, gt.Affine(1.0, t + s))) for s in (h, -h))
    fd_err = max(fd_err, abs(2 * (up - down) / (2 * h) - g))
    fd_within.append(abs(2 * (up - down) / (2 * h) - g) <= (up.error + down.error) / h + g_bar + 1e-10)
print(f"max |minimax gradient - d(2 JSD)/dt (central difference)| at {shifts[::5].size} shifts: {fd_err:.1e}")
assert all(fd_within), "the minimax gradient is not d(2 JSD)/dt within the finite difference's accuracy"

print(f"\n{'shift t':>8s} {'2 JSD':>10s} {'minimax dL/dt':>15s} {'non-sat. dL/dt':>15s} {'ratio':>10s}")
for t in (0.5, 1.0, 2.0, 4.0, 8.0, 12.0):
    i = int(np.argmin(np.abs(shifts - t)))
    print(f"{shifts[i]:8.2f} {2 * jsd[i]:10.6f} {mm[i]:15.3e} {ns[i]:15.3e} {mm[i] / ns[i]:10.2e}")

# %%
# What the saturation does to training
# ------------------------------------
# Starting 12 units from the data, the same affine generator trained against ``D*`` with each loss
# (``gantheory.training.parametric``, 300 steps of size 0.5): the non-saturating loss walks back to
# the data, the minimax loss barely moves. ``History.params`` holds (scale, shift) at each recorded
# step.

runs = {loss: training.parametric(p_data, init=(1.0, 12.0), loss=loss, steps=300, lr=0.5, record_every=5)
        for loss in ("minimax", "non_saturating")}
for loss, hist in runs.items():
    s, t = hist.params[-1]
    reached = hist.steps_to(0.1)
    reached = "never" if reached is None else f"at step {reached}"
    print(f"{loss:15s}: after 300 steps scale {s:.6f}, shift {t:.6f}, JSD {hist.final_jsd:.2e} nats; "
          f"JSD < 0.1 first recorded {reached} (recorded every 5 steps)")
    if loss == "minimax":  # barely moves: its gradient there is ~1e-7, so 300 steps of 0.5 move it ~2e-5
        assert abs(s - 1) < 1e-4 and abs(t - 12) < 1e-4 and hist.steps_to(0.1) is None, "the minimax run moved"
    else:  # back at the data: a JSD below 1e-12 leaves the parameters within ~1e-6 of (1, 0)
        assert hist.final_jsd < 1e-12 and hist.steps_to(0.1) is not None, "the non-saturating run did not return"

# %%
# The figure: the minimax gradient (blue) falls faster than exponentially as the densities separate,
# while ``2 JSD`` flattens at ``2 log 2``; the non-saturating gradient grows like ``t``.

fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
ax1.semilogy(shifts, mm, label="minimax  E[log(1 - D*)]")
ax1.semilogy(shifts, ns, label="non-saturating  -E[log D*]")
ax1.set_xlabel("shift t of the generator")
ax1.set_ylabel("dL/dt (nats per unit shift)")
ax1.set_title("Generator gradient in the shift, at D = D*")
ax1.legend(fontsize=8)
ax2.plot(shifts, 2 * jsd, color="k")
ax2.axhline(2 * np.log(2), color="0.5", ls=":", label="2 log 2")
ax2.set_xlabel("shift t of the generator")
ax2.set_ylabel("2 JSD(p_g || p_data) (nats)")
ax2.set_title("What the minimax generator descends")
ax2.legend(fontsize=8)
for loss, hist in runs.items():
    ax3.plot(hist.steps, hist.params[:, 1], label=loss.replace("_", "-"))
ax3.axhline(0.0, color="0.5", ls=":", label="data mean")
ax3.set_xlabel("generator step")
ax3.set_ylabel("generator shift")
ax3.set_title("Training from shift 12 (lr 0.5)")
ax3.legend(fontsize=8)
plt.show()
