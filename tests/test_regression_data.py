import numpy as np
import pytest

from multigrade.data.manifold import curve, p1_manifold
from multigrade.data.manifold import target as manifold_target
from multigrade.data.p2_regression import composite, p2_regression
from multigrade.data.synthetic import phases


def test_the_curves_are_a_circle_and_a_wavy_loop():
    t = np.arange(0, 1, 1 / 1024)  # includes the extrema at t = 3/16 + j/4
    np.testing.assert_allclose(np.linalg.norm(curve(t, 0), axis=1), 1.0)
    radius = np.linalg.norm(curve(t, 4), axis=1)
    assert radius.min() == pytest.approx(0.5) and radius.max() == pytest.approx(1.5)


def test_manifold_targets_follow_the_formulas():
    t = np.array([0.05, 0.61])
    phi = phases(40)
    increase = sum(0.025 * j * np.sin(2 * np.pi * 10 * j * t + phi[j - 1]) for j in range(1, 41))
    vary = sum(np.exp(-t) * np.cos(i * t) * np.sin(2 * np.pi * 10 * (i + 1) * t + phi[i]) for i in range(40))
    np.testing.assert_allclose(manifold_target(t, "increase"), increase, rtol=1e-12)
    np.testing.assert_allclose(manifold_target(t, "vary"), vary, rtol=1e-12)


def test_manifold_data_has_the_papers_sizes_and_inputs_on_the_curve():
    data = p1_manifold(4, "vary")
    assert data.x_train.shape == (12000, 2) and data.x_val.shape == (4000, 2) and data.x_test.shape == (4000, 2)
    t_val = np.random.RandomState(0).uniform(0, 1, 4000)
    np.testing.assert_allclose(data.x_val.numpy(), curve(t_val, 4), atol=1e-6)
    np.testing.assert_allclose(data.y_val[:, 0].numpy(), manifold_target(t_val, "vary"), atol=1e-5)
    assert len(data.target_frequencies) == 40 and data.target_frequencies[-1] == 400


def test_composite_target_by_hand():
    x = 0.3  # h1 = |cos 0 - 0.7| = 0.3; h2 = |cos(-0.4 pi) - 0.5|; h3, h4 leave values < 0.9
    h2 = abs(np.cos(2 * np.pi * (0.3 - 0.5)) - 0.5)
    assert composite(np.array([x]))[0] == pytest.approx(1.3 * h2)


def test_p2_trains_on_every_point_and_validates_on_a_noisy_fifth_of_them():
    clean, noisy = p2_regression("xsin"), p2_regression("xsin", noise_std=0.05)
    x = np.linspace(0, 1, 5000).astype(np.float32)
    assert (clean.x_train.shape[0], clean.x_val.shape[0], clean.x_test.shape[0]) == (5000, 1000, 1000)
    np.testing.assert_array_equal(clean.x_train[:, 0].numpy(), x)
    val = np.searchsorted(x, clean.x_val[:, 0].numpy())
    assert len(set(val)) == 1000 and np.array_equal(x[val], clean.x_val[:, 0].numpy())
    val_noise = (clean.y_val - clean.y_train[val]).numpy()
    assert val_noise.std() == pytest.approx(0.01, rel=0.1)
    residual = (noisy.y_train - clean.y_train).numpy()
    assert residual.std() == pytest.approx(0.05, rel=0.1)
    assert np.array_equal(noisy.y_test.numpy(), clean.y_test.numpy())
    assert np.array_equal(clean.spectral_grid.positions.astype(np.float32), clean.x_train[:, 0].numpy())


def test_p2_held_out_validation_leaves_the_training_set():
    data = p2_regression("sin", val_held_out=True)
    assert (data.x_train.shape[0], data.x_val.shape[0]) == (4000, 1000)
    union = np.sort(np.concatenate([data.x_train[:, 0].numpy(), data.x_val[:, 0].numpy()]))
    np.testing.assert_allclose(union, np.linspace(0, 1, 5000).astype(np.float32))


def test_p2_spectrum_of_sin100x_peaks_at_its_frequency():
    data = p2_regression("sin")
    grid = data.spectral_grid
    spectrum = grid.amplitude(data.y_train)
    assert grid.freq[spectrum.argmax()] == pytest.approx(100 / (2 * np.pi), abs=0.5)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="P2 regressions are .*got 'cos'"):
        p2_regression("cos")
    with pytest.raises(ValueError, match="targets are .*got 'flat'"):
        manifold_target(np.zeros(2), "flat")


@pytest.mark.parametrize("bad, message", [
    ({"noise_std": -0.05}, "noise_std is a standard deviation, at least 0; got -0.05"),
    ({"val_noise_std": -1.0}, "val_noise_std is a standard deviation, at least 0; got -1.0"),
    ({"val_fraction": 0.0}, r"val_fraction is the share of the points drawn to validate, in \(0, 1\); got 0.0"),
    ({"val_fraction": 1.0, "val_held_out": True}, r"in \(0, 1\); got 1.0"),
    ({"n_test": 0}, "p2_sin: the test split is empty; give each split points"),
])
def test_p2_settings_that_describe_no_data_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        p2_regression("sin", **bad)
