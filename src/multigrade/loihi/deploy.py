"""Deploy a trained ``LoihiStudent`` to lava's Loihi 2 simulation and check it.

The student is exported as a netx file (``netx``); the first test images are rate-coded once
(one generator seeded by the run), and the same input spikes go to the student's own
fixed-point emulation and, in a subprocess of the Loihi environment (Python 3.10, lava-dl
0.6.0, lava-nc 0.10.0; ``make loihi-env``), to ``lava_run.py``. The two must agree spike for
spike in every layer (``first_difference`` names the first image, layer and step that do
not), and their accuracies are reported with the per-image activity, energy and latency
estimates (``energy``).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from multigrade.errors import LoihiEnvironmentError
from multigrade.loihi.energy import ESTIMATE, loihi_estimate, neuron_updates, synaptic_ops
from multigrade.loihi.netx import export_netx, integer_weights
from multigrade.loihi.student import LoihiStudent

LAVA_RUN = Path(__file__).with_name("lava_run.py")
REPO = Path(__file__).resolve().parents[3]
DEFAULT_PYTHON = ".venv-loihi/bin/python"


# Run by the interpreter named as the Loihi environment's: it must be Python 3.10 and find
# lava-dl's netx loader (found, not imported: that takes seconds); it prints what it is
IS_LOIHI_ENVIRONMENT = """
import importlib.util, platform, sys
try:
    lava = importlib.util.find_spec("lava.lib.dl.netx") is not None
except ImportError:
    lava = False
print(f"Python {platform.python_version()}, lava-dl {'found' if lava else 'missing'}")
sys.exit(0 if sys.version_info[:2] == (3, 10) and lava else 1)
"""


def loihi_python(setting: str | None = None) -> Path:
    """The Loihi environment's interpreter: ``setting``, else ``$MULTIGRADE_LOIHI_PYTHON``, else
    ``.venv-loihi/bin/python`` (relative paths from the repository root); checked to be
    Python 3.10 with lava-dl (``IS_LOIHI_ENVIRONMENT``), so that a wrong one is named before
    a student trains."""
    path = Path(setting or os.environ.get("MULTIGRADE_LOIHI_PYTHON") or DEFAULT_PYTHON)
    path = path if path.is_absolute() else REPO / path
    if not path.is_file():
        raise LoihiEnvironmentError(f"the Loihi environment's Python {path} does not exist: run `make loihi-env`"
                                    " (it needs Python 3.10) or set target.python")
    try:
        checked = subprocess.run([str(path), "-c", IS_LOIHI_ENVIRONMENT], capture_output=True, text=True, timeout=60)
        found = checked.returncode == 0
        what = checked.stdout.strip() or checked.stderr.strip()[-300:] or f"exit code {checked.returncode}"
    except (OSError, subprocess.TimeoutExpired) as error:
        found, what = False, f"{type(error).__name__}: {error}"
    if not found:
        raise LoihiEnvironmentError(f"{path} is not a Loihi environment: it is not Python 3.10 with lava-dl"
                                    f" (lava.lib.dl.netx) ({what}); run `make loihi-env`, or set target.python to"
                                    f" that environment's python")
    return path


@dataclass
class LavaRun:
    """What ``lava_run.py`` returned: ``spikes`` per layer (images, T, n_l) and its summary
    (``steps``, ``import_seconds``, per image ``build_seconds`` and ``run_seconds``)."""

    spikes: list[np.ndarray]
    summary: dict


def simulate_on_lava(net_file: Path, frames: np.ndarray, python: Path, timeout: float) -> LavaRun:
    """Run ``net_file`` on lava for input spikes ``frames`` (images, T, n_in)."""
    with tempfile.TemporaryDirectory(prefix="lava_") as folder:
        inputs, out = Path(folder) / "inputs.npz", Path(folder) / "out"
        np.savez(inputs, spikes=frames.astype(np.uint8))
        try:
            done = subprocess.run([str(python), str(LAVA_RUN), str(net_file), str(inputs), str(out)],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LoihiEnvironmentError(f"the lava simulation of {len(frames)} images took over {timeout:g} s;"
                                        " simulate fewer images (target.images) or raise target.timeout") from None
        if done.returncode != 0 or not (out / "result.json").is_file():
            raise LoihiEnvironmentError(f"the lava simulation failed (exit code {done.returncode}) with {python}:\n"
                                        f"{done.stderr[-3000:]}")
        summary = json.loads((out / "result.json").read_text())
        with np.load(out / "spikes.npz") as arrays:
            spikes = [arrays[f"layer_{l}"] for l in range(1, len(arrays.files) + 1)]
    return LavaRun(spikes, summary)


def first_difference(emulated: list[np.ndarray], simulated: list[np.ndarray]) -> dict | None:
    """The first (image, step, layer) where the spikes (images, T, n_l) per layer differ, with
    the neurons that differ there; None when they are identical."""
    for image in range(emulated[0].shape[0]):
        differ = [np.nonzero((e[image] != s[image]).any(axis=1))[0] for e, s in zip(emulated, simulated)]
        steps = [(int(d[0]), layer) for layer, d in enumerate(differ) if len(d)]
        if steps:
            step, layer = min(steps)
            neurons = np.nonzero(emulated[layer][image, step] != simulated[layer][image, step])[0]
            return {"image": image, "layer": layer + 1, "step": step, "neurons": neurons.tolist()}
    return None


def predictions(output_spikes: np.ndarray) -> np.ndarray:
    """Per image, the output neuron with the most spikes (the lowest index on a tie):
    output spikes (images, T, classes) -> (images,)."""
    return output_spikes.sum(axis=1).argmax(axis=1)


def activity_per_image(frames: np.ndarray, spikes: list[np.ndarray], fan_outs: list[np.ndarray]) -> dict:
    """Mean per image, from input frames (images, T, n_0) and every layer's spikes
    (images, T, n_l): spikes and synaptic ops per layer (``energy.synaptic_ops``), neuron
    updates, and the Loihi energy and time estimates."""
    widths = [layer.shape[2] for layer in spikes]
    images = []
    for index in range(len(frames)):
        inputs = [frames[index]] + [layer[index] for layer in spikes[:-1]]
        sops = synaptic_ops(inputs, fan_outs)
        active, inactive = neuron_updates(inputs, widths)
        counts = [int(layer[index].sum()) for layer in spikes]
        images.append({"spikes": counts, "synaptic_ops": sops, "active_updates": active, "inactive_updates": inactive,
                       **loihi_estimate(sum(sops), active, inactive, sum(counts))})
    per_layer = {key: [float(np.mean([image[key][l] for image in images])) for l in range(len(widths))]
                 for key in ("spikes", "synaptic_ops")}
    totals = {key: float(np.mean([image[key] for image in images]))
              for key in ("active_updates", "inactive_updates", "energy_nj", "latency_us")}
    return {**per_layer, **totals, "estimate": ESTIMATE}


@torch.no_grad()
def deploy_to_loihi(student: LoihiStudent, images: torch.Tensor, labels: torch.Tensor, folder: Path, seed: int,
                    python: Path, timeout: float) -> dict:
    """Export ``student`` to ``folder/student.h5``, simulate ``images`` (B, 784) on lava and
    in the emulation with the same input spikes; return parity, accuracies, activity."""
    student = student.cpu().eval()
    frames = student.input_spikes(images.cpu(), torch.Generator().manual_seed(seed))
    emulated = [layer.permute(1, 0, 2).numpy().astype(np.uint8) for layer in student.run_spikes(frames)]
    frames = frames.permute(1, 0, 2).numpy().astype(np.uint8)
    net_file = export_netx(student, folder / "student.h5")
    lava = simulate_on_lava(net_file, frames, python, timeout)
    fan_outs = [(weights != 0).sum(axis=0) for weights in integer_weights(student)]
    labels = labels.cpu().numpy()
    emulated_predictions, lava_predictions = predictions(emulated[-1]), predictions(lava.spikes[-1])
    difference = first_difference(emulated, lava.spikes)
    return {
        "images": len(labels),
        "steps": lava.summary["steps"],
        "net_file": net_file.name,
        "accuracy": {"emulation": float((emulated_predictions == labels).mean()),
                     "lava": float((lava_predictions == labels).mean())},
        "parity": {"identical": difference is None, "first_difference": difference,
                   "spikes_compared": int(sum(layer.size for layer in emulated)),
                   "predictions_equal": bool((emulated_predictions == lava_predictions).all())},
        "per_image": {"emulation": activity_per_image(frames, emulated, fan_outs),
                      "lava": activity_per_image(frames, lava.spikes, fan_outs)},
        "seconds": {"import": lava.summary["import_seconds"],
                    "per_image": float(np.mean(np.add(lava.summary["build_seconds"], lava.summary["run_seconds"])))},
    }
