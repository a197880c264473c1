"""What an attacker measures: the layer's supply current (power channel) or the merged
output spike times without neuron addresses (timing channel), as feature vectors.

* power: the supply current averaged over ``bins`` equal windows (nA), plus white
  Gaussian noise of variance ``σ² = S / 10^(SNR/10)``, ``S`` the variance over the
  windows of the unprotected layer's mean trace;
* timing: the count of output spikes per window, after moving every spike by Gaussian
  jitter of standard deviation ``σ_t = ISI / 10^(SNR/20)``, ``ISI`` the unprotected
  layer's mean interval between output spikes.

Averaging ``n`` measurements of the same device averages their features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from multigrade.scann.layer import LayerTrace

CHANNELS = ("power", "timing")
# What a countermeasure adds to one measurement: (rng, timing jitter in seconds) -> (B, D)
Extra = Callable[[np.random.Generator, float], np.ndarray] | None


def power_features(trace: LayerTrace, bins: int) -> np.ndarray:
    """(B, bins) mean supply current per window, in nA."""
    steps, traces = trace.supply.shape
    usable = steps - steps % bins
    return trace.supply[:usable].reshape(bins, usable // bins, traces).mean(axis=1).T * 1e9


def spike_histograms(trace_index: np.ndarray, times: np.ndarray, traces: int, bins: int,
                     duration: float) -> np.ndarray:
    """(B, bins) spikes per window; spikes moved outside [0, duration) are lost."""
    window = np.floor(times / duration * bins).astype(np.int64)
    keep = (window >= 0) & (window < bins)
    flat = trace_index[keep] * bins + window[keep]
    return np.bincount(flat, minlength=traces * bins).reshape(traces, bins).astype(np.float64)


@dataclass
class Measurement:
    """A channel's noiseless view of a set of devices, and how to measure it with noise.

    ``clean`` (B, D) noiseless power features, or, for timing, the spike lists
    (``spike_trace``, ``spike_time``) to jitter; ``noise_scale``: the ``S`` (power) or
    ``ISI`` (timing) that SNR is relative to.
    """

    channel: str
    traces: int
    bins: int
    duration: float
    clean: np.ndarray | None = None
    spike_trace: np.ndarray | None = None
    spike_time: np.ndarray | None = None

    @classmethod
    def of(cls, channel: str, trace: LayerTrace, bins: int) -> "Measurement":
        traces = trace.supply.shape[1]
        if channel == "power":
            return cls(channel, traces, bins, trace.duration, clean=power_features(trace, bins))
        return cls(channel, traces, bins, trace.duration, spike_trace=trace.spike_trace, spike_time=trace.spike_time)

    def noiseless(self) -> np.ndarray:
        if self.channel == "power":
            return self.clean
        return spike_histograms(self.spike_trace, self.spike_time, self.traces, self.bins, self.duration)

    def signal_scale(self) -> float:
        """``S`` (power: variance over windows of the mean trace, nA²) or ``ISI`` (timing,
        seconds): the noise's reference."""
        if self.channel == "power":
            return float(self.clean.mean(axis=0).var())
        return self.duration * self.traces / max(len(self.spike_time), 1)

    def measure(self, rng: np.random.Generator, snr_db: float, scale: float, averages: int = 1,
                extra: Extra = None) -> np.ndarray:
        """(B, D) features averaged over ``averages`` noisy measurements; ``extra(rng, jitter)``
        adds what a countermeasure adds to one measurement (B, D), its spikes moved by the
        same timing jitter."""
        total = np.zeros((self.traces, self.bins))
        jitter = scale / 10 ** (snr_db / 20) if self.channel == "timing" else 0.0
        for _ in range(averages):
            if self.channel == "power":
                sigma = np.sqrt(scale / 10 ** (snr_db / 10))
                one = self.clean + sigma * rng.standard_normal(self.clean.shape)
            else:
                moved = self.spike_time + jitter * rng.standard_normal(self.spike_time.shape)
                one = spike_histograms(self.spike_trace, moved, self.traces, self.bins, self.duration)
            total += one if extra is None else one + extra(rng, jitter)
        return total / averages

