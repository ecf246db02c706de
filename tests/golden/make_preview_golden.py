"""Write tests/golden/preview_cases.json: the numbers the editor's preview (js/riflex_math.js) and
the core (riflex/) must both produce.

The expected values are computed here from the paper's formulas with the standard library only
(riflex/ gives the family data, none of the formulas), so the file is a third, independent
computation that both implementations are checked against: tests/js/riflex_math.test.mjs (node --test) and tests/riflex/test_preview_golden.py
(which also checks that this script still writes exactly the committed file).

Run: python tests/golden/make_preview_golden.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

OUT = Path(__file__).with_name("preview_cases.json")


# The families: data, taken from riflex/families.py (which cites the sources): RoPE base, temporal
# RoPE dims, training length in pixel frames, VAE time compression, temporal patch, intrinsic
# component k, reference latent frames in front of the video. Families whose time frequencies
# are not theta^(-2(j-1)/d) (LTX) have no preview in the editor and are left out.
def _families() -> dict[str, tuple]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from riflex.families import FAMILIES as RIFLEX_FAMILIES

    return {
        key: (
            float(f.theta),
            f.axes_dims[0],
            f.train_frames,
            f.temporal_compression,
            f.temporal_patch,
            f.default_k,
            getattr(f, "reference_frames", 0),
        )
        for key, f in RIFLEX_FAMILIES.items()
        if not getattr(f, "temporal_freqs", ())
    }


FAMILIES = _families()
FIELDS = (
    "theta",
    "temporal_dim",
    "train_frames",
    "temporal_compression",
    "temporal_patch",
    "default_k",
    "reference_frames",
)

# Which node inputs each method reads (besides the frequencies), as riflex/methods.py defines them.
METHOD_INPUTS = {
    "riflex": ["k", "s", "safety_factor"],
    "pe": [],
    "pi": ["s"],
    "ntk": ["s"],
    "yarn": ["s", "yarn_alpha", "yarn_beta"],
    "tasr": ["s", "tasr_switch"],
    "loop": ["k", "s"],
}
COMMON_INPUTS = ["method", "train_len", "axes"]
DEFAULTS = {
    "k": 0,
    "s": 0.0,
    "train_len": 0,
    "safety_factor": 0.9,
    "yarn_alpha": 1.0,
    "yarn_beta": 32.0,
    "tasr_switch": 0.5,
}
TWO_PI = 2 * math.pi


def positions(family: str, pixel_frames: int) -> int:
    _, _, _, compression, patch, _, reference = FAMILIES[family]
    latent = (pixel_frames - 1) // compression + 1
    return -(-latent // patch) + reference


def freqs(theta: float, dim: int) -> list[float]:
    return [theta ** (-2 * j / dim) for j in range(dim // 2)]


def repeating(values: list[float], length: int) -> list[int]:
    span = max(length - 1, 0)
    turns = [f * span / TWO_PI for f in values]
    # a case this close to a full turn would test rounding, not the formula: keep none
    assert all(abs(t - 1) > 1e-9 for t in turns), (values, length)
    return [j + 1 for j, t in enumerate(turns) if t >= 1]


def expected(family: str, pixel_frames: int, method: str, settings: dict) -> dict:
    theta, dim, train_frames, _, _, default_k, _ = FAMILIES[family]
    given = {**DEFAULTS, **settings}
    train_len = given["train_len"] or positions(family, train_frames)
    test_len = positions(family, pixel_frames)
    before = freqs(theta, dim)
    n = len(before)
    estimated = next((j + 1 for j, f in enumerate(before) if TWO_PI / f > train_len), n)
    k = given["k"] or default_k or estimated
    s = given["s"] if given["s"] > 0 else max(1.0, test_len / train_len)
    phase = settings.get("schedule_fraction", 0.0)
    uses = METHOD_INPUTS[method]
    if "k" in uses and not 1 <= k <= n:
        return {"error_field": "k"}
    if "s" in uses and s < 1:
        return {"error_field": "s"}
    if "safety_factor" in uses and not 0 < given["safety_factor"] <= 1:
        return {"error_field": "safety_factor"}
    if "yarn_alpha" in uses and not 0 <= given["yarn_alpha"] < given["yarn_beta"]:
        return {"error_field": "yarn_alpha"}
    if "tasr_switch" in uses and not 0 <= given["tasr_switch"] <= 1:
        return {"error_field": "tasr_switch"}

    def pi() -> list[float]:
        return [f / s for f in before]

    def ntk() -> list[float]:  # b' = b * s^(d/(d-2)): theta_j' = theta_j * s^(-2(j-1)/(d-2))
        return [f * s ** (-2 * j / (dim - 2)) for j, f in enumerate(before)]

    after = list(before)
    if method == "pi" or (method == "tasr" and phase < given["tasr_switch"]):
        after = pi()
    elif method == "ntk" or method == "tasr":
        after = ntk()
    elif method == "yarn" and s != 1:
        alpha, beta = given["yarn_alpha"], given["yarn_beta"]
        after = []
        for f in before:
            gamma = min(1.0, max(0.0, (train_len * f / TWO_PI - alpha) / (beta - alpha)))
            after.append(f if gamma >= 1 else (1 - gamma) * f / s + gamma * f)
    elif method == "riflex" and s > 1:  # theta_k' = min(theta_k, 0.9 * 2 pi / (s L)); none within training
        after[k - 1] = min(before[k - 1], given["safety_factor"] * TWO_PI / (s * train_len))
    elif method == "loop":  # component k turns exactly once over s L
        after[k - 1] = TWO_PI / (s * train_len)
    in_training = repeating(before, train_len)
    repeats = repeating(after, test_len)
    return {
        "train_len": train_len,
        "test_len": test_len,
        "k": k,
        "s": s,
        "freqs_after": after,
        "changed": [j + 1 for j, (a, b) in enumerate(zip(before, after, strict=True)) if a != b],
        "repeats_after": repeats,
        "new_repeats_after": [j for j in repeats if j not in in_training],
        "period_k_before": f"{TWO_PI / before[k - 1]:.1f}",
        "period_k_after": f"{TWO_PI / after[k - 1]:.1f}",
        "s_text": f"{s:.2f}",
    }


def cases() -> list[dict]:
    rows = []
    for family, (_, _, train_frames, *_rest) in FAMILIES.items():
        for pixel_frames in (train_frames, 2 * train_frames - 1, 3 * train_frames - 2, 4 * train_frames - 3, 17):
            for method in METHOD_INPUTS:
                phases = (0.0, 1.0) if method == "tasr" else (0.0,)
                for phase in phases:
                    settings = {"schedule_fraction": phase} if method == "tasr" else {}
                    rows.append((family, pixel_frames, method, settings))
    # explicit settings, each input of each method at a value other than its default
    rows += [
        ("wan21", 241, "riflex", {"k": 4}),
        ("wan21", 241, "riflex", {"s": 2.0}),
        ("wan21", 241, "riflex", {"s": 2.5}),
        ("wan21", 241, "riflex", {"safety_factor": 0.5}),
        ("wan21", 241, "riflex", {"train_len": 31}),
        ("wan21", 241, "loop", {"k": 5, "s": 2.0}),
        ("wan21", 241, "pi", {"s": 2.0}),
        ("wan21", 241, "ntk", {"s": 4.0}),
        ("wan21", 241, "yarn", {"yarn_alpha": 0.5, "yarn_beta": 8.0}),
        ("wan21", 241, "yarn", {"s": 1.0}),
        ("wan21", 241, "tasr", {"tasr_switch": 0.9, "schedule_fraction": 0.6}),
        ("wan21", 241, "tasr", {"tasr_switch": 0.2, "schedule_fraction": 0.6}),
        ("hunyuan_video", 257, "riflex", {"k": 5}),
        ("hunyuan_video", 385, "riflex", {}),
        ("wan_animate", 153, "riflex", {"train_len": 25}),
        # within the training length nothing changes, even where k's period is below train_len / 0.9
        # (Kandinsky 10 s: train 61, its k = 3 turns every 62.8 latent frames)
        ("kandinsky5", 241, "riflex", {"train_len": 61}),
        ("kandinsky5", 201, "riflex", {"train_len": 61}),
        ("hunyuan_video", 129, "riflex", {"k": 5, "safety_factor": 0.3}),
        # settings the node refuses: the field named in the message
        ("wan21", 241, "riflex", {"k": 23}),
        ("hunyuan_video", 257, "loop", {"k": 9}),
        ("wan21", 241, "pi", {"s": 0.5}),
        ("wan21", 241, "riflex", {"safety_factor": 1.5}),
        ("wan21", 241, "yarn", {"yarn_alpha": 40.0}),
        ("wan21", 241, "tasr", {"tasr_switch": 1.5}),
    ]
    return [
        {"family": f, "pixel_frames": px, "method": m, "settings": st, "expect": expected(f, px, m, st)}
        for f, px, m, st in rows
    ]


def build() -> dict:
    return {
        "about": "Written by tests/golden/make_preview_golden.py; checked by tests/js and tests/riflex/test_preview_golden.py",
        "families": {key: dict(zip(FIELDS, values, strict=True)) for key, values in FAMILIES.items()},
        "method_inputs": METHOD_INPUTS,
        "common_inputs": COMMON_INPUTS,
        "defaults": DEFAULTS,
        "frames": [
            {"family": family, "pixel_frames": px, "positions": positions(family, px)}
            for family in FAMILIES
            for px in (1, 2, 5, 81, 121, 129, 161, 241, 257)
        ],
        "cases": cases(),
    }


def dump(data: dict) -> str:
    return json.dumps(data, indent=1) + "\n"


if __name__ == "__main__":
    OUT.write_text(dump(build()))
    print(f"wrote {OUT} ({len(build()['cases'])} cases)")
