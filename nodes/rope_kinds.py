"""The kinds of RoPE RIFLEx replaces, one record each (like riflex/methods.py METHODS): how to
tell that what sits at the model's RoPE path is still the model's own, and which replacement
takes its place on the patched clone.

A ResolvedModel names its kind (nodes/resolve_model.py). Every replacement is a PlannedRope
(riflex/rope_state.py: per-thread plan key, per-shape table cache, clear_tables, `original`),
so an earlier RIFLEx patch is found, and looked through, the same way for every kind.
Adding a kind = one record here, its replacement class in riflex/, and a resolver row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..riflex.embed_nd import RIFLExEmbedND
from ..riflex.errors import RIFLExError
from ..riflex.rewrite_rope import RIFLExCogVideoXRope, RIFLExCosmosRope, RIFLExLTXGrid
from ..riflex.rope_state import PlannedRope
from .compat import fp64_compute_device

__all__ = ["ROPE_KINDS", "RopeKind", "model_own_rope", "unwrap"]

# (resolved model, the model's own RoPE, its unchanged float64 frequencies per axis, plan_axes)
MakeReplacement = Callable[[object, object, tuple, Callable], PlannedRope]


@dataclass(frozen=True)
class RopeKind:
    is_own: Callable[[object], bool]  # whether this is the model's own RoPE, not another node's callable
    # the refusal when it is not, formatted with model (class name), path, type and name of what was found
    not_own: str
    replacement: MakeReplacement


def unwrap(rope):
    """What an earlier RIFLEx patch replaced (the model's own RoPE), or `rope` itself."""
    return rope.original if isinstance(rope, PlannedRope) else rope


def is_embed_nd(module, min_axes: int = 1) -> bool:
    """A Flux-style EmbedND: theta and per-axis dims (looked through an earlier RIFLEx patch)."""
    module = unwrap(module)
    axes = getattr(module, "axes_dim", None)
    return getattr(module, "theta", None) is not None and axes is not None and len(axes) >= min_axes


def _is_own_method(name: str) -> Callable[[object], bool]:
    def is_own(original) -> bool:
        owner = getattr(original, "__self__", None)
        return owner is not None and getattr(original, "__func__", None) is getattr(type(owner), name, None)

    return is_own


def _is_ltx_grid(original) -> bool:
    import comfy.ldm.lightricks.model as lightricks

    own = {getattr(lightricks, name, None) for name in ("generate_freq_grid_np", "generate_freq_grid_pytorch")}
    return original in own - {None}


def _cosmos(resolved, original, unchanged, plan_axes) -> PlannedRope:
    module = original.__self__
    return RIFLExCosmosRope(original, unchanged, plan_axes, module.base_fps, module.enable_fps_modulation)


ROPE_KINDS: dict[str, RopeKind] = {
    "embed_nd": RopeKind(
        is_embed_nd,
        "the {model} model's {path} is a {type}, not the EmbedND RoPE module RIFLEx patches",
        lambda resolved, original, unchanged, plan_axes: RIFLExEmbedND(
            original, plan_axes=plan_axes, compute_device_for=fp64_compute_device
        ),
    ),
    "cogvideox": RopeKind(
        _is_own_method("_get_rotary_emb"),
        "this CogVideoX model's _get_rotary_emb is a {type}, not the model's own method",
        lambda resolved, original, unchanged, plan_axes: RIFLExCogVideoXRope(
            original, unchanged, plan_axes, resolved.axis_positions
        ),
    ),
    "cosmos": RopeKind(
        _is_own_method("generate_embeddings"),
        "this Cosmos model's pos_embedder.generate_embeddings is a {type}, not the module's own method",
        _cosmos,
    ),
    "ltx": RopeKind(
        _is_ltx_grid,
        "this LTX model's freq_grid_generator is {name!r}, not one of LTX's own grids",
        lambda resolved, original, unchanged, plan_axes: RIFLExLTXGrid(
            original, unchanged, plan_axes, resolved.time_step
        ),
    ),
}


def model_own_rope(kind: str, rope, model_class: str, path: str):
    """The model's own RoPE found at `path` (looked through an earlier RIFLEx patch), or a
    RIFLExError when another node has put something else there."""
    original = unwrap(rope)
    record = ROPE_KINDS[kind]
    if not record.is_own(original):
        found = record.not_own.format(
            model=model_class, path=path, type=type(original).__name__, name=getattr(original, "__name__", original)
        )
        raise RIFLExError(f"RIFLEx: {found}; another node may have replaced it")
    return original
