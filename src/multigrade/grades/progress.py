"""Progress display: which grade of how many, the epoch within it, and the loss."""

from __future__ import annotations

from lightning.pytorch.callbacks import TQDMProgressBar


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
