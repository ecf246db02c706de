"""Bad and unusual inputs, each tried against a real headless ComfyUI.

Every row says what the user gets: a prompt rejected before anything runs (with the input
named), a failure in the RIFLEx node before sampling (with what is allowed), or a run that
works and says on the node what it did. After every row the server still serves, and the
loaded model without the node samples exactly as before the row.
"""

from __future__ import annotations

import numpy as np
import pytest
from comfy_host import PromptRejected
from conftest import execution_error, run_ok
from prompts import RIFLEX_DEFAULTS, video_prompt

from riflex.limits import LIMITS

pytestmark = pytest.mark.comfyui

# --- rejected by validation: (id, RIFLEx inputs, input named, text expected in the error) ----
REJECTED = [
    ("s-negative", {"s": -1.0}, "s", "RIFLEx: s = -1.0 is not allowed; use 0 (auto, measured) or a finite factor >= 1"),
    ("s-below-1", {"s": 0.5}, "s", "RIFLEx: s = 0.5 is not allowed"),
    ("s-nan", {"s": float("nan")}, "s", "RIFLEx: s = nan is not allowed"),
    ("s-inf", {"s": float("inf")}, "s", "RIFLEx: s = inf is not allowed"),
    ("k-negative", {"k": -1}, "k", "RIFLEx: k = -1 is not allowed; use 0 (auto) or a component number"),
    ("k-not-a-number", {"k": "six"}, "k", "Failed to convert an input value to a INT value"),
    ("safety-zero", {"safety_factor": 0.0}, "safety_factor", "RIFLEx: safety_factor = 0.0 is outside [0.01, 1]"),
    ("safety-negative", {"safety_factor": -0.1}, "safety_factor", "RIFLEx: safety_factor = -0.1 is outside [0.01, 1]"),
    ("safety-above-1", {"safety_factor": 1.5}, "safety_factor", "RIFLEx: safety_factor = 1.5 is outside [0.01, 1]"),
    (
        "yarn-alpha-above-beta",
        {"method": "yarn", "yarn_alpha": 40.0},
        "yarn_alpha",
        "RIFLEx: yarn_alpha = 40.0 and yarn_beta = 32.0 must satisfy 0 <= yarn_alpha < yarn_beta",
    ),
    (
        "yarn-alpha-equals-beta",
        {"method": "yarn", "yarn_alpha": 8.0, "yarn_beta": 8.0},
        "yarn_beta",
        "RIFLEx: yarn_alpha = 8.0 and yarn_beta = 8.0 must satisfy",
    ),
    (
        "yarn-alpha-negative",
        {"yarn_alpha": -1.0},
        "yarn_alpha",
        "RIFLEx: yarn_alpha = -1.0 and yarn_beta = 32.0 must satisfy",
    ),
    (
        "train-len-negative",
        {"train_len": -1},
        "train_len",
        "RIFLEx: train_len = -1 is not allowed; use 0 (the model's own)",
    ),
    (
        "method-unknown",
        {"method": "rope"},
        "method",
        "RIFLEx: method 'rope' is unknown; allowed: riflex, pe, pi, ntk, yarn, tasr, loop",
    ),
    ("input-missing", {"s": None}, "s", "Required input is missing"),
    (
        "axes-unknown",
        {"axes": "diagonal"},
        "axes",
        "RIFLEx: axes 'diagonal' is unknown; allowed: temporal, spatial, temporal+spatial",
    ),
    ("tasr-switch-above-1", {"tasr_switch": 1.5}, "tasr_switch", "RIFLEx: tasr_switch = 1.5 is outside [0, 1]"),
    ("loop-spatial", {"method": "loop", "axes": "spatial"}, "method", "RIFLEx: method loop is temporal only"),
]

# --- past the schema's declared min/max: ComfyUI leaves every input validate_inputs takes to it,
# so each range is checked there (riflex/limits.py, the schema's own numbers) ---------------------
S_RANGE = "is not allowed; use 0 (auto, measured) or a finite factor >= 1 (at most 16)"
TRAIN_RANGE = "is not allowed; use 0 (the model's own) or a positive number of latent frames up to 4096"
YARN_RANGE = "must satisfy 0 <= yarn_alpha < yarn_beta <= 1024"
REJECTED += [
    ("s-above-max", {"s": 17.0}, "s", f"RIFLEx: s = 17.0 {S_RANGE}"),
    ("s-1e308", {"s": 1e308}, "s", f"RIFLEx: s = 1e+308 {S_RANGE}"),
    ("s-just-above-max", {"s": 16.000001}, "s", f"RIFLEx: s = 16.000001 {S_RANGE}"),
    ("train-len-2-63", {"train_len": 2**63}, "train_len", f"RIFLEx: train_len = 9223372036854775808 {TRAIN_RANGE}"),
    ("train-len-1e30", {"train_len": 10**30}, "train_len", f"RIFLEx: train_len = {10**30} {TRAIN_RANGE}"),
    ("train-len-above-max", {"train_len": 4097}, "train_len", f"RIFLEx: train_len = 4097 {TRAIN_RANGE}"),
    (
        "safety-1e-300",
        {"safety_factor": 1e-300},
        "safety_factor",
        "RIFLEx: safety_factor = 1e-300 is outside [0.01, 1]",
    ),
    (
        "safety-denormal",
        {"safety_factor": 5e-324},
        "safety_factor",
        "RIFLEx: safety_factor = 5e-324 is outside [0.01, 1]",
    ),
    (
        "safety-below-min",
        {"safety_factor": 0.005},
        "safety_factor",
        "RIFLEx: safety_factor = 0.005 is outside [0.01, 1]",
    ),
    ("k-above-max", {"k": 1025}, "k", "RIFLEx: k = 1025 is not allowed; use 0 (auto) or a component number 1..d_t/2"),
    ("k-2-70", {"k": 2**70}, "k", f"RIFLEx: k = {2**70} is not allowed"),
    ("yarn-beta-above-max", {"yarn_beta": 2000.0}, "yarn_beta", f"yarn_beta = 2000.0 {YARN_RANGE}"),
    ("yarn-both-huge", {"yarn_alpha": 1e300, "yarn_beta": 1e308}, "yarn_alpha", YARN_RANGE),
    ("tasr-switch-negative", {"tasr_switch": -0.1}, "tasr_switch", "RIFLEx: tasr_switch = -0.1 is outside [0, 1]"),
]

# --- values of the wrong kind: named, with what is allowed (not "unhashable type") --------------
METHODS_ALLOWED = "allowed: riflex, pe, pi, ntk, yarn, tasr, loop"
AXES_ALLOWED = "allowed: temporal, spatial, temporal+spatial"
REJECTED += [
    ("method-object", {"method": {"a": 1}}, "method", f"RIFLEx: method {{'a': 1}} is unknown; {METHODS_ALLOWED}"),
    (
        "method-wrapped-list",
        {"method": {"__value__": ["riflex"]}},
        "method",
        f"method ['riflex'] is unknown; {METHODS_ALLOWED}",
    ),
    ("method-number", {"method": 5}, "method", f"RIFLEx: method 5 is unknown; {METHODS_ALLOWED}"),
    ("axes-wrapped-list", {"axes": {"__value__": ["a"]}}, "axes", f"RIFLEx: axes ['a'] is unknown; {AXES_ALLOWED}"),
    ("axes-object", {"axes": {"x": ["a"]}}, "axes", f"RIFLEx: axes {{'x': ['a']}} is unknown; {AXES_ALLOWED}"),
    ("axes-list", {"axes": ["a"]}, "axes", "Bad linked input, must be a length-2 list"),  # ComfyUI's own
    (
        "model-string",
        {"model": "wan.safetensors"},
        "model",
        "RIFLEx: model got the value 'wan.safetensors'; model takes a link",
    ),
    ("model-number", {"model": 3}, "model", "RIFLEx: model got the value 3; model takes a link from a model loader"),
]

# --- fail in the RIFLEx node before sampling: (id, family, model file or None, RIFLEx inputs, text) -----
FAILS = [
    (
        "k-above-wan-components",
        "wan21",
        None,
        {"k": 23},
        "RIFLEx: k = 23 is outside this model's temporal components; allowed: 1..22",
    ),
    (
        "k-far-above-wan22",
        "wan22_5b",
        None,
        {"k": 100},
        "RIFLEx: k = 100 is outside this model's temporal components; allowed: 1..22",
    ),
    (
        "k-above-hunyuan-components",
        "hunyuan_video",
        None,
        {"k": 9},
        "RIFLEx: k = 9 is outside this model's temporal components; allowed: 1..8",
    ),
    (
        "image-model",
        "wan21",
        "riflex_tiny_hunyuan_image.safetensors",
        {},
        "RIFLEx: got a HunyuanImage21 model, an image model (its latents have no time axis); RIFLEx RoPE needs a video model: Wan 2.1",
    ),
    (
        "rope-module-replaced",
        "wan21",
        "replaced",
        {},
        "RIFLEx: the WAN21 model's diffusion_model.rope_embedder is a Identity, not the EmbedND RoPE module RIFLEx patches",
    ),
]


# --- values linked from other nodes reach no validation: checked when they arrive --------------
# (id, RIFLEx input, primitive node, its value, text expected in the node's error)
LINKED = [
    ("s", "s", "PrimitiveFloat", 17.0, f"RIFLEx: s = 17.0 {S_RANGE}"),
    ("safety", "safety_factor", "PrimitiveFloat", 5e-324, "RIFLEx: safety_factor = 5e-324 is outside [0.01, 1]"),
    ("train-len", "train_len", "PrimitiveInt", 5000, f"RIFLEx: train_len = 5000 {TRAIN_RANGE}"),
    ("k", "k", "PrimitiveInt", 2000, "RIFLEx: k = 2000 is not allowed"),
    ("yarn-beta", "yarn_beta", "PrimitiveFloat", -3.0, f"yarn_beta = -3.0 {YARN_RANGE}"),
]


@pytest.fixture(scope="module")
def baseline(comfy_server):
    return run_ok(comfy_server, video_prompt("wan21", 49, [None]))["save_0"]


def assert_still_serving_unchanged(server, baseline):
    """The next valid prompt succeeds, and the model without the node samples as before."""
    assert np.array_equal(run_ok(server, video_prompt("wan21", 49, [None]))["save_0"], baseline)


@pytest.mark.parametrize("inputs,input_name,message", [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected_before_anything_runs(comfy_server, baseline, inputs, input_name, message):
    prompt = video_prompt("wan21", 49, [{**RIFLEX_DEFAULTS, **inputs}])
    for name, value in inputs.items():
        if value is None:
            del prompt["riflex_0"]["inputs"][name]
    with pytest.raises(PromptRejected) as rejected:
        comfy_server.submit(prompt)
    errors = rejected.value.body["node_errors"]["riflex_0"]["errors"]
    named = [
        e
        for e in errors
        if e.get("extra_info", {}).get("input_name") == input_name or e["details"].startswith(input_name)
    ]
    assert any(message in f"{e['message']} {e['details']}" for e in named), errors
    assert_still_serving_unchanged(comfy_server, baseline)


@pytest.mark.parametrize("family,model_file,inputs,message", [r[1:] for r in FAILS], ids=[r[0] for r in FAILS])
def test_fails_in_the_node_before_sampling(comfy_server, baseline, family, model_file, inputs, message):
    prompt = video_prompt(family, 49, [{**inputs}])
    if model_file == "replaced":
        prompt["replace"] = {"class_type": "RIFLExTestReplaceRope", "inputs": {"model": ["loader", 0]}}
        prompt["riflex_0"]["inputs"]["model"] = ["replace", 0]
    elif model_file:
        prompt["loader"]["inputs"]["unet_name"] = model_file
    error = execution_error(comfy_server, prompt)
    assert error["node_id"] == "riflex_0"
    assert message in error["exception_message"]
    assert_still_serving_unchanged(comfy_server, baseline)


@pytest.mark.parametrize("input_name,primitive,value,message", [r[1:] for r in LINKED], ids=[r[0] for r in LINKED])
def test_linked_values_are_checked_when_they_arrive(comfy_server, baseline, input_name, primitive, value, message):
    prompt = video_prompt("wan21", 49, [{}])
    prompt["value"] = {"class_type": primitive, "inputs": {"value": value}}
    prompt["riflex_0"]["inputs"][input_name] = ["value", 0]
    error = execution_error(comfy_server, prompt)
    assert error["node_id"] == "riflex_0"
    assert message in error["exception_message"]
    assert_still_serving_unchanged(comfy_server, baseline)


def test_every_accepted_extreme_samples_finite_values(comfy_server, baseline):
    # the corners of the allowed ranges, each method: the frequencies stay finite and the video too
    extremes = {"s": 16.0, "train_len": 4096, "safety_factor": 0.01}
    branches = [
        {**extremes, "method": "riflex", "k": 22},
        {**extremes, "method": "pi"},
        {**extremes, "method": "ntk"},
        {**extremes, "method": "yarn", "yarn_alpha": 0.0, "yarn_beta": 1024.0},
        {**extremes, "method": "tasr", "tasr_switch": 1.0},
        {**extremes, "method": "loop", "k": 1},
        {**extremes, "method": "riflex", "axes": "temporal+spatial"},
        {"method": "riflex", "s": 1.0, "train_len": 1, "safety_factor": 1.0, "k": 1},
    ]
    out = run_ok(comfy_server, video_prompt("wan21", 13, branches))
    for index in range(len(branches)):
        assert np.isfinite(out[f"save_{index}"]).all(), branches[index]
    assert_still_serving_unchanged(comfy_server, baseline)


def test_leftover_yarn_values_do_not_refuse_other_methods(comfy_server, baseline):
    # drift bug: yarn_alpha >= yarn_beta refused every method, while riflex/ and the editor (which
    # hides both inputs unless the method is yarn) check their order for yarn only
    leftover = {"yarn_alpha": 40.0, "yarn_beta": 8.0}
    out = run_ok(
        comfy_server, video_prompt("wan21", 61, [{}, {**leftover}, {"method": "pi", **leftover}, {"method": "pi"}])
    )
    assert np.array_equal(out["save_0"], out["save_1"])
    assert np.array_equal(out["save_2"], out["save_3"])
    assert_still_serving_unchanged(comfy_server, baseline)


def test_k_auto_uses_the_family_value(comfy_server, baseline):
    out = run_ok(comfy_server, video_prompt("wan21", 61, [None, {"k": 0}, {"k": 6}]))
    assert np.array_equal(out["save_1"], out["save_2"])
    assert "RIFLEx riflex on wan21: 61 latent frames (241 px), train 21, s = 2.90, k = 6: theta_k" in comfy_server.log()
    assert_still_serving_unchanged(comfy_server, baseline)


@pytest.mark.parametrize("method", ["riflex", "pi", "yarn"])
def test_shorter_than_training_changes_nothing_and_says_so(comfy_server, baseline, method):
    out = run_ok(comfy_server, video_prompt("wan21", 13, [None, {"method": method}]))
    assert np.array_equal(out["save_0"], out["save_1"])
    expected = f"RIFLEx {method} on wan21: 13 latent frames (49 px), train 21, s = 1.00: no change: the video is within the training length"
    assert expected in comfy_server.log()
    assert_still_serving_unchanged(comfy_server, baseline)


def test_ten_times_the_training_length_works_with_a_warning(comfy_server, baseline):
    out = run_ok(comfy_server, video_prompt("wan21", 210, [{}]))
    assert np.isfinite(out["save_0"]).all() and out["save_0"].shape[2] == 210
    assert "RIFLEx riflex on wan21: 210 latent frames (837 px), train 21, s = 10.00, k = 6" in comfy_server.log()
    assert (
        "; 10.00x the training length: past 4x, beyond what RIFLEx or attention decay has shown" in comfy_server.log()
    )
    assert_still_serving_unchanged(comfy_server, baseline)


def test_a_batch_of_two_videos(comfy_server, baseline):
    out = run_ok(comfy_server, video_prompt("wan21", 46, [None, {}], batch_size=2))
    assert out["save_1"].shape[0] == 2
    for item in range(2):  # every video of the batch is patched
        assert not np.array_equal(out["save_0"][item], out["save_1"][item])
    assert "RIFLEx riflex on wan21: 46 latent frames" in comfy_server.log()
    assert_still_serving_unchanged(comfy_server, baseline)


def test_api_prompt_without_the_advanced_inputs_uses_their_defaults(comfy_server, baseline):
    full = video_prompt("wan21", 61, [{}])
    short = video_prompt("wan21", 61, [{}])
    for name in ("train_len", "safety_factor", "yarn_alpha", "yarn_beta"):
        del short["riflex_0"]["inputs"][name]
    assert np.array_equal(run_ok(comfy_server, full)["save_0"], run_ok(comfy_server, short)["save_0"])
    assert_still_serving_unchanged(comfy_server, baseline)


def test_the_schema_declares_the_ranges_validation_checks(comfy_server):
    info = comfy_server.get("/object_info/RIFLExRoPE")["RIFLExRoPE"]["input"]
    declared = {**info["required"], **info.get("optional", {})}
    for name, (low, high) in LIMITS.items():
        options = declared[name][1]
        assert (options["min"], options["max"]) == (low, high), name
