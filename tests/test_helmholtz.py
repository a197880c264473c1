"""The Helmholtz equation by finite differences in 1D and on the unit square: the discrete
solution is the exact one on the grid, and grades learn it from the equation's residual."""

import math

import numpy as np
import pytest
import torch

from conftest import cpu_trainers, fit_model
from multigrade.data.helmholtz import helmholtz_1d, helmholtz_2d, resonant_2d, stencil_matrix, stencil_matrix_2d
from multigrade.equations.linear import LinearOperator
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule


def test_the_stencil_is_the_second_derivative_over_k_squared_plus_identity():
    k, n = 7.0, 400
    x = np.linspace(0, 1, n + 1)
    u = np.sin(3.0 * x) + 0.2 * np.cos(5.0 * x)
    exact = (-9.0 * np.sin(3.0 * x) - 5.0 * np.cos(5.0 * x)) / k**2 + u  # u''/k^2 + u
    applied = stencil_matrix(k, n) @ u
    np.testing.assert_allclose(applied[1:-1], exact[1:-1], atol=1e-4)  # O(h^2) / k^2
    assert applied[0] == pytest.approx(np.sqrt(n) * u[0]) and applied[-1] == pytest.approx(np.sqrt(n) * u[-1])


def test_the_discrete_solution_is_the_exact_one_on_the_grid():
    data = helmholtz_1d(k=10.0)
    assert data.x_train.shape == (101, 1) and data.name == "helmholtz1d_k10"
    assert data.baselines["direct"]["train_rel_l2"] < 1e-6
    residual = data.equation.operator(data.y_train) - data.equation.rhs
    assert float(residual.square().mean()) < 1e-10
    with pytest.raises(ValueError, match="resonance"):
        helmholtz_1d(k=float(np.pi * 4))


def test_the_2d_stencil_is_the_laplacian_over_k_squared_plus_identity():
    k, n = 6.0, 200
    axis = np.linspace(0, 1, n + 1)
    x, y = (values.reshape(-1) for values in np.meshgrid(axis, axis, indexing="ij"))
    u = np.sin(2.0 * x) * np.cos(3.0 * y)
    exact = -13.0 * u / k**2 + u  # (u_xx + u_yy)/k^2 + u
    matrix = stencil_matrix_2d(k, n)
    applied = matrix @ u
    interior = ((x > 0) & (x < 1) & (y > 0) & (y < 1))
    np.testing.assert_allclose(applied[interior], exact[interior], atol=1e-5)  # O(h^2) / k^2
    weight = (n - 1) / (2 * math.sqrt(n))
    np.testing.assert_allclose(applied[~interior], weight * u[~interior])
    assert (~interior).sum() == 4 * n and matrix.nnz == 5 * (n - 1) ** 2 + 4 * n
    # the sparse operator computes what the dense matrix does
    small = stencil_matrix_2d(3.0, 8)
    values = torch.rand(81, 1)
    torch.testing.assert_close(LinearOperator(small)(values), LinearOperator(small.toarray())(values))


def test_the_2d_discrete_solution_is_the_exact_one_on_the_grid():
    data = helmholtz_2d(k=10.0)
    assert data.x_train.shape == (101 * 101, 2) and data.name == "helmholtz2d_k10"
    assert data.equation.operator.sparse and data.baselines["direct"]["train_rel_l2"] < 1e-10
    assert data.baselines["direct"]["test_rel_l2"] < 1e-3  # bilinear interpolation between the nodes
    residual = data.equation.operator(data.y_train) - data.equation.rhs
    assert float(residual.square().mean()) < 1e-9
    assert resonant_2d(math.pi * math.sqrt(5)) and not resonant_2d(10.0)
    with pytest.raises(ValueError, match="resonance"):
        helmholtz_2d(k=math.pi * math.sqrt(8))


@pytest.mark.parametrize("make", [lambda: helmholtz_1d(k=10.0), lambda: helmholtz_2d(k=4.0, n_val=200, test_side=41)],
                         ids=["1d", "2d"])
def test_grades_learn_the_helmholtz_equation_from_its_residual(make):
    _, records = fit_model(make(), [GradeSpec([64, 64], "sin"), GradeSpec([64, 64], "relu")],
                           [GradeSchedule(300, None, 1e-3, 1e-5)] * 2, cpu_trainers(), seed=0)
    first, second = records
    assert first.loss_history[-1] < 0.1 * first.loss_history[0]
    assert second.final_loss < first.final_loss
    assert second.metrics["test_rel_l2"] < first.metrics["test_rel_l2"] < 1.0


FD_MGDL = dict(relative_frequencies=(1.0, 1.0), directions=(-math.pi / 4, math.pi / 4), amplitudes=(0.5, 0.5),
               phases=(math.pi / 2, -math.pi / 2), rhs="continuous", n_val=100, test_side=41)


def test_fd_mgdl_problem_pollution_falls_as_h_squared_and_its_grades_regress_on_the_fd_solution():
    coarse, fine = (helmholtz_2d(k=10.0, points_per_k=p, fit="solution", **FD_MGDL) for p in (6.0, 12.0))
    # the two waves are FD-MGDL's sin(k x / sqrt 2) sin(k y / sqrt 2), a solution of Δu + k^2 u = 0
    x_test, y_test = coarse.split("test")
    a = 10.0 / math.sqrt(2)
    torch.testing.assert_close(y_test[:, 0], torch.sin(a * x_test[:, 0]) * torch.sin(a * x_test[:, 1]),
                               atol=1e-6, rtol=0)
    # the equation's own right-hand side: the discrete solution carries the scheme's O((k h)^2) error
    errors = [data.baselines["direct"]["train_rel_l2"] for data in (coarse, fine)]
    assert 1e-3 < errors[0] < 0.05 and errors[0] / errors[1] == pytest.approx(4.0, rel=0.1)
    # fit=solution: no equation; the training targets are U_h, not the exact u
    assert coarse.equation is None
    exact = torch.sin(a * coarse.x_train[:, 0]) * torch.sin(a * coarse.x_train[:, 1])
    train_error = float((coarse.y_train[:, 0] - exact).norm() / exact.norm())
    assert train_error == pytest.approx(errors[0], rel=1e-3)
    # fit=residual keeps the system, whose residual the exact solution leaves at the O((k h)^2) level
    system = helmholtz_2d(k=10.0, points_per_k=6.0, **FD_MGDL)
    assert float((system.equation.operator(system.y_train) - system.equation.rhs).abs().max()) > 1e-3


@pytest.mark.parametrize("bad, message", [({"rhs": "exact"}, "rhs must be discrete or continuous, got 'exact'"),
                                          ({"fit": "values"}, "fit must be residual or solution, got 'values'")])
def test_unknown_helmholtz_2d_forms_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        helmholtz_2d(k=4.0, **bad)


@pytest.mark.parametrize("make", [helmholtz_1d, helmholtz_2d])
@pytest.mark.parametrize("k", [0.0, -5.0])
def test_a_wavenumber_that_is_not_positive_is_named(make, k):
    with pytest.raises(ValueError, match=f"the wavenumber k must be positive; got {k}"):
        make(k=k)
