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
import torch
from torch import nn


class LinearOperator(nn.Module):
    """A matrix (M, P), real or complex, applied to values at P nodes: (P, m) -> (M, m);
    complex values are (real, imaginary) columns, m = 2."""

    def __init__(self, matrix: np.ndarray):
        super().__init__()
        matrix = np.asarray(matrix)
        if matrix.ndim != 2:
            raise ValueError(f"the operator is a matrix (M, P); got shape {matrix.shape}")
        self.complex = bool(np.iscomplexobj(matrix))
        self.register_buffer("real", torch.from_numpy(np.ascontiguousarray(matrix.real, dtype=np.float32)))
        self.register_buffer("imag", torch.from_numpy(np.ascontiguousarray(matrix.imag, dtype=np.float32)))

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.real.shape)

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        if not self.complex:
            return self.real @ values
        re, im = values[:, :1], values[:, 1:]
        return torch.cat([self.real @ re - self.imag @ im, self.imag @ re + self.real @ im], dim=1)


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


def complex_columns(values: np.ndarray) -> np.ndarray:
    """Complex (N,) as float32 (N, 2) columns (real, imaginary)."""
    values = np.asarray(values)
    return np.stack([values.real, values.imag], axis=1).astype(np.float32)
