"""Tiny random-weight video models built with ComfyUI's own classes (run with ComfyUI's Python).

    python tiny_models.py COMFYUI_DIR OUT_DIR

writes one .safetensors per family into OUT_DIR, loadable by ComfyUI's UNETLoader, which
detects the family from the keys exactly as it does for the real checkpoints. Sizes are the
smallest that detection accepts: head dim 128 is fixed for Wan and HunyuanVideo (so 256
channels = 2 heads), Wan's text width is 4096, HunyuanVideo needs vector_in (768) and
guidance_in to be taken for 1.0 and its MLP ratio is fixed at 4.
"""

from __future__ import annotations

import dataclasses
import sys

import torch
from tiny_families import TINY_FAMILIES  # beside this file

# the smallest Wan detection accepts: head dim 128 fixed (256 channels = 2 heads), text width 4096
TINY_WAN = dict(
    patch_size=(1, 2, 2), dim=256, ffn_dim=64, freq_dim=256, text_dim=4096, num_heads=2, dtype=torch.float32
)
# Wan variants: ComfyUI detects each by a key of its extra modules (audio encoder, audio
# projection, face adapter), all present when the variant's own class builds the weights.
_WAN_VARIANTS = {
    "wan_s2v": ("comfy.ldm.wan.model", "WanModel_S2V", "s2v"),
    "wan_humo": ("comfy.ldm.wan.model", "HumoWanModel", "humo"),
    "wan_animate": ("comfy.ldm.wan.model_animate", "AnimateWanModel", "animate"),
}


# HunyuanVideo's smallest detectable shape (head dim 128 fixed: 256 channels = 2 heads, MLP ratio 4)
_HUNYUAN_TINY = dict(
    in_channels=16,
    out_channels=16,
    vec_in_dim=768,
    context_in_dim=4096,
    hidden_size=256,
    mlp_ratio=4.0,
    num_heads=2,
    depth=1,
    depth_single_blocks=1,
    axes_dim=[16, 56, 56],
    theta=256,
    patch_size=[1, 2, 2],
    qkv_bias=True,
    guidance_embed=True,
    byt5=False,
    meanflow=False,
    use_cond_type_embedding=False,
    vision_in_dim=None,
    meanflow_sum=False,
)


def _ltxv() -> torch.nn.Module:
    # what detection needs: the timestep embedder and a cross-attention key projection of
    # 32 heads x head dim; 8 is the smallest head dim that works (inner dim 256, which the
    # context projection must match)
    import comfy.model_detection

    seed = {
        "adaln_single.emb.timestep_embedder.linear_1.bias": torch.zeros(4),
        "transformer_blocks.0.attn2.to_k.weight": torch.zeros(32 * 8, 256),
    }
    model_config = comfy.model_detection.model_config_from_unet(seed, "")
    model_config.set_inference_dtype(torch.float32, None)
    return model_config.get_model(seed).diffusion_model


def available(module: str) -> bool:
    """Whether this ComfyUI has the module (families and VAEs only newer ComfyUIs have)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def weights(module: torch.nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """The module's state dict as safetensors saves it (contiguous tensors), keys under `prefix`."""
    return {prefix + k: v.contiguous() for k, v in module.state_dict().items()}


def _is_norm_weight(name: str, param: torch.Tensor) -> bool:
    return "norm" in name and name.endswith("weight")


def randomize(module: torch.nn.Module, seed: int, is_scale=_is_norm_weight) -> None:
    """comfy.ops.disable_weight_init leaves weights uninitialised: small random values, and 1
    for the scales `is_scale(name, param)` picks (norm weights), so activations stay tame.
    tiny_workflow_parts.py and bench/ use it too."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if is_scale(name, param):
                param.fill_(1.0)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.05)


def _wan(family: str, ops, in_channels: int) -> torch.nn.Module:
    from comfy.ldm.wan.model import WanModel

    channels = TINY_FAMILIES[family].channels  # out_dim 48 makes it Wan 2.2 5B (WAN22)
    return WanModel(model_type="t2v", in_dim=channels, out_dim=channels, num_layers=1, operations=ops, **TINY_WAN)


def _wan_variant(family: str, ops, in_channels: int) -> torch.nn.Module:
    import importlib

    module, class_name, model_type = _WAN_VARIANTS[family]
    return getattr(importlib.import_module(module), class_name)(
        model_type=model_type,
        in_dim=16,
        out_dim=16,
        num_layers=5 if family == "wan_animate" else 1,  # Animate's face adapter: one block per 5 layers
        operations=ops,
        **TINY_WAN,
    )


def _cogvideox(family: str, ops, in_channels: int) -> torch.nn.Module:
    from comfy.ldm.cogvideo.model import CogVideoXTransformer3DModel

    # head dim 64 is what detection assumes; no pos_embedding key, so the model uses RoPE.
    # 1.5: a temporal patch of 2 (its patch embedding is then a Linear).
    return CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=64,
        in_channels=in_channels,
        out_channels=16,
        time_embed_dim=64,
        text_embed_dim=4096,
        num_layers=1,
        patch_size=2,
        patch_size_t=2 if family == "cogvideox_15" else None,
        use_rotary_positional_embeddings=True,
        **({"sample_height": 96, "sample_width": 170, "sample_frames": 81} if family == "cogvideox_15" else {}),
        operations=ops,
        dtype=torch.float32,
    )


def _kandinsky5(family: str, ops, in_channels: int) -> torch.nn.Module:
    from comfy.ldm.kandinsky5.model import Kandinsky5

    # head dim = sum(axes_dims) = 64 (Lite's split), so 128 channels = 2 heads
    return Kandinsky5(
        in_visual_dim=16,
        out_visual_dim=16,
        in_text_dim=3584,
        in_text_dim2=768,
        time_dim=64,
        model_dim=128,
        ff_dim=64,
        visual_embed_dim=132,
        patch_size=(1, 2, 2),
        num_text_blocks=1,
        num_visual_blocks=1,
        axes_dims=(16, 24, 24),
        operations=ops,
        dtype=torch.float32,
    )


def _hunyuan(family: str, ops, in_channels: int) -> torch.nn.Module:
    from comfy.ldm.hunyuan_video import model as hunyuan

    if family == "hunyuan_video_15":
        # what detection needs for 1.5: cond_type_embedding and vision_in (1152), 65 in / 32 out, patch 1
        config = dict(
            _HUNYUAN_TINY,
            in_channels=65,
            out_channels=32,
            vec_in_dim=None,
            context_in_dim=3584,
            patch_size=[1, 1, 1],
            guidance_embed=False,
            use_cond_type_embedding=True,
            vision_in_dim=1152,
            meanflow_sum=True,
        )
    else:  # without vector_in and guidance_in ComfyUI takes it for HunyuanImage 2.1
        config = dict(_HUNYUAN_TINY, vec_in_dim=768 if family == "hunyuan_video" else None)
        config["guidance_embed"] = family == "hunyuan_video"
    accepted = {field.name for field in dataclasses.fields(hunyuan.HunyuanVideoParams)}
    return hunyuan.HunyuanVideo(
        operations=ops, dtype=torch.float32, **{k: v for k, v in config.items() if k in accepted}
    )


# how each family of tiny_families.TINY_FAMILIES (those built into a file) is made
BUILDERS = {
    "wan21": _wan,
    "wan22_5b": _wan,
    "hunyuan_video": _hunyuan,
    "hunyuan_video_15": _hunyuan,
    "kandinsky5": _kandinsky5,
    "hunyuan_image": _hunyuan,
    "wan_s2v": _wan_variant,
    "wan_humo": _wan_variant,
    "wan_animate": _wan_variant,
    "cogvideox": _cogvideox,
    "cogvideox_15": _cogvideox,
    "ltxv": lambda family, ops, in_channels: _ltxv(),
}


def build(family: str, in_channels: int = 16) -> torch.nn.Module:
    """A tiny random-weight model of `family`. in_channels: CogVideoX only (48 = the inpainting
    model VOID is, CogVideoX-Fun-V1.5-InP: noise, mask and masked video, 16 channels each)."""
    from comfy.cli_args import args

    args.cpu = True  # before comfy.model_management is imported: no GPU is needed to build
    import comfy.ops

    if family not in BUILDERS:
        raise ValueError(f"unknown tiny family {family!r}; known: {sorted(BUILDERS)}")
    if in_channels != 16 and BUILDERS[family] is not _cogvideox:
        raise ValueError(f"in_channels is for the CogVideoX families only, got {in_channels} for {family!r}")
    model = BUILDERS[family](family, comfy.ops.disable_weight_init, in_channels)
    randomize(model, seed=sum(map(ord, family)))
    return model


def in_process_patcher(family: str):
    """A ModelPatcher around a tiny Cosmos model (see TinyFamily.in_process)."""
    import comfy.model_detection
    import comfy.model_management as mm
    import comfy.model_patcher
    import comfy.supported_models

    class_name, seed_shapes = TINY_FAMILIES[family].in_process
    seed = {key: torch.zeros(shape) for key, shape in seed_shapes.items()}
    config = comfy.model_detection.detect_unet_config(seed, "")
    config.update(model_channels=128, num_heads=1, num_blocks=1)  # head dim 128, as released
    model_config = getattr(comfy.supported_models, class_name)(config)
    model_config.set_inference_dtype(torch.float32, None)
    model = model_config.get_model({})
    randomize(model.diffusion_model, seed=sum(map(ord, family)))
    return comfy.model_patcher.ModelPatcher(
        model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device()
    )


def tiny_lora(wan_state: dict, rank: int = 4) -> dict:
    """A LoRA in ComfyUI's generic format ("diffusion_model.<layer>.lora_up/down.weight") for
    the attention projections of the tiny Wan, strong enough to change its output."""
    generator = torch.Generator().manual_seed(5)
    lora = {}
    for name in ("blocks.0.self_attn.q", "blocks.0.self_attn.k", "blocks.0.self_attn.v", "blocks.0.ffn.0"):
        out_dim, in_dim = wan_state[f"{name}.weight"].shape
        lora[f"diffusion_model.{name}.lora_up.weight"] = torch.randn((out_dim, rank), generator=generator) * 0.2
        lora[f"diffusion_model.{name}.lora_down.weight"] = torch.randn((rank, in_dim), generator=generator) * 0.2
    return lora


def main(comfyui_dir: str, out_dir: str) -> None:
    import os

    sys.path.insert(0, comfyui_dir)
    from safetensors.torch import save_file

    os.makedirs(out_dir, exist_ok=True)
    for family, tiny in TINY_FAMILIES.items():
        if tiny.in_process:
            with open(os.path.join(out_dir, tiny.file), "w") as marker:
                marker.write(family)
            continue
        if tiny.needs_module and not available(tiny.needs_module):
            continue
        state = weights(build(family))
        save_file(state, os.path.join(out_dir, tiny.file))
        if family == "wan21":
            # the same weights stored in half precision, for the dtype cases
            for dtype_name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
                half = {k: v.to(dtype) for k, v in state.items()}
                save_file(half, os.path.join(out_dir, f"riflex_tiny_{family}_{dtype_name}.safetensors"))
            save_file(tiny_lora(state), os.path.join(out_dir, "riflex_tiny_wan21_lora.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
