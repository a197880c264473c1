"""Stacks of fully connected layers given by their widths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

from torch import nn


def fully_connected(sizes: Sequence[int], layer: Callable[[int, int], nn.Module] = nn.Linear) -> list[nn.Module]:
    """``layer(sizes[l], sizes[l + 1])`` for ``l = 0 .. len(sizes) - 2``: layer l maps
    (B, sizes[l]) to (B, sizes[l + 1]). ``sizes`` lists the input width, the hidden widths
    and the output width, so it needs two entries at least."""
    if len(sizes) < 2:
        raise ValueError(f"sizes needs an input and an output width, e.g. (784, 256, 10); got {tuple(sizes)}")
    return [layer(a, b) for a, b in pairwise(sizes)]
