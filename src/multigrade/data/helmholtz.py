"""The 1D Helmholtz equation, discretised by finite differences, as data for the grades.

    u''(x) + k^2 u(x) = f(x) on (0, 1),      u(0) = g_0,  u(1) = g_1

on the grid ``x_i = i / n``, i = 0..n, with ``n = ceil(points_per_k * k)``. Interior row i
is the three-point stencil divided by k^2, ``u''/k^2 + u = f/k^2`` (a component of
frequency w is weighed by ``1 - w^2/k^2``, of order one away from resonance)::

    (u_{i-1} - 2 u_i + u_{i+1}) / (k h)^2 + u_i = f_i / k^2,

and the boundary rows ``sqrt(n) u_0 = sqrt(n) g_0``, ``sqrt(n) u_n = sqrt(n) g_1``: in the
mean squared residual the two conditions weigh as much as the n interior equations (the
solutions ``sin(k x)``, ``cos(k x)`` of the homogeneous equation are pinned by them alone).

The manufactured solution ``u(x) = sum_j a_j sin(r_j k x + phi_j)`` (frequencies set
relative to k) gives the right-hand side as the stencil applied to u on the grid, so the
discrete solution is u itself at the grid points: the errors measure how well the grades
solve the discrete equation, not the discretisation. The training split is the grid,
validation ``n_val`` uniform random points and test ``n_test`` equispaced ones, all against
the exact u (``rel_l2``). The direct solve of the same system, interpolated linearly, is
the classical baseline. P2 does not publish its Helmholtz settings: these are this
project's.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from multigrade.data.regression import RegressionData
from multigrade.equations.linear import LinearEquation, LinearOperator
from multigrade.grades.metrics import rel_l2
from multigrade.spectra.fourier import SpectralGrid


def stencil_matrix(k: float, n: int) -> np.ndarray:
    """The scaled finite-difference system of the module docstring: (n + 1, n + 1)."""
    scale = (k / n) ** -2  # 1 / (k h)^2
    matrix = np.zeros((n + 1, n + 1))
    interior = np.arange(1, n)
    matrix[interior, interior - 1] = scale
    matrix[interior, interior] = 1.0 - 2.0 * scale
    matrix[interior, interior + 1] = scale
    matrix[0, 0] = matrix[n, n] = math.sqrt(n)  # the two boundary rows weigh as much as the n interior ones
    return matrix


def helmholtz_1d(k: float = 50.0, relative_frequencies: tuple[float, ...] = (0.1, 0.6, 0.95),
                 amplitudes: tuple[float, ...] = (1.0, 0.5, 0.25), phases: tuple[float, ...] = (0.5, 1.0, 2.0),
                 points_per_k: float = 10.0, n_val: int = 500, n_test: int = 2001, val_seed: int = 0) -> RegressionData:
    """The discretised equation and the exact solution on every split (module docstring)."""
    if not len(relative_frequencies) == len(amplitudes) == len(phases):
        raise ValueError("give one amplitude and one phase per relative frequency")
    if math.isclose(k / math.pi, round(k / math.pi)):
        raise ValueError(f"k = {k} is a resonance of the Dirichlet problem (a multiple of pi): choose another")

    def u(x: np.ndarray) -> np.ndarray:
        return sum(a * np.sin(r * k * x + p) for r, a, p in zip(relative_frequencies, amplitudes, phases))

    n = math.ceil(points_per_k * k)
    grid = np.linspace(0.0, 1.0, n + 1)
    matrix = stencil_matrix(k, n)
    rhs = matrix @ u(grid)
    x_val = np.sort(np.random.RandomState(val_seed).uniform(0.0, 1.0, n_val))
    x_test = np.linspace(0.0, 1.0, n_test)
    splits = {name: (x, u(x)) for name, x in (("train", grid), ("val", x_val), ("test", x_test))}
    direct = np.linalg.solve(matrix, rhs)
    baseline = {f"{name}_rel_l2": rel_l2(torch.from_numpy(y[:, None]), torch.from_numpy(np.interp(x, grid, direct)[:, None]))
                for name, (x, y) in splits.items()}
    highest = max(relative_frequencies) * k / (2 * math.pi)  # cycles per unit
    return RegressionData.from_arrays(
        f"helmholtz1d_k{k:g}",
        splits,
        spectral_grid=SpectralGrid(n=n + 1, length=1.0, positions=grid, max_frequency=1.5 * highest),
        target_frequencies=np.array([r * k / (2 * math.pi) for r in relative_frequencies]),
        metrics=("rel_l2",),
        equation=LinearEquation(LinearOperator(matrix), torch.from_numpy(rhs[:, None].astype(np.float32))),
        baselines={"direct": baseline},
    )
