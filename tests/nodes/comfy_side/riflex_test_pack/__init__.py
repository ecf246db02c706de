"""Test-only ComfyUI nodes: conditioning without a text encoder, so tiny models can sample.

Installed into the test server's custom_nodes by the tests; never shipped with the pack.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from synthetic_video import render  # noqa: E402  (tests/nodes/comfy_side, beside this pack)

if os.environ.get("RIFLEX_TEST_TINY_VAES") == "1":
    # the workflow tests' server: build the fixed-width video VAEs at tiny widths (see tiny_workflow_parts)
    from tiny_workflow_parts import patch_fixed_vae_widths  # noqa: E402

    patch_fixed_vae_widths()


class RIFLExTestConditioning:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "tokens": ("INT", {"default": 4, "min": 1, "max": 512}),
                "width": ("INT", {"default": 4096, "min": 1, "max": 8192}),
                "pooled_width": ("INT", {"default": 0, "min": 0, "max": 4096}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            },
            # LTX-Video's T5 conditioning carries the tokenizer's mask ("attention_mask", [1, tokens])
            "optional": {"attention_mask": ("BOOLEAN", {"default": False})},
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, tokens, width, pooled_width, seed, attention_mask=False):
        generator = torch.Generator().manual_seed(seed)
        context = torch.randn((1, tokens, width), generator=generator)
        # HunyuanVideo-style models read pooled_output unconditionally: None when there is none
        extra = {"pooled_output": torch.randn((1, pooled_width), generator=generator) if pooled_width else None}
        if attention_mask:
            extra["attention_mask"] = torch.ones((1, tokens), dtype=torch.long)
        return ([[context, extra]],)


class RIFLExTestEmptyLatent:
    """An empty video latent of any channel count (the core nodes fix 16 or need a VAE)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "channels": ("INT", {"default": 16, "min": 1, "max": 128}),
                "frames": ("INT", {"default": 21, "min": 1, "max": 4096}),
                "height": ("INT", {"default": 2, "min": 1, "max": 512}),
                "width": ("INT", {"default": 2, "min": 1, "max": 512}),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, channels, frames, height, width, batch_size):
        return ({"samples": torch.zeros((batch_size, channels, frames, height, width))},)


class RIFLExTestReplaceRope:
    """Replaces a model's RoPE module with something that is not one (as a foreign patch
    might), to check that RIFLEx refuses it clearly instead of patching blindly."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL",)}}

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"
    CATEGORY = "testing/RIFLEx"

    def patch(self, model):
        patched = model.clone()
        patched.add_object_patch("diffusion_model.rope_embedder", torch.nn.Identity())
        return (patched,)


class RIFLExTestVideo:
    """A synthetic clip as an IMAGE batch: a textured pan that replays its start from
    loop_frame on (0 = never), optionally slowed to half speed after slow_after frames."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "frames": ("INT", {"default": 161, "min": 2, "max": 2000}),
                "loop_frame": ("INT", {"default": 0, "min": 0, "max": 2000}),
                "slow_after": ("INT", {"default": 0, "min": 0, "max": 2000}),
                "static": ("BOOLEAN", {"default": False}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, frames, loop_frame, slow_after, static):
        if static:
            positions = [0.0] * frames
        elif slow_after:
            positions = [t if t < slow_after else slow_after + (t - slow_after) / 2 for t in range(frames)]
        else:
            positions = [t % loop_frame if loop_frame else t for t in range(frames)]
        return (torch.from_numpy(render(positions)),)


class RIFLExTestClipVisionOutput:
    """What CLIP Vision Encode gives Wan I2V, without a CLIP-vision model: random
    penultimate hidden states of ViT-H/14's shape (257 tokens x 1280)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"seed": ("INT", {"default": 0, "min": 0, "max": 2**31})}}

    RETURN_TYPES = ("CLIP_VISION_OUTPUT",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, seed):
        import comfy.clip_vision

        generator = torch.Generator().manual_seed(seed)
        output = comfy.clip_vision.Output()
        output["penultimate_hidden_states"] = torch.randn((1, 257, 1280), generator=generator)
        output["last_hidden_state"] = torch.randn((1, 257, 1280), generator=generator)
        output["image_embeds"] = torch.randn((1, 1024), generator=generator)
        return (output,)


class RIFLExTestTinyModel:
    """A tiny random-weight model of a family ComfyUI's detection builds at full size (Cosmos 1.0
    and Predict2: tiny_families.TinyFamily.in_process), made in this process with ComfyUI's own classes;
    stands in for the UNETLoader of the real file in the workflow tests."""

    @classmethod
    def INPUT_TYPES(cls):
        from tiny_families import TINY_FAMILIES

        return {"required": {"family": (sorted(key for key, tiny in TINY_FAMILIES.items() if tiny.in_process),)}}

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, family):
        from tiny_models import in_process_patcher

        return (in_process_patcher(family),)


class RIFLExTestAudioEncoderOutput:
    """What Audio Encoder Encode gives Wan S2V and HuMo, without the audio model: random hidden
    states of every layer ([1, frames, width] each, 50 frames per second) for `seconds` of 16 kHz audio."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "layers": ("INT", {"default": 25, "min": 1, "max": 64}),
                "width": ("INT", {"default": 1024, "min": 1, "max": 4096}),
                "seconds": ("INT", {"default": 2, "min": 1, "max": 600}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            }
        }

    RETURN_TYPES = ("AUDIO_ENCODER_OUTPUT",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, layers, width, seconds, seed):
        generator = torch.Generator().manual_seed(seed)
        all_layers = [torch.randn((1, 50 * seconds, width), generator=generator) for _ in range(layers)]
        return (
            {"encoded_audio": all_layers[-1], "encoded_audio_all_layers": all_layers, "audio_samples": 16000 * seconds},
        )


NODE_CLASS_MAPPINGS = {
    "RIFLExTestTinyModel": RIFLExTestTinyModel,
    "RIFLExTestAudioEncoderOutput": RIFLExTestAudioEncoderOutput,
    "RIFLExTestClipVisionOutput": RIFLExTestClipVisionOutput,
    "RIFLExTestVideo": RIFLExTestVideo,
    "RIFLExTestReplaceRope": RIFLExTestReplaceRope,
    "RIFLExTestConditioning": RIFLExTestConditioning,
    "RIFLExTestEmptyLatent": RIFLExTestEmptyLatent,
}
