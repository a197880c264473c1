"""``notebooks/analysis.ipynb`` runs top to bottom on a smoke run and a smoke sweep."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from multigrade.analysis import find_folder, grade_table, load_run

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_documented_headless_command_draws_a_run_and_summarises_a_sweep(tmp_path):
    """``jupyter execute --inplace notebooks/analysis.ipynb`` from the project's root, with
    the folders named relative to it (the kernel itself starts in ``notebooks/``)."""
    subprocess.run([sys.executable, "-m", "multigrade.run", "-m", "experiment=p2_sin", "profile=smoke",
                    "train.epochs=2", "seed=0,1", "logger=none", f"paths.output_root={tmp_path / 'outputs'}",
                    "callbacks.progress.refresh_rate=0"], cwd=REPO, check=True, capture_output=True)
    (sweep,) = (tmp_path / "outputs" / "multirun").iterdir()
    (tmp_path / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "analysis.ipynb", tmp_path / "notebooks")
    relative = sweep.relative_to(tmp_path)
    environment = {**os.environ, "MULTIGRADE_RUN": str(relative / "0"), "MULTIGRADE_SWEEP": str(relative)}
    subprocess.run([str(Path(sys.executable).parent / "jupyter"), "execute", "--inplace", "notebooks/analysis.ipynb"],
                   cwd=tmp_path, env=environment, check=True, capture_output=True)
    notebook = nbformat.read(tmp_path / "notebooks" / "analysis.ipynb", as_version=4)

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # spectra, evolution heatmap, losses
    markdown = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    run = load_run(sweep / "0")
    assert grade_table(run.metrics) in markdown
    val_rse = json.loads((sweep / "1" / "metrics.json").read_text())["grades"][-1]["val_rse"]
    assert f"{val_rse:.4g}" in markdown and "2 of 2 jobs finished" in markdown


def test_relative_folders_are_found_from_the_folders_above(tmp_path, monkeypatch):
    (tmp_path / "outputs" / "runs").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert find_folder("outputs/runs") == tmp_path / "outputs" / "runs"
    assert find_folder("outputs/nothing") == Path("outputs/nothing")
    assert find_folder(tmp_path / "notebooks") == tmp_path / "notebooks"


def test_a_seeds_summary_folder_names_its_runs(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"seeds": [0, 1], "runs": ["seed_0", "seed_1"]}))
    with pytest.raises(FileNotFoundError, match="seeds \\[0, 1\\] trained side by side.*seed_0"):
        load_run(tmp_path)


def test_a_spiking_run_folder_is_named_as_one_without_grades(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"experiment": "distill_mnist", "test_accuracy": 0.9}))
    with pytest.raises(FileNotFoundError, match="is a run of distill_mnist without grades \\(a spiking run"):
        load_run(tmp_path)


def test_a_folder_without_metrics_is_named():
    with pytest.raises(FileNotFoundError, match="not a finished run folder"):
        load_run(REPO)


def test_the_default_run_is_the_newest_with_spectra(tmp_path):

    from multigrade.analysis import latest_run

    for name, files, mtime in (("old_grades", ("metrics.json", "spectra.npz"), 1),
                               ("new_grades", ("metrics.json", "spectra.npz"), 2),
                               ("newest_spiking", ("metrics.json",), 3)):
        (tmp_path / name).mkdir()
        for file in files:
            (tmp_path / name / file).write_text("{}")
        os.utime(tmp_path / name / "metrics.json", (mtime, mtime))
    assert latest_run(tmp_path) == tmp_path / "new_grades"
    with pytest.raises(FileNotFoundError, match="no finished run"):
        latest_run(tmp_path / "new_grades" / "nothing")
