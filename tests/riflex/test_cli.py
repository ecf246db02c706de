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


# every value the node refuses, `inspect` refuses the same way (riflex/limits.py), and the values
# only inspect has are bounded too: a RIFLEx: message, exit 2, never a traceback
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--s", "1e308"],
            "RIFLEx: --s 1e+308 is not allowed; use 0 (auto, measured) or a finite factor >= 1 (at most 16)",
        ),
        (["--s", "17"], "RIFLEx: --s 17 is not allowed"),
        (["--s", "nan"], "RIFLEx: --s nan is not allowed"),
        (["--s", "0.5"], "RIFLEx: --s 0.5 is not allowed"),
        (["--safety-factor", "5e-324"], "RIFLEx: --safety-factor 5e-324 is outside [0.01, 1]; the paper uses 0.9"),
        (["--safety-factor", "1e-300"], "RIFLEx: --safety-factor 1e-300 is outside [0.01, 1]"),
        (["--safety-factor", "inf"], "RIFLEx: --safety-factor inf is outside [0.01, 1]"),
        (["--train-len", "1e29"], "RIFLEx: --train-len 1e+29 is not allowed; use 0 (the model's own) or a positive"),
        (["--train-len", str(10**29)], f"RIFLEx: --train-len {10**29} is not allowed"),
        (["--train-len", "21.5"], "RIFLEx: --train-len 21.5 is not allowed"),
        (["--train-len", "-1"], "RIFLEx: --train-len -1 is not allowed"),
        (["--k", str(2**64)], f"RIFLEx: --k {2**64} is not allowed; use 0 (auto) or a component number"),
        (["--yarn-beta", "1e400"], "RIFLEx: --yarn-alpha 1.0 and --yarn-beta inf must satisfy 0 <= --yarn-alpha"),
        (
            ["--temporal-compression", "0"],
            "RIFLEx: --temporal-compression 0 is not allowed; give a whole number from 1 to 64",
        ),
        (["--temporal-compression", "-4"], "RIFLEx: --temporal-compression -4 is not allowed"),
        (["--theta", "inf"], "RIFLEx: --theta inf is not allowed; give the RoPE base, a finite number > 1"),
        (["--theta", "1"], "RIFLEx: --theta 1 is not allowed"),
        (["--dim", "3"], "RIFLEx: --dim 3 is not allowed; give an even whole number from 2 to 2048"),
        (["--dim", "100000000"], "RIFLEx: --dim 100000000 is not allowed"),
    ],
)
def test_inspect_refuses_values_outside_the_allowed_ranges(flags, message):
    base = {"--theta": "10000", "--dim": "44", "--train-len": "21", "--test-len": "61"}
    for flag, value in zip(flags[::2], flags[1::2], strict=True):
        base[flag] = value
    result = run("inspect", *[item for pair in base.items() for item in pair])
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--frames", "0"], "RIFLEx: --frames 0 is not allowed; give a whole number from 1 to 10000000"),
        (["--frames", "1e30"], "RIFLEx: --frames 1e+30 is not allowed"),
        (["--test-len", str(10**30)], f"RIFLEx: --test-len {10**30} is not allowed"),
        (["--frames", "abc"], "argument --frames: RIFLEx: 'abc' is not a number"),
    ],
)
def test_inspect_refuses_video_lengths_outside_the_allowed_ranges(flags, message):
    result = run("inspect", "--family", "wan21", *flags)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_inspect_at_the_edges_of_the_ranges_is_finite():
    for method in ("riflex", "pi", "ntk", "yarn", "tasr", "loop"):
        result = run(
            "inspect", "--theta", "1e12", "--dim", "2048", "--train-len", "4096", "--test-len", "10000000",
            "--s", "16", "--safety-factor", "0.01", "--yarn-alpha", "0", "--yarn-beta", "1024",
            "--method", method, "--k", "1", "--json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert all(math.isfinite(f) and f > 0 for f in data["freqs_after"]), method
        assert all(math.isfinite(p) for p in data["periods_after"]), method


def test_only_the_packs_own_errors_are_reported_as_bad_input(monkeypatch, capsys):
    # drift bug: every ValueError was a user error (exit 2, one line), so a bug inside torch or
    # numpy read as bad input with no traceback; now only RIFLExError is
    import riflex.plan
    from riflex.cli import main
    from riflex.errors import RIFLExError

    def broken(*args, **kwargs):
        raise ValueError("math domain error")  # what a bug in torch, numpy or ours raises

    monkeypatch.setattr(riflex.plan, "plan_temporal", broken)
    with pytest.raises(ValueError, match="math domain error"):
        main(["inspect", "--family", "wan21", "--frames", "161"])

    def refused(*args, **kwargs):
        raise RIFLExError("RIFLEx: k = 99 is outside this model's temporal components")

    monkeypatch.setattr(riflex.plan, "plan_temporal", refused)
    assert main(["inspect", "--family", "wan21", "--frames", "161"]) == 2
    assert capsys.readouterr().err == "RIFLEx: k = 99 is outside this model's temporal components\n"


def test_the_workflow_and_server_errors_are_pack_errors():
    from riflex.errors import RIFLExError
    from riflex.headless.run_client import ComfyError
    from riflex.headless.workflow_api import WorkflowError

    assert issubclass(WorkflowError, RIFLExError) and issubclass(ComfyError, RIFLExError)
    assert issubclass(RIFLExError, ValueError)  # ComfyUI and callers that catch ValueError still do


def _riflex(*args, cwd=None, prelude=""):
    code = f"import sys; {prelude}from riflex.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_top_level_help_names_every_command():
    result = _riflex("--help")
    assert result.returncode == 0
    for command in ("inspect", "check-video", "run", "export-api", "export-editor-data"):
        assert command in result.stdout
    assert "run submits an API-format" in " ".join(result.stdout.split())  # argparse wraps the description


def test_inspect_says_when_frames_are_rounded_to_the_latent():
    result = _riflex("inspect", "--family", "wan21", "--frames", "240")
    assert result.returncode == 0
    # (240 - 1) // 4 + 1 = 60 latent frames, decoded to (60 - 1) * 4 + 1 = 237
    assert (
        "--frames 240 is not a length the model makes; its latent holds 60 latent frames, 237 frames" in result.stderr
    )
    assert "--frames" not in _riflex("inspect", "--family", "wan21", "--frames", "241").stderr


def test_export_api_check_works_from_any_folder_and_says_up_to_date(tmp_path):
    result = _riflex("export-api", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date: 19 API workflows in" in result.stdout or "up to date:" in result.stdout


def test_sweep_with_a_bad_frame_count_is_a_riflex_message(tmp_path):
    path = tmp_path / "wf.json"
    path.write_text('{"1": {"class_type": "EmptyLatentImage", "inputs": {}}}')
    result = _riflex("run", str(path), "--sweep", "frames=161,abc", "--server", "http://127.0.0.1:9")
    assert result.returncode == 2 and result.stderr.startswith("RIFLEx: --sweep frames= 'abc' is not allowed")


@pytest.mark.parametrize(
    "command, missing",
    [(("inspect", "--family", "wan21", "--frames", "241"), "torch"), (("check-video", "x.mp4"), "torch")],
)
def test_without_torch_inspect_and_check_video_say_what_to_install(command, missing):
    result = _riflex(*command, prelude="sys.modules['torch'] = None; ")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"RIFLEx: `{command[0]}` needs ") and f"lacks {missing}" in result.stderr
    assert "ComfyUI's Python" in result.stderr
