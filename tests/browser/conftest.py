"""A real ComfyUI with the pack, and the editor open in Debian's chromium driven by Playwright.

Skips, with the reason, when the Python `playwright` package, chromium (/usr/bin/chromium, or
RIFLEX_CHROMIUM) or a ComfyUI (see tests/nodes/comfy_host.py) is missing. Never downloads a
browser: Playwright drives the system chromium. Screenshots go to tests/_artifacts/browser/.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from comfy_host import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NOT_FOUND_REASON,
    REPO,
    ComfyServer,
    build_tiny_models,
    find_comfyui_installs,
)

ARTIFACTS = REPO / "tests" / "_artifacts" / "browser"
PACK_URL_PART = "/extensions/ComfyUI-RIFLEx/"
INSTALLS = find_comfyui_installs()


def _missing_tool() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed: pip install -e '.[test]'"
    if not CHROMIUM.exists():
        return f"no chromium at {CHROMIUM}: apt-get install chromium (Debian's package), or set RIFLEX_CHROMIUM"
    return None


class Editor:
    """One ComfyUI page; records every console error and failed request that comes from this pack."""

    def __init__(self, page, server: ComfyServer, shots: Path):
        self.page = page
        self.server = server
        self.shots = shots
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._record(f"page error: {error}\n{getattr(error, 'stack', '')}"))
        page.on("requestfailed", lambda request: self._request_failed(request.url, request.failure))
        page.on(
            "response", lambda response: response.status >= 400 and self._request_failed(response.url, response.status)
        )

    def _record(self, text: str) -> None:
        if "RIFLEx" in text or PACK_URL_PART in text:
            self.errors.append(text)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self._record(f"console error: {message.text} at {message.location.get('url', '')}")

    def _request_failed(self, url: str, why) -> None:
        if PACK_URL_PART in url:
            self.errors.append(f"request failed: {url}: {why}")

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def screenshot(self, name: str, node_ids: list | None = None) -> Path:
        """The page, or only the part around these nodes."""
        path = self.shots / f"{name}.png"
        clip = self.js("ids => riflexTest.clientRect(ids)", node_ids) if node_ids else None
        self.page.screenshot(path=str(path), clip=clip)
        return path


@pytest.fixture(
    scope="session",
    params=INSTALLS or [None],
    ids=[f"comfyui-{install.version}" for install in INSTALLS] or ["no-comfyui"],
)
def browser_install(request):
    missing = _missing_tool()
    if missing:
        pytest.skip(missing)
    if request.param is None:
        pytest.skip(NOT_FOUND_REASON)
    return request.param


@pytest.fixture(scope="session")
def editor(browser_install, tmp_path_factory, playwright_driver):
    model_name = "riflex_tiny_wan21.safetensors"
    shots = ARTIFACTS / f"comfyui-{browser_install.version}"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    server = ComfyServer(browser_install)
    # a returning user: no first-run template browser over the canvas
    settings = server.base / "user" / "default" / "comfy.settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"Comfy.TutorialCompleted": True}))
    # the tiny model is built while ComfyUI and the page start; ComfyUI lists model files when
    # asked, so the file only has to be there before the first prompt
    with ThreadPoolExecutor(max_workers=1) as pool:
        models = pool.submit(build_tiny_models, browser_install, tmp_path_factory.mktemp("browser-tiny"))
        try:
            server.start()
            browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                editor = Editor(page, server, shots)
                page.goto(server.url)
                page.wait_for_function("window.app?.canvas?.graph && window.app.extensions?.length", timeout=90_000)
                (server.base / "models" / "diffusion_models" / model_name).symlink_to(models.result()[model_name])
                yield editor
            finally:
                browser.close()
        finally:
            server.stop()


@pytest.fixture
def page_errors(editor):
    """Fails the test on any console error, uncaught exception or failed request of this pack."""
    editor.errors.clear()
    yield editor
    editor.page.wait_for_timeout(300)  # the sync API delivers the page's last events only while called
    assert not editor.errors, "\n".join(editor.errors)
