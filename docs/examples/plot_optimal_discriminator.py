r"""
The optimal discriminator for every family
==========================================

For a fixed generator, the value function

.. math::

    V(G, D) = \int p_{\rm data}(x) \log D(x) + p_g(x) \log(1 - D(x))\, dx

is maximised pointwise: at each ``x`` the function ``y -> a log y + b log(1 - y)`` with
``a = p_data(x)`` and ``b = p_g(x)`` peaks at ``y = a / (a + b)``. Hence (Goodfellow et al. 2014,
Proposition 1)

.. math::

    D^*(x) = \frac{p_{\rm data}(x)}{p_{\rm data}(x) + p_g(x)},

computed by gantheory in log space as ``sigmoid(log p_data - log p_g)``. This example draws ``D*`` for
one pair from each density family and compares it, on a grid, with the ratio of the densities computed
independently from ``scipy.stats`` (or by hand for the tabulated density).
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import gantheory as gt

# %%
# Nine pairs, one per family
# --------------------------
# Each entry holds ``(p_data, p_g)``, the same two densities written independently of gantheory (a
# function returning their values), and the plotting range. The pushforward pair is two log-normals,
# ``exp`` of two normals; the tabulated density is a piecewise-linear "tent with a shoulder".

grid_x = np.array([-2.0, -1.0, 0.0, 0.5, 1.5, 2.5])
grid_v = np.array([0.0, 0.6, 1.0, 0.4, 0.4, 0.0])
grid_mass = np.sum(np.diff(grid_x) * (grid_v[1:] + grid_v[:-1]) / 2)  # trapezoid rule: exact for it


def grid_pdf(x):
    return np.interp(x, grid_x, grid_v, left=0.0, right=0.0) / grid_mass


pairs = {
    "Normal": (gt.Normal(0, 1), gt.Normal(1.5, 1),
               lambda x: (stats.norm(0, 1).pdf(x), stats.norm(1.5, 1).pdf(x)), (-4, 5.5)),
    "Uniform": (gt.Uniform(0, 2), gt.Uniform(1, 3),
                lambda x: (stats.uniform(0, 2).pdf(x), stats.uniform(1, 2).pdf(x)), (-0.5, 3.5)),
    "Laplace": (gt.Laplace(0, 1), gt.Laplace(1, 2),
                lambda x: (stats.laplace(0, 1).pdf(x), stats.laplace(1, 2).pdf(x)), (-6, 8)),
    "Cauchy": (gt.Cauchy(0, 1), gt.Cauchy(2, 0.5),
               lambda x: (stats.cauchy(0, 1).pdf(x), stats.cauchy(2, 0.5).pdf(x)), (-8, 10)),
    "StudentT (df 3) vs Normal": (gt.StudentT(3), gt.Normal(0, 1),
                                  lambda x: (stats.t(3).pdf(x), stats.norm().pdf(x)), (-7, 7)),
    "Beta": (gt.Beta(2, 5), gt.Beta(5, 2),
             lambda x: (stats.beta(2, 5).pdf(x), stats.beta(5, 2).pdf(x)), (0.001, 0.999)),
    "Mixture vs Normal": (gt.Mixture([gt.Normal(-2, 0.5), gt.Normal(2, 0.5)], [0.5, 0.5]), gt.Normal(0, 1.5),
                          lambda x: (0.5 * stats.norm(-2, 0.5).pdf(x) + 0.5 * stats.norm(2, 0.5).pdf(x),
                                     stats.norm(0, 1.5).pdf(x)), (-5, 5)),
    "Pushforward (log-normals)": (gt.Pushforward(gt.Normal(0, 0.5), gt.Exp()),
                                  gt.Pushforward(gt.Normal(0.4, 0.3), gt.Exp()),
                                  lambda x: (stats.lognorm(0.5).pdf(x), stats.lognorm(0.3, scale=np.exp(0.4)).pdf(x)),
                                  (0.05, 4.5)),
    "GridDensity vs Normal": (gt.GridDensity(grid_x, grid_v), gt.Normal(0.5, 1),
                              lambda x: (grid_pdf(x), stats.norm(0.5, 1).pdf(x)), (-3.5, 4.5)),
}

# %%
# ``D*`` against the ratio of the densities
# -----------------------------------------
# Where both densities vanish (outside the union of the supports) ``D*`` is arbitrary; gantheory
# returns 1/2 there, and so does the reference below. The printed figure is the largest absolute
# difference over 801 points of each range.

fig, axes = plt.subplots(3, 3, figsize=(10, 8.5), layout="constrained")
print(f"{'pair':28s} {'max |D*_gantheory - p/(p+q)|':>30s}")
worst = 0.0
for ax, (name, (p_data, p_g, ref_pdfs, (lo, hi))) in zip(axes.flat, pairs.items()):
    x = np.linspace(lo, hi, 801)
    d_star = gt.optimal_discriminator(p_data, p_g)(x)
    a, b = ref_pdfs(x)
    with np.errstate(invalid="ignore"):
        ref = np.where(a + b > 0, a / (a + b), 0.5)
    diff = float(np.max(np.abs(d_star - ref)))
    worst = max(worst, diff)
    print(f"{name:28s} {diff:30.2e}")
    # D* = sigmoid(log p - log q): a few ulp of log-densities (|log p| <= ~70 on these ranges) in the logit,
    # damped by D (1 - D) <= 1/4, move D* by ~1e-15 at most
    assert diff < 1e-13, f"{name}: D* differs from p/(p+q) by {diff:.1e}"
    top = max(a.max(), b.max())
    ax.fill_between(x, a / top, color="C0", alpha=0.25, lw=0, label="p_data (scaled)")
    ax.fill_between(x, b / top, color="C1", alpha=0.25, lw=0, label="p_g (scaled)")
    ax.plot(x, d_star, color="k", lw=1.6, label="D*(x)")
    ax.axhline(0.5, color="0.5", lw=0.6, ls=":")
    ax.set_title(name, fontsize=10)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("x")
for ax in axes[:, 0]:
    ax.set_ylabel("D*(x); densities / max density")
axes[0, 0].legend(loc="center left", fontsize=8)
fig.suptitle("Optimal discriminator D* = p_data / (p_data + p_g) (densities scaled to a common peak of 1)")
print(f"largest difference over all nine pairs: {worst:.2e}")
assert worst < 1e-13, f"D* differs from p/(p+q) by {worst:.1e}"

# %%
# A closed form for two unit normals
# ----------------------------------
# For ``p_data = N(0, 1)`` and ``p_g = N(μ, 1)`` the log-ratio is linear, so
# ``D*(x) = sigmoid(μ²/2 - μ x)``: a logistic regression is exactly optimal here, and ``D* = 1/2`` at
# the midpoint ``x = μ/2``. ``OptimalDiscriminator.logit`` returns the log-ratio itself, exact also
# far in the tails where ``D*`` rounds to 0 or 1.

mu = 1.5
x = np.linspace(-40, 40, 9)
d = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(mu, 1))
logit_err = np.max(np.abs(d.logit(x) - (mu**2 / 2 - mu * x)))
print(f"max |logit D*(x) - (mu^2/2 - mu x)| for x in [-40, 40]: {logit_err:.2e}")
# the logit is a difference of log-densities reaching -800 at |x| = 40, where float spacing is 1.1e-13
assert logit_err < 1e-12, f"logit D* off the closed form by {logit_err:.1e}"
print(f"D*(mu/2) = {float(d(mu / 2))!r}")
# exactly: (x - 0)² and (x - mu)² are the same float at x = 0.75, so the logit is exactly 0
assert float(d(mu / 2)) == 0.5, "D*(mu/2) is not exactly 1/2"

# %%
# For two log-normals the Jacobian of ``exp`` cancels in the ratio, so ``D*`` at ``x`` is the ``D*``
# of the two underlying normals at ``log x``:

p_base, g_base = gt.Normal(0, 0.5), gt.Normal(0.4, 0.3)
x = np.linspace(0.05, 4.5, 200)
pushed = gt.optimal_discriminator(gt.Pushforward(p_base, gt.Exp()), gt.Pushforward(g_base, gt.Exp()))(x)
base = gt.optimal_discriminator(p_base, g_base)(np.log(x))
print(f"max |D*_lognormal(x) - D*_normal(log x)|: {np.max(np.abs(pushed - base)):.2e}")
# equal up to the rounding of log x and of the Jacobian terms that cancel (a few ulp of the logit)
assert np.max(np.abs(pushed - base)) < 1e-14, "D* of the log-normals is not D* of the normals at log x"

plt.show()
