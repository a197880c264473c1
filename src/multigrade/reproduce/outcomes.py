"""A planned run's outcome as the report reads it, and how ``REPORT.md`` names the files
it points to."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from multigrade.reproduce.plan import PlannedRun


@dataclass
class RunOutcome:
    """A planned run, its folder, its metrics (None when it failed), whether an earlier
    invocation made it, and the extra Hydra overrides it ran with."""

    run: PlannedRun
    folder: Path
    metrics: dict | None
    log: Path
    reused: bool = False
    overrides: tuple[str, ...] = ()


def load_metrics(folder: Path) -> dict | None:
    """``metrics.json`` of a finished run folder, or None: also where the file cannot be
    read (damaged after the run wrote it, which it does atomically), saying so, so that the
    run counts as unfinished and runs again (from its checkpoints) instead of stopping
    every later command."""
    path = folder / "metrics.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError as error:  # not JSON, or not text
        print(f"warning: {path} cannot be read ({type(error).__name__}: {error}); the run counts as unfinished",
              file=sys.stderr, flush=True)
        return None


def shown_path(path: Path, report_dir: Path) -> Path:
    """``path`` relative to the report's folder when it lies inside it (links then work
    wherever the folder is moved), else as it is."""
    return path.relative_to(report_dir) if path.is_relative_to(report_dir) else path


def failed_log(log: Path, report_dir: Path) -> str:
    """What the report says of a failed run: where its log is (``shown_path``)."""
    return f"failed: see `{shown_path(log, report_dir)}`"
