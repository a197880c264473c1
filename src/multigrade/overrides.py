"""What Hydra says of this job: its command-line overrides (``key=value``, ``+key=value``,
``~key``), read, and whether it is one job of a multirun."""

from __future__ import annotations

from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode


def override_key(override: str) -> str:
    """The config key an override sets: ``+train.epochs=3`` -> ``train.epochs``."""
    return override.split("=", 1)[0].lstrip("+~")


def override_value(overrides: list[str] | tuple[str, ...], key: str) -> Any:
    """The value the overrides give ``key`` as Hydra reads it (quotes removed, ``null`` None;
    the last one wins; ``~key`` removes it): None where none sets it.
    ``["target.python='/a b/python'"]``, ``"target.python"`` -> ``"/a b/python"``."""
    value = None
    for override in overrides:
        if override_key(override) == key:
            value = None if override.startswith("~") else parsed_value(override)
    return value


def parsed_value(override: str) -> Any:
    """The value of ``key=value`` as Hydra parses it; the text after ``=`` where Hydra's
    grammar does not take it (the run itself then says why)."""
    try:
        return OverridesParser.create().parse_override(override).value()
    except HydraException:  # OverrideParseException, or the grammar's own
        return override.split("=", 1)[1]


def canonical_overrides(overrides: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Overrides in an order that configures the same run: sorted where no key comes twice
    or inside another (``train`` and ``train.epochs``); as given otherwise, where the later
    one wins and the order matters."""
    keys = [override_key(override) for override in overrides]
    overlapping = any(a == b or b.startswith(a + ".") for i, a in enumerate(keys) for j, b in enumerate(keys) if i != j)
    return tuple(overrides) if overlapping else tuple(sorted(overrides))


def in_multirun() -> bool:
    """Whether this process runs one job of a Hydra multirun."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


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
