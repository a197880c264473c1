"""Runs that share a machine: one run per folder, default folders that never collide, an
honest exit on SIGTERM and SIGINT, derived files rebuilt on a restart, splits that agree."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import multigrade as mg
from conftest import REPO
from multigrade.analysis import load_run

pytestmark = pytest.mark.slow

QUICK = ["experiment=p1_synthetic_s2", "logger=none", "callbacks.progress.refresh_rate=0"]


def start(*overrides: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "multigrade.run", *QUICK, *overrides], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path, child: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert child.poll() is None, child.stdout.read()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def test_a_second_run_into_a_held_folder_stops_at_once_naming_the_holder(tmp_path):
    folder = tmp_path / "run"
    first = start("profile=quick", "train.epochs=100", "seed=0", f"paths.output_dir={folder}")
    wait_for(folder / ".hydra", first)
    second = subprocess.run([sys.executable, "-m", "multigrade.run", *QUICK, "profile=smoke", "seed=1",
                             f"paths.output_dir={folder}"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert f"{folder} is in use by another run (process {first.pid}" in second.stdout + second.stderr
    output, _ = first.communicate(timeout=600)
    assert first.returncode == 0, output
    assert json.loads((folder / "metrics.json").read_text())["seed"] == 0
    assert "seed=1" not in (folder / ".hydra" / "overrides.yaml").read_text()


def test_runs_started_together_into_default_folders_get_folders_of_their_own(tmp_path):
    children = [start("profile=smoke", f"seed={seed}", f"paths.output_root={tmp_path}") for seed in (0, 1)]
    outputs = [child.communicate(timeout=600)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    folders = sorted(tmp_path.glob("runs/p1_synthetic_s2/mgdl/*"))
    assert len(folders) == 2
    assert sorted(json.loads((f / "metrics.json").read_text())["seed"] for f in folders) == [0, 1]
    assert not any("RunFolder" in output for output in outputs)  # the folder check ran without a warning


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_saves_the_grade_says_how_to_resume_and_exits_non_zero(tmp_path, signum, status):
    folder = tmp_path / "run"
    child = start("profile=quick", "train.epochs=60", "callbacks.checkpoint_every_epochs=1000",
                  f"paths.output_dir={folder}")
    wait_for(folder / "checkpoints" / "grade_1.pt", child)
    child.send_signal(signum)  # during grade 2
    output, _ = child.communicate(timeout=300)
    assert child.returncode == status, output
    name = signal.Signals(signum).name
    assert f"stopped by {name} in grade 2 after epoch" in output and "run the same command again" in output
    assert "Traceback" not in output and not (folder / "metrics.json").exists()
    partial = folder / "checkpoints" / "grade_2.partial.pt"
    assert partial.is_file()  # saved at the stop, though in-grade checkpoints come every 1000 epochs
    resumed = subprocess.run(child.args, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0 and "grade 2 resumed after epoch" in resumed.stdout + resumed.stderr


def test_a_multirun_stopped_by_a_signal_exits_non_zero_naming_the_jobs_not_run(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "multigrade.run", "-m", *QUICK, "profile=quick",
                              "train.epochs=60", "seed=0,1,2", f"hydra.sweep.dir={tmp_path}"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(tmp_path / "0" / "checkpoints" / "grade_1.pt", child)
    child.send_signal(signal.SIGTERM)
    output, _ = child.communicate(timeout=300)
    assert child.returncode == 143, output
    assert "stopped by SIGTERM in grade" in output and "jobs #1 (seed=1), #2 (seed=2) were not run" in output
    assert not (tmp_path / "1").exists()


def test_a_restart_rebuilds_the_files_computed_from_the_grades(tmp_path):
    folder = tmp_path / "run"
    command = [sys.executable, "-m", "multigrade.run", *QUICK, "profile=smoke", f"paths.output_dir={folder}"]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True, timeout=300)
    with np.load(folder / "spectra.npz") as saved:
        spectra = dict(saved)
    (folder / "metrics.json").unlink()
    (folder / "spectra.npz").write_bytes(np.random.default_rng(0).bytes(300))
    (folder / "curves.npz").unlink()
    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and "grades 1..4 restored" in rerun.stdout + rerun.stderr
    run = load_run(folder)
    assert set(run.spectra) == set(spectra)
    for name, array in spectra.items():
        np.testing.assert_array_equal(run.spectra[name], array, err_msg=name)
    assert len(run.histories) == 4


def test_splits_whose_widths_differ_are_refused_naming_them():
    x, y = np.linspace(0, 1, 50)[:, None], np.sin(np.linspace(0, 1, 50))[:, None]
    with pytest.raises(ValueError, match=r"the test split has inputs \(20, 1\) and targets \(20, 2\), the train"
                                         r" split \(50, 1\) and \(50, 1\): every split needs the training split's 1"
                                         r" input and 1 target columns"):
        mg.RegressionData.from_arrays("own", {"train": (x, y), "test": (x[:20], np.hstack([y[:20], y[:20]]))})
    with pytest.raises(ValueError, match=r"the val split has inputs \(20, 2\)"):
        mg.fit([mg.GradeSpec([8])], mg.GradeSchedule(1, None, 1e-3, 1e-3), x, y, val=(np.hstack([x, x])[:20], y[:20]))
