"""tasr, loop, spatial axes and the schedule fraction, against formulas computed here."""

import math

import pytest

from riflex import RopeSpec, get_family
from riflex.methods import MethodParams
from riflex.plan import plan_spatial, plan_temporal, schedule_fraction

HUNYUAN = RopeSpec(theta=256.0, axes_dims=(16, 56, 56), train_len=33, spatial_train_len=(45, 80))


def formula(base, dim):
    return [base ** (-2 * (j - 1) / dim) for j in range(1, dim // 2 + 1)]


def test_tasr_is_pi_before_the_switch_and_ntk_after():
    early = plan_temporal(HUNYUAN, "tasr", 66, MethodParams(schedule_fraction=0.2, tasr_switch=0.5))
    late = plan_temporal(HUNYUAN, "tasr", 66, MethodParams(schedule_fraction=0.8, tasr_switch=0.5))
    assert early.freqs_after.tolist() == pytest.approx([f / 2 for f in formula(256, 16)], rel=1e-14)
    assert late.freqs_after.tolist() == pytest.approx(formula(256 * 2 ** (16 / 14), 16), rel=1e-12)
    assert "tasr (PI phase)" in early.summary() and "tasr (NTK phase)" in late.summary()


@pytest.mark.parametrize("switch", [-0.1, 1.5, float("nan")])
def test_tasr_switch_outside_the_schedule_is_named(switch):
    with pytest.raises(ValueError, match=r"RIFLEx: tasr_switch = .* is outside \[0, 1\]"):
        plan_temporal(HUNYUAN, "tasr", 66, MethodParams(tasr_switch=switch))


@pytest.mark.parametrize("test_len", [20, 66])
def test_loop_sets_period_k_to_the_clip_length_even_upwards(test_len):
    plan = plan_temporal(HUNYUAN, "loop", test_len, MethodParams(k=4))
    expected = formula(256, 16)
    expected[3] = 2 * math.pi / max(test_len, 33)  # s never below 1: at least the training length
    assert plan.freqs_after.tolist() == pytest.approx(expected, rel=1e-14)
    assert "ends where it began (experimental)" in plan.summary()


def test_spatial_plan_uses_the_training_resolution_and_its_own_k():
    plan = plan_spatial(HUNYUAN, 2, 160, "riflex")  # w at 2x the 80 trained patches
    d = 56
    freqs = formula(256, d)
    k = next(j for j, f in enumerate(freqs, start=1) if 2 * math.pi / f > 80)  # first period beyond 80
    expected = list(freqs)
    expected[k - 1] = min(freqs[k - 1], 0.9 * 2 * math.pi / 160)
    assert plan.k == k and plan.axis == 2
    assert plan.freqs_after.tolist() == pytest.approx(expected, rel=1e-14)
    assert "axis w 160 patches" in plan.summary()


def test_spatial_needs_a_known_resolution_and_loop_is_temporal_only():
    with pytest.raises(ValueError, match="training resolution is unknown"):
        plan_spatial(RopeSpec(256.0, (16, 56, 56), 33), 1, 90, "pi")
    with pytest.raises(ValueError, match="loop is temporal only"):
        plan_spatial(HUNYUAN, 1, 90, "loop")


def test_family_spatial_training_resolutions():
    assert get_family("wan21").spec().spatial_train_len == (30, 52)  # 480 x 832 / 16
    assert get_family("wan21").spec(model_width=5120).spatial_train_len == (45, 80)  # 14B: 720 x 1280 / 16
    assert get_family("wan22_5b").spec().spatial_train_len == (22, 40)  # 704 x 1280 / 32
    assert get_family("hunyuan_video").spec().spatial_train_len == (45, 80)


def test_schedule_fraction():
    sigmas = [1.0, 0.75, 0.5, 0.25, 0.0]
    assert [schedule_fraction(s, sigmas) for s in sigmas[:-1]] == [0.0, 0.25, 0.5, 0.75]
    assert schedule_fraction(0.5, [0.5]) == 0.0
