"""``python -m gantheory.report``: the derivation ledger and every table, in the formats people use.

Sections (``--list`` prints them, ``--section NAME`` picks, repeatable):

ledger       each step S1-S12 of the derivation: both sides computed independently on a panel of
             (p_data, p_g) pairs, the worst residual, a pass mark
divergences  KL both ways, JSD, JS distance, TV, squared Hellinger, W1 and C(G) + log 4 for pairs of
             every density family, with closed-form references where they exist
bounds       TV² <= C(G) + log 4 <= 2 log 2 TV per pair
gradients    minimax against non-saturating generator gradients as D* rejects the fakes (S3, B2)
training     one row per training run (function space, Algorithm 1, parametric, Dirac-GAN)
networks     minibatch GAN training of small networks: the exact JSD of the generator beside the k-NN
             estimate, on a normal target, on two modes 8 standard deviations apart and on a 2-D normal
             (a coupling generator; a general 2-D network, which has the k-NN estimate only)
estimators   quadrature, Monte Carlo, QMC, k-NN and the discriminator bound on a small panel

Formats: ``--format markdown`` (default), ``csv``, ``json`` (one object mapping each section to its
rows; numbers are JSON numbers, arrays JSON arrays, and the non-finite ones ``Infinity``, ``-Infinity``
and ``NaN``, the extension that Python's ``json`` and pandas 1.0 or later read back), ``latex``. ``--out DIR``
writes one file per section and format (plus ``report.json``), PNG figures (matplotlib, the ``report``
extra) and ``manifest.json`` (the files of this run, written last). A run owns its files: it replaces
those of an earlier run in DIR (the files its manifest lists, and the report's own names), all at once,
and says so. ``--quick`` uses small panels.

Exit codes: 0 on success, 1 if a ledger row fails or does not converge, 2 on usage or I/O errors (a
message, no traceback), 130 when interrupted: nothing half-written (an interrupted run leaves DIR as it
was, or, when the interrupt comes while its finished files are put in place, finishes that first).
``main(argv=None) -> int`` is the entry point.
"""

import argparse
import csv
import io
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import special

import gantheory as gt
from gantheory import training as tr
from gantheory.quadrature import expectation

__all__ = ["FORMATS", "SECTIONS", "catalogue", "main", "render"]

LOG2, LOG4 = math.log(2.0), math.log(4.0)


class UsageError(Exception):
    """A problem with the command line or the output directory (exit code 2)."""


# ---------------------------------------------------------------------------------- the pairs
def _mix3():
    return gt.Mixture([gt.Normal(-2, 0.5), gt.Normal(0.5, 1), gt.Normal(3, 0.7)], [0.3, 0.5, 0.2])


def _kl_normal(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1 * s1 + (m1 - m2) ** 2) / (2 * s2 * s2) - 0.5


def _kl_laplace(m1, b1, m2, b2):
    d = abs(m1 - m2)
    return math.log(b2 / b1) + d / b2 + (b1 / b2) * math.exp(-d / b1) - 1.0


def _kl_beta(a1, b1, a2, b2):
    ps = special.digamma
    return (special.betaln(a2, b2) - special.betaln(a1, b1) + (a1 - a2) * ps(a1) + (b1 - b2) * ps(b1)
            + (a2 - a1 + b2 - b1) * ps(a1 + b1))


def catalogue(quick=False):
    """Named (p_data, p_g, references) with closed-form KL/JSD references where they exist."""
    n01 = gt.Normal(0, 1)
    pairs = {
        "normal shift 1": (n01, gt.Normal(1, 1), {"kl_pq": 0.5, "kl_qp": 0.5}),
        "normal scale x3": (n01, gt.Normal(0, 3), {"kl_pq": _kl_normal(0, 1, 0, 3), "kl_qp": _kl_normal(0, 3, 0, 1)}),
        "laplace pair": (gt.Laplace(0, 1), gt.Laplace(1, 2),
                         {"kl_pq": _kl_laplace(0, 1, 1, 2), "kl_qp": _kl_laplace(1, 2, 0, 1)}),
        "cauchy pair": (gt.Cauchy(0, 1), gt.Cauchy(1, 3), {"kl_pq": math.log(17 / 12), "kl_qp": math.log(17 / 12)}),
        "student-t(1.5) vs normal": (gt.StudentT(1.5), n01, {"kl_pq": math.inf}),
        "uniform overlap 1/2": (gt.Uniform(0, 1), gt.Uniform(0.5, 1.5),
                                {"kl_pq": math.inf, "kl_qp": math.inf, "jsd": 0.5 * LOG2}),
        "uniform disjoint": (gt.Uniform(0, 1), gt.Uniform(2, 3), {"kl_pq": math.inf, "kl_qp": math.inf, "jsd": LOG2}),
        "beta(.5,.5) vs beta(2,2)": (gt.Beta(0.5, 0.5), gt.Beta(2, 2),
                                     {"kl_pq": _kl_beta(0.5, 0.5, 2, 2), "kl_qp": _kl_beta(2, 2, 0.5, 0.5)}),
        "mixture(3) vs normal": (_mix3(), gt.Normal(0, 2), {}),
        "grid vs normal": (gt.GridDensity([-3, -1, 0, 1, 3], [0, 1, 2, 1, 0]), gt.Normal(0, 1.2), {"kl_qp": math.inf}),
        "affine pushforward": (n01, gt.Pushforward(n01, gt.Affine(1.5, 0.7)),
                               {"kl_pq": _kl_normal(0, 1, 0.7, 1.5), "kl_qp": _kl_normal(0.7, 1.5, 0, 1)}),
        "sinh-arcsinh pushforward": (
            gt.Pushforward(n01, gt.SinhArcsinh(0.3, 1.5)), gt.Pushforward(gt.Normal(1, 2), gt.SinhArcsinh(0.3, 1.5)),
            {"kl_pq": _kl_normal(0, 1, 1, 2), "kl_qp": _kl_normal(1, 2, 0, 1)}),
        "2-D correlated normals": (
            gt.MultivariateNormal([0, 0], [[1, 0.5], [0.5, 1]]),
            gt.MultivariateNormal([1, -1], [[2, -0.3], [-0.3, 0.5]]), {}),
    }
    if quick:
        keep = ("normal shift 1", "laplace pair", "cauchy pair", "uniform disjoint", "beta(.5,.5) vs beta(2,2)",
                "mixture(3) vs normal", "sinh-arcsinh pushforward", "2-D correlated normals")
        pairs = {k: v for k, v in pairs.items() if k in keep}
    return pairs


def _panel(quick):
    """The ledger's panel: (p_data, p_g) where p_g is a generator (a Pushforward) for the z-space steps."""
    n01 = gt.Normal(0, 1)
    panel = {
        "smooth": (n01, gt.Pushforward(n01, gt.Affine(1.5, 0.7))),
        "heavy-tailed": (gt.Cauchy(0, 1), gt.Pushforward(gt.StudentT(3.0), gt.Affine(1.2, 1.0))),
        "kinked": (gt.Laplace(0, 1), gt.Pushforward(gt.Laplace(0, 1), gt.Affine(2.0, 1.0))),
        "singular": (gt.Beta(0.5, 0.5), gt.Pushforward(gt.Beta(2, 2), gt.Affine(1.0, 0.0))),
        "multimodal": (_mix3(), gt.Pushforward(n01, gt.Affine(2.0, 0.0))),
        "disjoint": (gt.Uniform(0, 1), gt.Pushforward(gt.Uniform(0, 1), gt.Affine(1.0, 2.0))),
        "pushforward": (gt.Pushforward(n01, gt.SinhArcsinh(0.3, 1.5)),
                        gt.Pushforward(gt.Normal(1, 2), gt.SinhArcsinh(0.3, 1.5))),
        "2-D": (gt.MultivariateNormal([0, 0], [[1, 0.5], [0.5, 1]]),
                gt.Pushforward(gt.MultivariateNormal([0, 0], np.eye(2)),
                               gt.Affine([[1.2, 0.0], [-0.3, 0.7]], [1.0, -1.0]))),
    }
    if quick:
        panel = {k: panel[k] for k in ("smooth", "kinked", "singular", "disjoint", "pushforward")}
    return panel


def _discriminator(p):
    """A fixed non-optimal discriminator with a logit and its derivative."""
    if p.dim == 1:
        return gt.LogitDiscriminator(lambda x: 0.3 - np.tanh(np.asarray(x) - 0.5),
                                     lambda x: -1.0 / np.cosh(np.asarray(x) - 0.5) ** 2)
    w = np.array([0.6, -0.4])
    return gt.LogitDiscriminator(lambda x: 0.2 + np.tanh(np.asarray(x) @ w))


# ------------------------------------------------------------------------------------- ledger
def _ledger_steps():
    """(step, claim, function(p, g) -> (left, right, tolerance)) for S1-S12."""

    def s1(p, g):
        d = _discriminator(p)
        left = gt.value_function(p, g, d)
        right = float(expectation(p, d.log)) + float(expectation(g, d.log1m))
        return float(left), right, 1e-10

    def s2(p, g):
        d = _discriminator(p)
        g2 = gt.Pushforward(g, gt.Affine(0.5, 1.0))
        first = [float(gt.value_function(p, h, d)) - float(gt.generator_loss(p, h, d)) for h in (g, g2)]
        return first[0], first[1], 1e-10

    def s3(p, g):
        if not (isinstance(g, gt.Pushforward) and isinstance(g.transform, gt.Affine) and g.dim == 1):
            return None
        # same fixed point: at p_g = p_data both generator gradients vanish
        # (with a bounded support D* jumps at p_g's moving end: the loss at fixed D* has no gradient)
        if isinstance(p, gt.Pushforward) or any(math.isfinite(e) for e in p.support):
            return None
        same = gt.Pushforward(p, gt.Affine(1.0, 0.0))
        worst = max(float(np.max(np.abs(gt.generator_gradient(p, same, loss=loss))))
                    for loss in ("minimax", "non_saturating"))
        return worst, 0.0, 1e-10

    def s4(p, g):
        d = _discriminator(p)
        return float(gt.value_function(p, g, d)), float(gt.value_function(p, g, d, space="z")), 1e-10

    def s5(p, g):
        rng = np.random.default_rng(0)
        a, b = rng.uniform(0, 2, 50), rng.uniform(0, 2, 50)
        y = np.linspace(1e-9, 1 - 1e-9, 20001)
        grid_max = np.max(gt.pointwise_objective(y[:, None], a, b), axis=0)
        lemma = gt.pointwise_objective(gt.pointwise_argmax(a, b), a, b)
        return float(np.max(grid_max - lemma).clip(min=0.0)), 0.0, 1e-12

    def s6(p, g):
        c = float(gt.value_function(p, g, gt.optimal_discriminator(p, g)))
        others = [float(gt.value_function(p, g, d)) for d in (_discriminator(p),)]
        return max(0.0, max(others) - c), 0.0, 1e-12

    def s7(p, g):
        return float(gt.value_function(p, g, gt.optimal_discriminator(p, g))), float(gt.virtual_criterion(p, g)), 1e-12

    def s8(p, g):
        twin = gt.Mixture([p, p], [0.3, 0.7])  # the same distribution built another way (not the same object)
        return float(gt.virtual_criterion(p, twin)), -LOG4, 1e-12

    def s9(p, g):
        m = gt.Mixture([p, g], [0.5, 0.5])
        right = -LOG4 + float(gt.kl_divergence(p, m)) + float(gt.kl_divergence(g, m))
        return float(gt.virtual_criterion(p, g)), right, 1e-11

    def s10(p, g):
        m = gt.Mixture([p, g], [0.5, 0.5])
        jsd = 0.5 * float(gt.kl_divergence(p, m)) + 0.5 * float(gt.kl_divergence(g, m))
        return float(gt.value_function(p, g, gt.optimal_discriminator(p, g))), -LOG4 + 2 * jsd, 1e-11

    def s11(p, g):
        c, tv = float(gt.virtual_criterion(p, g)), gt.tv_distance(p, g)
        slack = 4 * tv.error
        viol = max(-LOG4 - c, float(tv) ** 2 - (c + LOG4) - slack, c + LOG4 - 2 * LOG2 * float(tv) - slack, c)
        return max(viol, 0.0), 0.0, 1e-12

    def s12(p, g):
        if p.dim != 1:
            axes = (np.linspace(-7, 7, 60), np.linspace(-7, 7, 60))
            hist = tr.function_space(p, axes, steps=200, tol=1e-12)
        else:
            lo, hi = p.support
            lo = max(lo, float(np.min(p._hints().edges)))
            hi = min(hi, float(np.max(p._hints().edges)))
            hist = tr.function_space(p, np.linspace(lo, hi, 1002)[1:-1], steps=200, tol=1e-12)  # off the ends
        ok = bool(np.all(np.diff(hist.jsd) <= 0))
        return hist.final_jsd if ok else math.inf, 0.0, 1e-10

    return [
        ("S1", "V(G,D) = E_pdata[log D] + E_pg[log(1-D)]", s1),
        ("S2", "V(G,D) - E_pg[log(1-D)] does not depend on G", s2),
        ("S3", "minimax and non-saturating gradients vanish at p_g = p_data", s3),
        ("S4", "x-space and z-space forms of V agree", s4),
        ("S5", "a log y + b log(1-y) peaks at y = a/(a+b)", s5),
        ("S6", "V(G,D) <= V(G,D*)", s6),
        ("S7", "C(G) = V(G,D*)", s7),
        ("S8", "C(G) = -log 4 at p_g = p_data", s8),
        ("S9", "C(G) = -log 4 + KL(p_data||M) + KL(p_g||M)", s9),
        ("S10", "C(G) = -log 4 + 2 JSD(p_data||p_g)", s10),
        ("S11", "-log 4 <= C(G) <= 0 and TV^2 <= C + log 4 <= 2 log 2 TV", s11),
        ("S12", "function-space descent on C(G) drives JSD to 0", s12),
    ]


def ledger(args):
    """Each step S1-S12 checked on a panel: both sides computed independently, the worst residual, and
    whether every quantity behind it converged (an AccuracyWarning on any of them fails the row: a
    residual between unconverged numbers proves nothing)."""
    rows = []
    panel = _panel(args.quick)
    for step, claim, fn in _ledger_steps():
        worst, count, converged = 0.0, 0, True
        tol = None
        for p, g in panel.values():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", gt.AccuracyWarning)
                out = fn(p, g)
            converged = converged and not any(issubclass(w.category, gt.AccuracyWarning) for w in caught)
            if out is None:
                continue
            left, right, tol = out
            res = abs(left - right) if not (math.isinf(left) and left == right) else 0.0
            worst = max(worst, res if math.isfinite(res) else math.inf)
            count += 1
        rows.append({"step": step, "claim": claim, "pairs": count, "worst_residual": worst, "tolerance": tol,
                     "converged": converged, "pass": bool(worst <= tol and converged)})
    return rows


# ---------------------------------------------------------------------------------- the tables
def divergences(args):
    """KL both ways, JSD, JS distance, TV, squared Hellinger, W1, C(G) + log 4; references where known."""
    rows = []
    for name, (p, q, ref) in catalogue(args.quick).items():
        jsd = gt.js_divergence(p, q)
        kl_pq, kl_qp = gt.kl_divergence(p, q), gt.kl_divergence(q, p)
        row = {"pair": name, "kl_pq": float(kl_pq), "kl_qp": float(kl_qp), "jsd": float(jsd),
               "js_distance": math.sqrt(float(jsd)), "tv": float(gt.tv_distance(p, q)),
               "hellinger2": float(gt.hellinger(p, q)), "w1": float(gt.w1_distance(p, q)) if p.dim == 1 else math.nan,
               "c_plus_log4": float(gt.virtual_criterion(p, q)) + LOG4}
        errs = []
        for key, got in (("kl_pq", kl_pq), ("kl_qp", kl_qp), ("jsd", jsd)):
            if key in ref:
                r = ref[key]
                errs.append(0.0 if (math.isinf(r) and float(got) == r) else abs(float(got) - r) / max(abs(r), 1e-300))
        row["references"] = ", ".join(k for k in ("kl_pq", "kl_qp", "jsd") if k in ref) or "-"
        row["max_rel_error"] = max(errs) if errs else math.nan
        rows.append(row)
    return rows


def bounds(args):
    """TV² <= C(G) + log 4 <= 2 log 2 TV for every catalogue pair (Pinsker and convexity)."""
    rows = []
    for name, (p, q, _) in catalogue(args.quick).items():
        tv = float(gt.tv_distance(p, q))
        c4 = float(gt.virtual_criterion(p, q)) + LOG4
        rows.append({"pair": name, "tv_squared": tv * tv, "c_plus_log4": c4, "upper": 2 * LOG2 * tv,
                     "holds": bool(tv * tv <= c4 + 1e-12 and c4 <= 2 * LOG2 * tv + 1e-12)})
    return rows


def gradients(args):
    """Generator gradients in the shift for p_data = N(0, 1), p_g = N(t, 1): minimax vs non-saturating."""
    p = gt.Normal(0, 1)
    rows = []
    for t in ((1.0, 4.0, 12.0) if args.quick else (0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0)):
        g = gt.Pushforward(p, gt.Affine(1.0, t))
        mm = gt.generator_gradient(p, g, loss="minimax")[1]
        ns = gt.generator_gradient(p, g, loss="non_saturating")[1]
        ed = float(expectation(g, gt.optimal_discriminator(p, g)))
        rows.append({"shift": t, "mean_dstar_on_fakes": ed, "minimax": mm, "non_saturating": ns, "ratio": mm / ns,
                     "grad_2jsd_identity": abs(mm - t * ed)})
    return rows


def _training_runs(quick):
    x = np.linspace(-12, 12, 1000)
    target = gt.Mixture([gt.Normal(-2.5, 0.6), gt.Normal(2.0, 0.8)], [0.4, 0.6])
    nrm = gt.Normal(0.7, 1.3)
    runs = [
        ("function space, bimodal, 1000 pts", lambda: tr.function_space(target, x, steps=200, tol=1e-12), 1e-10),
        ("Algorithm 1 k=1 minimax, bimodal", lambda: tr.algorithm1(target, x, k=1, steps=400, tol=1e-12), 1e-6),
        ("Algorithm 1 k=5 non-saturating, bimodal",
         lambda: tr.algorithm1(target, x, k=5, loss="non_saturating", steps=400, tol=1e-12), 1e-6),
        ("parametric D*, minimax, N(0.7,1.3)",
         lambda: tr.parametric(nrm, init=(1.0, 0.0), steps=1500, lr=0.2, record_every=50), 1e-12),
        ("parametric quadratic D, non-saturating",
         lambda: tr.parametric(nrm, init=(1.0, 0.0), discriminator="quadratic", loss="non_saturating", steps=1500,
                               lr=0.2, record_every=50), 1e-12),
        ("escape from shift 12, non-saturating",
         lambda: tr.parametric(nrm, init=(1.0, 12.0), loss="non_saturating", steps=2000, lr=0.5, record_every=25,
                               tol=1e-12), 1e-10),
    ]
    if not quick:
        runs += [
            ("function space, 2-D normal, 80x80",
             lambda: tr.function_space(gt.MultivariateNormal([0.5, -0.3], [[1, 0.4], [0.4, 0.8]]),
                                       (np.linspace(-7, 7, 80), np.linspace(-7, 7, 80)), steps=200, tol=1e-12), 1e-10),
            ("escape from shift 12, minimax",
             lambda: tr.parametric(nrm, init=(1.0, 12.0), steps=12000, lr=0.5, record_every=100, tol=1e-4), 1e-3),
            ("sinh-arcsinh generator, D*",
             lambda: tr.parametric(nrm, generator="sinh_arcsinh", init=(1.0, 0.0, 0.3, 1.2), steps=3000, lr=0.3,
                                   record_every=100), 1e-12),
        ]
    runs += [
        ("Dirac-GAN simultaneous", lambda: tr.dirac_gan(1.0, 1.0, h=0.1, steps=3000), None),
        ("Dirac-GAN alternating", lambda: tr.dirac_gan(1.0, 1.0, h=0.1, steps=3000, mode="alternating"), None),
        ("Dirac-GAN R1 (gamma=1)", lambda: tr.dirac_gan(1.0, 1.0, h=0.1, steps=3000, gamma=1.0), None),
    ]
    return runs


def training(args):
    """One row per training run: steps, what it measures (JSD, or the Dirac-GAN's radius) and its final value,
    C(G) + log 4, converged or not, wall time."""
    rows = []
    args._histories = {}
    for name, run, target in _training_runs(args.quick):
        t = time.perf_counter()
        h = run()
        dt = time.perf_counter() - t
        args._histories[name] = h
        if target is None:  # Dirac-GAN: what moves is the radius (JSD is log 2 for any two distinct Diracs)
            measure, final = "radius", float(h.extra["radius"][-1])
            conv = bool(final < 1e-8)
        else:
            measure, final = "JSD", h.final_jsd
            conv = bool(final < target)
        rows.append({"run": name, "steps": int(h.steps[-1]), "measure": measure, "final": final,
                     "final_c_plus_log4": float(h.c_plus_log4[-1]) if target is not None else None,
                     "n_params": int(h.params.shape[1]),
                     "final_params": [float(v) for v in np.ravel(h.params[-1])] if h.params.shape[1] <= 4 else None,
                     "converged": conv, "seconds": dt})
    return rows


def _network_runs(quick):
    """(name, thunk -> History, seed) of the minibatch runs with 16-unit networks."""
    from gantheory import adversarial as adv
    from gantheory.networks import MLP

    normal = dict(adv.NORMAL_SETTINGS, steps=800 if quick else adv.NORMAL_SETTINGS["steps"])
    modes = dict(adv.TWO_MODES_SETTINGS, steps=500 if quick else adv.TWO_MODES_SETTINGS["steps"])
    runs = [("normal target", lambda: adv.train(adv.NORMAL_TARGET, rng=0, record_every=40, **normal), 0)]
    for seed in range(1 if quick else 2):  # (the benchmark runs six seeds of each)
        runs.append(("two modes, non-saturating, k=5", lambda seed=seed: adv.train(
            adv.TWO_MODES, generator=adv.one_mode_generator(seed), rng=seed, record_every=100, **modes), seed))
    variants = [("two modes, minimax, k=5", {"loss": "minimax"}), ("two modes, non-saturating, k=1", {"k": 1}),
                ("two modes, non-saturating, k=5, R1 1", {"r1": 1.0})]
    for name, extra in variants[:1] if quick else variants:
        runs.append((name, lambda extra=extra: adv.train(adv.TWO_MODES, generator=adv.one_mode_generator(0), rng=0,
                                                         record_every=100, **dict(modes, **extra)), 0))
    plane = dict(adv.COUPLING_SETTINGS, steps=300 if quick else adv.COUPLING_SETTINGS["steps"])
    runs.append(("2-D normal, coupling generator", lambda: adv.train(adv.NORMAL_2D, rng=0, record_every=100, **plane),
                 0))
    runs.append(("2-D normal, general network (k-NN only)", lambda: adv.train(
        adv.NORMAL_2D, generator=MLP((2, 16, 2), "tanh", rng=0), rng=0, record_every=50, **plane), 0))
    return runs


def networks(args):
    """Minibatch GAN training of 16-unit networks: the exact JSD beside the k-NN estimate.

    Two-mode runs start on the mode at +4; ``plateau_jsd`` and the k-NN columns are over the last fifth of
    the records; ``mass_below_0`` is the generator's mass on the other mode's side; ``converged`` says
    whether the final record met its tolerance (if not, its error is an estimate, not a bound). The 2-D runs
    train a coupling generator (exact density) and a general network ``R^2 -> R^2`` (no exact density: k-NN
    only)."""
    from gantheory import adversarial as adv
    from gantheory.networks import MLP, NetworkPushforward

    rows = []
    args._network_histories = {}
    one_mode = float(gt.js_divergence(adv.TWO_MODES, gt.Normal(4.0, 1.0)))
    for name, run, seed in _network_runs(args.quick):
        t = time.perf_counter()
        h = run()
        dt = time.perf_counter() - t
        args._network_histories[(name, seed)] = h
        modes = name.startswith("two")
        tail = slice(int(0.8 * h.steps.size), None)
        knn = h.extra["knn_jsd"][tail]
        gen = h.extra["generator"]
        exact = not (isinstance(gen, MLP) and gen.widths[0] == 2)  # (a general 2-D network: k-NN only)
        rows.append({"run": name, "seed": seed, "steps": int(h.steps[-1]),
                     "final_jsd": float(h.jsd[-1]) if exact else None,
                     "jsd_error": float(h.extra["jsd_error"][-1]) if exact else None,
                     "converged": bool(h.extra["converged"][-1]) if exact else None,
                     "plateau_jsd": float(np.mean(h.jsd[tail])) if exact else None,
                     "one_mode_jsd": one_mode if modes else None,
                     "mass_below_0": float(NetworkPushforward(gt.Normal(0.0, 1.0), h.extra["generator"]).cdf(0.0))
                     if modes else None,
                     "knn_jsd": float(np.mean(knn)), "knn_sd": float(np.std(knn)),
                     "final_gap": float(h.extra["gap"][-1]) if exact else None, "seconds": dt})
    return rows


#: what each method's reported error is (the estimators table says it in a column of its own)
_ERROR_KIND = {"quad": "a bound", "mc": "std error", "qmc": "std error", "knn": "rough guide (bias not in it)",
               "discriminator": "none (a lower bound)"}


def estimators(args):
    """Error and time of every method on JSD(N(0,1), N(1,1)) and the 2-D pair (a quick benchmark)."""
    pairs = {"1-D normals": (gt.Normal(0, 1), gt.Normal(1, 1)),
             "2-D normals": (gt.MultivariateNormal([0, 0], [[1, 0.5], [0.5, 1]]),
                             gt.MultivariateNormal([1, -1], [[1, 0.5], [0.5, 1]]))}
    rng = np.random.default_rng(args.seed)
    n = 20_000 if args.quick else 200_000
    methods = [("quad", {}), ("mc", {"n": n}), ("qmc", {"n": 2**12}), ("knn", {"n": min(n, 20_000)}),
               ("discriminator", {"n": min(n, 20_000)})]
    rows = []
    for pname, (p, q) in pairs.items():
        ref = float(gt.js_divergence(p, q))
        for method, opts in methods:
            if method != "quad":
                opts = dict(opts, rng=int(rng.integers(2**31)))
            t = time.perf_counter()
            est = gt.js_divergence(p, q, method=method, **opts)
            dt = time.perf_counter() - t
            rows.append({"pair": pname, "method": method, "n": int(est.neval), "estimate": float(est),
                         "abs_error": abs(float(est) - ref), "reported_error": est.error,
                         "error_is": _ERROR_KIND[method], "seconds": dt})
    return rows


#: name -> (function(args) -> rows, one-line description)
SECTIONS = {fn.__name__: (fn, fn.__doc__.splitlines()[0]) for fn in
            (ledger, divergences, bounds, gradients, training, networks, estimators)}


# ------------------------------------------------------------------------------------- formats
def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, (list, tuple)):
        return " ".join(_fmt(x) for x in v)
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "-"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return "0"
        return f"{v:.3e}" if (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.6f}"
    return str(v)


def _markdown(rows):
    keys = list(rows[0])
    cells = [keys] + [[_fmt(r[k]) for k in keys] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(keys))]
    numeric = [all(isinstance(r[k], (int, float, np.floating)) and not isinstance(r[k], bool) for r in rows)
               for k in keys]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |",
             "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)) + "|"]
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.rjust(w) if num else c.ljust(w)
                                       for c, w, num in zip(row, widths, numeric)) + " |")
    return "\n".join(lines)


def _csv_value(v):
    """Every digit of a float (its repr); a list as its numbers separated by spaces."""
    if isinstance(v, (list, tuple)):
        return " ".join(_csv_value(x) for x in v)
    return repr(float(v)) if isinstance(v, (float, np.floating)) else v


def _csv(rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _csv_value(v) for k, v in r.items()})
    return buf.getvalue()


def _json_value(v):
    """A JSON value: numbers stay numbers (non-finite ones as Python's json writes them), lists arrays."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_json_value(x) for x in v]
    return v


def _latex_escape(s):
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("^", r"\^{}"), ("|", r"$|$"), ("<", r"$<$"), (">", r"$>$")):
        s = s.replace(a, b)
    return s


def _latex(rows):
    keys = list(rows[0])
    lines = [r"\begin{tabular}{" + "l" * len(keys) + "}", r"\hline",
             " & ".join(_latex_escape(k) for k in keys) + r" \\", r"\hline"]
    lines += [" & ".join(_latex_escape(_fmt(r[k])) for k in keys) + r" \\" for r in rows]
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines)


FORMATS = {"markdown": ("md", _markdown), "csv": ("csv", _csv), "latex": ("tex", _latex), "json": ("json", None)}


def render(results, fmt):
    """Text of all sections in one format (``results``: section name -> rows)."""
    if fmt == "json":
        return json.dumps({name: [{k: _json_value(v) for k, v in r.items()} for r in rows]
                           for name, rows in results.items()}, indent=1)
    out = []
    for name, rows in results.items():
        body = FORMATS[fmt][1](rows)
        if fmt == "markdown":
            out.append(f"## {name}\n\n{SECTIONS[name][1]}\n\n{body}\n")
        elif fmt == "latex":
            out.append(f"% {name}: {SECTIONS[name][1]}\n{body}\n")
        else:
            out.append(body if len(results) == 1 else f"# {name}\n{body}")
    return "\n".join(out)


# -------------------------------------------------------------------------------------- output
def _publish(tmp, path):
    """Rename a finished temporary file into place, with the permissions a plain open() would give."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


class _Published(KeyboardInterrupt):
    """An interrupt that arrived while a finished run's files were being put in place (they all were)."""

    def __init__(self, files, old):
        super().__init__()
        self.files, self.old = files, old


#: the figures a run may write (see _figures)
_FIGURES = ("training_curves.png", "dirac_gan.png", "estimators_error_vs_time.png", "densities_and_dstar.png")


def _own_names():
    """Every file name a run of the report writes into its directory."""
    tables = {f"{name}.{ext}" for name in SECTIONS for ext, _ in FORMATS.values()}
    return tables | {"report.json", "manifest.json", *_FIGURES}


def _previous(path):
    """The files of an earlier run in ``path``: those its manifest lists and the report's own names."""
    names = set(_own_names())
    try:
        listed = json.loads((path / "manifest.json").read_text()).get("files", [])
        names |= {f for f in listed if isinstance(f, str) and f == os.path.basename(f) and not f.startswith(".")}
    except (OSError, ValueError, AttributeError):
        pass
    return sorted(f for f in names if (path / f).is_file())


def _publish_run(path, results, args):
    """Write every table, the figures and the manifest into a staging directory inside ``path``, then
    replace an earlier run's files with them in one step that an interrupt (SIGINT is held back) cannot
    cut in half. Returns (the files written, the earlier files replaced or removed)."""
    stage = Path(tempfile.mkdtemp(dir=path, prefix=".report-"))
    try:
        files = []
        for name, rows in results.items():
            for fmt, (ext, _) in FORMATS.items():
                (stage / f"{name}.{ext}").write_text(render({name: rows}, fmt) + "\n")
                files.append(f"{name}.{ext}")
        (stage / "report.json").write_text(render(results, "json") + "\n")
        files += ["report.json", *_figures(stage, results, args)]
        manifest = {"gantheory": gt.__version__, "sections": list(results), "quick": bool(args.quick),
                    "seed": args.seed, "files": [*files, "manifest.json"]}
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        old = _previous(path)
        deferred = []  # an interrupt while the files change places waits until they all have
        try:
            previous = signal.signal(signal.SIGINT, lambda *_: deferred.append(True))
        except ValueError:  # (not the main thread: no signal reaches this code)
            previous = None
        try:
            for f in old:
                if f not in files:
                    (path / f).unlink(missing_ok=True)
            for f in [*files, "manifest.json"]:  # (the manifest last: it vouches for the others)
                os.replace(stage / f, path / f)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if deferred:
            raise _Published(files, old)
        return files, old
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _outdir(out):
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output directory {out}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"the output directory {out} is not writable")
    return path


def _figures(path, results, args):
    """PNG figures (matplotlib): training curves, estimator error vs time, D* and the densities, the
    Dirac-GAN trajectories. Returns the file names written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        warnings.warn("matplotlib is not installed (pip install 'gantheory[report]'): no figures", stacklevel=2)
        return []
    written = []

    def save(fig, name):
        fd, tmp = tempfile.mkstemp(dir=path, prefix=f".{name}.", suffix=".png")
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=110, bbox_inches="tight")
            _publish(tmp, path / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
            plt.close(fig)
        written.append(name)

    hist = getattr(args, "_histories", {})
    if hist:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, h in hist.items():
            if name.startswith("Dirac"):
                continue
            ok = h.jsd > 0
            ax.semilogy(h.steps[ok], h.jsd[ok], label=name)
        ax.set_xlabel("step")
        ax.set_ylabel("JSD(p_data, p_g)")
        ax.set_xscale("symlog", linthresh=10)
        ax.legend(fontsize=7)
        ax.set_title("Training curves")
        save(fig, "training_curves.png")
        fig, ax = plt.subplots(figsize=(5, 5))
        for name, h in hist.items():
            if name.startswith("Dirac"):
                ax.plot(h.params[:, 0], h.params[:, 1], lw=0.8, label=name)
        ax.plot([0], [0], "k+", ms=12)
        ax.set_xlabel("θ (generator)")
        ax.set_ylabel("ψ (discriminator)")
        ax.set_aspect("equal")
        ax.legend(fontsize=7)
        ax.set_title("Dirac-GAN trajectories")
        save(fig, "dirac_gan.png")
    nets = getattr(args, "_network_histories", {})
    if nets:
        from gantheory import adversarial as adv
        from gantheory.networks import NetworkPushforward

        fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
        for ax, key, title in ((axes[0], ("normal target", 0), "normal target N(1, 0.5²)"),
                               (axes[1], ("two modes, non-saturating, k=5", 0), "two modes, non-saturating, k=5"),
                               (axes[3], ("2-D normal, coupling generator", 0), "2-D normal, coupling generator")):
            h = nets[key]
            ax.semilogy(h.steps, np.maximum(h.jsd, 1e-8), label="exact JSD")
            knn = h.extra["knn_jsd"]
            ax.semilogy(h.steps, np.where(knn > 0, knn, np.nan), ".", ms=2, alpha=0.4, label="k-NN (minibatches)")
            if key[0].startswith("two"):
                ax.axhline(float(gt.js_divergence(adv.TWO_MODES, gt.Normal(4.0, 1.0))), color="k", ls=":",
                           label="one-mode value")
            ax.set_xlabel("step")
            ax.set_ylabel("JSD(p_data, p_g)")
            ax.set_title(title, fontsize=9)
            ax.legend(fontsize=7)
        h = nets[("two modes, non-saturating, k=5", 0)]
        g = NetworkPushforward(gt.Normal(0.0, 1.0), h.extra["generator"])
        x = np.linspace(-8, 8, 1200)
        axes[2].plot(x, adv.TWO_MODES.pdf(x), label="p_data")
        axes[2].plot(x, g.pdf(x), label="p_g (final)")
        axes[2].set_ylim(0, 1.2 * float(np.max(g.pdf(x[np.abs(x - 4) < 3]))))
        axes[2].set_title("the generator's exact density at the end", fontsize=9)
        axes[2].legend(fontsize=7)
        fig.tight_layout()
        save(fig, "minibatch_gan.png")
    if "estimators" in results:
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in results["estimators"]:
            err = max(r["abs_error"], 1e-17)
            ax.loglog(r["seconds"], err, "o", label=f"{r['method']} ({r['pair']})")
        ax.set_xlabel("seconds")
        ax.set_ylabel("|error|")
        ax.legend(fontsize=6)
        ax.set_title("JSD estimators: error vs time")
        save(fig, "estimators_error_vs_time.png")
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    pairs = catalogue(False)
    for ax, name in zip(axes, ("normal shift 1", "mixture(3) vs normal", "beta(.5,.5) vs beta(2,2)")):
        p, q, _ = pairs[name]
        lo, hi = (0.001, 0.999) if name.startswith("beta") else (-5, 6)
        x = np.linspace(lo, hi, 600)
        ax.plot(x, p.pdf(x), label="p_data")
        ax.plot(x, q.pdf(x), label="p_g")
        ax.plot(x, gt.optimal_discriminator(p, q)(x), "k--", label="D*")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(0, 2.0)
    axes[0].legend(fontsize=7)
    save(fig, "densities_and_dstar.png")
    return written


# ---------------------------------------------------------------------------------------- main
def _parser():
    ap = argparse.ArgumentParser(prog="python -m gantheory.report", description=__doc__.splitlines()[0],
                                 exit_on_error=False)
    ap.add_argument("--section", action="append", help="a section to run (repeatable; default: all)")
    ap.add_argument("--list", action="store_true", help="list the sections and exit")
    ap.add_argument("--format", default="markdown", help=f"one of {', '.join(FORMATS)} (default markdown)")
    ap.add_argument("--out", help="write every section in every format, and the figures, into this directory")
    ap.add_argument("--quick", action="store_true", help="small panels (seconds)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the stochastic estimators (default 0)")
    return ap


def main(argv=None):
    """Run the report; returns the exit code (0 fine, 1 a ledger row failed, 2 usage error)."""
    if argv is not None:
        if isinstance(argv, str) or not all(isinstance(a, str) for a in argv):
            raise TypeError(f"argv must be a list of str, got {argv!r}")
        argv = list(argv)
    ap = _parser()
    try:
        args, extra = ap.parse_known_args(argv)
        if extra:
            raise UsageError(f"unrecognised arguments: {' '.join(extra)}")
        if args.list:
            for name, (_, doc) in SECTIONS.items():
                print(f"{name:12s} {doc}")
            return 0
        sections = args.section or list(SECTIONS)
        unknown = [s for s in sections if s not in SECTIONS]
        if unknown:
            raise UsageError(f"unknown section {unknown[0]!r}; valid: {', '.join(SECTIONS)}")
        if args.format not in FORMATS:
            raise UsageError(f"unknown format {args.format!r}; valid: {', '.join(FORMATS)}")
        if args.out is not None and not args.out.strip():
            raise UsageError("--out needs a directory name")
        created = args.out is not None and not os.path.lexists(args.out)
        outdir = _outdir(args.out) if args.out is not None else None
    except (argparse.ArgumentError, UsageError) as exc:
        print(f"gantheory.report: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    results = {}
    bar = None
    if not args.quick and sys.stderr.isatty():
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(sections), desc="report", leave=False)
        except ImportError:
            bar = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gt.AccuracyWarning)
            for name in sections:
                results[name] = SECTIONS[name][0](args)
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        if outdir is None:
            print(render(results, args.format))
        else:
            files, old = _publish_run(outdir, results, args)
            figures = sum(f.endswith(".png") for f in files)
            print(f"wrote {len(files) - figures} tables, {figures} figures and manifest.json to {outdir}"
                  + (f" (replacing the {len(old)} files of an earlier run)" if old else ""))
    except _Published as done:
        print(f"gantheory.report: interrupted; this run's {len(done.files)} files and manifest.json were "
              f"already in place in {outdir}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        if created:
            try:
                outdir.rmdir()  # (made by this run, and left empty)
            except OSError:
                pass
        print("gantheory.report: interrupted; nothing written", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"gantheory.report: error: cannot write the report into {outdir}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    failed = [r["step"] for r in results.get("ledger", []) if not r["pass"]]
    if failed:
        print(f"gantheory.report: ledger rows failed (a residual above its tolerance, or a quantity that did not "
              f"converge): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
