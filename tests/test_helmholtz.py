"""The 1D Helmholtz equation by finite differences: the discrete solution is the exact one
on the grid, and grades learn it from the equation's residual."""

import numpy as np
import pytest

from conftest import cpu_trainers
from multigrade.data.helmholtz import helmholtz_1d, stencil_matrix
from multigrade.grades.loop import fit_grades
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


def test_grades_learn_the_helmholtz_equation_from_its_residual():
    data = helmholtz_1d(k=10.0)
    _, records = fit_grades(data, [GradeSpec([64, 64], "sin"), GradeSpec([64, 64], "relu")],
                            [GradeSchedule(600, None, 1e-3, 1e-5)] * 2, cpu_trainers(), seed=0)
    first, second = records
    assert first.loss_history[-1] < 0.1 * first.loss_history[0]
    assert second.final_loss < first.final_loss
    assert second.metrics["test_rel_l2"] < first.metrics["test_rel_l2"] < 1.0
