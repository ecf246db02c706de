"""RIFLEx Inspect: what a method will do to a model's temporal RoPE, before sampling."""

from __future__ import annotations

import torch
from comfy_api.latest import io, ui

from ..riflex.families import FAMILIES
from ..riflex.inspect_table import plan_to_text
from ..riflex.methods import DEFAULT_SAFETY_FACTOR, METHODS
from ..riflex.plan import plan_temporal
from ..riflex.plot import plot_periods
from .compat import advanced
from .families import resolve_model_or_family
from .rope_node import METHOD_TOOLTIP


class RIFLExInspect(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="RIFLExInspect",
            display_name="RIFLEx Inspect",
            category="advanced/model_patches/RIFLEx",
            description=(
                "Shows, for a video length, every temporal RoPE component of the model: its period, how often it "
                "turns during training and over your video, what the method changes, and whether the video will "
                "loop back. The same table as `python -m riflex inspect`, plus a plot."
            ),
            is_output_node=True,
            inputs=[
                io.Combo.Input(
                    "family",
                    options=list(FAMILIES),
                    default="wan21",
                    tooltip="The model family to inspect when no model is connected (a connected model wins).",
                ),
                io.Int.Input(
                    "frames",
                    default=161,
                    min=1,
                    max=10000,
                    step=4,
                    tooltip="Video length in frames (pixel frames, as in the latent node's length).",
                ),
                io.Combo.Input("method", options=list(METHODS), default="riflex", tooltip=METHOD_TOOLTIP),
                io.Int.Input(
                    "k", default=0, min=0, max=64, tooltip="Intrinsic component; 0 = the model's known value."
                ),
                io.Float.Input(
                    "s",
                    default=0.0,
                    min=0.0,
                    max=16.0,
                    step=0.05,
                    tooltip="Extrapolation factor; 0 = length / training length.",
                ),
                io.Model.Input(
                    "model", optional=True, tooltip="Optional: a loaded video model, read for its real RoPE."
                ),
                io.Float.Input(
                    "safety_factor",
                    optional=True,
                    **advanced(
                        default=DEFAULT_SAFETY_FACTOR,
                        min=0.01,
                        max=1.0,
                        step=0.01,
                        tooltip="riflex only: fraction of one turn the loop-causing component may reach (0.9 in the paper).",
                    ),
                ),
            ],
            outputs=[
                io.String.Output("table", tooltip="Per-component table and verdict, as text."),
                io.Image.Output(
                    "plot", tooltip="Period of every component (log scale), before and after, with k marked."
                ),
            ],
        )

    @classmethod
    def execute(cls, family, frames, method, k, s, model=None, safety_factor=DEFAULT_SAFETY_FACTOR) -> io.NodeOutput:
        resolved = resolve_model_or_family(model, family)
        spec = resolved.spec
        plan = plan_temporal(
            spec,
            method,
            spec.positions_from_pixel_frames(frames),
            k=k,
            s=s,
            safety_factor=safety_factor,
            default_k=resolved.family.default_k,
        )
        table = f"{resolved.family.display_name}\n{plan_to_text(plan)}"
        image, _ = plot_periods(plan)
        return io.NodeOutput(table, torch.from_numpy(image)[None], ui=ui.PreviewText(table))
