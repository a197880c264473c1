"""Which settings two nested configs (or checkpoint identities) differ in, by dotted key."""

from __future__ import annotations

from typing import Any


def dotted(config: Any, key: str = "") -> dict[str, Any]:
    """A nested config as ``{"a.b.c": leaf}`` (an empty mapping is a leaf)."""
    if not isinstance(config, dict) or not config:
        return {key: config}
    return {inner: leaf for name, value in config.items()
            for inner, leaf in dotted(value, f"{key}.{name}" if key else str(name)).items()}


def differing_keys(then: dict[str, Any], now: dict[str, Any], ignored: tuple[str, ...] = ()) -> list[str]:
    """The dotted keys whose values differ between ``then`` and ``now``, sorted (a key one
    of them lacks differs); keys in ``ignored`` and the trees under them aside."""
    old, new = dotted(then), dotted(now)
    keys = sorted(set(old) | set(new))
    return [key for key in keys if not any(key == n or key.startswith(f"{n}.") for n in ignored)
            and (key not in old or key not in new or old[key] != new[key])]


def described_differences(then: dict[str, Any], now: dict[str, Any], then_name: str, now_name: str,
                          ignored: tuple[str, ...] = (), most: int = 5) -> str:
    """The keys ``differing_keys`` finds, with both values: ``seed: 0 (there), 1 (here)``,
    ``most`` of them, then how many more; a missing key reads ``(none)``; empty where
    none differs."""
    old, new = dotted(then), dotted(now)
    keys = differing_keys(then, now, ignored)
    shown = [f"{key}: {old.get(key, '(none)')!r} ({then_name}), {new.get(key, '(none)')!r} ({now_name})"
             for key in keys[:most]]
    return "; ".join(shown) + (f"; and {len(keys) - most} more" if len(keys) > most else "")
