"""The RIFLEx RoPE node: between a video model loader and the sampler."""

from __future__ import annotations

from comfy_api.latest import io

from ..riflex.limits import LIMITS, settings_problem
from ..riflex.methods import (
    DEFAULT_SAFETY_FACTOR,
    DEFAULT_TASR_SWITCH,
    DEFAULT_YARN_ALPHA,
    DEFAULT_YARN_BETA,
    METHODS,
)
from ..riflex.plan import AXES
from .compat import advanced
from .families import resolve_model, supported_families_text
from .patch import PatchSettings, install

METHOD_TOOLTIP = (
    "How positions beyond the training length are handled. riflex (recommended): slows down only the one "
    "RoPE component that makes long videos loop back to their start, so motion keeps its speed. "
    "pe: the model unchanged (loops back past ~2x). pi: squeezes all positions into the training range "
    "(slow motion). ntk: raises the RoPE base (still loops). yarn: PI for slow components, unchanged fast ones. "
    "tasr: PI on early sampling steps, NTK on late ones. loop (experimental): makes the loop-causing component "
    "turn exactly once over the video, so the clip ends where it began, for seamless loops."
)


class RIFLExRoPE(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="RIFLExRoPE",
            display_name="RIFLEx RoPE",
            category="advanced/model_patches/RIFLEx",
            description=(
                "Lets a video model generate clips longer than it was trained for (up to 2x training-free; past 2x "
                "the report warns and RIFLEx Attention Decay helps) "
                "without looping back to the start. Put it between the model loader and the sampler; the video "
                f"length is read from the latent at sampling time. Supported: {supported_families_text()}."
            ),
            inputs=[
                io.Model.Input(
                    "model",
                    tooltip="A loaded video diffusion model: Wan 2.1/2.2 (and S2V, HuMo, Animate), HunyuanVideo 1.0/1.5, "
                    "Kandinsky 5, CogVideoX 5B/1.5, Cosmos 1.0/Predict2, LTX-Video/LTX-2, or another video DiT with an "
                    "EmbedND RoPE (then set train_len).",
                ),
                io.Combo.Input("method", options=list(METHODS), default="riflex", tooltip=METHOD_TOOLTIP),
                io.Int.Input(
                    "k",
                    default=0,
                    min=LIMITS["k"][0],
                    max=LIMITS["k"][1],
                    tooltip="Which RoPE component (1 = fastest) causes the loop-back. 0 = the model's known value "
                    "(Wan 6, HunyuanVideo 4, CogVideoX 2, Cosmos 4/5; LTX: estimated). Used by riflex and loop.",
                ),
                io.Float.Input(
                    "s",
                    default=0.0,
                    min=LIMITS["s"][0],
                    max=LIMITS["s"][1],
                    step=0.05,
                    tooltip="How many times longer than training the video is. 0 = measured from the latent at "
                    "sampling time (recommended). Training-free up to 2x; past 2x quality drops without fine-tuning "
                    "or RIFLEx Attention Decay (the node warns).",
                ),
                io.Int.Input(
                    "train_len",
                    optional=True,
                    **advanced(
                        default=0,
                        min=LIMITS["train_len"][0],
                        max=LIMITS["train_len"][1],
                        tooltip="Training length in latent frames. 0 = the model's own (Wan 2.1: 21 = 81 frames, "
                        "Wan 2.2 5B: 31 = 121 frames, HunyuanVideo: 33 = 129 frames, ...: see the README). Change only "
                        "for fine-tunes or checkpoints trained longer (Kandinsky 5 10 s: 61).",
                    ),
                ),
                io.Float.Input(
                    "safety_factor",
                    optional=True,
                    **advanced(
                        default=DEFAULT_SAFETY_FACTOR,
                        min=LIMITS["safety_factor"][0],
                        max=LIMITS["safety_factor"][1],
                        step=0.01,
                        tooltip="riflex keeps the loop-causing component at this fraction of one turn over the "
                        "video, a margin against looping. 0.9 is the paper's value; allowed (0, 1].",
                    ),
                ),
                io.Float.Input(
                    "yarn_alpha",
                    optional=True,
                    **advanced(
                        default=DEFAULT_YARN_ALPHA,
                        min=LIMITS["yarn_alpha"][0],
                        max=LIMITS["yarn_alpha"][1],
                        step=0.5,
                        tooltip="yarn only: components turning fewer times than this during training are fully "
                        "interpolated. Must be below yarn_beta. Default 1 (YaRN paper).",
                    ),
                ),
                io.Float.Input(
                    "yarn_beta",
                    optional=True,
                    **advanced(
                        default=DEFAULT_YARN_BETA,
                        min=LIMITS["yarn_beta"][0],
                        max=LIMITS["yarn_beta"][1],
                        step=0.5,
                        tooltip="yarn only: components turning more times than this during training are left "
                        "unchanged. Must be above yarn_alpha. Default 32 (YaRN paper).",
                    ),
                ),
                io.Combo.Input(
                    "axes",
                    options=list(AXES),
                    default="temporal",
                    optional=True,
                    tooltip="Which position axes the method changes: temporal (longer videos, default), spatial "
                    "(larger frames than the model was trained at) or both. The paper's 'vision' NTK/YaRN are "
                    "these methods on temporal+spatial.",
                ),
                io.Float.Input(
                    "tasr_switch",
                    optional=True,
                    **advanced(
                        default=DEFAULT_TASR_SWITCH,
                        min=LIMITS["tasr_switch"][0],
                        max=LIMITS["tasr_switch"][1],
                        step=0.05,
                        tooltip="tasr only: the fraction of the sampling schedule after which it moves from PI to "
                        "NTK. Default 0.5: half the steps lay out the clip, half refine it.",
                    ),
                ),
            ],
            outputs=[io.Model.Output(tooltip="The model with the RoPE patched; the input model is unchanged.")],
            hidden=[io.Hidden.unique_id],
            # the patched model reports on this node (unique_id, kept in its wrapper): ComfyUI must not
            # hand a node the output cached for another node id with the same inputs, whose report would
            # go to that other id. (A V3 node's hidden unique_id does not enter ComfyUI's cache key.)
            not_idempotent=True,
        )

    @classmethod
    def validate_inputs(
        cls,
        model=None,
        method="riflex",
        k=0,
        s=0.0,
        train_len=0,
        safety_factor=DEFAULT_SAFETY_FACTOR,
        yarn_alpha=DEFAULT_YARN_ALPHA,
        yarn_beta=DEFAULT_YARN_BETA,
        axes="temporal",
        tasr_switch=DEFAULT_TASR_SWITCH,
    ) -> bool | str:
        # Taking an input here makes ComfyUI skip its own min/max and combo checks for it
        # (execution.py), so every declared range is checked here, from riflex/limits.py like
        # the schema. A linked input arrives as None (checked again in execute, with its value);
        # the k range needs the model's d_t and is checked in execute. The advanced inputs are
        # optional so API prompts written without them keep working; a missing required input
        # is reported by ComfyUI itself (the defaults keep this from failing with a TypeError).
        if model is not None:  # a link is None here: anything else was typed in place of one
            shown = repr(model) if len(repr(model)) <= 60 else repr(model)[:57] + "..."
            return (
                f"RIFLEx: model got the value {shown}; model takes a link from a model loader's MODEL output "
                "(UNETLoader, CheckpointLoaderSimple, ...)"
            )
        problem = settings_problem(
            dict(
                method=method,
                k=k,
                s=s,
                train_len=train_len,
                safety_factor=safety_factor,
                yarn_alpha=yarn_alpha,
                yarn_beta=yarn_beta,
                axes=axes,
                tasr_switch=tasr_switch,
            )
        )
        return problem or True

    @classmethod
    def execute(
        cls,
        model,
        method,
        k,
        s,
        train_len=0,
        safety_factor=DEFAULT_SAFETY_FACTOR,
        yarn_alpha=DEFAULT_YARN_ALPHA,
        yarn_beta=DEFAULT_YARN_BETA,
        axes="temporal",
        tasr_switch=DEFAULT_TASR_SWITCH,
    ) -> io.NodeOutput:
        # values linked from other nodes reach no validation: the same checks, now with them
        problem = settings_problem(
            dict(
                method=method,
                k=k,
                s=s,
                train_len=train_len,
                safety_factor=safety_factor,
                yarn_alpha=yarn_alpha,
                yarn_beta=yarn_beta,
                axes=axes,
                tasr_switch=tasr_switch,
            ),
            linked_none=False,
        )
        if problem:
            raise ValueError(problem)
        resolved = resolve_model(model, train_len=train_len)
        settings = PatchSettings(method, k, s, safety_factor, yarn_alpha, yarn_beta, axes, tasr_switch)
        node_id = cls.hidden.unique_id if cls.hidden is not None else None
        patched = install(model, resolved, settings, node_id=node_id)
        return io.NodeOutput(patched)
