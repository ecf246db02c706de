"""What a "period in latent frames" means for LTX-Video and LTX-2.

LTX does not give each axis its own frequencies. It builds one grid of n = inner_dim // 6
angular frequencies, slowest first, omega_i = (pi/2) * theta^(i/(n-1)), i = 0..n-1, and
multiplies it by every axis' position, interleaved (pair 3i + axis, after identity pairs that
pad the head dim). A position is a fractional coordinate: the time of a latent frame is its
pixel frame (latent index x the VAE's 8) divided by the frame rate (seconds) and by
max_pos[0] = 20 s, then mapped to [-1, 1] (x 2 - 1). So one latent frame advances the time
coordinate by

    time_step = 2 * 8 / (fps * 20) = 0.8 / fps

and component i turns at omega_i * time_step radians per latent frame: its period is
2*pi / (omega_i * time_step) = 5 * fps / theta^(i/(n-1)) latent frames (125 at 25 fps for
the slowest). The time components are the n grid entries applied to the time axis; the same
entries applied to h and w are left alone. Periods are quoted at ComfyUI's default frame rate
(25, the LTXV model's and LTXVConditioning's default): at another frame rate the same patch
acts on periods scaled by fps / 25.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["LTX_DEFAULT_FPS", "ltx_grid", "ltx_temporal_freqs", "ltx_time_step"]

LTX_DEFAULT_FPS = 25.0


def ltx_time_step(vae_temporal_scale: float, max_pos_t: float, fps: float = LTX_DEFAULT_FPS) -> float:
    """Grid units (of the [-1, 1] coordinate) one latent frame advances in time."""
    return 2.0 * vae_temporal_scale / (fps * max_pos_t)


def ltx_grid(theta: float, n: int) -> list[float]:
    """LTX's shared grid, slowest first: (pi/2) * theta^(i/(n-1)) (plain floats: no torch needed)."""
    return [(math.pi / 2) * theta ** (i / (n - 1)) for i in range(n)]


def ltx_temporal_freqs(grid: Sequence[float], time_step: float) -> tuple[float, ...]:
    """Radians per latent frame of the time components, fastest first (RopeSpec.temporal_freqs);
    grid: the model's own (a tensor) or ltx_grid's."""
    values = grid.tolist() if hasattr(grid, "tolist") else list(grid)
    return tuple(float(value) * time_step for value in reversed(values))
