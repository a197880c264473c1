"""A finished run used: predict on new points, an image at twice its size, the network
exported and run without multigrade; one's own points and photo trained from the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import skimage.io
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

import multigrade as mg
from conftest import REPO, needs_digits
from multigrade.analysis import load_run
from multigrade.data.images import pixel_coordinates
from multigrade.metrics import rse

pytestmark = pytest.mark.slow


def run_module(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def train(tmp_path_factory, *overrides: str):
    out = tmp_path_factory.mktemp("runs") / "run"
    run_module("multigrade.run", "profile=smoke", "logger=none", "callbacks.progress.refresh_rate=0",
               f"paths.output_dir={out}", *overrides)
    return out


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    return train(tmp_path_factory, "experiment=p1_synthetic_s2")


def test_predict_at_the_test_points_gives_the_runs_test_rse_per_grade(synthetic_run, tmp_path):
    metrics = json.loads((synthetic_run / "metrics.json").read_text())
    data = instantiate(OmegaConf.create(metrics["config"]).data)
    np.save(tmp_path / "x.npy", data.x_test.numpy())
    printed = run_module("multigrade.predict", str(synthetic_run), "x.npy", "--out", "f.npy", "--chunk", "300",
                         cwd=tmp_path)
    assert "f_1..f_4 at 2000 points (1 input and 1 output columns)" in printed.stderr
    f = np.load(tmp_path / "f.npy")
    assert f.shape == (4, 2000, 1)
    for k, grade in enumerate(metrics["grades"]):
        assert rse(data.y_test, torch.from_numpy(f[k])) == pytest.approx(grade["test_rse"], rel=1e-5)
    expected = load_run(synthetic_run).model.predict(data.x_test.numpy(), every_grade=True)
    np.testing.assert_allclose(f, expected, rtol=1e-5, atol=1e-6)  # in chunks of 300 rows, rounded otherwise

    run_module("multigrade.predict", str(synthetic_run), "--grid", "5", "--out", "grid.csv", cwd=tmp_path)
    table = np.loadtxt(tmp_path / "grid.csv", delimiter=",", skiprows=1)
    header = (tmp_path / "grid.csv").read_text().splitlines()[0]
    assert header == "x1,f1_1,f2_1,f3_1,f4_1" and table.shape == (5, 5)
    low, high = data.x_train.min().item(), data.x_train.max().item()
    np.testing.assert_allclose(table[:, 0], np.linspace(low, high, 5), atol=1e-7)

    wrong = subprocess.run([sys.executable, "-m", "multigrade.predict", str(synthetic_run), "--grid", "3",
                            "--out", "x.png"], cwd=tmp_path, capture_output=True, text=True)
    np.save(tmp_path / "two.npy", np.zeros((3, 2)))
    wide = subprocess.run([sys.executable, "-m", "multigrade.predict", str(synthetic_run), "two.npy"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert wide.returncode == 1 and "the points have 2 input columns; the network of" in wide.stderr
    assert "Traceback" not in wide.stderr + wrong.stderr


def test_the_exported_network_runs_without_multigrade(synthetic_run, tmp_path):
    model = mg.load(synthetic_run)
    x = np.random.default_rng(0).random((50, 1), dtype=np.float32)
    expected = model.predict(x, every_grade=True)
    run_module("multigrade.export", str(synthetic_run), "net.pt", cwd=tmp_path)
    run_module("multigrade.export", str(synthetic_run), "net.pt2", cwd=tmp_path)
    np.save(tmp_path / "x.npy", x)
    script = (  # multigrade cannot be imported here
        "import sys; sys.modules['multigrade'] = None\n"
        "import numpy as np, torch\n"
        "x = torch.from_numpy(np.load('x.npy'))\n"
        "ts = torch.jit.load('net.pt')\n"
        "with torch.no_grad():\n"
        "    np.save('ts.npy', ts(x).numpy()); np.save('grades.npy', ts.grade_outputs(x).numpy())\n"
        "    np.save('pt2.npy', torch.export.load('net.pt2').module()(x).numpy())\n")
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "ts.npy"), expected[-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "grades.npy").cumsum(0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "pt2.npy"), expected[-1], rtol=1e-5, atol=1e-6)
    ort = pytest.importorskip("onnxruntime")
    run_module("multigrade.export", str(synthetic_run), "net.onnx", cwd=tmp_path)
    session = ort.InferenceSession(str(tmp_path / "net.onnx"))
    np.testing.assert_allclose(session.run(None, {"x": x})[0], expected[-1], rtol=1e-5, atol=1e-6)


def test_ones_own_points_train_from_an_npz_and_a_csv(tmp_path_factory, tmp_path):
    x = np.linspace(0, 1, 400, endpoint=False)
    y = np.sin(2 * np.pi * 3 * x) + 0.3 * np.sin(2 * np.pi * 20 * x)
    np.savez(tmp_path / "wave.npz", x=x, y=y)
    (tmp_path / "wave.csv").write_text("t,u\n" + "\n".join(f"{a},{b}" for a, b in zip(x, y)) + "\n")
    runs = [train(tmp_path_factory, "experiment=points", f"data.path={tmp_path / name}", "profile=quick",
                  "train.epochs=100") for name in ("wave.npz", "wave.csv")]
    npz, csv = (json.loads((run / "metrics.json").read_text()) for run in runs)
    test_rse = [grade["test_rse"] for grade in npz["grades"]]
    assert npz["experiment"] == "points" and len(test_rse) == 4
    assert all(a > b for a, b in zip(test_rse, test_rse[1:])) and test_rse[-1] < 0.3, test_rse
    assert [grade["test_rse"] for grade in csv["grades"]] == test_rse  # the same points, the same numbers
    assert csv["config"]["data"]["path"].endswith("wave.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("t,u\n0.1,2\n0.2\n")
    out = tmp_path / "refused"
    refused = subprocess.run([sys.executable, "-m", "multigrade.run", "experiment=points", f"data.path={bad}",
                              "profile=smoke", f"paths.output_dir={out}"], cwd=REPO, capture_output=True, text=True)
    printed = refused.stdout + refused.stderr
    assert refused.returncode == 1 and "bad.csv: lines [3] have other than the header's 2 columns" in printed
    assert "Traceback" not in printed and not (out / "metrics.json").exists()
    assert not (out / "checkpoints").exists()


def test_a_photo_trains_and_renders_at_twice_its_size(tmp_path_factory, tmp_path):
    rows, cols = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
    photo = np.stack([rows * 15, cols * 15, 255 - (rows + cols) * 7], axis=-1).astype(np.uint8)
    skimage.io.imsave(tmp_path / "photo.png", photo, check_contrast=False)
    run = train(tmp_path_factory, "experiment=image", f"data.path={tmp_path / 'photo.png'}")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["inputs"]["image_shape"] == [16, 16] and "test_psnr" in metrics["grades"][-1]
    run_module("multigrade.predict", str(run), "--scale", "2", "--out", "big.npy", cwd=tmp_path)
    run_module("multigrade.predict", str(run), "--scale", "2", "--out", "big.png", cwd=tmp_path)
    big = np.load(tmp_path / "big.npy")
    assert big.shape == (4, 32, 32, 3)
    at_pixels = mg.load(run).predict(pixel_coordinates(16, 16).astype(np.float32))
    np.testing.assert_allclose(big[-1, ::2, ::2].reshape(-1, 3), at_pixels, rtol=1e-5, atol=1e-6)
    png = skimage.io.imread(tmp_path / "big.png")
    assert png.shape == (32, 32, 3)
    np.testing.assert_allclose(png / 255.0, np.clip(big[-1], 0, 1), atol=0.5 / 255 + 1e-6)


@needs_digits("MNIST")
def test_a_spiking_runs_student_predicts_its_test_images_as_the_run_tested_them(tmp_path):
    run = tmp_path / "snn"
    run_module("multigrade.snn", "spiking=distill_mnist", "profile=smoke", "logger=none",
               "trainer.enable_progress_bar=false", f"paths.output_dir={run}")
    printed = run_module("multigrade.predict", str(run), "--out", "classes.npy", cwd=tmp_path)
    classes = np.load(tmp_path / "classes.npy")
    recorded = json.loads((run / "metrics.json").read_text())["test_accuracy"]
    assert classes.shape == (1000,) and set(np.unique(classes)) <= set(range(10))
    assert f"test accuracy {recorded:.4f} (the run's: {recorded:.4f})" in printed.stderr
    refused = subprocess.run([sys.executable, "-m", "multigrade.predict", str(run), "--grid", "3"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "is a spiking run: it predicts its test images" in refused.stderr
