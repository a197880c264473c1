"""torch's CUDA availability check, made cheap where NVIDIA's driver is absent.

Lightning sets ``PYTORCH_NVML_BASED_CUDA_CHECK=1`` when it is imported, so that asking
whether CUDA is available never initialises CUDA. torch then counts the devices through
NVML; where NVML's library cannot be loaded (no driver: a CPU machine with torch's CUDA
build, which pip installs on Linux) it falls back to the CUDA runtime's count, and it does
not keep the answer, so every ``torch.cuda.is_available()`` pays a failed ``dlopen`` of
the library. torch's Adam asks at every step: a sixth of a small grade's step on 2 CPU
cores (2.56 ms against 2.11 ms for a [1,256,256,1] grade at batch 256). Without the
library the NVML check can only fall back, so ``skip_missing_nvml`` has torch take the
runtime check directly: the same answer, once.
"""

from __future__ import annotations

import ctypes
import os

NVML_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"
NVML_LIBRARY = "libnvidia-ml.so.1"  # the name torch's NVML check loads


def skip_missing_nvml() -> bool:
    """Where the NVML check is on (Lightning imported) and NVML's library cannot be
    loaded, switch the check to the CUDA runtime's; returns whether it did."""
    if os.environ.get(NVML_CHECK) != "1":
        return False
    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:
        os.environ[NVML_CHECK] = "0"
        return True
    return False
