"""Grade checkpoints: a grade is done when ``grade_<k>.pt`` is in place.

Each file holds the stair network up to grade k, the grade's record and loss history,
what identifies the run (data, seed, the grade's architecture and schedule) and the state
of stateful callbacks, written atomically. A run started again into the same folder loads
the completed grades and trains only the rest; since every random draw is a function of
(seed, grade, epoch), it ends where an uninterrupted run ends.

Inside a grade, ``InGradeCheckpoint`` writes ``grade_<k>.partial.pt`` every few epochs:
the grade's weights, Adam's state, the epochs done and seconds spent, the loss history so
far and the callbacks' state (the learning rate is a function of the epoch). A run started again continues the grade
from there (``GradeCheckpoints.resume``); the file is removed once ``grade_<k>.pt`` is written.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any, Callable, Protocol

import lightning.pytorch as L
import torch
from torch import nn

from multigrade import interrupts
from multigrade.differences import described_differences
from multigrade.errors import CheckpointError, refusal
from multigrade.grades.records import GradeRecord, GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import StairNetwork, freeze
from multigrade.interrupts import Interrupted
from multigrade.io import save_torch

log = logging.getLogger(__name__)


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def grade_path(directory: Path, grade: int) -> Path:
    return Path(directory) / f"grade_{grade}.pt"


def partial_path(directory: Path, grade: int) -> Path:
    return Path(directory) / f"grade_{grade}.partial.pt"


def grade_identity(spec: GradeSpec, schedule: GradeSchedule, identity: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint of this grade must have been written with."""
    built = {"stack": spec.stack} if spec.stack is not None else {}  # as the stair's specs record it
    return {"spec": {"widths": list(spec.widths), "activation": spec.activation, "output": spec.output, **built},
            "schedule": schedule.as_dict(), **identity}


def check_identity(path: Path, found: dict[str, Any], expected: dict[str, Any]) -> None:
    """Raise a ``CheckpointError`` naming the settings in which the file's identity
    ``found`` differs from this run's ``expected`` one."""
    if found != expected:
        raise CheckpointError(
            f"{path} was written by a different run ({described_differences(found, expected, 'the file', 'this run')}):"
            f" choose a fresh paths.output_dir or delete {path.parent}"
        )


def read_checkpoint(path: Path, kind: str, then: str) -> dict[str, Any]:
    """The payload of a checkpoint file (``kind``, e.g. "grade checkpoint"), or a
    ``CheckpointError`` saying to delete it and what ``then`` happens."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise CheckpointError(
            f"cannot read the {kind} {path} ({type(error).__name__}); it is"
            f" corrupt or not a multigrade checkpoint: delete it ({then})"
        ) from None


GRADE_FIELDS = ("specs", "state_dict", "record", "loss_history", "identity", "callbacks")
PARTIAL_FIELDS = ("epochs_done", "stack", "head", "optimizer", "loss_history", "identity", "callbacks")


def read_grade(path: Path, fields: tuple[str, ...] = GRADE_FIELDS) -> dict[str, Any]:
    """The payload of one grade checkpoint (``fields`` it must hold; ``PARTIAL_FIELDS`` for
    an in-grade one), or a ``CheckpointError`` saying what to do."""
    then = "the grade is then trained again"
    payload = read_checkpoint(path, "grade checkpoint", then)
    missing = [field for field in fields if field not in payload] if isinstance(payload, dict) else list(fields)
    if missing:
        raise CheckpointError(f"{path} is not a multigrade grade checkpoint (it lacks {', '.join(missing)}):"
                              f" delete it ({then})")
    return payload


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-1 of every tensor of a stair's ``state_dict()`` (its grades so far), in name
    order: which frozen grades a grade in training sits on."""
    digest = hashlib.sha1()
    for name, value in sorted(state.items()):
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def restorable_grades(directory: Path, grades: list[GradeSpec], schedules: list[GradeSchedule],
                      identity: dict[str, Any], stop: Callable[[list[GradeRecord]], object | None] | None = None,
                      ) -> tuple[dict[str, Any] | None, list[GradeRecord]]:
    """The completed grades 1..k in ``directory`` that a run takes: their records, and the
    last one's payload (None when there are none). Grade k's file must have its grade's
    settings (``grade_identity``) and hold grades 1..k-1 as grade (k-1)'s file does, bit for
    bit (else it was trained on another run's grades), or a ``CheckpointError`` says what to
    do. ``stop(records)`` (adaptive grading) is asked before each grade after the first, as
    in training: a rule that now stops earlier takes fewer grades."""
    records: list[GradeRecord] = []
    payload = None
    for k, (spec, schedule) in enumerate(zip(grades, schedules), start=1):
        path = grade_path(directory, k)
        if not path.is_file() or (stop is not None and records and stop(records) is not None):
            break
        earlier, payload = payload, read_grade(path)
        found = {"spec": {"output": "linear", **payload["specs"][-1]},  # older files: linear heads
                 "schedule": payload["record"]["schedule"], **payload["identity"]}
        check_identity(path, found, grade_identity(spec, schedule, identity))
        state = payload["state_dict"]
        if earlier is not None and any(name not in state or not torch.equal(state[name], value)
                                       for name, value in earlier["state_dict"].items()):
            raise CheckpointError(f"{path} was trained on other grades than the files before it hold (it comes from"
                                  f" another run): delete it and the grade files after it, or choose a fresh"
                                  f" paths.output_dir")
        records.append(GradeRecord.from_summary(payload["record"], payload["loss_history"].numpy()))
    return payload, records


def load_state(module: nn.Module, state: dict[str, torch.Tensor], path: Path, remedy: str) -> None:
    """``module.load_state_dict(state)``, the state saved in ``path``; a ``CheckpointError``
    naming the file, torch's first mismatch and ``remedy`` when it does not fit the module
    this configuration builds (a file of other code: a stack or student of one's own whose
    code changed since)."""
    try:
        module.load_state_dict(state)
    except RuntimeError as error:  # torch's message: a heading, then the first mismatch
        mismatch = " ".join(line.strip() for line in str(error).splitlines()[:2])
        raise CheckpointError(f"{path} does not fit this configuration's networks ({mismatch}): it was"
                              f" written by other code, e.g. before a stack or student of one's own changed;"
                              f" {remedy}") from None


class InGradeCheckpoint(L.Callback):
    """Writes ``grade_<k>.partial.pt`` after every ``every`` epochs of grade k (not after
    the last: ``grade_<k>.pt`` follows it), and after the epoch a signal stops
    (``interrupts``), with the grade's ``seconds`` so far (since
    ``started``, a ``time.perf_counter()`` reading). Put it after the callbacks whose
    ``stateful`` state it saves, so that their records of the same epoch are in the file."""

    def __init__(self, directory: Path, every: int, identity: dict[str, Any], stateful: dict[str, Stateful],
                 started: float):
        self.directory, self.every, self.identity, self.stateful = Path(directory), int(every), identity, stateful
        self.started = started

    def on_train_batch_end(self, trainer: L.Trainer, module, outputs, batch, batch_idx: int) -> None:
        done, stop = int(batch) + 1, interrupts.requested()  # one batch is one epoch
        if (done % self.every and not stop) or done == module.schedule.epochs:
            return
        optimizer = module.optimizers(use_pl_optimizer=False)
        path = partial_path(self.directory, module.grade)
        save_torch(path, {
            "grade": module.grade,
            "epochs_done": done,
            "seconds": time.perf_counter() - self.started,
            "stack": module.stack.state_dict(),
            "head": module.head.state_dict(),
            "optimizer": optimizer.state_dict(),
            "loss_history": module.loss_history[:done].cpu(),
            "identity": self.identity,
            "callbacks": {name: obj.state_dict() for name, obj in self.stateful.items()},
        })
        if stop:
            raise Interrupted(stop, f"in grade {module.grade} after epoch {done} of {module.schedule.epochs}",
                              f"{path} holds it: run the same command again to continue from there")


class GradeCheckpoints:
    """The checkpoints of one model's grades in ``directory``, for the grade loop to call at
    grade boundaries: ``restore`` the completed grades when a run starts, ``resume`` a grade
    from its in-grade checkpoint (written every ``every`` epochs; None: whole grades only),
    ``save`` a grade when it is done. A file must match the run's ``identity`` (its data and
    seed, ``run_identity``) and its grade's spec and schedule; the ``stateful`` callbacks'
    state (the spectra) is saved and restored with the grades. ``check`` refuses, before a
    run writes anything, the files that its restart would refuse."""

    def __init__(self, directory: str | Path, identity: dict[str, Any], stateful: dict[str, Stateful] | None = None,
                 every: int | None = None):
        if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise refusal("checkpoint_every", "a positive number of epochs, or null (whole grades only)", every)
        self.directory = Path(directory)
        self.identity = identity
        self.stateful = stateful or {}
        self.every = every

    def completed(self, total: int) -> int:
        """How many grades, counting from 1 (of at most ``total``), have their file."""
        done = 0
        while done < total and grade_path(self.directory, done + 1).is_file():
            done += 1
        return done

    def check(self, grades: list[GradeSpec], schedules: list[GradeSchedule],
              stop: Callable[[list[GradeRecord]], object | None] | None = None) -> None:
        """Refuse (``CheckpointError``, saying what to do) what a restart from here would
        refuse: the grade files it takes (``restorable_grades``) and, with in-grade
        checkpoints on, the next grade's in-grade checkpoint, which must have its grade's
        settings and sit on the grades taken (``weights_digest``)."""
        payload, records = restorable_grades(self.directory, grades, schedules, self.identity, stop)
        done = len(records)
        partial = partial_path(self.directory, done + 1)
        if (not self.every or done == len(grades) or not partial.is_file()
                or (stop is not None and records and stop(records) is not None)):
            return
        frozen = weights_digest(payload["state_dict"] if payload is not None else {})
        check_identity(partial, read_grade(partial, PARTIAL_FIELDS)["identity"],
                       {**grade_identity(grades[done], schedules[done], self.identity), "frozen_grades": frozen})

    def restore(self, stair: StairNetwork, grades: list[GradeSpec], schedules: list[GradeSchedule],
                stop: Callable[[list[GradeRecord]], object | None] | None = None) -> list[GradeRecord]:
        """Load the completed grades 1..k that a run takes (``restorable_grades``, with the
        adaptive rule ``stop``) into ``stair`` (frozen) and into the stateful callbacks;
        return their records (empty when there are none). Leftovers of writes a kill cut
        short are removed, and the in-grade checkpoints of the grades restored."""
        for leftover in self.directory.glob(".grade_*.tmp"):
            leftover.unlink()
        payload, records = restorable_grades(self.directory, grades, schedules, self.identity, stop)
        if payload is None:
            return []
        for k in range(1, len(records) + 1):
            partial_path(self.directory, k).unlink(missing_ok=True)  # left by a kill after the grade's file
        for spec in grades[: len(records)]:
            stair.grow(spec.widths, spec.activation, spec.output, spec.stack)
        load_state(stair, payload["state_dict"], grade_path(self.directory, len(records)),
                   f"delete {self.directory} or choose a fresh paths.output_dir")
        freeze(stair)
        for name, obj in self.stateful.items():
            obj.load_state_dict(payload["callbacks"][name])
        return records

    def resume(self, trainer: L.Trainer, module: Any, stair: StairNetwork, spec: GradeSpec,
               schedule: GradeSchedule, started: float) -> float:
        """With in-grade checkpoints on, continue grade ``module.grade`` on the frozen grades
        of ``stair`` from its in-grade checkpoint, if there is one, and have ``trainer``
        write them (``InGradeCheckpoint``); return the grade's start time (``started``, a
        ``time.perf_counter()`` reading, moved back by the seconds it ran before a stop)."""
        if not self.every:
            return started
        k = module.grade
        frozen = weights_digest(stair.state_dict())
        expected = {**grade_identity(spec, schedule, self.identity), "frozen_grades": frozen}
        path = partial_path(self.directory, k)
        if path.is_file():
            partial = read_grade(path, PARTIAL_FIELDS)
            check_identity(path, partial["identity"], expected)
            module.resume(partial, path)
            for name, obj in self.stateful.items():
                obj.load_state_dict(partial["callbacks"][name])
            started -= partial.get("seconds", 0.0)
            log.info("grade %d resumed after epoch %d from %s", k, module.start_epoch, path)
        trainer.callbacks.append(InGradeCheckpoint(self.directory, self.every, expected, self.stateful, started))
        return started

    def save(self, stair: StairNetwork, record: GradeRecord) -> Path:
        """Write ``grade_<k>.pt`` for the stair's last grade (k = ``record.grade``), then
        remove that grade's in-grade checkpoint."""
        path = grade_path(self.directory, record.grade)
        save_torch(path, {
            "grade": record.grade,
            "specs": stair.specs,
            "in_features": stair.in_features,
            "out_features": stair.out_features,
            "state_dict": {name: value.detach().cpu() for name, value in stair.state_dict().items()},
            "record": record.summary(),
            "loss_history": torch.as_tensor(record.loss_history),
            "identity": self.identity,
            "callbacks": {name: obj.state_dict() for name, obj in self.stateful.items()},
        })
        partial_path(self.directory, record.grade).unlink(missing_ok=True)
        return path
