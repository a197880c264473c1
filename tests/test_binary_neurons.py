"""The binary neuron's box straight-through estimator, its two integration modes, the input
encodings, and Yin et al.'s binary SNN learning on real digits."""

import numpy as np
import pytest
import torch

from conftest import DATA_DIR, needs_digits
from multigrade.spiking.binary_snn import BinarySNN, squared_hinge
from multigrade.spiking.encoding import encode
from multigrade.spiking.neurons import box_spike, inference_spike, integrate


def test_the_straight_through_gradient_is_the_box():
    v = (torch.linspace(-1.0, 3.0, 400, dtype=torch.float64) + 0.005).requires_grad_()
    spikes = box_spike(v)
    spikes.backward(torch.ones_like(v))
    inside = (v > 0) & (v < 2)
    assert torch.equal(spikes, (v > 1).double())
    assert torch.equal(v.grad, torch.where(inside, 0.5, 0.0).double())
    assert inside.sum() > 100 and (~inside).sum() > 100


def test_continuous_integration_carries_the_membrane_and_resets_by_subtraction():
    torch.manual_seed(0)
    currents = torch.rand(12, 3, 5) * 1.5
    spikes = integrate(currents, "continuous")
    for t in range(12):  # u_t = I_t + sum_{j<t} (I_j - s_j), s_t = 1[u_t > 1]
        u = currents[t] + (currents[:t] - spikes[:t]).sum(dim=0)
        assert torch.equal(spikes[t], (u > 1).float())
    assert spikes.sum() > 0


def test_discontinuous_integration_has_no_memory():
    currents = torch.full((6, 1, 1), 0.7)  # continuous: 0.7, 1.4 -> spike, 1.1 -> spike, 0.8, ...
    assert integrate(currents, "discontinuous").sum() == 0
    assert integrate(currents, "continuous").flatten().tolist() == [0, 1, 1, 0, 1, 1]
    with pytest.raises(ValueError, match="unknown integration mode 'leaky'"):
        integrate(currents, "leaky")


def test_inference_fires_at_the_threshold_itself_and_training_above_it():
    at_threshold = torch.tensor([0.5, 1.0, 1.5])
    assert box_spike(at_threshold).tolist() == [0, 0, 1]  # training: 1[v > 1]
    assert inference_spike(at_threshold).tolist() == [0, 1, 1]  # inference: 1[v >= 1]
    net = BinarySNN((1, 1, 1), input_dropout=0.0, hidden_dropout=0.0)
    with torch.no_grad():
        for layer in net.layers:
            layer.weight.fill_(0.5)
            layer.bias.zero_()
    # one input spike at step 0: the hidden membrane goes 0.5 -> 0.5 + 0.5 = 1.0 exactly and
    # fires; so does the output's, 0.5 + 0.5 * 1 = 1.0; both reset to 0 and stay there
    scores, (hidden, output) = net.infer(torch.tensor([[[1.0]], [[0.0]], [[0.0]]]), "count", v0=0.5)
    assert hidden.flatten().tolist() == [1, 0, 0] and output.flatten().tolist() == [1, 0, 0]
    assert scores.floor().item() == 1


def test_rate_encoding_fires_at_the_pixel_intensity():
    x = torch.tensor([[0.0, 0.25, 0.9, 1.0]])
    spikes = encode(x, 4000, "rate", torch.Generator().manual_seed(0))
    assert spikes.shape == (4000, 1, 4) and set(spikes.unique().tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(spikes.mean(dim=0)[0].numpy(), [0.0, 0.25, 0.9, 1.0], atol=0.02)
    assert torch.equal(encode(x, 3, "direct")[2], x)
    with pytest.raises(ValueError, match="unknown encoding 'phase'"):
        encode(x, 3, "phase")


def test_squared_hinge_on_plus_minus_one_targets():
    output = torch.tensor([[2.0, 0.5, -1.0]])
    # targets (+1, -1, -1): max(0, 1-2)^2 + max(0, 1+0.5)^2 + max(0, 1-1)^2 = 2.25
    assert squared_hinge(output, torch.tensor([0])).item() == pytest.approx(2.25)




@needs_digits("MNIST")
@pytest.mark.parametrize("mode, steps", [("discontinuous", 1), ("continuous", 4)])
def test_a_small_binary_snn_learns_digits_and_counts_spikes_at_inference(mode, steps):
    from multigrade.data.digits import load_digits

    images, labels = load_digits(DATA_DIR, "mnist", train=True, download=False)
    x, y = torch.from_numpy(images[:3000]), torch.from_numpy(labels[:3000])
    x_test, y_test = torch.from_numpy(images[-1000:]), torch.from_numpy(labels[-1000:])
    torch.manual_seed(0)
    net = BinarySNN((784, 128, 10), mode=mode)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(6):
        for batch in torch.randperm(3000, generator=generator).split(100):
            loss = squared_hinge(net(encode(x[batch], steps, "rate", generator)), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    net.eval()
    spikes = encode(x_test, 20, "rate", generator)
    counts, layers = net.infer(spikes, "count")
    assert counts.shape == (1000, 10) and [s.shape for s in layers] == [(20, 1000, 128), (20, 1000, 10)]
    assert torch.equal(counts.floor(), layers[-1].sum(dim=0))  # the fraction only breaks ties
    membrane, hidden = net.infer(spikes, "membrane")
    assert len(hidden) == 1 and torch.equal(hidden[0], layers[0])

    def accuracy(scores):
        return (scores.argmax(dim=1) == y_test).float().mean().item()

    # 6 epochs on 3000 digits: far from the paper's 400 epochs, well above chance (0.1)
    assert accuracy(membrane) > 0.85, accuracy(membrane)
    assert accuracy(counts) > (0.75 if mode == "continuous" else 0.5), accuracy(counts)


def test_equal_spike_counts_are_broken_by_the_accumulated_current():
    net = BinarySNN((3, 2), input_dropout=0.0)
    with torch.no_grad():
        net.layers[0].weight.zero_()
        net.layers[0].bias.copy_(torch.tensor([-0.5, -0.1]))  # neither output ever fires
    scores, layers = net.infer(torch.ones(5, 1, 3), "count")
    assert layers[-1].sum() == 0
    assert scores.argmax(dim=1).item() == 1  # not class 0 by default
    assert (scores < 1).all()
