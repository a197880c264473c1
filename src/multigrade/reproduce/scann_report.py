"""The side-channel section of ``REPORT.md``: the eight template attacks' success rates
against SNR and against averaged traces, and the countermeasures with their power cost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from multigrade.reproduce.outcomes import RunOutcome, failed_log, shown_path
from multigrade.scann.countermeasures import COUNTERMEASURES

INTRO = (
    "A layer of axon-hillock neurons (C_mem = 2 pF, C_fb = 810 fF, V_dd = 1.8 V, switching"
    " threshold 0.89 V; 4 neurons, 8 current-mode synapses each) is probed with a fixed Poisson"
    " input for 10 ms. The attacker profiles clone devices with known secret values (each"
    " device with its own 1-2 % mismatch), builds templates, and classifies other devices'"
    " traces into eight classes (chance 0.125): the supply current in 200 windows (power), or"
    " the output spikes per window of the layer's merged spike train, without addresses"
    " (timing). Power SNR: the variance over the windows of the mean trace over the noise"
    " variance; timing SNR: (mean interval between output spikes / spike-time jitter)²."
    " Cells: Gaussian template (pooled covariance on the class means' principal directions) /"
    " nearest template. The model and its values are this project's (the SCANN paper"
    " publishes neither its circuit values nor its numbers); the behavioural neuron matches a"
    " transistor netlist in ngspice (spike times within 0.5 %, supply charge per spike within"
    " 2 %, tested)."
)
COUNTER_TEXT = (
    "Dummy activity: four extra neurons on the same supply and spike bus, driven by fresh"
    " random inputs (100-800 Hz) in every measurement. Current flattening: a shunt regulator"
    " (loop gain 100) holds the supply at the largest windowed current times 1.05, passing"
    " 1/101 of the variation; it does not touch spike timing. Power overhead: the extra mean"
    " supply current over the layer's. Each table draws its own measurement noise, so the"
    " unprotected column and the SNR and averaging tables at the same setting differ by the"
    " spread of the success rate over noise draws."
)


def _pair(rates: dict[str, float] | dict[str, list[float]], index: int | None = None) -> str:
    gaussian, nearest = rates["gaussian"], rates["nearest"]
    if index is not None:
        gaussian, nearest = gaussian[index], nearest[index]
    return f"{gaussian:.2f} / {nearest:.2f}"


def _attack(outcome: RunOutcome) -> str:
    m = outcome.metrics
    return f"{m['secret']} ({m['channel']})"


def sweep_rows(done: list[RunOutcome], axis: str, rates: str, heading: Callable[[float], str]) -> list[str]:
    """One row per attack: the success rates ``metrics[rates]`` at each ``metrics[axis]``."""
    points = done[0].metrics[axis]
    lines = ["| attack | " + " | ".join(heading(point) for point in points) + " |", "|---|" + "---|" * len(points)]
    for outcome in done:
        row = outcome.metrics[rates]
        lines.append(f"| {_attack(outcome)} | " + " | ".join(_pair(row, i) for i in range(len(points))) + " |")
    return lines


def countermeasure_rows(done: list[RunOutcome]) -> list[str]:
    most = done[0].metrics["averaged_traces"]
    lines = [(f"| attack | none | dummy activity | current flattening | none, {most} traces | dummy, {most} traces "
              f"| flattening, {most} traces | overhead: dummy | overhead: flattening |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for outcome in done:
        cm = outcome.metrics["countermeasures"]
        lines.append(f"| {_attack(outcome)} | " + " | ".join(_pair(cm[n]["success"]) for n in COUNTERMEASURES)
                     + " | " + " | ".join(_pair(cm[n]["success_averaged"]) for n in COUNTERMEASURES)
                     + f" | {cm['dummy']['power_overhead']:+.0%} | {cm['flattening']['power_overhead']:+.0%} |")
    return lines


def scann_section(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    """Markdown lines of the side-channel section (empty without attack runs)."""
    if not outcomes:
        return []
    done = [o for o in outcomes if o.metrics is not None]
    lines = ["## Side channels of analog spiking neurons (SCANN)", "", INTRO, ""]
    for outcome in outcomes:
        if outcome.metrics is None:
            lines += [f"**{outcome.run.experiment}** {failed_log(outcome.log, report_dir)}", ""]
    if not done:
        return lines
    first = done[0].metrics
    lines += [
        "### Success rate against SNR, one trace", "",
        *sweep_rows(done, "snr_db", "success_vs_snr", lambda snr: f"{snr:g} dB"), "",
        f"### Success rate against averaged traces, SNR {first['averaging_snr_db']:g} dB", "",
        *sweep_rows(done, "averages", "success_vs_averages", lambda n: f"{n} trace{'s' if n > 1 else ''}"), "",
        f"### Countermeasures, SNR {first['countermeasure_snr_db']:g} dB", "", COUNTER_TEXT, "",
        *countermeasure_rows(done), "",
        "### Run folders and figures", "",
        "| attack | seconds | devices per class (profiling / victims) | run folder | figures |",
        "|---|---|---|---|---|",
    ]
    for outcome in done:
        m, rel = outcome.metrics, shown_path(outcome.folder, report_dir)
        traces = m["traces_per_class"]
        figures = ", ".join(f"[{name}]({rel}/figures/{name}.png)" for name in ("success", "templates", "device"))
        lines.append(f"| {_attack(outcome)} | {m['total_seconds']:.0f} | {traces['profiling']} / {traces['victims']}"
                     f" | `{rel}` | {figures} |")
    lines += ["", "Success against SNR and against averaged traces, per attack:", ""]
    lines += [f"![{_attack(o)}]({shown_path(o.folder, report_dir)}/figures/success.png)" for o in done]
    return lines + [""]
