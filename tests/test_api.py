"""The library API: the documented example (``docs/library.md``), the same numbers as ``python -m multigrade.run``,
and SGDL, adaptive grading, seeds side by side and an equation through the same ``fit``."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import multigrade as mg
from conftest import REPO
from multigrade.data.fredholm import p3_fredholm
from multigrade.data.synthetic import p1_synthetic
from multigrade.errors import CheckpointError

QUIET = {"accelerator": "cpu"}


def documented_example() -> str:
    text = (REPO / "docs" / "library.md").read_text()
    section = text[text.index("## MGDL as a library"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_example_runs_and_each_grade_lowers_the_residual(tmp_path, monkeypatch):
    code = documented_example()
    assert len(code.strip().splitlines()) <= 15
    monkeypatch.chdir(tmp_path)
    printed, namespace = io.StringIO(), {}
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs/library.md", "exec"), namespace)
    rse = [float(value) for value in re.findall(r"'([0-9.e-]+)'", printed.getvalue())]
    assert len(rse) == 3 and rse[0] > rse[1] > rse[2], rse
    f_K, f_k = namespace["f_K"], namespace["f_k"]
    assert f_K.shape == (2001, 1) and f_k.shape == (3, 2001, 1)
    np.testing.assert_allclose(f_k[-1], f_K, rtol=0, atol=1e-6)
    folder = tmp_path / "outputs" / "api"
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["grade_1.pt", "grade_2.pt", "grade_3.pt"]
    spectra = np.load(folder / "spectra.npz")
    assert spectra["residual"].shape[0] == 3
    assert namespace["model"].spectra["residual"].shape == spectra["residual"].shape
    # the run's last checkpoint is the model too
    np.testing.assert_array_equal(mg.load(folder / "checkpoints" / "grade_3.pt").predict(namespace["x"]), f_K)


def test_the_api_and_the_command_give_the_same_numbers(tmp_path):
    """``p1_synthetic_s2`` MGDL at the smoke profile: four grades of 256 x 256 with the
    quick schedule capped at 5 epochs, on P1's data."""
    command = [sys.executable, "-m", "multigrade.run", "experiment=p1_synthetic_s2", "profile=smoke", "logger=none",
               "callbacks.progress.refresh_rate=0", f"paths.output_dir={tmp_path / 'run'}"]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True, timeout=600)
    ran = json.loads((tmp_path / "run" / "metrics.json").read_text())["grades"]
    model = mg.fit([mg.GradeSpec([256, 256], "relu")] * 4, mg.GradeSchedule(5, 256, 2e-3, 1e-4), p1_synthetic(2),
                   seed=0, trainer=QUIET)
    assert [json.loads(json.dumps(record.summary())) | {"seconds": 0} for record in model.records] == [
        grade | {"seconds": 0} for grade in ran]


def small_data() -> mg.RegressionData:
    return p1_synthetic(2, n_train=600, n_val=100, n_test=100)


def test_sgdl_adaptive_grading_and_seeds_side_by_side_go_through_the_same_fit(tmp_path):
    data, schedule = small_data(), mg.GradeSchedule(3, 64, 1e-3, 1e-4)
    sgdl = mg.fit([mg.GradeSpec([16] * 4)], schedule, data, trainer=QUIET)
    assert sgdl.stair.num_grades == 1 and len(sgdl.records) == 1
    stopped = mg.fit([mg.GradeSpec([16])] * 4, schedule, data, trainer=QUIET,
                     adaptive=mg.AdaptiveGrading("rse", max_grades=4, target=10.0))  # any RSE is below 10
    assert len(stopped.records) == stopped.stair.num_grades == 1
    models = mg.fit([mg.GradeSpec([16])] * 2, schedule, data, seeds=[0, 1], folder=tmp_path, trainer=QUIET)
    assert [m.stair.num_grades for m in models] == [2, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed_0", "seed_1"]
    alone = mg.fit([mg.GradeSpec([16])] * 2, schedule, data, seed=1, trainer=QUIET)
    assert models[1].records[-1].metrics == pytest.approx(alone.records[-1].metrics, rel=1e-5)


def test_an_equations_grades_fit_its_residual_through_the_same_fit():
    data = p3_fredholm(kappa=10.0)
    schedule = mg.GradeSchedule(200, None, 1e-3, 1e-4)
    model = mg.fit([mg.GradeSpec([32, 32], "sin"), mg.GradeSpec([32, 32], "relu")], schedule, data, trainer=QUIET)
    errors = [record.metrics["test_rel_l2"] for record in model.records]
    assert errors[1] < errors[0] < 1.0


def test_predict_takes_tensors_and_one_dimensional_arrays():
    model = mg.fit([mg.GradeSpec([8])], mg.GradeSchedule(2, 64, 1e-3, 1e-3), small_data(), trainer=QUIET)
    x = np.linspace(0, 1, 7)
    from_array = model.predict(x)
    from_tensor = model.predict(torch.as_tensor(x[:, None], dtype=torch.float32))
    assert isinstance(from_array, np.ndarray) and isinstance(from_tensor, torch.Tensor)
    np.testing.assert_array_equal(from_array, from_tensor.numpy())


def test_checkpoints_of_another_fit_are_refused_before_anything_trains(tmp_path):
    data, grades, schedule = small_data(), [mg.GradeSpec([8])] * 2, mg.GradeSchedule(2, 64, 1e-3, 1e-3)
    mg.fit(grades, schedule, data, seed=0, folder=tmp_path, trainer=QUIET)
    with pytest.raises(CheckpointError, match=r"grade_1.pt was written by a different run \(seed: 0 \(the file\),"
                                              r" 1 \(this run\)\)"):
        mg.MultiGrade(grades, schedule, data, seed=1, folder=tmp_path)
    with pytest.raises(ValueError, match="fit needs targets y beside the inputs x"):
        mg.fit(grades, schedule, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="check_every must be a positive number of epochs; got 0"):
        mg.MultiGrade(grades, schedule, data, check_every=0)


def test_load_names_a_path_that_does_not_exist_and_a_folder_without_grades(tmp_path):
    with pytest.raises(CheckpointError, match="missing does not exist: give a grade run's folder"):
        mg.load(tmp_path / "missing")
    (tmp_path / "seeds" / "seed_0").mkdir(parents=True)
    with pytest.raises(CheckpointError, match="holds no grade checkpoints .*its seeds' runs are in seed_0"):
        mg.load(tmp_path / "seeds")
