"""The grade loop: fit grades one after another on the residual of those before.

For k = 1..K::

    Z_k   = phi_{k-1}(X)                  frozen features, cached once for the grade
    E_k   = Y - f_{k-1}(X)                the residual the grade fits
    (H_k, A_k) = argmin 1/(2N) sum ||E_k - A_k(H_k(Z_k))||^2     fresh Adam, LR decay
                 (cross-entropy instead for a softmax head, see ``GradeModule``)
    f_k   = f_{k-1} + g_k                 the stair prediction, evaluated on every split
                                          with the data's metrics (``grades.metrics``)

SGDL is the same loop with a single grade of the total depth.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

import lightning.pytorch as L
import numpy as np
import torch
from torch import nn

from multigrade.data.regression import RegressionData
from multigrade.equations.linear import LinearEquation
from multigrade.grades.checkpoints import (
    InGradeCheckpoint,
    Stateful,
    grade_identity,
    partial_path,
    read_partial,
    restore_grades,
    save_grade,
    weights_digest,
)
from multigrade.grades.metrics import evaluate
from multigrade.grades.module import GradeModule
from multigrade.grades.records import GradeRecord, GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import StairNetwork, freeze
from multigrade.seeding import INIT, derive_seed

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@torch.no_grad()
def predict(stair: StairNetwork, x: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """``f_K(x)`` through the stair network, in chunks of rows: (N, d) -> (N, m)."""
    stair.eval()
    return torch.cat([stair(part) for part in x.split(chunk)])


@torch.no_grad()
def cumulative_predictions(stair: StairNetwork, x: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """``f_1(x), ..., f_K(x)`` with ``f_k = g_1 + ... + g_k``: (N, d) -> (K, N, m)."""
    stair.eval()
    return torch.cat([stair.grade_outputs(part).cumsum(dim=0) for part in x.split(chunk)], dim=1)


TrainerFactory = Callable[[int, int], L.Trainer]


def grow_grade(stair: StairNetwork, spec: GradeSpec, seed: int, k: int, x_train: torch.Tensor,
               y_train: torch.Tensor) -> tuple[nn.Module, torch.Tensor, nn.Module, nn.Module]:
    """Grade k on ``stair`` (on the training data's device): the frozen backbone
    ``phi_{k-1}``, the prior ``f_{k-1}(X)`` (N, m), and the new stack and head, initialised
    from ``(seed, k)`` alone."""
    stair.to(x_train.device)
    backbone = stair.backbone()
    prior = predict(stair, x_train) if k > 1 else torch.zeros_like(y_train)
    torch.manual_seed(derive_seed(INIT, seed, k))
    stack, head = stair.grow(spec.widths, spec.activation, spec.output, spec.stack)
    stair.to(x_train.device)
    return backbone, prior, stack, head


def equation_on(data: RegressionData, device: torch.device) -> LinearEquation | None:
    """The data's equation (if any) with its right-hand side on ``device``."""
    if data.equation is None:
        return None
    return LinearEquation(data.equation.operator.to(device), data.equation.rhs.to(device))


def run_identity(data: RegressionData, seed: int) -> dict:
    """What a run's checkpoints must match to be restored: the data and the seed."""
    return {"data": data.name, "data_sha1": data.fingerprint(), "seed": int(seed)}


def cache_bytes(features: torch.Tensor) -> int:
    """Device memory of a grade's cached features ``Z`` (the one copy it holds)."""
    return features.numel() * features.element_size()


def grade_record(stair: StairNetwork, data: RegressionData, k: int, schedule: GradeSchedule,
                 history: np.ndarray, seconds: float, device: torch.device) -> GradeRecord:
    """The record of grade k just trained: ``f_k``'s metrics on every split, with the
    whole stair on ``device`` (Lightning hands a fitted module back on the CPU)."""
    stair.to(device)
    metrics = {}
    for split in SPLITS:
        x, y = (t.to(device) for t in data.split(split))
        metrics.update(evaluate(data.metrics, split, y, predict(stair, x)))
    return GradeRecord(grade=k, seconds=seconds, epochs=schedule.epochs, final_loss=float(history[-1]),
                       metrics=metrics, schedule=schedule.as_dict(), loss_history=history)


def fit_grades(
    data: RegressionData,
    grades: list[GradeSpec],
    schedules: list[GradeSchedule],
    make_trainer: TrainerFactory,
    seed: int,
    checkpoint_dir: str | Path | None = None,
    check_every: int = 50,
    on_grade_end: Callable[[StairNetwork, GradeRecord], None] | None = None,
    stateful: dict[str, Stateful] | None = None,
    checkpoint_every: int | None = None,
    cuda_graph: bool = True,
    stop: Callable[[list[GradeRecord]], object | None] | None = None,
    on_restored: Callable[[list[GradeRecord]], None] | None = None,
) -> tuple[StairNetwork, list[GradeRecord]]:
    """Train ``len(grades)`` grades in turn; return the stair network and per-grade records.

    ``make_trainer(k, K)`` gives a fresh ``Trainer`` for grade k (its own loop state, the
    shared callbacks and logger). Grade k's parameters are initialised from
    ``(seed, k)`` alone; after training they are frozen in place. When ``checkpoint_dir``
    is given, ``grade_<k>.pt`` (see ``checkpoints``) is written there atomically as soon as
    the grade is done, with the state of the ``stateful`` callbacks; grades whose
    checkpoints are already there are loaded instead of trained. With ``checkpoint_every``
    too, ``grade_<k>.partial.pt`` is written every that many epochs of a grade, and a grade
    found there half-done continues from it (its ``seconds`` count the time before the stop).
    A grade whose ``fit`` ends before all its epochs ran (a trainer limit, a callback)
    raises ``GradeIncompleteError`` and is not saved. ``cuda_graph`` replays each grade's steps
    from a CUDA graph on a CUDA device (see ``GradeModule``). ``stop(records)``, when
    given, is asked before every grade after the first: anything but None ends the loop
    (adaptive grading, see ``grades.adaptive``). ``on_restored(records)`` gets the records
    of the grades loaded from their checkpoints, before any grade trains;
    ``on_grade_end(stair, record)`` each grade's as it finishes training.
    """
    if len(grades) != len(schedules):
        raise ValueError(f"{len(grades)} grades but {len(schedules)} schedules")
    stateful = stateful or {}
    identity = run_identity(data, seed)
    stair = StairNetwork(data.in_features, data.out_features)
    records = restore_grades(checkpoint_dir, stair, grades, schedules, identity, stateful, stop)
    total = len(grades)
    if records:
        log.info("grades 1..%d restored from %s", len(records), checkpoint_dir)
        if on_restored is not None:
            on_restored(list(records))
    for k in range(len(records) + 1, total + 1):
        if stop is not None and records and stop(records) is not None:
            break
        spec, schedule = grades[k - 1], schedules[k - 1]
        started = time.perf_counter()
        trainer = make_trainer(k, total)
        device = trainer.strategy.root_device
        x_train, y_train = (t.to(device) for t in data.split("train"))
        frozen = weights_digest(stair.state_dict()) if checkpoint_dir is not None and checkpoint_every else None
        backbone, prior, stack, head = grow_grade(stair, spec, seed, k, x_train, y_train)
        module = GradeModule(backbone, stack, head, x_train, y_train, prior, schedule, k, seed, check_every,
                             cuda_graph, equation_on(data, device))
        if checkpoint_dir is not None and checkpoint_every:
            expected = {**grade_identity(spec, schedule, identity), "frozen_grades": frozen}
            partial = read_partial(checkpoint_dir, k, expected)
            if partial is not None:
                module.resume(partial, partial_path(checkpoint_dir, k))
                for name, obj in stateful.items():
                    obj.load_state_dict(partial["callbacks"][name])
                started -= partial.get("seconds", 0.0)  # the grade's time before it was stopped
                log.info("grade %d/%d resumed after epoch %d from %s", k, total, module.start_epoch,
                         partial_path(checkpoint_dir, k))
            trainer.callbacks.append(InGradeCheckpoint(checkpoint_dir, checkpoint_every, expected, stateful,
                                                       started))
        trainer.fit(module)
        module.check_complete()
        freeze(stack)
        freeze(head)
        record = grade_record(stair, data, k, schedule, module.loss_history.cpu().numpy(),
                              time.perf_counter() - started, device)
        records.append(record)
        if checkpoint_dir is not None:
            save_grade(Path(checkpoint_dir), stair, record, identity, stateful)
            partial_path(checkpoint_dir, k).unlink(missing_ok=True)
        log.info("grade %d/%d done: %s, loss %.4g, %d epochs, %.1f s, feature cache %.1f MiB", k, total,
                 ", ".join(f"{name} {value:.4g}" for name, value in record.metrics.items()),
                 record.final_loss, record.epochs, record.seconds, cache_bytes(module.features) / 2**20)
        if on_grade_end is not None:
            on_grade_end(stair, record)
    return stair, records
