"""Randomness as a pure function of named keys, so a run can replay any part of itself."""

from __future__ import annotations

import numpy as np
import torch

# Purposes keep the streams of different uses apart.
INIT = 1
MINIBATCH = 2
TRAINING_DRAWS = 3  # what a grade's modules draw in an epoch of training (dropout's masks)


def derive_seed(purpose: int, *keys: int) -> int:
    """A 63-bit seed determined by ``purpose`` and the integer ``keys`` (seed, grade, ...)."""
    entropy = [int(purpose), len(keys), *(int(k) for k in keys)]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def seed_device_draws(device: torch.device, seed: int) -> None:
    """Seed torch's default generator of ``device``, the one random layers (dropout) draw
    from there; only that one (``torch.manual_seed`` seeds every device's, at about a
    hundred times the cost)."""
    if device.type == "cpu":
        torch.default_generator.manual_seed(seed)
    elif device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        torch.cuda.default_generators[index].manual_seed(seed)
    else:
        torch.manual_seed(seed)
