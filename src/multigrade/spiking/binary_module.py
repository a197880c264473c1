"""Training and evaluation of Yin et al.'s binary-activation SNN as a LightningModule.

Each training batch (x (B, 784) in [0, 1], labels (B,)) is encoded into ``train_steps``
steps (fresh Bernoulli spikes for ``rate``), run through ``BinarySNN`` and scored by the
squared hinge loss on +-1 targets; Adam's rate decays per epoch as
``lr_max exp(-gamma i)``, ``gamma = ln(lr_max / lr_min) / epochs``. Validation and test
encode ``eval_steps`` steps (input spikes from evaluation's own generator, seeded by
``eval_seed``) and classify by ``readout`` (output spike counts or the output membrane);
they also count the spikes of every layer per image.
"""

from __future__ import annotations

import torch

from multigrade.spiking.binary_snn import READOUTS, BinarySNN, squared_hinge
from multigrade.spiking.encoding import check_encoding, encode
from multigrade.spiking.scheduled import ScheduledModule


class BinarySNNModule(ScheduledModule):
    """``net`` trained on the squared hinge loss of its outputs over ``train_steps``
    encoded steps, evaluated over ``eval_steps`` by ``readout`` (see above)."""

    def __init__(self, net: BinarySNN, encoding: str = "rate", train_steps: int = 1, eval_steps: int = 20,
                 readout: str = "count", epochs: int = 400, lr_max: float = 1e-3, lr_min: float = 1e-5,
                 eval_seed: int = 0):
        super().__init__(epochs, lr_max, lr_min, eval_seed)
        if readout not in READOUTS:
            raise ValueError(f"unknown readout {readout!r}: choose one of {READOUTS}")
        if not isinstance(net, BinarySNN):
            raise TypeError(f"method=binary trains a BinarySNN (student=binary_mlp), not a {type(net).__name__};"
                            f" use method=distill for it")
        check_encoding(encoding)
        for key, steps in (("train_steps", train_steps), ("eval_steps", eval_steps)):
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ValueError(f"method.{key} must be a positive number of time steps; got {steps!r}")
        if net.mode == "continuous" and train_steps < 2:
            raise ValueError(f"student.mode=continuous carries the membrane from step to step, but"
                             f" method.train_steps={train_steps} trains on one step, as discontinuous integration"
                             f" does: set method.train_steps to 2 or more (4 in the reproduction)")
        self.save_hyperparameters(ignore=["net"])
        self.net = net

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, labels = batch
        loss = squared_hinge(self.net(encode(x, self.hparams.train_steps, self.hparams.encoding)), labels)
        self.check_finite(loss, {"squared_hinge": loss})
        self.log("train/loss", loss, prog_bar=True, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spikes = encode(x, self.hparams.eval_steps, self.hparams.encoding, self.eval_generator)
        return self.net.infer(spikes, self.hparams.readout)

    def evaluate(self, batch, split: str) -> None:
        x, labels = batch
        scores, layers = self.classify(x)
        accuracy = (scores.argmax(dim=1) == labels).float().mean()
        self.log(f"{split}/accuracy", accuracy, prog_bar=True, on_epoch=True, sync_dist=True)
        self.count_spikes([layer.sum() for layer in layers], x.shape[0])

    def measured(self) -> dict:
        return {"student": (self.net, False)}
