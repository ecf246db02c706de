"""Differences between the ComfyUI versions the pack supports, found by feature detection."""

from __future__ import annotations

import inspect
import logging

import torch
from comfy_api.latest import io

log = logging.getLogger(__name__)

# 0.33 widgets accept advanced=True (folded under "advanced" in the UI); 0.8 does not.
_WIDGETS_TAKE_ADVANCED = "advanced" in inspect.signature(io.Int.Input.__init__).parameters


def advanced(**kwargs) -> dict:
    """Keyword arguments for an advanced widget, on any supported ComfyUI."""
    return {**kwargs, "advanced": True} if _WIDGETS_TAKE_ADVANCED else kwargs


def fp64_compute_device(device: torch.device) -> torch.device:
    """Where ComfyUI's own rope() computes its float64 table for tensors on `device`."""
    import comfy.model_management as mm

    if hasattr(mm, "supports_fp64"):
        return device if mm.supports_fp64(device) else torch.device("cpu")
    if mm.is_device_mps(device) or mm.is_intel_xpu() or mm.is_directml_enabled():
        return torch.device("cpu")
    return device


def send_progress_text(text: str, node_id: str | None) -> None:
    """Show `text` on the node in the editor; a no-op outside a server (scripts, tests)."""
    if node_id is None:
        return
    try:
        from server import PromptServer

        PromptServer.instance.send_progress_text(text, node_id)
    except Exception as error:  # the text is a courtesy: never fail a sampling run for it
        log.debug("RIFLEx: could not show progress text: %s", error)


def attention_override_supported() -> bool:
    """Whether ComfyUI's attention honours transformer_options["optimized_attention_override"]
    (wrap_attn in comfy/ldm/modules/attention.py; 0.8.0 and 0.33.0 both do)."""
    import comfy.ldm.modules.attention as attention

    wrap = getattr(attention, "wrap_attn", None)
    if wrap is None:
        return False
    try:
        return "optimized_attention_override" in inspect.getsource(wrap)
    except (OSError, TypeError):
        return True  # no source to read (a frozen install): wrap_attn exists, which came with the override
