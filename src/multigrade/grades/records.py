"""What a grade is (its spec) and what it achieved (its record)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from multigrade.grades.stair import HEADS, StairNetwork, check_activations, stack_builder


@dataclass(frozen=True)
class GradeSpec:
    """Hidden widths and activation(s) of one grade's stack, e.g. ([256, 256], "relu")
    or ([256, 256], ["sin", "relu"]) (one name per layer; a name may be the import path of
    one's own ``nn.Module``), and its output: ``linear`` (squared loss on the residual) or
    ``softmax`` (cross-entropy; P2's first classification grade); ``stack``, the import
    path of a function that builds the hidden stack instead of affine layers and
    activations (``stair.stack_builder``). Checked when made, so a misnamed activation or
    stack of a late grade stops a run before its first grade trains."""

    widths: list[int]
    activation: str | list[str] = "relu"
    output: str = "linear"
    stack: str | None = None

    def __post_init__(self) -> None:
        bad = [w for w in self.widths if isinstance(w, bool) or not isinstance(w, int) or w < 1]
        if bad:
            raise ValueError(f"a grade's hidden widths are positive integers; got {list(self.widths)}")
        if self.output not in HEADS:
            raise ValueError(f"unknown grade output {self.output!r}: choose one of {sorted(HEADS)}")
        check_activations(self.widths, self.activation)
        stack_builder(self.stack)


def check_buildable(grades: list[GradeSpec], in_features: int, out_features: int) -> None:
    """Build every grade once on a throwaway stair (torch's random state set aside), so a
    grade stack of one's own that fails to build, or builds the wrong width, stops a run
    before its first grade trains: a ``ValueError`` naming the grade."""
    with torch.random.fork_rng(devices=[]):
        stair = StairNetwork(in_features, out_features)
        for k, spec in enumerate(grades, start=1):
            try:
                stair.grow(spec.widths, spec.activation, spec.output, spec.stack)
            except (ValueError, TypeError, RuntimeError) as error:
                raise ValueError(f"grade {k}: {error}") from None


@dataclass
class GradeRecord:
    """Cumulative metrics of ``f_k`` after grade k, keyed ``<split>_<metric>``
    (e.g. ``test_rse``, ``test_psnr``), with the grade's time, epochs and final loss."""

    grade: int
    seconds: float
    epochs: int
    final_loss: float
    metrics: dict[str, float]
    schedule: dict = field(default_factory=dict)
    loss_history: np.ndarray | None = field(default=None, repr=False)

    FIELDS = ("grade", "seconds", "epochs", "final_loss", "schedule")

    def summary(self) -> dict:
        """The JSON-friendly fields with the metrics inlined (no loss history)."""
        return {**{name: getattr(self, name) for name in self.FIELDS}, **self.metrics}

    @classmethod
    def from_summary(cls, summary: dict, loss_history: np.ndarray | None = None) -> "GradeRecord":
        """Inverse of ``summary()``."""
        fields = {name: summary[name] for name in cls.FIELDS}
        metrics = {name: value for name, value in summary.items() if name not in cls.FIELDS}
        return cls(**fields, metrics=metrics, loss_history=loss_history)

    @classmethod
    def mean(cls, records: list["GradeRecord"]) -> "GradeRecord":
        """The same grade of several runs (seeds) as one record: metrics, final loss and
        loss history averaged; seconds, epochs and schedule those of the first."""
        first = records[0]
        histories = [r.loss_history for r in records]
        return cls(grade=first.grade, seconds=first.seconds, epochs=first.epochs,
                   final_loss=float(np.mean([r.final_loss for r in records])),
                   metrics={name: float(np.mean([r.metrics[name] for r in records])) for name in first.metrics},
                   schedule=first.schedule,
                   loss_history=None if any(h is None for h in histories) else np.mean(histories, axis=0))

    @staticmethod
    def std(records: list["GradeRecord"]) -> dict[str, float]:
        """The standard deviation (ddof 1; 0 for one record) over runs of each metric and
        of the final loss, for one grade."""
        ddof = 1 if len(records) > 1 else 0
        values = {name: [r.metrics[name] for r in records] for name in records[0].metrics}
        values["final_loss"] = [r.final_loss for r in records]
        return {name: float(np.std(v, ddof=ddof)) for name, v in values.items()}
