"""Shared helpers: quiet CPU trainer factories, the grade loop for one model or several,
and the repository's paths."""

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
from multigrade.grades.checkpoints import GradeCheckpoints
from multigrade.grades.loop import ModelRun, fit_grades, run_identity
from multigrade.jobs import CONF_DIR

REPO = Path(__file__).resolve().parents[1]
# Where the MNIST / Fashion-MNIST tests read the datasets (torchvision's layout)
DATA_DIR = Path(os.environ.get("MULTIGRADE_DATA_DIR", "data"))
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, where there is CUDA
skip_missing_nvml()  # as the entry points do (multigrade.jobs.prepare_run)


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


def fit_model(data, grades, schedules, make_trainer, seed=0, checkpoint_dir=None, checkpoint_every=None,
              stateful=None, stop=None, on_grade_end=None, on_restored=None, check_every=50, cuda_graph=True):
    """One model through the grade loop (``fit_grades`` with one ``ModelRun``, its checkpoints
    in ``checkpoint_dir``): its stair network and records. The hooks see that one model's
    (stair, record) and restored records."""
    checkpoints = None if checkpoint_dir is None else GradeCheckpoints(
        checkpoint_dir, run_identity(data, seed), stateful or {}, checkpoint_every)
    (fitted,) = fit_grades(data, grades, [ModelRun(seed, list(schedules), checkpoints)], make_trainer, check_every,
                           cuda_graph, stop, None if on_restored is None else lambda records: on_restored(records[0]),
                           None if on_grade_end is None else lambda stairs, records: on_grade_end(stairs[0], records[0]))
    return fitted


def fit_models(data, grades, schedules, make_trainer, seeds, check_every=50, cuda_graph=True, checkpoint_dirs=None,
               stateful=None, **hooks):
    """Models of ``seeds`` (model s with the per-grade ``schedules[s]``) side by side through
    the grade loop, each checkpointed in ``checkpoint_dirs[s]``: each one's (stair, records)."""
    runs = [ModelRun(seed, list(own), None if checkpoint_dirs is None else GradeCheckpoints(
                checkpoint_dirs[s], run_identity(data, seed), (stateful or [{}] * len(seeds))[s]))
            for s, (seed, own) in enumerate(zip(seeds, schedules))]
    return fit_grades(data, grades, runs, make_trainer, check_every, cuda_graph, **hooks)
