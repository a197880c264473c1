"""One's own points as regression data: an ``.npz`` or ``.csv`` file of inputs and targets.

* ``.npz``: arrays ``x`` (N, d) or (N,) and ``y`` (N, m) or (N,), and optionally the
  splits ``x_val``/``y_val`` and ``x_test``/``y_test``.
* ``.csv``: a header row of column names, then one point a row; ``inputs`` and
  ``targets`` name the columns of x and y (default: every column but the last, and the
  last).

The validation and test splits that the file does not hold are drawn from its points:
``val_fraction`` and ``test_fraction`` of them, at random from ``seed``.

Spectra of the residual run along the first input (the only one for d = 1): the training
points are put in its order, and where they are equispaced the spectrum is their FFT over
the grid's period ``n h``; otherwise a non-uniform DFT at their positions, up to
``max_frequency`` cycles per unit (default: half the points per unit of their span).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from multigrade.data.regression import RegressionData
from multigrade.errors import DataFileError, DatasetNotFoundError
from multigrade.spectra.fourier import SpectralGrid

ARRAYS = ("x", "y", "x_val", "y_val", "x_test", "y_test")


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of ``ARRAYS`` that ``path`` holds; ``x`` and ``y`` are required."""
    try:
        with np.load(path, allow_pickle=False) as file:
            arrays = {name: np.asarray(file[name]) for name in ARRAYS if name in file}
    except (OSError, ValueError) as error:
        raise DataFileError(f"{path} is not a readable .npz file ({error})") from None
    for pair in (("x", "y"), ("x_val", "y_val"), ("x_test", "y_test")):
        held = [name for name in pair if name in arrays]
        if pair[0] == "x" and len(held) < 2 or len(held) == 1:
            raise DataFileError(f"{path} holds {sorted(arrays) or 'none'} of the arrays; it needs {pair[0]} and"
                                f" {pair[1]} together (x and y always)")
    return arrays


def read_csv(path: Path, inputs: list[str] | None, targets: list[str] | None) -> dict[str, np.ndarray]:
    """``x`` and ``y``: the ``inputs`` and ``targets`` columns of ``path`` (default: all
    columns but the last, and the last)."""
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    if len(rows) < 2:
        raise DataFileError(f"{path} holds no points: it needs a header row of column names, then a row a point")
    header = [name.strip() for name in rows[0]]
    ragged = [i + 1 for i, row in enumerate(rows) if len(row) != len(header)]
    if ragged:
        raise DataFileError(f"{path}: lines {ragged[:5]} have other than the header's {len(header)} columns")
    inputs = list(inputs) if inputs else header[:-1]
    targets = list(targets) if targets else header[-1:]
    missing = [name for name in inputs + targets if name not in header]
    if missing or not inputs:
        raise DataFileError(f"{path} has no column {missing or 'left for the inputs'}: its columns are {header}")
    try:
        values = np.array(rows[1:], dtype=np.float64)
    except ValueError as error:
        raise DataFileError(f"{path} holds a value that is not a number ({error})") from None
    return {"x": values[:, [header.index(n) for n in inputs]], "y": values[:, [header.index(n) for n in targets]]}


def spectral_grid(x: np.ndarray, max_frequency: float | None) -> SpectralGrid:
    """Where the training inputs ``x`` (n, d), in order of ``x[:, 0]``, sit along their
    first coordinate: an equispaced grid (FFT) or scattered positions (non-uniform DFT)."""
    first = x[:, 0]
    steps = np.diff(first)
    if len(first) > 1 and x.shape[1] == 1 and np.allclose(steps, steps[0], rtol=1e-4) and steps[0] > 0:
        return SpectralGrid(n=len(first), length=float(steps[0] * len(first)))
    span = float(first.max() - first.min()) or 1.0
    return SpectralGrid(n=len(first), length=span, positions=first, max_frequency=max_frequency)


def points(path: str, inputs: list[str] | None = None, targets: list[str] | None = None, val_fraction: float = 0.1,
           test_fraction: float = 0.1, seed: int = 0, max_frequency: float | None = None,
           name: str | None = None) -> RegressionData:
    """The points of ``path`` (``.npz`` or ``.csv``) as regression data, named ``name``
    (default: the file's stem)."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DatasetNotFoundError(f"{file} is not a file: give data.path the .npz or .csv file of your points")
    if file.suffix not in (".npz", ".csv"):
        raise DataFileError(f"{file}: points are read from .npz or .csv files, not {file.suffix or 'unsuffixed'} ones")
    arrays = read_npz(file) if file.suffix == ".npz" else read_csv(file, inputs, targets)
    for key, a in arrays.items():
        if a.ndim not in (1, 2) or not np.issubdtype(a.dtype, np.number):
            raise DataFileError(f"{file}: {key} must be numbers in (N,) or (N, columns); got {a.dtype} {a.shape}")
        if not np.isfinite(a).all():
            rows = np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).all(axis=1))
            raise DataFileError(f"{file}: {key} holds NaN or inf values, in rows {rows[:5].tolist()}"
                                f"{' and more' if len(rows) > 5 else ''} (counted from 0)")
    columns = {key: a.reshape(len(a), -1) for key, a in arrays.items()}
    for split in ("", "_val", "_test"):
        if f"x{split}" in columns and len(columns[f"x{split}"]) != len(columns[f"y{split}"]):
            raise DataFileError(f"{file}: x{split} has {len(columns[f'x{split}'])} points but y{split}"
                                f" {len(columns[f'y{split}'])}: they need one target row per input row")
    drawn = [split for split in ("val", "test") if f"x_{split}" not in columns]
    fractions = {"val": val_fraction, "test": test_fraction}
    if sum(fractions[s] for s in drawn) >= 1 or any(not 0 < fractions[s] < 1 for s in drawn):
        raise ValueError(f"val_fraction and test_fraction draw the splits the file lacks ({drawn}): each in (0, 1),"
                         f" summing below 1; got {val_fraction} and {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(columns["x"]))
    splits, start = {}, 0
    for split in drawn:
        count = int(round(fractions[split] * len(order)))
        splits[split] = order[start:start + count]
        start += count
    train = np.sort(order[start:])
    train = train[np.argsort(columns["x"][train, 0], kind="stable")]
    x, y = columns["x"], columns["y"]
    data = {"train": (x[train], y[train]), **{split: (x[rows], y[rows]) for split, rows in splits.items()},
            **{s: (columns[f"x_{s}"], columns[f"y_{s}"]) for s in ("val", "test") if s not in drawn}}
    try:
        return RegressionData.from_arrays(name or file.stem, {s: data[s] for s in ("train", "val", "test")},
                                          spectral_grid=spectral_grid(x[train], max_frequency))
    except ValueError as error:
        raise DataFileError(f"{file}: {error}") from None
