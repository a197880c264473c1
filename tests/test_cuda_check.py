"""The CUDA availability check where NVIDIA's management library is missing."""

import ctypes.util
import os

import torch

from multigrade import cuda_check


def test_without_the_nvml_library_torch_takes_the_runtime_check_with_the_same_answer(monkeypatch):
    monkeypatch.setenv(cuda_check.NVML_CHECK, "1")
    answer = torch.cuda.is_available()
    monkeypatch.setattr(cuda_check, "NVML_LIBRARY", "libnot-a-library-anywhere.so.1")
    assert cuda_check.skip_missing_nvml()
    assert os.environ[cuda_check.NVML_CHECK] == "0"
    assert torch.cuda.is_available() == answer


def test_with_the_library_or_without_lightnings_setting_nothing_changes(monkeypatch):
    monkeypatch.setenv(cuda_check.NVML_CHECK, "1")
    monkeypatch.setattr(cuda_check, "NVML_LIBRARY", ctypes.util.find_library("c"))  # one that loads
    assert not cuda_check.skip_missing_nvml()
    assert os.environ[cuda_check.NVML_CHECK] == "1"
    monkeypatch.delenv(cuda_check.NVML_CHECK)
    assert not cuda_check.skip_missing_nvml()
    assert cuda_check.NVML_CHECK not in os.environ
