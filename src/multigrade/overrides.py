"""Hydra's command-line overrides (``key=value``, ``+key=value``, ``~key``), read."""

from __future__ import annotations

from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException


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
