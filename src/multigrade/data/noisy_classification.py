"""P2: MNIST / Fashion-MNIST classification with symmetric label noise.

The official training labels pass through the symmetric noise channel (rate 0.2 or 0.4,
``RandomState(noise_seed)``); as in P2's code, all 60000 noisy images train and the
official test set, with its clean labels, validates and tests (``val_fraction=None``;
with a fraction f, ``ceil(f * 60000)`` noisy training images are held out to validate
instead). Targets are one-hot rows; the first MGDL grade fits them
with a softmax and cross-entropy, later grades the residual with squared loss, and the
prediction's argmax is the class. Spectra: a non-uniform DFT of the residual along
``||x||``, as for P1 §3.4.
"""

from __future__ import annotations

from pathlib import Path

from multigrade.data.digits import digit_regression, one_hot, symmetric_label_noise
from multigrade.data.regression import RegressionData


def p2_noisy_labels(data_dir: str | Path, dataset: str, noise: float, val_fraction: float | None = None,
                    split_seed: int = 0, noise_seed: int = 0, max_frequency: float = 10.0,
                    resolution: float = 0.25, download: bool = True, limit: int | None = None) -> RegressionData:
    """The data of ``p2_<dataset>_noise<rate>``: x (N, 784), y one-hot (N, 10)."""
    return digit_regression(
        f"p2_{dataset}_noise{noise:g}", data_dir, dataset,
        lambda images, labels: one_hot(symmetric_label_noise(labels, noise, noise_seed)),
        val_fraction, split_seed, max_frequency, resolution, download, limit,
        metrics=("accuracy", "rse"),
    )
