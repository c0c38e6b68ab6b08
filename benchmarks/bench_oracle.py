"""Oracle sweep: gantheory's divergences against closed forms in mpmath, on seeded random pairs.

    python benchmarks/bench_oracle.py [--seed 0] [--n 5000] [--family normal --family beta] [--quick] [--worst 15]

For each family of ``tests/oracle.py`` (normal, laplace, cauchy, studentt, uniform, beta, lognormal,
invariance, w1, mixture, mixture_kl, grid, mvn2, mvn3, issue) it draws ``--n`` cases (the quadrature-referenced
studentt and mixture_kl families at most ``--quad-cap``, the multivariate normals ``--mvn``), runs them on
``--jobs`` processes and prints, per family: cases, silent misses (wrong beyond 1e-10 relative and beyond the
error bar, yet converged and unwarned), results outside their error bar (converged / flagged by
``converged=False`` or an AccuracyWarning), flagged results, crashes and the time spent (gantheory calls +
references, summed over processes); then the ``--worst`` cases by true error over reported error, each as a
call to paste after ``import gantheory as gt``, and the slowest calls. A call running past ``--timeout``
counts as a crash. Exit status 1 when any result is a silent miss or outside its error bar (``--quick``,
about 20 s, is meant for CI). The default takes 2-5 minutes on 2 cores.

Student-t and mixture references are mpmath quadratures (about 0.5 s each), cached in
``tests/oracle_t_refs.json`` and ``tests/oracle_mix_refs.json``; a new seed computes and adds its own.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import oracle  # noqa: E402

QUICK = {"n": 600, "quad_cap": 60, "mvn": (3, 0), "timeout": 5.0}  # one d = 3 call can take 20 s
DEFAULT_N = 5000
# rough seconds per case, to start the slow families first
COST = {"mvn3": 4.0, "mvn2": 0.15, "studentt": 0.7, "mixture_kl": 0.5}


def _part(args):
    seed, n, family, k, K, caps, timeout = args
    t0 = time.perf_counter()
    records, refs = oracle.run_part(seed, n, family, k, K, caps, timeout)
    return family, records, refs, time.perf_counter() - t0


def sweep(seed, n, families, caps, jobs, timeout=None):
    """All records of the sweep, and the quadrature references computed on the way."""
    tasks = []
    for fam in families:
        size = oracle.family_size(fam, n, caps)
        K = max(1, min(size, 4 * jobs))
        tasks += [(seed, n, fam, k, K, caps, timeout) for k in range(K)]
    tasks.sort(key=lambda t: -COST.get(t[2], 0.003) * oracle.family_size(t[2], n, caps) / t[4])
    records, refs, done = [], {}, 0
    tty = sys.stderr.isatty()

    def collect(family, recs, new, _):
        nonlocal done
        records.extend(recs)
        for name, r in new.items():
            refs.setdefault(name, {}).update(r)
        done += 1
        if tty:
            print(f"\r  {done}/{len(tasks)} parts ({family})".ljust(60), end="", file=sys.stderr, flush=True)

    if jobs == 1:
        for t in tasks:
            collect(*_part(t))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for fut in as_completed([pool.submit(_part, t) for t in tasks]):
                collect(*fut.result())
    if tty:
        print("\r".ljust(61) + "\r", end="", file=sys.stderr)
    order = {d: i for i, d in enumerate(oracle.FAMILIES)}
    records.sort(key=lambda r: (order[r["family"]], r["desc"]))
    return records, refs


def _engine_state():
    """The commit gantheory was measured at, and whether its sources had uncommitted changes."""
    root = HERE.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "gantheory"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in gantheory/" if dirty else "")


def _table(summary):
    head = f"{'family':<12} {'cases':>6} {'silent':>7} {'outside bar':>13} {'flagged':>8} {'crash':>6} {'time s':>8}"
    lines = [head, "-" * len(head)]
    rows = [*summary["counts"].items(), ("total", summary["total"])]
    for fam, c in rows:
        if fam == "total":
            lines.append("-" * len(head))
        outside = f"{c['outside_converged']} / {c['outside_flagged']}"
        lines.append(f"{fam:<12} {c['cases']:>6} {c['silent']:>7} {outside:>13} {c['flagged']:>8} {c['crash']:>6} "
                     f"{c['time'] + c['ref_time']:>8.1f}")
    return "\n".join(lines)


def _worst(summary):
    lines = []
    for r in summary["worst"]:
        tag = "SILENT" if r["silent"] else ("outside" if r["outside"] else "ok")
        flags = ",".join(f for f, on in (("unconverged", r["converged"] is False), ("warned", r["warned"])) if on)
        lines.append(f"[{tag}{' ' + flags if flags else ''}] e/error = {r['ratio']:.3g}: got {r['got']!r} "
                     f"± {r['error']:.3g}, ref {r['ref']}")
        lines.append(f"    {oracle.reproducer(r['desc'])}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=None, help=f"cases per family (default {DEFAULT_N}, quick {QUICK['n']})")
    ap.add_argument("--family", action="append", choices=oracle.FAMILIES, help="restrict to a family (repeatable)")
    ap.add_argument("--quick", action="store_true", help="a ~20 s sample for CI")
    ap.add_argument("--worst", type=int, default=15, help="how many of the worst cases to print")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--quad-cap", type=int, default=None,
                    help=f"cases of studentt and mixture_kl (default {oracle.DEFAULT_CAPS['studentt']})")
    ap.add_argument("--mvn", type=int, nargs=2, metavar=("N2", "N3"), default=None,
                    help="cases of mvn2 and mvn3 (default {} {})".format(oracle.DEFAULT_CAPS["mvn2"],
                                                                         oracle.DEFAULT_CAPS["mvn3"]))
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds per call before it counts as a crash (default 120, quick 5; 0: none)")
    ap.add_argument("--json", type=Path, help="write every record to this file")
    ap.add_argument("--no-save", action="store_true", help="do not add new quadrature references to the caches")
    args = ap.parse_args(argv)

    n = args.n if args.n is not None else (QUICK["n"] if args.quick else DEFAULT_N)
    caps = {}
    quad_cap = args.quad_cap if args.quad_cap is not None else (QUICK["quad_cap"] if args.quick else None)
    if quad_cap is not None:
        caps.update(studentt=quad_cap, mixture_kl=quad_cap)
    mvn = args.mvn or (QUICK["mvn"] if args.quick else None)
    if mvn is not None:
        caps.update(mvn2=mvn[0], mvn3=mvn[1])
    families = tuple(args.family) if args.family else oracle.FAMILIES

    t0 = time.perf_counter()
    timeout = args.timeout if args.timeout is not None else (QUICK["timeout"] if args.quick else 120.0)
    records, refs = sweep(args.seed, n, families, caps, max(1, args.jobs), timeout or None)
    wall = time.perf_counter() - t0
    if refs and not args.no_save:
        oracle.save_refs(refs)
    summary = oracle.summarize(records, worst=args.worst)

    print(f"oracle sweep: seed {args.seed}, n {n} per family, {len(records)} cases, {args.jobs} jobs, "
          f"{wall:.1f} s wall" + (f"; {sum(map(len, refs.values()))} new quadrature references" if refs else ""))
    print(f"gantheory at {_engine_state()}")
    print("silent: wrong beyond 1e-10 relative and its error bar, converged, no AccuracyWarning; "
          "outside bar: converged / flagged\n")
    print(_table(summary))
    if summary["worst"]:
        print(f"\nworst {len(summary['worst'])} by true error / reported error (import gantheory as gt):")
        print(_worst(summary))
    slowest = sorted(records, key=lambda r: -r["time"])[:3]
    print("\nslowest calls: " + "; ".join(f"{r['time']:.1f} s {r['family']}" for r in slowest))
    for r in slowest:
        print(f"    {oracle.reproducer(r['desc'])}")
    if summary["crashes"]:
        print(f"\ncrashes ({len(summary['crashes'])}):")
        for r in summary["crashes"][: max(args.worst, 5)]:
            print(f"  {r['crash']}\n    {oracle.reproducer(r['desc'])}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "n": n, "caps": caps, "records": records}, indent=1))
    bad = summary["total"]["silent"] + summary["total"]["outside_converged"] + summary["total"]["outside_flagged"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
