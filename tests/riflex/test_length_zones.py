"""One story about length: the zones in riflex/length_zones.py, checked against the planner and
the paper's numbers, and the warning every report line carries past 2x."""

from __future__ import annotations

import math

import pytest

from riflex.families import FAMILIES, get_family
from riflex.length_zones import DECAY_FACTOR, TRAINING_FREE_FACTOR, length_note, length_zone, length_zones
from riflex.methods import MethodParams
from riflex.plan import plan_temporal


def test_factors_are_the_papers():
    assert TRAINING_FREE_FACTOR == 2  # RIFLEx Sec. 5: training-free to 2x
    assert DECAY_FACTOR == 4  # UltraViCo's reference shows up to 4x


def test_wan_needs_nothing_up_to_177_frames_and_riflex_acts_only_past_2x():
    wan = get_family("wan21")
    spec = wan.spec()
    zones = length_zones(spec, wan.default_k)
    # k = 6 turns once every 2*pi / 10000^(-10/44) = 50.96 latent frames; 0.9 of a turn = 45.9
    period = 2 * math.pi / 10000 ** (-10 / 44)
    assert zones.untouched_len == math.floor(0.9 * period) == 45
    assert spec.pixel_frames_from_positions(45) == 177
    assert zones.riflex_acts_from == 46 and spec.pixel_frames_from_positions(46) == 181
    assert zones.training_free_len == 42 and zones.decay_len == 84
    assert zones.riflex_acts_from / spec.train_len > TRAINING_FREE_FACTOR  # 2.19x: past the training-free 2x


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_untouched_length_is_where_the_planner_first_changes_the_model(key):
    family = FAMILIES[key]
    spec = family.spec()
    k = plan_temporal(spec, "riflex", spec.train_len + 1, default_k=family.default_k).k
    zones = length_zones(spec, k)
    if plan_temporal(spec, "riflex", spec.train_len, MethodParams(k=k)).changed:
        # LTX's estimated k has a period just over the training length: 0.9 of it is shorter, so
        # RIFLEx acts on any video longer than training; the zone then starts there
        assert zones.untouched_len == spec.train_len
        return
    assert not plan_temporal(spec, "riflex", zones.untouched_len, MethodParams(k=k)).changed
    assert plan_temporal(spec, "riflex", zones.untouched_len + 1, MethodParams(k=k)).changed


def test_zone_of_each_length():
    assert length_zone(21, 21, changed=False) == "within_training"
    assert length_zone(41, 21, changed=False) == "nothing_needed"
    assert length_zone(41, 21, changed=True) == "training_free"
    assert length_zone(61, 21, changed=True) == "past_2x"
    assert length_zone(84, 21, changed=True) == "past_2x"
    assert length_zone(85, 21, changed=True) == "past_4x"


def test_note_is_empty_up_to_2x_and_says_what_to_do_past_it():
    assert length_note(42, 21) == ""
    assert "RIFLEx Attention Decay" in length_note(61, 21)
    assert length_note(61, 21).startswith("; 2.90x the training length: past 2x")
    assert "past 4x" in length_note(101, 21)


def test_wan_241_frames_report_warns_past_2x():
    wan = get_family("wan21")
    spec = wan.spec()
    line = plan_temporal(spec, "riflex", spec.positions_from_pixel_frames(241), default_k=6).summary("wan21")
    assert line.endswith(length_note(61, 21))


def test_the_past_2x_note_suggests_attention_decay_only_where_it_runs():
    # the decay node refuses CogVideoX, Cosmos, Kandinsky and LTX: their note must not send users there
    assert "or RIFLEx Attention Decay (made for 3-4x)" in length_note(61, 21, "wan21")
    assert "or RIFLEx Attention Decay (made for 3-4x)" in length_note(61, 21, "hunyuan_video_15")
    for family in ("cogvideox_15", "cosmos1", "kandinsky5", "ltxv"):
        note = length_note(61, 21, family)
        assert note.startswith("; 2.90x the training length: past 2x, quality drops without fine-tuning (")
        assert "supports Wan and HunyuanVideo only" in note
    assert "past 4x" in length_note(101, 21, "cogvideox_15")


def test_decay_families_are_the_ones_the_decay_node_accepts():
    from riflex.length_zones import DECAY_FAMILY_KEYS

    # the README's "Beyond 2x" and nodes/decay_layouts.py: Wan 2.1/2.2 (T2V, I2V, VACE, Fun, S2V,
    # HuMo, Animate) and HunyuanVideo 1.0/1.5
    assert all(key.startswith(("wan", "hunyuan_video")) for key in DECAY_FAMILY_KEYS)
    assert {"wan21", "wan22_5b", "hunyuan_video", "hunyuan_video_15"} <= set(DECAY_FAMILY_KEYS)
