"""P3's oscillatory Fredholm equation as data for the grades.

    y(s) - lam * int_{-1}^{1} e^{i kappa |s - t|} y(t) dt = f(s),    s in [-1, 1]

with the manufactured solution ``y(t) = sum_j a_j e^{i phi_j} e^{i r_j kappa t}`` (its
frequencies set relative to kappa, low and high) and its exact f (``equations.fredholm``). The
grades learn the equation discretised by the product-integration rule of
``p_kappa = ceil(gamma kappa^beta)`` nodes: ``(I - lam W) y(nodes) = f(nodes)``; the
training split is the nodes, with y there as targets for the metrics and spectra,
validation is ``n_val`` uniform random points and test ``n_test`` equispaced ones, all
compared with the exact y (``rel_l2``, the complex relative L2 error). The Nyström
solution of the same discretisation, interpolated, is the classical baseline.
P3 does not publish lam, its solutions or gamma and beta: these are this project's.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from multigrade.data.regression import RegressionData
from multigrade.equations.fredholm import ManufacturedSolution, ProductRule, nystrom_solve
from multigrade.equations.linear import LinearEquation, LinearOperator, complex_columns
from multigrade.metrics import rel_l2
from multigrade.spectra.fourier import SpectralGrid


def p3_fredholm(kappa: float = 50.0, lam: float = 0.5, relative_frequencies: tuple[float, ...] = (0.05, 0.5, 0.9),
                amplitudes: tuple[float, ...] = (1.0, 0.5, 0.25), phases: tuple[float, ...] = (0.0, 1.0, 2.0),
                gamma: float = 8.0, beta: float = 1.0, q: int = 8, n_val: int = 500, n_test: int = 2001,
                val_seed: int = 0) -> RegressionData:
    """The discretised equation and the exact solution on every split (module docstring)."""
    if not len(relative_frequencies) == len(amplitudes) == len(phases):
        raise ValueError("give one amplitude and one phase per relative frequency")
    solution = ManufacturedSolution(
        tuple(r * kappa for r in relative_frequencies),
        tuple(a * complex(math.cos(p), math.sin(p)) for a, p in zip(amplitudes, phases)),
    )
    rule = ProductRule.for_wavenumber(kappa, gamma, beta, q)
    nodes = rule.nodes
    weights = rule.weights(nodes)
    f = solution.f(nodes, kappa, lam)
    x_val = np.sort(np.random.RandomState(val_seed).uniform(-1.0, 1.0, n_val))
    x_test = np.linspace(-1.0, 1.0, n_test)
    exact = {name: (x, solution.y(x)) for name, x in (("train", nodes), ("val", x_val), ("test", x_test))}
    splits = {name: (x, complex_columns(y)) for name, (x, y) in exact.items()}
    nystrom = nystrom_solve(weights, f, lam)
    # in float64: the solve's error is below float32's rounding of the solution (2e-12 on the nodes at kappa 10)
    baseline = {f"{name}_rel_l2": rel_l2(*(torch.from_numpy(complex_columns(values, np.float64)) for values in (
        y, nystrom if name == "train" else rule.interpolate(nystrom, x)))) for name, (x, y) in exact.items()}
    highest = max(abs(r) for r in relative_frequencies) * kappa / (2 * math.pi)  # cycles per unit
    return RegressionData.from_arrays(
        f"p3_fredholm_k{kappa:g}",
        splits,
        spectral_grid=SpectralGrid(n=len(nodes), length=2.0, positions=nodes, max_frequency=1.5 * highest),
        target_frequencies=np.array([abs(w) / (2 * math.pi) for w in solution.frequencies]),
        metrics=("rel_l2",),
        equation=LinearEquation(LinearOperator(np.eye(len(nodes)) - lam * weights),
                                torch.from_numpy(complex_columns(f))),
        baselines={"nystrom": baseline},
    )
