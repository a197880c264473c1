import re

import pytest
import torch
from torch import nn

from conftest import job_config
from multigrade.errors import ConfigError
from multigrade.grades.records import GradeSpec, check_buildable
from multigrade.grades.stair import Sine, StairNetwork, activation_class, hidden_stack
from multigrade.run import run
from multigrade.settings import grade_specs


def stair_with(grades: int, seed: int = 0) -> StairNetwork:
    torch.manual_seed(seed)
    stair = StairNetwork(in_features=1, out_features=2)
    for _ in range(grades):
        stair.grow([8, 8], "relu")
    return stair


def test_prediction_is_the_sum_of_grade_outputs():
    stair = stair_with(3)
    x = torch.rand(50, 1)
    outputs = stair.grade_outputs(x)
    assert outputs.shape == (3, 50, 2)
    torch.testing.assert_close(stair(x), outputs[0] + outputs[1] + outputs[2], rtol=0, atol=0)


def test_grade_output_chains_hidden_stacks_but_not_heads():
    stair = stair_with(2)
    x = torch.rand(20, 1)
    phi1 = stair.hidden[0](x)
    expected = stair.heads[1](stair.hidden[1](phi1))
    torch.testing.assert_close(stair.grade_outputs(x)[1], expected, rtol=0, atol=0)


def test_backbone_is_frozen_and_shares_the_grades_parameters():
    stair = stair_with(2)
    backbone = stair.backbone()
    assert all(not p.requires_grad for p in backbone.parameters())
    assert not any(m.training for m in backbone.modules())
    assert {id(p) for p in backbone.parameters()} <= {id(p) for p in stair.parameters()}
    x = torch.rand(10, 1)
    torch.testing.assert_close(backbone(x), stair.hidden[1](stair.hidden[0](x)), rtol=0, atol=0)
    assert torch.equal(stair.backbone(0)(x), x)


def test_a_new_grade_takes_the_last_hidden_width_as_input():
    stair = StairNetwork(3, 1)
    stair.grow([16, 4], "relu")
    stack, head = stair.grow([5], "sin")
    assert stack[0].in_features == 4 and head.in_features == 5
    assert stair.specs == [{"widths": [16, 4], "activation": "relu", "output": "linear"},
                           {"widths": [5], "activation": "sin", "output": "linear"}]


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu"):
        hidden_stack(1, [4], "swish")


def test_an_activation_may_be_the_import_path_of_a_module_class():
    stack = hidden_stack(1, [4, 4], ["multigrade.grades.stair.Sine", "relu"])
    assert isinstance(stack[1], Sine) and isinstance(stack[3], nn.ReLU)
    x = torch.linspace(-1, 1, 5)[:, None]
    assert torch.equal(stack[:2](x), torch.sin(stack[0](x)))


@pytest.mark.parametrize(("name", "message"), [
    ("no_such_package.Snake", "No module named 'no_such_package'; is its module's folder on PYTHONPATH"),
    ("multigrade.grades.stair.Snake", "multigrade.grades.stair has no 'Snake'"),
    ("multigrade.grades.stair.hidden_stack", "is not an nn.Module class"),
])
def test_an_activation_that_cannot_be_imported_is_named(name, message):
    with pytest.raises(ValueError, match=re.escape(f"activation {name!r}") + ".*" + re.escape(message)):
        activation_class(name)


def test_a_misnamed_activation_of_a_late_grade_is_refused_before_any_grade_trains():
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        GradeSpec([8, 8], ["relu", "rleu"])
    with pytest.raises(ValueError, match="2 hidden layers but 1 activations"):
        GradeSpec([8, 8], ["relu"])
    with pytest.raises(ConfigError, match=r"model \(architecture.mgdl\): unknown activation 'rleu'"):
        grade_specs(job_config("experiment=p1_synthetic_s2", "model.activation=[relu,relu,relu,rleu]"))


def test_an_activation_that_needs_arguments_or_a_missing_dependency_is_named(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"activation 'torch.nn.Threshold' must be built without arguments: .*"
                                         r"missing 2 required positional arguments"):
        GradeSpec([8], "torch.nn.Threshold")
    (tmp_path / "needs_more.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError) as error:
        activation_class("needs_more.Snake")
    assert str(error.value) == "activation 'needs_more.Snake': No module named 'no_such_dependency'"


class Doubled(nn.Module):
    """``[z, z]``: (N, d) -> (N, 2d), with a constant buffer."""

    def __init__(self):
        super().__init__()
        self.register_buffer("copies", torch.tensor(2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z.repeat(1, int(self.copies))


def doubling_stack(in_features: int, widths: list[int], activations) -> nn.Module:
    """Affine layers of ``widths`` whose output is doubled: (N, in) -> (N, 2 widths[-1])."""
    return nn.Sequential(hidden_stack(in_features, widths, activations), Doubled())


def halving_stack(in_features: int, widths: list[int], activations) -> nn.Module:
    """Layers to widths[-1] / 2, doubled back: (N, in) -> (N, widths[-1])."""
    return doubling_stack(in_features, [*widths[:-1], widths[-1] // 2], activations)


def test_a_grade_stack_of_ones_own_builds_the_hidden_layers_and_is_recorded():
    stair = StairNetwork(3, 1)
    stack, head = stair.grow([8, 4], "tanh", stack=f"{__name__}.halving_stack")
    x = torch.rand(5, 3)
    features = stack(x)
    assert features.shape == (5, 4) and torch.equal(features[:, :2], features[:, 2:])
    assert head.in_features == 4 and stair.feature_width == 4
    assert stair.specs[0] == {"widths": [8, 4], "activation": "tanh", "output": "linear",
                              "stack": f"{__name__}.halving_stack"}
    stair.grow([6], "relu")  # the next grade takes phi_1 (N, 4) as usual
    assert stair(x).shape == (5, 1) and "stack" not in stair.specs[1]


def test_a_grade_stack_of_the_wrong_width_or_name_is_refused():
    with pytest.raises(ValueError, match=r"stack 'test_stair.doubling_stack' maps \(N, 3\) to \(8,\) per row, not"
                                         r" \(4,\): the last width"):
        StairNetwork(3, 1).grow([8, 4], "relu", stack=f"{__name__}.doubling_stack")
    with pytest.raises(ValueError, match="stack 'multigrade.grades.stair.ACTIVATIONS' is not callable"):
        GradeSpec([8], "relu", stack="multigrade.grades.stair.ACTIVATIONS")
    with pytest.raises(ConfigError, match=r"model \(architecture.mgdl\): stack 'no_such.stack': No module named"):
        grade_specs(job_config("experiment=p1_synthetic_s2", "model.stack=[null,null,null,no_such.stack]"))


def function_stack(in_features: int, widths: list[int], activations):
    """A function where a module belongs."""
    return lambda z: z


def broken_stack(in_features: int, widths: list[int], activations) -> nn.Module:
    """A first layer that takes the wrong input width: fails on any batch."""
    return hidden_stack(in_features + 1, widths, activations)


class Pairs(nn.Module):
    """An activation that changes the shape: (N, d) -> (N, d / 2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, ::2]


@pytest.mark.parametrize("stack, activation, message", [
    ("function_stack", "relu", r"stack 'test_stair.function_stack' returned a function, not an nn.Module mapping"
                               r" \(N, 3\) to \(N, 4\)"),
    ("broken_stack", "relu", r"stack 'test_stair.broken_stack' fails on a probe of shape \(2, 3\): RuntimeError:"
                             r" mat1 and mat2 shapes cannot be multiplied"),
    (None, f"{__name__}.Pairs", r"the stack of affine layers and activations 'test_stair.Pairs' maps \(N, 3\) to"
                                r" \(2,\) per row, not \(4,\)"),
])
def test_a_grade_stack_that_is_no_module_fails_or_changes_the_width_is_named_before_training(stack, activation,
                                                                                                message):
    spec = GradeSpec([4], activation, stack=None if stack is None else f"{__name__}.{stack}")
    with pytest.raises(ValueError, match=r"grade 1: " + message):
        check_buildable([spec], 3, 1)


class RandomSlope(nn.Module):
    """``a x``, ``a`` drawn from torch's generator when built."""

    def __init__(self):
        super().__init__()
        self.slope = nn.Parameter(torch.randn(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.slope * x


def noisy_stack(in_features: int, widths: list[int], activations) -> nn.Module:
    """Affine layers, batch normalisation and dropout: a forward in training mode changes the
    running statistics and draws from torch's generator."""
    return nn.Sequential(hidden_stack(in_features, widths, activations), nn.BatchNorm1d(widths[-1]), nn.Dropout(0.5))


def test_checking_a_grade_draws_nothing_from_its_seeded_stream():
    torch.manual_seed(0)
    expected = [nn.Linear(1, 4), RandomSlope(), nn.Linear(4, 3), RandomSlope(), nn.Linear(3, 2)]  # as built alone
    torch.manual_seed(0)
    GradeSpec([4, 3], f"{__name__}.RandomSlope")  # the check builds the activations too
    stair = StairNetwork(1, 2)
    stack, head = stair.grow([4, 3], f"{__name__}.RandomSlope")
    for built, alone in zip([*stack, head], expected):
        for (name, value), (_, reference) in zip(built.named_parameters(), alone.named_parameters()):
            assert torch.equal(value, reference), name
    torch.manual_seed(0)
    stack, head = StairNetwork(1, 2).grow([4, 3], "relu", stack=f"{__name__}.noisy_stack")
    torch.manual_seed(0)
    alone = noisy_stack(1, [4, 3], "relu"), nn.Linear(3, 2)
    assert torch.equal(head.weight, alone[1].weight)  # the probe drew nothing before the head
    assert int(stack[1].num_batches_tracked) == 0 and stack.training  # nor changed the stack


def test_a_late_grade_stack_of_the_wrong_width_stops_the_run_before_any_grade_trains(tmp_path):
    cfg = job_config("experiment=p2_sin", "profile=smoke", f"model.stack=[null,null,{__name__}.doubling_stack]",
                     f"paths.output_dir={tmp_path}", "logger=none")
    with pytest.raises(ConfigError, match=r"model \(architecture.mgdl\): grade 3: stack 'test_stair.doubling_stack'"
                                          r" maps \(N, \d+\) to"):
        run(cfg)
    assert not (tmp_path / "checkpoints").exists()
