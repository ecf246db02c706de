"""RIFLEx Inspect and RIFLEx Repetition Check in a real headless ComfyUI."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

pytestmark = pytest.mark.comfyui


def run_nodes(server, prompt: dict) -> dict:
    server.free()
    entry = server.run(prompt)
    assert entry["status"]["status_str"] == "success", f"{entry['status']['messages']}\n{server.log()[-3000:]}"
    return entry["outputs"]


def inspect_prompt(frames: int, family: str, with_model: bool, method: str = "riflex") -> dict:
    inputs = {"family": family, "frames": frames, "method": method, "k": 0, "s": 0.0}
    prompt = {"inspect": {"class_type": "RIFLExInspect", "inputs": inputs}}
    if with_model:
        prompt["loader"] = {
            "class_type": "UNETLoader",
            "inputs": {"unet_name": "riflex_tiny_wan21.safetensors", "weight_dtype": "default"},
        }
        inputs["model"] = ["loader", 0]
    prompt["save"] = {
        "class_type": "SaveImage",
        "inputs": {"images": ["inspect", 1], "filename_prefix": "riflex_inspect"},
    }
    return prompt


def component_x(j: int, n: int, width: int = 768, left: int = 70, right: int = 20) -> int:
    """Centre of component j's column in the plot (left/right margins of riflex/plot.py)."""
    return round(left + (j - 0.5) * (width - left - right) / n)


def test_inspect_reads_the_connected_model_and_marks_k(comfy_server):
    from PIL import Image

    # the family combo says HunyuanVideo, but a Wan model is connected: the model wins
    outputs = run_nodes(comfy_server, inspect_prompt(241, "hunyuan_video", with_model=True))
    table = outputs["inspect"]["text"][0]
    assert "theta 10000, d_t 44, train 21 latent frames, test 61 latent frames (241 px), method riflex" in table
    row_k = next(line for line in table.splitlines() if line.startswith(" 6*"))
    assert "yes" in row_k and f"{0.9 * 2 * math.pi / 61:.6f}" in row_k and "intrinsic k: within one period" in row_k
    assert "no loop-back expected" in table

    image = Image.open(comfy_server.output_path(outputs["save"]["images"][0])).convert("RGB")
    assert image.size == (768, 432 + 216)  # the RoPE periods, then attention decay's panel
    pixels = np.asarray(image)
    band = np.array([255, 224, 190])
    column_k, column_5 = pixels[60:300, component_x(6, 22)], pixels[60:300, component_x(5, 22)]
    assert (np.abs(column_k.astype(int) - band).sum(axis=1) < 10).mean() > 0.5  # k's column is banded
    assert (np.abs(column_5.astype(int) - band).sum(axis=1) < 10).mean() == 0  # its neighbour is not


def test_inspect_without_a_model_uses_the_family(comfy_server):
    outputs = run_nodes(comfy_server, inspect_prompt(257, "hunyuan_video", with_model=False, method="pe"))
    table = outputs["inspect"]["text"][0]
    assert "HunyuanVideo 1.0" in table and "theta 256, d_t 16, train 33 latent frames, test 65 latent frames" in table
    assert "intrinsic component k = 4 completes a full period within the video: expect it to loop back" in table


def test_inspect_shows_what_attention_decay_will_do(comfy_server):
    """HunyuanVideo at 4x (529 frames = 133 latent) with the plain RoPE: the decay table names the
    window (16.5 = 33 / 2), the bands at whole turns of component 4 (16 pi = 50.3 frames) and no
    anchor; the panel below the periods shades the bands."""
    from PIL import Image

    prompt = inspect_prompt(529, "hunyuan_video", with_model=False, method="pe")
    prompt["inspect"]["inputs"].update(decay_alpha=0.8, decay_beta=0.5)
    outputs = run_nodes(comfy_server, prompt)
    table = outputs["inspect"]["text"][0]
    assert "attention decay (UltraViCo): 133 latent frames of video, trained on 33" in table
    assert "frame distance    0-16   within the window: unchanged" in table
    assert "frame distance   46-54   harmonic band: positive logits x beta 0.5" in table
    assert "frame distance   17-45   beyond the window: positive logits x alpha 0.8" in table
    assert "harmonic bands 46-54, 97-105 (beta 0.5); first frame not anchored" in table
    image = np.asarray(Image.open(comfy_server.output_path(outputs["save"]["images"][0])).convert("RGB"))
    panel = image[432:]
    band_x = round(70 + 50 / 132 * (768 - 90))  # distance 50 on the panel's axis
    assert (np.abs(panel[40:170, band_x].astype(int) - [255, 224, 190]).sum(axis=1) < 10).mean() > 0.5


def check_prompt(**video) -> dict:
    return {
        "video": {
            "class_type": "RIFLExTestVideo",
            "inputs": {"frames": 241, "loop_frame": 0, "slow_after": 0, "static": False, **video},
        },
        "check": {"class_type": "RIFLExRepetitionCheck", "inputs": {"images": ["video", 0], "family": "wan21"}},
    }


def test_repetition_check_finds_a_loop_back_and_names_k(comfy_server):
    text = run_nodes(comfy_server, check_prompt(loop_frame=201))["check"]["text"][0]
    frame = int(re.search(r"first repeat: frame (\d+) \(latent (\d+)\)", text).group(1))
    assert abs(frame - 201) <= 4  # within one latent frame of the true loop
    assert "suggested k 6" in text  # Wan's period 50.96 latent frames ~ 201 px


def test_repetition_check_steady_slow_and_static(comfy_server):
    steady_outputs = run_nodes(comfy_server, check_prompt())
    steady = steady_outputs["check"]["text"][0]
    # no loop-back is "none", never "frame None (latent None)"
    assert "\nfirst repeat: none, repetition " in steady and "None" not in steady
    assert "slow" not in steady.splitlines()[0].lower()
    slow = run_nodes(comfy_server, check_prompt(slow_after=81))["check"]["text"][0]
    assert "slow" in slow.splitlines()[0].lower()
    static = run_nodes(comfy_server, check_prompt(static=True))["check"]["text"][0]
    assert "static" in static.splitlines()[0].lower() and "\nfirst repeat: none, " in static and "None" not in static


def _declared(server, class_type: str) -> dict:
    info = server.get(f"/object_info/{class_type}")[class_type]["input"]
    return {**info["required"], **info.get("optional", {})}


def _without_tooltip(spec: list) -> list:
    options = {key: value for key, value in (spec[1] if len(spec) > 1 else {}).items() if key != "tooltip"}
    return [spec[0], options]


def test_inputs_shared_between_nodes_are_declared_the_same(comfy_server):
    # drift bug: k went to 1024 on RIFLEx RoPE and stayed at 64 on Inspect, which then could not show
    # LTX's k above 64; the shared inputs now come from one factory (nodes/shared_inputs.py)
    rope, inspect = _declared(comfy_server, "RIFLExRoPE"), _declared(comfy_server, "RIFLExInspect")
    decay = _declared(comfy_server, "RIFLExAttentionDecay")
    for name in ("method", "k", "s", "train_len", "safety_factor"):
        assert _without_tooltip(inspect[name]) == _without_tooltip(rope[name]), name
    assert inspect["k"][1]["max"] == 1024
    assert inspect["method"][1]["tooltip"] == rope["method"][1]["tooltip"]
    for name in ("alpha", "window", "beta"):
        on_inspect = _without_tooltip(inspect[f"decay_{name}"])[1]
        on_decay = _without_tooltip(decay[name])[1]
        on_inspect.pop("advanced", None)  # the decay node shows them as main widgets, Inspect folds them away
        assert on_inspect == on_decay, name
    assert _without_tooltip(decay["train_len"]) == _without_tooltip(rope["train_len"])


def test_inspect_takes_train_len_and_warns_about_length_and_an_early_k(comfy_server):
    """README: Kandinsky 5 10 s users set train_len 61; Inspect has the same input. And the issue's
    k = 2 on Wan (a repeat every 10 latent frames): Inspect warns that it turns within training."""
    prompt = inspect_prompt(241, "kandinsky5", with_model=False)
    prompt["inspect"]["inputs"]["train_len"] = 61
    table = run_nodes(comfy_server, prompt)["inspect"]["text"][0]
    assert "train 61 latent frames, test 61 latent frames (241 px)" in table
    assert "length: 1.00x the training length, within the training length" in table

    prompt = inspect_prompt(241, "wan21", with_model=False)
    prompt["inspect"]["inputs"]["k"] = 2
    table = run_nodes(comfy_server, prompt)["inspect"]["text"][0]
    # component 2: period 2 pi / 10000^(-2/44) = 9.5 latent frames, 21 / 9.5 = 2.2 turns in training
    assert "warning: component k = 2 (period 9.5) turns 2.2 times within training (21)" in table
    assert "length: 2.90x the training length, past 2x" in table
