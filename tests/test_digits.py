"""MNIST / Fashion-MNIST from the local data folder, the splits and the label noise."""

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from conftest import DATA_DIR, job_config, needs_digits
from multigrade.data.digits import (
    DatasetNotFoundError,
    check_idx_files,
    holdout_split,
    load_digits,
    one_hot,
    symmetric_label_noise,
)
from multigrade.data.digit_images import DigitImages
from multigrade.data.mnist_regression import noisy_one_hot, p1_mnist
from multigrade.data.noisy_classification import p2_noisy_labels
from multigrade.reproduce.plan import EXPERIMENTS



def test_the_holdout_split_is_scikit_learns_train_test_split():
    train, held = holdout_split(60000, 15000, 0)
    assert (len(train), len(held)) == (45000, 15000)
    # the first indices of scikit-learn 1.x's train_test_split(range(60000), test_size=0.25, random_state=0)
    assert train[:5].tolist() == [3550, 32474, 35418, 19192, 56106]
    assert held[:5].tolist() == [3048, 19563, 58303, 8870, 40228]
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(60000))


def test_symmetric_noise_flips_the_given_share_uniformly():
    labels = np.tile(np.arange(10), 6000)
    noisy = symmetric_label_noise(labels, 0.4, seed=0)
    flipped = noisy != labels
    assert flipped.mean() == pytest.approx(0.4, abs=0.01)
    counts = np.bincount((noisy[flipped] - labels[flipped]) % 10, minlength=10)[1:]
    assert counts.min() > 0.8 * counts.mean()  # each wrong class about equally often
    np.testing.assert_array_equal(noisy, symmetric_label_noise(labels, 0.4, seed=0))
    assert (symmetric_label_noise(labels, 0.0, seed=0) == labels).all()
    with pytest.raises(ValueError, match="rate must be in"):
        symmetric_label_noise(labels, 1.0, seed=0)


def test_the_hot_entry_carries_the_high_frequency_noise():
    rng = np.random.RandomState(0)
    images, labels = rng.rand(50, 784).astype(np.float32), rng.randint(0, 10, 50)
    y = noisy_one_hot(images, labels, amplitude=3.0, frequency=5.0)
    norms = np.linalg.norm(images.astype(np.float64), axis=1)
    np.testing.assert_allclose(y[np.arange(50), labels], 1 + 3 * np.sin(2 * np.pi * 5 * norms), rtol=1e-6)
    np.testing.assert_array_equal(y * (1 - one_hot(labels)), 0.0)


def test_a_missing_dataset_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"MNIST/raw and downloading is off.*MULTIGRADE_DATA_DIR"):
        load_digits(tmp_path, "mnist", train=True, download=False)
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_digits(tmp_path, "cifar", train=True)


def test_a_damaged_dataset_file_is_named_with_what_it_holds(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    labels = raw / "t10k-labels-idx1-ubyte"
    labels.write_bytes(np.array([2049, 10000], dtype=">u4").tobytes() + bytes(5000))  # cut short
    with pytest.raises(DatasetNotFoundError, match=r"t10k-labels-idx1-ubyte is damaged: 5008 bytes with magic number"
                                                   r" 2049 and 10000 items, where the official file has 10008 bytes"):
        load_digits(tmp_path, "mnist", train=False, download=False)
    labels.write_bytes(np.array([2051, 10000], dtype=">u4").tobytes() + bytes(10000))  # an images header
    with pytest.raises(DatasetNotFoundError, match=r"t10k-labels-idx1-ubyte is damaged: 10008 bytes with magic number"
                                                   r" 2051 .* magic number 2049 and 10000 items; replace it"):
        load_digits(tmp_path, "mnist", train=False, download=False)
    labels.write_bytes(b"\x00")
    with pytest.raises(DatasetNotFoundError, match=r"t10k-labels-idx1-ubyte is damaged: 1 bytes with magic number 0"):
        load_digits(tmp_path, "mnist", train=False, download=False)


@needs_digits()
def test_the_official_files_pass_the_damage_check():
    for dataset in ("MNIST", "FashionMNIST"):
        for train in (True, False):
            check_idx_files(DATA_DIR / dataset / "raw", train)


@pytest.mark.parametrize("limit", [0, -5, 2.5, True])
def test_a_limit_that_is_no_positive_count_is_refused_naming_the_key(tmp_path, limit):
    """Before any file is read: a slice to -5 would keep all but five images silently."""
    message = r"limit \(profile.digits_limit\) must be a positive number of images per split, or null"
    with pytest.raises(ValueError, match=message):
        DigitImages(tmp_path, limit=limit)
    with pytest.raises(ValueError, match=message):
        p1_mnist(tmp_path, amplitude=1.0, frequency=5.0, download=False, limit=limit)


@needs_digits()
def test_p1_mnist_has_the_papers_splits_and_clean_test_labels():
    data = p1_mnist(DATA_DIR, amplitude=1.0, frequency=5.0, download=False)
    assert data.x_train.shape == (45000, 784) and data.x_val.shape == (15000, 784)
    assert data.x_test.shape == (10000, 784) and float(data.x_train.max()) == 1.0
    assert set(np.unique(data.y_test.numpy())) == {0.0, 1.0}
    hot = data.y_train.numpy().max(axis=1)
    assert hot.min() < 0.1 and hot.max() > 1.9  # 1 + sin(...) spans [0, 2]
    freq = data.spectral_grid.freq
    assert freq[1] == 0.25 and freq[-1] == 60.0
    assert data.name == "p1_mnist_b1_k5" and data.metrics == ("rse",)


@needs_digits()
def test_p2_noisy_labels_train_on_all_60000_noisy_images_and_validate_on_the_clean_test_set():
    images, labels = load_digits(DATA_DIR, "fashion_mnist", train=True, download=False)
    test_images, test_labels = load_digits(DATA_DIR, "fashion_mnist", train=False, download=False)
    data = p2_noisy_labels(DATA_DIR, "fashion_mnist", 0.2, download=False)
    np.testing.assert_array_equal(data.x_train.numpy(), images)
    agree = (data.y_train.numpy().argmax(1) == labels).mean()
    assert agree == pytest.approx(0.8, abs=0.01)
    for split in ("val", "test"):
        x, y = data.split(split)
        np.testing.assert_array_equal(x.numpy(), test_images)
        np.testing.assert_array_equal(y.numpy(), one_hot(test_labels))
    assert data.metrics == ("accuracy", "rse")
    held_out = p2_noisy_labels(DATA_DIR, "fashion_mnist", 0.2, val_fraction=0.25, download=False)
    train, val = holdout_split(60000, 15000, 0)
    np.testing.assert_array_equal(held_out.x_val.numpy(), images[val])
    assert (held_out.y_val.numpy().argmax(1) == labels[val]).mean() == pytest.approx(0.8, abs=0.01)


@needs_digits()
def test_a_limit_keeps_the_first_images_of_each_split():
    full = p1_mnist(DATA_DIR, amplitude=1.0, frequency=5.0, download=False)
    limited = p1_mnist(DATA_DIR, amplitude=1.0, frequency=5.0, download=False, limit=300)
    for split in ("train", "val", "test"):
        x, y = limited.split(split)
        assert x.shape == (300, 784)
        torch.testing.assert_close((x, y), tuple(t[:300] for t in full.split(split)), rtol=0, atol=0)
    assert limited.spectral_grid.positions.shape == (300,)
    with pytest.raises(ValueError, match="val_fraction must be in \\(0, 1\\), or null"):
        p1_mnist(DATA_DIR, amplitude=1.0, frequency=5.0, val_fraction=0.0, download=False)


@needs_digits()
@pytest.mark.parametrize("experiment", [e for e in EXPERIMENTS if e.startswith("p1_mnist")])
def test_every_label_noise_experiment_builds_its_own_noise(experiment):
    cfg = job_config(f"experiment={experiment}", f"paths.data_dir={DATA_DIR}", "data.download=false")
    data = instantiate(cfg.data)
    b, k = cfg.data.amplitude, cfg.data.frequency
    assert experiment == f"p1_mnist_b{b:g}_k{k:g}".replace(".", "p")
    _, labels = load_digits(DATA_DIR, "mnist", train=True, download=False)
    train, _ = holdout_split(60000, 15000, 0)
    x, y = data.x_train[:500].double(), data.y_train[:500].double()
    hot = y[torch.arange(500), torch.from_numpy(labels[train[:500]])]
    expected = 1 + b * torch.sin(2 * torch.pi * k * x.norm(dim=1))
    torch.testing.assert_close(hot, expected, rtol=1e-5, atol=1e-5)


@needs_digits()
@pytest.mark.parametrize("experiment", [e for e in EXPERIMENTS if e.startswith("p2_") and "noise" in e])
def test_every_noisy_label_experiment_flips_its_rate(experiment):
    cfg = job_config(f"experiment={experiment}", f"paths.data_dir={DATA_DIR}", "data.download=false")
    data = instantiate(cfg.data)
    _, labels = load_digits(DATA_DIR, cfg.data.dataset, train=True, download=False)
    flipped = (data.y_train.numpy().argmax(1) != labels).mean()
    assert flipped == pytest.approx(cfg.data.noise, abs=0.01)


@needs_digits()
def test_loading_any_split_leaves_the_global_random_stream_alone():
    images = DigitImages(DATA_DIR, batch_size=50, download=False, limit=200)
    images.setup()
    state = torch.get_rng_state()
    for loader in (images.train_dataloader(), images.val_dataloader(), images.test_dataloader()):
        assert sum(len(y) for _, y in loader) == 200
    assert torch.equal(torch.get_rng_state(), state)
    first = [y for _, y in images.train_dataloader()]
    assert all(torch.equal(a, b) for a, b in zip(first, [y for _, y in images.train_dataloader()]))
