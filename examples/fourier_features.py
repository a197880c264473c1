"""A grade of one's own for ``multigrade.run``: random Fourier features before the layers.

Tancik et al. (2020) lift a network's spectral bias by mapping its input through
``gamma(x) = [cos(2 pi x B), sin(2 pi x B)]``, ``B`` (d, m) drawn once from N(0, s^2): the
layers after it see oscillations of frequency up to about 3s from the start. Here that is
a grade's hidden stack (``model.stack``): the first width is the 2m features, the other
widths are affine layers with their activations. Used by ``conf/experiment/chirp_fourier.yaml``::

    PYTHONPATH=examples python -m multigrade.run --config-dir examples/conf experiment=chirp_fourier
"""

from __future__ import annotations

import math

import torch
from torch import nn

from multigrade.grades.stair import hidden_stack

SCALE = 10.0  # s, the standard deviation of the frequencies (cycles per unit of input)


class FourierFeatures(nn.Module):
    """``gamma(x) = [cos(2 pi x B), sin(2 pi x B)]``: (N, d) -> (N, 2m). ``B`` (d, m) is drawn
    from torch's generator when built (a grade is built from its (seed, grade) stream) and
    kept as a buffer, so checkpoints hold it and it is never trained."""

    def __init__(self, in_features: int, features: int, scale: float = SCALE):
        super().__init__()
        if features % 2:
            raise ValueError(f"Fourier features come in cos/sin pairs: the first width must be even; got {features}")
        self.register_buffer("frequencies", scale * torch.randn(in_features, features // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = 2.0 * math.pi * x @ self.frequencies
        return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


def fourier_stack(in_features: int, widths: list[int], activations: str | list[str]) -> nn.Module:
    """``gamma`` with ``widths[0]`` features, then affine layers of ``widths[1:]``, each with its
    activation (one name, or one per width: the first, at the features, is not used).
    Shapes: (N, in_features) -> (N, widths[-1])."""
    if len(widths) < 2:
        raise ValueError(f"a Fourier stack needs the features' width and at least one layer; got {widths}")
    rest = activations if isinstance(activations, str) else list(activations)[1:]
    return nn.Sequential(FourierFeatures(in_features, widths[0]), hidden_stack(widths[0], widths[1:], rest))
