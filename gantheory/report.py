"""``python -m gantheory.report``: the tables that check the GAN theory numerically.

Each section is a function returning rows (dicts with stable keys); formatters turn rows into text.
``main(argv=None) -> int`` is the entry point (0 on success, 2 on usage errors).
"""

import argparse
import math
import sys

import gantheory as gt

__all__ = ["SECTIONS", "catalogue", "main"]

LOG4 = math.log(4.0)


def catalogue():
    """Named (p_data, p_g) pairs covering every density family."""
    n01 = gt.Normal(0, 1)
    return {
        "normal shift 1": (n01, gt.Normal(1, 1)),
        "normal scale x3": (n01, gt.Normal(0, 3)),
        "laplace pair": (gt.Laplace(0, 1), gt.Laplace(1, 2)),
        "cauchy pair": (gt.Cauchy(0, 1), gt.Cauchy(1, 3)),
        "student-t(1.5) vs normal": (gt.StudentT(1.5), n01),
        "uniform overlap 1/2": (gt.Uniform(0, 1), gt.Uniform(0.5, 1.5)),
        "uniform disjoint": (gt.Uniform(0, 1), gt.Uniform(2, 3)),
        "beta(.5,.5) vs beta(2,2)": (gt.Beta(0.5, 0.5), gt.Beta(2, 2)),
        "mixture(3) vs normal": (
            gt.Mixture([gt.Normal(-2, 0.5), gt.Normal(0.5, 1), gt.Normal(3, 0.7)], [0.3, 0.5, 0.2]),
            gt.Normal(0, 2)),
        "grid vs normal": (gt.GridDensity([-3, -1, 0, 1, 3], [0, 1, 2, 1, 0]), gt.Normal(0, 1.2)),
        "affine pushforward": (n01, gt.Pushforward(n01, gt.Affine(1.5, 0.7))),
        "sinh-arcsinh pushforward": (
            gt.Pushforward(n01, gt.SinhArcsinh(0.3, 1.5)), gt.Pushforward(gt.Normal(1, 2), gt.SinhArcsinh(0.3, 1.5))),
        "2-D correlated normals": (
            gt.MultivariateNormal([0, 0], [[1, 0.5], [0.5, 1]]),
            gt.MultivariateNormal([1, -1], [[2, -0.3], [-0.3, 0.5]])),
    }


def divergences(args):
    """KL both ways, JSD, TV, squared Hellinger, W1 and C(G) + log 4 for every catalogue pair."""
    rows = []
    for name, (p, q) in catalogue().items():
        jsd = gt.js_divergence(p, q)
        c = gt.virtual_criterion(p, q)
        rows.append({
            "pair": name,
            "kl_pq": float(gt.kl_divergence(p, q)),
            "kl_qp": float(gt.kl_divergence(q, p)),
            "jsd": float(jsd),
            "tv": float(gt.tv_distance(p, q)),
            "hellinger2": float(gt.hellinger(p, q)),
            "w1": float(gt.w1_distance(p, q)) if p.dim == 1 else math.nan,
            "c_plus_log4": float(c) + LOG4,
            "jsd_error": jsd.error,
        })
    return rows


#: name -> (function(args) -> rows, one-line description)
SECTIONS = {"divergences": (divergences, divergences.__doc__.splitlines()[0])}


def _fmt(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.3e}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.6f}"
    return str(v)


def markdown(rows):
    """An aligned markdown table."""
    keys = list(rows[0])
    cells = [keys] + [[_fmt(r[k]) for k in keys] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(keys))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
              + " |" for row in cells[1:]]
    return "\n".join(lines)


def main(argv=None):
    """Run the report; returns the process exit code."""
    ap = argparse.ArgumentParser(prog="python -m gantheory.report", description=__doc__.splitlines()[0])
    ap.add_argument("--section", action="append", choices=sorted(SECTIONS), help="section to print (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the sections and exit")
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.list:
        for name, (_, doc) in SECTIONS.items():
            print(f"{name:14s} {doc}")
        return 0
    for name in args.section or list(SECTIONS):
        fn, doc = SECTIONS[name]
        print(f"## {name}\n\n{doc}\n")
        print(markdown(fn(args)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
