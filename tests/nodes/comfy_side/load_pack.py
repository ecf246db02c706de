"""Import ComfyUI and this pack in-process, as ComfyUI's loader does (run with ComfyUI's Python)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PACK_NAME = "ComfyUI_RIFLEx_under_test"


def setup(comfyui_dir: str, repo_dir: str):
    sys.path.insert(0, comfyui_dir)
    from comfy.cli_args import args

    args.cpu = True
    spec = importlib.util.spec_from_file_location(
        PACK_NAME, Path(repo_dir) / "__init__.py", submodule_search_locations=[repo_dir]
    )
    pack = importlib.util.module_from_spec(spec)
    sys.modules[PACK_NAME] = pack
    spec.loader.exec_module(pack)
    return pack
