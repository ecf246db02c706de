"""ComfyUI-RIFLEx: longer videos from video diffusion transformers by patching their RoPE.

ComfyUI loads this folder as a custom node pack. The import of the nodes is deferred to the
entrypoint so the pure-torch core (riflex/) stays importable without ComfyUI.
"""


async def comfy_entrypoint():
    from .nodes.extension import RIFLExExtension

    return RIFLExExtension()
