"""What every entry point does with its composed config: check it, claim the run folder,
seed, and stop on bad input or a signal with one message and a non-zero exit status.

Every error of bad input (``errors.InputError``) names what is wrong and what to do;
``exits_cleanly`` turns one into that single logged message and exit status 1,
without a traceback; in one job of a multirun, into a failed job (``JobFailed``), so the
sweep goes on with its other jobs. A configured object (``data``, ``logger``, ...) whose
constructor refuses its arguments (a ``ValueError`` or ``TypeError``, e.g.
``data.setting=5``) is bad input too; with ``HYDRA_FULL_ERROR=1`` (Hydra's switch for full
tracebacks) such an error is raised with its traceback instead, for the rare one that is a
bug in the constructor.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import lightning.pytorch as L
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, InstantiationException
from omegaconf import DictConfig, OmegaConf, open_dict

from multigrade import schema
from multigrade.api import LIGHTNING_NOTICES, LIGHTNING_WARNINGS
from multigrade.cuda_check import skip_missing_nvml
from multigrade.errors import InputError, SweepError
from multigrade.importing import import_object
from multigrade.interrupts import Interrupted, held_signals
from multigrade.overrides import in_multirun
from multigrade.run_folder import hold, record_failure

CONF_DIR = Path(__file__).resolve().parent / "conf"  # inside the package: an installed wheel has it

log = logging.getLogger(__name__)

class JobFailed(CompactHydraException):
    """One job of a multirun stopped on bad input; the message, logged in its ``run.log``,
    says what is wrong. Hydra records the job as failed and runs the sweep's other jobs,
    and at the multirun's end prints the first failed job's overrides and this message (a
    compact exception: no traceback)."""


@contextmanager
def exits_cleanly() -> Iterator[None]:
    """Run the block with SIGTERM and SIGINT held for the loops to stop at a whole epoch
    (``interrupts``), and turn a stop into one logged message and exit status 128 + the
    signal's number (a multirun stops there too); an ``InputError``, or a configured
    object's refusal of its arguments, into one logged message and exit status 1, without a
    traceback, and in a multirun into ``JobFailed`` with that message (an exit would end the
    sweep, with its other jobs, and leave it without a summary)."""
    try:
        with held_signals():
            yield
    except Interrupted as stop:
        log.error("%s%s", stop, "; the sweep stops here" if in_multirun() else "")
        raise SystemExit(128 + stop.signum) from None
    except (InstantiationException, InputError) as error:
        cause = error.__cause__ if isinstance(error, InstantiationException) else error
        if isinstance(cause, InputError):
            message = f"{type(cause).__name__}: {cause}"
        elif isinstance(cause, ImportError) and (diagnosis := unlocated_target(error)):
            message = f"ConfigError: {diagnosis}"
        elif isinstance(cause, (ValueError, TypeError)) and os.environ.get("HYDRA_FULL_ERROR") != "1":
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


def claim_output_dir(cfg: DictConfig) -> Path:
    """The job's folder as Hydra set it up (``hydra.run.dir``, i.e. ``paths.output_dir``,
    for a single run, which the processes that distributed training starts are handed; a
    folder of the sweep in a multirun), else ``paths.output_dir``: created and recorded as
    ``paths.output_dir``, so that the config a run logs and writes names the folder it wrote."""
    hydra_cfg = HydraConfig.get() if HydraConfig.initialized() else None
    out = Path(OmegaConf.select(hydra_cfg, "runtime.output_dir", default=None) or cfg.paths.output_dir
               if hydra_cfg is not None else cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    hold(out)
    with open_dict(cfg):
        cfg.paths.output_dir = str(out)
    return out


def quiet_lightning() -> None:
    """Keep per-grade trainer chatter (device banners, eval-mode notices) out of the log."""
    for name in LIGHTNING_NOTICES:
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in LIGHTNING_WARNINGS:
        warnings.filterwarnings("ignore", message=message)


def prepare_run(cfg: DictConfig) -> Path:
    """Check the config against its schema (``schema.check``), create the run folder
    (``claim_output_dir``), make cuBLAS deterministic when the trainer is, quieten
    Lightning and seed every generator from ``cfg.seed``; return the folder."""
    schema.check(cfg)
    out = claim_output_dir(cfg)
    if cfg.trainer.get("deterministic"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    quiet_lightning()
    skip_missing_nvml()
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    return out
