"""Every kind of experiment, MGDL and SGDL, runs end to end in the smoke profile
(in-process). Experiments that differ from one here only in data parameters (the other
(b, k) pairs of P1 §3.4, the 0.4 noise rate of P2, the equations' other wavenumbers) are composed in
``test_config``."""

import json
import math

import numpy as np
import pytest

from conftest import job_config, missing_digits
from multigrade.reproduce.plan import EXPERIMENTS
from multigrade.run import run

SAME_CODE_AS_ANOTHER = ("p1_mnist_b0p5", "p1_mnist_b3", "p1_mnist_b1_k1", "p1_mnist_b1_k10",
                        "p1_mnist_b1_k50", "p2_mnist_noise40", "p2_fashion_mnist_noise40",
                        "p3_fredholm_k50", "p3_fredholm_k100", "p3_fredholm_k200",  # k50 also covers k500
                        "helmholtz1d_k50", "helmholtz1d_k100", "helmholtz2d_fdmgdl_k50")
SMOKE = [e for e in EXPERIMENTS if not e.startswith(SAME_CODE_AS_ANOTHER)]
DIGITS = ("p1_mnist", "p2_mnist", "p2_fashion_mnist")


@pytest.mark.parametrize("model", ["mgdl", "sgdl"])
@pytest.mark.parametrize("experiment", SMOKE)
def test_smoke_run(experiment, model, tmp_path):
    if experiment.startswith(DIGITS) and missing_digits():
        pytest.skip(f"{' and '.join(missing_digits())} not in MULTIGRADE_DATA_DIR")
    cfg = job_config(f"experiment={experiment}", f"model={model}", "profile=smoke", "logger=none",
                     f"paths.output_dir={tmp_path}", "callbacks.progress.refresh_rate=0",
                     "callbacks.progress.log_lines_per_grade=0")
    run(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    grades = len(cfg.model.grades)
    assert [g["grade"] for g in metrics["grades"]] == list(range(1, grades + 1))
    headline = metrics["metrics"][0]
    assert all(math.isfinite(g[f"test_{headline}"]) for g in metrics["grades"])
    assert metrics["paper_settings"] is False  # smoke caps the epochs
    with np.load(tmp_path / "spectra.npz") as spectra:
        assert spectra["residual"].shape == (grades, spectra["freq"].shape[0])
        assert spectra["evolution"].shape[1] == spectra["target_frequencies"].shape[0] > 0
    if experiment.startswith("p1_image"):
        assert (tmp_path / "figures" / "reconstructions.png").is_file()
