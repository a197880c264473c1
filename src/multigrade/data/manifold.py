"""P1 §3.2: high-frequency targets on a curve in the plane.

The input is the point ``gamma_q(t) = (1 + 0.5 sin(2 pi q t)) (cos 2 pi t, sin 2 pi t)``
of a closed curve (a circle for q = 0, a wavy one for q = 4); the target depends on t:

* ``increase``: ``sum_{j=1..40} 0.025 j sin(2 pi k_j t + phi_j)``, ``k_j = 10 j``;
* ``vary``: ``sum_{i=0..39} e^{-t} cos(i t) sin(2 pi k_i t + phi_i)``, ``k_i = 10 (i + 1)``.

Training: 12000 equispaced t in [0, 1) (so spectra in t are FFTs); validation 4000 and
test 4000 uniform t from ``RandomState(0)`` and ``RandomState(1)``.
"""

from __future__ import annotations

import numpy as np

from multigrade.data.regression import RegressionData
from multigrade.data.synthetic import damped_series, frequencies, p1_coordinates, sine_series

NUM_TERMS = 40
TARGETS = ("increase", "vary")


def curve(t: np.ndarray, q: int) -> np.ndarray:
    """gamma_q(t): (n,) -> (n, 2)."""
    radius = 1.0 + 0.5 * np.sin(2.0 * np.pi * q * t)
    return np.stack([radius * np.cos(2.0 * np.pi * t), radius * np.sin(2.0 * np.pi * t)], axis=1)


def target(t: np.ndarray, kind: str) -> np.ndarray:
    """The ``increase`` or ``vary`` target at parameters t (float64, t's shape)."""
    if kind == "increase":
        return sine_series(t, 0.025 * np.arange(1, NUM_TERMS + 1))
    if kind == "vary":
        return damped_series(t, NUM_TERMS)
    raise ValueError(f"P1 §3.2 targets are {TARGETS}; got {kind!r}")


def p1_manifold(q: int, target_kind: str, n_train: int = 12000, n_val: int = 4000,
                n_test: int = 4000, val_seed: int = 0, test_seed: int = 1) -> RegressionData:
    """The data of P1 §3.2: inputs gamma_q(t) (N, 2), targets (N, 1)."""
    t = p1_coordinates(n_train, n_val, n_test, val_seed, test_seed)
    return RegressionData.from_arrays(
        f"p1_manifold_{target_kind}_q{q}",
        {split: (curve(ts, q), target(ts, target_kind)) for split, ts in t.items()},
        target_frequencies=frequencies(NUM_TERMS),
    )
