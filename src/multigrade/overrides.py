"""Hydra's command-line overrides (``key=value``, ``+key=value``, ``~key``), read."""

from __future__ import annotations


def override_key(override: str) -> str:
    """The config key an override sets: ``+train.epochs=3`` -> ``train.epochs``."""
    return override.split("=", 1)[0].lstrip("+~")


def override_value(overrides: list[str] | tuple[str, ...], key: str) -> str | None:
    """The value the overrides give ``key`` (the last one wins; ``~key`` removes it): None
    where none sets it. ``["target.python=/x/python"]``, ``"target.python"`` -> ``"/x/python"``."""
    value = None
    for override in overrides:
        if override_key(override) == key:
            value = None if override.startswith("~") else override.split("=", 1)[1]
    return value


def canonical_overrides(overrides: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Overrides in an order that configures the same run: sorted where no key comes twice
    or inside another (``train`` and ``train.epochs``); as given otherwise, where the later
    one wins and the order matters."""
    keys = [override_key(override) for override in overrides]
    overlapping = any(a == b or b.startswith(a + ".") for i, a in enumerate(keys) for j, b in enumerate(keys) if i != j)
    return tuple(overrides) if overlapping else tuple(sorted(overrides))
