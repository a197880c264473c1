"""Where a trained spiking student goes after its test: a deployment target.

A spiking run's ``target`` config is ``none`` (``_target_: null``: the student stays on the
host) or is built from ``_target_`` into a ``DeploymentTarget``:

- ``check(cfg)``, before training: refuse a run the target cannot deploy, with a
  ``ConfigError`` naming the key (the base class checks ``images`` and that the run
  distils a ``SpikingStudent``: ``method=distill``);
- ``deploy(student, images, labels, folder, seed)``, after the test: the trained
  ``SpikingStudent`` (on the device it was trained on, which the target may change: the
  run ends after deploying) and the first ``images`` test images (B, 784) in [0, 1] with
  their labels (B,), on the CPU; write what it makes into the run ``folder`` and return
  JSON-able results, which ``metrics.json`` stores under the target's ``kind`` (a class
  attribute every target sets: an identifier naming no other result). Draw any
  randomness from ``seed``.

``multigrade.loihi.target.LoihiTarget`` (``target=loihi``) is one; one's own is a subclass
named by ``_target_`` in ``conf/target/<name>.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig

from multigrade.errors import ConfigError
from multigrade.importing import import_object
from multigrade.spiking.distillation import DistillationModule
from multigrade.spiking.networks import SpikingStudent


def names_subclass(node: DictConfig, base: type) -> bool:
    """Whether the config ``node`` builds a ``base``; True where its ``_target_`` names no
    class that imports (instantiating the node then says so)."""
    try:
        found = import_object(node._target_, "_target_")
    except ValueError:
        return True
    return not isinstance(found, type) or issubclass(found, base)


class DeploymentTarget:
    """Deploys a trained student and evaluates it on ``images`` test images; a subclass sets
    ``kind`` and ``deploy``."""

    kind: str

    def __init__(self, images: int = 100):
        self.images = images

    def check(self, cfg: DictConfig) -> None:
        """Raise a ``ConfigError`` when this run (its composed config) cannot be deployed here."""
        if isinstance(self.images, bool) or not (isinstance(self.images, int) and self.images > 0):
            raise ConfigError(f"target.images must be a positive integer; got {self.images!r}")
        if not names_subclass(cfg.method, DistillationModule):
            raise ConfigError(f"target {self.kind} deploys a distilled student: add method=distill (and a teacher)")
        if not names_subclass(cfg.student, SpikingStudent):
            raise ConfigError(f"target {self.kind} deploys a {SpikingStudent.__module__}.{SpikingStudent.__name__}:"
                              f" student=lif_mlp, lif_cnn, loihi_mlp or one's own; got {cfg.student._target_}")

    def deploy(self, student: SpikingStudent, images: torch.Tensor, labels: torch.Tensor, folder: Path,
               seed: int) -> dict:
        """Deploy ``student``, evaluate it on ``images`` (B, 784) with ``labels`` (B,); return the results."""
        raise NotImplementedError
