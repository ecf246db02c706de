"""ComfyUI-RIFLEx: longer videos from video diffusion transformers by patching their RoPE.

ComfyUI loads this folder as a custom node pack. The import of the nodes is deferred to the
entrypoint so the pure-torch core (riflex/) stays importable without ComfyUI.
"""

# The editor extension (js/): ComfyUI serves this folder and loads every .js in it, for V3 packs
# (comfy_entrypoint) as for V1 ones (nodes.py load_custom_node reads it before either).
WEB_DIRECTORY = "./js"


async def comfy_entrypoint():
    from .nodes.extension import RIFLExExtension

    return RIFLExExtension()
