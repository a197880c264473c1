"""The shared training schedule and evaluation bookkeeping of the spiking LightningModules."""

from __future__ import annotations

import lightning.pytorch as L
import torch

from multigrade import interrupts
from multigrade.errors import NonFiniteLossError
from multigrade.grades.schedule import GradeSchedule
from multigrade.interrupts import Interrupted
from multigrade.spiking.activity import ESTIMATE, SynapticOps


class ScheduledModule(L.LightningModule):
    """Adam over all parameters with ``lr_i = lr_max exp(-gamma i)`` per epoch i,
    ``gamma = ln(lr_max / lr_min) / epochs`` (the papers' decay, as for the grades).

    Evaluation draws its random input spikes from ``eval_generator``, a generator of its own
    seeded by ``eval_seed`` afresh at the start of every validation and test epoch: each
    evaluation of the same network sees the same spikes, and evaluating takes nothing from
    torch's global stream, which training draws from. Evaluation counts the spikes of every
    spiking layer (``count_spikes``); the test epoch also counts the synaptic operations of
    the networks ``measured`` names (``SynapticOps``). A subclass provides ``evaluate(batch,
    split)`` (score one batch of "val" or "test", log its metrics, count its spikes) and
    ``measured()`` (role -> (network, dense), ``dense`` for a DNN: every synapse a MAC)."""

    def __init__(self, epochs: int, lr_max: float, lr_min: float, eval_seed: int = 0):
        super().__init__()
        self.schedule = GradeSchedule(epochs, None, lr_max, lr_min)
        self.eval_seed = int(eval_seed)
        self.eval_generator: torch.Generator | None = None
        self.spike_totals: torch.Tensor | None = None
        self.images_seen = 0
        self.meters: dict[str, SynapticOps] = {}

    def check_finite(self, loss: torch.Tensor, terms: dict[str, torch.Tensor]) -> None:
        """Raise, naming the epoch and the loss terms, when ``loss`` is NaN or infinite."""
        if not torch.isfinite(loss):
            parts = ", ".join(f"{name} {value.item():.4g}" for name, value in terms.items())
            raise NonFiniteLossError(f"the training loss is {loss.item()} at epoch {self.current_epoch + 1}"
                                     f" ({parts}); lower the learning rate (train.lr_max) or check the data", [0])

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        """Stop after this batch where a signal asked for it (``interrupts``)."""
        if interrupts.requested():
            raise Interrupted(interrupts.requested(), f"in epoch {self.current_epoch + 1}",
                              "nothing of it is saved: run the same command again to train anew")

    def count_spikes(self, per_layer: list[torch.Tensor], images: int) -> None:
        """Add one batch's spike totals per spiking layer (scalars) and its image count."""
        spikes = torch.stack(per_layer).detach()
        self.spike_totals = spikes if self.spike_totals is None else self.spike_totals + spikes
        self.images_seen += images

    def start_evaluation(self) -> None:
        """Before a validation or test epoch: zero the spike counters and seed
        ``eval_generator`` with ``eval_seed``."""
        self.spike_totals, self.images_seen = None, 0
        self.eval_generator = torch.Generator(device=self.device).manual_seed(self.eval_seed)

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Class scores (B, classes) of the spiking network for images x (B, 784), and the
        spikes of each of its layers, its input spikes drawn from ``eval_generator``."""
        raise NotImplementedError

    def predict_step(self, batch, batch_idx: int) -> torch.Tensor:
        """The class (B,) the spiking network gives each image of ``batch``, drawn as a test
        draws it (``eval_seed``, in the loader's order)."""
        return self.classify(batch[0])[0].argmax(dim=1)

    def on_predict_epoch_start(self) -> None:
        self.start_evaluation()

    def validation_step(self, batch, batch_idx: int) -> None:
        self.evaluate(batch, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self.evaluate(batch, "test")

    def on_validation_epoch_start(self) -> None:
        self.start_evaluation()

    def on_test_epoch_start(self) -> None:
        self.start_evaluation()
        self.meters = {role: SynapticOps(net, dense) for role, (net, dense) in self.measured().items()}

    def total(self, value: torch.Tensor) -> torch.Tensor:
        """The sum of ``value`` over the processes of a distributed run (itself otherwise)."""
        return self.trainer.strategy.reduce(value.to(self.device), reduce_op="sum").cpu()

    def on_test_epoch_end(self) -> None:
        self.total_counts()
        for meter in self.meters.values():
            meter.detach()
            meter.reduce(self.total)

    def total_counts(self) -> None:
        """Spike totals and images of all processes (each saw its share of the split)."""
        if self.spike_totals is not None:
            self.spike_totals = self.total(self.spike_totals)
        self.images_seen = int(self.total(torch.tensor(float(self.images_seen))).item())

    def spikes_per_image(self) -> list[float]:
        """Spikes per image in each spiking layer over the last test (over this process's
        share of the last validation)."""
        if self.spike_totals is None or not self.images_seen:
            return []
        return (self.spike_totals / self.images_seen).tolist()

    def test_activity(self) -> dict:
        """Per test image: each measured network's synaptic operations and energy estimate
        (``SynapticOps.per_image``), the spikes per layer of the spiking network."""
        activity = {role: meter.per_image(self.images_seen) for role, meter in self.meters.items()}
        activity["student"]["spikes"] = self.spikes_per_image()
        return {"images": self.images_seen, "estimate": ESTIMATE, **activity}

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.schedule.lr_max)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self.schedule.lr_factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}
