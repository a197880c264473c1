"""A trained ``LoihiStudent`` as a netx HDF5 network file, the layout lava-dl's block
exporters write and ``lava.lib.dl.netx.hdf5.Network`` reads.

Layout: group ``layer`` with subgroups ``0 .. L``; ``0`` is the input (``type`` b"input",
``shape`` [784]); ``l ≥ 1`` a dense layer: ``type`` b"dense", ``shape`` [n_l], ``weight``
(n_l, n_{l-1}) float32 holding the integer weights ``W_l``, and ``neuron``: ``type`` "CUBA",
``iDecay``, ``vDecay``, ``vThMant`` (int64), ``refDelay`` 1, ``gradedSpike`` False. The
input layer has no neuron (lava-dl 0.6.0 ignores an input neuron's weights).

lava turns ``W_l`` into 8-bit weights with an exponent; ``check_weights`` refuses the
matrices for which that is not lossless.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from multigrade.errors import ExportError
from multigrade.io import atomic_path
from multigrade.loihi.student import LoihiStudent


def integer_weights(student: LoihiStudent) -> list[np.ndarray]:
    """``W_l`` (n_l, n_{l-1}) as int64, exactly the student's."""
    return [block.integer_weight().detach().cpu().double().numpy().astype(np.int64) for block in student.blocks]


def check_weights(layer: int, weights: np.ndarray) -> None:
    """Raise an ``ExportError`` naming ``layer`` when lava's weight conversion would change it:
    lava delivers exactly ``W s`` for mixed-sign weights in [-256, 254], non-negative ones up
    to 255, and all-negative ones whose largest magnitude is not a power of two."""
    low, high = int(weights.min()), int(weights.max())
    if low == 0 and high == 0:
        raise ExportError(f"layer {layer}: every weight is 0 (netx cannot load an all-zero layer); train longer")
    if low < 0 < high and (low < -256 or high > 254):
        raise ExportError(f"layer {layer}: mixed-sign weights must lie in [-256, 254]; got [{low}, {high}]")
    if low >= 0 and high > 255:
        raise ExportError(f"layer {layer}: non-negative weights must be at most 255; got {high}")
    if high <= 0 < -low and (high == 0 or (-low) & (-low - 1) == 0):
        raise ExportError(f"layer {layer}: weights without a positive one must all be negative, the largest"
                          f" magnitude not a power of two, for lava to keep them exact; got [{low}, {high}]")


def _name(group: h5py.Group, key: str, value: str) -> None:
    group.create_dataset(key, (1,), "S10", [value.encode("ascii")])


def export_netx(student: LoihiStudent, path: str | Path) -> Path:
    """Write ``student`` to ``path`` (atomically) and return it."""
    weights = integer_weights(student)
    for layer, matrix in enumerate(weights, start=1):
        check_weights(layer, matrix)
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        layers = handle.create_group("layer")
        first = layers.create_group("0")
        _name(first, "type", "input")
        first.create_dataset("shape", data=np.array([student.sizes[0]], dtype=np.int64))
        for index, (matrix, mantissa) in enumerate(zip(weights, student.threshold_mantissas()), start=1):
            group = layers.create_group(str(index))
            _name(group, "type", "dense")
            group.create_dataset("shape", data=np.array([matrix.shape[0]], dtype=np.int64))
            group.create_dataset("weight", data=matrix.astype(np.float32))
            neuron = group.create_group("neuron")
            neuron.create_dataset("type", data="CUBA", dtype=h5py.string_dtype())
            for key, value in (("iDecay", student.current_decay), ("vDecay", student.voltage_decay),
                               ("vThMant", mantissa), ("refDelay", 1)):
                neuron.create_dataset(key, data=np.int64(value))
            neuron.create_dataset("gradedSpike", data=False)
    return path
