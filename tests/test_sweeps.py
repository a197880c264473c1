"""Sweeps: the summary of a multirun folder, Optuna studies, the joblib and submitit
launchers (the SLURM launcher's code path, run locally)."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from multigrade.io import write_json
from multigrade.run_folder import FAILED_FILE
from multigrade.sweeps.summary import collect, write_summary

REPO = Path(__file__).resolve().parents[1]
SMOKE = ("experiment=p2_sin", "profile=smoke", "train.epochs=2", "logger=none", "callbacks.progress.refresh_rate=0")


def sweep(tmp_path: Path, *overrides: str, ok: bool = True, base: tuple[str, ...] = SMOKE) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "multigrade.run", "-m", *base, *overrides,
                             f"paths.output_root={tmp_path}"], cwd=REPO, capture_output=True, text=True, check=False,
                            timeout=600)
    assert (result.returncode == 0) == ok, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def summary_rows(tmp_path: Path) -> list[dict]:
    (folder,) = (tmp_path / "multirun").iterdir()
    with open(folder / "sweep_summary.csv") as handle:
        return list(csv.DictReader(handle))


def fake_job(folder: Path, overrides: list[str], test_rse: float | None, config_seed: int | None = None) -> None:
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    if config_seed is not None:  # the composed config Hydra saves beside the overrides
        (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"seed": config_seed}))
    if test_rse is not None:
        write_json(folder / "metrics.json", {
            "metrics": ["rse"], "total_seconds": 1.0,
            "grades": [{"train_rse": 1.0, "val_rse": 1.0, "test_rse": 1.0},
                       {"train_rse": 0.1, "val_rse": 0.2, "test_rse": test_rse}]})


def test_the_summary_lists_every_job_and_the_statistics_over_seeds(tmp_path):
    fake_job(tmp_path / "0", ["lr=1", "seed=0"], 0.1)
    fake_job(tmp_path / "1", ["lr=1", "seed=1"], 0.3)
    fake_job(tmp_path / "2", ["lr=2", "seed=0"], 0.5)
    fake_job(tmp_path / "10", ["lr=2", "seed=1"], None)  # killed: no metrics.json
    fake_job(tmp_path / "11", ["lr=3", "seed=0"], None)
    (tmp_path / "11" / FAILED_FILE).write_text("ConfigError: lr must be at most 2\n")
    assert [job.folder.name for job in collect(tmp_path)] == ["0", "1", "2", "10", "11"]
    csv_path, md_path = write_summary(tmp_path)
    rows = list(csv.DictReader(csv_path.open()))
    assert [(r["job"], r["status"], r["lr"], r["test_rse"]) for r in rows] == [
        ("0", "done", "1", "0.1"), ("1", "done", "1", "0.3"), ("2", "done", "2", "0.5"), ("10", "unfinished", "2", ""),
        ("11", "failed", "3", "")]
    text = md_path.read_text()
    assert "3 of 5 jobs finished, 1 failed" in text and "- job 11: ConfigError: lr must be at most 2" in text
    assert "| 1 | 2/2 | 0.1 ± 0 | 0.2 ± 0 | 0.2 ± 0.14 | 1 ± 0 |" in text  # the last grade's numbers, mean ± std
    assert "| 2 | 1/2 | 0.1 | 0.2 | 0.5 | 1 |" in text
    with pytest.raises(FileNotFoundError, match="holds no jobs"):
        write_summary(tmp_path / "0")


def test_a_setting_run_twice_with_one_seed_counts_once_over_seeds(tmp_path):
    fake_job(tmp_path / "0", ["lr=1"], 0.1)  # an Optuna study's trial, drawn again
    fake_job(tmp_path / "1", ["lr=1"], 0.1)
    fake_job(tmp_path / "2", ["lr=2", "seed=0"], None)
    fake_job(tmp_path / "3", ["lr=2", "seed=0"], 0.5)
    fake_job(tmp_path / "4", ["lr=2", "seed=1"], 0.3)
    fake_job(tmp_path / "5", ["lr=3", "seed=0"], 0.7, config_seed=0)
    fake_job(tmp_path / "6", ["lr=3"], 0.7, config_seed=0)  # the config's own seed: 0 again
    fake_job(tmp_path / "7", ["lr=3"], 0.9, config_seed=4)
    text = write_summary(tmp_path)[1].read_text()
    assert "| 3 | 2/2 | 0.1 ± 0 | 0.2 ± 0 | 0.8 ± 0.14 | 1 ± 0 |" in text
    assert "| 1 | 1/1 | 0.1 | 0.2 | 0.1 | 1 |" in text  # not 2/2 seeds, as if seed 0 had run twice
    assert "| 2 | 2/2 | 0.1 ± 0 | 0.2 ± 0 | 0.4 ± 0.14 | 1 ± 0 |" in text  # seed 0's finished job, and seed 1's


def test_a_jobs_seed_is_read_from_its_config_line_or_resolved_where_interpolated(tmp_path):
    from multigrade.sweeps.summary import config_seed
    config = tmp_path / "config.yaml"
    config.write_text("name: p2_sin\nseed: 3\nseeds: null\ntrain:\n  seed: 9\n")
    assert config_seed(config) == "3"  # the top-level key, not a nested one
    config.write_text("base: 7\nseed: ${base}\n")
    assert config_seed(config) == "7"
    config.write_text("name: p2_sin\n")
    assert config_seed(config) == ""


def test_the_summary_command_names_a_folder_that_is_no_sweep(tmp_path):
    result = subprocess.run([sys.executable, "-m", "multigrade.sweeps.summary", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'none'} is not a folder; pass the folder a multirun wrote" in result.stderr


@pytest.mark.slow
def test_a_failed_job_leaves_the_others_running_and_is_named_in_the_summary(tmp_path):
    """Bad input in job 0, a diverging job 1, a good job 2: the sweep runs all three, ends
    with exit status 1 and writes a summary that says which failed and why."""
    result = sweep(tmp_path, "train.lr_max=-1,1e6,1e-3", ok=False)
    assert "ConfigError: train.lr_max must be a positive number" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr  # the first failed job's overrides and message, at the end
    ending = result.stderr.rstrip().splitlines()[-3:]  # Hydra adds its line on HYDRA_FULL_ERROR
    assert ending[0].startswith("ConfigError: train.lr_max must be a positive number"), ending
    rows = summary_rows(tmp_path)
    assert [(r["job"], r["status"]) for r in rows] == [("0", "failed"), ("1", "failed"), ("2", "done")]
    assert float(rows[2]["test_rse"]) > 0
    (folder,) = (tmp_path / "multirun").iterdir()
    text = (folder / "sweep_summary.md").read_text()
    assert "1 of 3 jobs finished, 2 failed." in text
    assert "- job 0: ConfigError: train.lr_max must be a positive number; got -1" in text
    assert "- job 1: NonFiniteLossError: grade 2: the training loss is nan" in text


@pytest.mark.slow
def test_an_optuna_study_minimises_the_validation_rse_the_jobs_return(tmp_path):
    sweep(tmp_path, "hparams_search=p1_schedule", "hydra.sweeper.n_trials=3")
    rows = summary_rows(tmp_path)
    assert len(rows) == 3 and all(r["status"] == "done" for r in rows)
    (folder,) = (tmp_path / "multirun").iterdir()
    best = yaml.safe_load((folder / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(min(float(r["val_rse"]) for r in rows))
    winner = min(rows, key=lambda r: float(r["val_rse"]))
    assert float(winner["train.lr_max"]) == best["best_params"]["train.lr_max"]


@pytest.mark.slow
def test_a_study_that_maximises_an_error_is_refused_before_training(tmp_path):
    result = sweep(tmp_path, "hparams_search=p1_schedule", "hydra.sweeper.n_trials=1",
                   "hydra.sweeper.direction=maximize", ok=False)
    output = result.stdout + result.stderr
    assert "the sweep optimises val_rse, where lower is better" in output
    assert "set hydra.sweeper.direction=minimize" in output and "Traceback" not in output
    assert not list(tmp_path.glob("multirun/*/0/metrics.json"))
    assert [(r["job"], r["status"]) for r in summary_rows(tmp_path)] == [("0", "failed")]
    (folder,) = (tmp_path / "multirun").iterdir()
    assert "- job 0: SweepError: the sweep optimises val_rse" in (folder / "sweep_summary.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("launcher", [("hydra/launcher=joblib", "hydra.launcher.n_jobs=2"), ("cluster=local",)])
def test_parallel_and_submitit_jobs_end_as_the_basic_launcher_does(tmp_path, launcher):
    sweep(tmp_path / "basic", "seed=0,1")
    sweep(tmp_path / "other", "seed=0,1", *launcher)
    basic, other = summary_rows(tmp_path / "basic"), summary_rows(tmp_path / "other")
    assert [r["seed"] for r in other] == ["0", "1"]
    assert [r["test_rse"] for r in other] == [r["test_rse"] for r in basic]
    if launcher == ("cluster=local",):
        (folder,) = (tmp_path / "other" / "multirun").iterdir()
        assert list((folder / ".submitit").iterdir()), "submitit wrote no job folders"


@pytest.mark.slow
def test_jobs_side_by_side_end_as_the_basic_launcher_ends_them(tmp_path):
    # ReLU grades at moderate rates: batched and single products round differently, and
    # sine grades at P2's rates (1e-1) amplify that into other minima within an epoch
    grid = ("experiment=p1_synthetic_s2", "profile=smoke", "callbacks.progress.refresh_rate=0",
            "seed=0,1", "train.lr_max=1e-3,3e-3", "train.epochs=4")
    sweep(tmp_path / "basic", *grid, "logger=none", base=())
    stacked = sweep(tmp_path / "stacked", *grid, "logger=csv", "hydra/launcher=stacked", base=())
    assert "jobs #0, #1, #2, #3 train side by side" in stacked.stdout + stacked.stderr
    basic, side = summary_rows(tmp_path / "basic"), summary_rows(tmp_path / "stacked")
    assert [(r["seed"], r["train.lr_max"]) for r in side] == [(r["seed"], r["train.lr_max"]) for r in basic]
    for name in ("train_rse", "val_rse", "test_rse"):  # up to the rounding of batched products (3e-4 seen)
        assert [float(r[name]) for r in side] == pytest.approx([float(r[name]) for r in basic], rel=1e-3)
    assert len({r["test_rse"] for r in side}) == 4  # four different models
    (folder,) = (tmp_path / "stacked" / "multirun").iterdir()
    for job in range(4):  # each job's folder holds what it holds run alone, its curves included
        config = yaml.safe_load((folder / str(job) / ".hydra" / "config.yaml").read_text())
        metrics = json.loads((folder / str(job) / "metrics.json").read_text())
        assert metrics["config"]["seed"] == config["seed"] and metrics["config"]["train"] == config["train"]
        with open(folder / str(job) / "logs" / "metrics.csv") as handle:
            rows = list(csv.DictReader(handle))
        last = f"grade_{len(metrics['grades'])}/loss"
        losses = [float(r[last]) for r in rows if r.get(last)]
        assert losses[-1] == pytest.approx(metrics["grades"][-1]["final_loss"])


def test_jobs_group_by_all_but_seed_learning_rates_progress_display_and_logger():
    from conftest import job_config

    from multigrade.sweeps.side_by_side import group_jobs
    jobs = [job_config("experiment=p2_sin", *extra) for extra in
            [("seed=0",), ("seed=1", "train.lr_max=0.03"), ("train.epochs=7",), ("seed=2", "train.lr_min=1e-5"),
             ("model.adaptive=true",), ("model.adaptive=true", "seed=1"), ("seed=0", "callbacks.progress.refresh_rate=3"),
             ("seed=0",),  # the first again: two models of one group must differ
             ("seed=3", "callbacks.progress.refresh_rate=0", "logger=none"), ("seed=4", "logger=wandb"),
             ("seed=5", "callbacks.log_every_epochs=5"), ("seed=6", "train.lr_max=-1"),  # refused: alone
             ("seed=7", "train.lr_min=1")]]  # a final rate above the first: refused, alone
    assert group_jobs(jobs) == [[0, 1, 3, 8, 9], [2], [4], [5], [6], [7], [10], [11], [12]]
    assert group_jobs([job_config("experiment=p2_sin", "seed=0"), job_config(config_name="snn")]) == [[0], [1]]


def test_a_job_of_a_group_returns_the_outcome_its_first_job_recorded(tmp_path):
    from hydra_plugins.multigrade_launcher.stacked_launcher import StackedLauncher
    from multigrade.jobs import JobFailed
    from multigrade.errors import NonFiniteLossError
    folders = [tmp_path / "0", tmp_path / "1"]
    for value, folder in zip((0.5, 0.25), folders):  # results of an earlier run of the same sweep
        write_json(folder / "metrics.json", {"metrics": ["rse"], "grades": [{"val_rse": value}]})
    launcher, tasks = StackedLauncher(), [None, None]

    def result(outcomes):
        return launcher.task_for([0, 1], 1, tasks, folders, outcomes)(None)

    with pytest.raises(RuntimeError, match="the first job of this job's group, which trains it, did not run"):
        result({})
    with pytest.raises(JobFailed, match=r"its group, trained by its first job, failed \(OSError: disk full\)"):
        result({0: OSError("disk full"), 1: OSError("disk full")})
    with pytest.raises(NonFiniteLossError, match="model 1 is this job"):
        result({0: 0.5, 1: NonFiniteLossError("grade 1: ... (model 1 is this job, of the 2 trained side by side)", [1])})
    assert result({0: 0.5, 1: 0.25}) == 0.25


@pytest.mark.slow
def test_jobs_side_by_side_that_fail_fail_alone(tmp_path):
    """Job 1's settings are refused: it runs alone and fails. Job 2 diverges in the group
    of jobs 0 and 2: job 0 trains on without it, as it trains alone."""
    result = sweep(tmp_path / "stacked", "train.lr_max=2e-3,-1,1e8", "hydra/launcher=stacked", ok=False)
    assert "jobs #0, #2 train side by side" in result.stdout + result.stderr
    rows = summary_rows(tmp_path / "stacked")
    assert [(r["job"], r["status"]) for r in rows] == [("0", "done"), ("1", "failed"), ("2", "failed")]
    (folder,) = (tmp_path / "stacked" / "multirun").iterdir()
    assert (folder / "1" / FAILED_FILE).read_text().startswith("ConfigError: train.lr_max must be a positive")
    failed = (folder / "2" / FAILED_FILE).read_text()
    assert re.match(r"NonFiniteLossError: grade \d: the training loss is model 1: nan at epoch \d", failed)
    assert "(model 1 is this job, of the 2 trained side by side)" in failed
    sweep(tmp_path / "alone", "train.lr_max=2e-3")
    (alone,) = summary_rows(tmp_path / "alone")
    for name in ("train_rse", "val_rse", "test_rse"):
        assert float(rows[0][name]) == pytest.approx(float(alone[name]), rel=1e-3)


def test_an_equation_sweep_side_by_side_is_refused_with_the_launcher_to_use(tmp_path):
    result = subprocess.run([sys.executable, "-m", "multigrade.run", "-m", "experiment=helmholtz1d_k10",
                             "profile=smoke", "logger=none", "seed=0,1", "hydra/launcher=stacked",
                             f"paths.output_root={tmp_path}"], cwd=REPO, capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 1
    assert ("helmholtz1d_k10 is an equation: its jobs train one by one; use the basic launcher"
            in result.stdout + result.stderr)


def launcher_config(*overrides: str):
    """The ``hydra.launcher`` node a multirun with ``overrides`` hands to its launcher."""
    from hydra import compose, initialize_config_dir

    from multigrade.jobs import CONF_DIR

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", return_hydra_config=True, overrides=list(overrides))
    return cfg.hydra.launcher


def test_cluster_slurm_submits_one_task_per_job_with_the_settings_given():
    launcher = launcher_config("cluster=slurm", "cluster_settings.partition=gpu", "cluster_settings.time_min=600",
                               "cluster_settings.requeues=2")
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.partition, launcher.timeout_min, launcher.gpus_per_node, launcher.tasks_per_node) == \
        ("gpu", 600, 1, 1)
    assert launcher.max_num_timeout == 2  # requeued on timeout, twice at most


def test_a_cluster_job_of_more_than_one_gpu_is_refused_before_any_job_is_submitted(tmp_path):
    result = sweep(tmp_path, "seed=0,1", "cluster=local", "cluster_settings.gpus=2", ok=False)
    assert ("SweepError: cluster_settings.gpus=2: each job of a multirun trains on one device, so it takes 0 or 1"
            " GPU") in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "multirun").exists()


class Submitted(Exception):
    """Stops a submitit job at its start, carrying the job's CUDA_VISIBLE_DEVICES."""


@pytest.mark.parametrize("overrides, devices", [((), "0"), (("cluster_settings.gpus=0",), "")])
def test_cluster_local_shows_each_job_a_gpu_unless_told_otherwise(tmp_path, monkeypatch, overrides, devices):
    import submitit
    import submitit.local.local

    launcher = launcher_config("cluster=local", *overrides)
    assert launcher._target_.endswith("submitit_launcher.LocalLauncher") and launcher.timeout_min == 240

    def start_controller(**kwargs):
        raise Submitted(kwargs["cuda_devices"])

    monkeypatch.setattr(submitit.local.local, "start_controller", start_controller)
    executor = submitit.AutoExecutor(cluster="local", folder=tmp_path)
    executor.update_parameters(gpus_per_node=launcher.gpus_per_node, timeout_min=launcher.timeout_min)
    with pytest.raises(Submitted) as started:
        executor.submit(print)
    assert started.value.args == (devices,)  # "": the job sees no GPU and trains on the CPU
