"""Progress display: which grade of how many, the epoch within it, and the loss."""

from __future__ import annotations

import logging
import math

from lightning.pytorch.callbacks import Callback, TQDMProgressBar

log = logging.getLogger(__name__)


class GradeProgressBar(TQDMProgressBar):
    """Lightning's bar, labelled ``grade k/K``; one step of the bar is one epoch of the grade."""

    def __init__(self, grade: int, total_grades: int, refresh_rate: int = 1):
        super().__init__(refresh_rate=refresh_rate)
        self.label = f"grade {grade}/{total_grades}"

    def on_train_epoch_start(self, trainer, *args) -> None:
        super().on_train_epoch_start(trainer, *args)
        self.train_progress_bar.set_description(self.label)

    def get_metrics(self, trainer, pl_module):
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics


class GradeProgressLog(Callback):
    """Progress as log lines, for runs without a terminal: ``lines`` times per grade,
    ``grade k/K epoch e/E loss L``."""

    def __init__(self, grade: int, total_grades: int, lines: int = 10):
        super().__init__()
        self.grade, self.total_grades, self.lines = grade, total_grades, max(1, int(lines))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        epochs = pl_module.schedule.epochs
        every = max(1, math.ceil(epochs / self.lines))
        epoch = int(batch) + 1
        if epoch % every == 0 or epoch == epochs:
            loss = float(pl_module.loss_history[epoch - 1])
            log.info("grade %d/%d epoch %d/%d loss %.4g", self.grade, self.total_grades, epoch, epochs, loss)
