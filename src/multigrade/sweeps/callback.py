"""Hydra callback: the sweep summary (``sweeps.summary``), written after every job and when
the multirun ends, and a failed job's error, written into its folder."""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import CompactHydraException
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from multigrade.run_folder import record_failure
from multigrade.sweeps.summary import write_summary

log = logging.getLogger(__name__)


def check_job_gpus(config: DictConfig) -> None:
    """Refuse, before any job is submitted, ``cluster_settings.gpus`` above 1: a job of a
    multirun trains on one device (a grade run always; a spiking run distributes only as a
    single run), so a second GPU would be held idle for the job's whole time in the queue
    and on the node. Logs the reason and exits with status 1."""
    gpus = OmegaConf.select(config, "cluster_settings.gpus", default=None)
    if gpus not in (None, 0, 1):
        log.error("SweepError: cluster_settings.gpus=%s: each job of a multirun trains on one device, so it"
                  " takes 0 or 1 GPU; fill more GPUs with more jobs (or, for grade runs, with seeds side by side"
                  " in one job: seeds=[0,1,2])", gpus)
        raise SystemExit(1)


class SweepSummary(Callback):
    """Keeps ``sweep_summary.{csv,md}`` current: each job rewrites it when it ends (parallel
    jobs, joblib's or submitit's, each whole and atomically), and the multirun's own process
    writes it once more at its end, also when Hydra ends it with a failed job's error (then
    without its end callback, at the process's exit). A failed job's error goes to its
    folder's ``failed.txt``, which the summary shows."""

    def __init__(self) -> None:
        self.ended = False
        self.planned: list[list[str]] = []  # a basic sweep's jobs, by number: their overrides

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        check_job_gpus(config)
        if OmegaConf.select(config, "hydra.sweeper._target_", default="").endswith("BasicSweeper"):
            overrides = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
            self.planned = [job for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]
        atexit.register(self.write_if_not_ended, config.hydra.sweep.dir)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        if job_return.status == JobStatus.FAILED:
            error = job_return._return_value  # the job's exception (``return_value`` raises it)
            text = str(error) if isinstance(error, CompactHydraException) else f"{type(error).__name__}: {error}"
            record_failure(config.hydra.runtime.output_dir, text)
        write_summary(config.hydra.sweep.dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self.ended = True
        csv_path, md_path = write_summary(config.hydra.sweep.dir)
        log.info("sweep summary: %s, %s", csv_path, md_path)

    def write_if_not_ended(self, sweep_dir: str) -> None:
        """At the exit of a multirun that did not reach its end callback (a failed job, a
        signal): the summary, and which jobs of a basic sweep were not run."""
        if self.ended or not Path(sweep_dir).is_dir():
            return
        try:
            write_summary(sweep_dir)
        except FileNotFoundError:  # stopped before its first job
            pass
        shared = set.intersection(*map(set, self.planned)) if self.planned else set()
        missing = [f"#{num} ({' '.join(o for o in job if o not in shared)})" for num, job in enumerate(self.planned)
                   if not (Path(sweep_dir) / str(num)).is_dir()]
        if missing:
            log.error("jobs %s were not run: run the same command again with hydra.sweep.dir=%s to run them (the"
                      " jobs done are taken from their folders)", ", ".join(missing), sweep_dir)
