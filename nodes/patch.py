"""Install a RIFLEx RoPE on a clone of a ComfyUI model.

The clone gets (1) an object patch that swaps the model's EmbedND for a RIFLExEmbedND and
(2) two wrappers under the key "riflex": one around each diffusion-model call, which tells
the module how many latent frames are being sampled (from the latent itself, so shifted
reference positions cannot mislead it), and one around each sampling run, so what was
applied is reported once per run. The input model is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import comfy.patcher_extension as patcher_extension

from ..riflex.embed_nd import RIFLExEmbedND
from ..riflex.frequencies import axis_frequencies
from ..riflex.plan import TemporalPlan, plan_temporal
from .compat import fp64_compute_device, send_progress_text
from .families import ResolvedModel

log = logging.getLogger(__name__)

WRAPPER_KEY = "riflex"


@dataclass
class PatchSettings:
    method: str
    k: int
    s: float
    safety_factor: float
    yarn_alpha: float
    yarn_beta: float


@dataclass
class _RunState:
    """What the wrappers share: the length last reported in this sampling run."""

    node_id: str | None
    note: str = ""
    reported_len: int | None = None


def make_planner(resolved: ResolvedModel, settings: PatchSettings):
    """test_len -> TemporalPlan, validated and cached (one entry per length seen)."""
    spec = resolved.spec

    @lru_cache(maxsize=16)
    def plan_for(test_len: int) -> TemporalPlan:
        return plan_temporal(
            spec,
            settings.method,
            test_len,
            k=settings.k,
            s=settings.s,
            safety_factor=settings.safety_factor,
            yarn_alpha=settings.yarn_alpha,
            yarn_beta=settings.yarn_beta,
            default_k=resolved.family.default_k,
        )

    return plan_for


def install(model, resolved: ResolvedModel, settings: PatchSettings, node_id: str | None = None):
    """A clone of `model` with the RIFLEx RoPE installed. Raises ValueError (and returns
    nothing) when the settings are invalid for this model, so the model is never half-patched."""
    plan_for = make_planner(resolved, settings)
    plan_for(resolved.spec.train_len)  # validates k, s, ... against this model before sampling
    spec = resolved.spec
    spatial = tuple(axis_frequencies(spec.theta, dim) for dim in spec.axes_dims[1:])

    original = model.get_model_object(resolved.rope_path)
    replaced_earlier = isinstance(original, RIFLExEmbedND)
    original = getattr(original, "original", original)
    embedder = RIFLExEmbedND(
        original,
        plan_axes=lambda test_len: (plan_for(test_len).freqs_after, *spatial),
        compute_device_for=fp64_compute_device,
    )
    state = _RunState(node_id, note=" (replaces an earlier RIFLEx RoPE in the chain)" if replaced_earlier else "")

    def outer_sample_wrapper(executor, *args, **kwargs):
        state.reported_len = None
        try:
            return executor(*args, **kwargs)
        finally:
            # tables live only while sampling: none stays in (GPU) memory between runs
            embedder.clear_tables()

    def diffusion_model_wrapper(executor, *args, **kwargs):
        latent = args[0] if args else kwargs["x"]
        test_len = spec.positions_from_latent_frames(int(latent.shape[2]))
        if state.reported_len != test_len:
            state.reported_len = test_len
            plan = plan_for(test_len)
            text = plan.summary(resolved.family.key) + state.note
            (log.warning if plan.s > 3 else log.info)("%s", text)
            send_progress_text(text, state.node_id)
        embedder.test_len = test_len
        try:
            return executor(*args, **kwargs)
        finally:
            embedder.test_len = None

    patched = model.clone()
    for wrapper_type in (patcher_extension.WrappersMP.OUTER_SAMPLE, patcher_extension.WrappersMP.DIFFUSION_MODEL):
        patched.remove_wrappers_with_key(wrapper_type, WRAPPER_KEY)  # chaining replaces, never stacks
    patched.add_wrapper_with_key(patcher_extension.WrappersMP.OUTER_SAMPLE, WRAPPER_KEY, outer_sample_wrapper)
    patched.add_wrapper_with_key(patcher_extension.WrappersMP.DIFFUSION_MODEL, WRAPPER_KEY, diffusion_model_wrapper)
    patched.add_object_patch(resolved.rope_path, embedder)
    if replaced_earlier:
        log.info("RIFLEx: this RIFLEx RoPE replaces an earlier one in the chain (they do not stack)")
    return patched
