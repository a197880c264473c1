"""Hydra callback: write the sweep summary (``sweeps.summary``) when a multirun ends."""

from __future__ import annotations

import logging
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from multigrade.sweeps.summary import write_summary

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        csv_path, md_path = write_summary(config.hydra.sweep.dir)
        log.info("sweep summary: %s, %s", csv_path, md_path)
