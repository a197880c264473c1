"""A part of one's own (a grade stack, a spiking student) tried once on a small input
before anything trains, so that a part that cannot run is named before any time is spent."""

from __future__ import annotations

import copy
from typing import Callable, TypeVar

import torch
from torch import nn

Result = TypeVar("Result")

PROBE_ERRORS = (RuntimeError, ValueError, TypeError, IndexError, AttributeError)


def probe(module: nn.Module, call: Callable[[nn.Module], Result], what: str, shape: tuple[int, ...]) -> Result:
    """``call`` on a copy of ``module`` in eval mode, without gradients and with torch's
    random state set aside, so that it changes neither the module nor any seeded draw; an
    error it raises becomes a ``ValueError`` naming ``what`` and the probe's ``shape``."""
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        try:
            return call(copy.deepcopy(module).eval())
        except PROBE_ERRORS as error:
            raise ValueError(f"{what} fails on a probe of shape {shape}: {type(error).__name__}: {error}") from error
