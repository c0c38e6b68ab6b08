"""Estimators side by side, d = 1 to 6: error and time of quadrature, Monte Carlo, quasi-Monte Carlo,
k nearest neighbours, the discriminator bound and scipy.integrate, in one run.

The panel has, in every dimension d, a pair of correlated Gaussians with equal covariance (shifted
by a Mahalanobis distance of 1.5) and a two-component mixture against a Gaussian, both rotated by a
random orthogonal matrix. Everything in these pairs is constant across the shift direction, so their
KL and JSD equal one-dimensional integrals, computed here with mpmath at 30 digits: exact
references in any dimension, for densities that gantheory sees as genuinely d-dimensional.

    python benchmarks/bench_estimators.py [--quick] [--csv FILE]

Prints, per dimension and quantity, every method's estimate error, reported error, time and the time
ratio to gantheory's best method (the fastest gantheory method whose error is below 1e-3), then the
Monte Carlo throughput, the d = 1 ratio "quadrature to 1e-10 against plain MC to 1e-3", and the
sparse rule at rtol 1e-6 against plain Monte Carlo to 1e-3 in d >= 3, and per pair the crossover
dimension where sampling beats the tensor rule and the sparse rule at equal error (1e-3). In d >= 2 the
tensor rule's rows ask for it (rule="tensor"), the sparse rule's for it (rule="sparse"), and the
default's take what gantheory picks (for two normals of one covariance, their one-dimensional
reduction; for the mixture from d = 3, the sparse rule). JIT compilation is kept out of every timing. --quick
(the CI smoke test) uses d = 1, 2, 3 and smaller budgets; the full run takes d = 1 to 6.
"""

import argparse
import csv
import math
import multiprocessing as mproc
import sys
import time
import warnings
from pathlib import Path

import mpmath as mp
import numpy as np
from scipy import integrate

import gantheory as gt
from gantheory import estimators as E

LN2 = math.log(2.0)
DELTA = 1.5  # Mahalanobis shift of the Gaussian pair


# ------------------------------------------------------------------------------------ references
def _mp_norm(m):
    return lambda x: mp.exp(-((x - m) ** 2) / 2) / mp.sqrt(2 * mp.pi)


def _mp_mix(x):
    return (_mp_norm(-1.5)(x) + _mp_norm(1.5)(x)) / 2


def _mp_kl(p, q, pts):
    return mp.quad(lambda x: p(x) * mp.log(p(x) / q(x)), pts)


def _mp_jsd(p, q, pts):
    def f(x):
        a, b = p(x), q(x)
        return (a * mp.log(2 * a / (a + b)) + b * mp.log(2 * b / (a + b))) / 2
    return mp.quad(f, pts)


def references():
    """KL(p || q) and JSD of the 1-D reductions, at 30 digits."""
    with mp.workdps(30):
        pts = [-mp.inf, -3, -1.5, 0, 0.5, 1.5, 3, mp.inf]
        g_p, g_q = _mp_norm(0), _mp_norm(DELTA)
        m_q = _mp_norm(0.5)
        return {
            "gauss": {"kl": DELTA**2 / 2, "js": float(_mp_jsd(g_p, g_q, pts))},
            "mixture": {"kl": float(_mp_kl(_mp_mix, m_q, pts)), "js": float(_mp_jsd(_mp_mix, m_q, pts))},
        }


def panel(d, seed=0):
    rng = np.random.default_rng(seed + d)
    rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.exp(rng.uniform(-0.5, 0.5, d))
    cov = rot @ np.diag(lam) @ rot.T
    # a shift of Mahalanobis length DELTA along a random direction
    u = rng.normal(size=d)
    u /= math.sqrt(u @ np.linalg.solve(cov, u))
    gauss = (gt.MultivariateNormal(np.zeros(d), cov), gt.MultivariateNormal(DELTA * u, cov))
    e = rot[:, 0]
    comps = [gt.MultivariateNormal(s * 1.5 * e, np.eye(d)) for s in (-1.0, 1.0)]
    mixture = (gt.Mixture(comps, [0.5, 0.5]), gt.MultivariateNormal(0.5 * e, np.eye(d)))
    if d == 1:  # one-dimensional densities take points as plain arrays
        gauss = (gt.Normal(0, math.sqrt(cov[0, 0])), gt.Normal(DELTA * u[0], math.sqrt(cov[0, 0])))
        mixture = (gt.Mixture([gt.Normal(-1.5 * e[0], 1), gt.Normal(1.5 * e[0], 1)], [0.5, 0.5]),
                   gt.Normal(0.5 * e[0], 1))
    return {"gauss": gauss, "mixture": mixture}


# --------------------------------------------------------------------------------------- timing
def timed(fn, repeat):
    fn()  # compile / warm up, not timed
    best = math.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def _gaussian_parts(dens):
    """``[(log weight, mean, precision, log normaliser), ...]`` of a normal or a mixture of normals, as plain
    Python numbers (the parameters only: the peer's integrand evaluates them with ``math`` alone)."""
    comps = getattr(dens, "components", [dens])
    weights = getattr(dens, "weights", [1.0])
    out = []
    for w, c in zip(weights, comps):
        mean = np.atleast_1d(np.asarray(getattr(c, "mean", getattr(c, "loc", 0.0)), float))
        cov = np.atleast_2d(np.asarray(c.cov if hasattr(c, "cov") else c.scale**2, float))
        _, logdet = np.linalg.slogdet(cov)
        out.append((math.log(w), mean.tolist(), np.linalg.inv(cov).tolist(),
                    0.5 * (len(mean) * math.log(2 * math.pi) + logdet)))
    return out


def _log_mixture(parts, x):
    """``log`` of a mixture of normals at the point ``x`` (a tuple), with ``math`` only."""
    logs = []
    for lw, mean, prec, lnorm in parts:
        dx = [xi - mi for xi, mi in zip(x, mean)]
        quad = sum(dx[i] * prec[i][j] * dx[j] for i in range(len(dx)) for j in range(len(dx)))
        logs.append(lw - 0.5 * quad - lnorm)
    top = max(logs)
    return top + math.log(sum(math.exp(v - top) for v in logs))


def _scipy_worker(args):
    d, p, q, quantity, eps = args
    pp, qq = _gaussian_parts(p), _gaussian_parts(q)

    def f(*xs):
        pt = xs[::-1]  # (scipy passes the innermost variable first)
        lp, lq = _log_mixture(pp, pt), _log_mixture(qq, pt)
        if quantity == "kl":
            return math.exp(lp) * (lp - lq)
        lm = max(lp, lq) + math.log1p(math.exp(-abs(lp - lq))) - LN2
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    b = 12.0
    t = time.perf_counter()
    if d == 1:
        v = integrate.quad(f, -b, b, epsabs=eps, epsrel=eps, limit=200)[0]
    elif d == 2:
        v = integrate.dblquad(f, -b, b, -b, b, epsabs=eps, epsrel=eps)[0]
    else:
        v = integrate.nquad(f, [[-b, b]] * d, opts={"epsabs": eps, "epsrel": eps})[0]
    return v, time.perf_counter() - t


def scipy_run(d, p, q, quantity, eps, timeout):
    """scipy.integrate in a worker process, given up after ``timeout`` seconds."""
    with mproc.get_context("fork").Pool(1) as pool:
        res = pool.apply_async(_scipy_worker, ((d, p, q, quantity, eps),))
        try:
            return res.get(timeout=timeout)
        except mproc.TimeoutError:
            return None


# ------------------------------------------------------------------------------------------ runs
def methods(d, quick):
    """(label, quantity filter, callable(p, q, quantity, seed) -> Estimate, repeats)."""
    fns = {"kl": gt.kl_divergence, "js": gt.js_divergence}
    out = []
    for rtol in (1e-3, 1e-6, 1e-10):
        if not ((d >= 4 and rtol < 1e-3) or (d == 3 and rtol < 1e-6)):
            rule = {} if d == 1 else {"rule": "tensor"}
            out.append((f"quad {'tensor ' if d > 1 else ''}rtol={rtol:g}", None,
                        lambda p, q, k, s, r=rtol, o=rule: fns[k](p, q, rtol=r, max_nodes=3e7, **o),
                        3 if d <= 2 else 1))
    if d >= 2:  # the sparse rule, to float64 accuracy; and what the default picks
        for rtol in (1e-3, 1e-6, 1e-10, 1e-13):
            out.append((f"quad sparse rtol={rtol:g}", None,
                        lambda p, q, k, s, r=rtol: fns[k](p, q, rtol=r, rule="sparse"), 3))
        for rtol in (1e-3, 1e-10):
            out.append((f"quad default rtol={rtol:g}", None, lambda p, q, k, s, r=rtol: fns[k](p, q, rtol=r), 3))
    for n in ((10**4, 10**5) if quick else (10**4, 10**5, 10**6)):
        out.append((f"mc n={n:.0e}", None, lambda p, q, k, s, n=n: fns[k](p, q, method="mc", n=n, rng=s), 3))
    out.append(("mc plain n=1e+05", None, lambda p, q, k, s: E.monte_carlo(k, p, q, n=10**5, rng=s,
                                                                             variance_reduction=False), 3))
    for n in ((2**10, 2**14) if quick else (2**10, 2**14, 2**17)):
        out.append((f"qmc n=2^{int(math.log2(n))}x16", None,
                    lambda p, q, k, s, n=n: fns[k](p, q, method="qmc", n=n, replicates=16, rng=s), 1))
    for n in ((10**3, 10**4) if quick else (10**3, 10**4, 10**5)):
        out.append((f"knn n={n:.0e}", None, lambda p, q, k, s, n=n: fns[k](p, q, method="knn", n=n, rng=s), 1))
    for n in ((10**4,) if quick else (10**4, 10**5)):
        out.append((f"discriminator n={n:.0e}", "js",
                    lambda p, q, k, s, n=n: gt.js_divergence(p, q, method="discriminator", n=n, rng=s), 1))
    return out


def run(dims, quick, scipy_timeout):
    refs = references()
    rows = []
    for d in dims:
        for pair_name, (p, q) in panel(d).items():
            for quantity in ("kl", "js"):
                ref = refs[pair_name][quantity]
                group = []
                for label, only, fn, repeat in methods(d, quick):
                    if only and only != quantity:
                        continue
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", gt.AccuracyWarning)
                        try:
                            est, t = timed(lambda fn=fn, p=p, q=q, k=quantity: fn(p, q, k, 1), repeat)
                        except ValueError:  # a tensor grid beyond its node budget: not feasible here
                            group.append({"d": d, "pair": pair_name, "quantity": quantity,
                                          "method": label + " (grid over budget)", "estimate": math.nan,
                                          "abs_error": math.nan, "reported_error": math.nan,
                                          "seconds": math.inf, "neval": 0})
                            continue
                    group.append({"d": d, "pair": pair_name, "quantity": quantity, "method": label,
                                  "estimate": float(est), "abs_error": abs(float(est) - ref),
                                  "reported_error": est.error, "seconds": t, "neval": est.neval})
                if d <= 3:
                    eps = 1e-6 if d < 3 else 1e-4
                    res = scipy_run(d, p, q, quantity, eps, scipy_timeout)
                    name = {1: "scipy quad", 2: "scipy dblquad", 3: "scipy nquad"}[d] + f" eps={eps:g}"
                    if res is None:
                        group.append({"d": d, "pair": pair_name, "quantity": quantity, "method": name,
                                      "estimate": math.nan, "abs_error": math.nan, "reported_error": math.nan,
                                      "seconds": math.inf, "neval": 0})
                    else:
                        group.append({"d": d, "pair": pair_name, "quantity": quantity, "method": name,
                                      "estimate": res[0], "abs_error": abs(res[0] - ref), "reported_error": eps,
                                      "seconds": res[1], "neval": 0})
                good = [r["seconds"] for r in group if not r["method"].startswith("scipy")
                        and r["abs_error"] <= 1e-3]
                best = min(good) if good else math.nan
                for r in group:
                    r["ratio_to_best"] = r["seconds"] / best
                rows += group
    return rows, refs


def print_rows(rows):
    key = None
    for r in rows:
        k = (r["d"], r["pair"], r["quantity"])
        if k != key:
            key = k
            print(f"\nd={r['d']}  {r['pair']}  {r['quantity'].upper()}")
            print(f"  {'method':26s} {'abs.error':>10s} {'reported':>10s} {'time':>10s} {'x best':>8s}")
        t = ("timeout" if r["method"].startswith("scipy") else "-") if math.isinf(r["seconds"]) else (
            f"{r['seconds'] * 1e3:8.2f}ms")
        print(f"  {r['method']:26s} {r['abs_error']:10.1e} {r['reported_error']:10.1e} {t:>10s} "
              f"{r['ratio_to_best']:8.2g}")


def throughput():
    """Monte Carlo samples per second (one core) for a 1-D Normal pair, log-densities included."""
    p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    out = {}
    for name in ("kl", "js"):
        E.monte_carlo(name, p, q, n=10_000, rng=0)
        n = 10**7
        t = time.perf_counter()
        E.monte_carlo(name, p, q, n=n, rng=0)
        out[name] = n / (time.perf_counter() - t)
    return out


def d1_ratio(refs, quantity):
    """Time for quadrature to reach 1e-10 against plain Monte Carlo (no variance reduction) reaching a
    standard error of 1e-3 (from a run of 10^6 samples, scaled as N ∝ se^-2), 1-D Gaussian pair."""
    p, q = panel(1)["gauss"]
    fn = gt.js_divergence if quantity == "js" else gt.kl_divergence
    quad, tq = timed(lambda: fn(p, q, rtol=1e-10), 20)
    n = 10**6
    mc, tm = timed(lambda: E.monte_carlo(quantity, p, q, n=n, rng=1, variance_reduction=False), 1)
    n_needed = n * (mc.error / 1e-3) ** 2
    t_needed = tm * max(n_needed, 1.0) / n
    return {"quad_error": abs(float(quad) - refs["gauss"][quantity]), "quad_s": tq, "mc_n_for_1e-3": n_needed,
            "mc_s_for_1e-3": t_needed, "ratio": t_needed / tq}


def crossover(rows, pair="gauss"):
    """Per d: the time the tensor (or 1-D adaptive) rule and the sparse rule take to reach an error <= 1e-3
    against the time Monte Carlo needs for a standard error of 1e-3 (extrapolated, N ∝ se^-2, from the
    largest run with and without variance reduction; the faster), JSD."""
    out = []
    for d in sorted({r["d"] for r in rows}):
        grp = [r for r in rows if r["d"] == d and r["pair"] == pair and r["quantity"] == "js"]
        ok = [r for r in grp if r["abs_error"] <= 1e-3]
        tensor = [r["seconds"] for r in ok if r["method"].startswith(("quad tensor", "quad rtol"))]
        sparse = [r["seconds"] for r in ok if r["method"].startswith("quad sparse")]
        default = [r["seconds"] for r in ok if r["method"].startswith(("quad default", "quad rtol"))]
        t_mc = math.inf
        for plain in (False, True):
            mcs = [r for r in grp if r["method"].startswith("mc") and ("plain" in r["method"]) == plain]
            big = max(mcs, key=lambda r: r["neval"])
            t_mc = min(t_mc, big["seconds"] * (big["reported_error"] / 1e-3) ** 2)
        out.append((d, min(tensor, default=math.inf), min(sparse, default=math.inf), min(default, default=math.inf),
                    t_mc))
    return out


def sparse_vs_plain(rows, refs):
    """Per d >= 3, pair and quantity: the sparse rule at rtol 1e-6 (its relative error against the
    30-digit reference, reported error, time) against plain Monte Carlo (no variance reduction) to a
    standard error of 1e-3 (extrapolated from its run of 1e5 samples)."""
    out = []
    for r in rows:
        if r["d"] >= 3 and r["method"] == "quad sparse rtol=1e-06":
            mc = next(m for m in rows if (m["d"], m["pair"], m["quantity"]) == (r["d"], r["pair"], r["quantity"])
                      and m["method"] == "mc plain n=1e+05")
            ref = refs[r["pair"]][r["quantity"]]
            t_mc = mc["seconds"] * (mc["reported_error"] / 1e-3) ** 2
            out.append((r["d"], r["pair"], r["quantity"], r["abs_error"] / ref, r["reported_error"] >= r["abs_error"],
                        r["seconds"], t_mc))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="d = 1, 2, 3 and small budgets (CI smoke test)")
    ap.add_argument("--csv", type=Path, help="write every row as CSV")
    args = ap.parse_args(argv)
    dims = (1, 2, 3) if args.quick else (1, 2, 3, 4, 5, 6)
    rows, refs = run(dims, args.quick, 10 if args.quick else 60)
    print_rows(rows)
    tp = throughput()
    print(f"\nMonte Carlo throughput, 1-D normal pair, one core: KL {tp['kl'] / 1e6:.1f}M samples/s, "
          f"JSD {tp['js'] / 1e6:.1f}M samples/s (log-densities included)")
    for quantity in ("kl", "js"):
        r1 = d1_ratio(refs, quantity)
        print(f"d = 1, {quantity.upper()}: quadrature reaches an error of {r1['quad_error']:.1e} in "
              f"{r1['quad_s'] * 1e3:.3f} ms; plain Monte Carlo needs {r1['mc_n_for_1e-3']:.2g} samples "
              f"({r1['mc_s_for_1e-3'] * 1e3:.1f} ms) for a standard error of 1e-3: {r1['ratio']:.0f}x")
    print("\nThe sparse rule at rtol 1e-6 against plain Monte Carlo to a standard error of 1e-3 (extrapolated)")
    for d, pair, quantity, rel, covered, ts, tm in sparse_vs_plain(rows, refs):
        print(f"  d={d} {pair:8s} {quantity.upper():3s} relative error {rel:8.1e} "
              f"({'within' if covered else 'OUTSIDE'} its bar)  {ts * 1e3:7.2f} ms   plain MC {tm * 1e3:8.1f} ms"
              f"   {tm / ts:5.1f}x")
    for pair in ("gauss", "mixture"):
        cross = crossover(rows, pair)
        print(f"\nJSD of the {pair} pair to an error of 1e-3: quadrature (the tensor rule or, in d = 1, the "
              "adaptive one; the sparse rule; the default) vs Monte Carlo (extrapolated)")
        first = {"tensor": None, "sparse": None, "default": None}
        for d, tt, ts, td, tm in cross:
            print(f"  d={d}: tensor {tt * 1e3:9.2f} ms   sparse {ts * 1e3:9.2f} ms   default {td * 1e3:9.2f} ms   "
                  f"Monte Carlo {tm * 1e3:9.2f} ms")
            for name, tq in (("tensor", tt), ("sparse", ts), ("default", td)):
                if first[name] is None and d > 1 and tm < tq:
                    first[name] = d
        for name in ("tensor", "sparse", "default"):
            print(f"crossover, {name} rule: sampling is faster at equal error (1e-3) from d = {first[name]}"
                  if first[name] else f"crossover, {name} rule: quadrature stays ahead in every dimension measured")
    if args.csv:
        with args.csv.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
