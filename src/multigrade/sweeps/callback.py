"""Hydra callback: the sweep summary (``sweeps.summary``), written after every job and when
the multirun ends, and a failed job's error, written into its folder."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from multigrade.checks import JobFailed
from multigrade.io import atomic_path
from multigrade.sweeps.summary import FAILED_FILE, write_summary

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    """Keeps ``sweep_summary.{csv,md}`` current: a sweep stopped midway, or one whose jobs
    failed (Hydra then ends the multirun with the first failure, before its end), still
    has one. A failed job's error goes to its folder's ``failed.txt``, which the summary
    shows. Parallel jobs (joblib, submitit) each rewrite it whole, atomically."""

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        if job_return.status == JobStatus.FAILED:
            error = job_return._return_value  # the job's exception (``return_value`` raises it)
            text = str(error) if isinstance(error, JobFailed) else f"{type(error).__name__}: {error}"
            with atomic_path(Path(config.hydra.runtime.output_dir) / FAILED_FILE) as tmp:
                tmp.write_text(text + "\n")
        write_summary(config.hydra.sweep.dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        csv_path, md_path = write_summary(config.hydra.sweep.dir)
        log.info("sweep summary: %s, %s", csv_path, md_path)
