"""MNIST / Fashion-MNIST images with their labels as a ``LightningDataModule``.

The official training set is split into ``60000 - val_size`` training and ``val_size``
validation images (``holdout_split``, seeded); the official 10000 images are the test set. The files are read (and, where allowed,
downloaded) once, in ``setup``.
Batches are (x (B, 784) in [0, 1], labels (B,) int64); the training order is shuffled by a
generator seeded from ``seed`` so that a run is reproducible.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from multigrade.data.digits import holdout_split, load_digits, split_limit


class DigitImages(L.LightningDataModule):
    def __init__(self, data_dir: str | Path, dataset: str = "mnist", batch_size: int = 100,
                 val_size: int = 10000, seed: int = 0, download: bool = True,
                 limit: int | None = None):
        """``limit`` keeps the first ``limit`` images of each split (smoke runs)."""
        super().__init__()
        if not 0 < val_size < 60000:
            raise ValueError(f"val_size must be between 1 and 59999; got {val_size}")
        self.data_dir, self.dataset = Path(data_dir), dataset
        self.batch_size, self.val_size, self.seed = int(batch_size), int(val_size), int(seed)
        self.download, self.keep = download, split_limit(limit)
        self.splits: dict[str, TensorDataset] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        images, labels = load_digits(self.data_dir, self.dataset, True, self.download)
        test_images, test_labels = load_digits(self.data_dir, self.dataset, False, self.download)
        train, val = holdout_split(len(labels), self.val_size, self.seed)
        for name, x, y in (("train", images[train], labels[train]), ("val", images[val], labels[val]),
                           ("test", test_images, test_labels)):
            self.splits[name] = TensorDataset(torch.from_numpy(x[self.keep]), torch.from_numpy(y[self.keep]))

    def loader(self, split: str) -> DataLoader:
        """Shuffled for training; every split's loader draws from its own generator (seeded
        by ``seed``), never from torch's global one, so evaluating does not move training's
        random draws."""
        generator = torch.Generator().manual_seed(self.seed)
        return DataLoader(self.splits[split], batch_size=self.batch_size, shuffle=split == "train",
                          generator=generator)

    def train_dataloader(self) -> DataLoader:
        return self.loader("train")

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")

    def predict_dataloader(self) -> DataLoader:
        """The test images, in the test loader's order."""
        return self.loader("test")
