"""Shared helpers: a quiet CPU trainer factory and the repository's paths."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import lightning.pytorch as L
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from multigrade.cuda_check import skip_missing_nvml
from multigrade.run import CONF_DIR

REPO = Path(__file__).resolve().parents[1]
# Where the MNIST / Fashion-MNIST tests read the datasets (torchvision's layout)
DATA_DIR = Path(os.environ.get("MULTIGRADE_DATA_DIR", "data"))
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, where there is CUDA
skip_missing_nvml()  # as the entry points do (multigrade.run.prepare_run)


@pytest.fixture(autouse=True)
def _quiet_lightning():
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)


def missing_digits(*folders: str) -> list[str]:
    """The dataset folders (``MNIST``, ``FashionMNIST``; default both) whose raw files
    ``DATA_DIR`` does not hold; none where ``MULTIGRADE_REQUIRE_DIGITS=1``, so that the tests
    needing them run (and fail, naming the missing files) instead of skipping."""
    if os.environ.get("MULTIGRADE_REQUIRE_DIGITS") == "1":
        return []
    return [name for name in folders or ("MNIST", "FashionMNIST")
            if not (DATA_DIR / name / "raw" / "train-images-idx3-ubyte").is_file()]


def needs_digits(*folders: str) -> pytest.MarkDecorator:
    """Skip, saying why, unless ``DATA_DIR`` holds every dataset folder named (default both)."""
    missing = missing_digits(*folders)
    return pytest.mark.skipif(bool(missing), reason=f"{' and '.join(missing)} not in MULTIGRADE_DATA_DIR ({DATA_DIR})")


def is_share_of(value: float, images: int) -> bool:
    """Whether ``value`` is a share k / ``images`` (k = 0 .. images) of the images evaluated,
    as an accuracy over them is (to float32's rounding)."""
    return 0.0 <= value <= 1.0 and abs(value * images - round(value * images)) < 1e-3


def cpu_trainers(*callbacks: L.Callback):
    """``make_trainer(k, K)`` for ``fit_grades``: CPU, deterministic, no logger or bar."""
    return device_trainers("cpu", *callbacks)


def device_trainers(accelerator: str, *callbacks: L.Callback):
    """``make_trainer(k, K)`` on ``accelerator`` (one device), deterministic, no logger or bar."""

    def make(grade: int, total: int) -> L.Trainer:
        return L.Trainer(
            accelerator=accelerator, devices=1, max_epochs=1, logger=False, deterministic=True,
            enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
            callbacks=list(callbacks),
        )

    return make


def job_config(*overrides: str, config_name: str = "config") -> DictConfig:
    """The config a ``python -m multigrade.run <overrides>`` job sees (``multigrade.snn``'s
    with ``config_name="snn"``): composed, with ``${hydra:...}`` resolvable and no
    ``hydra`` node of its own."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg
