r"""
The value function, in data space and in noise space
====================================================

The GAN game (Goodfellow et al. 2014, eq. 1; docs/theory.md S1) is played on the value function

.. math::

    V(G, D) = \mathbb{E}_{x \sim p_{\rm data}}[\log D(x)] + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))].

The discriminator ascends it and the generator descends it. Two facts make it tractable:

* **S2.** Only the second term contains ``G``: the first is an expectation under the data alone, so the
  generator minimises ``E_z[log(1 - D(G(z)))]`` and every generator gradient comes from that term.
* **S4.** By the change of variables (the law of the unconscious statistician), the second term equals
  ``E_{x ~ p_g}[log(1 - D(x))]``, with ``p_g`` the density of ``G(z)``, so

  .. math::

      V(G, D) = \int p_{\rm data}(x) \log D(x) + p_g(x) \log(1 - D(x))\, dx .

``gt.value_function`` computes V either way: ``space="x"`` integrates the last form over x,
``space="z"`` integrates the second term over the noise through the generator. This example checks
V against closed forms and Monte Carlo, the two spaces against each other, the independence of the
first term from G, and draws V along a family of discriminators (maximal at ``D*``) and a family of
generators.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

import gantheory as gt
from gantheory.quadrature import expectation

# %%
# The setting
# -----------
# Data ``p_data = N(0, 1)``; noise ``z ~ N(0, 1)``; the generator ``G(z) = z + t`` (an ``Affine`` map
# pushed forward), so ``p_g = N(t, 1)``. The discriminator is logistic, ``D(x) = sigmoid(ℓ(x))``, given
# by its logit so that ``log D`` and ``log(1 - D)`` stay exact in the tails.


def generator(t, scale=1.0):
    """G(z) = scale z + t applied to standard normal noise."""
    return gt.Pushforward(gt.Normal(0, 1), gt.Affine(scale, t))


p_data = gt.Normal(0, 1)
t0 = 1.5
p_g = generator(t0)
d = gt.LogitDiscriminator(lambda x: 0.8 * (0.75 - np.asarray(x)))  # says "real" left of x = 0.75

# %%
# S1: V against a closed form and against Monte Carlo
# ---------------------------------------------------
# A constant discriminator ``D ≡ c`` gives ``V = log c + log(1 - c)`` for any pair (its maximum,
# ``-log 4``, at ``c = 1/2``). For the logistic ``D`` above there is no closed form; a plain Monte Carlo
# average of ``log D(x_i) + log(1 - D(G(z_i)))`` over 200,000 draws is an independent check, which must
# agree within a few of its standard errors.

print("S1, constant discriminators D = c:")
for c in (0.5, 0.1, 0.93):
    v = gt.value_function(p_data, p_g, lambda x, c=c: np.full(np.shape(x), c))
    ref = math.log(c) + math.log1p(-c)
    print(f"  c = {c:<4}  V = {float(v):+.15f}   log c + log(1 - c) = {ref:+.15f}   difference {abs(v - ref):.1e}")
    # within V's error bar, plus a few ulp for the rounding of the closed form
    assert abs(v - ref) <= v.error + 1e-15 * abs(ref), f"c = {c}: V is not log c + log(1 - c)"

rng = np.random.default_rng(0)
n = 200_000
x_real = p_data.sample(n, rng)
z = rng.standard_normal(n)
terms = d.log(x_real) + d.log1m(z + t0)  # log D(x_i) + log(1 - D(G(z_i)))
v_mc, se = terms.mean(), terms.std() / math.sqrt(n)
v_quad = gt.value_function(p_data, p_g, d)
print("S1, logistic D, generator G(z) = z + 1.5:")
print(f"  quadrature  V = {float(v_quad):.15f} (error bar {v_quad.error:.1e})")
print(f"  Monte Carlo V = {v_mc:.6f} ± {se:.6f} (standard error, n = {n}); "
      f"difference = {abs(v_quad - v_mc) / se:.2f} standard errors")
# one seeded draw of a mean: beyond 4 standard errors with probability 6e-5
assert abs(v_quad - v_mc) < 4 * se, "quadrature and Monte Carlo disagree beyond 4 standard errors"

# %%
# S4: the value over x equals the value over the noise
# ----------------------------------------------------
# Three generators, the last two nonlinear: an affine map that also scales, a sinh-arcsinh map (skewed,
# heavier tails) and ``exp`` (log-normal fakes on the positive half-line). ``space="x"`` needs only the
# density ``p_g``, including its Jacobian; ``space="z"`` never forms ``p_g``, it integrates over the
# noise at the images ``G(z)``. They are two different integrals of one number.

generators = {
    "affine  G(z) = 0.8 z + 1.5": generator(1.5, 0.8),
    "sinh-arcsinh (skew 0.5, tails 1.5)": gt.Pushforward(gt.Normal(0, 1), gt.SinhArcsinh(0.5, 1.5)),
    "exp     G(z) = exp(z)": gt.Pushforward(gt.Normal(0, 1), gt.Exp()),
}
print("S4, V over x and over the noise:")
for name, g in generators.items():
    vx = gt.value_function(p_data, g, d, space="x")
    vz = gt.value_function(p_data, g, d, space="z")
    print(f"  {name:36s} V_x = {float(vx):+.15f}  V_z = {float(vz):+.15f}  "
          f"|V_x - V_z| = {abs(vx - vz):.1e} (bars {vx.error:.1e} + {vz.error:.1e})")
    assert abs(vx - vz) <= vx.error + vz.error, f"{name}: V over x and over z differ beyond their error bars"

# %%
# S2: the first term does not move with the generator
# ---------------------------------------------------
# For a family of generators ``G_t(z) = z + t`` and one fixed ``D``, subtract the generator's part
# ``gt.generator_loss(..., loss="minimax") = E_z[log(1 - D(G_t(z)))]`` from V. What is left must be the
# same number for every ``t``: ``E_{p_data}[log D]``, computed here directly as an expectation under
# the data alone.

first_direct = expectation(p_data, d.log)
shifts = np.linspace(-3.0, 6.0, 37)
first, second, total, bars = [], [], [], []
for t in shifts:
    g = generator(t)
    v = gt.value_function(p_data, g, d)
    loss = gt.generator_loss(p_data, g, d, loss="minimax")
    total.append(float(v))
    second.append(float(loss))
    first.append(float(v) - float(loss))
    bars.append(v.error + loss.error)
first, second, total = map(np.array, (first, second, total))
print(f"S2, {len(shifts)} generators, t from {shifts[0]} to {shifts[-1]}:")
print(f"  E_p_data[log D] directly          = {float(first_direct):.15f} (error bar {first_direct.error:.1e})")
print(f"  V - second term: min {first.min():.15f}, max {first.max():.15f}")
print(f"  largest deviation from the direct value: {np.max(np.abs(first - first_direct)):.1e}; "
      f"the second term meanwhile spans {second.min():.3f} to {second.max():.3f} nats")
assert np.all(np.abs(first - first_direct) <= np.array(bars) + first_direct.error), \
    "V minus the generator's term moved with the generator beyond the error bars"

# %%
# ``D*`` maximises V over discriminators
# --------------------------------------
# For ``p_g = N(t, 1)`` the optimal discriminator is itself logistic,
# ``D*(x) = sigmoid(t (t/2 - x))`` (S6). Along the one-parameter family ``D_k(x) = sigmoid(k (t/2 - x))``
# V is therefore largest at ``k = t``, where it equals ``C(G) = V(G, D*)``
# (``gt.virtual_criterion``). A grid over ``k`` finds that maximum without being told where it is.

slopes = np.linspace(0.0, 4.0, 81)


def d_k(k):
    """D_k(x) = sigmoid(k (t0/2 - x)); k = t0 is D*."""
    return gt.LogitDiscriminator(lambda x: k * (t0 / 2 - np.asarray(x)))


v_k_est = [gt.value_function(p_data, p_g, d_k(k)) for k in slopes]
v_k = np.array([float(v) for v in v_k_est])
d_star = gt.optimal_discriminator(p_data, p_g)
v_star = gt.value_function(p_data, p_g, d_star)
c_g = gt.virtual_criterion(p_data, p_g)
k_best = slopes[np.argmax(v_k)]
print(f"D* for t = {t0}:")
print(f"  grid maximum of V(G, D_k) at k = {k_best} (D* is k = t = {t0}); max over the grid {v_k.max():.15f}")
# at the grid point k = t (less than half a step of 0.05 away), where D_k is D*: V equal to the error bars
assert abs(k_best - t0) < 0.025, f"the grid maximum is at k = {k_best}, not at k = t = {t0}"
assert abs(v_k.max() - v_star) <= v_k_est[np.argmax(v_k)].error + v_star.error, "max over the grid is not V(G, D*)"
print(f"  V(G, D*) = {float(v_star):.15f}, C(G) = {float(c_g):.15f}, difference {abs(v_star - c_g):.1e}")
assert abs(v_star - c_g) <= v_star.error + c_g.error, "V(G, D*) differs from C(G) beyond the error bars"
print(f"  V(G, D_k) <= V(G, D*) at all {len(slopes)} slopes: {bool(np.all(v_k <= float(v_star) + v_star.error))}")
assert np.all(v_k <= float(v_star) + v_star.error), "a discriminator D_k beats D*"

# %%
# The two pictures
# ----------------
# Left: V along the discriminator family for the fixed generator ``t = 1.5``; ``k = 0`` is
# ``D ≡ 1/2`` with ``V = -log 4``, and the peak sits at ``D*``. Right: for the fixed logistic ``D`` of
# the first sections, the two terms of V along the generator family. The first term is a flat line,
# the second carries all of V's dependence on G; the generator lowers V by moving its fakes to the
# left, where D calls points real.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10.5, 4.2), layout="constrained")
ax1.plot(slopes, v_k, color="C0", lw=1.6, label="V(G, D_k), D_k = sigmoid(k (t/2 - x))")
ax1.plot([t0], [float(v_star)], "k*", ms=12, label=f"D* (k = t = {t0}): C(G) = {float(c_g):.4f}")
ax1.axhline(-math.log(4), color="0.5", ls=":", lw=1, label="-log 4 (D ≡ 1/2)")
ax1.set_xlabel("discriminator slope k")
ax1.set_ylabel("V(G, D) (nats)")
ax1.set_title(f"Fixed generator G(z) = z + {t0}: V over discriminators")
ax1.legend(fontsize=8, loc="lower center")

ax2.plot(shifts, total, color="k", lw=1.8, label="V(G_t, D)")
ax2.plot(shifts, first, color="C0", lw=1.6, ls="--", label="first term E_p_data[log D] = V - second")
ax2.plot(shifts, second, color="C1", lw=1.6, label="second term E_z[log(1 - D(G_t(z)))]")
ax2.set_xlabel("generator shift t in G_t(z) = z + t")
ax2.set_ylabel("nats")
ax2.set_title("Fixed D = sigmoid(0.8 (0.75 - x)): V over generators")
ax2.legend(fontsize=8, loc="lower right")
plt.show()
