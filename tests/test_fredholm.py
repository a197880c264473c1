"""The Fredholm equation's closed form, its product-integration rule, the Nyström solve,
and grades that learn the equation from its residual."""

import numpy as np
import pytest

from conftest import cpu_trainers, fit_model
from multigrade.data.fredholm import p3_fredholm
from multigrade.equations.fredholm import ManufacturedSolution, ProductRule, kernel_integral, nystrom_solve
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule

# a low and a high frequency, below and near kappa = 50
SOLUTION = ManufacturedSolution((3.0, 47.0), (1.0, 0.3j))


def split_gauss(s, kappa, w, points=200):
    """The integral by Gauss-Legendre on each side of the kink at t = s."""
    x, weights = np.polynomial.legendre.leggauss(points)
    total = 0j
    for lo, hi in ((-1.0, s), (s, 1.0)):
        t = (lo + hi) / 2 + (hi - lo) / 2 * x
        total += (hi - lo) / 2 * np.sum(weights * np.exp(1j * kappa * np.abs(s - t)) * np.exp(1j * w * t))
    return total


@pytest.mark.parametrize("kappa, w", [(10.0, 3.0), (50.0, 47.0), (50.0, -120.0), (200.0, 5.0)])
def test_the_closed_form_is_the_integral(kappa, w):
    s = np.array([-1.0, -0.37, 0.0, 0.81, 1.0])
    exact = np.array([split_gauss(si, kappa, w) for si in s])
    np.testing.assert_allclose(kernel_integral(w, s, kappa), exact, rtol=1e-11, atol=1e-13)


def test_the_closed_form_refuses_the_resonant_frequency():
    with pytest.raises(ValueError, match="w != \\+-kappa"):
        kernel_integral(-50.0, np.zeros(1), 50.0)


@pytest.mark.parametrize("kappa", [10.0, 50.0])
def test_the_product_rule_converges_to_the_closed_form_as_nodes_grow(kappa):
    """A solution with a low frequency and one of 0.94 kappa (the nodes grow with kappa)."""
    solution = ManufacturedSolution((3.0, 0.94 * kappa), (1.0, 0.3j))
    errors = []
    for gamma in (2.0, 4.0, 6.0):
        rule = ProductRule.for_wavenumber(kappa, gamma, beta=1.0)
        s = np.linspace(-1, 1, 41)
        exact = solution.integral(s, kappa)
        errors.append(np.linalg.norm(rule.weights(s) @ solution.y(rule.nodes) - exact) / np.linalg.norm(exact))
    assert errors[0] > errors[1] > errors[2]
    assert errors[1] < 1e-6  # far below a trained network's loss


def test_the_node_count_grows_with_the_wavenumber():
    assert len(ProductRule.for_wavenumber(100.0, 4.0, 1.0).nodes) == 400
    assert len(ProductRule.for_wavenumber(100.0, 4.0, 1.0, q=6).nodes) == 402  # whole panels of 6
    assert len(ProductRule.for_wavenumber(500.0, 2.0, 1.2).nodes) == 8 * int(np.ceil(np.ceil(2 * 500 ** 1.2) / 8))
    with pytest.raises(ValueError, match="gamma and beta must be positive"):
        ProductRule.for_wavenumber(100.0, 0.0, 1.0)


def test_nystrom_recovers_the_manufactured_solution():
    kappa, lam = 50.0, 0.5
    rule = ProductRule.for_wavenumber(kappa, 4.0, 1.0)
    y = nystrom_solve(rule.weights(rule.nodes), SOLUTION.f(rule.nodes, kappa, lam), lam)
    assert np.linalg.norm(y - SOLUTION.y(rule.nodes)) / np.linalg.norm(SOLUTION.y(rule.nodes)) < 1e-8
    x = np.linspace(-1, 1, 1001)
    off_grid = rule.interpolate(y, x)
    assert np.linalg.norm(off_grid - SOLUTION.y(x)) / np.linalg.norm(SOLUTION.y(x)) < 1e-4


def test_the_discretised_equation_holds_for_the_exact_solution_far_below_a_trained_loss():
    data = p3_fredholm(kappa=10.0)
    operator, rhs = data.equation.operator, data.equation.rhs
    assert operator.shape == (len(data.x_train), len(data.x_train)) == (80, 80)  # 8 kappa nodes
    quadrature_loss = 0.5 * (operator(data.y_train) - rhs).square().sum(dim=1).mean()
    assert quadrature_loss < 1e-12  # against trained losses of 1e-7 and more (below)
    # the direct solve's own error, in float64: float32 would round the nodes' to 0 and the test's to 2.5e-8
    nystrom = data.baselines["nystrom"]
    assert 0 < nystrom["train_rel_l2"] < 1e-10 and 1e-9 < nystrom["test_rel_l2"] < 2e-8
    assert data.name == "p3_fredholm_k10" and data.metrics == ("rel_l2",)


def test_grades_learn_the_equation_from_its_residual():
    data = p3_fredholm(kappa=10.0)
    _, records = fit_model(data, [GradeSpec([32, 32], "sin"), GradeSpec([32, 32], "relu")],
                           [GradeSchedule(400, None, 1e-2, 1e-4), GradeSchedule(400, None, 1e-3, 1e-5)],
                           cpu_trainers(), seed=0)
    first, second = records
    assert first.loss_history[-1] < 1e-2 * first.loss_history[0]  # the equation's residual falls
    assert second.final_loss < first.final_loss  # grade 2 fits what grade 1 left
    assert second.metrics["test_rel_l2"] < first.metrics["test_rel_l2"] < 0.5
    assert 1e-12 < second.final_loss  # the training loss stays far above the quadrature's error


def test_an_equation_refuses_minibatches():
    data = p3_fredholm(kappa=10.0)
    with pytest.raises(ValueError, match=r"batch_size must be full for p3_fredholm_k10, an equation coupling all"
                                         r" its 80 nodes; got \[16\]"):
        fit_model(data, [GradeSpec([8], "sin")], [GradeSchedule(1, 16, 1e-3, 1e-3)], cpu_trainers(), seed=0)
