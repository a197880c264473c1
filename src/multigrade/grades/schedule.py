"""Per-grade training settings and the papers' per-epoch exponential learning-rate decay."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from multigrade.errors import refusal


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
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise refusal("epochs", "a positive integer", self.epochs)
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int)
                                            or self.batch_size < 1):
            raise refusal("batch_size", "a positive integer, full or null (full batch)", self.batch_size)
        for name in ("lr_max", "lr_min"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise refusal(name, "a positive number", value)
            object.__setattr__(self, name, float(value))
        if self.lr_min > self.lr_max:
            raise refusal("lr_min", f"at most lr_max ({self.lr_max:g}): the rate decays", self.lr_min)

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
            raise refusal(name, f"one value for all grades, or one per grade (grade {grade} was asked for)",
                          list(value))
        return value[grade - 1]
    return value


FIELDS = ("epochs", "batch_size", "lr_max", "lr_min")


def grade_schedule(settings: dict[str, Any], grade: int) -> GradeSchedule:
    """The schedule of ``grade`` from settings whose values are scalars or per-grade lists
    (a batch size ``full`` is full batch, as a command line gives it)."""
    missing = [f for f in FIELDS if f not in settings]
    if missing:
        raise ValueError(f"training settings lack {missing}; they need {list(FIELDS)}")
    picked = {f: value_for_grade(settings[f], grade, f) for f in FIELDS}
    if picked["batch_size"] == "full":
        picked["batch_size"] = None
    return GradeSchedule(**picked)
