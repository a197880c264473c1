"""Metrics of a prediction ``f`` (N, m) against targets ``y`` (N, m), over all entries.

* ``rse``: relative squared error ``sum (y - f)^2 / sum y^2`` (lower is better);
* ``rel_l2``: relative L2 error ``sqrt(sum (y - f)^2 / sum y^2)`` (lower is better; for a
  complex solution stored as (real, imaginary) columns, the complex relative L2 error);
* ``psnr``: ``-10 log10(mean (y - f)^2)`` in dB, for values in [0, 1] (higher is better);
* ``accuracy``: the fraction of rows whose ``argmax f`` is ``argmax y`` (higher is better).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


def rse(target: torch.Tensor, prediction: torch.Tensor) -> float:
    """Relative squared error ``sum (y - f)^2 / sum y^2`` over all entries."""
    target, prediction = target.double(), prediction.double()
    return float((target - prediction).square().sum() / target.square().sum())


def rel_l2(target: torch.Tensor, prediction: torch.Tensor) -> float:
    """Relative L2 error ``sqrt(sum (y - f)^2 / sum y^2)`` over all entries."""
    return rse(target, prediction) ** 0.5


def psnr(target: torch.Tensor, prediction: torch.Tensor) -> float:
    """Peak signal-to-noise ratio ``-10 log10(MSE)`` in dB for signals in [0, 1]."""
    mse = (target.double() - prediction.double()).square().mean()
    return float(-10.0 * torch.log10(mse))


def accuracy(target: torch.Tensor, prediction: torch.Tensor) -> float:
    """Fraction of rows with ``argmax prediction == argmax target`` (one-hot targets)."""
    return float((prediction.argmax(dim=1) == target.argmax(dim=1)).double().mean())


@dataclass(frozen=True)
class Metric:
    """A metric's function, its label in reports, and which way is better."""

    compute: Callable[[torch.Tensor, torch.Tensor], float]
    label: str
    higher_is_better: bool


METRICS: dict[str, Metric] = {
    "rse": Metric(rse, "RSE", False),
    "rel_l2": Metric(rel_l2, "relative L2 error", False),
    "psnr": Metric(psnr, "PSNR (dB)", True),
    "accuracy": Metric(accuracy, "accuracy", True),
}


def check_metrics(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``names`` as a tuple, or a ``ValueError`` naming the unknown metric."""
    if not names:
        raise ValueError(f"name at least one metric, from {sorted(METRICS)}")
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown!r}: choose from {sorted(METRICS)}")
    return tuple(names)


def evaluate(names: tuple[str, ...], split: str, target: torch.Tensor,
             prediction: torch.Tensor) -> dict[str, float]:
    """``{"<split>_<name>": value}`` for each metric name."""
    return {f"{split}_{name}": METRICS[name].compute(target, prediction) for name in names}
