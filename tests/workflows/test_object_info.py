"""The shipped UI workflows load in a real ComfyUI with this pack installed: no missing node
type and no invalid widget value, checked against that ComfyUI's /object_info the way its editor
reads widget values (by position); and the widget-order snapshot the API generator uses means
the same inputs there. The server holds every model file under its real name (conftest), so a
file name is valid only if the loader of that folder lists it."""

from __future__ import annotations

import math

import pytest
from workflow_cases import SNAPSHOT, load_json, ui_workflow_paths

from riflex.headless.workflow_api import (
    CONTROL_VALUES,
    EDITOR_ONLY_NODES,
    compatible_widgets,
    load_node_inputs,
    widget_specs,
)

pytestmark = pytest.mark.comfyui


@pytest.fixture(scope="session")
def object_info(workflow_server) -> dict:
    return workflow_server.get("/object_info")


def problem_with(value, spec: list) -> str | None:
    """Why `value` is not a valid value for a widget with this input spec (None: it is)."""
    kind = spec[0]
    options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    if isinstance(kind, list) or kind in ("COMBO", "COMFY_DYNAMICCOMBO_V3"):
        choices = kind if isinstance(kind, list) else options.get("options", [])
        choices = [choice["key"] if isinstance(choice, dict) else choice for choice in choices]
        return None if value in choices else f"{value!r} is not one of {choices[:12]}"
    if kind == "INT":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{value!r} is not an integer"
        low, high, step = options.get("min", -math.inf), options.get("max", math.inf), options.get("step", 1)
        if not low <= value <= high:
            return f"{value} is outside [{low}, {high}]"
        # the editor snaps an INT to min % step + a multiple of step; a value off that grid changes on load
        if step > 1 and (value - (low % step if math.isfinite(low) else 0)) % step:
            return f"{value} is not on the widget's grid (step {step} from {low})"
        return None
    if kind == "FLOAT":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"{value!r} is not a number"
        low, high = options.get("min", -math.inf), options.get("max", math.inf)
        return None if low <= value <= high else f"{value} is outside [{low}, {high}]"
    if kind == "BOOLEAN":
        return None if isinstance(value, bool) else f"{value!r} is not a boolean"
    if kind == "IMAGEUPLOAD":  # the upload button, never sent: an image's stores "image", an audio's null
        return None if value is None or isinstance(value, str) else f"{value!r} is not a string or null"
    if kind == "STRING":
        return None if isinstance(value, str) else f"{value!r} is not a string"
    return f"no check for widget type {kind}"


@pytest.mark.parametrize("path", ui_workflow_paths(), ids=lambda path: path.stem)
def test_workflow_has_no_missing_node_and_no_invalid_widget_value(object_info, comfy_install, path):
    workflow = load_json(path)
    types = {node["type"] for node in workflow["nodes"]} - EDITOR_ONLY_NODES
    absent = sorted(types - set(object_info))
    # a real ComfyUI node (one the snapshot was captured with) that this ComfyUI lacks: the
    # workflow is for another version; anything else (a typo, the pack not loaded) fails
    unknown = [class_type for class_type in absent if class_type not in load_node_inputs(SNAPSHOT)]
    assert not unknown, f"node types no ComfyUI here knows: {unknown}"
    if absent:
        pytest.skip(f"ComfyUI {comfy_install.version} has no {', '.join(absent)}: the workflow needs another version")
    problems = []
    for node in workflow["nodes"]:
        if node["type"] in EDITOR_ONLY_NODES:
            assert isinstance(node["widgets_values"][0], str)
            continue
        specs = widget_specs(object_info[node["type"]])
        values = node.get("widgets_values", [])
        if len(values) > len(specs):
            problems.append(f"node {node['id']} ({node['type']}): {len(values)} values for {len(specs)} widgets")
        for (name, _, spec), value in zip(specs, values, strict=False):
            if name == "control_after_generate":
                problem = None if value in CONTROL_VALUES else f"{value!r} is not one of {CONTROL_VALUES}"
            else:
                problem = problem_with(value, spec)
            if problem:
                problems.append(f"node {node['id']} ({node['type']}), widget {name}: {problem}")
    assert not problems, "\n".join(problems)


def test_snapshot_means_the_same_inputs_on_this_comfyui(object_info, comfy_install):
    """The API generator reads widget names from workflows/schema/node_inputs.json; on this
    ComfyUI every saved position must name the same input (newer versions may append inputs)."""
    snapshot = load_node_inputs(SNAPSHOT)
    absent = sorted(set(snapshot) - set(object_info))
    differences = {
        class_type: compatible_widgets(entry["widgets"], object_info[class_type])
        for class_type, entry in snapshot.items()
        if class_type in object_info
    }
    assert not {k: v for k, v in differences.items() if v}, differences
    if absent:
        pytest.skip(
            f"ComfyUI {comfy_install.version} has no {', '.join(absent)} (checked the other {len(differences)})"
        )
