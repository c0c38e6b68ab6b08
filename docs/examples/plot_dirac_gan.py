r"""
The Dirac-GAN, with and without R1 regularisation
=================================================

Mescheder, Geiger and Nowozin (2018) reduce GAN training to two numbers: the data are a point mass at
0, the generator a point mass at :math:`\theta`, and the discriminator is linear, :math:`D_\psi(x) =
\psi x`. The loss is

.. math::

    L(\theta, \psi) = f(\theta\psi) + f(0), \qquad f(t) = -\log(1 + e^{-t}),

which the generator descends in :math:`\theta` and the discriminator ascends in :math:`\psi`. The only
equilibrium is :math:`(0, 0)`, where the Jacobian of the gradient field is
:math:`\begin{pmatrix} 0 & -f'(0) \\ f'(0) & -\gamma \end{pmatrix}` with eigenvalues
:math:`(-\gamma \pm \sqrt{\gamma^2 - 4 f'(0)^2})/2` and :math:`f'(0) = 1/2` (docs/theory.md B4):

* without regularisation (:math:`\gamma = 0`) they are :math:`\pm i/2`, purely imaginary: simultaneous
  gradient steps of size :math:`h` multiply the distance to the equilibrium by exactly
  :math:`\sqrt{1 + h^2 f'(\theta\psi)^2}` and spiral out, alternating steps circle without converging;
* the R1 penalty :math:`(\gamma/2)\psi^2` on the discriminator moves them into the left half-plane, and
  the iterates converge.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit

from gantheory import training

# %%
# Three runs from (θ, ψ) = (1, 1)
# -------------------------------
# ``training.dirac_gan`` returns a History whose ``params`` rows are ``(θ, ψ)`` and whose
# ``extra["radius"]`` is their distance to the equilibrium.

h, steps = 0.1, 3000
runs = {
    "simultaneous, γ = 0": training.dirac_gan(1.0, 1.0, h=h, steps=steps),
    "alternating, γ = 0": training.dirac_gan(1.0, 1.0, h=h, steps=steps, mode="alternating"),
    "simultaneous, R1 γ = 0.3": training.dirac_gan(1.0, 1.0, h=h, steps=steps, gamma=0.3),
    "simultaneous, R1 γ = 1": training.dirac_gan(1.0, 1.0, h=h, steps=steps, gamma=1.0),
}
for name, run in runs.items():
    r = run.extra["radius"]
    print(f"{name:26s}: radius at start {r[0]:.4f}, min {r.min():.3e}, max {r.max():.4f}, after {steps} steps "
          f"{r[-1]:.3e}")
    if name.startswith("simultaneous, γ = 0"):  # every step multiplies r by sqrt(1 + h² f'²) > 1
        assert np.all(np.diff(r) > 0), f"{name}: the radius did not grow at every step"
    elif name.startswith("alternating"):
        # bounded, not converging: alternating steps of the linearised field conserve θ² + ψ² - h f'(0) θψ,
        # so r stays within about ±h f'(0)/2 = ±2.5% of its start; allow twice that
        assert np.all(np.abs(r / r[0] - 1) < 0.05), f"{name}: the radius left ±5% of its start"
    else:  # R1: converges (the rate is checked below)
        assert r[-1] < 1e-15 * r[0], f"{name}: radius {r[-1]:.1e} after {steps} steps"

# %%
# The exact radius factor of a simultaneous step, ``sqrt(1 + h² f'(θψ)²)`` with
# ``f'(t) = 1/(1 + e^t)``, checked at every step of the unregularised run:

run = runs["simultaneous, γ = 0"]
theta, psi = run.params[:-1].T
r = run.extra["radius"]
factor = np.sqrt(1.0 + h**2 * expit(-theta * psi) ** 2)
deviation = np.max(np.abs(r[1:] / r[:-1] / factor - 1))
print(f"max relative deviation of r[n+1]/r[n] from sqrt(1 + h² f'(θψ)²) over {steps} steps: {deviation:.1e}")
# an exact identity, so rounding only (a few ulp); a wrong factor would be off by h² f'² ~ 1e-3
assert deviation < 1e-14, f"radius factor off by {deviation:.1e}"

# %%
# Eigenvalues at the equilibrium
# ------------------------------
# ``training.dirac_jacobian`` returns the Jacobian of the gradient field; its eigenvalues against the
# closed form, for several penalties. For ``γ < 1 = 2 f'(0)`` they are complex with real part
# ``-γ/2``; at ``γ = 1`` they meet at ``-1/2``; beyond, both are real and negative.

gammas = np.linspace(0.0, 2.5, 51)
worst = 0.0
eigs = []
for gamma in gammas:
    ev = np.sort_complex(np.linalg.eigvals(training.dirac_jacobian(0.0, 0.0, gamma)))
    disc = np.sqrt(complex(gamma**2 - 1.0))
    ref = np.sort_complex(np.array([(-gamma - disc) / 2, (-gamma + disc) / 2]))
    worst = max(worst, float(np.max(np.abs(ev - ref))))
    eigs.append(ev)
eigs = np.array(eigs)
print(f"max |eigenvalue - (-γ ± sqrt(γ² - 1))/2| over {gammas.size} values of γ in [0, 2.5]: {worst:.1e}")
# eigenvalues of size <= 2.5: rounding is ~1e-16 (at γ = 1, in the grid exactly, LAPACK's 2 x 2 step finds the
# double root from a discriminant that is exactly 0)
assert worst < 1e-12, f"Jacobian eigenvalues off the closed form by {worst:.1e}"
for gamma in (0.0, 0.3, 1.0, 2.0):
    ev = np.sort_complex(np.linalg.eigvals(training.dirac_jacobian(0.0, 0.0, gamma)))
    print(f"  γ = {gamma:.1f}: eigenvalues " + ", ".join(f"{e.real + 0.0:+.6f} {e.imag + 0.0:+.6f}i" for e in ev))

# %%
# Near the equilibrium a simultaneous step is the linear map ``I + h J``, so the radius of the
# regularised runs should shrink per step by the spectral radius ``max |1 + h λ|``. The measured rate
# (the slope of ``log r`` over the last 1000 steps) against it; at ``γ = 1`` the double eigenvalue adds
# a factor growing like ``n`` to ``r``, so the slope lies slightly above.

for gamma in (0.3, 1.0):
    r = runs[f"simultaneous, R1 γ = {gamma:g}"].extra["radius"]
    slope = np.polyfit(np.arange(steps - 1000, steps + 1), np.log(r[-1001:]), 1)[0]
    lam = np.linalg.eigvals(training.dirac_jacobian(0.0, 0.0, gamma))
    rate = np.log(np.max(np.abs(1 + h * lam)))
    print(f"  γ = {gamma:g}: measured log r per step {slope:.6f}, log max|1 + h λ| = {rate:.6f}")
    if gamma < 1:
        # complex pair: log r - n rate oscillates within a band 0.31 wide (the eigenvectors of I + hJ are not
        # orthogonal), which can tilt a least-squares slope over 1000 steps by at most 3 x 0.155/1000
        assert abs(slope - rate) < 4.7e-4, f"γ = {gamma}: slope {slope:.6f}, rate {rate:.6f}"
    else:
        # double eigenvalue: r ~ n ρ^n, so the slope exceeds the rate by that of log n over the window
        # (4.0e-4), up to O(1/n²) terms; allow 5% of it
        n = np.arange(steps - 1000, steps + 1)
        excess = np.polyfit(n, np.log(n), 1)[0]
        assert abs(slope - rate - excess) < 0.05 * excess, f"γ = 1: slope {slope:.6f}, rate {rate:.6f}"

# %%
# Left: the orbits in the (θ, ψ) plane. Middle: the radius against the step (log scale). Right: the
# eigenvalues of the Jacobian at the equilibrium as ``γ`` grows from 0 (at ``±i/2``) to 2.5.

fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), layout="constrained")
for (name, run), color in zip(runs.items(), ("C3", "C0", "C2", "C1")):
    axes[0].plot(run.params[:, 0], run.params[:, 1], color=color, lw=0.8)
    axes[1].semilogy(run.steps, run.extra["radius"], color=color, label=name)
axes[0].plot([1.0], [1.0], "ko", ms=4, label="start (1, 1)")
axes[0].plot([0.0], [0.0], "k+", ms=10, label="equilibrium")
axes[0].set_aspect("equal")
axes[0].set_xlabel("θ (generator)")
axes[0].set_ylabel("ψ (discriminator)")
axes[0].set_title(f"Orbits, h = {h}, {steps} steps")
axes[0].legend(fontsize=7, loc="upper left", framealpha=0.9)
axes[1].set_xlabel("step")
axes[1].set_ylabel("distance to (0, 0)")
axes[1].set_title("Radius sqrt(θ² + ψ²) (colours as on the left)")
axes[1].legend(fontsize=7)
sc = axes[2].scatter(eigs.real.ravel(), eigs.imag.ravel(), c=np.repeat(gammas, 2), cmap="viridis", s=12)
fig.colorbar(sc, ax=axes[2], label="γ")
axes[2].axvline(0.0, color="0.5", lw=0.8)
axes[2].axhline(0.0, color="0.5", lw=0.8)
axes[2].set_xlabel("real part")
axes[2].set_ylabel("imaginary part")
axes[2].set_title("Jacobian eigenvalues at (0, 0)")
plt.show()
