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
    "wan2.2_s2v_14B_201_frames": "wan_s2v",
    "humo_17B_241_frames": "wan_humo",
    "wan2.2_animate_14B_201_frames": "wan_animate",
    "cosmos1_7B_text2world_241_frames": "cosmos1",
    "cosmos_predict2_2B_video2world_185_frames": "cosmos_predict2",
    "ltxv_2B_t2v_513_frames": "ltxv",
    "void_cogvideox1.5_inpainting_197_frames": "cogvideox_15",
    "wan2.2_ti2v_5B_context_windows_481_frames": "wan22_5b",
    "wan2.1_t2v_1.3B_333_frames_attention_decay": "wan21",
    "hunyuan_video_t2v_385_frames_attention_decay": "hunyuan_video",
    "compare_extrapolation_wan2.1_1.3B_333_frames": "wan21",
}

# context-window nodes (ComfyUI core) and the pixel frames of one window: the model, and so every
# RIFLEx node, sees one window at a time. ComfyUI 0.33 shows every window after the first one
# latent frame from before it as well (causal_window_fix, always on in WanContextWindowsManual):
# one latent frame (temporal compression pixel frames) longer.
CONTEXT_WINDOW_NODES = ("WanContextWindowsManual",)


def window_pixel_frames(context_length: int, temporal_compression: int, causal_fix: bool) -> list[int]:
    """The window lengths, in pixel frames, a RIFLEx node is shown: the first window's, and
    where ComfyUI has the causal fix, the later windows' (one latent frame more)."""
    return [context_length] + ([context_length + temporal_compression] if causal_fix else [])


# every diffusion model and VAE a shipped workflow loads -> the tiny file the test server holds
# under that real name (built by tiny_models.py and tiny_workflow_parts.py with ComfyUI's own
# classes). Wan 2.2 A14B's two models share Wan 2.1 14B's architecture: the tiny Wan 2.1 stands
# in for both. The Wan 2.2, HunyuanVideo and HunyuanVideo 1.5 VAEs are ComfyUI's own classes at
# a reduced width (tiny_workflow_parts.patch_fixed_vae_widths, test server only), and so is the
# Cosmos 1.0 tokenizer. The S2V, HuMo and Animate models are tiny_models.py's, detected as such.
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
    "vae/cosmos_cv8x8x8_1.0.safetensors": "riflex_tiny_vae_cosmos1.safetensors",
    "diffusion_models/wan2.2_s2v_14B_fp8_scaled.safetensors": "riflex_tiny_wan_s2v.safetensors",
    "diffusion_models/humo_17B_fp8_e4m3fn.safetensors": "riflex_tiny_wan_humo.safetensors",
    "diffusion_models/Wan2_2-Animate-14B_fp8_e4m3fn_scaled_KJ.safetensors": "riflex_tiny_wan_animate.safetensors",
    # model and VAE in one file, loaded by CheckpointLoaderSimple as shipped: tiny_models.py's LTXV
    # and a tiny LTXV VAE whose configuration is in the file's metadata, which ComfyUI reads
    # (tiny_workflow_parts.build_ltxv_checkpoint)
    "checkpoints/ltx-video-2b-v0.9.5.safetensors": "riflex_tiny_ltxv_checkpoint.safetensors",
    # VOID's two passes (CogVideoX-Fun-V1.5 inpainting, 48 input channels, detected as
    # CogVideoX_Inpaint) share one tiny model; the CogVideoX VAE is patched to tiny widths like the
    # Wan 2.2 one; RAFT-large is torchvision's own class with random weights (the only optical-flow
    # model OpticalFlowLoader builds, 21 MB). Where ComfyUI has no CogVideoX (0.8) they are not
    # built and the server holds placeholders (the workflow is skipped there).
    "diffusion_models/void_pass1.safetensors": "riflex_tiny_cogvideox_15_inpaint.safetensors",
    "diffusion_models/void_pass2.safetensors": "riflex_tiny_cogvideox_15_inpaint.safetensors",
    "vae/cogvideox_vae.safetensors": "riflex_tiny_vae_cogvideox.safetensors",
    "optical_flow/raft_large_C_T_SKHT_V2-ff5fadd5.safetensors": "riflex_random_raft_large.safetensors",
}

# Cosmos 1.0 and Predict2: ComfyUI's detection builds these at full size whatever the file holds
# (tiny_models.IN_PROCESS_FAMILIES), so no tiny file loads through UNETLoader. The real name is a
# never-loaded placeholder on the test server, and the test copy of each prompt replaces the
# UNETLoader that names it with RIFLExTestTinyModel, which builds the tiny model in the server's
# process with ComfyUI's own classes (tiny_models.in_process_patcher).
IN_PROCESS_MODELS = {
    "diffusion_models/Cosmos-1_0-Diffusion-7B-Text2World.safetensors": "cosmos1",
    "diffusion_models/cosmos_predict2_2B_video2world_480p_16fps.safetensors": "cosmos_predict2",
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
        "which is what Wan I2V and Wan Animate read)."
    ),
    "audio_encoders": (
        "audio encoders: ComfyUI builds wav2vec2 large (Wan S2V: 24 layers x 1024) and Whisper large v3 (HuMo: "
        "32 layers x 1280) from fixed configurations (comfy/audio_encoders/audio_encoders.py); a smaller file does not "
        "load. AudioEncoderLoader is dropped and AudioEncoderEncode becomes RIFLExTestAudioEncoderOutput: random "
        "hidden states of every layer, of the model's shape, at its 50 per second, for the given audio length."
    ),
}
# families whose text conditioning carries the tokenizer's attention mask (LTX-Video's T5: "attention_mask",
# [1, tokens], which model_base.LTXV.extra_conds passes to the model)
ATTENTION_MASK_FAMILIES = ("ltxv",)
# per audio encoder file: what RIFLExTestAudioEncoderOutput must imitate (layers incl. the embedding output, width)
AUDIO_ENCODERS = {
    "wav2vec2_large_english_fp16.safetensors": (25, 1024),
    "whisper_large_v3_fp16.safetensors": (33, 1280),
}
# the pose and face videos Wan Animate is driven by (made by DWPose custom nodes): the test copy
# replaces LoadVideo + GetVideoComponents with RIFLExTestVideo frames of the same length. The
# videos named here are loaded as they are instead (the test server holds 17-frame clips under
# these names): VOID reads its source video's frame rate as well as its frames.
LOADED_VIDEOS = ("riflex_void_source.mp4", "riflex_void_quadmask.mp4")
TEST_AUDIO_SECONDS = 2

# test copy: the smallest frame each latent node accepts (one patch per latent frame)
TINY_SIZE = {
    "EmptyHunyuanLatentVideo": 16,
    "WanImageToVideo": 16,
    "Kandinsky5ImageToVideo": 16,
    "Wan22ImageToVideoLatent": 32,
    "EmptyHunyuanVideo15Latent": 32,
    "WanSoundImageToVideo": 16,
    "WanHuMoImageToVideo": 16,
    "WanAnimateToVideo": 16,
    "CosmosPredict2ImageToVideoLatent": 16,
    "EmptyCosmosLatentVideo": 16,
    "EmptyLTXVLatentVideo": 64,
    # VOIDWarpedNoise halves the frames before RAFT, which needs 128 px (its correlation pyramid)
    "VOIDInpaintConditioning": 256,
    "VOIDWarpedNoise": 256,
}
TEST_FRAMES = 17  # 5 latent frames: a short run through every node (VAE decode time grows with frames)
# 5 frames (2 latent) where each frame costs seconds on the CPU whatever the tiny model: VOID's RAFT
# and noise warp at 256 px (VOID rounds lengths to an even latent count: 17 would become 13), and
# Wan Animate's face motion encoder, which ComfyUI builds at its full size (512 px face crops)
TEST_FRAMES_FOR = {"void_cogvideox1.5_inpainting_197_frames": 5, "wan2.2_animate_14B_201_frames": 5}
# the attention-decay workflows run at their shipped 4x / 3x lengths (None): within the training
# length the decay does nothing, so 17 frames would test nothing of it
DECAY_WORKFLOWS = (
    "wan2.1_t2v_1.3B_333_frames_attention_decay",
    "hunyuan_video_t2v_385_frames_attention_decay",
    "compare_extrapolation_wan2.1_1.3B_333_frames",
)
TEST_FRAMES_FOR.update(dict.fromkeys(DECAY_WORKFLOWS))
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
    original, prompt = prompt, copy.deepcopy(prompt)
    tiny = TINY[family]
    for node_id, node in list(prompt.items()):
        class_type = node["class_type"]
        if class_type in ("CLIPLoader", "DualCLIPLoader", "CLIPVisionLoader", "AudioEncoderLoader"):
            del prompt[node_id]
        elif class_type == "UNETLoader" and f"diffusion_models/{node['inputs']['unet_name']}" in IN_PROCESS_MODELS:
            family_key = IN_PROCESS_MODELS[f"diffusion_models/{node['inputs']['unet_name']}"]
            prompt[node_id] = {"class_type": "RIFLExTestTinyModel", "inputs": {"family": family_key}}
        elif class_type == "AudioEncoderEncode":
            loader = original[node["inputs"]["audio_encoder"][0]]["inputs"]["audio_encoder_name"]
            layers, width = AUDIO_ENCODERS[loader]
            prompt[node_id] = {
                "class_type": "RIFLExTestAudioEncoderOutput",
                "inputs": {"layers": layers, "width": width, "seconds": TEST_AUDIO_SECONDS, "seed": int(node_id)},
            }
        elif class_type == "GetVideoComponents" and not _loads(original, node, LOADED_VIDEOS):
            prompt[node_id] = {  # Animate's pose / face video
                "class_type": "RIFLExTestVideo",
                "inputs": {"frames": TEST_FRAMES, "loop_frame": 0, "slow_after": 0, "static": False},
            }
        elif class_type == "LoadVideo" and node["inputs"]["file"] not in LOADED_VIDEOS:
            del prompt[node_id]
        elif class_type == "CLIPTextEncode":
            prompt[node_id] = {
                "class_type": "RIFLExTestConditioning",
                "inputs": {"tokens": 4, "width": tiny["context"], "pooled_width": tiny["pooled"], "seed": int(node_id)},
            }
            if family in ATTENTION_MASK_FAMILIES:
                prompt[node_id]["inputs"]["attention_mask"] = True
        elif class_type == "CLIPVisionEncode":
            prompt[node_id] = {"class_type": "RIFLExTestClipVisionOutput", "inputs": {"seed": int(node_id)}}
    for node_id, node in prompt.items():
        for name, value in node["inputs"].items():
            if isinstance(value, list):
                assert value[0] in prompt, f"node {node_id} input {name} still links to a substituted node {value[0]}"
    return prompt


def _loads(prompt: dict, node: dict, files) -> bool:
    """Whether this node's video comes from a LoadVideo of one of `files`."""
    source = prompt[node["inputs"]["video"][0]]
    return source["class_type"] == "LoadVideo" and source["inputs"]["file"] in files


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
        if class_type in ("KSampler", "KSamplerAdvanced", "BasicScheduler", "LTXVScheduler"):
            if class_type == "KSamplerAdvanced":
                if inputs["start_at_step"] > 0:
                    inputs["start_at_step"] = 1
                if inputs["end_at_step"] < inputs["steps"]:
                    inputs["end_at_step"] = 1
            inputs["steps"] = steps
        if class_type == "RIFLExTestVideo" and frames is not None:
            inputs["frames"] = frames
    return prompt


def needed_by(prompt: dict, output_ids) -> dict:
    """The part of a prompt these output nodes need (what ComfyUI would run for them)."""
    kept, todo = set(), list(output_ids)
    while todo:
        node_id = todo.pop()
        if node_id not in kept:
            kept.add(node_id)
            todo += [value[0] for value in prompt[node_id]["inputs"].values() if isinstance(value, list)]
    return {node_id: node for node_id, node in prompt.items() if node_id in kept}


def pass_1_only(prompt: dict) -> dict:
    """VOID's first pass alone (what pass 1's Save Video needs), at the smallest frame size."""
    save = next(
        node_id
        for node_id, node in prompt.items()
        if node["class_type"] == "SaveVideo" and "pass1" in node["inputs"]["filename_prefix"]
    )
    prompt = copy.deepcopy(needed_by(prompt, [save]))
    for node in prompt.values():
        if node["class_type"] == "VOIDInpaintConditioning":
            node["inputs"]["width"] = node["inputs"]["height"] = 16
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


def decoded_frames(latent_class: str, length: int) -> int:
    """Pixel frames the VAE decodes from the latent a latent node made for `length` frames: the
    same number, except for VOID's. VOIDInpaintConditioning rounds the latent count down to an even
    one (CogVideoX 1.5's temporal patch of 2), and ComfyUI's CogVideoX VAE upsamples time twice by 2,
    keeping the first frame apart only when the count is odd: an even count decodes to 4 frames each."""
    if latent_class != "VOIDInpaintConditioning":
        return length
    latent = (length - 1) // 4 + 1
    return 4 * (latent - latent % 2)


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
            source = latent_node(prompt, inputs["samples"][0])
            latent = source["inputs"]
            return decoded_frames(source["class_type"], latent["length"]), latent["width"], latent["height"]
        raise AssertionError(f"unexpected image source {node['class_type']}")

    create = prompt[prompt[save_id]["inputs"]["video"][0]]
    return images(create["inputs"]["images"][0])
