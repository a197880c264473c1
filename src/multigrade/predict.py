"""Predict with a finished grade run: ``python -m multigrade.predict RUN POINTS``.

``RUN`` is a run folder of ``python -m multigrade.run`` (its ``checkpoints/grade_<k>.pt``);
the network is rebuilt from it (``multigrade.load``) and evaluated in chunks, on the CPU or
``--device cuda``. What it is evaluated on:

* ``POINTS``: a ``.npy`` (N, d), a ``.npz`` (its array ``x``) or a ``.csv`` (a header row,
  then d input columns a row, or ``--inputs`` naming them);
* ``--grid N``: N equispaced points per input over the box of the run's training inputs
  (an equation's solution on a finer grid), in row-major order;
* ``--scale S``: an image run's image at S times its training size (the network is a
  function of pixel coordinates), written as a PNG for an ``--out`` ending ``.png``.

``--out`` (default ``predictions.npy``) gets ``f_1(x), ..., f_K(x)``: a ``.npy`` of shape
(K, N, m) (for ``--scale``, (K, h, w, 3)), or a ``.csv`` of the inputs and every grade's
outputs (columns ``x1..xd``, then ``f<k>_<j>``).

``RUN`` may also be a spiking run of ``python -m multigrade.snn`` (its ``student.pt``): then
``--out`` gets the class its student gives each test image (N,), drawn as the run's test
drew them, and the log line its test accuracy beside the run's.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import lightning.pytorch as L
import numpy as np
import skimage.io
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from multigrade.api import load
from multigrade.data.images import pixel_coordinates
from multigrade.data.points import read_csv
from multigrade.errors import DataFileError, InputError
from multigrade.grades.checkpoints import load_state, read_checkpoint
from multigrade.jobs import exits_cleanly, quiet_lightning
from multigrade.settings import schedule_settings

log = logging.getLogger("multigrade.predict")


def read_points(path: Path, inputs: list[str] | None) -> np.ndarray:
    """The inputs (N, d) in ``path``: a ``.npy``, a ``.npz``'s ``x``, or a ``.csv``'s columns."""
    if not path.is_file():
        raise DataFileError(f"{path} is not a file: give the .npy, .npz or .csv of the points to predict at")
    if path.suffix not in (".npy", ".npz", ".csv"):
        raise DataFileError(f"{path}: points are read from .npy, .npz or .csv files, not {path.suffix or 'unsuffixed'}")
    if path.suffix == ".csv":
        return read_csv(path, inputs, [])["x"]
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataFileError(f"{path} is not a readable {path.suffix} file ({error})") from None
    if path.suffix == ".npy":
        return loaded
    with loaded as file:
        if "x" not in file:
            raise DataFileError(f"{path} holds no array x (it holds {sorted(file)}): name the inputs x")
        return file["x"]


def run_inputs(folder: Path) -> dict:
    """The ``inputs`` entry of the run's ``metrics.json``: the training inputs' box (and an
    image's shape)."""
    try:
        return json.loads((folder / "metrics.json").read_text())["inputs"]
    except (OSError, KeyError, ValueError):
        raise InputError(f"{folder}/metrics.json does not say where the network was trained (a finished run"
                         f" writes it): give the points to predict at instead") from None


def grid(low: list[float], high: list[float], n: int) -> np.ndarray:
    """n equispaced points per axis from ``low`` to ``high``, row-major: (n^d, d)."""
    axes = np.meshgrid(*(np.linspace(a, b, n) for a, b in zip(low, high)), indexing="ij")
    return np.stack([axis.reshape(-1) for axis in axes], axis=1)


def write(path: Path, x: np.ndarray, f: np.ndarray) -> None:
    """``f`` (K, N, m) (or (K, h, w, c)) at the inputs ``x`` (N, d) to ``path``: .npy, .csv, or
    .png (``f_K`` of an image, clipped to [0, 1])."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".png":
        skimage.io.imsave(path, (np.clip(f[-1], 0, 1) * 255).round().astype(np.uint8), check_contrast=False)
    elif path.suffix == ".csv":
        k, n, m = f.shape[0], len(x), f.shape[-1]
        header = [f"x{i + 1}" for i in range(x.shape[1])] + [f"f{g + 1}_{j + 1}" for g in range(k) for j in range(m)]
        table = np.concatenate([x, f.reshape(k, n, m).transpose(1, 0, 2).reshape(n, k * m)], axis=1)
        np.savetxt(path, table, delimiter=",", header=",".join(header), comments="")
    else:
        np.save(path, f)


def write_classes(path: Path, classes: np.ndarray) -> None:
    """Classes (N,) to ``path``: .npy, or .csv of ``image,class`` rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        np.savetxt(path, np.stack([np.arange(len(classes)), classes], axis=1), fmt="%d", delimiter=",",
                   header="image,class", comments="")
    else:
        np.save(path, classes)


def predict_student(folder: Path, device: str) -> tuple[np.ndarray, float, float]:
    """The class (N,) that the trained student of the spiking run ``folder`` gives each
    test image, its accuracy, and the test accuracy the run recorded."""
    path = folder / "student.pt"
    saved = read_checkpoint(path, "trained student", "it cannot be loaded")
    cfg = OmegaConf.create(saved["metrics"]["config"])
    module = instantiate(cfg.method, **schedule_settings(cfg))
    load_state(module, saved["state_dict"], path, "it was written by other code")
    digits = instantiate(cfg.digits)
    quiet_lightning()
    trainer = L.Trainer(accelerator="cpu" if device == "cpu" else "gpu", devices=1, logger=False,
                        enable_progress_bar=False, enable_model_summary=False)
    classes = torch.cat(trainer.predict(module, datamodule=digits)).numpy()
    labels = digits.splits["test"].tensors[1].numpy()
    return classes, float((classes == labels).mean()), saved["metrics"]["test_accuracy"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="multigrade-predict", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a grade run's folder")
    parser.add_argument("points", type=Path, nargs="?", help=".npy (N, d), .npz (array x) or .csv of inputs")
    parser.add_argument("--inputs", nargs="+", help="the input columns of a .csv (default: all)")
    parser.add_argument("--grid", type=int, help="N equispaced points per input over the training box")
    parser.add_argument("--scale", type=float, help="an image run's image at this many times its size")
    parser.add_argument("--out", type=Path, default=Path("predictions.npy"), help=".npy, .csv or .png")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    parser.add_argument("--chunk", type=int, default=65536, help="points evaluated at once")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    given = sum(option is not None for option in (args.points, args.grid, args.scale))
    spiking = (args.run / "student.pt").is_file()
    if spiking and given:
        parser.error(f"{args.run} is a spiking run: it predicts its test images; give no POINTS, --grid or --scale")
    if not spiking and given != 1:
        parser.error("give one of POINTS, --grid N or --scale S")
    with exits_cleanly():
        if spiking:
            classes, accuracy, recorded = predict_student(args.run, args.device)
            write_classes(args.out, classes)
            log.info("the student's class of each of %d test images -> %s; test accuracy %.4f (the run's: %.4f)",
                     len(classes), args.out, accuracy, recorded)
            return 0
        model = load(args.run)
        shape = None
        if args.points is not None:
            x = read_points(args.points, args.inputs)
        elif args.grid is not None:
            box = run_inputs(args.run)
            x = grid(box["low"], box["high"], args.grid)
        else:
            box = run_inputs(args.run)
            if "image_shape" not in box:
                raise InputError(f"{args.run} is not an image run: --scale renders images; give points or --grid")
            shape = [max(1, round(side * args.scale)) for side in box["image_shape"]]
            x = pixel_coordinates(*shape)
        x = x.reshape(len(x), -1)
        if x.shape[1] != model.stair.in_features:
            raise DataFileError(f"the points have {x.shape[1]} input columns; the network of {args.run} takes"
                                f" {model.stair.in_features}")
        model.stair.to(args.device)
        f = model.predict(x, every_grade=True, chunk=args.chunk)
        write(args.out, x, f if shape is None else f.reshape(len(f), *shape, -1))
    log.info("f_1..f_%d at %d points (%d input and %d output columns) -> %s", f.shape[0], len(x), x.shape[1],
             f.shape[-1], args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
