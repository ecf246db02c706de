"""The RIFLEx nodes when ComfyUI calls one model from several threads at once, as MultiGPU's CFG
split does (cond and uncond on different devices, in threads, on deep clones of the model).

probe_threads.py records the exact arguments the sampler hands the patched model, then calls it
from two threads released together, many times, and compares every output bit for bit with the
same calls made one after the other. Before the per-thread plan key, a shared "current key" on
the RoPE replacement let one thread's call run with the other's key or with none (unpatched
frequencies): 2 of 40 calls differed for Wan with equal lengths, 6 of 40 with two lengths, 20 of
40 for CogVideoX and LTX. MultiGPU's deep clone now gets a RoPE replacement bound to its own
model; before, it shared the first model's (a CogVideoX clone on another device called the first
device's module).
"""

from __future__ import annotations

import json

import pytest
from comfy_host import run_comfy_script
from conftest import run_ok
from prompts import TINY, riflex, video_prompt

pytestmark = pytest.mark.comfyui

CASES = {
    # cond and uncond at the same length, as MultiGPU splits them
    "wan21-same-length": {"family": "wan21", "frames": [61, 61], "rounds": 30},
    # two lengths at once: a shared key would plan one call with the other's length
    "wan21-two-lengths": {"family": "wan21", "frames": [61, 50], "rounds": 30, "deepclone": True},
    "wan21-with-attention-decay": {"family": "wan21", "frames": [61, 50], "rounds": 15, "decay": True},
    "hunyuan_video-two-lengths": {"family": "hunyuan_video", "frames": [70, 66], "rounds": 15},
    "cogvideox-two-lengths": {"family": "cogvideox", "frames": [26, 30], "rounds": 30, "deepclone": True},
    "cosmos1-two-lengths": {"family": "cosmos1", "frames": [33, 40], "rounds": 15, "deepclone": False},
    "ltxv-two-lengths": {"family": "ltxv", "frames": [70, 80], "rounds": 30, "deepclone": True, "attention_mask": True},
}


@pytest.fixture(scope="module")
def thread_results(comfy_install, tiny_models, tmp_path_factory):
    folder = next(iter(tiny_models.values())).parent
    present = {name: case for name, case in CASES.items() if (folder / TINY[case["family"]]["file"]).exists()}
    cases = [
        {
            **case,
            "model_file": str(folder / TINY[case["family"]]["file"]),
            "channels": TINY[case["family"]]["channels"],
            "pooled": TINY[case["family"]]["pooled"],
            "context": TINY[case["family"]]["context"],
        }
        for case in present.values()
    ]
    cases_file = tmp_path_factory.mktemp("threads") / "cases.json"
    cases_file.write_text(json.dumps(cases))
    out = run_comfy_script(comfy_install, "probe_threads.py", str(cases_file))
    return dict(zip(present, json.loads(out.strip().splitlines()[-1]), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_concurrent_calls_equal_sequential_ones(thread_results, comfy_install, name):
    if name not in thread_results:
        pytest.skip(f"ComfyUI {comfy_install.version} has no {CASES[name]['family']} model class")
    result = thread_results[name]
    assert "exception" not in result, result.get("exception")
    assert result["errors"] == []
    assert result["mismatches"] == 0, f"{result['mismatches']} of {2 * result['rounds']} concurrent calls differed"


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.get("deepclone")])
def test_multigpu_deep_clone_has_its_own_replacement(thread_results, comfy_install, name):
    if name not in thread_results:
        pytest.skip(f"ComfyUI {comfy_install.version} has no {CASES[name]['family']} model class")
    result = thread_results[name]
    if "deepclone" in result:
        pytest.skip(f"ComfyUI {comfy_install.version}: {result['deepclone']}")
    assert result["deep_model_is_new"] and result["deep_replacement_is_new"]
    assert result["deep_replacement_bound_to_deep_model"] and result["deep_output_equal"]


def test_a_prompt_through_multigpu_work_units_with_the_nodes_before_and_after(comfy_server):
    """MultiGPU_WorkUnits (ComfyUI 0.33+) before and after RIFLEx RoPE and attention decay samples
    exactly as the nodes alone (on a CPU-only machine it makes no deep clone: see the in-process
    deep-clone test)."""
    if "MultiGPU_WorkUnits" not in comfy_server.get("/object_info"):
        pytest.skip(f"ComfyUI {comfy_server.install.version} has no MultiGPU_WorkUnits (added after 0.8)")
    work_units = ("MultiGPU_WorkUnits", {"max_gpus": 2})
    decay = ("RIFLExAttentionDecay", {"alpha": 0.9, "window": 0.0, "beta": 0.6})
    prompt = video_prompt(
        "wan21",
        61,
        [[riflex(), decay], [work_units, riflex(), decay], [riflex(), decay, work_units]],
        height=2,
        width=2,
        steps=2,
    )
    latents = run_ok(comfy_server, prompt)
    alone, before, after = (latents[f"save_{i}"] for i in range(3))
    assert (before == alone).all() and (after == alone).all()
