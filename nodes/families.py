"""Which loaded ComfyUI models RIFLEx can patch, and where their RoPE module lives.

Resolution is by the exact `model_base` class of the loaded model: subclasses that call the
RoPE module differently (Wan S2V, HuMo, Animate; HunyuanVideo 1.5) are not assumed to work
until they are added here. Theta and the per-axis dims are read from the model's own module.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..riflex.families import FAMILIES, Family
from ..riflex.spec import RopeSpec

__all__ = ["ResolvedModel", "resolve_model", "supported_families_text"]

# model_base class name -> (riflex family key, attribute path of the EmbedND RoPE module)
SUPPORTED_MODEL_CLASSES: dict[str, tuple[str, str]] = {
    "WAN21": ("wan21", "diffusion_model.rope_embedder"),  # T2V/I2V 1.3B/14B, Fun, FLF2V, Wan 2.2 A14B
    "WAN21_Vace": ("wan21", "diffusion_model.rope_embedder"),
    "WAN21_Camera": ("wan21", "diffusion_model.rope_embedder"),
    "WAN22": ("wan22_5b", "diffusion_model.rope_embedder"),  # Wan 2.2 TI2V 5B
    "HunyuanVideo": ("hunyuan_video", "diffusion_model.pe_embedder"),
    "HunyuanVideoI2V": ("hunyuan_video", "diffusion_model.pe_embedder"),
    "HunyuanVideoSkyreelsI2V": ("hunyuan_video", "diffusion_model.pe_embedder"),
}


def supported_families_text() -> str:
    return "; ".join(family.display_name for family in FAMILIES.values())


@dataclass(frozen=True)
class ResolvedModel:
    family: Family
    rope_path: str
    spec: RopeSpec
    patch_size: tuple[int, int, int] = (1, 2, 2)  # latent cells per RoPE position (t, h, w)

    def positions(self, latent_shape) -> tuple[int, int, int]:
        """RoPE positions per axis for a latent [B, C, T, H, W] (ComfyUI pads to whole patches)."""
        return tuple(-(-int(size) // patch) for size, patch in zip(latent_shape[2:5], self.patch_size, strict=True))


def resolve_model(model_patcher, train_len: int = 0) -> ResolvedModel:
    """The family, RoPE module path and RopeSpec of a loaded model, or a ValueError that says
    what was found and what is supported."""
    base = getattr(model_patcher, "model", None)
    class_name = type(base).__name__
    if class_name not in SUPPORTED_MODEL_CLASSES:
        raise ValueError(
            f"RIFLEx: got a {class_name} model; RIFLEx RoPE needs a supported video model: {supported_families_text()}"
        )
    family_key, rope_path = SUPPORTED_MODEL_CLASSES[class_name]
    rope_module = model_patcher.get_model_object(rope_path)
    rope_module = getattr(rope_module, "original", rope_module)  # an earlier RIFLEx patch
    theta = getattr(rope_module, "theta", None)
    axes_dims = getattr(rope_module, "axes_dim", None)
    if theta is None or not axes_dims or len(axes_dims) < 1:
        raise ValueError(
            f"RIFLEx: the {class_name} model's {rope_path} is a {type(rope_module).__name__}, not the "
            "EmbedND RoPE module RIFLEx patches; another node may have replaced it"
        )
    family = FAMILIES[family_key]
    return ResolvedModel(
        family, rope_path, family.spec(theta=float(theta), axes_dims=tuple(axes_dims), train_len=train_len)
    )


def resolve_model_or_family(model_patcher, family_key: str, train_len: int = 0) -> ResolvedModel:
    """With a model connected, what it really is (theta and dims from its own module);
    without one, the chosen family's published values (no RoPE module path)."""
    if model_patcher is not None:
        return resolve_model(model_patcher, train_len=train_len)
    if family_key not in FAMILIES:
        raise ValueError(f"RIFLEx: unknown family {family_key!r}; known: {', '.join(FAMILIES)}")
    family = FAMILIES[family_key]
    return ResolvedModel(family, "", family.spec(train_len=train_len))
