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

pytestmark = pytest.mark.comfyui

# --- rejected by validation: (id, RIFLEx inputs, input named, text expected in the error) ----
REJECTED = [
    ("s-negative", {"s": -1.0}, "s", "RIFLEx: s = -1.0 is not allowed; use 0 (auto, measured) or a finite factor >= 1"),
    ("s-below-1", {"s": 0.5}, "s", "RIFLEx: s = 0.5 is not allowed"),
    ("s-nan", {"s": float("nan")}, "s", "RIFLEx: s = nan is not allowed"),
    ("s-inf", {"s": float("inf")}, "s", "RIFLEx: s = inf is not allowed"),
    ("k-negative", {"k": -1}, "k", "RIFLEx: k = -1 is not allowed; use 0 (auto) or a component number"),
    ("k-not-a-number", {"k": "six"}, "k", "Failed to convert an input value to a INT value"),
    ("safety-zero", {"safety_factor": 0.0}, "safety_factor", "RIFLEx: safety_factor = 0.0 is outside (0, 1]"),
    ("safety-negative", {"safety_factor": -0.1}, "safety_factor", "RIFLEx: safety_factor = -0.1 is outside (0, 1]"),
    ("safety-above-1", {"safety_factor": 1.5}, "safety_factor", "RIFLEx: safety_factor = 1.5 is outside (0, 1]"),
    (
        "yarn-alpha-above-beta",
        {"yarn_alpha": 40.0},
        "yarn_alpha",
        "RIFLEx: yarn_alpha = 40.0 and yarn_beta = 32.0 must satisfy 0 <= yarn_alpha < yarn_beta",
    ),
    (
        "yarn-alpha-equals-beta",
        {"yarn_alpha": 8.0, "yarn_beta": 8.0},
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
    assert "(s = 10.0 > 3: beyond what works without fine-tuning)" in comfy_server.log()
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
