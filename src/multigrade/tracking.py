"""What a run hands to its logger besides the training curves: the config, the metrics of
every grade with the grade as their step, and, for Weights & Biases, the figures, the
per-grade table and the end of the run.

``logger=wandb`` builds a ``WandbLogger`` (``wandb_logger``) whose files go into the run
folder (``<run>/wandb/``), offline unless ``WANDB_MODE`` says otherwise (``make sync-wandb``
publishes offline runs); runs are grouped by experiment, typed by model, and tagged with the
profile and, in a multirun, the sweep's folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.loggers import Logger, WandbLogger

from multigrade.checks import in_multirun
from multigrade.grades.module import is_check_epoch
from multigrade.grades.records import GradeRecord
from multigrade.grades.schedule import GradeSchedule

GRADE_STEP = "grade"


def sweep_tag() -> list[str]:
    """``["sweep:<folder>"]`` inside a multirun, else ``[]``."""
    if in_multirun():
        return [f"sweep:{Path(HydraConfig.get().sweep.dir).name}"]
    return []


def wandb_logger(save_dir: str, project: str, group: str, job_type: str, tags: list[str] | None = None,
                 entity: str | None = None, name: str | None = None) -> WandbLogger:
    """A ``WandbLogger`` writing into ``save_dir``; the mode comes from ``WANDB_MODE``
    (default ``offline``), read here so that no run leaves it set for the next."""
    logger = WandbLogger(name=name, save_dir=save_dir, project=project, entity=entity, group=group,
                         job_type=job_type, tags=[*(tags or []), *sweep_tag()],
                         mode=os.environ.get("WANDB_MODE", "offline"))
    logger.experiment.define_metric(GRADE_STEP)
    logger.experiment.define_metric(f"{GRADE_STEP}/*", step_metric=GRADE_STEP)
    return logger


def log_config(logger: Logger | None, config: dict[str, Any]) -> None:
    """The resolved config as the run's hyper-parameters (``hparams.yaml`` for CSV)."""
    if logger:
        logger.log_hyperparams(config)
        logger.save()


def log_losses(logger: Logger | None, record: GradeRecord, schedule: GradeSchedule, every: int) -> None:
    """Grade k's training curve as its training logs it live (``grade_<k>/loss`` and
    ``grade_<k>/lr`` at the epochs ``is_check_epoch`` picks), from the record and the
    grade's ``schedule``, for a model trained side by side with others."""
    if not logger:
        return
    history = record.loss_history
    for epoch in range(len(history)):
        if is_check_epoch(epoch, max(1, every), len(history)):
            logger.log_metrics({f"grade_{record.grade}/loss": float(history[epoch]),
                                f"grade_{record.grade}/lr": schedule.lr(epoch)},
                               step=epoch + 1)


def log_grade(logger: Logger | None, record: GradeRecord) -> None:
    """Grade k's metrics, its seconds and final loss as ``grade/<name>`` at step k."""
    if logger:
        values = {**record.metrics, "seconds": record.seconds, "final_loss": record.final_loss}
        logger.log_metrics({GRADE_STEP: record.grade, **{f"{GRADE_STEP}/{k}": v for k, v in values.items()}},
                           step=record.grade)
        logger.save()


def finish(logger: Logger | None, figures: list[Path], records: list[GradeRecord]) -> None:
    """Close the run; W&B also receives ``figures`` as images and the per-grade table."""
    if isinstance(logger, WandbLogger):
        for path in figures:
            logger.log_image(key=f"figures/{path.stem}", images=[str(path)])
        rows = [record.summary() for record in records]
        if rows:
            columns = [k for k in rows[0] if not isinstance(rows[0][k], (dict, list))]
            logger.log_table(key="grades", columns=columns, data=[[row[c] for c in columns] for row in rows])
        logger.experiment.finish()
    elif logger:
        logger.finalize("success")
