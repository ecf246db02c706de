"""`python -m riflex run` against a real headless ComfyUI: success, sweep, a rejected prompt,
an execution error, and no server at all."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from comfy_host import REPO, free_port
from prompts import RIFLEX_DEFAULTS

pytestmark = pytest.mark.comfyui


def workflow(path, **riflex_inputs) -> str:
    """Loader -> RIFLEx RoPE -> KSampler -> SaveLatent on the tiny Wan, with ComfyUI's own
    EmptyHunyuanLatentVideo (length in pixel frames, as users set it)."""
    prompt = {
        "1": {
            "class_type": "UNETLoader",
            "inputs": {"unet_name": "riflex_tiny_wan21.safetensors", "weight_dtype": "default"},
        },
        "2": {"class_type": "RIFLExRoPE", "inputs": {"model": ["1", 0], **RIFLEX_DEFAULTS, **riflex_inputs}},
        "3": {
            "class_type": "RIFLExTestConditioning",
            "inputs": {"tokens": 4, "width": 4096, "pooled_width": 0, "seed": 1},
        },
        "4": {
            "class_type": "EmptyHunyuanLatentVideo",
            "inputs": {"width": 16, "height": 16, "length": 81, "batch_size": 1},
        },
        "5": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["2", 0],
                "seed": 3,
                "steps": 2,
                "cfg": 1.0,
                "sampler_name": "euler",
                "scheduler": "simple",
                "positive": ["3", 0],
                "negative": ["3", 0],
                "latent_image": ["4", 0],
                "denoise": 1.0,
            },
        },
        "6": {"class_type": "SaveLatent", "inputs": {"samples": ["5", 0], "filename_prefix": "riflex_run/out"}},
    }
    path.write_text(json.dumps(prompt))
    return str(path)


def riflex_run(*args):
    return subprocess.run([sys.executable, "-m", "riflex", "run", *args], capture_output=True, text=True, timeout=300)


def test_run_succeeds_and_prints_the_outputs(comfy_server, tmp_path):
    result = riflex_run(workflow(tmp_path / "wf.json"), "--server", comfy_server.url, "--frames", "241")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "node 6 (latents): output/riflex_run/" in line)
    assert (comfy_server.base / line.split(": ", 1)[1].strip()).exists()
    assert "RIFLEx riflex on wan21: 61 latent frames (241 px)" in comfy_server.log()  # --frames reached the latent
    # what the RIFLEx node showed on itself, printed for a headless user (read from the websocket)
    assert "  node 2 (reported): RIFLEx riflex on wan21: 61 latent frames (241 px), train 21, s = 2.90, k = 6: " in (
        result.stdout
    )


def test_sweep_runs_one_prompt_per_value(comfy_server, tmp_path):
    result = riflex_run(workflow(tmp_path / "wf.json"), "--server", comfy_server.url, "--sweep", "method=pe,riflex")
    assert result.returncode == 0, result.stderr
    assert "method = pe:" in result.stdout and "method = riflex:" in result.stdout
    assert result.stdout.count("node 6 (latents)") == 2


def test_rejected_prompt_names_node_and_input(comfy_server, tmp_path):
    result = riflex_run(workflow(tmp_path / "wf.json"), "--server", comfy_server.url, "--set", "2.safety_factor=1.5")
    assert result.returncode == 1
    assert "RIFLEx: ComfyUI rejected the prompt (HTTP 400)" in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("  node 2 (RIFLExRoPE)")]
    assert len(lines) == 1 and "RIFLEx: safety_factor = 1.5 is outside [0.01, 1]" in lines[0]


def test_execution_error_names_the_node(comfy_server, tmp_path):
    result = riflex_run(workflow(tmp_path / "wf.json", k=23), "--server", comfy_server.url)
    assert result.returncode == 1
    assert "RIFLEx: ComfyUI failed in node 2 (RIFLExRoPE): RIFLEx: k = 23 is outside" in result.stderr


def test_a_value_comfyui_itself_refuses_names_the_input(comfy_server, tmp_path):
    result = riflex_run(workflow(tmp_path / "wf.json"), "--server", comfy_server.url, "--set", "5.steps=0")
    assert result.returncode == 1
    assert "node 5 (KSampler), input steps: Value 0 smaller than min of 1" in result.stderr


def test_no_server_is_a_clear_message_and_exit_2(tmp_path):
    result = riflex_run(workflow(tmp_path / "wf.json"), "--server", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert "RIFLEx: cannot reach ComfyUI at http://127.0.0.1:" in result.stderr and "Traceback" not in result.stderr


def test_a_shipped_workflow_without_its_files_says_where_each_goes(comfy_server):
    """The test server has none of HuMo's real files: ComfyUI names each missing one, and `run`
    adds the models/ folder and download link (from the UI twin) or the --set for an input file."""
    from riflex.headless.hints import model_hints

    api = str(REPO / "workflows" / "api" / "humo_17B_241_frames.json")
    result = riflex_run(api, "--server", comfy_server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    folder, url = model_hints(api)["humo_17B_fp8_e4m3fn.safetensors"]
    assert folder == "diffusion_models" and url.startswith("https://huggingface.co/")
    assert f"    put humo_17B_fp8_e4m3fn.safetensors in ComfyUI/models/{folder}/ (download: {url})" in result.stderr
    assert "--set 7.audio=NAME (a file in ComfyUI/input/)" in result.stderr  # HuMo's audio
    assert "--set 6.image=NAME (a file in ComfyUI/input/)" in result.stderr  # its reference image


def test_the_same_prompt_twice_says_it_came_from_the_cache(comfy_server, tmp_path):
    path = workflow(tmp_path / "wf.json")
    seed = ("--set", "5.seed=424242")  # a prompt no other test sends: the first run samples
    first = riflex_run(path, "--server", comfy_server.url, *seed)
    assert first.returncode == 0 and "from its cache" not in first.stdout, first.stderr
    again = riflex_run(path, "--server", comfy_server.url, *seed)
    assert again.returncode == 0, again.stderr
    assert "ComfyUI answered from its cache: nothing was sampled" in again.stdout
