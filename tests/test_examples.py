"""The documented examples of one's own parts (``examples/``, in ``docs/configuration.md``),
run as a user runs them: from a copy of the folder outside the repository, with ``--config-dir`` and ``PYTHONPATH``."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, needs_digits

pytestmark = pytest.mark.slow


@pytest.fixture
def own_parts(tmp_path):
    """A copy of ``examples/`` and the environment that finds its modules."""
    folder = shutil.copytree(REPO / "examples", tmp_path / "mine", ignore=shutil.ignore_patterns("__pycache__"))
    return folder, {**os.environ, "PYTHONPATH": str(folder)}


def run_own(module: str, folder, env, *overrides: str) -> subprocess.CompletedProcess:
    """``python -m <module> --config-dir <folder>/conf <overrides>``, started in the folder
    above, so the modules import only through ``env``'s ``PYTHONPATH``."""
    return subprocess.run([sys.executable, "-m", module, "--config-dir", str(folder / "conf"), *overrides],
                          cwd=folder.parent, env=env, capture_output=True, text=True, timeout=600)


def test_an_own_experiment_with_an_own_activation_trains_and_restores(own_parts):
    folder, env = own_parts
    out = folder / "run"
    overrides = ["experiment=chirp", "profile=quick", "train.epochs=60", "logger=none",
                 "callbacks.progress.refresh_rate=0", f"paths.output_dir={out}"]
    result = run_own("multigrade.run", folder, env, *overrides)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    first, second = (grade["test_rse"] for grade in metrics["grades"])
    assert second < 0.8 * first < 0.8
    checkpoint = torch.load(out / "checkpoints" / "grade_2.pt", weights_only=False)
    assert [spec["activation"] for spec in checkpoint["specs"]] == ["chirp.Snake"] * 2
    spectra = np.load(out / "spectra.npz")  # the residual spectra after each of the two grades
    assert spectra["residual"].shape == (2, len(spectra["freq"]))

    # started again, the run rebuilds both grades from their checkpoints, importing the activation
    (out / "metrics.json").unlink()
    result = run_own("multigrade.run", folder, env, *overrides)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (out / "run.log").read_text()
    assert "grades 1..2 restored" in log and log.count("grade 1/2 done") == 1  # trained once, in the first run


def test_an_activation_the_run_cannot_import_names_the_fix(own_parts):
    folder, env = own_parts
    out = folder / "run"
    result = run_own("multigrade.run", folder, {**env, "PYTHONPATH": ""}, "experiment=p1_synthetic_s2",
                     "model.activation=chirp.Snake", f"paths.output_dir={out}")
    assert result.returncode == 1
    assert ("ConfigError: model (architecture.mgdl): activation 'chirp.Snake': No module named 'chirp';"
            " is its module's folder on PYTHONPATH?") in result.stdout + result.stderr
    assert not (out / "checkpoints").exists()


@needs_digits("MNIST")
def test_an_own_spiking_student_distils_and_an_own_target_deploys_it(own_parts):
    folder, env = own_parts
    out = folder / "student"
    result = run_own("multigrade.snn", folder, {**env, "OMP_NUM_THREADS": "1"}, "spiking=distill_mnist",
                     "student=synaptic_mlp", "target=low_precision", "profile=smoke", "logger=none",
                     f"paths.output_dir={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["student"]["_target_"] == "synaptic_student.SynapticStudent"
    assert metrics["test_accuracy"] > 0.6  # ten classes: chance is 0.1
    student = metrics["test_activity"]["student"]  # per test image
    assert [layer["layer"] for layer in student["layers"]] == ["blocks.0", "blocks.1"]
    assert len(student["spikes"]) == 2 and all(spikes > 1 for spikes in student["spikes"])
    assert student["sops"] > 0 and student["macs"] == 0  # every layer is driven by spikes
    # the target evaluated the trained student on the first 1000 test images, as it is and rounded
    deployed = metrics["low_precision"]
    assert deployed["images"] == 1000 and set(deployed["accuracy"]) == {"float", "8 bits", "4 bits", "2 bits"}
    assert abs(deployed["accuracy"]["float"] - metrics["test_accuracy"]) < 0.05
    assert abs(deployed["accuracy"]["8 bits"] - deployed["accuracy"]["float"]) < 0.02
    assert (out / "student.pt").is_file()  # kept before deploying, as for every target


@pytest.mark.parametrize(("overrides", "message"), [
    (("spiking=distill_mnist", "target._target_=synaptic_student.SynapticStudent"),
     "ConfigError: target._target_ synaptic_student.SynapticStudent is not a"
     " multigrade.spiking.targets.DeploymentTarget"),
    (("spiking=yin_binary_mnist",),
     "ConfigError: target low_precision deploys a distilled student: add method=distill (and a teacher)"),
    (("spiking=distill_mnist", "target.bits=[8,1]"),
     "ConfigError: target.bits must be a list of integers of at least 2; got [8, 1]"),
])
def test_a_run_its_target_cannot_deploy_is_refused_before_training(own_parts, overrides, message):
    folder, env = own_parts
    out = folder / "student"
    result = run_own("multigrade.snn", folder, env, "target=low_precision", *overrides, f"paths.output_dir={out}")
    assert result.returncode == 1
    assert message in result.stdout + result.stderr
    assert not (out / "student.pt").exists() and not (out / "logs").exists()


def test_an_own_grade_stack_composes_on_an_own_experiment_and_learns(own_parts):
    folder, env = own_parts
    out = folder / "fourier"
    result = run_own("multigrade.run", folder, env, "experiment=chirp_fourier", "profile=smoke", "logger=none",
                     "callbacks.progress.refresh_rate=0", f"paths.output_dir={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["data"]["_target_"] == "chirp.chirp"  # from the experiment it extends
    assert metrics["grades"][0]["test_rse"] < 0.1  # five epochs: the Fourier features carry the chirp's band
    checkpoint = torch.load(out / "checkpoints" / "grade_2.pt", weights_only=False)
    assert checkpoint["specs"][0]["stack"] == "fourier_features.fourier_stack" and "stack" not in checkpoint["specs"][1]
    assert checkpoint["state_dict"]["hidden.0.0.frequencies"].shape == (1, 64)
