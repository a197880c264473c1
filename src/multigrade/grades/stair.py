"""The stair-shape network of multi-grade deep learning.

Grade k owns a hidden stack ``H_k`` (affine layers, each followed by an activation) and a
head ``A_k``: linear, or linear followed by a softmax (P2's first classification grade).
The features chain through the hidden stacks only::

    phi_0(x) = x,            phi_k(x) = H_k(phi_{k-1}(x))
    g_k(x)   = A_k(phi_k(x))                      (grade k's output)
    f_K(x)   = sum_{k=1..K} g_k(x)                (the model's prediction)

Earlier heads stay in the model for the sum but are not part of the feature chain.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import torch
from torch import nn

from multigrade.importing import import_object
from multigrade.probe import probe


class Sine(nn.Module):
    """Elementwise ``sin``: the activation of P2's first regression grade and of P3."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sin": Sine,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def activation_class(name: str) -> type[nn.Module]:
    """The activation called ``name``: one of ``ACTIVATIONS``, or the import path
    ``package.module.Class`` of an ``nn.Module`` built without arguments (one's own, e.g.
    ``my_activations.Snake``, importable from ``PYTHONPATH``)."""
    if not isinstance(name, str):
        raise ValueError(f"an activation is a name or an import path; got {name!r}")
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    if "." not in name:
        raise ValueError(f"unknown activation {name!r}: choose one of {sorted(ACTIVATIONS)}, or give the"
                         " import path of an nn.Module class, e.g. my_activations.Snake")
    found = import_object(name, "activation")
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        raise ValueError(f"activation {name!r} is not an nn.Module class")
    return found


def activation(name: str) -> nn.Module:
    """A new activation module called ``name`` (see ``activation_class``), built without
    arguments."""
    try:
        return activation_class(name)()
    except TypeError as error:
        raise ValueError(f"activation {name!r} must be built without arguments: {error}") from None


def layer_activations(widths: list[int], activations: str | list[str]) -> list[str]:
    """One activation name per hidden layer: ``activations`` is one name for every layer
    or one per layer."""
    if not widths:
        raise ValueError("a grade needs at least one hidden layer (widths is empty)")
    names = [activations] * len(widths) if isinstance(activations, str) else list(activations)
    if len(names) != len(widths):
        raise ValueError(f"{len(widths)} hidden layers but {len(names)} activations: {names}")
    return names


def check_activations(widths: list[int], activations: str | list[str]) -> None:
    """``layer_activations``, each built once (``activation``) with torch's random state set
    aside, so checking draws nothing from a grade's seeded stream."""
    with torch.random.fork_rng(devices=[]):
        for name in layer_activations(widths, activations):
            activation(name)


def hidden_stack(in_features: int, widths: list[int], activations: str | list[str]) -> nn.Sequential:
    """``H(z) = act_D(W_D ... act_1(W_1 z + b_1) ... + b_D)``: one affine layer per width.

    ``activations`` is one name for every layer or one name per layer. Shapes:
    (N, in_features) -> (N, widths[-1]). Weights and biases keep ``torch.nn.Linear``'s
    initialisation, U(-1, 1) * sqrt(1 / fan_in), as in the papers.
    """
    layers: list[nn.Module] = []
    fan_in = in_features
    for width, name in zip(widths, layer_activations(widths, activations)):
        layers += [nn.Linear(fan_in, int(width)), activation(name)]
        fan_in = int(width)
    return nn.Sequential(*layers)


StackBuilder = Callable[[int, list[int], "str | list[str]"], nn.Module]


def stack_builder(name: str | None) -> StackBuilder:
    """What builds a grade's hidden stack: ``hidden_stack`` (``name`` None), or the import
    path of one's own function with its arguments, ``(in_features, widths, activations)``,
    returning a module (N, in_features) -> (N, widths[-1]), e.g. random Fourier features
    before the affine layers."""
    if name is None:
        return hidden_stack
    found = import_object(name, "stack")
    if not callable(found):
        raise ValueError(f"stack {name!r} is not callable")
    return found


def built_stack(name: str | None, in_features: int, widths: list[int], activations: str | list[str]) -> nn.Module:
    """The hidden stack ``stack_builder(name)`` builds, checked on a probe: it must be an
    ``nn.Module`` mapping (2, in_features) to (2, widths[-1]), the width the head and the
    next grade take (an activation of one's own must keep the shape). The probe runs a
    copy in eval mode with torch's random state set aside, so it changes neither the stack
    nor the draws that initialise the head."""
    stack = stack_builder(name)(in_features, list(widths), activations)
    what = f"stack {name!r}" if name is not None else f"the stack of affine layers and activations {activations!r}"
    if not isinstance(stack, nn.Module):
        raise ValueError(f"{what} returned a {type(stack).__name__}, not an nn.Module mapping (N, {in_features})"
                         f" to (N, {int(widths[-1])})")
    shape = tuple(probe(stack, lambda copy: copy(torch.zeros(2, in_features)), what, (2, in_features)).shape)
    if shape != (2, int(widths[-1])):
        raise ValueError(f"{what} maps (N, {in_features}) to {shape[1:]} per row, not"
                         f" ({int(widths[-1])},): the last width is the width its output must have")
    return stack


class SoftmaxHead(nn.Module):
    """``A(z) = softmax(W z + b)``: (N, d) -> (N, m) class probabilities; ``logits(z)``
    gives ``W z + b``, which the cross-entropy loss takes."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.linear(z)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.linear(z), dim=1)


HEADS: dict[str, type[nn.Module]] = {"linear": nn.Linear, "softmax": SoftmaxHead}


@contextmanager
def evaluating(module: nn.Module) -> Iterator[nn.Module]:
    """``module`` in eval mode inside the block, each submodule's own mode restored after
    it: batch normalisation reads its running statistics and updates none, dropout draws
    nothing, so looking at a grade in training changes neither it nor its random stream."""
    modes = [(part, part.training) for part in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for part, training in modes:
            part.training = training


def freeze(module: nn.Module) -> nn.Module:
    """Freeze in place: no gradients (``requires_grad_(False)``) and eval mode."""
    module.requires_grad_(False)
    module.eval()
    return module


class StairNetwork(nn.Module):
    """Hidden stacks and heads of all grades; ``forward`` returns the sum of grade outputs.

    Shapes: ``forward`` (N, in_features) -> (N, out_features);
    ``grade_outputs`` (N, in_features) -> (K, N, out_features).
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.hidden = nn.ModuleList()
        self.heads = nn.ModuleList()
        self.specs: list[dict] = []

    @property
    def num_grades(self) -> int:
        return len(self.hidden)

    @property
    def feature_width(self) -> int:
        """Width of phi_K, the input of the next grade's hidden stack."""
        return self.specs[-1]["widths"][-1] if self.specs else self.in_features

    def grow(self, widths: list[int], activations: str | list[str], output: str = "linear",
             stack: str | None = None) -> tuple[nn.Module, nn.Module]:
        """Append grade K + 1 = (H, A), freshly initialised on top of phi_K (``new_grade``,
        then ``add``); return it."""
        hidden, head = self.new_grade(widths, activations, output, stack)
        self.add(hidden, head, widths, activations, output, stack)
        return hidden, head

    def new_grade(self, widths: list[int], activations: str | list[str], output: str = "linear",
                  stack: str | None = None) -> tuple[nn.Module, nn.Module]:
        """Grade K + 1 = (H, A), freshly initialised on top of phi_K, not yet part of the
        network. ``output`` names the head: ``linear`` or ``softmax`` (see ``HEADS``);
        ``stack`` what builds H (``stack_builder``; None: affine layers and activations)."""
        hidden = built_stack(stack, self.feature_width, widths, activations)
        return hidden, HEADS[output](int(widths[-1]), self.out_features)

    def add(self, hidden: nn.Module, head: nn.Module, widths: list[int], activations: str | list[str],
            output: str = "linear", stack: str | None = None) -> None:
        """Append ``(hidden, head)`` (from ``new_grade``, of the spec given) as grade K + 1."""
        self.hidden.append(hidden)
        self.heads.append(head)
        self.specs.append({"widths": [int(w) for w in widths], "activation": activations, "output": output,
                           **({"stack": stack} if stack is not None else {})})

    def backbone(self, grades: int | None = None) -> nn.Sequential:
        """The frozen chain ``phi_k = H_k o ... o H_1`` of the first ``grades`` grades
        (default: all), the features grade k + 1 takes: (N, in_features) -> (N, width of
        H_k's last layer), the identity for none. It shares their parameters and freezes
        them in place."""
        return freeze(nn.Sequential(*list(self.hidden)[: self.num_grades if grades is None else grades]))

    def grade_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """g_1(x), ..., g_K(x) stacked: (K, N, out_features)."""
        outputs = []
        for stack, head in zip(self.hidden, self.heads):
            x = stack(x)
            outputs.append(head(x))
        return torch.stack(outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.grade_outputs(x).sum(dim=0)
