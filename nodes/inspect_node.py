"""RIFLEx Inspect: what a method will do to a model's temporal RoPE, before sampling."""

from __future__ import annotations

import numpy as np
import torch
from comfy_api.latest import io, ui

from ..riflex.decay_plan import DEFAULT_ALPHA, DEFAULT_BETA, DecaySettings, plan_decay_for_spec
from ..riflex.decay_table import decay_to_text
from ..riflex.families import FAMILIES
from ..riflex.inspect_table import plan_to_text
from ..riflex.methods import DEFAULT_SAFETY_FACTOR, MethodParams
from ..riflex.plan import plan_temporal
from ..riflex.plot import plot_decay, plot_periods
from .resolve_model import resolve_model_or_family
from .shared_inputs import (
    decay_alpha_input,
    decay_beta_input,
    decay_window_input,
    k_input,
    method_input,
    s_input,
    safety_factor_input,
    train_len_input,
)


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
                "loop back; and what RIFLEx Attention Decay will do at that length (window, harmonic bands, first-frame "
                "anchor). The same tables as `python -m riflex inspect`, plus a plot of each."
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
                method_input(),
                k_input(tooltip="Intrinsic component; 0 = the model's known value."),
                s_input(tooltip="Extrapolation factor; 0 = length / training length."),
                io.Model.Input(
                    "model", optional=True, tooltip="Optional: a loaded video model, read for its real RoPE."
                ),
                safety_factor_input(
                    tooltip="riflex only: fraction of one turn the loop-causing component may reach (0.9 in the paper)."
                ),
                train_len_input(
                    tooltip="Training length in latent frames; 0 = the model's own (as on RIFLEx RoPE; Kandinsky 5 10 s: 61)."
                ),
                decay_alpha_input(
                    "Attention decay's alpha (RIFLEx Attention Decay), for its table and panel.",
                    name="decay_alpha",
                    optional=True,
                ),
                decay_window_input(
                    "Attention decay's window in latent frames; 0 = half the training length.",
                    name="decay_window",
                    optional=True,
                ),
                decay_beta_input(
                    "Attention decay's beta at harmonic distances; 1 = no bands.", name="decay_beta", optional=True
                ),
            ],
            outputs=[
                io.String.Output(
                    "table", tooltip="Per-component table and verdict, then the attention decay, as text."
                ),
                io.Image.Output(
                    "plot",
                    tooltip="Period of every component (log scale), before and after, with k marked; below, attention "
                    "decay's factor against frame distance.",
                ),
            ],
        )

    @classmethod
    def execute(
        cls,
        family,
        frames,
        method,
        k,
        s,
        model=None,
        safety_factor=DEFAULT_SAFETY_FACTOR,
        train_len=0,
        decay_alpha=DEFAULT_ALPHA,
        decay_window=0.0,
        decay_beta=DEFAULT_BETA,
    ) -> io.NodeOutput:
        resolved = resolve_model_or_family(model, family, train_len=train_len)
        spec = resolved.spec
        plan = plan_temporal(
            spec,
            method,
            spec.positions_from_pixel_frames(frames),
            MethodParams(k=k, s=s, safety_factor=safety_factor),
            default_k=resolved.family.default_k,
        )
        # the decay as the node would plan it after this method: bands from the frequencies it leaves
        settings = DecaySettings(decay_alpha, decay_window, decay_beta, train_len)
        decay = plan_decay_for_spec(
            settings, spec, plan.test_len, plan.freqs_after, plan.k, resolved.family.decay_anchor
        )
        table = f"{resolved.family.display_name}\n{plan_to_text(plan, resolved.family.key)}\n\n{decay_to_text(decay)}"
        periods_image, _ = plot_periods(plan)
        image = np.concatenate([periods_image, plot_decay(decay, width=periods_image.shape[1])], axis=0)
        return io.NodeOutput(table, torch.from_numpy(image)[None], ui=ui.PreviewText(table))
