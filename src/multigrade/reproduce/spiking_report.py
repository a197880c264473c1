"""The spiking section of ``REPORT.md``: the binary-activation SNN in both integration
modes, the distillation ablation as mean +- standard deviation over seeds, and the
activity and 45 nm energy estimates of every spiking run's networks."""

from __future__ import annotations

import statistics
from pathlib import Path

from multigrade.reproduce.outcomes import RunOutcome, failed_log, shown_path
from multigrade.reproduce.plan import ABLATION
from multigrade.spiking.activity import ESTIMATE
from multigrade.sweeps.summary import mean_std

ABLATION_LABELS = {
    "alone": "student alone",
    "output": "+ output path",
    "intermediate": "+ intermediate path",
    "snn_to_dnn": "+ SNN -> DNN path",
}


def run_folders(outcomes: list[RunOutcome], report_dir: Path) -> str:
    """The run folders of ``outcomes``, shown relative to the report: ``a/b`` for one,
    ``a/`` b, c, ... for several in one folder."""
    by_parent: dict[Path, list[str]] = {}
    for outcome in outcomes:
        shown = shown_path(outcome.folder, report_dir)
        by_parent.setdefault(shown.parent, []).append(shown.name)
    return "; ".join(f"`{parent / names[0]}`" if len(names) == 1 else f"`{parent}/` {', '.join(names)}"
                     for parent, names in by_parent.items())


def _mean_std(values: list[float]) -> str:
    """The ablation's accuracies: ``mean ± std`` to four decimals, ``—`` for none."""
    return mean_std(values, ".4f", ".4f", "—")


def binary_rows(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    lines = [
        "| integration | test accuracy | val accuracy | spikes per test image (per layer) | epochs "
        "| seconds | paper | paper settings | run folder |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        m = outcome.metrics
        if m is None:
            lines.append(f"| {outcome.run.variant} | {failed_log(outcome.log, report_dir)} | | | | | | | |")
            continue
        spikes = ", ".join(f"{s:.0f}" for s in m["test_activity"]["student"]["spikes"]) or "—"
        lines.append(
            f"| {outcome.run.variant} | {m['test_accuracy']:.4f} | {m.get('val_accuracy', float('nan')):.4f} "
            f"| {spikes} | {m['epochs']} | {m['total_seconds']:.0f} | > 0.98 (400 epochs) "
            f"| {'yes' if m['paper_settings'] else 'no'} | `{shown_path(outcome.folder, report_dir)}` |"
        )
    return lines


def ablation_rows(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    lines = [
        "| paths | student test accuracy (mean ± std) | change from the row above | teacher test accuracy "
        "| seeds | seconds per run | run folders |",
        "|---|---|---|---|---|---|---|",
    ]
    previous = None
    for kd in ABLATION:
        group = [o for o in outcomes if o.run.variant.startswith(f"{kd}_seed")]
        if not group:
            continue
        done = [o.metrics for o in group if o.metrics is not None]
        accuracy = [m["test_accuracy"] for m in done]
        teacher = [m["test_teacher_accuracy"] for m in done if "test_teacher_accuracy" in m]
        mean = statistics.mean(accuracy) if accuracy else None
        change = "—" if mean is None or previous is None else f"{mean - previous:+.4f}"
        seconds = f"{statistics.mean(m['total_seconds'] for m in done):.0f}" if done else "—"
        failed = "".join(f" ({failed_log(o.log, report_dir)})" for o in group if o.metrics is None)
        lines.append(
            f"| {ABLATION_LABELS[kd]} | {_mean_std(accuracy)} | {change} | {_mean_std(teacher)} "
            f"| {len(done)}{failed} | {seconds} | {run_folders(group, report_dir)} |"
        )
        previous = mean if mean is not None else previous
    return lines


BINARY_TEXT = (
    "784-1024-1024-10 binary neurons (box straight-through estimator), squared hinge loss,"
    " rate-coded input; inference integrates continuously from v0 = 0.5 over 20 steps, fires on"
    " v >= 1 and classifies by output spike counts. Yin et al. report > 98 % after 400 epochs"
    " (`PROFILE=paper`)."
)
ABLATION_TEXT = (
    "MLP teacher 784-512-256-10 and LIF student 784-256-10 (snntorch, 10 steps, rate input,"
    " membrane readout) trained together; each row adds one path (`kd=...`). Liu & Yi publish"
    " no numbers to compare with."
)

CONV_ABLATION_TEXT = (
    "CNN teacher (conv5x5(16)-pool-conv5x5(32)-pool-fc(128)-fc(10)) and convolutional LIF"
    " student (conv5x5(12)-pool-LIF, conv5x5(32)-pool-LIF, fc(10)-LIF; 10 steps, rate input,"
    " membrane readout) trained together, alone and with all three paths (the intermediate"
    " one from the student's last conv layer to the teacher's fc layer)."
)


LOIHI_TEXT = (
    "The distilled student (MLP teacher 784-512-256-10, all three paths) is a Loihi 2 network:"
    " 784-128-10 fixed-point CUBA neurons with lava's bit-accurate arithmetic, 8-bit weights"
    " with a power-of-two step per layer, one step of synaptic delay per layer. After training"
    " it is exported as a netx file and the first test images are simulated on lava-dl's"
    " Loihi 2 model (`Loihi2SimCfg(select_tag='fixed_pt')`, lava-nc 0.10.0) with the same input"
    " spikes as the training-time model's own run."
)

SOP_DIFFERENCE = (
    "The two counts of synaptic ops differ in kind: the host's counts an accumulate for every synapse a"
    " spike reaches, zero weights and the spikes of the last step included (a dense layer computes them"
    " all), over every test image; Loihi's counts the synapses of nonzero weight only, for spikes that"
    " arrive within the run, over the first {images} test images."
)


def loihi_rows(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    """One table per deployed run: accuracy, parity, activity, energy and time per image."""
    lines: list[str] = []
    for outcome in outcomes:
        m = outcome.metrics
        if m is None:
            lines += [f"{outcome.run.variant}: {failed_log(outcome.log, report_dir)}", ""]
            continue
        loihi, student = m["loihi"], m["test_activity"]["student"]
        emulation, lava, parity = loihi["per_image"]["emulation"], loihi["per_image"]["lava"], loihi["parity"]
        first = parity["first_difference"]
        agreement = (f"identical: {parity['spikes_compared']:,} spike slots compared" if parity["identical"] else
                     f"differ first at image {first['image']}, layer {first['layer']}, step {first['step']}"
                     f" (neurons {first['neurons'][:8]})")

        def spikes(activity: dict) -> str:
            return ", ".join(f"{value:,.1f}" for value in activity["spikes"])

        lines += [
            f"| {outcome.run.variant.replace('_', ' ')} | training-time model | Loihi simulation (lava) |",
            "|---|---|---|",
            f"| accuracy, first {loihi['images']} test images | {loihi['accuracy']['emulation']:.4f}"
            f" | {loihi['accuracy']['lava']:.4f} |",
            f"| accuracy, all {m['test_activity']['images']:,} test images | {m['test_accuracy']:.4f} | — |",
            f"| spikes, every layer and step | {agreement} | |",
            f"| spikes per image (per layer) | {spikes(emulation)} | {spikes(lava)} |",
            f"| synaptic ops per image | {sum(emulation['synaptic_ops']):,.0f} | {sum(lava['synaptic_ops']):,.0f} |",
            f"| energy per image (estimate) | {student['energy_pj'] / 1e3:,.1f} nJ (45 nm host, all test images)"
            f" | {lava['energy_nj']:,.1f} nJ (Loihi figures) |",
            f"| time per image (estimate) | — | {lava['latency_us']:,.1f} µs (one core) |",
            f"| time steps per image | {loihi['steps']} | {loihi['steps']} |",
            f"| simulation seconds per image | — | {loihi['seconds']['per_image']:.2f} (lava on this CPU;"
            f" {loihi['seconds']['import']:.0f} s to import lava) |",
            "",
            f"Run folder: {run_folders([outcome], report_dir)}. Loihi energy and time: {lava['estimate']}."
            f" Host: {m['test_activity']['estimate']}. {SOP_DIFFERENCE.format(images=loihi['images'])}",
            "",
        ]
    return lines


def _energy_row(network: str, run: str, activity: list[dict], folders: str) -> str:
    """One network's activity per test image, averaged over the runs in ``activity``."""
    def mean(key: str) -> float:
        return statistics.mean(a[key] for a in activity)
    spikes = f"{statistics.mean(sum(a['spikes']) for a in activity):,.0f}" if "spikes" in activity[0] else "—"
    energy, dense = mean("energy_pj") / 1e3, mean("dense_energy_pj") / 1e3
    return (f"| {network} | {run} | {spikes} | {mean('sops'):,.0f} | {mean('macs'):,.0f} | {energy:,.1f} "
            f"| {mean('dense_macs'):,.0f} | {dense:,.1f} | {energy / dense:.2f} | {folders} |")


def energy_rows(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    """Per test image: spikes, SOPs, MACs and the energy estimate of every network, beside
    the same layers run once as a DNN; runs that differ only in their seed are averaged."""
    lines = [
        "| network | runs | spikes | SOPs | MACs | energy (nJ) | as a DNN: MACs | as a DNN: energy (nJ) "
        "| energy / DNN energy | run folders |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str, str], list[tuple[RunOutcome, dict]]] = {}
    for outcome in outcomes:
        if outcome.metrics is None:
            continue
        experiment, variant = outcome.run.experiment, outcome.run.variant.split("_seed")[0]
        for role, network in outcome.metrics["test_activity"].items():
            if role in ("student", "teacher"):
                key = (experiment, role, variant if role == "student" else "all")
                groups.setdefault(key, []).append((outcome, network))
    experiments = list(dict.fromkeys(experiment for experiment, _, _ in groups))
    for (experiment, role, variant), runs in sorted(
            groups.items(), key=lambda item: (experiments.index(item[0][0]), item[0][1])):
        folders = run_folders([outcome for outcome, _ in runs], report_dir)
        lines.append(_energy_row(f"{experiment} {role}", f"{variant} ({len(runs)})",
                                 [network for _, network in runs], folders))
    return lines


def spiking_section(outcomes: list[RunOutcome], report_dir: Path) -> list[str]:
    """Markdown lines of the spiking section (empty without spiking runs)."""
    parts = (
        ("yin_binary_mnist", BINARY_TEXT, lambda group: binary_rows(group, report_dir)),
        ("distill_mnist", ABLATION_TEXT, lambda group: ablation_rows(group, report_dir)),
        ("distill_mnist_conv", CONV_ABLATION_TEXT, lambda group: ablation_rows(group, report_dir)),
        ("distill_mnist_loihi", LOIHI_TEXT, lambda group: loihi_rows(group, report_dir)),
    )
    lines = ["## Spiking networks", ""] if outcomes else []
    for experiment, text, table in parts:
        group = [o for o in outcomes if o.run.experiment == experiment]
        if group:
            lines += [f"### {experiment}: {group[0].run.title}", "", text, "", *table(group), ""]
    if outcomes:
        lines += ["### Activity and energy per test image", "",
                  (f"Energy is an {ESTIMATE}. SOPs: accumulates, one per spike and outgoing synapse"
                   " (zero weights included) over all time steps (the input spikes included); MACs:"
                   " multiply-accumulates of layers driven by real numbers (the teachers; a directly"
                   " encoded input). \"as a DNN\": the same layers run once with one MAC per synapse."), "",
                  *energy_rows(outcomes, report_dir), ""]
    return lines
