"""The RIFLEx Attention Decay (UltraViCo) node: between a video model loader and the sampler,
in either order with RIFLEx RoPE."""

from __future__ import annotations

import math

from comfy_api.latest import io

from ..riflex.decay_plan import ANCHOR_CHOICES, DEFAULT_ALPHA, DEFAULT_BETA, DecaySettings
from ..riflex.errors import RIFLExError
from ..riflex.limits import DECAY_LIMITS
from .compat import advanced, attention_override_supported
from .decay_layouts import layout_for
from .decay_patch import install
from .resolve_model import resolve_model
from .shared_inputs import decay_alpha_input, decay_beta_input, decay_window_input, train_len_input

MAX_WINDOW = DECAY_LIMITS["window"][1]
MAX_TRAIN_LEN = DECAY_LIMITS["train_len"][1]


class RIFLExAttentionDecay(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="RIFLExAttentionDecay",
            display_name="RIFLEx Attention Decay (UltraViCo)",
            category="advanced/model_patches/RIFLEx",
            description=(
                "For videos 3-4x longer than the model was trained for: shrinks the attention between frames farther "
                "apart than training ever showed (UltraViCo, ICLR 2026), so quality holds past 2x. Chain it with "
                "RIFLEx RoPE in either order. Nothing changes within the training length. Supported: Wan 2.1/2.2 "
                "(and S2V, HuMo, Animate) and HunyuanVideo 1.0/1.5."
            ),
            inputs=[
                io.Model.Input("model", tooltip="A loaded Wan or HunyuanVideo model (RIFLEx RoPE before or after)."),
                decay_alpha_input(
                    "The factor on positive attention logits between frames farther apart than the window "
                    "(negative ones stay). 0.9 is the paper's value; 1 = off; allowed (0, 1]."
                ),
                decay_window_input(
                    "Frames (latent) within which attention is left alone. 0 = half the training length "
                    "(Wan 2.1: 10.5, HunyuanVideo: 16.5), the paper's choice."
                ),
                decay_beta_input(
                    "The stronger factor at harmonic distances, where the fast RoPE components come back in "
                    "phase and a far frame looks near (HunyuanVideo: about 50, 100, ... frames; Wan has none). 0.6 "
                    "is the paper's value; 1 = no bands; allowed (0, 1]."
                ),
                train_len_input(
                    "Training length in latent frames. 0 = the model's own (Wan 2.1: 21, HunyuanVideo: "
                    "33). Change only for fine-tunes trained longer."
                ),
                io.Combo.Input(
                    "anchor_first_frame",
                    options=list(ANCHOR_CHOICES),
                    default="auto",
                    optional=True,
                    **advanced(
                        tooltip="Whether the first frame attends only to frames within the training length, which "
                        "keeps it steady. auto = the paper's choice per family: on for Wan, off for HunyuanVideo."
                    ),
                ),
            ],
            outputs=[io.Model.Output(tooltip="The model with attention decay; the input model is unchanged.")],
            hidden=[io.Hidden.unique_id],
            # the patched model reports on this node: see RIFLExRoPE
            not_idempotent=True,
        )

    @classmethod
    def validate_inputs(
        cls, alpha=DEFAULT_ALPHA, window=0.0, beta=DEFAULT_BETA, train_len=0, anchor_first_frame="auto"
    ):
        # ComfyUI skips its own min/max checks for inputs validate_inputs takes: every range is checked here
        for name, value in (("alpha", alpha), ("window", window), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"RIFLEx: {name} = {value!r} is not a number"
        if isinstance(train_len, bool) or not isinstance(train_len, int) or not 0 <= train_len <= MAX_TRAIN_LEN:
            return f"RIFLEx: train_len = {train_len!r} is not allowed; use 0 (the model's own) or 1..{MAX_TRAIN_LEN}"
        if not (math.isfinite(window) and window <= MAX_WINDOW):
            return (
                f"RIFLEx: window = {window!r} is not allowed; use 0 (half the training length) or up to {MAX_WINDOW:g}"
            )
        if not isinstance(anchor_first_frame, str):
            return (
                f"RIFLEx: anchor_first_frame = {anchor_first_frame!r} is unknown; allowed: {', '.join(ANCHOR_CHOICES)}"
            )
        try:
            DecaySettings(float(alpha), float(window), float(beta), train_len, anchor_first_frame).validate()
        except RIFLExError as error:
            return str(error)
        return True

    @classmethod
    def execute(cls, model, alpha, window, beta, train_len=0, anchor_first_frame="auto") -> io.NodeOutput:
        if not attention_override_supported():
            raise RuntimeError(
                "RIFLEx: this ComfyUI's attention has no optimized_attention_override (transformer_options), which "
                "attention decay needs; update ComfyUI (0.8.0 or newer has it)"
            )
        resolved = resolve_model(model, train_len=train_len)
        layout = layout_for(model, resolved)
        settings = DecaySettings(float(alpha), float(window), float(beta), train_len, anchor_first_frame)
        node_id = cls.hidden.unique_id if cls.hidden is not None else None
        return io.NodeOutput(install(model, resolved, layout, settings, node_id=node_id))
