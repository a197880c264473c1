"""Checks of a run's input, and how bad input stops a run.

Every error of bad input (``INPUT_ERRORS``) names what is wrong and what to do;
``stop_on_input_error`` turns one into that single logged message and exit status 1,
without a traceback; in one job of a multirun, into a failed job (``JobFailed``), so the
sweep goes on with its other jobs. A configured object (``data``, ``logger``, ...) whose constructor
refuses its arguments (a ``ValueError`` or ``TypeError``, e.g. ``data.setting=5``) is bad
input too; with ``HYDRA_FULL_ERROR=1`` (Hydra's switch for full tracebacks) such an error
is raised with its traceback instead, for the rare one that is a bug in the constructor.
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from typing import Any, Iterator

from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from multigrade.data.digits import DatasetNotFoundError
from multigrade.grades.checkpoints import CheckpointError
from multigrade.grades.module import GradeIncompleteError
from multigrade.importing import import_object
from multigrade.loihi.deploy import LoihiEnvironmentError
from multigrade.loihi.netx import ExportError
from multigrade.sweeps.summary import record_failure

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """The composed configuration cannot describe a run; the message names the key."""


class SweepError(ConfigError):
    """The multirun's own settings (its sweeper, its launcher, distributed training) cannot
    work: every job would fail alike, so this stops the whole sweep, not one job."""


class TrainingIncompleteError(RuntimeError):
    """A spiking run's ``fit`` ended before its schedule's epochs (as ``GradeIncompleteError``
    for a grade)."""


INPUT_ERRORS = (ConfigError, CheckpointError, DatasetNotFoundError, FloatingPointError, GradeIncompleteError,
                TrainingIncompleteError, LoihiEnvironmentError, ExportError)


REFUSED_ARGUMENTS = (ValueError, TypeError)


class JobFailed(CompactHydraException):
    """One job of a multirun stopped on bad input; the message, logged in its ``run.log``,
    says what is wrong. Hydra records the job as failed and runs the sweep's other jobs,
    and at the multirun's end prints the first failed job's overrides and this message (a
    compact exception: no traceback)."""


@contextmanager
def stop_on_input_error() -> Iterator[None]:
    """Turn an ``INPUT_ERRORS`` error, or a configured object's refusal of its arguments,
    into one logged message (on the console and in the run's log) and exit status 1,
    without a traceback; in a multirun, into ``JobFailed`` with that message (an exit
    would end the sweep, with its other jobs, and leave it without a summary)."""
    try:
        yield
    except (InstantiationException, *INPUT_ERRORS) as error:
        cause = error.__cause__ if isinstance(error, InstantiationException) else error
        if isinstance(cause, INPUT_ERRORS):
            message = f"{type(cause).__name__}: {cause}"
        elif isinstance(cause, ImportError) and (diagnosis := unlocated_target(error)):
            message = f"ConfigError: {diagnosis}"
        elif isinstance(cause, REFUSED_ARGUMENTS) and os.environ.get("HYDRA_FULL_ERROR") != "1":
            # Hydra's message names the target and the config key
            message = f"{'; '.join(str(error).splitlines())} (HYDRA_FULL_ERROR=1 shows the traceback)"
        else:  # an instantiated target failed otherwise
            raise
        log.error("%s", message)
        if in_multirun():
            if not isinstance(cause, SweepError):
                raise JobFailed(message) from None
            record_failure(HydraConfig.get().runtime.output_dir, message)  # the sweep's summary says why it stopped
        raise SystemExit(1) from None


def unlocated_target(error: Exception) -> str | None:
    """For Hydra's failure to import a config's ``_target_``: the key and what is wrong with
    the path (``import_object``'s diagnosis: no such module, with a hint at ``PYTHONPATH``,
    or no such name in it); else None."""
    target = re.search(r"Error locating target '([^']+)'", str(error))
    if target is None:
        return None
    key = re.search(r"full_key: (\S+)", str(error))
    try:
        import_object(target.group(1), f"{key.group(1)}._target_" if key else "_target_")
    except ValueError as diagnosis:
        return str(diagnosis)
    except Exception:  # the module fails otherwise as it is imported: Hydra's error, with its cause, says more
        return None
    return None


def in_multirun() -> bool:
    """Whether this process runs one job of a Hydra multirun."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def one_device(trainer: DictConfig) -> bool:
    """Whether the ``trainer`` node trains in one process on one device: ``devices`` 1 (or
    a list of one device) and no ``ddp`` strategy. ``devices=auto`` is refused with the
    rest: Lightning gives it every GPU of the machine, and distributed training with them."""
    devices, strategy = trainer.get("devices", 1), str(trainer.get("strategy", "auto"))
    one = devices in (1, "1") or (OmegaConf.is_list(devices) and len(devices) == 1)
    return one and not strategy.startswith("ddp")


def check_sweep_direction(value: str, higher_is_better: bool) -> None:
    """Raise a ``SweepError`` when the sweeper (Optuna's ``hydra.sweeper.direction``)
    optimises the value a job returns the wrong way."""
    if not HydraConfig.initialized():
        return
    direction = OmegaConf.select(HydraConfig.get(), "sweeper.direction", default=None)
    wanted = "maximize" if higher_is_better else "minimize"
    if direction is not None and getattr(direction, "name", str(direction)) != wanted:
        raise SweepError(f"the sweep optimises {value}, where {'higher' if higher_is_better else 'lower'} is"
                          f" better, but hydra.sweeper.direction is {getattr(direction, 'name', direction)}:"
                          f" set hydra.sweeper.direction={wanted}")


TRAIN_TYPES = {"epochs": "a positive integer", "batch_size": "a positive integer or full",
               "lr_max": "a positive number", "lr_min": "a positive number"}


def _valid(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if key == "epochs":
        return isinstance(value, int) and value > 0
    if key == "batch_size":
        return value == "full" or (isinstance(value, int) and value > 0)
    return isinstance(value, (int, float)) and value > 0


def check_settings(cfg: DictConfig) -> None:
    """Raise a ``ConfigError`` naming the key when ``seed`` is not an integer, ``seeds``
    not a list of different integers, ``cuda_graph`` not a boolean, the epochs between
    loss checks or in-grade checkpoints (``callbacks.*_every_epochs``) or the spectrum
    evolution's samples per grade not positive, or a ``train.*`` override (a value or a
    per-grade list of values) has the wrong type or is no setting (``+train.lr_mx=...``)."""
    if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int):
        raise ConfigError(f"seed must be an integer; got {cfg.seed!r}")
    if not isinstance(cfg.get("cuda_graph", True), bool):
        raise ConfigError(f"cuda_graph must be true or false; got {cfg.cuda_graph!r}")
    seeds = cfg.get("seeds")
    if seeds is not None:
        values = list(seeds) if OmegaConf.is_list(seeds) else None
        if (not values or any(isinstance(v, bool) or not isinstance(v, int) for v in values)
                or len(set(values)) != len(values)):
            raise ConfigError(f"seeds must be a list of different integers, e.g. seeds=[0,1,2], or null;"
                              f" got {seeds!r}")
    callbacks = cfg.get("callbacks") or {}
    for key, null in (("log_every_epochs", False), ("checkpoint_every_epochs", True)):
        if key not in callbacks:  # a spiking run's config has no grade callbacks
            continue
        value = callbacks[key]
        if not ((value is None and null) or (isinstance(value, int) and not isinstance(value, bool) and value > 0)):
            raise ConfigError(f"callbacks.{key} must be a positive number of epochs{' or null' if null else ''};"
                              f" got {value!r}")
    points = OmegaConf.select(cfg, "callbacks.spectra.evolution_points", default=1)
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ConfigError(f"callbacks.spectra.evolution_points must be a positive number of samples per grade;"
                          f" got {points!r}")
    train = OmegaConf.to_container(cfg.get("train") or {}, resolve=True)
    unknown = sorted(set(train) - set(TRAIN_TYPES))
    if unknown:  # added with +train.<key>=..., which nothing would read
        raise ConfigError(f"train.{unknown[0]} is not a setting: train takes {', '.join(TRAIN_TYPES)}")
    for key, value in train.items():
        values = value if isinstance(value, list) else [value]
        if key in TRAIN_TYPES and value is not None and not all(_valid(key, v) for v in values):
            raise ConfigError(f"train.{key} must be {TRAIN_TYPES[key]} (or a per-grade list of them); got {value!r}")
