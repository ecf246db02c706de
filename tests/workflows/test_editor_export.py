"""The shipped UI workflows in ComfyUI's own editor (headless Debian chromium driven by
Playwright): each loads with every node type known, no page error and its widget values kept,
and the editor's own "Export (API)" (app.graphToPrompt) gives the API twin our generator wrote,
except where a newer ComfyUI appends inputs with their defaults or renames a widget it still
accepts under the old name (SaveVideo's codec), and where an older one lacks inputs a newer one
requires, which our export sends with their defaults (WanContextWindowsManual's 0.33 inputs); titles (_meta) are not compared, newer editors
translate them. Skips when Playwright or chromium is missing."""

from __future__ import annotations

import pytest
from comfy_host import CHROMIUM, CHROMIUM_ARGS
from workflow_cases import API_DIR, SNAPSHOT, load_json, ui_workflow_paths

from riflex.headless.workflow_api import EDITOR_ONLY_NODES, load_node_inputs, widget_specs

pytestmark = pytest.mark.comfyui

# widgets newer editors add after a node's inputs, in no /object_info: Load Audio's player (audioUI),
# saved as null and sent as "", which the server ignores
EDITOR_ADDED_VALUES = {"LoadAudio": [None]}
EDITOR_ADDED_INPUTS = {"LoadAudio": {"audioUI": ""}}


class Editor:
    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)


def default_of(spec: list):
    """The value the editor gives a new widget: the spec's default, else a combo's first choice."""
    options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    if "default" in options:
        return options["default"]
    choices = spec[0] if isinstance(spec[0], list) else options.get("options", [])
    return (choices[0]["key"] if isinstance(choices[0], dict) else choices[0]) if choices else None


@pytest.fixture(scope="module")
def editor(workflow_server, request):
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the Python package playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium, or set RIFLEX_CHROMIUM")
    driver = request.getfixturevalue("playwright_driver")  # tests/conftest.py: one per session
    browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        editor = Editor(page)
        page.goto(workflow_server.url)
        page.wait_for_function("window.app?.canvas?.graph && window.app.extensions?.length", timeout=90_000)
        yield editor
    finally:
        browser.close()


@pytest.mark.parametrize("path", ui_workflow_paths(), ids=lambda path: path.stem)
def test_editor_loads_the_workflow_and_exports_the_same_api_prompt(editor, workflow_server, path):
    workflow = load_json(path)
    object_info = workflow_server.get("/object_info")
    absent = sorted({node["type"] for node in workflow["nodes"]} - EDITOR_ONLY_NODES - set(object_info))
    if absent:  # test_object_info fails a type no ComfyUI knows; here: one only newer versions have
        pytest.skip(
            f"ComfyUI {workflow_server.install.version} has no {', '.join(absent)}: the workflow needs a newer one"
        )
    editor.errors.clear()
    editor.js("async workflow => { await app.loadGraphData(workflow); }", workflow)
    editor.page.wait_for_timeout(300)  # the sync API delivers page events only while called
    unknown = editor.js("() => app.graph.nodes.filter(n => !LiteGraph.registered_node_types[n.type]).map(n => n.type)")
    assert not unknown, f"the editor does not know {unknown}"
    assert not editor.errors, editor.errors

    snapshot = load_node_inputs(SNAPSHOT)
    saved = {node["id"]: node.get("widgets_values") or [] for node in workflow["nodes"]}
    for node in editor.js("() => app.graph.serialize().nodes"):
        now, before = node.get("widgets_values") or [], saved[node["id"]]
        assert now[: len(before)] == before, f"node {node['id']} ({node['type']}): {before} became {now}"
        if len(now) > len(before):  # widgets this ComfyUI appends keep their defaults
            specs = widget_specs(object_info[node["type"]])[len(before) :]
            expected = [default_of(spec) for _, _, spec in specs] + EDITOR_ADDED_VALUES.get(node["type"], [])
            assert now[len(before) :] == expected, node

    exported = editor.js("async () => (await app.graphToPrompt()).output")
    ours = load_json(API_DIR / path.name)
    assert sorted(exported, key=int) == sorted(ours, key=int)
    for node_id, node in ours.items():
        theirs = exported[node_id]
        assert theirs["class_type"] == node["class_type"]
        ours_inputs, their_inputs = node["inputs"], theirs["inputs"]
        info = object_info[node["class_type"]]["input"]
        here = {name for section in info.values() for name in section}
        later = snapshot[node["class_type"]].get("required_later", {})
        for name, value in ours_inputs.items():
            if name in later and name not in here:  # sent for newer ComfyUIs, which require it; this one ignores it
                continue
            assert their_inputs.get(name) == value, f"node {node_id} ({node['class_type']}) input {name}"
        known = set(snapshot[node["class_type"]]["widgets"])
        for name, value in their_inputs.items():
            if name in ours_inputs:
                continue
            renamed = name.rpartition(".")[2]
            if name in EDITOR_ADDED_INPUTS.get(node["class_type"], {}):
                assert value == EDITOR_ADDED_INPUTS[node["class_type"]][name], f"node {node_id}: {name} = {value!r}"
            elif "." in name and renamed in ours_inputs:
                assert value == ours_inputs[renamed], f"node {node_id}: {name} = {value!r}, ours {renamed}"
            else:  # an input this ComfyUI added after the snapshot's widgets, at its default
                assert name not in known, f"node {node_id} ({node['class_type']}): {name} missing from our export"
                spec = dict((n, s) for n, _, s in widget_specs(object_info[node["class_type"]]))[name]
                assert value == default_of(spec), f"node {node_id}: {name} = {value!r}"
    assert not [n for n in workflow["nodes"] if n["type"] in EDITOR_ONLY_NODES and str(n["id"]) in exported]
