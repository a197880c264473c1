"""P2's one-dimensional regressions: oscillatory and composite targets, clean or noisy.

* ``sin``: ``sin(100 x)`` on [0, 1];  ``xsin``: ``x sin(100 x)`` on [0, 1];
* ``composite``: ``(x + 1) f(x)`` on [-1, 1] with ``f = h4 o h3 o h2 o h1``,
  ``h1(x) = |cos(15 pi (x - 0.3)) - 0.7|``, ``h2(u) = |cos(2 pi (u - 0.5)) - 0.5|``,
  ``h3(u) = 1.3 - |u - 1.3|``, ``h4(u) = 0.9 - |u - 0.9|``.

The split is P2's code's: the model trains on all 5000 equispaced points, and validates
on a random 20% of them whose targets get an extra ``N(0, val_noise_std^2)``, 0.01 (with
``val_held_out=True`` those points leave the training set instead). 1000 equispaced test
points with clean targets. The noisy variant adds ``N(0, noise_std^2)`` to the training
targets. One ``RandomState(seed)`` draws, in this order, the training noise (noisy variant
only), the validation points and their extra noise. Spectra of the residual are non-uniform
DFTs at the training points.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from multigrade.data.regression import RegressionData
from multigrade.spectra.fourier import SpectralGrid


def composite(x: np.ndarray) -> np.ndarray:
    u = np.abs(np.cos(15.0 * np.pi * (x - 0.3)) - 0.7)
    u = np.abs(np.cos(2.0 * np.pi * (u - 0.5)) - 0.5)
    u = 1.3 - np.abs(u - 1.3)
    u = 0.9 - np.abs(u - 0.9)
    return (x + 1.0) * u


FUNCTIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float]]] = {
    "sin": (lambda x: np.sin(100.0 * x), (0.0, 1.0)),
    "xsin": (lambda x: x * np.sin(100.0 * x), (0.0, 1.0)),
    "composite": (composite, (-1.0, 1.0)),
}


def p2_regression(function: str, noise_std: float = 0.0, n_train: int = 5000, n_test: int = 1000,
                  val_fraction: float = 0.2, val_noise_std: float = 0.01, val_held_out: bool = False,
                  seed: int = 0, max_frequency: float = 60.0) -> RegressionData:
    """The data of one P2 regression as (N, 1) tensors."""
    if function not in FUNCTIONS:
        raise ValueError(f"P2 regressions are {sorted(FUNCTIONS)}; got {function!r}")
    for name, value in (("noise_std", noise_std), ("val_noise_std", val_noise_std)):
        if value < 0:
            raise ValueError(f"{name} is a standard deviation, at least 0; got {value}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction is the share of the points drawn to validate, in (0, 1); got {val_fraction}")
    f, (a, b) = FUNCTIONS[function]
    rng = np.random.RandomState(seed)
    x = np.linspace(a, b, n_train)
    y = f(x) + (rng.normal(0.0, noise_std, n_train) if noise_std > 0 else 0.0)
    val = rng.choice(n_train, int(val_fraction * n_train), replace=False)
    y_val = y[val] + rng.normal(0.0, val_noise_std, len(val))
    train = np.setdiff1d(np.arange(n_train), val) if val_held_out else np.arange(n_train)
    x_test = np.linspace(a, b, n_test)
    splits = {"train": (x[train], y[train]), "val": (x[val], y_val), "test": (x_test, f(x_test))}
    suffix = "_noisy" if noise_std > 0 else ""
    return RegressionData.from_arrays(
        f"p2_{function}{suffix}",
        splits,
        spectral_grid=SpectralGrid(n=len(train), length=b - a, positions=x[train], max_frequency=max_frequency),
    )
