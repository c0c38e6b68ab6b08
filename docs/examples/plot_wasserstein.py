r"""
Wasserstein distance against JSD, TV and KL near point masses
=============================================================

Arjovsky, Chintala and Bottou (2017, Example 1; docs/theory.md B3) compare distances between two
point masses, ``δ_0`` and ``δ_θ``:

.. math::

    W_1 = |\theta|, \qquad \mathrm{JSD} = \log 2, \qquad \mathrm{TV} = 1, \qquad \mathrm{KL} = +\infty
    \qquad (\theta \ne 0).

JSD, TV and KL see only that the supports are disjoint, not how far apart they are: a generator
``δ_θ`` gets no signal telling it to move towards the data. The Wasserstein-1 distance, in one dimension

.. math::

    W_1(p, q) = \int |F_p(x) - F_q(x)|\, dx ,

shrinks linearly as ``θ -> 0``. Point masses have no densities, so this example takes them as limits
of densities gantheory can integrate: ``N(0, s²)`` and ``N(θ, s²)`` as ``s -> 0``, and uniform bumps
``U(0, w)`` and ``U(θ, θ + w)``. Every value is compared with its closed form:

* two normals of one scale: ``W1 = |θ|`` for every ``s`` (one CDF is a shift of the other),
  ``TV = 2Φ(|θ|/(2s)) - 1``, ``KL = θ²/(2s²)``; JSD has no closed form, but lies between
  ``TV²/2`` (Pinsker) and ``TV log 2`` (convexity), and the upper bound tends to ``log 2``;
* two uniform bumps: ``W1 = |θ|``, ``TV = min(|θ|/w, 1)``, ``JSD = min(|θ|/w, 1) log 2``, and
  ``KL = inf`` for every ``θ ≠ 0`` (``q`` has no mass under part of ``p``).
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import special

import gantheory as gt

LOG2 = math.log(2)

# %%
# Two normals narrowing onto point masses at 0 and θ = 1
# -------------------------------------------------------
# As ``s`` falls from 3 to ``1e-4``, KL grows like ``1/s²``, TV and JSD climb to their ceilings 1 and
# ``log 2``, and ``W1`` stays at ``|θ|``. ``1 - TV`` has its own closed form, ``erfc(θ/(2 sqrt(2) s))``,
# printed to show how close to the ceiling TV is (float64 resolves ``1 - TV`` only to about ``1e-16``).

theta = 1.0
scales = np.logspace(0.5, -4, 28)
rows = []
for s in scales:
    p, q = gt.Normal(0, s), gt.Normal(theta, s)
    jsd, tv, kl, w1 = gt.js_divergence(p, q), gt.tv_distance(p, q), gt.kl_divergence(p, q), gt.w1_distance(p, q)
    rows.append((s, float(jsd), float(tv), float(kl), float(w1), jsd.error, tv.error, kl.error, w1.error))
rows = np.array(rows)
s_, jsd_, tv_, kl_, w1_ = rows[:, :5].T
tv_ref = special.erf(theta / (2 * math.sqrt(2) * s_))
kl_ref = theta**2 / (2 * s_**2)
print(f"{'s':>8} {'JSD':>18} {'log 2 - JSD':>11} {'TV':>18} {'|TV - ref|':>10} {'1 - TV ref':>10} {'KL':>12} "
      f"{'KL rel. err':>11} {'W1':>18}")
for i in range(0, len(s_), 3):
    print(f"{s_[i]:8.1e} {jsd_[i]:18.15f} {LOG2 - jsd_[i]:11.2e} {tv_[i]:18.15f} {abs(tv_[i] - tv_ref[i]):10.1e} "
          f"{special.erfc(theta / (2 * math.sqrt(2) * s_[i])):10.2e} {kl_[i]:12.6g} "
          f"{abs(kl_[i] / kl_ref[i] - 1):11.1e} {w1_[i]:18.15f}")
print(f"over all {len(s_)} scales: max |W1 - |θ|| = {np.max(np.abs(w1_ - theta)):.1e}, "
      f"max |TV - closed form| = {np.max(np.abs(tv_ - tv_ref)):.1e}, "
      f"max relative KL error = {np.max(np.abs(kl_ / kl_ref - 1)):.1e}")
# each within its own error bar, plus a few ulp for the rounding of the closed form
jsd_bar, tv_bar, kl_bar, w1_bar = rows[:, 5:].T
assert np.all(np.abs(w1_ - theta) <= w1_bar + 1e-15), "W1 is not |θ| within its error bar"
assert np.all(np.abs(tv_ - tv_ref) <= tv_bar + 1e-15), "TV is off its closed form beyond its error bar"
assert np.all(np.abs(kl_ - kl_ref) <= kl_bar + 1e-15 * kl_ref), "KL is off θ²/(2s²) beyond its error bar"
slack = rows[:, 5] + rows[:, 6]  # the error bars of JSD and TV
print(f"Pinsker and convexity, TV²/2 <= JSD <= TV log 2, at every scale (bars as slack): "
      f"{bool(np.all((tv_**2 / 2 <= jsd_ + slack) & (jsd_ <= tv_ * LOG2 + slack)))}")
assert np.all((tv_**2 / 2 <= jsd_ + slack) & (jsd_ <= tv_ * LOG2 + slack)), "Pinsker or convexity fails"
print(f"at s = {s_[-1]:.0e}: JSD = {float(jsd_[-1])!r} (log 2 = {LOG2!r}), TV = {float(tv_[-1])!r}, "
      f"KL = {kl_[-1]:.6g}, W1 = {float(w1_[-1])!r}")
# the overlap of the two normals is ~exp(-1.25e7) here: JSD and TV are at their ceilings to their error bars
assert abs(jsd_[-1] - LOG2) <= jsd_bar[-1] + 1e-15, f"JSD at s = {s_[-1]:.0e} is not log 2"
assert abs(tv_[-1] - 1) <= tv_bar[-1] + 1e-15, f"TV at s = {s_[-1]:.0e} is not 1"

# %%
# Uniform bumps: the supports separate, and JSD and TV stop changing
# ------------------------------------------------------------------
# ``p = U(0, w)`` and ``q = U(θ, θ + w)`` with ``w = 0.25``. Once ``|θ| >= w`` the supports are disjoint:
# JSD, TV and KL no longer depend on ``θ`` at all, while ``W1 = |θ|`` keeps pointing the way home. For
# ``0 < |θ| < w`` KL is already infinite.

w = 0.25
thetas = np.linspace(-1.5, 1.5, 61)
uni, uni_bars = [], []
for t in thetas:
    p, q = gt.Uniform(0, w), gt.Uniform(t, t + w)
    ests = (gt.js_divergence(p, q), gt.tv_distance(p, q), gt.kl_divergence(p, q), gt.w1_distance(p, q))
    uni.append(tuple(float(e) for e in ests))
    uni_bars.append(tuple(e.error for e in ests))
jsd_u, tv_u, kl_u, w1_u = np.array(uni).T
jsd_u_bar, tv_u_bar, kl_u_bar, w1_u_bar = np.array(uni_bars).T
frac = np.minimum(np.abs(thetas) / w, 1.0)
print(f"uniform bumps, w = {w}, {len(thetas)} shifts θ in [{thetas[0]}, {thetas[-1]}]:")
print(f"  max |JSD - min(|θ|/w, 1) log 2| = {np.max(np.abs(jsd_u - frac * LOG2)):.1e}")
# each within its error bar, plus a few ulp for the rounding of the closed form
assert np.all(np.abs(jsd_u - frac * LOG2) <= jsd_u_bar + 1e-15), "uniform bumps: JSD off its closed form"
print(f"  max |TV - min(|θ|/w, 1)|        = {np.max(np.abs(tv_u - frac)):.1e}")
assert np.all(np.abs(tv_u - frac) <= tv_u_bar + 1e-15), "uniform bumps: TV off its closed form"
print(f"  max |W1 - |θ||                  = {np.max(np.abs(w1_u - np.abs(thetas))):.1e}")
assert np.all(np.abs(w1_u - np.abs(thetas)) <= w1_u_bar + 1e-15), "uniform bumps: W1 is not |θ|"
print(f"  KL = inf at every θ != 0: {bool(np.all(np.isinf(kl_u[thetas != 0])))}; "
      f"KL at θ = 0: {kl_u[thetas == 0].tolist()}")
assert np.all(np.isinf(kl_u[thetas != 0])), "uniform bumps: a finite KL at some θ != 0"
assert np.all(np.abs(kl_u[thetas == 0]) <= kl_u_bar[thetas == 0]), "uniform bumps: KL(p || p) is not 0"
far = np.abs(thetas) >= w
print(f"  for |θ| >= w: JSD spans [{float(jsd_u[far].min())!r}, {float(jsd_u[far].max())!r}] (log 2 = {LOG2!r}), "
      f"W1 spans [{w1_u[far].min():.2f}, {w1_u[far].max():.2f}]")

# %%
# The pictures
# ------------
# Left, on log-log axes: the four quantities for the narrowing normals; dashed lines are the closed
# forms (and ``log 2``, the limit of the JSD). Right: the uniform bumps as the generator's bump moves
# across the data's. JSD and TV are flat beyond ``|θ| = w`` (gray band: overlapping supports), KL is
# infinite outside ``θ = 0`` (not drawable), and only ``W1`` tells how far away the generator is.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.5), layout="constrained")
ax1.loglog(s_, kl_, "o", color="C3", ms=4, label="KL(p || q)")
ax1.loglog(s_, kl_ref, "--", color="C3", lw=1, label="θ²/(2s²)")
ax1.loglog(s_, w1_, "s", color="C2", ms=4, label="W1(p, q)")
ax1.loglog(s_, tv_, "^", color="C1", ms=4, label="TV(p, q)")
ax1.loglog(s_, tv_ref, "--", color="C1", lw=1, label="2Φ(θ/(2s)) - 1")
ax1.loglog(s_, jsd_, "v", color="C0", ms=4, label="JSD(p || q)")
ax1.axhline(LOG2, color="C0", ls=":", lw=1, label="log 2")
ax1.axhline(theta, color="C2", ls="--", lw=1, label="|θ| = 1")
ax1.invert_xaxis()
ax1.set_xlabel("scale s of N(0, s²) and N(θ, s²)  (narrowing to the right)")
ax1.set_ylabel("KL, JSD (nats); TV (no unit); W1 (units of x)")
ax1.set_title("θ = 1 fixed, s -> 0: point masses at 0 and 1")
ax1.legend(fontsize=7, ncol=2, loc="upper left")

ax2.axvspan(-w, w, color="0.92", lw=0)
ax2.plot(thetas, w1_u, "s", color="C2", ms=3.5, label="W1 (gantheory)")
ax2.plot(thetas, np.abs(thetas), "-", color="C2", lw=1, label="|θ|")
ax2.plot(thetas, tv_u, "^", color="C1", ms=3.5, label="TV (gantheory)")
ax2.plot(thetas, frac, "-", color="C1", lw=1, label="min(|θ|/w, 1)")
ax2.plot(thetas, jsd_u, "v", color="C0", ms=3.5, label="JSD (gantheory)")
ax2.plot(thetas, frac * LOG2, "-", color="C0", lw=1, label="min(|θ|/w, 1) log 2")
ax2.axhline(LOG2, color="C0", ls=":", lw=1)
ax2.set_xlabel("shift θ of the generator's bump U(θ, θ + w)")
ax2.set_ylabel("JSD (nats); TV (no unit); W1 (units of x)")
ax2.set_title(f"Uniform bumps of width w = {w}: KL = inf for every θ ≠ 0")
ax2.legend(fontsize=7, loc="lower left")
plt.show()
