"""Figures of an attack run: success rate against SNR and against averaged traces (with
chance), the class templates (the noiseless mean feature vector of each secret value), and
one device under the probe (membrane voltages, output spikes, supply current)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from multigrade.scann.layer import LayerTrace
from multigrade.spectra.plots import save_figure

CHANNEL_AXES = {"power": "supply current (nA)", "timing": "output spikes per window"}


def success_figure(metrics: dict, title: str) -> plt.Figure:
    fig, (by_snr, by_averages) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for name, rates in metrics["success_vs_snr"].items():
        by_snr.plot(metrics["snr_db"], rates, marker="o", label=f"{name} template")
    for name, rates in metrics["success_vs_averages"].items():
        by_averages.plot(metrics["averages"], rates, marker="o", label=f"{name} template")
    by_snr.set_xlabel("SNR (dB), one trace")
    by_averages.set_xlabel(f"traces averaged, SNR {metrics['averaging_snr_db']:g} dB")
    by_averages.set_xscale("log", base=2)
    by_snr.set_ylabel("success rate")
    for ax in (by_snr, by_averages):
        ax.axhline(metrics["chance"], color="grey", linestyle="--", label="chance")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    by_snr.legend(loc="lower right")
    fig.suptitle(title)
    return fig


def templates_figure(metrics: dict, duration: float, title: str, unit: str = "") -> plt.Figure:
    means = np.asarray(metrics["class_means"])
    time = (np.arange(means.shape[1]) + 0.5) / means.shape[1] * duration * 1e3
    fig, ax = plt.subplots(figsize=(10, 3.6))
    colours = plt.cm.viridis(np.linspace(0, 1, len(means)))
    for value, mean, colour in zip(metrics["values"], means, colours):
        ax.plot(time, mean, color=colour, label=f"{value:g}", linewidth=1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(CHANNEL_AXES[metrics["channel"]])
    ax.legend(title=f"{metrics['secret']} ({unit})" if unit else metrics["secret"], ncol=4, fontsize="small")
    ax.set_title(title)
    return fig


def device_figure(trace: LayerTrace, threshold: float, title: str) -> plt.Figure:
    """Trace 0 of ``trace`` (recorded with its membrane): each neuron's membrane voltage
    with its output spikes, and the supply current."""
    time = (np.arange(trace.supply.shape[0]) + 1) * trace.dt * 1e3
    fig, (membrane, supply) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for neuron in range(trace.membrane.shape[2]):
        line, = membrane.plot(time, trace.membrane[:, 0, neuron], linewidth=0.8, label=f"neuron {neuron}")
        spikes = trace.spike_time[(trace.spike_trace == 0) & (trace.spike_neuron == neuron)] * 1e3
        membrane.plot(spikes, np.full(len(spikes), threshold), "|", color=line.get_color(), markersize=12)
    membrane.axhline(threshold, color="grey", linestyle="--", linewidth=0.8)
    membrane.set_ylabel("membrane (V); | output spike")
    membrane.legend(ncol=4, fontsize="small")
    supply.plot(time, trace.supply[:, 0] * 1e9, linewidth=0.8)
    supply.set_ylabel("supply current (nA)")
    supply.set_xlabel("time (ms)")
    membrane.set_title(title)
    return fig


def write_attack_figures(metrics: dict, duration: float, device: LayerTrace, threshold: float,
                         folder: Path, unit: str = "") -> list[Path]:
    """``success.png``, ``templates.png`` and ``device.png`` (``device``: one device's trace);
    ``unit``, that of the secret's values, labels them."""
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{metrics['secret']} through {metrics['channel']}"
    example = f"one device, {metrics['secret']} = {metrics['values'][0]:g} {unit}".rstrip() + ", under the probe"
    return [save_figure(success_figure(metrics, title), folder / "success.png"),
            save_figure(templates_figure(metrics, duration, f"templates: {title}", unit), folder / "templates.png"),
            save_figure(device_figure(device, threshold, example), folder / "device.png")]
