"""A grade run's library objects, read from its composed config: the grades
(``GradeSpec``), their schedules (``GradeSchedule``), adaptive grading, the fit
(``MultiGrade``), and whether the run trains with a paper's published settings.

The objects' constructors check what a value means; a refusal becomes a ``ConfigError``
naming the config key it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from multigrade.api import MultiGrade
from multigrade.data.regression import RegressionData
from multigrade.errors import ConfigError, SweepError, config_keys
from multigrade.grades.adaptive import AdaptiveGrading
from multigrade.grades.records import GradeSpec, check_buildable
from multigrade.grades.schedule import FIELDS, GradeSchedule, grade_schedule, value_for_grade
from multigrade.jobs import one_device
from multigrade.overrides import in_multirun, job_settings_overrides


def check_one_device(cfg: DictConfig, why: str) -> None:
    """Refuse a trainer of more than one device or process (``jobs.one_device``) for a run
    that trains on one, saying ``why``: a ``SweepError`` in a multirun (every job would fail
    alike), else a ``ConfigError``."""
    if not one_device(cfg.trainer):
        error = SweepError if in_multirun() else ConfigError
        raise error(f"trainer.devices={cfg.trainer.get('devices')}, trainer.strategy={cfg.trainer.get('strategy')}"
                    f"{why}")


def check_grade_run(cfg: DictConfig) -> None:
    """The grades train on one device, on the host: a grade's epoch is one step on the
    device's copy of the data, so there is nothing to split across processes, and no
    target deploys them."""
    check_one_device(cfg, ": the grades train on one device (trainer.devices=1); train seeds side by side with"
                          " seeds=[0,1,2], or run seeds and settings as a sweep (-m seed=0,1,2 with"
                          " hydra/launcher=joblib or cluster=local|slurm)")
    if cfg.target.get("_target_") is not None:
        raise ConfigError(f"target ({cfg.target._target_}) deploys spiking students (python -m multigrade.snn);"
                          " the grades run on the host: leave target=none")


def with_overrides(settings: dict[str, Any], cfg: DictConfig) -> dict[str, Any]:
    """``settings`` with the non-null ``train.*`` values put in and the epochs (a number or
    a per-grade list) capped at ``profile.max_epochs``."""
    settings = dict(settings)
    for key, value in OmegaConf.to_container(cfg.train, resolve=True).items():
        if value is not None:
            settings[key] = value
    cap, epochs = cfg.profile.max_epochs, settings.get("epochs")

    def capped(value: Any) -> Any:  # a number of epochs; anything else GradeSchedule names
        return min(value, cap) if isinstance(value, int) and not isinstance(value, bool) else value

    if cap is not None and epochs is not None:
        settings["epochs"] = [capped(e) for e in epochs] if isinstance(epochs, list) else capped(epochs)
    return settings


def schedule_key(cfg: DictConfig) -> str:
    """Where the run's schedule is: ``schedules.<profile's schedule>.<model>``."""
    return f"schedules.{cfg.profile.schedule}.{cfg.model.kind}"


def training_settings(cfg: DictConfig, key: str) -> dict[str, Any]:
    """The schedule at ``key`` (``schedule_key`` for a grade run), with ``train.*``
    overrides applied and epochs capped at ``profile.max_epochs``."""
    schedule = OmegaConf.select(cfg, key, default=None)
    if schedule is None:
        raise ConfigError(f"experiment {cfg.name!r} defines no {key}: add it to the experiment's config"
                          f" (profile {cfg.profile.name!r} uses the {cfg.profile.schedule!r} schedule)")
    return with_overrides(OmegaConf.to_container(schedule, resolve=True), cfg)


def padded(value: Any, count: int) -> Any:
    """A per-grade list extended to ``count`` entries with its last one (others unchanged)."""
    if isinstance(value, list) and value and len(value) < count:
        return value + [value[-1]] * (count - len(value))
    return value


def schedule_keys(cfg: DictConfig, schedule: str) -> dict[str, str]:
    """The config key each schedule field's value comes from: ``train.<field>`` where an
    override sets it, else ``<schedule>.<field>``."""
    return {field: f"train.{field}" if OmegaConf.select(cfg, f"train.{field}", default=None) is not None
            else f"{schedule}.{field}" for field in FIELDS}


def grade_schedules(cfg: DictConfig, count: int, extend: bool = False) -> list[GradeSchedule]:
    """Each grade's schedule; with ``extend`` (adaptive grading) per-grade lists shorter
    than ``count`` repeat their last entry. A refused value is named by its key:
    ``train.<field>`` where an override set it, else the schedule's."""
    settings = training_settings(cfg, schedule_key(cfg))
    if extend:
        settings = {key: padded(value, count) for key, value in settings.items()}
    with config_keys(schedule_keys(cfg, schedule_key(cfg)), schedule_key(cfg)):
        return [grade_schedule(settings, k) for k in range(1, count + 1)]


def grade_specs(cfg: DictConfig, count: int | None = None) -> list[GradeSpec]:
    """The grades of ``model``: ``model.grades`` lists hidden widths per grade;
    ``model.activation``, ``model.output`` and ``model.stack`` are one value or one per
    grade. With ``count`` (adaptive grading), exactly ``count`` grades: the listed ones,
    then grades like the last listed (of ``model.adaptive_grading.widths`` when given)."""
    kind = cfg.model.kind
    where = f"model (architecture.{kind})"
    network = OmegaConf.select(cfg, f"architecture.{kind}", default=None)
    if network is None or OmegaConf.is_missing(network, "grades"):
        raise ConfigError(f"experiment {cfg.name!r} sets no architecture.{kind}.grades, the network"
                          f" model={kind} trains: add it to the experiment's config (e.g. [[256, 256]])"
                          f" or choose another model")
    model = OmegaConf.to_container(cfg.model, resolve=True)
    grades, activation, output, stack = model["grades"], model["activation"], model["output"], model["stack"]
    if not isinstance(grades, list) or not grades or not all(isinstance(g, list) and g for g in grades):
        raise ConfigError(f"model.grades (architecture.{kind}.grades) must be a list of hidden-width lists, e.g."
                          f" [[256, 256], [256, 256]]; got {grades!r}"
                          + (f" (no structure {cfg.structure!r} in structures)" if cfg.get("structures") else ""))
    if count is not None:
        added = model["adaptive_grading"]["widths"] or grades[-1]
        grades = grades[:count] + [added] * (count - len(grades))
        activation, output, stack = padded(activation, count), padded(output, count), padded(stack, count)
    with config_keys({}, where):
        return [GradeSpec(list(widths), value_for_grade(activation, k, "model.activation"),
                          value_for_grade(output, k, "model.output"), value_for_grade(stack, k, "model.stack"))
                for k, widths in enumerate(grades, start=1)]


def adaptive_grading(cfg: DictConfig, metric: str) -> AdaptiveGrading | None:
    """``model.adaptive_grading`` when ``model.adaptive`` is on, judged on ``metric``."""
    if not cfg.model.adaptive:
        return None
    if cfg.model.kind != "mgdl":
        raise ConfigError(f"model.adaptive adds grades to MGDL; model={cfg.model.kind} has one grade")
    settings = cfg.model.adaptive_grading
    with config_keys({}, "model.adaptive_grading"):
        return AdaptiveGrading(metric, settings.max_grades, settings.target, settings.min_improvement)


def uses_paper_settings(cfg: DictConfig) -> bool:
    """Whether this run trains with its experiment's published paper settings, unchanged:
    a paper published the model's ``paper`` schedule (``paper_schedule_published``), every
    grade trains on it (after ``train.*`` and the profile's epoch cap; compared grade by
    grade, so a value and a list of it, or ``full`` and null, agree), and no override (of
    this job, under Hydra) changes its data, network or trainer."""
    paper = cfg.schedules.get("paper", {}).get(cfg.model.kind)
    if paper is None or not (cfg.paper_schedule_published or {}).get(cfg.model.kind, False):
        return False
    if job_settings_overrides():
        return False
    published = OmegaConf.to_container(paper, resolve=True)
    count = len(cfg.model.grades)
    return grade_schedules(cfg, count) == [grade_schedule(published, k) for k in range(1, count + 1)]


# MultiGrade's arguments that a grade run's config sets, by the config key that sets them
FIT_KEYS = {"check_every": "callbacks.log_every_epochs", "checkpoint_every": "callbacks.checkpoint_every_epochs",
            "evolution_points": "callbacks.spectra.evolution_points", "seeds": "seeds",
            "batch_size": "train.batch_size"}


def grade_fit(cfgs: list[DictConfig], data: RegressionData, folders: list[Path]) -> MultiGrade:
    """The fit the configs ``cfgs`` describe, checked before anything trains
    (``MultiGrade``): one model, or several side by side (the seeds of ``seeds=[...]``, or a
    sweep's jobs that differ in seed and learning rates), model s of config ``cfgs[s]``
    trained into ``folders[s]`` with the residual spectra recorded."""
    cfg, several = cfgs[0], len(cfgs) > 1
    adaptive = adaptive_grading(cfg, data.metrics[0])
    grades = grade_specs(cfg, adaptive.max_grades if adaptive else None)
    with config_keys({}, f"model (architecture.{cfg.model.kind})"):  # every grade builds, before any trains
        check_buildable(grades, data.in_features, data.out_features)
    schedules = [grade_schedules(own, len(grades), extend=adaptive is not None) for own in cfgs]
    with config_keys(FIT_KEYS):
        return MultiGrade(grades, schedules if several else schedules[0], data, seed=int(cfg.seed),
                          seeds=[int(own.seed) for own in cfgs] if several else None,
                          folder=folders if several else folders[0],
                          checkpoint_every=None if several else cfg.callbacks.checkpoint_every_epochs,
                          spectra=True, evolution_points=cfg.callbacks.spectra.evolution_points, adaptive=adaptive,
                          check_every=cfg.callbacks.log_every_epochs, cuda_graph=cfg.cuda_graph)


def schedule_settings(cfg: DictConfig) -> dict[str, Any]:
    """``schedules.<profile.schedule>`` with ``train.*`` overrides and the profile's epoch
    cap, checked by ``GradeSchedule`` (a refusal names its key)."""
    key = f"schedules.{cfg.profile.schedule}"
    settings = training_settings(cfg, key)
    with config_keys(schedule_keys(cfg, key), key):
        GradeSchedule(settings.get("epochs"), None, settings.get("lr_max"), settings.get("lr_min"))
    return settings
