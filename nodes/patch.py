"""Install a RIFLEx RoPE on a clone of a ComfyUI model.

The clone gets (1) an object patch that swaps the model's RoPE for the replacement its kind
names (nodes/rope_kinds.py: a RIFLExEmbedND for an EmbedND; the rewriting callables of
riflex/rewrite_rope.py for CogVideoX's, Cosmos's and LTX's RoPE methods) and (2) two wrappers
under the key "riflex": one around each model call (APPLY_MODEL, which every model_base runs,
unlike DIFFUSION_MODEL, which only some diffusion models honour), which tells the replacement
the size of what is being sampled (from the latent itself, so shifted reference positions
cannot mislead it) and, for tasr, how far the schedule has gone; and one around each sampling
run, so what was applied is reported once per run and no table outlives it.
The input model is never touched.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

import comfy.patcher_extension as patcher_extension
from comfy.utils import get_attr

from ..riflex.methods import MethodParams
from ..riflex.plan import AXES, AxisPlan, plan_spatial, plan_temporal, schedule_fraction
from ..riflex.rope_state import PlannedRope
from .compat import send_progress_text
from .resolve_model import ResolvedModel
from .rope_kinds import ROPE_KINDS, model_own_rope

log = logging.getLogger(__name__)

WRAPPER_KEY = "riflex"
_WRAPPER_TYPES = (patcher_extension.WrappersMP.OUTER_SAMPLE, patcher_extension.WrappersMP.APPLY_MODEL)


@dataclass(frozen=True)
class PatchSettings:
    """What the node asks for: a method, its parameters as set (k = 0 and s = 0: auto) and the
    axes it changes."""

    method: str
    params: MethodParams
    axes: str = "temporal"


@dataclass
class _RunState:
    """What the wrappers share: what was last reported in this sampling run."""

    node_id: str | None
    note: str = ""
    reported_keys: set = field(default_factory=set)  # each plan is reported once per sampling run


def make_planner(resolved: ResolvedModel, settings: PatchSettings):
    """(positions per axis, late in the schedule) -> one plan per changed axis (None for an
    axis left alone), validated and cached."""
    spec, changed_axes = resolved.spec, AXES[settings.axes]

    @lru_cache(maxsize=32)
    def plans_for(positions: tuple[int, int, int], late: bool) -> tuple[AxisPlan | None, ...]:
        params = dataclasses.replace(settings.params, schedule_fraction=1.0 if late else 0.0)
        plans = []
        for axis in range(len(spec.axes_dims)):
            if axis not in changed_axes:
                plans.append(None)
            elif axis == 0:
                plans.append(
                    plan_temporal(spec, settings.method, positions[0], params, default_k=resolved.family.default_k)
                )
            else:
                plans.append(plan_spatial(spec, axis, positions[axis], settings.method, params))
        return tuple(plans)

    return plans_for


def plans_report(plans, family_key: str) -> str:
    """The line shown on the node and logged: each changed axis's plan summary."""
    return " | ".join(plan.summary(family_key if plan.axis == 0 else "") for plan in plans if plan is not None)


def install(model, resolved: ResolvedModel, settings: PatchSettings, node_id: str | None = None):
    """A clone of `model` with the RIFLEx RoPE installed. Raises RIFLExError (and returns
    nothing) when the settings are invalid for this model, so the model is never half-patched."""
    plans_for = make_planner(resolved, settings)
    spec = resolved.spec
    at_training = (spec.train_len, *(spec.spatial_train_len or (1, 1)))
    for late in (False, True):  # validates k, s, axes, ... against this model before sampling
        plans_for(at_training, late)
    unchanged = tuple(spec.axis_freqs(axis) for axis in range(len(spec.axes_dims)))

    def plan_axes(key):
        plans = plans_for(*key)
        return tuple(plan.freqs_after if plan is not None else unchanged[axis] for axis, plan in enumerate(plans))

    original = model.get_model_object(resolved.rope_path)
    replaced_earlier = isinstance(original, PlannedRope)
    replacements = weakref.WeakSet()  # this node's replacement, and one per deep clone of the model

    kind = ROPE_KINDS[resolved.kind]

    def make_replacement(model_rope, model_class: str):
        original = model_own_rope(resolved.kind, model_rope, model_class, resolved.rope_path)
        replacement = kind.replacement(resolved, original, unchanged, plan_axes)
        # what attention decay on the same model reads to derive its harmonic bands from the
        # frequencies in use: the temporal plan for a latent's shape (None when time is left alone)
        replacement.temporal_plan = lambda latent_shape: plans_for(resolved.positions(latent_shape), False)[0]
        replacements.add(replacement)
        return replacement

    replacement = make_replacement(original, type(model.model).__name__)
    state = _RunState(node_id, note=" (replaces an earlier RIFLEx RoPE in the chain)" if replaced_earlier else "")
    tasr = settings.method == "tasr"

    def outer_sample_wrapper(executor, *args, **kwargs):
        state.reported_keys = set()
        try:
            return executor(*args, **kwargs)
        finally:
            # tables live only while sampling: none stays in (GPU) memory between runs
            for rope in list(replacements):
                rope.clear_tables()

    def apply_model_wrapper(executor, *args, **kwargs):
        latent = args[0] if args else kwargs["x"]
        options = _transformer_options(args, kwargs)
        positions = resolved.positions(latent.shape, options.get("rope_options"))
        late = tasr and _late_in_schedule(options, settings.params.tasr_switch)
        key = (positions, late)
        if key not in state.reported_keys:
            state.reported_keys.add(key)
            plans = plans_for(*key)
            text = plans_report(plans, resolved.family.key) + state.note
            # a warning past 2x the training length or for a k that turns within training
            # (riflex/length_zones.py, AxisPlan.k_warning): the same cases the line itself flags
            worried = any(p is not None and (p.k_warning() or p.warns_on_length) for p in plans)
            (log.warning if worried else log.info)("%s", text)
            send_progress_text(text, state.node_id)
        # the replacement installed on the model this call runs on (a deep clone on another
        # device has its own), keyed for this thread only: calls in other threads never see it
        rope = _installed_rope(executor, resolved.rope_path)
        if rope is None:
            return executor(*args, **kwargs)
        rope.plan_key = key
        try:
            return executor(*args, **kwargs)
        finally:
            rope.plan_key = None

    def rebind_on_deepclone(source, deep_clone):
        """MultiGPU's deep clone loads a fresh model for another device and copies the object
        patches: give it a replacement of its own, bound to its own module's RoPE."""
        deep_clone.add_object_patch(
            resolved.rope_path,
            make_replacement(get_attr(deep_clone.model, resolved.rope_path), type(deep_clone.model).__name__),
        )

    patched = model.clone()
    for wrapper_type in _WRAPPER_TYPES:
        patched.remove_wrappers_with_key(wrapper_type, WRAPPER_KEY)  # chaining replaces, never stacks
    patched.add_wrapper_with_key(patcher_extension.WrappersMP.OUTER_SAMPLE, WRAPPER_KEY, outer_sample_wrapper)
    patched.add_wrapper_with_key(patcher_extension.WrappersMP.APPLY_MODEL, WRAPPER_KEY, apply_model_wrapper)
    if hasattr(patcher_extension.CallbacksMP, "ON_DEEPCLONE_MULTIGPU"):  # 0.8 has no MultiGPU
        callback = patcher_extension.CallbacksMP.ON_DEEPCLONE_MULTIGPU
        patched.remove_callbacks_with_key(callback, WRAPPER_KEY)
        patched.add_callback_with_key(callback, WRAPPER_KEY, rebind_on_deepclone)
    patched.add_object_patch(resolved.rope_path, replacement)
    if replaced_earlier:
        log.info("RIFLEx: this RIFLEx RoPE replaces an earlier one in the chain (they do not stack)")
    return patched


def _installed_rope(executor, rope_path: str) -> PlannedRope | None:
    """The RIFLEx replacement at rope_path on the model an APPLY_MODEL call runs on, if any."""
    try:
        rope = get_attr(executor.class_obj, rope_path)
    except AttributeError:
        return None
    return rope if isinstance(rope, PlannedRope) else None


def _transformer_options(args, kwargs) -> dict:
    """The transformer options ComfyUI hands every model call: apply_model(x, t, c_concat,
    c_crossattn, control, transformer_options, ...)."""
    options = kwargs.get("transformer_options")
    if options is None:
        options = args[5] if len(args) > 5 and isinstance(args[5], dict) else {}
    return options


def _late_in_schedule(options: dict, switch: float) -> bool:
    """Whether this model call is past the tasr switch point of its sampling run, from the
    current and all sigmas in the transformer options."""
    sigmas, current = options.get("sample_sigmas"), options.get("sigmas")
    if sigmas is None or current is None:
        return False
    return schedule_fraction(float(current.flatten()[0]), [float(s) for s in sigmas]) >= switch
