"""``hydra/launcher=stacked``: a multirun's jobs that differ only in seed and learning rates
(and in the progress display and logger, which do not touch training) run as one stacked
model, in this process (``multigrade.sweeps.side_by_side``); other jobs run one by one, as
Hydra's basic launcher runs them.

Each job is still launched by Hydra (``run_job``: its folder, ``.hydra/``, log file and
return value); in a group, the first job trains the whole group into every job's folder,
and the others return what their ``metrics.json`` holds, or fail with the error that
their training met (a diverged loss: the rest of the group trains on without them) or
that the whole group's met.
(Hydra loads plugin modules outside ``sys.modules``, so this one does without ``from
__future__ import annotations``: its dataclass would not build.)
"""

import copy
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, env_override, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from multigrade.errors import NonFiniteLossError
from multigrade.jobs import JobFailed, exits_cleanly
from multigrade.sweeps.side_by_side import finished_value, group_jobs, run_side_by_side
from multigrade.tracking import job_name

log = logging.getLogger(__name__)


@dataclass
class StackedLauncherConf:
    _target_: str = "hydra_plugins.multigrade_launcher.stacked_launcher.StackedLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="stacked", node=StackedLauncherConf, provider="multigrade")


def resolved_job(sweep_config: DictConfig) -> tuple[DictConfig, Path]:
    """A job's task config resolved as it is when the job runs (under its own Hydra
    config: output folder, choices, ``hydra.job.env_set``; a W&B logger named by the job,
    ``tracking.job_name``, since its group's first job logs for it), and that folder."""
    job = copy.deepcopy(sweep_config)
    folder = Path(os.path.abspath(os.path.join(str(OmegaConf.select(job, "hydra.sweep.dir")),
                                               str(OmegaConf.select(job, "hydra.sweep.subdir")))))
    with read_write(job.hydra.runtime), open_dict(job.hydra.runtime):
        job.hydra.runtime.output_dir = str(folder)
    hydra_config = HydraConfig.instance()
    before = hydra_config.cfg
    try:
        hydra_config.set_config(job)
        task = copy.deepcopy(job)
        with read_write(task), open_dict(task):
            del task["hydra"]
        with env_override(job.hydra.job.env_set):
            OmegaConf.resolve(task)
        logger = task.get("logger")
        if OmegaConf.is_dict(logger) and "name" in logger and logger.name is None:
            with read_write(logger):
                logger.name = job_name()
    finally:
        hydra_config.cfg = before
    return task, folder


class StackedLauncher(Launcher):
    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        sweep_configs = []
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = idx
                sweep_config.hydra.job.num = idx
            sweep_configs.append(sweep_config)
        tasks, folders = zip(*(resolved_job(config) for config in sweep_configs))
        groups = group_jobs(list(tasks))
        log.info(f"Launching {len(job_overrides)} jobs locally, in {len(groups)} group(s) trained side by side")
        returns: list[JobReturn | None] = [None] * len(sweep_configs)
        for group in groups:
            outcomes: dict[int, float | BaseException] = {}  # filled by the group's first job
            members = ", ".join(f"#{initial_job_idx + j}" for j in group)
            for j in group:
                log.info(f"\t#{initial_job_idx + j} : {' '.join(filter_overrides(job_overrides[j]))}")
            if len(group) > 1:
                log.info(f"\tjobs {members} train side by side")
            for j in group:
                returns[j] = run_job(hydra_context=self.hydra_context, config=sweep_configs[j],
                                     task_function=self.task_for(group, j, tasks, folders, outcomes),
                                     job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
                configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return returns

    def task_for(self, group: list[int], job: int, tasks: Sequence[DictConfig], folders: Sequence[Path],
                 outcomes: dict) -> TaskFunction:
        """Job ``job``'s task: the task itself when it runs alone; in a group, the first job
        trains them all and writes each job's outcome into ``outcomes`` (its value, or the
        error its training or the whole group's met), which the others return or raise (a
        folder may hold an earlier run's results)."""
        if len(group) == 1:
            return self.task_function
        if job != group[0]:
            def read_result(_cfg: DictConfig) -> float:
                outcome = outcomes.get(job)
                if outcome is None:
                    raise RuntimeError(f"the first job of this job's group, which trains it, did not run:"
                                       f" see {folders[group[0]] / 'run.log'}")
                if isinstance(outcome, NonFiniteLossError):
                    log.error("%s: %s", type(outcome).__name__, outcome)
                    raise outcome
                if isinstance(outcome, BaseException):
                    message = (f"its group, trained by its first job, failed ({type(outcome).__name__}: {outcome}):"
                               f" see {folders[group[0]] / 'run.log'}")
                    log.error("%s", message)
                    raise JobFailed(message)
                return finished_value(folders[job])

            return read_result

        def train_group(_cfg: DictConfig) -> float:
            try:
                with exits_cleanly():
                    values = run_side_by_side([tasks[j] for j in group], [folders[j] for j in group])
            except BaseException as error:
                outcomes.update((j, error) for j in group)
                raise
            outcomes.update(zip(group, values))
            if isinstance(values[0], BaseException):
                log.error("%s: %s", type(values[0]).__name__, values[0])
                raise values[0]
            return values[0]

        return train_group
