"""DNN teachers and leaky integrate-and-fire (snntorch) students, fully connected and
convolutional, for distillation.

Every network maps images x (B, 784) in [0, 1] to ``(logits (B, classes), features)``,
``features`` the list of its hidden representations (B, width_l) that the intermediate
distillation path can match: a teacher's hidden activations, a student's spike rates
``r_l = (1/T) sum_t s_{l,t}``.

Student neurons (``snntorch.Leaky``, reset by subtraction)::

    v_{l,t} = beta v_{l,t-1} + block_l(s_{l-1,t}) - theta s_{l,t-1},   s_{l,t} = H(v_{l,t} - theta)

(``block_l`` a linear layer, or a convolution followed by max-pooling; ``s_{0,t}`` the
encoded input)
with a fast-sigmoid surrogate gradient. Logits: the output layer's mean membrane
potential (``membrane``) or its spike count (``count``) over the T steps.
"""

from __future__ import annotations

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from multigrade.probe import probe
from multigrade.spiking.activity import COUNTED
from multigrade.spiking.encoding import check_encoding, encode
from multigrade.spiking.layers import fully_connected

STUDENT_READOUTS = ("membrane", "count")


class MLPTeacher(nn.Module):
    """ReLU perceptron ``sizes[0] -> ... -> sizes[-1]``; features: each hidden activation."""

    def __init__(self, sizes: tuple[int, ...] = (784, 512, 256, 10)):
        super().__init__()
        *hidden, self.out = fully_connected(sizes)
        self.hidden = nn.ModuleList(hidden)

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


class SpikingStudent(nn.Module):
    """A spiking network run for ``steps`` steps on encoded input (B, 784): ``blocks[l]`` maps
    the spikes of layer l - 1 (the encoded input for l = 0) at one step to the input of
    layer l; the last block's neurons are the ``classes`` outputs. Subclasses define the
    neurons (``run``); logits are the output layer's mean membrane (``membrane``) or spike
    count (``count``). Rate-coded input spikes come from the ``generator`` a ``run`` is given
    (evaluation's own), else from torch's global stream (training)."""

    def __init__(self, blocks: list[nn.Module], steps: int = 10, encoding: str = "rate",
                 readout: str = "membrane"):
        super().__init__()
        if readout not in STUDENT_READOUTS:
            raise ValueError(f"unknown readout {readout!r}: choose one of {STUDENT_READOUTS}")
        self.steps, self.encoding, self.readout = int(steps), check_encoding(encoding), readout
        self.blocks = nn.ModuleList(blocks)

    def run(self, x: torch.Tensor,
            generator: torch.Generator | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Spikes (T, B, *shape_l) of every layer and the output membrane (T, B, classes)
        for images x (B, 784), the input spikes drawn from ``generator``."""
        raise NotImplementedError

    def logits(self, spikes: list[torch.Tensor], membrane: torch.Tensor) -> torch.Tensor:
        """Class scores (B, classes) of one ``run``: mean output membrane or spike count."""
        return membrane.mean(dim=0) if self.readout == "membrane" else spikes[-1].sum(dim=0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the spike rates (B, N_l) of every hidden layer, flattened."""
        spikes, membrane = self.run(x)
        return self.logits(spikes, membrane), [s.mean(dim=0).flatten(1) for s in spikes[:-1]]


def check_student_run(student: SpikingStudent, in_features: int, classes: int) -> None:
    """Run ``student`` once on a probe of 7 images (7, in_features) (``probe.probe``: a
    copy, in eval mode, torch's random state set aside), and raise a ``ValueError`` naming
    what its ``run`` returned where that breaks the contract the training reads:
    ``(spikes, membrane)``, one spike tensor (T, 7, *shape_l) per block, the last of
    ``classes`` neurons, and the output membrane (T, 7, classes). A student none of whose
    modules is a counted synapse layer (``activity.COUNTED``) is refused too: its synaptic
    operations and energy would read 0."""
    name, batch = f"{type(student).__name__}.run", 7
    if not any(isinstance(module, COUNTED) for module in student.modules()):
        raise ValueError(f"{type(student).__name__} has no {' or '.join(f'nn.{c.__name__}' for c in COUNTED)}: the"
                         f" synaptic operations and energy per image count those layers' calls, so build its"
                         f" synapses from them")
    contract = (f"{name}(x, generator) must return (spikes, membrane): a list of one spike tensor (T, B, ...)"
                f" per block ({len(student.blocks)}), the last (T, B, {classes}), and the output membrane"
                f" (T, B, {classes})")
    images = torch.rand(batch, in_features, generator=torch.Generator().manual_seed(0))
    result = probe(student, lambda copy: copy.run(images, torch.Generator().manual_seed(0)), name,
                   (batch, in_features))
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], (list, tuple))
            and all(torch.is_tensor(s) for s in result[0]) and torch.is_tensor(result[1])):
        raise ValueError(f"{contract}; it returned {type(result).__name__} {_shapes(result)}")
    spikes, membrane = result
    steps = membrane.shape[0] if membrane.dim() else 0
    if (len(spikes) != len(student.blocks) or membrane.shape != (steps, batch, classes)
            or any(s.dim() < 3 or s.shape[:2] != (steps, batch) for s in spikes)
            or spikes[-1][0, 0].numel() != classes):
        raise ValueError(f"{contract}; on {batch} images it returned spikes {[tuple(s.shape) for s in spikes]} and"
                         f" membrane {tuple(membrane.shape)}")


def _shapes(value) -> str:
    """The nested tensor shapes of a value, for an error message."""
    if torch.is_tensor(value):
        return str(tuple(value.shape))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shapes(v) for v in value) + "]"
    return type(value).__name__


class LeakyStudent(SpikingStudent):
    """``SpikingStudent`` of ``snntorch.Leaky`` neurons (see the module docstring)."""

    def __init__(self, blocks: list[nn.Module], beta: float = 0.9, steps: int = 10, encoding: str = "rate",
                 readout: str = "membrane", slope: float = 25.0):
        super().__init__(blocks, steps, encoding, readout)
        spike_grad = surrogate.fast_sigmoid(slope=slope)
        self.neurons = nn.ModuleList(snn.Leaky(beta=beta, spike_grad=spike_grad) for _ in self.blocks)

    def run(self, x: torch.Tensor,
            generator: torch.Generator | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        membranes = [neuron.reset_mem() for neuron in self.neurons]
        spikes: list[list[torch.Tensor]] = [[] for _ in self.blocks]
        output_membrane = []
        for inputs in encode(x, self.steps, self.encoding, generator):
            for l, (block, neuron) in enumerate(zip(self.blocks, self.neurons)):
                inputs, membranes[l] = neuron(block(inputs), membranes[l])
                spikes[l].append(inputs)
            output_membrane.append(membranes[-1])
        return [torch.stack(s) for s in spikes], torch.stack(output_membrane)


class LIFStudent(LeakyStudent):
    """Fully connected LIF network ``sizes`` (784, ..., classes)."""

    def __init__(self, sizes: tuple[int, ...] = (784, 256, 10), **neuron_settings):
        super().__init__(fully_connected(sizes), **neuron_settings)


class ConvLIFStudent(LeakyStudent):
    """Convolutional LIF network on 28 x 28 images: per entry c of ``channels`` a
    conv ``kernel`` x ``kernel`` (c) -> max-pool 2 -> LIF block, then fc(classes) -> LIF.
    Pooling acts on the input currents, so every layer still receives spikes."""

    def __init__(self, channels: tuple[int, ...] = (12, 32), kernel: int = 5, classes: int = 10,
                 **neuron_settings):
        blocks: list[nn.Sequential] = []
        side, previous = 28, 1
        for c in channels:
            blocks.append(nn.Sequential(nn.Conv2d(previous, c, kernel), nn.MaxPool2d(2)))
            side, previous = (side - kernel + 1) // 2, c
            if side < 1:
                raise ValueError(f"channels {channels} with kernel {kernel} shrink 28 x 28 images to nothing")
        blocks[0].insert(0, nn.Unflatten(1, (1, 28, 28)))
        blocks.append(nn.Sequential(nn.Flatten(), nn.Linear(previous * side * side, classes)))
        super().__init__(blocks, **neuron_settings)
