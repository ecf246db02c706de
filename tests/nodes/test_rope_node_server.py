"""RIFLEx RoPE in a real headless ComfyUI: loader -> RIFLExRoPE -> KSampler -> SaveLatent,
with tiny random-weight Wan 2.1, Wan 2.2 5B and HunyuanVideo models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from comfy_host import PromptRejected
from conftest import execution_error, run_ok
from prompts import RIFLEX_DEFAULTS, video_prompt

pytestmark = pytest.mark.comfyui

FAMILIES = ["wan21", "wan22_5b", "hunyuan_video"]
# component k's period in latent frames: Wan j=6 of (10000, 44); HunyuanVideo j=4 of (256, 16)
PERIOD_K = {"wan21": 2 * math.pi / 10000 ** (-10 / 44), "hunyuan_video": 2 * math.pi / 256 ** (-6 / 16)}
PERIOD_K["wan22_5b"] = PERIOD_K["wan21"]


def test_node_schema(comfy_server):
    info = comfy_server.get("/object_info/RIFLExRoPE")["RIFLExRoPE"]
    assert info["category"] == "advanced/model_patches/RIFLEx"
    assert info["display_name"] == "RIFLEx RoPE"
    required = info["input"]["required"]
    assert list(required) == ["model", "method", "k", "s", "train_len", "safety_factor", "yarn_alpha", "yarn_beta"]
    for name, (_, options) in required.items():
        assert options.get("tooltip"), f"input {name} has no tooltip"
    method_options = required["method"][1].get("options") or required["method"][0]
    assert list(method_options) == ["riflex", "pe", "pi", "ntk", "yarn"]
    assert required["method"][1]["default"] == "riflex"
    assert required["k"][1]["default"] == 0 and required["s"][1]["default"] == 0.0
    assert required["safety_factor"][1]["default"] == 0.9
    # ComfyUI versions whose widgets know "advanced" fold these away; older ones show them plainly
    advanced_flags = {name: required[name][1].get("advanced") for name in list(required)[4:]}
    assert len(set(advanced_flags.values())) == 1 and set(advanced_flags.values()) <= {True, None}
    assert all(required[name][1].get("advanced") is None for name in list(required)[:4])
    if tuple(int(part) for part in comfy_server.install.version.split(".")[:2]) >= (0, 33):
        assert set(advanced_flags.values()) == {True}


@pytest.mark.parametrize("family", FAMILIES)
def test_riflex_changes_the_video_once_component_k_would_complete_a_period(comfy_server, family):
    first_changed = math.floor(0.9 * PERIOD_K[family]) + 1  # 46 for both
    out = run_ok(comfy_server, video_prompt(family, first_changed, [None, {}]))
    assert not np.array_equal(out["save_0"], out["save_1"])
    assert np.isfinite(out["save_1"]).all()
    assert f"RIFLEx riflex on {family}: {first_changed} latent frames" in comfy_server.log()


@pytest.mark.parametrize("family", FAMILIES)
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


@pytest.mark.parametrize("family", FAMILIES)
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
    assert "replaces an earlier one in the chain" in comfy_server.log()


# (inputs, input named in the error, text of the RIFLEx message) rejected before anything runs
REJECTED = [
    ({"s": -1.0}, "s", "RIFLEx: s = -1.0 is not allowed"),
    ({"s": 0.5}, "s", "RIFLEx: s = 0.5 is not allowed"),
    ({"s": float("nan")}, "s", "RIFLEx: s = nan is not allowed"),
    ({"s": float("inf")}, "s", "RIFLEx: s = inf is not allowed"),
    ({"k": -1}, "k", "RIFLEx: k = -1 is not allowed"),
    ({"safety_factor": 0.0}, "safety_factor", "RIFLEx: safety_factor = 0.0 is outside (0, 1]"),
    ({"safety_factor": 1.5}, "safety_factor", "RIFLEx: safety_factor = 1.5 is outside (0, 1]"),
    ({"yarn_alpha": 40.0}, "yarn_alpha", "RIFLEx: yarn_alpha = 40.0 and yarn_beta = 32.0 must satisfy"),
    ({"yarn_alpha": 8.0, "yarn_beta": 8.0}, "yarn_beta", "RIFLEx: yarn_alpha = 8.0 and yarn_beta = 8.0 must satisfy"),
    ({"train_len": -1}, "train_len", "RIFLEx: train_len = -1 is not allowed"),
    ({"method": "rope"}, "method", "RIFLEx: method 'rope' is unknown; allowed: riflex, pe, pi, ntk, yarn"),
]


@pytest.fixture(scope="module")
def baseline(comfy_server):
    return run_ok(comfy_server, video_prompt("wan21", 49, [None]))["save_0"]


def assert_still_serving_unchanged(server, baseline):
    """The next valid prompt succeeds, and the model without the node samples as before."""
    assert np.array_equal(run_ok(server, video_prompt("wan21", 49, [None]))["save_0"], baseline)


@pytest.mark.parametrize("inputs,input_name,message", REJECTED, ids=[r[2].split(" is")[0][8:] for r in REJECTED])
def test_bad_input_is_rejected_before_sampling(comfy_server, baseline, inputs, input_name, message):
    with pytest.raises(PromptRejected) as rejected:
        comfy_server.submit(video_prompt("wan21", 49, [{**RIFLEX_DEFAULTS, **inputs}]))
    errors = rejected.value.body["node_errors"]["riflex_0"]["errors"]
    details = [e["details"] for e in errors]
    assert any(d.startswith(f"{input_name} - ") and message in d for d in details), details
    assert_still_serving_unchanged(comfy_server, baseline)


@pytest.mark.parametrize(
    "family,k,allowed", [("wan21", 23, "1..22"), ("wan22_5b", 100, "1..22"), ("hunyuan_video", 9, "1..8")]
)
def test_k_outside_the_models_components_fails_with_the_range(comfy_server, baseline, family, k, allowed):
    error = execution_error(comfy_server, video_prompt(family, 49, [{"k": k}]))
    assert error["node_id"] == "riflex_0"
    assert (
        f"RIFLEx: k = {k} is outside this model's temporal components; allowed: {allowed}" in error["exception_message"]
    )
    assert_still_serving_unchanged(comfy_server, baseline)


def test_an_image_model_is_refused_with_the_supported_families(comfy_server, baseline):
    prompt = video_prompt("wan21", 5, [{}])
    prompt["loader"]["inputs"]["unet_name"] = "riflex_tiny_hunyuan_image.safetensors"
    error = execution_error(comfy_server, prompt)
    assert error["node_id"] == "riflex_0"
    message = error["exception_message"]
    assert "RIFLEx: got a HunyuanImage21 model; RIFLEx RoPE needs a supported video model" in message
    assert "Wan 2.1" in message and "HunyuanVideo" in message
    assert_still_serving_unchanged(comfy_server, baseline)
