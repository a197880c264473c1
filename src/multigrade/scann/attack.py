"""One template attack, end to end: simulate profiling clones and victim devices for every
secret class, measure them through the channel at each SNR and number of averaged traces,
and report the templates' success rates, unprotected and behind each countermeasure.

Every random draw comes from the run's seed through separate streams (network weights,
probe, profiling devices, victim devices, dummy activity, measurement noise), so a run is
repeatable number for number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from multigrade.scann.channels import CHANNELS, Extra, Measurement, power_features
from multigrade.scann.circuit import AxonHillock
from multigrade.scann.countermeasures import DummyPool, flattened
from multigrade.scann.layer import LayerDevices, LayerTrace, poisson_spikes, simulate_layer, synaptic_pulses
from multigrade.scann.secrets import SECRETS, devices_with_secret, network_weights
from multigrade.scann.templates import success_rates

STREAMS = ("weights", "probe", "profiling", "victims", "dummy", "noise")


@dataclass(frozen=True)
class LayerSettings:
    """The attacked layer and the probe (see ``conf/scann.yaml``: ``layer``)."""

    inputs: int
    neurons: int
    weight_range: tuple[float, float]
    i_unit: float
    pulse: float
    input_rate: float
    duration: float
    dt: float

    def __post_init__(self) -> None:
        for key in ("inputs", "neurons", "i_unit", "pulse", "input_rate", "duration", "dt"):
            if not getattr(self, key) > 0:
                raise ValueError(f"layer.{key} must be positive; got {getattr(self, key)!r}")
        low, high = self.weight_range
        if not 0 <= low <= high:
            raise ValueError(f"layer.weight_range must be [low, high] with 0 <= low <= high (a current-mode"
                             f" synapse injects current); got {list(self.weight_range)}")

    @property
    def steps(self) -> int:
        return int(round(self.duration / self.dt))

    @property
    def pulse_steps(self) -> int:
        return max(1, int(round(self.pulse / self.dt)))


@dataclass(frozen=True)
class AttackSettings:
    """What one attack run needs; built from the config by ``multigrade.scann.__main__``."""

    circuit: AxonHillock
    layer: LayerSettings
    mismatch: dict[str, float]
    secret: str
    channel: str
    values: tuple[float, ...]
    power_bins: int
    timing_bins: int
    snr_db: tuple[float, ...]
    averages: tuple[int, ...]
    averaging_snr_db: float
    countermeasure_snr_db: float
    dummy_neurons: int
    dummy_rates: tuple[float, float]
    dummy_pool: int
    loop_gain: float
    margin: float
    profiling: int
    victims: int

    def __post_init__(self) -> None:
        if self.secret not in SECRETS:
            raise ValueError(f"attack.secret must be one of {', '.join(SECRETS)}; got {self.secret!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"attack.channel must be one of {', '.join(CHANNELS)}; got {self.channel!r}")
        if len(self.values) < 2 or len(set(self.values)) != len(self.values):
            raise ValueError(f"attack.values must list at least two different values; got {list(self.values)}")
        if self.secret == "neurons" and any(v != int(v) or v < 1 for v in self.values):
            raise ValueError(f"attack.values of secret neurons must be positive integers; got {list(self.values)}")
        if self.secret == "threshold":
            for value in self.values:
                self.circuit.with_values(threshold=value)  # raises naming circuit.threshold when out of range
        if self.secret in ("weight", "capacitors") and min(self.values) <= 0:
            raise ValueError(f"attack.values of secret {self.secret} must be positive; got {list(self.values)}")
        shortest_high = self.circuit.vdd * self.circuit.c_fb * min(self.values_of("capacitors")) / self.circuit.i_reset
        if self.layer.dt > shortest_high / 10:
            raise ValueError(f"layer.dt = {self.layer.dt:g} s is too long: an output pulse lasts"
                             f" {shortest_high:.3g} s or more; use at most a tenth of that")
        for key in ("power_bins", "timing_bins"):
            if not 1 <= getattr(self, key) <= self.layer.steps:
                raise ValueError(f"measurement.{key} must lie between 1 and the {self.layer.steps} steps;"
                                 f" got {getattr(self, key)!r}")
        if not self.snr_db or not self.averages or any(n < 1 or n != int(n) for n in self.averages):
            raise ValueError(f"measurement.snr_db must list SNRs and measurement.averages positive integers;"
                             f" got {list(self.snr_db)} and {list(self.averages)}")
        if self.loop_gain < 0 or self.margin < 0:
            raise ValueError(f"countermeasures.flattening.loop_gain and margin must be >= 0; got {self.loop_gain}"
                             f" and {self.margin}")
        if self.dummy_neurons < 1 or self.dummy_pool < 1 or not 0 < self.dummy_rates[0] <= self.dummy_rates[1]:
            raise ValueError(f"countermeasures.dummy needs neurons >= 1, pool >= 1 and rates [low, high] with"
                             f" 0 < low <= high; got {self.dummy_neurons}, {self.dummy_pool}, {list(self.dummy_rates)}")
        if self.profiling < 2 or self.victims < 1:
            raise ValueError(f"traces: profiling must be at least 2 and victims at least 1 per class;"
                             f" got {self.profiling} and {self.victims}")

    def values_of(self, secret: str) -> tuple[float, ...]:
        """The class values if ``secret`` is the attacked one, else the nominal (1.0 for a scale)."""
        return self.values if self.secret == secret else (1.0,)

    @property
    def bins(self) -> int:
        return self.power_bins if self.channel == "power" else self.timing_bins

    @property
    def layer_neurons(self) -> int:
        """Rows of the network: the most neurons any class's device has."""
        return int(max(self.values)) if self.secret == "neurons" else self.layer.neurons


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def simulate_devices(settings: AttackSettings, weights: np.ndarray, pulses: np.ndarray, per_class: int,
                     rng: np.random.Generator) -> LayerTrace:
    """``per_class`` devices of every class, class by class (B = K per_class traces)."""
    values = np.repeat(np.asarray(settings.values, dtype=np.float64), per_class)
    devices, device_weights = devices_with_secret(settings.circuit, weights, settings.secret, values,
                                                  settings.mismatch, rng)
    layer = settings.layer
    return simulate_layer(devices, device_weights, pulses, layer.i_unit, layer.dt)


def simulate_dummies(settings: AttackSettings, rng: np.random.Generator) -> LayerTrace:
    """``dummy_pool`` draws of dummy activity: ``dummy_neurons`` nominal neurons, each input
    Poisson at a rate drawn per draw from ``dummy_rates``, weights from ``weight_range``."""
    layer, pool = settings.layer, settings.dummy_pool
    devices = LayerDevices.nominal(settings.circuit, pool, settings.dummy_neurons)
    weights = rng.uniform(*layer.weight_range, size=(pool, settings.dummy_neurons, layer.inputs))
    rates = rng.uniform(*settings.dummy_rates, size=(pool, 1)) * np.ones((1, layer.inputs))
    pulses = synaptic_pulses(poisson_spikes(rng, rates, layer.steps, layer.dt), layer.pulse_steps)
    return simulate_layer(devices, weights, pulses, layer.i_unit, layer.dt)


def network_and_probe(settings: AttackSettings, rng: dict[str, np.random.Generator]) -> tuple[np.ndarray, np.ndarray]:
    """The victim network's nominal weights (M, N) and the probe's synaptic pulses (T, N)."""
    layer = settings.layer
    weights = network_weights(rng["weights"], settings.layer_neurons, layer.inputs, *layer.weight_range)
    probe = poisson_spikes(rng["probe"], np.full(layer.inputs, layer.input_rate), layer.steps, layer.dt)
    return weights, synaptic_pulses(probe, layer.pulse_steps)


def example_device(settings: AttackSettings, seed: int, value: float) -> LayerTrace:
    """One device of secret ``value``, without mismatch, under the run's probe, with its
    membrane voltages recorded (for a figure)."""
    rng = _streams(seed)
    weights, pulses = network_and_probe(settings, rng)
    devices, device_weights = devices_with_secret(settings.circuit, weights, settings.secret, np.array([value]),
                                                  {}, rng["profiling"])
    return simulate_layer(devices, device_weights, pulses, settings.layer.i_unit, settings.layer.dt,
                          record_membrane=True)


def run_attack(settings: AttackSettings, seed: int) -> dict[str, Any]:
    """Success rates of both template classifiers against SNR, against averaged traces,
    and per countermeasure, with the countermeasures' costs and the signal's scale."""
    rng = _streams(seed)
    classes = len(settings.values)
    weights, pulses = network_and_probe(settings, rng)
    profiled = simulate_devices(settings, weights, pulses, settings.profiling, rng["profiling"])
    attacked = simulate_devices(settings, weights, pulses, settings.victims, rng["victims"])
    profiles = Measurement.of(settings.channel, profiled, settings.bins)
    victims = Measurement.of(settings.channel, attacked, settings.bins)
    scale = profiles.signal_scale()
    noise = rng["noise"]

    def success(snr_db: float, averages: int, profile: Measurement = profiles, victim: Measurement = victims,
                extra: tuple[Extra, Extra] = (None, None)) -> dict[str, float]:
        known = profile.measure(noise, snr_db, scale, averages, extra[0])
        unknown = victim.measure(noise, snr_db, scale, averages, extra[1])
        return success_rates(known.reshape(classes, settings.profiling, -1),
                             unknown.reshape(classes, settings.victims, -1))

    mean_current = float(profiled.supply.mean())
    dummies = DummyPool.of(simulate_dummies(settings, rng["dummy"]), settings.power_bins, settings.timing_bins)
    level = float(power_features(profiled, settings.power_bins).max()) * (1 + settings.margin)
    protected = {
        "dummy": (profiles, victims, (dummies.draws(settings.channel, profiles.traces),
                                      dummies.draws(settings.channel, victims.traces))),
        "flattening": (flattened(profiles, level, settings.loop_gain), flattened(victims, level, settings.loop_gain),
                       (None, None)),
    }
    costs = {"dummy": dummies.mean_current / mean_current, "flattening": level * 1e-9 / mean_current - 1.0}
    most = max(settings.averages)
    countermeasures = {
        "none": {"success": success(settings.countermeasure_snr_db, 1),
                 "success_averaged": success(settings.countermeasure_snr_db, most), "power_overhead": 0.0},
        **{name: {"success": success(settings.countermeasure_snr_db, 1, *view),
                  "success_averaged": success(settings.countermeasure_snr_db, most, *view),
                  "power_overhead": costs[name]}
           for name, view in protected.items()},
    }
    return {
        "secret": settings.secret,
        "channel": settings.channel,
        "values": list(settings.values),
        "chance": 1.0 / classes,
        "snr_db": list(settings.snr_db),
        "success_vs_snr": _by_classifier([success(snr, 1) for snr in settings.snr_db]),
        "averages": list(settings.averages),
        "averaging_snr_db": settings.averaging_snr_db,
        "success_vs_averages": _by_classifier([success(settings.averaging_snr_db, n) for n in settings.averages]),
        "countermeasure_snr_db": settings.countermeasure_snr_db,
        "averaged_traces": most,
        "countermeasures": countermeasures,
        "signal": {
            "mean_supply_current_na": mean_current * 1e9,
            "power_signal_variance_na2" if settings.channel == "power" else "mean_spike_interval_s": scale,
            "spikes_per_trace": float(profiled.spike_counts().mean()),
            "flattened_level_na": level,
        },
        "class_means": profiles.noiseless().reshape(classes, settings.profiling, -1).mean(axis=1).tolist(),
        "traces_per_class": {"profiling": settings.profiling, "victims": settings.victims},
    }


def _by_classifier(rows: list[dict[str, float]]) -> dict[str, list[float]]:
    return {name: [row[name] for row in rows] for name in rows[0]}
