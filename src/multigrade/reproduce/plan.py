"""Which runs make up the reproduction, and how to select a subset of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedRun:
    """One run: an experiment config and a model (``mgdl`` or ``sgdl``)."""

    experiment: str
    model: str
    title: str

    @property
    def key(self) -> str:
        return f"{self.experiment}/{self.model}"


SYNTHETIC_TITLES = {
    1: "P1 §3.1 synthetic, setting 1 (constant amplitudes)",
    2: "P1 §3.1 synthetic, setting 2 (decreasing amplitudes)",
    3: "P1 §3.1 synthetic, setting 3 (varying amplitudes)",
    4: "P1 §3.1 synthetic, setting 4 (increasing amplitudes)",
}

PLAN: list[PlannedRun] = [
    PlannedRun(f"p1_synthetic_s{s}", model, title)
    for s, title in SYNTHETIC_TITLES.items()
    for model in ("mgdl", "sgdl")
]


def select(only: str | None) -> list[PlannedRun]:
    """The planned runs whose experiment starts with one of the comma-separated prefixes."""
    if not only:
        return list(PLAN)
    prefixes = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [run for run in PLAN if any(run.experiment.startswith(p) for p in prefixes)]
    if not chosen:
        known = sorted({run.experiment for run in PLAN})
        raise SystemExit(f"ONLY={only!r} selects no experiment; known experiments: {', '.join(known)}")
    return chosen
