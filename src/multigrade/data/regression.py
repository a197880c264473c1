"""In-memory regression data shared by all grades of a run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch

from multigrade.equations.linear import LinearEquation
from multigrade.metrics import check_metrics
from multigrade.spectra.fourier import RadialGrid, SpectralGrid

SPLITS = ("train", "val", "test")


@dataclass
class RegressionData:
    """Inputs (N, d) and targets (N, m) of the train, validation and test splits (the
    latter two may be left out: ``splits`` names those held). Every split has the
    training split's d and m.

    ``spectral_grid`` says where the training samples sit along the coordinate that
    carries the frequencies (default: an equispaced grid of one unit, in order, so an FFT
    along axis 0 is their spectrum; a ``RadialGrid`` for images). ``target_frequencies``
    (J,) are the frequencies the target is built from (for the spectrum-evolution
    heatmap). ``metrics`` name what is reported per split (``multigrade.metrics``; the first
    is the headline). ``image_shape`` (h, w), when set, says the test split is a whole
    image in row-major pixel order (for the reconstruction figure).

    ``equation``, when set, is what the grades learn instead of the training targets: a
    linear equation on the values at the training inputs (one equation per input, see
    ``equations.linear``), whose solution the targets of every split are (for the
    metrics and spectra). ``baselines`` holds classical solvers' metrics on the same
    splits (e.g. ``{"nystrom": {"test_rel_l2": ...}}``), reported beside the grades'.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    spectral_grid: SpectralGrid | RadialGrid | None = None
    target_frequencies: np.ndarray = field(default_factory=lambda: np.zeros(0))
    metrics: tuple[str, ...] = ("rse",)
    image_shape: tuple[int, int] | None = None
    equation: LinearEquation | None = None
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metrics = check_metrics(self.metrics)
        if self.spectral_grid is None:
            self.spectral_grid = SpectralGrid(n=self.x_train.shape[0])
        if self.spectral_grid.n != self.x_train.shape[0]:
            raise ValueError(
                f"{self.name}: the spectral grid has {self.spectral_grid.n} points but the"
                f" training set {self.x_train.shape[0]}"
            )
        for split in self.splits:
            x, y = self.split(split)
            if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"{self.name}: {split} inputs {tuple(x.shape)} and targets {tuple(y.shape)}"
                    " must be (N, d) and (N, m) with the same N"
                )
            if (x.shape[1], y.shape[1]) != (self.x_train.shape[1], self.y_train.shape[1]):
                raise ValueError(
                    f"{self.name}: the {split} split has inputs {tuple(x.shape)} and targets {tuple(y.shape)},"
                    f" the train split {tuple(self.x_train.shape)} and {tuple(self.y_train.shape)}: every"
                    f" split needs the training split's {self.x_train.shape[1]} input and"
                    f" {self.y_train.shape[1]} target columns"
                )
            for tensor_name, tensor in ((f"x_{split}", x), (f"y_{split}", y)):
                if not torch.isfinite(tensor).all():
                    raise ValueError(f"{self.name}: {tensor_name} holds NaN or inf values")
        if self.equation is not None and self.equation.rhs.shape != self.y_train.shape:
            raise ValueError(f"{self.name}: the equation needs one row per training input and the"
                             f" targets' columns: rhs {tuple(self.equation.rhs.shape)},"
                             f" targets {tuple(self.y_train.shape)}")

    @property
    def in_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def out_features(self) -> int:
        return self.y_train.shape[1]

    @classmethod
    def from_arrays(cls, name: str, splits: dict[str, tuple[np.ndarray, np.ndarray]],
                    **fields) -> "RegressionData":
        """From NumPy (x, y) per split in {"train", "val", "test"}; (N,) arrays become
        (N, 1) columns, all float32."""

        def tensor(a: np.ndarray) -> torch.Tensor:
            a = np.asarray(a, dtype=np.float32)
            return torch.from_numpy(a.reshape(a.shape[0], -1))

        empty = [split for split, (x, _) in splits.items() if len(x) == 0]
        if empty:
            raise ValueError(f"{name}: the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty;"
                             f" give each split points (its size or fraction in the data's config)")

        tensors = {f"{part}_{split}": tensor(arrays[i]) for split, arrays in splits.items()
                   for i, part in enumerate(("x", "y"))}
        return cls(name=name, **tensors, **fields)

    def fingerprint(self) -> str:
        """SHA-1 of every split's inputs and targets (and the equation's operator and
        right-hand side): which data a checkpoint was trained on."""
        digest = hashlib.sha1()
        tensors = [tensor for split in self.splits for tensor in self.split(split)]
        if self.equation is not None:
            tensors += [*self.equation.operator.contents(), self.equation.rhs]
        for tensor in tensors:
            digest.update(str(tuple(tensor.shape)).encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits held, of "train", "val" and "test"."""
        return tuple(split for split in SPLITS if getattr(self, f"x_{split}") is not None)

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, targets) of ``name`` in ``splits``."""
        if name not in self.splits:
            raise ValueError(f"{self.name} holds no {name} split (it holds {', '.join(self.splits)})")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")
