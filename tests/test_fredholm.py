"""The Fredholm equation's closed form, its product-integration rule and the Nyström solve."""

import numpy as np
import pytest

from multigrade.equations.fredholm import ManufacturedSolution, ProductRule, kernel_integral, nystrom_solve

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
    y = nystrom_solve(rule, SOLUTION.f(rule.nodes, kappa, lam), lam)
    assert np.linalg.norm(y - SOLUTION.y(rule.nodes)) / np.linalg.norm(SOLUTION.y(rule.nodes)) < 1e-8
    x = np.linspace(-1, 1, 1001)
    off_grid = rule.interpolate(y, x)
    assert np.linalg.norm(off_grid - SOLUTION.y(x)) / np.linalg.norm(SOLUTION.y(x)) < 1e-4
