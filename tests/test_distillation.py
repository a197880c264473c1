"""The three distillation paths: their formulas, which network each one trains, and that a
path switched off is gone from the loss; evaluation's own random input spikes; the
networks' size checks."""

import lightning.pytorch as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from multigrade.loihi.student import LoihiStudent
from multigrade.spiking.binary_module import BinarySNNModule
from multigrade.spiking.binary_snn import BinarySNN
from multigrade.spiking.distillation import DistillationModule, softened_kl
from multigrade.spiking.networks import CNNTeacher, ConvLIFStudent, LeakyStudent, LIFStudent, MLPTeacher


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
    with pytest.raises(TypeError, match="method=binary trains a BinarySNN .* not a LIFStudent"):
        BinarySNNModule(LIFStudent((784, 8, 10)))
    with pytest.raises(ValueError, match=r"student.mode=continuous carries the membrane .* method.train_steps=1"
                                         r" trains on one step"):
        BinarySNNModule(BinarySNN((784, 8, 10), mode="continuous"))
    BinarySNNModule(BinarySNN((784, 8, 10), mode="continuous"), train_steps=2)
    for key, steps in (("train_steps", 0), ("eval_steps", -3), ("train_steps", 2.5)):
        with pytest.raises(ValueError, match=rf"method.{key} must be a positive number of time steps; got {steps}"):
            BinarySNNModule(BinarySNN((784, 8, 10)), **{key: steps})
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


def test_a_student_with_batch_normalisation_gets_its_decoder_and_keeps_its_statistics():
    """The decoder's widths come from a dry pass of one image, which batch normalisation in
    training mode refuses; the pass runs on an eval-mode copy and changes nothing."""
    torch.manual_seed(0)
    student = LeakyStudent([nn.Sequential(nn.Linear(784, 32), nn.BatchNorm1d(32)), nn.Linear(32, 10)], steps=4)
    module = DistillationModule(student, MLPTeacher((784, 48, 24, 10)), intermediate_weight=0.1)
    assert (module.decoder.in_features, module.decoder.out_features) == (32, 24)
    assert int(student.blocks[0][1].num_batches_tracked) == 0 and student.training


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


@pytest.mark.parametrize("network", [LIFStudent, LoihiStudent, BinarySNN, MLPTeacher])
def test_a_network_without_an_output_width_is_refused_when_built(network):
    with pytest.raises(ValueError, match=r"sizes needs an input and an output width, e\.g\. \(784, 256, 10\);"
                                         r" got \(784,\)"):
        network(sizes=(784,))


class Digits(L.LightningDataModule):
    """Random 'images' (N, 784) and labels; every loader has a generator of its own (a
    DataLoader without one draws its workers' base seed from torch's global stream)."""

    def __init__(self, train: int = 120, val: int = 60):
        super().__init__()
        generator = torch.Generator().manual_seed(7)
        self.x, self.y = torch.rand(train + val, 784, generator=generator), torch.randint(0, 10, (train + val,),
                                                                                          generator=generator)
        self.train = train

    def loader(self, part: slice, shuffle: bool) -> DataLoader:
        return DataLoader(TensorDataset(self.x[part], self.y[part]), batch_size=30, shuffle=shuffle,
                          generator=torch.Generator().manual_seed(0))

    def train_dataloader(self) -> DataLoader:
        return self.loader(slice(0, self.train), True)

    def val_dataloader(self) -> DataLoader:
        return self.loader(slice(self.train, None), False)


MODULES = {
    "lif": lambda: DistillationModule(LIFStudent((784, 16, 10), steps=3), MLPTeacher((784, 16, 10)), 1.0,
                                      epochs=2, eval_seed=5),
    "loihi": lambda: DistillationModule(LoihiStudent((784, 16, 10), steps=3), MLPTeacher((784, 16, 10)), 1.0,
                                        epochs=2, eval_seed=5),
    "binary": lambda: BinarySNNModule(BinarySNN((784, 16, 10)), eval_steps=3, epochs=2, eval_seed=5),
}


def trainer(validate: bool) -> L.Trainer:
    return L.Trainer(accelerator="cpu", max_epochs=2, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                     limit_val_batches=1.0 if validate else 0)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_training_does_not_depend_on_how_often_it_is_validated(kind):
    weights = []
    for validate in (True, False):
        torch.manual_seed(0)
        module = MODULES[kind]()
        trainer(validate).fit(module, datamodule=Digits())
        weights.append([p.detach().clone() for p in module.parameters()])
    with_validation, without = weights
    assert all(torch.equal(a, b) for a, b in zip(with_validation, without))


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_evaluating_twice_sees_the_same_input_spikes(kind):
    torch.manual_seed(0)
    module, data = MODULES[kind](), Digits()
    results = []
    for global_seed in (1, 2):  # whatever the global stream holds
        torch.manual_seed(global_seed)
        [metrics] = trainer(True).validate(module, datamodule=data, verbose=False)
        results.append((metrics["val/accuracy"], module.spikes_per_image()))
    assert results[0] == results[1] and sum(results[0][1]) > 0
    module.eval_seed = 6  # another evaluation seed draws other spikes
    trainer(True).validate(module, datamodule=data, verbose=False)
    assert module.spikes_per_image() != results[0][1]


class OmittedOutput(LIFStudent):
    """Forgets the output layer's spikes."""

    def run(self, x, generator=None):
        spikes, membrane = super().run(x, generator)
        return spikes[:-1], membrane


class NoTimeAxis(LIFStudent):
    """Returns spike rates, not spikes over time."""

    def run(self, x, generator=None):
        spikes, membrane = super().run(x, generator)
        return [s.mean(dim=0) for s in spikes], membrane


class BatchFirst(LIFStudent):
    """Puts the batch before time."""

    def run(self, x, generator=None):
        spikes, membrane = super().run(x, generator)
        return [s.transpose(0, 1) for s in spikes], membrane.transpose(0, 1)


class Swapped(LIFStudent):
    """Returns the membrane first."""

    def run(self, x, generator=None):
        spikes, membrane = super().run(x, generator)
        return membrane, spikes


@pytest.mark.parametrize("student, returned", [
    (OmittedOutput, r"returned spikes \[\(4, 7, 16\)\] and membrane \(4, 7, 10\)"),
    (NoTimeAxis, r"returned spikes \[\(7, 16\), \(7, 10\)\] and membrane \(4, 7, 10\)"),
    (BatchFirst, r"returned spikes \[\(7, 4, 16\), \(7, 4, 10\)\] and membrane \(7, 4, 10\)"),
    (Swapped, r"returned tuple \[\(4, 7, 10\), \[\(4, 7, 16\), \(4, 7, 10\)\]\]"),
])
def test_a_student_whose_run_breaks_its_contract_is_named_before_training(student, returned):
    with pytest.raises(ValueError, match=rf"{student.__name__}.run\(x, generator\) must return \(spikes, membrane\):"
                                         rf" a list of one spike tensor \(T, B, ...\) per block \(2\), the last"
                                         rf" \(T, B, 10\), and the output membrane \(T, B, 10\); (on 7 images )?it"
                                         rf" {returned}"):
        DistillationModule(student((784, 16, 10), steps=4))


class OwnDense(nn.Module):
    """A dense synapse layer of its own: a weight, and ``F.linear``."""

    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = nn.Parameter(0.1 * torch.randn(outputs, inputs))

    def forward(self, x):
        return nn.functional.linear(x, self.weight)


def test_a_student_without_counted_synapse_layers_is_refused_before_training():
    student = LeakyStudent([OwnDense(784, 16), OwnDense(16, 10)], steps=4)
    with pytest.raises(ValueError, match="LeakyStudent has no nn.Linear or nn.Conv2d: the synaptic operations and"
                                         " energy per image count those layers' calls"):
        DistillationModule(student)


class NoisyStudent(LIFStudent):
    """Adds noise drawn from torch's global stream to its input, whatever generator it is given."""

    def run(self, x, generator=None):
        return super().run((x + 0.1 * torch.rand(x.shape)).clamp(0, 1), generator)


def test_checking_the_student_draws_nothing_from_the_training_stream():
    student = NoisyStudent((784, 16, 10), steps=4)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    DistillationModule(student)
    assert torch.equal(torch.rand(3), expected)
