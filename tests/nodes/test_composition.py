"""RIFLEx among the other things ComfyUI users do to a model, in a real headless ComfyUI.

What each combination should give:
- two branches of one prompt, each with its own settings (or none): each exactly as if run alone;
- ScaleROPE (core rope_options) changes the positions before they reach the RoPE module and
  RIFLEx changes the frequencies inside it: the two compose, in either order, to the same result;
- a LoRA changes weights, RIFLEx the RoPE: either order gives the same result, and where
  RIFLEx changes nothing (45 latent frames) LoRA + RIFLEx is exactly the LoRA alone;
- context windows show the model one window at a time, so RIFLEx plans for the window's length
  (read from the latent it is given): with 21-frame windows no component completes a period and
  the result is exactly context windows alone; with windows of 2x the training length over a 4x
  latent it acts inside each window exactly as a RIFLEx RoPE told s = 2 (not s = 4), in either
  order, and says so once for each window length it sees (ComfyUI 0.33's causal fix shows every
  window after the first one frame from before it: one frame longer). RIFLEx Attention Decay also
  reads the window: it acts inside 2x windows and leaves windows of the training length alone;
- EasyCache skips model calls and RIFLEx patches the calls that happen: either order gives the
  same result, and at 45 frames exactly EasyCache alone;
- length, resolution, dtype and model unload/reload between prompts never serve a stale table.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_ok, with_defaults
from prompts import attention_decay, latent_frames_to_pixels, riflex, video_prompt

pytestmark = pytest.mark.comfyui

SCALE_ROPE = (
    "ScaleROPE",
    {"scale_x": 1.0, "shift_x": 0.0, "scale_y": 1.0, "shift_y": 0.0, "scale_t": 0.8, "shift_t": 2.0},
)
LORA = ("LoraLoaderModelOnly", {"lora_name": "riflex_tiny_wan21_lora.safetensors", "strength_model": 1.0})


def test_two_branches_with_different_settings_each_match_running_alone(comfy_server):
    both = run_ok(comfy_server, video_prompt("wan21", 61, [{}, {"method": "pi"}, None]))
    assert np.array_equal(both["save_0"], run_ok(comfy_server, video_prompt("wan21", 61, [{}]))["save_0"])
    assert np.array_equal(both["save_1"], run_ok(comfy_server, video_prompt("wan21", 61, [{"method": "pi"}]))["save_0"])
    assert np.array_equal(both["save_2"], run_ok(comfy_server, video_prompt("wan21", 61, [None]))["save_0"])
    assert not np.array_equal(both["save_0"], both["save_1"])


def test_scale_rope_composes_in_either_order(comfy_server):
    out = run_ok(
        comfy_server,
        video_prompt("wan21", 61, [[SCALE_ROPE, riflex()], [riflex(), SCALE_ROPE], [riflex()], [SCALE_ROPE]]),
    )
    assert np.array_equal(out["save_0"], out["save_1"])
    assert not np.array_equal(out["save_0"], out["save_2"])  # ScaleROPE still acts
    assert not np.array_equal(out["save_0"], out["save_3"])  # RIFLEx still acts


def test_lora_composes_in_either_order(comfy_server):
    out = run_ok(comfy_server, video_prompt("wan21", 61, [[LORA, riflex()], [riflex(), LORA], [riflex()], [LORA]]))
    assert np.array_equal(out["save_0"], out["save_1"])
    assert not np.array_equal(out["save_0"], out["save_2"])
    assert not np.array_equal(out["save_0"], out["save_3"])
    short = run_ok(comfy_server, video_prompt("wan21", 45, [[LORA, riflex()], [LORA]]))
    assert np.array_equal(short["save_0"], short["save_1"])


def test_context_windows_plan_for_the_window(comfy_server):
    windows = with_defaults(
        comfy_server, "ContextWindowsManual", {"context_length": 21, "context_overlap": 4, "dim": 2}
    )
    out = run_ok(comfy_server, video_prompt("wan21", 61, [[windows, riflex()], [riflex(), windows], [windows]]))
    assert np.array_equal(out["save_0"], out["save_2"])
    assert np.array_equal(out["save_1"], out["save_2"])
    assert "RIFLEx riflex on wan21: 21 latent frames (81 px), train 21, s = 1.00: no change" in comfy_server.log()


# per family: RoPE base, temporal dims d_t, intrinsic k, training length in latent frames (the
# published values, README "Supported models"; written out here, not read from riflex/)
WINDOW_FAMILIES = {"wan22_5b": (10000.0, 44, 6, 31), "hunyuan_video": (256.0, 16, 4, 33)}


def riflex_line(family: str, frames: int) -> str:
    """What RIFLEx RoPE (defaults) says for a latent of `frames` latent frames past the training
    length and past component k's period: theta_k = b^(-2(k-1)/d_t) -> 0.9 * 2 pi / frames."""
    theta, d_t, k, train = WINDOW_FAMILIES[family]
    theta_k = theta ** (-2 * (k - 1) / d_t)
    new_theta_k = 0.9 * 2 * math.pi / frames
    assert new_theta_k < theta_k
    return (
        f"RIFLEx riflex on {family}: {frames} latent frames ({latent_frames_to_pixels(frames)} px), train {train}, "
        f"s = {frames / train:.2f}, k = {k}: theta_k {theta_k:.5f} -> {new_theta_k:.5f}, period "
        f"{2 * math.pi / theta_k:.1f} -> {2 * math.pi / new_theta_k:.1f} latent frames"
    ) + (  # past 2x the training length (a causal-fix window one frame longer than 2x) the line says so
        f"; {frames / train:.2f}x the training length: past 2x, quality drops without fine-tuning or RIFLEx "
        "Attention Decay (made for 3-4x)"
        if frames > 2 * train
        else ""
    )


def decay_head(family: str, frames: int) -> str:
    """The start of what RIFLEx Attention Decay (defaults) says for `frames` latent frames: the
    window is half the training length (UltraViCo's choice)."""
    train = WINDOW_FAMILIES[family][3]
    return (
        f"RIFLEx attention decay on {family}: {frames} latent frames, train {train}, s = {frames / train:.2f}: "
        f"window +/-{train / 2:g} latent frames, alpha 0.9 beyond; "
    )


def context_windows(server, length: int, causal_fix: bool | None = None) -> tuple[str, dict]:
    """ContextWindowsManual over the time axis (dim 2 of [B, C, T, H, W]) with `length` latent
    frames per window, 8 of them shared with the next; causal_fix sets ComfyUI 0.33's
    causal_window_fix where the node has it (None: the node's default)."""
    class_type, inputs = with_defaults(
        server, "ContextWindowsManual", {"context_length": length, "context_overlap": 8, "dim": 2}
    )
    if causal_fix is not None and "causal_window_fix" in inputs:
        inputs["causal_window_fix"] = causal_fix
    return class_type, inputs


def has_causal_fix(server) -> bool:
    return (
        "causal_window_fix"
        in server.get("/object_info/ContextWindowsManual")["ContextWindowsManual"]["input"]["required"]
    )


def shown_on(texts: list[tuple[str, str]], node_id: str) -> list[str]:
    return [text for sender, text in texts if sender == node_id]


@pytest.mark.parametrize("family", list(WINDOW_FAMILIES))
def test_context_windows_longer_than_training_riflex_acts_in_each_window(comfy_server, family):
    train = WINDOW_FAMILIES[family][3]
    windows = context_windows(comfy_server, 2 * train, causal_fix=False)  # every window 2 * train frames
    branches = [
        [windows, riflex()],
        [riflex(), windows],
        [windows, riflex(s=2.0)],  # told the window's length: 2x training
        [windows, riflex(s=4.0)],  # told the whole latent's length: 4x training
        [windows],
    ]
    texts = []
    out = run_ok(comfy_server, video_prompt(family, 4 * train, branches), texts=texts)
    assert np.array_equal(out["save_0"], out["save_1"])  # either order
    assert np.array_equal(out["save_0"], out["save_2"])  # planned for the window ...
    assert not np.array_equal(out["save_0"], out["save_3"])  # ... not for the whole latent
    assert not np.array_equal(out["save_0"], out["save_4"])  # RIFLEx acts inside the windows
    # one window length, said once per sampling run
    assert shown_on(texts, "patch_0_1") == [riflex_line(family, 2 * train)]
    assert shown_on(texts, "patch_1_0") == [riflex_line(family, 2 * train)]


@pytest.mark.parametrize("family", list(WINDOW_FAMILIES))
def test_context_windows_attention_decay_acts_in_each_window(comfy_server, family):
    train = WINDOW_FAMILIES[family][3]
    long_windows = context_windows(comfy_server, 2 * train, causal_fix=False)
    training_windows = context_windows(comfy_server, train, causal_fix=False)
    branches = [
        [long_windows, riflex(), attention_decay()],
        [long_windows, riflex()],
        [training_windows, attention_decay()],
        [training_windows],
    ]
    texts = []
    out = run_ok(comfy_server, video_prompt(family, 4 * train, branches), texts=texts)
    assert not np.array_equal(out["save_0"], out["save_1"])  # decay acts inside 2x windows
    # windows of the training length: the decay has nothing to do, though the latent is 4x
    assert np.array_equal(out["save_2"], out["save_3"])
    (decay_text,) = shown_on(texts, "patch_0_2")
    assert decay_text.startswith(decay_head(family, 2 * train)), decay_text
    assert shown_on(texts, "patch_2_1") == []


def test_context_windows_report_each_window_length_they_see(comfy_server):
    """With the context-window node's defaults: on ComfyUI 0.33 every window after the first
    gets one frame from before it (causal_window_fix), so RIFLEx and the decay see two lengths."""
    family, train = "wan22_5b", WINDOW_FAMILIES["wan22_5b"][3]
    lengths = [2 * train, 2 * train + 1] if has_causal_fix(comfy_server) else [2 * train]
    windows = context_windows(comfy_server, 2 * train)
    texts = []
    prompt = video_prompt(family, 4 * train, [[windows, riflex(), attention_decay()]], steps=3)
    run_ok(comfy_server, prompt, texts=texts)
    riflex_texts, decay_texts = shown_on(texts, "patch_0_1"), shown_on(texts, "patch_0_2")
    assert set(riflex_texts) == {riflex_line(family, length) for length in lengths}
    assert len(decay_texts) >= len(lengths)
    for length in lengths:
        assert any(text.startswith(decay_head(family, length)) for text in decay_texts), (length, decay_texts)
    assert len(decay_texts) == len(lengths), f"the decay should say each window length once per run: {decay_texts}"
    assert len(riflex_texts) == len(lengths), f"RIFLEx RoPE should say each window length once per run: {riflex_texts}"


def test_easycache_composes_in_either_order(comfy_server):
    cache = with_defaults(comfy_server, "EasyCache", {"reuse_threshold": 3.0, "start_percent": 0.0})
    out = run_ok(comfy_server, video_prompt("wan21", 61, [[cache, riflex()], [riflex(), cache]], steps=8))
    assert np.array_equal(out["save_0"], out["save_1"])
    short = run_ok(comfy_server, video_prompt("wan21", 45, [[cache, riflex()], [cache], None], steps=8))
    assert np.array_equal(short["save_0"], short["save_1"])
    assert not np.array_equal(short["save_1"], short["save_2"])  # EasyCache really skipped steps


def test_length_and_resolution_changes_between_prompts_never_reuse_a_stale_table(comfy_server):
    shapes = [(61, 2), (49, 2), (61, 4), (61, 2)]
    fresh = {
        shape: run_ok(comfy_server, video_prompt("wan21", shape[0], [{}], height=shape[1], width=shape[1]))["save_0"]
        for shape in set(shapes)
    }
    comfy_server.free()
    for frames, size in shapes:  # the same RIFLEx node output stays cached in ComfyUI across these
        out = run_ok(comfy_server, video_prompt("wan21", frames, [{}], height=size, width=size), fresh=False)
        assert np.array_equal(out["save_0"], fresh[(frames, size)]), (frames, size)


@pytest.mark.parametrize(
    "model_file,compute_dtype",
    [
        ("riflex_tiny_wan21.safetensors", "default"),
        ("riflex_tiny_wan21_fp16.safetensors", "fp16"),
        ("riflex_tiny_wan21_bf16.safetensors", "bf16"),
        ("riflex_tiny_wan21.safetensors", "bf16"),
    ],
)
def test_weights_and_compute_in_other_dtypes(comfy_server, model_file, compute_dtype):
    dtype = ("ModelComputeDtype", {"dtype": compute_dtype})
    prompt = video_prompt("wan21", 46, [[dtype], [dtype, riflex()], [dtype, riflex(method="pe")]])
    prompt["loader"]["inputs"]["unet_name"] = model_file
    out = run_ok(comfy_server, prompt)
    assert np.isfinite(out["save_1"]).all()
    assert not np.array_equal(out["save_0"], out["save_1"])
    assert np.array_equal(out["save_0"], out["save_2"])


def test_model_unloaded_and_reloaded_between_prompts(comfy_server):
    prompt = video_prompt("wan21", 61, [{}, None])
    first = run_ok(comfy_server, prompt)
    again = run_ok(comfy_server, prompt)  # run_ok unloads every model first: the patch is re-applied on load
    assert np.array_equal(first["save_0"], again["save_0"]) and np.array_equal(first["save_1"], again["save_1"])
