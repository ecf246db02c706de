"""The README tells one story about length: the table and the numbers it states are the ones
riflex/length_zones.py computes, and every report line it quotes is what the node prints."""

from __future__ import annotations

import re
from pathlib import Path

from riflex.editor_data import length_table
from riflex.families import get_family
from riflex.length_zones import markdown_table
from riflex.plan import plan_temporal

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_holds_the_length_table_of_the_code():
    assert markdown_table() in README, "paste riflex.length_zones.markdown_table() into README's How long"


def test_wan_numbers_in_the_readme_are_the_codes():
    wan = length_table()["wan21"]
    text = README[README.index("**Wan is the special case.**") :][:1200]
    assert f"Up to {wan['untouchedFrames']} frames (45 latent" in text
    assert f"RIFLEx acts from {wan['riflexActsFromFrames']} frames" in text
    assert f"past 2x ({wan['trainingFreeFrames']} frames)" in text
    assert f"about {wan['plainTurnFrames']} frames" in text


def test_quoted_report_lines_are_what_the_node_prints():
    # whole lines in the README's code blocks (the console's `node N (reported):` prefix allowed)
    quoted = re.findall(
        r"^(?:  node \d+ \(reported\): )?(RIFLEx (riflex) on (\w+): \d+ latent frames \((\d+) px\).*)$",
        README,
        re.MULTILINE,
    )
    assert len(quoted) >= 3
    for line, method, key, frames in quoted:
        family = get_family(key)
        spec = family.spec()
        plan = plan_temporal(spec, method, spec.positions_from_pixel_frames(int(frames)), default_k=family.default_k)
        assert line == plan.summary(key)


def test_readme_never_says_3x_is_the_limit():
    # the old story: "warning past s = 3", "up to about 2-3x"
    for stale in ("s > 3", "2-3x", "181 to 241", "beyond what works without fine-tuning"):
        assert stale not in README, stale
