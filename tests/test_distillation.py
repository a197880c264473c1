"""The three distillation paths: their formulas, which network each one trains, and that a
path switched off is gone from the loss."""

import pytest
import torch

from multigrade.loihi.student import LoihiStudent
from multigrade.spiking.distillation import DistillationModule, softened_kl
from multigrade.spiking.networks import CNNTeacher, ConvLIFStudent, LIFStudent, MLPTeacher


STUDENTS = {"lif": lambda: LIFStudent((784, 32, 10), steps=4), "loihi": lambda: LoihiStudent((784, 32, 10), steps=4)}


def make(output=0.0, intermediate=0.0, snn_to_dnn=0.0, teacher=True, student="lif"):
    torch.manual_seed(0)
    return DistillationModule(STUDENTS[student](), MLPTeacher((784, 48, 24, 10)) if teacher else None,
                              output, intermediate, snn_to_dnn, temperature=3.0)


def batch(n=16):
    generator = torch.Generator().manual_seed(1)
    return torch.rand(n, 784, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def test_softened_kl_is_t_squared_times_the_kl_of_the_softened_distributions():
    target, logits = torch.randn(5, 10), torch.randn(5, 10)
    p, q = torch.softmax(target / 2, dim=1), torch.softmax(logits / 2, dim=1)
    expected = 4 * (p * (p / q).log()).sum(dim=1).mean()
    torch.testing.assert_close(softened_kl(target, logits, 2.0), expected)
    assert softened_kl(target, target, 2.0).abs() < 1e-6


@pytest.mark.parametrize("weights, terms", [
    ((0, 0, 0), {"student_ce", "teacher_ce"}),
    ((1, 0, 0), {"student_ce", "teacher_ce", "output"}),
    ((1, 0.1, 0), {"student_ce", "teacher_ce", "output", "intermediate"}),
    ((1, 0.1, 0.5), {"student_ce", "teacher_ce", "output", "intermediate", "snn_to_dnn"}),
    ((0, 0, 0.5), {"student_ce", "teacher_ce", "snn_to_dnn"}),
])
def test_a_path_switched_off_has_no_loss_term(weights, terms):
    module = make(*weights)
    assert set(module.loss_terms(*batch())) == terms
    assert (module.decoder is not None) == (weights[1] > 0)


def test_the_student_alone_has_only_its_cross_entropy_and_paths_need_a_teacher():
    assert set(make(teacher=False).loss_terms(*batch())) == {"student_ce"}
    with pytest.raises(ValueError, match=r"\['output_weight'\] > 0 needs a teacher"):
        make(output=1.0, teacher=False)
    with pytest.raises(ValueError, match="must be >= 0"):
        make(output=-1.0)


def grads_of(module, term):
    module.zero_grad()
    module.loss_terms(*batch())[term].backward()
    def touched(net):
        return any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    return {name: touched(net) for name, net in
            (("student", module.student), ("teacher", module.teacher), ("decoder", module.decoder))
            if net is not None}


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_each_path_trains_the_network_it_names(student):
    module = make(1.0, 0.1, 0.5, student=student)
    assert grads_of(module, "output") == {"student": True, "teacher": False, "decoder": False}
    assert grads_of(module, "intermediate") == {"student": True, "teacher": False, "decoder": True}
    assert grads_of(module, "snn_to_dnn") == {"student": False, "teacher": True, "decoder": False}
    assert grads_of(module, "teacher_ce") == {"student": False, "teacher": True, "decoder": False}


def test_the_intermediate_path_decodes_rates_to_the_teacher_layer_width():
    module = make(0.0, 0.1, 0.0)
    assert (module.decoder.in_features, module.decoder.out_features) == (32, 24)
    x, labels = batch()
    torch.manual_seed(5)  # the same Bernoulli input spikes for both evaluations
    rates = module.student(x)[1][-1]
    hidden = module.teacher(x)[1][-1]
    expected = 0.1 * (module.decoder(rates) - hidden).square().sum(dim=1).mean()
    torch.manual_seed(5)
    torch.testing.assert_close(module.loss_terms(x, labels)["intermediate"], expected)
    cnn = DistillationModule(LIFStudent((784, 32, 10), steps=2), CNNTeacher(hidden=20), intermediate_weight=1.0)
    assert cnn.decoder.out_features == 20


def test_mismatched_students_and_layers_are_named():
    from multigrade.spiking.binary_module import BinarySNNModule
    from multigrade.spiking.binary_snn import BinarySNN

    with pytest.raises(TypeError, match="method=binary trains a BinarySNN .* not a LIFStudent"):
        BinarySNNModule(LIFStudent((784, 8, 10)))
    with pytest.raises(TypeError, match=r"method=distill needs a SpikingStudent \(student=lif_mlp, lif_cnn or"
                                        r" loihi_mlp\), not a BinarySNN"):
        DistillationModule(BinarySNN((784, 8, 10)), MLPTeacher((784, 8, 10)))
    with pytest.raises(ValueError, match="teacher_layer=3, but the teacher has 2 hidden layer"):
        DistillationModule(LIFStudent((784, 8, 10)), MLPTeacher((784, 16, 8, 10)), intermediate_weight=1.0,
                           teacher_layer=3)
    with pytest.raises(ValueError, match="unknown encoding 'phase'"):
        LIFStudent(encoding="phase")


def test_the_decoder_leaves_the_random_stream_as_it_was():
    torch.manual_seed(3)
    make(0.0, 0.1, 0.0)
    with_decoder = torch.rand(3)
    torch.manual_seed(3)
    make(0.0, 0.0, 0.0)
    assert torch.equal(torch.rand(3), with_decoder)


def test_a_convolutional_student_learns_along_every_path():
    torch.manual_seed(0)
    module = DistillationModule(ConvLIFStudent(channels=(4, 8), steps=3), CNNTeacher(hidden=24),
                                1.0, 0.1, 0.5, temperature=3.0)
    assert (module.decoder.in_features, module.decoder.out_features) == (8 * 4 * 4, 24)
    terms = module.loss_terms(*batch())
    assert set(terms) == {"student_ce", "teacher_ce", "output", "intermediate", "snn_to_dnn"}
    torch.stack(list(terms.values())).sum().backward()
    first_conv = module.student.blocks[0][1]
    assert first_conv.weight.grad.abs().sum() > 0
