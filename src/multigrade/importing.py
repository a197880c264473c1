"""Objects of one's own named in a config by their import path (``package.module.Name``)."""

from __future__ import annotations

import importlib
from typing import Any


def import_object(path: str, what: str) -> Any:
    """The object ``path`` names, or a ``ValueError`` that names ``what`` (e.g. "activation")
    and the cause: no such module (with a hint at ``PYTHONPATH`` where the module itself is
    missing, not one it imports), or no such name in it."""
    module_name, _, name = path.rpartition(".")
    if not module_name:
        raise ValueError(f"{what} {path!r} is no import path (package.module.Name)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        missing = error.name is not None and (module_name + ".").startswith(error.name + ".")
        raise ValueError(f"{what} {path!r}: {error}"
                         + ("; is its module's folder on PYTHONPATH?" if missing else "")) from None
    if not hasattr(module, name):
        raise ValueError(f"{what} {path!r}: {module_name} has no {name!r}")
    return getattr(module, name)
