import numpy as np
import pytest

from multigrade.data.synthetic import p1_synthetic, phases, target


def test_grids_and_seeds_are_the_papers():
    data = p1_synthetic(2)
    np.testing.assert_array_equal(data.x_train[:, 0].numpy(), np.arange(0, 1, 1 / 6000).astype(np.float32))
    np.testing.assert_array_equal(
        data.x_val[:, 0].numpy(), np.random.RandomState(0).uniform(0, 1, 2000).astype(np.float32)
    )
    np.testing.assert_array_equal(
        data.x_test[:, 0].numpy(), np.random.RandomState(1).uniform(0, 1, 2000).astype(np.float32)
    )
    np.testing.assert_array_equal(phases(), np.random.RandomState(0).uniform(0, 2 * np.pi, 40))


@pytest.mark.parametrize(
    "setting, amplitude",
    [(1, lambda j: 1.0), (2, lambda j: 1 - 0.95 * j / 19), (4, lambda j: 0.05 + 0.95 * j / 19)],
)
def test_constant_amplitude_settings_follow_the_formula(setting, amplitude):
    x = np.array([0.123, 0.5, 0.987])
    phi = np.random.RandomState(0).uniform(0, 2 * np.pi, 40)[:20]
    expected = sum(amplitude(j) * np.sin(2 * np.pi * 10 * (j + 1) * x + phi[j]) for j in range(20))
    np.testing.assert_allclose(target(x, setting), expected, rtol=1e-12)


def test_setting_three_has_varying_amplitudes():
    x = np.array([0.3])
    phi = phases(20)
    expected = sum(np.exp(-x) * np.cos(i * x) * np.sin(2 * np.pi * 10 * (i + 1) * x + phi[i]) for i in range(20))
    np.testing.assert_allclose(target(x, 3), expected, rtol=1e-12)


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="settings 1, 2, 3, 4; got 5"):
        target(np.zeros(3), 5)
