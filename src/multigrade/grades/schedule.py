"""Per-grade training settings and the papers' per-epoch exponential learning-rate decay."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class GradeSchedule:
    """How one grade is trained.

    ``lr(i) = lr_max * exp(-gamma * i)`` for epoch ``i`` (0-based), with
    ``gamma = ln(lr_max / lr_min) / epochs``, so the rate falls from ``lr_max`` towards
    ``lr_min`` over the grade (constant when they are equal). ``batch_size=None`` is
    full batch. Adam's moments start from zero for every grade.
    """

    epochs: int
    batch_size: int | None
    lr_max: float
    lr_min: float
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be positive or null (full batch), got {self.batch_size}")
        if not (self.lr_max > 0 and self.lr_min > 0):
            raise ValueError(f"lr_max and lr_min must be positive, got {self.lr_max}, {self.lr_min}")
        if self.lr_min > self.lr_max:
            raise ValueError(f"lr_min ({self.lr_min}) must not exceed lr_max ({self.lr_max})")

    @property
    def gamma(self) -> float:
        return math.log(self.lr_max / self.lr_min) / self.epochs

    def lr_factor(self, epoch: int) -> float:
        """``lr(epoch) / lr_max`` (the multiplier a LambdaLR applies)."""
        return math.exp(-self.gamma * epoch)

    def lr(self, epoch: int) -> float:
        """The learning rate of epoch ``epoch``'s steps, ``lr_max exp(-gamma epoch)``."""
        return self.lr_max * self.lr_factor(epoch)

    def full_batch(self, points: int) -> bool:
        """Whether every step sees all ``points`` rows (no batch size, or one that large)."""
        return self.batch_size is None or self.batch_size >= points

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def value_for_grade(value: Any, grade: int, name: str) -> Any:
    """``value`` itself, or its entry for ``grade`` (1-based) when it is a per-grade list."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if grade > len(value):
            raise ValueError(
                f"{name} lists {len(value)} per-grade values but grade {grade} was asked for: "
                f"give one value per grade, or a single value for all"
            )
        return value[grade - 1]
    return value


def grade_schedule(settings: dict[str, Any], grade: int) -> GradeSchedule:
    """The schedule of ``grade`` from settings whose values are scalars or per-grade lists."""
    fields = ("epochs", "batch_size", "lr_max", "lr_min")
    missing = [f for f in fields if f not in settings]
    if missing:
        raise ValueError(f"training settings lack {missing}; they need {list(fields)}")
    picked = {f: value_for_grade(settings[f], grade, f) for f in fields}
    picked["epochs"] = int(picked["epochs"])
    picked["lr_max"] = float(picked["lr_max"])
    picked["lr_min"] = float(picked["lr_min"])
    if picked["batch_size"] == "full":  # the name a command line can give (train.batch_size=full)
        picked["batch_size"] = None
    elif picked["batch_size"] is not None:
        try:
            picked["batch_size"] = int(picked["batch_size"])
        except ValueError:
            raise ValueError(f"batch_size must be a positive integer, full or null (full batch);"
                             f" got {picked['batch_size']!r}") from None
    return GradeSchedule(**picked)
