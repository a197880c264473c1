"""The oscillatory Fredholm integral equation of the second kind, and its discretisation.

The equation (P3), on s in [-1, 1], with a complex solution y::

    y(s) - lam * (K y)(s) = f(s),      (K y)(s) = int_{-1}^{1} e^{i kappa |s - t|} y(t) dt

Manufactured solutions ``y(t) = sum_j c_j e^{i w_j t}`` (``w_j != +-kappa``) have a closed
form for ``K y`` (``kernel_integral``), hence an exact right-hand side f.

Product integration (``ProductRule``): y is interpolated on ``panels`` equal panels of
[-1, 1], by the polynomial of degree q - 1 through its values at the panel's q
Gauss-Legendre nodes; the kernel times each Lagrange basis polynomial is integrated to
machine precision (a Gauss-Legendre rule of ``fine`` points on each side of s, where the
kernel has its kink). That gives the weights W (M, P) of

    (K y)(s_m) ~= sum_p W[m, p] y(t_p),       P = panels * q nodes t_p,

exact for the kernel's oscillation, with the interpolation of y as the only error. The
node count grows with the wavenumber: ``P = q * ceil(gamma * kappa**beta / q)``.
``nystrom_solve`` is the classical baseline: collocation at the nodes, (I - lam W) y = f.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def kernel_integral(w: float, s: np.ndarray, kappa: float) -> np.ndarray:
    """``int_{-1}^{1} e^{i kappa |s - t|} e^{i w t} dt`` in closed form, for ``w != +-kappa``:
    (M,) -> (M,) complex."""
    if math.isclose(abs(w), kappa):
        raise ValueError(f"the closed form needs w != +-kappa; got w = {w}, kappa = {kappa}")
    s = np.asarray(s, dtype=float)
    minus, plus = w - kappa, w + kappa
    left = np.exp(1j * kappa * s) * (np.exp(1j * minus * s) - np.exp(-1j * minus)) / (1j * minus)
    right = np.exp(-1j * kappa * s) * (np.exp(1j * plus) - np.exp(1j * plus * s)) / (1j * plus)
    return left + right


@dataclass(frozen=True)
class ManufacturedSolution:
    """``y(t) = sum_j c_j e^{i w_j t}`` and the right-hand side that makes it exact."""

    frequencies: tuple[float, ...]
    coefficients: tuple[complex, ...]

    def __post_init__(self) -> None:
        if len(self.frequencies) != len(self.coefficients) or not self.frequencies:
            raise ValueError("give one coefficient per frequency (at least one)")

    def y(self, t: np.ndarray) -> np.ndarray:
        """The solution at ``t``: (N,) -> (N,) complex."""
        t = np.asarray(t, dtype=float)
        return sum(c * np.exp(1j * w * t) for w, c in zip(self.frequencies, self.coefficients))

    def integral(self, s: np.ndarray, kappa: float) -> np.ndarray:
        """``(K y)(s)``, exact: (M,) -> (M,) complex."""
        return sum(c * kernel_integral(w, s, kappa) for w, c in zip(self.frequencies, self.coefficients))

    def f(self, s: np.ndarray, kappa: float, lam: float) -> np.ndarray:
        """``f = y - lam K y`` at ``s``: (M,) -> (M,) complex."""
        return self.y(s) - lam * self.integral(s, kappa)


def lagrange_basis(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Lagrange polynomials of ``nodes`` (q,) at ``x`` (...,): (..., q)."""
    x = np.asarray(x)[..., None]
    basis = np.ones(x.shape[:-1] + (len(nodes),))
    for j, node in enumerate(nodes):
        others = np.delete(nodes, j)
        basis[..., j] = np.prod((x - others) / (node - others), axis=-1)
    return basis


@dataclass(frozen=True)
class ProductRule:
    """Product integration against ``e^{i kappa |s - t|}`` on [-1, 1] (module docstring):
    ``panels`` panels of ``q`` Gauss-Legendre nodes each, ``fine`` points per side of the
    kink for the weights."""

    kappa: float
    panels: int
    q: int = 8
    fine: int = 24

    @classmethod
    def for_wavenumber(cls, kappa: float, gamma: float, beta: float, q: int = 8, fine: int = 24) -> "ProductRule":
        """``p_kappa = ceil(gamma * kappa^beta)`` nodes, rounded up to whole panels of q."""
        if gamma <= 0 or beta <= 0:
            raise ValueError(f"gamma and beta must be positive; got {gamma}, {beta}")
        return cls(kappa, max(1, math.ceil(math.ceil(gamma * kappa ** beta) / q)), q, fine)

    @property
    def edges(self) -> np.ndarray:
        """Panel boundaries: (panels + 1,)."""
        return np.linspace(-1.0, 1.0, self.panels + 1)

    @property
    def reference(self) -> np.ndarray:
        """The q Gauss-Legendre nodes on [-1, 1]."""
        return np.polynomial.legendre.leggauss(self.q)[0]

    @property
    def nodes(self) -> np.ndarray:
        """The interpolation nodes t_p, panel by panel: (P,)."""
        edges = self.edges
        mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
        return (mid[:, None] + half[:, None] * self.reference[None, :]).reshape(-1)

    def weights(self, s: np.ndarray, rows_per_block: int = 64) -> np.ndarray:
        """W (M, P) with ``(K y)(s_m) ~= sum_p W[m, p] y(t_p)`` for ``s`` (M,) in [-1, 1]."""
        s = np.asarray(s, dtype=float)
        edges, reference = self.edges, self.reference
        xi, omega = np.polynomial.legendre.leggauss(self.fine)
        a, b = edges[:-1], edges[1:]
        blocks = []
        for start in range(0, len(s), rows_per_block):
            rows = s[start:start + rows_per_block, None]  # (m, 1)
            cut = np.clip(rows, a, b)  # the kink, clipped into each panel: (m, K)
            block = np.zeros((len(rows), self.panels, self.q), dtype=complex)
            for lo, hi in ((a, cut), (cut, b)):  # each side of the kink (one may be empty)
                mid, half = (lo + hi) / 2, (hi - lo) / 2  # (m, K)
                x = mid[..., None] + half[..., None] * xi  # (m, K, F)
                kernel = np.exp(1j * self.kappa * np.abs(rows[..., None] - x)) * (half[..., None] * omega)
                local = (2 * x - (a + b)[None, :, None]) / (b - a)[None, :, None]  # x on the reference panel
                block += np.einsum("mkf,mkfq->mkq", kernel, lagrange_basis(reference, local))
            blocks.append(block.reshape(len(rows), -1))
        return np.concatenate(blocks)

    def interpolate(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The piecewise interpolant of ``values`` (P,) at the nodes, at ``x`` (N,): (N,)."""
        x = np.asarray(x, dtype=float)
        edges = self.edges
        panel = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, self.panels - 1)
        local = (2 * x - edges[panel] - edges[panel + 1]) / (edges[panel + 1] - edges[panel])
        basis = lagrange_basis(self.reference, local)  # (N, q)
        return np.einsum("nq,nq->n", basis, np.asarray(values).reshape(self.panels, self.q)[panel])


def nystrom_solve(weights: np.ndarray, f_nodes: np.ndarray, lam: float) -> np.ndarray:
    """The classical solve: collocation at the nodes, ``(I - lam W) y = f`` with the
    weights W (P, P) of a rule at its own nodes; returns y at the nodes (P,) complex."""
    return np.linalg.solve(np.eye(len(f_nodes)) - lam * weights, f_nodes)
