"""The secret design parameters an attacker recovers, and the devices that carry them.

A device is one layer of ``neurons`` axon-hillock neurons with ``inputs`` synapses each;
its nominal weights (units of ``i_unit``) are the network's own, known to the attacker
except for the secret. Each secret class sets one parameter of every neuron:

* ``weight``: the weight of input 0's synapses (all neurons),
* ``neurons``: how many neurons the layer has (the others absent),
* ``threshold``: the switching voltage ``V_th`` (volts),
* ``capacitors``: a scale of both ``C_mem`` and ``C_fb``.

On top, every device draws its own mismatch: each neuron's ``C_mem``, ``C_fb``,
``V_th``, ``I_r`` and every weight times ``1 + σ ε``, ``ε ~ N(0, 1)``, with ``σ`` per
parameter from ``mismatch``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from multigrade.scann.circuit import AxonHillock
from multigrade.scann.layer import LayerDevices

SECRETS = ("weight", "neurons", "threshold", "capacitors")
MISMATCH_KEYS = ("c_mem", "c_fb", "threshold", "i_reset", "weight")


def network_weights(rng: np.random.Generator, neurons: int, inputs: int, low: float, high: float) -> np.ndarray:
    """(neurons, inputs) nominal weights, uniform in [low, high]."""
    return rng.uniform(low, high, size=(neurons, inputs))


def devices_with_secret(circuit: AxonHillock, weights: np.ndarray, secret: str, values: np.ndarray,
                        mismatch: dict[str, float], rng: np.random.Generator) -> tuple[LayerDevices, np.ndarray]:
    """One device per entry of ``values`` (B,): its ``LayerDevices`` (B, M) and weights
    (B, M, N), ``M`` the rows of ``weights`` (the most neurons a device may have)."""
    values = np.asarray(values, dtype=np.float64)
    traces, (neurons, inputs) = len(values), weights.shape
    devices = LayerDevices.nominal(circuit, traces, neurons)
    device_weights = np.broadcast_to(weights, (traces, neurons, inputs)).copy()
    per_neuron = values[:, None] * np.ones((1, neurons))
    if secret == "weight":
        device_weights[:, :, 0] = per_neuron
    elif secret == "neurons":
        devices = replace(devices, active=np.arange(neurons)[None, :] < values[:, None])
    elif secret == "threshold":
        devices = replace(devices, threshold=per_neuron)
    else:
        devices = replace(devices, c_mem=devices.c_mem * per_neuron, c_fb=devices.c_fb * per_neuron)

    def vary(array: np.ndarray, key: str) -> np.ndarray:
        return array * (1.0 + mismatch.get(key, 0.0) * rng.standard_normal(array.shape))

    devices = replace(devices, **{key: vary(getattr(devices, key), key) for key in MISMATCH_KEYS if key != "weight"})
    return devices, vary(device_weights, "weight")
