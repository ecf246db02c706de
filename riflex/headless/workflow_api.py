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

import contextlib
import json
import os
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RIFLExError

# the pack's UI workflows, for `export-api` run from any folder
PACK_WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"

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


class WorkflowError(RIFLExError):
    pass


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value != "")


def _is_slot(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _id_order(node_id: str) -> tuple:
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


def _checked_nodes(workflow: dict, source: str) -> dict[str, dict]:
    """{str(node id): node}, every node checked for the fields the conversion reads, so a
    damaged or hand-made file is a WorkflowError naming the node, never a traceback."""
    raw_nodes = workflow["nodes"]
    if not isinstance(raw_nodes, list):
        raise WorkflowError(f"RIFLEx: {source}: nodes is a {type(raw_nodes).__name__}; expected a list of nodes")
    nodes: dict[str, dict] = {}
    for position, node in enumerate(raw_nodes):
        if not isinstance(node, dict):
            raise WorkflowError(
                f"RIFLEx: {source}: nodes[{position}] is {_kind(node)}; expected an object with id, type and inputs"
            )
        node_id = node.get("id")
        if not _is_id(node_id):
            raise WorkflowError(
                f"RIFLEx: {source}: nodes[{position}] has id {_short(node_id)}; expected a number or a non-empty text"
            )
        where = f"{source}: node {_short(node_id)}"
        if str(node_id) in nodes:
            raise WorkflowError(f"RIFLEx: {where}: the id is used by two nodes; every node needs its own id")
        if not isinstance(node.get("type"), str) or not node["type"]:
            raise WorkflowError(f"RIFLEx: {where}: type is {_kind(node.get('type'))}; expected the node's class name")
        if not _is_slot(node.get("mode", 0)):
            raise WorkflowError(
                f"RIFLEx: {where}: mode is {_short(node.get('mode'))}; expected 0, 2 (muted) or 4 (bypassed)"
            )
        inputs = node.get("inputs", [])
        if not isinstance(inputs, list):
            raise WorkflowError(f"RIFLEx: {where}: inputs is {_kind(inputs)}; expected a list of input sockets")
        for slot, inp in enumerate(inputs):
            if not (isinstance(inp, dict) and isinstance(inp.get("name"), str)):
                raise WorkflowError(f"RIFLEx: {where}: input {slot} is {_kind(inp)}; expected a socket with a name")
            if inp.get("link") is not None and not _is_slot(inp["link"]):
                raise WorkflowError(
                    f"RIFLEx: {where}: input {inp['name']!r} has link {_short(inp['link'])}; expected a link id or null"
                )
            widget = inp.get("widget")
            if widget is not None and not (isinstance(widget, dict) and isinstance(widget.get("name"), str)):
                raise WorkflowError(f"RIFLEx: {where}: input {inp['name']!r} has a widget without a name")
        values = node.get("widgets_values")
        if values is not None and not isinstance(values, (list, dict)):
            raise WorkflowError(f"RIFLEx: {where}: widgets_values is {_kind(values)}; expected a list or an object")
        if node.get("title") is not None and not isinstance(node["title"], str):
            raise WorkflowError(f"RIFLEx: {where}: title is {_kind(node['title'])}; expected a text")
        nodes[str(node_id)] = node
    return nodes


def _links(workflow: dict, nodes: dict[str, dict], source: str) -> dict[int, tuple[str, int, str]]:
    """{link id: (origin node id, origin slot, type)}, every link checked."""
    raw_links = workflow["links"]
    if not isinstance(raw_links, list):
        raise WorkflowError(f"RIFLEx: {source}: links is {_kind(raw_links)}; expected a list of links")
    links = {}
    for position, link in enumerate(raw_links):
        if isinstance(link, dict):  # the newer serialisation
            fields = [link.get(key) for key in ("id", "origin_id", "origin_slot", "target_id", "target_slot", "type")]
        elif isinstance(link, list) and len(link) >= 6:
            fields = link[:6]
        else:
            raise WorkflowError(
                f"RIFLEx: {source}: links[{position}] is {_kind(link)}; expected "
                "[id, origin node, origin slot, target node, target slot, type]"
            )
        link_id, origin_id, origin_slot, _, _, link_type = fields
        if not (
            _is_slot(link_id) and _is_id(origin_id) and _is_slot(origin_slot) and isinstance(link_type, (str, int))
        ):
            raise WorkflowError(
                f"RIFLEx: {source}: links[{position}] = {_short(link)} is malformed; expected "
                "[id, origin node, origin slot, target node, target slot, type]"
            )
        if str(origin_id) not in nodes:
            raise WorkflowError(
                f"RIFLEx: {source}: link {link_id} comes from node {_short(origin_id)}, which is not in the workflow"
            )
        links[link_id] = (str(origin_id), origin_slot, str(link_type))
    return links


def _kind(value: Any) -> str:
    name = type(value).__name__
    return "null" if value is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name} ({_short(value)})"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _matches(input_type: str, wanted: str) -> bool:
    return input_type == wanted or "*" in (input_type, wanted)


def _resolve(link_id: int, nodes: dict[str, dict], links: dict) -> list | None:
    """[origin node id, output slot] a link really carries, through bypassed nodes and
    reroutes; None when it comes from a muted node or a bypassed one with no input of its type.
    A loop, not recursion: a chain of thousands of bypassed nodes is a valid graph."""
    seen = set()
    while True:
        if link_id in seen:
            raise WorkflowError(f"RIFLEx: link {link_id} loops back on itself through bypassed nodes")
        if link_id not in links:
            raise WorkflowError(f"RIFLEx: link {link_id} is used by a node but missing from the workflow's links")
        seen.add(link_id)
        origin_id, origin_slot, link_type = links[link_id]
        origin = nodes[origin_id]
        mode = origin.get("mode", 0)
        inputs = origin.get("inputs", [])
        if mode == MODE_NEVER:
            return None
        if mode == MODE_BYPASS:
            index = -1
            if origin_slot < len(inputs) and _matches(str(inputs[origin_slot].get("type")), link_type):
                index = origin_slot
            else:
                index = next((i for i, inp in enumerate(inputs) if _matches(str(inp.get("type")), link_type)), -1)
            if index == -1 or inputs[index].get("link") is None:
                return None
            link_id = inputs[index]["link"]
        elif origin["type"] == "Reroute":
            if len(inputs) != 1:
                raise WorkflowError(f"RIFLEx: reroute node {origin_id} has {len(inputs)} inputs; expected one")
            if inputs[0].get("link") is None:
                return None
            link_id = inputs[0]["link"]
        else:
            return [origin_id, origin_slot]


def convert_workflow(workflow: dict, node_inputs: dict[str, dict], source: str = "workflow") -> dict:
    """The API-format prompt of a UI-format workflow. Raises WorkflowError naming the node."""
    if not isinstance(workflow, dict) or "nodes" not in workflow or "links" not in workflow:
        raise WorkflowError(f"RIFLEx: {source} is not a UI-format workflow (an object with nodes and links)")
    definitions = workflow.get("definitions")
    if isinstance(definitions, dict) and definitions.get("subgraphs"):
        raise WorkflowError(f"RIFLEx: {source} has subgraphs; unpack them (right click > Unpack Subgraph) first")
    nodes = _checked_nodes(workflow, source)
    links = _links(workflow, nodes, source)
    prompt: dict[str, dict] = {}
    for node_id in sorted(nodes, key=_id_order):
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
        if not isinstance(entry, dict):
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
                try:
                    source_output = _resolve(inp["link"], nodes, links)
                except WorkflowError as error:
                    raise WorkflowError(
                        f"RIFLEx: {where}: input {inp['name']!r}: {str(error).removeprefix('RIFLEx: ')}"
                    ) from None
                if source_output is not None:
                    inputs[inp["name"]] = source_output
        prompt[node_id] = {
            "inputs": inputs,
            "class_type": class_type,
            "_meta": {"title": node.get("title") or entry["display_name"]},
        }
    return prompt


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# A workflow is a few hundred KB; a file far larger, or nested far deeper than a graph nests,
# is not one (and /dev/zero or a 1 GB file must not be read whole).
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 64


def parse_json(data: bytes, source: str) -> Any:
    """JSON from bytes, every failure a WorkflowError naming `source`."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise WorkflowError(f"RIFLEx: {source} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise WorkflowError(f"RIFLEx: {source} is not JSON ({error})") from None
    except RecursionError:
        raise WorkflowError(f"RIFLEx: {source} is nested too deeply to be a workflow") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise WorkflowError(
            f"RIFLEx: {source} is nested more than {MAX_JSON_DEPTH} levels deep; a workflow nests a few levels"
        )
    return value


def read_json(path: Path | str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """A JSON file, read up to max_bytes (a larger file, a device or a folder is refused by
    name); every failure a WorkflowError naming the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise WorkflowError(f"RIFLEx: cannot read {path}: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise WorkflowError(
            f"RIFLEx: {path} is larger than {max_bytes // (1024 * 1024)} MiB; a workflow is far smaller"
        )
    return parse_json(data, str(path))


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def load_node_inputs(path: Path) -> dict[str, dict]:
    snapshot = read_json(path)
    nodes = snapshot.get("nodes") if isinstance(snapshot, dict) else None
    if not isinstance(nodes, dict) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("widgets"), list)
        and isinstance(entry.get("editor_only"), list)
        and isinstance(entry.get("display_name", ""), str)
        for entry in nodes.values()
    ):
        raise WorkflowError(
            f'RIFLEx: {path} is not a node-inputs snapshot ({{"nodes": {{type: {{widgets, editor_only}}}}}}); '
            "capture one with --node-inputs-from URL"
        )
    return nodes


def export_dir(ui_dir: Path, api_dir: Path, node_inputs: dict[str, dict]) -> dict[Path, str]:
    """{API file: its text} for every UI workflow (*.json) directly in ui_dir."""
    return {
        api_dir / path.name: dumps(convert_workflow(read_json(path), node_inputs, path.name))
        for path in _workflow_files(ui_dir)
    }


def _workflow_files(ui_dir: Path) -> list[Path]:
    return [path for path in sorted(Path(ui_dir).glob("*.json")) if path.is_file()]


def is_api_prompt(value: Any) -> bool:
    """An API-format prompt: {node id: {"class_type": ..., "inputs": {...}}} (what export writes)."""
    return isinstance(value, dict) and all(
        isinstance(node, dict) and isinstance(node.get("class_type"), str) and isinstance(node.get("inputs", {}), dict)
        for node in value.values()
    )


def check_output_dir(ui_dir: Path, api_dir: Path) -> None:
    """Refuse an output folder that is the input folder (the UI files would be replaced)."""
    ui_dir, api_dir = Path(ui_dir), Path(api_dir)
    if ui_dir.resolve() == api_dir.resolve() or (api_dir.exists() and ui_dir.exists() and api_dir.samefile(ui_dir)):
        raise WorkflowError(
            f"RIFLEx: --out {api_dir} is the folder of the UI workflows ({ui_dir}); writing there would replace them "
            "with their API versions; give another folder (default UI_DIR/api)"
        )


def is_snapshot(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("nodes"), dict)


def check_replaceable(path: Path, owned: Callable[[Any], bool] = is_api_prompt) -> None:
    """Refuse to write `path` unless it is missing or a file of the kind export writes (`owned`:
    an API-format prompt, or a snapshot): a symbolic link (it could lead out of the output
    folder), a folder, or any other file (a UI workflow, anything else) is someone else's."""
    if path.is_symlink():
        raise WorkflowError(
            f"RIFLEx: {path} is a symbolic link; export-api does not write through links (remove it, or give another --out)"
        )
    if not path.exists():
        return
    if not path.is_file():
        raise WorkflowError(
            f"RIFLEx: {path} exists and is not a file; export-api writes files only (give another --out)"
        )
    try:
        current = read_json(path)
    except WorkflowError:
        current = None
    if not owned(current):
        what = "an API-format workflow" if owned is is_api_prompt else "a node-inputs snapshot"
        raise WorkflowError(
            f"RIFLEx: {path} exists and is not {what}; export-api replaces only files of its own kind "
            "(move it, or give another path)"
        )


def write_file(path: Path, text: str, owned: Callable[[Any], bool] = is_api_prompt) -> None:
    """Write through a new file renamed over `path`: a link put there meanwhile is replaced, not followed."""
    check_replaceable(path, owned)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def capture_node_inputs(servers: list[str], ui_dir: Path) -> dict:
    """A snapshot of the widget order of every node type the UI workflows in ui_dir use, read
    from running ComfyUIs' /object_info: each type from the first server that has it (list the
    oldest supported ComfyUI first, so the API files run on every version; a later one supplies
    only the node types the older ones lack)."""
    used = set()
    for path in _workflow_files(ui_dir):
        workflow = read_json(path)
        if not isinstance(workflow, dict) or "nodes" not in workflow or "links" not in workflow:
            raise WorkflowError(f"RIFLEx: {path} is not a UI-format workflow (an object with nodes and links)")
        used |= {node["type"] for node in _checked_nodes(workflow, path.name).values()} - EDITOR_ONLY_NODES
    entries: dict[str, dict] = {}
    versions = []
    for server in servers:
        object_info = _get_json(server, "/object_info")
        stats = _get_json(server, "/system_stats")
        system = stats.get("system") if isinstance(stats, dict) else None
        version = str(system.get("comfyui_version", "unknown")) if isinstance(system, dict) else "unknown"
        if not isinstance(object_info, dict) or not all(isinstance(v, dict) for v in object_info.values()):
            raise WorkflowError(f"RIFLEx: {server}/object_info is not ComfyUI's node list (an object of node types)")
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


def _get_json(server: str, route: str) -> Any:
    url = server.rstrip("/") + route
    if not url.startswith(("http://", "https://")):
        raise WorkflowError(f"RIFLEx: --node-inputs-from {server!r} is not an http:// or https:// address")
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise WorkflowError(f"RIFLEx: {url} sent more than {MAX_JSON_BYTES // (1024 * 1024)} MiB; not ComfyUI's reply")
    return parse_json(data, url)
