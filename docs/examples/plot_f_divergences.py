r"""
f-divergences and their variational bound
=========================================

An f-divergence (Nowozin, Cseke and Tomioka 2016, *f-GAN*; docs/theory.md B1) is

.. math::

    D_f(p \,\|\, q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx ,

for a convex ``f`` (with ``f(1) = 0`` it vanishes at ``p = q``). Its convex conjugate
``f*(t) = sup_u (t u - f(u))`` gives, for every critic ``T``, the lower bound

.. math::

    D_f(p \,\|\, q) \;\ge\; \mathbb{E}_p[T(X)] - \mathbb{E}_q[f^*(T(X))],

with equality at ``T* = f'(p/q)``: the f-GAN's discriminator estimates this bound, and the original GAN
is the case ``f(u) = u log u - (u + 1) log(u + 1)``, whose divergence is ``2 JSD - log 4 = C(G)`` and
whose optimal critic is ``T* = log D*``.

``gt.F_DIVERGENCES`` holds the eight named generators as ``gt.FGenerator(f, derivative, conjugate)``;
``gt.f_divergence(p, q, name)`` computes each by a cancellation-free integrand of its own. This example
checks, for one normal pair, each named value against the direct definition ``∫ q f(p/q)`` (from the
generator's ``f``) and against a closed form written out here (or an independent ``scipy`` integral
where none exists), then the variational bound along a family of critics that reaches ``T*``.
"""

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate, stats

import gantheory as gt
from gantheory.quadrature import expectation

# %%
# The pair and the references
# ---------------------------
# ``p = N(0, 1)`` and ``q = N(1, 1.1²)``. For normals ``N(μ1, s1²)``, ``N(μ2, s2²)`` with ``Δ = μ2 - μ1``,
# using ``∫ p^α q^(1-α) = s1^(1-α) s2^α / sqrt(v) exp(-α(1-α)Δ²/(2v))``, ``v = α s2² + (1-α) s1²``:
#
# * KL ``= log(s2/s1) + (s1² + Δ²)/(2 s2²) - 1/2``; reverse KL the same with the roles swapped;
# * Pearson χ² ``= ∫ p²/q - 1`` (``α = 2``), Neyman χ² ``= ∫ q²/p - 1``;
# * squared Hellinger ``H² = 1 - ∫ sqrt(p q)`` (``α = 1/2``; gantheory's ``f = (sqrt(u) - 1)²/2``);
# * TV ``= P(A) - Q(A)`` with ``A = {p > q}``, the interval between the two roots of the quadratic
#   ``log p - log q``;
# * JSD has no closed form: the reference is ``scipy.integrate.quad`` of ``(p log(2p/(p+q)) +
#   q log(2q/(p+q)))/2``, a textbook formula independent of gantheory; and ``gan = 2 JSD - log 4``.

m1, s1, m2, s2 = 0.0, 1.0, 1.0, 1.1
p, q = gt.Normal(m1, s1), gt.Normal(m2, s2)
delta = m2 - m1


def affinity(alpha):
    """∫ p^α q^(1-α) for the two normals (closed form)."""
    v = alpha * s2**2 + (1 - alpha) * s1**2
    return s1 ** (1 - alpha) * s2**alpha / math.sqrt(v) * math.exp(-alpha * (1 - alpha) * delta**2 / (2 * v))


# the crossings of p and q: roots of A x² + B x + C = log p - log q
A, B = 1 / (2 * s2**2) - 1 / (2 * s1**2), m1 / s1**2 - m2 / s2**2
C = m2**2 / (2 * s2**2) - m1**2 / (2 * s1**2) + math.log(s2 / s1)
r1, r2 = sorted(np.roots([A, B, C]).real)  # (s2 > s1: p > q between them)
P_, Q_ = stats.norm(m1, s1), stats.norm(m2, s2)


def js_integrand(x):
    lp, lq = P_.logpdf(x), Q_.logpdf(x)
    lm = np.logaddexp(lp, lq) - math.log(2)
    return 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))


# pieces between the crossings and the modes; beyond ±40 both densities are below e^-650
cuts = [-40.0, r1, m1, m2, r2, 41.0]
pieces = [integrate.quad(js_integrand, a, b, epsabs=1e-16, epsrel=1e-13, limit=200)
          for a, b in itertools.pairwise(cuts)]
js_ref = math.fsum(v for v, _ in pieces)
js_ref_err = sum(e for _, e in pieces)
print(f"scipy JSD reference {js_ref:.15f}, scipy's error estimate {js_ref_err:.1e}")
assert js_ref_err < 1e-14, f"the scipy reference is only good to {js_ref_err:.1e}, too coarse to check against"
references = {
    "kl": (math.log(s2 / s1) + (s1**2 + delta**2) / (2 * s2**2) - 0.5, "closed form"),
    "reverse_kl": (math.log(s1 / s2) + (s2**2 + delta**2) / (2 * s1**2) - 0.5, "closed form"),
    "pearson": (affinity(2.0) - 1, "closed form"),
    "neyman": (affinity(-1.0) - 1, "closed form"),
    "hellinger": (1 - affinity(0.5), "closed form"),
    "tv": ((P_.cdf(r2) - P_.cdf(r1)) - (Q_.cdf(r2) - Q_.cdf(r1)), "closed form (roots)"),
    "js": (js_ref, "scipy quad"),
    "gan": (2 * js_ref - math.log(4), "2 JSD_scipy - log 4"),
}

# %%
# Named integrals, the direct definition, and the references
# ----------------------------------------------------------
# ``named`` is ``gt.f_divergence(p, q, name)``; ``direct`` is ``gt.f_divergence(p, q, f)`` with the
# callable ``f = gt.F_DIVERGENCES[name].f``, i.e. ``∫ q f(p/q)`` from the generator itself (a different
# integrand). Agreement of ``direct`` with the reference checks the generator ``f``; agreement of
# ``named`` checks the specialised integrand. The last column is the named value's error bar.

names = list(gt.F_DIVERGENCES)
named, direct = {}, {}
print(f"{'f':>10} {'named':>19} {'direct ∫ q f(p/q)':>19} {'reference':>19} {'|named - ref|':>13} "
      f"{'|direct - ref|':>14} {'bar':>8}  reference")
for name in names:
    named[name] = gt.f_divergence(p, q, name)
    direct[name] = gt.f_divergence(p, q, gt.F_DIVERGENCES[name].f)
    ref, how = references[name]
    print(f"{name:>10} {float(named[name]):19.15f} {float(direct[name]):19.15f} {ref:19.15f} "
          f"{abs(named[name] - ref):13.1e} {abs(direct[name] - ref):14.1e} {named[name].error:8.1e}  {how}")
    # each within its error bar, plus the reference's own: scipy's estimate, or a few ulp for a closed form
    ref_err = {"js": js_ref_err, "gan": 2 * js_ref_err}.get(name, 1e-15 * max(1.0, abs(ref)))
    assert abs(named[name] - ref) <= named[name].error + ref_err, f"{name}: named integral off the reference"
    assert abs(direct[name] - ref) <= direct[name].error + ref_err, f"{name}: ∫ q f(p/q) off the reference"
c_g, js = gt.virtual_criterion(p, q), gt.js_divergence(p, q)
print(f"gan against C(G) = gt.virtual_criterion(p, q): {abs(named['gan'] - c_g):.1e}; "
      f"js against gt.js_divergence: {abs(named['js'] - js):.1e}")
assert abs(named["gan"] - c_g) <= named["gan"].error + c_g.error, "gan differs from C(G) beyond the error bars"
assert abs(named["js"] - js) <= named["js"].error + js.error, "js differs from gt.js_divergence beyond the error bars"

# %%
# The variational bound, attained at ``T* = f'(p/q)``
# ---------------------------------------------------
# The critics ``T_λ(x) = f'(r(x)^λ)``, ``r = p/q``, run from the constant ``T_0 = f'(1)``, whose bound is
# ``f'(1) - f*(f'(1)) = f(1)`` (0, and ``-log 4`` for ``gan``), to ``T_1 = T*``. Each bound
# ``E_p[T_λ] - E_q[f*(T_λ)]`` is two quadratures (``gantheory.quadrature.expectation``); the ratio is
# formed from the log-densities, clipped to ``exp(±300)`` where it would leave the float range (no mass
# lies there). For ``gan`` the critic ``log D*`` from ``gt.optimal_discriminator`` is checked too.
#
# TV's ``f'`` is the sign, so its critic ``±1/2`` is the same for every ``λ > 0``: its bound jumps from
# 0 to TV at once. Its jump at the crossings ``r1, r2`` is passed to the quadrature as panel edges.


def critic(name, lam):
    deriv = gt.F_DIVERGENCES[name].derivative
    return lambda x: deriv(np.exp(lam * np.clip(p.logpdf(x) - q.logpdf(x), -300.0, 300.0)))


def bound(name, t):
    """E_p[T] - E_q[f*(T)] with its error bar."""
    conj = gt.F_DIVERGENCES[name].conjugate
    breaks = [r1, r2] if name == "tv" else ()
    first = expectation(p, t, breaks=breaks)
    second = expectation(q, lambda x: conj(t(x)), breaks=breaks)
    return float(first) - float(second), first.error + second.error


lams = np.linspace(0.0, 2.0, 41)
curves = {name: np.array([bound(name, critic(name, lam))[0] for lam in lams]) for name in names}
print(f"{'f':>10} {'bound at T*':>19} {'D_f (named)':>19} {'difference':>11} {'bars':>8} {'max over λ - D_f':>17}"
      f" {'bound at λ = 0':>15} {'f(1)':>10}")
for name in names:
    b, err = bound(name, critic(name, 1.0))
    f1 = float(gt.F_DIVERGENCES[name].f(1.0)) + 0.0  # (+ 0.0: -log 1 is -0.0)
    print(f"{name:>10} {b:19.15f} {float(named[name]):19.15f} {abs(b - named[name]):11.1e} "
          f"{err + named[name].error:8.1e} {curves[name].max() - named[name]:17.1e} {curves[name][0]:15.12f} "
          f"{f1:10.6f}")
    # tight at T* to the error bars; never above D_f (the maximum over λ is at λ = 1, whose bars these are);
    # at λ = 0 the bound is f(1), from integrals of constants asked for 1e-12 relative
    assert abs(b - named[name]) <= err + named[name].error, f"{name}: bound at T* is not D_f"
    assert curves[name].max() - named[name] <= err + named[name].error, f"{name}: the bound exceeds D_f"
    assert abs(curves[name][0] - f1) <= 1e-12 * max(1.0, abs(f1)), f"{name}: bound at λ = 0 is not f(1)"
d_star = gt.optimal_discriminator(p, q)
b, err = bound("gan", d_star.log)
print(f"gan with T = log D*: bound {b:.15f}, C(G) {float(named['gan']):.15f}, difference {abs(b - named['gan']):.1e}")
assert abs(b - named["gan"]) <= err + named["gan"].error, "gan: bound at T = log D* is not C(G)"

# %%
# The pictures
# ------------
# Left: the eight divergences of the pair (bars, gantheory's named integrals) with their references
# (dots). Right: the variational bound along the critic family, rescaled so that every generator shares
# one axis: ``(bound(λ) - f(1)) / (D_f - f(1))`` is 0 at the constant critic ``λ = 0`` and 1 where the
# bound equals the divergence. Every curve stays at or below 1 and reaches it at ``λ = 1``, the critic
# ``T* = f'(p/q)``; TV (dots) reaches it at every ``λ > 0``. The ``js`` curve lies under the ``gan`` one:
# ``f_js(u) = f_gan(u)/2 + (u + 1) log(2)/2``, and neither the factor nor the affine term changes the
# rescaled bound.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.4), layout="constrained")
pos = np.arange(len(names))
ax1.bar(pos, [float(named[n]) for n in names], color="C0", label="gt.f_divergence(p, q, name)")
ax1.plot(pos, [references[n][0] for n in names], "ko", ms=5, label="closed form / scipy reference")
ax1.axhline(0.0, color="k", lw=0.6)
ax1.set_xticks(pos, names, rotation=30, fontsize=8)
ax1.set_ylabel("D_f(p || q) (nats)")
ax1.set_title("p = N(0, 1), q = N(1, 1.1²)")
ax1.legend(fontsize=8, loc="upper left")

for i, name in enumerate(names):
    f1 = float(gt.F_DIVERGENCES[name].f(1.0))
    ax2.plot(lams, (curves[name] - f1) / (float(named[name]) - f1), "o" if name == "tv" else "-",
             color=f"C{i}", lw=1.5, ms=3, label=name)
ax2.axhline(1.0, color="k", lw=0.6)
ax2.axvline(1.0, color="0.5", lw=0.8, ls=":")
ax2.set_ylim(-0.6, 1.1)
ax2.set_xlabel("λ in the critic T_λ = f'((p/q)^λ)   (λ = 1: T*)")
ax2.set_ylabel("(bound - f(1)) / (D_f(p || q) - f(1))  (a ratio of nats)")
ax2.set_title("Variational lower bound, tight at T* = f'(p/q)")
ax2.legend(fontsize=8, ncol=2, loc="lower left")
plt.show()
