"""A run folder holds one run: a start that the folder's results refuse leaves it as it was.

A run holds its folder for its lifetime (``hold``: a lock on the folder's ``.lock`` file); a
second run into a held folder stops at once, naming the holder.

Hydra writes its record of a run (``.hydra/``: ``config.yaml``, ``hydra.yaml``,
``overrides.yaml``) into the run's folder before the run starts. For a folder that already
holds results (``RESULTS``), the ``RunFolder`` callback puts that record off until the run
has checked that the results are its own (a grade run its checkpoints, a spiking run the
settings its student was trained with, ``check_finished_run``) and calls ``record_run``;
a start refused on the way writes nothing there. A folder whose record names another
entry point (a spiking run's folder given to a grade run) is refused at once, as is a
folder that cannot be created.
"""

from __future__ import annotations

import copy
import fcntl
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from hydra.conf import HydraConf
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from multigrade.differences import described_differences
from multigrade.errors import ConfigError
from multigrade.io import atomic_path

# What a finished or started run leaves: its metrics, grade checkpoints, a trained student
# (and, for seeds side by side, each seed's metrics and checkpoints).
RESULTS = ("metrics.json", "checkpoints", "student.pt", "seed_*/metrics.json", "seed_*/checkpoints")
# A failed job's error, in its folder (the sweep summary shows it).
FAILED_FILE = "failed.txt"
# The module (``python -m <module>``) of each primary config.
ENTRY_POINTS = {"config": "multigrade.run", "snn": "multigrade.snn", "scann": "multigrade.scann"}

log = logging.getLogger(__name__)

# This process's run's record while it is put off: the subfolder, the config and the overrides.
_deferred: dict[str, Any] = {}


def holds_results(folder: Path) -> bool:
    return any(next(folder.glob(pattern), None) is not None for pattern in RESULTS)


def recorded_entry_point(folder: Path, subdirs: tuple[str, ...]) -> tuple[str, str] | tuple[None, None]:
    """The primary config (``hydra.job.config_name``) that the folder's Hydra record names,
    and the record's subfolder (the first of ``subdirs`` with a readable one); (None, None)
    where there is none."""
    for subdir in subdirs:
        try:
            record = yaml.safe_load((folder / subdir / "hydra.yaml").read_text())
            return record["hydra"]["job"]["config_name"], subdir
        except (OSError, yaml.YAMLError, KeyError, TypeError):
            continue
    return None, None


# The folders this process holds, each by its open, locked ``.lock`` file (released at exit).
_held: dict[Path, int] = {}


def hold(folder: Path) -> None:
    """Hold ``folder`` for this process's lifetime by an exclusive ``flock`` on its ``.lock``
    file, which names the holder; a ``ConfigError`` naming the folder and its holder where
    another process holds it (two runs in one folder would mix their results). The processes
    that distributed training starts (``LOCAL_RANK`` above 0) share their first one's."""
    folder = folder.resolve()
    if folder in _held or int(os.environ.get("LOCAL_RANK", 0)) > 0:
        return
    descriptor = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 1000).decode(errors="replace").strip() or "another process"
        os.close(descriptor)
        raise ConfigError(f"{folder} is in use by another run ({holder}): wait for it to end, or choose a fresh"
                          f" paths.output_dir") from None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"process {os.getpid()} on {socket.gethostname()}, since {time.ctime()}:"
                         f" {' '.join(sys.argv)}\n".encode())
    _held[folder] = descriptor


def check_creatable(folder: Path, setting: str = "paths.output_dir") -> None:
    """Create ``folder`` (and its parents) or raise a ``ConfigError`` naming the ``setting``
    that gave it and why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{setting} {folder} cannot be created ({error.strerror or error}): choose a"
                          f" folder that can be written") from None


class RunFolder(Callback):
    """For a single run (``hydra.run.dir``): refuse a folder that cannot be created or holds
    another entry point's results; put Hydra's record off in a folder holding results."""

    def on_run_start(self, config: DictConfig, config_name: str | None = None, **kwargs: Any) -> None:
        _deferred.clear()  # what an earlier run of this process put off and, refused, never wrote
        if OmegaConf.get_type(config, "hydra") is HydraConf:  # as Hydra composed it: a folder may name its choices
            HydraConfig.instance().set_config(config)
        folder = Path(config.hydra.run.dir)
        subdir = config.hydra.output_subdir
        try:
            check_creatable(folder)
            hold(folder)
            if not holds_results(folder):
                return
            recorded, where = recorded_entry_point(folder, tuple(dict.fromkeys((subdir or ".hydra", ".hydra"))))
            if recorded is not None and config_name is not None and recorded != config_name:
                raise ConfigError(f"{folder} holds the results of a `python -m {ENTRY_POINTS.get(recorded, recorded)}`"
                                  f" run (its {where}/hydra.yaml); this is a"
                                  f" `python -m {ENTRY_POINTS.get(config_name, config_name)}` run: choose a fresh"
                                  f" paths.output_dir")
        except ConfigError as error:
            log.error("ConfigError: %s", error)
            raise SystemExit(1) from None
        if subdir is None:
            return
        task = copy.deepcopy(config)
        with read_write(task), open_dict(task):
            del task["hydra"]
        _deferred.update(subdir=subdir, config=task, overrides=list(config.hydra.overrides.task))
        with read_write(config.hydra):
            config.hydra.output_subdir = None


def record_run() -> None:
    """Write Hydra's record of this run into its folder where ``RunFolder`` put it off, as
    Hydra writes it: call once the run has accepted the folder's results as its own."""
    if not _deferred:
        return
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir) / _deferred["subdir"]
    record = OmegaConf.create({"hydra": OmegaConf.to_container(hydra_cfg)})
    record.hydra.output_subdir = _deferred["subdir"]
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (("config.yaml", _deferred["config"]), ("hydra.yaml", record),
                          ("overrides.yaml", OmegaConf.create(_deferred["overrides"]))):
        with atomic_path(folder / name) as path:
            OmegaConf.save(content, path)
    _deferred.clear()


def check_finished_run(folder: Path, config: dict[str, Any], ignored: tuple[str, ...]) -> None:
    """Raise a ``ConfigError`` where ``folder/metrics.json`` holds a finished run of other
    settings than ``config`` (keys in ``ignored`` aside), naming them: a second run would
    replace its results. A file without a readable config is left to be replaced."""
    path = folder / "metrics.json"
    try:
        then = json.loads(path.read_text())["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not isinstance(then, dict):
        return
    if differences := described_differences(then, config, "there", "here", ignored):
        raise ConfigError(f"{folder} holds a finished run of other settings ({differences}): choose a fresh"
                          f" paths.output_dir, or delete {path} to run these settings there")


def record_failure(job_folder: str | Path, error: str) -> None:
    """Write the error a job stopped on into its folder's ``failed.txt``."""
    with atomic_path(Path(job_folder) / FAILED_FILE) as tmp:
        tmp.write_text(error + "\n")
