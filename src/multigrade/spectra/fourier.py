"""One-sided amplitude spectra on an equispaced grid."""

from __future__ import annotations

import numpy as np
import torch


def one_sided_amplitude(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """``|FFT(v)| / n`` over bins 0..n//2 along axis 0, (n,) or (n, m) -> (n//2 + 1,).

    ``a * sin(2 pi k x)`` sampled on ``n`` equispaced points of a period shows ``a/2`` at
    bin ``k``. With m output channels the amplitude is the root mean square over them.
    """
    v = values.detach().cpu().double().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, float)
    if v.ndim == 1:
        v = v[:, None]
    amplitude = np.abs(np.fft.rfft(v, axis=0)) / v.shape[0]
    return np.sqrt(np.mean(amplitude**2, axis=1))


def frequency_grid(n: int, length: float = 1.0) -> np.ndarray:
    """Frequencies (cycles per unit) of the one-sided bins of n points over ``length``."""
    return np.fft.rfftfreq(n, d=length / n)


def nearest_bins(freq: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of the bin nearest to each wanted frequency: (J,) ints."""
    return np.abs(freq[None, :] - np.asarray(wanted, float)[:, None]).argmin(axis=1)
