"""Import ComfyUI and this pack in-process, as ComfyUI's loader does (run with ComfyUI's Python),
and the probes' common entry point."""

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


def run_cases(run_case) -> None:
    """A probe's main: set up ComfyUI and the pack (argv 1 and 2), run `run_case` on each case of
    the JSON file argv[3] and print the results as one JSON list (a case that raised: its
    traceback, so one bad case does not hide the others)."""
    import json
    import traceback

    setup(sys.argv[1], sys.argv[2])
    results = []
    for case in json.loads(Path(sys.argv[3]).read_text()):
        try:
            results.append(run_case(case))
        except Exception:
            results.append({"exception": traceback.format_exc()})
    print(json.dumps(results))
