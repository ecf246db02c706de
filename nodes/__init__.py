"""The ComfyUI side of the pack: the only code that imports comfy.* and comfy_api.*."""
