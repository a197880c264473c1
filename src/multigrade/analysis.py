"""Loading a finished run folder for analysis (``notebooks/analysis.ipynb``).

``load_run(folder)`` reads what ``multigrade.run`` wrote: ``metrics.json``, ``spectra.npz``
(the arrays the spectra figures take), ``curves.npz`` (one training-loss history per
grade) and the network (``checkpoints/``); ``grade_table`` renders the per-grade metrics
as Markdown; ``show`` displays a figure in a notebook as a PNG, whatever matplotlib's
backend.

A relative folder is looked up from the working folder and then from each folder above it
(``find_folder``): a notebook's kernel starts in ``notebooks/``, and ``outputs/...`` is
named from the project's root.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multigrade.api import MultiGradeModel, load


@dataclass
class RunFolder:
    """One finished run: ``metrics`` (metrics.json), ``spectra`` (name -> array),
    ``histories`` (grade k's loss per epoch, k = 1..K) and the trained ``model``
    (``model.predict(x, every_grade=True)``: f_1(x), ..., f_K(x))."""

    folder: Path
    metrics: dict
    spectra: dict[str, np.ndarray]
    histories: list[np.ndarray]
    model: MultiGradeModel

    @property
    def title(self) -> str:
        m = self.metrics
        return f"{m['experiment']} {m['model'].upper()} ({m['profile']}, seed {m['seed']})"

    @property
    def is_image(self) -> bool:
        return "psnr" in self.metrics["metrics"]


def find_folder(folder: str | Path) -> Path:
    """``folder`` if absolute; else the first existing ``base / folder`` for ``base`` the
    working folder and then each folder above it (``folder`` itself when none exists)."""
    folder = Path(folder)
    if folder.is_absolute():
        return folder
    here = Path.cwd()
    return next((base / folder for base in (here, *here.parents) if (base / folder).is_dir()), folder)


def load_run(folder: str | Path) -> RunFolder:
    folder = find_folder(folder)
    if not (folder / "metrics.json").is_file():
        raise FileNotFoundError(f"{folder} holds no metrics.json: it is not a finished run folder"
                                f" (multigrade.run writes metrics.json last)")
    metrics = json.loads((folder / "metrics.json").read_text())
    if "seeds" in metrics:
        raise FileNotFoundError(f"{folder} holds the summary of seeds {metrics['seeds']} trained side by"
                                f" side: load one of its runs, {folder / metrics['runs'][0]}")
    if "grades" not in metrics:
        raise FileNotFoundError(f"{folder} is a run of {metrics.get('experiment', 'another kind')} without"
                                f" grades (a spiking run or an attack): this reads MGDL and SGDL runs, whose"
                                f" spectra and curves it draws; its REPORT.md section and metrics.json say"
                                f" what it measured")
    with np.load(folder / "spectra.npz") as spectra, np.load(folder / "curves.npz") as curves:
        arrays = {name: spectra[name] for name in spectra.files}
        grades = len(curves.files)
        histories = [curves[f"loss_grade_{k}"] for k in range(1, grades + 1)]
    return RunFolder(folder, metrics, arrays, histories, load(folder))


def latest_run(root: str | Path = "outputs") -> Path:
    """The most recently finished MGDL/SGDL run folder under ``root`` (``find_folder``):
    single runs, sweeps' jobs and ``make reproduce``'s runs alike (spiking runs have no
    spectra)."""
    root = find_folder(root)
    finished = sorted((p for p in root.glob("**/metrics.json") if (p.parent / "spectra.npz").is_file()),
                      key=lambda p: p.stat().st_mtime)
    if not finished:
        raise FileNotFoundError(f"no finished run under {root}: run one first, e.g."
                                f" python -m multigrade.run experiment=p2_sin profile=smoke")
    return finished[-1].parent


def grade_table(metrics: dict) -> str:
    """The cumulative metrics after every grade, with its seconds, as a Markdown table."""
    names = [f"{split}_{m}" for m in metrics["metrics"] for split in ("train", "val", "test")]
    lines = ["| grade | " + " | ".join(names) + " | seconds |", "|---" * (len(names) + 2) + "|"]
    for grade in metrics["grades"]:
        lines.append(f"| {grade['grade']} | " + " | ".join(f"{grade[n]:.4g}" for n in names)
                     + f" | {grade['seconds']:.1f} |")
    return "\n".join(lines)


def show(figure) -> None:
    """Display a matplotlib figure in a notebook as a PNG and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    display(Image(data=buffer.getvalue()))
