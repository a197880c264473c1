"""In-memory regression data shared by all grades of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class RegressionData:
    """Inputs (N, d) and targets (N, m) of the train/validation/test splits.

    The training inputs are an equispaced grid of ``train_grid_length`` (the domain's
    length along the coordinate that carries the frequencies), stored in grid order, so
    a discrete Fourier transform along axis 0 gives their spectrum: bin j is
    ``j / train_grid_length`` cycles per unit. ``target_frequencies`` (J,) are the
    frequencies the target is built from (for the spectrum-evolution heatmap).
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    train_grid_length: float = 1.0
    target_frequencies: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"{self.name}: {split} inputs {tuple(x.shape)} and targets {tuple(y.shape)}"
                    " must be (N, d) and (N, m) with the same N"
                )
            for tensor_name, tensor in ((f"x_{split}", x), (f"y_{split}", y)):
                if not torch.isfinite(tensor).all():
                    raise ValueError(f"{self.name}: {tensor_name} holds NaN or inf values")

    @property
    def in_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def out_features(self) -> int:
        return self.y_train.shape[1]

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, targets) of ``name`` in {"train", "val", "test"}."""
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")
