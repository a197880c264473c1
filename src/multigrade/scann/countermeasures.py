"""Countermeasures against the side channels, and what they cost.

* ``dummy``: randomised dummy activity. ``neurons`` extra axon-hillock neurons share the
  layer's supply and output bus, driven by fresh Poisson inputs at a rate drawn uniformly
  from ``rates`` (Hz) for every measurement; their supply current and spikes add to the
  layer's. Cost: their mean supply current over the layer's.
* ``flattening``: current flattening. A shunt regulator with loop gain ``A`` holds the
  supply at ``I_flat``, the largest windowed current of the unprotected profiling traces
  times ``1 + margin``, and lets through ``I_obs = I_flat + (I - I_flat) / (1 + A)``; it
  lowers the power signal by ``20 log10(1 + A)`` dB and leaves spike timing unchanged.
  Cost: ``I_flat`` over the layer's mean supply current, minus one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from multigrade.scann.channels import Measurement, power_features, spike_histograms
from multigrade.scann.layer import LayerTrace

COUNTERMEASURES = ("none", "dummy", "flattening")


@dataclass
class DummyPool:
    """Simulated dummy activity to draw from: ``power`` (P, D) features of the dummies'
    supply current and ``timing`` (P, D) their spike counts per window."""

    power: np.ndarray
    timing: np.ndarray
    mean_current: float

    @classmethod
    def of(cls, trace: LayerTrace, power_bins: int, timing_bins: int) -> "DummyPool":
        pool = trace.supply.shape[1]
        timing = spike_histograms(trace.spike_trace, trace.spike_time, pool, timing_bins, trace.duration)
        return cls(power_features(trace, power_bins), timing, float(trace.supply.mean()))

    def draws(self, channel: str, traces: int) -> Callable[[np.random.Generator], np.ndarray]:
        """``extra(rng)``: (traces, D) features of one fresh draw of dummy activity per trace."""
        pool = self.power if channel == "power" else self.timing
        return lambda rng: pool[rng.integers(len(pool), size=traces)]


def flattened(measurement: Measurement, level: float, loop_gain: float) -> Measurement:
    """The power measurement behind a regulator holding ``level`` (nA) with ``loop_gain``."""
    if measurement.channel != "power":
        return measurement
    clean = level + (measurement.clean - level) / (1.0 + loop_gain)
    return Measurement(measurement.channel, measurement.traces, measurement.bins, measurement.duration, clean=clean)
