"""Hydra entry point of the side-channel attacks: ``python -m multigrade.scann attack=<name>``.

One run simulates the attack of ``attack`` (``scann_<secret>_<channel>``) with the profile's
numbers of traces and writes into ``paths.output_dir``: ``metrics.json`` (written last: the
success rates of both template classifiers against SNR and against averaged traces, the
countermeasures' success rates and power overheads, the signal's scale, the class
templates, the resolved config), ``figures/success.png``, ``figures/templates.png``,
``figures/device.png`` (one device: membrane voltages, output spikes, supply current) and
``.hydra/``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import fields
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from multigrade import schema
from multigrade.errors import ConfigError
from multigrade.io import write_json
from multigrade.jobs import CONF_DIR, claim_output_dir, exits_cleanly
from multigrade.run_folder import check_finished_run, record_run
from multigrade.scann.attack import AttackSettings, LayerSettings, example_device, run_attack
from multigrade.scann.circuit import AxonHillock
from multigrade.scann.plots import write_attack_figures
from multigrade.scann.secrets import MISMATCH_KEYS

log = logging.getLogger(__name__)


def _section(cfg: DictConfig, key: str, known: type | None = None) -> dict[str, Any]:
    """``cfg.<key>`` as a dict; with ``known`` (a dataclass) a key it lacks is named."""
    values = OmegaConf.to_container(cfg[key], resolve=True)
    if known is not None:
        unknown = sorted(set(values) - {field.name for field in fields(known)})
        if unknown:
            names = ", ".join(field.name for field in fields(known))
            raise ConfigError(f"{key}.{unknown[0]} is not a setting; known: {names}")
    return values


# The largest relative mismatch: a device's parameter nominal * (1 + sigma z) stays positive
# for z down to -5 (negative for about one device in 3.5 million).
MAX_MISMATCH = 0.2


def attack_settings(cfg: DictConfig) -> AttackSettings:
    """The run's ``AttackSettings``; a ``ConfigError`` names a bad or unknown key."""
    unknown = set(cfg.mismatch) - set(MISMATCH_KEYS)
    if unknown:
        raise ConfigError(f"mismatch.{sorted(unknown)[0]} is not a mismatch parameter; use {', '.join(MISMATCH_KEYS)}")
    for key, spread in cfg.mismatch.items():
        if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not 0 <= spread <= MAX_MISMATCH:
            raise ConfigError(f"mismatch.{key} is a relative standard deviation sigma in [0, {MAX_MISMATCH}] (a"
                              f" device's value is nominal * (1 + sigma z), z ~ N(0, 1), positive up to z = -5);"
                              f" got {spread!r}")
    if cfg.profile.name not in cfg.traces:
        raise ConfigError(f"traces.{cfg.profile.name} is missing: the numbers of profiling and victim devices"
                          f" per class for profile {cfg.profile.name!r}")
    try:
        circuit = AxonHillock(**_section(cfg, "circuit", AxonHillock))
        layer_values = _section(cfg, "layer", LayerSettings)
        layer = LayerSettings(**{**layer_values, "weight_range": tuple(layer_values["weight_range"])})
        attack, measurement, counter = cfg.attack, cfg.measurement, cfg.countermeasures
        traces = cfg.traces[cfg.profile.name]
        return AttackSettings(
            circuit=circuit, layer=layer, mismatch=_section(cfg, "mismatch"),
            secret=attack.secret, channel=attack.channel, values=tuple(float(v) for v in attack["values"]),
            power_bins=measurement.power_bins, timing_bins=measurement.timing_bins,
            snr_db=tuple(measurement.snr_db), averages=tuple(measurement.averages),
            averaging_snr_db=measurement.averaging_snr_db, countermeasure_snr_db=measurement.countermeasure_snr_db,
            dummy_neurons=counter.dummy.neurons, dummy_rates=tuple(counter.dummy.rates), dummy_pool=counter.dummy.pool,
            loop_gain=counter.flattening.loop_gain, margin=counter.flattening.margin,
            profiling=traces.profiling, victims=traces.victims,
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(str(error)) from None


# What may differ between two runs of one attack in one folder: where things are, how the
# run is logged and submitted, the profile's words.
NOT_ATTACK = ("paths", "logger", "cluster_settings", "profile.description")


def run(cfg: DictConfig) -> dict[str, Any]:
    """Run the attack, write the run folder, return the metrics."""
    started = time.perf_counter()
    schema.check(cfg)
    settings = attack_settings(cfg)
    out = claim_output_dir(cfg)
    check_finished_run(out, OmegaConf.to_container(cfg, resolve=True), NOT_ATTACK)
    record_run()
    log.info("%s (profile %s): %d + %d devices per class -> %s", cfg.name, cfg.profile.name,
             settings.profiling, settings.victims, out)
    result = run_attack(settings, cfg.seed)
    device = example_device(settings, cfg.seed, settings.values[0])
    threshold = settings.values[0] if settings.secret == "threshold" else settings.circuit.threshold
    write_attack_figures(result, settings.layer.duration, device, threshold, out / "figures", cfg.attack.unit)
    metrics = {"experiment": cfg.name, "profile": cfg.profile.name, "seed": int(cfg.seed), "device": "cpu (NumPy)",
               "total_seconds": time.perf_counter() - started, **result,
               "config": OmegaConf.to_container(cfg, resolve=True)}
    write_json(out / "metrics.json", metrics)
    best = max(metrics["success_vs_snr"]["gaussian"])
    log.info("done in %.1f s: success %.2f at the best SNR (chance %.2f) -> %s", metrics["total_seconds"], best,
             metrics["chance"], out / "metrics.json")
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="scann")
def main(cfg: DictConfig) -> float:
    """Run one attack; return the Gaussian template's success rate at the highest SNR."""
    with exits_cleanly():
        metrics = run(cfg)
        return metrics["success_vs_snr"]["gaussian"][-1]


if __name__ == "__main__":
    main()
