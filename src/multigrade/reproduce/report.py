"""``REPORT.md``: our per-grade errors beside the papers' logged numbers, with figures."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from multigrade.data.regression import SPLITS
from multigrade.io import atomic_path
from multigrade.jobs import CONF_DIR
from multigrade.metrics import METRICS
from multigrade.overrides import canonical_overrides
from multigrade.reproduce.papers import paper_numbers, papers
from multigrade.reproduce.outcomes import RunOutcome, failed_log, shown_path
from multigrade.reproduce.plan import DEFAULT_EXCEPTIONS
from multigrade.reproduce.scann_report import scann_section
from multigrade.reproduce.spiking_report import spiking_section
from multigrade.spectra.plots import comparison_figure, save_figure

FIGURES = (("reconstructions", "prediction per grade"), ("fit", "f_k against the target"),
           ("spectra", "spectra per grade"), ("evolution", "spectrum evolution"), ("loss", "training loss"))


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}"


def _seconds(value: float | None) -> str:
    """Whole seconds; tenths below 10 s (a smoke run's grades take a fraction of one)."""
    return "—" if value is None else f"{value:.1f}" if round(value, 1) < 10 else f"{value:.0f}"


def _paper_value(paper: dict, key: str, grade: int, last: bool) -> float | None:
    """A paper entry's value for a grade: lists are per grade, scalars the final grade's."""
    value = paper.get(key)
    if isinstance(value, list):
        return value[grade - 1] if grade <= len(value) else None
    return value if last else None


def _column(key: str) -> str:
    """``test_psnr`` -> ``test PSNR (dB)``."""
    split, name = key.split("_", 1)
    return f"{split} {METRICS[name].label}"


def metric_names(outcomes: list[RunOutcome]) -> list[str]:
    """The metrics the runs report, headline first (``rse`` when none finished)."""
    names = [name for o in outcomes if o.metrics for name in o.metrics.get("metrics", ["rse"])]
    return list(dict.fromkeys(names)) or ["rse"]


# The per-grade table's times: grade k's own training time, grades 1 to k's together, and
# (on the last grade's row, beside our time for all grades) the paper's time for its
# whole run, all grades.
TIME_COLUMNS = ("grade seconds", "seconds, grades 1 to k", "paper seconds, all grades")


def experiment_table(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    """Rows: every grade of every run (cumulative metrics on each split), with the papers'
    logged numbers beside them where published, and the seconds of ``TIME_COLUMNS``."""
    names = metric_names(outcomes)
    ours = [f"{split}_{name}" for name in names for split in SPLITS]
    papers = {o.run.key: paper_numbers(o.run.experiment, o.run.name) for o in outcomes}
    theirs = [key for key in ours if any(key in paper for paper in papers.values())]
    header = ([_column(key) for key in ours] + [f"paper {_column(key)}" for key in theirs]
              + list(TIME_COLUMNS))
    lines = [
        "| model | grade | " + " | ".join(header) + " |",
        "|---|---|" + "---|" * len(header),
    ]
    for outcome in outcomes:
        paper = papers[outcome.run.key]
        if outcome.metrics is None:
            lines.append(f"| {outcome.run.label} | — | {failed_log(outcome.log, report_dir)} |"
                         + " |" * (len(header) - 1))
            continue
        grades = outcome.metrics["grades"]
        cumulative = 0.0
        for entry in grades:
            k, last = entry["grade"], entry["grade"] == len(grades)
            cumulative += entry["seconds"]
            cells = ([_fmt(entry.get(key)) for key in ours]
                     + [_fmt(_paper_value(paper, key, k, last)) for key in theirs]
                     + [f"{entry['seconds']:.1f}", f"{cumulative:.1f}",
                        _seconds(paper.get("seconds") if last else None)])
            lines.append(f"| {outcome.run.label} | {k} | " + " | ".join(cells) + " |")
    return lines


FITS = {"residual": "residual", "solution": "direct solve"}  # what an equation's grades fit (data.fit)


def equations_section(outcomes: list[RunOutcome]) -> list[str]:
    """The equations' test error against the wavenumber: MGDL, SGDL, and the classical
    solve of the same discretisation (the runs whose metrics carry ``baselines``)."""
    rows: dict[str, dict] = {}
    for outcome in outcomes:
        metrics = outcome.metrics or {}
        if not metrics.get("baselines"):
            continue
        data = metrics.get("config", {}).get("data", {})
        [(solver, baseline)] = metrics["baselines"].items()
        row = rows.setdefault(outcome.run.experiment, {"wavenumber": data.get("kappa", data.get("k")),
                                                       "solver": solver, "classical": baseline["test_rel_l2"],
                                                       "fit": FITS[data.get("fit", "residual")]})
        row[outcome.run.name] = metrics["grades"][-1]["test_rel_l2"]
    if not rows:
        return []
    lines = ["## Equations: error against the wavenumber", "",
             ("Relative L2 error of the solution on the test points after the last grade, against"
              " the exact solution. MGDL and SGDL learn the discretised equation from its residual,"
              " or, as FD-MGDL does, regress onto the direct solve of the discretisation (\"grades"
              " fit\"); the classical column solves the same discretised equation directly and"
              " interpolates it to the test points (Helmholtz: linearly in 1D, bilinearly in 2D;"
              " Fredholm: the Nyström solve through the quadrature's own interpolant); with the"
              " equation's own right-hand side its error includes the discretisation's."),
             "", "| experiment | wavenumber | MGDL | SGDL | classical | solver | grades fit |",
             "|---|---|---|---|---|---|---|"]
    for experiment, row in rows.items():
        lines.append(f"| {experiment} | {row['wavenumber']:g} | {_fmt(row.get('mgdl'))} | {_fmt(row.get('sgdl'))}"
                     f" | {_fmt(row['classical'])} | {row['solver']} | {row['fit']} |")
    return lines


def label_noise_section(outcomes: list[RunOutcome]) -> list[str]:
    """P1 §3.4 over its grid: the clean test RSE after the last grade for each label-noise
    amplitude b and frequency k run (hot entry 1 + b sin(2 pi k ||x||)), one column per
    model; shown when two or more (b, k) pairs ran."""
    runs = [o for o in outcomes if o.run.experiment.startswith("p1_mnist") and o.metrics]
    if len({o.run.experiment for o in runs}) < 2:
        return []
    models = list(dict.fromkeys(o.run.label for o in runs))
    rows: dict[tuple[float, float], dict[str, float]] = {}
    for outcome in runs:
        data = outcome.metrics["config"]["data"]
        row = rows.setdefault((data["amplitude"], data["frequency"]), {})
        row[outcome.run.label] = outcome.metrics["grades"][-1]["test_rse"]
    lines = ["## P1 §3.4: MNIST over the label-noise grid", "",
             ("Test RSE against the clean labels after the last grade, for each amplitude b and"
              " frequency k of the label noise (MGDL: structure 1); the lowest in each row is in bold."), "",
             "| b | k | " + " | ".join(models) + " |", "|---|---|" + "---|" * len(models)]
    for (b, k), row in sorted(rows.items()):
        best = min(row.values())
        cells = [f"**{_fmt(best)}**" if row.get(label) == best else _fmt(row.get(label)) for label in models]
        lines.append(f"| {b:g} | {k:g} | " + " | ".join(cells) + " |")
    return lines


def adaptive_lines(outcomes: list[RunOutcome]) -> list[str]:
    """Why each adaptively graded run stopped adding grades."""
    lines = []
    for outcome in outcomes:
        grading = (outcome.metrics or {}).get("adaptive")
        if grading:
            lines += ["", (f"**{outcome.run.label}** stopped after grade {grading['grades']} ({grading['stopped']}):"
                       f" {grading['why']}. Rules: target {grading['target']}, min_improvement"
                       f" {grading['min_improvement']}, max_grades {grading['max_grades']}.")]
    return lines


def figure_lines(outcome: RunOutcome, report_dir: Path) -> list[str]:
    if outcome.metrics is None:
        return []
    rel = shown_path(outcome.folder, report_dir)
    figures = [(name, caption) for name, caption in FIGURES if (outcome.folder / "figures" / f"{name}.png").is_file()]
    cells = [f"![{outcome.run.name} {caption}]({rel}/figures/{name}.png)" for name, caption in figures]
    return [f"**{outcome.run.label}** (run folder `{rel}`, config `{rel}/.hydra/config.yaml`)", "",
            " ".join(cells), ""]


def comparison_lines(group: list[RunOutcome], report_dir: Path) -> list[str]:
    """``figures/<experiment>_mgdl_vs_sgdl.png`` in the report's folder, and its line: the
    residual spectra of MGDL after each grade beside SGDL's, where both runs finished."""
    runs = {o.run.name: o for o in group if o.metrics is not None and (o.folder / "spectra.npz").is_file()}
    if not {"mgdl", "sgdl"} <= set(runs):
        return []
    arrays = {}
    for name in ("mgdl", "sgdl"):
        with np.load(runs[name].folder / "spectra.npz") as spectra:
            arrays[name] = {key: spectra[key] for key in spectra.files}
    experiment = group[0].run.experiment
    path = report_dir / "figures" / f"{experiment}_mgdl_vs_sgdl.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(comparison_figure(arrays["mgdl"], arrays["sgdl"], f"{experiment}: MGDL beside SGDL",
                                  log_scale="psnr" in runs["mgdl"].metrics["metrics"]), path)
    return [f"![{experiment}: MGDL beside SGDL, residual spectra](figures/{path.name})", ""]


def overrides_lines(outcomes: list[RunOutcome]) -> list[str]:
    """Which runs ran with extra Hydra overrides (``make reproduce ARGS=...``), by override
    list; none when no run did."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for outcome in outcomes:
        if outcome.overrides:
            groups.setdefault(canonical_overrides(outcome.overrides), []).append(f"`{outcome.run.key}`")
    return [line for overrides, keys in groups.items()
            for line in (f"Extra overrides {' '.join(f'`{o}`' for o in overrides)}: {', '.join(keys)}.", "")]


def write_report(report_dir: Path, profile: str, outcomes: list[RunOutcome], wall_seconds: float,
                 left_out: dict[str, str] | None = None, skipped: dict[str, str] | None = None) -> Path:
    """Write ``report_dir/REPORT.md`` (atomically) and return its path; ``left_out`` maps
    the prefixes of experiments a plain invocation does not run, and the report lacks, to
    the reason, ``skipped`` the experiments this invocation did not run or show to the
    reason."""
    info = OmegaConf.load(CONF_DIR / "profile" / f"{profile}.yaml")  # name, schedule, description
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    attacks = [o for o in outcomes if o.run.side_channel]
    outcomes = [o for o in outcomes if not o.run.side_channel]
    devices = sorted({o.metrics["device"] for o in outcomes + attacks if o.metrics})
    lines = [
        "# multigrade: reproduction report",
        "",
        f"Profile **{info['name']}**: {info['description']}.",
        "",
    ]
    grade_runs = [o for o in outcomes if not o.run.spiking]
    short = sorted({o.run.key for o in grade_runs if o.metrics and not o.metrics["paper_settings"]})
    if short:
        finished = sum(o.metrics is not None for o in grade_runs)
        lines += [
            (f"> **Not comparable with the papers:** {len(short)} of {finished} MGDL and SGDL runs (marked"
             " *no* under *paper settings*) train with fewer epochs than the papers, or with"
             " settings the papers do not publish (their baselines, their other settings, this"
             " project's equations): their errors do not compare with the papers' logged numbers;"
             " read them for the qualitative picture (MGDL against SGDL, the spectra per grade)."
             " `make reproduce PROFILE=paper` (on a GPU) runs the papers' settings."),
            "",
        ]
    lines += [
        (f"Generated {now} on {platform.node()} ({', '.join(devices) or 'no device'}); "
         f"wall time of this invocation {wall_seconds:.0f} s "
         f"({sum(o.reused for o in outcomes + attacks)} of {len(outcomes) + len(attacks)} runs reused from earlier)."),
        "",
    ]
    if grade_runs:
        lines += [
            ("Metrics are cumulative, of f_k = g_1 + ... + g_k after each grade: RSE = sum (y - f)^2 /"
             " sum y^2; PSNR = -10 log10(mean (y - f)^2) for images in [0, 1]; accuracy = share of"
             " argmax f equal to the true class. Paper columns: the papers' logged"
             " run outputs where published (— where not). Times in the per-grade tables: *grade"
             " seconds* is grade k's own training time, *seconds, grades 1 to k* that of grades 1"
             " to k together; a paper's time is that of its whole run (all grades), so it stands"
             " on the last grade's row. The summary's seconds are those of all grades; a run"
             " stopped and started again counts its grades' time before the stop."),
            "",
        ]
    lines += [("Each number comes from the run folder named under its table, whose `.hydra/config.yaml`"
               " is the exact configuration."), ""]
    lines += overrides_lines(outcomes + attacks)
    shown = {o.run.experiment for o in outcomes + attacks}
    for prefix, reason in (left_out or {}).items():
        kept = [f"`{name}`" for name in DEFAULT_EXCEPTIONS if name.startswith(prefix)]
        added = [f"`{name}`" for name in sorted(shown - set(DEFAULT_EXCEPTIONS)) if name.startswith(prefix)]
        but = (f" except {', '.join(kept)}" if kept else "") + (
            f" (this report also has {', '.join(added)})" if added else "")
        lines += [f"Not run by default: `{prefix}*`{but}. {reason}.", ""]
    for experiment, reason in (skipped or {}).items():
        lines += [f"`{experiment}`: {reason}.", ""]
    spiking = [o for o in outcomes if o.run.spiking]
    outcomes = [o for o in outcomes if not o.run.spiking]
    experiments = list(dict.fromkeys(o.run.experiment for o in outcomes))
    if experiments:
        lines += [
            "## MGDL summary",
            "",
            "Each experiment's headline metric on the test set after the last grade.",
            "",
            ("| experiment | test metric | MGDL | SGDL | paper MGDL | paper SGDL "
             "| MGDL s | SGDL s | paper settings (MGDL/SGDL) |"),
            "|---|---|---|---|---|---|---|---|---|",
        ]
    by_key = {(o.run.experiment, o.run.name): o for o in outcomes}

    def final(experiment: str, model: str, field: str) -> str:
        outcome = by_key.get((experiment, model))
        if outcome is None or outcome.metrics is None:
            return "—"
        if field == "seconds":  # every grade's training time, before a restart too
            return _seconds(sum(grade["seconds"] for grade in outcome.metrics["grades"]))
        if field == "paper_settings":
            return "yes" if outcome.metrics["paper_settings"] else "no"
        return _fmt(outcome.metrics["grades"][-1].get(field))

    def paper_final(experiment: str, model: str, field: str) -> str:
        value = paper_numbers(experiment, model).get(field)
        return _fmt(value[-1] if isinstance(value, list) else value)

    for experiment in experiments:
        headline = metric_names([o for o in outcomes if o.run.experiment == experiment])[0]
        field = f"test_{headline}"
        lines.append(
            f"| {experiment} | {METRICS[headline].label} | {final(experiment, 'mgdl', field)} "
            f"| {final(experiment, 'sgdl', field)} | {paper_final(experiment, 'mgdl', field)} "
            f"| {paper_final(experiment, 'sgdl', field)} "
            f"| {final(experiment, 'mgdl', 'seconds')} | {final(experiment, 'sgdl', 'seconds')} "
            f"| {final(experiment, 'mgdl', 'paper_settings')}/{final(experiment, 'sgdl', 'paper_settings')} |"
        )
    if experiments:
        lines += [""] + equations_section(outcomes)
        grid = label_noise_section(outcomes)
        lines += ["", *grid] if grid else []
    for experiment in experiments:
        group = [o for o in outcomes if o.run.experiment == experiment]
        lines += ["", f"## {experiment}: {group[0].run.title}", ""]
        lines += experiment_table(group, report_dir)
        lines += adaptive_lines(group)
        sources = sorted({paper_numbers(experiment, o.run.name).get("source", "") for o in group} - {""})
        if sources:
            lines += ["", f"Paper numbers: {'; '.join(sources)}."]
        if experiment in papers()["notes"]:
            lines += ["", papers()["notes"][experiment]]
        lines.append("")
        lines += comparison_lines(group, report_dir)
        for outcome in group:
            lines += figure_lines(outcome, report_dir)
    lines += spiking_section(spiking, report_dir)
    lines += scann_section(attacks, report_dir)
    path = report_dir / "REPORT.md"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path
