"""REPORT.md from finished run folders: the headline metric per experiment, every grade's
metrics, the papers' numbers beside them, and the variant runs."""

from pathlib import Path

import pytest

from multigrade.io import write_json
from multigrade.reproduce.plan import PlannedRun, select
from multigrade.reproduce.outcomes import RunOutcome, load_metrics
from multigrade.reproduce.report import write_report
from multigrade.reproduce.scann_report import scann_section


def finished(folder: Path, planned: PlannedRun, metrics: list[str], grades: list[dict],
             config: dict | None = None) -> RunOutcome:
    write_json(folder / "metrics.json", {
        "experiment": planned.experiment, "model": planned.model, "profile": "quick",
        "paper_settings": False, "device": "cpu", "total_seconds": 12.0, "metrics": metrics,
        "grades": [{"grade": k, "seconds": 3.0, **g} for k, g in enumerate(grades, start=1)],
        "config": config or {},
    })
    return RunOutcome(planned, folder, load_metrics(folder), folder / "run.log")


def test_an_image_experiment_reports_psnr_against_the_papers(tmp_path):
    runs = {run.name: run for run in select("p1_image_chelsea")}
    psnr = [{"train_psnr": 20.0 + k, "val_psnr": 19.5 + k, "test_psnr": 19.0 + k, "train_rse": 0.1,
             "val_rse": 0.1, "test_rse": 0.1} for k in range(4)]
    outcomes = [
        finished(tmp_path / "mgdl", runs["mgdl"], ["psnr", "rse"], psnr),
        finished(tmp_path / "sgdl", runs["sgdl"], ["psnr", "rse"], psnr[:1]),
    ]
    report = write_report(tmp_path, "quick", outcomes, 30.0).read_text()
    assert "| p1_image_chelsea | PSNR (dB) | 22 | 19 | 24.18 | 21.83 |" in report
    assert "| train PSNR (dB) | val PSNR (dB) | test PSNR (dB) | train RSE |" in report
    assert "| paper test PSNR (dB) |" in report
    assert "| MGDL | 2 | 21 | 20.5 | 20 | 0.1 | 0.1 | 0.1 | 22.68 |" in report
    assert "chelsea" in report and "scikit-image" in report


def test_the_mnist_structure_two_run_is_its_own_row(tmp_path):
    planned = select("p1_mnist_b1_k5")
    assert [run.name for run in planned] == ["mgdl", "mgdl_structure_2", "sgdl"]
    assert planned[1].overrides == ("structure=2",)
    rse = {"train_rse": 0.4, "val_rse": 0.4, "test_rse": 0.09, "train_accuracy": 0.95,
           "val_accuracy": 0.95, "test_accuracy": 0.95}
    outcomes = [finished(tmp_path / run.name, run, ["rse", "accuracy"], [rse]) for run in planned]
    report = write_report(tmp_path, "quick", outcomes, 30.0).read_text()
    assert "| MGDL (structure 2) | 1 | 0.4 |" in report
    assert "| p1_mnist_b1_k5 | RSE | 0.09 | 0.09 | 0.0785 | 0.1106 |" in report


def test_the_mnist_grid_puts_each_noise_pair_in_a_row_with_the_lowest_rse_in_bold(tmp_path):
    final_rse = {("p1_mnist_b0p5_k1", "mgdl"): 0.0558, ("p1_mnist_b0p5_k1", "mgdl_structure_2"): 0.0712,
                 ("p1_mnist_b0p5_k1", "sgdl"): 0.0931, ("p1_mnist_b3_k50", "mgdl"): 0.31,
                 ("p1_mnist_b3_k50", "mgdl_structure_2"): 0.29}   # b3_k50's SGDL failed
    config = {"p1_mnist_b0p5_k1": {"amplitude": 0.5, "frequency": 1.0},
              "p1_mnist_b3_k50": {"amplitude": 3.0, "frequency": 50.0}}
    outcomes = []
    for run in select("p1_mnist_b0p5_k1,p1_mnist_b3_k50"):
        rse = final_rse.get((run.experiment, run.name))
        grades = [{"train_rse": 0.5, "val_rse": 0.5, "test_rse": rse}] if rse else []
        outcome = finished(tmp_path / run.experiment / run.name, run, ["rse"], grades,
                           {"data": config[run.experiment]})
        outcomes.append(outcome if rse else RunOutcome(run, outcome.folder, None, outcome.log))
    report = write_report(tmp_path, "quick", outcomes, 30.0).read_text()
    assert "| b | k | MGDL | MGDL (structure 2) | SGDL |" in report
    assert "| 0.5 | 1 | **0.0558** | 0.0712 | 0.0931 |" in report
    assert "| 3 | 50 | 0.31 | **0.29** | — |" in report
    one_pair = write_report(tmp_path, "quick", outcomes[:3], 30.0).read_text()
    assert "label-noise grid" not in one_pair and "label-noise grid" in report


def test_the_default_plan_runs_one_mnist_pair_and_one_manifold_setting():
    experiments = {run.experiment for run in select(None)}
    assert "p1_mnist_b1_k5" in experiments and "p1_mnist_b3_k50" not in experiments
    assert [e for e in sorted(experiments) if e.startswith("p1_manifold")] == ["p1_manifold_increase_q0"]
    assert len(select("p1_manifold")) == 4 * 2
    assert {"p1_image_chelsea", "p1_image_hubble", "p2_fashion_mnist_noise40"} <= experiments
    assert len(select("p1_mnist")) == 12 * 3
    with pytest.raises(SystemExit, match=r"ONLY='p2_sin,distill_mnist_alone': distill_mnist_alone selects no"
                                         r" experiment; known experiments: p1_synthetic_s1"):
        select("p2_sin,distill_mnist_alone")  # a typo beside a good prefix is not dropped in silence
    with pytest.raises(SystemExit, match=r"ONLY=',': names no experiment; known experiments: p1_synthetic_s1"):
        select(",")


def test_the_spiking_section_shows_both_modes_and_the_ablation_over_seeds(tmp_path):
    outcomes = []
    path_gain = {"alone": 0.0, "output": 0.0, "intermediate": 0.01, "snn_to_dnn": 0.02}
    for run in select("yin_binary_mnist,distill_mnist"):
        folder = tmp_path / run.name
        kd, _, seed = run.variant.partition("_seed")
        accuracy = 0.9 + (path_gain[kd] + 0.002 * int(seed) if seed else 0.0)
        # the student's SOPs grow with the seed: the energy row averages over seeds
        student = {"spikes": [1200.0, 800.0, 30.0], "sops": 1e6 * (1 + int(seed or 0)), "macs": 0.0,
                   "energy_pj": 0.9e6 * (1 + int(seed or 0)), "dense_macs": 1e6, "dense_energy_pj": 4.6e6}
        teacher = {"sops": 0.0, "macs": 5e5, "energy_pj": 2.3e6, "dense_macs": 5e5, "dense_energy_pj": 2.3e6}
        write_json(folder / "metrics.json", {
            "experiment": run.experiment, "profile": "quick", "paper_settings": False, "device": "cpu",
            "total_seconds": 60.0, "epochs": 3, "val_accuracy": 0.9, "test_accuracy": accuracy,
            "test_teacher_accuracy": 0.97,
            "test_activity": {"images": 10000, "estimate": "estimate", "student": student,
                              **({"teacher": teacher} if seed else {})},
        })
        outcomes.append(RunOutcome(run, folder, load_metrics(folder), folder / "run.log"))
    assert len(outcomes) == 2 + 4 * 3
    report = write_report(tmp_path, "quick", outcomes, 30.0).read_text()
    assert "## Spiking networks" in report and "## MGDL summary" not in report  # no MGDL run selected
    assert "| discontinuous | 0.9000 | 0.9000 | 1200, 800, 30 | 3 | 60 | > 0.98 (400 epochs) | no |" in report
    assert "| student alone | 0.9020 ± 0.0020 | — | 0.9700 ± 0.0000 | 3 | 60 |" in report
    assert "| + output path | 0.9020 ± 0.0020 | +0.0000 |" in report
    assert "| + intermediate path | 0.9120 ± 0.0020 | +0.0100 |" in report
    assert "| + SNN -> DNN path | 0.9220 ± 0.0020 | +0.0100 |" in report
    assert "| yin_binary_mnist student | continuous (1) | 2,030 | 1,000,000 | 0 | 900.0 | 1,000,000 | 4,600.0 " \
           "| 0.20 |" in report
    assert "| distill_mnist student | output (3) | 2,030 | 2,000,000 | 0 | 1,800.0 | 1,000,000 | 4,600.0 " \
           "| 0.39 |" in report
    assert "| distill_mnist teacher | all (12) | — | 0 | 500,000 | 2,300.0 | 500,000 | 2,300.0 | 1.00 |" in report


def test_a_report_holding_the_plain_runs_names_what_they_leave_out(tmp_path):
    from multigrade.reproduce.plan import PLAN, left_out

    plain = {run.experiment for run in select(None)}
    report = write_report(tmp_path, "quick", [], 1.0, left_out(plain)).read_text()
    assert "Not run by default: `p1_manifold*` except `p1_manifold_increase_q0`. P1 §3.2" in report
    assert "Not run by default: `p1_mnist*` except `p1_mnist_b1_k5`. P1 §3.4" in report
    # a plain run's report to which ONLY=p1_mnist_b3_k10 added one experiment, and then all of p1_mnist
    runs = {run.experiment: run for run in PLAN}
    added = [RunOutcome(runs["p1_mnist_b3_k10"], tmp_path / "run", None, tmp_path / "log")]
    report = write_report(tmp_path, "quick", added, 1.0, left_out(plain | {"p1_mnist_b3_k10"})).read_text()
    assert ("Not run by default: `p1_mnist*` except `p1_mnist_b1_k5` (this report also has `p1_mnist_b3_k10`)."
            " P1 §3.4") in report
    everything = plain | {name for name in runs if name.startswith("p1_mnist")}
    report = write_report(tmp_path, "quick", [], 1.0, left_out(everything)).read_text()
    assert "`p1_mnist*`" not in report and "Not run by default: `p1_manifold*`" in report
    # a selection short of the plain runs explains no defaults
    assert left_out(everything - {"p2_sin"}) == {}


def test_the_papers_whole_run_time_stands_beside_our_time_for_all_grades(tmp_path):
    runs = {run.name: run for run in select("p1_synthetic_s2")}
    rse = [{"train_rse": 0.1, "val_rse": 0.1, "test_rse": 0.1}] * 4
    outcomes = [finished(tmp_path / "mgdl", runs["mgdl"], ["rse"], rse),
                RunOutcome(runs["sgdl"], tmp_path / "sgdl", None, tmp_path / "sgdl.log")]
    report = write_report(tmp_path, "quick", outcomes, 30.0).read_text()
    header = next(line for line in report.splitlines() if line.startswith("| model | grade |"))
    assert header.endswith("| grade seconds | seconds, grades 1 to k | paper seconds, all grades |")
    rows = [line for line in report.splitlines() if line.startswith("| MGDL | ")]
    assert [row.rsplit(" | ", 3)[1:] for row in rows] == [  # each grade trains 3 s; P1 logs 27,629 s in all
        ["3.0", "3.0", "— |"], ["3.0", "6.0", "— |"], ["3.0", "9.0", "— |"], ["3.0", "12.0", "27629 |"]]
    failed = next(line for line in report.splitlines() if line.startswith("| SGDL | — | failed: see `sgdl.log` |"))
    assert failed.count("|") == header.count("|")


def test_a_failed_attack_names_its_log_relative_to_the_report(tmp_path):
    (planned,) = select("scann_neurons_power")
    outcome = RunOutcome(planned, tmp_path / "runs" / "attack", None, tmp_path / "logs" / "attack.log")
    assert "**scann_neurons_power** failed: see `logs/attack.log`" in scann_section([outcome], tmp_path)


def test_the_summary_times_every_grade_of_a_run_started_again(tmp_path):
    runs = {run.name: run for run in select("p1_synthetic_s2")}
    rse = {"train_rse": 0.1, "val_rse": 0.1, "test_rse": 0.1}
    outcomes = [finished(tmp_path / name, runs[name], ["rse"], [rse] * grades) for name, grades in
                (("mgdl", 4), ("sgdl", 1))]
    # the MGDL run was stopped in grade 4 and finished by a second process in 5 s
    metrics = load_metrics(tmp_path / "mgdl")
    metrics["grades"][3]["seconds"], metrics["total_seconds"] = 40.0, 5.0
    outcomes[0] = RunOutcome(outcomes[0].run, outcomes[0].folder, metrics, outcomes[0].log)
    report = write_report(tmp_path, "quick", outcomes, 30.0).read_text()
    assert "| p1_synthetic_s2 | RSE | 0.1 | 0.1 | 6.537e-06 | — | 49 | 3.0 | no/no |" in report  # 3 + 3 + 3 + 40
