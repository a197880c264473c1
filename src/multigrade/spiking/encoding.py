"""Input encodings of images (B, N) with values in [0, 1] into T time steps (T, B, N)."""

from __future__ import annotations

import torch

ENCODINGS = ("rate", "direct")


def rate_encode(x: torch.Tensor, steps: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Bernoulli spikes ``s_t = 1[x > U_t]``, ``U_t ~ U(0, 1)`` fresh each step: (T, B, N)."""
    noise = torch.rand((steps, *x.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (x.unsqueeze(0) > noise).to(x.dtype)


def direct_encode(x: torch.Tensor, steps: int) -> torch.Tensor:
    """The intensities themselves as a constant input current every step: (T, B, N)."""
    return x.unsqueeze(0).expand(steps, *x.shape)


def check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}: choose one of {ENCODINGS}")
    return encoding


def encode(x: torch.Tensor, steps: int, encoding: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """``rate`` or ``direct`` encoding of ``x`` (B, N) over ``steps`` steps: (T, B, N)."""
    if steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps}")
    if check_encoding(encoding) == "rate":
        return rate_encode(x, steps, generator)
    return direct_encode(x, steps)
