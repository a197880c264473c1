"""P1 §3.1: one-dimensional targets made of twenty high-frequency sines.

``lambda(x) = sum_{j=1..20} a_j sin(2 pi k_j x + phi_j)`` with ``k_j = 10 j`` and
``phi = RandomState(0).uniform(0, 2 pi, 40)[:20]``, in four amplitude settings:

1. constant ``a_j = 1``;
2. decreasing ``a = linspace(1, 0.05, 20)``;
3. varying: ``lambda(x) = sum_{i=0..19} e^{-x} cos(i x) sin(2 pi k_i x + phi_i)``,
   ``k_i = 10 (i + 1)``;
4. increasing ``a = linspace(0.05, 1, 20)``.

Training inputs: the 6000-point grid ``arange(0, 1, 1/6000)``; validation: 2000 points
U[0, 1) from ``RandomState(0)``; test: 2000 points U[0, 1) from ``RandomState(1)``.
"""

from __future__ import annotations

import numpy as np

from multigrade.data.regression import RegressionData

NUM_TERMS = 20


def phases(count: int = 40) -> np.ndarray:
    """phi: ``RandomState(0).uniform(0, 2 pi, size=40)[:count]`` (P1 draws 40, uses 20 or 40)."""
    return np.random.RandomState(0).uniform(0.0, 2.0 * np.pi, size=40)[:count]


def frequencies(count: int = NUM_TERMS) -> np.ndarray:
    """k_j = 10 j, j = 1..count."""
    return 10.0 * np.arange(1, count + 1)


def uniform_points(n: int, seed: int) -> np.ndarray:
    """n points U[0, 1) from ``RandomState(seed)`` (P1's validation and test inputs)."""
    return np.random.RandomState(seed).uniform(0.0, 1.0, n)


def check_counts(**counts: object) -> None:
    """Each named count of points (``n_train=6000``) is a positive integer (the training
    grid's spacing is ``1/n_train``); a ``ValueError`` names the first that is not."""
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"{name} must be a positive number of points; got {count!r}")


def p1_coordinates(n_train: int, n_val: int, n_test: int, val_seed: int, test_seed: int) -> dict[str, np.ndarray]:
    """P1's splits of the 1D coordinate: the training grid ``arange(0, 1, 1/n_train)`` and
    uniform validation and test points from their seeds."""
    check_counts(n_train=n_train, n_val=n_val, n_test=n_test)
    return {
        "train": np.arange(0.0, 1.0, 1.0 / n_train)[:n_train],
        "val": uniform_points(n_val, val_seed),
        "test": uniform_points(n_test, test_seed),
    }


def _waves(x: np.ndarray, count: int) -> np.ndarray:
    """``sin(2 pi k_j x + phi_j)`` for j = 1..count: x's shape + (count,)."""
    return np.sin(2.0 * np.pi * frequencies(count) * x[..., None] + phases(count))


def sine_series(x: np.ndarray, amplitudes: np.ndarray) -> np.ndarray:
    """``sum_j a_j sin(2 pi k_j x + phi_j)`` with as many terms as amplitudes."""
    return (amplitudes * _waves(x, len(amplitudes))).sum(-1)


def damped_series(x: np.ndarray, count: int) -> np.ndarray:
    """``sum_{i=0..count-1} e^{-x} cos(i x) sin(2 pi k_i x + phi_i)``, ``k_i = 10 (i + 1)``."""
    i = np.arange(count)
    return (np.exp(-x)[..., None] * np.cos(i * x[..., None]) * _waves(x, count)).sum(-1)


def amplitudes(setting: int) -> np.ndarray:
    """a_j of settings 1, 2 and 4 (setting 3 has x-dependent amplitudes)."""
    if setting == 1:
        return np.ones(NUM_TERMS)
    if setting == 2:
        return np.linspace(1.0, 0.05, NUM_TERMS)
    if setting == 4:
        return np.linspace(0.05, 1.0, NUM_TERMS)
    raise ValueError(f"setting {setting} has no constant amplitudes (settings 1, 2, 4 do)")


def target(x: np.ndarray, setting: int) -> np.ndarray:
    """lambda(x) of the given setting, for x of any shape (float64)."""
    if setting == 3:
        return damped_series(x, NUM_TERMS)
    if setting not in (1, 2, 4):
        raise ValueError(f"P1 §3.1 has settings 1, 2, 3, 4; got {setting}")
    return sine_series(x, amplitudes(setting))


def p1_synthetic(
    setting: int,
    n_train: int = 6000,
    n_val: int = 2000,
    n_test: int = 2000,
    val_seed: int = 0,
    test_seed: int = 1,
) -> RegressionData:
    """The data of P1 §3.1 for ``setting`` in {1, 2, 3, 4} as float32 tensors (N, 1)."""
    x = p1_coordinates(n_train, n_val, n_test, val_seed, test_seed)
    return RegressionData.from_arrays(
        f"p1_synthetic_s{setting}",
        {split: (xs, target(xs, setting)) for split, xs in x.items()},
        target_frequencies=frequencies(),
    )
