"""API-format prompts for the tiny models: loader -> [RIFLEx RoPE] -> KSampler -> SaveLatent."""

from __future__ import annotations

from tiny_families import TINY_FAMILIES  # tests/nodes/comfy_side

# per tiny video family (tiny_families.py, the one table): model file, conditioning pooled width,
# latent channels, text width
TINY = {
    key: {"file": tiny.file, "pooled": tiny.pooled, "channels": tiny.channels, "context": tiny.context}
    for key, tiny in TINY_FAMILIES.items()
    if tiny.video
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
