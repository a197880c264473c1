"""Hydra entry point of the spiking runs: ``python -m multigrade.snn spiking=<experiment>``.

One run trains the configured student network (``student``) with the configured method
(``method``, a LightningModule) on the configured digits (``digits``) with the
experiment's schedule for the profile, evaluates it on the test set,
and writes into ``paths.output_dir``: ``metrics.json`` (written last; ``val_accuracy``,
``test_accuracy``, the teacher's ``*_teacher_accuracy`` when there is one, spikes per
test image), ``logs/metrics.csv`` and ``.hydra/``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from multigrade.io import write_json
from multigrade.run import CONF_DIR, ConfigError, prepare_run, with_overrides

log = logging.getLogger(__name__)


def schedule_settings(cfg: DictConfig) -> dict[str, Any]:
    """``schedules.<profile.schedule>`` with ``train.*`` overrides and the profile's epoch cap."""
    schedule = cfg.profile.schedule
    if cfg.get("schedules") is None or schedule not in cfg.schedules:
        raise ConfigError(f"experiment {cfg.name!r} defines no schedules.{schedule} (profile"
                          f" {cfg.profile.name!r} uses the {schedule!r} schedule)")
    settings = with_overrides(OmegaConf.to_container(cfg.schedules[schedule], resolve=True), cfg)
    missing = {"epochs", "lr_max", "lr_min"} - settings.keys()
    if missing:
        raise ConfigError(f"schedules.{schedule} lacks {sorted(missing)}")
    return settings


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, validate and test the student; write the run folder; return the metrics."""
    started = time.perf_counter()
    out = prepare_run(cfg)
    settings = schedule_settings(cfg)
    datamodule = instantiate(cfg.digits)
    student = instantiate(cfg.method, **settings)
    logger = instantiate(cfg.logger, save_dir=str(out)) if cfg.get("logger") else False
    trainer = instantiate(cfg.trainer, max_epochs=settings["epochs"], logger=logger,
                          log_every_n_steps=50, num_sanity_val_steps=0)
    log.info("%s (profile %s): %d epochs -> %s", cfg.name, cfg.profile.name, settings["epochs"], out)
    trainer.fit(student, datamodule=datamodule)
    validation = {k.replace("/", "_"): float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    tested = {k.replace("/", "_"): float(v) for k, v in trainer.test(student, datamodule=datamodule, verbose=False)[0].items()}
    paper = OmegaConf.to_container(cfg.schedules.get("paper", {}), resolve=True)
    metrics = {
        "experiment": cfg.name,
        "profile": cfg.profile.name,
        "paper_settings": bool(cfg.get("paper_schedule_published", True)) and settings == paper
                          and cfg.profile.digits_limit is None,
        "seed": int(cfg.seed),
        "device": str(student.device),
        "total_seconds": time.perf_counter() - started,
        "epochs": settings["epochs"],
        **validation,
        **tested,
        "test_spikes_per_image": student.spikes_per_image(),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    write_json(out / "metrics.json", metrics)
    log.info("done in %.1f s: test accuracy %.4f (validation %.4f) -> %s", metrics["total_seconds"],
             metrics["test_accuracy"], metrics.get("val_accuracy", float("nan")), out / "metrics.json")
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="snn")
def main(cfg: DictConfig) -> float:
    """Run one job; return the validation accuracy (maximise it in a sweep)."""
    return run(cfg).get("val_accuracy", float("nan"))


if __name__ == "__main__":
    main()
