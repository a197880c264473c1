"""``REPORT.md``: our per-grade errors beside the papers' logged numbers, with figures."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from omegaconf import OmegaConf

from multigrade.io import atomic_path
from multigrade.reproduce.papers import NOTES, paper_numbers
from multigrade.reproduce.plan import PlannedRun
from multigrade.run import CONF_DIR

FIGURES = (("spectra", "spectra per grade"), ("evolution", "spectrum evolution"), ("loss", "training loss"))


@dataclass
class RunOutcome:
    """A planned run, its folder, and its metrics (None when it failed)."""

    run: PlannedRun
    folder: Path
    metrics: dict | None
    log: Path
    reused: bool = False


def load_metrics(folder: Path) -> dict | None:
    """``metrics.json`` of a finished run folder, or None."""
    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _paper_at(values: list[float] | None, grade: int) -> float | None:
    return values[grade - 1] if values and grade <= len(values) else None


def profile_info(profile: str) -> dict:
    """The profile's config file (name, schedule, max_epochs, description)."""
    return OmegaConf.to_container(OmegaConf.load(CONF_DIR / "profile" / f"{profile}.yaml"))


def experiment_table(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    """Rows: every MGDL grade (cumulative errors), then SGDL; papers' numbers beside them."""
    lines = [
        "| model | grade | train RSE | val RSE | test RSE | paper train RSE | paper val RSE "
        "| paper test RSE | seconds | paper seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        paper = paper_numbers(outcome.run.experiment, outcome.run.model)
        label = outcome.run.model.upper()
        if outcome.metrics is None:
            log = outcome.log.relative_to(report_dir) if outcome.log.is_relative_to(report_dir) else outcome.log
            lines.append(f"| {label} | — | failed: see `{log}` | | | | | | | |")
            continue
        grades = outcome.metrics["grades"]
        for entry in grades:
            k, last = entry["grade"], entry["grade"] == len(grades)
            lines.append(
                f"| {label} | {k} | {_fmt(entry['train_rse'])} | {_fmt(entry['val_rse'])} "
                f"| {_fmt(entry['test_rse'])} | {_fmt(paper.get('train_rse') if last else None)} "
                f"| {_fmt(paper.get('val_rse') if last else None)} "
                f"| {_fmt(_paper_at(paper.get('test_rse'), k))} | {entry['seconds']:.1f} "
                f"| {_seconds(paper.get('seconds') if last else None)} |"
            )
    return lines


def figure_lines(outcome: RunOutcome, report_dir: Path) -> list[str]:
    if outcome.metrics is None:
        return []
    rel = outcome.folder.relative_to(report_dir) if outcome.folder.is_relative_to(report_dir) else outcome.folder
    cells = [f"![{outcome.run.model} {caption}]({rel}/figures/{name}.png)" for name, caption in FIGURES]
    return [f"**{outcome.run.model.upper()}** (run folder `{rel}`, config `{rel}/.hydra/config.yaml`)", "",
            " ".join(cells), ""]


def write_report(report_dir: Path, profile: str, outcomes: list[RunOutcome], wall_seconds: float,
                 left_out: dict[str, str] | None = None) -> Path:
    """Write ``report_dir/REPORT.md`` (atomically) and return its path; ``left_out`` maps
    experiments not run to the reason."""
    info = profile_info(profile)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    devices = sorted({o.metrics["device"] for o in outcomes if o.metrics})
    lines = [
        "# multigrade: reproduction report",
        "",
        f"Profile **{info['name']}**: {info['description']}.",
        "",
    ]
    short = sorted({o.run.key for o in outcomes if o.metrics and not o.metrics["paper_settings"]})
    if short:
        lines += [
            f"> **Not comparable with the papers:** {len(short)} of {len(outcomes)} runs (marked"
            " *no* under *paper settings*) train with fewer epochs or other settings than the"
            " papers, too little to compare their errors with the papers' logged numbers: read"
            " them for the qualitative picture only (MGDL against SGDL, the spectra per grade)."
            " `make reproduce PROFILE=paper` (on a GPU) runs the papers' settings.",
            "",
        ]
    lines += [
        f"Generated {now} on {platform.node()} ({', '.join(devices) or 'no device'}); "
        f"wall time of this invocation {wall_seconds:.0f} s "
        f"({sum(o.reused for o in outcomes)} of {len(outcomes)} runs reused from earlier).",
        "",
        "RSE = sum (y - f)^2 / sum y^2, cumulative after each grade. Paper columns: the papers' logged"
        " run outputs where published (— where not). Each number comes from the run folder named"
        " under its table, whose `.hydra/config.yaml` is the exact configuration.",
        "",
    ]
    for prefix, reason in (left_out or {}).items():
        lines += [f"Not run: `{prefix}*`. {reason}.", ""]
    lines += [
        "## Summary",
        "",
        "| experiment | MGDL test RSE | SGDL test RSE | paper MGDL test RSE | paper SGDL test RSE "
        "| MGDL s | SGDL s | paper settings (MGDL/SGDL) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    experiments = list(dict.fromkeys(o.run.experiment for o in outcomes))
    by_key = {(o.run.experiment, o.run.model): o for o in outcomes}

    def final(experiment: str, model: str, field: str) -> str:
        outcome = by_key.get((experiment, model))
        if outcome is None or outcome.metrics is None:
            return "—"
        if field == "seconds":
            return f"{outcome.metrics['total_seconds']:.0f}"
        if field == "paper_settings":
            return "yes" if outcome.metrics["paper_settings"] else "no"
        return _fmt(outcome.metrics["grades"][-1][field])

    for experiment in experiments:
        paper_mgdl = paper_numbers(experiment, "mgdl").get("test_rse")
        paper_sgdl = paper_numbers(experiment, "sgdl").get("test_rse")
        lines.append(
            f"| {experiment} | {final(experiment, 'mgdl', 'test_rse')} | {final(experiment, 'sgdl', 'test_rse')} "
            f"| {_fmt(paper_mgdl[-1] if paper_mgdl else None)} | {_fmt(paper_sgdl[-1] if paper_sgdl else None)} "
            f"| {final(experiment, 'mgdl', 'seconds')} | {final(experiment, 'sgdl', 'seconds')} "
            f"| {final(experiment, 'mgdl', 'paper_settings')}/{final(experiment, 'sgdl', 'paper_settings')} |"
        )
    for experiment in experiments:
        group = [o for o in outcomes if o.run.experiment == experiment]
        lines += ["", f"## {experiment}: {group[0].run.title}", ""]
        lines += experiment_table(group, report_dir)
        sources = sorted({paper_numbers(experiment, o.run.model).get("source", "") for o in group} - {""})
        if sources:
            lines += ["", f"Paper numbers: {'; '.join(sources)}."]
        if experiment in NOTES:
            lines += ["", NOTES[experiment]]
        lines.append("")
        for outcome in group:
            lines += figure_lines(outcome, report_dir)
    path = report_dir / "REPORT.md"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path
