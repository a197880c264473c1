"""The Helmholtz equation, discretised by finite differences, as data for the grades: in 1D
(``helmholtz_1d``, below) and on the unit square (``helmholtz_2d``, a sparse system).

    u''(x) + k^2 u(x) = f(x) on (0, 1),      u(0) = g_0,  u(1) = g_1

on the grid ``x_i = i / n``, i = 0..n, with ``n = ceil(points_per_k * k)``. Interior row i
is the three-point stencil divided by k^2, ``u''/k^2 + u = f/k^2`` (a component of
frequency w is weighed by ``1 - w^2/k^2``, of order one away from resonance)::

    (u_{i-1} - 2 u_i + u_{i+1}) / (k h)^2 + u_i = f_i / k^2,

and the boundary rows ``sqrt(n) u_0 = sqrt(n) g_0``, ``sqrt(n) u_n = sqrt(n) g_1``: in the
mean squared residual each condition weighs n, about as much as the n - 1 interior
equations together (the solutions ``sin(k x)``, ``cos(k x)`` of the homogeneous equation
are pinned by them alone).

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
import scipy.interpolate
import scipy.sparse
import scipy.sparse.linalg
import torch

from multigrade.data.regression import RegressionData
from multigrade.equations.linear import LinearEquation, LinearOperator
from multigrade.metrics import rel_l2
from multigrade.spectra.fourier import RadialGrid, SpectralGrid


def stencil_matrix(k: float, n: int) -> np.ndarray:
    """The scaled finite-difference system of the module docstring: (n + 1, n + 1)."""
    scale = (k / n) ** -2  # 1 / (k h)^2
    matrix = np.zeros((n + 1, n + 1))
    interior = np.arange(1, n)
    matrix[interior, interior - 1] = scale
    matrix[interior, interior] = 1.0 - 2.0 * scale
    matrix[interior, interior + 1] = scale
    matrix[0, 0] = matrix[n, n] = math.sqrt(n)  # each boundary row weighs about as much as all interior ones
    return matrix


def helmholtz_1d(k: float = 50.0, relative_frequencies: tuple[float, ...] = (0.1, 0.6, 0.95),
                 amplitudes: tuple[float, ...] = (1.0, 0.5, 0.25), phases: tuple[float, ...] = (0.5, 1.0, 2.0),
                 points_per_k: float = 10.0, n_val: int = 500, n_test: int = 2001, val_seed: int = 0) -> RegressionData:
    """The discretised equation and the exact solution on every split (module docstring)."""
    if not len(relative_frequencies) == len(amplitudes) == len(phases):
        raise ValueError("give one amplitude and one phase per relative frequency")
    if not k > 0:
        raise ValueError(f"the wavenumber k must be positive; got {k}")
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


def stencil_matrix_2d(k: float, n: int) -> scipy.sparse.csr_matrix:
    """The 2D system of ``helmholtz_2d`` on the (n + 1)^2 grid nodes in row-major order
    (node ``i (n + 1) + j`` at ``(x_i, y_j)``): sparse, (n + 1)^2 x (n + 1)^2."""
    side = n + 1
    scale = (k / n) ** -2  # 1 / (k h)^2
    second = scipy.sparse.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(side, side))
    identity = scipy.sparse.identity(side)
    stencil = scale * (scipy.sparse.kron(second, identity) + scipy.sparse.kron(identity, second))
    stencil = stencil + scipy.sparse.identity(side * side)
    interior = ~boundary_nodes_2d(n)
    weight = (n - 1) / (2 * math.sqrt(n))  # the 4n boundary rows weigh as much as the (n - 1)^2 interior ones
    rows = scipy.sparse.diags(interior.astype(float)) @ stencil + weight * scipy.sparse.diags((~interior).astype(float))
    return rows.tocsr()


def boundary_nodes_2d(n: int) -> np.ndarray:
    """Which of the (n + 1)^2 grid nodes (row-major) lie on the boundary: ((n + 1)^2,) bool."""
    inner = np.zeros(n + 1, dtype=bool)
    inner[1:-1] = True
    return ~np.outer(inner, inner).reshape(-1)


def resonant_2d(k: float, tolerance: float = 1e-9) -> bool:
    """Whether ``k^2 = pi^2 (p^2 + q^2)`` for integers p, q >= 1 (a Dirichlet eigenvalue)."""
    target = (k / math.pi) ** 2
    return any(math.isclose(target, p * p + q * q, rel_tol=tolerance)
               for p in range(1, int(math.sqrt(target)) + 1) for q in range(1, int(math.sqrt(target)) + 1))


def helmholtz_2d(k: float = 10.0, relative_frequencies: tuple[float, ...] = (0.1, 0.6, 0.95),
                 directions: tuple[float, ...] = (0.3, 1.1, 2.0), amplitudes: tuple[float, ...] = (1.0, 0.5, 0.25),
                 phases: tuple[float, ...] = (0.5, 1.0, 2.0), points_per_k: float = 10.0, n_val: int = 2000,
                 test_side: int = 201, val_seed: int = 0, rhs: str = "discrete",
                 fit: str = "residual") -> RegressionData:
    """The 2D Helmholtz equation ``Δu + k^2 u = f`` on (0, 1)^2 with Dirichlet conditions by
    finite differences, as ``helmholtz_1d`` in 1D: on the grid ``(i/n, j/n)``,
    ``n = ceil(points_per_k k)``, interior rows are the five-point stencil divided by k^2,

        (u_{i-1,j} + u_{i+1,j} + u_{i,j-1} + u_{i,j+1} - 4 u_{i,j}) / (k h)^2 + u_{i,j} = f_{i,j} / k^2,

    and the 4n boundary rows ``w u = w g`` with ``w = (n - 1) / (2 sqrt(n))``, so that they
    weigh as much as the interior rows together. The manufactured solution is a sum of plane
    waves, ``u(x, y) = sum_j a_j sin(r_j k (x cos t_j + y sin t_j) + phi_j)`` (wavenumbers
    relative to k, directions t_j). Inputs (x, y); train: the (n + 1)^2 nodes in row-major
    order, validation ``n_val`` uniform random points, test a ``test_side`` square grid, all
    against the exact u (``rel_l2``). Baseline: the sparse direct solve ``U_h``,
    interpolated bilinearly.

    ``rhs="discrete"``: the right-hand side is the stencil applied to u, so ``U_h`` is u on
    the grid and errors measure how well the equation is solved, not the discretisation.
    ``rhs="continuous"``: the equation's own, ``f/k^2 = sum_j a_j (1 - r_j^2) sin(...)``
    inside and ``g = u`` on the boundary, so ``U_h`` carries the scheme's dispersion
    ("pollution") error, as in FD-MGDL (Zhao, Wang, Wu & Xu 2026). Its solution
    ``sin(k x / sqrt 2) sin(k y / sqrt 2)`` is the two waves r = 1, t = -pi/4 and pi/4,
    amplitudes 1/2, phases pi/2 and -pi/2 (so f = 0).

    ``fit="residual"``: the grades fit the system's residual ``b - A F`` (an ``equation``).
    ``fit="solution"``: FD-MGDL's form, the grades regress onto ``U_h`` at the nodes, i.e.
    they fit the residual through the stencil's inverse, ``A^{-1}(b - A F) = U_h - F``; the
    train error is then against ``U_h``. The settings are this project's, or FD-MGDL's
    where an experiment says so."""
    if not len(relative_frequencies) == len(directions) == len(amplitudes) == len(phases):
        raise ValueError("give one direction, amplitude and phase per relative frequency")
    if not k > 0:
        raise ValueError(f"the wavenumber k must be positive; got {k}")
    if resonant_2d(k):
        raise ValueError(f"k = {k} is a resonance of the Dirichlet problem on the unit square: choose another")
    if rhs not in ("discrete", "continuous"):
        raise ValueError(f"rhs must be discrete or continuous, got {rhs!r}")
    if fit not in ("residual", "solution"):
        raise ValueError(f"fit must be residual or solution, got {fit!r}")
    waves = list(zip(relative_frequencies, directions, amplitudes, phases))

    def u(points: np.ndarray, weight=lambda r: 1.0) -> np.ndarray:
        """``sum_j weight(r_j) a_j sin(r_j k (x cos t_j + y sin t_j) + phi_j)``: (P, 2) -> (P,)."""
        return sum(weight(r) * a * np.sin(r * k * (points[:, 0] * math.cos(t) + points[:, 1] * math.sin(t)) + p)
                   for r, t, a, p in waves)

    n = math.ceil(points_per_k * k)
    axis = np.linspace(0.0, 1.0, n + 1)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    matrix = stencil_matrix_2d(k, n)
    if rhs == "discrete":
        b = matrix @ u(grid)
    else:  # boundary rows w u = w g; interior rows the equation divided by k^2
        b = np.where(boundary_nodes_2d(n), matrix.diagonal() * u(grid), u(grid, lambda r: 1.0 - r * r))
    solved = scipy.sparse.linalg.spsolve(matrix.tocsc(), b)
    x_val = np.random.RandomState(val_seed).uniform(0.0, 1.0, (n_val, 2))
    test_axis = np.linspace(0.0, 1.0, test_side)
    x_test = np.stack(np.meshgrid(test_axis, test_axis, indexing="ij"), axis=-1).reshape(-1, 2)
    splits = {name: (x, u(x)) for name, x in (("train", grid), ("val", x_val), ("test", x_test))}
    direct = scipy.interpolate.RegularGridInterpolator((axis, axis), solved.reshape(n + 1, n + 1))
    baseline = {f"{name}_rel_l2": rel_l2(torch.from_numpy(y[:, None]), torch.from_numpy(direct(x)[:, None]))
                for name, (x, y) in splits.items()}
    equation = None
    if fit == "residual":
        equation = LinearEquation(LinearOperator(matrix), torch.from_numpy(b[:, None].astype(np.float32)))
    else:
        splits["train"] = (grid, solved)
    cycles = [r * k / (2 * math.pi) for r in relative_frequencies]  # per unit length: rings of the radial spectrum
    return RegressionData.from_arrays(
        f"helmholtz2d_k{k:g}",
        splits,
        spectral_grid=RadialGrid(n + 1, n + 1),
        target_frequencies=np.unique(np.round(cycles)),
        metrics=("rel_l2",),
        equation=equation,
        baselines={"direct": baseline},
    )
