"""MNIST and Fashion-MNIST from a local folder (torchvision layout), never a stand-in.

``<data_dir>/MNIST/raw/`` and ``<data_dir>/FashionMNIST/raw/`` hold the four IDX files
each; with internet and ``download=True`` torchvision fetches them there. A dataset that
is neither present nor downloadable is a ``DatasetNotFoundError`` that says where to put
it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
from torchvision import datasets

from multigrade.data.regression import RegressionData
from multigrade.errors import DatasetNotFoundError
from multigrade.spectra.fourier import SpectralGrid

DATASETS = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}
CLASSES = 10


# The IDX files of a split (train: True, test: False): name, magic number, items, bytes per item.
IDX_FILES = {
    True: (("train-images-idx3-ubyte", 2051, 60000, 784), ("train-labels-idx1-ubyte", 2049, 60000, 1)),
    False: (("t10k-images-idx3-ubyte", 2051, 10000, 784), ("t10k-labels-idx1-ubyte", 2049, 10000, 1)),
}


def check_idx_files(raw: Path, train: bool) -> None:
    """The split's IDX files present in ``raw`` have the official header (magic number 2051
    for images with 28 x 28 pixels, 2049 for labels; the item count) and size (a 16- or
    8-byte header, then one byte per pixel or label); a ``DatasetNotFoundError`` names the
    first file that does not (cut short, or another file). Missing files are left to the
    loader (and its download)."""
    for name, magic, items, item_bytes in IDX_FILES[train]:
        path = raw / name
        if not path.is_file():
            continue
        header = 16 if item_bytes > 1 else 8
        expected = header + items * item_bytes
        with open(path, "rb") as handle:
            found = np.frombuffer(handle.read(header).ljust(header, b"\0"), dtype=">u4")
        size = path.stat().st_size
        if found[0] != magic or found[1] != items or size != expected:
            raise DatasetNotFoundError(
                f"{path} is damaged: {size} bytes with magic number {found[0]} and {found[1]} items, where the"
                f" official file has {expected} bytes, magic number {magic} and {items} items; replace it with"
                f" the official file (or delete it, with internet and download on, to fetch it again)")


def load_digits(data_dir: str | Path, dataset: str, train: bool,
                download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (N, 784) in [0, 1] (pixels / 255) and labels as int64 (N,), of
    the official training (60000) or test (10000) set, in the files' order."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}: choose one of {sorted(DATASETS)}")
    cls = DATASETS[dataset]
    root = Path(data_dir).expanduser()
    check_idx_files(root / cls.__name__ / "raw", train)
    try:
        data = cls(str(root), train=train, download=download)
    except (RuntimeError, OSError) as error:  # torchvision: RuntimeError when absent, URLError offline
        raw = root / cls.__name__ / "raw"
        tried = ("the download failed" if download
                 else "downloading is off (data.download=false; digits.download=false in a spiking run)")
        raise DatasetNotFoundError(
            f"cannot load {dataset} from {raw} and {tried} ({type(error).__name__}: {error})."
            f" Put the four IDX files (train-images-idx3-ubyte, ...) there, or point"
            f" paths.data_dir (or the MULTIGRADE_DATA_DIR environment variable) at the folder"
            f" that holds {cls.__name__}/"
        ) from None
    images = data.data.numpy().reshape(len(data.data), -1).astype(np.float32) / 255.0
    return images, data.targets.numpy().astype(np.int64)


def split_limit(limit: int | None) -> slice:
    """The images of each split a ``limit`` keeps: the first ``limit`` (a positive integer,
    ``profile.digits_limit`` in the built-in configs), or all of them for None."""
    if limit is None:
        return slice(None)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit (profile.digits_limit) must be a positive number of images per split, or null for"
                         f" all of them; got {limit!r}")
    return slice(0, limit)


def holdout_split(n: int, held: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices of ``n`` samples: ``permutation = RandomState(seed)
    .permutation(n)``, the first ``held`` held out, the rest for training (the indices
    scikit-learn's ``train_test_split(test_size=held, random_state=seed)`` draws; a
    fraction f of them is ``held = ceil(f n)``)."""
    order = np.random.RandomState(seed).permutation(n)
    return order[held:], order[:held]


def one_hot(labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """(N,) ints -> (N, classes) float32 one-hot rows."""
    return np.eye(classes, dtype=np.float32)[labels]


def symmetric_label_noise(labels: np.ndarray, rate: float, seed: int,
                          classes: int = CLASSES) -> np.ndarray:
    """Labels passed through the symmetric noise channel ``P[i, i] = 1 - rate``,
    ``P[i, j] = rate / (classes - 1)``: each label i is redrawn from row ``P[i]`` by
    ``RandomState(seed).multinomial``, sample by sample in order."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"the label-noise rate must be in [0, 1); got {rate}")
    channel = np.full((classes, classes), rate / (classes - 1))
    np.fill_diagonal(channel, 1.0 - rate)
    rng = np.random.RandomState(seed)
    return np.array([rng.multinomial(1, channel[label]).argmax() for label in labels], dtype=np.int64)


def digit_regression(name: str, data_dir: str | Path, dataset: str,
                     targets: Callable[[np.ndarray, np.ndarray], np.ndarray], val_fraction: float | None,
                     split_seed: int, max_frequency: float, resolution: float, download: bool,
                     limit: int | None = None, **fields) -> RegressionData:
    """Images (N, 784) with ``targets(images, labels)`` (N, 10) on the official training
    set and clean one-hot labels on the official test set. With ``val_fraction`` f, the
    training set is split by ``holdout_split`` (``ceil(f * 60000)`` held out for
    validation, targets as in training); with None, all of it trains and the test set
    validates (as P2's code does). ``limit`` keeps the first ``limit`` images of each
    split (smoke runs). Spectra: a non-uniform DFT along the training images' norms
    ``||x||`` at frequencies ``0, resolution, ..., max_frequency``."""
    keep = split_limit(limit)
    images, labels = load_digits(data_dir, dataset, train=True, download=download)
    x_test, labels_test = load_digits(data_dir, dataset, train=False, download=download)
    y, y_test = targets(images, labels), one_hot(labels_test)
    if val_fraction is None:
        splits = {"train": (images, y), "val": (x_test, y_test), "test": (x_test, y_test)}
    elif 0 < val_fraction < 1:
        train, val = holdout_split(len(labels), math.ceil(val_fraction * len(labels)), split_seed)
        splits = {"train": (images[train], y[train]), "val": (images[val], y[val]), "test": (x_test, y_test)}
    else:
        raise ValueError(f"val_fraction must be in (0, 1), or null to validate on the test set; got {val_fraction}")
    splits = {split: (x[keep], t[keep]) for split, (x, t) in splits.items()}
    norms = np.linalg.norm(splits["train"][0].astype(np.float64), axis=1)
    return RegressionData.from_arrays(
        name,
        splits,
        spectral_grid=SpectralGrid(n=len(norms), length=1.0 / resolution, positions=norms,
                                   max_frequency=max_frequency),
        **fields,
    )
