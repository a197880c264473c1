"""Every experiment, MGDL and SGDL, runs end to end in the smoke profile (in-process)."""

import json
import math

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from omegaconf import open_dict

from multigrade.reproduce.plan import EXPERIMENTS
from multigrade.run import CONF_DIR, run


@pytest.mark.parametrize("model", ["mgdl", "sgdl"])
@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_smoke_run(experiment, model, tmp_path):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", return_hydra_config=True, overrides=[
            f"experiment={experiment}", f"model={model}", "profile=smoke", "logger=none",
            f"paths.output_dir={tmp_path}", "callbacks.progress.refresh_rate=0",
            "callbacks.progress.log_lines_per_grade=0",
        ])
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]  # as in a real run, the job's config holds no hydra node
    run(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    grades = len(cfg.model.grades)
    assert [g["grade"] for g in metrics["grades"]] == list(range(1, grades + 1))
    assert all(math.isfinite(g["test_rse"]) for g in metrics["grades"])
    assert metrics["paper_settings"] is False  # smoke caps the epochs
    with np.load(tmp_path / "spectra.npz") as spectra:
        assert spectra["residual"].shape == (grades, spectra["freq"].shape[0])
        assert spectra["evolution"].shape[1] == spectra["target_frequencies"].shape[0] > 0
