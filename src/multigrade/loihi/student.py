"""A spiking student that runs on Loihi 2 as it trains: fixed-point CUBA neurons (``cuba``)
behind fully connected layers of 8-bit weights with a shared power-of-two step per layer.

Layer l keeps float weights ``w_l`` (out, in) for training and uses their integer form
``W_l = round(w_l / Δ_l)`` with ``Δ_l = 2^e_l``, the least power of two with
``max |w_l| / Δ_l ≤ 254`` (lava's lossless weight range for mixed-sign 8-bit weights), and
the threshold mantissa ``θ_m,l = round(θ / Δ_l)``, so ``θ`` is the threshold in the units of
``w``. As on the chip, every layer's synapses add one step of delay: layer l at step t
integrates ``W_l s_{l-1}[t-1]``. The input's ``steps`` spike frames are followed by one
empty frame per layer, so every input spike reaches the output; logits are the output
spike counts.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from multigrade.loihi.cuba import DECAY_UNITY, cuba_step, straight_through
from multigrade.spiking.encoding import encode
from multigrade.spiking.layers import fully_connected
from multigrade.spiking.networks import SpikingStudent

WEIGHT_LIMIT = 254
MAX_THRESHOLD_MANTISSA = 2**17 - 1
SMALLEST_STEP_EXPONENT = -16  # Δ ≥ 2^-16 keeps θ_m = round(θ / Δ) within 17 bits for θ ≤ 1


class QuantizedLinear(nn.Linear):
    """A linear layer (no bias) whose forward uses the integer weights ``round(w / Δ)``
    (rounding passes gradients straight through): spikes (..., in) -> integer synaptic
    sums (..., out)."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features, bias=False)

    def step_exponent(self) -> int:
        """``e`` of the layer's weight step ``Δ = 2^e``."""
        largest = float(self.weight.detach().abs().max())
        if largest == 0.0:
            return SMALLEST_STEP_EXPONENT
        return max(SMALLEST_STEP_EXPONENT, math.ceil(math.log2(largest / WEIGHT_LIMIT)))

    def integer_weight(self) -> torch.Tensor:
        """``W = round(w / Δ)`` (out, in), its gradient that of ``w / Δ``."""
        scaled = self.weight / 2.0**self.step_exponent()
        return straight_through(scaled, torch.round(scaled))

    def forward(self, spikes: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        """``W spikes``; ``weight`` is ``integer_weight()`` when a caller computed it once
        for many steps (finding ``Δ`` reads the weights back from the device)."""
        return F.linear(spikes, self.integer_weight() if weight is None else weight)


class LoihiStudent(SpikingStudent):
    """Fully connected ``sizes`` (784, ..., classes) of Loihi CUBA neurons.

    ``current_decay`` and ``voltage_decay`` are fractions lost per step (rounded to
    1/4096), ``threshold`` is in the units of the float weights, ``slope`` is the surrogate
    gradient's."""

    def __init__(self, sizes: tuple[int, ...] = (784, 128, 10), steps: int = 16, current_decay: float = 1.0,
                 voltage_decay: float = 0.1, threshold: float = 1.0, slope: float = 25.0, encoding: str = "rate",
                 readout: str = "count"):
        if readout != "count":
            raise ValueError(f"a Loihi student reads its output spikes (readout=count); got readout={readout!r}")
        if encoding != "rate":
            raise ValueError(f"a Loihi student takes input spikes (encoding=rate); got encoding={encoding!r}")
        for name, value in (("current_decay", current_decay), ("voltage_decay", voltage_decay)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]; got {value}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1] (weights are scaled to it); got {threshold}")
        super().__init__(fully_connected(sizes, QuantizedLinear), steps, encoding, readout)
        self.sizes = tuple(sizes)
        self.current_decay = round(DECAY_UNITY * current_decay)
        self.voltage_decay = round(DECAY_UNITY * voltage_decay)
        self.threshold, self.slope = float(threshold), float(slope)

    def threshold_mantissas(self) -> list[int]:
        """``θ_m,l = round(θ / Δ_l)`` per layer, kept within [1, 2^17 - 1] (17 bits)."""
        steps = [2.0**block.step_exponent() for block in self.blocks]
        return [min(MAX_THRESHOLD_MANTISSA, max(1, round(self.threshold / step))) for step in steps]

    def input_spikes(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Rate-coded frames of ``x`` (B, 784) followed by one empty frame per layer: (T', B, 784)."""
        frames = encode(x, self.steps, self.encoding, generator)
        return torch.cat([frames, frames.new_zeros(len(self.blocks), *frames.shape[1:])])

    def run_spikes(self, frames: torch.Tensor) -> list[torch.Tensor]:
        """Spikes (T', B, n_l) of every layer for input spike frames (T', B, n_0), in full
        precision whatever a trainer's ``precision`` sets autocast to: the synaptic sums are
        integers (8-bit weights times spikes) that half precision would round off the chip's."""
        with torch.autocast(frames.device.type, enabled=False):
            return self._run_spikes(frames)

    def _run_spikes(self, frames: torch.Tensor) -> list[torch.Tensor]:
        thresholds = self.threshold_mantissas()
        weights = [block.integer_weight() for block in self.blocks]
        batch = frames.shape[1]
        state = [(frames.new_zeros(batch, n, dtype=torch.float64), frames.new_zeros(batch, n, dtype=torch.float64))
                 for n in self.sizes[1:]]
        pending = [frames.new_zeros(batch, n, dtype=torch.float64) for n in self.sizes[1:]]
        spikes: list[list[torch.Tensor]] = [[] for _ in self.blocks]
        for frame in frames:
            s = frame
            for l, block in enumerate(self.blocks):
                # a synapse delivers one step late: step t's spikes reach layer l's neurons at t + 1
                arriving, pending[l] = pending[l], block(s.float(), weights[l]).double()
                u, v = state[l]
                u, v, s = cuba_step(u, v, arriving, self.current_decay, self.voltage_decay, thresholds[l], self.slope)
                state[l] = (u, v)
                spikes[l].append(s)
        return [torch.stack(layer).float() for layer in spikes]

    def run(self, x: torch.Tensor,
            generator: torch.Generator | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        spikes = self.run_spikes(self.input_spikes(x, generator))
        return spikes, spikes[-1]  # the readout is the spike count; no membrane is read
