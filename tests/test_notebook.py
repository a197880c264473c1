"""``notebooks/analysis.ipynb`` runs top to bottom on a smoke run and a smoke sweep."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from multigrade.analysis import grade_table, load_run

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_analysis_notebook_draws_a_run_and_summarises_a_sweep(tmp_path, monkeypatch):
    subprocess.run([sys.executable, "-m", "multigrade.run", "-m", "experiment=p2_sin", "profile=smoke",
                    "train.epochs=2", "seed=0,1", "logger=none", f"paths.output_root={tmp_path}",
                    "callbacks.progress.refresh_rate=0"], cwd=REPO, check=True, capture_output=True)
    (sweep,) = (tmp_path / "multirun").iterdir()
    monkeypatch.setenv("MULTIGRADE_RUN", str(sweep / "0"))
    monkeypatch.setenv("MULTIGRADE_SWEEP", str(sweep))
    notebook = nbformat.read(REPO / "notebooks" / "analysis.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # spectra, evolution heatmap, losses
    markdown = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    run = load_run(sweep / "0")
    assert grade_table(run.metrics) in markdown
    val_rse = json.loads((sweep / "1" / "metrics.json").read_text())["grades"][-1]["val_rse"]
    assert f"{val_rse:.4g}" in markdown and "2 of 2 jobs finished" in markdown


def test_a_folder_without_metrics_is_named():
    with pytest.raises(FileNotFoundError, match="not a finished run folder"):
        load_run(REPO)


def test_the_default_run_is_the_newest_with_spectra(tmp_path):
    import os

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
