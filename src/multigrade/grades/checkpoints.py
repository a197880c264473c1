"""Grade checkpoints: a grade is done when ``grade_<k>.pt`` is in place.

Each file holds the stair network up to grade k, the grade's record and loss history,
what identifies the run (data, seed, the grade's architecture and schedule) and the state
of stateful callbacks, written atomically. A run started again into the same folder loads
the completed grades and trains only the rest; since every random draw is a function of
(seed, grade, epoch), it ends where an uninterrupted run ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import torch

from multigrade.grades.records import GradeRecord, GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import StairNetwork, freeze
from multigrade.io import save_torch


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class CheckpointError(RuntimeError):
    """A grade checkpoint cannot be read or belongs to another run."""


def grade_path(directory: Path, grade: int) -> Path:
    return Path(directory) / f"grade_{grade}.pt"


def save_grade(directory: Path, stair: StairNetwork, record: GradeRecord, identity: dict[str, Any],
               stateful: dict[str, Stateful]) -> Path:
    """Write ``grade_<k>.pt`` for the stair's last grade (k = ``record.grade``)."""
    path = grade_path(directory, record.grade)
    save_torch(path, {
        "grade": record.grade,
        "specs": stair.specs,
        "in_features": stair.in_features,
        "out_features": stair.out_features,
        "state_dict": {name: value.detach().cpu() for name, value in stair.state_dict().items()},
        "record": record.summary(),
        "loss_history": torch.as_tensor(record.loss_history),
        "identity": identity,
        "callbacks": {name: obj.state_dict() for name, obj in stateful.items()},
    })
    return path


def read_grade(path: Path) -> dict[str, Any]:
    """The payload of one grade checkpoint, or a ``CheckpointError`` saying what to do."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise CheckpointError(
            f"cannot read the grade checkpoint {path} ({type(error).__name__}); it is"
            f" corrupt or not a multigrade checkpoint: delete it (the grade is then trained again)"
        ) from None


def restore_grades(directory: Path | None, stair: StairNetwork, grades: list[GradeSpec],
                   schedules: list[GradeSchedule], identity: dict[str, Any],
                   stateful: dict[str, Stateful]) -> list[GradeRecord]:
    """Load the completed grades 1..k found in ``directory`` into ``stair`` (frozen) and
    into the stateful callbacks; return their records (empty when there are none)."""
    if directory is None:
        return []
    records: list[GradeRecord] = []
    payload = None
    for k, (spec, schedule) in enumerate(zip(grades, schedules), start=1):
        path = grade_path(directory, k)
        if not path.is_file():
            break
        payload = read_grade(path)
        expected = {"spec": {"widths": list(spec.widths), "activation": spec.activation,
                             "output": spec.output},
                    "schedule": schedule.as_dict(), **identity}
        found = {"spec": {"output": "linear", **payload["specs"][-1]},  # older files: linear heads
                 "schedule": payload["record"]["schedule"],
                 **payload["identity"]}
        if found != expected:
            raise CheckpointError(
                f"{path} was written by a different run (it has {found}, this run needs"
                f" {expected}): choose a fresh paths.output_dir or delete {Path(directory)}"
            )
        records.append(GradeRecord.from_summary(payload["record"], payload["loss_history"].numpy()))
    if payload is None:
        return []
    for spec in grades[: len(records)]:
        stair.grow(spec.widths, spec.activation, spec.output)
    stair.load_state_dict(payload["state_dict"])
    freeze(stair)
    for name, obj in stateful.items():
        obj.load_state_dict(payload["callbacks"][name])
    return records
