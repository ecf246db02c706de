"""(d): the frequencies the patched RoPE module really used while sampling, recovered from the
cos/sin table it produced inside a real ComfyUI, equal the core's plan, which equals the
formula computed here."""

from __future__ import annotations

import json
import math

import pytest
from comfy_host import run_comfy_script
from prompts import TINY

pytestmark = pytest.mark.comfyui


def formula(base: float, dim: int) -> list[float]:
    return [base ** (-2 * (j - 1) / dim) for j in range(1, dim // 2 + 1)]


CASES = [
    # family, latent frames, method, k, s, (base, d_t), expected change of the temporal axis
    ("wan21", 61, "riflex", 0, 0.0, (10000.0, 44), lambda f: {5: 0.9 * 2 * math.pi / 61}),
    ("wan22_5b", 61, "riflex", 0, 0.0, (10000.0, 44), lambda f: {5: 0.9 * 2 * math.pi / 61}),
    ("hunyuan_video", 66, "riflex", 0, 0.0, (256.0, 16), lambda f: {3: 0.9 * 2 * math.pi / 66}),
    ("hunyuan_video", 66, "riflex", 3, 0.0, (256.0, 16), lambda f: {2: 0.9 * 2 * math.pi / 66}),  # explicit k
    ("wan21", 41, "riflex", 0, 0.0, (10000.0, 44), lambda f: {}),  # 41 < 0.9 * 50.96: no change
    ("hunyuan_video", 66, "pi", 0, 0.0, (256.0, 16), lambda f: {j: v / 2 for j, v in enumerate(f)}),
    ("wan21", 42, "pi", 0, 3.0, (10000.0, 44), lambda f: {j: v / 3 for j, v in enumerate(f)}),
]


@pytest.mark.parametrize("family,frames,method,k,s,axis,change", CASES)
def test_frequencies_used_equal_core_and_formula(
    comfy_install, tiny_models, family, frames, method, k, s, axis, change
):
    tiny = TINY[family]
    out = run_comfy_script(
        comfy_install,
        "probe_frequencies.py",
        str(tiny_models[tiny["file"]]),
        str(frames),
        str(tiny["channels"]),
        str(tiny["pooled"]),
        method,
        str(k),
        str(s),
    )
    data = json.loads(out.strip().splitlines()[-1])
    base, d_t = axis
    assert data["theta"] == base and data["axes_dims"][0] == d_t  # read from the model's own module

    expected_t = formula(base, d_t)
    for j, value in change(expected_t).items():
        expected_t[j] = value
    # the core's plan equals the formula
    assert data["planned"][0] == pytest.approx(expected_t, rel=1e-13)
    for axis_index, dim in enumerate(data["axes_dims"][1:], start=1):
        assert data["planned"][axis_index] == pytest.approx(formula(base, dim), rel=1e-13)
    # the module samples with exactly the core's frequencies
    assert data["module"] == data["planned"]
    # and the table it produced rotates by exactly those angles (float32 table: ~1e-7)
    assert data["recovered"] == pytest.approx(expected_t, abs=2e-7)
    # the input model is untouched and no weight was copied
    assert data["input_model_module_is_original"] and data["input_model_unpatched_module"] == "EmbedND"
    assert data["weights_shared"]
    assert data["tables_after_run"] == 0  # no RoPE table stays in memory after sampling
