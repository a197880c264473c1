"""A deployment target of one's own for ``multigrade.snn``: the student on a chip with few
weight bits.

Neuromorphic chips store synaptic weights in a few bits (Loihi 2: at most 8). This target
rounds every weight matrix of the trained student to ``b`` bits, symmetrically per layer,

    W_b = delta_b round(W / delta_b),    delta_b = max|W| / (2^(b-1) - 1),

for each ``b`` of ``bits``, and measures the test accuracy of each on the same input spikes
as the unrounded student's (drawn from the run's seed). Used by
``conf/target/low_precision.yaml``::

    PYTHONPATH=examples python -m multigrade.snn --config-dir examples/conf spiking=distill_mnist target=low_precision
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from omegaconf import DictConfig

from multigrade.errors import ConfigError
from multigrade.spiking.networks import SpikingStudent
from multigrade.spiking.targets import DeploymentTarget


def rounded(student: SpikingStudent, bits: int) -> SpikingStudent:
    """A copy of ``student`` whose weight matrices (every parameter named ``weight`` of
    two or more dimensions) are rounded to ``bits`` bits; biases stay."""
    student = copy.deepcopy(student)
    levels = 2 ** (bits - 1) - 1
    with torch.no_grad():
        for name, weight in student.named_parameters():
            if name.endswith("weight") and weight.ndim >= 2 and weight.abs().max() > 0:
                delta = weight.abs().max() / levels
                weight.copy_(delta * torch.round(weight / delta))
    return student


def accuracy(student: SpikingStudent, images: torch.Tensor, labels: torch.Tensor, seed: int) -> float:
    """Share of ``images`` (B, 784) whose logits' argmax is the label, input spikes from ``seed``."""
    with torch.no_grad():
        spikes, membrane = student.run(images, torch.Generator().manual_seed(seed))
        return float((student.logits(spikes, membrane).argmax(dim=1) == labels).float().mean())


class LowPrecisionTarget(DeploymentTarget):
    """The student's test accuracy with its weights rounded to each of ``bits`` bits."""

    kind = "low_precision"

    def __init__(self, images: int = 1000, bits: tuple[int, ...] = (8, 4, 2)):
        super().__init__(images)
        self.bits = list(bits)

    def check(self, cfg: DictConfig) -> None:
        super().check(cfg)
        if not self.bits or any(isinstance(b, bool) or not isinstance(b, int) or b < 2 for b in self.bits):
            raise ConfigError(f"target.bits must be a list of integers of at least 2; got {self.bits!r}")

    def deploy(self, student: SpikingStudent, images: torch.Tensor, labels: torch.Tensor, folder: Path,
               seed: int) -> dict:
        student, images, labels = student.cpu().eval(), images.cpu(), labels.cpu()
        results = {"float": accuracy(student, images, labels, seed)}
        results.update({f"{b} bits": accuracy(rounded(student, b), images, labels, seed) for b in self.bits})
        return {"images": len(labels), "accuracy": results}
