"""One's own data from files: points in an .npz or .csv, a photo; bad files named."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.io

from multigrade.data.images import p1_image
from multigrade.data.points import points
from multigrade.errors import DataFileError, DatasetNotFoundError


def sine_points(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n) / n
    return x, np.sin(2 * np.pi * 5 * x)


def test_npz_points_draw_the_missing_splits_and_keep_the_given_ones(tmp_path):
    x, y = sine_points()
    np.savez(tmp_path / "all.npz", x=x, y=y)
    data = points(str(tmp_path / "all.npz"), val_fraction=0.1, test_fraction=0.2, seed=3)
    assert [len(data.split(s)[0]) for s in ("train", "val", "test")] == [140, 20, 40]
    drawn = np.concatenate([data.split(s)[0].numpy().ravel() for s in ("train", "val", "test")])
    np.testing.assert_allclose(np.sort(drawn), x, atol=1e-7)  # every point in exactly one split
    assert np.all(np.diff(data.x_train.numpy().ravel()) > 0)  # in the order of x
    assert data.spectral_grid.positions is not None  # the drawn training points are no grid: a non-uniform DFT
    again = points(str(tmp_path / "all.npz"), val_fraction=0.1, test_fraction=0.2, seed=3)
    assert data.fingerprint() == again.fingerprint()

    x_test = np.linspace(0, 1, 7)
    np.savez(tmp_path / "split.npz", x=x, y=y, x_val=x[:5], y_val=y[:5], x_test=x_test, y_test=np.cos(x_test))
    given = points(str(tmp_path / "split.npz"))
    assert len(given.x_train) == 200 and given.spectral_grid.positions is None  # an equispaced grid: an FFT
    assert given.spectral_grid.length == pytest.approx(1.0)
    np.testing.assert_allclose(given.y_test.numpy().ravel(), np.cos(x_test), atol=1e-6)
    assert given.name == "split"


def test_csv_points_take_the_named_columns(tmp_path):
    x, y = sine_points(50)
    rows = "\n".join(f"{a},{b},{a * 2},{b + 1}" for a, b in zip(x, y))
    (tmp_path / "p.csv").write_text("t,signal,u,other\n" + rows + "\n")
    data = points(str(tmp_path / "p.csv"), inputs=["t", "u"], targets=["signal"], val_fraction=0.2,
                  test_fraction=0.2)
    assert (data.in_features, data.out_features) == (2, 1)
    np.testing.assert_allclose(data.x_train.numpy()[:, 1], 2 * data.x_train.numpy()[:, 0], atol=1e-6)
    default = points(str(tmp_path / "p.csv"))  # all columns but the last, and the last
    assert (default.in_features, default.out_features) == (3, 1)


@pytest.mark.parametrize("content, problem", [
    ("a,b\n1,2\n3\n", "lines \\[3\\] have other than the header's 2 columns"),
    ("a,b\n1,2\n3,x\n", "not a number"),
    ("a,b\n1,2\n3,nan\n", "y holds NaN or inf values, in rows \\[1\\]"),
    ("a,b\n", "holds no points"),
])
def test_a_bad_csv_is_named_with_its_problem(tmp_path, content, problem):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(DataFileError, match=f"bad.csv.*{problem}"):
        points(str(tmp_path / "bad.csv"))
    with pytest.raises(DataFileError, match="no column \\['z'\\].*its columns are \\['a', 'b'\\]"):
        (tmp_path / "ok.csv").write_text("a,b\n1,2\n")
        points(str(tmp_path / "ok.csv"), targets=["z"])


def test_a_bad_npz_is_named_with_its_problem(tmp_path):
    x, y = sine_points(20)
    cases = {"no_y": dict(x=x), "lengths": dict(x=x, y=y[:-1]), "half_split": dict(x=x, y=y, x_val=x),
             "widths": dict(x=x, y=y, x_val=x[:3], y_val=np.ones((3, 2)), x_test=x[:3], y_test=y[:3])}
    problems = {"no_y": "needs x and y together", "lengths": "x has 20 points but y 19",
                "half_split": "needs x_val and y_val together", "widths": "every split needs the training split's"}
    for name, arrays in cases.items():
        np.savez(tmp_path / f"{name}.npz", **arrays)
        with pytest.raises(DataFileError, match=f"{name}.npz.*{problems[name]}"):
            points(str(tmp_path / f"{name}.npz"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFileError, match="junk.npz is not a readable .npz file"):
        points(str(tmp_path / "junk.npz"))
    with pytest.raises(DatasetNotFoundError, match="missing.npz is not a file"):
        points(str(tmp_path / "missing.npz"))
    with pytest.raises(DataFileError, match="from .npz or .csv files, not .txt"):
        (tmp_path / "p.txt").write_text("1 2")
        points(str(tmp_path / "p.txt"))


def test_a_photo_of_ones_own_is_fit_like_p1s_images(tmp_path):
    rows, cols = np.meshgrid(np.arange(12), np.arange(10), indexing="ij")
    photo = np.stack([rows * 20, cols * 25, (rows + cols) * 10], axis=-1).astype(np.uint8)
    skimage.io.imsave(tmp_path / "photo.png", photo, check_contrast=False)
    data = p1_image(path=str(tmp_path / "photo.png"))
    assert data.image_shape == (12, 10) and data.name == "image_photo"
    np.testing.assert_allclose(data.y_test.numpy().reshape(12, 10, 3), photo / 255.0, atol=1e-6)
    skimage.io.imsave(tmp_path / "grey.png", photo[..., 0], check_contrast=False)
    grey = p1_image(path=str(tmp_path / "grey.png")).y_test.numpy()
    np.testing.assert_allclose(grey[:, 0], grey[:, 2])  # grey becomes RGB
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(DataFileError, match="notes.png is not an image that scikit-image can read"):
        p1_image(path=str(tmp_path / "notes.png"))
    with pytest.raises(ValueError, match="either an image name .* or the path"):
        p1_image("chelsea", path=str(tmp_path / "photo.png"))
