import numpy as np
import pytest
import torch

from conftest import cpu_trainers, fit_model, fit_models
from multigrade.data.synthetic import p1_synthetic
from multigrade.grades.loop import predict
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stacked import ForEachSeed
from multigrade.grades.stair import hidden_stack
from multigrade.spectra.callback import SpectraCallback, strongest_frequencies
from multigrade.spectra.fourier import (
    RadialGrid,
    SpectralGrid,
    frequency_grid,
    nearest_bins,
    nonuniform_amplitude,
    one_sided_amplitude,
    radial_average_amplitude,
    resolved,
)


@pytest.mark.parametrize("a, k", [(1.0, 10), (0.3, 123), (2.5, 1)])
def test_a_sine_shows_half_its_amplitude_at_its_bin(a, k):
    n = 6000
    x = np.arange(n) / n
    spectrum = one_sided_amplitude(a * np.sin(2 * np.pi * k * x + 0.7))
    assert spectrum.shape == (n // 2 + 1,)
    assert spectrum[k] == pytest.approx(a / 2, rel=1e-9)
    others = np.delete(spectrum, k)
    assert others.max() < 1e-9


def test_frequency_grid_counts_cycles_per_unit_length():
    freq = frequency_grid(1000, length=2.0)
    assert freq[1] == pytest.approx(0.5) and freq[-1] == pytest.approx(250.0)
    assert list(nearest_bins(freq, [10.0, 0.4])) == [20, 1]


def test_channels_combine_as_root_mean_square():
    x = torch.arange(400) / 400
    two = torch.stack([torch.sin(2 * torch.pi * 5 * x), torch.zeros_like(x)], dim=1)
    assert one_sided_amplitude(two)[5] == pytest.approx(0.5 / np.sqrt(2), rel=1e-6)


def test_the_nonuniform_dft_equals_the_fft_on_a_grid():
    x = np.arange(512) / 512
    v = np.random.RandomState(0).randn(512, 2)
    freq = np.arange(257.0)
    np.testing.assert_allclose(nonuniform_amplitude(v, x, freq), one_sided_amplitude(v), atol=1e-12)


def test_a_sine_on_scattered_points_shows_half_its_amplitude():
    x = np.sort(np.random.RandomState(3).uniform(0, 2, 20000))
    grid = SpectralGrid(n=len(x), length=2.0, positions=x, max_frequency=60)
    spectrum = grid.amplitude(0.8 * np.sin(2 * np.pi * 25 * x))
    assert grid.freq[50] == 25.0
    assert spectrum[50] == pytest.approx(0.4, rel=0.02)
    assert np.delete(spectrum, 50).max() < 0.05


@pytest.fixture(scope="module")
def first_grade(tmp_path_factory):
    """Grade 1 of setting 2 (full data and width), trained briefly with the callback."""
    out = tmp_path_factory.mktemp("spectra")
    data = p1_synthetic(2)
    callback = SpectraCallback(out, data.spectral_grid, data.target_frequencies, evolution_points=5)
    stair, _ = fit_model(data, [GradeSpec([256, 256])], [GradeSchedule(150, 256, 2e-3, 2e-4)],
                         cpu_trainers(callback), seed=0)
    return callback, out, stair, data


def test_after_grade_one_the_low_band_drops_and_the_high_band_stays(first_grade):
    callback, *_ = first_grade
    arrays = callback.arrays()
    bins = nearest_bins(arrays["freq"], arrays["target_frequencies"])
    kept = arrays["residual"][0][bins] / arrays["target"][bins]  # 1 = untouched
    low, high = kept[arrays["target_frequencies"] <= 30].mean(), kept[arrays["target_frequencies"] >= 100].mean()
    assert low < 0.96, kept
    assert high > 0.98, kept
    assert high - low > 0.04


def test_spectra_file_has_the_documented_arrays(first_grade):
    _, out, stair, data = first_grade
    with np.load(out / "spectra.npz") as saved:
        assert saved["freq"].shape == (3001,) and saved["target"].shape == (3001,)
        for name in ("grade", "cumulative", "residual"):
            assert saved[name].shape == (1, 3001)
        assert saved["evolution"].shape == (5, 20)
        assert list(saved["evolution_epoch"]) == [30, 60, 90, 120, 150]
        np.testing.assert_allclose(saved["target"][10], 0.5, rtol=1e-5)
        # recomputed from the trained stair network: f_1 = g_1 and the residual y - f_1
        x, y = data.split("train")
        f_1 = predict(stair, x)
        np.testing.assert_allclose(saved["grade"][0], data.spectral_grid.amplitude(f_1), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(saved["cumulative"][0], saved["grade"][0], rtol=0, atol=0)
        np.testing.assert_allclose(saved["residual"][0], data.spectral_grid.amplitude(y - f_1), rtol=1e-5, atol=1e-7)
        bins = nearest_bins(saved["freq"], saved["target_frequencies"])
        np.testing.assert_allclose(saved["evolution"][-1], saved["cumulative"][0][bins] / saved["target"][bins],
                                   rtol=1e-5)


def test_an_image_wave_lands_in_the_ring_of_its_frequency():
    h, w = 64, 80
    rows, cols = np.meshgrid(np.arange(h) / h, np.arange(w) / w, indexing="ij")
    image = 0.5 + 0.3 * np.sin(2 * np.pi * (3 * rows + 4 * cols))  # radius 5 cycles per side
    rings = radial_average_amplitude(image.reshape(-1), h, w)
    assert rings.shape == (h // 2 + 1,)
    assert rings[0] == pytest.approx(0.5)
    assert np.argmax(rings[1:]) + 1 == 5
    assert np.delete(rings, [0, 5]).max() < 1e-12
    grid = RadialGrid(h, w)
    np.testing.assert_array_equal(grid.amplitude(image.reshape(-1)), rings)
    np.testing.assert_array_equal(grid.amplitude_at(image.reshape(-1), np.array([5, 0])), rings[[5, 0]])
    with pytest.raises(ValueError, match="100 values for a 64x80 image"):
        radial_average_amplitude(np.zeros(100), h, w)


def test_amplitude_at_matches_the_full_nonuniform_spectrum():
    rng = np.random.RandomState(0)
    grid = SpectralGrid(n=500, length=2.0, positions=rng.uniform(0, 2, 500), max_frequency=20.0)
    values = np.sin(2 * np.pi * 7.5 * grid.positions)
    bins = np.array([3, 15, 30])
    np.testing.assert_allclose(grid.amplitude_at(values, bins), grid.amplitude(values)[bins], rtol=1e-12)


def test_target_frequencies_the_bins_do_not_resolve_are_left_out_of_the_evolution(tmp_path, caplog):
    freq = frequency_grid(100, 1.0)  # bins 0, 1, 2, ..., 50 cycles per unit
    np.testing.assert_array_equal(resolved(freq, np.array([0.0, 0.3, 0.5, 4.0, 50.5, 50.6, 80.0])), [0.5, 4.0, 50.5])
    assert resolved(np.zeros(1), np.array([3.0])).shape == (0,)  # the mean is the only bin
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)  # bins up to 300
    wanted = np.concatenate([[0.2], data.target_frequencies, [400.0]])
    callback = SpectraCallback(tmp_path, data.spectral_grid, wanted, evolution_points=2)
    fit_model(data, [GradeSpec([16])], [GradeSchedule(2, 64, 1e-3, 1e-3)], cpu_trainers(callback), seed=0)
    with np.load(tmp_path / "spectra.npz") as saved:
        np.testing.assert_array_equal(saved["target_frequencies"], data.target_frequencies)
        assert 0 not in nearest_bins(saved["freq"], saved["target_frequencies"])
    assert "target frequencies [0.2, 400.0] are outside the spectra's range [0.5, 300.5]" in caplog.text


def normalised_dropout_stack(in_features: int, widths: list[int], activations: str) -> torch.nn.Module:
    """Affine layers with their activations, then batch normalisation and dropout: a grade
    that computes otherwise in training than in eval mode, and draws random numbers."""
    return torch.nn.Sequential(hidden_stack(in_features, widths, activations), torch.nn.BatchNorm1d(widths[-1]),
                               torch.nn.Dropout(0.2))


@pytest.mark.parametrize("stacked", [False, True], ids=["one_model", "stacked_seeds"])
def test_the_spectra_see_each_grade_in_eval_mode_and_change_nothing(tmp_path, stacked):
    """The callback looks at the grade mid-training (evolution) and at its end: batch
    normalisation must neither normalise by the whole training set nor take a step, and
    dropout must draw nothing from the stream the training's masks come from."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades = [GradeSpec([16, 16], "tanh", stack=f"{__name__}.normalised_dropout_stack")] * 2
    schedules = [GradeSchedule(6, 64, 1e-3, 1e-4)] * 2
    callback = SpectraCallback(tmp_path, data.spectral_grid, data.target_frequencies, evolution_points=3)

    def fit(*callbacks):
        if stacked:
            return fit_models(data, grades, [schedules] * 2, cpu_trainers(ForEachSeed([*callbacks, *callbacks])),
                              [0, 1])[1]
        return fit_model(data, grades, schedules, cpu_trainers(*callbacks), seed=0)

    watched, watched_records = fit(callback)
    unwatched, records = fit()
    assert len(callback.evolution) == 6 * (1 + stacked)  # three looks in each grade, at each model
    for a, b in zip(records, watched_records):
        np.testing.assert_array_equal(b.loss_history, a.loss_history)
    for name, value in unwatched.state_dict().items():
        assert torch.equal(watched.state_dict()[name], value), name
    x, _ = data.split("train")
    np.testing.assert_allclose(callback.rows["cumulative"][-1], data.spectral_grid.amplitude(predict(watched, x)),
                               rtol=1e-5, atol=1e-7)


def test_the_default_target_frequencies_are_the_peaks_not_their_sidelobes():
    """sin(100 x) on [0, 1] sits between bins 15 and 16: its sidelobes reach bin 28 at a
    few hundredths of the peak; a tenth of the peak keeps the peak."""
    x = np.linspace(0.0, 1.0, 2000, endpoint=False)
    grid = SpectralGrid(n=len(x), length=1.0)
    freq, amplitude = grid.freq, grid.amplitude(np.sin(100.0 * x)[:, None])
    np.testing.assert_array_equal(strongest_frequencies(freq, amplitude), [16.0])
    # relative to the strongest: a twentieth of the sine keeps its peak, not nothing
    np.testing.assert_array_equal(strongest_frequencies(freq, grid.amplitude(0.05 * np.sin(100.0 * x)[:, None])),
                                  [16.0])
    assert len(strongest_frequencies(freq, amplitude, floor=0.0)) == 20
    two_tones = grid.amplitude((np.sin(2 * np.pi * 5 * x) + 0.5 * np.sin(2 * np.pi * 40 * x))[:, None])
    np.testing.assert_array_equal(strongest_frequencies(freq, two_tones), [5.0, 40.0])


@pytest.mark.parametrize("freq, targets, shown", [
    (np.arange(3.0), [0.955, 1.512], [0.0, 1.0, 2.0]),   # 1.512 is read at bin 2: the figure shows it
    (np.arange(0.0, 100.0), [10.0, 40.0], list(np.arange(0.0, 51.0))),  # a quarter beyond the highest target
    (np.arange(0.0, 100.0), [1.0], [0.0, 1.0, 2.0, 3.0]),  # at least four bins
])
def test_a_spectrum_figure_shows_the_bins_its_targets_are_read_at(freq, targets, shown):
    from multigrade.spectra.plots import frequency_limit
    limit = frequency_limit({"freq": freq, "target_frequencies": np.array(targets)})
    assert list(freq[freq <= limit]) == shown


@pytest.mark.parametrize("epochs, points, check_every, spacing", [
    (30000, 60, 10, 500),   # P1: 500 epochs apart, every 50th check
    (1000, 60, 10, 20),     # 17 rounded up to the next check epoch
    (20, 60, 10, 1),        # P2's short grades keep a sample per epoch
])
def test_the_evolution_samples_long_grades_on_the_epochs_whose_loss_is_read(epochs, points, check_every, spacing):
    from multigrade.spectra.callback import evolution_spacing
    assert evolution_spacing(epochs, points, check_every) == spacing
