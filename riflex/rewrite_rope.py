"""Replacements for RoPEs that live in a method rather than an EmbedND module.

CogVideoX (`_get_rotary_emb(h, w, t, device)` -> (cos, sin), interleaved pairs) and Cosmos
(`pos_embedder.generate_embeddings(B_T_H_W_C, fps, ...)` -> [T*H*W, d/2, 2, 2] rotation
matrices) build their tables in their own way, in float32. Each replacement calls the
model's own method and rewrites only the entries of the components a plan changed, so every
other component stays bit-identical to what the model computes, at the model's own positions.
LTX builds one frequency grid for t, h and w (`freq_grid_generator`); its replacement returns
a grid per axis, the time row with the planned frequencies, which the model's own code
broadcasts exactly as it does the shared one.

Pure torch: the plan, the positions per axis and where the video size comes from are handed
in by nodes/.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .rope_state import PlannedRope

__all__ = ["RIFLExCogVideoXRope", "RIFLExCosmosRope", "RIFLExLTXGrid", "cogvideox_axes_dims", "cosmos_axes_dims"]


def cogvideox_axes_dims(head_dim: int) -> tuple[int, int, int]:
    """The per-axis split CogVideoX uses: t gets d/4, h and w get 3d/8 each."""
    return head_dim // 4, head_dim // 8 * 3, head_dim // 8 * 3


def cosmos_axes_dims(head_dim: int) -> tuple[int, int, int]:
    """The per-axis split Cosmos uses: h and w get d//6*2 each, t the rest."""
    spatial = head_dim // 6 * 2
    return head_dim - 2 * spatial, spatial, spatial


class _RewritingRope(PlannedRope):
    """Common part: the plan key and table cache (PlannedRope), and the list of changes.

    `plan_axes(plan_key)` returns float64 frequencies per axis (t, h, w), in radians per
    position as the model counts positions; `plan_key` is set by the sampler-side wrapper
    before each model call. With no plan key (a call outside a sampling run) the model's own
    method runs untouched. `original` is the model's own method, bound to the module of the
    model this replacement is installed on.
    """

    def __init__(self, original: Callable, unchanged_axes: tuple[torch.Tensor, ...], plan_axes) -> None:
        self.original = original
        self.unchanged_axes = unchanged_axes  # the model's own float64 frequencies per axis
        self.axes_dim = [2 * axis.numel() for axis in unchanged_axes]
        self.plan_axes = plan_axes
        self._init_state()

    def changes(self, plan_key: object) -> list[tuple[int, int, float]]:
        """(axis, component index, new frequency) for every component the plan changed."""
        changed = []
        for axis, (unchanged, planned) in enumerate(zip(self.unchanged_axes, self.plan_axes(plan_key), strict=True)):
            for j, (before, after) in enumerate(zip(unchanged.tolist(), planned.tolist(), strict=True)):
                if before != after:
                    changed.append((axis, j, after))
        return changed


def _angles(positions: torch.Tensor, frequency: float, device) -> torch.Tensor:
    # float32 like the models: angle = position * frequency
    return positions.to(device=device, dtype=torch.float32) * torch.tensor(
        frequency, dtype=torch.float32, device=device
    )


def _broadcast(values: torch.Tensor, axis: int) -> torch.Tensor:
    shape = [1, 1, 1]
    shape[axis] = -1
    return values.view(*shape)


class RIFLExCogVideoXRope(_RewritingRope):
    """Shadows `diffusion_model._get_rotary_emb` on a patched clone. Its tables: (cos, sin),
    each [t*h*w, head_dim], the t, h, w blocks side by side, each component's value repeated
    for its interleaved pair. `axis_positions(h, w, t)` gives the model's positions per axis."""

    def __init__(self, original, unchanged_axes, plan_axes, axis_positions: Callable) -> None:
        super().__init__(original, unchanged_axes, plan_axes)
        self.axis_positions = axis_positions

    @torch.compiler.disable
    def __call__(self, h: int, w: int, t: int, device=None):
        plan_key = self.plan_key
        if plan_key is None:
            return self.original(h, w, t, device=device)
        return self.cached_table((h, w, t, str(device), plan_key), lambda: self._build(h, w, t, device, plan_key))

    def _build(self, h, w, t, device, plan_key):
        cos, sin = self.original(h, w, t, device=device)
        changes = self.changes(plan_key)
        if not changes:
            return cos, sin
        cos = cos.clone(memory_format=torch.contiguous_format).view(t, h, w, -1)
        sin = sin.clone(memory_format=torch.contiguous_format).view(t, h, w, -1)
        positions = self.axis_positions(h, w, t)
        offsets = [0, self.axes_dim[0], self.axes_dim[0] + self.axes_dim[1]]
        for axis, j, frequency in changes:
            angles = _broadcast(_angles(positions[axis], frequency, cos.device), axis).unsqueeze(-1)
            column = offsets[axis] + 2 * j
            cos[..., column : column + 2] = torch.cos(angles).to(cos.dtype)
            sin[..., column : column + 2] = torch.sin(angles).to(sin.dtype)
        return cos.reshape(t * h * w, -1), sin.reshape(t * h * w, -1)


class RIFLExCosmosRope(_RewritingRope):
    """Shadows `diffusion_model.pos_embedder.generate_embeddings` on a patched clone. Its
    table: [T*H*W, d/2, 2, 2] rotation matrices [[cos, -sin], [sin, cos]], pairs t, h, w in
    that order. Time positions are 0..T-1, scaled by base_fps/fps when the module modulates
    by a given fps (Cosmos 1.0 with a frame_rate conditioning), as the module itself does.
    Only the time axis is planned here (the h and w axes have their own NTK bases)."""

    def __init__(self, original, unchanged_axes, plan_axes, base_fps: float, fps_modulation: bool) -> None:
        super().__init__(original, unchanged_axes, plan_axes)
        self.base_fps = float(base_fps)
        self.fps_modulation = bool(fps_modulation)

    def changes(self, plan_key: object) -> list[tuple[int, int, float]]:
        return [change for change in super().changes(plan_key) if change[0] == 0]

    @torch.compiler.disable
    def __call__(
        self, B_T_H_W_C, fps=None, h_ntk_factor=None, w_ntk_factor=None, t_ntk_factor=None, device=None, dtype=None
    ):
        def original():
            return self.original(
                B_T_H_W_C,
                fps=fps,
                h_ntk_factor=h_ntk_factor,
                w_ntk_factor=w_ntk_factor,
                t_ntk_factor=t_ntk_factor,
                device=device,
                dtype=dtype,
            )

        plan_key = self.plan_key
        if plan_key is None or t_ntk_factor is not None:  # a caller's own time base: not ours to change
            return original()
        fps_key = None if fps is None or isinstance(fps, (int, float)) else tuple(fps.flatten().tolist())
        key = (tuple(B_T_H_W_C), fps if fps_key is None else fps_key, str(device), plan_key)
        return self.cached_table(key, lambda: self._build(original(), B_T_H_W_C, fps, plan_key))

    def _build(self, table, B_T_H_W_C, fps, plan_key):
        changes = self.changes(plan_key)
        if not changes:
            return table
        _, T, H, W, _ = B_T_H_W_C
        table = table.clone(memory_format=torch.contiguous_format).view(T, H, W, table.shape[-3], 2, 2)
        positions = torch.arange(T, dtype=torch.float32, device=table.device)
        if fps is not None and self.fps_modulation:  # uniform fps (the module asserts it for B > 1)
            positions = positions / float(torch.as_tensor(fps).flatten()[0]) * self.base_fps
        for _, j, frequency in changes:
            angles = _broadcast(_angles(positions, frequency, table.device), 0)
            cos, sin = torch.cos(angles), torch.sin(angles)
            table[..., j, 0, 0], table[..., j, 0, 1] = cos, -sin
            table[..., j, 1, 0], table[..., j, 1, 1] = sin, cos
        return table.view(T * H * W, -1, 2, 2)


class RIFLExLTXGrid(_RewritingRope):
    """Shadows `diffusion_model.freq_grid_generator(theta, n_axes, inner_dim, device)` of an
    LTX model on a patched clone. The model's grid is [n] angular frequencies, slowest first,
    shared by t, h and w; `generate_freqs` multiplies it by the positions of every axis. For the
    video's 3-axis positions this returns [3, n] (one row per axis, which the model's code
    broadcasts the same way), the time row with the planned components. Other calls (LTX-2's
    audio and audio-video cross-attention, 1 axis) get the model's grid untouched.

    The plan is in radians per latent frame, fastest first: grid value = frequency / time_step,
    with time_step the grid units one latent frame advances (nodes/ derives it)."""

    def __init__(self, original, unchanged_axes, plan_axes, time_step: float) -> None:
        super().__init__(original, unchanged_axes, plan_axes)
        self.time_step = float(time_step)

    def changes(self, plan_key: object) -> list[tuple[int, int, float]]:
        return [change for change in super().changes(plan_key) if change[0] == 0]

    @torch.compiler.disable
    def __call__(self, theta, n_axes, inner_dim, device=None):
        grid = self.original(theta, n_axes, inner_dim, device)
        plan_key = self.plan_key
        if plan_key is None or n_axes != 3:
            return grid
        return self.cached_table((float(theta), inner_dim, str(device), plan_key), lambda: self._build(grid, plan_key))

    def _build(self, grid, plan_key):
        time_row = grid.clone()
        n = grid.shape[-1]
        for _, j, frequency in self.changes(plan_key):
            time_row[n - 1 - j] = frequency / self.time_step  # fastest first -> the grid's slowest-first order
        return torch.stack([time_row, grid, grid])
