"""Progress display: which grade of how many, the epoch within it, and the loss."""

from __future__ import annotations

import logging
import math

from lightning.pytorch.callbacks import Callback, TQDMProgressBar

from multigrade.epochs import on_check_epochs

log = logging.getLogger(__name__)


def format_loss(loss: float | list[float]) -> str:
    """A grade's loss, or the losses of the models trained side by side, for display."""
    return ", ".join(f"{value:.4g}" for value in (loss if isinstance(loss, list) else [loss]))


class GradeProgressBar(TQDMProgressBar):
    """Lightning's bar, labelled ``grade k/K``; one step of the bar is one epoch of the grade.
    The loss shown is the one the grade last read on the host (every ``log_every_epochs``)."""

    def __init__(self, grade: int, total_grades: int, refresh_rate: int = 1):
        super().__init__(refresh_rate=refresh_rate)
        self.label = f"grade {grade}/{total_grades}"

    def on_train_epoch_start(self, trainer, *args) -> None:
        super().on_train_epoch_start(trainer, *args)
        self.train_progress_bar.set_description(self.label)

    def get_metrics(self, trainer, pl_module):
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        if pl_module.reported_loss is not None:
            metrics["loss"] = format_loss(pl_module.reported_loss)
        return metrics


class GradeProgressLog(Callback):
    """Progress as log lines, for runs without a terminal: ``grade k/K epoch e/E loss L``
    about ``lines`` times per grade (at most once each ``check_every`` epochs), on epochs
    whose loss the grade reads on the host anyway (``is_check_epoch``), so that logging
    never makes the host wait for the device."""

    def __init__(self, grade: int, total_grades: int, lines: int = 10):
        super().__init__()
        self.grade, self.total_grades, self.lines = grade, total_grades, max(1, int(lines))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        epochs, check_every = pl_module.schedule.epochs, pl_module.check_every
        every = on_check_epochs(math.ceil(epochs / self.lines), check_every)
        epoch = int(batch) + 1
        if epoch % every == 0 or epoch == epochs:
            loss = format_loss(pl_module.reported_loss)  # this epoch's: read on the host by its check
            log.info("grade %d/%d epoch %d/%d loss %s", self.grade, self.total_grades, epoch, epochs, loss)
