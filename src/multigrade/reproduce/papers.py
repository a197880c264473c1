"""The papers' logged numbers (P1 = Fang & Xu, NeurIPS 2024), for the report's tables.

Each entry: per-grade test RSE (MGDL) or the final one (SGDL), final train/val RSE where
logged, wall time in seconds, and the source. Missing values are not published.
"""

from __future__ import annotations

PAPER: dict[tuple[str, str], dict] = {
    ("p1_synthetic_s1", "sgdl"): {"test_rse": [0.1181], "source": "P1, logged output"},
    ("p1_synthetic_s2", "mgdl"): {
        "test_rse": [0.6662, 0.08064, 1.964e-4, 6.537e-6],
        "train_rse": 1.474e-6,
        "val_rse": 3.992e-6,
        "seconds": 27629.0,
        "source": "P1, logged output (NumPy, CPU)",
    },
    ("p1_synthetic_s2", "sgdl"): {
        "train_rse": 5.777e-3,
        "val_rse": 5.869e-3,
        "seconds": 32054.0,
        "source": "P1, logged output (NumPy, CPU)",
    },
}

BORROWED_SCHEDULE = (
    "P1 logs the training settings of setting 2 only; the paper profile uses them here too"
    " (MGDL batch 256, LR 1e-4; SGDL batch 256, LR 5e-4 -> 1e-4; 30000 epochs)."
)

NOTES: dict[str, str] = {
    "p1_synthetic_s1": BORROWED_SCHEDULE,
    "p1_synthetic_s3": BORROWED_SCHEDULE,
    "p1_synthetic_s4": BORROWED_SCHEDULE + " Setting 4 has 5 grades and a 10-layer SGDL, as in P1.",
}


def paper_numbers(experiment: str, model: str) -> dict:
    """The logged numbers for (experiment, model); empty when the papers publish none."""
    return PAPER.get((experiment, model), {})
