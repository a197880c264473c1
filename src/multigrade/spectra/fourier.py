"""One-sided amplitude spectra: FFT on an equispaced grid, a non-uniform DFT otherwise,
and the radially averaged 2D FFT of images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


def _as_columns(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """(n,) or (n, m) values as float64 (n, m)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    v = np.asarray(values, dtype=float)
    return v[:, None] if v.ndim == 1 else v


def _rms_over_channels(amplitude: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(amplitude**2, axis=1))


def one_sided_amplitude(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """``|FFT(v)| / n`` over bins 0..n//2 along axis 0, (n,) or (n, m) -> (n//2 + 1,).

    ``a * sin(2 pi k x)`` sampled on ``n`` equispaced points of a period shows ``a/2`` at
    bin ``k``. With m output channels the amplitude is the root mean square over them.
    """
    v = _as_columns(values)
    return _rms_over_channels(np.abs(np.fft.rfft(v, axis=0)) / v.shape[0])


def nonuniform_amplitude(values: torch.Tensor | np.ndarray, positions: np.ndarray,
                         freq: np.ndarray, chunk: int = 256) -> np.ndarray:
    """``|(1/n) sum_i v_i exp(-2 pi i f x_i)|`` for each frequency f: (n[, m]) -> (F,).

    The non-uniform DFT of samples ``v_i`` at positions ``x_i``; on an equispaced grid of
    one period and integer f it equals ``one_sided_amplitude``. Channels combine by RMS.
    """
    v = _as_columns(values)
    x = np.asarray(positions, dtype=float).reshape(-1)
    if x.shape[0] != v.shape[0]:
        raise ValueError(f"{v.shape[0]} values but {x.shape[0]} positions")
    out = np.empty((len(freq), v.shape[1]))
    for start in range(0, len(freq), chunk):
        f = np.asarray(freq[start:start + chunk], dtype=float)
        basis = np.exp(-2j * np.pi * f[:, None] * x[None, :])  # (F_chunk, n)
        out[start:start + chunk] = np.abs(basis @ v) / v.shape[0]
    return _rms_over_channels(out)


def frequency_grid(n: int, length: float = 1.0) -> np.ndarray:
    """Frequencies (cycles per unit) of the one-sided bins of n points over ``length``."""
    return np.fft.rfftfreq(n, d=length / n)


def nearest_bins(freq: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of the bin nearest to each wanted frequency: (J,) ints."""
    return np.abs(freq[None, :] - np.asarray(wanted, float)[:, None]).argmin(axis=1)


def resolved(freq: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The wanted frequencies that the bins ``freq`` (ascending from 0, evenly spaced)
    resolve: from half a bin above 0 (nearer the mean, bin 0, they show as the mean) to
    half a bin above the last (beyond it, as the last bin); none when the mean is the only
    bin."""
    wanted = np.asarray(wanted, float)
    if len(freq) < 2:
        return wanted[:0]
    half = (freq[1] - freq[0]) / 2
    return wanted[(wanted >= freq[0] + half) & (wanted <= freq[-1] + half)]


@dataclass(frozen=True)
class SpectralGrid:
    """Where the training samples sit along the coordinate that carries the frequencies.

    ``positions=None``: the samples are an equispaced grid over ``length`` in grid order,
    and spectra are FFTs. Otherwise ``positions`` (n,) are their coordinates and spectra
    are non-uniform DFTs at ``max_frequency * length + 1`` frequencies ``j / length``.
    """

    n: int
    length: float = 1.0
    positions: np.ndarray | None = None
    max_frequency: float | None = None

    @property
    def freq(self) -> np.ndarray:
        if self.positions is None:
            return frequency_grid(self.n, self.length)
        top = self.max_frequency if self.max_frequency is not None else self.n / (2 * self.length)
        return np.arange(int(np.floor(top * self.length + 1e-9)) + 1) / self.length

    def amplitude(self, values: torch.Tensor | np.ndarray) -> np.ndarray:
        """The one-sided amplitude spectrum of ``values`` (n[, m]) on this grid: (F,)."""
        if self.positions is None:
            return one_sided_amplitude(values)
        return nonuniform_amplitude(values, self.positions, self.freq)

    def amplitude_at(self, values: torch.Tensor | np.ndarray, bins: np.ndarray) -> np.ndarray:
        """``amplitude(values)[bins]``, computing only those bins for a non-uniform DFT."""
        if self.positions is None:
            return one_sided_amplitude(values)[bins]
        return nonuniform_amplitude(values, self.positions, self.freq[bins])


def radial_average_amplitude(values: torch.Tensor | np.ndarray, height: int, width: int) -> np.ndarray:
    """Radially averaged ``|FFT2(v)| / (h w)`` of an image: (h*w[, m]) row-major -> (R + 1,).

    Frequencies are counted in cycles per image side, ``(f_y, f_x)`` integers from
    ``fftfreq``; ring r holds the bins with ``round(sqrt(f_x^2 + f_y^2)) = r`` for
    r = 0..R, R = min(h, w) // 2, and its value is their mean amplitude (RMS over channels).
    """
    v = _as_columns(values)
    if v.shape[0] != height * width:
        raise ValueError(f"{v.shape[0]} values for a {height}x{width} image")
    spectrum = np.abs(np.fft.fft2(v.reshape(height, width, -1), axes=(0, 1))) / (height * width)
    fy = np.fft.fftfreq(height, d=1.0 / height)[:, None]
    fx = np.fft.fftfreq(width, d=1.0 / width)[None, :]
    rings = np.rint(np.hypot(fy, fx)).astype(np.int64).reshape(-1)
    top = min(height, width) // 2
    keep = rings <= top
    flat = spectrum.reshape(height * width, -1)[keep]
    counts = np.bincount(rings[keep], minlength=top + 1)[:, None]
    sums = np.stack([np.bincount(rings[keep], weights=flat[:, c], minlength=top + 1)
                     for c in range(flat.shape[1])], axis=1)
    return _rms_over_channels(sums / np.maximum(counts, 1))


@dataclass(frozen=True)
class RadialGrid:
    """Training samples that form an ``height x width`` image in row-major order; spectra
    are radially averaged 2D FFTs over rings of integer radius (cycles per image side)."""

    height: int
    width: int

    @property
    def n(self) -> int:
        return self.height * self.width

    @property
    def freq(self) -> np.ndarray:
        return np.arange(min(self.height, self.width) // 2 + 1, dtype=float)

    def amplitude(self, values: torch.Tensor | np.ndarray) -> np.ndarray:
        """The radially averaged amplitude spectrum of ``values`` (n[, m]): (F,)."""
        return radial_average_amplitude(values, self.height, self.width)

    def amplitude_at(self, values: torch.Tensor | np.ndarray, bins: np.ndarray) -> np.ndarray:
        return self.amplitude(values)[bins]
