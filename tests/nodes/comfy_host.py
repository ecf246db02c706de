"""Find a real ComfyUI and run it headless for the tests (and bench/).

Where ComfyUI is looked for, in order:
  1. COMFYUI_PATH: one ComfyUI folder, or several separated by the OS path separator
     (to test several versions in one run);
  2. the ComfyUI this checkout is installed into (.../ComfyUI/custom_nodes/<this pack>);
  3. ~/comfy/ComfyUI (comfy-cli's default) and any ~/comfy/ComfyUI-<version> beside it.
Each runs with its own Python: COMFYUI_PYTHON, else a .venv or venv inside the ComfyUI folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMFY_SIDE = REPO / "tests" / "nodes" / "comfy_side"
NOT_FOUND_REASON = (
    "no ComfyUI found: set COMFYUI_PATH to a ComfyUI folder (with its Python in .venv/ or COMFYUI_PYTHON), "
    "install this pack into ComfyUI/custom_nodes, or put ComfyUI at ~/comfy/ComfyUI"
)
# the editor tests' browser (tests/browser, tests/workflows): Debian's chromium, headless, nothing
# fetched from outside; never a browser Playwright downloads
CHROMIUM = Path(os.environ.get("RIFLEX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class ComfyInstall:
    path: Path
    python: Path

    @property
    def version(self) -> str:
        version_file = self.path / "comfyui_version.py"
        if version_file.exists():
            for line in version_file.read_text().splitlines():
                if line.startswith("__version__"):
                    return line.split("=")[1].strip().strip("\"'")
        return "unknown"


def _is_comfyui(path: Path) -> bool:
    return (path / "main.py").is_file() and (path / "comfy").is_dir()


def _python_for(path: Path) -> Path | None:
    if os.environ.get("COMFYUI_PYTHON"):
        return Path(os.environ["COMFYUI_PYTHON"])
    for venv in (".venv", "venv"):
        candidate = path / venv / "bin" / "python"
        if candidate.exists():
            return candidate
    return None


def find_comfyui_installs() -> list[ComfyInstall]:
    candidates: list[Path] = []
    if os.environ.get("COMFYUI_PATH"):
        candidates += [Path(p).expanduser() for p in os.environ["COMFYUI_PATH"].split(os.pathsep) if p]
    else:
        if REPO.parent.name == "custom_nodes":
            candidates.append(REPO.parent.parent)
        home = Path("~/comfy").expanduser()
        candidates.append(home / "ComfyUI")
        if home.is_dir():
            candidates += sorted(p for p in home.glob("ComfyUI-*") if p.is_dir())
    installs, seen = [], set()
    for path in candidates:
        path = path.resolve()
        if path in seen or not _is_comfyui(path):
            continue
        seen.add(path)
        python = _python_for(path)
        if python is not None:
            installs.append(ComfyInstall(path, python))
    return installs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PromptRejected(Exception):
    def __init__(self, body: dict):
        super().__init__(json.dumps(body)[:2000])
        self.body = body


class ComfyServer:
    """A headless ComfyUI on 127.0.0.1 with this pack (and the test-only pack) installed in a
    private base directory, so the user's own custom nodes and models are never touched."""

    def __init__(self, install: ComfyInstall, models: dict[str, Path] | None = None, env: dict[str, str] | None = None):
        """`models`: file name -> file, placed in diffusion_models (loras for *_lora.safetensors),
        or "folder/file name" -> file, placed in models/<folder> (vae, text_encoders, ...).
        `env`: extra environment variables for the server process."""
        self.install = install
        self.env = env or {}
        self.base = Path(tempfile.mkdtemp(prefix="riflex-comfy-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        custom_nodes = self.base / "custom_nodes"
        custom_nodes.mkdir(parents=True)
        (custom_nodes / "ComfyUI-RIFLEx").symlink_to(REPO, target_is_directory=True)
        (custom_nodes / "riflex_test_pack").symlink_to(COMFY_SIDE / "riflex_test_pack", target_is_directory=True)
        for folder in ("diffusion_models", "loras"):
            (self.base / "models" / folder).mkdir(parents=True)
        for name, path in (models or {}).items():
            folder = "loras" if name.endswith("_lora.safetensors") else "diffusion_models"
            if "/" in name:
                folder, name = name.split("/", 1)
                (self.base / "models" / folder).mkdir(parents=True, exist_ok=True)
            (self.base / "models" / folder / name).symlink_to(path)
        self.log_path = self.base / "server.log"

    def start(self, timeout: float = 180.0) -> None:
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                str(self.install.python),
                "main.py",
                "--cpu",
                "--listen",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--base-directory",
                str(self.base),
                "--disable-auto-launch",
            ],
            cwd=self.install.path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **self.env},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI exited during start-up:\n{self.log()[-4000:]}")
            try:
                self.get("/system_stats")
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"ComfyUI did not answer within {timeout} s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def get(self, route: str) -> dict:
        with urllib.request.urlopen(self.url + route, timeout=30) as response:
            return json.loads(response.read())

    def submit(self, prompt: dict) -> str:
        body = json.dumps({"prompt": prompt, "client_id": uuid.uuid4().hex}).encode()
        request = urllib.request.Request(self.url + "/prompt", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["prompt_id"]
        except urllib.error.HTTPError as error:
            raise PromptRejected(json.loads(error.read())) from None

    def wait(self, prompt_id: str, timeout: float = 300.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.get(f"/history/{prompt_id}")
            if prompt_id in history and history[prompt_id].get("status", {}).get("completed") is not None:
                entry = history[prompt_id]
                if entry["status"].get("status_str") in ("success", "error"):
                    return entry
            time.sleep(0.2)
        raise TimeoutError(f"prompt {prompt_id} did not finish within {timeout} s:\n{self.log()[-4000:]}")

    def run(self, prompt: dict, timeout: float = 300.0) -> dict:
        return self.wait(self.submit(prompt), timeout)

    def run_collecting_texts(self, prompt: dict, timeout: float = 300.0) -> tuple[dict, list[tuple[str, str]]]:
        """Run a prompt while listening on the websocket like the editor does; returns the
        history entry and the (node id, text) progress texts shown on nodes."""
        import struct

        import websocket  # websocket-client

        client_id = uuid.uuid4().hex
        ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/ws?clientId={client_id}", timeout=timeout)
        texts: list[tuple[str, str]] = []
        try:
            body = json.dumps({"prompt": prompt, "client_id": client_id}).encode()
            request = urllib.request.Request(
                self.url + "/prompt", data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                prompt_id = json.loads(response.read())["prompt_id"]
            while True:
                message = ws.recv()
                if isinstance(message, bytes):
                    (event,) = struct.unpack(">I", message[:4])
                    if event == 3:  # protocol.BinaryEventTypes.TEXT: node id length, node id, text
                        (length,) = struct.unpack(">I", message[4:8])
                        texts.append((message[8 : 8 + length].decode(), message[8 + length :].decode()))
                    continue
                data = json.loads(message)
                if (
                    data["type"] in ("execution_success", "execution_error")
                    and data["data"].get("prompt_id") == prompt_id
                ):
                    break
        finally:
            ws.close()
        return self.wait(prompt_id, timeout), texts

    def free(self) -> None:
        """Drop ComfyUI's node-output cache and unload models, so the next prompt computes
        everything again (a comparison between prompts must not compare a cache with itself)."""
        body = json.dumps({"unload_models": True, "free_memory": True}).encode()
        request = urllib.request.Request(self.url + "/free", data=body, headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=30).close()
        time.sleep(0.5)  # the worker applies the flags when it wakes, right after this request

    def output_path(self, file_info: dict) -> Path:
        return self.base / "output" / file_info.get("subfolder", "") / file_info["filename"]


def build_tiny_files(install: ComfyInstall, script: str, out_dir: Path) -> None:
    """Run a comfy_side builder (tiny_models.py, tiny_workflow_parts.py) with ComfyUI's Python into
    out_dir. A failure shows the builder's error output (a full disk, a class this ComfyUI lacks)."""
    result = subprocess.run(
        [str(install.python), str(COMFY_SIDE / script), str(install.path), str(out_dir)],
        cwd=install.path,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{script} failed ({result.returncode}) for ComfyUI {install.version}:\n{result.stderr[-6000:]}"
        )


def build_tiny_models(install: ComfyInstall, out_dir: Path) -> dict[str, Path]:
    build_tiny_files(install, "tiny_models.py", out_dir)
    return {p.name: p for p in out_dir.glob("*.safetensors")}


def run_comfy_script(install: ComfyInstall, script: str, *args: str, timeout: float = 600) -> str:
    """Run one of tests/nodes/comfy_side/*.py with ComfyUI's Python; returns its stdout."""
    result = subprocess.run(
        [str(install.python), str(COMFY_SIDE / script), str(install.path), str(REPO), *args],
        cwd=install.path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result.stdout


if __name__ == "__main__":
    for found in find_comfyui_installs():
        print(found.version, found.path, found.python)
    sys.exit(0)
