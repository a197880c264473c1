"""Whether a run folder of an earlier ``python -m multigrade.reproduce`` may serve again.

Before a run starts, its folder records the invocation that makes it (``invocation.json``:
the planned run's arguments, the profile and the extra Hydra overrides). A later
invocation reuses the folder (its finished run, or an unfinished run's completed grades)
only when that record is its own (the extra overrides in any order); otherwise the folder is cleared and the run
starts afresh, so no result or checkpoint of another configuration survives. A folder
from before these records (no ``invocation.json``) is adopted by an invocation without
extra overrides when its run was started with the same profile (``.hydra/config.yaml``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from omegaconf import OmegaConf

from multigrade.io import write_json
from multigrade.overrides import canonical_overrides
from multigrade.reproduce.plan import PlannedRun

INVOCATION = "invocation.json"


def invocation(planned: PlannedRun, profile: str, overrides: list[str]) -> dict:
    """What a reproduce invocation runs in a planned run's folder."""
    return {"arguments": planned.arguments, "profile": profile, "overrides": list(overrides)}


def recorded_invocation(folder: Path) -> dict | None:
    """The invocation recorded in ``folder``, or None where there is none."""
    path = folder / INVOCATION
    return json.loads(path.read_text()) if path.is_file() else None


def started_with_profile(folder: Path) -> str | None:
    """The profile the run in ``folder`` was started with (Hydra's ``.hydra/config.yaml``)."""
    config = folder / ".hydra" / "config.yaml"
    return OmegaConf.load(config).profile.name if config.is_file() else None


def made_by(folder: Path, wanted: dict) -> bool:
    """Whether ``folder`` holds the run of the invocation ``wanted``: recorded so (the
    extra overrides in any order, ``canonical_overrides``), or, without a record, started with
    its profile when it has no extra overrides."""
    recorded = recorded_invocation(folder)
    if recorded is not None:
        return ({**recorded, "overrides": None} == {**wanted, "overrides": None}
                and canonical_overrides(recorded["overrides"]) == canonical_overrides(wanted["overrides"]))
    return not wanted["overrides"] and started_with_profile(folder) == wanted["profile"]


def claim_folder(folder: Path, wanted: dict, force: bool = False) -> bool:
    """Make ``folder`` the run folder of the invocation ``wanted``: keep it when it is
    ``made_by`` it (and not ``force``), else clear it; then record ``wanted`` in it
    (atomically). Returns whether the earlier contents were kept."""
    kept = not force and made_by(folder, wanted)
    if not kept and folder.exists():
        shutil.rmtree(folder)
    write_json(folder / INVOCATION, wanted)
    return kept
