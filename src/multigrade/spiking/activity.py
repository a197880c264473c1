"""Synaptic operations of a network during evaluation, and the 45 nm energy estimate.

Every ``nn.Linear`` and ``nn.Conv2d`` call is counted from its input ``x``:

- a layer driven by spikes (``x`` binary) does one accumulate (AC) per spike and outgoing
  synapse: ``SOPs = sum_i x_i * fanout_i``;
- a layer driven by real numbers (a DNN, or a spiking network's directly encoded input)
  does one multiply-accumulate (MAC) per synapse: ``MACs = sum_i fanout_i``;

summed over calls (time steps) and divided by the images evaluated. Both are counted
exactly, borders of convolutions included, by applying the layer's connectivity with unit
weights and no bias to ``x`` (or to ones). ``dense_macs`` counts one pass of the same
layers as a DNN would run them (one MAC per synapse and image).

These are the operations of a dense layer on a host: every synapse a spike reaches costs
an accumulate, whatever its weight (zero included), and every call counts. Loihi's count
(``multigrade.loihi.energy.synaptic_ops``) is another one: synapses of nonzero weight only,
for the spikes that arrive within the run; the two are not interchangeable.

Energy, an estimate for 45 nm CMOS in float32 (Horowitz, ISSCC 2014), not a measurement::

    E = 4.6 pJ * MACs + 0.9 pJ * SOPs
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

MAC_PJ = 4.6
AC_PJ = 0.9
ESTIMATE = ("estimate, not a measurement: 45 nm CMOS, float32 (Horowitz 2014), 4.6 pJ per"
            " multiply-accumulate and 0.9 pJ per accumulate, every synapse of a dense layer counted"
            " (zero weights included); memory access and neuron updates not counted")
COUNTED = (nn.Linear, nn.Conv2d)


def synapse_events(layer: nn.Module, x: torch.Tensor) -> float:
    """``sum over synapses (i -> j) of x_i``: the inputs ``x`` weighted by their fan-out.

    Linear: ``x (..., in)``; Conv2d: ``x (B, C, H, W)`` (zero padding)."""
    if isinstance(layer, nn.Linear):
        return float(x.sum()) * layer.out_features
    if isinstance(layer, nn.Conv2d):
        if layer.padding_mode != "zeros":
            raise ValueError(f"counting supports zero-padded convolutions only; got {layer.padding_mode!r}")
        groups = layer.groups
        ones = torch.ones(groups, layer.in_channels // groups, *layer.kernel_size, dtype=x.dtype, device=x.device)
        fan_in_sums = F.conv2d(x, ones, None, layer.stride, layer.padding, layer.dilation, groups)
        return float(fan_in_sums.sum()) * (layer.out_channels // groups)
    raise TypeError(f"cannot count the synapses of a {type(layer).__name__}")


BINARY_TOLERANCE = 1e-6  # a spike written h + s - s.detach() (a surrogate of one's own) may be 1 - 6e-8


def is_binary(x: torch.Tensor) -> bool:
    """Whether every entry of ``x`` is a spike or none: 0 or 1, to ``BINARY_TOLERANCE``."""
    return bool((torch.minimum(x.abs(), (x - 1).abs()) <= BINARY_TOLERANCE).all())


class SynapticOps:
    """Counts, while attached, the SOPs and MACs of every Linear / Conv2d of ``net`` (see the
    module docstring); ``dense=True`` counts every layer as a DNN's (MACs only)."""

    def __init__(self, net: nn.Module, dense: bool = False):
        self.dense = dense
        self.ops: dict[str, dict[str, float]] = defaultdict(lambda: {"sops": 0.0, "macs": 0.0})
        self.dense_macs: dict[str, float] = {}
        self.handles = [module.register_forward_pre_hook(self.hook(name))
                        for name, module in net.named_modules() if isinstance(module, COUNTED)]

    def hook(self, name: str):
        def count(module: nn.Module, args: tuple) -> None:
            x = args[0].detach()
            if not self.dense and is_binary(x):
                self.ops[name]["sops"] += synapse_events(module, x)
            else:
                self.ops[name]["macs"] += synapse_events(module, torch.ones_like(x))
            if name not in self.dense_macs:
                one = torch.ones(1, *x.shape[-3:]) if isinstance(module, nn.Conv2d) else x.new_ones(x.shape[-1])
                self.dense_macs[name] = synapse_events(module, one.to(x))
        return count

    def reduce(self, total: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Replace the counts by ``total`` of them (the sum over the processes of a
        distributed evaluation, each of which counted its share of the images)."""
        names = list(self.ops)
        counts = total(torch.tensor([[self.ops[n]["sops"], self.ops[n]["macs"]] for n in names], dtype=torch.float64))
        for name, (sops, macs) in zip(names, counts.tolist()):
            self.ops[name] = {"sops": sops, "macs": macs}

    def detach(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def per_image(self, images: int) -> dict:
        """Per image: each layer's SOPs and MACs, their totals, the energy estimate (pJ), and
        the same layers run once as a DNN (``dense_macs``, ``dense_energy_pj``)."""
        if images < 1:
            raise ValueError("no images were evaluated; run the test set first")
        layers = [{"layer": name, "sops": ops["sops"] / images, "macs": ops["macs"] / images,
                   "dense_macs": self.dense_macs[name]} for name, ops in self.ops.items()]
        sops, macs = sum(l["sops"] for l in layers), sum(l["macs"] for l in layers)
        dense = sum(l["dense_macs"] for l in layers)
        return {"layers": layers, "sops": sops, "macs": macs, "energy_pj": MAC_PJ * macs + AC_PJ * sops,
                "dense_macs": dense, "dense_energy_pj": MAC_PJ * dense}
