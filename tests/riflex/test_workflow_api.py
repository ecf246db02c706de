"""riflex.headless.workflow_api: UI-format graphs to API prompts the way ComfyUI's editor does it, on
small hand-made graphs and /object_info entries (the shipped workflows are in tests/workflows)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from riflex.headless.workflow_api import (
    WorkflowError,
    capture_node_inputs,
    compatible_widgets,
    convert_workflow,
    node_inputs_entry,
    read_json,
    required_later,
    widget_names,
)

KSAMPLER_INFO = {
    "display_name": "KSampler",
    "input": {
        "required": {
            "model": ["MODEL"],
            "seed": ["INT", {"default": 0, "min": 0, "max": 2**64 - 1, "control_after_generate": True}],
            "steps": ["INT", {"default": 20, "min": 1}],
            "sampler_name": [["euler", "uni_pc"]],
            "positive": ["CONDITIONING"],
        }
    },
    "input_order": {"required": ["model", "seed", "steps", "sampler_name", "positive"]},
}


def info(required: dict, optional: dict | None = None, order: dict | None = None, display_name: str = "") -> dict:
    entry = {"display_name": display_name, "input": {"required": required}}
    if optional:
        entry["input"]["optional"] = optional
    if order:
        entry["input_order"] = order
    return entry


def test_widgets_follow_input_order_and_skip_sockets():
    entry = info(
        {"b": ["INT", {}], "model": ["MODEL"], "a": ["FLOAT", {}], "forced": ["INT", {"forceInput": True}]},
        {"c": ["BOOLEAN", {}], "image": ["IMAGE"]},
        order={"required": ["model", "a", "b", "forced"], "optional": ["image", "c"]},
    )
    assert widget_names(entry) == [("a", True), ("b", True), ("c", True)]


def test_seed_gets_a_control_widget_the_server_never_sees():
    assert widget_names(KSAMPLER_INFO) == [
        ("seed", True),
        ("control_after_generate", False),
        ("steps", True),
        ("sampler_name", True),
    ]
    # the editor adds it to INTs named seed / noise_seed even without the flag
    assert widget_names(info({"noise_seed": ["INT", {}]})) == [("noise_seed", True), ("control_after_generate", False)]
    # and a combo with the flag also gets the filter widget
    combo = info({"name": [["a", "b"], {"control_after_generate": True}]})
    assert widget_names(combo) == [("name", True), ("control_after_generate", False), ("control_filter_list", False)]


def test_upload_combo_is_followed_by_its_button():
    load_image = info({"image": [["example.png"], {"image_upload": True}]}, display_name="Load Image")
    assert node_inputs_entry(load_image) == {
        "display_name": "Load Image",
        "widgets": ["image", "upload"],
        "editor_only": ["upload"],
    }


def test_dynamic_combo_sub_widgets_follow_it_with_dotted_names():
    save = info(
        {
            "prefix": ["STRING", {}],
            "format": [
                "COMFY_DYNAMICCOMBO_V3",
                {
                    "options": [
                        {"key": "auto", "inputs": {"required": {"codec": [["auto", "h264"], {}]}}},
                        {"key": "webm", "inputs": {"required": {}}},
                    ]
                },
            ],
        },
        {"codec": [["auto", "h264"], {"hidden": True}]},
        order={"required": ["prefix", "format"], "optional": ["codec"]},
    )
    assert [name for name, _ in widget_names(save)] == ["prefix", "format", "format.codec", "codec"]
    # a workflow saved where the third widget was plain "codec" (ComfyUI 0.8) still means the
    # same input here: the node keeps "codec" as an input
    assert compatible_widgets(["prefix", "format", "codec"], save) is None
    assert (
        compatible_widgets(["prefix", "codec", "format"], save) == "widget 1 is 'format' here, 'codec' in the snapshot"
    )
    # widgets a newer node appends take their defaults; fewer widgets than saved is an error
    assert compatible_widgets(["prefix"], save) is None
    assert "the snapshot has 5" in compatible_widgets(["prefix", "format", "codec", "codec", "x"], save)


NODE_INPUTS = {
    "Loader": {"display_name": "Load", "widgets": ["name"], "editor_only": []},
    "KSampler": node_inputs_entry(KSAMPLER_INFO),
    "Patch": {"display_name": "Patch", "widgets": ["strength"], "editor_only": []},
    "LoadImage": {"display_name": "Load Image", "widgets": ["image", "upload"], "editor_only": ["upload"]},
    "ToVideo": {"display_name": "To Video", "widgets": [], "editor_only": []},
}


def graph(nodes: list[dict], links: list[list]) -> dict:
    return {"nodes": nodes, "links": links, "version": 0.4}


def node(node_id, class_type, widgets=(), inputs=(), mode=0, title=None) -> dict:
    out = {"id": node_id, "type": class_type, "mode": mode, "widgets_values": list(widgets), "inputs": list(inputs)}
    if title:
        out["title"] = title
    return out


def socket(name, kind, link=None, widget=None) -> dict:
    out = {"name": name, "type": kind, "link": link}
    if widget:
        out["widget"] = {"name": widget}
    return out


def test_convert_names_widgets_drops_editor_only_values_and_follows_links():
    workflow = graph(
        [
            node(1, "Loader", ["model.safetensors"]),
            node(2, "MarkdownNote", ["# read me"]),
            node(3, "KSampler", [42, "randomize", 20, "euler"], [socket("model", "MODEL", 1)], title="Sampler A"),
        ],
        [[1, 1, 0, 3, 0, "MODEL"]],
    )
    assert convert_workflow(workflow, NODE_INPUTS) == {
        "1": {"inputs": {"name": "model.safetensors"}, "class_type": "Loader", "_meta": {"title": "Load"}},
        "3": {
            "inputs": {"seed": 42, "steps": 20, "sampler_name": "euler", "model": ["1", 0]},
            "class_type": "KSampler",
            "_meta": {"title": "Sampler A"},
        },
    }


def test_a_widget_turned_into_an_input_takes_its_link():
    workflow = graph(
        [
            node(1, "Loader", ["m"]),
            node(2, "KSampler", [42, "fixed", 20, "euler"], [socket("steps", "INT", 7, widget="steps")]),
            node(3, "Patch", [8]),
        ],
        [[7, 3, 0, 2, 0, "INT"]],
    )
    assert convert_workflow(workflow, NODE_INPUTS)["2"]["inputs"] == {
        "seed": 42,
        "sampler_name": "euler",
        "steps": ["3", 0],
    }


def test_bypassed_node_passes_its_input_of_the_same_type_and_muted_sends_nothing():
    workflow = graph(
        [
            node(1, "Loader", ["m"]),
            node(2, "Patch", [0.5], [socket("model", "MODEL", 1)], mode=4),  # bypassed
            node(3, "KSampler", [1, "fixed", 2, "euler"], [socket("model", "MODEL", 2), socket("positive", "COND", 3)]),
            node(4, "Patch", [0.5], [], mode=2),  # muted
            node(5, "LoadImage", ["example.png", "image"], mode=4),  # bypassed, nothing to pass on
            node(6, "ToVideo", [], [socket("images", "IMAGE", 4)]),
        ],
        [[1, 1, 0, 2, 0, "MODEL"], [2, 2, 0, 3, 0, "MODEL"], [3, 4, 0, 3, 1, "COND"], [4, 5, 0, 6, 0, "IMAGE"]],
    )
    prompt = convert_workflow(workflow, NODE_INPUTS)
    assert sorted(prompt) == ["1", "3", "6"]
    assert prompt["3"]["inputs"]["model"] == ["1", 0]
    assert "positive" not in prompt["3"]["inputs"]
    assert prompt["6"]["inputs"] == {}


@pytest.mark.parametrize(
    ("workflow", "message"),
    [
        (graph([node(1, "Mystery")], []), "node 1 (Mystery): no entry in the node-inputs snapshot"),
        (graph([node(1, "Loader", ["a", "b"])], []), "node 1 (Loader): 2 widget values but the snapshot knows 1"),
        (graph([node(1, "PrimitiveNode", [3])], []), "primitive nodes are not supported"),
        ({**graph([], []), "definitions": {"subgraphs": [{"id": "x"}]}}, "has subgraphs"),
        ({"1": {"class_type": "Loader", "inputs": {}}}, "is not a UI-format workflow"),
        (graph([node(1, "KSampler", [1, "fixed", 2, "euler"], [socket("model", "MODEL", 9)])], []), "link 9"),
    ],
)
def test_what_cannot_be_converted_is_named(workflow, message):
    with pytest.raises(WorkflowError, match="RIFLEx") as error:
        convert_workflow(workflow, NODE_INPUTS, "wf.json")
    assert message in str(error.value)


class _FakeComfyUI:
    """/object_info and /system_stats of a pretend ComfyUI, on 127.0.0.1."""

    def __init__(self, version: str, object_info: dict):
        routes = {"/object_info": object_info, "/system_stats": {"system": {"comfyui_version": version}}}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps(routes[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_snapshot_takes_each_node_type_from_the_first_comfyui_that_has_it(tmp_path):
    (tmp_path / "wf.json").write_text(json.dumps(graph([node(1, "KSampler"), node(2, "NewNode"), node(3, "Note")], [])))
    newer_ksampler = {**KSAMPLER_INFO, "display_name": "KSampler (newer)"}
    old = _FakeComfyUI("0.8.0", {"KSampler": KSAMPLER_INFO})
    new = _FakeComfyUI("0.33.0", {"KSampler": newer_ksampler, "NewNode": info({"x": ["INT", {}]}, display_name="New")})
    try:
        snapshot = capture_node_inputs([old.url, new.url], tmp_path)
        assert snapshot["captured_from"] == ["ComfyUI 0.8.0 (1 node types)", "ComfyUI 0.33.0 (1 node types)"]
        assert snapshot["nodes"]["KSampler"]["display_name"] == "KSampler"  # the older one's
        assert snapshot["nodes"]["NewNode"] == {"display_name": "New", "widgets": ["x"], "editor_only": []}
        with pytest.raises(WorkflowError, match="has the node types NewNode"):
            capture_node_inputs([old.url], tmp_path)
    finally:
        old.close()
        new.close()


# --- hostile or damaged files: every one a WorkflowError naming the file and the node ------------

GOOD = [node(1, "Loader", ["m"]), node(2, "KSampler", [1, "fixed", 2, "euler"], [socket("model", "MODEL", 1)])]
GOOD_LINKS = [[1, 1, 0, 2, 0, "MODEL"]]


@pytest.mark.parametrize(
    ("workflow", "message"),
    [
        ([GOOD, GOOD_LINKS], "wf.json is not a UI-format workflow"),
        (7, "wf.json is not a UI-format workflow"),
        (graph([None], []), "wf.json: nodes[0] is null; expected an object"),
        (graph([GOOD[0], 5], GOOD_LINKS), "nodes[1] is an int (5)"),
        ({"nodes": {"1": GOOD[0]}, "links": []}, "nodes is a dict; expected a list of nodes"),
        (graph([{"id": 1, "inputs": []}], []), "node 1: type is null"),
        (graph([{"id": None, "type": "Loader"}], []), "nodes[0] has id None"),
        (graph([{"id": True, "type": "Loader"}], []), "nodes[0] has id True"),
        (graph([GOOD[0], {**GOOD[0], "widgets_values": ["n"]}], []), "node 1: the id is used by two nodes"),
        (graph([{**GOOD[1], "inputs": "model"}], []), "node 2: inputs is a str ('model'); expected a list"),
        (graph([{**GOOD[1], "inputs": [None]}], []), "node 2: input 0 is null"),
        (graph([{**GOOD[1], "inputs": [socket("model", "MODEL", "1")]}], []), "input 'model' has link '1'"),
        (graph([{**GOOD[1], "widgets_values": "42"}], []), "node 2: widgets_values is a str"),
        (graph([{**GOOD[1], "mode": "bypass"}], []), "node 2: mode is 'bypass'"),
        (graph(GOOD, {"1": GOOD_LINKS[0]}), "links is a dict"),
        (graph(GOOD, [[1, 1, 0]]), "links[0] is a list ([1, 1, 0])"),
        (graph(GOOD, ["1,1,0,2,0,MODEL"]), "links[0] is a str"),
        (graph(GOOD, [[1, 1, "zero", 2, 0, "MODEL"]]), "links[0] = [1, 1, 'zero', 2, 0, 'MODEL'] is malformed"),
        (graph(GOOD, [[1, 99, 0, 2, 0, "MODEL"]]), "link 1 comes from node 99, which is not in the workflow"),
        (graph(GOOD, [{"id": 1, "origin_id": 1}]), "links[0] = {'id': 1, 'origin_id': 1} is malformed"),
        (
            graph([GOOD[0], {**GOOD[1], "inputs": [socket("model", "MODEL", 5)]}], GOOD_LINKS),
            "node 2 (KSampler): input 'model': link 5 is used by a node but missing",
        ),
        (
            graph(
                [node(1, "Reroute", [], [socket("a", "*", 2), socket("b", "*", 2)]), GOOD[1]], [[1, 1, 0, 2, 0, "*"]]
            ),
            "reroute node 1 has 2 inputs",
        ),
        ({**graph(GOOD, GOOD_LINKS), "definitions": "x"}, None),  # odd extra fields are ignored
    ],
)
def test_damaged_workflows_are_named_errors_not_tracebacks(workflow, message):
    if message is None:
        assert convert_workflow(workflow, NODE_INPUTS, "wf.json")["2"]["inputs"]["model"] == ["1", 0]
        return
    with pytest.raises(WorkflowError) as error:
        convert_workflow(workflow, NODE_INPUTS, "wf.json")
    assert str(error.value).startswith("RIFLEx: ") and message in str(error.value), str(error.value)


@pytest.mark.parametrize("length", [1, 3000, 20000])
def test_a_long_chain_of_bypassed_nodes_resolves_to_its_origin(length):
    # each bypassed Patch passes its MODEL input on: the sampler gets the loader's model
    nodes = [node(1, "Loader", ["m"])]
    links = [[1, 1, 0, 2, 0, "MODEL"]]
    for index in range(2, length + 2):
        nodes.append(node(index, "Patch", [0.5], [socket("model", "MODEL", index - 1)], mode=4))
        links.append([index, index, 0, index + 1, 0, "MODEL"])
    nodes.append(node(length + 2, "KSampler", [1, "fixed", 2, "euler"], [socket("model", "MODEL", length + 1)]))
    prompt = convert_workflow(graph(nodes, links), NODE_INPUTS)
    assert sorted(prompt) == ["1", str(length + 2)]
    assert prompt[str(length + 2)]["inputs"]["model"] == ["1", 0]


def test_text_node_ids_are_kept_and_sorted_after_numbers():
    workflow = graph(
        [node("loader", "Loader", ["m"]), node(10, "Patch", [1]), node(9, "Patch", [2]),
         node("s", "KSampler", [1, "fixed", 2, "euler"], [socket("model", "MODEL", 1)])],
        [[1, "loader", 0, "s", 0, "MODEL"]],
    )  # fmt: skip
    prompt = convert_workflow(workflow, NODE_INPUTS)
    assert list(prompt) == ["9", "10", "loader", "s"]
    assert prompt["s"]["inputs"]["model"] == ["loader", 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"{not json", "is not JSON (Expecting property name"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (
            json.dumps({"nodes": [{"id": 1, "x": json.loads("[" * 80 + "]" * 80)}], "links": []}).encode(),
            "more than 64",
        ),
    ],
)
def test_unreadable_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "broken.json"
    path.write_bytes(text)
    with pytest.raises(WorkflowError) as error:
        read_json(path)
    assert str(error.value).startswith(f"RIFLEx: {path} ") and message in str(error.value)


def test_reads_are_bounded(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2049)
    with pytest.raises(WorkflowError, match=r"big.json is larger than"):
        read_json(path, max_bytes=2048)
    with pytest.raises(WorkflowError, match=r"/dev/zero is larger than"):
        read_json("/dev/zero", max_bytes=1 << 20)  # a device would never end
    with pytest.raises(WorkflowError, match=r"cannot read .*: Is a directory"):
        read_json(tmp_path)


def test_inputs_a_newer_comfyui_appends_and_requires_are_sent_with_their_defaults(tmp_path):
    """ComfyUI 0.33's WanContextWindowsManual appends two required inputs to 0.8's seven: a
    workflow saved with seven values loads in either editor (0.33's gives the two their
    defaults), and its API export must send them, which 0.8 ignores."""
    (tmp_path / "wf.json").write_text(json.dumps(graph([node(1, "Windows"), node(2, "KSampler")], [])))
    old_info = info({"model": ["MODEL"], "length": ["INT", {"default": 81}]})
    new_info = info(
        {
            "model": ["MODEL"],
            "length": ["INT", {"default": 81}],
            "retain_first_frame": ["BOOLEAN", {"default": False}],
            "mode": [["a", "b"], {}],
        },
        {"tweak": ["FLOAT", {"default": 0.5}]},  # optional: a prompt without it is valid
        order={"required": ["model", "length", "retain_first_frame", "mode"], "optional": ["tweak"]},
    )
    renamed = info({"model": ["MODEL"], "size": ["INT", {"default": 1}], "extra": ["INT", {"default": 2}]})
    old = _FakeComfyUI("0.8.0", {"Windows": old_info, "KSampler": KSAMPLER_INFO})
    new = _FakeComfyUI("0.33.0", {"Windows": new_info, "KSampler": renamed})
    try:
        snapshot = capture_node_inputs([old.url, new.url], tmp_path)
    finally:
        old.close()
        new.close()
    windows = snapshot["nodes"]["Windows"]
    assert windows["widgets"] == ["length"]
    assert windows["required_later"] == {"retain_first_frame": False, "mode": "a"}
    assert required_later(windows, new_info) == windows["required_later"]
    assert "required_later" not in snapshot["nodes"]["KSampler"]  # not the same widgets: nothing is guessed
    workflow = graph(
        [
            node(1, "Windows", [241]),
            node(2, "Windows", [81], [socket("retain_first_frame", "BOOLEAN", 5, "retain_first_frame")]),
        ],
        [[5, 3, 0, 2, 0, "BOOLEAN"]],
    )
    workflow["nodes"].append(node(3, "Loader", ["m"]))
    prompt = convert_workflow(workflow, {**snapshot["nodes"], "Loader": NODE_INPUTS["Loader"]})
    assert prompt["1"]["inputs"] == {"length": 241, "retain_first_frame": False, "mode": "a"}
    assert prompt["2"]["inputs"] == {"length": 81, "mode": "a", "retain_first_frame": ["3", 0]}
