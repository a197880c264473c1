"""Side channels of axon-hillock neurons: the behavioural model against its closed forms
and against ngspice, the template attacks end to end, the countermeasures, and the run."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from conftest import REPO, job_config
from spice import NgspiceError, run_ngspice
from multigrade.errors import ConfigError
from multigrade.scann.__main__ import attack_settings
from multigrade.scann.attack import run_attack
from multigrade.scann.channels import spike_histograms
from multigrade.scann.circuit import AxonHillock
from multigrade.scann.countermeasures import DummyPool
from multigrade.scann.layer import LayerDevices, simulate_layer, synaptic_pulses
from multigrade.scann.templates import Templates, success_rates
from multigrade.sweeps.summary import final_metrics

CIRCUIT = AxonHillock()
NEED_NGSPICE = os.environ.get("MULTIGRADE_REQUIRE_NGSPICE") == "1"


def constant_input(circuit: AxonHillock, currents: list[float], duration: float, dt: float, record: bool = False):
    """One neuron per current, each with a constant input."""
    devices = LayerDevices.nominal(circuit, len(currents), 1)
    weights = np.asarray(currents, dtype=np.float64).reshape(-1, 1, 1)
    steps = int(round(duration / dt))
    return simulate_layer(devices, weights, np.ones((steps, 1)), 1.0, dt, record_membrane=record)


def test_spike_times_follow_the_closed_forms():
    currents = [0.3e-9, 1e-9, 3e-9, 7e-9]
    trace = constant_input(CIRCUIT, currents, 40e-3, 2e-6, record=True)
    for index, current in enumerate(currents):
        times = trace.spike_time[trace.spike_trace == index]
        assert len(times) >= 5
        assert times[0] == pytest.approx(CIRCUIT.first_spike_time(current), rel=1e-9)
        assert np.diff(times) == pytest.approx(CIRCUIT.period(current), rel=1e-9)
        # after the first spike the membrane stays within V_th ± ΔV
        after = trace.membrane[int(times[0] / trace.dt) + 1:, index, 0]
        assert after.min() >= CIRCUIT.threshold - CIRCUIT.swing - 1e-12
        assert after.max() <= CIRCUIT.threshold + CIRCUIT.swing + 1e-12
    # the period has its minimum at I_r / 2 and does not depend on C_mem
    assert CIRCUIT.period(5e-9) < min(CIRCUIT.period(3e-9), CIRCUIT.period(7e-9))
    assert CIRCUIT.with_values(c_mem=4e-12).period(2e-9) == pytest.approx(CIRCUIT.period(2e-9))


def test_the_supply_charge_per_spike_adds_up_its_parts():
    """Input and reset charge, the edges' C V_dd and the short-circuit integral over a period."""
    current, dt = 2e-9, 0.5e-6
    trace = constant_input(CIRCUIT, [current], 20e-3, dt)
    times = trace.spike_time
    start, stop = int(np.ceil(times[1] / dt)), int(np.ceil(times[-1] / dt))
    per_spike = trace.supply[start:stop, 0].sum() * dt / (len(times) - 2)
    period, high = CIRCUIT.period(current), CIRCUIT.vdd * CIRCUIT.c_fb / (CIRCUIT.i_reset - current)
    # the membrane sweeps [V_th - ΔV, V_th] upwards at I/C and [V_th, V_th + ΔV] downwards at (I_r - I)/C
    low = np.linspace(CIRCUIT.threshold - CIRCUIT.swing, CIRCUIT.threshold, 20001)
    up = np.linspace(CIRCUIT.threshold, CIRCUIT.threshold + CIRCUIT.swing, 20001)
    short = (np.trapezoid(CIRCUIT.short_circuit(low), low) * CIRCUIT.c_total / current
             + np.trapezoid(CIRCUIT.short_circuit(up), up) * CIRCUIT.c_total / (CIRCUIT.i_reset - current))
    expected = current * period + CIRCUIT.i_reset * high + CIRCUIT.rise_charge + CIRCUIT.fall_charge + short
    assert per_spike == pytest.approx(expected, rel=0.01)
    assert short > CIRCUIT.rise_charge  # the slow membrane keeps the first inverter conducting


def test_synaptic_pulses_and_spike_windows():
    spikes = np.zeros((10, 2), dtype=bool)
    spikes[[1, 2, 7], [0, 0, 1]] = True
    pulses = synaptic_pulses(spikes, 3)
    assert pulses[:, 0].tolist() == [0, 1, 2, 2, 1, 0, 0, 0, 0, 0]
    assert pulses[:, 1].tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    counts = spike_histograms(np.array([0, 0, 1, 1]), np.array([0.05, 0.95, 0.5, 1.5]), 2, 4, 1.0)
    assert counts.tolist() == [[1, 0, 0, 1], [0, 0, 1, 0]]  # the spike moved past the window is lost
    # dummy activity: each trace gets the spikes of the pool draw it is dealt
    pool = DummyPool(np.zeros((3, 2)), np.array([0, 2, 2, 0, 1]), np.array([0.1, 0.5, 0.6, 0.2, 0.9]), 1.0, 4, 0.0)
    owner, times = pool.spikes_of(np.array([2, 0, 1, 2]))
    assert owner.tolist() == [0, 0, 1, 1, 2, 3, 3] and times.tolist() == [0.5, 0.6, 0.1, 0.2, 0.9, 0.5, 0.6]


@pytest.mark.skipif(shutil.which("ngspice") is None and not NEED_NGSPICE,
                    reason="ngspice is not installed (`make ngspice`)")
@pytest.mark.parametrize("current", [1e-9, 3e-9, 6e-9])
def test_the_behavioural_model_agrees_with_ngspice(current):
    """Spike times within 0.5 % and supply charge per spike within 2 % of the transistor netlist."""
    spice = run_ngspice(CIRCUIT, current, 10e-3)
    model = constant_input(CIRCUIT, [current], 10e-3, 1e-6)
    spice_times, model_times = spice.spike_times(), model.spike_time
    count = min(len(spice_times), len(model_times))
    assert count >= 4 and abs(len(spice_times) - len(model_times)) <= 1
    assert model_times[:count] == pytest.approx(spice_times[:count], rel=5e-3)
    spice_charge = spice.charge(spice_times[1], spice_times[count - 1]) / (count - 2)
    steps = (np.arange(model.supply.shape[0]) + 0.5) * model.dt
    keep = (steps >= model_times[1]) & (steps < model_times[count - 1])
    model_charge = model.supply[keep, 0].sum() * model.dt / (count - 2)
    assert model_charge == pytest.approx(spice_charge, rel=0.02)


def test_a_missing_ngspice_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NgspiceError, match="apt-get install -y ngspice"):
        run_ngspice(CIRCUIT, 1e-9, 1e-3)


def test_the_gaussian_template_sees_through_common_mode_noise():
    """Three classes apart by 1 on either feature, both features moved together by noise
    of standard deviation 5 (a drifting supply) plus 0.2 each: the nearest template is
    misled by the common mode, the pooled-covariance Gaussian template removes it."""
    rng = np.random.default_rng(0)

    def draw(per_class):
        means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        common = 5.0 * rng.standard_normal((3, per_class, 1))
        return means[:, None, :] + common + 0.2 * rng.standard_normal((3, per_class, 2))

    rates = success_rates(draw(200), draw(500))
    assert rates["gaussian"] > 0.9 and rates["nearest"] < 0.65
    assert Templates.fit(draw(50)).projection.shape == (2, 2)


def small_settings(**changes):
    cfg = job_config("attack=scann_capacitors_power", "profile=smoke", config_name="scann")
    settings = attack_settings(cfg)
    return replace(settings, **{"profiling": 24, "victims": 24, "snr_db": (-40.0, 30.0), "averages": (1, 16),
                                "dummy_pool": 32, **changes})


def test_an_attack_succeeds_at_high_snr_and_is_at_chance_at_very_low_snr():
    metrics = run_attack(small_settings(), seed=0)
    chance = metrics["chance"]
    assert chance == 1 / 8
    for classifier, (low, high) in metrics["success_vs_snr"].items():
        assert high > 0.9, classifier
        assert low < chance + 0.1, classifier
    # averaging 16 traces at -20 dB recovers what one trace loses
    averaged = metrics["success_vs_averages"]["gaussian"]
    assert averaged[1] > averaged[0] + 0.2


def test_countermeasures_lower_the_success_and_cost_power():
    power = run_attack(small_settings(countermeasure_snr_db=10.0), seed=0)["countermeasures"]
    assert power["none"]["success"]["gaussian"] > 0.9
    # a 40 dB lower signal: one trace at 10 dB is no better than one unprotected at -30 dB
    assert power["flattening"]["success"]["gaussian"] < 0.4
    assert power["flattening"]["power_overhead"] > 0.5 and power["dummy"]["power_overhead"] > 0.2
    timing = run_attack(small_settings(channel="timing", countermeasure_snr_db=10.0), seed=0)["countermeasures"]
    # flattening leaves spike times as they are; dummy spikes on the bus hide the layer's
    assert timing["flattening"]["success"]["gaussian"] == pytest.approx(timing["none"]["success"]["gaussian"], abs=0.1)
    assert timing["dummy"]["success"]["gaussian"] < timing["none"]["success"]["gaussian"] - 0.1


def test_the_same_seed_gives_the_same_numbers():
    settings = small_settings(profiling=4, victims=4, secret="neurons", values=(1.0, 2.0, 3.0))
    first, again = run_attack(settings, seed=3), run_attack(settings, seed=3)
    assert first == again
    assert run_attack(settings, seed=4)["class_means"] != first["class_means"]
    # a sweep's summary lists the Gaussian template's success at each SNR
    summary = final_metrics({**first, "total_seconds": 1.0})
    assert summary == {"success_-40dB": first["success_vs_snr"]["gaussian"][0],
                       "success_30dB": first["success_vs_snr"]["gaussian"][1], "total_seconds": 1.0}


@pytest.mark.parametrize("override, key", [
    ("attack.secret=voltage", "attack.secret"),
    ("attack.channel=em", "attack.channel"),
    ("+mismatch.c_gate=0.1", "mismatch.c_gate"),
    ("mismatch.c_mem=-0.5", "mismatch.c_mem is a relative standard deviation"),
    ("mismatch.weight=5", "mismatch.weight is a relative standard deviation"),
    ("circuit.threshold=1.5", "circuit.threshold"),
    ("attack.values=[0.8,1.4]", "circuit.threshold"),
    ("attack.values=[1.0]", "attack.values"),
    ("+layer.gain=2", "layer.gain"),
    ("+circuit.c_gate=1e-15", "circuit.c_gate"),
    ("layer.dt=1e-4", "layer.dt"),
    ("layer.dt=0", "layer.dt"),
    ("layer.weight_range=[-1,2]", "layer.weight_range"),
    ("measurement.power_bins=0", "measurement.power_bins"),
    ("measurement.timing_bins=100000", "measurement.timing_bins"),
    ("measurement.averages=[0,4]", "measurement.averages"),
    ("countermeasures.flattening.loop_gain=-1", "countermeasures.flattening.loop_gain"),
    ("countermeasures.dummy.rates=[0,10]", "countermeasures.dummy"),
])
def test_a_bad_setting_names_its_key(override, key):
    attack = "scann_threshold_power" if override.startswith("attack.values=[0.8") else "scann_weight_power"
    cfg = job_config(f"attack={attack}", override, config_name="scann")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        attack_settings(cfg)


@pytest.mark.slow
def test_a_cli_run_writes_its_metrics_and_figures(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "multigrade.scann", "attack=scann_neurons_timing", "profile=smoke",
               f"paths.output_dir={out}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["experiment"] == "scann_neurons_timing"
    assert (metrics["secret"], metrics["channel"]) == ("neurons", "timing")
    assert len(metrics["success_vs_snr"]["nearest"]) == len(metrics["snr_db"]) == 7
    assert set(metrics["countermeasures"]) == {"none", "dummy", "flattening"}
    assert np.asarray(metrics["class_means"]).shape == (8, 100)
    assert all((out / "figures" / f"{name}.png").stat().st_size > 0 for name in ("success", "templates", "device"))
    bad = subprocess.run([*command[:3], "attack.secret=voltage", f"paths.output_dir={tmp_path / 'bad'}"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1 and "attack.secret" in bad.stderr + bad.stdout
    assert not (tmp_path / "bad" / "metrics.json").exists()


@pytest.mark.slow
def test_make_reproduce_reports_the_attacks_and_countermeasures(tmp_path):
    from multigrade.reproduce.plan import select

    assert [run.experiment for run in select(None) if run.side_channel] == [
        f"scann_{secret}_{channel}" for secret in ("weight", "neurons", "threshold", "capacitors")
        for channel in ("power", "timing")]
    command = [sys.executable, "-m", "multigrade.reproduce", "--profile", "smoke", "--only", "scann_neurons",
               "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (tmp_path / "REPORT.md").read_text()
    assert "## Side channels of analog spiking neurons (SCANN)" in report
    power = json.loads((tmp_path / "runs" / "scann_neurons_power" / "scann" / "metrics.json").read_text())
    by_snr = power["success_vs_snr"]
    cells = " | ".join(f"{g:.2f} / {n:.2f}" for g, n in zip(by_snr["gaussian"], by_snr["nearest"]))
    assert f"| neurons (power) | {cells} |" in report
    flattening = power["countermeasures"]["flattening"]["power_overhead"]
    assert f"| {flattening:+.0%} |" in report and "| neurons (timing) |" in report
    assert "runs/scann_neurons_timing/scann/figures/success.png" in report


def test_the_template_figure_names_the_secret_with_the_unit_of_its_values():
    from multigrade.scann.plots import templates_figure
    metrics = {"class_means": np.zeros((2, 10)), "values": [1.0, 2.0], "secret": "weight", "channel": "power"}
    figure = templates_figure(metrics, 0.01, "templates", "× i_unit")
    assert figure.axes[0].get_legend().get_title().get_text() == "weight (× i_unit)"
