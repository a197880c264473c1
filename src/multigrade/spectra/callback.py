"""``SpectraCallback``: the residual spectra after every grade, and their evolution."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import lightning.pytorch as L
import numpy as np
import torch

from multigrade.epochs import on_check_epochs
from multigrade.errors import refusal
from multigrade.io import write_npz
from multigrade.spectra.fourier import RadialGrid, SpectralGrid, nearest_bins, resolved

log = logging.getLogger(__name__)


def strongest_frequencies(freq: np.ndarray, amplitude: np.ndarray, count: int = 20,
                          floor: float = 0.1) -> np.ndarray:
    """At most ``count`` non-zero frequencies of largest amplitude, each at least ``floor``
    times the largest, in increasing order: a single sine between two bins has a peak of
    two or three bins, not twenty, and its far sidelobes' small amplitudes would make the
    learned ratio ``|F f| / |F y|`` there noise."""
    order = np.argsort(amplitude[1:])[::-1][:count] + 1
    order = order[amplitude[order] >= floor * amplitude[order[0]]]
    return np.sort(freq[order])


def evolution_spacing(epochs: int, points: int, check_every: int) -> int:
    """Epochs between the evolution's samples of a grade: about ``points`` samples, on
    epochs whose loss the grade reads anyway (multiples of ``check_every``) where the
    samples are that sparse, so that sampling adds no wait for the device to a long grade;
    a short grade keeps its ``points``."""
    every = max(1, math.ceil(epochs / max(1, points)))
    return on_check_epochs(every, check_every) if every >= check_every else every


class SpectraCallback(L.Callback):
    """Records, on the training samples' spectral grid (``|FFT|/n`` on an equispaced grid,
    a non-uniform DFT otherwise, a radially averaged 2D FFT for images), the one-sided
    amplitude spectra of

    * ``g_k``, the output of grade k,
    * ``f_k = sum_{j<=k} g_j``, the cumulative prediction, and
    * ``y - f_k``, the residual left for grade k + 1,

    after every grade, and, ``evolution_points`` times per grade, the normalised
    amplitude of ``f`` at the target frequencies, ``|F f|(k_j) / |F y|(k_j)`` (1 means
    learned; for ``a_j sin(2 pi k_j x)`` targets this is ``2 |F f|(k_j) / a_j``). Without
    given target frequencies, the target's strongest non-zero frequencies are used (at most
    20, each at least a tenth of the strongest: ``strongest_frequencies``);
    target frequencies the spectra do not resolve (below half a bin, or above the highest
    bin by more than half a bin: ``fourier.resolved``) are left out, with a warning.

    The same instance is handed to every grade's trainer; it reads from the grade module
    its ``targets`` Y and ``prior`` f_{k-1} (N, m), ``train_output()`` g_k (N, m),
    ``schedule``, ``check_every`` and ``grade``. ``spectra.npz`` is rewritten (atomically)
    in ``output_dir`` (unless None) after each grade with ``freq`` (F,), ``target`` (F,),
    ``grade``, ``cumulative``, ``residual`` (K, F), ``evolution`` (T, J),
    ``evolution_epoch`` (T,) counted across grades, ``evolution_grade`` (T,),
    ``target_frequencies`` (J,) and ``grade_epochs`` (K,).
    """

    def __init__(self, output_dir: str | Path | None, grid: SpectralGrid | RadialGrid,
                 target_frequencies: np.ndarray | list | None = None, evolution_points: int = 60):
        super().__init__()
        if isinstance(evolution_points, bool) or not isinstance(evolution_points, int) or evolution_points < 1:
            raise refusal("evolution_points", "a positive number of samples per grade", evolution_points)
        self.output_dir = None if output_dir is None else Path(output_dir)
        self.grid = grid
        self.target_frequencies = np.asarray([] if target_frequencies is None else target_frequencies, float)
        self.evolution_points = int(evolution_points)
        self.freq: np.ndarray | None = None
        self.target: np.ndarray | None = None
        self.rows: dict[str, list] = {"grade": [], "cumulative": [], "residual": []}
        self.evolution: list[np.ndarray] = []
        self.evolution_epoch: list[int] = []
        self.evolution_grade: list[int] = []
        self.grade_epochs: list[int] = []
        self._every = 1
        self._bins = np.zeros(0, dtype=np.int64)

    @property
    def epochs_before(self) -> int:
        return int(sum(self.grade_epochs))

    def on_fit_start(self, trainer: L.Trainer, pl_module) -> None:
        if self.target is None:
            self.target = self.grid.amplitude(pl_module.targets)
            self.freq = self.grid.freq
            if not len(self.target_frequencies):
                self.target_frequencies = strongest_frequencies(self.freq, self.target)
            kept = resolved(self.freq, self.target_frequencies)
            if len(kept) < len(self.target_frequencies):
                log.warning("target frequencies %s are outside the spectra's range [%.4g, %.4g] (half a bin"
                            " above the mean to half a bin above the highest bin): the evolution leaves them out",
                            sorted(set(self.target_frequencies.tolist()) - set(kept.tolist())), self.freq[1] / 2,
                            self.freq[-1] + self.freq[1] / 2)
            self.target_frequencies = kept
            self._bins = nearest_bins(self.freq, self.target_frequencies)
        self._every = evolution_spacing(pl_module.schedule.epochs, self.evolution_points, pl_module.check_every)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        epoch = int(batch)
        if (epoch + 1) % self._every and epoch + 1 != pl_module.schedule.epochs:
            return
        if not len(self._bins):
            return
        cumulative = self.grid.amplitude_at(pl_module.prior + pl_module.train_output(), self._bins)
        reference = np.maximum(self.target[self._bins], np.finfo(float).tiny)
        self.evolution.append(cumulative / reference)
        self.evolution_epoch.append(self.epochs_before + epoch + 1)
        self.evolution_grade.append(pl_module.grade)

    def on_train_end(self, trainer: L.Trainer, pl_module) -> None:
        output = pl_module.train_output()
        cumulative = pl_module.prior + output
        self.rows["grade"].append(self.grid.amplitude(output))
        self.rows["cumulative"].append(self.grid.amplitude(cumulative))
        self.rows["residual"].append(self.grid.amplitude(pl_module.targets - cumulative))
        self.grade_epochs.append(pl_module.schedule.epochs)
        self.save()

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything recorded so far, as the arrays written to ``spectra.npz``."""
        j = len(self.target_frequencies)
        empty = np.zeros((0, len(self.freq)))  # no grade finished yet
        return {
            "freq": self.freq,
            "target": self.target,
            **{name: np.stack(rows) if rows else empty for name, rows in self.rows.items()},
            "evolution": np.stack(self.evolution) if self.evolution else np.zeros((0, j)),
            "evolution_epoch": np.asarray(self.evolution_epoch, dtype=np.int64),
            "evolution_grade": np.asarray(self.evolution_grade, dtype=np.int64),
            "target_frequencies": self.target_frequencies,
            "grade_epochs": np.asarray(self.grade_epochs, dtype=np.int64),
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Everything recorded so far as tensors (for grade checkpoints)."""
        if self.target is None:
            return {}
        return {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in self.arrays().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Continue from ``state_dict()``'s record, e.g. after restoring completed grades."""
        if not state:
            return
        arrays = {name: tensor.numpy() for name, tensor in state.items()}
        self.freq, self.target = arrays["freq"], arrays["target"]
        self.target_frequencies = arrays["target_frequencies"]
        self._bins = nearest_bins(self.freq, self.target_frequencies)
        self.rows = {name: list(arrays[name]) for name in self.rows}
        self.evolution = list(arrays["evolution"])
        self.evolution_epoch = arrays["evolution_epoch"].tolist()
        self.evolution_grade = arrays["evolution_grade"].tolist()
        self.grade_epochs = arrays["grade_epochs"].tolist()

    def save(self) -> Path | None:
        """Write ``spectra.npz`` into ``output_dir`` (None: the record stays in memory)."""
        if self.output_dir is None:
            return None
        path = self.output_dir / "spectra.npz"
        write_npz(path, **self.arrays())
        return path
