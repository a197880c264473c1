"""The errors of bad input, under one base class.

Each names what is wrong and what to do. An entry point turns an ``InputError`` into that
message and exit status 1, without a traceback (``multigrade.jobs.exits_cleanly``);
a library caller catches ``InputError``. Each class also derives from the built-in error
it refines, so ``except ValueError`` still catches a ``ConfigError``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator


class InputError(Exception):
    """Bad input: a setting, a file, a dataset or an environment that cannot make a run."""


class ConfigError(InputError, ValueError):
    """The composed configuration cannot describe a run; the message names the key."""


class SweepError(ConfigError):
    """The multirun's own settings (its sweeper, its launcher, distributed training) cannot
    work: every job would fail alike, so this stops the whole sweep, not one job."""


class CheckpointError(InputError, RuntimeError):
    """A checkpoint cannot be read or belongs to another run."""


class DatasetNotFoundError(InputError, FileNotFoundError):
    """A dataset is not in the data directory and could not be downloaded, or a file of it
    there is damaged."""


class DataFileError(InputError, ValueError):
    """A file of one's own data cannot be read as that data; the message names the file
    and what is wrong in it."""


class NonFiniteLossError(InputError, FloatingPointError):
    """A training loss became NaN or infinite; ``models`` are the indices of the models (of
    those side by side; ``[0]`` for one) whose loss did."""

    def __init__(self, message: str, models: list[int]):
        super().__init__(message)
        self.models = models

    def __reduce__(self):  # pickled with its models (a job's error crossing processes)
        return type(self), (str(self), self.models)


class IncompleteTrainingError(InputError, RuntimeError):
    """Training ended before its schedule's epochs (a trainer limit or a callback that
    stopped it): what it trained must not be taken for the schedule's."""


class LoihiEnvironmentError(InputError, RuntimeError):
    """The Loihi environment is missing or its simulation failed; the message says why."""


class ExportError(InputError, ValueError):
    """The network cannot be written as a netx file that lava runs exactly."""


def refusal(field: str, requirement: str, value: Any) -> ValueError:
    """``ValueError("<field> must be <requirement>; got <value>")``, a constructor's refusal
    of one argument, with ``field`` on it: a reader of a config names the key the value
    came from (``config_keys``)."""
    error = ValueError(f"{field} must be {requirement}; got {value!r}")
    error.field = field
    return error


@contextmanager
def config_keys(keys: dict[str, str], where: str | None = None) -> Iterator[None]:
    """Inside the block, an object's refusal of a value (a ``ValueError`` or ``TypeError``
    from its constructor) becomes a ``ConfigError`` naming the config key: ``keys[field]``
    for a ``refusal`` of a field listed, else ``where`` before the message."""
    try:
        yield
    except InputError:
        raise
    except (ValueError, TypeError) as error:
        field, message = getattr(error, "field", None), str(error)
        if field in keys and message.startswith(field):
            raise ConfigError(keys[field] + message[len(field):]) from None
        raise ConfigError(f"{where}: {message}" if where else message) from None
