"""The binary-activation neuron of Yin et al. (BioCAS 2017) and its box straight-through
estimator, in discontinuous and continuous integration.

Training fires ``s = 1[v > theta]`` (``box_spike``) with the straight-through gradient of
a box around the threshold::

    dS/dV = height   for |v - theta| < width       (0.5 on 0 < v < 2 for theta = 1)
          = 0        otherwise

Inference fires ``s = 1[v >= theta]`` (``inference_spike``, no gradient), as the paper's
inference rule ``s = 1[V >= 1]`` reads.

Integration of input currents ``I_1 .. I_T`` (T, B, N):

* **discontinuous**: no membrane is carried, ``s_t = fire(I_t)``; with a fresh Bernoulli
  input each step this is T independent binary networks (the training mode of the paper);
* **continuous**: the membrane is carried and reset by subtracting the threshold,
  ``v_t = v_{t-1} + I_t``, ``s_t = fire(v_t)``, ``v_t <- v_t - theta s_t`` with
  ``v_0`` given; for ``v_0 = 0`` this is ``u_t = I_t + sum_{j<t} (I_j - theta s_j)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

MODES = ("discontinuous", "continuous")
Fire = Callable[[torch.Tensor, float], torch.Tensor]  # (v, threshold) -> spikes of v's shape


class Spike(torch.autograd.Function):
    """``1[v > threshold]`` forward (v's shape); backward, the gradient with respect to v
    that ``surrogate(grad, v)`` makes of the spikes' gradient ``grad``."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, threshold: float, surrogate: Callable) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.surrogate = surrogate
        return (v > threshold).to(v.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (v,) = ctx.saved_tensors
        return ctx.surrogate(grad, v), None, None


def box_spike(v: torch.Tensor, threshold: float = 1.0, width: float = 1.0, height: float = 0.5) -> torch.Tensor:
    """Spikes ``1[v > threshold]`` with the box straight-through gradient
    ``height * 1[|v - threshold| < width]``."""
    return Spike.apply(v, threshold, lambda grad, v: grad * (((v - threshold).abs() < width).to(grad.dtype) * height))


def inference_spike(v: torch.Tensor, threshold: float = 1.0) -> torch.Tensor:
    """Spikes ``1[v >= threshold]`` (same shape as v) of inference; no gradient."""
    return (v >= threshold).to(v.dtype)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown integration mode {mode!r}: choose one of {MODES}")
    return mode


def integrate(currents: torch.Tensor, mode: str, threshold: float = 1.0, v0: float = 0.0,
              fire: Fire = box_spike) -> torch.Tensor:
    """Spikes (T, B, N) of one layer of binary neurons driven by ``currents`` (T, B, N);
    ``fire(v, threshold)`` is training's ``box_spike`` or inference's ``inference_spike``."""
    if check_mode(mode) == "discontinuous":
        return fire(currents, threshold)
    v = torch.full_like(currents[0], v0)
    spikes = []
    for current in currents:
        v = v + current
        spike = fire(v, threshold)
        v = v - threshold * spike
        spikes.append(spike)
    return torch.stack(spikes)
