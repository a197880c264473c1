"""DNN teachers and leaky integrate-and-fire (snntorch) students for distillation.

Every network maps images x (B, 784) in [0, 1] to ``(logits (B, classes), features)``,
``features`` the list of its hidden representations (B, width_l) that the intermediate
distillation path can match: a teacher's hidden activations, a student's spike rates
``r_l = (1/T) sum_t s_{l,t}``.

Student neurons (``snntorch.Leaky``, reset by subtraction)::

    v_t = beta v_{t-1} + W s_{t-1}^{in} + b - theta s_{t-1},   s_t = H(v_t - theta)

with a fast-sigmoid surrogate gradient. Logits: the output layer's mean membrane
potential (``membrane``) or its spike count (``count``) over the T steps.
"""

from __future__ import annotations

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from multigrade.spiking.encoding import check_encoding, encode

STUDENT_READOUTS = ("membrane", "count")


class MLPTeacher(nn.Module):
    """ReLU perceptron ``sizes[0] -> ... -> sizes[-1]``; features: each hidden activation."""

    def __init__(self, sizes: tuple[int, ...] = (784, 512, 256, 10)):
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-2], sizes[1:-1]))
        self.out = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for layer in self.hidden:
            x = torch.relu(layer(x))
            features.append(x)
        return self.out(x), features


class CNNTeacher(nn.Module):
    """conv5x5(16)-relu-pool2 -> conv5x5(32)-relu-pool2 -> fc(hidden)-relu -> fc(classes) on
    28 x 28 images; features: the fc hidden activation (B, hidden)."""

    def __init__(self, hidden: int = 128, classes: int = 10):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(32 * 4 * 4, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h = torch.relu(self.fc(self.conv(x.view(-1, 1, 28, 28)).flatten(1)))
        return self.out(h), [h]


class LIFStudent(nn.Module):
    """Fully connected LIF network ``sizes`` run for ``steps`` steps on encoded input."""

    def __init__(self, sizes: tuple[int, ...] = (784, 256, 10), beta: float = 0.9, steps: int = 10,
                 encoding: str = "rate", readout: str = "membrane", slope: float = 25.0):
        super().__init__()
        if readout not in STUDENT_READOUTS:
            raise ValueError(f"unknown readout {readout!r}: choose one of {STUDENT_READOUTS}")
        if steps < 1:
            raise ValueError(f"steps must be a positive integer; got {steps}")
        self.steps, self.encoding, self.readout = int(steps), check_encoding(encoding), readout
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        spike_grad = surrogate.fast_sigmoid(slope=slope)
        self.neurons = nn.ModuleList(snn.Leaky(beta=beta, spike_grad=spike_grad) for _ in self.layers)

    def run(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Spikes (T, B, N_l) of every layer and the output membrane (T, B, classes)."""
        membranes = [neuron.reset_mem() for neuron in self.neurons]
        spikes: list[list[torch.Tensor]] = [[] for _ in self.layers]
        output_membrane = []
        for inputs in encode(x, self.steps, self.encoding):
            for l, (layer, neuron) in enumerate(zip(self.layers, self.neurons)):
                inputs, membranes[l] = neuron(layer(inputs), membranes[l])
                spikes[l].append(inputs)
            output_membrane.append(membranes[-1])
        return [torch.stack(s) for s in spikes], torch.stack(output_membrane)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spikes, membrane = self.run(x)
        logits = membrane.mean(dim=0) if self.readout == "membrane" else spikes[-1].sum(dim=0)
        return logits, [s.mean(dim=0) for s in spikes[:-1]]
