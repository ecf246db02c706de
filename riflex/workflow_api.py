"""`python -m riflex export-api`: UI-format ComfyUI workflows -> API format, without ComfyUI.

A UI workflow (what ComfyUI saves and loads by drag and drop) stores each node's widget values
as a list, in the order the editor created the widgets; the API format (what POST /prompt
takes, and `python -m riflex run` sends) names every input. The names and their order come
from a committed snapshot of /object_info (workflows/schema/node_inputs.json), captured with
`--node-inputs-from` from a running ComfyUI, so converting needs neither ComfyUI nor a server.

What the editor does and this mirrors (ComfyUI frontend, litegraphService.addInputs,
ExecutableNodeDTO.resolveOutput): widgets follow input_order, required then optional; an INT
named seed/noise_seed or marked control_after_generate is followed by its "control after
generate" widget, an upload combo by its upload button, neither sent to the server; a
DynamicCombo's sub-widgets follow it, named "parent.child"; Note/MarkdownNote nodes are
editor-only; a muted node sends nothing and a bypassed one passes its input of the same type
through; a widget turned into a linked input takes the link. Inputs a newer ComfyUI appends to
a node and requires (snapshot "required_later") are sent with their defaults, as its editor
fills them in; an older ComfyUI ignores inputs it does not have.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

__all__ = [
    "EDITOR_ONLY_NODES",
    "compatible_widgets",
    "convert_workflow",
    "export_dir",
    "node_inputs_entry",
    "required_later",
    "widget_names",
    "widget_specs",
]

EDITOR_ONLY_NODES = frozenset({"Note", "MarkdownNote"})
CONTROL = "control_after_generate"
FILTER = "control_filter_list"
UPLOAD = "upload"
CONTROL_VALUES = ("fixed", "increment", "decrement", "randomize")
MODE_NEVER = 2  # muted
MODE_BYPASS = 4
_UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload", "audio_upload")
_DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"


def _options(spec: list) -> dict:
    return spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}


def _widgets_for(name: str, spec: list) -> list[tuple[str, bool, list]]:
    """(widget name, sent to the server, its spec) for one input, in the editor's order."""
    kind, options = spec[0], _options(spec)
    if options.get("forceInput"):
        return []
    if kind == _DYNAMIC_COMBO:
        keys = [option["key"] for option in options.get("options", [])]
        selected = options.get("default", keys[0] if keys else None)
        widgets = [(name, True, spec)]
        for option in options.get("options", []):
            if option["key"] == selected:
                for section in ("required", "optional"):
                    for child, child_spec in option.get("inputs", {}).get(section, {}).items():
                        widgets += [(f"{name}.{w}", sent, s) for w, sent, s in _widgets_for(child, child_spec)]
        return widgets
    if isinstance(kind, list) or kind == "COMBO":
        widgets = [(name, True, spec)]
        if any(options.get(flag) for flag in _UPLOAD_FLAGS):
            widgets.append((UPLOAD, False, ["IMAGEUPLOAD", {}]))
        if options.get(CONTROL):
            widgets += [(CONTROL, False, [list(CONTROL_VALUES) + ["increment-wrap"]]), (FILTER, False, ["STRING", {}])]
        return widgets
    if kind == "INT":
        control = options.get(CONTROL, name in ("seed", "noise_seed"))
        return [(name, True, spec)] + ([(CONTROL, False, [list(CONTROL_VALUES)])] if control else [])
    if kind in ("FLOAT", "STRING", "BOOLEAN"):
        return [(name, True, spec)]
    if kind == "IMAGEUPLOAD":
        return [(name, False, spec)]
    return []  # a socket (MODEL, LATENT, ...), not a widget


def _ordered_inputs(info: dict) -> list[tuple[str, list]]:
    inputs = info.get("input", {})
    order = info.get("input_order") or {section: list(specs) for section, specs in inputs.items()}
    ordered, seen = [], set()
    for section in ("required", "optional"):
        for name in order.get(section, []):
            if name in inputs.get(section, {}):
                ordered.append((name, inputs[section][name]))
                seen.add(name)
    for section in ("required", "optional"):
        ordered += [(name, spec) for name, spec in inputs.get(section, {}).items() if name not in seen]
    return ordered


def widget_specs(info: dict) -> list[tuple[str, bool, list]]:
    """The widgets the editor creates for one /object_info entry, in the order a UI workflow
    stores their values: (name, sent to the server, input spec)."""
    return [widget for name, spec in _ordered_inputs(info) for widget in _widgets_for(name, spec)]


def widget_names(info: dict) -> list[tuple[str, bool]]:
    """widget_specs without the specs: (name, sent to the server)."""
    return [(name, sent) for name, sent, _ in widget_specs(info)]


def node_inputs_entry(info: dict) -> dict:
    """The snapshot entry for one node type: its title and its widgets in order, with those
    the editor keeps to itself (control after generate, upload buttons) listed apart."""
    widgets = widget_names(info)
    return {
        "display_name": info.get("display_name") or info.get("name", ""),
        "widgets": [name for name, _ in widgets],
        "editor_only": sorted({name for name, sent in widgets if not sent}),
    }


def required_later(entry: dict, info: dict) -> dict[str, Any]:
    """The inputs a newer ComfyUI (`info`) appends after the snapshot entry's widgets and
    requires, with their defaults: its editor gives them their defaults when it loads a workflow
    saved with the older widgets, so the API export must send them too, or the newer ComfyUI
    refuses the prompt (required_input_missing); an older ComfyUI ignores inputs it does not have."""
    if compatible_widgets(entry["widgets"], info) is not None:
        return {}
    required = info.get("input", {}).get("required", {})
    later = {}
    for name, sent, spec in widget_specs(info)[len(entry["widgets"]) :]:
        options = _options(spec)
        if sent and name in required and "default" in options:
            later[name] = options["default"]
        elif sent and name in required and isinstance(spec[0], list) and spec[0]:
            later[name] = spec[0][0]  # a combo without a default starts at its first option
    return later


def compatible_widgets(snapshot: list[str], info: dict) -> str | None:
    """None when a UI workflow saved against `snapshot` means the same inputs on the ComfyUI
    that served `info`; else what differs. Position i must name the same input, or (newer
    ComfyUI) a DynamicCombo sub-widget "parent.name" whose old name the node still accepts as
    an input; widgets the live node adds after the saved ones take their defaults."""
    live = [name for name, _ in widget_names(info)]
    inputs = {name for section in info.get("input", {}).values() for name in section}
    if len(live) < len(snapshot):
        return f"{len(live)} widgets {live}, the snapshot has {len(snapshot)} {snapshot}"
    for position, (saved, now) in enumerate(zip(snapshot, live, strict=False)):
        if saved != now and not (now.endswith("." + saved) and saved in inputs):
            return f"widget {position} is {now!r} here, {saved!r} in the snapshot"
    return None


class WorkflowError(ValueError):
    pass


def _links(workflow: dict) -> dict[int, tuple[int, int, int, int, str]]:
    links = {}
    for link in workflow.get("links", []):
        if isinstance(link, dict):  # the newer serialisation
            links[link["id"]] = (
                link["origin_id"],
                link["origin_slot"],
                link["target_id"],
                link["target_slot"],
                link["type"],
            )
        else:
            link_id, origin_id, origin_slot, target_id, target_slot, link_type = link[:6]
            links[link_id] = (origin_id, origin_slot, target_id, target_slot, link_type)
    return links


def _matches(input_type: str, wanted: str) -> bool:
    return input_type == wanted or "*" in (input_type, wanted)


def _resolve(link_id: int, nodes: dict, links: dict, seen: frozenset = frozenset()) -> list | None:
    """[origin node id, output slot] a link really carries, through bypassed nodes; None when
    it comes from a muted node or a bypassed one with no input of its type."""
    if link_id in seen:
        raise WorkflowError(f"RIFLEx: link {link_id} loops back on itself through bypassed nodes")
    if link_id not in links:
        raise WorkflowError(f"RIFLEx: link {link_id} is used by a node but missing from the workflow's links")
    origin_id, origin_slot, _, _, link_type = links[link_id]
    origin = nodes[origin_id]
    mode = origin.get("mode", 0)
    if mode == MODE_NEVER:
        return None
    if mode == MODE_BYPASS:
        inputs = origin.get("inputs", [])
        index = -1
        if origin_slot < len(inputs) and _matches(inputs[origin_slot]["type"], link_type):
            index = origin_slot
        else:
            index = next((i for i, inp in enumerate(inputs) if _matches(inp["type"], link_type)), -1)
        if index == -1 or inputs[index].get("link") is None:
            return None
        return _resolve(inputs[index]["link"], nodes, links, seen | {link_id})
    if origin["type"] == "Reroute":
        (inp,) = origin.get("inputs", [])
        return None if inp.get("link") is None else _resolve(inp["link"], nodes, links, seen | {link_id})
    return [str(origin_id), origin_slot]


def convert_workflow(workflow: dict, node_inputs: dict[str, dict], source: str = "workflow") -> dict:
    """The API-format prompt of a UI-format workflow. Raises WorkflowError naming the node."""
    if "nodes" not in workflow or "links" not in workflow:
        raise WorkflowError(f"RIFLEx: {source} is not a UI-format workflow (no nodes and links)")
    if workflow.get("definitions", {}).get("subgraphs"):
        raise WorkflowError(f"RIFLEx: {source} has subgraphs; unpack them (right click > Unpack Subgraph) first")
    nodes = {node["id"]: node for node in workflow["nodes"]}
    links = _links(workflow)
    prompt: dict[str, dict] = {}
    for node_id in sorted(nodes, key=int):
        node = nodes[node_id]
        class_type = node["type"]
        if (
            class_type in EDITOR_ONLY_NODES
            or class_type == "Reroute"
            or node.get("mode", 0) in (MODE_NEVER, MODE_BYPASS)
        ):
            continue
        where = f"{source}: node {node_id} ({class_type})"
        if class_type == "PrimitiveNode":
            raise WorkflowError(f"RIFLEx: {where}: primitive nodes are not supported; type the value into the widget")
        entry = node_inputs.get(class_type)
        if entry is None:
            raise WorkflowError(
                f"RIFLEx: {where}: no entry in the node-inputs snapshot; refresh it with "
                "`python -m riflex export-api --node-inputs-from http://127.0.0.1:8188`"
            )
        values = node.get("widgets_values") or []
        linked = {
            inp["widget"]["name"]
            for inp in node.get("inputs", [])
            if isinstance(inp.get("widget"), dict) and inp.get("link") is not None
        }
        inputs: dict[str, Any] = {}
        if isinstance(values, dict):
            inputs.update({name: values[name] for name in entry["widgets"] if name in values and name not in linked})
        else:
            if len(values) > len(entry["widgets"]):
                raise WorkflowError(
                    f"RIFLEx: {where}: {len(values)} widget values but the snapshot knows {len(entry['widgets'])} "
                    f"widgets ({', '.join(entry['widgets'])}); refresh the snapshot"
                )
            for name, value in zip(entry["widgets"], values, strict=False):
                if name not in entry["editor_only"] and name not in linked:
                    inputs[name] = value
        for name, default in entry.get("required_later", {}).items():
            if name not in linked:
                inputs.setdefault(name, default)
        for inp in node.get("inputs", []):
            if inp.get("link") is not None:
                source_output = _resolve(inp["link"], nodes, links)
                if source_output is not None:
                    inputs[inp["name"]] = source_output
        prompt[str(node_id)] = {
            "inputs": inputs,
            "class_type": class_type,
            "_meta": {"title": node.get("title") or entry["display_name"]},
        }
    return prompt


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_node_inputs(path: Path) -> dict[str, dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["nodes"]


def export_dir(ui_dir: Path, api_dir: Path, node_inputs: dict[str, dict]) -> dict[Path, str]:
    """{API file: its text} for every UI workflow (*.json) directly in ui_dir."""
    return {
        api_dir / path.name: dumps(
            convert_workflow(json.loads(path.read_text(encoding="utf-8")), node_inputs, path.name)
        )
        for path in sorted(Path(ui_dir).glob("*.json"))
    }


def capture_node_inputs(servers: list[str], ui_dir: Path) -> dict:
    """A snapshot of the widget order of every node type the UI workflows in ui_dir use, read
    from running ComfyUIs' /object_info: each type from the first server that has it (list the
    oldest supported ComfyUI first, so the API files run on every version; a later one supplies
    only the node types the older ones lack)."""
    used = set()
    for path in sorted(Path(ui_dir).glob("*.json")):
        used |= {node["type"] for node in json.loads(path.read_text(encoding="utf-8"))["nodes"]} - EDITOR_ONLY_NODES
    entries: dict[str, dict] = {}
    versions = []
    for server in servers:
        with urllib.request.urlopen(server.rstrip("/") + "/object_info", timeout=60) as response:
            object_info = json.loads(response.read())
        with urllib.request.urlopen(server.rstrip("/") + "/system_stats", timeout=60) as response:
            version = json.loads(response.read()).get("system", {}).get("comfyui_version", "unknown")
        for class_type in sorted(set(entries) & set(object_info)):  # taken from an older ComfyUI
            later = {
                **entries[class_type].get("required_later", {}),
                **required_later(entries[class_type], object_info[class_type]),
            }
            if later:
                entries[class_type]["required_later"] = later
        taken = sorted((used - set(entries)) & set(object_info))
        entries.update({class_type: node_inputs_entry(object_info[class_type]) for class_type in taken})
        versions.append(f"ComfyUI {version} ({len(taken)} node types)")
    missing = sorted(used - set(entries))
    if missing:
        raise WorkflowError(f"RIFLEx: no ComfyUI at {', '.join(servers)} has the node types {', '.join(missing)}")
    return {
        "comment": (
            "Widget names, in the order UI workflows store their values, of every node type in workflows/*.json. "
            "Captured from /object_info by `python -m riflex export-api --node-inputs-from URL [--node-inputs-from "
            "URL2]`: each type from the first ComfyUI that has it; give the oldest supported ComfyUI first, so the "
            "API files it generates run on every supported version. required_later: inputs a newer ComfyUI appends "
            "and requires, sent with their defaults (an older one ignores them)."
        ),
        "captured_from": versions,
        "nodes": dict(sorted(entries.items())),
    }
