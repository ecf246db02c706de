"""Resolve a loaded ComfyUI model to what RIFLEx patches: its family, where its RoPE lives
(an EmbedND module for most; a method for CogVideoX, Cosmos and LTX, found by their resolvers
below), its RopeSpec and how its positions relate to the latent.

Resolution is by the exact `model_base` class of the loaded model, in one table
(MODEL_CLASSES). Subclasses not in the table (Wan SCAIL, Animate 2, ...) are not assumed to
share their parent's training length: they take the generic path, which asks the user for
train_len. Image models are refused by their latent format. Theta and the per-axis dims are
always read from the model's own module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ..riflex.errors import RIFLExError
from ..riflex.families import FAMILIES, Family, generic_family, get_family
from ..riflex.ltx_time import ltx_temporal_freqs, ltx_time_step
from ..riflex.rewrite_rope import cogvideox_axes_dims, cosmos_axes_dims
from ..riflex.spec import RopeSpec
from .rope_kinds import is_embed_nd, model_own_rope

__all__ = ["MODEL_CLASSES", "ModelClass", "ResolvedModel", "resolve_model", "supported_families_text"]

# where other Flux-style video DiTs keep their EmbedND, for the generic path (train_len given)
GENERIC_ROPE_PATHS = (
    "diffusion_model.rope_embedder",
    "diffusion_model.pe_embedder",
    "diffusion_model.rope_embedder_3d",
)


def supported_families_text() -> str:
    return "; ".join(family.display_name for family in FAMILIES.values())


# (latent height, latent width, the call's rope_options or None) -> how many patches one step
# of the h and w positions spans; None = one step per patch
SpatialScale = Callable[[int, int, dict | None], tuple[float, float]]


@dataclass(frozen=True)
class ResolvedModel:
    family: Family
    rope_path: str
    spec: RopeSpec
    patch_size: tuple[int, int, int] = (1, 2, 2)  # latent cells per RoPE position (t, h, w)
    spatial_scale: SpatialScale | None = None
    # what rope_path holds, a key of nodes/rope_kinds.py ROPE_KINDS: "embed_nd" (a Flux-style
    # EmbedND module), "cogvideox" (the _get_rotary_emb method, with the positions it uses per
    # axis for (h, w, t)), "cosmos" (pos_embedder.generate_embeddings) or "ltx" (the
    # freq_grid_generator shared by t, h, w)
    kind: str = "embed_nd"
    axis_positions: Callable | None = None
    time_step: float = 1.0  # LTX: grid units one latent frame advances in time

    def positions(self, latent_shape, rope_options: dict | None = None) -> tuple:
        """The extent of each RoPE axis for a latent [B, C, T, H, W], in the position units the
        module really sees: whole patches (ComfyUI pads to them), except where the model spaces
        its spatial positions more closely (Kandinsky 5: (n - 1) / 2 + 1)."""
        counts = tuple(-(-int(size) // patch) for size, patch in zip(latent_shape[2:5], self.patch_size, strict=True))
        if self.spatial_scale is None:
            return counts
        scale_h, scale_w = self.spatial_scale(int(latent_shape[3]), int(latent_shape[4]), rope_options)
        return (counts[0], _scaled_extent(counts[1], scale_h), _scaled_extent(counts[2], scale_w))


def _scaled_extent(patches: int, scale: float) -> float | int:
    extent = (patches - 1) / scale + 1
    return int(extent) if extent == int(extent) else extent


def _kandinsky_spatial_scale(diffusion_model) -> SpatialScale:
    """Kandinsky 5's rope_encode_3d divides the h and w positions by rope_scale_factor (2 as
    built; the 19B Pro model (width 4096) uses 3.16 from 14080 latent pixels up), and skips
    that when rope_options are present (core ScaleROPE: its own scales then apply, which
    RIFLEx leaves to ScaleROPE as for every model)."""
    factors = tuple(float(f) for f in getattr(diffusion_model, "rope_scale_factor", (1.0, 2.0, 2.0)))
    pro = getattr(diffusion_model, "model_dim", None) == 4096

    def scale(latent_h: int, latent_w: int, rope_options: dict | None) -> tuple[float, float]:
        if rope_options is not None:
            return 1.0, 1.0
        if pro and latent_h * latent_w >= 14080:
            return 3.16, 3.16
        return factors[1], factors[2]

    return scale


def _resolve_cogvideox(model_patcher, base, train_len: int, row: ModelClass) -> ResolvedModel:
    """CogVideoX keeps its RoPE in a method: theta is its helper's default, the per-axis dims
    follow from the head dim, and 1.5 (temporal patch 2) indexes its grid, while 1.0 spaces
    the h and w positions spatial_interpolation_scale apart."""
    import inspect

    import comfy.ldm.cogvideo.model as cogvideo

    diffusion_model = base.diffusion_model
    if not getattr(diffusion_model, "use_rotary_positional_embeddings", False):
        raise RIFLExError(
            "RIFLEx: this CogVideoX model uses absolute (sin-cos or learned) position embeddings, not RoPE, so "
            f"RIFLEx does not apply (CogVideoX-5B and 1.5 use RoPE); supported: {supported_families_text()}"
        )
    patch_t = diffusion_model.patch_size_t
    family = FAMILIES[f"{row.family}_15" if patch_t else row.family]
    theta = float(inspect.signature(cogvideo._get_1d_rotary_pos_embed).parameters["theta"].default)
    axes_dims = cogvideox_axes_dims(int(diffusion_model.attention_head_dim))
    spec = family.spec(theta=theta, axes_dims=axes_dims, train_len=train_len)
    patch = int(diffusion_model.patch_size)
    step = 1.0 if patch_t else float(diffusion_model.spatial_interpolation_scale)

    def axis_positions(h: int, w: int, t: int):
        import torch

        def grid(n):
            return torch.arange(n, dtype=torch.float32) if patch_t else torch.linspace(0, n - 1, n) * step

        return torch.arange(t, dtype=torch.float32), grid(h), grid(w)

    resolved = ResolvedModel(
        family,
        "diffusion_model._get_rotary_emb",
        spec,
        (patch_t or 1, patch, patch),
        spatial_scale=None if step == 1.0 else (lambda latent_h, latent_w, rope_options: (1 / step, 1 / step)),
        kind="cogvideox",
        axis_positions=axis_positions,
    )
    return _spatial_train_in_position_units(resolved)


def _spatial_train_in_position_units(resolved: ResolvedModel) -> ResolvedModel:
    """The training size in the same units as what is sampled (ResolvedModel.positions)."""
    spec, patch = resolved.spec, resolved.patch_size
    if resolved.spatial_scale is None or not spec.spatial_train_len:
        return resolved
    train_h, train_w = spec.spatial_train_len
    trained_latent = (1, 1, 1, train_h * patch[1], train_w * patch[2])
    spec = dataclasses.replace(spec, spatial_train_len=resolved.positions(trained_latent)[1:])
    return dataclasses.replace(resolved, spec=spec)


def _resolve_cosmos(model_patcher, base, train_len: int, row: ModelClass) -> ResolvedModel:
    """Cosmos keeps its RoPE in pos_embedder (VideoRopePosition3DEmb): time base 10000 times the
    module's NTK factor, per-axis dims from the head dim, positions 0..T-1 per latent frame
    (scaled by base_fps/fps only when a frame_rate is given and the module modulates by it)."""
    class_name = type(base).__name__
    embedder = _get(model_patcher, "diffusion_model.pos_embedder")
    if not hasattr(embedder, "t_ntk_factor") or not hasattr(embedder, "dim_temporal_range"):
        raise RIFLExError(
            f"RIFLEx: this {class_name} model's pos_embedder is a {type(embedder).__name__}, not the "
            "VideoRopePosition3DEmb RoPE RIFLEx patches (a learned-position variant, or replaced by another node)"
        )
    family = FAMILIES[row.family]
    head_dim = 2 * int(embedder.dim_temporal_range.numel()) + 4 * int(embedder.dim_spatial_range.numel())
    theta = 10000.0 * float(embedder.t_ntk_factor)
    spec = family.spec(theta=theta, axes_dims=cosmos_axes_dims(head_dim), train_len=train_len)
    diffusion_model = base.diffusion_model
    patch_spatial = int(getattr(diffusion_model, "patch_spatial", 2))
    patch = (int(getattr(diffusion_model, "patch_temporal", 1)), patch_spatial, patch_spatial)
    return ResolvedModel(family, "diffusion_model.pos_embedder.generate_embeddings", spec, patch, kind="cosmos")


def _resolve_ltx(model_patcher, base, train_len: int, row: ModelClass) -> ResolvedModel:
    """LTX-Video and LTX-2 share one frequency grid across t, h and w (riflex/ltx_time.py has
    the derivation): the time components are the model's own grid times the grid units one
    latent frame advances, from its VAE's time scale and max_pos, at the default frame rate."""
    import torch

    diffusion_model = base.diffusion_model
    grid_generator = model_own_rope(
        "ltx", _get(model_patcher, "diffusion_model.freq_grid_generator"), type(base).__name__, "freq_grid_generator"
    )
    theta = float(diffusion_model.positional_embedding_theta)
    inner_dim = int(diffusion_model.inner_dim)
    grid = grid_generator(theta, 3, inner_dim, torch.device("cpu")).to(torch.float64)
    time_step = ltx_time_step(
        float(diffusion_model.vae_scale_factors[0]), float(diffusion_model.positional_embedding_max_pos[0])
    )
    n_dims = 2 * grid.numel()
    family = FAMILIES[row.family]
    spec = dataclasses.replace(
        family.spec(theta=theta, axes_dims=(n_dims, n_dims, n_dims), train_len=train_len),
        temporal_freqs=ltx_temporal_freqs(grid, time_step),
    )
    return ResolvedModel(
        family, "diffusion_model.freq_grid_generator", spec, (1, 1, 1), kind="ltx", time_step=time_step
    )


@dataclass(frozen=True)
class ModelClass:
    """What RIFLEx knows of one ComfyUI model_base class. One of:
    - family and rope_path: a Flux-style EmbedND module at rope_path (theta and dims read from
      it), with spatial_scale where its h and w positions are not one per patch;
    - resolver: the RoPE lives elsewhere; it reads the model and returns the ResolvedModel
      (family is the one it starts from, when it has one);
    - refusal: a video model RIFLEx does not apply to, and why."""

    family: str = ""
    rope_path: str = ""
    spatial_scale: Callable | None = None  # (diffusion_model) -> SpatialScale
    resolver: Callable | None = None  # (model_patcher, base, train_len, ModelClass) -> ResolvedModel
    refusal: str = ""


def _wan(family: str) -> ModelClass:
    return ModelClass(family, "diffusion_model.rope_embedder")


def _hunyuan(family: str) -> ModelClass:
    return ModelClass(family, "diffusion_model.pe_embedder")


# model_base class name -> what RIFLEx knows of it. Adding a model = one row here (and, for a new
# family, one record in riflex/families.py); tests/nodes/test_rope_frequencies.py checks each row
# against a tiny model built with ComfyUI's own class.
MODEL_CLASSES: dict[str, ModelClass] = {
    "WAN21": _wan("wan21"),  # T2V/I2V 1.3B/14B, Fun, FLF2V, Wan 2.2 A14B
    "WAN21_Vace": _wan("wan21"),
    "WAN21_Camera": _wan("wan21"),
    "WAN22": _wan("wan22_5b"),  # Wan 2.2 TI2V 5B
    "WAN22_S2V": _wan("wan_s2v"),
    "WAN21_HuMo": _wan("wan_humo"),
    "WAN22_Animate": _wan("wan_animate"),
    "HunyuanVideo": _hunyuan("hunyuan_video"),
    "HunyuanVideoI2V": _hunyuan("hunyuan_video"),
    "HunyuanVideoSkyreelsI2V": _hunyuan("hunyuan_video"),
    "HunyuanVideo15": _hunyuan("hunyuan_video_15"),
    "Kandinsky5": ModelClass("kandinsky5", "diffusion_model.rope_embedder_3d", spatial_scale=_kandinsky_spatial_scale),
    "CogVideoX": ModelClass("cogvideox", resolver=_resolve_cogvideox),  # 1.5 told apart by its temporal patch
    "CosmosVideo": ModelClass("cosmos1", resolver=_resolve_cosmos),
    "CosmosPredict2": ModelClass("cosmos_predict2", resolver=_resolve_cosmos),
    "LTXV": ModelClass("ltxv", resolver=_resolve_ltx),
    "LTXAV": ModelClass("ltxv", resolver=_resolve_ltx),
    "GenmoMochi": ModelClass(
        refusal="Mochi's RoPE frequencies are learned and mixed across the t, h and w axes, so there is no "
        "single temporal component to slow down: RIFLEx does not apply"
    ),
}


def resolve_model(model_patcher, train_len: int = 0) -> ResolvedModel:
    """The family, RoPE module path and RopeSpec of a loaded model, or a RIFLExError that says
    what was found and what is supported."""
    base = getattr(model_patcher, "model", None)
    class_name = type(base).__name__
    latent_format = getattr(base, "latent_format", None)
    if getattr(latent_format, "latent_dimensions", 3) < 3:
        raise RIFLExError(
            f"RIFLEx: got a {class_name} model, an image model (its latents have no time axis); RIFLEx RoPE needs "
            f"a video model: {supported_families_text()}, or another video DiT with an EmbedND RoPE given train_len"
        )
    row = MODEL_CLASSES.get(class_name)
    if row is not None and row.refusal:
        raise RIFLExError(f"RIFLEx: got a {class_name} model: {row.refusal}; supported: {supported_families_text()}")
    if row is not None and row.resolver is not None:
        return row.resolver(model_patcher, base, train_len, row)
    if row is not None:
        rope_path, family = row.rope_path, FAMILIES[row.family]
    else:
        rope_path = next((p for p in GENERIC_ROPE_PATHS if is_embed_nd(_get(model_patcher, p), min_axes=3)), None)
        if rope_path is None:
            raise RIFLExError(
                f"RIFLEx: got a {class_name} model, whose RoPE RIFLEx cannot patch (no Flux-style EmbedND with a "
                f"time axis); supported: {supported_families_text()}"
            )
        if train_len <= 0:
            raise RIFLExError(
                f"RIFLEx: {class_name} is not in RIFLEx's family table; set train_len to its training length in "
                f"latent frames to use the generic path (known families: {supported_families_text()})"
            )
        family = generic_family(class_name, int(getattr(latent_format, "temporal_downscale_ratio", 4) or 4))
    rope_module = model_own_rope("embed_nd", _get(model_patcher, rope_path), class_name, rope_path)
    diffusion_model = base.diffusion_model
    width = next(
        (getattr(diffusion_model, a) for a in ("dim", "hidden_size", "model_dim") if hasattr(diffusion_model, a)), None
    )
    spec = family.spec(
        theta=float(rope_module.theta), axes_dims=tuple(rope_module.axes_dim), train_len=train_len, model_width=width
    )
    patch_size = tuple(int(p) for p in getattr(diffusion_model, "patch_size", (1, 2, 2)))
    patch_size = patch_size if len(patch_size) == 3 else (1, 2, 2)
    scale = row.spatial_scale(diffusion_model) if row is not None and row.spatial_scale is not None else None
    return _spatial_train_in_position_units(ResolvedModel(family, rope_path, spec, patch_size, scale))


def _get(model_patcher, path: str):
    try:
        return model_patcher.get_model_object(path)
    except AttributeError:
        return None


def resolve_model_or_family(model_patcher, family_key: str, train_len: int = 0) -> ResolvedModel:
    """With a model connected, what it really is (theta and dims from its own module);
    without one, the chosen family's published values (no RoPE module path)."""
    if model_patcher is not None:
        return resolve_model(model_patcher, train_len=train_len)
    family = get_family(family_key)
    return ResolvedModel(family, "", family.spec(train_len=train_len))
