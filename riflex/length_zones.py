"""How long a video can be, per family: the one table the README, the node's report, the editor's
colours and Inspect's verdict all read, so they tell the same story.

Four zones of video length (test_len, in RoPE time positions), in order:
- nothing needed: component k stays within one turn, so RIFLEx changes nothing (with the safety
  factor 0.9: test_len <= 0.9 * N_k) and the model samples exactly as trained;
- training-free: up to TRAINING_FREE_FACTOR (2x) the training length, where the RIFLEx paper
  (Sec. 5) shows its training-free results;
- past 2x: RIFLEx still stops the loop-back, but the paper reports quality dropping without
  fine-tuning; attention decay (UltraViCo) is made for 3-4x;
- past 4x (DECAY_FACTOR): beyond what either paper shows.

A family whose k turns slowly (Wan: once every 51 latent frames, 2.4x its 21) needs nothing up to
0.9 * 51 = 45 latent frames (177 px), so RIFLEx only acts past 2x there: exactly where the paper
says quality drops without fine-tuning. The zones say so instead of hiding it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .defaults import DEFAULT_SAFETY_FACTOR
from .spec import RopeSpec

__all__ = [
    "DECAY_FACTOR",
    "DECAY_FAMILY_KEYS",
    "TRAINING_FREE_FACTOR",
    "LENGTH_NOTES",
    "ZONE_NAMES",
    "LengthZones",
    "length_note",
    "length_zone",
    "length_zones",
]

# RIFLEx paper Sec. 5: training-free extrapolation holds to 2x; 3x needs fine-tuning
TRAINING_FREE_FACTOR = 2.0
# UltraViCo's reference shows attention decay up to 4x the training length
DECAY_FACTOR = 4.0

# the families RIFLEx Attention Decay supports, by riflex family key: those whose attention layout
# nodes/decay_layouts.py verifies (Wan and its variants, HunyuanVideo 1.0 and 1.5)
DECAY_FAMILY_KEYS = ("wan21", "wan22_5b", "wan_s2v", "wan_humo", "wan_animate", "hunyuan_video", "hunyuan_video_15")

ZONE_NAMES = ("within_training", "nothing_needed", "training_free", "past_2x", "past_4x")


@dataclass(frozen=True)
class LengthZones:
    """The boundaries for one RopeSpec and intrinsic k, each the longest test_len (positions) inside."""

    train_len: int
    k: int
    # RIFLEx changes nothing up to here (component k within safety_factor of a turn); never below
    # train_len (where k's period is barely longer than training, as LTX's estimated k, RIFLEx
    # acts on any longer video)
    untouched_len: int
    training_free_len: int  # TRAINING_FREE_FACTOR x train_len
    decay_len: int  # DECAY_FACTOR x train_len

    plain_turn_len: int  # the shortest video in which the unchanged component k completes a turn

    @property
    def riflex_acts_from(self) -> int:
        return max(self.untouched_len, self.train_len) + 1


def _untouched_len(spec: RopeSpec, k: int, safety_factor: float) -> int:
    """The longest video RIFLEx leaves unchanged, asked of the planner itself (the float rounding
    of s * train_len decides the boundary, so no formula here can disagree with the node)."""
    from .methods import MethodParams
    from .plan import plan_temporal  # here, not at the top: plan.py imports length_note from this module

    period = 2 * math.pi / float(spec.axis_freqs(0)[k - 1])
    guess = max(spec.train_len, math.floor(safety_factor * period))

    def unchanged(test_len: int) -> bool:
        plan = plan_temporal(spec, "riflex", test_len, MethodParams(k=k, safety_factor=safety_factor))
        return not plan.changed

    while guess > spec.train_len and not unchanged(guess):
        guess -= 1
    while unchanged(guess + 1):
        guess += 1
    return guess


def length_zones(spec: RopeSpec, k: int, safety_factor: float = DEFAULT_SAFETY_FACTOR) -> LengthZones:
    return LengthZones(
        train_len=spec.train_len,
        k=k,
        untouched_len=_untouched_len(spec, k, safety_factor),
        training_free_len=math.floor(TRAINING_FREE_FACTOR * spec.train_len),
        decay_len=math.floor(DECAY_FACTOR * spec.train_len),
        plain_turn_len=_plain_turn_len(spec, k),
    )


def _plain_turn_len(spec: RopeSpec, k: int) -> int:
    """Positions run 0..L-1, so component k completes a turn once (L - 1) * theta_k >= 2 pi
    (repeating_components' rule, which Inspect's verdict uses)."""
    from .frequencies import repeating_components

    freqs = spec.axis_freqs(0)
    test_len = math.ceil(2 * math.pi / float(freqs[k - 1]))
    while test_len > 1 and k in repeating_components(freqs, test_len - 1):
        test_len -= 1
    while k not in repeating_components(freqs, test_len):
        test_len += 1
    return test_len


def length_zone(test_len: int, train_len: int, changed: bool) -> str:
    """Which zone a video of test_len positions falls in; `changed`: whether RIFLEx changes the
    model at that length (the plan knows, for any safety factor or k)."""
    ratio = test_len / train_len
    if ratio <= 1:
        return "within_training"
    if ratio <= TRAINING_FREE_FACTOR:
        return "training_free" if changed else "nothing_needed"
    return "past_2x" if ratio <= DECAY_FACTOR else "past_4x"


# the warning's words, with {ratio} for the video's length over the training length (2 decimals);
# js/length_zones.js carries these same strings (python -m riflex export-editor-data)
LENGTH_NOTES = {
    "past_2x": "; {ratio}x the training length: past 2x, quality drops without fine-tuning or RIFLEx Attention "
    "Decay (made for 3-4x)",
    # for a family attention decay does not support: never suggest a node that would refuse the model
    "past_2x_no_decay": "; {ratio}x the training length: past 2x, quality drops without fine-tuning (RIFLEx "
    "Attention Decay supports Wan and HunyuanVideo only)",
    "past_4x": "; {ratio}x the training length: past 4x, beyond what RIFLEx or attention decay has shown",
}


def length_note(test_len: int, train_len: int, family: str = "") -> str:
    """The warning a report line ends with past 2x ('' up to 2x): the same words in the node's
    report, the log, Inspect's verdict and (js/riflex_math.js) the editor's preview. family: the
    riflex family key, so attention decay is suggested only where it runs ('' = not known)."""
    ratio = test_len / train_len
    if ratio <= TRAINING_FREE_FACTOR:
        return ""
    if ratio > DECAY_FACTOR:
        zone = "past_4x"
    else:
        zone = "past_2x" if not family or family in DECAY_FAMILY_KEYS else "past_2x_no_decay"
    return LENGTH_NOTES[zone].format(ratio=f"{ratio:.2f}")


def markdown_table() -> str:
    """The README's table (tests/riflex/test_readme_lengths.py checks the README holds exactly this):
    per family, in pixel frames, where each zone begins at the family's own k and training length."""
    from .editor_data import length_table  # the editor's copy of the same numbers
    from .families import FAMILIES

    lines = [
        "| family | trained on | nothing needed up to | RIFLEx acts from | training-free (2x) up to "
        "| past 2x: add attention decay, up to 4x | past 4x |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, row in length_table().items():
        lines.append(
            f"| {FAMILIES[key].display_name} | {row['trainFrames']} | {row['untouchedFrames']} "
            f"| {row['riflexActsFromFrames']} | {row['trainingFreeFrames']} | {row['decayFrames']} "
            f"| {row['past4xFromFrames']}+ |"
        )
    return "\n".join(lines)
