"""The family table: training lengths in RoPE positions from the cited pixel frames, and each
default k is the component the cited reasoning names (computed here from the formula)."""

from __future__ import annotations

import math

import pytest

from riflex.families import FAMILIES
from riflex.plan import estimate_k

# family: (pixel frames -> time positions as the sources count them, k)
EXPECTED = {
    "wan21": (21, 6),  # (81 - 1) / 4 + 1
    "wan22_5b": (31, 6),  # (121 - 1) / 4 + 1
    "wan_s2v": (20, 6),  # 80-frame clips: (80 + 3 + 73) // 4 - (73 + 3) // 4 = 20 (ComfyUI length 77)
    "wan_humo": (25, 6),  # (97 - 1) / 4 + 1
    "wan_animate": (21, 6),  # (77 - 1) / 4 + 1 = 20, plus the reference latent frame
    "hunyuan_video": (33, 4),
    "hunyuan_video_15": (31, 4),
    "kandinsky5": (31, 3),
    "cogvideox": (13, 2),  # (49 - 1) / 4 + 1
    "cogvideox_15": (11, 2),  # (81 - 1) / 4 + 1 = 21, padded to 22, temporal patch 2
    "cosmos1": (16, 4),  # (121 - 1) / 8 + 1
    "cosmos_predict2": (24, 5),  # (93 - 1) / 4 + 1
    "ltxv": (33, 0),  # (257 - 1) / 8 + 1; k estimated per model
}


def test_every_family_is_covered_here():
    assert set(EXPECTED) == set(FAMILIES)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_training_length_and_k(key):
    family = FAMILIES[key]
    spec = family.spec()
    train_len, k = EXPECTED[key]
    assert spec.train_len == train_len
    assert family.default_k == k
    assert family.train_source and family.k_source


@pytest.mark.parametrize(
    "key",
    ["hunyuan_video", "hunyuan_video_15", "kandinsky5", "cogvideox", "cogvideox_15", "cosmos1", "cosmos_predict2"],
)
def test_derived_k_is_the_first_component_never_completing_a_period_in_training(key):
    family = FAMILIES[key]
    spec = family.spec()
    d, b = spec.temporal_dim, spec.theta
    periods = [2 * math.pi / b ** (-2 * (j - 1) / d) for j in range(1, d // 2 + 1)]
    first_unseen = next(j for j, period in enumerate(periods, start=1) if period > spec.train_len)
    assert family.default_k == first_unseen == estimate_k(spec.axis_freqs(0), spec.train_len)


def test_wan_k_is_taken_from_observed_loops_not_estimated():
    # Wan: estimate_k gives 4 (period 22.1 > 21), the observed loop at ~51 latent frames gives 6
    spec = FAMILIES["wan21"].spec()
    assert estimate_k(spec.axis_freqs(0), spec.train_len) == 4 and FAMILIES["wan21"].default_k == 6
