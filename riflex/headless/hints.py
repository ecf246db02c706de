"""What `riflex run` can add to ComfyUI's own "not in the list" rejections: where a missing model
goes and where to download it (from the UI twin of a shipped API workflow, whose loaders carry
both), and which `--set` replaces an input file (a source video, a pose video, an audio clip)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["MEDIA_INPUTS", "model_hints", "ui_twin"]

# input-media loaders and the input that names the file in ComfyUI/input/
MEDIA_INPUTS = {"LoadImage": "image", "LoadVideo": "file", "LoadAudio": "audio"}


def ui_twin(api_path: str) -> Path | None:
    """The UI workflow an API file was generated from (workflows/api/X.json -> workflows/X.json)."""
    path = Path(api_path)
    twin = path.parent.parent / path.name
    return twin if path.parent.name == "api" and twin.is_file() else None


def model_hints(api_path: str) -> dict[str, tuple[str, str]]:
    """{file name: (models/ subfolder, download url)} from the UI twin's loaders, or {}."""
    twin = ui_twin(api_path)
    if twin is None:
        return {}
    try:
        workflow: Any = json.loads(twin.read_text(encoding="utf-8"))
        return {
            str(model["name"]): (str(model["directory"]), str(model["url"]))
            for node in workflow.get("nodes", [])
            for model in node.get("properties", {}).get("models", [])
            if isinstance(model, dict) and {"name", "directory", "url"} <= set(model)
        }
    except (OSError, ValueError, AttributeError):
        return {}  # a hint is a courtesy: an unreadable twin only loses it
