"""Which epochs of a grade read the loss on the host: between them nothing waits for the device."""

from __future__ import annotations

import math


def is_check_epoch(epoch: int, every: int, epochs: int) -> bool:
    """Whether epoch ``epoch`` (0-based) of ``epochs`` reads its loss on the host and logs
    it: every ``every``-th epoch and the last."""
    return (epoch + 1) % every == 0 or epoch + 1 == epochs


def on_check_epochs(every: int, check_every: int) -> int:
    """``every`` (epochs) rounded up to a multiple of ``check_every``: a spacing whose
    epochs are ``is_check_epoch``, when the grade reads its loss on the host anyway."""
    return check_every * math.ceil(every / check_every)
