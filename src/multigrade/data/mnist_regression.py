"""P1 §3.4: MNIST as regression onto one-hot labels with high-frequency label noise.

The hot entry of each training and validation label becomes ``1 + b sin(2 pi k ||x||_2)``
(x the image flattened to 784 values in [0, 1]); test labels stay clean one-hot, so the
test RSE measures how much of the noise a model has learned. The official training set
is split 45000 / 15000 (``holdout_split(60000, 15000, 0)``); the official 10000 images are
the test set. The noise lives along ``||x||``, which is where the residual spectra are
taken: a non-uniform DFT over the training samples' norms.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from multigrade.data.digits import digit_regression, one_hot
from multigrade.data.regression import RegressionData


def noisy_one_hot(images: np.ndarray, labels: np.ndarray, amplitude: float, frequency: float) -> np.ndarray:
    """One-hot rows (N, 10) whose hot entry is ``1 + b sin(2 pi k ||x||)``."""
    targets = one_hot(labels)
    norms = np.linalg.norm(images.astype(np.float64), axis=1)
    targets[np.arange(len(labels)), labels] = 1.0 + amplitude * np.sin(2.0 * np.pi * frequency * norms)
    return targets


def p1_mnist(data_dir: str | Path, amplitude: float, frequency: float, val_fraction: float | None = 0.25,
             split_seed: int = 0, max_frequency: float = 60.0, resolution: float = 0.25,
             download: bool = True, limit: int | None = None) -> RegressionData:
    """The data of ``p1_mnist_b<b>_k<k>``: x (N, 784), y (N, 10); spectra in cycles per
    unit of ``||x||``, so the noise shows at ``k``."""
    return digit_regression(
        f"p1_mnist_b{amplitude:g}_k{frequency:g}".replace(".", "p"), data_dir, "mnist",
        partial(noisy_one_hot, amplitude=amplitude, frequency=frequency),
        val_fraction, split_seed, max_frequency, resolution, download, limit,
        target_frequencies=np.array([float(frequency)]),
    )
