r"""
Are the error bars honest?
==========================

Every quadrature result in gantheory is an ``Estimate``: a float with an ``error`` attribute, meant to
bound the true error, converged or not (the README's error model). A bound is only worth what it
is when it is wrong, so this example draws seeded random pairs from families with closed forms,
computes each divergence with gantheory, computes the exact value in 40-digit arithmetic (mpmath)
from the same float64 parameters, and plots the true error against the reported one. An honest bar
puts every point on or below the diagonal.

The closed forms, with :math:`\delta = \mu_2 - \mu_1`:

* normals: :math:`\mathrm{KL} = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + \delta^2}{2\sigma_2^2}
  - \frac12`, :math:`H^2 = 1 - \sqrt{\frac{2\sigma_1\sigma_2}{\sigma_1^2 + \sigma_2^2}}
  \exp\left(-\frac{\delta^2}{4(\sigma_1^2 + \sigma_2^2)}\right)`, and TV from the normal CDFs at the
  (at most two) points where the densities cross;
* Laplace: :math:`\mathrm{KL} = \log\frac{b_2}{b_1} + \frac{|\delta|}{b_2} + \frac{b_1}{b_2}
  e^{-|\delta|/b_1} - 1`;
* Cauchy: :math:`\mathrm{KL} = \log\left(1 + \chi/2\right)` and
  :math:`\mathrm{JSD} = \log\frac{2a}{1 + a}` with :math:`a = \sqrt{1 + \chi/2}`,
  :math:`\chi = \frac{\delta^2 + (\gamma_1 - \gamma_2)^2}{2\gamma_1\gamma_2}` (Nielsen and Okamura);
* Beta: :math:`\mathrm{KL} = \log\frac{B(a_2, b_2)}{B(a_1, b_1)} + (a_1 - a_2)\psi(a_1)
  + (b_1 - b_2)\psi(b_1) + (a_2 - a_1 + b_2 - b_1)\psi(a_1 + b_1)` and
  :math:`H^2 = 1 - B(\frac{a_1 + a_2}{2}, \frac{b_1 + b_2}{2}) / \sqrt{B(a_1, b_1) B(a_2, b_2)}`.

The project's own sweep (``benchmarks/bench_oracle.py``, ``tests/oracle.py``) does the same over
tens of thousands of pairs and more families; this is a small version of it.
"""

import itertools
import warnings

import matplotlib.pyplot as plt
import mpmath as mp
import numpy as np

import gantheory as gt

mp.mp.dps = 40

# %%
# The references, in mpmath
# --------------------------
# ``mp.mpf(x)`` of a float is exact, so each reference is the divergence of exactly the densities
# gantheory was given.


def kl_normal(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2


def h2_normal(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
    v = s1**2 + s2**2
    return -mp.expm1(mp.log(2 * s1 * s2 / v) / 2 - (m1 - m2) ** 2 / (4 * v))


def tv_normal(m1, s1, m2, s2):
    """TV = P(S) - Q(S) over S = {p > q}; log p - log q is a quadratic in y = x - m1."""
    s1, s2, d = mp.mpf(s1), mp.mpf(s2), mp.mpf(m2) - mp.mpf(m1)
    a, b, c = 1 / (2 * s2**2) - 1 / (2 * s1**2), -d / s2**2, d**2 / (2 * s2**2) + mp.log(s2 / s1)
    if a == 0:
        roots = [-c / b]
    else:
        disc = b * b - 4 * a * c
        roots = [] if disc < 0 else sorted([(-b - mp.sqrt(disc)) / (2 * a), (-b + mp.sqrt(disc)) / (2 * a)])
    edges = [-mp.inf, *roots, mp.inf]
    tv = mp.mpf(0)
    for lo, hi in itertools.pairwise(edges):
        if lo == -mp.inf:
            mid = mp.mpf(0) if hi == mp.inf else hi - 1
        else:
            mid = lo + 1 if hi == mp.inf else (lo + hi) / 2
        if a * mid * mid + b * mid + c > 0:  # the sign of log p - log q on this piece
            tv += (mp.ncdf(hi / s1) - mp.ncdf(lo / s1)) - (mp.ncdf((hi - d) / s2) - mp.ncdf((lo - d) / s2))
    return tv


def kl_laplace(m1, b1, m2, b2):
    m1, b1, m2, b2 = map(mp.mpf, (m1, b1, m2, b2))
    d = abs(m1 - m2)
    return mp.log(b2 / b1) + d / b2 + (b1 / b2) * mp.exp(-d / b1) - 1


def _cauchy_chi(m1, g1, m2, g2):
    m1, g1, m2, g2 = map(mp.mpf, (m1, g1, m2, g2))
    return ((m1 - m2) ** 2 + (g1 - g2) ** 2) / (2 * g1 * g2)


def kl_cauchy(*args):
    return mp.log1p(_cauchy_chi(*args) / 2)


def js_cauchy(*args):
    a = mp.sqrt(1 + _cauchy_chi(*args) / 2)
    return mp.log(2 * a / (1 + a))


def _log_beta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def kl_beta(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return (_log_beta(a2, b2) - _log_beta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def h2_beta(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return -mp.expm1(_log_beta((a1 + a2) / 2, (b1 + b2) / 2) - (_log_beta(a1, b1) + _log_beta(a2, b2)) / 2)


# %%
# Seeded random pairs
# -------------------
# Location-scale pairs: scale ratios log-uniform up to 1e3 either way, shifts up to 100 times the
# larger scale, locations up to 1e3. Beta shapes log-uniform in [0.1, 100] (below 1, the density is
# unbounded at that end of [0, 1]).


def loc_scale(rng):
    s1 = float(10 ** rng.uniform(-2, 2))
    s2 = float(s1 * 10 ** rng.uniform(-3, 3))
    m1 = float(rng.choice([0.0, rng.uniform(-1e3, 1e3)]))
    m2 = float(m1 + rng.choice([-1, 1]) * 10 ** rng.uniform(-3, 2) * max(s1, s2))
    return m1, s1, m2, s2


def beta_shapes(rng):
    return tuple(float(10 ** rng.uniform(-1, 2)) for _ in range(4))


experiments = [  # (label, gantheory function, density class, parameter draw, reference)
    ("Normal KL", gt.kl_divergence, gt.Normal, loc_scale, kl_normal),
    ("Normal TV", gt.tv_distance, gt.Normal, loc_scale, tv_normal),
    ("Normal H²", gt.hellinger, gt.Normal, loc_scale, h2_normal),
    ("Laplace KL", gt.kl_divergence, gt.Laplace, loc_scale, kl_laplace),
    ("Cauchy KL", gt.kl_divergence, gt.Cauchy, loc_scale, kl_cauchy),
    ("Cauchy JSD", gt.js_divergence, gt.Cauchy, loc_scale, js_cauchy),
    ("Beta KL", gt.kl_divergence, gt.Beta, beta_shapes, kl_beta),
    ("Beta H²", gt.hellinger, gt.Beta, beta_shapes, h2_beta),
]
cases_per_experiment = 40

records = []  # (label, reported error, true error, flagged)
for k, (label, fn, family, draw, reference) in enumerate(experiments):
    rng = np.random.default_rng([2024, k])
    for _ in range(cases_per_experiment):
        a, b, c, d = draw(rng)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", gt.AccuracyWarning)
            est = fn(family(a, b), family(c, d))
        ref = reference(a, b, c, d)
        true = abs(mp.mpf(float(est)) - ref)
        flagged = (not est.converged) or any(issubclass(w.category, gt.AccuracyWarning) for w in caught)
        records.append((label, float(est.error), float(true), flagged, float(ref)))

# %%
# The count
# ---------
# A point is *within its bar* when its true error is at most the reported error.

reported = np.array([r[1] for r in records])
true = np.array([r[2] for r in records])
flagged = np.array([r[3] for r in records])
within = true <= reported
print(f"{len(records)} results; within their error bar: {within.sum()}; outside: {(~within).sum()}; "
      f"flagged (converged=False or AccuracyWarning): {flagged.sum()}")
assert len(records) == len(experiments) * cases_per_experiment, "one record per case"
assert within.sum() == len(records), f"{(~within).sum()} of {len(records)} results outside their error bar"
print(f"{'experiment':12s} {'cases':>5s} {'within':>6s} {'worst true/reported':>20s} {'median reported':>16s} "
      f"{'largest true rel.':>18s}")
for label, *_ in experiments:
    sel = np.array([r[0] == label for r in records])
    refs = np.array([r[4] for r in records])[sel]
    with np.errstate(divide="ignore", invalid="ignore"):  # (0/0 counts as 0; x/0 as inf, outside)
        ratio = np.max(np.nan_to_num(true[sel] / reported[sel], nan=0.0, posinf=np.inf))
        rel = np.max(np.nan_to_num(true[sel] / np.abs(refs), nan=0.0, posinf=np.inf))
    print(f"{label:12s} {sel.sum():5d} {within[sel].sum():6d} {ratio:20.2e} {np.median(reported[sel]):16.1e} "
          f"{rel:18.1e}")
    assert within[sel].all(), f"{label}: {(~within[sel]).sum()} results outside their error bar"

# %%
# True error against reported error
# ---------------------------------
# Both axes in nats (TV and H² are unitless in [0, 1]). A true error of exactly 0 (gantheory's float is
# the one nearest the exact value, or equal to it) is drawn at 1e-20, on the bottom edge. The shaded
# region above the diagonal is where a bar that understates the error would put a point.

floor = 1e-20
fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
markers = "os^vD<>P"
for (label, *_), marker in zip(experiments, markers):
    sel = np.array([r[0] == label for r in records])
    ax.loglog(reported[sel], np.maximum(true[sel], floor), marker, ms=4, alpha=0.7, ls="none", label=label)
if flagged.any():
    ax.loglog(reported[flagged], np.maximum(true[flagged], floor), "ks", mfc="none", ms=8, ls="none",
              label="flagged (not converged)")
lims = [min(reported[reported > 0].min(), 1e-19) / 3, reported.max() * 3]
ax.loglog(lims, lims, "k-", lw=1, label="true = reported")
ax.fill_between(lims, lims, [lims[1]] * 2, color="C3", alpha=0.08, lw=0)
ax.set_xlim(lims)
ax.set_ylim(floor / 3, lims[1])
ax.set_xlabel("reported error  Estimate.error  (nats)")
ax.set_ylabel("true error  |estimate - exact|  (nats)")
ax.set_title(f"{within.sum()} of {len(records)} results within their error bar")
ax.legend(fontsize=7, loc="upper left", ncols=2)
plt.show()
