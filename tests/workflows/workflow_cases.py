"""What the workflow tests know about the shipped workflows (workflows/*.json): the family each
one samples, the tiny stand-in for every model file they load, and the test-only substitutions
with the reason for each. The shipped files are never changed: the tests run a copy."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from prompts import TINY

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / "workflows"
API_DIR = WORKFLOWS / "api"
SNAPSHOT = WORKFLOWS / "schema" / "node_inputs.json"

# the family RIFLEx must resolve for each workflow's model(s)
FAMILY = {
    "wan2.1_t2v_1.3B_161_frames": "wan21",
    "wan2.1_i2v_14B_480p_201_frames": "wan21",
    "wan2.2_ti2v_5B_241_frames": "wan22_5b",
    "wan2.2_t2v_A14B_201_frames": "wan21",
    "hunyuan_video_t2v_257_frames": "hunyuan_video",
    "hunyuan_video_1.5_t2v_241_frames": "hunyuan_video_15",
    "kandinsky5_t2v_241_frames": "kandinsky5",
    "compare_methods_wan2.1_1.3B_241_frames": "wan21",
}

# every diffusion model and VAE a shipped workflow loads -> the tiny file the test server holds
# under that real name (built by tiny_models.py and tiny_workflow_parts.py with ComfyUI's own
# classes). Wan 2.2 A14B's two models share Wan 2.1 14B's architecture: the tiny Wan 2.1 stands
# in for both. The Wan 2.2, HunyuanVideo and HunyuanVideo 1.5 VAEs are ComfyUI's own classes at
# a reduced width (tiny_workflow_parts.patch_fixed_vae_widths, test server only).
TINY_STAND_INS = {
    "diffusion_models/wan2.1_t2v_1.3B_fp16.safetensors": "riflex_tiny_wan21.safetensors",
    "diffusion_models/wan2.1_i2v_480p_14B_fp16.safetensors": "riflex_tiny_wan21_i2v.safetensors",
    "diffusion_models/wan2.2_ti2v_5B_fp16.safetensors": "riflex_tiny_wan22_5b.safetensors",
    "diffusion_models/wan2.2_t2v_high_noise_14B_fp8_scaled.safetensors": "riflex_tiny_wan21.safetensors",
    "diffusion_models/wan2.2_t2v_low_noise_14B_fp8_scaled.safetensors": "riflex_tiny_wan21.safetensors",
    "diffusion_models/hunyuan_video_t2v_720p_bf16.safetensors": "riflex_tiny_hunyuan_video.safetensors",
    "diffusion_models/hunyuanvideo1.5_720p_t2v_fp16.safetensors": "riflex_tiny_hunyuan_video_15.safetensors",
    "diffusion_models/kandinsky5lite_t2v_sft_5s.safetensors": "riflex_tiny_kandinsky5.safetensors",
    "vae/wan_2.1_vae.safetensors": "riflex_tiny_vae_wan21.safetensors",
    "vae/wan2.2_vae.safetensors": "riflex_tiny_vae_wan22.safetensors",
    "vae/hunyuan_video_vae_bf16.safetensors": "riflex_tiny_vae_hunyuan_video.safetensors",
    "vae/hunyuanvideo15_vae_fp16.safetensors": "riflex_tiny_vae_hunyuan_video_15.safetensors",
}

# Components that cannot be made tiny, so the test copy of each prompt replaces the nodes that
# load and run them. Their files are still placed on the test server (as placeholders that
# are never loaded) so the loaders list the real names and the /object_info test can check them.
SUBSTITUTED = {
    "text_encoders": (
        "text encoders: ComfyUI builds each from a fixed configuration, whatever the file holds: UMT5-XXL "
        "(comfy/text_encoders/umt5_config_xxl.json, 24 layers x 4096, about 5.7B parameters), LLaVA-Llama-3-8B "
        "(llama.py Llama2Config, 32 x 4096), Qwen2.5-VL-7B (Qwen25_7BVLI_Config, 28 x 3584), byT5 "
        "(byt5_config_small_glyph.json) and CLIP-L (sd1_clip_config.json); a smaller file does not load. "
        "CLIPLoader / DualCLIPLoader are dropped and each CLIPTextEncode becomes RIFLExTestConditioning "
        "with the width the model expects (4096 Wan/HunyuanVideo, 3584 HunyuanVideo 1.5/Kandinsky 5, "
        "pooled 768 where the model reads one)."
    ),
    "clip_vision": (
        "CLIP vision H: ComfyUI picks comfy/clip_vision_config_h.json from the key names (ViT-H/14, 32 layers, "
        "about 632M parameters); a smaller file does not load. CLIPVisionLoader is dropped and CLIPVisionEncode "
        "becomes RIFLExTestClipVisionOutput (random penultimate hidden states of ViT-H's shape, 257 x 1280, "
        "which is what Wan I2V reads)."
    ),
}

# test copy: the smallest frame each latent node accepts (one patch per latent frame)
TINY_SIZE = {
    "EmptyHunyuanLatentVideo": 16,
    "WanImageToVideo": 16,
    "Kandinsky5ImageToVideo": 16,
    "Wan22ImageToVideoLatent": 32,
    "EmptyHunyuanVideo15Latent": 32,
}
TEST_FRAMES = 17  # 5 latent frames: a short run through every node (VAE decode time grows with frames)
TEST_STEPS = 2


def ui_workflow_paths() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.json"))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def model_files(workflow: dict) -> list[tuple[str, str, str]]:
    """(directory, file name, url) of every model file a UI workflow's loaders declare."""
    return [
        (model["directory"], model["name"], model["url"])
        for node in workflow["nodes"]
        for model in node.get("properties", {}).get("models", [])
    ]


def substitute(prompt: dict, family: str) -> dict:
    """The test copy of an API prompt with the components in SUBSTITUTED replaced (see there why)."""
    prompt = copy.deepcopy(prompt)
    tiny = TINY[family]
    for node_id, node in list(prompt.items()):
        class_type = node["class_type"]
        if class_type in ("CLIPLoader", "DualCLIPLoader", "CLIPVisionLoader"):
            del prompt[node_id]
        elif class_type == "CLIPTextEncode":
            prompt[node_id] = {
                "class_type": "RIFLExTestConditioning",
                "inputs": {"tokens": 4, "width": tiny["context"], "pooled_width": tiny["pooled"], "seed": int(node_id)},
            }
        elif class_type == "CLIPVisionEncode":
            prompt[node_id] = {"class_type": "RIFLExTestClipVisionOutput", "inputs": {"seed": int(node_id)}}
    for node_id, node in prompt.items():
        for name, value in node["inputs"].items():
            if isinstance(value, list):
                assert value[0] in prompt, f"node {node_id} input {name} still links to a substituted node {value[0]}"
    return prompt


def shrink(prompt: dict, frames: int | None = TEST_FRAMES, steps: int = TEST_STEPS) -> dict:
    """The test copy at the smallest frame size, `frames` pixel frames (None: the shipped
    length) and `steps` sampling steps, a two-pass split kept as a split (first pass step 0-1)."""
    prompt = copy.deepcopy(prompt)
    for node in prompt.values():
        inputs, class_type = node["inputs"], node["class_type"]
        if class_type in TINY_SIZE:
            inputs["width"] = inputs["height"] = TINY_SIZE[class_type]
            if frames is not None:
                inputs["length"] = frames
        if class_type in ("KSampler", "KSamplerAdvanced", "BasicScheduler"):
            if class_type == "KSamplerAdvanced":
                if inputs["start_at_step"] > 0:
                    inputs["start_at_step"] = 1
                if inputs["end_at_step"] < inputs["steps"]:
                    inputs["end_at_step"] = 1
            inputs["steps"] = steps
    return prompt


def _source(prompt: dict, link: list) -> tuple[str, dict]:
    return link[0], prompt[link[0]]


def latent_node(prompt: dict, node_id: str) -> dict:
    """The node that made the latent a sampler or decoder works on (following latent links)."""
    node = prompt[node_id]
    while node["class_type"] not in TINY_SIZE:
        inputs = node["inputs"]
        key = next(k for k in ("samples", "latent_image", "latent") if k in inputs and isinstance(inputs[k], list))
        node_id, node = _source(prompt, inputs[key])
    return node


def expected_frames(prompt: dict, save_id: str) -> tuple[int, int, int]:
    """(frames, width, height) a SaveVideo node must write, from the widget values upstream:
    a decoded latent has the latent node's length and size; Image Stitch (right) puts its two
    inputs side by side with spacing_width between them."""

    def images(node_id: str) -> tuple[int, int, int]:
        node = prompt[node_id]
        inputs = node["inputs"]
        if node["class_type"] == "ImageStitch":
            assert inputs["direction"] == "right" and inputs["match_image_size"]
            frames1, width1, height1 = images(inputs["image1"][0])
            frames2, width2, _ = images(inputs["image2"][0])
            assert frames1 == frames2
            return frames1, width1 + width2 + inputs["spacing_width"], height1
        if node["class_type"] in ("VAEDecode", "VAEDecodeTiled"):
            latent = latent_node(prompt, inputs["samples"][0])["inputs"]
            return latent["length"], latent["width"], latent["height"]
        raise AssertionError(f"unexpected image source {node['class_type']}")

    create = prompt[prompt[save_id]["inputs"]["video"][0]]
    return images(create["inputs"]["images"][0])
