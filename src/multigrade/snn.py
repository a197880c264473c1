"""Hydra entry point of the spiking runs: ``python -m multigrade.snn spiking=<experiment>``.

One run trains the configured student network (``student``) with the configured method
(``method``, a LightningModule) on the configured digits (``digits``) with the
experiment's schedule for the profile, evaluates it on the test set,
and writes into ``paths.output_dir``: ``metrics.json`` (written last; ``val_accuracy``,
``test_accuracy``, the teacher's ``*_teacher_accuracy`` when there is one, and
``test_activity``: per test image the spikes of every spiking layer, the synaptic
operations of student and teacher, and their 45 nm energy estimates; with ``target=loihi``
also ``loihi``: the student on lava's Loihi 2 simulation, see ``multigrade.loihi.deploy``),
``logs/metrics.csv``, ``.hydra/`` and, with ``target=loihi``, ``student.h5`` (the netx
file). With ``trainer.strategy=ddp trainer.devices=N`` it trains and evaluates in N
processes (data-parallel; the counts are summed over them) and the first writes.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from multigrade.checks import ConfigError, check_sweep_direction, in_multirun, stop_on_input_error
from multigrade.io import write_json
from multigrade.loihi.deploy import deploy_to_loihi, loihi_python
from multigrade.loihi.student import LoihiStudent
from multigrade.run import CONF_DIR, prepare_run, with_overrides
from multigrade.spiking.distillation import DistillationModule
from multigrade.tracking import finish, log_config

log = logging.getLogger(__name__)

TARGETS = ("none", "loihi")


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


def check_distributed(cfg: DictConfig) -> None:
    """Distributed training (``trainer.strategy=ddp``, ``trainer.devices`` > 1) starts its
    processes by running the same command again, which only a single run can do."""
    if in_multirun() and str(cfg.trainer.get("strategy", "auto")).startswith("ddp"):
        raise ConfigError(f"trainer.strategy={cfg.trainer.strategy} inside a multirun: distributed training"
                          f" needs a single run; spread a sweep's jobs over devices with cluster=local|slurm"
                          f" or hydra/launcher=joblib instead")


def deployment(cfg: DictConfig, student: Any, datamodule: Any, out: Path) -> dict[str, Any]:
    """``{"loihi": ...}`` for ``target=loihi`` (the first ``target.images`` test images
    simulated on lava, see ``deploy_to_loihi``); ``{}`` for ``target=none``."""
    if cfg.target.kind != "loihi":
        return {}
    images, labels = datamodule.splits["test"][: cfg.target.images]
    python = loihi_python(cfg.target.python)
    log.info("deploying to lava's Loihi 2 simulation: %d test images with %s", len(labels), python)
    return {"loihi": deploy_to_loihi(student.student, images, labels, out, cfg.seed, python, cfg.target.timeout)}


def check_target(cfg: DictConfig) -> None:
    """``target.kind`` is none or loihi; loihi needs a Loihi student trained by
    ``method=distill`` and some test images."""
    kind = cfg.target.kind
    if kind not in TARGETS:
        raise ConfigError(f"target.kind must be one of {', '.join(TARGETS)}; got {kind!r}")
    if kind == "loihi":
        if cfg.student.get("_target_") != f"{LoihiStudent.__module__}.{LoihiStudent.__name__}":
            raise ConfigError("target=loihi deploys a Loihi student: add student=loihi_mlp")
        if cfg.method.get("_target_") != f"{DistillationModule.__module__}.{DistillationModule.__name__}":
            raise ConfigError("target=loihi deploys a distilled student: add method=distill (and a teacher)")
        if not (isinstance(cfg.target.images, int) and cfg.target.images > 0):
            raise ConfigError(f"target.images must be a positive integer; got {cfg.target.images!r}")
        loihi_python(cfg.target.python)  # a missing environment stops the run before training


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, validate and test the student; write the run folder; return the metrics."""
    started = time.perf_counter()
    check_sweep_direction("val_accuracy", higher_is_better=True)
    check_distributed(cfg)
    check_target(cfg)
    out = prepare_run(cfg)
    settings = schedule_settings(cfg)
    datamodule = instantiate(cfg.digits)
    student = instantiate(cfg.method, **settings)
    logger = instantiate(cfg.logger, save_dir=str(out)) if cfg.get("logger") else False
    config = OmegaConf.to_container(cfg, resolve=True)
    log_config(logger, config)
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
        "test_activity": student.test_activity(),
        "config": config,
    }
    finish(logger, [], [])
    if not trainer.is_global_zero:  # one process of a distributed run: the first writes
        return metrics
    metrics.update(deployment(cfg, student, datamodule, out))
    write_json(out / "metrics.json", metrics)
    log.info("done in %.1f s: test accuracy %.4f (validation %.4f) -> %s", metrics["total_seconds"],
             metrics["test_accuracy"], metrics.get("val_accuracy", float("nan")), out / "metrics.json")
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="snn")
def main(cfg: DictConfig) -> float:
    """Run one job; return the validation accuracy (maximise it in a sweep)."""
    with stop_on_input_error():
        return run(cfg).get("val_accuracy", float("nan"))


if __name__ == "__main__":
    main()
