"""Where the sampled video's tokens sit in each family's self-attention, so that attention decay
touches them and nothing else (ComfyUI 0.8.0 to 0.33.0; the facts and their lines are in the
tests' comments and the README).

- Wan (WanModel and its S2V, HuMo, Animate, Vace, Camera variants): each block's first attention
  call is its self-attention, [B, S, heads * d]; then come its cross-attentions (text, CLIP image,
  audio; Vace's control blocks follow with the same block index). The sequence is [reference
  tokens of a Fun-control ref_conv, if any] + video (t-major) + [time_dim_concat frames, S2V/HuMo
  reference and motion tokens, 0.33's context latents]; Wan Animate's latent frame 0 is its
  reference image.
- HunyuanVideo 1.0/1.5: joint attention over text and image in every double and single block,
  [B, heads, S, d]; 0.33.0 puts the text first ([text, ref_latent, video]), 0.8.0 last
  ([ref_latent, video, text]). Its text-only token refiner runs before any block is set.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from ..riflex.decay_attention import VideoTokens
from ..riflex.errors import RIFLExError
from .resolve_model import ResolvedModel

__all__ = ["DecayLayout", "layout_for"]


@dataclass(frozen=True)
class DecayLayout:
    kind: str  # "wan" or "hunyuan"
    reference_frames: int = 0  # latent frames in front of the video that are not video (Wan Animate)
    patch: tuple[int, int, int] = (1, 2, 2)
    text_first: bool = True  # HunyuanVideo's joint sequence order (0.33.0: text first)
    has_ref_conv: bool = False  # a Wan Fun-control model: reference tokens in front when given

    def extra_from(self, conds: dict) -> tuple:
        """The tokens the call's conditioning puts in front of the video: (count,)."""
        if self.kind == "wan" and self.has_ref_conv:
            reference = conds.get("reference_latent")
            if reference is not None:  # ref_conv: a 2-d conv with stride 2, on an unpadded latent
                return ((int(reference.shape[-2]) // 2) * (int(reference.shape[-1]) // 2),)
        if self.kind == "hunyuan":
            reference = conds.get("ref_latent")
            if reference is not None:
                t, h, w = reference.shape[-3:]
                return (-(-int(t) // self.patch[0]) * -(-int(h) // self.patch[1]) * -(-int(w) // self.patch[2]),)
        return (0,)

    def video_tokens(self, grid: tuple[int, int, int], seq: int, extra: tuple) -> VideoTokens | None:
        """Where the video's tokens sit in a self-attention call of `seq` tokens, or None when
        the call cannot be the video's self-attention (too short)."""
        per_frame = grid[1] * grid[2]
        frames = grid[0] - self.reference_frames
        (before,) = extra
        if self.kind == "hunyuan" and self.text_first:
            start = seq - frames * per_frame
        else:
            start = before + self.reference_frames * per_frame
        if start < 0 or start + frames * per_frame > seq or (self.kind == "hunyuan" and start < before):
            return None
        return VideoTokens(start, frames, per_frame)

    def is_video_self_attention(self, options: dict, seen_blocks: set) -> bool:
        """Whether a call with equal query and key lengths is the video's self-attention, from
        the block keys the model sets (and, for Wan, the order of calls in a block)."""
        if self.kind == "hunyuan":
            return options.get("block_type") in ("double", "single")
        block = options.get("block_index")
        if block is None or block in seen_blocks:
            return False
        seen_blocks.add(block)
        return True


WAN_CLASSES = ("WAN21", "WAN21_Vace", "WAN21_Camera", "WAN22", "WAN22_S2V", "WAN21_HuMo", "WAN22_Animate")
HUNYUAN_CLASSES = ("HunyuanVideo", "HunyuanVideoI2V", "HunyuanVideoSkyreelsI2V", "HunyuanVideo15")


def _hunyuan_text_first() -> bool:
    """0.8.0's HunyuanVideo flips its joint sequence to image first (DoubleStreamBlock's
    flipped_img_txt, and single blocks cat((img, txt))); 0.33.0 puts the text first."""
    import comfy.ldm.flux.layers as layers

    return "flipped_img_txt" not in inspect.signature(layers.DoubleStreamBlock.__init__).parameters


def layout_for(model_patcher, resolved: ResolvedModel) -> DecayLayout:
    """The token layout of a loaded model's video self-attention, or a RIFLExError for a family
    whose layout is not verified."""
    class_name = type(model_patcher.model).__name__
    diffusion_model = model_patcher.model.diffusion_model
    if class_name in WAN_CLASSES:
        return DecayLayout(
            "wan",
            reference_frames=resolved.spec.reference_frames,
            has_ref_conv=getattr(diffusion_model, "ref_conv", None) is not None,
        )
    if class_name in HUNYUAN_CLASSES:
        patch = tuple(int(p) for p in getattr(diffusion_model, "patch_size", (1, 2, 2)))
        return DecayLayout("hunyuan", patch=patch, text_first=_hunyuan_text_first())
    raise RIFLExError(
        f"RIFLEx: got a {class_name} model ({resolved.family.display_name}); RIFLEx Attention Decay supports Wan "
        "2.1/2.2 (T2V, I2V, VACE, Fun, S2V, HuMo, Animate) and HunyuanVideo 1.0/1.5, whose attention layouts are "
        "verified; use RIFLEx RoPE alone for this model"
    )
