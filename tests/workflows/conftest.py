"""A real ComfyUI for the workflow tests: every model file the shipped workflows load is on its
disk under its real name, as a tiny random-weight stand-in (diffusion models, VAEs) or as a
never-loaded placeholder (text encoders, CLIP vision: see workflow_cases.SUBSTITUTED), and
ComfyUI's example.png is in its input folder. Runs once per ComfyUI found; skips with the reason
when none is."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from comfy_host import ComfyServer, build_tiny_files
from workflow_cases import (
    IN_PROCESS_MODELS,
    LOADED_VIDEOS,
    SUBSTITUTED,
    TINY_STAND_INS,
    load_json,
    model_files,
    ui_workflow_paths,
)


@pytest.fixture(scope="session")
def workflow_model_files(comfy_install, tmp_path_factory) -> dict:
    """ "directory/real name" -> file for every model file the shipped workflows declare."""
    from safetensors.numpy import save_file

    out_dir = tmp_path_factory.mktemp(f"workflow-models-{comfy_install.version}")
    build_tiny_files(comfy_install, "tiny_workflow_parts.py", out_dir)
    placeholder = out_dir / "riflex_placeholder.safetensors"
    save_file({"riflex_placeholder_never_loaded": np.zeros(1, dtype=np.float32)}, str(placeholder))
    files = {}
    for path in ui_workflow_paths():
        for directory, name, _ in model_files(load_json(path)):
            key = f"{directory}/{name}"
            if key in TINY_STAND_INS and (out_dir / TINY_STAND_INS[key]).exists():
                files[key] = out_dir / TINY_STAND_INS[key]
            elif key in TINY_STAND_INS or directory in SUBSTITUTED or key in IN_PROCESS_MODELS:
                # never loaded: a model this ComfyUI has no class for (VOID before 0.21, its
                # workflow skipped), a substituted component or a model built in the server's process
                files[key] = placeholder
            else:
                raise AssertionError(
                    f"{path.name} loads {key}: give it a tiny stand-in in workflow_cases.TINY_STAND_INS"
                )
    return files


# the input files the shipped workflows name besides example.png (those of ComfyUI's own
# templates, which users load their own files over), as small stand-ins under the same names
INPUT_IMAGES = (
    "video_humo_reference_image.png",
    "video_wan2_2_14B_s2v_reference_image.jpg",
    "video_wan2_2_14B_animate_reference_image.png",
)
INPUT_AUDIO = ("video_humo_input_audio.wav", "video_wan2_2_14B_s2v_input_audio.MP3")
INPUT_VIDEOS = ("riflex_animate_pose.mp4", "riflex_animate_face.mp4", *LOADED_VIDEOS)


def write_workflow_inputs(example_png, input_dir) -> None:
    """example.png under each image name (loaders read the content, not the extension), 2 s of a
    quiet 440 Hz tone as WAV under each audio name, and a 17-frame clip under each video name."""
    import wave

    import av

    for name in INPUT_IMAGES:
        shutil.copy(example_png, input_dir / name)
    tone = (np.sin(np.arange(32000) * 2 * np.pi * 440 / 16000) * 3000).astype("<i2").tobytes()
    for name in INPUT_AUDIO:
        with wave.open(str(input_dir / name), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16000)
            out.writeframes(tone)
    for name in INPUT_VIDEOS:
        with av.open(str(input_dir / name), "w") as container:
            stream = container.add_stream("mpeg4", rate=16)
            stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
            for i in range(17):
                frame = np.full((64, 64, 3), i * 12, dtype=np.uint8)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode())


@pytest.fixture(scope="session")
def workflow_server(comfy_install, workflow_model_files):
    server = ComfyServer(comfy_install, workflow_model_files, env={"RIFLEX_TEST_TINY_VAES": "1"})
    settings = server.base / "user" / "default" / "comfy.settings.json"  # for the editor test:
    settings.parent.mkdir(parents=True)  # a returning user, no first-run template browser
    settings.write_text(json.dumps({"Comfy.TutorialCompleted": True}))
    (server.base / "input").mkdir(exist_ok=True)
    shutil.copy(comfy_install.path / "input" / "example.png", server.base / "input" / "example.png")
    write_workflow_inputs(comfy_install.path / "input" / "example.png", server.base / "input")
    server.start()
    yield server
    server.stop()
