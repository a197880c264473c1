"""A spiking student of one's own for ``multigrade.snn``: second-order LIF neurons.

``snntorch.Synaptic`` neurons keep a synaptic current beside the membrane (per layer l and
step t, ``s_{0,t}`` the encoded input)::

    i_{l,t} = alpha i_{l,t-1} + W_l s_{l-1,t}
    v_{l,t} = beta v_{l,t-1} + i_{l,t} - s_{l,t-1},      s_{l,t} = H(v_{l,t} - 1)

(reset by subtraction, fast-sigmoid surrogate gradient), so an input spike acts over
several steps. As a ``SpikingStudent`` it trains alone or along every distillation path,
and its spikes and synaptic operations are counted like the built-in students'. Used by
``conf/student/synaptic_mlp.yaml``::

    PYTHONPATH=examples python -m multigrade.snn --config-dir examples/conf spiking=distill_mnist student=synaptic_mlp
"""

from __future__ import annotations

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from multigrade.spiking.encoding import encode
from multigrade.spiking.layers import fully_connected
from multigrade.spiking.networks import SpikingStudent


class SynapticStudent(SpikingStudent):
    """Fully connected ``sizes`` (784, ..., classes) of ``snntorch.Synaptic`` neurons."""

    def __init__(self, sizes: tuple[int, ...] = (784, 256, 10), alpha: float = 0.8, beta: float = 0.9,
                 steps: int = 10, encoding: str = "rate", readout: str = "membrane", slope: float = 25.0):
        super().__init__(fully_connected(sizes), steps, encoding, readout)
        spike_grad = surrogate.fast_sigmoid(slope=slope)
        self.neurons = nn.ModuleList(snn.Synaptic(alpha=alpha, beta=beta, spike_grad=spike_grad)
                                     for _ in self.blocks)

    def run(self, x: torch.Tensor,
            generator: torch.Generator | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Spikes (T, B, N_l) of every layer and the output membrane (T, B, classes) for
        images x (B, 784), the input spikes drawn from ``generator``."""
        states = [neuron.reset_mem() for neuron in self.neurons]
        spikes: list[list[torch.Tensor]] = [[] for _ in self.blocks]
        output_membrane = []
        for inputs in encode(x, self.steps, self.encoding, generator):
            for l, (block, neuron) in enumerate(zip(self.blocks, self.neurons)):
                inputs, *states[l] = neuron(block(inputs), *states[l])
                spikes[l].append(inputs)
            output_membrane.append(states[-1][1])
        return [torch.stack(s) for s in spikes], torch.stack(output_membrane)
