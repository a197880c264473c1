"""Randomness as a pure function of named keys, so a run can replay any part of itself."""

from __future__ import annotations

import numpy as np

# Purposes keep the streams of different uses apart.
INIT = 1
MINIBATCH = 2
TRAINING_DRAWS = 3  # what a grade's modules draw in an epoch of training (dropout's masks)


def derive_seed(purpose: int, *keys: int) -> int:
    """A 63-bit seed determined by ``purpose`` and the integer ``keys`` (seed, grade, ...)."""
    entropy = [int(purpose), len(keys), *(int(k) for k in keys)]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))
