"""check_repetition on synthetic clips whose loop-back, speed and stillness are known by construction.

Every clip is a camera panning over a smooth random texture, with a blob moving over it and
fresh pixel noise in every frame. `positions[t]` says where along that (never-returning) path
frame t is, so a loop-back at N is `t % N`, a 2x slow-down halves the steps, and a still clip
repeats position 0 with only the noise changing.
"""

import json
import math
import time

import numpy as np
import pytest
from synthetic_video import render

from riflex.frequencies import identify_k
from riflex.video_check import MIN_GAP_FRAMES, SLOW_MOTION_RATIO, check_repetition


def nearest_period_k(theta, dim, latent_frames):
    """k = argmin_j |2*pi*theta^(2(j-1)/d) - N| (paper Sec. 3.2), written out independently."""
    periods = [2 * math.pi * theta ** (2 * (j - 1) / dim) for j in range(1, dim // 2 + 1)]
    return 1 + min(range(len(periods)), key=lambda j: abs(periods[j] - latent_frames))


def causal_latent_index(pixel_frame, compression=4):
    # Pixel frame 0 is latent 0 alone; pixel frames 4i-3..4i are latent i.
    return 0 if pixel_frame == 0 else (pixel_frame - 1) // compression + 1


@pytest.mark.parametrize(
    ("loop_frame", "theta", "dim", "paper_k", "seed"),
    [
        (201, 10000.0, 44, 6, 0),  # Wan: latent 51 (pixel 201..204), period of k=6 is 50.9
        (198, 256.0, 16, 4, 1),  # HunyuanVideo: latent 50 (pixel 197..200), period of k=4 is 50.3
    ],
)
def test_loop_back_is_found_within_one_latent_frame_and_names_k(loop_frame, theta, dim, paper_k, seed):
    frames = render([t % loop_frame for t in range(241)], seed=seed)
    report = check_repetition(frames, temporal_compression=4, train_frames=81, theta=theta, dim=dim)
    true_latent = causal_latent_index(loop_frame)
    assert nearest_period_k(theta, dim, true_latent) == paper_k
    assert report.first_repeat_frame is not None and abs(report.first_repeat_frame - loop_frame) <= 4
    assert abs(report.first_repeat_latent - true_latent) <= 1
    assert report.suggested_k == paper_k
    assert report.repetition_score > 0.5 and not report.static and not report.slow_motion
    assert f"pixel frame {report.first_repeat_frame}" in report.verdict and f"k = {paper_k}" in report.verdict


def test_a_repeat_within_the_training_length_suggests_no_k():
    # the clip: content repeating every 40 frames (10 latent) on Wan (trained on 21 latent).
    # identify_k alone would name k = 2 (period 9.5), which turns 2.2 times within training: no
    # RoPE loop-back starts that early, so nothing is suggested and the verdict says why.
    frames = render([t % 40 for t in range(241)], seed=3)
    report = check_repetition(frames, temporal_compression=4, train_frames=81, theta=10000.0, dim=44)
    assert report.first_repeat_frame is not None and abs(report.first_repeat_frame - 40) <= 4
    assert report.suggested_k is None
    assert "too early to be the RoPE's loop-back" in report.verdict


def test_suggested_k_never_turns_within_training():
    # a loop at latent 25, past Wan's 21: components 1-3 (periods 6.3, 9.5, 14.5) turned in
    # training; of those that did not, 4 (period 22.1) is the nearest
    assert identify_k(10000.0, 44, 10) == 2  # unrestricted, as the paper's argmin
    assert identify_k(10000.0, 44, 10, train_len=21) == 4
    assert identify_k(10000.0, 44, 25, train_len=21) == 4
    assert identify_k(10000.0, 44, 51, train_len=21) == 6


def test_the_first_of_two_loop_backs_is_reported():
    # Period 90: frames 90.. and 180.. both replay the start; the first repeat is 90.
    report = check_repetition(render([t % 90 for t in range(241)], seed=2))
    assert report.first_repeat_frame is not None and abs(report.first_repeat_frame - 90) <= 4
    assert report.suggested_k is None  # no theta/dim given


def test_steady_motion_without_a_loop_is_not_repetition():
    report = check_repetition(render(list(range(241))), train_frames=81, theta=10000.0, dim=44)
    assert report.first_repeat_frame is None and report.first_repeat_latent is None and report.suggested_k is None
    assert report.repetition_score < 0.25
    assert not report.static and not report.slow_motion
    assert "no loop-back" in report.verdict


def test_one_frame_that_looks_like_the_start_is_not_a_loop():
    # Pan out for 100 steps and back: frame 200 is the start again, but 201.. keep moving away
    # on the other side, so no segment replays the start.
    report = check_repetition(render([t if t <= 100 else 200 - t for t in range(241)]))
    assert report.first_repeat_frame is None and report.repetition_score < 0.25


def test_slow_motion_past_the_training_length_is_flagged():
    train_frames = 81
    slowed = render([t if t < train_frames else train_frames + (t - train_frames) / 2 for t in range(161)])
    steady = render(list(range(161)))
    slow_report = check_repetition(slowed, train_frames=train_frames)
    steady_report = check_repetition(steady, train_frames=train_frames)
    # Built at half speed after frame 81: the ratio is about 0.5; steady is about 1.
    assert slow_report.slow_motion and slow_report.motion_ratio == pytest.approx(0.5, abs=0.1)
    assert not steady_report.slow_motion and steady_report.motion_ratio == pytest.approx(1.0, abs=0.25)
    assert steady_report.motion_ratio > SLOW_MOTION_RATIO
    assert "slow motion" in slow_report.verdict and "slow motion" not in steady_report.verdict
    assert slow_report.first_repeat_frame is None


def test_motion_ratio_needs_a_clip_longer_than_training():
    frames = render(list(range(81)))
    assert check_repetition(frames, train_frames=81).motion_ratio is None
    assert check_repetition(frames).motion_ratio is None
    assert check_repetition(frames, train_frames=41).motion_ratio == pytest.approx(1.0, abs=0.3)


@pytest.mark.parametrize("noise", [0.0, 0.005, 0.03])
def test_a_static_clip_is_not_a_loop(noise):
    # The same picture every frame (a still start matches itself everywhere), only noise changing.
    report = check_repetition(render([0] * 161, noise=noise, seed=3), train_frames=81, theta=10000.0, dim=44)
    assert report.static
    assert report.first_repeat_frame is None and report.repetition_score == 0.0 and report.suggested_k is None
    assert not report.slow_motion
    assert "static" in report.verdict


def test_a_still_start_is_not_a_loop_but_a_return_to_it_is():
    # Image-to-video often holds the first picture: 30 still frames, then steady motion.
    held = [0] * 30 + list(range(131))
    assert check_repetition(render(held)).first_repeat_frame is None
    # ...and when that clip later jumps back to its start (frame 150 on replays frames 0..), found.
    looped = held[:150] + held[:91]
    report = check_repetition(render(looped))
    assert report.first_repeat_frame is not None and abs(report.first_repeat_frame - 150) <= 4


def test_duplicated_frames_do_not_hide_motion_or_a_loop():
    # A 16 fps clip saved at 32 fps: every frame twice, so half the steps are exactly zero.
    looped = np.repeat(render([t % 100 for t in range(121)]), 2, axis=0)[:241]
    report = check_repetition(looped)
    assert not report.static and report.first_repeat_frame is not None and abs(report.first_repeat_frame - 200) <= 4
    steady = check_repetition(np.repeat(render(list(range(121))), 2, axis=0)[:241])
    assert not steady.static and steady.first_repeat_frame is None


def test_uint8_and_grey_frames_give_the_same_answer():
    frames = render([t % 120 for t in range(161)])
    as_uint8 = np.round(frames * 255).astype(np.uint8)
    grey = frames.mean(axis=3, keepdims=True)
    for clip in (frames, as_uint8, grey):
        report = check_repetition(clip)
        assert report.first_repeat_frame is not None and abs(report.first_repeat_frame - 120) <= 4
    assert check_repetition(as_uint8).motion_score == pytest.approx(check_repetition(frames).motion_score, rel=0.02)


def test_report_is_json_serialisable_with_the_documented_keys():
    report = check_repetition(render([t % 100 for t in range(161)]), train_frames=81, theta=10000.0, dim=44)
    data = json.loads(json.dumps(report.to_dict()))
    for key in (
        "first_repeat_frame",
        "first_repeat_latent",
        "repetition_score",
        "motion_score",
        "motion_ratio",
        "slow_motion",
        "static",
        "suggested_k",
        "verdict",
        "frames",
    ):
        assert key in data
    assert data["frames"] == 161 and 0.0 <= data["repetition_score"] <= 1.0


def test_too_short_to_judge_a_loop_still_reports_motion():
    report = check_repetition(render(list(range(MIN_GAP_FRAMES + 2))))
    assert report.first_repeat_frame is None and "too short" in report.verdict and report.motion_score > 0


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (np.zeros((0, 8, 8, 3), np.float32), "empty"),
        (np.zeros((5, 8, 8), np.float32), "[frames, height, width, channels]"),
        (np.zeros((1, 8, 8, 3), np.float32), "at least 2 frames"),
        (np.zeros((4, 8, 8, 4), np.float32), "1 or 3 channels"),
        (np.full((4, 8, 8, 3), np.nan, np.float32), "NaN"),
        (np.zeros((4, 8, 8, 3), np.int32), "dtype"),
    ],
)
def test_bad_frames_are_explained(frames, message):
    with pytest.raises(ValueError, match="RIFLEx:") as error:
        check_repetition(frames)
    assert message in str(error.value)


def test_bad_model_values_are_explained():
    frames = render(list(range(20)))
    with pytest.raises(ValueError, match="RIFLEx: give both theta and dim"):
        check_repetition(frames, theta=10000.0)
    with pytest.raises(ValueError, match="RIFLEx: axis dim"):
        check_repetition(frames, theta=10000.0, dim=7)
    with pytest.raises(ValueError, match="RIFLEx: temporal_compression"):
        check_repetition(frames, temporal_compression=0)
    with pytest.raises(ValueError, match="RIFLEx: train_frames"):
        check_repetition(frames, train_frames=0)


def test_161_frames_of_480x832_are_checked_in_well_under_a_second():
    count, height, width = 161, 480, 832
    rng = np.random.default_rng(0)
    texture = rng.random((height + count, width + count, 3), dtype=np.float32)
    frames = np.empty((count, height, width, 3), np.float32)
    for t in range(count):
        frames[t] = texture[t : t + height, t : t + width]  # a diagonal pan, so the full check runs
    start = time.perf_counter()
    report = check_repetition(frames, train_frames=81, theta=10000.0, dim=44)
    elapsed = time.perf_counter() - start
    print(f"check_repetition on {count}x{height}x{width}x3 float32: {elapsed:.3f} s")
    assert not report.static and report.frames == count
    assert elapsed < 3.0, f"took {elapsed:.2f} s; the check is meant to take well under 1 s"
