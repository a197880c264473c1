"""How ``REPORT.md`` names the files it points to."""

from __future__ import annotations

from pathlib import Path


def shown_path(path: Path, report_dir: Path) -> Path:
    """``path`` relative to the report's folder when it lies inside it (links then work
    wherever the folder is moved), else as it is."""
    return path.relative_to(report_dir) if path.is_relative_to(report_dir) else path


def failed_log(log: Path, report_dir: Path) -> str:
    """What the report says of a failed run: where its log is (``shown_path``)."""
    return f"failed: see `{shown_path(log, report_dir)}`"
