"""The RIFLEx Attention Decay node in the real ComfyUI editor (headless chromium, Playwright), per
ComfyUI found: the live line under its inputs for the latent's length (the issue's example at
4x Wan 2.1, amber past 4x), beta hidden for a family without harmonic bands and shown for
HunyuanVideo, a RIFLEx RoPE on the same model taken into account, the widget values saved as
before, and the text the node reports after a queued run kept on it. The expected lines are
written out from UltraViCo's rule (window half of 21 latent frames, HunyuanVideo's band around
16 pi = 50.3 frames), not read from our code. Screenshots: tests/_artifacts/browser/."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from comfy_host import REPO

HELPERS = (Path(__file__).with_name("page_helpers.js")).read_text()
WARN_COLOUR = "rgb(240, 180, 41)"

WAN_333 = (
    "81 -> 333 frames (84 latent, 4.0x): window +/-10.5 latent frames, alpha 0.9 beyond; no harmonic bands; "
    "first frame anchored to 21"
)
HUNYUAN_385 = (
    "129 -> 385 frames (97 latent, 2.9x): window +/-16.5 latent frames, alpha 0.9 beyond; harmonic bands 46-54 "
    "(beta 0.6); first frame not anchored"
)
APPLIED_333 = (
    "RIFLEx attention decay on wan21: 84 latent frames, train 21, s = 4.00: window +/-10.5 latent frames, "
    "alpha 0.9 beyond; no harmonic bands; first frame anchored to 21"
)
DECAY_WIDGETS = ["alpha", "window", "beta", "train_len", "anchor_first_frame"]


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value {value!r}")
        time.sleep(0.1)


@pytest.fixture
def page(page_errors):
    page_errors.js(HELPERS)
    return page_errors


def shown_widgets(page, node_id) -> set[str]:
    return {
        w["name"]
        for w in page.js("id => riflexTest.widgets(id)", node_id)
        if w["visible"] and w["name"] in DECAY_WIDGETS
    }


def decay_text(page, node_id) -> dict:
    return page.js("id => riflexTest.decayPreview(id)", node_id)


def test_decay_preview_follows_length_family_and_rope(page):
    ids = page.js("length => riflexTest.buildTinyGraph(length, true)", 333)
    decay, latent, loader, rope = ids["decay"], ids["latent"], ids["loader"], ids["rope"]
    assert "RIFLEx.DecayPreview" in page.js("() => riflexTest.extensions()")
    # the line's text comes first and the node grows to fit it on the next canvas draw: wait for both
    shown = wait_for(
        lambda: (p := decay_text(page, decay))["text"] == WAN_333 and p["whole"] and p, what="the 333-frame preview"
    )
    assert shown["level"] == "ok" and shown["whole"]
    assert "riflex_tiny_wan21.safetensors" in shown["source"] and f"#{latent}" in shown["source"]
    assert f"RoPE of #{rope} (riflex)" in shown["source"]
    # Wan's RoPE has no harmonic bands: beta has nothing to do and is hidden
    assert shown_widgets(page, decay) == {"alpha", "window", "train_len", "anchor_first_frame"}
    assert page.js("id => riflexTest.fits(id)", decay)
    page.js("ids => riflexTest.show(ids)", [loader, rope, decay])
    page.screenshot("11_decay_preview_333_frames", [loader, rope, decay])

    # past 4x: amber, with the reason
    page.js("([id, v]) => riflexTest.setWidget(id, 'length', v)", [latent, 401])
    beyond = wait_for(lambda: (p := decay_text(page, decay))["level"] == "warn" and p, what="warning past 4x")
    assert beyond["text"].startswith("81 -> 401 frames (101 latent, 4.8x): window +/-10.5 latent frames")
    assert beyond["text"].endswith("(s = 4.8 > 4: beyond what the reference shows)")
    assert beyond["colour"] == WARN_COLOUR
    page.screenshot("12_decay_preview_past_4x", [rope, decay])

    # a HunyuanVideo model with its RoPE unchanged (pe): the band 46-54 frames, beta shown
    page.js(
        "([id, v]) => riflexTest.setWidget(id, 'unet_name', v)", [loader, "hunyuan_video_t2v_720p_bf16.safetensors"]
    )
    page.js("([id, v]) => riflexTest.setWidget(id, 'method', v)", [rope, "pe"])
    page.js("([id, v]) => riflexTest.setWidget(id, 'length', v)", [latent, 385])
    wait_for(lambda: decay_text(page, decay)["text"] == HUNYUAN_385, what="the HunyuanVideo preview")
    wait_for(lambda: "beta" in shown_widgets(page, decay), what="beta shown for HunyuanVideo")
    assert page.js("id => riflexTest.fits(id)", decay)
    page.js("ids => riflexTest.show(ids)", [loader, rope, decay])
    page.screenshot("13_decay_preview_hunyuan_bands", [loader, rope, decay])
    # RIFLEx RoPE `riflex` slows component 4 to a period of 0.9 * 97 / ... > 97 frames: no band left
    page.js("([id, v]) => riflexTest.setWidget(id, 'method', v)", [rope, "riflex"])
    wait_for(
        lambda: (
            decay_text(page, decay)["text"]
            == HUNYUAN_385.replace("harmonic bands 46-54 (beta 0.6)", "no harmonic bands")
        ),
        what="no bands after RIFLEx",
    )
    # a value the node refuses: red
    page.js("([id, v]) => riflexTest.setWidget(id, 'alpha', v)", [decay, 1.5])
    refused = wait_for(lambda: (p := decay_text(page, decay))["level"] == "error" and p, what="refused alpha")
    assert refused["text"].startswith("RIFLEx: alpha = 1.5 is outside (0, 1]")


def test_decay_values_are_saved_and_the_applied_text_stays(page):
    ids = page.js("length => riflexTest.buildTinyGraph(length, true)", 333)
    decay = ids["decay"]
    wait_for(lambda: decay_text(page, decay)["text"] == WAN_333, what="preview")
    workflow = page.js("() => riflexTest.serialize()")
    saved = next(node for node in workflow["nodes"] if node["type"] == "RIFLExAttentionDecay")
    assert saved["widgets_values"] == [0.9, 0.0, 0.6, 0, "auto"], "the preview is never saved"
    api_prompt = page.js("() => riflexTest.apiPrompt()")
    assert set(api_prompt[str(decay)]["inputs"]) == {"model", *DECAY_WIDGETS}

    page.page.mouse.click(900, 650)
    with page.page.expect_response(lambda r: r.url.endswith("/prompt") and r.request.method == "POST") as answer:
        page.page.keyboard.press("Control+Enter")
    response = answer.value
    assert response.status == 200, response.text()
    prompt_id = response.json()["prompt_id"]

    def finished():
        done = [
            e
            for e in page.js("() => riflexTest.events")
            if e["type"] in ("execution_success", "execution_error") and e["detail"].get("prompt_id") == prompt_id
        ]
        return done and done[-1]

    outcome = wait_for(finished, timeout=180, what="the run to finish")
    assert outcome["type"] == "execution_success", page.server.log()[-3000:]
    # the applied text comes with the run's last message and the node grows to fit it on a later draw
    applied = wait_for(
        lambda: (
            (a := page.js("id => riflexTest.appliedText(id)", decay)) is not None
            and a["text"] == APPLIED_333
            and a["visible"]
            and a["fits"]
            and a["whole"]
            and decay_text(page, decay)["whole"]
            and a
        ),
        what=f"the applied text, whole, with the preview whole ({page.js('id => riflexTest.appliedText(id)', decay)})",
    )
    assert applied["text"] == APPLIED_333
    ids_shown = [ids["loader"], ids["rope"], decay]
    page.js("ids => riflexTest.show(ids)", ids_shown)
    page.screenshot("14_decay_after_run_applied_text", ids_shown)


def test_shipped_decay_workflows_show_the_preview(page):
    expected = {
        "wan2.1_t2v_1.3B_333_frames_attention_decay.json": [WAN_333],
        "hunyuan_video_t2v_385_frames_attention_decay.json": [HUNYUAN_385],
        "compare_extrapolation_wan2.1_1.3B_333_frames.json": [WAN_333, WAN_333],
    }
    for name, lines in expected.items():
        workflow = json.loads((REPO / "workflows" / name).read_text())
        page.js("workflow => riflexTest.load(workflow)", workflow)
        nodes = [node["id"] for node in workflow["nodes"] if node["type"] == "RIFLExAttentionDecay"]
        assert len(nodes) == len(lines)
        for node_id, line in zip(nodes, lines, strict=True):
            wait_for(
                lambda node_id=node_id, line=line: decay_text(page, node_id)["text"] == line, what=f"{name} {node_id}"
            )
            assert page.js("id => riflexTest.fits(id)", node_id)
        page.js("ids => riflexTest.show(ids)", nodes[:1])
        page.screenshot(f"15_shipped_{name.removesuffix('.json')}")
