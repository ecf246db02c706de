"""What the Comfy Registry reads from pyproject.toml: [project.urls] (Repository, Documentation)
and a `comfy node validate` that passes (run when comfy-cli, from PyPI, is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_project_urls_name_repository_and_documentation():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    urls = project["urls"]
    assert urls["Repository"].startswith("https://") and urls["Documentation"].startswith("https://")
    assert project["scripts"]["riflex"] == "riflex.cli:main"  # `riflex run ...` from any folder


def test_comfy_node_validate_passes():
    comfy = os.environ.get("COMFY_CLI") or shutil.which("comfy")
    if not comfy:
        pytest.skip("comfy-cli not found: pip install comfy-cli (a throwaway venv is fine) and put `comfy` on PATH")
    result = subprocess.run(
        [comfy, "--skip-prompt", "--no-enable-telemetry", "node", "validate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation checks passed" in result.stdout + result.stderr
