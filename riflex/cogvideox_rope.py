"""A drop-in replacement for CogVideoX's RoPE method with chosen frequencies.

ComfyUI's CogVideoX computes its RoPE in a method, `_get_rotary_emb(h, w, t, device)`, which
returns (cos, sin), each [t*h*w, head_dim]: the t, h and w blocks side by side (dims d/4,
3d/8, 3d/8), each component's value repeated for its interleaved (real, imag) pair, tokens
in (t, h, w) order. This callable calls the model's own method and rewrites only the columns
of the components a plan changed, so everything else stays bit-identical to the model's
own table (which it computes in float32 from its own positions: those are kept too).

Pure torch: the plan and where the real video size comes from are handed in by nodes/.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch

from .frequencies import axis_frequencies

__all__ = ["RIFLExCogVideoXRope", "cogvideox_axes_dims"]

TABLE_CACHE_SIZE = 4


def cogvideox_axes_dims(head_dim: int) -> tuple[int, int, int]:
    """The per-axis split CogVideoX uses: t gets d/4, h and w get 3d/8 each."""
    return head_dim // 4, head_dim // 8 * 3, head_dim // 8 * 3


class RIFLExCogVideoXRope:
    """Shadows `diffusion_model._get_rotary_emb` on a patched clone.

    `plan_axes(plan_key)` returns float64 frequencies per axis (t, h, w); `plan_key` is set
    by the sampler-side wrapper before each model call. `axis_positions(h, w, t)` gives the
    positions the model uses along each axis (time: 0..t-1; space: the model's own grid), so
    the rewritten columns rotate by exactly the planned frequency at the model's positions.
    With no plan key (a call outside a sampling run) it is the model's own method.
    """

    def __init__(
        self,
        original: Callable,
        theta: float,
        axes_dims: tuple[int, int, int],
        plan_axes: Callable[[object], tuple[torch.Tensor, ...]],
        axis_positions: Callable[[int, int, int], tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    ) -> None:
        self.original = original
        self.theta = float(theta)
        self.axes_dim = list(axes_dims)
        self.plan_axes = plan_axes
        self.axis_positions = axis_positions
        self.plan_key: object | None = None
        self._tables: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()

    def clear_tables(self) -> None:
        self._tables.clear()

    def changes(self, plan_key: object) -> list[tuple[int, int, float]]:
        """(axis, component index, new frequency) for every component the plan changed."""
        changed = []
        for axis, (dim, planned) in enumerate(zip(self.axes_dim, self.plan_axes(plan_key), strict=True)):
            unchanged = axis_frequencies(self.theta, dim)
            for j, (before, after) in enumerate(zip(unchanged.tolist(), planned.tolist(), strict=True)):
                if before != after:
                    changed.append((axis, j, after))
        return changed

    def __call__(self, h: int, w: int, t: int, device=None):
        plan_key = self.plan_key
        if plan_key is None:
            return self.original(h, w, t, device=device)
        key = (h, w, t, torch.device(device) if device is not None else None, plan_key)
        cached = self._tables.get(key)
        if cached is not None:
            self._tables.move_to_end(key)
            return cached
        cos, sin = self.original(h, w, t, device=device)
        changes = self.changes(plan_key)
        if changes:
            cos, sin = cos.clone().view(t, h, w, -1), sin.clone().view(t, h, w, -1)
            positions = self.axis_positions(h, w, t)
            offsets = [0, self.axes_dim[0], self.axes_dim[0] + self.axes_dim[1]]
            for axis, j, frequency in changes:
                # float32 like the model: angle = position * frequency, both float32
                pos = positions[axis].to(device=cos.device, dtype=torch.float32)
                angles = pos * torch.tensor(frequency, dtype=torch.float32, device=cos.device)
                shape = [1, 1, 1, 1]
                shape[axis] = -1
                column = offsets[axis] + 2 * j
                for table, values in ((cos, torch.cos(angles)), (sin, torch.sin(angles))):
                    table[..., column : column + 2] = values.view(*shape[:3], 1).to(table.dtype)
            cos, sin = cos.reshape(t * h * w, -1), sin.reshape(t * h * w, -1)
        self._tables[key] = (cos, sin)
        if len(self._tables) > TABLE_CACHE_SIZE:
            self._tables.popitem(last=False)
        return cos, sin
