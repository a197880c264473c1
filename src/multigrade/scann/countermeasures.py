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
from functools import cached_property

import numpy as np

from multigrade.scann.channels import Extra, Measurement, power_features, spike_histograms
from multigrade.scann.layer import LayerTrace

COUNTERMEASURES = ("none", "dummy", "flattening")


@dataclass
class DummyPool:
    """Simulated dummy activity to draw from: ``power`` (P, D) features of the dummies'
    supply current, their spikes (``spike_trace``, ``spike_time``) for the timing channel,
    and their mean current."""

    power: np.ndarray
    spike_trace: np.ndarray
    spike_time: np.ndarray
    duration: float
    timing_bins: int
    mean_current: float

    @classmethod
    def of(cls, trace: LayerTrace, power_bins: int, timing_bins: int) -> "DummyPool":
        return cls(power_features(trace, power_bins), trace.spike_trace, trace.spike_time, trace.duration,
                   timing_bins, float(trace.supply.mean()))

    @cached_property
    def _by_draw(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The spikes' order by pool draw, each draw's spike count and first position."""
        order = np.argsort(self.spike_trace, kind="stable")
        counts = np.bincount(self.spike_trace, minlength=len(self.power))
        return order, counts, np.concatenate([[0], np.cumsum(counts)[:-1]])

    def spikes_of(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The spikes of pool draws ``chosen`` (B,), as (trace b, time) pairs."""
        order, counts, starts = self._by_draw
        taken = counts[chosen]
        owner = np.repeat(np.arange(len(chosen)), taken)
        offset = np.arange(taken.sum()) - np.repeat(np.cumsum(taken) - taken, taken)
        return owner, self.spike_time[order[np.repeat(starts[chosen], taken) + offset]]

    def draws(self, channel: str, traces: int) -> Extra:
        """``extra(rng, jitter)``: (traces, D) features of one fresh draw of dummy activity per
        trace, its spikes jittered like the layer's."""
        def power(rng: np.random.Generator, jitter: float) -> np.ndarray:
            return self.power[rng.integers(len(self.power), size=traces)]

        def timing(rng: np.random.Generator, jitter: float) -> np.ndarray:
            owner, times = self.spikes_of(rng.integers(len(self.power), size=traces))
            moved = times + jitter * rng.standard_normal(times.shape)
            return spike_histograms(owner, moved, traces, self.timing_bins, self.duration)

        return power if channel == "power" else timing


def flattened(measurement: Measurement, level: float, loop_gain: float) -> Measurement:
    """The power measurement behind a regulator holding ``level`` (nA) with ``loop_gain``."""
    if measurement.channel != "power":
        return measurement
    clean = level + (measurement.clean - level) / (1.0 + loop_gain)
    return Measurement(measurement.channel, measurement.traces, measurement.bins, measurement.duration, clean=clean)
