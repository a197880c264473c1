"""Figures of a run: per-grade spectra, spectrum evolution heatmap, training losses,
image reconstructions, the fit of a 1D or 2D function. Each ``*_figure`` function returns a matplotlib ``Figure`` (for a
notebook); ``save_figure`` writes one to a file and closes it."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from multigrade.spectra.fourier import nearest_bins  # noqa: E402


MIN_SHOWN_BINS = 4  # a spectrum figure shows at least this many bins where there are


def frequency_limit(arrays: dict[str, np.ndarray]) -> float:
    """The highest frequency a spectrum figure shows: a quarter beyond the highest target
    frequency, or beyond the bin that target is read at where that lies higher (a target
    between two bins of a coarse grid), and at least ``MIN_SHOWN_BINS`` bins; every bin
    without target frequencies."""
    freq, targets = arrays["freq"], arrays["target_frequencies"]
    if not len(targets):
        return float(freq.max())
    highest = float(targets.max())
    read_at = float(freq[nearest_bins(freq, [highest])[0]])
    return max(1.25 * max(highest, read_at), float(freq[min(MIN_SHOWN_BINS, len(freq)) - 1]))


def save_figure(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _label_epoch_axes(ax: plt.Axes, ylabel: str, title: str) -> None:
    ax.set_xlabel("epoch (all grades)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)


def grade_spectra_figure(arrays: dict[str, np.ndarray], title: str, log_scale: bool = False) -> plt.Figure:
    """One row per grade: the spectrum of g_k (left) and of the residual y - f_k (right),
    on a logarithmic amplitude axis when ``log_scale`` (images: power-law spectra)."""
    freq, target = arrays["freq"], arrays["target"]
    grades = arrays["grade"].shape[0]
    keep = freq <= frequency_limit(arrays)
    fig, axes = plt.subplots(grades, 2, figsize=(10, 2.2 * grades + 0.6), sharex=True, squeeze=False)
    for k in range(grades):
        for col, (name, label) in enumerate((("grade", "g_{k}"), ("residual", "y - f_{k}"))):
            ax = axes[k, col]
            ax.plot(freq[keep], target[keep], color="0.8", lw=1.0, label="target y")
            ax.plot(freq[keep], arrays[name][k][keep], color=f"C{k}", lw=1.0,
                    label=label.format(k=k + 1))
            ax.set_ylabel("amplitude")
            if log_scale:
                ax.set_yscale("log")
            ax.legend(loc="upper right", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("frequency")
    fig.suptitle(title)
    return fig


def comparison_figure(mgdl: dict[str, np.ndarray], sgdl: dict[str, np.ndarray], title: str,
                      log_scale: bool = False) -> plt.Figure:
    """The residual spectra |F(y - f_k)| of MGDL after each grade k (left) beside SGDL's
    after its one grade (right), over the target's spectrum, on one amplitude axis: which
    frequencies each model has left unlearned."""
    keep = mgdl["freq"] <= frequency_limit(mgdl)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True, squeeze=False)
    for ax, arrays, name in zip(axes[0], (mgdl, sgdl), ("MGDL", "SGDL")):
        ax.plot(arrays["freq"][keep], arrays["target"][keep], color="0.8", lw=1.5, label="target y")
        for k, residual in enumerate(arrays["residual"]):
            label = f"y - f_{k + 1}" if len(arrays["residual"]) > 1 else "y - f"
            ax.plot(arrays["freq"][keep], residual[keep], color=f"C{k}", lw=1.0, label=label)
        ax.set_title(f"{name}: residual spectrum after each grade" if name == "MGDL" else
                     f"{name}: residual spectrum after its one grade", fontsize=10)
        ax.set_xlabel("frequency")
        if log_scale:
            ax.set_yscale("log")
        ax.legend(loc="upper right", fontsize=8)
    axes[0, 0].set_ylabel("amplitude")
    fig.suptitle(title)
    return fig


def evolution_figure(arrays: dict[str, np.ndarray], title: str) -> plt.Figure:
    """Heatmap of |F f|(k_j) / |F y|(k_j) over training epochs (grade boundaries dashed)."""
    values, epochs = arrays["evolution"], arrays["evolution_epoch"]
    targets = arrays["target_frequencies"]
    fig, ax = plt.subplots(figsize=(8, 4))
    if len(values):
        mesh = ax.pcolormesh(epochs, targets, values.T, shading="nearest", vmin=0.0, vmax=1.0, cmap="viridis")
        fig.colorbar(mesh, ax=ax, label="learned amplitude / target amplitude")
        for boundary in np.cumsum(arrays["grade_epochs"])[:-1]:
            ax.axvline(boundary, color="white", ls="--", lw=1.0)
    _label_epoch_axes(ax, "target frequency (read at its nearest bin)", title)
    return fig


def losses_figure(histories: list[np.ndarray], title: str) -> plt.Figure:
    """Training loss of each grade against the epoch counted across grades (log scale)."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    start = 0
    for k, history in enumerate(histories, start=1):
        epochs = np.arange(start + 1, start + len(history) + 1)
        ax.semilogy(epochs, history, color=f"C{k - 1}", label=f"grade {k}")
        start += len(history)
    _label_epoch_axes(ax, "training loss", title)
    ax.legend(fontsize=8)
    return fig


def reconstructions_figure(target: np.ndarray, cumulative: np.ndarray, psnrs: list[float | None],
                           title: str) -> plt.Figure:
    """The target image (h, w, 3) and the prediction after each grade (K, h, w, 3), with
    each one's PSNR (of the prediction as it is), in one row; shown clipped to [0, 1]."""
    grades = cumulative.shape[0]
    fig, axes = plt.subplots(1, grades + 1, figsize=(3.0 * (grades + 1), 3.3), squeeze=False)
    panels = [(target, "target")] + [
        (cumulative[k], f"f_{k + 1}" + (f", {psnrs[k]:.2f} dB" if psnrs[k] is not None else ""))
        for k in range(grades)
    ]
    for ax, (image, label) in zip(axes[0], panels):
        ax.imshow(np.clip(image, 0.0, 1.0), interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    return fig


def fit_figure(x: np.ndarray, target: np.ndarray, cumulative: np.ndarray, labels: list[str],
               title: str) -> plt.Figure:
    """``f_k`` against the target after each grade, one panel a grade, at the points ``x``
    (N, d), d = 1 or 2, of the targets (N, m) and predictions ``cumulative`` (K, N, m): for
    d = 1, curves along x (first output column); for d = 2, the target and each ``f_k`` as
    maps over the plane, on one colour scale."""
    grades = cumulative.shape[0]
    if x.shape[1] == 1:
        order = np.argsort(x[:, 0])
        fig, axes = plt.subplots(1, grades, figsize=(3.6 * grades, 3.0), squeeze=False, sharey=True)
        for k, ax in enumerate(axes[0]):
            ax.plot(x[order, 0], target[order, 0], color="0.6", lw=2.0, label="target")
            ax.plot(x[order, 0], cumulative[k, order, 0], color="C0", lw=0.9, label=f"f_{k + 1}")
            ax.set_title(labels[k], fontsize=9)
            ax.set_xlabel("x")
        axes[0, 0].legend(fontsize=8, loc="best")
    else:
        low, high = float(target[:, 0].min()), float(target[:, 0].max())
        fig, axes = plt.subplots(1, grades + 1, figsize=(3.0 * (grades + 1), 3.2), squeeze=False)
        for ax, values, label in zip(axes[0], [target, *cumulative], ["target", *labels]):
            shown = ax.tripcolor(x[:, 0], x[:, 1], values[:, 0], vmin=low, vmax=high, shading="gouraud")
            ax.set_title(label, fontsize=9)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(shown, ax=axes[0, -1], fraction=0.046, pad=0.04)
    fig.suptitle(title)
    return fig


def write_run_figures(output_dir: Path, arrays: dict[str, np.ndarray],
                      histories: list[np.ndarray], title: str, log_spectra: bool = False) -> list[Path]:
    """All figures of one run into ``output_dir/figures``."""
    figures = Path(output_dir) / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    return [
        save_figure(grade_spectra_figure(arrays, f"{title}: spectra per grade", log_spectra), figures / "spectra.png"),
        save_figure(evolution_figure(arrays, f"{title}: spectrum evolution"), figures / "evolution.png"),
        save_figure(losses_figure(histories, f"{title}: training loss"), figures / "loss.png"),
    ]
