"""The typed schema of the entry points' configs, registered with Hydra's ConfigStore.

Each root config (``conf/config.yaml``, ``snn.yaml``, ``scann.yaml``) starts its defaults
list with its schema, so Hydra refuses a value of the wrong type (``seed=x``,
``cuda_graph=maybe``, ``callbacks.log_every_epochs=1.5``) or an unknown key
(``train.lr_mx=...``) while it composes the config, naming the key. ``check`` refuses what
Hydra lets through: a key added with ``+`` that the schema does not have. What a value
means (a positive number of epochs, a rate) is checked by the object it configures
(``GradeSchedule``, ``GradeSpec``, ``AdaptiveGrading``, ``GradeCheckpoints``,
``SpectraCallback``, the data's function).

Nodes typed ``Any`` belong to the objects that a ``_target_`` or a group builds (data,
trainer, networks): their constructors take their keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from multigrade.errors import ConfigError


@dataclass
class TrainOverrides:
    """``train.*``: overrides of the selected schedule, each a value or a per-grade list
    (null keeps the schedule's; ``GradeSchedule`` checks them)."""

    epochs: Any = None
    lr_max: Any = None
    lr_min: Any = None


@dataclass
class GradeTrainOverrides(TrainOverrides):
    batch_size: Any = None  # an integer, or full (full batch)


@dataclass
class Profile:
    """How long and how large a run is: ``smoke``, ``quick`` or ``paper``."""

    name: str = MISSING
    schedule: str = MISSING
    max_epochs: Optional[int] = None
    description: str = ""
    image_max_side: Optional[int] = None
    digits_limit: Optional[int] = None


@dataclass
class AdaptiveGradingSettings:
    """``model.adaptive_grading`` (see ``grades.adaptive.AdaptiveGrading``)."""

    max_grades: int = 8
    target: Optional[float] = None
    min_improvement: float = 0.05
    widths: Optional[List[int]] = None


@dataclass
class Model:
    """``model``: which network of the experiment trains (``kind``), its grades' widths,
    activations, heads and stacks (a value, or one per grade), and adaptive grading."""

    kind: str = MISSING
    grades: Any = MISSING
    activation: Any = "relu"
    output: Any = "linear"
    stack: Any = None
    adaptive: bool = False
    adaptive_grading: AdaptiveGradingSettings = field(default_factory=AdaptiveGradingSettings)


@dataclass
class Spectra:
    evolution_points: int = 60


@dataclass
class Progress:
    refresh_rate: int = 1
    log_lines_per_grade: int = 10


@dataclass
class Callbacks:
    """``callbacks``: the spectra, the progress display, the epochs between loss checks and
    between in-grade checkpoints (null: whole grades only), and Lightning callbacks of
    one's own (``_target_`` dicts) for every grade's trainer."""

    spectra: Spectra = field(default_factory=Spectra)
    progress: Progress = field(default_factory=Progress)
    log_every_epochs: int = 10
    checkpoint_every_epochs: Optional[int] = 100
    extra: List[Any] = field(default_factory=list)


@dataclass
class RunConfig:
    """What every entry point's config has: its name, seed, profile, folders and cluster."""

    name: Optional[str] = MISSING  # the experiment's, from Hydra's choices
    seed: int = 0
    profile: Profile = field(default_factory=Profile)
    paths: Any = None
    cluster_settings: Any = None


@dataclass
class TrainedRunConfig(RunConfig):
    """What the configs of the runs that train have besides: schedules, trainer, logger and
    deployment target."""

    schedules: Any = MISSING
    trainer: Any = None
    logger: Any = None
    target: Any = None


@dataclass
class GradeRunConfig(TrainedRunConfig):
    """``python -m multigrade.run``'s config (``conf/config.yaml``)."""

    seeds: Optional[List[int]] = None
    cuda_graph: bool = True
    architecture: Any = MISSING
    paper_schedule_published: Any = None
    train: GradeTrainOverrides = field(default_factory=GradeTrainOverrides)
    model: Model = field(default_factory=Model)
    callbacks: Callbacks = field(default_factory=Callbacks)
    data: Any = None
    structure: Any = None  # P1 §3.4's two MGDL structures
    structures: Any = None


@dataclass
class SpikingRunConfig(TrainedRunConfig):
    """``python -m multigrade.snn``'s config (``conf/snn.yaml``)."""

    paper_schedule_published: bool = True
    paper_variants: List[str] = field(default_factory=list)
    train: TrainOverrides = field(default_factory=TrainOverrides)
    digits: Any = None
    student: Any = None
    method: Any = None
    teacher: Any = None


@dataclass
class AttackRunConfig(RunConfig):
    """``python -m multigrade.scann``'s config (``conf/scann.yaml``); the attack's own
    sections are checked by the settings they build (``scann.attack``)."""

    circuit: Any = None
    layer: Any = None
    mismatch: Any = None
    measurement: Any = None
    countermeasures: Any = None
    traces: Any = None
    attack: Any = None


SCHEMAS = {"grade_run_schema": GradeRunConfig, "spiking_run_schema": SpikingRunConfig,
           "attack_run_schema": AttackRunConfig}
for _name, _node in SCHEMAS.items():
    ConfigStore.instance().store(name=_name, node=_node)


def check(cfg: DictConfig) -> None:
    """Refuse a key the config's schema lacks (added on the command line with ``+``, which
    Hydra lets through): a ``ConfigError`` naming it."""
    schema = OmegaConf.get_type(cfg)
    if schema is None or schema is dict:
        return
    try:
        OmegaConf.merge(OmegaConf.structured(schema), OmegaConf.to_container(cfg))
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None) or "the config"
        raise ConfigError(f"{key} is not a setting ({str(error).splitlines()[0]}): remove it, or check its"
                          f" spelling") from None
