"""``target=loihi``: a trained Loihi student on lava's Loihi 2 simulation (``deploy``)."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from omegaconf import DictConfig

from multigrade.errors import ConfigError
from multigrade.loihi.deploy import deploy_to_loihi, loihi_python
from multigrade.loihi.student import LoihiStudent
from multigrade.spiking.targets import DeploymentTarget, names_subclass

log = logging.getLogger(__name__)


class LoihiTarget(DeploymentTarget):
    """Export the student as a netx file, simulate the test images on lava in the Loihi
    environment (``python``: null for ``$MULTIGRADE_LOIHI_PYTHON``, else
    ``.venv-loihi/bin/python``; ``timeout`` seconds at most) and compare it spike for spike
    with the student's own emulation (``deploy.deploy_to_loihi``)."""

    kind = "loihi"

    def __init__(self, images: int = 100, python: str | None = None, timeout: float = 3600.0):
        super().__init__(images)
        self.python, self.timeout = python, timeout

    def check(self, cfg: DictConfig) -> None:
        """A distilled Loihi student, and the Loihi environment (a missing one stops the run
        before training)."""
        super().check(cfg)
        if not names_subclass(cfg.student, LoihiStudent):
            raise ConfigError("target=loihi deploys a Loihi student: add student=loihi_mlp")
        loihi_python(self.python)

    def deploy(self, student: LoihiStudent, images: torch.Tensor, labels: torch.Tensor, folder: Path,
               seed: int) -> dict:
        python = loihi_python(self.python)
        log.info("deploying to lava's Loihi 2 simulation: %d test images with %s", len(labels), python)
        return deploy_to_loihi(student, images, labels, folder, seed, python, self.timeout)
