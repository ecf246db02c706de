"""Every method against its formula (computed here independently), the reference
implementation's RIFLEx numbers, and the paper's Sec. 3.4 properties."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from riflex import MethodParams, RopeSpec, axis_frequencies, get_family, plan_temporal, repeating_components

HUNYUAN = RopeSpec(theta=256.0, axes_dims=(16, 56, 56), train_len=33)
WAN = RopeSpec(theta=10000.0, axes_dims=(44, 42, 42), train_len=21)


def formula(base, dim):
    return [base ** (-2 * (j - 1) / dim) for j in range(1, dim // 2 + 1)]


@pytest.mark.parametrize("spec,k,test_len", [(HUNYUAN, 4, 66), (HUNYUAN, 4, 99), (WAN, 6, 61), (WAN, 6, 81)])
def test_riflex_matches_reference_implementation(spec, k, test_len):
    # thu-ml/RIFLEx: freqs[k-1] = 0.9 * 2 * pi / L_test (when L_test > N_k), everything else untouched
    plan = plan_temporal(spec, "riflex", test_len, MethodParams(k=k))
    expected = formula(spec.theta, spec.temporal_dim)
    expected[k - 1] = 0.9 * 2 * math.pi / test_len
    assert plan.freqs_after.tolist() == pytest.approx(expected, rel=1e-14)
    assert plan.changed_components == [k]


@pytest.mark.parametrize("test_len", [10, 21, 33, 41, 45])
def test_riflex_never_raises_a_frequency(test_len):
    # Wan k=6 has period 50.96; up to 45 latent frames 0.9*2*pi/L_test would be *above* theta_6
    plan = plan_temporal(WAN, "riflex", test_len, MethodParams(k=6))
    assert torch.equal(plan.freqs_after, plan.freqs_before)
    assert not plan.changed
    assert "no change" in plan.summary()


def test_riflex_boundary_is_safety_factor_times_period():
    period_k = 2 * math.pi / (10000 ** (-10 / 44))  # Wan j = 6
    boundary = 0.9 * period_k  # 45.86
    assert not plan_temporal(WAN, "riflex", math.floor(boundary), MethodParams(k=6)).changed
    assert plan_temporal(WAN, "riflex", math.floor(boundary) + 1, MethodParams(k=6)).changed


def test_riflex_with_explicit_s_uses_paper_formula():
    # paper: theta_k' = 2*pi / (L * s) (with the 0.9 margin of the reference)
    plan = plan_temporal(HUNYUAN, "riflex", 40, MethodParams(k=4, s=3.0))
    assert float(plan.freqs_after[3]) == pytest.approx(0.9 * 2 * math.pi / (33 * 3.0), rel=1e-14)


def test_pe_is_unchanged():
    plan = plan_temporal(HUNYUAN, "pe", 66)
    assert torch.equal(plan.freqs_after, plan.freqs_before)


@pytest.mark.parametrize("s", [1.5, 2.0, 3.0])
def test_pi_divides_every_frequency(s):
    plan = plan_temporal(HUNYUAN, "pi", 66, MethodParams(s=s))
    assert plan.freqs_after.tolist() == pytest.approx([f / s for f in formula(256, 16)], rel=1e-14)


@pytest.mark.parametrize("s", [1.5, 2.0, 3.0])
def test_ntk_is_a_new_base(s):
    d = 16
    new_base = 256 * s ** (d / (d - 2))
    plan = plan_temporal(HUNYUAN, "ntk", 66, MethodParams(s=s))
    assert plan.freqs_after.tolist() == pytest.approx(formula(new_base, d), rel=1e-12)
    assert float(plan.freqs_after[0]) == 1.0  # highest frequency kept
    assert float(plan.freqs_after[-1]) == pytest.approx(float(plan.freqs_before[-1]) / s, rel=1e-12)


@pytest.mark.parametrize("alpha,beta", [(1.0, 32.0), (0.5, 2.0), (0.0, 4.0)])
def test_yarn_ramp(alpha, beta):
    s, train = 2.0, 33
    expected = []
    for f in formula(256, 16):
        r = train / (2 * math.pi / f)
        gamma = min(1.0, max(0.0, (r - alpha) / (beta - alpha)))
        expected.append((1 - gamma) * f / s + gamma * f)
    plan = plan_temporal(HUNYUAN, "yarn", 66, MethodParams(s=s, yarn_alpha=alpha, yarn_beta=beta))
    assert plan.freqs_after.tolist() == pytest.approx(expected, rel=1e-14)


# --- the paper's Sec. 3.4 properties -------------------------------------------------------


def test_pe_repeats_at_2x_and_riflex_does_not():
    pe = plan_temporal(HUNYUAN, "pe", 66)
    riflex = plan_temporal(HUNYUAN, "riflex", 66)
    assert 4 in pe.repeats_after and 4 not in pe.repeats_in_training
    assert 4 not in riflex.repeats_after


def test_pi_compresses_the_highest_frequency():
    pi = plan_temporal(HUNYUAN, "pi", 66)
    assert float(pi.freqs_after[0]) == pytest.approx(0.5)  # theta_1 = 1 halved: motion at half speed


@given(
    test_len=st.integers(min_value=1, max_value=2000),
    k=st.integers(min_value=1, max_value=8),
    factor=st.floats(min_value=0.05, max_value=1.0),
)
def test_riflex_changes_only_k_downwards_and_keeps_it_within_one_period(test_len, k, factor):
    plan = plan_temporal(HUNYUAN, "riflex", test_len, MethodParams(k=k, safety_factor=factor))
    before, after = plan.freqs_before.tolist(), plan.freqs_after.tolist()
    assert all(a <= b for a, b in zip(after, before, strict=True))
    assert [j + 1 for j in range(8) if after[j] != before[j]] in ([], [k])
    target = max(test_len, HUNYUAN.train_len)
    assert after[k - 1] * target <= 2 * math.pi * factor * (1 + 1e-12) or after[k - 1] == before[k - 1]
    assert k not in repeating_components(plan.freqs_after, test_len) or k in repeating_components(
        plan.freqs_before, HUNYUAN.train_len
    )


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"k": 9}, r"k = 9 .*allowed: 1\.\.8"),
        ({"k": -1}, r"k = -1 is negative"),
        ({"s": -1.0}, r"s = -1.0"),
        ({"s": 0.5}, r"s = 0.5"),
        ({"s": float("nan")}, r"s = nan"),
        ({"s": float("inf")}, r"s = inf"),
        ({"safety_factor": 0.0}, r"safety_factor = 0.0 is outside \(0, 1\]"),
        ({"safety_factor": 1.5}, r"safety_factor = 1.5"),
    ],
)
def test_riflex_bad_params_are_named(kwargs, match):
    with pytest.raises(ValueError, match="RIFLEx: " + match):
        plan_temporal(HUNYUAN, "riflex", 66, MethodParams(**kwargs))


def test_yarn_alpha_must_be_below_beta():
    with pytest.raises(ValueError, match=r"RIFLEx: yarn_alpha = 32.0 and yarn_beta = 32.0"):
        plan_temporal(HUNYUAN, "yarn", 66, MethodParams(yarn_alpha=32.0, yarn_beta=32.0))


def test_unknown_method():
    with pytest.raises(
        ValueError, match=r"RIFLEx: unknown method 'rope'; allowed: riflex, pe, pi, ntk, yarn, tasr, loop"
    ):
        plan_temporal(HUNYUAN, "rope", 66)


def test_auto_k_uses_family_then_estimate():
    assert plan_temporal(WAN, "riflex", 61, default_k=6).k == 6
    assert plan_temporal(HUNYUAN, "riflex", 66).k == 4  # estimate: first period beyond 33 frames
    cogvideox = RopeSpec(theta=10000.0, axes_dims=(16, 24, 24), train_len=13)
    assert plan_temporal(cogvideox, "riflex", 26).k == 2


def test_auto_s_is_measured_and_never_below_one():
    assert plan_temporal(HUNYUAN, "pi", 66).s == 2.0
    assert plan_temporal(HUNYUAN, "pi", 20).s == 1.0


def test_family_training_lengths():
    assert get_family("wan21").spec().train_len == 21  # 81 px
    assert get_family("wan22_5b").spec().train_len == 31  # 121 px
    assert get_family("hunyuan_video").spec().train_len == 33  # 129 px


def test_family_values_match_the_formula_of_their_modules():
    # Wan's EmbedND split: d - 4*(d//6), 2*(d//6), 2*(d//6) for head dim 128
    d = 128
    assert get_family("wan21").axes_dims == (d - 4 * (d // 6), 2 * (d // 6), 2 * (d // 6))
    assert torch.equal(axis_frequencies(10000, 44), axis_frequencies(get_family("wan21").theta, 44))


def test_summary_warns_when_an_explicit_s_leaves_the_video_looping():
    plan = plan_temporal(WAN, "riflex", 61, MethodParams(k=6, s=2.0))  # targets 42 frames, the video has 61
    assert not plan.changed
    assert "expect a loop-back" in plan.summary()


def test_summary_warns_past_2x_and_past_4x():
    # train 21: 42 latent frames is 2x, 84 is 4x (the paper's training-free limit, UltraViCo's range)
    assert "past 2x" not in plan_temporal(WAN, "riflex", 42, MethodParams(k=6)).summary()
    assert (
        "2.05x the training length: past 2x, quality drops"
        in plan_temporal(WAN, "riflex", 43, MethodParams(k=6)).summary()
    )
    assert "4.00x the training length: past 2x" in plan_temporal(WAN, "riflex", 84, MethodParams(k=6)).summary()
    assert "4.05x the training length: past 4x" in plan_temporal(WAN, "riflex", 85, MethodParams(k=6)).summary()


@pytest.mark.parametrize("method", ["riflex", "pe", "pi", "ntk", "yarn"])
def test_summary_says_when_the_video_is_within_training_length(method):
    assert (
        plan_temporal(WAN, method, 13, MethodParams(k=6))
        .summary()
        .endswith("no change: the video is within the training length")
    )


def test_method_tooltip_lists_every_method_from_its_record():
    from riflex.methods import METHODS, method_tooltip

    tooltip = method_tooltip()
    for name, method in METHODS.items():
        assert f"{name}{f' ({method.badge})' if method.badge else ''}: {method.description}" in tooltip


def test_a_plan_takes_one_method_params_record_and_holds_it_resolved():
    params = MethodParams(k=0, s=0.0, safety_factor=0.8)
    plan = plan_temporal(get_family("wan21").spec(), "riflex", 61, params, default_k=6)
    assert (plan.params.k, plan.params.safety_factor) == (6, 0.8)
    assert plan.params.s == pytest.approx(61 / 21)
    assert params.k == 0 and params.s == 0.0  # the caller's record is not changed


@pytest.mark.parametrize("family", ["wan21", "hunyuan_video", "cogvideox", "kandinsky5", "cosmos1", "ltxv"])
def test_riflex_never_changes_a_video_within_the_training_length_whatever_k(family):
    # LTX's estimated k turns every 33.1 positions against a training length of 33: the paper's
    # theta_k' = 0.9 * 2 pi / (s L) at s = 1 would still lower it (by 10%), changing the model
    # within its own training length; the reference acts only once the video passes N_k
    spec = get_family(family).spec()
    for k in range(1, spec.axes_dims[0] // 2 + 1, 3):
        for test_len in (1, spec.train_len // 2, spec.train_len):
            for safety_factor in (0.01, 0.9, 1.0):
                plan = plan_temporal(spec, "riflex", test_len, MethodParams(k=k, safety_factor=safety_factor))
                assert not plan.changed, (k, test_len, safety_factor)
