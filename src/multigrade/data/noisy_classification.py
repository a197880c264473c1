"""P2: MNIST / Fashion-MNIST classification with symmetric label noise.

The official training labels pass through the symmetric noise channel (rate 0.2 or 0.4,
``RandomState(noise_seed)``), then the training set is split 45000 / 15000
(``holdout_split(60000, 0.25, split_seed)``), so validation labels are noisy too; the
official test labels stay clean. Targets are one-hot rows; the first MGDL grade fits them
with a softmax and cross-entropy, later grades the residual with squared loss, and the
prediction's argmax is the class. Spectra: a non-uniform DFT of the residual along
``||x||``, as for P1 §3.4.
"""

from __future__ import annotations

from pathlib import Path

from multigrade.data.digits import digit_regression, one_hot, symmetric_label_noise
from multigrade.data.regression import RegressionData


def p2_noisy_labels(data_dir: str | Path, dataset: str, noise: float, val_fraction: float = 0.25,
                    split_seed: int = 0, noise_seed: int = 0, max_frequency: float = 10.0,
                    resolution: float = 0.25, download: bool = True) -> RegressionData:
    """The data of ``p2_<dataset>_noise<rate>``: x (N, 784), y one-hot (N, 10)."""
    return digit_regression(
        f"p2_{dataset}_noise{noise:g}", data_dir, dataset,
        lambda images, labels: one_hot(symmetric_label_noise(labels, noise, noise_seed)),
        val_fraction, split_seed, max_frequency, resolution, download,
        metrics=("accuracy", "rse"),
    )
