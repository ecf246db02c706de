"""`python -m riflex check-video`, run as a user runs it, on small videos written here with PyAV."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from riflex.cli import main
from riflex.video_io import PYAV_MISSING

LOOP_FRAME = 28  # frames 28.. replay frames 0..
FRAME_COUNT = 56


def run(*args):
    return subprocess.run([sys.executable, "-m", "riflex", *args], capture_output=True, text=True)


def looping_frames(size=64, seed=0):
    """A drifting two-wave texture with a bright blob crossing it, replaying from LOOP_FRAME."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    frames = []
    for t in range(FRAME_COUNT):
        s = t % LOOP_FRAME
        image = 0.5 + 0.2 * np.sin(0.15 * (xx + 2 * s) + 0.07 * yy) + 0.1 * np.sin(0.05 * xx - 0.21 * (yy - s))
        image += 0.3 * np.exp(-((xx - 8 - 1.6 * s) ** 2 + (yy - 20 - 0.8 * s) ** 2) / 40.0)
        rgb = np.stack([image, 0.9 * image, 0.6 + 0.3 * image], axis=-1) + rng.normal(0, 0.01, (size, size, 3))
        frames.append(np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8))
    return frames


def write_mp4(path, frames):
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as container:
        # mpeg4 is FFmpeg's own encoder: present in every PyAV build, unlike libx264.
        stream = container.add_stream("mpeg4", rate=16)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture
def looping_mp4(tmp_path):
    pytest.importorskip("av")
    path = tmp_path / "loop.mp4"
    write_mp4(path, looping_frames())
    return path


def test_check_video_json_finds_the_loop_and_names_k(looping_mp4):
    result = run("check-video", str(looping_mp4), "--family", "wan21", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
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
    assert data["frames"] == FRAME_COUNT
    assert abs(data["first_repeat_frame"] - LOOP_FRAME) <= 4
    true_latent = (LOOP_FRAME - 1) // 4 + 1
    assert abs(data["first_repeat_latent"] - true_latent) <= 1
    # a loop that starts within Wan's 81 training frames is the content's own: no k is suggested
    # (the nearest period, 2*pi*10000^(2(j-1)/44), belongs to a component that turns in training)
    assert LOOP_FRAME < 81 and data["suggested_k"] is None
    assert "too early to be the RoPE's loop-back" in data["verdict"]
    periods = [2 * math.pi * 10000.0 ** (2 * (j - 1) / 44) for j in range(1, 23)]
    nearest = 1 + min(range(22), key=lambda j: abs(periods[j] - data["first_repeat_latent"]))
    assert 21 / periods[nearest - 1] >= 1  # what the old suggestion would have named: it turns in training
    assert data["repetition_score"] > 0.5 and data["static"] is False
    assert data["motion_ratio"] is None  # 56 frames: shorter than Wan's 81 training frames


def test_check_video_text_with_explicit_model_values(looping_mp4):
    result = run("check-video", str(looping_mp4), "--theta", "256", "--dim", "16", "--train-frames", "33")
    assert result.returncode == 0, result.stderr
    assert "loops back" in result.stdout and "suggested_k:" in result.stdout and "motion_ratio:" in result.stdout


def test_check_video_without_a_model_still_checks(tmp_path):
    pytest.importorskip("av")
    path = tmp_path / "steady.mp4"
    write_mp4(path, [looping_frames()[t % LOOP_FRAME] for t in range(LOOP_FRAME)])  # no loop inside
    data = json.loads(run("check-video", str(path), "--json").stdout)
    assert data["first_repeat_frame"] is None and data["suggested_k"] is None and data["frames"] == LOOP_FRAME


@pytest.mark.parametrize("content", [b"this is not a video\n" * 50, b""], ids=["text", "empty"])
def test_a_file_that_is_not_a_video_is_a_message_not_a_traceback(tmp_path, content):
    pytest.importorskip("av")
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    result = run("check-video", str(path), "--family", "wan21")
    assert result.returncode == 2
    assert result.stderr.startswith("RIFLEx:") and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_a_message(tmp_path):
    pytest.importorskip("av")
    result = run("check-video", str(tmp_path / "nowhere.mp4"), "--json")
    assert result.returncode == 2 and "RIFLEx: no such video file" in result.stderr and "Traceback" not in result.stderr


def test_theta_without_dim_is_a_message(looping_mp4):
    result = run("check-video", str(looping_mp4), "--theta", "10000")
    assert result.returncode == 2 and "RIFLEx: give --theta and --dim together" in result.stderr


def test_without_pyav_the_command_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 16)
    assert main(["check-video", str(path), "--family", "wan21"]) == 2
    assert PYAV_MISSING in capsys.readouterr().err
    assert PYAV_MISSING.startswith("RIFLEx: check-video needs PyAV (pip install av)")


def test_a_video_without_frames_or_with_one_frame_is_a_message(tmp_path):
    av = pytest.importorskip("av")
    empty = tmp_path / "noframes.avi"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("mpeg4", rate=16)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        if not hasattr(container, "start_encoding"):
            pytest.skip("this PyAV cannot write a container without frames")
        container.start_encoding()
    result = run("check-video", str(empty))
    assert result.returncode == 2 and result.stderr.startswith("RIFLEx:") and "no frames" in result.stderr

    single = tmp_path / "single.mp4"
    write_mp4(single, looping_frames()[:1])
    result = run("check-video", str(single))
    assert result.returncode == 2 and "RIFLEx: the video has 1 frame" in result.stderr


def test_an_audio_file_is_a_message(tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    result = run("check-video", str(path))
    assert result.returncode == 2 and "RIFLEx:" in result.stderr and "no video stream" in result.stderr


def long_static_clip(path, frames: int, side: int = 256) -> None:
    """A small square crossing a black 256x256 picture, `frames` frames: a few hundred KB."""
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=16)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            image = np.zeros((side, side, 3), np.uint8)
            x = (index * 7) % (side - 32)
            image[100:132, x : x + 32] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def peak_memory_mb(*args) -> tuple[float, subprocess.CompletedProcess]:
    """The peak resident memory of `python -m riflex ARGS`, measured inside its own process."""
    code = (
        "import resource, sys; from riflex.cli import main; code = main(sys.argv[1:]); "
        "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    peak = next(line for line in result.stderr.splitlines() if line.startswith("PEAK_KB"))
    return int(peak.split()[1]) / 1024, result


def test_check_video_memory_is_flat_in_the_number_of_frames(tmp_path):
    # decoded frames are turned into 32x32 thumbnails as they come: 4500 more 256x256 frames
    # (880 MB of RGB, 1.8 GB more before: the frames were kept and stacked) add ~40 MB of thumbnails
    short, long = tmp_path / "short.mp4", tmp_path / "long.mp4"
    long_static_clip(short, 500)
    long_static_clip(long, 5000)
    assert long.stat().st_size < 2_000_000
    short_mb, short_result = peak_memory_mb("check-video", str(short), "--json")
    long_mb, long_result = peak_memory_mb("check-video", str(long), "--json")
    assert short_result.returncode == 0 and long_result.returncode == 0, long_result.stderr
    assert json.loads(long_result.stdout)["frames"] == 5000
    assert long_mb - short_mb < 150, f"500 frames: {short_mb:.0f} MB, 5000 frames: {long_mb:.0f} MB"


def test_chunked_thumbnails_equal_the_whole_clips():
    from riflex.video_check import thumbnails, thumbnails_of_chunks

    frames = np.stack(looping_frames(size=70))  # 70 px: blocks of 2 with a cropped edge
    whole = thumbnails(frames)
    for size in (1, 5, 16, FRAME_COUNT):
        chunks = (frames[start : start + size] for start in range(0, FRAME_COUNT, size))
        assert np.array_equal(thumbnails_of_chunks(chunks), whole), size
    with pytest.raises(ValueError, match=r"RIFLEx: the frame size of the video changes mid-stream"):
        thumbnails_of_chunks([frames[:3], frames[3:6, :64, :64]])
    with pytest.raises(ValueError, match=r"RIFLEx: the video has 1 frame \(the video\)"):
        thumbnails_of_chunks([frames[:1]])
    with pytest.raises(ValueError, match=r"RIFLEx: the video has 0 frames"):
        thumbnails_of_chunks([])


def test_a_clip_with_too_many_frames_is_refused(tmp_path):
    from riflex.video_io import read_video_thumbnails

    path = tmp_path / "many.mp4"
    long_static_clip(path, 40, side=64)
    assert read_video_thumbnails(path, max_frames=40).shape[0] == 40
    with pytest.raises(ValueError, match=r"RIFLEx: .*many.mp4 has more than 39 frames; check-video is for generated"):
        read_video_thumbnails(path, max_frames=39)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--temporal-compression", "0"], "RIFLEx: temporal_compression must be a whole number"),
        (["--train-frames", "0"], "RIFLEx: train_frames must be a positive number of pixel frames"),
        (["--theta", "inf", "--dim", "44"], "RIFLEx: --theta inf is not allowed"),
        (["--theta", "nan", "--dim", "44"], "RIFLEx: --theta nan is not allowed"),
        (["--theta", "10000", "--dim", "3"], "RIFLEx: axis dim must be a positive even number"),
    ],
)
def test_bad_check_video_settings_are_refused_before_decoding(looping_mp4, flags, message):
    result = run("check-video", str(looping_mp4), *flags)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
