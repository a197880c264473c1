"""Hydra entry point of the spiking runs: ``python -m multigrade.snn spiking=<experiment>``.

One run trains the configured student network (``student``) with the configured method
(``method``, a LightningModule) on the configured digits (``digits``) with the
experiment's schedule for the profile, evaluates it on the test set,
and writes into ``paths.output_dir``: ``metrics.json`` (written last, once everything
succeeded; ``val_accuracy``, ``test_accuracy``, the teacher's ``*_teacher_accuracy`` when
there is one, and ``test_activity``: per test image the spikes of every spiking layer, the
synaptic operations of student and teacher, and their 45 nm energy estimates; with a
deployment target (``multigrade.spiking.targets``) also its results under its ``kind``, e.g.
``loihi`` for ``target=loihi``: the student on lava's Loihi 2 simulation, see
``multigrade.loihi.deploy``), ``logs/metrics.csv``, ``.hydra/``, ``student.pt`` (the trained
module's ``state_dict`` and the metrics above, written before deploying; ``python -m
multigrade.predict`` reads it) and what a target writes (Loihi: ``student.h5``, the netx
file). A
deployment that fails stops the run with exit status 1 and no ``metrics.json``;
``student.pt`` keeps what was trained, and the same
run started again in the same folder (``paths.output_dir``) deploys it without training
again (``trained_run``). With ``trainer.strategy=ddp trainer.devices=N`` it trains and
evaluates in N processes (data-parallel; the counts are summed over them) and the first
writes.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from multigrade.differences import described_differences
from multigrade.errors import CheckpointError, ConfigError, IncompleteTrainingError
from multigrade.grades.checkpoints import load_state, read_checkpoint
from multigrade.importing import import_object
from multigrade.io import save_torch, write_json
from multigrade.jobs import CONF_DIR, check_sweep_direction, prepare_run, exits_cleanly
from multigrade.overrides import in_multirun, job_settings_overrides
from multigrade.run_folder import check_finished_run, record_run
from multigrade.settings import check_one_device, schedule_settings
from multigrade.spiking.targets import DeploymentTarget
from multigrade.tracking import closed_if_failed, finish, log_config

log = logging.getLogger(__name__)

TRAINED = "student.pt"


def check_distributed(cfg: DictConfig) -> None:
    """Distributed training (``trainer.strategy=ddp``, or ``trainer.devices`` other than 1,
    with which Lightning chooses ddp) starts its processes by running the same command
    again, which only a single run can do: refused in a multirun."""
    if in_multirun():
        check_one_device(cfg, " inside a multirun: distributed training needs a single run; spread a sweep's jobs"
                              " over devices with cluster=local|slurm or hydra/launcher=joblib instead"
                              " (trainer.devices=1)")


# Trainer settings that would cut the schedule short, change its length, or validate and
# test on part of the data: the schedule's epochs (train.epochs) set the run
SCHEDULE_KEYS = ("max_epochs", "min_epochs", "max_steps", "min_steps", "max_time", "limit_train_batches",
                 "limit_val_batches", "limit_test_batches", "overfit_batches", "fast_dev_run")


def check_run_settings(cfg: DictConfig) -> None:
    """Raise a ``ConfigError`` naming the key for a trainer setting of ``SCHEDULE_KEYS``,
    and for a teacher that the method would not take (it would be recorded, unused)."""
    for key in SCHEDULE_KEYS:
        if cfg.trainer.get(key) is not None:
            raise ConfigError(f"trainer.{key}={cfg.trainer[key]}: a spiking run trains, validates and tests by the"
                              f" schedule (train.epochs, profile=...) on the whole data (digits.limit); remove it")
    if cfg.get("teacher") is not None and "teacher" not in cfg.method:
        raise ConfigError(f"teacher={cfg.teacher._target_} is set, but method {cfg.method._target_} trains the"
                          f" student alone and takes no teacher: drop the teacher, or distil with"
                          f" method=distill (spiking=distill_mnist)")


def check_trained(trainer: Any, epochs: int) -> None:
    """Raise ``IncompleteTrainingError`` when ``fit`` ended before ``epochs`` epochs (a
    callback that stopped it): such a student must not be taken for the schedule's."""
    if trainer.current_epoch < epochs:
        raise IncompleteTrainingError(f"training stopped after {trainer.current_epoch} of its {epochs} epochs: a"
                                      f" callback ended it early; remove it and run again")


# The keys of a spiking run's metrics.json besides ``val_*`` and ``test_*`` (``train_and_test``;
# ``deploy_seconds`` with a target), which a target's results (under its ``kind``) must leave alone
RUN_KEYS = ("experiment", "profile", "paper_settings", "seed", "device", "total_seconds", "train_seconds",
            "deploy_seconds", "epochs", "config")


def build_target(cfg: DictConfig) -> DeploymentTarget | None:
    """The run's deployment target, checked against the run before training (``None`` for
    ``target=none``): its class must import, be a ``DeploymentTarget`` and have a ``kind``
    that names no other result."""
    node = cfg.target
    if node.get("_target_") is None:
        if node.get("kind", "none") != "none":
            raise ConfigError(f"target.kind={node.kind} selects no target: a target is named by target._target_,"
                              " e.g. target=loihi (conf/target/loihi.yaml)")
        return None
    try:
        found = import_object(node._target_, "target._target_")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    name = f"{DeploymentTarget.__module__}.{DeploymentTarget.__name__}"
    if not (isinstance(found, type) and issubclass(found, DeploymentTarget)):
        raise ConfigError(f"target._target_ {node._target_} is not a {name}")
    kind = getattr(found, "kind", None)
    if not (isinstance(kind, str) and kind.isidentifier()) or kind in RUN_KEYS or kind.startswith(("val_", "test_")):
        raise ConfigError(f"{node._target_}.kind, the key of its results in metrics.json, must be an identifier"
                          f" other than {', '.join(RUN_KEYS)}, val_* and test_*; got {kind!r}")
    target = instantiate(node)
    target.check(cfg)
    return target


def deployment(target: DeploymentTarget, module: Any, datamodule: Any, out: Path, seed: int) -> dict[str, Any]:
    """``{target.kind: results}``: the trained student deployed by ``target`` and evaluated
    on the first ``target.images`` test images."""
    datamodule.setup("test")
    images, labels = datamodule.splits["test"][: target.images]
    results = target.deploy(module.student, images, labels, out, seed)
    try:
        json.dumps(results)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{type(target).__name__}.deploy returned results metrics.json cannot hold ({error}):"
                        f" return numbers, strings, lists and dicts (float(x) for a NumPy or torch number)") from None
    return {target.kind: results}


# What may differ between the run that trained a student and the run that deploys it (keys
# and the trees under them): the target; where things are (the folder is named absolute,
# relative or by its time; the data folder may be spelt otherwise); how the run is logged,
# shown and submitted; the profile's words.
NOT_TRAINING = ("target", "paths", "logger", "cluster_settings", "digits.data_dir", "digits.download",
                "trainer.enable_progress_bar", "trainer.enable_model_summary", "profile.description")


def trained_run(path: Path, config: dict[str, Any], module: Any) -> dict[str, Any] | None:
    """The test metrics of the networks an earlier run left in ``path`` (``student.pt``),
    loaded into ``module``, when that run had ``config`` but for ``NOT_TRAINING``; None
    where there is no such file; a ``CheckpointError`` naming the settings that differ
    where it was trained with others (training these would replace it)."""
    if not path.is_file():
        return None
    then = "the student is then trained again"
    saved = read_checkpoint(path, "trained student", then)
    metrics = saved.get("metrics") if isinstance(saved, dict) else None
    if not (isinstance(metrics, dict) and isinstance(metrics.get("config"), dict) and "state_dict" in saved):
        raise CheckpointError(f"{path} holds no trained student (its state_dict, test metrics and config):"
                              f" delete it ({then})")
    if differences := described_differences(metrics["config"], config, "there", "here", NOT_TRAINING):
        raise CheckpointError(f"{path} holds a student trained with other settings ({differences}): choose a fresh"
                              f" paths.output_dir, or delete it to train these settings there")
    load_state(module, saved["state_dict"], path, f"delete it ({then})")
    return {**metrics, "config": config}


def uses_paper_settings(cfg: DictConfig, settings: dict[str, Any]) -> bool:
    """Whether this run trains with its experiment's published settings, unchanged: the
    paper published them (``paper_schedule_published``), the schedule ``settings`` is the
    ``paper`` one (after ``train.*`` and the profile's epoch cap), all the digits are used
    (no ``digits.limit``), and no override of this job changes its data, networks, method
    or trainer, but the experiment's ``paper_variants`` (keys choosing among the paper's
    own variants, such as its integration modes)."""
    paper = OmegaConf.to_container(cfg.schedules.get("paper", {}), resolve=True)
    if not (cfg.paper_schedule_published and settings == paper and cfg.digits.limit is None):
        return False
    return not job_settings_overrides(tuple(cfg.paper_variants))


def train_and_test(cfg: DictConfig, settings: dict[str, Any], module: Any, datamodule: Any, out: Path,
                   config: dict[str, Any], started: float) -> tuple[dict[str, Any], bool]:
    """Fit ``module`` with the schedule ``settings``, validate and test it; return its
    metrics and whether this process is the first (the one that writes)."""
    logger = instantiate(cfg.logger, save_dir=str(out)) if cfg.get("logger") else False
    with closed_if_failed(logger):
        log_config(logger, config)
        trainer = instantiate(cfg.trainer, max_epochs=settings["epochs"], logger=logger,
                              log_every_n_steps=50, num_sanity_val_steps=0)
        log.info("%s (profile %s): %d epochs -> %s", cfg.name, cfg.profile.name, settings["epochs"], out)
        trainer.fit(module, datamodule=datamodule)
        check_trained(trainer, settings["epochs"])
        validation = {k.replace("/", "_"): float(v) for k, v in trainer.callback_metrics.items()
                      if k.startswith("val/")}
        tested = {k.replace("/", "_"): float(v)
                  for k, v in trainer.test(module, datamodule=datamodule, verbose=False)[0].items()}
        metrics = {
            "experiment": cfg.name,
            "profile": cfg.profile.name,
            "paper_settings": uses_paper_settings(cfg, settings),
            "seed": int(cfg.seed),
            "device": str(module.device),
            "train_seconds": time.perf_counter() - started,  # this start's, to the end of the test
            "epochs": settings["epochs"],
            **validation,
            **tested,
            "test_activity": module.test_activity(),
            "config": config,
        }
        metrics["total_seconds"] = metrics["train_seconds"]
    finish(logger, [], [])
    return metrics, trainer.is_global_zero


def deploy_trained(target: DeploymentTarget, module: Any, datamodule: Any, out: Path, seed: int,
                   metrics: dict[str, Any]) -> dict:
    """``deployment``; where it fails, first say what is kept and how to go on, then raise."""
    try:
        return deployment(target, module, datamodule, out, seed)
    except Exception:
        log.error("deploying the trained student failed (the cause follows). The trained networks and their"
                  " test metrics (test accuracy %.4f) are kept in %s; remove the cause, then start the same run"
                  " again (the same overrides) with paths.output_dir=%s to deploy them without training again"
                  " (or with target=none to finish the run without deploying)",
                  metrics["test_accuracy"], out / TRAINED, out)
        raise


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, validate and test the student (or take it from an earlier run's
    ``student.pt``); deploy it; write the run folder; return the metrics, whose
    ``total_seconds`` are ``train_seconds`` (of the start that trained) plus
    ``deploy_seconds`` (of this one)."""
    started = time.perf_counter()
    check_sweep_direction("val_accuracy", higher_is_better=True)
    check_distributed(cfg)
    check_run_settings(cfg)
    target = build_target(cfg)
    out = prepare_run(cfg)
    settings = schedule_settings(cfg)
    datamodule = instantiate(cfg.digits)
    module = instantiate(cfg.method, **settings)
    config = OmegaConf.to_container(cfg, resolve=True)
    check_finished_run(out, config, NOT_TRAINING)
    metrics = trained_run(out / TRAINED, config, module)
    record_run()
    if metrics is not None:
        log.info("%s holds this run's trained networks (test accuracy %.4f): taking them, not training again",
                 out / TRAINED, metrics["test_accuracy"])
    else:
        metrics, first = train_and_test(cfg, settings, module, datamodule, out, config, started)
        if not first:  # one process of a distributed run: the first writes
            return metrics
        save_torch(out / TRAINED, {"state_dict": module.state_dict(), "metrics": metrics})
    if target is not None:
        deploying = time.perf_counter()
        metrics.update(deploy_trained(target, module, datamodule, out, int(cfg.seed), metrics))
        metrics["train_seconds"] = metrics.get("train_seconds", metrics["total_seconds"])  # a file of older runs
        metrics["deploy_seconds"] = time.perf_counter() - deploying
        metrics["total_seconds"] = metrics["train_seconds"] + metrics["deploy_seconds"]
    write_json(out / "metrics.json", metrics)
    log.info("done in %.1f s: test accuracy %.4f (validation %.4f) -> %s", time.perf_counter() - started,
             metrics["test_accuracy"], metrics.get("val_accuracy", float("nan")), out / "metrics.json")
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="snn")
def main(cfg: DictConfig) -> float:
    """Run one job; return the validation accuracy (maximise it in a sweep)."""
    with exits_cleanly():
        return run(cfg).get("val_accuracy", float("nan"))


if __name__ == "__main__":
    main()
