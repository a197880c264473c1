"""A layer of axon-hillock neurons driven through current-mode synapses, simulated for
many traces at once (NumPy, vectorised over traces and neurons, a loop over time steps).

Each trace ``b`` is one device: its own circuit values per neuron (a secret value, the
device's mismatch) and its own weights. Input spike trains enter current-mode synapses
that each inject ``I_unit * w`` for ``pulse`` seconds per input spike (a pulse extender),
so neuron ``m`` receives ``I_m(t) = I_unit Σ_n W_mn p_n(t)``, with ``p_n(t)`` the number of
input ``n``'s spikes within the last ``pulse`` seconds.

The membrane follows the piecewise-linear axon-hillock dynamics of ``circuit``; a step in
which the membrane reaches ``V_th`` is split at the crossing (exact for a current that is
constant within the step), so spike times are not rounded to the step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multigrade.scann.circuit import AxonHillock, membrane_swing, rise_charge, switching_k_p


@dataclass(frozen=True)
class LayerDevices:
    """Per trace and neuron circuit values, arrays of shape (B, M); ``active`` (B, M) marks
    the neurons a device has (the others draw nothing and never spike)."""

    circuit: AxonHillock
    c_mem: np.ndarray
    c_fb: np.ndarray
    threshold: np.ndarray
    i_reset: np.ndarray
    active: np.ndarray

    @classmethod
    def nominal(cls, circuit: AxonHillock, traces: int, neurons: int) -> "LayerDevices":
        keys = ("c_mem", "c_fb", "threshold", "i_reset")
        values = [np.full((traces, neurons), getattr(circuit, key)) for key in keys]
        return cls(circuit, *values, np.ones((traces, neurons), dtype=bool))

    @property
    def shape(self) -> tuple[int, int]:
        return self.active.shape

    @property
    def k_p(self) -> np.ndarray:
        """(B, M) PMOS transconductances that set each neuron's switching voltage."""
        c = self.circuit
        return switching_k_p(c.k_n, self.threshold, c.v_tn, c.vdd, c.v_tp)

    @property
    def swing(self) -> np.ndarray:
        """(B, M) membrane jumps at an output edge."""
        return membrane_swing(self.circuit.vdd, self.c_mem, self.c_fb)

    @property
    def rise_charge(self) -> np.ndarray:
        """(B, M) charges the supply gives at a rising output edge."""
        return rise_charge(self.circuit.vdd, self.circuit.c_out, self.c_mem, self.c_fb)


@dataclass
class LayerTrace:
    """What a simulation gives: ``supply`` (T, B), the supply current of each trace in
    amperes averaged over each step; the output spikes as parallel arrays ``spike_trace``,
    ``spike_neuron`` and ``spike_time`` (seconds); ``dt`` the step; ``membrane`` (T, B, M),
    the membrane voltages at the end of each step, when recorded."""

    supply: np.ndarray
    spike_trace: np.ndarray
    spike_neuron: np.ndarray
    spike_time: np.ndarray
    dt: float
    membrane: np.ndarray | None = None

    @property
    def duration(self) -> float:
        return self.supply.shape[0] * self.dt

    def spike_counts(self) -> np.ndarray:
        """(B,) output spikes per trace, all neurons together."""
        return np.bincount(self.spike_trace, minlength=self.supply.shape[1])


def synaptic_pulses(spikes: np.ndarray, pulse_steps: int) -> np.ndarray:
    """``p[t] = Σ_{s = t - pulse_steps + 1}^{t} spikes[s]`` along axis 0 (any trailing shape):
    the number of each input's pulses on at step t."""
    total = np.cumsum(spikes, axis=0, dtype=np.float64)
    shifted = np.zeros_like(total)
    shifted[pulse_steps:] = total[:-pulse_steps]
    return total - shifted


def poisson_spikes(rng: np.random.Generator, rates: np.ndarray, steps: int, dt: float) -> np.ndarray:
    """(steps, *rates.shape) booleans: a Poisson spike train per rate (Hz) on a grid of ``dt``."""
    return rng.random((steps, *np.shape(rates))) < np.asarray(rates) * dt


def simulate_layer(devices: LayerDevices, weights: np.ndarray, pulses: np.ndarray, i_unit: float,
                   dt: float, record_membrane: bool = False) -> LayerTrace:
    """Simulate ``devices`` for ``len(pulses)`` steps of ``dt`` seconds; ``dt`` must be
    shorter than the time the output stays high (``V_dd C_fb / (I_r - I)``), so that a
    step holds at most one output edge.

    ``weights`` (B, M, N) in units of ``i_unit`` amperes; ``pulses`` (T, N), the same input
    for every trace, or (T, B, N). Per step, with ``I`` the synaptic current and ``h`` the
    output (1 high), ``V <- V + (I - h I_r) dt / C_total``; crossing ``V_th`` upwards sets
    ``h = 1`` and adds ``ΔV``, downwards (while high) sets ``h = 0`` and subtracts it. The
    current trace per step is ``I + I_r (time high) / dt + I_sc(V) + (edge charges) / dt``
    over the active neurons (see ``circuit`` for what it measures).
    """
    c = devices.circuit
    steps = pulses.shape[0]
    traces, neurons = devices.shape
    c_total = devices.c_mem + devices.c_fb
    swing, rise_q = devices.swing, devices.rise_charge
    threshold, i_reset, k_p = devices.threshold, devices.i_reset, devices.k_p
    active = devices.active.astype(np.float64)
    gains = i_unit * weights * active[:, :, None]
    shared_input = pulses.ndim == 2

    voltage = np.zeros((traces, neurons))
    high = np.zeros((traces, neurons), dtype=bool)
    supply = np.empty((steps, traces))
    membrane = np.empty((steps, traces, neurons)) if record_membrane else None
    spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for step in range(steps):
        current = gains @ pulses[step] if shared_input else np.einsum("bmn,bn->bm", gains, pulses[step])
        slope = (current - high * i_reset) / c_total
        moved = voltage + slope * dt
        rising = ~high & (moved >= threshold)
        falling = high & (moved <= threshold)
        crossed = rising | falling
        # fraction of the step before the crossing; the rest runs in the new state
        before = np.where(crossed, (threshold - voltage) / np.where(crossed, moved - voltage, 1.0), 0.0)
        after = (1.0 - before) * dt
        moved = np.where(rising, threshold + swing + (current - i_reset) * after / c_total, moved)
        moved = np.where(falling, threshold - swing + current * after / c_total, moved)
        time_high = np.where(rising, after, np.where(falling, before * dt, high * dt))
        edges = rising * rise_q + falling * c.fall_charge
        short = c.short_circuit(voltage, k_p=k_p)
        supply[step] = ((current + short + i_reset * time_high / dt + edges / dt) * active).sum(axis=1)
        if rising.any():
            trace, neuron = np.nonzero(rising)
            spikes.append((trace, neuron, (step + before[trace, neuron]) * dt))
        high = (high | rising) & ~falling
        voltage = np.clip(moved, 0.0, c.vdd)
        if membrane is not None:
            membrane[step] = voltage
    if spikes:
        trace, neuron, time = (np.concatenate(parts) for parts in zip(*spikes))
    else:
        trace, neuron, time = np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    return LayerTrace(supply, trace, neuron, time, dt, membrane)
