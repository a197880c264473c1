"""A linear equation ``A y = b`` on sampled values, as the grades of an equation learn it.

``A`` (M, P) maps a function's values at P nodes to M equations (an integral operator by
a quadrature, a finite-difference stencil); ``b`` (M, m) is the right-hand side. A grade
fits the residual of the equation left by the grades before it::

    r_k = b - A f_{k-1}(nodes)        loss = 1/(2M) sum_i || (A g_k(nodes))_i - r_{k,i} ||^2

A complex equation acts on (real, imaginary) column pairs (m = 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import torch
from torch import nn


def _tensor(matrix: np.ndarray | scipy.sparse.spmatrix) -> torch.Tensor:
    """float32 dense, or sparse COO for a scipy sparse matrix."""
    if scipy.sparse.issparse(matrix):
        coo = scipy.sparse.coo_matrix(matrix)
        indices = torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64))
        values = torch.from_numpy(coo.data.astype(np.float32))
        return torch.sparse_coo_tensor(indices, values, coo.shape, check_invariants=True).coalesce()
    return torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))


class LinearOperator(nn.Module):
    """A matrix (M, P), real or complex, dense or sparse (a scipy sparse matrix, e.g. a
    stencil on a 2D grid), applied to values at P nodes: (P, m) -> (M, m); complex values
    are (real, imaginary) columns, m = 2."""

    def __init__(self, matrix: np.ndarray | scipy.sparse.spmatrix):
        super().__init__()
        self.sparse = bool(scipy.sparse.issparse(matrix))
        if not self.sparse:
            matrix = np.asarray(matrix)
        self.complex = bool(np.iscomplexobj(matrix))
        self.register_buffer("real", _tensor(matrix.real))
        self.register_buffer("imag", _tensor(matrix.imag))

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.real.shape)

    def contents(self) -> list[torch.Tensor]:
        """Dense tensors that determine the operator (for a fingerprint)."""
        if not self.sparse:
            return [self.real, self.imag]
        return [part for matrix in (self.real, self.imag) for part in (matrix.indices(), matrix.values())]

    def _times(self, matrix: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return torch.sparse.mm(matrix, values) if self.sparse else matrix @ values

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        """``A y``: (P, m) -> (M, m); for complex ``A = A_r + i A_i`` and ``y = y_r + i y_i``,
        the (M, 2) columns ``[A_r y_r - A_i y_i, A_i y_r + A_r y_i]`` of ``y``'s (P, 2)
        (``LinearEquation`` holds a complex equation's right-hand side to two columns)."""
        if not self.complex:
            return self._times(self.real, values)
        re, im = values[:, 0:1], values[:, 1:2]
        return torch.cat([self._times(self.real, re) - self._times(self.imag, im),
                          self._times(self.imag, re) + self._times(self.real, im)], dim=1)


@dataclass
class LinearEquation:
    """``A y = b``: the operator and the right-hand side (M, m)."""

    operator: LinearOperator
    rhs: torch.Tensor

    def __post_init__(self) -> None:
        if self.rhs.ndim != 2 or self.rhs.shape[0] != self.operator.shape[0]:
            raise ValueError(f"the right-hand side {tuple(self.rhs.shape)} needs one row per equation"
                             f" ({self.operator.shape[0]})")
        if self.operator.complex and self.rhs.shape[1] != 2:
            raise ValueError("a complex equation's right-hand side has (real, imaginary) columns")

    def to(self, device: torch.device | str) -> "LinearEquation":
        """The equation on ``device`` (the operator moved in place, as a module is)."""
        return LinearEquation(self.operator.to(device), self.rhs.to(device))

    def residual(self, values: torch.Tensor) -> torch.Tensor:
        """``b - A y`` for the values ``y`` (P, m) at the nodes: (M, m)."""
        return self.rhs - self.operator(values)


def complex_columns(values: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """Complex (N,) as (N, 2) columns (real, imaginary), float32 unless ``dtype`` says."""
    values = np.asarray(values)
    return np.stack([values.real, values.imag], axis=1).astype(dtype)
