"""Whether a run folder of an earlier ``python -m multigrade.reproduce`` may serve again.

Before a run starts, its folder records the invocation that makes it (``invocation.json``:
the planned run's arguments, the profile and the extra Hydra overrides). A later
invocation reuses the folder (its finished run, or an unfinished run's completed grades)
only when that record is exactly its own; otherwise the folder is cleared and the run
starts afresh, so no result or checkpoint of another configuration survives.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from multigrade.io import write_json
from multigrade.reproduce.plan import PlannedRun

INVOCATION = "invocation.json"


def invocation(planned: PlannedRun, profile: str, overrides: list[str]) -> dict:
    """What a reproduce invocation runs in a planned run's folder."""
    return {"arguments": planned.arguments, "profile": profile, "overrides": list(overrides)}


def recorded_invocation(folder: Path) -> dict | None:
    """The invocation recorded in ``folder``, or None where there is none."""
    path = folder / INVOCATION
    return json.loads(path.read_text()) if path.is_file() else None


def claim_folder(folder: Path, wanted: dict, force: bool = False) -> bool:
    """Make ``folder`` the run folder of the invocation ``wanted``: keep it when it already
    records ``wanted`` (and not ``force``), else clear it; then record ``wanted`` in it
    (atomically). Returns whether the earlier contents were kept."""
    kept = not force and recorded_invocation(folder) == wanted
    if not kept and folder.exists():
        shutil.rmtree(folder)
    write_json(folder / INVOCATION, wanted)
    return kept
