"""API-format prompts for the tiny models: loader -> [RIFLEx RoPE] -> KSampler -> SaveLatent."""

from __future__ import annotations

# per tiny family: model file, conditioning pooled width, latent channels
TINY = {
    "wan21": {"file": "riflex_tiny_wan21.safetensors", "pooled": 0, "channels": 16, "context": 4096},
    "wan22_5b": {"file": "riflex_tiny_wan22_5b.safetensors", "pooled": 0, "channels": 48, "context": 4096},
    "hunyuan_video": {"file": "riflex_tiny_hunyuan_video.safetensors", "pooled": 768, "channels": 16, "context": 4096},
    "hunyuan_video_15": {
        "file": "riflex_tiny_hunyuan_video_15.safetensors",
        "pooled": 0,
        "channels": 32,
        "context": 3584,
    },
    "kandinsky5": {"file": "riflex_tiny_kandinsky5.safetensors", "pooled": 768, "channels": 16, "context": 3584},
    "wan_s2v": {"file": "riflex_tiny_wan_s2v.safetensors", "pooled": 0, "channels": 16, "context": 4096},
    "wan_humo": {"file": "riflex_tiny_wan_humo.safetensors", "pooled": 0, "channels": 16, "context": 4096},
    "wan_animate": {"file": "riflex_tiny_wan_animate.safetensors", "pooled": 0, "channels": 16, "context": 4096},
    "cogvideox": {"file": "riflex_tiny_cogvideox.safetensors", "pooled": 0, "channels": 16, "context": 4096},
    "cogvideox_15": {"file": "riflex_tiny_cogvideox_15.safetensors", "pooled": 0, "channels": 16, "context": 4096},
    "ltxv": {"file": "riflex_tiny_ltxv.safetensors", "pooled": 0, "channels": 128, "context": 4096},
    # built inside the probe's process (tiny_models.in_process_patcher): not loadable by UNETLoader
    "cosmos1": {"file": "riflex_tiny_cosmos1.inprocess", "pooled": 0, "channels": 16, "context": 1024},
    "cosmos_predict2": {"file": "riflex_tiny_cosmos_predict2.inprocess", "pooled": 0, "channels": 16, "context": 1024},
}

RIFLEX_DEFAULTS = {
    "method": "riflex",
    "k": 0,
    "s": 0.0,
    "train_len": 0,
    "safety_factor": 0.9,
    "yarn_alpha": 1.0,
    "yarn_beta": 32.0,
    "axes": "temporal",
    "tasr_switch": 0.5,
}


DECAY_DEFAULTS = {"alpha": 0.9, "window": 0.0, "beta": 0.6, "train_len": 0, "anchor_first_frame": "auto"}


def latent_frames_to_pixels(latent_frames: int) -> int:
    return (latent_frames - 1) * 4 + 1


def riflex(**overrides) -> tuple[str, dict]:
    """A RIFLEx RoPE step for a branch chain, with all inputs given."""
    return ("RIFLExRoPE", {**RIFLEX_DEFAULTS, **overrides})


def attention_decay(**overrides) -> tuple[str, dict]:
    """A RIFLEx Attention Decay step for a branch chain, with all inputs given."""
    return ("RIFLExAttentionDecay", {**DECAY_DEFAULTS, **overrides})


def video_prompt(
    family: str,
    latent_frames: int,
    branches: list,
    seed: int = 7,
    height: int = 2,
    width: int = 2,
    batch_size: int = 1,
    steps: int = 2,
) -> dict:
    """One loader, one conditioning, one latent; a sampler + SaveLatent per branch.

    A branch is None (the loaded model as it is), a dict (one RIFLEx node with these inputs
    overridden, node id "riflex_<i>"), or a list of (class_type, inputs) model patches applied
    in order (node ids "patch_<i>_<j>"; each gets the model from the one before).
    SaveLatent node ids are "save_<i>".
    """
    tiny = TINY[family]
    prompt: dict = {
        "loader": {"class_type": "UNETLoader", "inputs": {"unet_name": tiny["file"], "weight_dtype": "default"}},
        "cond": {
            "class_type": "RIFLExTestConditioning",
            "inputs": {"tokens": 4, "width": tiny["context"], "pooled_width": tiny["pooled"], "seed": 1},
        },
        "latent": {
            "class_type": "RIFLExTestEmptyLatent",
            "inputs": {
                "channels": tiny["channels"],
                "frames": latent_frames,
                "height": height,
                "width": width,
                "batch_size": batch_size,
            },
        },
    }
    for i, branch in enumerate(branches):
        model_link = ["loader", 0]
        if isinstance(branch, dict):
            prompt[f"riflex_{i}"] = {
                "class_type": "RIFLExRoPE",
                "inputs": {"model": model_link, **RIFLEX_DEFAULTS, **branch},
            }
            model_link = [f"riflex_{i}", 0]
        elif branch is not None:
            for j, (class_type, inputs) in enumerate(branch):
                prompt[f"patch_{i}_{j}"] = {"class_type": class_type, "inputs": {"model": model_link, **inputs}}
                model_link = [f"patch_{i}_{j}", 0]
        prompt[f"sampler_{i}"] = {
            "class_type": "KSampler",
            "inputs": {
                "model": model_link,
                "seed": seed,
                "steps": steps,
                "cfg": 1.0,
                "sampler_name": "euler",
                "scheduler": "simple",
                "positive": ["cond", 0],
                "negative": ["cond", 0],
                "latent_image": ["latent", 0],
                "denoise": 1.0,
            },
        }
        prompt[f"save_{i}"] = {
            "class_type": "SaveLatent",
            "inputs": {"samples": [f"sampler_{i}", 0], "filename_prefix": f"riflex_test/{family}_{i}"},
        }
    return prompt
