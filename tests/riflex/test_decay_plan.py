"""Attention decay's settings, harmonic bands and plan (riflex/decay_plan.py)."""

from __future__ import annotations

import math

import pytest

from riflex.decay_plan import BAND_PHASE_TOLERANCE, DecaySettings, harmonic_bands, plan_decay
from riflex.families import FAMILIES
from riflex.frequencies import axis_frequencies
from riflex.methods import MethodParams
from riflex.plan import plan_temporal

# ultra-hunyuan, src/para_attn/sage_attn/attn_qk_int8_per_block.py: token distances
# 46..54, 96..104, 146..154 and 196..204 times the tokens of one frame (STEP = 2040)
REFERENCE_HUNYUAN_BANDS = [(46, 54), (96, 104), (146, 154), (196, 204)]


def hunyuan_freqs():
    family = FAMILIES["hunyuan_video"]
    return axis_frequencies(family.theta, family.axes_dims[0])


def test_hunyuan_bands_reproduce_the_reference_within_a_frame():
    bands = harmonic_bands(hunyuan_freqs(), FAMILIES["hunyuan_video"].default_k, 210)
    assert len(bands) == len(REFERENCE_HUNYUAN_BANDS)
    for band, (first, last) in zip(bands, REFERENCE_HUNYUAN_BANDS, strict=True):
        assert abs(band.first - first) <= 1 and abs(band.last - last) <= 1
    # derived, not copied: centres at whole turns of component 4 (period 16 pi), width from theta_4 = 1/8
    assert [round(b.center, 3) for b in bands] == [round(n * 16 * math.pi, 3) for n in (1, 2, 3, 4)]
    assert all(b.half_width == BAND_PHASE_TOLERANCE * 8 for b in bands)


@pytest.mark.parametrize("family_key", ["wan21", "wan22_5b", "wan_s2v", "wan_humo", "wan_animate"])
def test_wan_has_no_harmonic_bands(family_key):
    """Wan's components step by 10000^(-2/44): never all back in phase, as in the reference."""
    family = FAMILIES[family_key]
    freqs = axis_frequencies(family.theta, family.axes_dims[0])
    assert harmonic_bands(freqs, family.default_k, 4000) == ()


def test_bands_follow_the_frequencies_in_use():
    """After RIFLEx slows HunyuanVideo's component 4, 1..4 never realign within the video: no bands."""
    family = FAMILIES["hunyuan_video"]
    spec = family.spec()
    riflex = plan_temporal(spec, "riflex", 132, MethodParams(k=0), default_k=family.default_k)
    assert riflex.changed
    assert harmonic_bands(riflex.freqs_after, riflex.k, 131) == ()
    # and the bands stop at the longest distance in the video
    assert [b.last for b in harmonic_bands(hunyuan_freqs(), 4, 100)] == [54, 100]


@pytest.mark.parametrize(
    "settings, name",
    [
        (DecaySettings(alpha=0.0), "alpha"),
        (DecaySettings(alpha=1.5), "alpha"),
        (DecaySettings(alpha=float("nan")), "alpha"),
        (DecaySettings(beta=-0.1), "beta"),
        (DecaySettings(beta=float("inf")), "beta"),
        (DecaySettings(window=-1.0), "window"),
        (DecaySettings(window=float("inf")), "window"),
        (DecaySettings(train_len=-3), "train_len"),
        (DecaySettings(anchor_first_frame="yes"), "anchor_first_frame"),
    ],
)
def test_bad_settings_name_the_input(settings, name):
    with pytest.raises(ValueError, match=rf"^RIFLEx: {name} = "):
        settings.validate()


def test_summary_says_what_is_applied():
    family = FAMILIES["wan21"]
    freqs = axis_frequencies(family.theta, family.axes_dims[0])
    decay = plan_decay(DecaySettings(), 84, 21, freqs, 6, anchor_by_default=True)
    assert decay.summary("wan21") == (
        "RIFLEx attention decay on wan21: 84 latent frames, train 21, s = 4.00: window +/-10.5 latent frames, "
        "alpha 0.9 beyond; no harmonic bands; first frame anchored to 21"
    )
    beyond = plan_decay(DecaySettings(), 100, 21, freqs, 6, anchor_by_default=True)
    assert "beyond what the reference shows" in beyond.summary()
