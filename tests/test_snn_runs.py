"""The spiking runs compose from ``conf/snn.yaml`` and train end to end in the smoke profile."""

import csv
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import lightning.pytorch as L
import numpy as np
import pytest
import torch
from lightning.pytorch.demos.boring_classes import BoringModel

from conftest import REPO, is_share_of, job_config, needs_digits
from multigrade.errors import ConfigError, IncompleteTrainingError
from multigrade.settings import schedule_settings
from multigrade.snn import (RUN_KEYS, build_target, check_run_settings, check_trained, deployment, run,
                            uses_paper_settings)
from multigrade.spiking.targets import DeploymentTarget


def snn_config(*overrides):
    return job_config(*overrides, config_name="snn")


def test_the_paper_profile_is_yins_schedule_and_network():
    cfg = snn_config("profile=paper")
    assert schedule_settings(cfg) == {"epochs": 400, "lr_max": 1e-3, "lr_min": 1e-5}
    assert list(cfg.student.sizes) == [784, 1024, 1024, 10]
    assert (cfg.student.input_dropout, cfg.student.hidden_dropout) == (0.1, 0.3)
    assert cfg.digits.batch_size == 100 and cfg.digits.limit is None
    smoke = snn_config("profile=smoke", "train.lr_max=3e-3")
    assert schedule_settings(smoke) == {"epochs": 5, "lr_max": 3e-3, "lr_min": 1e-4}
    assert smoke.digits.limit == 1000


@pytest.mark.parametrize("overrides, paper", [
    (("profile=paper",), True),
    (("profile=paper", "student.mode=continuous", "method.train_steps=4", "seed=2", "logger=none",
      "paths.output_dir=/tmp/x", "train.lr_min=1e-5"), True),  # the paper's other mode; bookkeeping
    (("profile=quick",), False),  # 10 epochs, not 400
    (("profile=paper", "train.epochs=100"), False),
    (("profile=paper", "student.hidden_dropout=0.5"), False),
    (("profile=paper", "digits=fashion_mnist"), False),
    (("profile=paper", "digits.limit=1000"), False),
    (("profile=paper", "method.readout=membrane"), False),
    (("profile=paper", "spiking=distill_mnist"), False),  # Liu & Yi publish no schedule
])
def test_paper_settings_are_the_published_schedule_digits_and_networks_unchanged(overrides, paper):
    cfg = snn_config(*overrides)
    assert uses_paper_settings(cfg, schedule_settings(cfg)) is paper


def test_a_missing_schedule_names_the_key():
    with pytest.raises(ConfigError, match="defines no schedules.quick"):
        schedule_settings(snn_config("~schedules.quick"))


@needs_digits()
@pytest.mark.parametrize("overrides", [("student.mode=discontinuous",),
                                       ("student.mode=continuous", "method.train_steps=2",
                                        "method.readout=membrane", "digits=fashion_mnist")])
def test_a_smoke_run_writes_its_metrics(tmp_path, overrides):
    cfg = snn_config("profile=smoke", f"paths.output_dir={tmp_path}",
                     "trainer.enable_progress_bar=false", "student.sizes=[784,64,64,10]", *overrides)
    run(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs"] == 5 and metrics["paper_settings"] is False
    # the keys a deployment target's kind may not take are those the run writes
    assert {key for key in metrics if not key.startswith(("val_", "test_"))} == set(RUN_KEYS) - {"deploy_seconds"}
    assert metrics["total_seconds"] == metrics["train_seconds"] > 0
    with open(tmp_path / "logs" / "metrics.csv") as handle:
        losses = [float(row["train/loss"]) for row in csv.DictReader(handle) if row.get("train/loss")]
    assert len(losses) == 5 and losses[-1] < 0.8 * losses[0], losses
    assert is_share_of(metrics["test_accuracy"], 1000)  # of the 1000 test images
    activity = metrics["test_activity"]
    spiking_layers = 2 if "method.readout=membrane" in overrides else 3
    assert activity["images"] == 1000 and "estimate" in activity["estimate"]
    student = activity["student"]
    assert len(student["spikes"]) == spiking_layers and student["spikes"][0] > 0
    # every hidden spike reaches the next layer's 64 (then 10) neurons once per step
    assert [layer["sops"] for layer in student["layers"]][1:] == pytest.approx(
        [student["spikes"][0] * 64, student["spikes"][1] * 10])
    assert student["dense_macs"] == 784 * 64 + 64 * 64 + 64 * 10


@needs_digits()
@pytest.mark.parametrize("experiment", ["distill_mnist", "distill_mnist_conv"])
def test_a_distillation_smoke_run_trains_teacher_and_student(tmp_path, experiment):
    cfg = snn_config(f"spiking={experiment}", "kd=snn_to_dnn", "profile=smoke", f"paths.output_dir={tmp_path}",
                     "trainer.enable_progress_bar=false", "student.steps=4")
    run(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.5 and metrics["test_teacher_accuracy"] > 0.5
    activity = metrics["test_activity"]
    assert activity["teacher"]["sops"] == 0 and activity["teacher"]["macs"] == activity["teacher"]["dense_macs"]
    assert 0 < activity["student"]["energy_pj"] < 4 * activity["student"]["dense_energy_pj"]
    with open(tmp_path / "logs" / "metrics.csv") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("train/loss")]
    assert {"train/output", "train/intermediate", "train/snn_to_dnn"} <= {k for k, v in rows[0].items() if v}
    assert float(rows[-1]["train/student_ce"]) < float(rows[0]["train/student_ce"])


def test_the_ablation_is_one_sweep_over_the_kd_group():
    weights = {}
    for kd in ("alone", "output", "intermediate", "snn_to_dnn"):
        method = snn_config("spiking=distill_mnist", f"kd={kd}").method
        weights[kd] = (method.output_weight > 0, method.intermediate_weight > 0, method.snn_to_dnn_weight > 0)
    assert weights == {"alone": (False, False, False), "output": (True, False, False),
                       "intermediate": (True, True, False), "snn_to_dnn": (True, True, True)}


@pytest.mark.slow
@needs_digits()
def test_two_ddp_processes_share_the_data_and_write_one_run_folder(tmp_path):
    folder = tmp_path / "runs" / "ddp"
    result = subprocess.run(
        [sys.executable, "-m", "multigrade.snn", "profile=smoke", "trainer.accelerator=cpu", "trainer.devices=2",
         "trainer.strategy=ddp", "student.sizes=[784,64,64,10]", "trainer.enable_progress_bar=false",
         f"paths.output_root={tmp_path}", f"paths.output_dir={folder}"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert [p for p in tmp_path.rglob("metrics.json")] == [folder / "metrics.json"]
    metrics = json.loads((folder / "metrics.json").read_text())
    activity = metrics["test_activity"]
    assert activity["images"] == 1000  # 500 per process, summed
    assert activity["student"]["spikes"][0] > 0
    assert is_share_of(metrics["test_accuracy"], 1000)
    with open(folder / "logs" / "metrics.csv") as handle:  # the first process logs the synced losses
        losses = [float(row["train/loss"]) for row in csv.DictReader(handle) if row.get("train/loss")]
    assert len(losses) == 5 and all(b < a for a, b in zip(losses, losses[1:])), losses  # 25 steps of 2 x 100
    # every hidden spike still reaches the next layer's 64 neurons once: the sums match
    assert activity["student"]["layers"][1]["sops"] == pytest.approx(activity["student"]["spikes"][0] * 64)


@pytest.mark.slow
@pytest.mark.parametrize("devices", [("trainer.devices=2", "trainer.strategy=ddp"), ("trainer.devices=2",),
                                     ("trainer.devices=auto",)], ids=["ddp", "two_devices", "auto"])
def test_distributed_training_is_refused_where_it_cannot_run(tmp_path, devices):
    """Lightning trains on several devices with ddp when told to, or given two devices, or
    given ``auto`` on a machine with several GPUs: the grades refuse it, and so does a
    spiking multirun, whose processes would start the whole sweep again."""
    grades = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "experiment=p2_sin", "profile=smoke", *devices,
         f"paths.output_dir={tmp_path / 'grades'}"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert grades.returncode == 1 and "the grades train on one device" in grades.stdout + grades.stderr
    sweep = subprocess.run(
        [sys.executable, "-m", "multigrade.snn", "-m", "profile=smoke", "seed=0,1", *devices,
         f"paths.output_root={tmp_path}"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    output = sweep.stdout + sweep.stderr
    assert sweep.returncode == 1 and "distributed training needs a single run" in output
    assert "Traceback" not in output and "#1 : " not in output  # the sweep stopped at its first job,
    assert "jobs #1 (seed=1) were not run" in output  # and says so
    grade_sweep = subprocess.run(
        [sys.executable, "-m", "multigrade.run", "-m", "experiment=p2_sin", "profile=smoke", "seed=0,1", *devices,
         f"paths.output_root={tmp_path / 'grade_sweep'}"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    output = grade_sweep.stdout + grade_sweep.stderr
    assert grade_sweep.returncode == 1 and "the grades train on one device" in output and "#1 : " not in output
    assert "jobs #1 (seed=1) were not run" in output


class ResultsAsConfig(DeploymentTarget):
    """A target whose results would overwrite the run's config in metrics.json."""

    kind = "config"


@pytest.mark.parametrize(("override", "message"), [
    ("+target.kind=loihi", "target.kind=loihi selects no target: a target is named by target._target_"),
    ("target._target_=no_such_module.Target",
     "target._target_ 'no_such_module.Target': No module named 'no_such_module';"
     " is its module's folder on PYTHONPATH?"),
    ("target._target_=multigrade.spiking.networks.LIFStudent",
     "target._target_ multigrade.spiking.networks.LIFStudent is not a multigrade.spiking.targets.DeploymentTarget"),
    (f"target._target_={__name__}.ResultsAsConfig", "ResultsAsConfig.kind, the key of its results in metrics.json,"
                                                     " must be an identifier other than experiment"),
])
def test_a_target_that_cannot_deploy_is_named_before_anything_is_built(override, message):
    with pytest.raises(ConfigError) as error:
        build_target(snn_config("spiking=distill_mnist", override))
    assert message in str(error.value)


@pytest.mark.parametrize(("override", "message"), [
    ("+trainer.max_steps=3", "trainer.max_steps=3: a spiking run trains, validates and tests by the schedule"),
    ("+trainer.limit_test_batches=0.5", "trainer.limit_test_batches=0.5: a spiking run trains"),
    ("+trainer.max_epochs=2", "trainer.max_epochs=2: a spiking run trains"),
    ("teacher=mlp", "teacher=multigrade.spiking.networks.MLPTeacher is set, but method"
                    " multigrade.spiking.binary_module.BinarySNNModule trains the student alone"),
])
def test_settings_a_spiking_run_would_ignore_or_cut_short_are_named(override, message):
    with pytest.raises(ConfigError) as error:
        check_run_settings(snn_config(override))
    assert message in str(error.value)


class StopAfterFirstEpoch(L.Callback):
    def on_train_epoch_end(self, trainer, module):
        trainer.should_stop = True


@pytest.mark.parametrize("callbacks", [(), (StopAfterFirstEpoch(),)], ids=["whole", "stopped"])
def test_a_fit_that_a_callback_ended_early_is_not_taken_for_the_schedule(callbacks):
    trainer = L.Trainer(max_epochs=3, callbacks=list(callbacks), accelerator="cpu", logger=False,
                        enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False)
    trainer.fit(BoringModel())
    if not callbacks:
        check_trained(trainer, 3)
        return
    with pytest.raises(IncompleteTrainingError, match="training stopped after 1 of its 3 epochs"):
        check_trained(trainer, 3)


def test_a_target_whose_results_metrics_json_cannot_hold_is_named():
    class NumPyTarget(DeploymentTarget):
        kind = "numpy"

        def deploy(self, student, images, labels, folder, seed):
            return {"accuracy": np.float32(0.5)}

    data = SimpleNamespace(setup=lambda stage: None, splits={"test": (torch.zeros(4, 784), torch.zeros(4))})
    with pytest.raises(TypeError, match=r"NumPyTarget.deploy returned results metrics.json cannot hold \(Object of"
                                        r" type float32 is not JSON serializable\): return numbers"):
        deployment(NumPyTarget(images=2), SimpleNamespace(student=None), data, None, 0)


def test_the_settings_that_decide_reuse_of_a_trained_student_are_the_training_ones():
    from multigrade.differences import described_differences, differing_keys
    from multigrade.snn import NOT_TRAINING
    then = {"seed": 0, "student": {"sizes": [784, 64, 10], "steps": 10}, "paths": {"output_dir": "/a"},
            "trainer": {"enable_progress_bar": True, "precision": 32}, "digits": {"data_dir": "data", "limit": None}}
    now = {"seed": 0, "student": {"sizes": [784, 32, 10], "steps": 10}, "paths": {"output_dir": "/b"},
           "trainer": {"enable_progress_bar": False, "precision": 16}, "digits": {"data_dir": "data/", "limit": None},
           "kd": {}}
    assert differing_keys(then, now, NOT_TRAINING) == ["kd", "student.sizes", "trainer.precision"]
    assert differing_keys(then, then, NOT_TRAINING) == []
    assert described_differences(then, now, "there", "here", NOT_TRAINING, most=2) == (
        "kd: '(none)' (there), {} (here); student.sizes: [784, 64, 10] (there), [784, 32, 10] (here); and 1 more")


def test_a_finished_run_of_other_settings_is_refused_naming_them(tmp_path):
    from multigrade.errors import ConfigError
    from multigrade.run_folder import check_finished_run

    config = {"seed": 0, "train": {"lr_max": 1e-3}, "paths": {"output_dir": "/a"}}
    check_finished_run(tmp_path, config, ("paths",))  # no finished run there
    (tmp_path / "metrics.json").write_text(json.dumps({"test_accuracy": 0.9, "config": config}))
    check_finished_run(tmp_path, {**config, "paths": {"output_dir": "/b"}}, ("paths",))  # the same settings
    with pytest.raises(ConfigError, match=r"holds a finished run of other settings \(train.lr_max: 0.001 \(there\),"
                                          r" 0.002 \(here\)\): choose a fresh paths.output_dir, or delete"
                                          r" .*metrics.json"):
        check_finished_run(tmp_path, {**config, "train": {"lr_max": 2e-3}}, ("paths",))
    (tmp_path / "metrics.json").write_text("{cut short")
    check_finished_run(tmp_path, {**config, "seed": 1}, ("paths",))  # nothing readable to keep: replaced
