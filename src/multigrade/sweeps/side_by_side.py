"""The jobs of a sweep that differ only in seed and learning rates, trained side by side.

``hydra/launcher=stacked`` (``hydra_plugins.multigrade_launcher``) groups a multirun's jobs
by their config without ``PER_JOB_KEYS`` (``seed``, ``train.lr_max``, ``train.lr_min``, and
the progress display and logger, which do not touch training): the jobs of one group
train networks of one shape on one dataset for the same epochs and minibatches, so they
are trained as one stacked model (``grades.stacked``: each model keeps its seed's
initialisation and minibatch order and takes Adam's steps at its own learning rates)::

    python -m multigrade.run -m experiment=p1_synthetic_s2 seed=0,1,2,3 \\
        train.lr_max=1e-3,3e-3 hydra/launcher=stacked         # 8 jobs, one stacked model

Every job still gets its own folder with what a job run alone writes there (``.hydra/``,
``metrics.json``, spectra, curves, figures, grade checkpoints, the logger's files), so the
sweep summary, Optuna and the notebooks read it as any sweep. The loggers receive each
job's curves after its group has trained (one logger at a time), not live.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from multigrade import schema
from multigrade.errors import ConfigError, NonFiniteLossError, SweepError
from multigrade.grades.records import GradeRecord
from multigrade.grades.schedule import GradeSchedule
from multigrade.io import write_json
from multigrade.jobs import check_sweep_direction, prepare_run
from multigrade.metrics import METRICS
from multigrade.results import fit_and_write, job_value
from multigrade.settings import check_grade_run, grade_fit, grade_schedules, grade_specs
from multigrade.tracking import closed_if_failed, finish, log_config, log_grades

log = logging.getLogger(__name__)

# What may differ between the jobs of one group: each model's own seed and learning rates,
# each job's own folder and logger (each job's curves go to its own), and the progress
# display (the group shows its first job's).
PER_JOB_KEYS = ("seed", "train.lr_max", "train.lr_min", "paths.output_dir", "logger", "callbacks.progress")


def shared_settings(cfg: DictConfig) -> str:
    """A job's resolved config without its per-job keys (and without ``hydra``), as YAML:
    the jobs of one group share it."""
    settings = OmegaConf.to_container(cfg, resolve=True)
    settings.pop("hydra", None)
    for key in PER_JOB_KEYS:
        *parents, leaf = key.split(".")
        node = settings
        for parent in parents:
            node = node.get(parent, {})
        node.pop(leaf, None)
    return OmegaConf.to_yaml(OmegaConf.create(settings), sort_keys=True)


def refused(cfg: DictConfig) -> bool:
    """Whether a job's own settings are refused (``schema.check``, ``check_grade_run``, its
    grades' schedules: a ``train.*`` value of the wrong type or sign, a final rate above
    the first, ...): it runs alone, so that its error is its own and its group trains
    without it."""
    try:
        schema.check(cfg)
        check_grade_run(cfg)
        grade_schedules(cfg, len(grade_specs(cfg)))
    except ConfigError:
        return True
    return False


def group_jobs(cfgs: list[DictConfig]) -> list[list[int]]:
    """The jobs (indices into ``cfgs``, in order of their first job) that train side by
    side: same shared settings, and in one group no two with the same seed and rates.
    Runs of other tasks than the grades' (no ``model``), adaptive runs, ``seeds=[...]``
    runs and jobs whose own settings are refused (``refused``) stay alone."""
    groups: list[tuple[str, list[int], set]] = []
    for index, cfg in enumerate(cfgs):
        model = cfg.get("model")
        alone = model is None or model.get("adaptive", False) or cfg.get("seeds") or refused(cfg)
        key = f"alone:{index}" if alone else shared_settings(cfg)
        own = (cfg.get("seed"), str(OmegaConf.select(cfg, "train.lr_max")), str(OmegaConf.select(cfg, "train.lr_min")))
        group = next((g for g in groups if g[0] == key and own not in g[2]), None)
        if group is None:
            group = (key, [], set())
            groups.append(group)
        group[1].append(index)
        group[2].add(own)
    return [members for _, members, _ in groups]


def run_side_by_side(cfgs: list[DictConfig], folders: list[Path]) -> list[float | NonFiniteLossError]:
    """Train the jobs ``cfgs`` (one group of ``group_jobs``, resolved) as one stacked model
    into their ``folders``; send each job's curves, grade metrics and figures to its own
    logger; return each job's value for the sweeper (its last grade's validation headline
    metric). A job whose loss diverges is left out of its group, which trains again
    without it from the grades all the others completed (restored from their checkpoints):
    its entry is the ``NonFiniteLossError``. Raises a ``SweepError`` for an equation, whose
    jobs must run one by one."""
    started = time.perf_counter()  # the jobs' own settings were checked as they were grouped (``refused``)
    prepare_run(cfgs[0])
    data = instantiate(cfgs[0].data)
    check_sweep_direction(f"val_{data.metrics[0]}", METRICS[data.metrics[0]].higher_is_better)
    if data.equation is not None:
        raise SweepError(f"{data.name} is an equation: its jobs train one by one; use the basic launcher"
                         f" (drop hydra/launcher=stacked)")
    for cfg, folder in zip(cfgs, folders):  # as each job's config records it
        with open_dict(cfg):
            cfg.paths.output_dir = str(folder)
    outcomes: dict[int, float | NonFiniteLossError] = {}
    members = list(range(len(cfgs)))
    while members:
        group, group_folders = [cfgs[j] for j in members], [folders[j] for j in members]
        fitting = grade_fit(group, data, group_folders)
        log.info("%s (%s, profile %s): %d jobs side by side, seeds %s, lr_max %s", cfgs[0].name, cfgs[0].model.kind,
                 cfgs[0].profile.name, len(members), [run.seed for run in fitting.runs],
                 [run.schedules[0].lr_max for run in fitting.runs])
        try:
            fitted = fit_and_write(group, data, fitting, group_folders, False, started)
        except NonFiniteLossError as error:
            for s in error.models:
                outcomes[members[s]] = NonFiniteLossError(
                    f"{error} (model {s} is this job, of the {len(members)} trained side by side)", [s])
            members = [j for s, j in enumerate(members) if s not in error.models]
            if members:
                log.warning("%s; the other %d job(s) train again without the diverged", error, len(members))
            continue
        for j, run, (metrics, records) in zip(members, fitting.runs, fitted):
            write_json(folders[j] / "metrics.json", metrics)
            send_to_logger(cfgs[j], folders[j], metrics, records, run.schedules)
            outcomes[j] = job_value(metrics)
        break
    return [outcomes[j] for j in range(len(cfgs))]


def send_to_logger(cfg: DictConfig, folder: Path, metrics: dict[str, Any], records: list[GradeRecord],
                   schedules: list[GradeSchedule]) -> None:
    """What a job run alone logs, after the fact: its config, each grade's losses (with its
    ``schedules``' learning rates) and metrics, and (W&B) its figures and per-grade table."""
    if not cfg.get("logger"):
        return
    logger = instantiate(cfg.logger, save_dir=str(folder))
    with closed_if_failed(logger):
        log_config(logger, metrics["config"])
        log_grades(logger, [records], [schedules], cfg.callbacks.log_every_epochs)
        finish(logger, sorted((folder / "figures").glob("*.png")), metrics["grades"])


def finished_value(folder: Path) -> float:
    """The value of a job its group has trained (its ``metrics.json``)."""
    path = folder / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the job's group did not finish; see the first job of the"
                                f" group's run.log")
    log.info("trained side by side with the other jobs of its group: %s", path)
    return job_value(json.loads(path.read_text()))
