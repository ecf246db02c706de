"""The editor's data (js/rope_preview_data.js, js/decay_families.js) and the decay golden cases
(tests/golden/decay_preview_cases.json) are what riflex/ writes now: no hand copy in js/."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import riflex.editor_data
from riflex.cli import main
from riflex.decay_plan import harmonic_bands
from riflex.editor_data import DECAY_JS, ROPE_JS, decay_families, editor_files, render_decay_js, rope_families
from riflex.families import FAMILIES, get_family
from riflex.frequencies import axis_frequencies
from riflex.methods import METHODS

REPO = Path(__file__).resolve().parents[2]


def test_committed_js_is_what_riflex_writes():
    assert DECAY_JS.read_text(encoding="utf-8") == render_decay_js(), "run: python -m riflex export-editor-data"
    for path, text in editor_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name}: run python -m riflex export-editor-data"
    check = subprocess.run(
        [sys.executable, "-m", "riflex", "export-editor-data", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_family_numbers_follow_the_families_and_the_band_derivation():
    families = decay_families()
    wan, hunyuan = families["wan21"], families["hunyuan_video"]
    assert (wan["trainFrames"], wan["trainLen"], wan["anchor"], wan["hasBands"]) == (81, 21, True, False)
    assert (hunyuan["trainFrames"], hunyuan["trainLen"], hunyuan["anchor"], hunyuan["hasBands"]) == (
        129,
        33,
        False,
        True,
    )
    # Wan Animate: 77 px + the reference frame in front, which the decay does not count
    assert families["wan_animate"]["trainLen"] == 20 and families["wan_animate"]["referenceFrames"] == 1
    for key, data in families.items():
        family = get_family(key)
        bands = harmonic_bands(axis_frequencies(family.theta, family.axes_dims[0]), family.default_k, 4096)
        assert data["hasBands"] == bool(bands), key


def test_decay_golden_is_up_to_date(tmp_path):
    path = REPO / "tests" / "golden" / "make_decay_golden.py"
    spec = importlib.util.spec_from_file_location("make_decay_golden", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO / "tests" / "golden" / "decay_preview_cases.json").read_text(encoding="utf-8")
    module.OUT = tmp_path / "cases.json"
    module.main()
    assert module.OUT.read_text(encoding="utf-8") == committed, "run: python tests/golden/make_decay_golden.py"
    cases = json.loads(committed)["cases"]
    # spot checks written from the rule: Wan 4x: window 10.5, anchored, no bands; HunyuanVideo 3x: band 46-54
    wan = next(c for c in cases if c["family"] == "wan21" and c["pixel_frames"] == 333)
    assert (wan["frames"], wan["window"], wan["anchor"], wan["bands"]) == (84, 10.5, True, [])
    hunyuan = next(c for c in cases if c["family"] == "hunyuan_video" and c["pixel_frames"] == 385 and not c["rope"])
    assert (hunyuan["frames"], hunyuan["window"], hunyuan["anchor"], hunyuan["bands"]) == (97, 16.5, False, [[46, 54]])


def test_check_fails_when_a_generated_file_is_stale(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "rope_preview_data.js"
    stale.write_text(ROPE_JS.read_text(encoding="utf-8").replace('"defaultK": 6', '"defaultK": 5', 1))
    monkeypatch.setattr(riflex.editor_data, "ROPE_JS", stale)
    assert main(["export-editor-data", "--check"]) == 1
    assert f"out of date: {stale}" in capsys.readouterr().err
    assert main(["export-editor-data"]) == 0 and main(["export-editor-data", "--check"]) == 0


def test_rope_preview_data_is_the_family_table_and_the_method_records():
    families = rope_families()
    # every family whose time frequencies are theta's (LTX's are not: no preview)
    assert set(families) == {key for key, family in FAMILIES.items() if not family.temporal_freqs}
    wan = families["wan21"]
    assert (wan["theta"], wan["temporalDim"], wan["trainFrames"], wan["defaultK"]) == (10000.0, 44, 81, 6)
    assert families["cogvideox_15"]["temporalPatch"] == 2 and families["wan_animate"]["referenceFrames"] == 1
    text = ROPE_JS.read_text(encoding="utf-8")
    for name, method in METHODS.items():
        assert f'"{name}": [' in text and all(f'"{field}"' in text for field in method.inputs)


def test_length_zones_js_is_what_riflex_writes():
    from riflex.editor_data import LENGTH_JS, length_table, render_length_js

    assert LENGTH_JS.read_text(encoding="utf-8") == render_length_js(), "run: python -m riflex export-editor-data"
    wan = length_table()["wan21"]
    # Wan 2.1: nothing needed up to 177 frames (0.9 of k = 6's 51-frame turn), 2x = 165, 4x = 333
    assert (wan["untouchedFrames"], wan["riflexActsFromFrames"], wan["trainingFreeFrames"], wan["decayFrames"]) == (
        177,
        181,
        165,
        333,
    )


def test_export_editor_data_check_says_up_to_date():
    check = subprocess.run(
        [sys.executable, "-m", "riflex", "export-editor-data", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert check.returncode == 0 and "up to date" in check.stdout
