"""The spiking section of REPORT.md names the run folder of every number it shows."""

from multigrade.reproduce.plan import select
from multigrade.reproduce.outcomes import RunOutcome
from multigrade.reproduce.report import write_report


def network(energy_pj: float, spikes: list[float] | None = None) -> dict:
    activity = {"sops": energy_pj / 0.9, "macs": 0.0, "energy_pj": energy_pj, "dense_macs": 1e5,
                "dense_energy_pj": 4.6e5}
    return activity if spikes is None else {**activity, "spikes": spikes}


def metrics(accuracy: float) -> dict:
    return {"experiment": "distill_mnist", "profile": "quick", "paper_settings": False, "device": "cpu",
            "total_seconds": 50.0, "epochs": 3, "val_accuracy": accuracy, "test_accuracy": accuracy,
            "test_teacher_accuracy": 0.98,
            "test_activity": {"images": 10000, "estimate": "45 nm estimate",
                              "student": network(9e4 * accuracy, [800.0, 30.0]), "teacher": network(4.6e5)}}


def test_the_ablation_and_energy_tables_name_their_run_folders(tmp_path):
    alone = [run for run in select("distill_mnist") if run.variant.startswith("alone_seed")]
    assert [run.variant for run in alone] == ["alone_seed0", "alone_seed1", "alone_seed2"]
    folders = [tmp_path / "runs" / run.experiment / run.name for run in alone]
    outcomes = [RunOutcome(alone[0], folders[0], metrics(0.95), tmp_path / "logs" / "a0.log"),
                RunOutcome(alone[1], folders[1], metrics(0.97), tmp_path / "logs" / "a1.log"),
                RunOutcome(alone[2], folders[2], None, tmp_path / "logs" / "a2.log")]
    report = write_report(tmp_path, "quick", outcomes, 1.0).read_text()
    all_three = "`runs/distill_mnist/` snn_alone_seed0, snn_alone_seed1, snn_alone_seed2"
    assert (f"| student alone | 0.9600 ± 0.0141 | — | 0.9800 ± 0.0000 | 2 (failed: see `logs/a2.log`) | 50"
            f" | {all_three} |") in report
    finished = "`runs/distill_mnist/` snn_alone_seed0, snn_alone_seed1"
    # energy per test image: (0.95 + 0.97) / 2 * 90 nJ = 86.4 nJ for the student, 460 nJ for the teacher
    assert f"| distill_mnist student | alone (2) | 830 | 96,000 | 0 | 86.4 | 100,000 | 460.0 | 0.19 | {finished} |" \
        in report
    assert f"| distill_mnist teacher | all (2) | — | 511,111 | 0 | 460.0 | 100,000 | 460.0 | 1.00 | {finished} |" \
        in report
    assert str(tmp_path) not in report
