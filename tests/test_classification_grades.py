"""P2's classification grades: a softmax first grade trained by cross-entropy, then linear
grades on the residual one-hot - f_{k-1} with squared loss."""

import numpy as np
import pytest
import torch

from conftest import cpu_trainers, fit_model
from multigrade.data.regression import RegressionData
from multigrade.grades.loop import predict
from multigrade.grades.module import GradeModule
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import SoftmaxHead, StairNetwork


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian classes in 2D whose labels are one-hot rows."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 3, n)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    return centres[labels] + rng.randn(n, 2), np.eye(3)[labels]


def blob_data() -> RegressionData:
    return RegressionData.from_arrays("blobs", {s: blobs(n, i) for i, (s, n) in
                                                enumerate((("train", 600), ("val", 200), ("test", 200)))},
                                      metrics=("accuracy", "rse"))


def test_a_softmax_grade_outputs_probabilities_and_trains_on_cross_entropy():
    stair = StairNetwork(2, 3)
    torch.manual_seed(0)
    stack, head = stair.grow([8], "relu", "softmax")
    assert isinstance(head, SoftmaxHead)
    x, y = (torch.as_tensor(a, dtype=torch.float32) for a in blobs(50, 0))
    torch.testing.assert_close(stair(x).sum(dim=1), torch.ones(50))
    prior = torch.zeros_like(y)
    module = GradeModule(stack, head, x, y - prior, y, prior, GradeSchedule(1, None, 1e-3, 1e-3), grade=1, seed=0)
    logits = head.logits(stack(x))
    expected = -(y * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    torch.testing.assert_close(module.loss(x, y), expected)
    squared = 0.5 * (y - stair(x)).square().sum(dim=1).mean()
    assert not torch.isclose(module.loss(x, y), squared)


def test_later_linear_grades_fit_the_residual_and_accuracy_is_of_the_sum():
    data = blob_data()
    specs = [GradeSpec([16], "relu", "softmax"), GradeSpec([16], "relu", "linear")]
    schedules = [GradeSchedule(30, 64, 1e-2, 1e-3)] * 2
    stair, records = fit_model(data, specs, schedules, cpu_trainers(), seed=0)
    assert [s["output"] for s in stair.specs] == ["softmax", "linear"]
    assert records[0].metrics["test_accuracy"] > 0.85
    assert records[1].metrics["train_rse"] < records[0].metrics["train_rse"]
    prediction = predict(stair, data.x_test)
    agree = (prediction.argmax(1) == data.y_test.argmax(1)).double().mean().item()
    assert records[1].metrics["test_accuracy"] == pytest.approx(agree)


def test_a_softmax_head_on_a_residual_that_is_no_distribution_is_refused():
    data = blob_data()
    specs = [GradeSpec([8], "relu", "linear"), GradeSpec([8], "relu", "softmax")]
    with pytest.raises(ValueError, match="grade 2 has a softmax head, but its residual targets are not class"):
        fit_model(data, specs, [GradeSchedule(2, 64, 1e-3, 1e-3)] * 2, cpu_trainers(), seed=0)


def test_an_unknown_output_is_rejected():
    with pytest.raises(ValueError, match="unknown grade output 'sigmoid'"):
        GradeSpec([8], "relu", "sigmoid")
