"""The tiny random-weight families the tests build, one record each: what file a family's model is
in, how it is made, and what a prompt for it needs. Standard library only, so both sides read it:
tiny_models.py (run with ComfyUI's Python) builds from it, tests/nodes/prompts.py (pytest's
Python) writes prompts from it. Adding a tiny family = one record here and its builder in
tiny_models.BUILDERS."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TinyFamily:
    key: str
    channels: int  # latent channels
    context: int  # text conditioning width
    pooled: int = 0  # pooled conditioning width (0: the family takes none)
    # only newer ComfyUIs have this module: no file is written where it is missing
    needs_module: str | None = None
    # built in the process that uses it (tiny_models.in_process_patcher) from ComfyUI's detection
    # of a real checkpoint's shapes: (supported_models class, {key: shape}); the "file" is a
    # marker naming the family, not loadable by UNETLoader
    in_process: tuple[str, dict[str, tuple[int, ...]]] | None = None
    video: bool = True  # False: a model ComfyUI detects as an image model (the refusal case)

    @property
    def file(self) -> str:
        return f"riflex_tiny_{self.key}.{'inprocess' if self.in_process else 'safetensors'}"


_FAMILIES = (
    TinyFamily("wan21", channels=16, context=4096),
    TinyFamily("wan22_5b", channels=48, context=4096),
    TinyFamily("hunyuan_video", channels=16, context=4096, pooled=768),
    TinyFamily("hunyuan_video_15", channels=32, context=3584),
    TinyFamily("kandinsky5", channels=16, context=3584, pooled=768),
    # HunyuanVideo's classes without vector_in, which ComfyUI detects as the HunyuanImage 2.1
    # image model (on 0.8 and 0.33 alike): the "not a video model" case
    TinyFamily("hunyuan_image", channels=16, context=4096, video=False),
    TinyFamily("wan_s2v", channels=16, context=4096),
    TinyFamily("wan_humo", channels=16, context=4096),
    TinyFamily("wan_animate", channels=16, context=4096),
    TinyFamily("cogvideox", channels=16, context=4096, needs_module="comfy.ldm.cogvideo"),
    TinyFamily("cogvideox_15", channels=16, context=4096, needs_module="comfy.ldm.cogvideo"),
    TinyFamily("ltxv", channels=128, context=4096),
    # Cosmos: detection forces full-size blocks and heads for these widths, so these are built
    # from what detection says about a real checkpoint (7B Text2World: 4096 channels; Predict2 2B
    # Video2World: 2048), with width, heads and depth shrunk and head dim (128) and RoPE kept
    TinyFamily(
        "cosmos1",
        channels=16,
        context=1024,
        in_process=(
            "CosmosT2V",
            {"x_embedder.proj.1.weight": (4096, 68), "blocks.block0.blocks.0.block.attn.to_q.0.weight": (4096, 4096)},
        ),
    ),
    TinyFamily(
        "cosmos_predict2",
        channels=16,
        context=1024,
        in_process=(
            "CosmosI2VPredict2",
            {"x_embedder.proj.1.weight": (2048, 72), "blocks.0.mlp.layer1.weight": (8192, 2048)},
        ),
    ),
)
TINY_FAMILIES: dict[str, TinyFamily] = {family.key: family for family in _FAMILIES}
