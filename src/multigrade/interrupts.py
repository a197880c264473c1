"""A stop that a signal asks for (SIGTERM from a scheduler, SIGINT from Ctrl+C), made where a
run can stop whole: at the end of an epoch, after its in-grade checkpoint, or between grades.

Inside ``held_signals`` the two signals only record that a stop is asked for (a second
SIGINT stops at once); the training loops ask ``requested`` and raise ``Interrupted``, which
the entry point turns into one message and exit status 128 + the signal's number.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

SIGNALS = (signal.SIGTERM, signal.SIGINT)
_received: list[int] = []


class Interrupted(Exception):
    """A run stopped by a signal; the message says where, what was kept and how to go on."""

    def __init__(self, signum: int, where: str, then: str):
        super().__init__(f"stopped by {signal.Signals(signum).name} {where}; {then}")
        self.signum = signum


def requested() -> int | None:
    """The signal that asked for a stop, or None."""
    return _received[0] if _received else None


@contextmanager
def held_signals() -> Iterator[None]:
    """Inside the block, SIGTERM and SIGINT record a stop for the loops to make
    (``requested``), and a second SIGINT raises ``KeyboardInterrupt`` at once; after it,
    the handlers are those before."""

    def record(signum: int, frame) -> None:
        if signum == signal.SIGINT and _received:
            raise KeyboardInterrupt
        _received.append(signum)

    previous = {signum: signal.signal(signum, record) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()
