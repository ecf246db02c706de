"""A drop-in replacement for a Flux-style `EmbedND` RoPE module with chosen frequencies.

ComfyUI's Wan, HunyuanVideo and Kandinsky models call `EmbedND(ids)` with ids [B, L, n_axes]
and get back [B, 1, L, dim/2, 2, 2] = [[cos, -sin], [sin, cos]] per component ("Flux layout"),
which ComfyUI's attention kernels apply. This module returns exactly that layout, computed
exactly as `comfy.ldm.flux.math.rope` does (float32 positions times float64 frequencies, cast
to float32 at the end), so any component we leave alone is bit-identical to the model's own.

Pure torch: the ComfyUI-specific bits (which device can do float64, where the real video
length comes from) are handed in by nodes/.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch
from torch import nn

from .rope_state import TABLE_CACHE_SIZE, PlannedRope

log = logging.getLogger(__name__)

__all__ = ["TABLE_CACHE_SIZE", "RIFLExEmbedND", "flux_rope"]


def flux_rope(pos: torch.Tensor, axis_freqs: torch.Tensor, compute_device: torch.device) -> torch.Tensor:
    """[..., N] positions x [d/2] float64 frequencies -> [..., N, d/2, 2, 2] float32 (Flux layout)."""
    angles = torch.einsum("...n,d->...nd", pos.to(dtype=torch.float32, device=compute_device), axis_freqs)
    cos, sin = torch.cos(angles), torch.sin(angles)
    out = torch.stack([cos, -sin, sin, cos], dim=-1).reshape(*angles.shape, 2, 2)
    return out.to(dtype=torch.float32, device=pos.device)


def _model_frequencies(theta: float, dim: int, device: torch.device) -> torch.Tensor:
    # The same expression, on the same device, as comfy.ldm.flux.math.rope: float64 pow can
    # differ by an ulp between CPU and GPU, and unchanged components must match exactly.
    scale = torch.linspace(0, (dim - 2) / dim, steps=dim // 2, dtype=torch.float64, device=device)
    return 1.0 / (theta**scale)


class RIFLExEmbedND(PlannedRope, nn.Module):
    """Replaces an EmbedND; frequencies depend on the video length being sampled.

    `plan_axes(plan_key)` returns the float64 frequencies of every axis (CPU) for what is being
    sampled; `plan_key` (hashable: the sizes per axis, the phase of the schedule, ...) is set by
    the sampler-side wrapper before each model call (nodes/). When it is unknown (the model
    called outside a sampling run) the module behaves exactly like the original.
    """

    def __init__(
        self,
        original: nn.Module,
        plan_axes: Callable[[object], tuple[torch.Tensor, ...]],
        compute_device_for: Callable[[torch.device], torch.device] | None = None,
    ) -> None:
        super().__init__()
        # Not a registered submodule: the original stays owned by the diffusion model.
        object.__setattr__(self, "original", original)
        self.dim = original.dim
        self.theta = original.theta
        self.axes_dim = list(original.axes_dim)
        self.plan_axes = plan_axes
        self.compute_device_for = compute_device_for or (lambda device: device)
        self._init_state()

    def _init_state(self) -> None:
        super()._init_state()
        object.__setattr__(self, "_freqs", {})  # float64 frequencies per (plan key, device)

    def axis_frequencies_on(self, plan_key: object, device: torch.device) -> tuple[torch.Tensor, ...]:
        """Per-axis float64 frequencies on `device`, computed once per (plan_key, device)."""
        key = (plan_key, device)
        with self._lock:
            known = self._freqs.get(key)
        if known is not None:
            return known
        freqs = self._frequencies(plan_key, device)
        with self._lock:
            if len(self._freqs) >= 16:
                self._freqs.clear()
            self._freqs[key] = freqs
        return freqs

    def _frequencies(self, plan_key: object, device: torch.device) -> tuple[torch.Tensor, ...]:
        planned_axes = self.plan_axes(plan_key)
        result = []
        for dim, planned in zip(self.axes_dim, planned_axes, strict=True):
            model_freqs = _model_frequencies(self.theta, dim, device)
            unchanged = planned == _model_frequencies(self.theta, dim, torch.device("cpu"))
            result.append(torch.where(unchanged.to(device), model_freqs, planned.to(device)))
        return tuple(result)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self._rope(ids)

    @torch.compiler.disable
    def _rope(self, ids: torch.Tensor) -> torch.Tensor:
        """The model's own table outside a sampling call; else the planned table for these ids,
        built once per (shape, dtype, device, plan key). Python planning and a per-thread key
        that torch.compile must not trace: a compiled model calls this as it is."""
        plan_key = self.plan_key
        if plan_key is None:
            return self.original(ids)

        def build():
            compute_device = self.compute_device_for(ids.device)
            freqs = self.axis_frequencies_on(plan_key, compute_device)
            table = torch.cat(
                [flux_rope(ids[..., i], freqs[i], compute_device) for i in range(ids.shape[-1])], dim=-3
            ).unsqueeze(1)
            return ids.clone(), table

        # The same shape can carry other positions (a reference latent at t = -1, a shifted
        # t_start): reuse a table only for the very same ids.
        key = (tuple(ids.shape), ids.dtype, ids.device, plan_key)
        return self.cached_table(key, build, valid=lambda cached: torch.equal(cached[0], ids))[1]
