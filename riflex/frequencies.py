"""Per-axis RoPE frequencies and the quantities the paper reasons with (Sec. 3).

Everything is float64: the periods of the low-frequency components run to thousands of
frames, and the difference between "stays within one period" and "wraps around" is a few
ulps of float32 at the boundary.
"""

from __future__ import annotations

import math

import torch

from .errors import RIFLExError

__all__ = [
    "axis_frequencies",
    "check_non_repetition",
    "repeating_components",
    "identify_k",
    "periods",
    "repetitions",
]


def axis_frequencies(theta: float, dim: int) -> torch.Tensor:
    """theta_j = b^(-2(j-1)/d) for j = 1..d/2, in float64.

    Computed the way ComfyUI's `comfy.ldm.flux.math.rope` does (a float64 linspace of the
    exponents), so an unchanged axis is bit-identical to the model's own table.
    """
    if dim <= 0 or dim % 2:
        raise RIFLExError(f"RIFLEx: axis dim must be a positive even number, got {dim}")
    if not theta > 1.0:
        raise RIFLExError(f"RIFLEx: RoPE base theta must be > 1, got {theta}")
    exponents = torch.linspace(0, (dim - 2) / dim, steps=dim // 2, dtype=torch.float64)
    return 1.0 / (theta**exponents)


def periods(axis_freqs: torch.Tensor) -> torch.Tensor:
    """N_j = 2*pi/theta_j: positions (latent frames on the time axis) per full turn."""
    return (2 * math.pi) / axis_freqs.to(torch.float64)


def repetitions(axis_freqs: torch.Tensor, length: float) -> torch.Tensor:
    """r_j = L/N_j: how many full turns component j makes over `length` positions."""
    return length / periods(axis_freqs)


def repeating_components(axis_freqs: torch.Tensor, test_len: int) -> list[int]:
    """Components (1-indexed) that complete a full period within a video of test_len positions.

    Positions run 0..test_len-1, so component j repeats when theta_j * (test_len - 1) >= 2*pi.
    The paper's Sec. 3.3 condition is r_j < 1 at the test length; counting the span
    actually covered keeps a component whose period equals the video length (the position
    test_len itself is never sampled) from being reported as a loop.
    An empty list means no component brings the video back to where it started.
    """
    span = max(test_len - 1, 0)
    turns = axis_freqs.to(torch.float64) * span / (2 * math.pi)
    return [j + 1 for j, t in enumerate(turns.tolist()) if t >= 1.0]


# the name it had while it returned what it still returns, the components that do repeat
check_non_repetition = repeating_components


def identify_k(
    theta: float,
    dim: int,
    first_repeat_frame: float,
    axis_freqs: torch.Tensor | None = None,
    train_len: int | None = None,
) -> int:
    """The intrinsic component (1-indexed): the one whose period is closest to the frame N
    where the video was seen to return to its start (paper Sec. 3.2, k = argmin_j |N_j - N|).
    axis_freqs: the time axis' own frequencies where they are not theta^(-2(j-1)/d) (LTX).
    train_len: the training length in the same positions; then only components that do not
    complete a turn within it are candidates (r_train < 1: the paper's intrinsic frequency is the
    one whose period first exceeds the training length; a faster one the model saw repeat)."""
    if not first_repeat_frame > 0:
        raise RIFLExError(
            f"RIFLEx: first_repeat_frame must be a positive number of latent frames, got {first_repeat_frame}"
        )
    freqs = axis_frequencies(theta, dim) if axis_freqs is None else axis_freqs
    distances = (periods(freqs) - float(first_repeat_frame)).abs()
    if train_len is not None:
        seen = repeating_components(freqs, train_len)
        if len(seen) == freqs.numel():
            raise RIFLExError(f"RIFLEx: every component turns within the training length {train_len}; no k to suggest")
        distances[[j - 1 for j in seen]] = math.inf
    return int(torch.argmin(distances).item()) + 1
