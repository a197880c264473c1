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


EXPERIMENTS: dict[str, str] = {
    "p1_synthetic_s1": "P1 §3.1 synthetic, setting 1 (constant amplitudes)",
    "p1_synthetic_s2": "P1 §3.1 synthetic, setting 2 (decreasing amplitudes)",
    "p1_synthetic_s3": "P1 §3.1 synthetic, setting 3 (varying amplitudes)",
    "p1_synthetic_s4": "P1 §3.1 synthetic, setting 4 (increasing amplitudes)",
    **{
        f"p1_manifold_{kind}_q{q}": f'P1 §3.2 manifold, target "{kind}", curve q = {q}'
        for kind in ("increase", "vary")
        for q in (0, 4)
    },
    **{
        f"p2_{name}{suffix}": f"P2 regression, {formula}{', noisy' if suffix else ''}"
        for name, formula in (("sin", "sin(100x)"), ("xsin", "x sin(100x)"), ("composite", "(x+1) f(x)"))
        for suffix in ("", "_noisy")
    },
}

# Experiments left out of a plain `make reproduce` (they run when ONLY names them), and why.
NOT_BY_DEFAULT: dict[str, str] = {
    "p1_manifold": (
        "P1 §3.2 (manifold) runs only with ONLY=p1_manifold: within 300 epochs per grade on a"
        " CPU neither MGDL nor SGDL learns its targets (P1's own grade 1 reaches test RSE"
        " 0.97 after 30000 full-batch epochs), so the quick profile shows nothing yet; the"
        " paper profile is the one to run"
    ),
}

PLAN: list[PlannedRun] = [
    PlannedRun(experiment, model, title)
    for experiment, title in EXPERIMENTS.items()
    for model in ("mgdl", "sgdl")
]


def left_out(only: str | None) -> dict[str, str]:
    """The experiment prefixes a selection leaves out by default, with the reasons."""
    return {} if only else dict(NOT_BY_DEFAULT)


def select(only: str | None) -> list[PlannedRun]:
    """The planned runs whose experiment starts with one of the comma-separated prefixes;
    without prefixes, every run but those ``NOT_BY_DEFAULT``."""
    if not only:
        return [run for run in PLAN if not run.experiment.startswith(tuple(NOT_BY_DEFAULT))]
    prefixes = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [run for run in PLAN if any(run.experiment.startswith(p) for p in prefixes)]
    if not chosen:
        raise SystemExit(f"ONLY={only!r} selects no experiment; known experiments: {', '.join(EXPERIMENTS)}")
    return chosen
