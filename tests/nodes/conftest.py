"""A real ComfyUI for the node tests: found (see tests/nodes/comfy_host.py), started headless on
127.0.0.1 with the pack installed, tiny models built with its own classes. Every test here
runs once per ComfyUI found, and skips with the reason when none is."""

from __future__ import annotations

import numpy as np
import pytest
from comfy_host import ComfyServer, build_tiny_models


@pytest.fixture(scope="session")
def tiny_models(comfy_install, tmp_path_factory):
    return build_tiny_models(comfy_install, tmp_path_factory.mktemp(f"tiny-{comfy_install.version}"))


@pytest.fixture(scope="session")
def comfy_server(comfy_install, tiny_models):
    server = ComfyServer(comfy_install, tiny_models)
    server.start()
    yield server
    server.stop()


def run_ok(server: ComfyServer, prompt: dict, fresh: bool = True, texts: list | None = None) -> dict[str, np.ndarray]:
    """Run a prompt that must succeed, every node computed anew; returns SaveLatent outputs by node id.
    texts: a list to which the (node id, text) lines shown on nodes are appended, read from the
    websocket as the editor does."""
    from safetensors.numpy import load_file

    if fresh:
        server.free()
    if texts is None:
        entry = server.run(prompt)
    else:
        entry, shown = server.run_collecting_texts(prompt)
        texts.extend(shown)
    status = entry["status"]
    assert status["status_str"] == "success", f"{status['messages']}\n{server.log()[-3000:]}"
    if fresh:
        cached = [m[1]["nodes"] for m in status["messages"] if m[0] == "execution_cached"]
        sampled_from_cache = [n for nodes in cached for n in nodes if n.startswith("sampler_")]
        assert not sampled_from_cache, f"samplers served from cache: {sampled_from_cache}"
    return {
        node_id: load_file(str(server.output_path(out["latents"][0])))["latent_tensor"]
        for node_id, out in entry["outputs"].items()
        if "latents" in out
    }


def execution_error(server: ComfyServer, prompt: dict) -> dict:
    entry = server.run(prompt)
    assert entry["status"]["status_str"] == "error", "the prompt was expected to fail"
    errors = [m[1] for m in entry["status"]["messages"] if m[0] == "execution_error"]
    assert errors, entry["status"]["messages"]
    return errors[0]


def with_defaults(server: ComfyServer, class_type: str, inputs: dict) -> tuple[str, dict]:
    """(class_type, inputs) with every other widget input at its default, read from this
    ComfyUI's /object_info (core nodes gain inputs between versions)."""
    info = server.get(f"/object_info/{class_type}")[class_type]["input"]
    filled = {}
    for name, spec in info.get("required", {}).items():
        options = spec[1] if len(spec) > 1 else {}
        if name not in inputs and "default" in options:
            filled[name] = options["default"]
        elif name not in inputs and isinstance(spec[0], list) and spec[0]:
            filled[name] = spec[0][0]
        elif name not in inputs and options.get("options"):
            filled[name] = options["options"][0]
    return class_type, {**filled, **inputs}
