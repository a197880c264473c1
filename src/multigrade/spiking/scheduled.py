"""The shared training schedule of the spiking LightningModules."""

from __future__ import annotations

import lightning.pytorch as L
import torch

from multigrade.grades.schedule import GradeSchedule


class ScheduledModule(L.LightningModule):
    """Adam over all parameters with ``lr_i = lr_max exp(-gamma i)`` per epoch i,
    ``gamma = ln(lr_max / lr_min) / epochs`` (the papers' decay, as for the grades)."""

    def __init__(self, epochs: int, lr_max: float, lr_min: float):
        super().__init__()
        self.schedule = GradeSchedule(epochs, None, lr_max, lr_min)

    def check_finite(self, loss: torch.Tensor, terms: dict[str, torch.Tensor]) -> None:
        """Raise, naming the epoch and the loss terms, when ``loss`` is NaN or infinite."""
        if not torch.isfinite(loss):
            parts = ", ".join(f"{name} {value.item():.4g}" for name, value in terms.items())
            raise FloatingPointError(f"the training loss is {loss.item()} at epoch {self.current_epoch + 1}"
                                     f" ({parts}); lower lr_max or check the data")

    def evaluate(self, batch, split: str) -> None:
        """Score one batch of ``split`` ("val" or "test") and log its metrics."""
        raise NotImplementedError

    def validation_step(self, batch, batch_idx: int) -> None:
        self.evaluate(batch, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self.evaluate(batch, "test")

    def spikes_per_image(self) -> list[float]:
        """Spikes per test image in each spiking layer (empty where not counted)."""
        return []

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.schedule.lr_max)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self.schedule.lr_factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}
