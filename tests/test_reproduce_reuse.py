"""``python -m multigrade.reproduce`` reuses a run folder only for the invocation that made
it: the same profile and the same extra overrides; any other invocation clears the folder
and runs again, so no result or checkpoint of another configuration survives."""

import json

import pytest

from multigrade.io import write_json
from multigrade.reproduce import __main__ as reproduce
from multigrade.reproduce.reuse import INVOCATION

RUNS = ("p2_sin/mgdl", "p2_sin/sgdl")


@pytest.fixture
def trained(monkeypatch):
    """Stands in for the run processes: records each run's profile, overrides and the files
    its folder held when it started, then writes a grade checkpoint and metrics.json."""
    calls = []

    def run_one(planned, profile, folder, log, overrides):
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        calls.append({"run": planned.key, "profile": profile, "overrides": list(overrides), "files": files})
        write_json(folder / "checkpoints" / "grade_1.pt", {"overrides": list(overrides)})
        write_json(folder / "metrics.json", {
            "experiment": planned.experiment, "model": planned.model, "profile": profile,
            "paper_settings": False, "device": "cpu", "total_seconds": 1.0, "metrics": ["rse"],
            "grades": [{"grade": 1, "seconds": 1.0, "train_rse": 0.5, "val_rse": 0.5, "test_rse": 0.5}],
            "config": {},
        })
        return 0

    monkeypatch.setattr(reproduce, "run_one", run_one)
    return calls


def reproduce_main(out, *extra):
    assert reproduce.main(["--profile", "smoke", "--only", "p2_sin", "--out", str(out), *extra]) == 0


def test_a_run_made_with_overrides_is_not_reused_by_a_plain_invocation(tmp_path, trained):
    reproduce_main(tmp_path, "train.epochs=1")
    reproduce_main(tmp_path)
    assert [c["run"] for c in trained] == [*RUNS, *RUNS]
    plain = trained[2:]
    assert all(c["overrides"] == [] for c in plain)
    assert all(c["files"] == [INVOCATION] for c in plain)  # the earlier run's checkpoints are gone
    report = (tmp_path / "REPORT.md").read_text()
    assert "0 of 2 runs reused from earlier" in report


def test_a_plain_run_is_cleared_before_an_invocation_with_overrides(tmp_path, trained):
    reproduce_main(tmp_path)
    reproduce_main(tmp_path, "cuda_graph=false")
    assert [c["run"] for c in trained] == [*RUNS, *RUNS]
    assert all(c["files"] == [INVOCATION] and c["overrides"] == ["cuda_graph=false"] for c in trained[2:])
    recorded = json.loads((tmp_path / "runs/p2_sin/mgdl" / INVOCATION).read_text())
    assert recorded["profile"] == "smoke" and recorded["overrides"] == ["cuda_graph=false"]


def test_the_same_invocation_reuses_its_runs_and_another_profile_does_not(tmp_path, trained):
    reproduce_main(tmp_path, "train.epochs=1", "seed=1")
    reproduce_main(tmp_path, "seed=1", "train.epochs=1")  # the same overrides, in another order
    assert len(trained) == 2
    reproduce_main(tmp_path, "train.epochs=1")
    reproduce_main(tmp_path, "train.epochs=1")
    assert len(trained) == 4
    assert "2 of 2 runs reused from earlier" in (tmp_path / "REPORT.md").read_text()
    assert reproduce.main(["--profile", "quick", "--only", "p2_sin", "--out", str(tmp_path), "train.epochs=1"]) == 0
    assert len(trained) == 6 and all(c["profile"] == "quick" for c in trained[4:])
    reproduce_main(tmp_path, "seed=1", "seed=2")  # a key twice: the later wins, so the order counts
    reproduce_main(tmp_path, "seed=2", "seed=1")
    assert len(trained) == 10


def test_an_unfinished_run_resumes_only_under_its_own_invocation(tmp_path, trained):
    reproduce_main(tmp_path, "train.epochs=1")
    for run in RUNS:
        (tmp_path / "runs" / run / "metrics.json").unlink()  # stopped after grade 1's checkpoint
    reproduce_main(tmp_path, "train.epochs=1")
    assert all(c["files"] == ["checkpoints/grade_1.pt", INVOCATION] for c in trained[2:])
    for run in RUNS:
        (tmp_path / "runs" / run / "metrics.json").unlink()
    reproduce_main(tmp_path, "train.epochs=2")
    assert all(c["files"] == [INVOCATION] for c in trained[4:])


def test_a_run_whose_metrics_file_is_damaged_runs_again_from_its_checkpoints(tmp_path, trained, capsys):
    reproduce_main(tmp_path)
    damaged = tmp_path / "runs" / "p2_sin" / "mgdl" / "metrics.json"
    damaged.write_text(damaged.read_text()[:40])  # cut short
    reproduce_main(tmp_path)
    assert [c["run"] for c in trained] == [*RUNS, RUNS[0]]  # sgdl reused, mgdl run again ...
    assert trained[2]["files"] == ["checkpoints/grade_1.pt", INVOCATION, "metrics.json"]  # ... in its kept folder
    assert f"warning: {damaged} cannot be read (JSONDecodeError" in capsys.readouterr().err
    assert "1 of 2 runs reused from earlier" in (tmp_path / "REPORT.md").read_text()


def test_a_folder_without_a_recorded_invocation_is_adopted_only_with_its_profile_and_no_overrides(tmp_path, trained):
    reproduce_main(tmp_path)
    for run in RUNS:  # as left by a version that recorded no invocation
        (tmp_path / "runs" / run / INVOCATION).unlink()
        (tmp_path / "runs" / run / ".hydra").mkdir()
        (tmp_path / "runs" / run / ".hydra" / "config.yaml").write_text("profile:\n  name: smoke\n")
    reproduce_main(tmp_path)
    assert len(trained) == 2  # both adopted: same profile, no overrides
    assert all((tmp_path / "runs" / run / INVOCATION).is_file() for run in RUNS)
    (tmp_path / "runs" / RUNS[0] / INVOCATION).unlink()
    (tmp_path / "runs" / RUNS[1] / INVOCATION).unlink()
    (tmp_path / "runs" / RUNS[1] / ".hydra" / "config.yaml").unlink()  # no record of its start either
    reproduce_main(tmp_path, "train.epochs=1")
    assert [c["run"] for c in trained[2:]] == list(RUNS) and all(c["files"] == [INVOCATION] for c in trained[2:])


def test_the_report_keeps_earlier_experiments_of_its_profile_and_names_their_overrides(tmp_path, trained):
    assert reproduce.main(["--profile", "smoke", "--only", "p2_xsin", "--out", str(tmp_path), "seed=1"]) == 0
    reproduce_main(tmp_path)  # then p2_sin alone
    report = (tmp_path / "REPORT.md").read_text()
    assert "runs/p2_xsin/mgdl" in report and "runs/p2_sin/mgdl" in report
    assert "Extra overrides `seed=1`: `p2_xsin/mgdl`, `p2_xsin/sgdl`." in report
    assert "2 of 4 runs reused from earlier" in report
    assert reproduce.main(["--profile", "quick", "--only", "p2_sin", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "REPORT.md").read_text()
    assert "runs/p2_xsin" not in report and "Extra overrides" not in report  # smoke runs stay out of quick's


def test_the_report_shows_an_earlier_failed_run_and_leaves_out_an_experiment_of_mixed_overrides(
        tmp_path, trained, monkeypatch):
    assert reproduce.main(["--profile", "smoke", "--only", "p2_xsin", "--out", str(tmp_path)]) == 0
    (tmp_path / "runs/p2_xsin/sgdl/metrics.json").unlink()  # as if it had failed
    assert reproduce.main(["--profile", "smoke", "--only", "p2_composite", "--out", str(tmp_path), "seed=1"]) == 0
    write_json(tmp_path / "runs/p2_composite/sgdl" / INVOCATION,  # as if a later command had stopped midway
               {**json.loads((tmp_path / "runs/p2_composite/sgdl" / INVOCATION).read_text()), "overrides": ["seed=2"]})
    monkeypatch.setenv("MULTIGRADE_LOIHI_PYTHON", "/nowhere/python")
    reproduce_main(tmp_path)
    report = (tmp_path / "REPORT.md").read_text()
    assert "runs/p2_xsin/mgdl" in report and "logs/p2_xsin_sgdl.log" in report  # the failed run, with its log
    assert "runs/p2_composite" not in report
    assert ("`p2_composite`: not shown: earlier commands made its runs with different extra overrides; run it again"
            " with ONLY=p2_composite.") in report


def test_overrides_of_independent_keys_configure_the_same_run_in_any_order():
    from multigrade.overrides import canonical_overrides

    def same_overrides(a, b):
        return canonical_overrides(a) == canonical_overrides(b)

    assert same_overrides(["a=1", "b.c=2"], ["b.c=2", "a=1"])
    assert not same_overrides(["a=1", "a=2"], ["a=2", "a=1"])  # the later one wins
    assert not same_overrides(["train={epochs:1}", "train.epochs=2"], ["train.epochs=2", "train={epochs:1}"])
    assert not same_overrides(["~train", "+train.epochs=2"], ["+train.epochs=2", "~train"])


def test_an_experiment_left_out_for_want_of_its_environment_is_named_as_not_run_this_time(
        tmp_path, trained, monkeypatch):
    monkeypatch.setenv("MULTIGRADE_LOIHI_PYTHON", "/nowhere/python")
    assert reproduce.main(["--profile", "smoke", "--only", "p2_sin,distill_mnist_loihi", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "REPORT.md").read_text()
    assert ("`distill_mnist_loihi`: not run this time: the Loihi environment's Python /nowhere/python does not"
            " exist") in report
    assert "Not run by default" not in report


def test_extra_overrides_that_a_selected_run_cannot_take_stop_the_command_before_any_run(tmp_path, trained):
    with pytest.raises(SystemExit, match=r"ARGS='train.lr_mx=1' does not apply to p2_sin/mgdl: Could not override"
                                         r" 'train.lr_mx'\..* select runs that have the keys \(ONLY=\.\.\.\)"):
        reproduce.main(["--profile", "smoke", "--only", "p2_sin", "--out", str(tmp_path), "train.lr_mx=1"])
    with pytest.raises(SystemExit, match=r"ARGS='train.epochs=1' does not apply to scann_weight_power/scann"):
        reproduce.main(["--profile", "smoke", "--only", "p2_sin,scann_weight_power", "--out", str(tmp_path),
                        "train.epochs=1"])
    assert not trained and not list(tmp_path.iterdir())  # no run started, no report
