"""Loihi 2's fixed-point current-based (CUBA) neuron, as lava's bit-accurate LIF model runs it.

States are integers in lava's units (the synaptic input ``a`` enters the current shifted
left by 6; decays in 1/4096; threshold mantissa ``θ_m`` shifted left by 6). Per step::

    u <- trunc(u (4096 - δ_u) / 4096) + 64 a          then one 24-bit wrap into (-2^23, 2^23]
    v <- clip(trunc(v (4096 - δ_v) / 4096) + u, ±(2^23 - 1))
    s  = 1[v > 64 θ_m],   v <- 0 where s = 1          (u is not reset; no refractory period)

``trunc`` rounds toward zero (lava's ``sign(x) (|x| >> 12)``). The tensors are float64 holding
integers (exact: |u (4096 - δ)| < 2^36), so the same code trains (rounding and the wrap pass
gradients straight through, the spike has a fast-sigmoid surrogate) and emulates the chip.
"""

from __future__ import annotations

import torch

from multigrade.spiking.neurons import Spike

DECAY_UNITY = 4096
ACTIVATION_SHIFT = 6  # a enters u as a << 6; the threshold is θ_m << 6
STATE_LIMIT = 2**23


def straight_through(x: torch.Tensor, exact: torch.Tensor) -> torch.Tensor:
    """``exact`` in the forward pass, the gradient of ``x`` in the backward pass."""
    return x + (exact - x).detach()


def decay(state: torch.Tensor, amount: int) -> torch.Tensor:
    """``trunc(state (4096 - amount) / 4096)``, rounded toward zero as lava rounds."""
    scaled = state * (DECAY_UNITY - amount) / DECAY_UNITY
    return straight_through(scaled, torch.trunc(scaled))


def wrap_current(u: torch.Tensor) -> torch.Tensor:
    """Lava's single 24-bit wrap of the current into (-2^23, 2^23]."""
    offset = torch.where(u > STATE_LIMIT, -2.0 * STATE_LIMIT, torch.where(u <= -STATE_LIMIT, 2.0 * STATE_LIMIT, 0.0))
    return u + offset


def cuba_step(u: torch.Tensor, v: torch.Tensor, a: torch.Tensor, current_decay: int, voltage_decay: int,
              threshold_mantissa: int, slope: float = 25.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of a layer: ``(u, v, s)`` after input ``a`` (integer synaptic sums), all (B, N)."""
    u = wrap_current(decay(u, current_decay) + a * 2.0**ACTIVATION_SHIFT)
    v = torch.clamp(decay(v, voltage_decay) + u, -(STATE_LIMIT - 1), STATE_LIMIT - 1)
    threshold = float(threshold_mantissa * 2**ACTIVATION_SHIFT)
    # spikes 1[v > threshold], with the surrogate gradient 1 / (threshold (1 + slope |v / threshold - 1|)^2)
    s = Spike.apply(v, threshold, lambda grad, v: grad / (threshold * (1.0 + slope * (v / threshold - 1.0).abs()) ** 2))
    return u, v * (1.0 - s.detach()), s
