"""What a grade is (its spec) and what it achieved (its record)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class GradeSpec:
    """Hidden widths and activation(s) of one grade's stack, e.g. ([256, 256], "relu")
    or ([256, 256], ["sin", "relu"]) (one name per layer)."""

    widths: list[int]
    activation: str | list[str] = "relu"


@dataclass
class GradeRecord:
    """Cumulative metrics after a grade (relative squared errors of f_k on each split)."""

    grade: int
    train_rse: float
    val_rse: float
    test_rse: float
    seconds: float
    epochs: int
    final_loss: float
    schedule: dict = field(default_factory=dict)
    loss_history: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict:
        """The JSON-friendly fields (no loss history)."""
        out = asdict(self)
        out.pop("loss_history")
        return out
