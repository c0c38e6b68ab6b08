r"""
The pointwise lemma and the optimality gap of a discriminator
=============================================================

The proof of Proposition 1 in Goodfellow et al. (2014) rests on one line of calculus (docs/theory.md
S5): for weights ``a, b >= 0``, not both zero,

.. math::

    y \mapsto a \log y + b \log(1 - y) \quad\text{on } [0, 1]
    \text{ has its unique maximum at } y^* = \frac{a}{a + b},

with maximum value ``a log(a/(a+b)) + b log(b/(a+b))``. Applied at every ``x`` with ``a = p_data(x)``
and ``b = p_g(x)`` it gives the optimal discriminator ``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (S6).
Writing ``kl(u || v) = u log(u/v) + (1 - u) log((1 - u)/(1 - v))`` for the KL divergence of two coin
flips, the same algebra gives the size of every other discriminator's shortfall:

.. math::

    V(G, D^*) - V(G, D) = \int (p_{\rm data}(x) + p_g(x))\, \mathrm{kl}(D^*(x) \,\|\, D(x))\, dx \;\ge\; 0,

zero only where ``D = D*`` almost everywhere. This example checks the lemma with
``gt.pointwise_objective`` and ``gt.pointwise_argmax``, then the gap for a few discriminators.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import optimize

import gantheory as gt
from gantheory.quadrature import expectation

# %%
# S5: the maximiser of ``a log y + b log(1 - y)``
# -----------------------------------------------
# Three independent ways to the maximiser: ``gt.pointwise_argmax``, the formula ``a/(a+b)`` written out
# here, and a bounded numerical maximisation (``scipy.optimize.minimize_scalar``) of
# ``gt.pointwise_objective``. A grid of 100,001 points of ``[0, 1]`` checks that no point beats the
# maximiser. The last two rows have a zero weight: then ``y* = 0`` or ``1``, with ``0 log 0 = 0``.

weights = [(1.0, 1.0), (3.0, 1.0), (0.4, 2.2), (0.05, 0.02), (0.0, 2.0), (5.0, 0.0)]
grid = np.linspace(0.0, 1.0, 100_001)
print(f"{'a':>5} {'b':>5} {'argmax':>18} {'a/(a+b)':>18} {'scipy':>12} {'max value':>19} {'closed form':>19}"
      f" {'grid beats it':>13}")
for a, b in weights:
    y_star = float(gt.pointwise_argmax(a, b))
    formula = a / (a + b)
    res = optimize.minimize_scalar(lambda y, a=a, b=b: -float(gt.pointwise_objective(y, a, b)),
                                   bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-12})
    best = float(gt.pointwise_objective(y_star, a, b))
    closed = sum(w * math.log(w / (a + b)) for w in (a, b) if w > 0)  # (0 log 0 = 0)
    beaten = bool(np.any(gt.pointwise_objective(grid, a, b) > best))
    print(f"{a:5.2f} {b:5.2f} {y_star:18.15f} {formula:18.15f} {res.x:12.8f} {best:19.15f} {closed:19.15f}"
          f" {beaten!s:>13}")
    # argmax and maximum to rounding (a few ulp); scipy's bounded Brent stops once its bracket is within about
    # 4 (sqrt(ε) |y| + xatol/3) ~ 6e-8 of the maximiser, hence 1e-7 for it; no grid point may beat the maximum
    assert abs(y_star - formula) <= 1e-15, f"a = {a}, b = {b}: argmax {y_star!r} is not a/(a+b)"
    assert abs(res.x - formula) < 1e-7, f"a = {a}, b = {b}: scipy's maximiser {res.x!r} is not a/(a+b)"
    assert abs(best - closed) <= 1e-13 * max(1.0, abs(closed)), f"a = {a}, b = {b}: maximum off the closed form"
    assert not beaten, f"a = {a}, b = {b}: a grid point beats the maximiser"

# %%
# S6: the gap of a suboptimal discriminator
# -----------------------------------------
# Data ``N(0, 1)``; generator ``G(z) = 0.8 z + 1.5`` on standard normal noise, so ``p_g = N(1.5, 0.8²)``.
# For two normals ``log p_data - log p_g`` is a quadratic ``α x² + β x + γ``, so ``D*`` belongs to
# ``gt.QuadraticDiscriminator`` with ``α = (1/σ² - 1)/2``, ``β = -μ/σ²``, ``γ = μ²/(2σ²) + log σ``.
# Five discriminators: that quadratic (gap 0), the same with a wrong constant, a linear logistic one, a
# bounded ``tanh`` logit and the constant ``D ≡ 1/2``. For the last, ``V = -log 4`` and the gap is
# ``C(G) + log 4 = 2 JSD(p_data || p_g)`` (S9, S10), a third check.
#
# The gap is computed as its own integral: ``∫ (p + q) kl(D* || D) = 2 E_m[kl(D* || D)]`` with the
# mixture ``m = (p_data + p_g)/2``, the binary KL formed from ``log D*``, ``log(1 - D*)``, ``log D`` and
# ``log(1 - D)``. It is then compared with ``V(G, D*) - V(G, D)`` from two calls of ``gt.value_function``.
# The integral is asked for an absolute tolerance as well: for ``D = D*`` it is 0, and its integrand is
# round-off of ``log D* - log D``, so a relative tolerance alone could never be met (its value may print
# as ``-0.000000000000000``: round-off, far inside its error bar).

mu, sigma = 1.5, 0.8
p_data = gt.Normal(0, 1)
p_g = gt.Pushforward(gt.Normal(0, 1), gt.Affine(sigma, mu))
alpha, beta, gamma = (1 / sigma**2 - 1) / 2, -mu / sigma**2, mu**2 / (2 * sigma**2) + math.log(sigma)
d_star = gt.optimal_discriminator(p_data, p_g)

discriminators = {
    "quadratic = D*": gt.QuadraticDiscriminator(alpha, beta, gamma),
    "quadratic, constant + 1": gt.QuadraticDiscriminator(alpha, beta, gamma + 1.0),
    "linear 1.5 (0.9 - x)": gt.LogitDiscriminator(lambda x: 1.5 * (0.9 - np.asarray(x))),
    "tanh 0.3 - 1.5 tanh(x - 0.5)": gt.LogitDiscriminator(lambda x: 0.3 - 1.5 * np.tanh(np.asarray(x) - 0.5)),
    "constant 1/2": gt.LogitDiscriminator(lambda x: np.zeros(np.shape(x))),
}


def binary_kl(d):
    """x -> kl(D*(x) || D(x)), from the four log-probabilities (0 log 0 = 0 where D* is 0 or 1)."""

    def kl(x):
        ls, l1s = d_star.log(x), d_star.log1m(x)
        with np.errstate(invalid="ignore"):  # (-inf - -inf where D* and D both vanish: weight 0 there)
            one = np.where(np.isneginf(ls), 0.0, np.exp(ls) * (ls - d.log(x)))
            two = np.where(np.isneginf(l1s), 0.0, np.exp(l1s) * (l1s - d.log1m(x)))
        return one + two

    return kl


mixture = gt.Mixture([p_data, p_g], [0.5, 0.5])
v_star = gt.value_function(p_data, p_g, d_star)
c_g = gt.virtual_criterion(p_data, p_g)
print(f"V(G, D*) = {float(v_star):.15f}, C(G) = {float(c_g):.15f}")
assert abs(v_star - c_g) <= v_star.error + c_g.error, "V(G, D*) differs from C(G) beyond the error bars"
print(f"{'discriminator':30s} {'V(G, D)':>19} {'V(G, D*) - V(G, D)':>20} {'∫(p+q) kl(D*||D)':>20} "
      f"{'difference':>11} {'error bar':>10}")
values, gaps, integrals, v_errors = {}, {}, {}, {}
for name, d in discriminators.items():
    v = gt.value_function(p_data, p_g, d)
    half = expectation(mixture, binary_kl(d), atol=1e-15)  # E_m[kl]: the gap is twice it
    values[name], gaps[name], integrals[name] = float(v), float(v_star) - float(v), 2 * float(half)
    print(f"{name:30s} {float(v):19.15f} {gaps[name]:20.15f} {integrals[name]:20.15f} "
          f"{abs(gaps[name] - integrals[name]):11.1e} {v.error + v_star.error + 2 * half.error:10.1e}")
    v_errors[name] = v.error
    bar = v.error + v_star.error + 2 * half.error
    assert abs(gaps[name] - integrals[name]) <= bar, f"{name}: the gap is not the binary-KL integral"
    # the gap is >= 0, and 0 only for D = D*
    if name == "quadratic = D*":
        assert abs(gaps[name]) <= v.error + v_star.error, f"{name}: nonzero gap {gaps[name]:.1e}"
    else:
        assert gaps[name] > bar, f"{name}: gap {gaps[name]:.1e} is not positive"
jsd = gt.js_divergence(p_data, p_g)
print(f"D = 1/2: V(G, D) + log 4 = {values['constant 1/2'] + math.log(4):.1e}; "
      f"gap {gaps['constant 1/2']:.15f}, 2 JSD(p_data || p_g) = {2 * float(jsd):.15f}")
assert abs(values["constant 1/2"] + math.log(4)) <= v_errors["constant 1/2"], "D = 1/2: V is not -log 4"
assert abs(gaps["constant 1/2"] - 2 * jsd) <= v_errors["constant 1/2"] + v_star.error + 2 * jsd.error, \
    "D = 1/2: the gap is not 2 JSD"
x = np.linspace(-40, 40, 161)
quad_dev = np.max(np.abs(discriminators["quadratic = D*"].logit(x) - d_star.logit(x)))
spacing = np.spacing(np.max(np.abs(np.concatenate([p_data.logpdf(x), p_g.logpdf(x)]))))
print(f"max |logit of the quadratic - logit D*| on [-40, 40]: {quad_dev:.1e} "
      f"(D* takes log p_data - log p_g, log-densities whose float spacing reaches {spacing:.1e} there)")
# each log-density is within an ulp or two of its exact value, so their difference within a few spacings
assert quad_dev <= 4 * spacing, f"the quadratic's logit differs from logit D* by {quad_dev:.1e}"

# %%
# The pictures
# ------------
# Left: the objective of the lemma for four pairs of weights, each with its maximiser marked. Middle: the
# discriminators against ``D*``, over the two densities (``D*`` rises again on the right, where the
# narrower ``p_g`` falls off faster than ``p_data``; only the quadratic family can follow it). Right: the
# gap of each discriminator, as a difference of two values of V and as the integral of the binary KL;
# the two bars of each pair agree.

fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 5.2), layout="constrained")
y = np.linspace(0.0, 1.0, 2001)
for (a, b), color in zip(weights[:4], ("C0", "C1", "C2", "C3")):
    y_star = float(gt.pointwise_argmax(a, b))
    ax1.plot(y, gt.pointwise_objective(y, a, b), color=color, lw=1.5, label=f"a = {a}, b = {b}")
    ax1.plot([y_star], [gt.pointwise_objective(y_star, a, b)], "o", color=color, ms=6)
ax1.set_ylim(-6, 0.5)
ax1.set_xlabel("y")
ax1.set_ylabel("a log y + b log(1 - y) (nats)")
ax1.set_title("S5: maximum at y* = a / (a + b) (dots)")
ax1.legend(fontsize=8, loc="lower center")

xs = np.linspace(-4, 7, 600)
top = max(p_data.pdf(xs).max(), p_g.pdf(xs).max())
ax2.fill_between(xs, p_data.pdf(xs) / top, color="C0", alpha=0.2, lw=0, label="p_data (scaled)")
ax2.fill_between(xs, p_g.pdf(xs) / top, color="C1", alpha=0.2, lw=0, label="p_g (scaled)")
ax2.plot(xs, d_star(xs), color="k", lw=3, alpha=0.4, label="D*")
for (name, d), color in zip(discriminators.items(), ("C3", "C4", "C2", "C5", "C7")):
    ax2.plot(xs, d(xs), color=color, lw=1.2, ls="--" if name.startswith("quadratic = ") else "-", label=name)
ax2.set_xlabel("x")
ax2.set_ylabel("D(x); densities / max density")
ax2.set_title("S6: D* and five discriminators")
ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)

pos = np.arange(len(discriminators))
ax3.bar(pos - 0.2, list(gaps.values()), width=0.4, color="C0", label="V(G, D*) - V(G, D)")
ax3.bar(pos + 0.2, list(integrals.values()), width=0.4, color="C1", label="∫ (p_data + p_g) kl(D* || D) dx")
ax3.set_xticks(pos, ["D*\n(quadratic)", "quadratic,\nconstant + 1", "linear", "tanh", "D = 1/2"], fontsize=8)
ax3.set_ylabel("optimality gap (nats)")
ax3.set_title("S6: the gap is the binary KL to D*")
ax3.legend(fontsize=8, loc="upper left")
plt.show()
