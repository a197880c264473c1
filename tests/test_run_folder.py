"""A run folder holds one run: which folders hold results, and Hydra's record put off."""

from omegaconf import OmegaConf

from multigrade import run_folder
from multigrade.run_folder import RunFolder, holds_results, recorded_entry_point


def hydra_config(folder, subdir=".hydra"):
    return OmegaConf.create({"hydra": {"run": {"dir": str(folder)}, "output_subdir": subdir,
                                       "overrides": {"task": ["seed=1"]}}, "seed": 1})


def test_a_folder_holds_results_when_a_run_or_one_of_its_seeds_left_any(tmp_path):
    assert not holds_results(tmp_path)
    (tmp_path / ".hydra").mkdir()
    (tmp_path / "run.log").write_text("")
    assert not holds_results(tmp_path)  # a start refused on its settings leaves only these
    (tmp_path / "seed_3" / "checkpoints").mkdir(parents=True)  # seeds side by side, killed in grade 1
    assert holds_results(tmp_path)


def test_the_record_of_a_start_into_a_folder_of_results_waits_for_the_run(tmp_path):
    done, fresh = tmp_path / "done", tmp_path / "fresh"
    (done / "checkpoints").mkdir(parents=True)
    (done / "rec").mkdir()
    (done / "rec" / "hydra.yaml").write_text("hydra:\n  job:\n    config_name: config\n")
    config = hydra_config(done, "rec")
    RunFolder().on_run_start(config, config_name="config")
    assert config.hydra.output_subdir is None and run_folder._deferred["subdir"] == "rec"
    assert run_folder._deferred["config"] == {"seed": 1} and run_folder._deferred["overrides"] == ["seed=1"]
    assert recorded_entry_point(done, ("other", "rec")) == ("config", "rec")
    # a later run of the same process, into a fresh folder, writes its own record as Hydra does
    fresh_config = hydra_config(fresh)
    RunFolder().on_run_start(fresh_config, config_name="config")
    assert fresh_config.hydra.output_subdir == ".hydra" and not run_folder._deferred
    assert fresh.is_dir()
