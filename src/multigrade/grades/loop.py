"""The grade loop: fit grades one after another on the residual of those before.

For k = 1..K::

    Z_k   = phi_{k-1}(X)                  features of the frozen grades, cached once for the grade
    E_k   = Y - f_{k-1}(X)                the residual the grade fits (an equation's b - L f_{k-1}(X))
    (H_k, A_k) = argmin 1/(2N) sum ||E_k - A_k(H_k(Z_k))||^2     fresh Adam, LR decay
                 (cross-entropy instead for a softmax head, see ``GradeModule``)
    freeze (H_k, A_k) and add it:  f_k = f_{k-1} + g_k
    evaluate f_k on every split with the data's metrics (``multigrade.metrics``)

SGDL is the same loop with a single grade of the total depth. Several models (seeds, or a
sweep's learning rates) go through the loop together: each grade of all of them is
trained as one stacked model (``grades.stacked``); one model is the case S = 1.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

import lightning.pytorch as L
import numpy as np
import torch

from multigrade import interrupts
from multigrade.data.regression import RegressionData
from multigrade.errors import refusal
from multigrade.grades.checkpoints import GradeCheckpoints
from multigrade.grades.module import GradeModule, GradeTraining
from multigrade.grades.records import GradeRecord, GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stacked import StackedGradeModule
from multigrade.grades.stair import StairNetwork, freeze
from multigrade.interrupts import Interrupted
from multigrade.metrics import evaluate
from multigrade.seeding import INIT, derive_seed

log = logging.getLogger(__name__)

TrainerFactory = Callable[[int, int], L.Trainer]
StopRule = Callable[[list[GradeRecord]], object | None]


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


@dataclass
class ModelRun:
    """One model of the loop: its seed (which draws its initialisation and minibatches),
    each grade's schedule, and where its grades are checkpointed (None: nowhere)."""

    seed: int
    schedules: list[GradeSchedule]
    checkpoints: GradeCheckpoints | None = None


def run_identity(data: RegressionData, seed: int) -> dict:
    """What a run's checkpoints must match to be restored: the data and the seed."""
    return {"data": data.name, "data_sha1": data.fingerprint(), "seed": int(seed)}


def cache_bytes(features: torch.Tensor) -> int:
    """Device memory of a grade's cached features ``Z`` (the one copy it holds)."""
    return features.numel() * features.element_size()


def model_rows(count: int, block: Callable[[int], torch.Tensor]) -> torch.Tensor:
    """The blocks ``block(s)`` (N, c) of ``count`` models one after another, model s at rows
    ``s * N + i``: (S * N, c), written into one tensor a block at a time (no second copy of
    them all); for one model, its block itself."""
    first = block(0)
    if count == 1:
        return first
    n = first.shape[0]
    rows = first.new_empty((count * n, *first.shape[1:]))
    rows[:n] = first
    for s in range(1, count):
        rows[s * n:(s + 1) * n] = block(s)
    return rows


def check_runs(data: RegressionData, grades: list[GradeSpec], runs: list[ModelRun], stop: StopRule | None,
               check_every: int) -> None:
    """What the loop takes (a ``refusal`` naming the argument otherwise): a schedule per
    grade for each model; models that differ (in seed or schedules); full batch and one
    model at a time for an equation (it couples all its nodes); one model at a time for
    adaptive grading (each model would stop at its own grade); a positive number of epochs
    between loss checks. (Models side by side keep whole grades: no in-grade checkpoints.)"""
    if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 1:
        raise refusal("check_every", "a positive number of epochs", check_every)
    seeds = [run.seed for run in runs]
    for run in runs:
        if len(run.schedules) != len(grades):
            raise refusal("schedules", f"one per grade ({len(grades)})", len(run.schedules))
    if len({(run.seed, tuple(run.schedules)) for run in runs}) != len(runs):
        raise refusal("seeds", "different integers (or the models' schedules must differ)", seeds)
    if data.equation is not None:
        points = data.split("train")[0].shape[0]
        sizes = {schedule.batch_size for run in runs for schedule in run.schedules if not schedule.full_batch(points)}
        if sizes:
            raise refusal("batch_size", f"full for {data.name}, an equation coupling all its {points} nodes",
                          sorted(sizes))
        if len(runs) > 1:
            raise refusal("seeds", f"one seed for {data.name}, an equation (its seeds train as a sweep, -m seed=0,1,2)",
                          seeds)
    if len(runs) > 1 and stop is not None:
        raise refusal("seeds", "one seed with adaptive grading (each model stops at its own grade: run the seeds"
                      " as a sweep, -m seed=0,1,2)", seeds)


def restored_grades(stairs: list[StairNetwork], runs: list[ModelRun], grades: list[GradeSpec],
                    stop: StopRule | None) -> list[list[GradeRecord]]:
    """The records of the grades that every model has completed in its checkpoints, loaded
    into its stair (``GradeCheckpoints.restore``); empty lists where a model keeps none."""
    if any(run.checkpoints is None for run in runs):
        return [[] for _ in runs]
    done = min(run.checkpoints.completed(len(grades)) for run in runs)
    return [run.checkpoints.restore(stair, grades[:done], run.schedules[:done], stop)
            for stair, run in zip(stairs, runs)]


def grade_module(layers: list[tuple[torch.nn.Module, torch.nn.Module]], features: torch.Tensor,
                 residual: torch.Tensor, targets: torch.Tensor, priors: torch.Tensor,
                 schedules: list[GradeSchedule], k: int, runs: list[ModelRun], check_every: int, cuda_graph: bool,
                 operator: torch.nn.Module | None) -> GradeTraining:
    """Grade k of the models as a LightningModule: a ``GradeModule`` for one model, else a
    ``StackedGradeModule``."""
    if len(runs) == 1:
        (stack, head), = layers
        return GradeModule(stack, head, features, residual, targets, priors[0], schedules[0], k, runs[0].seed,
                           check_every, cuda_graph, operator)
    return StackedGradeModule([stack for stack, _ in layers], [head for _, head in layers], features, residual,
                              targets, priors, schedules, k, [run.seed for run in runs], check_every, cuda_graph)


def fit_grades(
    data: RegressionData,
    grades: list[GradeSpec],
    runs: list[ModelRun],
    make_trainer: TrainerFactory,
    check_every: int = 50,
    cuda_graph: bool = True,
    stop: StopRule | None = None,
    on_restored: Callable[[list[list[GradeRecord]]], None] | None = None,
    on_grade_end: Callable[[list[StairNetwork], list[GradeRecord]], None] | None = None,
) -> list[tuple[StairNetwork, list[GradeRecord]]]:
    """Train ``len(grades)`` grades in turn for every model of ``runs``; return each model's
    stair network and per-grade records.

    ``make_trainer(k, K)`` gives a fresh ``Trainer`` for grade k (its own loop state, the
    shared callbacks and logger). Grade k's parameters of a model are initialised from
    (its seed, k) alone, its minibatches drawn from (seed, k, epoch); after training they
    are frozen in place. Where a model has ``checkpoints``, each grade is saved there as
    soon as it is done, grades found there are loaded instead of trained, and a grade found
    half-done continues from its in-grade checkpoint (its ``seconds`` count the time before
    the stop). A grade whose ``fit`` ends before all its epochs ran (a trainer limit, a
    callback) raises ``IncompleteTrainingError`` and is not saved. ``cuda_graph`` replays
    each grade's steps from a CUDA graph on a CUDA device (see ``GradeTraining``).
    ``stop(records)``, when given (one model), is asked before every grade after the first:
    anything but None ends the loop (adaptive grading, ``grades.adaptive``).
    ``on_restored(records)`` gets every model's records of the grades loaded from their
    checkpoints, before any grade trains; ``on_grade_end(stairs, records)`` every model's
    stair and record of each grade as it finishes.
    """
    check_runs(data, grades, runs, stop, check_every)
    stairs = [StairNetwork(data.in_features, data.out_features) for _ in runs]
    records = restored_grades(stairs, runs, grades, stop)
    total, done = len(grades), len(records[0])
    if done:
        if len(runs) > 1:
            log.info("grades 1..%d of %d models restored", done, len(runs))
        else:
            log.info("grades 1..%d restored from %s", done, runs[0].checkpoints.directory)
        if on_restored is not None:
            on_restored([list(own) for own in records])
    for k in range(done + 1, total + 1):
        if stop is not None and records[0] and stop(records[0]) is not None:
            break
        if interrupts.requested():
            raise Interrupted(interrupts.requested(), f"before grade {k}",
                              f"grades 1 to {k - 1} are saved: run the same command again to go on")
        spec, schedules = grades[k - 1], [run.schedules[k - 1] for run in runs]
        started = time.perf_counter()
        trainer = make_trainer(k, total)
        device = trainer.strategy.root_device
        x, y = (t.to(device) for t in data.split("train"))
        equation = data.equation.to(device) if data.equation is not None else None
        for stair in stairs:
            stair.to(device)
        priors = torch.stack([predict(stair, x) if k > 1 else torch.zeros_like(y) for stair in stairs])  # f_{k-1}(X)
        with torch.no_grad():
            features = model_rows(len(runs), lambda s: stairs[s].backbone()(x))  # Z_k
            residual = model_rows(len(runs), lambda s: y - priors[s] if equation is None
                                  else equation.residual(priors[s]))  # E_k
        layers = []
        for stair, run in zip(stairs, runs):
            torch.manual_seed(derive_seed(INIT, run.seed, k))
            stack, head = stair.new_grade(spec.widths, spec.activation, spec.output, spec.stack)
            layers.append((stack.to(device), head.to(device)))
        module = grade_module(layers, features, residual, y, priors, schedules, k, runs, check_every, cuda_graph,
                              None if equation is None else equation.operator)
        if len(runs) == 1 and runs[0].checkpoints is not None:
            started = runs[0].checkpoints.resume(trainer, module, stairs[0], spec, schedules[0], started)
        trainer.fit(module)
        module.check_complete()
        module.unstack()
        seconds = time.perf_counter() - started
        histories = module.loss_history.reshape(schedules[0].epochs, -1).T.contiguous().cpu().numpy()  # (S, epochs)
        for stair, run, own, schedule, history, (stack, head) in zip(stairs, runs, records, schedules, histories,
                                                                     layers):
            stair.add(freeze(stack), freeze(head), spec.widths, spec.activation, spec.output, spec.stack)
            own.append(grade_record(stair, data, k, schedule, history, seconds, device))
            if run.checkpoints is not None:
                run.checkpoints.save(stair, own[-1])
        last = records[0][-1]
        what = f"{len(runs)} models" if len(runs) > 1 else ", ".join(
            f"{name} {value:.4g}" for name, value in last.metrics.items()) + f", loss {last.final_loss:.4g}"
        log.info("grade %d/%d done: %s, %d epochs, %.1f s, feature cache %.1f MiB", k, total, what, last.epochs,
                 last.seconds, cache_bytes(module.features) / 2**20)
        if on_grade_end is not None:
            on_grade_end(stairs, [own[-1] for own in records])
    return list(zip(stairs, records))


def grade_record(stair: StairNetwork, data: RegressionData, k: int, schedule: GradeSchedule,
                 history: np.ndarray, seconds: float, device: torch.device) -> GradeRecord:
    """The record of grade k just trained: ``f_k``'s metrics on every split, with the
    whole stair on ``device`` (Lightning hands a fitted module back on the CPU)."""
    stair.to(device)
    metrics = {}
    for split in data.splits:
        x, y = (t.to(device) for t in data.split(split))
        metrics.update(evaluate(data.metrics, split, y, predict(stair, x)))
    return GradeRecord(grade=k, seconds=seconds, epochs=schedule.epochs, final_loss=float(history[-1]),
                       metrics=metrics, schedule=schedule.as_dict(), loss_history=history)
