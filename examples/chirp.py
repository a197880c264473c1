"""An experiment of one's own for ``multigrade.run``: a chirp, and the Snake activation.

The target ``y(x) = sin(2 pi r x^2)`` on [0, 1) sweeps its local frequency ``2 r x`` from 0
to 2r cycles per unit, so its spectrum is spread evenly over (0, 2r): MGDL's grades should
take it band by band from the low end. Used by ``conf/data/chirp.yaml`` and
``conf/experiment/chirp.yaml``::

    PYTHONPATH=examples python -m multigrade.run --config-dir examples/conf experiment=chirp
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multigrade.data.regression import RegressionData


def chirp_target(x: np.ndarray, rate: float) -> np.ndarray:
    """``sin(2 pi r x^2)``, for x of any shape."""
    return np.sin(2.0 * np.pi * rate * x ** 2)


def chirp(rate: float = 10.0, n_train: int = 4000, n_val: int = 1000, n_test: int = 1000,
          val_seed: int = 0, test_seed: int = 1) -> RegressionData:
    """Training inputs on the grid ``arange(n_train) / n_train`` (so an FFT of the residual
    is its spectrum in cycles per unit); validation and test inputs U[0, 1) from their
    seeds. The spectrum-evolution heatmap follows five frequencies across the band (0, 2r)."""
    x = {"train": np.arange(n_train) / n_train,
         "val": np.random.RandomState(val_seed).uniform(0.0, 1.0, n_val),
         "test": np.random.RandomState(test_seed).uniform(0.0, 1.0, n_test)}
    return RegressionData.from_arrays(
        f"chirp_r{rate:g}",
        {split: (xs, chirp_target(xs, rate)) for split, xs in x.items()},
        target_frequencies=np.round(np.linspace(0.2, 1.8, 5) * rate),
    )


class Snake(nn.Module):
    """``snake_a(x) = x + sin(a x)^2 / a`` (Ziyin, Hartwig & Ueda 2020): increasing, with a
    periodic ripple of period pi / a that gives the network oscillating features from its
    first layer. Elementwise, (..., d) -> (..., d). Built without arguments (as an
    activation named by its import path is), so ``a`` defaults to 10."""

    def __init__(self, frequency: float = 10.0):
        super().__init__()
        self.frequency = float(frequency)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.sin(self.frequency * x) ** 2 / self.frequency
