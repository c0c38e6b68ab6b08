r"""
The virtual criterion, the Jensen-Shannon divergence and total variation
========================================================================

With the optimal discriminator plugged in, the value function becomes the *virtual training
criterion* (Goodfellow et al. 2014, Theorem 1; docs/theory.md S7 to S11)

.. math::

    C(G) = V(G, D^*) = -\log 4 + 2\, \mathrm{JSD}(p_{\rm data} \,\|\, p_g),

so ``C(G) >= -log 4``, with equality only at ``p_g = p_data``. Two inequalities on each side make the
"only" quantitative, with ``TV = (1/2) ∫ |p_data - p_g|``:

.. math::

    \mathrm{TV}^2 \;\le\; C(G) + \log 4 \;\le\; 2 \log 2\, \mathrm{TV}.

The left one is Pinsker's inequality applied to each half of the JSD (``2 JSD >= TV²``), the right one
is convexity (``JSD <= TV log 2``); they are the bounds ``python -m gantheory.report`` tabulates and
``tests/theory/test_s11_global_optimum.py`` checks. This example follows two families of generators
moving away from the data and checks the identity and both bounds along each, against closed forms
where they exist.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import gantheory as gt

LOG2, LOG4 = math.log(2), math.log(4)

# %%
# Two families of generators
# --------------------------
# * Shifted normals: ``p_data = N(0, 1)`` and ``p_g`` the image of ``N(0, 1)`` under ``G(z) = z + t``.
#   Here ``TV = 2 Φ(t/2) - 1`` in closed form; the JSD has none.
# * Shifted uniforms: ``p_data = U(0, 1)``, ``p_g = U(t, t + 1)``. Both ``TV = min(t, 1)`` and
#   ``JSD = min(t, 1) log 2`` are closed forms: this family sits exactly on the upper bound, and for
#   ``t >= 1`` the supports are disjoint and ``C(G) = 0``.

shifts = np.linspace(0.0, 6.0, 25)
families = {
    "normal shift": (gt.Normal(0, 1), lambda t: gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, t)),
                     lambda t: (2 * stats.norm.cdf(t / 2) - 1, None)),
    "uniform shift": (gt.Uniform(0, 1), lambda t: gt.Uniform(t, t + 1),
                      lambda t: (min(t, 1.0), min(t, 1.0) * LOG2)),
}

results, bars, own_bars = {}, {}, {}
for name, (p_data, make_g, closed) in families.items():
    rows, errs, own = [], [], []
    for t in shifts:
        p_g = make_g(t)
        c = gt.virtual_criterion(p_data, p_g)
        jsd = gt.js_divergence(p_data, p_g)
        tv = gt.tv_distance(p_data, p_g)
        rows.append((float(c), float(jsd), float(tv), *closed(t)))
        errs.append(c.error + 2 * tv.error)  # what the bar of C + log 4 and of 2 log 2 TV can move
        own.append((c.error, jsd.error, tv.error))
    results[name], bars[name], own_bars[name] = np.array(rows, dtype=float), np.array(errs), np.array(own)

# %%
# The identity and the closed forms
# ---------------------------------
# ``virtual_criterion`` is computed from the JSD integral, so the identity is expected to hold to
# rounding; ``V(G, D*)`` from the value function itself is an independent check of it at one shift.
# The bounds are checked with the reported error bars as slack (at ``t = 0`` both are equalities,
# ``0 = 0``); the margins printed are those of the shifts ``t > 0``. The uniform family's upper margin
# is 0: it attains the bound at every shift.

for name, r in results.items():
    c, jsd, tv, tv_ref, jsd_ref = r.T
    slack = bars[name]
    c_bar, jsd_bar, tv_bar = own_bars[name].T
    print(f"{name}:")
    print(f"  max |C(G) - (-log 4 + 2 JSD)|   = {np.max(np.abs(c - (-LOG4 + 2 * jsd))):.2e}")
    # C(G) is formed from the JSD integral: equal to rounding (1e-14 is ~45 ulp of log 4)
    assert np.max(np.abs(c - (-LOG4 + 2 * jsd))) < 1e-14, f"{name}: C(G) is not -log 4 + 2 JSD"
    print(f"  max |TV - closed form|          = {np.max(np.abs(tv - tv_ref)):.2e}")
    # within TV's error bar, plus a few ulp for the closed form (normal CDFs, or exact for the uniforms)
    assert np.all(np.abs(tv - tv_ref) <= tv_bar + 1e-15), f"{name}: TV off the closed form"
    if not np.all(np.isnan(jsd_ref)):
        print(f"  max |JSD - min(t, 1) log 2|     = {np.nanmax(np.abs(jsd - jsd_ref)):.2e}")
        assert np.all(np.abs(jsd - jsd_ref) <= jsd_bar + 1e-15), f"{name}: JSD off the closed form"
    lower, upper = tv**2, 2 * LOG2 * tv
    print(f"  C(G) at t = 0: {float(c[0])!r} (-log 4 = {-LOG4!r})")
    assert abs(c[0] + LOG4) <= c_bar[0], f"{name}: C(G) at p_g = p_data is not -log 4"
    print(f"  TV^2 <= C + log 4 at all {len(c)} shifts: {bool(np.all(lower <= c + LOG4 + slack))}; "
          f"smallest margin for t > 0: {np.min((c + LOG4 - lower)[1:]):.3e} nats")
    assert np.all(lower <= c + LOG4 + slack), f"{name}: the lower bound TV² fails"
    print(f"  C + log 4 <= 2 log 2 TV at all {len(c)} shifts: {bool(np.all(c + LOG4 <= upper + slack))}; "
          f"smallest margin for t > 0: {np.min((upper - (c + LOG4))[1:]):.3e} nats")
    assert np.all(c + LOG4 <= upper + slack), f"{name}: the upper bound 2 log 2 TV fails"
    if name == "uniform shift":  # attains the upper bound at every shift (margin 0 to the bars)
        assert np.all(np.abs(upper - (c + LOG4)) <= slack), "the uniform family is off the upper bound"

p_data, p_g = gt.Normal(0, 1), gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, 1.3))
v = gt.value_function(p_data, p_g, gt.optimal_discriminator(p_data, p_g))
c = gt.virtual_criterion(p_data, p_g)
print(f"normal shift t = 1.3: V(G, D*) = {float(v):.15f}, C(G) = {float(c):.15f}, "
      f"difference {abs(v - c):.1e} (error bars {v.error:.1e}, {c.error:.1e})")
assert abs(v - c) <= v.error + c.error, "V(G, D*) differs from C(G) beyond the error bars"

# %%
# The criterion along each family, and the bounds
# -----------------------------------------------
# Left: ``C(G)`` rises from ``-log 4`` towards 0 as the generator moves away. Right: ``C(G) + log 4``
# against TV, between the two bounds (the curves drawn for TV from 0 to 1); the uniform family runs
# along the upper bound.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for (name, r), color in zip(results.items(), ("C0", "C3")):
    c, jsd, tv = r[:, 0], r[:, 1], r[:, 2]
    ax1.plot(shifts, c, "o", color=color, ms=4, label=f"C(G), {name}")
    ax1.plot(shifts, -LOG4 + 2 * jsd, "-", color=color, lw=1, label=f"-log 4 + 2 JSD, {name}")
    ax2.plot(tv, c + LOG4, "o", color=color, ms=4, label=name)
ax1.axhline(-LOG4, color="0.5", ls=":", lw=1)
ax1.axhline(0.0, color="0.5", ls=":", lw=1)
ax1.set_xlabel("shift t of the generator")
ax1.set_ylabel("C(G) (nats)")
ax1.set_title("C(G) = -log 4 + 2 JSD(p_data || p_g)")
ax1.legend(fontsize=8)
u = np.linspace(0, 1, 200)
ax2.plot(u, u**2, "k--", lw=1, label="lower bound TV²")
ax2.plot(u, 2 * LOG2 * u, "k-.", lw=1, label="upper bound 2 log 2 TV")
ax2.fill_between(u, u**2, 2 * LOG2 * u, color="0.9")
ax2.set_xlabel("TV(p_data, p_g)")
ax2.set_ylabel("C(G) + log 4 = 2 JSD (nats)")
ax2.set_title("TV² <= C(G) + log 4 <= 2 log 2 TV")
ax2.legend(fontsize=8)
plt.show()
