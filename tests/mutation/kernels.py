"""Mutation testing of the compiled integrand kernels (gantheory/_kernels.py).

mutmut cannot mutate numba functions (it skips decorated ones), so this driver does the same thing for
the integrand kernels: it enumerates single-point mutations of their source (operator swaps, flipped
comparisons, ``and``/``or``, dropped unary minus and ``not``, constants ``c -> c + 1``), applies each to a
scratch copy of the repository, compiles it in a fresh numba cache (numba's cache does not notice a
changed callee in another file) and runs the tests in stages, each stage only for the mutants the
previous one left alive:

1. ``tests/test_kernels.py`` (each integrand against mpmath, compiled and pure Python);
2. the rest of the suite (``-x``: the first failing test kills the mutant).

A mutant listed in ``tests/mutation/equivalent.md`` is reported as equivalent, not as a survivor.

    python tests/mutation/kernels.py [--jobs 2] [--only N ...] [--functions NAME ...] [--list]

Exit status 1 if a mutant outside the equivalent list survives the whole suite. About one minute of
CPU a mutant (most of it numba compiling the copy).
"""

import argparse
import ast
import concurrent.futures as cf
import copy
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import copy_repo  # (this directory is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "gantheory/_kernels.py"
#: the integrand kernels: the pointwise integrands, their series and the node loop
FUNCTIONS = ("_exp", "_bregman", "_js_weight", "_js_weight_r", "_log_abs_expm1", "_chi2", "_scaled", "_term",
             "terms")
EQUIVALENT = Path(__file__).with_name("equivalent.md")

_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}
_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
        ast.NotEq: ast.Eq}


def _sites(fn):
    """Every mutation site of one function, in a fixed order: (node, field, mutate(node) -> new node)."""
    out = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP:
            out.append((node, lambda n: _with(n, op=_BINOP[type(n.op)]())))
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _CMP:
                    out.append((node, lambda n, i=i: _with(n, ops=[_CMP[type(o)]() if j == i else o
                                                                   for j, o in enumerate(n.ops)])))
        elif isinstance(node, ast.BoolOp):
            out.append((node, lambda n: _with(n, op=ast.Or() if isinstance(n.op, ast.And) else ast.And())))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            out.append((node, lambda n: n.operand))
        elif (isinstance(node, ast.Constant) and type(node.value) in (int, float)
              and not isinstance(node.value, bool)):
            out.append((node, lambda n: _with(n, value=n.value + 1)))
    return out


def _with(node, **fields):
    new = copy.copy(node)
    for k, v in fields.items():
        setattr(new, k, v)
    return new


def enumerate_mutants(functions=FUNCTIONS):
    """[(id, function, line, original text, mutated text, mutated module source)]"""
    text = (ROOT / SOURCE).read_text()
    tree = ast.parse(text)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    missing = [f for f in functions if f not in defs]
    if missing:
        raise SystemExit(f"{SOURCE} has no function {missing}: update FUNCTIONS in {__file__}")
    mutants = []
    for name in functions:
        for k, (node, _) in enumerate(_sites(defs[name])):
            tree2 = ast.parse(text)
            fn2 = next(n for n in tree2.body if isinstance(n, ast.FunctionDef) and n.name == name)
            node2, mutate2 = _sites(fn2)[k]
            new = mutate2(node2)
            _replace(fn2, node2, new)
            before, after = ast.unparse(node), ast.unparse(new)
            mid = f"{name}:{k}"
            mutants.append((mid, name, node.lineno, before, after, ast.unparse(tree2)))
    return mutants


def _replace(root, old, new):
    for parent in ast.walk(root):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is old:
                        value[i] = new
                        return
    raise RuntimeError("mutation site not found")


def _equivalent():
    """id -> (original text, mutated text, reason), from lines ``- `ID`: `before` -> `after`: reason``"""
    if not EQUIVALENT.exists():
        return {}
    rows = re.findall(r"^- `(_?[a-z]\w*:\d+)`: `(.*)` -> `(.*)`: (.*)$", EQUIVALENT.read_text(), flags=re.M)
    return {mid: (before, after, why) for mid, before, after, why in rows}


def _digest(source):
    return hashlib.sha256(source.encode()).hexdigest()[:16]


STAGES = (("tests/test_kernels.py",), ("tests", "--deselect", "tests/test_kernels.py"))
TIMEOUT = (90, 1500)  # seconds per stage (the unmutated stages take about 10 and 200 s)


def run_one(mutant, profile):
    """Run the stages on one mutant; return (id, 'killed at stage k by TEST' or 'survived', seconds)."""
    mid, _, _, _, _, source = mutant
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gt-kmut-") as tmp:
        tmp = Path(tmp)
        copy_repo(tmp)
        (tmp / SOURCE).write_text(source)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / ".numba"), GANTHEORY_HYPOTHESIS_PROFILE=profile,
                   PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(tmp))
        for k, stage in enumerate(STAGES, 1):
            args = [sys.executable, "-m", "pytest", *stage, "-q", "-p", "no:cacheprovider", "-W", "ignore::Warning",
                    "--hypothesis-seed=0", "-x", "--ignore=tests/test_mutants.py"]
            try:
                out = subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, timeout=TIMEOUT[k - 1])
            except subprocess.TimeoutExpired:  # (an endless loop: a series that never meets its stop)
                return mid, f"killed at stage {k} by a timeout ({TIMEOUT[k - 1]} s)", time.perf_counter() - t0
            if out.returncode != 0:
                failed = re.findall(r"^FAILED (\S+)", out.stdout, flags=re.M)
                why = failed[0] if failed else (out.stdout.strip().splitlines() or ["(no output)"])[-1][:120]
                return mid, f"killed at stage {k} by {why}", time.perf_counter() - t0
    return mid, "survived", time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--profile", default="dev", choices=["dev", "ci", "thorough"])
    ap.add_argument("--functions", nargs="*", default=list(FUNCTIONS))
    ap.add_argument("--only", nargs="*", help="mutant ids (function:k)")
    ap.add_argument("--sample", type=int, help="run only every N-th mutant (a fixed sample)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--results", type=Path, help="append each verdict here (JSON lines) and skip the mutants "
                    "it already holds, so an interrupted run resumes")
    args = ap.parse_args(argv)
    mutants = enumerate_mutants(tuple(args.functions))
    equivalent = _equivalent()
    every = {m[0]: (m[3], m[4]) for m in enumerate_mutants()}
    stale = sorted(mid for mid, (before, after, _) in equivalent.items() if every.get(mid) != (before, after))
    if stale:
        print(f"equivalent.md lists kernel mutants that no longer match the code: {stale}")
        return 1
    if args.only:
        unknown = sorted(set(args.only) - {m[0] for m in mutants})
        if unknown:  # a fixed sample that no longer names real mutants tests nothing
            print(f"no such kernel mutant: {unknown} (see --list)")
            return 1
        mutants = [m for m in mutants if m[0] in args.only]
    if args.sample:
        mutants = mutants[::args.sample]
    if args.list:
        for mid, _, line, before, after, _ in mutants:
            print(f"{mid:22s} line {line:4d}: {before}  ->  {after}")
        return 0
    todo = [m for m in mutants if m[0] not in equivalent]
    info = {m[0]: m for m in mutants}
    print(f"{len(mutants)} mutants of {SOURCE} ({', '.join(args.functions)}); "
          f"{len(mutants) - len(todo)} listed as equivalent; running {len(todo)} with {args.jobs} jobs", flush=True)
    done = {}
    if args.results and args.results.exists():
        for line in args.results.read_text().splitlines():
            row = json.loads(line)
            if row["id"] in info and row["source"] == _digest(info[row["id"]][5]):  # (a verdict on this very mutant)
                done[row["id"]] = (row["verdict"], row["seconds"])
    survived = []

    def report(mid, verdict, secs):
        _, _, line, before, after, _ = info[mid]
        print(f"{mid:22s} line {line:4d}: {before}  ->  {after}: {verdict} ({secs:.0f} s)", flush=True)
        if verdict == "survived":
            survived.append(mid)

    for m in todo:
        if m[0] in done:
            report(m[0], *done[m[0]])
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        for mid, verdict, secs in pool.map(lambda m: run_one(m, args.profile), [m for m in todo if m[0] not in done]):
            report(mid, verdict, secs)
            if args.results:
                with args.results.open("a") as f:
                    f.write(json.dumps({"id": mid, "verdict": verdict, "seconds": round(secs, 1),
                                        "source": _digest(info[mid][5])}) + "\n")
    killed = len(todo) - len(survived)
    score = killed / len(todo) if todo else 1.0
    print(f"\nkilled {killed} of {len(todo)} non-equivalent mutants ({100 * score:.1f}%); "
          f"{len(mutants) - len(todo)} equivalent")
    if survived:
        print("SURVIVED:", " ".join(survived))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
