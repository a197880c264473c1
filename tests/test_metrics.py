import math

import pytest
import torch

from multigrade.metrics import METRICS, accuracy, check_metrics, evaluate, psnr, rel_l2, rse


def test_psnr_is_minus_ten_log_mse():
    target = torch.zeros(100, 3)
    prediction = torch.full((100, 3), 0.1)  # MSE 0.01 -> 20 dB
    assert psnr(target, prediction) == pytest.approx(20.0, abs=1e-6)
    assert psnr(target, torch.full((100, 3), 0.01)) == pytest.approx(40.0, abs=1e-6)


def test_accuracy_counts_argmax_agreements():
    target = torch.eye(4)
    prediction = torch.tensor([[0.9, 0.1, 0, 0], [0.8, 0.2, 0, 0], [0, 0, 2.0, 1], [0, 0, 0, -1.0]])
    assert accuracy(target, prediction) == pytest.approx(0.5)


def test_rse_is_relative_to_the_target_energy():
    target = torch.tensor([[3.0], [4.0]])
    assert rse(target, torch.zeros_like(target)) == 1.0
    assert rse(target, target * 0.9) == pytest.approx(0.01)


def test_the_relative_l2_error_of_a_complex_solution_in_two_columns():
    y = torch.tensor([[3.0, 4.0]])  # 3 + 4i, |y| = 5
    f = torch.tensor([[3.0, 3.0]])  # off by i
    assert rel_l2(y, f) == pytest.approx(1 / 5)
    assert not METRICS["rel_l2"].higher_is_better


def test_evaluate_names_split_and_metric_and_unknown_metrics_are_rejected():
    y = torch.eye(3)
    out = evaluate(("accuracy", "rse"), "val", y, y)
    assert out == {"val_accuracy": 1.0, "val_rse": 0.0}
    assert METRICS["psnr"].higher_is_better and not METRICS["rse"].higher_is_better
    with pytest.raises(ValueError, match="unknown metric.*'ssim'"):
        check_metrics(("rse", "ssim"))
    with pytest.raises(ValueError, match="name at least one metric"):
        check_metrics(())
    assert math.isinf(psnr(y, y))
