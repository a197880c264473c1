"""What a grade run writes into its folder: it trains its configured fit (``settings.grade_fit``)
with the configured trainer and logger, then writes ``spectra.npz``, ``curves.npz``, the figures and the
content of ``metrics.json`` of every model (each seed side by side into its own folder).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as L
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from multigrade.api import MultiGrade, MultiGradeModel
from multigrade.data.regression import RegressionData
from multigrade.grades.progress import GradeProgressBar, GradeProgressLog
from multigrade.grades.records import GradeRecord
from multigrade.io import write_npz
from multigrade.settings import uses_paper_settings
from multigrade.spectra.plots import fit_figure, reconstructions_figure, save_figure, write_run_figures
from multigrade.tracking import log_grade, log_grades

log = logging.getLogger(__name__)


def trainer_factory(cfg: DictConfig, logger) -> Any:
    """``make_trainer(k, K)``: the configured trainer with the logger, the progress display
    and fresh instances of the configured ``callbacks.extra``."""

    def make_trainer(grade: int, total: int) -> L.Trainer:
        callbacks: list[L.Callback] = [instantiate(callback) for callback in cfg.callbacks.extra]
        progress = cfg.callbacks.progress
        show_bar = cfg.trainer.enable_progress_bar and progress.refresh_rate > 0
        if show_bar:
            callbacks.append(GradeProgressBar(grade, total, progress.refresh_rate))
        elif progress.log_lines_per_grade > 0:
            callbacks.append(GradeProgressLog(grade, total, progress.log_lines_per_grade))
        return instantiate(cfg.trainer, max_epochs=1, logger=logger, callbacks=callbacks,
                           enable_progress_bar=bool(show_bar))

    return make_trainer


def seed_config(cfg: DictConfig, seed: int, folder: Path) -> DictConfig:
    """The config of ``seed`` run alone (``seed`` set, ``seeds`` null) in ``folder``, as
    that folder records it."""
    own = cfg.copy()
    with open_dict(own):
        own.seed, own.seeds, own.paths.output_dir = int(seed), None, str(folder)
    return own


def fit_and_write(cfgs: list[DictConfig], data: RegressionData, fitting: MultiGrade, folders: list[Path], logger,
                  started: float) -> list[tuple[dict[str, Any], list[GradeRecord]]]:
    """Train ``fitting`` (the models of the configs ``cfgs``, one folder each) with the
    first config's trainer, sending each grade's metrics (their mean over the models) to
    ``logger``; write each model's folder but its ``metrics.json`` (``write_results``) and
    return each one's metrics and grade records."""
    first = cfgs[0]
    every = first.callbacks.log_every_epochs
    schedules = [run.schedules for run in fitting.runs]
    models = fitting.fit(trainer_factory(first, logger),
                         on_restored=lambda records: log_grades(logger, records, schedules, every),
                         on_grade_end=lambda stairs, records: log_grade(logger, GradeRecord.mean(records)))
    return [(write_results(cfg, data, folder, model, started), model.records)
            for cfg, folder, model in zip(cfgs, folders, models)]


def write_results(cfg: DictConfig, data: RegressionData, out: Path, model: MultiGradeModel,
                  started: float) -> dict[str, Any]:
    """A run folder's spectra, curves and figures, written from the grades (again where a
    restart restored them all: so a folder with ``metrics.json`` is whole); returns its
    ``metrics.json`` content."""
    records = model.records
    write_npz(out / "spectra.npz", **model.spectra)
    write_npz(out / "curves.npz", **{f"loss_grade_{r.grade}": r.loss_history for r in records})
    title = f"{cfg.name} {cfg.model.kind.upper()} ({cfg.profile.name})"
    write_run_figures(out, model.spectra, [r.loss_history for r in records], title,
                      log_spectra=data.image_shape is not None)
    if data.image_shape is not None:
        write_reconstructions(out, model, data, title)
    elif data.in_features <= 2 and "test" in data.splits:
        write_fit(out, model, data, title)
    return {
        "experiment": cfg.name,
        "model": cfg.model.kind,
        "profile": cfg.profile.name,
        "paper_settings": uses_paper_settings(cfg),
        "seed": int(cfg.seed),
        "device": str(next(model.stair.parameters()).device),
        "total_seconds": time.perf_counter() - started,
        "metrics": list(data.metrics),
        # where the network was trained: the training inputs' box, and an image's pixels
        "inputs": {"low": data.x_train.min(dim=0).values.tolist(), "high": data.x_train.max(dim=0).values.tolist(),
                   **({"image_shape": list(data.image_shape)} if data.image_shape is not None else {})},
        "grades": [r.summary() for r in records],
        **({"baselines": data.baselines} if data.baselines else {}),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }


def write_reconstructions(out: Path, model: MultiGradeModel, data: RegressionData, title: str) -> Path:
    """``figures/reconstructions.png``: the test image and ``f_k`` on it after each grade."""
    h, w = data.image_shape
    x_test, y_test = data.split("test")
    cumulative = model.predict(x_test.numpy(), every_grade=True)
    figure = reconstructions_figure(
        y_test.numpy().reshape(h, w, -1), cumulative.reshape(len(model.records), h, w, -1),
        [r.metrics.get("test_psnr") for r in model.records],
        f"{title}: f_k on the test image (shown clipped to [0, 1]; PSNR unclipped)",
    )
    return save_figure(figure, out / "figures" / "reconstructions.png")


def write_fit(out: Path, model: MultiGradeModel, data: RegressionData, title: str) -> Path:
    """``figures/fit.png``: ``f_k`` against the target on the test points after each grade."""
    x_test, y_test = data.split("test")
    headline = data.metrics[0]
    labels = [f"f_{r.grade}, test {headline} {r.metrics[f'test_{headline}']:.3g}" for r in model.records]
    figure = fit_figure(x_test.numpy(), y_test.numpy(), model.predict(x_test.numpy(), every_grade=True), labels,
                        f"{title}: f_k against the target on the test points")
    return save_figure(figure, out / "figures" / "fit.png")


def seeds_summary(fitted: list[tuple[dict[str, Any], list[GradeRecord]]], folders: list[Path],
                  config: dict[str, Any], started: float) -> dict[str, Any]:
    """The ``metrics.json`` of seeds trained side by side: the mean (and std) over the
    seeds of each grade's metrics, with the seeds' folders."""
    runs = [metrics for metrics, _ in fitted]
    per_grade = [list(grade) for grade in zip(*(records for _, records in fitted))]
    return {**{key: runs[0][key] for key in ("experiment", "model", "profile", "paper_settings", "device",
                                              "metrics")},
            "seeds": [metrics["seed"] for metrics in runs], "runs": [folder.name for folder in folders],
            "total_seconds": time.perf_counter() - started,
            "grades": [GradeRecord.mean(records).summary() for records in per_grade],
            "grades_std": [GradeRecord.std(records) for records in per_grade],
            "config": config}


def job_value(metrics: dict[str, Any]) -> float:
    """The value a job returns to the sweeper: its last grade's ``val_<headline metric>``."""
    return metrics["grades"][-1][f"val_{metrics['metrics'][0]}"]
