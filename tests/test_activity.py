"""Synaptic operations counted exactly, and the 45 nm energy estimate built from them."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from multigrade.spiking.activity import AC_PJ, MAC_PJ, SynapticOps, synapse_events
from multigrade.spiking.binary_snn import BinarySNN
from multigrade.spiking.encoding import rate_encode
from multigrade.spiking.networks import CNNTeacher, ConvLIFStudent, LIFStudent, MLPTeacher


def spikes(*shape, seed=0):
    return (torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) < 0.3).float()


def test_a_linear_layer_does_one_accumulate_per_spike_and_output():
    layer = nn.Linear(20, 7)
    x = spikes(3, 5, 20)
    assert synapse_events(layer, x) == x.sum().item() * 7


@pytest.mark.parametrize("stride, padding, groups", [(1, 0, 1), (2, 1, 1), (1, 2, 2)])
def test_a_convolution_counts_every_synapse_a_spike_crosses_borders_included(stride, padding, groups):
    layer = nn.Conv2d(4, 6, 3, stride=stride, padding=padding, groups=groups)
    x = spikes(2, 4, 9, 9)
    per_group = []
    for g in range(groups):  # brute force: each output position sums the spikes in its window
        xg = x[:, g * 4 // groups:(g + 1) * 4 // groups]
        windows = F.unfold(xg, 3, padding=padding, stride=stride)  # (B, C_g * 9, positions)
        per_group.append(windows.sum().item() * 6 // groups)
    assert synapse_events(layer, x) == pytest.approx(sum(per_group))


def test_teachers_count_one_mac_per_synapse():
    x = torch.rand(3, 784)
    teacher = MLPTeacher((784, 512, 256, 10))
    meter = SynapticOps(teacher, dense=True)
    teacher(x)
    macs = 784 * 512 + 512 * 256 + 256 * 10
    result = meter.per_image(3)
    assert result["macs"] == macs == result["dense_macs"] and result["sops"] == 0
    assert result["energy_pj"] == pytest.approx(MAC_PJ * macs)
    cnn = CNNTeacher(hidden=128)
    meter = SynapticOps(cnn, dense=True)
    cnn(x)
    conv = 24 * 24 * 16 * 25 + 8 * 8 * 32 * 16 * 25
    assert meter.per_image(3)["macs"] == conv + 512 * 128 + 128 * 10


def test_a_spiking_student_accumulates_per_spike_and_step_and_stops_counting_when_detached():
    torch.manual_seed(0)
    student = LIFStudent((784, 64, 10), steps=5)
    x = torch.rand(4, 784)
    meter = SynapticOps(student)
    torch.manual_seed(1)
    layer_spikes, _ = student.run(x)
    torch.manual_seed(1)
    encoded = rate_encode(x, 5)
    meter.detach()
    student.run(x)
    result = meter.per_image(4)
    assert [layer["sops"] for layer in result["layers"]] == [
        encoded.sum().item() * 64 / 4, layer_spikes[0].sum().item() * 10 / 4]
    assert result["macs"] == 0 and result["dense_macs"] == 784 * 64 + 64 * 10
    assert result["energy_pj"] == pytest.approx(AC_PJ * result["sops"])
    assert result["energy_pj"] < result["dense_energy_pj"]


def test_direct_input_makes_the_first_layer_multiply_every_step():
    student = LIFStudent((784, 32, 10), steps=3, encoding="direct")
    meter = SynapticOps(student)
    student(torch.rand(2, 784))
    first, second = meter.per_image(2)["layers"]
    assert first["macs"] == 3 * 784 * 32 and first["sops"] == 0
    assert second["macs"] == 0


def test_the_binary_snn_and_the_conv_student_are_counted_layer_by_layer():
    net = BinarySNN((784, 40, 30, 10))
    meter = SynapticOps(net)
    _, layers = net.infer(spikes(6, 2, 784))
    result = meter.per_image(2)
    assert [layer["sops"] for layer in result["layers"]][1:] == [
        layers[0].sum().item() * 30 / 2, layers[1].sum().item() * 10 / 2]
    student = ConvLIFStudent(channels=(4, 8), steps=2)
    meter = SynapticOps(student)
    student(torch.rand(3, 784))
    assert [layer["dense_macs"] for layer in meter.per_image(3)["layers"]] == [
        24 * 24 * 4 * 25, 8 * 8 * 8 * 4 * 25, 8 * 4 * 4 * 10]
    with pytest.raises(ValueError, match="no images"):
        meter.per_image(0)


def test_spikes_that_float_rounding_left_a_hair_below_one_are_counted_as_spikes():
    layer = nn.Linear(4, 3)
    counter = SynapticOps(layer)
    layer(torch.tensor([[1 - 6e-8, 0.0, 1.0, 0.0]]))  # a surrogate's h + s - s.detach()
    layer(torch.tensor([[0.5, 0.0, 1.0, 0.0]]))       # not spikes: one multiply-accumulate per synapse
    counted = counter.per_image(1)
    assert counted["sops"] == pytest.approx(2 * 3) and counted["macs"] == 4 * 3
