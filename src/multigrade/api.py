"""MGDL as a library: fit a multi-grade model on arrays or tensors, predict, save, load.

::

    import multigrade as mg
    model = mg.fit([mg.GradeSpec([64, 64])] * 3, mg.GradeSchedule(300, 100, 1e-2, 1e-3), x, y)
    model.predict(x)                     # f_K(x): (N, m)
    model.predict(x, every_grade=True)   # f_1(x), ..., f_K(x): (K, N, m)

``fit`` runs the grade loop (``grades.loop``): grade k fits the residual of grades 1..k-1
on their frozen features. One grade of the total depth is the single-grade (SGDL)
baseline; ``adaptive`` stops adding grades by a rule; ``seeds`` trains several models
side by side as one stacked model; data with an equation (``RegressionData.equation``)
has its grades fit the equation's residual. ``python -m multigrade.run`` composes a
config into these same calls.
"""

from __future__ import annotations

import copy
import logging
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import lightning.pytorch as L
import numpy as np
import torch

from multigrade.data.regression import RegressionData
from multigrade.grades.adaptive import AdaptiveGrading
from multigrade.errors import CheckpointError
from multigrade.grades.checkpoints import GradeCheckpoints, grade_path, load_state, read_checkpoint, read_grade
from multigrade.grades.loop import ModelRun, check_runs, cumulative_predictions, fit_grades, predict, run_identity
from multigrade.grades.records import GradeRecord, GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stacked import ForEachSeed
from multigrade.grades.stair import StairNetwork
from multigrade.io import save_torch
from multigrade.spectra.callback import SpectraCallback

Arrays = np.ndarray | torch.Tensor
# Where Lightning says what each new trainer finds and does (device banners, tips, "fit stopped"),
# and its warnings that do not apply to a grade (frozen grades are in eval mode on purpose)
LIGHTNING_NOTICES = ("lightning.pytorch.utilities.rank_zero", "lightning.pytorch.accelerators.cuda")
LIGHTNING_WARNINGS = (r".*module\(s\) in eval mode.*", r".*`isinstance\(treespec, LeafSpec\)` is deprecated.*")


@contextmanager
def quiet_notices() -> Iterator[None]:
    """Lightning's notices of every new trainer held back inside the block (a fit makes a
    trainer per grade), and its warnings that do not apply; restored after it."""
    loggers = [logging.getLogger(name) for name in LIGHTNING_NOTICES]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            for message in LIGHTNING_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


class MultiGradeModel:
    """A fitted stair network ``f_K = g_1 + ... + g_K`` with each grade's record (its
    cumulative metrics ``<split>_<metric>``, seconds and loss history) and, when fitted with
    ``spectra=True``, the residual spectra after every grade (``SpectraCallback.arrays``)."""

    def __init__(self, stair: StairNetwork, records: list[GradeRecord], spectra: dict[str, np.ndarray] | None = None):
        self.stair = stair
        self.records = records
        self.spectra = spectra

    def predict(self, x: Arrays, every_grade: bool = False, chunk: int = 65536) -> Arrays:
        """``f_K(x)`` (N, m), or with ``every_grade`` ``f_1(x), ..., f_K(x)`` (K, N, m), for
        inputs ``x`` (N, d) (or (N,) for d = 1), on the network's device, ``chunk`` rows at
        a time; a NumPy array for a NumPy input, else a tensor."""
        values = torch.as_tensor(np.asarray(x, np.float32) if isinstance(x, np.ndarray) else x)
        values = values.reshape(len(values), -1).to(next(self.stair.parameters()))
        f = (cumulative_predictions if every_grade else predict)(self.stair, values, chunk)
        return f.cpu().numpy() if isinstance(x, np.ndarray) else f

    def save(self, path: str | Path) -> Path:
        """Write the network and the records to ``path`` (``load`` reads it back)."""
        return save_torch(Path(path), {
            "specs": self.stair.specs,
            "in_features": self.stair.in_features,
            "out_features": self.stair.out_features,
            "state_dict": {name: value.detach().cpu() for name, value in self.stair.state_dict().items()},
            "records": [record.summary() for record in self.records],
        })

    def export(self, path: str | Path) -> Path:
        """Write the network to run without multigrade, by the suffix of ``path``:

        * ``.pt2``: ``torch.export`` (``torch.export.load(path).module()(x)``);
        * ``.onnx``: ONNX (needs the ``onnx`` and ``onnxscript`` packages: ``multigrade[export]``);
        * otherwise TorchScript (``torch.jit.load(path)``), with ``grade_outputs`` beside it.

        Each gives ``f_K`` (N, d) -> (N, m) for any N; TorchScript's ``grade_outputs`` gives
        ``g_1..g_K`` (N, d) -> (K, N, m)."""
        stair = copy.deepcopy(self.stair).cpu().eval()
        example, rows = torch.zeros(2, stair.in_features), {0: torch.export.Dim("n")}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with torch.no_grad():
            if path.suffix == ".pt2":
                torch.export.save(torch.export.export(stair, (example,), dynamic_shapes=(rows,)), path)
            elif path.suffix == ".onnx":
                torch.onnx.export(stair, (example,), path, input_names=["x"], output_names=["f"], external_data=False,
                                  dynamic_shapes=(rows,), verbose=False)
            else:
                torch.jit.trace_module(stair, {"forward": example, "grade_outputs": example}).save(str(path))
        return path


def load(path: str | Path) -> MultiGradeModel:
    """The model ``MultiGradeModel.save`` wrote to ``path``; the network up to grade k of a
    run's checkpoint ``checkpoints/grade_<k>.pt``; or, for a run folder, the network of all
    the grades it holds, with every grade's record. On the CPU."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path} does not exist: give a grade run's folder, a grade checkpoint, or a file"
                              f" that MultiGradeModel.save wrote")
    if path.is_dir():
        path = last_grade_file(path)
    payload = read_checkpoint(path, "saved model", "it cannot be loaded")
    stair = StairNetwork(payload["in_features"], payload["out_features"])
    for spec in payload["specs"]:
        stair.grow(spec["widths"], spec["activation"], spec.get("output", "linear"), spec.get("stack"))
    load_state(stair, payload["state_dict"], path, "it was written by other code")
    if "records" in payload:
        records = [GradeRecord.from_summary(summary) for summary in payload["records"]]
    else:  # a grade's file holds its own record; those of the grades before it are in theirs
        grades = [read_grade(grade_path(path.parent, k)) for k in range(1, payload["grade"])] + [payload]
        records = [GradeRecord.from_summary(grade["record"], np.asarray(grade["loss_history"])) for grade in grades]
    return MultiGradeModel(stair.eval(), records)


def last_grade_file(folder: Path) -> Path:
    """``checkpoints/grade_<K>.pt`` of the run folder ``folder``, K its last grade saved."""
    files = {int(p.stem.split("_")[1]): p for p in (folder / "checkpoints").glob("grade_*.pt")
             if p.stem.split("_")[1].isdigit()}
    if files:
        return files[max(files)]
    seeds = sorted(p.name for p in folder.glob("seed_*") if p.is_dir())
    raise CheckpointError(f"{folder} holds no grade checkpoints (checkpoints/grade_<k>.pt)"
                          + (f"; its seeds' runs are in {', '.join(seeds)}: load one of them" if seeds else
                             ": give a grade run's folder, or a file that MultiGradeModel.save wrote"))


def regression_data(x: Arrays | RegressionData, y: Arrays | None, val: tuple[Arrays, Arrays] | None,
                    test: tuple[Arrays, Arrays] | None) -> RegressionData:
    """``x`` when it is a ``RegressionData``; else the splits given, as ``RegressionData``."""
    if isinstance(x, RegressionData):
        if y is not None or val is not None or test is not None:
            raise ValueError("give either a RegressionData or arrays x, y (with val, test), not both")
        return x
    if y is None:
        raise ValueError("fit needs targets y beside the inputs x")
    splits = {split: pair for split, pair in (("train", (x, y)), ("val", val), ("test", test)) if pair is not None}
    return RegressionData.from_arrays("data", {split: tuple(np.asarray(a.cpu() if isinstance(a, torch.Tensor) else a)
                                                            for a in pair) for split, pair in splits.items()})


def schedules_per_model(schedule: GradeSchedule | Sequence, grades: int, models: int) -> list[list[GradeSchedule]]:
    """Each model's schedule per grade: one ``GradeSchedule`` for all, a list of one per
    grade, or (models side by side) a list of such lists, one per model."""
    if isinstance(schedule, GradeSchedule):
        return [[schedule] * grades] * models
    schedule = list(schedule)
    if schedule and all(isinstance(own, GradeSchedule) for own in schedule):
        return [schedule] * models
    if len(schedule) != models:
        raise ValueError(f"{models} models need one schedule, one per grade, or a list per model; got {len(schedule)}")
    return [[own] * grades if isinstance(own, GradeSchedule) else list(own) for own in schedule]


def trainer_factory(trainer: Callable[[int, int], L.Trainer] | dict[str, Any] | None,
                    callback: L.Callback | None) -> Callable[[int, int], L.Trainer]:
    """``make_trainer(k, K)``: ``trainer(k, K)``, or a quiet ``Trainer`` of the keyword
    arguments ``trainer`` (accelerator, devices, ...), with ``callback`` first."""

    def make_trainer(grade: int, total: int) -> L.Trainer:
        if callable(trainer):
            made = trainer(grade, total)
        else:
            settings = {"logger": False, "enable_progress_bar": False, "enable_model_summary": False,
                        "enable_checkpointing": False, **(trainer or {})}
            made = L.Trainer(max_epochs=1, **settings)
        if callback is not None:
            made.callbacks.insert(0, callback)
        return made

    return make_trainer


class MultiGrade:
    """A multi-grade fit, set up and checked before anything trains: the data, the
    ``grades`` (``GradeSpec``: hidden widths, activations, head) and their schedules, the
    models (one per seed), where they are kept, and what is recorded. ``fit()`` trains.

    ``data``: a ``RegressionData`` (``regression_data`` makes one from arrays). ``schedule``:
    a ``GradeSchedule`` for every grade, one per grade, or (several ``seeds``) one list per
    model. Grade k of the model of seed s is initialised from (s, k) and draws its
    minibatches from (s, k, epoch). ``seeds`` trains one model per seed side by side (one
    stacked model a grade). ``folder`` (one per model with ``seeds``; default
    ``folder/seed_<s>``) keeps each grade's checkpoint in ``<folder>/checkpoints`` (a fit
    started again there takes the grades done and trains the rest), with
    ``checkpoint_every`` also one every that many epochs inside a grade (one model only),
    and ``spectra.npz``: the residual spectra after every grade, recorded with ``spectra``
    (``evolution_points`` evolution samples a grade). ``adaptive`` stops adding grades by its
    rule (``grades`` lists the most). ``check_every``: epochs between reads of the loss
    (and NaN checks); ``cuda_graph``: replay each step from a CUDA graph on a GPU.

    Checkpoints in a folder that this fit could not take as its own are refused here
    (``CheckpointError``), before anything is written.
    """

    def __init__(self, grades: Sequence[GradeSpec], schedule: GradeSchedule | Sequence, data: RegressionData, *,
                 seed: int = 0, seeds: Sequence[int] | None = None,
                 folder: str | Path | Sequence[str | Path] | None = None, checkpoint_every: int | None = None,
                 spectra: bool = False, evolution_points: int = 60, adaptive: AdaptiveGrading | None = None,
                 check_every: int = 10, cuda_graph: bool = True):
        self.data, self.grades, self.adaptive = data, list(grades), adaptive
        self.several = seeds is not None
        seeds = [int(s) for s in seeds] if self.several else [int(seed)]
        if folder is None or isinstance(folder, (str, Path)):
            folders = [None] * len(seeds) if folder is None else (
                [Path(folder) / f"seed_{s}" for s in seeds] if self.several else [Path(folder)])
        else:
            folders = [Path(own) for own in folder]
        if len(folders) != len(seeds):
            raise ValueError(f"{len(seeds)} models need as many folders; got {len(folders)}")
        self.spectra = [SpectraCallback(own, data.spectral_grid, data.target_frequencies, evolution_points)
                        if spectra else None for own in folders]
        self.runs = [ModelRun(s, own_schedules, None if own is None else GradeCheckpoints(
                         own / "checkpoints", run_identity(data, s), {"spectra": cb} if cb else {},
                         checkpoint_every if not self.several else None))
                     for s, own_schedules, own, cb in zip(seeds, schedules_per_model(schedule, len(self.grades),
                                                                                    len(seeds)), folders, self.spectra)]
        self.stop = adaptive.stop if adaptive is not None else None
        check_runs(data, self.grades, self.runs, self.stop, check_every)
        self.check_every, self.cuda_graph = int(check_every), bool(cuda_graph)
        for run in self.runs:
            if run.checkpoints is not None:
                run.checkpoints.check(self.grades, run.schedules, self.stop)

    def fit(self, trainer: Callable[[int, int], L.Trainer] | dict[str, Any] | None = None,
            on_restored: Callable[[list[list[GradeRecord]]], None] | None = None,
            on_grade_end: Callable[[list[StairNetwork], list[GradeRecord]], None] | None = None,
            ) -> list[MultiGradeModel]:
        """Train the grades (``grades.loop.fit_grades``); return one model per seed.
        ``trainer``: keyword arguments of Lightning's ``Trainer`` (``accelerator="cpu"``),
        whose notices are held back, or a function ``(k, K) -> Trainer``. ``on_restored`` and ``on_grade_end`` are the
        loop's hooks."""
        callback = self.spectra[0] if not self.several else ForEachSeed(self.spectra) if self.spectra[0] else None
        with nullcontext() if callable(trainer) else quiet_notices():
            fitted = fit_grades(self.data, self.grades, self.runs, trainer_factory(trainer, callback),
                                self.check_every, self.cuda_graph, self.stop, on_restored, on_grade_end)
        return [MultiGradeModel(stair, records, cb.arrays() if cb is not None else None)
                for (stair, records), cb in zip(fitted, self.spectra)]


def fit(grades: Sequence[GradeSpec], schedule: GradeSchedule | Sequence, x: Arrays | RegressionData,
        y: Arrays | None = None, *, val: tuple[Arrays, Arrays] | None = None,
        test: tuple[Arrays, Arrays] | None = None,
        trainer: Callable[[int, int], L.Trainer] | dict[str, Any] | None = None,
        **options: Any) -> MultiGradeModel | list[MultiGradeModel]:
    """Fit ``grades`` on inputs ``x`` (N, d) and targets ``y`` (N, m) (NumPy arrays or
    tensors; (N,) for one column), with optional ``val`` and ``test`` pairs whose metrics
    (RSE) each grade's record holds, or on a ``RegressionData`` given as ``x``; return the
    model (a list of them with ``seeds``). ``options`` are ``MultiGrade``'s (seed, seeds,
    folder, checkpoint_every, spectra, adaptive, check_every, cuda_graph); ``trainer`` is
    ``MultiGrade.fit``'s."""
    fitting = MultiGrade(grades, schedule, regression_data(x, y, val, test), **options)
    models = fitting.fit(trainer)
    return models if fitting.several else models[0]
