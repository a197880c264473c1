import numpy as np
import pytest
import skimage.data

from multigrade.data.images import load_image, p1_image, pixel_coordinates, shrink
from multigrade.spectra.fourier import RadialGrid


def test_chelsea_crops_to_its_centred_square():
    image = load_image("chelsea", crop=300)
    original = skimage.data.chelsea()
    assert image.shape == (300, 300, 3) and 0.0 <= image.min() and image.max() <= 1.0
    np.testing.assert_array_equal(image[0, 0], original[0, 75] / 255.0)
    with pytest.raises(ValueError, match="cannot crop a 512x512 square"):
        load_image("chelsea", crop=512)
    with pytest.raises(ValueError, match="unknown image 'lena'"):
        load_image("lena")


def test_shrink_uses_the_smallest_integer_factor_and_block_means():
    image = np.arange(10 * 7 * 3, dtype=float).reshape(10, 7, 3)
    small = shrink(image, 5)
    assert small.shape == (5, 3, 3)  # factor 2; the odd column is dropped
    np.testing.assert_allclose(small[0, 0], image[:2, :2].mean(axis=(0, 1)))
    assert shrink(image, None) is image and shrink(image, 10) is image


def test_training_is_every_other_pixel_and_the_test_set_the_whole_image():
    data = p1_image("astronaut", max_side=64)
    h, w = data.image_shape
    assert (h, w) == (64, 64)
    coords = pixel_coordinates(h, w)
    assert data.x_test.shape == (h * w, 2) and data.y_test.shape == (h * w, 3)
    np.testing.assert_allclose(data.x_test.numpy(), coords, atol=1e-7)
    grid = coords.reshape(h, w, 2)[::2, ::2].reshape(-1, 2)
    np.testing.assert_allclose(data.x_train.numpy(), grid, atol=1e-7)
    image = data.y_test.numpy().reshape(h, w, 3)
    np.testing.assert_allclose(data.y_train.numpy(), image[::2, ::2].reshape(-1, 3), atol=1e-7)
    with pytest.raises(ValueError, match="max_side must be at least 4"):
        p1_image("astronaut", max_side=2)
    assert data.spectral_grid == RadialGrid(32, 32)
    assert data.metrics[0] == "psnr"
