"""Yin et al.'s binary-activation SNN: 784-1024-1024-10 binary neurons, squared hinge loss.

Training runs the hidden layers as binary neurons (``neurons.integrate``) on encoded
input spikes ``S_0`` (T, B, 784), with dropout on the input and hidden spikes::

    I_l = W_l S_{l-1} + b_l,   S_l = integrate(I_l, mode)          l = 1 .. L-1
    o   = (1/T) sum_t (W_L S_{L-1,t} + b_L)                        (B, classes)
    loss = (1/B) sum_b sum_c max(0, 1 - y_bc o_bc)^2,   y = +-1 targets

Inference (``infer``) integrates the layers continuously from ``v_0 = 0.5``, fires on
``v >= 1`` (the paper's inference rule; training fires on ``v > 1``) with reset by
subtraction, and reads out the output spike counts (the paper's readout) or the output
layer's accumulated input current (``membrane``).
"""

from __future__ import annotations

import torch
from torch import nn

from multigrade.spiking.layers import fully_connected
from multigrade.spiking.neurons import check_mode, inference_spike, integrate

READOUTS = ("count", "membrane")


def squared_hinge(output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``mean_b sum_c max(0, 1 - y_bc o_bc)^2`` with ``y = 2 onehot(labels) - 1``."""
    targets = 2.0 * nn.functional.one_hot(labels, output.shape[1]).to(output.dtype) - 1.0
    return torch.relu(1.0 - targets * output).square().sum(dim=1).mean()


class BinarySNN(nn.Module):
    """Fully connected binary-activation SNN; ``sizes`` (784, 1024, 1024, 10) by default."""

    def __init__(self, sizes: tuple[int, ...] = (784, 1024, 1024, 10), mode: str = "discontinuous",
                 input_dropout: float = 0.1, hidden_dropout: float = 0.3, threshold: float = 1.0):
        super().__init__()
        self.mode = check_mode(mode)
        self.threshold = float(threshold)
        self.layers = nn.ModuleList(fully_connected(sizes))
        self.dropouts = nn.ModuleList(
            [nn.Dropout(input_dropout)] + [nn.Dropout(hidden_dropout) for _ in sizes[1:-1]]
        )

    def hidden_spikes(self, spikes: torch.Tensor) -> list[torch.Tensor]:
        """Spikes of every hidden layer (each (T, B, N_l)) for input spikes (T, B, N_0)."""
        out = []
        for layer, dropout in zip(self.layers[:-1], self.dropouts[:-1]):
            spikes = integrate(layer(dropout(spikes)), self.mode, self.threshold)
            out.append(spikes)
        return out

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        """The output layer's input current averaged over steps: (T, B, N_0) -> (B, classes)."""
        hidden = self.hidden_spikes(spikes)
        last = hidden[-1] if hidden else spikes
        return self.layers[-1](self.dropouts[-1](last)).mean(dim=0)

    @torch.no_grad()
    def infer(self, spikes: torch.Tensor, readout: str = "count",
              v0: float = 0.5) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Inference without dropout: class scores (B, classes) and the spikes (T, B, N_l)
        of every spiking layer. Hidden layers integrate continuously from ``v0`` and fire
        on ``v >= threshold``; the output layer too for ``readout="count"``, or it only
        accumulates its input current for ``readout="membrane"`` (scores = ``sum_t o_t``).
        Count scores are the output spike counts plus ``0.5 sigmoid(sum_t o_t)``, below
        one, so that the accumulated current breaks ties between equal counts (no spike at
        all included) instead of the lowest class index."""
        layers = []
        for layer in self.layers[:-1]:
            spikes = integrate(layer(spikes), "continuous", self.threshold, v0, inference_spike)
            layers.append(spikes)
        current = self.layers[-1](spikes)
        if readout == "membrane":
            return current.sum(dim=0), layers
        layers.append(integrate(current, "continuous", self.threshold, v0, inference_spike))
        return layers[-1].sum(dim=0) + 0.5 * torch.sigmoid(current.sum(dim=0)), layers
