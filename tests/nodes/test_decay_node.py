"""RIFLEx Attention Decay (UltraViCo) inside a real ComfyUI.

In-process (probe_decay.py): every attention call a tiny model makes while sampling through the
node is recorded; the video self-attention calls must equal a dense reference written from the
pinned semantics (dense_decay_reference.py, not the pack's code) on the video rows and the
model's own attention on the others, and every other call (cross-attention, HunyuanVideo's text
refiner) must be bit-identical to ComfyUI's own. Within the training length the sampled latent
is bit-identical to sampling without the node. Through the server: the node samples tiny Wan and
HunyuanVideo models at 4x their training length headless, says what it applied, and bad inputs
are refused with a RIFLEx message while the server keeps serving.
"""

from __future__ import annotations

import json
import math

import pytest
from comfy_host import PromptRejected, run_comfy_script
from conftest import execution_error, run_ok
from dense_decay_reference import hunyuan_expected_bands
from prompts import TINY, riflex, video_prompt

pytestmark = pytest.mark.comfyui

DECAY_DEFAULTS = {"alpha": 0.9, "window": 0.0, "beta": 0.6, "train_len": 0, "anchor_first_frame": "auto"}
# training length in latent frames of the video itself (Animate's reference frame not counted)
TRAIN = {"wan21": 21, "wan22_5b": 31, "wan_s2v": 20, "wan_humo": 25, "wan_animate": 20, "hunyuan_video": 33,
         "hunyuan_video_15": 31}  # fmt: skip
REFERENCE_FRAMES = {"wan_animate": 1}


def case(family, video_frames, rope=None, settings=None, expect=True, height=4, width=4, flex=False):
    """A probe case and the test's own expectation (window L/2, alpha/beta as given, HunyuanVideo's
    bands from its derivation unless a RIFLEx RoPE moved component 4, anchor on for Wan)."""
    settings = {"alpha": 0.9, "window": 0.0, "beta": 0.6, **(settings or {})}
    train = TRAIN[family]
    hunyuan = family.startswith("hunyuan")
    anchor = {"on": True, "off": False}.get(settings.get("anchor_first_frame", "auto"), not hunyuan)
    bands = hunyuan_expected_bands(video_frames - 1) if hunyuan and rope is None and settings["beta"] < 1 else []
    reference = REFERENCE_FRAMES.get(family, 0)
    tiny = TINY[family]
    return {
        "file": tiny["file"],
        "family": family,
        "frames_latent": video_frames + reference,
        "height": height,
        "width": width,
        "channels": tiny["channels"],
        "pooled": tiny["pooled"],
        "context": tiny["context"],
        "settings": settings,
        "rope": rope,
        "flex": flex,  # take the compiled FlexAttention path on this CPU (the path a CUDA device gets)
        "expect": {
            "frames": video_frames,
            "train_len": train,
            "window": settings["window"] or train / 2,
            "alpha": settings["alpha"],
            "beta": settings["beta"],
            "bands": bands,
            "anchor": anchor,
            "reference_frames": reference,
        }
        if expect
        else None,
    }


CASES = {
    "wan21-4x": case("wan21", 84),
    "wan21-4x-riflex-after": case("wan21", 84, rope="after"),
    "wan21-3x-window-3-no-anchor": case("wan21", 63, settings={"window": 3.0, "anchor_first_frame": "off"}),
    "wan22_5b-4x": case("wan22_5b", 124),
    "wan_s2v-4x": case("wan_s2v", 80),
    "wan_humo-4x": case("wan_humo", 100),
    "wan_animate-4x": case("wan_animate", 80),
    "hunyuan_video-4x-bands": case("hunyuan_video", 132),
    "hunyuan_video-4x-riflex-before": case("hunyuan_video", 132, rope="before"),
    "hunyuan_video-4x-riflex-after": case("hunyuan_video", 132, rope="after"),
    "hunyuan_video-3x-anchored-beta-1": case("hunyuan_video", 99, settings={"beta": 1.0, "anchor_first_frame": "on"}),
    "hunyuan_video_15-4x-bands": case("hunyuan_video_15", 124),
    # the FlexAttention path (compiled by inductor for the CPU here), against the same dense reference
    "wan21-4x-flex": case("wan21", 84, flex=True),
    "hunyuan_video-4x-bands-flex": case("hunyuan_video", 132, flex=True),
    # within the training length: bit-identical to no node
    "wan21-at-training-length": case("wan21", 21, expect=False),
    "wan21-shorter": case("wan21", 9, expect=False),
    "hunyuan_video-at-training-length": case("hunyuan_video", 33, expect=False),
}


@pytest.fixture(scope="module")
def probe_results(comfy_install, tiny_models, tmp_path_factory):
    folder = next(iter(tiny_models.values())).parent
    cases = [{**c, "model_file": str(folder / c["file"])} for c in CASES.values()]
    cases_file = tmp_path_factory.mktemp("decay") / "cases.json"
    cases_file.write_text(json.dumps(cases))
    out = run_comfy_script(comfy_install, "probe_decay.py", str(cases_file))
    return dict(zip(CASES, json.loads(out.strip().splitlines()[-1]), strict=True))


@pytest.mark.parametrize("name", [name for name, c in CASES.items() if c["expect"]])
def test_video_self_attention_matches_the_dense_reference_and_nothing_else_changes(probe_results, name):
    result = probe_results[name]
    assert "exception" not in result, result.get("exception")
    assert result["finite"] and result["plain_finite"]
    assert result["decayed_calls"] >= 1  # every layer's video self-attention, both passes
    assert result["worst_relative_error"] < 1e-5
    assert result["other_calls"] >= 1 and result["others_identical"]  # cross-attention, text refiner: untouched
    assert result["other_rows_max_difference"] < 1e-6  # HunyuanVideo's text rows: the model's own attention
    assert not result["identical_to_plain"] and result["relative_change"] > 1e-6  # and the decay did something
    assert result["input_model_wrappers"] == []  # the input model is never patched
    expect = CASES[name]["expect"]
    [report] = result["reports"]
    assert f"{expect['frames']} latent frames, train {expect['train_len']}" in report
    assert f"window +/-{expect['window']:g} latent frames, alpha {expect['alpha']:g} beyond" in report
    if expect["bands"]:
        assert "harmonic bands " + ", ".join(f"{a}-{b}" for a, b in expect["bands"]) in report
    else:
        assert "no harmonic bands" in report
    assert ("first frame anchored to" in report) == expect["anchor"]


@pytest.mark.parametrize("name", [name for name, c in CASES.items() if c["flex"]])
def test_flex_cases_ran_on_the_compiled_flexattention_path(probe_results, name):
    """The cases above with flex=True passed the dense-reference check through FlexAttention:
    it compiled (once per shape: the two passes of every step reuse it) and no call fell back."""
    result = probe_results[name]
    assert "exception" not in result, result.get("exception")
    compiled = [text for text in result["flex_logs"] if "FlexAttention compiled" in text]
    assert 1 <= len(compiled) <= 2, result["flex_logs"]  # one shape (two where cond and uncond are apart)
    assert not [text for text in result["flex_logs"] if "FlexAttention failed" in text]
    assert result["worst_relative_error"] < 1e-5


@pytest.mark.parametrize("name", [name for name, c in CASES.items() if not c["expect"]])
def test_within_the_training_length_nothing_changes(probe_results, name):
    result = probe_results[name]
    assert "exception" not in result, result.get("exception")
    assert result["identical_to_plain"] and result["reports"] == []


def test_hunyuan_bands_in_comfyui_reproduce_the_reference_within_a_frame():
    """The bands the in-ComfyUI cases expect, against ultra-hunyuan's hard-coded 46-54, 96-104,
    146-154, 196-204 (token distances / 2040 tokens per frame)."""
    reference = [(46, 54), (96, 104), (146, 154), (196, 204)]
    for (first, last), (ref_first, ref_last) in zip(hunyuan_expected_bands(210), reference, strict=True):
        assert abs(first - ref_first) <= 1 and abs(last - ref_last) <= 1
    assert math.isclose(16 * math.pi, 2 * math.pi / 256 ** (-6 / 16))  # component 4's period


# --- through the server ------------------------------------------------------------------------


def decay(**overrides) -> tuple[str, dict]:
    return ("RIFLExAttentionDecay", {**DECAY_DEFAULTS, **overrides})


def test_node_schema(comfy_server):
    info = comfy_server.get("/object_info/RIFLExAttentionDecay")["RIFLExAttentionDecay"]
    assert info["display_name"] == "RIFLEx Attention Decay (UltraViCo)"
    assert info["category"] == "advanced/model_patches/RIFLEx"
    required, optional = info["input"]["required"], info["input"].get("optional", {})
    assert list(required) == ["model", "alpha", "window", "beta"]
    assert list(optional) == ["train_len", "anchor_first_frame"]
    assert required["alpha"][1]["default"] == 0.9 and required["beta"][1]["default"] == 0.6
    assert required["window"][1]["default"] == 0.0 and optional["train_len"][1]["default"] == 0
    anchor = optional["anchor_first_frame"]
    assert list(anchor[1].get("options") or anchor[0]) == ["auto", "on", "off"]
    for name, (_, options) in {**required, **optional}.items():
        assert options.get("tooltip"), f"input {name} has no tooltip"


@pytest.mark.parametrize(
    "family, latent_frames", [("wan21", 84), ("hunyuan_video", 132)], ids=["wan21-4x", "hunyuan_video-4x"]
)
def test_samples_at_4x_headless_in_either_order_with_riflex(comfy_server, family, latent_frames):
    prompt = video_prompt(
        family,
        latent_frames,
        [None, [decay()], [riflex(), decay()], [decay(), riflex()]],
        height=4,
        width=4,
        steps=2,
    )
    latents = run_ok(comfy_server, prompt)
    plain, decayed, riflex_then_decay, decay_then_riflex = (latents[f"save_{i}"] for i in range(4))
    assert plain.shape == decayed.shape == (1, TINY[family]["channels"], latent_frames, 4, 4)
    assert all(map(lambda a: a.all(), [abs(x) < 1e30 for x in (decayed, riflex_then_decay)]))
    assert abs(decayed - plain).max() > 1e-6
    # RIFLEx on the frequencies and decay on the attention compose the same in either order
    assert abs(riflex_then_decay - decay_then_riflex).max() <= 1e-5 * abs(riflex_then_decay).max()
    log = comfy_server.log()
    assert f"RIFLEx attention decay on {family}: {latent_frames} latent frames" in log


@pytest.mark.parametrize(
    "inputs, named",
    [
        ({"alpha": 0.0}, "RIFLEx: alpha = 0.0 is outside (0, 1]"),
        ({"alpha": 1.5}, "RIFLEx: alpha = 1.5 is outside (0, 1]"),
        ({"alpha": float("nan")}, "RIFLEx: alpha = nan is outside (0, 1]"),
        ({"beta": -0.5}, "RIFLEx: beta = -0.5 is outside (0, 1]"),
        ({"beta": float("inf")}, "RIFLEx: beta = inf is outside (0, 1]"),
        ({"window": -1.0}, "RIFLEx: window = -1.0 is not allowed"),
        ({"window": float("inf")}, "RIFLEx: window = inf is not allowed"),
        ({"train_len": -2}, "RIFLEx: train_len = -2 is not allowed"),
        ({"anchor_first_frame": "yes"}, "RIFLEx: anchor_first_frame = 'yes' is unknown"),
    ],
)
def test_bad_values_are_refused_before_sampling(comfy_server, inputs, named):
    prompt = video_prompt("wan21", 84, [[decay(**inputs)]], height=2, width=2, steps=1)
    with pytest.raises(PromptRejected) as rejected:
        comfy_server.run(prompt)
    assert named in str(rejected.value)
    run_ok(comfy_server, video_prompt("wan21", 9, [None], height=2, width=2, steps=1))  # still serving


@pytest.mark.parametrize(
    "family, named",
    [
        ("hunyuan_image", "RIFLEx: got a HunyuanImage21 model, an image model"),
        ("kandinsky5", "RIFLEx: got a Kandinsky5 model"),
    ],
)
def test_image_and_unsupported_models_are_refused(comfy_server, tiny_models, family, named):
    if TINY.get(family, {"file": f"riflex_tiny_{family}.safetensors"})["file"] not in tiny_models:
        pytest.skip(f"no tiny {family} on this ComfyUI")
    prompt = video_prompt("wan21", 84, [[decay()]], height=2, width=2, steps=1)
    prompt["loader"]["inputs"]["unet_name"] = f"riflex_tiny_{family}.safetensors"
    error = execution_error(comfy_server, prompt)
    assert named in error["exception_message"]
    run_ok(comfy_server, video_prompt("wan21", 9, [None], height=2, width=2, steps=1))
