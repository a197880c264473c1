"""Hydra entry point: ``python -m multigrade.run experiment=<name> profile=<smoke|quick|paper>``.

One run fits the grades of the selected model (``model=mgdl`` or ``model=sgdl``) on the
experiment's data and writes into ``paths.output_dir``:

* ``metrics.json`` (written last: its presence means the run finished),
* ``spectra.npz`` (see ``SpectraCallback``), ``curves.npz`` (per-grade training losses),
* ``figures/*.png``, ``checkpoints/grade_<k>.pt``, ``logs/metrics.csv``, ``.hydra/``.

With ``seeds=[0,1,2]`` the seeds train side by side as one stacked model (on a GPU in
about the time of one) and each writes the files above (but the logs) into ``seed_<s>/``;
the run's own ``metrics.json`` then holds their mean and standard deviation per grade. A
sweep's jobs that differ only in seed and learning rates train the same way, each into its
own job folder, with ``hydra/launcher=stacked`` (``multigrade.sweeps.side_by_side``).
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
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from multigrade.checks import (ConfigError, SweepError, check_settings, check_sweep_direction, in_multirun, one_device,
                               stop_on_input_error)
from multigrade.cuda_check import skip_missing_nvml
from multigrade.data.regression import RegressionData
from multigrade.grades.adaptive import AdaptiveGrading
from multigrade.grades.checkpoints import check_grade_files
from multigrade.grades.loop import cumulative_predictions, fit_grades, run_identity
from multigrade.grades.metrics import METRICS
from multigrade.grades.progress import GradeProgressBar, GradeProgressLog
from multigrade.grades.records import GradeRecord, GradeSpec, check_buildable
from multigrade.grades.schedule import GradeSchedule, grade_schedule, value_for_grade
from multigrade.grades.stacked import ForEachSeed, fit_stacked
from multigrade.grades.stair import StairNetwork
from multigrade.io import write_json, write_npz
from multigrade.overrides import override_key
from multigrade.run_folder import record_run
from multigrade.spectra.callback import SpectraCallback
from multigrade.spectra.plots import reconstructions_figure, save_figure, write_run_figures
from multigrade.tracking import closed_if_failed, finish, log_config, log_grade, log_grades

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

log = logging.getLogger(__name__)


def output_dir(cfg: DictConfig) -> Path:
    """The job's folder as Hydra set it up (``hydra.run.dir``, i.e. ``paths.output_dir``,
    for a single run, which the processes that distributed training starts are handed; a
    folder of the sweep in a multirun), else ``paths.output_dir``."""
    hydra_cfg = HydraConfig.get() if HydraConfig.initialized() else None
    folder = OmegaConf.select(hydra_cfg, "runtime.output_dir", default=None) if hydra_cfg is not None else None
    return Path(folder) if folder else Path(cfg.paths.output_dir)


def claim_output_dir(cfg: DictConfig) -> Path:
    """``output_dir(cfg)``, created and recorded as ``paths.output_dir`` (in a multirun the
    sweep's job folder, not the single run's default), so that the config a run logs and
    writes names the folder it wrote."""
    out = output_dir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    with open_dict(cfg):
        cfg.paths.output_dir = str(out)
    return out


def grade_specs(cfg: DictConfig, count: int | None = None) -> list[GradeSpec]:
    """The grades of ``model``: ``model.grades`` lists hidden widths per grade;
    ``model.activation`` and ``model.output`` are one value or one per grade. With
    ``count`` (adaptive grading), exactly ``count`` grades: the listed ones, then grades
    like the last listed (of ``model.adaptive_grading.widths`` when given)."""
    kind = cfg.model.kind
    network = cfg.architecture.get(kind)
    if network is None or OmegaConf.is_missing(network, "grades"):
        raise ConfigError(f"experiment {cfg.name!r} sets no architecture.{kind}.grades, the network"
                          f" model={kind} trains: add it to the experiment's config (e.g. [[256, 256]])"
                          f" or choose another model")
    grades = cfg.model.grades
    grades = OmegaConf.to_container(grades, resolve=True) if OmegaConf.is_config(grades) else grades
    if not grades or not all(isinstance(g, list) and g for g in grades):
        raise ConfigError(
            f"model.grades (architecture.{cfg.model.kind}.grades) must be a list of hidden-width"
            f" lists, e.g. [[256, 256], [256, 256]]; got {grades!r}"
            + (f" (no structure {cfg.structure!r} in structures)" if "structures" in cfg else "")
        )
    model = OmegaConf.to_container(cfg.model, resolve=True)
    activation, output, stack = model["activation"], model.get("output", "linear"), model.get("stack")
    if count is not None:
        added = model["adaptive_grading"].get("widths") or grades[-1]
        grades = grades[:count] + [added] * (count - len(grades))
        activation, output, stack = padded(activation, count), padded(output, count), padded(stack, count)
    try:
        return [
            GradeSpec(list(widths), value_for_grade(activation, k, "model.activation"),
                      value_for_grade(output, k, "model.output"), value_for_grade(stack, k, "model.stack"))
            for k, widths in enumerate(grades, start=1)
        ]
    except ValueError as error:
        raise ConfigError(f"model (architecture.{cfg.model.kind}): {error}") from None


def check_stacks(cfg: DictConfig, grades: list[GradeSpec], data: RegressionData) -> None:
    """Every grade's stack (its affine layers and activations, or one's own ``model.stack``)
    builds, with the width its grade needs, before any grade trains (a ``ConfigError``
    naming the grade)."""
    try:
        check_buildable(grades, data.in_features, data.out_features)
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


# Overrides that leave what a run trains the experiment's: which experiment (a spiking
# one's too), model and profile (groups, by name), the seeds, where and how it is recorded
# and shown, the device; train.* changes the schedule, which is compared itself.
NEUTRAL_GROUPS = ("experiment", "spiking", "model", "profile", "logger", "cluster", "hparams_search")
NEUTRAL_KEYS = ("seed", "seeds", "cuda_graph", "trainer.accelerator", "trainer.devices",
                "trainer.enable_progress_bar")
NEUTRAL_TREES = ("paths", "callbacks", "train", "logger", "cluster_settings")


def settings_overrides(overrides: list[str], variants: tuple[str, ...] = ()) -> list[str]:
    """The keys of ``overrides`` (Hydra's ``key=value``) that change what a run trains: its
    data, network, profile caps or trainer (all but the neutral ones above, and the keys
    ``variants`` that choose among a paper's own variants)."""
    keys = [override_key(override) for override in overrides]
    return [key for key in keys if key not in NEUTRAL_GROUPS + NEUTRAL_KEYS + variants
            and not key.startswith(tuple(f"{tree}." for tree in NEUTRAL_TREES))]


def job_settings_overrides(variants: tuple[str, ...] = ()) -> list[str]:
    """``settings_overrides`` of this Hydra job's overrides (none outside Hydra)."""
    if not HydraConfig.initialized():
        return []
    return settings_overrides(list(HydraConfig.get().overrides.task), variants)


def uses_paper_settings(cfg: DictConfig) -> bool:
    """Whether this run trains with its experiment's published paper settings, unchanged:
    a paper published the model's ``paper`` schedule (``paper_schedule_published``), every
    grade trains on it (after ``train.*`` and the profile's epoch cap; compared grade by
    grade, so a value and a list of it, or ``full`` and null, agree), and no override (of
    this job, under Hydra) changes its data, network or trainer."""
    paper = cfg.schedules.get("paper", {}).get(cfg.model.kind)
    if paper is None or not cfg.get("paper_schedule_published", {}).get(cfg.model.kind, False):
        return False
    if job_settings_overrides():
        return False
    published = OmegaConf.to_container(paper, resolve=True)
    count = len(cfg.model.grades)
    return grade_schedules(cfg, count) == [grade_schedule(published, k) for k in range(1, count + 1)]


def padded(value: Any, count: int) -> Any:
    """A per-grade list extended to ``count`` entries with its last one (others unchanged)."""
    if isinstance(value, list) and value and len(value) < count:
        return value + [value[-1]] * (count - len(value))
    return value


def adaptive_grading(cfg: DictConfig, metric: str) -> AdaptiveGrading | None:
    """``model.adaptive_grading`` when ``model.adaptive`` is on, judged on ``metric``."""
    enabled = cfg.model.get("adaptive", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"model.adaptive must be true or false; got {enabled!r}")
    if not enabled:
        return None
    if cfg.model.kind != "mgdl":
        raise ConfigError(f"model.adaptive adds grades to MGDL; model={cfg.model.kind} has one grade")
    if cfg.get("seeds"):
        raise ConfigError("model.adaptive=true stops each seed at its own grade: run the seeds as a sweep"
                          " (-m seed=0,1,2) rather than seeds=[...]")
    settings = OmegaConf.to_container(cfg.model.adaptive_grading, resolve=True)
    try:
        return AdaptiveGrading(metric, settings["max_grades"], settings["target"], settings["min_improvement"])
    except ValueError as error:
        raise ConfigError(f"model.adaptive_grading: {error}") from None


def grade_schedules(cfg: DictConfig, count: int, extend: bool = False) -> list[GradeSchedule]:
    """Each grade's schedule; with ``extend`` (adaptive grading) per-grade lists shorter
    than ``count`` repeat their last entry."""
    settings = training_settings(cfg)
    if extend:
        settings = {key: padded(value, count) for key, value in settings.items()}
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
    the data, so there is nothing to split across processes (in a multirun, a ``SweepError``:
    every job would fail alike)."""
    if not one_device(cfg.trainer):
        error = SweepError if in_multirun() else ConfigError
        raise error(f"trainer.devices={cfg.trainer.get('devices')}, trainer.strategy="
                    f"{cfg.trainer.get('strategy')}: the grades train on one device (trainer.devices=1);"
                    f" train seeds side by side with seeds=[0,1,2], or run seeds and"
                    f" settings as a sweep (-m seed=0,1,2 with hydra/launcher=joblib or"
                    f" cluster=local|slurm)")


def check_grade_run(cfg: DictConfig) -> None:
    """What a grade run needs besides ``check_settings``: one device, no target."""
    check_single_device(cfg)
    if cfg.target.get("_target_") is not None:
        raise ConfigError(f"target ({cfg.target._target_}) deploys spiking students (python -m multigrade.snn);"
                          " the grades run on the host: leave target=none")


def prepare_run(cfg: DictConfig) -> Path:
    """Check the settings, create the run folder (``claim_output_dir``), make cuBLAS deterministic when the
    trainer is, quieten Lightning and seed every generator from ``cfg.seed``; return the
    folder."""
    check_settings(cfg)
    out = claim_output_dir(cfg)
    if cfg.trainer.get("deterministic"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    quiet_lightning()
    skip_missing_nvml()
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    return out


def run(cfg: DictConfig) -> dict[str, Any]:
    """Fit the configured model; write the run folder; return the metrics written. With
    ``seeds`` set, every listed seed is trained side by side in one stacked model and
    gets its own run folder ``seed_<s>/``; the run's ``metrics.json`` holds their means."""
    started = time.perf_counter()
    check_grade_run(cfg)
    out = prepare_run(cfg)
    data = instantiate(cfg.data)
    check_sweep_direction(f"val_{data.metrics[0]}", METRICS[data.metrics[0]].higher_is_better)
    adaptive = adaptive_grading(cfg, data.metrics[0])
    grades = grade_specs(cfg, adaptive.max_grades if adaptive else None)
    check_stacks(cfg, grades, data)
    schedules = grade_schedules(cfg, len(grades), extend=adaptive is not None)
    seeds = cfg.get("seeds")
    check_equation_run(data, schedules, seeds)
    check_checkpoints(out, data, grades, schedules, cfg, adaptive)
    record_run()
    logger = instantiate(cfg.logger, save_dir=str(out)) if cfg.get("logger") else False
    with closed_if_failed(logger):
        metrics = train_and_record(cfg, data, grades, schedules, adaptive, logger, out, started)
    write_json(out / "metrics.json", metrics)
    headline = data.metrics[0]
    last = metrics["grades"][-1]
    log.info("done in %.1f s: test %s %.4g (train %.4g, val %.4g)%s -> %s", time.perf_counter() - started,
             headline, last[f"test_{headline}"], last[f"train_{headline}"], last[f"val_{headline}"],
             f", mean of {len(seeds)} seeds" if seeds else "", out / "metrics.json")
    return metrics


def seed_folders(out: Path, seeds) -> list[Path]:
    """The run folders of seeds trained side by side (``seeds=[...]``): ``out/seed_<s>``."""
    return [out / f"seed_{int(seed)}" for seed in seeds]


def check_checkpoints(out: Path, data: RegressionData, grades: list[GradeSpec], schedules: list[GradeSchedule],
                      cfg: DictConfig, adaptive: AdaptiveGrading | None) -> None:
    """Refuse, before anything is written, checkpoints in the run folder that this run,
    started again there, could not take as its own (``check_grade_files``): its grade files
    (under its stop rule) and in-grade checkpoint, or each seed's grade files side by side
    (which keep no in-grade checkpoints)."""
    seeds = cfg.get("seeds")
    if seeds:
        for seed, folder in zip(seeds, seed_folders(out, seeds)):
            check_grade_files(folder / "checkpoints", grades, schedules, run_identity(data, int(seed)))
    else:
        check_grade_files(out / "checkpoints", grades, schedules, run_identity(data, int(cfg.seed)),
                          adaptive.stop if adaptive else None, cfg.callbacks.checkpoint_every_epochs)


def train_and_record(cfg: DictConfig, data: RegressionData, grades: list[GradeSpec], schedules: list[GradeSchedule],
                     adaptive: AdaptiveGrading | None, logger, out: Path, started: float) -> dict[str, Any]:
    """Train the grades (of every seed in ``seeds``, side by side), write the run folder but
    ``metrics.json``, send the config, curves and grades to ``logger``; return the metrics."""
    seeds = cfg.get("seeds")
    config = OmegaConf.to_container(cfg, resolve=True)
    log_config(logger, config)
    log.info("%s (%s, profile %s): %d grade(s)%s -> %s", cfg.name, cfg.model.kind, cfg.profile.name,
             len(grades), f", seeds {list(seeds)} side by side" if seeds else "", out)
    if seeds:
        return run_seeds_side_by_side(cfg, data, grades, schedules, logger, config, out, started)
    spectra = new_spectra(cfg, data, out)
    stair, records = fit_grades(data, grades, schedules, trainer_factory(cfg, logger, spectra), cfg.seed,
                                checkpoint_dir=out / "checkpoints",
                                check_every=cfg.callbacks.log_every_epochs,
                                on_grade_end=lambda stair, record: log_grade(logger, record),
                                on_restored=lambda records: log_grades(logger, [records], [schedules],
                                                                       cfg.callbacks.log_every_epochs),
                                stateful={"spectra": spectra},
                                checkpoint_every=cfg.callbacks.checkpoint_every_epochs,
                                cuda_graph=cfg.cuda_graph, stop=adaptive.stop if adaptive else None)
    metrics = write_results(cfg, data, out, stair, records, spectra, config, int(cfg.seed), started)
    if adaptive:
        metrics["adaptive"] = adaptive.summary(records)
        log.info("adaptive grading stopped after grade %d (%s): %s", len(records),
                 metrics["adaptive"]["stopped"], metrics["adaptive"]["why"])
    finish(logger, sorted((out / "figures").glob("*.png")), records)
    return metrics


def check_equation_run(data: RegressionData, schedules: list[GradeSchedule], seeds) -> None:
    """An equation couples all its nodes: its grades train full batch (``GradeSchedule.
    full_batch``) and one model at a time; raise a ``ConfigError`` otherwise."""
    if data.equation is None:
        return
    points = data.split("train")[0].shape[0]
    if not all(schedule.full_batch(points) for schedule in schedules):
        raise ConfigError(f"{data.name} is an equation coupling all its nodes: its grades train full batch;"
                          f" set train.batch_size=full (the schedule asks for minibatches of"
                          f" {[schedule.batch_size for schedule in schedules]} of its {points} nodes)")
    if seeds:
        raise ConfigError(f"seeds=[...] trains regression targets side by side; {data.name} is an equation:"
                          f" run its seeds as a sweep (-m seed=0,1,2)")


def new_spectra(cfg: DictConfig, data: RegressionData, folder: Path) -> SpectraCallback:
    return SpectraCallback(folder, data.spectral_grid, data.target_frequencies, cfg.callbacks.spectra.evolution_points)


def trainer_factory(cfg: DictConfig, logger, callback: L.Callback):
    """``make_trainer(k, K)``: the configured trainer with ``callback`` and the progress display."""

    def make_trainer(grade: int, total: int) -> L.Trainer:
        callbacks: list[L.Callback] = [callback]
        progress = cfg.callbacks.progress
        show_bar = cfg.trainer.enable_progress_bar and progress.refresh_rate > 0
        if show_bar:
            callbacks.append(GradeProgressBar(grade, total, progress.refresh_rate))
        elif progress.log_lines_per_grade > 0:
            callbacks.append(GradeProgressLog(grade, total, progress.log_lines_per_grade))
        return instantiate(cfg.trainer, max_epochs=1, logger=logger, callbacks=callbacks,
                           enable_progress_bar=bool(show_bar))

    return make_trainer


def fit_side_by_side(cfgs: list[DictConfig], seeds: list[int], folders: list[Path], data: RegressionData,
                     grades: list[GradeSpec], schedules: list[list[GradeSchedule]], logger,
                     started: float) -> list[tuple[dict[str, Any], list[GradeRecord]]]:
    """Train model s (config ``cfgs[s]``, seed ``seeds[s]``, grade schedules ``schedules[s]``)
    for every s as one stacked model (``grades.stacked``); write each model's run folder
    ``folders[s]`` (metrics.json, spectra, curves, figures and grade checkpoints, as a run of
    that model alone writes them) and return each one's metrics and grade records. The
    training losses (``loss_<s>``) and the mean of each grade's metrics go to ``logger``."""
    spectra = [new_spectra(cfg, data, folder) for cfg, folder in zip(cfgs, folders)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    first = cfgs[0]
    fitted = fit_stacked(
        data, grades, schedules, trainer_factory(first, logger, ForEachSeed(spectra)), seeds,
        check_every=first.callbacks.log_every_epochs, cuda_graph=first.cuda_graph,
        checkpoint_dirs=[folder / "checkpoints" for folder in folders],
        stateful=[{"spectra": callback} for callback in spectra],
        on_grade_end=lambda stairs, records: log_grade(logger, GradeRecord.mean(records)),
        on_restored=lambda records: log_grades(logger, records, schedules, first.callbacks.log_every_epochs),
    )
    results = []
    for cfg, seed, folder, callback, (stair, records) in zip(cfgs, seeds, folders, spectra, fitted):
        config = OmegaConf.to_container(cfg, resolve=True)
        metrics = write_results(cfg, data, folder, stair, records, callback, config, seed, started)
        write_json(folder / "metrics.json", metrics)
        results.append((metrics, records))
    return results


def seed_config(cfg: DictConfig, seed: int, folder: Path) -> DictConfig:
    """The config of ``seed`` run alone (``seed`` set, ``seeds`` null) in ``folder``, as
    that folder records it."""
    own = cfg.copy()
    with open_dict(own):
        own.seed, own.seeds, own.paths.output_dir = int(seed), None, str(folder)
    return own


def run_seeds_side_by_side(cfg: DictConfig, data: RegressionData, grades: list[GradeSpec],
                           schedules: list[GradeSchedule], logger, config: dict, out: Path,
                           started: float) -> dict[str, Any]:
    """Train ``cfg.seeds`` as one stacked model (``fit_side_by_side``) into the run folders
    ``seed_<s>/`` and return the seeds' mean (and std) per grade."""
    seeds = [int(seed) for seed in cfg.seeds]
    folders = seed_folders(out, seeds)
    configs = [seed_config(cfg, seed, folder) for seed, folder in zip(seeds, folders)]
    fitted = fit_side_by_side(configs, seeds, folders, data, grades, [schedules] * len(seeds), logger, started)
    runs = [metrics for metrics, _ in fitted]
    per_grade = [[record for _, records in fitted for record in records if record.grade == k]
                 for k in range(1, len(grades) + 1)]
    means = [GradeRecord.mean(records) for records in per_grade]
    finish(logger, [], means)
    return {**{key: runs[0][key] for key in ("experiment", "model", "profile", "paper_settings", "device",
                                              "metrics")},
            "seeds": seeds, "runs": [folder.name for folder in folders],
            "total_seconds": time.perf_counter() - started,
            "grades": [record.summary() for record in means],
            "grades_std": [GradeRecord.std(records) for records in per_grade],
            "config": config}


def write_results(cfg: DictConfig, data: RegressionData, out: Path, stair: StairNetwork,
                  records: list[GradeRecord], spectra: SpectraCallback, config: dict, seed: int,
                  started: float) -> dict[str, Any]:
    """A run folder's curves and figures; returns its ``metrics.json`` content."""
    histories = [r.loss_history for r in records]
    write_npz(out / "curves.npz", **{f"loss_grade_{r.grade}": r.loss_history for r in records})
    title = f"{cfg.name} {cfg.model.kind.upper()} ({cfg.profile.name})"
    write_run_figures(out, spectra.arrays(), histories, title, log_spectra=data.image_shape is not None)
    if data.image_shape is not None:
        write_reconstructions(out, stair, data, records, title)
    return {
        "experiment": cfg.name,
        "model": cfg.model.kind,
        "profile": cfg.profile.name,
        "paper_settings": uses_paper_settings(cfg),
        "seed": seed,
        "device": str(next(stair.parameters()).device),
        "total_seconds": time.perf_counter() - started,
        "metrics": list(data.metrics),
        "grades": [r.summary() for r in records],
        **({"baselines": data.baselines} if data.baselines else {}),
        "config": config,
    }


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


def job_value(metrics: dict[str, Any]) -> float:
    """The value a job returns to the sweeper: its last grade's ``val_<headline metric>``."""
    return metrics["grades"][-1][f"val_{metrics['metrics'][0]}"]


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> float:
    """Run one job; return the final validation value of the data's headline metric (the
    quantity a sweeper optimises: minimise RSE, maximise PSNR or accuracy)."""
    with stop_on_input_error():
        return job_value(run(cfg))


if __name__ == "__main__":
    main()
