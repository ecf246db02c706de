"""Test-only ComfyUI nodes: conditioning without a text encoder, so tiny models can sample.

Installed into the test server's custom_nodes by the tests; never shipped with the pack.
"""

import torch


class RIFLExTestConditioning:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "tokens": ("INT", {"default": 4, "min": 1, "max": 512}),
                "width": ("INT", {"default": 4096, "min": 1, "max": 8192}),
                "pooled_width": ("INT", {"default": 0, "min": 0, "max": 4096}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, tokens, width, pooled_width, seed):
        generator = torch.Generator().manual_seed(seed)
        context = torch.randn((1, tokens, width), generator=generator)
        extra = {}
        if pooled_width:
            extra["pooled_output"] = torch.randn((1, pooled_width), generator=generator)
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
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "make"
    CATEGORY = "testing/RIFLEx"

    def make(self, channels, frames, height, width):
        return ({"samples": torch.zeros((1, channels, frames, height, width))},)


NODE_CLASS_MAPPINGS = {
    "RIFLExTestConditioning": RIFLExTestConditioning,
    "RIFLExTestEmptyLatent": RIFLExTestEmptyLatent,
}
