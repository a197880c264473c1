"""Adaptive grading: grades are added one at a time until the model is good enough.

After grade k the validation value ``v_k`` of the data's headline metric decides:

* ``target``: ``v_k`` reached ``target`` (``v_k <= target`` for an error such as RSE,
  ``v_k >= target`` for PSNR or accuracy): stop, the model is good enough;
* ``stalled``: grade k improved on grade k-1 by less than the fraction
  ``min_improvement``, ``(v_{k-1} - v_k) / |v_{k-1}| < min_improvement`` (signs flipped
  where higher is better): stop, more grades of this shape do not help;
* ``max_grades``: k reached ``max_grades``: stop;
* else train grade k + 1.

Every grade trained is kept (the last one too, when it stalled): the run's records show
what each grade did.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from multigrade.grades.records import GradeRecord
from multigrade.metrics import METRICS


@dataclass(frozen=True)
class AdaptiveGrading:
    """When to stop adding grades, judged on the validation value of ``metric`` (a name
    in ``METRICS``, e.g. ``rse``)."""

    metric: str
    max_grades: int
    target: float | None = None
    min_improvement: float = 0.0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}: choose from {sorted(METRICS)}")
        if isinstance(self.max_grades, bool) or not isinstance(self.max_grades, int) or self.max_grades < 1:
            raise ValueError(f"max_grades must be a positive integer; got {self.max_grades!r}")
        if not 0 <= self.min_improvement < 1:
            raise ValueError(f"min_improvement is a fraction in [0, 1); got {self.min_improvement!r}")

    def stop(self, records: list[GradeRecord]) -> tuple[str, str] | None:
        """``(reason, explanation)`` when no grade should follow ``records``, else None."""
        name = f"val_{self.metric}"
        k, value = len(records), records[-1].metrics[name]
        better = 1.0 if METRICS[self.metric].higher_is_better else -1.0
        if self.target is not None and better * (value - self.target) >= 0:
            return "target", f"{name} {value:.4g} after grade {k} reached the target {self.target:g}"
        if k > 1:
            previous = records[-2].metrics[name]
            gain = better * (value - previous) / max(abs(previous), 1e-300)
            if gain < self.min_improvement:
                return "stalled", (f"grade {k} changed {name} from {previous:.4g} to {value:.4g}, a gain of"
                                   f" {gain:.3g} < min_improvement {self.min_improvement:g}")
        if k >= self.max_grades:
            return "max_grades", f"{k} grades trained, the maximum (max_grades)"
        return None

    def summary(self, records: list[GradeRecord]) -> dict:
        """What ``metrics.json`` records of the grading: the settings, why it stopped, and
        the grades trained."""
        stopped = self.stop(records)
        return {**asdict(self), "grades": len(records), "stopped": stopped[0] if stopped else None,
                "why": stopped[1] if stopped else "the run ended before a stopping rule applied"}
