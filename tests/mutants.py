"""Break the theory on purpose and see which proof-checker tests notice.

Each mutant below replaces a correct formula of gantheory by a wrong one (the kind of slip a
derivation invites). For every mutant this script copies the repository to a temporary directory,
applies the change, runs ``pytest tests/theory`` there and lists the tests that failed. A mutant that
no test catches would mean the proof checker can be fooled.

    python tests/mutants.py [--profile dev|ci] [--only NAME ...]

It takes a few minutes (each mutant recompiles the numba kernels in its own cache).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "mutation"))
from scratch import copy_repo  # noqa: E402

#: name -> (description, [(file, correct text, wrong text), ...])
MUTANTS = {
    "dstar": (
        "D* = p_g / (p_data + p_g) instead of p_data / (p_data + p_g)",
        [("gantheory/gan.py", "ell = np.where(lp == lq, 0.0, lp - lq)", "ell = np.where(lp == lq, 0.0, lq - lp)"),
         ("gantheory/gan.py", "            ell = lp - lq\n", "            ell = lq - lp\n")],
    ),
    "log4": (
        "C(G) = -log 2 + 2 JSD instead of -log 4 + 2 JSD",
        [("gantheory/gan.py", "_LOG4 = math.log(4.0)", "_LOG4 = math.log(2.0)")],
    ),
    "mixture_weight": (
        "M = p + q (weight 1) instead of (p + q)/2 in the Jensen-Shannon integrand",
        [("gantheory/_kernels.py", "return (1.0 + r) * (_LN2 - math.log1p(r)) - r * a",
          "return (1.0 + r) * (0.0 - math.log1p(r)) - r * a"),
         ("gantheory/_kernels.py", "return 0.5 * (1.0 + r) * s", "return 0.5 * (1.0 + r) * (s - 2.0 * _LN2)"),
         ("gantheory/_kernels.py", "return 0.5 * _LN2 * w", "return 0.0 * w")],
    ),
    "jacobian": (
        "p_g(x) = p_z(G^-1(x)) without the factor |dG^-1/dx| (the Python path and the compiled one)",
        [("gantheory/transforms.py",
          "return self.base._logpdf_d(((x - hi) - lo) / self.transform.scale) - self.transform._logdet",
          "return self.base._logpdf_d(((x - hi) - lo) / self.transform.scale)"),
         ("gantheory/transforms.py", "return self._near_ends(x, z, self.base._logpdf(z) + self._logjac(x))",
          "return self._near_ends(x, z, self.base._logpdf(z))"),
         ("gantheory/transforms.py", "out = lz + self._logjac(np.where(outside, 0.0, x))", "out = lz"),
         ("gantheory/transforms.py", "return self.base._logpdf_offset(z0, off / tr.scale, zl) - tr._logdet",
          "return self.base._logpdf_offset(z0, off / tr.scale, zl)"),
         ("gantheory/transforms.py", "return self.base._logpdf_offset(z0, zoff, zl) + self._logjac(x)",
          "return self.base._logpdf_offset(z0, zoff, zl)"),
         ("gantheory/transforms.py", "return self.base._logpdf_d((((x0 - hi) - lo) + off) / tr.scale) - tr._logdet",
          "return self.base._logpdf_d((((x0 - hi) - lo) + off) / tr.scale)"),
         ("gantheory/transforms.py",
          "return self.base._logpdf_split(tr._inverse(x), (x0 - tr.shift) / tr.scale, off / tr.scale) - tr._logdet",
          "return self.base._logpdf_split(tr._inverse(x), (x0 - tr.shift) / tr.scale, off / tr.scale)"),
         ("gantheory/_engine.py", "lognorm += -tr._logdet if fam == STUDENT else tr._logdet", "lognorm += 0.0"),
         ("gantheory/_engine.py", "return _component(T, i, lx, 0.0) - lx, 0.0",
          "return _component(T, i, lx, 0.0), 0.0"),
         ("gantheory/_engine.py", "v = _component(T, i, z, 0.0) + log_cosh - math.log(tw) - half",
          "v = _component(T, i, z, 0.0)")],
    ),
    "kl_order": (
        "kl_divergence(p, q) integrates KL(q || p)",
        [("gantheory/divergences.py",
          "est = _integrate_pair((p, q), K.KL, _kl_pair(p, q), rtol=rtol, atol=atol * unit, tables=_tables(p, q),",
          "est = _integrate_pair((q, p), K.KL, _kl_pair(q, p), rtol=rtol, atol=atol * unit, tables=_tables(q, p),")],
    ),
    "non_saturating": (
        "non-saturating gradient with factor D instead of 1 - D (h' = -D ℓ')",
        [("gantheory/gan.py", 'dfac = np.exp(l1d) if loss == "non_saturating" else np.exp(ld)',
          'dfac = np.exp(ld) if loss == "non_saturating" else np.exp(ld)')],
    ),
}


def run_mutant(name, profile):
    """Apply mutant ``name`` in a scratch copy, run tests/theory, return the failed test ids."""
    _, edits = MUTANTS[name]
    with tempfile.TemporaryDirectory(prefix=f"gt-mutant-{name}-") as tmp:
        tmp = Path(tmp)
        copy_repo(tmp)
        for rel, good, bad in edits:
            path = tmp / rel
            text = path.read_text()
            if text.count(good) != 1:
                raise RuntimeError(f"mutant {name}: {good!r} occurs {text.count(good)} times in {rel}, not once "
                                   "(the code moved on: update the mutant)")
            path.write_text(text.replace(good, bad))
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / ".numba"), GANTHEORY_HYPOTHESIS_PROFILE=profile,
                   PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONPATH", None)
        out = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/theory", "-q", "-rf", "-p", "no:cacheprovider",
             "-W", "ignore::Warning", "--hypothesis-seed=0"],
            cwd=tmp, env=env, capture_output=True, text=True)
        # (a test id may hold spaces, inside its parameters: up to the " - " that starts pytest's reason)
        failed = sorted(set(re.findall(r"^FAILED (.+?)(?: - .*)?$", out.stdout, flags=re.M)))
        summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]
        if re.search(r"\d+ errors?\b", summary):  # the run itself broke: not a verdict on the mutant
            raise RuntimeError(f"mutant {name}: pytest could not run the suite:\n{out.stdout[-3000:]}")
        return failed, summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="dev", choices=["dev", "ci", "thorough"])
    ap.add_argument("--only", nargs="*", choices=sorted(MUTANTS))
    args = ap.parse_args(argv)
    uncaught = []
    for name in args.only or list(MUTANTS):
        desc, _ = MUTANTS[name]
        failed, summary = run_mutant(name, args.profile)
        print(f"## {name}: {desc}\n{summary}")
        for f in failed:
            print(f"  caught by {f}")
        if not failed:
            uncaught.append(name)
        print(flush=True)
    if uncaught:
        print(f"NOT CAUGHT: {', '.join(uncaught)}")
        return 1
    print("every mutant was caught by tests/theory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
