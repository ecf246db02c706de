"""The RIFLEx RoPE node: between a video model loader and the sampler."""

from __future__ import annotations

from comfy_api.latest import io

from ..riflex.errors import RIFLExError
from ..riflex.limits import settings_problem
from ..riflex.methods import (
    DEFAULT_SAFETY_FACTOR,
    DEFAULT_TASR_SWITCH,
    DEFAULT_YARN_ALPHA,
    DEFAULT_YARN_BETA,
    MethodParams,
)
from ..riflex.plan import AXES
from .patch import PatchSettings, install
from .resolve_model import resolve_model, supported_families_text
from .shared_inputs import (
    k_input,
    method_input,
    method_setting_input,
    s_input,
    safety_factor_input,
    train_len_input,
)


def _settings(inputs: dict) -> dict:
    """The settings among a call's inputs (every input but the model), for riflex/limits.py."""
    return {name: value for name, value in inputs.items() if name not in ("cls", "model")}


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
                method_input(),
                k_input(),
                s_input(),
                train_len_input(),
                safety_factor_input(),
                method_setting_input(
                    "yarn_alpha",
                    0.5,
                    "yarn only: components turning fewer times than this during training are fully "
                    "interpolated. Must be below yarn_beta. Default 1 (YaRN paper).",
                ),
                method_setting_input(
                    "yarn_beta",
                    0.5,
                    "yarn only: components turning more times than this during training are left "
                    "unchanged. Must be above yarn_alpha. Default 32 (YaRN paper).",
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
                method_setting_input(
                    "tasr_switch",
                    0.05,
                    "tasr only: the fraction of the sampling schedule after which it moves from PI to "
                    "NTK. Default 0.5: half the steps lay out the clip, half refine it.",
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
        settings = _settings(locals())
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
        problem = settings_problem(settings)
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
        settings = _settings(locals())
        # values linked from other nodes reach no validation: the same checks, now with them
        problem = settings_problem(settings, linked_none=False)
        if problem:
            raise RIFLExError(problem)
        resolved = resolve_model(model, train_len=train_len)
        params = MethodParams(
            k=k, s=s, safety_factor=safety_factor, yarn_alpha=yarn_alpha, yarn_beta=yarn_beta, tasr_switch=tasr_switch
        )
        settings = PatchSettings(method=method, params=params, axes=axes)
        node_id = cls.hidden.unique_id if cls.hidden is not None else None
        patched = install(model, resolved, settings, node_id=node_id)
        return io.NodeOutput(patched)
