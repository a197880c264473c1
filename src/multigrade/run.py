"""Hydra entry point: ``python -m multigrade.run experiment=<name> profile=<smoke|quick|paper>``.

One run fits the grades of the selected model (``model=mgdl`` or ``model=sgdl``) on the
experiment's data and writes into ``paths.output_dir``:

* ``metrics.json`` (written last: its presence means the run finished),
* ``spectra.npz`` (see ``SpectraCallback``), ``curves.npz`` (per-grade training losses),
* ``figures/*.png``, ``checkpoints/grade_<k>.pt``, ``logs/metrics.csv``, ``.hydra/``.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

import hydra
import lightning.pytorch as L
import numpy as np
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from multigrade.checks import ConfigError, check_settings, check_sweep_direction, stop_on_input_error
from multigrade.grades.loop import cumulative_predictions, fit_grades
from multigrade.grades.metrics import METRICS
from multigrade.grades.progress import GradeProgressBar, GradeProgressLog
from multigrade.data.regression import RegressionData
from multigrade.grades.records import GradeRecord, GradeSpec
from multigrade.grades.schedule import GradeSchedule, grade_schedule, value_for_grade
from multigrade.grades.stair import StairNetwork
from multigrade.io import write_json, write_npz
from multigrade.spectra.callback import SpectraCallback
from multigrade.spectra.plots import reconstructions_figure, save_figure, write_run_figures
from multigrade.tracking import finish, log_config, log_grade

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

log = logging.getLogger(__name__)


def output_dir(cfg: DictConfig) -> Path:
    """The job's folder as Hydra set it up (``hydra.run.dir``, i.e. ``paths.output_dir``,
    for a single run, which the processes that distributed training starts are handed; a
    folder of the sweep in a multirun), else ``paths.output_dir``."""
    hydra_cfg = HydraConfig.get() if HydraConfig.initialized() else None
    folder = OmegaConf.select(hydra_cfg, "runtime.output_dir", default=None) if hydra_cfg is not None else None
    return Path(folder) if folder else Path(cfg.paths.output_dir)


def grade_specs(cfg: DictConfig) -> list[GradeSpec]:
    """The grades of ``model``: ``model.grades`` lists hidden widths per grade;
    ``model.activation`` and ``model.output`` are one value or one per grade."""
    grades = cfg.model.grades
    grades = OmegaConf.to_container(grades, resolve=True) if OmegaConf.is_config(grades) else grades
    if not grades or not all(isinstance(g, list) and g for g in grades):
        raise ConfigError(
            f"model.grades (architecture.{cfg.model.kind}.grades) must be a list of hidden-width"
            f" lists, e.g. [[256, 256], [256, 256]]; got {grades!r}"
            + (f" (no structure {cfg.structure!r} in structures)" if "structures" in cfg else "")
        )
    model = OmegaConf.to_container(cfg.model, resolve=True)
    try:
        return [
            GradeSpec([int(w) for w in widths], value_for_grade(model["activation"], k, "model.activation"),
                      value_for_grade(model.get("output", "linear"), k, "model.output"))
            for k, widths in enumerate(grades, start=1)
        ]
    except ValueError as error:
        raise ConfigError(f"model (architecture.{cfg.model.kind}): {error}") from None


def training_settings(cfg: DictConfig) -> dict[str, Any]:
    """The experiment's schedule for this profile and model, with ``train.*`` overrides
    applied and epochs capped at ``profile.max_epochs``."""
    schedule, kind = cfg.profile.schedule, cfg.model.kind
    schedules = cfg.get("schedules")
    if schedules is None or schedule not in schedules or kind not in schedules[schedule]:
        raise ConfigError(
            f"experiment {cfg.name!r} defines no schedules.{schedule}.{kind}: add it to the"
            f" experiment's config (profile {cfg.profile.name!r} uses the {schedule!r} schedule)"
        )
    return with_overrides(OmegaConf.to_container(schedules[schedule][kind], resolve=True), cfg)


def with_overrides(settings: dict[str, Any], cfg: DictConfig) -> dict[str, Any]:
    """``settings`` with the non-null ``train.*`` values put in and the epochs (a number or
    a per-grade list) capped at ``profile.max_epochs``."""
    settings = dict(settings)
    for key, value in OmegaConf.to_container(cfg.train, resolve=True).items():
        if value is not None:
            settings[key] = value
    cap = cfg.profile.max_epochs
    if cap is not None:
        epochs = settings["epochs"]
        settings["epochs"] = [min(e, cap) for e in epochs] if isinstance(epochs, list) else min(epochs, cap)
    return settings


def uses_paper_settings(cfg: DictConfig) -> bool:
    """Whether this run trains with the experiment's ``paper`` schedule, unchanged."""
    paper = cfg.schedules.get("paper", {}).get(cfg.model.kind)
    return paper is not None and training_settings(cfg) == OmegaConf.to_container(paper, resolve=True)


def grade_schedules(cfg: DictConfig, count: int) -> list[GradeSchedule]:
    settings = training_settings(cfg)
    try:
        return [grade_schedule(settings, k) for k in range(1, count + 1)]
    except ValueError as error:
        raise ConfigError(f"schedules.{cfg.profile.schedule}.{cfg.model.kind} / train: {error}") from None


def quiet_lightning() -> None:
    """Keep per-grade trainer chatter (device banners, eval-mode notices) out of the log."""
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.accelerators.cuda").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")
    warnings.filterwarnings("ignore", message=r".*`isinstance\(treespec, LeafSpec\)` is deprecated.*")


def check_single_device(cfg: DictConfig) -> None:
    """The grades train on one device: a grade's epoch is one step on the device's copy of
    the data, so there is nothing to split across processes."""
    devices, strategy = cfg.trainer.get("devices", 1), str(cfg.trainer.get("strategy", "auto"))
    if devices not in (1, "1", "auto") or strategy.startswith("ddp"):
        raise ConfigError(f"trainer.devices={devices}, trainer.strategy={strategy}: the grades train on one"
                          f" device; run seeds or settings side by side with a sweep instead"
                          f" (-m seed=0,1,2 with hydra/launcher=joblib or cluster=local|slurm)")


def prepare_run(cfg: DictConfig) -> Path:
    """Check the settings, create the run folder, make cuBLAS deterministic when the
    trainer is, quieten Lightning and seed every generator from ``cfg.seed``; return the
    folder."""
    check_settings(cfg)
    out = output_dir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.trainer.get("deterministic"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    quiet_lightning()
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    return out


def run(cfg: DictConfig) -> dict[str, Any]:
    """Fit the configured model; write the run folder; return the metrics written."""
    started = time.perf_counter()
    check_single_device(cfg)
    out = prepare_run(cfg)
    grades = grade_specs(cfg)
    schedules = grade_schedules(cfg, len(grades))
    data = instantiate(cfg.data)
    check_sweep_direction(f"val_{data.metrics[0]}", METRICS[data.metrics[0]].higher_is_better)
    spectra = SpectraCallback(out, data.spectral_grid, data.target_frequencies,
                              cfg.callbacks.spectra.evolution_points)
    logger = instantiate(cfg.logger, save_dir=str(out)) if cfg.get("logger") else False
    config = OmegaConf.to_container(cfg, resolve=True)
    log_config(logger, config)

    def make_trainer(grade: int, total: int) -> L.Trainer:
        callbacks: list[L.Callback] = [spectra]
        progress = cfg.callbacks.progress
        show_bar = cfg.trainer.enable_progress_bar and progress.refresh_rate > 0
        if show_bar:
            callbacks.append(GradeProgressBar(grade, total, progress.refresh_rate))
        elif progress.log_lines_per_grade > 0:
            callbacks.append(GradeProgressLog(grade, total, progress.log_lines_per_grade))
        return instantiate(cfg.trainer, max_epochs=1, logger=logger, callbacks=callbacks,
                           enable_progress_bar=bool(show_bar))

    log.info("%s (%s, profile %s): %d grade(s) -> %s", cfg.name, cfg.model.kind,
             cfg.profile.name, len(grades), out)
    stair, records = fit_grades(data, grades, schedules, make_trainer, cfg.seed,
                                checkpoint_dir=out / "checkpoints",
                                check_every=cfg.callbacks.log_every_epochs,
                                on_grade_end=lambda stair, record: log_grade(logger, record),
                                stateful={"spectra": spectra},
                                checkpoint_every=cfg.callbacks.checkpoint_every_epochs)

    histories = [r.loss_history for r in records]
    write_npz(out / "curves.npz", **{f"loss_grade_{r.grade}": r.loss_history for r in records})
    title = f"{cfg.name} {cfg.model.kind.upper()} ({cfg.profile.name})"
    write_run_figures(out, spectra.arrays(), histories, title, log_spectra=data.image_shape is not None)
    if data.image_shape is not None:
        write_reconstructions(out, stair, data, records, title)
    metrics = {
        "experiment": cfg.name,
        "model": cfg.model.kind,
        "profile": cfg.profile.name,
        "paper_settings": uses_paper_settings(cfg),
        "seed": int(cfg.seed),
        "device": str(next(stair.parameters()).device),
        "total_seconds": time.perf_counter() - started,
        "metrics": list(data.metrics),
        "grades": [r.summary() for r in records],
        "config": config,
    }
    finish(logger, sorted((out / "figures").glob("*.png")), records)
    write_json(out / "metrics.json", metrics)
    headline = data.metrics[0]
    last = records[-1].metrics
    log.info("done in %.1f s: test %s %.4g (train %.4g, val %.4g) -> %s", metrics["total_seconds"],
             headline, last[f"test_{headline}"], last[f"train_{headline}"], last[f"val_{headline}"],
             out / "metrics.json")
    return metrics


def write_reconstructions(out: Path, stair: StairNetwork, data: RegressionData,
                          records: list[GradeRecord], title: str) -> Path:
    """``figures/reconstructions.png``: the test image and ``f_k`` on it after each grade."""
    h, w = data.image_shape
    x_test, y_test = data.split("test")
    device = next(stair.parameters()).device
    cumulative = cumulative_predictions(stair, x_test.to(device)).cpu().numpy()
    figure = reconstructions_figure(
        y_test.numpy().reshape(h, w, -1), cumulative.reshape(len(records), h, w, -1),
        [r.metrics.get("test_psnr") for r in records],
        f"{title}: f_k on the test image (shown clipped to [0, 1]; PSNR unclipped)",
    )
    return save_figure(figure, out / "figures" / "reconstructions.png")


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> float:
    """Run one job; return the final validation value of the data's headline metric (the
    quantity a sweeper optimises: minimise RSE, maximise PSNR or accuracy)."""
    with stop_on_input_error():
        metrics = run(cfg)
    return metrics["grades"][-1][f"val_{metrics['metrics'][0]}"]


if __name__ == "__main__":
    main()
