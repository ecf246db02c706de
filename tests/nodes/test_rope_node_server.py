"""RIFLEx RoPE in a real headless ComfyUI: loader -> RIFLExRoPE -> KSampler -> SaveLatent,
with tiny random-weight Wan 2.1, Wan 2.2 5B and HunyuanVideo models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_ok
from prompts import TINY, video_prompt

pytestmark = pytest.mark.comfyui

FAMILIES = ["wan21", "wan22_5b", "hunyuan_video", "hunyuan_video_15", "kandinsky5", "cogvideox"]
# component k's period in latent frames, theta_k = b^(-2(k-1)/d_t): Wan k=6 of (10000, 44);
# HunyuanVideo 1.0 and 1.5 k=4 of (256, 16); Kandinsky 5 k=3 of (10000, 16)
PERIOD_K = {
    "wan21": 2 * math.pi / 10000 ** (-10 / 44),
    "wan22_5b": 2 * math.pi / 10000 ** (-10 / 44),
    "hunyuan_video": 2 * math.pi / 256 ** (-6 / 16),
    "hunyuan_video_15": 2 * math.pi / 256 ** (-6 / 16),
    "kandinsky5": 2 * math.pi / 10000 ** (-4 / 16),
    "cogvideox": 2 * math.pi / 10000 ** (-2 / 16),  # k = 2 of (10000, 16): the paper's CogVideoX-5B
}


@pytest.fixture
def family(request, tiny_models, comfy_install):
    if TINY[request.param]["file"] not in tiny_models:
        pytest.skip(f"ComfyUI {comfy_install.version} has no {request.param} model class (added in a later ComfyUI)")
    return request.param


def test_node_schema(comfy_server):
    info = comfy_server.get("/object_info/RIFLExRoPE")["RIFLExRoPE"]
    assert info["category"] == "advanced/model_patches/RIFLEx"
    assert info["display_name"] == "RIFLEx RoPE"
    required, optional = info["input"]["required"], info["input"].get("optional", {})
    assert list(required) == ["model", "method", "k", "s"]
    # advanced inputs are optional: API prompts written without them run with the defaults
    assert list(optional) == ["train_len", "safety_factor", "yarn_alpha", "yarn_beta", "axes", "tasr_switch"]
    for name, (_, options) in {**required, **optional}.items():
        assert options.get("tooltip"), f"input {name} has no tooltip"
    method_options = required["method"][1].get("options") or required["method"][0]
    assert list(method_options) == ["riflex", "pe", "pi", "ntk", "yarn", "tasr", "loop"]
    assert required["method"][1]["default"] == "riflex"
    assert required["k"][1]["default"] == 0 and required["s"][1]["default"] == 0.0
    assert optional["safety_factor"][1]["default"] == 0.9 and optional["train_len"][1]["default"] == 0
    # ComfyUI versions whose widgets know "advanced" fold these away; older ones show them plainly
    advanced_flags = {name: options.get("advanced") for name, (_, options) in optional.items() if name != "axes"}
    assert optional["axes"][1].get("advanced") is None  # a main choice, not folded away
    assert len(set(advanced_flags.values())) == 1 and set(advanced_flags.values()) <= {True, None}
    assert all(options.get("advanced") is None for _, options in required.values())
    if tuple(int(part) for part in comfy_server.install.version.split(".")[:2]) >= (0, 33):
        assert set(advanced_flags.values()) == {True}


@pytest.mark.parametrize("family", FAMILIES, indirect=True)
def test_riflex_changes_the_video_once_component_k_would_complete_a_period(comfy_server, family):
    first_changed = math.floor(0.9 * PERIOD_K[family]) + 1  # 46 for Wan and HunyuanVideo
    out = run_ok(comfy_server, video_prompt(family, first_changed, [None, {}]))
    assert not np.array_equal(out["save_0"], out["save_1"])
    assert np.isfinite(out["save_1"]).all()
    assert f"RIFLEx riflex on {family}: {first_changed} latent frames" in comfy_server.log()


@pytest.mark.parametrize("family", FAMILIES, indirect=True)
def test_riflex_is_bit_identical_while_component_k_stays_within_one_period(comfy_server, family):
    last_unchanged = math.floor(0.9 * PERIOD_K[family])  # 45: 0.9*2*pi/45 would *raise* theta_k
    out = run_ok(comfy_server, video_prompt(family, last_unchanged, [None, {}]))
    assert np.array_equal(out["save_0"], out["save_1"])
    assert f"RIFLEx riflex on {family}: {last_unchanged} latent frames" in comfy_server.log()
    assert "no change needed" in comfy_server.log()


def test_what_was_applied_is_shown_on_the_node_once_per_run(comfy_server):
    comfy_server.free()
    entry, texts = comfy_server.run_collecting_texts(video_prompt("hunyuan_video", 66, [{}]))
    assert entry["status"]["status_str"] == "success"
    shown = [text for node_id, text in texts if node_id == "riflex_0"]
    assert shown == [
        "RIFLEx riflex on hunyuan_video: 66 latent frames (261 px), train 33, s = 2.00, k = 4: "
        f"theta_k 0.12500 -> {0.9 * 2 * math.pi / 66:.5f}, period 50.3 -> {66 / 0.9:.1f} latent frames"
    ]


def test_a_node_reports_on_itself_when_another_id_ran_the_same_inputs_before(comfy_server):
    """ComfyUI caches a node's output by its inputs; the patched model carries the id it reports
    to, so a RIFLEx node under another id (another workflow, a node deleted and re-added) must get
    its own, or its report lands on a node that is not there. Re-queueing the same prompt still
    comes from the cache: nothing runs, nothing is reported."""
    comfy_server.free()
    first = video_prompt("wan21", 61, [{}])
    assert [node for node, _ in comfy_server.run_collecting_texts(first)[1]] == ["riflex_0"]
    renamed = video_prompt("wan21", 61, [{}], seed=8)
    renamed["riflex_renamed"] = renamed.pop("riflex_0")
    renamed["sampler_0"]["inputs"]["model"] = ["riflex_renamed", 0]
    entry, texts = comfy_server.run_collecting_texts(renamed)
    assert entry["status"]["status_str"] == "success"
    assert [node for node, _ in texts] == ["riflex_renamed"]
    assert texts[0][1].startswith("RIFLEx riflex on wan21: 61 latent frames (241 px)")
    assert comfy_server.run_collecting_texts(renamed)[1] == []


@pytest.mark.parametrize("family", FAMILIES, indirect=True)
def test_pe_is_bit_identical_to_no_node(comfy_server, family):
    out = run_ok(comfy_server, video_prompt(family, 61, [None, {"method": "pe"}]))
    assert np.array_equal(out["save_0"], out["save_1"])


@pytest.mark.parametrize("method", ["pi", "ntk", "yarn"])
def test_other_methods_change_a_long_video(comfy_server, method):
    out = run_ok(comfy_server, video_prompt("wan21", 61, [None, {"method": method}]))
    assert not np.array_equal(out["save_0"], out["save_1"])


def test_branch_without_the_node_is_untouched_by_a_branch_with_it(comfy_server):
    alone = run_ok(comfy_server, video_prompt("wan21", 61, [None]))["save_0"]
    riflex_alone = run_ok(comfy_server, video_prompt("wan21", 61, [{}]))["save_0"]
    both = run_ok(comfy_server, video_prompt("wan21", 61, [None, {}]))
    assert np.array_equal(both["save_0"], alone)
    assert np.array_equal(both["save_1"], riflex_alone)
    assert not np.array_equal(alone, riflex_alone)


def test_a_second_riflex_node_replaces_the_first(comfy_server):
    prompt = video_prompt("wan21", 61, [{}])
    prompt["riflex_first"] = {"class_type": "RIFLExRoPE", "inputs": {**prompt["riflex_0"]["inputs"], "method": "pi"}}
    prompt["riflex_0"]["inputs"]["model"] = ["riflex_first", 0]
    chained = run_ok(comfy_server, prompt)["save_0"]
    alone = run_ok(comfy_server, video_prompt("wan21", 61, [{}]))["save_0"]
    assert np.array_equal(chained, alone)
    assert "(replaces an earlier RIFLEx RoPE in the chain)" in comfy_server.log()
