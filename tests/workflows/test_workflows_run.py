"""Every API workflow in workflows/api runs end to end in a real headless ComfyUI.

Each run loads tiny random-weight stand-ins for the real model files (workflow_cases), with the text
encoders, CLIP vision and audio encoders substituted in the test copy only
(workflow_cases.SUBSTITUTED says which and why), the Cosmos models built in the server's process
(workflow_cases.IN_PROCESS_MODELS) and Wan Animate's pose and face videos made by RIFLExTestVideo,
at the smallest frame size, 2 sampling steps and 17 frames (the tiny VAEs decode frame by frame:
time grows with length; Wan Animate 5, its face encoder is full size). VOID runs both passes, RAFT
included, at 256 px (RAFT's smallest after VOID halves the frames) and 5 frames, on ComfyUIs that
have its nodes (skipped with the reason elsewhere). HunyuanVideo, VOID's first pass and Wan 2.2 5B
in context windows also run at their shipped 257, 197 and 481 frames, where RIFLEx must change
theta_k (in context windows: for each window length the model is shown, and for nothing longer).
The test asserts that each Save Video wrote a video with the expected number of frames and size,
and that every RIFLEx RoPE node reported what it applied for the real latent length, with theta_k
and its period computed here from the paper's formula. (That each Note quotes what the node reports at the shipped length is checked
in test_workflow_files.)"""

from __future__ import annotations

import math

import av
import pytest
from workflow_cases import (
    API_DIR,
    CONTEXT_WINDOW_NODES,
    FAMILY,
    TEST_FRAMES,
    TEST_FRAMES_FOR,
    TINY_SIZE,
    expected_frames,
    load_json,
    pass_1_only,
    shrink,
    substitute,
    ui_workflow_paths,
    window_pixel_frames,
)

pytestmark = pytest.mark.comfyui

# per family: RoPE base, temporal dims d_t, intrinsic k, training length in latent frames (the
# published values with their sources in riflex/families.py; written out here, not read from it)
ROPE = {
    "wan21": (10000.0, 44, 6, 21),
    "wan22_5b": (10000.0, 44, 6, 31),
    "hunyuan_video": (256.0, 16, 4, 33),
    "hunyuan_video_15": (256.0, 16, 4, 31),
    "kandinsky5": (10000.0, 16, 3, 31),
    "wan_s2v": (10000.0, 44, 6, 20),  # 77 px per clip
    "wan_humo": (10000.0, 44, 6, 25),  # 97 px
    "wan_animate": (10000.0, 44, 6, 21),  # 77 px + the reference latent frame
    "cosmos1": (10000.0 * 2 ** (44 / 42), 44, 4, 16),  # 121 px, 8x tokenizer; NTK-scaled time base
    "cosmos_predict2": (10000.0, 44, 5, 24),  # 93 px
    "ltxv": (None, None, None, 33),  # 257 px, 8x VAE; k estimated from the model's own grid
    # 81 px -> 21 latent frames, in time positions of 2 latent frames (padded to 22): 11
    "cogvideox_15": (10000.0, 16, 2, 11),
}
# per family where not 4x, one latent frame per position, nothing besides the video:
# (temporal compression, reference latent frames, latent frames per time position)
TIME = {"cosmos1": (8, 0, 1), "ltxv": (8, 0, 1), "wan_animate": (4, 1, 1), "cogvideox_15": (4, 0, 2)}

CASES = [
    pytest.param(path.stem, TEST_FRAMES_FOR.get(path.stem, TEST_FRAMES), id=path.stem) for path in ui_workflow_paths()
] + [pytest.param("hunyuan_video_t2v_257_frames", None, id="hunyuan_video_t2v_257_frames-as-shipped")]
# VOID at its shipped 197 frames, where RIFLEx must change theta_k: pass 1 only (pass 2's RAFT
# needs 256 px, minutes at this length on a CPU), at 16 px
VOID = "void_cogvideox1.5_inpainting_197_frames"
CASES += [pytest.param(VOID, None, id=f"{VOID}-pass-1-as-shipped")]
# Wan 2.2 5B at its shipped 481 frames in context windows of 241: RIFLEx must act inside each window
CONTEXT = "wan2.2_ti2v_5B_context_windows_481_frames"
CASES += [pytest.param(CONTEXT, None, id=f"{CONTEXT}-as-shipped")]


def expected_report(method: str, family: str, pixel_frames: int) -> str:
    """The start of what a RIFLEx node shows; for riflex past the training length, all it says
    about component k (paper Sec. 3.3 with the reference code's 0.9 margin):
    theta_k = b^(-2(k-1)/d_t), theta_k' = min(theta_k, 0.9 * 2 pi / L)."""
    theta, d_t, k, train_len = ROPE[family]
    compression, reference_frames, patch = TIME.get(family, (4, 0, 1))
    latent = (pixel_frames - 1) // compression + 1
    test_len = -(-latent // patch) + reference_frames  # the patch embedding pads to a whole patch
    unit, period_unit = (
        ("latent frames",) * 2 if patch == 1 else ("time positions", f"time positions ({patch} latent frames each)")
    )
    head = f"RIFLEx {method} on {family}: {test_len} {unit} ({pixel_frames} px), train {train_len}, s = "
    if method != "riflex":
        return head
    if test_len <= train_len:
        return head + "1.00: no change: the video is within the training length"
    theta_k = theta ** (-2 * (k - 1) / d_t)
    new_theta_k = min(theta_k, 0.9 * 2 * math.pi / test_len)
    head += f"{test_len / train_len:.2f}, k = {k}: "
    if new_theta_k == theta_k:
        return head + f"no change needed, component k (period {2 * math.pi / theta_k:.1f}) stays within one period"
    return head + (
        f"theta_k {theta_k:.5f} -> {new_theta_k:.5f}, period {2 * math.pi / theta_k:.1f} -> "
        f"{2 * math.pi / new_theta_k:.1f} {period_unit}"
    )


def expected_decay_report(family: str, pixel_frames: int, riflex_before: bool) -> str:
    """What a RIFLEx Attention Decay node at its defaults shows, from UltraViCo's rule written out
    here: window = half the training length, alpha 0.9 past it; harmonic bands only where the
    temporal RoPE's components 1..k all come back in phase (HunyuanVideo's theta 256: every
    2 pi / theta_4 = 16 pi latent frames, +/- half a radian of component 4 (4 frames) and half a
    frame; none for Wan's incommensurate base 10000, and none once RIFLEx has slowed component 4
    past the video); the first frame anchored to the training length on Wan only."""
    theta, d_t, k, train_len = ROPE[family]
    latent = (pixel_frames - 1) // 4 + 1
    head = f"RIFLEx attention decay on {family}: {latent} latent frames, train {train_len}"
    if latent <= train_len:
        return head + ": within the training length, attention unchanged"
    bands = []
    if family.startswith("hunyuan") and not riflex_before:
        for turns in range(1, 10):
            first, last = math.ceil(turns * 16 * math.pi - 4.5), math.floor(turns * 16 * math.pi + 4.5)
            if first <= latent - 1:
                bands.append(f"{first}-{min(last, latent - 1)}")
    band_text = f"harmonic bands {', '.join(bands)} (beta 0.6)" if bands else "no harmonic bands"
    anchor = f"first frame anchored to {train_len}" if family.startswith("wan") else "first frame not anchored"
    return (
        f"{head}, s = {latent / train_len:.2f}: window +/-{train_len / 2:g} latent frames, alpha 0.9 beyond; "
        f"{band_text}; {anchor}"
    )


def test_expected_decay_report_matches_the_hand_computed_numbers():
    # 385 px = 97 latent frames; 16 pi = 50.27: band 46-54 (100.5 - 4.5 = 96.03 > 96); 333 px = 84 latent
    assert expected_decay_report("hunyuan_video", 385, False) == (
        "RIFLEx attention decay on hunyuan_video: 97 latent frames, train 33, s = 2.94: window +/-16.5 latent "
        "frames, alpha 0.9 beyond; harmonic bands 46-54 (beta 0.6); first frame not anchored"
    )
    assert expected_decay_report("wan21", 333, True) == (
        "RIFLEx attention decay on wan21: 84 latent frames, train 21, s = 4.00: window +/-10.5 latent frames, "
        "alpha 0.9 beyond; no harmonic bands; first frame anchored to 21"
    )


def test_expected_report_matches_the_hand_computed_hunyuan_numbers():
    # 257 px = 65 latent frames; theta_4 = 256^(-6/16) = 1/8; 0.9 * 2 pi / 65 = 0.086998
    assert expected_report("riflex", "hunyuan_video", 257) == (
        "RIFLEx riflex on hunyuan_video: 65 latent frames (257 px), train 33, s = 1.97, k = 4: "
        "theta_k 0.12500 -> 0.08700, period 50.3 -> 72.2 latent frames"
    )


def test_expected_report_matches_the_hand_computed_cogvideox_15_numbers():
    # 197 px = 50 latent frames = 25 time positions; theta_2 = 10000^(-2/16) = 0.316228;
    # 0.9 * 2 pi / 25 = 0.226195: period 19.87 -> 27.78 time positions
    assert expected_report("riflex", "cogvideox_15", 197) == (
        "RIFLEx riflex on cogvideox_15: 25 time positions (197 px), train 11, s = 2.27, k = 2: "
        "theta_k 0.31623 -> 0.22619, period 19.9 -> 27.8 time positions (2 latent frames each)"
    )


def read_video(path) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, stream.codec_context.width, stream.codec_context.height


@pytest.mark.parametrize(("name", "frames"), CASES)
def test_workflow_runs_and_riflex_reports_what_it_applied(workflow_server, name, frames):
    family = FAMILY[name]
    prompt = shrink(substitute(load_json(API_DIR / f"{name}.json"), family), frames=frames)
    if name == VOID and frames is None:
        prompt = pass_1_only(prompt)
    absent = sorted({node["class_type"] for node in prompt.values()} - set(workflow_server.get("/object_info")))
    if absent:
        pytest.skip(
            f"ComfyUI {workflow_server.install.version} has no {', '.join(absent)}: the workflow needs a newer one"
        )
    entry, texts = workflow_server.run_collecting_texts(prompt, timeout=600)
    status = entry["status"]
    assert status["status_str"] == "success", f"{status['messages']}\n{workflow_server.log()[-4000:]}"

    saves = [node_id for node_id, node in prompt.items() if node["class_type"] == "SaveVideo"]
    assert saves, "the workflow saves no video"
    for node_id in saves:
        (item,) = entry["outputs"][node_id]["images"]
        path = workflow_server.output_path(item)
        assert path.exists(), path
        assert read_video(path) == expected_frames(prompt, node_id), f"node {node_id}: {path.name}"

    (length,) = {node["inputs"]["length"] for node in prompt.values() if node["class_type"] in TINY_SIZE}
    seen = [length]  # the pixel frames of what the model is shown: the whole video, or one window at a time
    windows = [
        node["inputs"]["context_length"] for node in prompt.values() if node["class_type"] in CONTEXT_WINDOW_NODES
    ]
    if windows and length > windows[0]:
        manual = workflow_server.get("/object_info/ContextWindowsManual")["ContextWindowsManual"]
        causal_fix = "causal_window_fix" in manual["input"]["required"]  # ComfyUI 0.33's, on by default
        seen = window_pixel_frames(windows[0], TIME.get(family, (4,))[0], causal_fix)
    riflex_nodes = [node_id for node_id, node in prompt.items() if node["class_type"] == "RIFLExRoPE"]
    assert riflex_nodes, "the workflow has no RIFLEx RoPE node"
    for node_id in riflex_nodes:
        shown = [text for sender, text in texts if sender == node_id]
        for frames in seen:
            expected = expected_report(prompt[node_id]["inputs"]["method"], family, frames)
            assert any(text.startswith(expected) for text in shown), (
                f"node {node_id}: expected {expected!r}, shown {shown}"
            )
        if windows and length > windows[0]:  # nothing else: never planned for the whole video
            heads = [expected_report(prompt[node_id]["inputs"]["method"], family, frames) for frames in seen]
            assert all(any(text.startswith(head) for head in heads) for text in shown), (seen, shown)
    for node_id, node in prompt.items():
        if node["class_type"] != "RIFLExAttentionDecay":
            continue
        rope = prompt[node["inputs"]["model"][0]]  # the shipped graphs put RIFLEx RoPE right before the decay
        assert rope["class_type"] == "RIFLExRoPE"
        shown = [text for sender, text in texts if sender == node_id]
        expected = expected_decay_report(family, length, rope["inputs"]["method"] == "riflex")
        assert expected in shown, f"node {node_id}: expected {expected!r}, shown {shown}"
