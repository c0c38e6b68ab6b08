"""The report: every section in every format, parsed back; exit codes; atomic files (issue 6)."""

import argparse
import csv
import io
import json
import math
import os
import signal
import stat
import subprocess
import sys
import time
import warnings

import pytest

import gantheory as gt
from gantheory import report

KEYS = {
    "ledger": ["step", "claim", "pairs", "worst_residual", "tolerance", "converged", "pass"],
    "divergences": ["pair", "kl_pq", "kl_qp", "jsd", "js_distance", "tv", "hellinger2", "w1", "c_plus_log4",
                    "references", "max_rel_error"],
    "bounds": ["pair", "tv_squared", "c_plus_log4", "upper", "holds"],
    "gradients": ["shift", "mean_dstar_on_fakes", "minimax", "non_saturating", "ratio", "grad_2jsd_identity"],
    "training": ["run", "steps", "measure", "final", "final_c_plus_log4", "n_params", "final_params", "converged",
                 "seconds"],
    "networks": ["run", "seed", "steps", "final_jsd", "jsd_error", "converged", "plateau_jsd", "one_mode_jsd",
                 "mass_below_0", "knn_jsd", "knn_sd", "final_gap", "seconds"],
    "estimators": ["pair", "method", "n", "estimate", "abs_error", "reported_error", "error_is", "seconds"],
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code = report.main(["--quick", "--out", str(out)])
    return code, out


def test_list_names_every_section(capsys):
    assert report.main(["--list"]) == 0
    text = capsys.readouterr().out
    for name in report.SECTIONS:
        assert name in text


def test_out_writes_every_section_in_every_format(written):
    code, out = written
    assert code == 0
    for name in report.SECTIONS:
        for ext in ("md", "csv", "json", "tex"):
            assert (out / f"{name}.{ext}").stat().st_size > 0
    assert not [f for f in os.listdir(out) if f.startswith(".")]  # no temporary files left
    figures = {f for f in os.listdir(out) if f.endswith(".png")}
    assert {"training_curves.png", "estimators_error_vs_time.png", "densities_and_dstar.png",
            "dirac_gan.png", "minibatch_gan.png"} <= figures


@pytest.mark.parametrize("name", list(KEYS))
def test_csv_and_json_parse_back_with_stable_keys(written, name):
    _, out = written
    rows = list(csv.DictReader(io.StringIO((out / f"{name}.csv").read_text())))
    assert rows and list(rows[0]) == KEYS[name]
    data = json.loads((out / f"{name}.json").read_text())
    assert list(data) == [name] and [list(r) for r in data[name]] == [KEYS[name]] * len(data[name])
    assert len(data[name]) == len(rows)
    whole = json.loads((out / "report.json").read_text())
    assert list(whole) == list(report.SECTIONS)


def test_ledger_passes_and_numbers_round_trip(written):
    _, out = written
    data = json.loads((out / "ledger.json").read_text())["ledger"]
    assert [r["step"] for r in data] == [f"S{i}" for i in range(1, 13)]
    assert all(r["pass"] and r["worst_residual"] <= r["tolerance"] for r in data)
    rows = list(csv.DictReader(io.StringIO((out / "divergences.csv").read_text())))
    first = next(r for r in rows if r["pair"] == "normal shift 1")
    direct = gt.kl_divergence(gt.Normal(0, 1), gt.Normal(1, 1))
    assert float(first["kl_pq"]) == float(direct)  # CSV keeps every digit (repr of the float)
    assert abs(float(direct) - 0.5) <= direct.error  # (the closed form)
    disjoint = next(r for r in rows if r["pair"] == "uniform disjoint")
    assert math.isinf(float(disjoint["kl_pq"]))


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json", "latex"])
def test_every_format_on_stdout(capsys, fmt):
    assert report.main(["--quick", "--section", "bounds", "--section", "gradients", "--format", fmt]) == 0
    text = capsys.readouterr().out
    if fmt == "json":
        assert list(json.loads(text)) == ["bounds", "gradients"]
    elif fmt == "latex":
        assert text.count(r"\begin{tabular}") == 2
    elif fmt == "markdown":
        assert "| pair" in text and "| shift" in text
    else:
        assert "tv_squared" in text and "mean_dstar_on_fakes" in text


def test_a_broken_formula_fails_the_ledger(monkeypatch, capsys):
    """C(G) with -log 2 in place of -log 4: S7, S9, S10 and S11 fail and the exit code is 1."""
    right = gt.virtual_criterion
    monkeypatch.setattr(gt, "virtual_criterion", lambda p, q, **kw: right(p, q, **kw) + math.log(2.0))
    assert report.main(["--quick", "--section", "ledger", "--format", "json"]) == 1
    rows = json.loads(capsys.readouterr().out)["ledger"]
    failed = {r["step"] for r in rows if not r["pass"]}
    assert {"S7", "S8", "S9"} <= failed


def test_an_unconverged_quantity_fails_its_row(monkeypatch, capsys):
    """A residual between numbers that did not converge proves nothing: the row fails (converged "NO")
    and the exit code is 1, though the residual itself is within tolerance."""
    right = gt.virtual_criterion

    def flagged(p, q, **kw):
        warnings.warn("test: did not converge", gt.AccuracyWarning, stacklevel=2)
        return right(p, q, **kw)

    monkeypatch.setattr(gt, "virtual_criterion", flagged)
    assert report.main(["--quick", "--section", "ledger", "--format", "json"]) == 1
    rows = {r["step"]: r for r in json.loads(capsys.readouterr().out)["ledger"]}
    assert rows["S7"]["worst_residual"] <= rows["S7"]["tolerance"]
    assert not rows["S7"]["converged"] and not rows["S7"]["pass"]
    assert rows["S5"]["converged"] and rows["S5"]["pass"]  # (no quadrature behind it)


def test_the_dirac_gan_rows_report_the_radius():
    """A JSD between two Diracs is log 2 unless they coincide: the Dirac-GAN rows report their radius."""
    rows = report.training(argparse.Namespace(quick=True))
    dirac = [r for r in rows if r["run"].startswith("Dirac-GAN")]
    assert dirac and all(r["measure"] == "radius" and r["final_c_plus_log4"] is None for r in dirac)
    r1 = next(r for r in dirac if "R1" in r["run"])
    assert r1["converged"] and r1["final"] < 1e-8
    assert not next(r for r in dirac if "simultaneous" in r["run"])["converged"]  # (it spirals out)


@pytest.mark.parametrize("argv", [["--section", "nonsense"], ["--format", "pdf"], ["--seed", "x"],
                                  ["--bogus-flag"]])
def test_usage_errors_exit_2_with_one_line(argv, capsys):
    assert report.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gantheory.report: error:")


def test_unwritable_directory_exits_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        target = locked / "sub" if os.geteuid() != 0 else tmp_path / "file.txt"
        if os.geteuid() == 0:  # root ignores permissions: use a path under a regular file instead
            target.write_text("x")
            target = target / "sub"
        assert report.main(["--quick", "--section", "bounds", "--out", str(target)]) == 2
        assert "cannot create" in capsys.readouterr().err
    finally:
        locked.chmod(stat.S_IRWXU)


def test_json_keeps_numbers_numbers_and_arrays_arrays(written):
    """In the JSON files a number is a JSON number, an infinite one included (written Infinity, which
    json.load reads back as float('inf')), and a parameter vector a JSON array; never strings."""
    _, out = written
    text = (out / "divergences.json").read_text()
    assert '"inf"' not in text and "Infinity" in text
    rows = json.loads(text)["divergences"]
    disjoint = next(r for r in rows if r["pair"] == "uniform disjoint")
    assert isinstance(disjoint["kl_pq"], float) and disjoint["kl_pq"] == math.inf
    training = json.loads((out / "training.json").read_text())["training"]
    small = [r for r in training if r["n_params"] <= 4]
    assert small and all(isinstance(r["final_params"], list) and len(r["final_params"]) == r["n_params"]
                         and all(isinstance(v, float) for v in r["final_params"]) for r in small)
    assert all(r["final_params"] is None for r in training if r["n_params"] > 4)
    est = json.loads((out / "estimators.json").read_text())["estimators"]
    assert all(r["reported_error"] == math.inf for r in est if r["method"] == "discriminator")
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(f for f in os.listdir(out) if not f.startswith("."))


def test_a_run_owns_its_files(tmp_path, capsys):
    """A second run into the same directory replaces the first one's files (and says so), leaves files
    that are not the report's alone, and its report.json and manifest hold what it ran."""
    out = tmp_path / "out"
    assert report.main(["--quick", "--section", "bounds", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert report.main(["--quick", "--section", "gradients", "--out", str(out)]) == 0
    assert "replacing the" in capsys.readouterr().out
    names = set(os.listdir(out))
    assert "notes.txt" in names and not any(n.startswith("bounds.") for n in names)
    assert {f"gradients.{e}" for e in ("md", "csv", "json", "tex")} <= names
    assert list(json.loads((out / "report.json").read_text())) == ["gradients"]
    assert set(json.loads((out / "manifest.json").read_text())["files"]) == names - {"notes.txt"}


def test_an_io_error_while_writing_exits_2_without_a_traceback(tmp_path, monkeypatch, capsys):
    """The output directory failing mid-run (a read-only mount, a full disk): a one-line message and exit
    code 2, not a traceback and not 1 (which means a ledger row failed); nothing half-written."""
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(report.tempfile, "mkdtemp", refuse)
    assert report.main(["--quick", "--section", "bounds", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the report" in err[0] and "Permission denied" in err[0]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("earlier", [False, True], ids=["new directory", "earlier run"])
def test_an_interrupted_run_exits_130_and_writes_nothing(tmp_path, earlier):
    """SIGINT while the report computes: exit code 130, one line, no traceback, and the directory as it
    was (not created, or an earlier run's files untouched)."""
    out = tmp_path / "out"
    if earlier:
        assert report.main(["--quick", "--section", "bounds", "--out", str(out)]) == 0
        before = {f: (out / f).read_bytes() for f in os.listdir(out)}
    # (a shell without job control starts background commands with SIGINT ignored, and Python keeps it
    # ignored: the child gets the default disposition back, as a terminal would give it)
    proc = subprocess.Popen([sys.executable, "-m", "gantheory.report", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4.0)  # (imported and computing: a full report takes many seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines() == ["gantheory.report: interrupted; nothing written"]
    if earlier:
        assert {f: (out / f).read_bytes() for f in os.listdir(out)} == before
    else:
        assert not out.exists()


def test_an_interrupt_while_the_files_move_into_place_waits_for_them(tmp_path, monkeypatch, capsys):
    """SIGINT to the process in the middle of putting a finished run's files in place (after the earlier
    run's were removed): the move completes, manifest included, and the run exits 130 saying so."""
    out = tmp_path / "out"
    assert report.main(["--quick", "--section", "bounds", "--out", str(out)]) == 0
    moves, real = [], os.replace

    def replace(a, b):
        moves.append(b)
        if len(moves) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        real(a, b)

    monkeypatch.setattr(report.os, "replace", replace)
    capsys.readouterr()
    assert report.main(["--quick", "--section", "gradients", "--out", str(out)]) == 130
    assert "already in place" in capsys.readouterr().err
    names = set(os.listdir(out))
    assert set(json.loads((out / "manifest.json").read_text())["files"]) == names
    assert not any(n.startswith("bounds.") for n in names) and "gradients.json" in names
