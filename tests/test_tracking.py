"""``logger=wandb`` offline: what each run folder holds, in a multirun of three jobs, the
first of which fails."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_an_offline_wandb_sweep_logs_config_grades_figures_and_table_per_job(tmp_path):
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "-m", "experiment=p2_sin", "profile=smoke", "train.epochs=2",
         "train.lr_max=1e30,2e-3,1e-3", "logger=wandb", f"paths.output_root={tmp_path}",
         "callbacks.progress.refresh_rate=0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]  # job 0's loss is NaN: it fails, the others run
    (sweep,) = (tmp_path / "multirun").iterdir()
    (failed,) = (sweep / "0" / "wandb").glob("offline-run-*")
    (log,) = failed.glob("run-*.wandb")
    assert b"grade/val_rse" not in log.read_bytes()  # closed when it failed, not taken over by job 1
    for job in ("1", "2"):
        folder = sweep / job
        (run,) = (folder / "wandb").glob("offline-run-*")
        metrics = json.loads((folder / "metrics.json").read_text())
        assert Path(metrics["config"]["paths"]["output_dir"]) == folder  # the folder it wrote, as logged
        grades = metrics["grades"]
        media = run / "files" / "media"
        assert {p.name.split("_")[0] for p in (media / "images" / "figures").glob("*.png")} == {
            "spectra", "evolution", "loss", "fit"}
        (table_file,) = (media / "table").glob("grades_*.table.json")
        table = json.loads(table_file.read_text())
        rows = [dict(zip(table["columns"], row)) for row in table["data"]]
        assert [r["grade"] for r in rows] == [g["grade"] for g in grades] == [1, 2, 3]
        assert [r["val_rse"] for r in rows] == pytest.approx([g["val_rse"] for g in grades])
        (log,) = run.glob("run-*.wandb")
        records = log.read_bytes()
        # the per-grade series on the grade axis, the config, the group and the sweep's tag
        lr = {"1": "0.002", "2": "0.001"}[job]  # the job's name: its number and what it trains
        name = f"{job}: experiment=p2_sin profile=smoke train.epochs=2 train.lr_max={lr}".encode()
        for expected in (b"grade/val_rse", b"grade/test_rse", b"p2_sin", b"lr_max", f"sweep:{sweep.name}".encode(),
                         name):
            assert expected in records, expected


@pytest.mark.slow
def test_jobs_side_by_side_log_to_wandb_runs_named_each_by_its_own_job(tmp_path):
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "-m", "experiment=p2_sin", "profile=smoke", "train.epochs=2",
         "seed=0,1", "logger=wandb", "hydra/launcher=stacked", f"paths.output_root={tmp_path}",
         "callbacks.progress.refresh_rate=0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep,) = (tmp_path / "multirun").iterdir()
    for job in ("0", "1"):
        (run,) = (sweep / job / "wandb").glob("offline-run-*")
        (log,) = run.glob("run-*.wandb")
        assert f"{job}: experiment=p2_sin profile=smoke train.epochs=2 seed={job}".encode() in log.read_bytes()
        metrics = json.loads((sweep / job / "metrics.json").read_text())
        assert Path(metrics["config"]["paths"]["output_dir"]) == sweep / job  # its own folder, not the first's


@pytest.mark.slow
def test_tensorboard_and_extra_callbacks_from_the_command_line(tmp_path):
    """``logger=tensorboard`` records every grade's loss per epoch; a callback of
    ``callbacks.extra`` (Lightning's learning-rate monitor) joins every grade's trainer."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monitor = "callbacks.extra=[{_target_: lightning.pytorch.callbacks.LearningRateMonitor}]"
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "experiment=p2_sin", "profile=smoke", "trainer=cpu",
         "logger=tensorboard", monitor, "callbacks.log_every_epochs=1", "callbacks.progress.refresh_rate=0",
         f"paths.output_dir={tmp_path}"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    scalars = EventAccumulator(str(tmp_path / "logs")).Reload().scalars  # its event files in order
    grades = json.loads((tmp_path / "metrics.json").read_text())["grades"]
    tags = scalars.Keys()
    losses = {tag: [e.value for e in scalars.Items(tag)] for tag in tags if tag.startswith("grade_") and "loss" in tag}
    assert len(losses) == len(grades) == 3 and all(len(values) == 5 for values in losses.values()), tags
    for grade, (tag, values) in zip(grades, sorted(losses.items())):
        assert values[-1] == pytest.approx(grade["final_loss"], rel=1e-5), tag
    assert any(tag.startswith("lr-") for tag in tags), tags  # the monitor's series
