"""The Loihi student: lava's fixed-point CUBA arithmetic, its weights and delays, the netx
export, and the round trip through lava's Loihi 2 simulation with spike-for-spike parity."""

import glob
import json
import re
import shutil
import subprocess
import sys

import h5py
import lightning.pytorch as L
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from conftest import DATA_DIR, REPO, is_share_of, job_config, needs_digits
from multigrade.errors import CheckpointError, ConfigError, ExportError, LoihiEnvironmentError
from multigrade.loihi.cuba import cuba_step
from multigrade.loihi.deploy import (activity_per_image, deploy_to_loihi, first_difference,
                                     loihi_python, predictions, simulate_on_lava)
from multigrade.loihi.netx import check_weights, export_netx, integer_weights
from multigrade.loihi.student import LoihiStudent, QuantizedLinear
from multigrade.run import run as run_grades
from multigrade.snn import build_target, trained_run
from multigrade.snn import run as run_snn


def python310() -> str | None:
    """A Python 3.10 interpreter, as ``make loihi-env`` finds one."""
    pyenv = shutil.which("pyenv")
    root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip() if pyenv else ""
    for candidate in [shutil.which("python3.10"), *sorted(glob.glob(f"{root}/versions/3.10*/bin/python"))]:
        if candidate and subprocess.run([candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 10)"],
                                        capture_output=True).returncode == 0:
            return candidate
    return None


needs_loihi = pytest.mark.skipif(python310() is None, reason="Python 3.10 is not installed; the Loihi environment"
                                                             " (make loihi-env) needs it")


@pytest.fixture
def loihi():
    """The Loihi environment's Python; a machine with Python 3.10 must have built it."""
    try:
        return loihi_python()
    except LoihiEnvironmentError as error:
        pytest.fail(str(error))


def state(*values):
    return torch.tensor([list(values)], dtype=torch.float64)


def test_the_cuba_step_rounds_toward_zero_wraps_and_resets_as_lava():
    # u: trunc(-5001 * 3072 / 4096) = trunc(-3750.75) = -3750 (floor would give -3751), plus 64 a
    u, v, s = cuba_step(state(-5001.0, 5001.0), state(0.0, 0.0), state(1.0, 0.0), 1024, 0, 10**6)
    assert u.tolist() == [[-3750 + 64, 3750]] and v.tolist() == [[-3686, 3750]] and s.sum() == 0
    # v: trunc(1000 * (4096 - 410) / 4096) = trunc(899.90) = 899
    _, v, _ = cuba_step(state(0.0), state(1000.0), state(0.0), 4096, 410, 10**6)
    assert v.tolist() == [[899]]
    # the current wraps once into (-2^23, 2^23]; the voltage saturates at ±(2^23 - 1)
    u, v, _ = cuba_step(state(2**23 - 10.0, 2**23 - 100.0), state(2**23 - 5.0, 2**23 - 5.0), state(1.0, 1.0),
                        0, 0, 2**17)  # a threshold of 2^23: no spike
    assert u.tolist() == [[2**23 - 10 + 64 - 2**24, 2**23 - 36]]
    assert v.tolist() == [[(2**23 - 5) + (2**23 - 10 + 64 - 2**24), 2**23 - 1]]
    # threshold 64 θ_m, strict; a spike zeroes v but not u
    u, v, s = cuba_step(state(0.0, 0.0), state(0.0, 0.0), state(10.0, 11.0), 4096, 4096, 10)
    assert s.tolist() == [[0, 1]] and v.tolist() == [[640, 0]] and u.tolist() == [[640, 704]]


def test_weights_are_8_bit_integers_with_a_shared_power_of_two_step():
    torch.manual_seed(0)
    student = LoihiStudent(sizes=(784, 32, 10))
    for block, weights, mantissa in zip(student.blocks, integer_weights(student), student.threshold_mantissas()):
        step = 2.0 ** block.step_exponent()
        assert 127 < np.abs(weights).max() <= 254 and weights.min() < 0 < weights.max()
        assert np.array_equal(weights, torch.round(block.weight.detach() / step).numpy())
        assert mantissa == round(1.0 / step)
    logits, rates = student(torch.rand(4, 784))
    F.cross_entropy(logits, torch.arange(4)).backward()
    assert all(block.weight.grad.abs().sum() > 0 for block in student.blocks)  # rounding passes gradients
    assert logits.shape == (4, 10) and rates[0].shape == (4, 32)


def test_a_run_finds_each_layers_weight_step_once(monkeypatch):
    student = LoihiStudent(sizes=(784, 16, 10), steps=6)
    calls = []
    step_exponent = QuantizedLinear.step_exponent
    monkeypatch.setattr(QuantizedLinear, "step_exponent", lambda block: calls.append(block) or step_exponent(block))
    frames = student.input_spikes(torch.rand(2, 784), torch.Generator().manual_seed(0))
    spikes = student.run_spikes(frames)
    assert len(frames) == 6 + 2 and len(calls) == 2 * 2  # the thresholds' and the weights', per layer
    assert [layer.shape for layer in spikes] == [(8, 2, 16), (8, 2, 10)]


def test_the_students_integer_arithmetic_is_exact_under_mixed_precision():
    """``trainer.precision=bf16-mixed`` autocasts linear layers to bfloat16 (8 bits of
    mantissa): sums of 8-bit weights over hundreds of input spikes would round."""
    student = LoihiStudent(sizes=(784, 128, 10), steps=8)
    frames = student.input_spikes(torch.rand(16, 784), torch.Generator().manual_seed(0))
    exact = student.run_spikes(frames)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = student.run_spikes(frames)
    assert exact[0].sum() > 100  # the hidden layer spikes
    for a, b in zip(exact, mixed):
        assert torch.equal(a, b)


def test_each_layer_adds_one_step_of_synaptic_delay():
    student = LoihiStudent(sizes=(3, 2, 2), steps=1, current_decay=1.0, voltage_decay=1.0)
    with torch.no_grad():
        student.blocks[0].weight.copy_(torch.tensor([[1.5, 0.0, 0.0], [0.0, 0.0, -1.5]]))
        student.blocks[1].weight.copy_(torch.tensor([[0.0, 1.5], [1.5, 0.0]]))  # 1.5 > θ = 1
    frames = torch.zeros(4, 1, 3)
    frames[0, 0, 0] = 1.0  # one input spike at step 0
    first, second = student.run_spikes(frames)
    assert first[:, 0].tolist() == [[0, 0], [1, 0], [0, 0], [0, 0]]
    assert second[:, 0].tolist() == [[0, 0], [0, 0], [0, 1], [0, 0]]


def test_the_export_is_the_netx_layout_with_the_students_integers(tmp_path):
    torch.manual_seed(1)
    student = LoihiStudent(sizes=(784, 16, 10), current_decay=0.5, voltage_decay=0.25)
    path = export_netx(student, tmp_path / "net.h5")
    with h5py.File(path, "r") as handle:
        layers = handle["layer"]
        assert sorted(layers) == ["0", "1", "2"]
        assert layers["0"]["type"][0] == b"input" and layers["0"]["shape"][()].tolist() == [784]
        assert "neuron" not in layers["0"]
        for index, (weights, mantissa) in enumerate(zip(integer_weights(student), student.threshold_mantissas()), 1):
            layer = layers[str(index)]
            assert layer["type"][0] == b"dense" and layer["shape"][()].tolist() == [weights.shape[0]]
            assert layer["weight"].dtype == np.float32 and np.array_equal(layer["weight"][()], weights)
            neuron = layer["neuron"]
            assert neuron["type"][()] == b"CUBA"
            assert (neuron["iDecay"][()], neuron["vDecay"][()], neuron["vThMant"][()]) == (2048, 1024, mantissa)
    with torch.no_grad():
        student.blocks[1].weight.zero_()
    with pytest.raises(ExportError, match="layer 2: every weight is 0"):
        export_netx(student, tmp_path / "zero.h5")
    assert not (tmp_path / "zero.h5").exists()
    for weights, exact in (([[-3, -5]], True), ([[-4, -1]], False), ([[0, -5]], False), ([[-256, 254]], True),
                           ([[-257, 3]], False), ([[255, 0]], True), ([[256, 1]], False)):
        if exact:
            check_weights(1, np.array(weights))
        else:
            with pytest.raises(ExportError, match="layer 1"):
                check_weights(1, np.array(weights))


def test_the_first_difference_is_the_earliest_step_then_the_lowest_layer():
    emulated = [np.zeros((2, 5, 4), dtype=np.uint8), np.zeros((2, 5, 3), dtype=np.uint8)]
    simulated = [layer.copy() for layer in emulated]
    assert first_difference(emulated, simulated) is None
    simulated[1][1, 2, 0] = 1  # image 1: layer 2 differs at step 2 ...
    simulated[0][1, 3, [1, 3]] = 1  # ... before layer 1 differs at step 3
    simulated[0][1, 2, 2] = 1  # and layer 1 at step 2 too: the lower layer comes first
    assert first_difference(emulated, simulated) == {"image": 1, "layer": 1, "step": 2, "neurons": [2]}


def test_the_activity_per_image_counts_loihis_operations():
    frames = np.array([[[1, 0], [0, 1], [1, 1]]])  # 1 image, 3 steps, 2 inputs
    hidden = np.array([[[0, 0], [1, 0], [0, 1]]])
    output = np.array([[[0], [0], [1]]])
    fan_outs = [(np.array([[1, 0], [2, 3]]) != 0).sum(axis=0), (np.array([[0, 5]]) != 0).sum(axis=0)]  # [2, 1], [0, 1]
    activity = activity_per_image(frames, [hidden, output], fan_outs)
    # input spikes of steps 0 and 1 arrive: 1 * 2 + 1 * 1; the hidden spike of step 1 reaches a zero weight only
    assert activity["spikes"] == [2, 1] and activity["synaptic_ops"] == [3, 0]
    # hidden: spikes arrive at steps 1 and 2 (2 neurons each); output: at step 2 only
    assert (activity["active_updates"], activity["inactive_updates"]) == (2 * 2 + 1, 1 * 2 + 2)
    assert activity["energy_nj"] == pytest.approx((23.6 * 3 + 81 * 5 + 52 * 4 + 1.7 * 3) / 1e3)
    assert activity["latency_us"] == pytest.approx((3.5 * 3 + 8.4 * 5 + 5.3 * 4) / 1e3)
    assert set(activity) == {"spikes", "synaptic_ops", "active_updates", "inactive_updates", "energy_nj",
                             "latency_us", "estimate"}
    assert predictions(np.array([[[0, 1, 1], [0, 0, 1]], [[1, 1, 0], [0, 0, 0]]])).tolist() == [2, 0]


def test_a_bad_target_setting_is_named_before_training(monkeypatch):
    with pytest.raises(LoihiEnvironmentError, match="make loihi-env"):
        loihi_python("/nowhere/python")
    with pytest.raises(LoihiEnvironmentError, match=f"{re.escape(sys.executable)} is not a Loihi environment: it"
                                                    r" is not Python 3.10 with lava-dl \(lava.lib.dl.netx\) \(Python"
                                                    r" 3\.1[1-9]\.\d+, lava-dl missing\); run"):
        loihi_python(sys.executable)  # this one runs the tests, without lava
    with pytest.raises(ConfigError, match="student=loihi_mlp"):
        build_target(job_config("spiking=distill_mnist", "target=loihi", config_name="snn"))
    with pytest.raises(ConfigError, match="method=distill"):
        build_target(job_config("spiking=yin_binary_mnist", "student=loihi_mlp", "target=loihi", config_name="snn"))
    with pytest.raises(ConfigError, match="target.images"):
        build_target(job_config("spiking=distill_mnist_loihi", "target.images=0", config_name="snn"))
    monkeypatch.setenv("MULTIGRADE_LOIHI_PYTHON", "/nowhere/python")
    with pytest.raises(LoihiEnvironmentError, match="/nowhere/python does not exist"):
        build_target(job_config("spiking=distill_mnist_loihi", config_name="snn"))
    with pytest.raises(ConfigError, match=r"target \(multigrade.loihi.target.LoihiTarget\) deploys spiking students"):
        run_grades(job_config("experiment=p2_sin", "target=loihi"))


def trained_student(images: int = 2000, steps: int = 60) -> tuple[LoihiStudent, torch.Tensor, torch.Tensor]:
    """A small Loihi student trained briefly on MNIST, with test images and labels."""
    from multigrade.data.digits import load_digits

    x, y = load_digits(DATA_DIR, "mnist", True, False)
    test_x, test_y = load_digits(DATA_DIR, "mnist", False, False)
    x, y = torch.from_numpy(x[:images]), torch.from_numpy(y[:images])
    torch.manual_seed(0)
    student = LoihiStudent(sizes=(784, 48, 10), steps=12, current_decay=0.5, voltage_decay=0.1)
    optimizer = torch.optim.Adam(student.parameters(), lr=2e-3)
    for step in range(steps):
        batch = torch.randint(len(y), (100,))
        loss = F.cross_entropy(student(x[batch])[0] * 0.3, y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return student, torch.from_numpy(test_x), torch.from_numpy(test_y)


@needs_loihi
@pytest.mark.slow
@needs_digits("MNIST")
def test_a_trained_student_runs_on_lava_spike_for_spike(tmp_path, loihi):
    student, test_x, test_y = trained_student()
    result = deploy_to_loihi(student, test_x[:12], test_y[:12], tmp_path, seed=3, python=loihi, timeout=600)
    assert result["parity"] == {"identical": True, "first_difference": None, "predictions_equal": True,
                                "spikes_compared": 12 * (12 + 2) * (48 + 10)}
    assert result["accuracy"]["lava"] == result["accuracy"]["emulation"] > 0.5
    emulation, lava = result["per_image"]["emulation"], result["per_image"]["lava"]
    assert emulation == lava  # the same spikes, so the same activity
    assert lava["spikes"][0] > 0 and lava["synaptic_ops"][0] > lava["synaptic_ops"][1] > 0
    assert lava["energy_nj"] > 0 and lava["latency_us"] > 0 and "estimate" in lava["estimate"]
    steps = 12 + 2
    assert lava["active_updates"] + lava["inactive_updates"] == steps * (48 + 10)


@needs_loihi
def test_a_broken_network_file_is_named(tmp_path, loihi):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(LoihiEnvironmentError, match="is not a netx network file"):
        simulate_on_lava(bad, np.zeros((1, 3, 784), dtype=np.uint8), loihi, 120)


@needs_loihi
@pytest.mark.slow
@needs_digits("MNIST")
def test_a_distillation_run_deploys_its_student_to_lava(tmp_path, loihi):
    command = [sys.executable, "-m", "multigrade.snn", "spiking=distill_mnist_loihi", "profile=smoke",
               "target.images=6", f"paths.output_dir={tmp_path}", "trainer.enable_progress_bar=false"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    loihi_metrics = metrics["loihi"]
    assert loihi_metrics["images"] == 6 and loihi_metrics["parity"]["identical"]
    assert loihi_metrics["accuracy"]["lava"] == loihi_metrics["accuracy"]["emulation"]
    assert (tmp_path / "student.h5").is_file() and loihi_metrics["net_file"] == "student.h5"


@needs_digits("MNIST")
def test_a_failed_deployment_keeps_the_trained_run_and_a_second_start_deploys_it(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "python"  # a Loihi environment whose simulation fails
    broken.write_text("#!/bin/sh\n[ \"$1\" = -c ] && exit 0  # it passes for one\necho 'lava: broken' >&2\nexit 3\n")
    broken.chmod(0o755)
    out = tmp_path / "run"
    overrides = ["spiking=distill_mnist_loihi", "profile=smoke", "train.epochs=1", "student.sizes=[784,16,10]",
                 "student.steps=4", "target.images=3", f"target.python={broken}", f"paths.output_dir={out}",
                 "trainer.enable_progress_bar=false"]
    with pytest.raises(LoihiEnvironmentError, match="exit code 3"):
        run_snn(job_config(*overrides, config_name="snn"))
    assert not (out / "metrics.json").exists()  # the run did not finish ...
    saved = torch.load(out / "student.pt", weights_only=True)  # ... but what it trained is kept
    accuracy = saved["metrics"]["test_accuracy"]
    assert is_share_of(accuracy, 1000)  # of the 1000 test images
    assert saved["metrics"]["test_activity"]["images"] == 1000
    assert f"test accuracy {saved['metrics']['test_accuracy']:.4f}) are kept in {out / 'student.pt'}" in caplog.text
    assert f"(the same overrides) with paths.output_dir={out} to deploy them without training again" in caplog.text

    def no_training(*args, **kwargs):
        raise AssertionError("a second start trained again")

    deployed = {}

    def deploy(student, images, labels, folder, seed, python, timeout):
        deployed["weights"] = [block.weight.detach().clone() for block in student.blocks]
        return {"accuracy": {"lava": 0.5}}

    monkeypatch.setattr(L.Trainer, "fit", no_training)
    monkeypatch.setattr("multigrade.loihi.target.deploy_to_loihi", deploy)
    # the target may change, the folder's name (absolute, relative or by its time), the data
    # folder's spelling and what the trainer shows
    run_snn(job_config(*overrides, "target.timeout=60", f"paths.output_root={tmp_path / 'elsewhere'}",
                       f"paths.data_dir={DATA_DIR}/", "trainer.enable_model_summary=true", config_name="snn"))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["loihi"] == {"accuracy": {"lava": 0.5}} and metrics["config"]["target"]["timeout"] == 60
    assert metrics["test_accuracy"] == saved["metrics"]["test_accuracy"]
    # the run's seconds: those of the start that trained, and this start's deployment
    assert metrics["train_seconds"] == saved["metrics"]["train_seconds"]
    assert metrics["total_seconds"] == metrics["train_seconds"] + metrics["deploy_seconds"]
    assert all(torch.equal(weights, saved["state_dict"][f"student.blocks.{l}.weight"])
               for l, weights in enumerate(deployed["weights"]))
    other = {**saved["metrics"]["config"], "seed": 1}  # another configuration is refused, naming what differs
    with pytest.raises(CheckpointError, match=r"student.pt holds a student trained with other settings \(seed: 0"
                                              r" \(there\), 1 \(here\)\): choose a fresh paths.output_dir"):
        trained_run(out / "student.pt", other, None)
    (out / "student.pt").write_bytes(b"\x00 cut short")
    with pytest.raises(CheckpointError, match="trained student .*student.pt .* corrupt .* delete it"):
        trained_run(out / "student.pt", other, None)


def activity(first_layer_spikes: float) -> dict:
    return {"spikes": [first_layer_spikes, 21.0], "synaptic_ops": [190000.0, first_layer_spikes * 10],
            "active_updates": 2000.0, "inactive_updates": 300.0, "energy_nj": 5000.0, "latency_us": 800.0,
            "estimate": "Loihi estimate"}


def loihi_metrics(identical: bool) -> dict:
    first = None if identical else {"image": 2, "layer": 1, "step": 7, "neurons": [5]}
    return {
        "experiment": "distill_mnist_loihi", "profile": "quick", "paper_settings": False, "device": "cpu",
        "total_seconds": 100.0, "epochs": 3, "val_accuracy": 0.95, "test_accuracy": 0.9512,
        "test_activity": {"images": 10000, "estimate": "45 nm estimate",
                          "student": {"spikes": [900.0, 20.0], "sops": 2.6e5, "macs": 0.0, "energy_pj": 2.34e5,
                                      "dense_macs": 1e5, "dense_energy_pj": 4.6e5}},
        "loihi": {"images": 100, "steps": 18, "net_file": "student.h5",
                  "accuracy": {"emulation": 0.95, "lava": 0.95 if identical else 0.94},
                  "parity": {"identical": identical, "first_difference": first, "spikes_compared": 248400,
                             "predictions_equal": identical},
                  "per_image": {"emulation": activity(900.0), "lava": activity(901.5)},
                  "seconds": {"import": 6.0, "per_image": 0.61}},
    }


@pytest.mark.parametrize("identical", [True, False])
def test_the_report_shows_accuracy_parity_and_energy_on_loihi(tmp_path, identical):
    from multigrade.io import write_json
    from multigrade.reproduce.plan import select
    from multigrade.reproduce.outcomes import RunOutcome, load_metrics
    from multigrade.reproduce.report import write_report

    [planned] = select("distill_mnist_loihi")
    folder = tmp_path / "runs" / "distill_mnist_loihi" / planned.name
    write_json(folder / "metrics.json", loihi_metrics(identical))
    outcome = RunOutcome(planned, folder, load_metrics(folder), tmp_path / "logs" / "run.log")
    report = write_report(tmp_path, "quick", [outcome], 1.0).read_text()
    assert "### distill_mnist_loihi: A distilled Loihi 2 student" in report
    lava = "0.9500" if identical else "0.9400"
    assert f"| accuracy, first 100 test images | 0.9500 | {lava} |" in report
    assert "| accuracy, all 10,000 test images | 0.9512 | — |" in report
    agreement = ("identical: 248,400 spike slots compared" if identical
                 else "differ first at image 2, layer 1, step 7 (neurons [5])")
    assert f"| spikes, every layer and step | {agreement} | |" in report
    assert "| spikes per image (per layer) | 900.0, 21.0 | 901.5, 21.0 |" in report
    assert "| synaptic ops per image | 199,000 | 199,015 |" in report
    assert "| energy per image (estimate) | 234.0 nJ (45 nm host, all test images) | 5,000.0 nJ (Loihi figures) |" \
        in report
    assert "| time steps per image | 18 | 18 |" in report
    assert f"Run folder: `runs/distill_mnist_loihi/{planned.name}`." in report
    assert "the synapses of nonzero weight only, for spikes that arrive within the run, over the first 100" in report
    assert f"| 234.0 | 100,000 | 460.0 | 0.51 | `runs/distill_mnist_loihi/{planned.name}` |" in report  # energy table
    failed = RunOutcome(planned, folder, None, tmp_path / "logs" / "run.log")
    report = write_report(tmp_path, "quick", [failed], 1.0).read_text()
    assert f"{planned.variant}: failed: see `logs/run.log`" in report and str(tmp_path) not in report


def test_make_reproduce_leaves_the_loihi_run_out_without_its_environment(monkeypatch):
    from multigrade.reproduce.__main__ import without_loihi
    from multigrade.reproduce.plan import select

    runs = select("distill_mnist")
    monkeypatch.setenv("MULTIGRADE_LOIHI_PYTHON", "/nowhere/python")
    kept, missing = without_loihi(runs + select("distill_mnist_loihi"), [])
    assert kept == runs and list(missing) == ["distill_mnist_loihi"]
    assert "/nowhere/python does not exist" in missing["distill_mnist_loihi"]
    assert "make loihi-env" in missing["distill_mnist_loihi"]
    # ARGS=target.python=... names the environment the run will use: that one is checked
    kept, missing = without_loihi(select("distill_mnist_loihi"), ["seed=1", "target.python=/elsewhere/python"])
    assert not kept and "/elsewhere/python does not exist" in missing["distill_mnist_loihi"]
    assert without_loihi(runs, ["target.python=/elsewhere/python"]) == (runs, {})  # not looked at: no run needs it


def test_the_value_an_override_gives_a_key_is_the_last_one():
    from multigrade.overrides import override_value

    assert override_value(["target.python=/a", "seed=2", "+target.python=/b"], "target.python") == "/b"
    assert override_value(["target.python=/b=c"], "target.python") == "/b=c"  # not Hydra's grammar: as written
    assert override_value(["target.python='/a b/python'"], "target.python") == "/a b/python"
    assert override_value(["target.python=null"], "target.python") is None
    assert override_value(["target.python=/a", "~target.python"], "target.python") is None
    assert override_value(["target.images=5"], "target.python") is None


def test_a_student_file_of_other_content_or_other_networks_is_named_with_what_to_do(tmp_path):
    path, config = tmp_path / "student.pt", {"seed": 0, "student": {"sizes": [3, 2]}}
    torch.save({"weights": torch.zeros(2)}, path)  # readable, but no trained student
    with pytest.raises(CheckpointError, match=r"student.pt holds no trained student .* delete it \(the student is"):
        trained_run(path, config, nn.Linear(3, 2))
    torch.save({"state_dict": nn.Linear(4, 2).state_dict(), "metrics": {"config": config}}, path)
    with pytest.raises(CheckpointError, match=r"student.pt does not fit this configuration's networks \(.*size"
                                              r" mismatch for weight.*\): it was written by other code.*; delete it"
                                              r" \(the student is then trained again\)"):
        trained_run(path, config, nn.Linear(3, 2))
    module = nn.Linear(3, 2)
    torch.save({"state_dict": module.state_dict(), "metrics": {"config": config, "test_accuracy": 0.5}}, path)
    fresh = nn.Linear(3, 2)
    deploying = {**config, "target": {"_target_": "multigrade.loihi.target.LoihiTarget"}}
    assert trained_run(path, deploying, fresh) == {"config": deploying, "test_accuracy": 0.5}
    assert torch.equal(fresh.weight, module.weight)
