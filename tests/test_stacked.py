"""Models trained as one stacked model (seeds, and learning rates) take the steps each takes
trained alone."""

import pickle

import numpy as np
import pytest
import torch

from conftest import cpu_trainers, fit_model, fit_models
from multigrade.data.synthetic import p1_synthetic
from multigrade.errors import NonFiniteLossError
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import activation

SEEDS = [0, 1, 5]
RATES = [(1e-3, 1e-4), (3e-3, 1e-3), (1e-2, 1e-4)]  # (lr_max, lr_min) of the models in the second case


@pytest.mark.parametrize("batch_size, epochs, rates", [(64, 6, RATES[:1] * 3), (None, 40, RATES[:1] * 3),
                                                       (64, 6, RATES)],
                         ids=["seeds_minibatch", "seeds_full_batch", "seeds_and_learning_rates"])
def test_stacked_models_match_their_separate_runs(batch_size, epochs, rates):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades = [GradeSpec([16, 16])] * 2
    schedules = [[GradeSchedule(epochs, batch_size, *pair)] * 2 for pair in rates]
    stacked = fit_models(data, grades, schedules, cpu_trainers(), SEEDS)
    finals = []
    for seed, own, (stair, records) in zip(SEEDS, schedules, stacked):
        alone_stair, alone = fit_model(data, grades, own, cpu_trainers(), seed=seed)
        assert [r.schedule for r in records] == [schedule.as_dict() for schedule in own]
        for a, s in zip(alone, records):
            np.testing.assert_allclose(s.loss_history, a.loss_history, rtol=1e-5)
            assert s.metrics == pytest.approx(a.metrics, rel=1e-5)
        for name, value in alone_stair.state_dict().items():
            torch.testing.assert_close(stair.state_dict()[name], value, rtol=1e-4, atol=1e-6)
        assert records[0].loss_history[-1] < records[0].loss_history[0]  # it learns
        finals.append(records[-1].final_loss)
    assert len(set(finals)) == len(SEEDS)  # the seeds are different models


@pytest.mark.parametrize("other, field", [(GradeSchedule(7, 64, 1e-3, 1e-4), "epochs"),
                                          (GradeSchedule(6, 32, 1e-3, 1e-4), "batch_size")])
def test_models_side_by_side_differ_in_learning_rates_only(other, field):
    data = p1_synthetic(2, n_train=200, n_val=50, n_test=50)
    schedules = [[GradeSchedule(6, 64, 1e-3, 1e-4)], [other]]
    with pytest.raises(ValueError, match=f"grade 1: models trained side by side share {field}"):
        fit_models(data, [GradeSpec([8])], schedules, cpu_trainers(), [0, 1])
    with pytest.raises(ValueError, match="seeds must be different integers .or the models' schedules must differ.;"
                                         " got \\[0, 0\\]"):
        fit_models(data, [GradeSpec([8])], [schedules[0]] * 2, cpu_trainers(), [0, 0])


def test_stacked_adam_takes_each_models_adam_steps_at_its_own_rate():
    from multigrade.grades.stacked_adam import StackedAdam
    generator = torch.Generator().manual_seed(0)
    rates = torch.tensor([1e-3, 1e-2, 3e-2], dtype=torch.float64)
    stacked = [torch.nn.Parameter(torch.randn(3, 5, 4, generator=generator)),
               torch.nn.Parameter(torch.randn(3, 4, generator=generator))]
    alone = [[torch.nn.Parameter(p[s].detach().clone()) for p in stacked] for s in range(3)]
    start = stacked[0].detach().clone()
    optimizer = StackedAdam(stacked, rates)
    references = [torch.optim.Adam(params, lr=float(rate)) for params, rate in zip(alone, rates)]
    for _ in range(100):
        grads = [torch.randn(p.shape, generator=generator) for p in stacked]
        for param, grad in zip(stacked, grads):
            param.grad = grad
        optimizer.step()
        for s, reference in enumerate(references):
            for param, grad in zip(alone[s], grads):
                param.grad = grad[s].clone()
            reference.step()
    for s in range(3):
        for param, own in zip(stacked, alone[s]):
            torch.testing.assert_close(param[s].detach(), own.detach(), rtol=0, atol=1e-6)
    moved = (stacked[0].detach() - start).abs().mean(dim=(1, 2))
    assert float(moved[2] / moved[0]) > 10  # each model moved at its own rate
    with pytest.raises(ValueError, match="not a stack of 2 models"):
        StackedAdam(stacked, rates[:2])


class ScaledSine(torch.nn.Module):
    """``sin(3 x)``, its 3 a buffer: an activation of one's own with a constant tensor."""

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor(3.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.scale * x)


def normalised_stack(in_features: int, widths: list[int], activations: str) -> torch.nn.Module:
    """Linear layers, each batch-normalised before its activation: buffers updated in
    training. No bias before the normalisation: its gradient is zero up to rounding, which
    Adam would scale into steps of the full learning rate, in other directions for a
    batched product than for a single one."""
    layers, fan_in = [], in_features
    for width in widths:
        layers += [torch.nn.Linear(fan_in, width, bias=False), torch.nn.BatchNorm1d(width), activation(activations)]
        fan_in = width
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("spec", [GradeSpec([16, 16], f"{__name__}.ScaledSine"),
                                  GradeSpec([16, 16], "tanh", stack=f"{__name__}.normalised_stack")],
                         ids=["constant_buffer", "batch_norm_statistics"])
def test_buffers_train_stacked_as_alone(spec):
    """Batch normalisation is scale invariant in its layer's weights, whose gradient along
    them is zero up to rounding: Adam's steps there differ with the rounding, to 1e-4."""
    data = p1_synthetic(2, n_train=300, n_val=50, n_test=50)
    grades = [spec] * 2
    schedules = [GradeSchedule(4, 64, 1e-3, 1e-4)] * 2
    stacked = fit_models(data, grades, [schedules] * 2, cpu_trainers(), [0, 1])
    for seed, (stair, records) in zip([0, 1], stacked):
        alone_stair, alone = fit_model(data, grades, schedules, cpu_trainers(), seed=seed)
        for a, s in zip(alone, records):
            np.testing.assert_allclose(s.loss_history, a.loss_history, rtol=1e-4)
            assert s.metrics == pytest.approx(a.metrics, rel=1e-4)
        buffers = dict(stair.named_buffers())
        for name, value in alone_stair.named_buffers():
            torch.testing.assert_close(buffers[name], value, rtol=1e-4, atol=1e-4)
    if spec.stack is not None:  # the running statistics moved: 2 grades x 4 epochs x 5 minibatches
        assert int(stair.hidden[1][1].num_batches_tracked) == 20
        assert stair.hidden[1][1].running_var.min() < 0.9


def test_a_diverging_model_side_by_side_is_named_by_its_index():
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    schedules = [[GradeSchedule(3, 64, lr, lr)] for lr in (1e-3, 1e30, 2e-3)]
    with pytest.raises(NonFiniteLossError, match=r"grade 1: the training loss is model 1: nan at epoch 3, not finite"
                                                 r" since epoch 1 \(learning rate 1e\+30 there\);") as error:
        fit_models(data, [GradeSpec([16])], schedules, cpu_trainers(), [0, 0, 1], check_every=3)
    assert error.value.models == [1]
    crossed = pickle.loads(pickle.dumps(error.value))  # as a job's error returns from another process
    assert (str(crossed), crossed.models) == (str(error.value), [1])
