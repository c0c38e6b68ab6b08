"""The mutation score of the proof checker on gantheory/gan.py and gantheory/divergences.py (mutmut).

Runs ``mutmut run`` in a scratch copy of the repository (so the checkout and its ``mutants/`` are left
alone) with the ``[tool.mutmut]`` configuration of pyproject.toml, then counts: a mutant is caught when a
test fails or it times out; a survivor listed in ``tests/mutation/equivalent.md`` (by name and by its
changed line, so a stale entry is noticed) is equivalent and leaves the count; every other survivor,
"no tests" included, is a miss.

    python tests/mutation/score.py                        # the whole suite, gan.py and divergences.py
    python tests/mutation/score.py --tests tests/theory --only gan.py   # the derivation ledger alone
    python tests/mutation/score.py --sample 200 --seed 0   # a random sample: an estimate with its error
    python tests/mutation/score.py --names NAME ...        # a fixed sample (CI)
    python tests/mutation/score.py --check-equivalent      # every equivalent.md entry still names its mutant

Options: ``--jobs`` (mutmut's --max-children), ``--workdir`` (keep the copy there; default a temporary
directory). Exit status 1 if the score is below ``--floor`` (percent; default 95) or an equivalent entry is
stale. gan.py and divergences.py give about 3,600 mutants: the whole run takes hours on 2 cores; a
sample of 200 about half an hour.
"""

import argparse
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import copy_repo  # (this directory is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("equivalent.md")
TARGETS = ("gan.py", "divergences.py")
_CAUGHT = ("killed", "timeout", "segfault")  # mutmut's verdicts that mean a test noticed


def equivalent_entries():
    """name -> (changed line as written in equivalent.md, reason)"""
    if not EQUIVALENT.exists():
        return {}
    rows = re.findall(r"^- `(gantheory\.[\w.]+__mutmut_\d+)`: `(.*)` -> `(.*?)`: (.*)$", EQUIVALENT.read_text(), re.M)
    return {name: (old, new, why) for name, old, new, why in rows}


def _configure(work, tests, only):
    """Point the copy's [tool.mutmut] at the chosen tests and files."""
    py = work / "pyproject.toml"
    text = py.read_text()
    if tests:
        text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\npytest_add_cli_args_test_selection = "
                            + json.dumps(list(tests)) + "\n", 1)
    if only:
        skip = [f'"gantheory/{t}"' for t in TARGETS if t not in only]
        text = re.sub(r"(do_not_mutate = \[)", r"\1" + "".join(s + ", " for s in skip), text, count=1)
    py.write_text(text)


def _generated(work):
    """Let mutmut write its mutants (the first phase of ``mutmut run``, seconds) and return their names."""
    metas = [work / "mutants" / "gantheory" / f"{t}.meta" for t in TARGETS]
    proc = subprocess.Popen([sys.executable, "-m", "mutmut", "run"], cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):
            if all(m.exists() for m in metas):
                break
            time.sleep(0.5)
        # then until the mutated sources stop growing (``mutmut show`` reads them)
        files = [work / "mutants" / "gantheory" / t for t in TARGETS] + metas
        sizes = None
        for _ in range(120):
            now = [f.stat().st_size if f.exists() else -1 for f in files]
            if now == sizes:
                break
            sizes = now
            time.sleep(2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    names = []
    for m in metas:
        names += json.loads(m.read_text())["exit_code_by_key"]
    return sorted(names)


def _sample(work, n, seed, only):
    names = _generated(work)
    if only:
        names = [k for k in names if _in(k, only)]
    return sorted(random.Random(seed).sample(names, min(n, len(names))))


def _changed(diff):
    """The removed and the added line of a one-line mutant diff, stripped."""
    old = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    new = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " / ".join(old), " / ".join(new)


def _in(name, only):
    """Whether mutant ``name`` lies in one of the files ``only`` (all when None)."""
    return not only or any(name.startswith(f"gantheory.{t[:-3]}.") for t in only)


def _check_equivalent(work):
    """Whether every equivalent.md entry names a mutant mutmut still makes, with the same change (minutes:
    the mutants are generated and shown, no test runs); for an entry whose name moved (code added before
    it in its function), the mutant of that function that now makes the change."""
    names = set(_generated(work))
    bad = 0
    for name, (old, new, _) in sorted(equivalent_entries().items()):
        def change(n):
            return _changed(subprocess.run([sys.executable, "-m", "mutmut", "show", n], cwd=work,
                                           capture_output=True, text=True).stdout)
        if name in names and change(name) == (old, new):
            continue
        bad += 1
        stem = name.rsplit("__mutmut_", 1)[0] + "__mutmut_"
        moved = [n for n in sorted(names) if n.startswith(stem) and change(n) == (old, new)]
        print(f"stale: {name}" + (f" (the change is now {', '.join(moved)})" if moved else " (no such change now)"))
    print(f"{len(equivalent_entries()) - bad} of {len(equivalent_entries())} equivalent.md entries match")
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", nargs="*", help="restrict the tests mutmut may select (e.g. tests/theory)")
    ap.add_argument("--only", nargs="*", choices=TARGETS, help="mutate only these files")
    ap.add_argument("--names", nargs="*", help="run only these mutants")
    ap.add_argument("--sample", type=int, help="run a random sample of this many mutants (an estimate of the "
                    "score, with its binomial standard error)")
    ap.add_argument("--seed", type=int, default=0, help="the sample's seed")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--floor", type=float, default=95.0)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", type=Path, help="write every mutant's status here")
    ap.add_argument("--no-run", action="store_true", help="only score what an earlier run left in --workdir")
    ap.add_argument("--check-equivalent", action="store_true", help="only check equivalent.md against the "
                    "mutants mutmut makes now (no tests run)")
    args = ap.parse_args(argv)
    from mutmut.stats import status_by_exit_code  # (mutmut: pip install ".[dev]")

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="gt-mutmut-")
        work = Path(tmp.name)
    else:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    if not (work / "pyproject.toml").exists():
        copy_repo(work)
        _configure(work, args.tests, args.only)
    if args.check_equivalent:
        code = _check_equivalent(work)
        if tmp is not None:
            tmp.cleanup()
        return code
    if args.sample and not args.no_run:
        args.names = _sample(work, args.sample, args.seed, args.only)
        print(f"a random sample of {len(args.names)} mutants (seed {args.seed})", flush=True)
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs), *(args.names or [])]
    run = subprocess.run(cmd, cwd=work, capture_output=True, text=True) if not args.no_run else None
    if run is not None and run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:])
        print(f"mutmut run failed (exit {run.returncode})")
        return 1

    status = {}
    for meta in (work / "mutants" / "gantheory").glob("*.py.meta"):
        status.update(json.loads(meta.read_text())["exit_code_by_key"])
    if args.no_run:  # (the mutants that run tested)
        status = {k: v for k, v in status.items() if v is not None}
    if args.names:
        unknown = sorted(set(args.names) - set(status))
        if unknown:  # a fixed sample that no longer names real mutants tests nothing
            print(f"mutmut made no mutant named {unknown}: update the sample")
            return 1
        status = {k: v for k, v in status.items() if k in args.names}
    status = {k: v for k, v in status.items() if _in(k, args.only)}
    equivalent = equivalent_entries()
    caught, missed, equiv, stale = [], [], [], []
    for name, code in sorted(status.items()):
        if status_by_exit_code[code] in _CAUGHT:
            caught.append(name)
            continue
        diff = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=work, capture_output=True,
                              text=True).stdout
        old, new = _changed(diff)
        if name in equivalent:
            if equivalent[name][:2] == (old, new):
                equiv.append(name)
                continue
            stale.append(name)
        missed.append(name)
        print(f"{'NO TESTS' if code in (5, 33) else 'SURVIVED'} (exit {code}) {name}: `{old}` -> `{new}`")
    for name in sorted(set(equivalent) - set(equiv) - set(status)):
        if not args.names and not args.only:
            stale.append(name)
    counted = len(caught) + len(missed)
    score = 100.0 * len(caught) / counted if counted else 100.0
    se = (f" (a sample: standard error {100.0 * math.sqrt(score / 100 * (1 - score / 100) / counted):.1f} points)"
          if args.sample and counted else "")
    label = " ".join(args.tests) if args.tests else "the whole suite"
    print(f"\n{label} on {', '.join(args.only or TARGETS)}: {len(status)} mutants, {len(equiv)} equivalent "
          f"(tests/mutation/equivalent.md), caught {len(caught)} of {counted}: {score:.1f}%{se}")
    if stale:
        print("equivalent.md entries that no longer match the mutant mutmut made:", ", ".join(sorted(set(stale))))
    if args.json:
        args.json.write_text(json.dumps(status, indent=1, sort_keys=True))
    if tmp is not None:
        tmp.cleanup()
    return 0 if score >= args.floor and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
