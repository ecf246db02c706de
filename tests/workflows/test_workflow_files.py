"""The shipped workflows as files, no ComfyUI needed: the API twins are what the generator makes
from the UI graphs, every family has a workflow, every sampled model goes through RIFLEx, every
loader names its file with where to get it, and each Note quotes what the node will report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from workflow_cases import (
    API_DIR,
    CONTEXT_WINDOW_NODES,
    FAMILY,
    REPO,
    SNAPSHOT,
    WORKFLOWS,
    load_json,
    model_files,
    ui_workflow_paths,
    window_pixel_frames,
)

from riflex import FAMILIES, MethodParams, get_family, plan_temporal
from riflex.decay_plan import DecaySettings, plan_decay_for_spec
from riflex.headless.workflow_api import export_dir, load_node_inputs
from riflex.length_zones import length_zones

LOADER_FOLDERS = {
    "UNETLoader": ("diffusion_models", 1),
    "CLIPLoader": ("text_encoders", 1),
    "DualCLIPLoader": ("text_encoders", 2),
    "VAELoader": ("vae", 1),
    "CLIPVisionLoader": ("clip_vision", 1),
    "AudioEncoderLoader": ("audio_encoders", 1),
    "CheckpointLoaderSimple": ("checkpoints", 1),
    "OpticalFlowLoader": ("optical_flow", 1),
}
MODEL_LOADERS = ("UNETLoader", "CheckpointLoaderSimple")
MODEL_CONSUMERS = ("KSampler", "KSamplerAdvanced", "BasicGuider", "CFGGuider", "BasicScheduler", "SamplerCustom")
LATENT_NODES = ("EmptyHunyuanLatentVideo", "WanImageToVideo", "Wan22ImageToVideoLatent", "EmptyHunyuanVideo15Latent")
LATENT_NODES += ("Kandinsky5ImageToVideo", "WanSoundImageToVideo", "WanHuMoImageToVideo", "WanAnimateToVideo")
LATENT_NODES += ("EmptyCosmosLatentVideo", "CosmosPredict2ImageToVideoLatent", "EmptyLTXVLatentVideo")
LATENT_NODES += ("VOIDInpaintConditioning", "VOIDWarpedNoise")  # VOID: both must have the same length
WORKFLOW_IDS = [path.stem for path in ui_workflow_paths()]


def by_id(workflow: dict) -> dict[int, dict]:
    return {node["id"]: node for node in workflow["nodes"]}


def source_of(workflow: dict, node: dict, input_name: str) -> dict | None:
    nodes, links = by_id(workflow), {link[0]: link for link in workflow["links"]}
    for inp in node.get("inputs", []):
        if inp["name"] == input_name and inp.get("link") is not None:
            return nodes[links[inp["link"]][1]]
    return None


def test_api_twins_are_what_the_generator_makes_from_the_ui_files():
    generated = export_dir(WORKFLOWS, API_DIR, load_node_inputs(SNAPSHOT))
    assert sorted(path.name for path in generated) == sorted(path.name for path in API_DIR.glob("*.json"))
    for path, text in generated.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date: run python -m riflex export-api"


def test_export_api_command_checks_and_rewrites(tmp_path):
    ui_dir = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, ui_dir)

    def export(*args):
        return subprocess.run(
            [sys.executable, "-m", "riflex", "export-api", str(ui_dir), *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )

    assert export("--check").returncode == 0
    ui_file = ui_dir / "wan2.1_t2v_1.3B_161_frames.json"
    workflow = load_json(ui_file)
    latent = next(node for node in workflow["nodes"] if node["type"] == "EmptyHunyuanLatentVideo")
    latent["widgets_values"][2] = 201
    ui_file.write_text(json.dumps(workflow), encoding="utf-8")
    (ui_dir / "api" / "left_over.json").write_text("{}")

    check = export("--check")
    assert check.returncode == 1
    assert "out of date: " in check.stderr and "wan2.1_t2v_1.3B_161_frames.json" in check.stderr
    assert "no UI workflow for: " in check.stderr and "left_over.json" in check.stderr

    rewrite = export()
    assert rewrite.returncode == 0
    api = load_json(ui_dir / "api" / "wan2.1_t2v_1.3B_161_frames.json")
    assert api[str(latent["id"])]["inputs"]["length"] == 201
    # export-api deletes nothing: it cannot know it wrote the file; it says so instead
    assert (ui_dir / "api" / "left_over.json").read_text() == "{}"
    assert "left_over.json (left in place; delete it if it is an old API twin)" in rewrite.stdout
    (ui_dir / "api" / "left_over.json").unlink()
    assert export("--check").returncode == 0


# families the node supports that have no shipped workflow yet (a new family must get one or
# be listed here, so the gap is a decision, not an oversight)
NO_WORKFLOW_YET = {
    "cogvideox": (
        "no ComfyUI-format CogVideoX-5B (1.0) file to name: ComfyUI (0.33+) loads CogVideoX natively only from "
        "its own key layout (blocks.*), and the only official repackage (Comfy-Org/void-model) is VOID, a "
        "CogVideoX-Fun-V1.5 fine-tune (cogvideox_15, which has its workflow); no official CogVideoX-5B 1.0 file "
        "exists to name"
    ),
}


def test_every_supported_family_has_a_workflow_and_every_workflow_is_tested():
    assert sorted(FAMILY) == sorted(WORKFLOW_IDS)
    missing = sorted(set(FAMILIES) - set(FAMILY.values()) - set(NO_WORKFLOW_YET))
    assert not missing, f"families without a workflow in workflows/ (add one, or list it in NO_WORKFLOW_YET): {missing}"
    assert not set(NO_WORKFLOW_YET) & set(FAMILY.values()), "a family listed as missing has a workflow now"
    assert set(NO_WORKFLOW_YET) <= set(FAMILIES)


@pytest.mark.parametrize("name", WORKFLOW_IDS)
def test_every_sampled_model_goes_through_riflex(name):
    """Each sampler, guider and scheduler gets its model through a RIFLEx RoPE node (Wan 2.2
    A14B: both the high- and the low-noise model; LTX-Video: from its checkpoint loader)."""
    workflow = load_json(WORKFLOWS / f"{name}.json")
    consumers = [node for node in workflow["nodes"] if node["type"] in MODEL_CONSUMERS]
    assert consumers
    loaders_seen = set()
    for consumer in consumers:
        chain, node = [], consumer
        while node["type"] not in MODEL_LOADERS:
            node = source_of(workflow, node, "model")
            assert node is not None, f"node {consumer['id']} has no model"
            chain.append(node["type"])
        loaders_seen.add(node["id"])
        assert chain.count("RIFLExRoPE") == 1, f"node {consumer['id']} ({consumer['type']}) gets its model via {chain}"
    assert loaders_seen == {node["id"] for node in workflow["nodes"] if node["type"] in MODEL_LOADERS}


@pytest.mark.parametrize("name", WORKFLOW_IDS)
def test_loaders_name_their_files_with_folder_and_download_link(name):
    """The editor offers to download a missing model from a node's properties.models, and the
    test server places each file by its folder: every loader's file must be listed there."""
    workflow = load_json(WORKFLOWS / f"{name}.json")
    declared = {(directory, file_name): url for directory, file_name, url in model_files(workflow)}
    for node in workflow["nodes"]:
        if node["type"] in LOADER_FOLDERS:
            folder, count = LOADER_FOLDERS[node["type"]]
            for file_name in node["widgets_values"][:count]:
                url = declared.get((folder, file_name))
                assert url, f"node {node['id']} ({node['type']}): {file_name} not in properties.models under {folder}"
                assert url.startswith("https://huggingface.co/") and url.endswith("/" + file_name), url


@pytest.mark.parametrize("name", WORKFLOW_IDS)
def test_note_quotes_what_each_riflex_node_reports_at_the_shipped_length(name):
    workflow = load_json(WORKFLOWS / f"{name}.json")
    (note,) = [node["widgets_values"][0] for node in workflow["nodes"] if node["type"] == "MarkdownNote"]
    (length,) = {node["widgets_values"][2] for node in workflow["nodes"] if node["type"] in LATENT_NODES}
    assert f"{length} frames" in note
    family = get_family(FAMILY[name])
    spec = family.spec()
    # with context windows the model sees one window at a time: the Note quotes every window length
    windows = [node["widgets_values"][0] for node in workflow["nodes"] if node["type"] in CONTEXT_WINDOW_NODES]
    seen = window_pixel_frames(*windows, spec.temporal_compression, causal_fix=True) if windows else [length]
    if windows:  # windows longer than training (where RIFLEx acts in each), shorter than the video
        assert spec.train_len < spec.positions_from_pixel_frames(seen[0]) < spec.positions_from_pixel_frames(length)
    for node in workflow["nodes"]:
        if node["type"] != "RIFLExRoPE":
            continue
        method, k, s = node["widgets_values"][:3]
        for frames in seen:
            test_len = spec.positions_from_pixel_frames(frames)
            plan = plan_temporal(spec, method, test_len, MethodParams(k=k, s=s), default_k=family.default_k)
            line = plan.summary(family.key)
            unit = "latent frames" if spec.temporal_patch == 1 else "time positions"
            head = f"RIFLEx {method} on {family.key}: {test_len} {unit} ({frames} px), train {spec.train_len}, s = {plan.s:.2f}"
            assert line.startswith(head)
            single = not name.startswith("compare_")
            # the comparisons' Notes quote only the part after s, and the length warning once
            quoted = line if single else line[len(head) :].lstrip(",: ").removesuffix(plan.length_note(family.key))
            assert quoted in note, f"the Note should quote {quoted!r}"
            assert plan.length_note(family.key).removeprefix("; ") in note, "the Note should give the length warning"
    for node in workflow["nodes"]:
        if node["type"] != "RIFLExAttentionDecay":
            continue
        alpha, window, beta, train_len, anchor = node["widgets_values"]
        rope = source_of(workflow, node, "model")  # RIFLEx RoPE right before: the decay reads its plan
        method, k, s = rope["widgets_values"][:3]
        test_len = spec.positions_from_pixel_frames(length)
        plan = plan_temporal(spec, method, test_len, MethodParams(k=k, s=s), default_k=family.default_k)
        settings = DecaySettings(alpha, window, beta, train_len, anchor)
        decay = plan_decay_for_spec(settings, spec, test_len, plan.freqs_after, plan.k, family.decay_anchor)
        line = decay.summary(family.key)
        quoted = line if not name.startswith("compare_") else line[line.index("window") :]
        assert decay.active and quoted in note, f"the Note should quote {quoted!r}"


# what a Note may say about where things happen, and which riflex/length_zones.py number it is
LENGTH_PHRASES = {
    "RIFLEx changes nothing up to": "untouched_len",
    "RIFLEx acts from": "riflex_acts_from",
    "the plain model completes a turn of it from": "plain_turn_len",
}


@pytest.mark.parametrize("name", WORKFLOW_IDS)
def test_note_lengths_are_what_the_node_computes(name):
    """'RIFLEx acts from 169 frames (22 latent)' and the like, checked against riflex/length_zones.py
    (the Cosmos Notes once gave where the 0.9 margin starts as where the plain model turns)."""
    workflow = load_json(WORKFLOWS / f"{name}.json")
    (note,) = [node["widgets_values"][0] for node in workflow["nodes"] if node["type"] == "MarkdownNote"]
    family = get_family(FAMILY[name])
    spec = family.spec()
    k = plan_temporal(spec, "riflex", spec.train_len, default_k=family.default_k).k
    zones = length_zones(spec, k)
    for phrase, field in LENGTH_PHRASES.items():
        for match in re.finditer(re.escape(phrase) + r" (\d+) frames(?: \((\d+) (?:latent|time positions))?", note):
            positions = getattr(zones, field)
            assert int(match[1]) == spec.pixel_frames_from_positions(positions), match[0]
            if match[2]:
                assert int(match[2]) == positions, match[0]


def test_comparison_samples_five_methods_from_one_seed():
    workflow = load_json(WORKFLOWS / "compare_methods_wan2.1_1.3B_241_frames.json")
    methods = [node["widgets_values"][0] for node in workflow["nodes"] if node["type"] == "RIFLExRoPE"]
    assert methods == ["pe", "pi", "ntk", "yarn", "riflex"]
    samplers = [node for node in workflow["nodes"] if node["type"] == "KSampler"]
    assert len(samplers) == 5
    assert len({json.dumps(sampler["widgets_values"]) for sampler in samplers}) == 1  # same seed, steps, cfg, ...
    assert {sampler["widgets_values"][1] for sampler in samplers} == {"fixed"}
    assert [node["type"] for node in workflow["nodes"]].count("ImageStitch") == 4


def test_extrapolation_comparison_samples_plain_riflex_decay_and_both_from_one_seed():
    workflow = load_json(WORKFLOWS / "compare_extrapolation_wan2.1_1.3B_333_frames.json")
    samplers = [node for node in workflow["nodes"] if node["type"] == "KSampler"]
    branches = []
    for sampler in samplers:  # walk each sampler's model back to the loader
        chain, node = [], sampler
        while node["type"] != "UNETLoader":
            node = source_of(workflow, node, "model")
            if node["type"] == "RIFLExRoPE":
                chain.append(node["widgets_values"][0])
            elif node["type"] == "RIFLExAttentionDecay":
                chain.append("decay")
        branches.append(tuple(reversed(chain)))
    assert branches == [("pe",), ("riflex",), ("pe", "decay"), ("riflex", "decay")]
    assert len({json.dumps(sampler["widgets_values"]) for sampler in samplers}) == 1  # same seed, steps, cfg, ...
    assert {sampler["widgets_values"][1] for sampler in samplers} == {"fixed"}
    assert [node["type"] for node in workflow["nodes"]].count("ImageStitch") == 3
    (save,) = [node for node in workflow["nodes"] if node["type"] == "SaveVideo"]
    assert "plain, RIFLEx, decay, both" in save["title"]


@pytest.mark.parametrize(
    "name, frames",
    [("wan2.1_t2v_1.3B_333_frames_attention_decay", 333), ("hunyuan_video_t2v_385_frames_attention_decay", 385)],
)
def test_decay_workflows_ship_at_3x_4x_with_the_paper_settings(name, frames):
    workflow = load_json(WORKFLOWS / f"{name}.json")
    (length,) = {node["widgets_values"][2] for node in workflow["nodes"] if node["type"] in LATENT_NODES}
    assert length == frames
    (decay,) = [node for node in workflow["nodes"] if node["type"] == "RIFLExAttentionDecay"]
    assert decay["widgets_values"] == [0.9, 0.0, 0.6, 0, "auto"]  # UltraViCo's alpha and beta, window and anchor auto


@pytest.mark.parametrize("name", WORKFLOW_IDS)
def test_each_template_has_a_thumbnail(name):
    """ComfyUI's template browser shows /api/workflow_templates/<pack>/<name>.jpg for a custom node's
    template; without it the card is blank. Written by tests/browser (RIFLEX_WRITE_THUMBNAILS=1)."""
    thumbnail = WORKFLOWS / f"{name}.jpg"
    assert thumbnail.is_file(), f"no thumbnail {thumbnail.name}: run RIFLEX_WRITE_THUMBNAILS=1 pytest tests/browser"
    data = thumbnail.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and len(data) < 100_000  # a JPEG, small
