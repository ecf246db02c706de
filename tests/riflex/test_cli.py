"""`python -m riflex inspect`, run as a user runs it."""

import json
import math
import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "riflex", *args], capture_output=True, text=True)


def test_inspect_json_has_the_documented_keys_and_values():
    result = run("inspect", "--family", "wan21", "--frames", "241", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("test_len", "train_len", "k", "s", "freqs_before", "freqs_after", "periods_after", "repeats"):
        assert key in data
    assert data["test_len"] == 61 and data["train_len"] == 21 and data["k"] == 6
    assert data["s"] == pytest.approx(61 / 21)
    assert data["freqs_after"][5] == pytest.approx(0.9 * 2 * math.pi / 61)
    assert data["periods_after"][5] == pytest.approx(61 / 0.9)
    assert 6 not in data["repeats"]


def test_inspect_at_161_frames_needs_no_change_for_wan():
    data = json.loads(run("inspect", "--family", "wan21", "--frames", "161", "--json").stdout)
    assert data["test_len"] == 41 and data["changed"] == [] and data["freqs_after"] == data["freqs_before"]


def test_inspect_explicit_model_and_table():
    result = run("inspect", "--theta", "256", "--dim", "16", "--train-len", "33", "--test-len", "66", "--method", "pe")
    assert result.returncode == 0, result.stderr
    assert "INTRINSIC k: completes a period, loop-back" in result.stdout
    assert "expect it to loop back" in result.stdout


def test_inspect_explains_missing_values():
    result = run("inspect", "--theta", "256", "--test-len", "66")
    assert result.returncode == 2
    assert "RIFLEx: without --family" in result.stderr and "--dim" in result.stderr and "--train-len" in result.stderr


def test_inspect_bad_k_is_an_error_not_a_traceback():
    result = run("inspect", "--family", "hunyuan_video", "--frames", "261", "--k", "12")
    assert result.returncode == 2
    assert "RIFLEx: k = 12" in result.stderr and "1..8" in result.stderr


def test_inspect_shows_attention_decay_after_the_method():
    """Wan at 4x (333 frames): window 10.5, no bands, first frame anchored (Wan's reference
    choice); HunyuanVideo with pe keeps its commensurate component 4 and so its bands, while
    RIFLEx, which slows component 4, leaves none."""
    wan = json.loads(run("inspect", "--family", "wan21", "--frames", "333", "--json").stdout)["decay"]
    assert wan["frames"] == 84 and wan["train_len"] == 21 and wan["window"] == 10.5
    assert wan["anchor"] and wan["bands"] == []
    assert [(r["first"], r["last"], r["factor"]) for r in wan["ranges"]] == [(0, 10, 1.0), (11, 83, 0.9)]
    pe = run("inspect", "--family", "hunyuan_video", "--test-len", "132", "--method", "pe", "--beta", "0.5")
    assert "harmonic bands 46-54, 97-105 (beta 0.5); first frame not anchored" in pe.stdout
    riflex = run("inspect", "--family", "hunyuan_video", "--test-len", "132", "--anchor", "on")
    assert "no harmonic bands" in riflex.stdout and "first frame anchored to 33" in riflex.stdout
    bad = run("inspect", "--family", "wan21", "--frames", "333", "--alpha", "1.5")
    assert bad.returncode == 2 and "RIFLEx: alpha = 1.5 is outside (0, 1]" in bad.stderr


def test_run_starts_without_torch_or_numpy():
    # `python -m riflex run` only talks HTTP: it must start where torch is not installed
    code = (
        "import runpy, sys; sys.modules['torch'] = None; sys.modules['numpy'] = None; "
        "sys.argv = ['riflex', 'run', '--help']; runpy.run_module('riflex', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--sweep" in result.stdout
