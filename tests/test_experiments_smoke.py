"""Every experiment, MGDL and SGDL, runs end to end in the smoke profile (in-process)."""

import json
import math

import numpy as np
import pytest

from conftest import job_config
from multigrade.reproduce.plan import EXPERIMENTS
from multigrade.run import run


@pytest.mark.parametrize("model", ["mgdl", "sgdl"])
@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_smoke_run(experiment, model, tmp_path):
    cfg = job_config(f"experiment={experiment}", f"model={model}", "profile=smoke", "logger=none",
                     f"paths.output_dir={tmp_path}", "callbacks.progress.refresh_rate=0",
                     "callbacks.progress.log_lines_per_grade=0")
    run(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    grades = len(cfg.model.grades)
    assert [g["grade"] for g in metrics["grades"]] == list(range(1, grades + 1))
    assert all(math.isfinite(g["test_rse"]) for g in metrics["grades"])
    assert metrics["paper_settings"] is False  # smoke caps the epochs
    with np.load(tmp_path / "spectra.npz") as spectra:
        assert spectra["residual"].shape == (grades, spectra["freq"].shape[0])
        assert spectra["evolution"].shape[1] == spectra["target_frequencies"].shape[0] > 0
