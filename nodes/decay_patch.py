"""Install attention decay on a clone of a ComfyUI model.

ComfyUI runs every attention through `optimized_attention`, whose wrapper (wrap_attn in
comfy/ldm/modules/attention.py, 0.8.0 and 0.33.0 alike) hands the call to
transformer_options["optimized_attention_override"] when one is set. The clone gets one
APPLY_MODEL wrapper (key "riflex_decay") that, for each model call on a latent longer than
the training length, plans the decay for that latent's shape (cached) and passes the model a
copy of its transformer options whose override routes the video's self-attention through
riflex/decay_attention.py and hands every other call, unchanged, to the override that was
there before (another node's) or to ComfyUI's own function. Nothing is shared between calls
but immutable plans, so clones sampled at once from several threads (MultiGPU) cannot see
each other's latent. Within the training length the model is called exactly as without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

import comfy.patcher_extension as patcher_extension
import torch

from ..riflex.decay_attention import VideoTokens, attention_with_decay
from ..riflex.decay_flex import fastest_decayed_rows
from ..riflex.decay_plan import DecayPlan, DecaySettings, plan_decay_for_spec
from .compat import send_progress_text
from .decay_layouts import DecayLayout
from .patch import _transformer_options
from .resolve_model import ResolvedModel

log = logging.getLogger(__name__)

DECAY_WRAPPER_KEY = "riflex_decay"
OVERRIDE_KEY = "optimized_attention_override"


@dataclass(frozen=True)
class DecayOverride:
    """An optimized_attention_override for one model call: (func, q, k, v, heads, ...). One is
    made per model call, so `seen_blocks` (which blocks' self-attention came already) is never
    shared between calls or threads."""

    plan: DecayPlan
    layout: DecayLayout
    grid: tuple[int, int, int]  # time positions, h and w patches of the latent being sampled
    extra: tuple  # what the layout needs from the call's conditioning (reference tokens, ...)
    previous: object = None  # another node's override, kept for every call this one leaves alone
    on_compiled: object = None  # called with the seconds a FlexAttention kernel took to compile
    seen_blocks: set = field(default_factory=set)

    def rows(self, q, k, v, plan, video, scale, mask):
        return fastest_decayed_rows(q, k, v, plan, video, scale, mask, on_compiled=self.on_compiled)

    def video_in(self, q, k, options: dict, skip_reshape: bool) -> VideoTokens | None:
        seq_q, seq_k = (q.shape[2], k.shape[2]) if skip_reshape else (q.shape[1], k.shape[1])
        if q.ndim != (4 if skip_reshape else 3) or seq_q != seq_k:
            return None
        video = self.layout.video_tokens(self.grid, seq_q, self.extra)
        if video is None or not self.layout.is_video_self_attention(options, self.seen_blocks):
            return None
        return video

    def __call__(self, func, *args, **kwargs):
        q, k, v = args[:3]
        skip_reshape = kwargs.get("skip_reshape", False)
        video = self.video_in(q, k, kwargs.get("transformer_options") or {}, skip_reshape)
        passthrough = func if self.previous is None else _chained(self.previous, func)
        if video is None:
            return passthrough(*args, **kwargs)
        heads = args[3] if len(args) > 3 else kwargs.pop("heads")
        mask = args[4] if len(args) > 4 else kwargs.pop("mask", None)
        kwargs.pop("skip_reshape", None)
        skip_output_reshape = kwargs.pop("skip_output_reshape", False)
        return _exact_decay(
            passthrough,
            q,
            k,
            v,
            heads,
            self.plan,
            video,
            mask=mask,
            skip_reshape=skip_reshape,
            skip_output_reshape=skip_output_reshape,
            rows=self.rows,
            **kwargs,
        )


@torch.compiler.disable
def _exact_decay(*args, **kwargs):
    """The exact block path, run as it is inside a compiled model: its per-block Python (query
    blocks, key-frame runs) is not something torch.compile should unroll into a graph."""
    return attention_with_decay(*args, **kwargs)


def compile_note(seconds: float) -> str:
    return f"FlexAttention kernel compiled in {seconds:.1f} s (once per latent shape; reused on every later step)"


def _chained(previous, func):
    def call(*args, **kwargs):
        return previous(func, *args, **kwargs)

    return call


@dataclass
class _RunState:
    """What was reported in this sampling run (per clone; only report keys): each plan once per
    run, even when the length alternates between model calls (context windows on ComfyUI 0.33
    give every window after the first one more frame, so 62, 63, 62, 63, ... every step)."""

    node_id: str | None
    reported_keys: set = field(default_factory=set)


def install(model, resolved: ResolvedModel, layout: DecayLayout, settings: DecaySettings, node_id: str | None = None):
    """A clone of `model` with attention decay installed. Raises RIFLExError (the model untouched)
    when the settings are invalid."""
    settings.validate()
    spec = resolved.spec

    @lru_cache(maxsize=16)
    def plan_for(positions: int, freqs: tuple[float, ...], k: int) -> DecayPlan:
        import torch

        freqs_tensor = torch.tensor(freqs, dtype=torch.float64)
        return plan_decay_for_spec(settings, spec, positions, freqs_tensor, k, resolved.family.decay_anchor)

    own_freqs = tuple(spec.axis_freqs(0).tolist())
    train_len = plan_for(spec.train_len, own_freqs, resolved.family.default_k).train_len  # validates now
    state = _RunState(node_id)

    def outer_sample_wrapper(executor, *args, **kwargs):
        state.reported_keys = set()
        return executor(*args, **kwargs)

    def apply_model_wrapper(executor, *args, **kwargs):
        latent = args[0] if args else kwargs["x"]
        options = _transformer_options(args, kwargs)
        grid = tuple(-(-int(size) // patch) for size, patch in zip(latent.shape[2:5], resolved.patch_size, strict=True))
        if grid[0] - spec.reference_frames <= train_len:  # within the training length: as without the node
            return executor(*args, **kwargs)
        freqs, k = _temporal_rope_in_use(executor, resolved, latent.shape, own_freqs)
        plan = plan_for(grid[0], freqs, k)
        key = (grid[0], freqs, k)
        if key not in state.reported_keys:
            state.reported_keys.add(key)
            text = plan.summary(resolved.family.key)
            (log.warning if plan.frames > 4 * train_len else log.info)("%s", text)
            send_progress_text(text, state.node_id)

        def on_compiled(seconds: float, plan: DecayPlan = plan) -> None:
            # once per (shape, dtype, device) in the process: the first step pays it, later ones reuse the kernel
            send_progress_text(f"{plan.summary(resolved.family.key)}\n{compile_note(seconds)}", state.node_id)

        override = DecayOverride(
            plan, layout, grid, layout.extra_from(kwargs), options.get(OVERRIDE_KEY), on_compiled=on_compiled
        )
        new_options = {**options, OVERRIDE_KEY: override}
        if "transformer_options" in kwargs or len(args) <= 5:
            return executor(*args, **{**kwargs, "transformer_options": new_options})
        return executor(*args[:5], new_options, *args[6:], **kwargs)

    patched = model.clone()
    for wrapper_type in (patcher_extension.WrappersMP.OUTER_SAMPLE, patcher_extension.WrappersMP.APPLY_MODEL):
        patched.remove_wrappers_with_key(wrapper_type, DECAY_WRAPPER_KEY)  # chaining replaces, never stacks
    patched.add_wrapper_with_key(patcher_extension.WrappersMP.OUTER_SAMPLE, DECAY_WRAPPER_KEY, outer_sample_wrapper)
    patched.add_wrapper_with_key(patcher_extension.WrappersMP.APPLY_MODEL, DECAY_WRAPPER_KEY, apply_model_wrapper)
    return patched


def _temporal_rope_in_use(executor, resolved: ResolvedModel, latent_shape, own_freqs) -> tuple[tuple[float, ...], int]:
    """The temporal frequencies the model uses for this latent, and its intrinsic k: those a
    RIFLEx RoPE on the same model planned (its replacement sits at the RoPE path while the
    model samples), else the model's own."""
    from comfy.utils import get_attr

    try:
        rope = get_attr(executor.class_obj, resolved.rope_path)
    except AttributeError:
        rope = None
    planner = getattr(rope, "temporal_plan", None)
    if planner is not None:
        plan = planner(latent_shape)
        if plan is not None:
            return tuple(plan.freqs_after.tolist()), plan.k
    return own_freqs, resolved.family.default_k
