"""The RIFLEx RoPE node in the real ComfyUI editor (headless chromium, Playwright), per ComfyUI found:
the extension loads without errors; choosing a method with the mouse hides the inputs it does not
use and a saved workflow comes back the same; the preview reads the latent node's length and shows
the numbers riflex/ computes; a prompt queued from the page is accepted and the node keeps the
text it reported. Screenshots: tests/_artifacts/browser/comfyui-<version>/."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from comfy_host import REPO, find_comfyui_installs

GOLDEN = json.loads((REPO / "tests" / "golden" / "preview_cases.json").read_text())
METHOD_INPUTS: dict[str, list[str]] = GOLDEN["method_inputs"]
COMMON_INPUTS: list[str] = GOLDEN["common_inputs"]
PREVIEW_WIDGETS = {"riflex_preview_frames", "riflex_preview_family", "riflex_preview"}
HELPERS = (Path(__file__).with_name("page_helpers.js")).read_text()
# 2.9x Wan's 81 frames: no repetition, and past the 2x RIFLEx holds training-free (amber)
WAN_241 = (
    "81 -> 241 frames (61 latent), s = 2.90, k = 6: period 51.0 -> 67.8 latent frames, no repetition; "
    "2.90x the training length: past 2x, quality drops without fine-tuning or RIFLEx Attention Decay (made for 3-4x)"
)
# what the node reports for it after sampling (nodes/patch.py through riflex AxisPlan.summary)
APPLIED_241 = (
    "RIFLEx riflex on wan21: 61 latent frames (241 px), train 21, s = 2.90, k = 6: "
    "theta_k 0.12328 -> 0.09270, period 51.0 -> 67.8 latent frames; 2.90x the training length: past 2x, quality "
    "drops without fine-tuning or RIFLEx Attention Decay (made for 3-4x)"
)
WARN_COLOUR = "rgb(240, 180, 41)"


@pytest.fixture
def page(page_errors):
    page_errors.js(HELPERS)
    return page_errors


def wait_for(condition, timeout: float = 10.0, what: str = "condition", editor=None):
    """Poll `condition`; with `editor`, let Playwright deliver the page's events between polls
    (the sync API delivers them only while it is called)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value {value!r}")
        if editor is not None:
            editor.page.wait_for_timeout(100)
        else:
            time.sleep(0.1)


def visible_inputs(page, node_id) -> set[str]:
    return {
        w["name"]
        for w in page.js("id => riflexTest.widgets(id)", node_id)
        if w["visible"] and w["name"] not in PREVIEW_WIDGETS and not w["name"].startswith("$$")
    }


def choose(page, node_id, widget: str, value: str) -> None:
    """Pick a combo value as a user does: click the widget, click the entry in the menu."""
    x, y = page.js("([id, name]) => riflexTest.widgetPoint(id, name)", [node_id, widget])
    page.page.mouse.click(x, y)
    page.page.locator(".litecontextmenu .litemenu-entry").filter(
        has_text=re.compile(f"^{re.escape(value)}$")
    ).first.click()
    wait_for(
        lambda: (
            page.js("([id, name]) => riflexTest.widgets(id).find(w => w.name === name).value", [node_id, widget])
            == value
        ),
        what=f"{widget} = {value}",
    )


def test_extension_loads_and_registers_its_settings(page):
    names = page.js("() => riflexTest.extensions()")
    assert {"RIFLEx.MethodWidgets", "RIFLEx.LengthPreview", "RIFLEx.AppliedText"} <= set(names)
    assert page.js("ids => riflexTest.settings(ids)", ["RIFLEx.Preview.Show", "RIFLEx.Inputs.HideUnused"]) == {
        "RIFLEx.Preview.Show": True,
        "RIFLEx.Inputs.HideUnused": True,
    }
    # the JS table covers every input the server declares for the node (the model socket aside)
    info = page.server.get("/object_info/RIFLExRoPE")["RIFLExRoPE"]["input"]
    declared = {*info["required"], *info.get("optional", {})} - {"model"}
    assert declared == set(COMMON_INPUTS) | {name for names in METHOD_INPUTS.values() for name in names}


def test_method_switch_hides_unused_inputs_and_a_saved_workflow_comes_back(page):
    ids = page.js("length => riflexTest.buildTinyGraph(length)", 241)
    rope = ids["rope"]
    values_before = {w["name"]: w["value"] for w in page.js("id => riflexTest.widgets(id)", rope)}
    for method in ["yarn", "pe", "pi", "ntk", "tasr", "loop", "riflex", "yarn"]:
        choose(page, rope, "method", method)
        assert visible_inputs(page, rope) == set(COMMON_INPUTS) | set(METHOD_INPUTS[method]), method
        assert page.js("id => riflexTest.fits(id)", rope), f"{method}: widgets outside the node"
        if method == "yarn":
            page.js("ids => riflexTest.show(ids)", [rope])
            page.screenshot("01_method_yarn_widgets")
    # hidden widgets kept their values: only `method` changed
    values_after = {w["name"]: w["value"] for w in page.js("id => riflexTest.widgets(id)", rope)}
    assert {
        name: value
        for name, value in values_after.items()
        if values_before.get(name) != value and not name.startswith("riflex_preview")
    } == {"method": "yarn"}

    # saved and loaded again: the same values, yarn's inputs shown, riflex's hidden
    workflow = page.js("() => riflexTest.serialize()")
    saved = next(node for node in workflow["nodes"] if node["type"] == "RIFLExRoPE")
    assert saved["widgets_values"] == ["yarn", 0, 0.0, 0, 0.9, 1.0, 32.0, "temporal", 0.5], "the preview is never saved"
    page.js("() => riflexTest.buildTinyGraph(81)")  # something else on the canvas first
    page.js("workflow => riflexTest.load(workflow)", workflow)
    (loaded,) = page.js("() => riflexTest.nodesOfType('RIFLExRoPE')")
    wait_for(
        lambda: visible_inputs(page, loaded) == set(COMMON_INPUTS) | set(METHOD_INPUTS["yarn"]),
        what="yarn inputs after load",
    )
    assert [w["value"] for w in page.js("id => riflexTest.widgets(id)", loaded)][:9] == saved["widgets_values"]


def test_preview_reads_the_latent_length_and_warns(page):
    ids = page.js("length => riflexTest.buildTinyGraph(length)", 241)
    rope, latent = ids["rope"], ids["latent"]
    # the line's text comes first and the node grows to fit it on the next canvas draw: wait for both
    shown = wait_for(
        lambda: (p := page.js("id => riflexTest.preview(id)", rope))["text"] == WAN_241 and p["whole"] and p,
        what=f"preview {page.js('id => riflexTest.preview(id)', rope)}",
    )
    assert shown["level"] == "warn" and shown["whole"] and shown["colour"] == WARN_COLOUR
    assert "riflex_tiny_wan21.safetensors" in shown["source"] and f"#{latent}" in shown["source"]
    # the typed-length widget is only offered when no latent node is found
    assert not next(w for w in page.js("id => riflexTest.widgets(id)", rope) if w["name"] == "riflex_preview_frames")[
        "visible"
    ]
    page.js("ids => riflexTest.show(ids)", [rope, latent])
    page.screenshot("02_preview_241_frames")

    page.js("([id, v]) => riflexTest.setWidget(id, 'length', v)", [latent, 161])
    wait_for(
        lambda: (
            page.js("id => riflexTest.preview(id)", rope)["text"]
            == "no change needed: 161 frames stay within one period of k = 6 (51.0 latent frames)"
        ),
        what="preview after the length changed",
    )

    # s = 2.5 is shorter than the 241-frame video: component k still turns past a full period
    page.js("([id, v]) => riflexTest.setWidget(id, 'length', v)", [latent, 241])
    page.js("([id, v]) => riflexTest.setWidget(id, 's', v)", [rope, 2.5])
    warned = wait_for(  # 241 frames is amber already (past 2x): wait for the line of s = 2.5
        lambda: (
            (p := page.js("id => riflexTest.preview(id)", rope))["level"] == "warn" and "s = 2.50" in p["text"] and p
        ),
        what="warning",
    )
    assert (
        "s = 2.50, k = 6: period 51.0 -> 58.3 latent frames, component k = 6 (period 58.3) completes a period"
        in warned["text"]
    )
    assert warned["colour"] == WARN_COLOUR
    page.js("([id, v]) => riflexTest.setWidget(id, 's', v)", [rope, 0.0])
    page.js("([id, v]) => riflexTest.setWidget(id, 'length', v)", [latent, 321])
    beyond = wait_for(
        lambda: (p := page.js("id => riflexTest.preview(id)", rope))["text"].startswith("81 -> 321") and p,
        what="321 frames",
    )
    assert beyond["text"].endswith(
        "no repetition; 3.86x the training length: past 2x, quality drops without fine-tuning or RIFLEx Attention "
        "Decay (made for 3-4x)"
    )
    assert beyond["level"] == "warn" and beyond["colour"] == WARN_COLOUR
    page.screenshot("03_preview_warning_past_2x")

    # no latent node downstream: the length typed in the preview widget
    page.js("([id, v]) => riflexTest.setWidget(id, 'riflex_preview_frames', v)", [rope, 257])
    page.page.evaluate("id => app.canvas.graph.getNodeById(id).disconnectOutput(0)", latent)
    typed = wait_for(
        lambda: (p := page.js("id => riflexTest.preview(id)", rope))["source"].endswith("preview frames") and p,
        what="typed length",
    )
    assert typed["text"].startswith("81 -> 257 frames (65 latent), s = 3.10, k = 6")
    assert next(w for w in page.js("id => riflexTest.widgets(id)", rope) if w["name"] == "riflex_preview_frames")[
        "visible"
    ]


def test_queued_prompt_is_accepted_and_the_applied_text_stays(page):
    ids = page.js("length => riflexTest.buildTinyGraph(length)", 241)
    rope = ids["rope"]
    wait_for(lambda: page.js("id => riflexTest.preview(id)", rope)["text"] == WAN_241, what="preview")
    api_prompt = page.js("() => riflexTest.apiPrompt()")
    assert set(api_prompt[str(rope)]["inputs"]) == {
        "model",
        *COMMON_INPUTS,
        *{n for ns in METHOD_INPUTS.values() for n in ns},
    }

    page.page.mouse.click(900, 650)  # the empty canvas has the focus, as after any edit
    with page.page.expect_response(lambda r: r.url.endswith("/prompt") and r.request.method == "POST") as answer:
        page.page.keyboard.press("Control+Enter")  # the editor's Queue shortcut
    response = answer.value
    assert response.status == 200, response.text()
    sent = json.loads(response.request.post_data)["prompt"]
    assert sent[str(rope)]["inputs"] == api_prompt[str(rope)]["inputs"]
    prompt_id = response.json()["prompt_id"]

    def finished():
        events = page.js("() => riflexTest.events")
        done = [
            e
            for e in events
            if e["type"] in ("execution_success", "execution_error") and e["detail"].get("prompt_id") == prompt_id
        ]
        return done and done[-1]

    outcome = wait_for(finished, timeout=120, what="the run to finish")
    assert outcome["type"] == "execution_success", page.server.log()[-3000:]
    page.page.wait_for_timeout(1000)  # the queue goes idle: whatever the frontend does after a run has happened
    # the applied text comes with the run's last message and the node grows to fit it on a later draw
    applied = wait_for(
        lambda: (
            (a := page.js("id => riflexTest.appliedText(id)", rope)) is not None
            and a["text"] == APPLIED_241
            and a["visible"]
            and a["fits"]
            and a["whole"]
            and page.js("id => riflexTest.preview(id)", rope)["whole"]
            and a
        ),
        what=f"the applied text, whole, with the preview whole ({page.js('id => riflexTest.appliedText(id)', rope)})",
    )
    assert applied["text"] == APPLIED_241
    assert page.page.get_by_text(APPLIED_241).first.is_visible()
    # the preview before the run and the text after it give the same numbers
    assert "s = 2.90, k = 6" in WAN_241 and "period 51.0 -> 67.8" in applied["text"]
    page.js("ids => riflexTest.show(ids)", [rope, ids["latent"], ids["sampler"]])
    page.screenshot("04_after_run_applied_text")
    page.js("ids => riflexTest.show(ids)", [ids["loader"], rope, ids["latent"]])
    page.screenshot("05_after_run_closeup", [ids["loader"], rope, ids["latent"]])


def shipped_workflows() -> list[Path]:
    found = []
    for path in sorted((REPO / "workflows").glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and any(node.get("type") == "RIFLExRoPE" for node in data.get("nodes", [])):
            found.append(path)
    return found


def test_shipped_workflows_show_inputs_and_preview(page):
    workflows = shipped_workflows()
    if not workflows:
        pytest.skip("no UI-format workflow with a RIFLEx RoPE node in workflows/ yet")
    for path in workflows:
        workflow = json.loads(path.read_text())
        page.js("workflow => riflexTest.load(workflow)", workflow)
        for saved in (node for node in workflow["nodes"] if node["type"] == "RIFLExRoPE"):
            method = saved["widgets_values"][0]
            wait_for(
                lambda saved=saved, method=method: (
                    visible_inputs(page, saved["id"]) == set(COMMON_INPUTS) | set(METHOD_INPUTS[method])
                ),
                what=f"{path.name} node {saved['id']}: inputs of {method}",
            )
            shown = wait_for(
                lambda saved=saved: (p := page.js("id => riflexTest.preview(id)", saved["id"]))["text"] and p,
                what="preview",
            )
            assert shown["level"] in ("ok", "warn"), f"{path.name}: {shown}"
            if path.name.startswith("ltxv"):  # LTX's shared grid: no preview, and the preview line says why
                assert shown["text"].startswith("LTX: no preview here"), f"{path.name}: {shown}"
            else:
                assert "frames" in shown["text"], f"{path.name}: {shown}"
        page.js("ids => riflexTest.show(ids)", [n["id"] for n in workflow["nodes"] if n["type"] == "RIFLExRoPE"])
        page.screenshot(f"06_shipped_{path.stem}")


def test_the_error_watch_sees_errors_from_the_pack(editor):
    """The other tests pass only if nothing of ours errs; make sure such an error would be seen."""
    editor.errors.clear()
    try:
        # an uncaught exception thrown inside one of our modules (its stack names the pack's URL)
        editor.js(
            "() => import('/extensions/ComfyUI-RIFLEx/riflex_math.js')"
            ".then(m => setTimeout(() => m.axisFrequencies(10000, 3)))"
        )
        wait_for(
            lambda: any("page error" in e and "riflex_math.js" in e for e in editor.errors), 10, "page error", editor
        )
        # the frontend reports an extension's failing hook by the extension's name
        editor.js("() => console.error(\"Error calling extension 'RIFLEx.LengthPreview' method 'nodeCreated'\")")
        wait_for(lambda: any("RIFLEx.LengthPreview" in e for e in editor.errors), 10, "console error", editor)
        editor.js("() => fetch('/extensions/ComfyUI-RIFLEx/missing.js')")
        wait_for(lambda: any("missing.js" in e for e in editor.errors), 10, "failed request", editor)
        # errors of the frontend itself or of other packs are not ours
        editor.js("() => console.error('Failed to load resource: something of the frontend')")
        editor.page.wait_for_timeout(300)
        assert not any("something of the frontend" in e for e in editor.errors)
    finally:
        editor.errors.clear()


def test_method_switch_in_the_vue_node_renderer(page):
    """Nodes 2.0 (the Vue renderer, a setting of the frontend) reads widget.options.hidden."""
    all_inputs = set(COMMON_INPUTS) | {name for names in METHOD_INPUTS.values() for name in names}
    if page.js("() => app.extensionManager.setting.settings?.['Comfy.VueNodes.Enabled'] === undefined"):
        pytest.skip("this frontend has no Vue node renderer")
    # built first, then shown by the Vue renderer (which reads the values as it mounts the nodes)
    ids = page.js("length => riflexTest.buildTinyGraph(length)", 241)
    rope = ids["rope"]
    page.js("() => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', true)")
    try:
        node = page.page.locator(f'[data-node-id="{rope}"]')

        def shown_inputs():
            return set(node.inner_text().split("\n")) & all_inputs

        advanced = node.get_by_text("Show advanced inputs")
        if advanced.count():  # ComfyUI 0.33 folds train_len, safety_factor, yarn_* and tasr_switch
            advanced.first.click()
        wait_for(
            lambda: shown_inputs() == set(COMMON_INPUTS) | set(METHOD_INPUTS["riflex"]),
            what="riflex inputs",
            editor=page,
        )
        assert WAN_241 in node.inner_text()
        page.js(
            "id => { const w = app.canvas.graph.getNodeById(id).widgets.find(w => w.name === 'method'); w.value = 'yarn'; w.callback?.(w.value); }",
            rope,
        )
        wait_for(
            lambda: shown_inputs() == set(COMMON_INPUTS) | set(METHOD_INPUTS["yarn"]), what="yarn inputs", editor=page
        )
        # the latent's length was found, so the typed-length widget is not offered
        assert "preview frames" not in node.inner_text()
        page.js("ids => riflexTest.show(ids)", [rope, ids["latent"]])
        page.screenshot("07_vue_nodes_yarn")
    finally:
        page.js("() => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', false)")


# A shared workflow may name any "file"; the preview guesses the family from it every refresh.
ADVERSARIAL_NAMES = {
    "wan22": "wan22" * 20_000,
    "wan": "wan" * 34_000,
    "animate": "animate" * 15_000,
    "w": "w" * 100_000,
}


def test_family_guessing_is_linear_in_the_browser(page):
    timings = page.js(
        """async (names) => {
            const { familyFromFileName } = await import('/extensions/ComfyUI-RIFLEx/riflex_math.js');
            const out = {};
            for (const [what, name] of Object.entries(names)) {
                familyFromFileName(name);
                const start = performance.now();
                for (let i = 0; i < 20; i++) familyFromFileName(name);
                out[what] = [(performance.now() - start) / 20, name.length];
            }
            return out;
        }""",
        ADVERSARIAL_NAMES,
    )
    for what, (each_ms, length) in timings.items():
        assert length >= 100_000
        assert each_ms < 10, f"{what}: {each_ms:.2f} ms per guess"


def test_a_huge_model_name_does_not_stall_the_editor(page):
    ids = page.js("length => riflexTest.buildTinyGraph(length)", 241)
    rope, loader = ids["rope"], ids["loader"]
    page.js("([id, v]) => riflexTest.setWidget(id, 'unet_name', v)", [loader, "wan" * 34_000])
    shown = wait_for(
        lambda: (p := page.js("id => riflexTest.preview(id)", rope))["source"].startswith("Wan 2.1") and p,
        what="the preview of the huge name",
        editor=page,
    )
    assert len(shown["source"]) < 300  # the name is shown cut short, not 100 KB of it
    # the page stays responsive over several preview refreshes (every 250 ms): no timer fires late
    worst_gap_ms = page.js(
        """() => new Promise((done) => {
            const end = performance.now() + 2000;
            let last = performance.now(), worst = 0;
            const tick = () => {
                const now = performance.now();
                worst = Math.max(worst, now - last);
                last = now;
                if (now < end) setTimeout(tick, 10); else done(worst);
            };
            setTimeout(tick, 10);
        })"""
    )
    assert worst_gap_ms < 500, f"the page stalled for {worst_gap_ms:.0f} ms"
    page.js("([id, v]) => riflexTest.setWidget(id, 'unet_name', v)", [loader, "riflex_tiny_wan21.safetensors"])


def test_shipped_workflows_open_readable_framed_on_the_riflex_path(page):
    """Saved above the editor's low-detail zoom (0.6: below it notes and widgets are drawn as blank
    boxes), with the loader, the RIFLEx nodes and the sampler of the first row on screen."""
    for path in shipped_workflows():
        workflow = json.loads(path.read_text())
        page.js("workflow => riflexTest.load(workflow)", workflow)
        page.page.wait_for_timeout(300)  # one frame drawn at the restored view
        view = page.js(
            """() => ({scale: app.canvas.ds.scale, low: app.canvas.low_quality,
                       area: Array.from(app.canvas.visible_area)})"""
        )
        assert view["scale"] >= 0.6 and not view["low"], f"{path.name}: {view}"
        left, top, width, height = view["area"]
        path_types = ("UNETLoader", "CheckpointLoaderSimple", "RIFLExRoPE", "RIFLExAttentionDecay", "KSampler")
        path_types += ("KSamplerAdvanced",)
        first_row = [n for n in workflow["nodes"] if n["type"] in path_types and n["pos"][1] < 300]
        assert any(n["type"] == "RIFLExRoPE" for n in first_row), path.name
        for n in first_row:
            x, y = n["pos"]
            # clear of the sidebar (about 60 px) and of the menu and breadcrumb above the canvas
            inside = left + 60 / view["scale"] <= x and x + n["size"][0] <= left + width and top + 60 <= y - 30
            assert inside, f"{path.name}: node {n['id']} at {n['pos']}, view {view}"
        if path.name == "wan2.1_t2v_1.3B_161_frames.json":
            page.screenshot("06_shipped_workflow_as_opened")


THUMBNAIL_SIZE = (512, 320)


@pytest.mark.skipif(
    not os.environ.get("RIFLEX_WRITE_THUMBNAILS"),
    reason="writes workflows/*.jpg: run with RIFLEX_WRITE_THUMBNAILS=1 after changing a workflow",
)
def test_write_template_thumbnails(page, browser_install):
    """The thumbnail ComfyUI's template browser shows for a custom node's template is the .jpg of the
    same name beside it (/api/workflow_templates/<pack>/<name>.jpg): the loader -> RIFLEx -> sampler
    path as the editor's canvas draws it on opening (the canvas alone, no menus over it). From the
    oldest ComfyUI, which does not outline the loaders whose model files this machine lacks."""
    import base64
    import io

    from PIL import Image

    oldest = min((install.version for install in find_comfyui_installs()), key=lambda v: tuple(map(int, v.split("."))))
    if browser_install.version != oldest:
        pytest.skip("thumbnails come from the oldest ComfyUI")
    for path in shipped_workflows():
        workflow = json.loads(path.read_text())
        page.js("workflow => riflexTest.load(workflow)", workflow)
        page.page.wait_for_timeout(300)
        path_types = ("UNETLoader", "CheckpointLoaderSimple", "RIFLExRoPE", "RIFLExAttentionDecay", "KSampler")
        ids = [
            n["id"] for n in workflow["nodes"] if n["type"] in (*path_types, "KSamplerAdvanced") and n["pos"][1] < 300
        ]
        drawn = page.js(
            """ids => {
                app.canvas.draw(true, true);
                const nodes = ids.map((id) => app.canvas.graph.getNodeById(id));
                const corners = nodes.flatMap((n) => [
                  app.canvas.ds.convertOffsetToCanvas([n.pos[0], n.pos[1] - LiteGraph.NODE_TITLE_HEIGHT]),
                  app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0], n.pos[1] + n.size[1]]),
                ]);
                const xs = corners.map((c) => c[0]), ys = corners.map((c) => c[1]);
                return { url: app.canvas.canvas.toDataURL("image/png"),
                         box: [Math.min(...xs) - 12, Math.min(...ys) - 12, Math.max(...xs) + 12, Math.max(...ys) + 12] };
            }""",
            ids,
        )
        image = Image.open(io.BytesIO(base64.b64decode(drawn["url"].split(",", 1)[1]))).convert("RGB")
        left, top, right, bottom = drawn["box"]
        image = image.crop((max(0, left), max(0, top), min(image.width, right), min(image.height, bottom)))
        image.thumbnail(THUMBNAIL_SIZE)
        canvas = Image.new("RGB", THUMBNAIL_SIZE, (32, 32, 32))
        canvas.paste(image, ((THUMBNAIL_SIZE[0] - image.width) // 2, (THUMBNAIL_SIZE[1] - image.height) // 2))
        canvas.save(path.with_suffix(".jpg"), quality=85, optimize=True)
