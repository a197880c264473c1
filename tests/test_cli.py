"""End to end, as a user runs it: real subprocesses writing real run folders."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from multigrade.reproduce.outcomes import RunOutcome
from multigrade.reproduce.plan import PlannedRun
from multigrade.reproduce.report import write_report

pytestmark = pytest.mark.slow


def run_module(*args: str, cwd) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_a_cli_run_writes_metrics_and_spectra(tmp_path):
    out = tmp_path / "run"
    run_module("multigrade.run", "experiment=p1_synthetic_s2", "profile=smoke", f"paths.output_dir={out}",
               "callbacks.progress.refresh_rate=0", cwd=REPO)
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["experiment"], metrics["model"], metrics["profile"]) == ("p1_synthetic_s2", "mgdl", "smoke")
    assert [g["grade"] for g in metrics["grades"]] == [1, 2, 3, 4]
    for entry in metrics["grades"]:
        assert {"train_rse", "val_rse", "test_rse", "seconds"} <= entry.keys()
        assert 0 < entry["test_rse"] < 1.5
    with np.load(out / "spectra.npz") as spectra:
        assert spectra["freq"].shape == spectra["target"].shape == (3001,)
        for name in ("grade", "cumulative", "residual"):
            assert spectra[name].shape == (4, 3001)
    for figure in ("spectra", "evolution", "loss", "fit"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 10_000
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [f"grade_{k}.pt" for k in (1, 2, 3, 4)]
    assert (out / ".hydra" / "config.yaml").is_file()
    assert "grade_4/loss" in (out / "logs" / "metrics.csv").read_text()


def folder_contents(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` but the job logs (a refused start appends its message) and
    ``.lock`` (which names the run that holds the folder: a refused start held it too)."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix != ".log" and path.name != ".lock"}


def test_a_start_the_folders_results_refuse_leaves_the_folder_as_it_found_it(tmp_path):
    out = tmp_path / "run"
    finished = ["experiment=p2_sin", "profile=smoke", "callbacks.progress.refresh_rate=0", f"paths.output_dir={out}"]
    run_module("multigrade.run", *finished, cwd=REPO)
    before = folder_contents(out)
    assert {".hydra/config.yaml", ".hydra/overrides.yaml", "logs/metrics.csv", "metrics.json"} <= before.keys()
    refused = subprocess.run([sys.executable, "-m", "multigrade.run", *finished, "train.lr_max=0.002"], cwd=REPO,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert re.search(r"CheckpointError: \S+grade_1.pt was written by a different run \(schedule.lr_max: \S+ \(the"
                     r" file\), 0.002 \(this run\)\): choose a fresh paths.output_dir", refused.stdout + refused.stderr)
    assert folder_contents(out) == before  # its config, overrides and log are still the finished run's
    # another entry point's run is refused before Hydra writes anything
    other = subprocess.run([sys.executable, "-m", "multigrade.snn", "profile=smoke", f"paths.output_dir={out}"],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert other.returncode == 1 and "Traceback" not in other.stderr
    assert (f"{out} holds the results of a `python -m multigrade.run` run (its .hydra/hydra.yaml); this is a"
            f" `python -m multigrade.snn` run: choose a fresh paths.output_dir") in other.stdout + other.stderr
    assert folder_contents(out) == before
    # a start that takes the results as its own records itself, as Hydra does
    run_module("multigrade.run", *finished, "logger=none", cwd=REPO)
    assert "- logger=none" in (out / ".hydra" / "overrides.yaml").read_text()
    assert "\nlogger: {}\n" in (out / ".hydra" / "config.yaml").read_text()
    assert "output_subdir: .hydra" in (out / ".hydra" / "hydra.yaml").read_text()
    # a folder that cannot be created is named, without a traceback
    blocked = subprocess.run([sys.executable, "-m", "multigrade.run", "profile=smoke",
                              f"paths.output_dir={out / 'metrics.json' / 'inside'}"], cwd=REPO, capture_output=True,
                             text=True, timeout=300)
    assert blocked.returncode == 1 and "Traceback" not in blocked.stderr
    assert f"paths.output_dir {out / 'metrics.json' / 'inside'} cannot be created (Not a directory)" in (
        blocked.stdout + blocked.stderr)


RESUMABLE = ["experiment=p1_synthetic_s2", "profile=quick", "train.epochs=60", "logger=csv",
             "callbacks.log_every_epochs=5", "model.grades=[[128,128],[128,128],[128,128]]",
             "callbacks.progress.refresh_rate=0"]


def logged(folder) -> dict[tuple[str, str], str]:
    """``logs/metrics.csv`` as {(name, step): value}, without the seconds (wall time)."""
    with open(folder / "logs" / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    return {(name, row["step"]): value for row in rows for name, value in row.items()
            if value and name != "step" and not name.endswith("seconds")}


def test_a_run_killed_mid_grade_resumes_to_the_same_numbers(tmp_path):
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    # the uninterrupted reference writes no in-grade checkpoints: writing them changes nothing
    run_module("multigrade.run", *RESUMABLE, "callbacks.checkpoint_every_epochs=null",
               f"paths.output_dir={reference}", cwd=REPO)
    every = "callbacks.checkpoint_every_epochs=10"
    command = [sys.executable, "-m", "multigrade.run", *RESUMABLE, every, f"paths.output_dir={resumed}"]
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (resumed / "checkpoints" / "grade_2.partial.pt").exists() and child.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)  # during grade 2, ten or more of its epochs done
    child.wait()
    assert not (resumed / "metrics.json").exists()
    assert not (resumed / "checkpoints" / "grade_3.pt").exists()
    run_module("multigrade.run", *RESUMABLE, every, f"paths.output_dir={resumed}", cwd=REPO)
    assert re.search(r"grade 2 resumed after epoch (10|20|30|40|50) from", (resumed / "run.log").read_text())
    assert not list((resumed / "checkpoints").glob("*.partial.pt"))

    def numbers(folder):
        grades = json.loads((folder / "metrics.json").read_text())["grades"]
        return [{k: v for k, v in g.items() if k != "seconds"} for g in grades]

    assert numbers(resumed) == numbers(reference)
    assert logged(resumed) == logged(reference)  # grade 1 restored, grade 2 before its stop: logged again
    assert len(logged(reference)) == 3 * (12 * 2 + 5)  # per grade: 12 losses and rates; 4 metrics, the grade
    with np.load(reference / "spectra.npz") as a, np.load(resumed / "spectra.npz") as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("override, message", [
    ("train.epochs=-1", "train.epochs must be a positive integer; got -1"),
    ("train.epochs=abc", "train.epochs must be a positive integer; got 'abc'"),
    ("train.lr_max=fast", "train.lr_max must be a positive number; got 'fast'"),
    ("callbacks.checkpoint_every_epochs=0", "callbacks.checkpoint_every_epochs must be a positive number of epochs,"
                                            " or null (whole grades only); got 0"),
    ("callbacks.log_every_epochs=-1", "callbacks.log_every_epochs must be a positive number of epochs; got -1"),
    ("seeds=[1,1]", "seeds must be different integers (or the models' schedules must differ); got [1, 1]"),
    ("experiment=p3_fredholm_k10 train.batch_size=16", "train.batch_size must be full for p3_fredholm_k10, an"
                                                        " equation coupling all its 80 nodes; got [16]"),
    ("train.lr_min=1", "train.lr_min must be at most lr_max (0.002): the rate decays; got 1.0"),
    ("experiment=p1_mnist_b1_k5", "DatasetNotFoundError: cannot load mnist from /nonexistent"),
    ("data.setting=5", "ValueError('P1 §3.1 has settings 1, 2, 3, 4; got 5'); full_key: data"),
    ("+data.width=3", "unexpected keyword argument 'width'"),
    ("callbacks.spectra.evolution_points=-4", "callbacks.spectra.evolution_points must be a positive number of"
                                              " samples per grade; got -4"),
    ("model.grades=[[8.5]]", "a grade's hidden widths are positive integers; got [8.5]"),
    ("model.grades=[[8,-3]]", "a grade's hidden widths are positive integers; got [8, -3]"),
    ("data.n_train=0", "ValueError('n_train must be a positive number of points; got 0'); full_key: data"),
    ("+train.lr_mx=1e-3", "train.lr_mx is not a setting (Key 'lr_mx' not in 'GradeTrainOverrides'): remove it, or"
                          " check its spelling"),
])
def test_bad_input_stops_with_one_message_naming_it(tmp_path, override, message):
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "profile=smoke", *override.split(), "paths.data_dir=/nonexistent",
         f"paths.output_dir={tmp_path}"], cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    assert message in result.stdout + result.stderr
    assert message in (tmp_path / "run.log").read_text()
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [".hydra", ".lock", "run.log"]  # nothing half-written


@pytest.mark.parametrize("override, message", [
    ("seed=x", "Error merging override seed=x\nValue 'x' of type 'str' could not be converted to Integer\n"
               "    full_key: seed"),
    ("seeds=[0,a]", "Value 'a' of type 'str' could not be converted to Integer\n    full_key: seeds[1]"),
    ("cuda_graph=maybe", "Value 'maybe' is not a valid bool (type str)\n    full_key: cuda_graph"),
    ("callbacks.log_every_epochs=1.5", "Value '1.5' of type 'float' could not be converted to Integer\n"
                                       "    full_key: callbacks.log_every_epochs"),
    ("model.adaptive=often", "Value 'often' is not a valid bool (type str)\n    full_key: model.adaptive"),
    ("train.lr_mx=1e-3", "Could not override 'train.lr_mx'.\nTo append to your config use +train.lr_mx=1e-3\n"
                         "Key 'lr_mx' not in 'GradeTrainOverrides'\n    full_key: train.lr_mx"),
])
def test_a_value_of_the_wrong_type_is_refused_by_the_schema_before_the_run_starts(tmp_path, override, message):
    """The typed schema (``multigrade.schema``): Hydra refuses the override as it composes
    the config, naming the key, before a run folder exists."""
    folder = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "profile=smoke", override, f"paths.output_dir={folder}"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not folder.exists()


def test_hydras_full_error_switch_shows_the_traceback_of_a_refused_argument(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "profile=smoke", "data.setting=5", f"paths.output_dir={tmp_path}"],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "HYDRA_FULL_ERROR": "1"},
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "ValueError: P1 §3.1 has settings 1, 2, 3, 4; got 5" in result.stderr


def test_a_trainer_limit_that_cuts_a_grade_short_stops_the_run_before_saving_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "experiment=p2_sin", "profile=smoke", "+trainer.limit_train_batches=2",
         "logger=none", f"paths.output_dir={tmp_path}"], cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "IncompleteTrainingError: grade 1 stopped after 2 of its 5 epochs" in (tmp_path / "run.log").read_text()
    assert not (tmp_path / "metrics.json").exists() and not list(tmp_path.glob("checkpoints/grade_*.pt"))


def test_reproduce_writes_a_report_against_the_paper(tmp_path):
    out = tmp_path / "reproduce"
    first = run_module("multigrade.reproduce", "--profile", "smoke", "--only", "p1_synthetic_s2", "--out", str(out),
                       cwd=REPO)
    assert "p1_synthetic_s2/sgdl" in first.stdout
    report = (out / "REPORT.md").read_text()
    assert "Not comparable with the papers" in report
    assert "| p1_synthetic_s2 |" in report and "p1_synthetic_s1" not in report
    assert "0.6662" in report and "0.005777" in report  # P1's logged MGDL grade 1, SGDL train
    mgdl = json.loads((out / "runs/p1_synthetic_s2/mgdl/metrics.json").read_text())
    assert f"{mgdl['grades'][-1]['test_rse']:.4g}" in report
    for model in ("mgdl", "sgdl"):
        assert f"(runs/p1_synthetic_s2/{model}/figures/evolution.png)" in report
        assert (out / "runs/p1_synthetic_s2" / model / "figures/evolution.png").is_file()
    assert "(figures/p1_synthetic_s2_mgdl_vs_sgdl.png)" in report  # MGDL's residual spectra beside SGDL's
    assert (out / "figures" / "p1_synthetic_s2_mgdl_vs_sgdl.png").stat().st_size > 10_000
    adaptive = json.loads((out / "runs/p1_synthetic_s2/mgdl_adaptive/metrics.json").read_text())["adaptive"]
    assert f"**MGDL (adaptive)** stopped after grade {adaptive['grades']} ({adaptive['stopped']})" in report
    again = run_module("multigrade.reproduce", "--profile", "smoke", "--only", "p1_synthetic_s2", "--out", str(out),
                       cwd=REPO)
    assert again.stdout.count("finished earlier, reused") == 3


def test_a_multirun_sweep_runs_each_job_into_its_own_folder(tmp_path):
    run_module("multigrade.run", "-m", "experiment=p2_sin", "profile=smoke", "train.epochs=1", "seed=0,1",
               "logger=none", f"paths.output_root={tmp_path}", "callbacks.progress.refresh_rate=0", cwd=REPO)
    found = sorted(tmp_path.glob("multirun/*/*/metrics.json"))
    assert [path.parent.name for path in found] == ["0", "1"]
    seeds = [json.loads(path.read_text())["seed"] for path in found]
    assert seeds == [0, 1]


def test_seeds_side_by_side_write_the_run_folders_their_own_runs_would(tmp_path):
    common = ("multigrade.run", "experiment=p1_synthetic_s2", "profile=smoke", "callbacks.progress.refresh_rate=0")
    stacked, alone = tmp_path / "stacked", tmp_path / "alone"
    run_module(*common, "seeds=[0,3]", f"paths.output_dir={stacked}", cwd=REPO)
    run_module(*common, "seed=3", f"paths.output_dir={alone}", cwd=REPO)
    own = json.loads((alone / "metrics.json").read_text())
    side = json.loads((stacked / "seed_3" / "metrics.json").read_text())
    assert side["seed"] == 3
    assert {**side["config"], "paths": None} == {**own["config"], "paths": None}  # seed 3's, seeds null
    assert Path(side["config"]["paths"]["output_dir"]) == stacked / "seed_3"  # the folder it is in
    for a, s in zip(own["grades"], side["grades"], strict=True):
        for name in ("train_rse", "val_rse", "test_rse", "final_loss"):
            assert s[name] == pytest.approx(a[name], rel=1e-5), name
    with np.load(alone / "spectra.npz") as a, np.load(stacked / "seed_3" / "spectra.npz") as s:
        assert a.files == s.files
        for name in ("residual", "evolution"):  # the same up to the rounding of batched products
            np.testing.assert_allclose(s[name], a[name], rtol=1e-4, atol=1e-4 * np.abs(a[name]).max())
    for seed in (0, 3):
        assert sorted(p.name for p in (stacked / f"seed_{seed}" / "checkpoints").iterdir()) == \
            [f"grade_{k}.pt" for k in (1, 2, 3, 4)]
        assert (stacked / f"seed_{seed}" / "figures" / "spectra.png").is_file()
    summary = json.loads((stacked / "metrics.json").read_text())
    seed_0 = json.loads((stacked / "seed_0" / "metrics.json").read_text())
    assert summary["seeds"] == [0, 3] and summary["runs"] == ["seed_0", "seed_3"]
    last = [seed_0["grades"][-1]["test_rse"], side["grades"][-1]["test_rse"]]
    assert summary["grades"][-1]["test_rse"] == pytest.approx(np.mean(last))
    assert summary["grades_std"][-1]["test_rse"] == pytest.approx(np.std(last, ddof=1))

    curves = logged(stacked)
    assert ("grade_4/loss_1", "5") in curves and ("grade/test_rse", "4") in curves  # seed 3's curve, the means
    (stacked / "seed_0" / "checkpoints" / "grade_4.pt").unlink()  # as if killed while saving grade 4
    (stacked / "metrics.json").unlink()
    rerun = run_module(*common, "seeds=[0,3]", f"paths.output_dir={stacked}", cwd=REPO)
    assert "grades 1..3 of 2 models restored" in rerun.stdout + rerun.stderr
    assert logged(stacked) == curves  # the restored grades logged again, as trained
    again = json.loads((stacked / "metrics.json").read_text())
    assert [g | {"seconds": 0} for g in again["grades"]] == [g | {"seconds": 0} for g in summary["grades"]]


@pytest.mark.parametrize("experiment, solver, bound, grades, fit", [
    ("p3_fredholm_k10", "nystrom", 1e-5, 3, "residual"),
    ("helmholtz1d_k10", "direct", 1e-3, 3, "residual"),
    ("helmholtz2d_k10", "direct", 1e-3, 3, "residual"),
    ("helmholtz2d_fdmgdl_k10", "direct", 1e-2, 6, "direct solve"),  # the scheme's own error at k h = 1/6
])
def test_an_equation_run_reports_its_error_beside_the_classical_solve(tmp_path, experiment, solver, bound, grades,
                                                                      fit):
    run_module("multigrade.run", f"experiment={experiment}", "profile=smoke", f"paths.output_dir={tmp_path}",
               "callbacks.progress.refresh_rate=0", cwd=REPO)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["metrics"] == ["rel_l2"] and len(metrics["grades"]) == grades
    assert 0 < metrics["baselines"][solver]["test_rel_l2"] < bound  # interpolated between the nodes
    with np.load(tmp_path / "spectra.npz") as spectra:
        assert spectra["residual"].shape[0] == grades
    outcome = RunOutcome(PlannedRun(experiment, "mgdl", experiment), tmp_path, metrics, tmp_path / "run.log")
    report = write_report(tmp_path, "smoke", [outcome], 1.0).read_text()
    assert "## Equations: error against the wavenumber" in report
    assert f"| {experiment} | 10 | {metrics['grades'][-1]['test_rel_l2']:.4g} | — |" in report
    assert report.count(f" | {solver} | {fit} |") == 1
