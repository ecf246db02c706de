"""Shared by tests/browser and tests/workflows: one Playwright driver for the whole test session.
Playwright's sync API runs one driver per thread at a time, so two suites that each started
their own would fail when run together (as `pytest` and .ci/run do)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def playwright_driver():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the Python package playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as driver:
        yield driver
