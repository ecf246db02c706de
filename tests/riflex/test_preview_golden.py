"""The editor's preview (js/riflex_math.js) and the core compute one set of numbers:
tests/golden/preview_cases.json. Here every number in it is checked against riflex/ (the
same file is checked against the JS by `node --test tests/js`), and the method -> inputs table the
editor hides widgets by is derived again from riflex/methods.py by changing each parameter."""

import dataclasses
import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch

from riflex import FAMILIES, METHODS, MethodParams, axis_frequencies, plan_temporal
from riflex.spec import positions_from_pixel_frames

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
GOLDEN = json.loads((GOLDEN_DIR / "preview_cases.json").read_text())


def _generator():
    spec = importlib.util.spec_from_file_location("make_preview_golden", GOLDEN_DIR / "make_preview_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_golden_file_is_what_its_script_writes():
    generator = _generator()
    assert (GOLDEN_DIR / "preview_cases.json").read_text() == generator.dump(generator.build()), (
        "run python tests/golden/make_preview_golden.py"
    )


def test_golden_families_are_riflex_families():
    # a family added to riflex/ must reach the editor's table too: regenerate the golden file,
    # then add it to FAMILIES (and a file-name pattern) in js/riflex_math.js; node --test checks both
    previewable = {key for key, family in FAMILIES.items() if not getattr(family, "temporal_freqs", ())}
    assert set(GOLDEN["families"]) == previewable, (
        "run python tests/golden/make_preview_golden.py, then js/riflex_math.js"
    )
    for key, golden in GOLDEN["families"].items():
        family = FAMILIES[key]
        assert golden == {
            "theta": family.theta,
            "temporal_dim": family.axes_dims[0],
            "train_frames": family.train_frames,
            "temporal_compression": family.temporal_compression,
            "temporal_patch": family.temporal_patch,
            "default_k": family.default_k,
            "reference_frames": getattr(family, "reference_frames", 0),
        }, key


@pytest.mark.parametrize("row", GOLDEN["frames"], ids=lambda row: f"{row['family']}-{row['pixel_frames']}")
def test_pixel_frames_to_positions(row):
    spec = FAMILIES[row["family"]].spec()
    assert spec.positions_from_pixel_frames(row["pixel_frames"]) == row["positions"]
    family = FAMILIES[row["family"]]
    assert positions_from_pixel_frames(row["pixel_frames"], family.temporal_compression, family.temporal_patch) == (
        row["positions"] - getattr(family, "reference_frames", 0)
    )


def _case_id(case):
    settings = ",".join(f"{k}={v}" for k, v in case["settings"].items())
    return f"{case['family']}-{case['pixel_frames']}-{case['method']}" + (f"-{settings}" if settings else "")


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=_case_id)
def test_riflex_plan_matches_golden(case):
    family = FAMILIES[case["family"]]
    settings = dict(case["settings"])
    train_len = settings.pop("train_len", 0)
    spec = family.spec(train_len=train_len)
    test_len = spec.positions_from_pixel_frames(case["pixel_frames"])
    expect = case["expect"]
    if "error_field" in expect:
        with pytest.raises(ValueError, match=rf"RIFLEx: {expect['error_field']} = "):
            plan_temporal(spec, case["method"], test_len, MethodParams(**settings), default_k=family.default_k)
        return
    plan = plan_temporal(spec, case["method"], test_len, MethodParams(**settings), default_k=family.default_k)
    assert (spec.train_len, plan.test_len, plan.k) == (expect["train_len"], expect["test_len"], expect["k"])
    assert plan.s == pytest.approx(expect["s"], rel=1e-15)
    assert plan.freqs_after.tolist() == pytest.approx(expect["freqs_after"], rel=1e-12)
    assert plan.changed_components == expect["changed"]
    assert plan.repeats_after == expect["repeats_after"]
    assert plan.new_repeats_after == expect["new_repeats_after"]
    # the numbers the preview prints are the ones the node prints after the run
    if case["method"] == "riflex" and plan.changed:
        summary = plan.summary(case["family"])
        assert f"s = {expect['s_text']}, k = {expect['k']}" in summary
        assert f"period {expect['period_k_before']} -> {expect['period_k_after']}" in summary


def test_golden_frequencies_before_are_riflex_frequencies():
    # freqs_after of an unchanged method (pe) are the family's own table
    for case in GOLDEN["cases"]:
        if case["method"] == "pe" and "freqs_after" in case["expect"]:
            family = FAMILIES[case["family"]]
            torch.testing.assert_close(
                torch.tensor(case["expect"]["freqs_after"], dtype=torch.float64),
                axis_frequencies(family.theta, family.axes_dims[0]),
                rtol=1e-13,
                atol=0,
            )


# Each parameter moved away from a base where every method is active (Wan, 61 of 21 latent frames,
# tasr in its late phase) to a value that changes the result of any method that reads it.
_BASE = MethodParams(
    k=6, s=2.9, safety_factor=0.9, yarn_alpha=1.0, yarn_beta=32.0, tasr_switch=0.5, schedule_fraction=0.6
)
_MOVED = {"k": 4, "s": 2.0, "safety_factor": 0.5, "yarn_alpha": 0.5, "yarn_beta": 8.0, "tasr_switch": 0.9}


def _inputs_read_by(method: str) -> list[str]:
    freqs = axis_frequencies(10000.0, 44)
    base = METHODS[method].apply(freqs, 21.0, 61.0, _BASE)
    read = []
    for field, value in _MOVED.items():
        moved = METHODS[method].apply(freqs, 21.0, 61.0, dataclasses.replace(_BASE, **{field: value}))
        if not torch.equal(base, moved):
            read.append(field)
    return read


def test_method_inputs_table_is_what_each_method_reads():
    assert set(GOLDEN["method_inputs"]) == set(METHODS)
    derived = {method: _inputs_read_by(method) for method in METHODS}
    assert {m: sorted(v) for m, v in GOLDEN["method_inputs"].items()} == {m: sorted(v) for m, v in derived.items()}
    # and each record's own list, which the node's tooltip and the editor data are built from
    assert {m: sorted(METHODS[m].inputs) for m in METHODS} == {m: sorted(v) for m, v in derived.items()}


def test_defaults_match_riflex():
    defaults = MethodParams()
    for field in ("safety_factor", "yarn_alpha", "yarn_beta", "tasr_switch"):
        assert math.isclose(GOLDEN["defaults"][field], getattr(defaults, field)), field
