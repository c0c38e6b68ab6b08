r"""
Algorithm 1 on a grid, with k = 1 and k = 5
===========================================

Algorithm 1 of Goodfellow et al. (2014) alternates ``k`` ascent steps of the discriminator on

.. math::

    V(G, D) = \sum_i w_i \left[p_i \log d_i + g_i \log(1 - d_i)\right]

with one descent step of the generator, on the minimax loss :math:`\sum_i w_i g_i \log(1 - d_i)` or the
non-saturating :math:`-\sum_i w_i g_i \log d_i`. Proposition 2 assumes the discriminator optimal at
every step (``k`` large); the paper runs ``k = 1``.

``gantheory.training.algorithm1`` runs it on a grid with nodes ``x_i`` and trapezoid weights ``w_i``: the
discriminator is one logit ``ψ_i`` per node, ``d = sigmoid(ψ)``, updated by guarded Newton steps on
``V`` (which is separable and concave in each ``ψ_i``), and the generator is a density ``g`` on the grid
moved by mirror-descent steps. At the optimum ``p_g = p_data`` and ``D = 1/2`` (docs/theory.md S8).
"""

import matplotlib.pyplot as plt
import numpy as np

import gantheory as gt
from gantheory import training

x = np.linspace(-8.0, 8.0, 801)
p_data = gt.Mixture([gt.Normal(-2.5, 0.6), gt.Normal(2.0, 0.8)], [0.4, 0.6])

# %%
# Four runs, and Proposition 2's idealisation
# -------------------------------------------
# Each run starts from the uniform density on the grid and ``D = 1/2`` and takes 150 generator
# steps (of size 1, like the discriminator's). ``function_space`` with ``D = D*`` at every step is
# the limit ``k -> infinity`` of the minimax runs.

runs = {(k, loss): training.algorithm1(p_data, x, k=k, loss=loss, steps=150)
        for k in (1, 5) for loss in ("minimax", "non_saturating")}
ideal = training.function_space(p_data, x, steps=150)
FLOOR = 1e-28  # rises below this are rounding (see below)

print(f"{'run':28s} {'steps to JSD<1e-6':>18s} {'final JSD':>10s} {'JSD rises':>10s} "
      f"{'E_p|d - 1/2|':>13s} {'max|g - p|':>11s}")
for (k, loss), h in runs.items():
    w, p, d, g = h.extra["weights"], h.extra["p_data"], h.extra["d"], h.params[-1]
    rises = int(np.sum((np.diff(h.jsd) > 0) & (h.jsd[:-1] > FLOOR)))
    print(f"{f'k={k}, {loss}':28s} {h.steps_to(1e-6):18d} {h.final_jsd:10.1e} {rises:10d} "
          f"{np.dot(w * p, np.abs(d - 0.5)):13.1e} {np.max(np.abs(g - p)):11.1e}")
    # p_g = p_data and D = 1/2 to rounding: g and d carry relative errors near 1e-16, so the JSD
    # (quadratic in them) is near 1e-32, E_p|d - 1/2| a few ulp of 1/2 and max|g - p| a few ulp of max p.
    assert h.final_jsd < 1e-30, f"k={k}, {loss}: final JSD {h.final_jsd:.1e} is not rounding"
    assert np.dot(w * p, np.abs(d - 0.5)) < 1e-15, f"k={k}, {loss}: D is not 1/2 to rounding"
    assert np.max(np.abs(g - p)) < 1e-14 * np.max(p), f"k={k}, {loss}: p_g is not p_data to rounding"
print(f"{'function space (D = D*)':28s} {ideal.steps_to(1e-6):18d} {ideal.final_jsd:10.1e} "
      f"{int(np.sum((np.diff(ideal.jsd) > 0) & (ideal.jsd[:-1] > FLOOR))):10d}")
# With lr = 1 the ideal run is g_n = p + 2^(-n) (g_0 - p) (see the Proposition 2 example); the JSD of
# g_n is convex in 2^(-n) and 0 at 0, so it never rises, and it crosses 1e-6 where the closed form does.
p, w = ideal.extra["p_data"], ideal.extra["weights"]
g0 = np.full(x.size, 1.0 / np.sum(w))
closed_steps = next(n for n in range(151) if training.grid_jsd(p, p + 2.0**-n * (g0 - p), w) < 1e-6)
assert int(np.sum((np.diff(ideal.jsd) > 0) & (ideal.jsd[:-1] > FLOOR))) == 0, "the D = D* run rose"
assert ideal.steps_to(1e-6) == closed_steps, f"D = D* run: {ideal.steps_to(1e-6)} steps, closed form {closed_steps}"

# %%
# "JSD rises" counts the generator steps after which the JSD went up while still above 1e-28: with a
# discriminator that is not yet optimal the generator can overshoot, unlike in function space. Every
# run ends at ``p_g = p_data`` and ``D = 1/2`` to rounding (the last two columns, the second in units of
# density). There the JSD sits near 1e-32 and wanders up and down: float64 values of ``g`` carry
# relative errors near 1e-16, and the JSD is quadratic in them.
#
# The discriminator's steps
# -------------------------
# Each discriminator step is a Newton step on ``V``, which is concave in each logit ``ψ_i``:
# ``ψ += lr_d (D* - d)/(d (1 - d))``, capped at 50, and stopped at the node's maximum ``log(p_i/g_i)``
# when it would pass it. Unguarded, a full Newton step from far out overshoots: at the tail node
# ``x = -4.88`` it once took ``d`` from 0.04 past ``D* = 0.34`` to 0.99 and then to 1e-20, and the
# non-saturating generator step, which multiplies ``g`` by ``d``, emptied the node to 1e-19 of
# ``p_data``; refilling it took dozens of steps. Guarded, ``d`` comes within 1e-3 of ``D*`` by the third
# step and meets it from the fourth, where the Newton step would overshoot. The first ``k = 1``
# non-saturating steps at that node (``D*`` is that of the generator the step faces):

i = int(np.argmin(np.abs(x + 4.88)))
g_prev = 1.0 / 16.0  # the uniform start on [-8, 8]
for n in range(1, 7):
    h = training.algorithm1(p_data, x, k=1, loss="non_saturating", steps=n)
    p_i, g_i, d_i = h.extra["p_data"][i], h.params[-1][i], h.extra["d"][i]
    d_star = p_i / (p_i + g_prev)
    print(f"step {n}: D* = {d_star:.3f}, d = {d_i:.3e}, g/p_data after the step = {g_i / p_i:.3e}")
    # by step 3 the Newton step has converged to within 1e-3 of D*; from step 4 on it would pass the
    # maximum and lands on it, d = D* to rounding; the node is never emptied
    assert n < 3 or abs(d_i - d_star) < 1e-3 * d_star, f"step {n}: d = {d_i:.3e} is not near D* = {d_star:.3e}"
    assert n < 4 or abs(d_i - d_star) < 1e-12, f"step {n}: d = {d_i:.3e} is not D* = {d_star:.3e}"
    assert g_i > p_i / 100, f"step {n}: the node was emptied (g/p = {g_i / p_i:.1e})"
    g_prev = g_i

# %%
# No node of either loss falls below a hundredth of ``p_data`` (each row a separate run of that many
# steps):

print(f"{'loss':15s} {'steps':>5s} {'JSD':>9s} {'nodes g < p/100':>16s} {'min g/p':>9s}")
snapshots = {}
for loss in ("minimax", "non_saturating"):
    for n in (5, 20, 60):
        h = snapshots[loss, n] = training.algorithm1(p_data, x, k=1, loss=loss, steps=n)
        p, g = h.extra["p_data"], h.params[-1]
        low = g < p / 100
        print(f"{loss:15s} {n:5d} {h.final_jsd:9.2e} {low.sum():16d} {np.min(g / p):9.1e}")
        assert low.sum() == 0, f"{loss}, {n} steps: {low.sum()} nodes with g < p/100"

# %%
# With full, guarded steps the discriminator is all but optimal after one step, and ``k`` hardly
# matters; damped steps (``lr_d < 1``) leave it behind ``D*``, and with ``k = 1`` both losses slow
# down. Steps to JSD < 1e-6:

print(f"{'lr_d':>5s} {'k':>2s} {'minimax':>8s} {'non-sat.':>9s}")
table = {}
for lr_d in (1.0, 0.5, 0.3):
    for k in (1, 5):
        cells = [training.algorithm1(p_data, x, k=k, loss=loss, steps=300, lr_d=lr_d, tol=1e-7).steps_to(1e-6)
                 for loss in ("minimax", "non_saturating")]
        print(f"{lr_d:5.1f} {k:2d} {cells[0]:8d} {cells[1]:9d}")
        table[lr_d, k] = cells
# the claims above: at lr_d = 1, k = 5 adds at most a step over k = 1 for either loss; with k = 1 the
# damped runs are slower than the full ones
assert all(abs(table[1.0, 5][j] - table[1.0, 1][j]) <= 1 for j in (0, 1)), f"k mattered at lr_d = 1: {table}"
assert all(table[lr_d, 1][j] > table[1.0, 1][j] for lr_d in (0.5, 0.3) for j in (0, 1)), f"{table}"

# %%
# Left: JSD against the generator step, log scale. Middle: the generator of the ``k = 1``
# non-saturating run after a few steps, on a log scale so that the tails show. Right: its
# discriminator at the same steps (each snapshot a separate run of that many steps).

fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
ax = axes[0]
styles = {"minimax": "-", "non_saturating": "--"}
for (k, loss), h in runs.items():
    ax.semilogy(h.steps, h.jsd, styles[loss], color="C0" if k == 1 else "C3",
                label=f"k = {k}, {loss.replace('_', '-')}")
ax.semilogy(ideal.steps, ideal.jsd, ":", color="k", label="D = D* (Proposition 2)")
ax.set_xlabel("generator step")
ax.set_ylabel("JSD(p_data || p_g) on the grid (nats)")
ax.set_title("Algorithm 1: JSD to the data")
ax.set_ylim(1e-34, 1)
ax.legend(fontsize=8)

axes[1].semilogy(x, runs[1, "minimax"].extra["p_data"], color="k", lw=1, ls="--", zorder=3, label="p_data")
for n in (5, 20, 60):
    h = snapshots["non_saturating", n]
    axes[1].semilogy(x, h.params[-1], lw=1, label=f"p_g after {n} steps")
    axes[2].plot(x, h.extra["d"], lw=1, label=f"d after {n} steps")
axes[1].set_ylim(1e-25, 1)
axes[1].set_xlabel("x")
axes[1].set_ylabel("density (log scale)")
axes[1].set_title("Generator, k = 1, non-saturating")
axes[1].legend(fontsize=8, loc="lower center")
axes[2].axhline(0.5, color="0.5", ls=":", lw=1)
axes[2].set_xlabel("x")
axes[2].set_ylabel("d(x) = sigmoid(ψ(x))")
axes[2].set_title("Discriminator, k = 1, non-saturating")
axes[2].set_ylim(-0.03, 1.03)
axes[2].legend(fontsize=8, loc="lower center")
plt.show()
