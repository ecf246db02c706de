from __future__ import annotations

from comfy_api.latest import ComfyExtension, io

from .decay_node import RIFLExAttentionDecay
from .inspect_node import RIFLExInspect
from .repetition_node import RIFLExRepetitionCheck
from .rope_node import RIFLExRoPE


class RIFLExExtension(ComfyExtension):
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return [RIFLExRoPE, RIFLExAttentionDecay, RIFLExInspect, RIFLExRepetitionCheck]
