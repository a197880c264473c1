"""Energy and latency of one image on Loihi, estimated from its simulated activity with the
published per-operation figures of the first Loihi (Davies et al., IEEE Micro 2018, Table 2,
pre-silicon; Loihi 2 has none published per operation): an estimate, not a measurement.

Per image, with ``SOPs`` the synaptic operations (spikes times their nonzero fan-out),
``A`` / ``I`` the active / inactive neuron updates (a layer's neurons are active in a step
when any spike arrives at the layer), ``S`` the spikes::

    E = 23.6 pJ SOPs + 81 pJ A + 52 pJ I + 1.7 pJ S
    t = 3.5 ns SOPs + 8.4 ns A + 5.3 ns I        (one core doing all of it: an upper bound)

These synaptic ops are not the 45 nm host's (``multigrade.spiking.activity``), which
counts every synapse a spike reaches, zero weights and the last step's spikes included.
"""

from __future__ import annotations

import numpy as np

SYNAPTIC_OP_PJ = 23.6
ACTIVE_UPDATE_PJ, INACTIVE_UPDATE_PJ = 81.0, 52.0
SPIKE_PJ = 1.7
SYNAPTIC_OP_NS = 3.5
ACTIVE_UPDATE_NS, INACTIVE_UPDATE_NS = 8.4, 5.3
ESTIMATE = ("estimate, not a measurement: the first Loihi's pre-silicon figures (Davies et al. 2018; none"
            " are published per operation for Loihi 2): 23.6 pJ and"
            " 3.5 ns per synaptic op, 81 / 52 pJ and 8.4 / 5.3 ns per active / inactive neuron update,"
            " 1.7 pJ per spike; the time as if one core did every operation")


def synaptic_ops(layer_inputs: list[np.ndarray], fan_outs: list[np.ndarray]) -> list[int]:
    """Per layer, the spikes sent to it that arrive within the run (all but the last step's)
    times their nonzero fan-out; ``layer_inputs[l]`` (T, n_{l-1}), ``fan_outs[l]`` (n_{l-1},)."""
    return [int((spikes[:-1].astype(np.int64) @ fans).sum()) for spikes, fans in zip(layer_inputs, fan_outs)]


def neuron_updates(layer_inputs: list[np.ndarray], widths: list[int]) -> tuple[int, int]:
    """(active, inactive) updates of one image: ``layer_inputs[l]`` (T, n_{l-1}) are the spikes
    sent to layer l, which arrive one step later."""
    active = inactive = 0
    for spikes, width in zip(layer_inputs, widths):
        arriving = np.zeros(spikes.shape[0], dtype=bool)
        arriving[1:] = spikes[:-1].any(axis=1)
        active += int(arriving.sum()) * width
        inactive += int((~arriving).sum()) * width
    return active, inactive


def loihi_estimate(synaptic_ops: int, active: int, inactive: int, spikes: int) -> dict[str, float]:
    """Energy (nJ) and latency (µs) of one image from its counts."""
    energy_pj = (SYNAPTIC_OP_PJ * synaptic_ops + ACTIVE_UPDATE_PJ * active + INACTIVE_UPDATE_PJ * inactive
                 + SPIKE_PJ * spikes)
    time_ns = SYNAPTIC_OP_NS * synaptic_ops + ACTIVE_UPDATE_NS * active + INACTIVE_UPDATE_NS * inactive
    return {"energy_nj": energy_pj / 1e3, "latency_us": time_ns / 1e3}
