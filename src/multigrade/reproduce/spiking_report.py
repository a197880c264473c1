"""The spiking section of ``REPORT.md``: the binary-activation SNN in both integration
modes, and the distillation ablation as mean +- standard deviation over seeds."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from multigrade.reproduce.plan import ABLATION

if TYPE_CHECKING:
    from multigrade.reproduce.report import RunOutcome

ABLATION_LABELS = {
    "alone": "student alone",
    "output": "+ output path",
    "intermediate": "+ intermediate path",
    "snn_to_dnn": "+ SNN -> DNN path",
}


def _folder(outcome: "RunOutcome", report_dir: Path) -> Path:
    folder = outcome.folder
    return folder.relative_to(report_dir) if folder.is_relative_to(report_dir) else folder


def _mean_std(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def binary_rows(outcomes: list["RunOutcome"], report_dir: Path) -> list[str]:
    lines = [
        "| integration | test accuracy | val accuracy | spikes per test image (per layer) | epochs "
        "| seconds | paper | run folder |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        m = outcome.metrics
        if m is None:
            lines.append(f"| {outcome.run.variant} | failed: see `{outcome.log}` | | | | | | |")
            continue
        spikes = ", ".join(f"{s:.0f}" for s in m.get("test_spikes_per_image", [])) or "—"
        lines.append(
            f"| {outcome.run.variant} | {m['test_accuracy']:.4f} | {m.get('val_accuracy', float('nan')):.4f} "
            f"| {spikes} | {m['epochs']} | {m['total_seconds']:.0f} | > 0.98 (400 epochs) "
            f"| `{_folder(outcome, report_dir)}` |"
        )
    return lines


def ablation_rows(outcomes: list["RunOutcome"]) -> list[str]:
    lines = [
        "| paths | student test accuracy (mean ± std) | change from the row above | teacher test accuracy "
        "| seeds | seconds per run |",
        "|---|---|---|---|---|---|",
    ]
    previous = None
    for kd in ABLATION:
        group = [o for o in outcomes if o.run.variant.startswith(f"{kd}_seed")]
        done = [o.metrics for o in group if o.metrics is not None]
        accuracy = [m["test_accuracy"] for m in done]
        teacher = [m["test_teacher_accuracy"] for m in done if "test_teacher_accuracy" in m]
        mean = statistics.mean(accuracy) if accuracy else None
        change = "—" if mean is None or previous is None else f"{mean - previous:+.4f}"
        seconds = f"{statistics.mean(m['total_seconds'] for m in done):.0f}" if done else "—"
        failed = len(group) - len(done)
        lines.append(
            f"| {ABLATION_LABELS[kd]} | {_mean_std(accuracy)} | {change} | {_mean_std(teacher)} "
            f"| {len(done)}{f' ({failed} failed)' if failed else ''} | {seconds} |"
        )
        previous = mean if mean is not None else previous
    return lines


BINARY_TEXT = (
    "784-1024-1024-10 binary neurons (box straight-through estimator), squared hinge loss,"
    " rate-coded input; inference integrates continuously from v0 = 0.5 over 20 steps and"
    " classifies by output spike counts. Yin et al. report > 98 % after 400 epochs"
    " (`PROFILE=paper`)."
)
ABLATION_TEXT = (
    "MLP teacher 784-512-256-10 and LIF student 784-256-10 (snntorch, 10 steps, rate input,"
    " membrane readout) trained together; each row adds one path (`kd=...`). Liu & Yi publish"
    " no numbers to compare with."
)


def spiking_section(outcomes: list["RunOutcome"], report_dir: Path) -> list[str]:
    """Markdown lines of the spiking section (empty without spiking runs)."""
    parts = (
        ("yin_binary_mnist", BINARY_TEXT, lambda group: binary_rows(group, report_dir)),
        ("distill_mnist", ABLATION_TEXT, ablation_rows),
    )
    lines = ["## Spiking networks", ""] if outcomes else []
    for experiment, text, table in parts:
        group = [o for o in outcomes if o.run.experiment == experiment]
        if group:
            lines += [f"### {experiment}: {group[0].run.title}", "", text, "", *table(group), ""]
    return lines
