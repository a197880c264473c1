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
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.loggers import Logger, WandbLogger

from multigrade.epochs import is_check_epoch
from multigrade.grades.module import epoch_metrics
from multigrade.grades.records import GradeRecord
from multigrade.grades.schedule import GradeSchedule
from multigrade.overrides import in_multirun, override_key

GRADE_STEP = "grade"


# Overrides that say nothing of what a job trains, left out of its W&B name.
UNNAMED = ("paths.", "logger", "callbacks.progress.", "hydra.")


def job_name() -> str | None:
    """A multirun job's W&B name: its number and its overrides but where it writes and how
    it shows progress (``3: experiment=p2_sin seed=1 train.lr_max=0.002``); None outside a
    multirun (W&B draws a name)."""
    if not in_multirun():
        return None
    hydra = HydraConfig.get()
    kept = [o for o in hydra.overrides.task if not override_key(o).startswith(UNNAMED)]
    return f"{hydra.job.num}: {' '.join(kept)}"


def wandb_logger(save_dir: str, project: str, group: str, job_type: str, tags: list[str] | None = None,
                 entity: str | None = None, name: str | None = None) -> WandbLogger:
    """A ``WandbLogger`` writing into ``save_dir``, named ``name`` (a multirun's job by
    ``job_name``); the mode comes from ``WANDB_MODE`` (default ``offline``), read here so
    that no run leaves it set for the next."""
    sweep = [f"sweep:{Path(HydraConfig.get().sweep.dir).name}"] if in_multirun() else []
    logger = WandbLogger(name=name or job_name(), save_dir=save_dir, project=project, entity=entity, group=group,
                         job_type=job_type, tags=[*(tags or []), *sweep], mode=os.environ.get("WANDB_MODE", "offline"))
    logger.experiment.define_metric(GRADE_STEP)
    logger.experiment.define_metric(f"{GRADE_STEP}/*", step_metric=GRADE_STEP)
    return logger


def log_config(logger: Logger | None, config: dict[str, Any]) -> None:
    """The resolved config as the run's hyper-parameters (``hparams.yaml`` for CSV)."""
    if logger:
        logger.log_hyperparams(config)
        logger.save()


def log_losses(logger: Logger | None, records: list[GradeRecord], schedules: list[GradeSchedule],
               every: int) -> None:
    """Grade k's training curves, after the fact, as its training logs them live (at the
    epochs ``is_check_epoch`` picks): ``grade_<k>/loss`` and ``grade_<k>/lr`` of one model
    (``records`` and ``schedules`` of one), or ``grade_<k>/loss_<s>`` and ``lr_<s>`` of
    models trained side by side."""
    if not logger:
        return
    grade, epochs = records[0].grade, len(records[0].loss_history)
    for epoch in range(epochs):
        if is_check_epoch(epoch, max(1, every), epochs):
            losses = [float(record.loss_history[epoch]) for record in records]
            rates = [schedule.lr(epoch) for schedule in schedules]
            one = len(records) == 1
            logger.log_metrics(epoch_metrics(grade, losses[0] if one else losses, rates[0] if one else rates),
                               step=epoch + 1)


def log_grades(logger: Logger | None, records: list[list[GradeRecord]], schedules: list[list[GradeSchedule]],
               every: int) -> None:
    """Grades already trained, as their training logs them: per grade, the curves of the
    models (``log_losses``: ``records[s]`` and ``schedules[s]`` are model s's, one model
    or several side by side) and the mean of their metrics (``log_grade``). For a job
    trained side by side with others, and for the grades a restarted run restores."""
    for k, grade in enumerate(zip(*records)):
        log_losses(logger, list(grade), [own[k] for own in schedules], every)
        log_grade(logger, GradeRecord.mean(list(grade)))


def log_grade(logger: Logger | None, record: GradeRecord) -> None:
    """Grade k's metrics, its seconds and final loss as ``grade/<name>`` at step k."""
    if logger:
        values = {**record.metrics, "seconds": record.seconds, "final_loss": record.final_loss}
        logger.log_metrics({GRADE_STEP: record.grade, **{f"{GRADE_STEP}/{k}": v for k, v in values.items()}},
                           step=record.grade)
        logger.save()


def finish(logger: Logger | None, figures: list[Path], rows: list[dict[str, Any]]) -> None:
    """Close the run; W&B also receives ``figures`` as images and the per-grade table of
    ``rows`` (``metrics.json``'s ``grades``)."""
    if isinstance(logger, WandbLogger):
        for path in figures:
            logger.log_image(key=f"figures/{path.stem}", images=[str(path)])
        if rows:
            columns = [k for k in rows[0] if not isinstance(rows[0][k], (dict, list))]
            logger.log_table(key="grades", columns=columns, data=[[row[c] for c in columns] for row in rows])
        logger.experiment.finish()
    elif logger:
        logger.finalize("success")


@contextmanager
def closed_if_failed(logger: Logger | None) -> Iterator[None]:
    """Run the block; when it raises, close ``logger``'s run as failed (W&B: exit code 1)
    before the error goes on. In a multirun the next job of this process then starts a run
    of its own, where W&B would otherwise take the open one over."""
    try:
        yield
    except BaseException:
        if isinstance(logger, WandbLogger):
            logger.experiment.finish(exit_code=1)
        elif logger:
            logger.finalize("failed")
        raise
