"""Write tests/golden/decay_preview_cases.json: what riflex/ plans for attention decay (window,
harmonic bands, anchor, s) for a set of families, lengths, settings and RIFLEx RoPE settings in
front; tests/js/decay_math.test.mjs checks the editor's port (js/decay_math.js) against it, and
tests/riflex/test_editor_data.py checks that this script still writes exactly the committed file.

Run: python tests/golden/make_decay_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).with_name("decay_preview_cases.json")

# (family, pixel frames, decay settings, RIFLEx RoPE settings in front or None)
CASES = [
    ("wan21", 81, {}, None),
    ("wan21", 333, {}, {"method": "riflex"}),
    ("wan21", 333, {}, None),
    ("wan21", 401, {"alpha": 0.8, "window": 6.0}, None),
    ("wan21", 241, {"anchor_first_frame": "off", "train_len": 25}, None),
    ("wan22_5b", 481, {}, None),
    ("wan_animate", 309, {}, None),
    ("wan_animate", 309, {"train_len": 22}, None),
    ("hunyuan_video", 385, {}, None),
    ("hunyuan_video", 385, {}, {"method": "riflex"}),
    ("hunyuan_video", 513, {"beta": 0.5}, None),
    ("hunyuan_video", 513, {"beta": 1.0}, None),
    ("hunyuan_video", 801, {"anchor_first_frame": "on"}, {"method": "pe"}),
    ("hunyuan_video_15", 361, {}, None),
    ("hunyuan_video", 385, {"alpha": 1.5}, None),
]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from riflex.decay_plan import DecaySettings, plan_decay_for_spec
    from riflex.families import get_family
    from riflex.methods import MethodParams
    from riflex.plan import plan_temporal

    cases = []
    for key, pixel_frames, settings, rope in CASES:
        family = get_family(key)
        spec = family.spec()
        positions = spec.positions_from_pixel_frames(pixel_frames)
        freqs, k = spec.axis_freqs(0), family.default_k
        case = {"family": key, "pixel_frames": pixel_frames, "settings": settings, "rope": rope}
        try:
            if rope is not None:
                plan = plan_temporal(
                    spec, rope["method"], positions, MethodParams(k=0, s=0.0), default_k=family.default_k
                )
                freqs, k = plan.freqs_after, plan.k
            decay = plan_decay_for_spec(DecaySettings(**settings), spec, positions, freqs, k, family.decay_anchor)
        except ValueError as error:
            case["error"] = str(error).split(";")[0]
        else:
            case.update(
                frames=decay.frames,
                train_len=decay.train_len,
                window=decay.window,
                bands=[[band.first, band.last] for band in decay.bands],
                anchor=decay.anchor,
                active=decay.active,
            )
        cases.append(case)
    OUT.write_text(json.dumps({"cases": cases}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
