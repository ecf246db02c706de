"""Shared by the test suites that need a real ComfyUI (tests/nodes, tests/workflows): each runs
once per ComfyUI found (comfy_host.py), or skips with the reason when none is; and, for
tests/browser and tests/workflows, one Playwright driver for the whole test session.
Playwright's sync API runs one driver per thread at a time, so two suites that each started
their own would fail when run together (as `pytest` and .ci/run do)."""

from __future__ import annotations

import pytest
from comfy_host import NOT_FOUND_REASON, find_comfyui_installs

INSTALLS = find_comfyui_installs()


@pytest.fixture(
    scope="session",
    params=INSTALLS or [None],
    ids=[f"comfyui-{install.version}" for install in INSTALLS] or ["no-comfyui"],
)
def comfy_install(request):
    if request.param is None:
        pytest.skip(NOT_FOUND_REASON)
    return request.param


@pytest.fixture(scope="session")
def playwright_driver():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the Python package playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as driver:
        yield driver
