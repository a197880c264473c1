"""P1 §3.3: a colour image as a function from pixel coordinates to RGB.

Pixel (i, j) of an h x w image sits at ``(i / h, j / w)`` in [0, 1)^2 (``linspace(0, 1,
n, endpoint=False)`` per axis) and carries its RGB values in [0, 1]. Training uses every
other pixel in each direction, ``img[::2, ::2]``; the test set is the whole image, in
row-major order; the validation set is the pixels the training grid leaves out.

The papers' images need a download; these ship inside scikit-image (``skimage.data``):
``chelsea`` (a cat, 300 x 451, cropped to its centred 300 x 300 square),
``astronaut`` (512 x 512) and ``hubble_deep_field`` (872 x 1000, the large one).
One's own photo is ``path`` instead (any format scikit-image reads; grey becomes RGB, and
transparency is dropped over white). ``max_side`` shrinks an image by the smallest integer
factor that brings its longer side to at most that many pixels (block means), so that the
quick profile fits a CPU.
"""

from __future__ import annotations

import math

from pathlib import Path

import numpy as np
import skimage.data
import skimage.io
from skimage.color import gray2rgb, rgba2rgb
from skimage.transform import downscale_local_mean
from skimage.util import img_as_float

from multigrade.data.regression import RegressionData
from multigrade.errors import DataFileError, DatasetNotFoundError
from multigrade.spectra.fourier import RadialGrid

IMAGES = ("chelsea", "astronaut", "hubble_deep_field", "coffee", "rocket")


def load_image(name: str | None = None, crop: int | None = None, path: str | None = None) -> np.ndarray:
    """``skimage.data.<name>()``, or the image file at ``path``, as float64 (h, w, 3) in
    [0, 1], optionally cropped to its centred ``crop x crop`` square."""
    if (name is None) == (path is None):
        raise ValueError(f"give either an image name (one of {IMAGES}) or the path of an image file; got"
                         f" image={name!r} and path={path!r}")
    if path is not None:
        image = read_photo(Path(path).expanduser())
        name = Path(path).name
    elif name not in IMAGES:
        raise ValueError(f"unknown image {name!r}: choose one of {IMAGES}, or give the path of an image file")
    else:
        image = getattr(skimage.data, name)().astype(np.float64) / 255.0
    if crop is not None:
        h, w = image.shape[:2]
        if crop > min(h, w):
            raise ValueError(f"{name} is {h}x{w}: cannot crop a {crop}x{crop} square from it")
        top, left = (h - crop) // 2, (w - crop) // 2
        image = image[top:top + crop, left:left + crop]
    return image


def read_photo(path: Path) -> np.ndarray:
    """The image file at ``path`` as float64 RGB (h, w, 3) in [0, 1]."""
    if not path.is_file():
        raise DatasetNotFoundError(f"{path} is not a file: give data.path the image file to fit")
    try:
        image = skimage.io.imread(path)
    except (OSError, ValueError, SyntaxError) as error:
        raise DataFileError(f"{path} is not an image that scikit-image can read ({error})") from None
    if image.ndim == 3 and image.shape[2] == 4:
        image = rgba2rgb(image)
    elif image.ndim == 2 or image.ndim == 3 and image.shape[2] == 1:
        image = gray2rgb(image.reshape(image.shape[:2]))
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 4:
        raise DataFileError(f"{path} is not a grey, RGB or RGBA picture of at least 4 x 4 pixels: its pixels"
                            f" form an array of shape {image.shape}")
    return img_as_float(image).astype(np.float64)


def shrink(image: np.ndarray, max_side: int | None) -> np.ndarray:
    """Block-mean downscaling by ``ceil(max(h, w) / max_side)`` (unchanged when None)."""
    if max_side is None:
        return image
    if max_side < 4:
        raise ValueError(f"max_side must be at least 4 pixels (the training grid takes every other one); got {max_side}")
    factor = math.ceil(max(image.shape[:2]) / max_side)
    if factor <= 1:
        return image
    h, w = (side - side % factor for side in image.shape[:2])
    return downscale_local_mean(image[:h, :w], (factor, factor, 1))


def pixel_coordinates(h: int, w: int) -> np.ndarray:
    """(h*w, 2) coordinates ``(i / h, j / w)`` in row-major order."""
    rows, cols = np.meshgrid(np.arange(h) / h, np.arange(w) / w, indexing="ij")
    return np.stack([rows.reshape(-1), cols.reshape(-1)], axis=1)


def p1_image(image: str | None = None, crop: int | None = None, max_side: int | None = None,
             path: str | None = None) -> RegressionData:
    """The data of ``p1_image_<name>``, or of the image file at ``path``: coordinates (N, 2)
    -> RGB (N, 3)."""
    pixels = shrink(load_image(image, crop, path), max_side)
    h, w = pixels.shape[:2]
    coords = pixel_coordinates(h, w).reshape(h, w, 2)
    on_grid = np.zeros((h, w), dtype=bool)
    on_grid[::2, ::2] = True
    train_h, train_w = on_grid[:, 0].sum(), on_grid[0].sum()
    return RegressionData.from_arrays(
        f"p1_image_{image}" if path is None else f"image_{Path(path).stem}",
        {"train": (coords[on_grid], pixels[on_grid]), "val": (coords[~on_grid], pixels[~on_grid]),
         "test": (coords.reshape(-1, 2), pixels.reshape(-1, 3))},
        spectral_grid=RadialGrid(int(train_h), int(train_w)),
        target_frequencies=np.unique(np.geomspace(1, min(train_h, train_w) // 2, 20).round()),
        metrics=("psnr", "rse"),
        image_shape=(h, w),
    )
