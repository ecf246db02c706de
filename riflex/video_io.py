"""Decode a video file to frames for `check_repetition`, with PyAV (which ComfyUI installs).

PyAV is imported only when a file is read, so the rest of riflex never needs it.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["PYAV_MISSING", "read_video_frames"]

PYAV_MISSING = "RIFLEx: check-video needs PyAV (pip install av), which ComfyUI already installs"

# The check looks at ~32x32 thumbnails; decoding straight to at most this many pixels on the
# long side (area-averaged by swscale) keeps a long 1080p clip a few hundred MB smaller in memory
# and gives the same thumbnails.
DEFAULT_MAX_SIDE = 256


def read_video_frames(path: str | os.PathLike[str], max_side: int = DEFAULT_MAX_SIDE) -> np.ndarray:
    """Every frame of the first video stream as [T, H, W, 3] uint8 RGB, scaled down so that
    neither side exceeds max_side (0 = full size).

    Every failure (no PyAV, no such file, not a video, no frames) is a ValueError whose message
    starts with "RIFLEx:", so the command line can print it instead of a traceback.
    """
    try:
        import av
    except ImportError:
        raise ValueError(PYAV_MISSING) from None
    av_error = getattr(av, "FFmpegError", None) or getattr(av, "AVError", OSError)

    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"RIFLEx: no such video file: {path}")
    if not os.path.isfile(path):
        raise ValueError(f"RIFLEx: {path} is not a file; give a video file (.mp4, .webm, .mkv, ...)")
    if os.path.getsize(path) == 0:
        raise ValueError(f"RIFLEx: {path} is empty (0 bytes); give a video file (.mp4, .webm, .mkv, ...)")

    frames = []
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise ValueError(f"RIFLEx: {path} has no video stream; give a video file, not audio or an image list")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24", **_scaled_size(frame.width, frame.height, max_side)))
    except (av_error, OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"RIFLEx: cannot read {path} as a video ({error}); give a video file PyAV/FFmpeg can decode (.mp4, .webm, .mkv, ...)"
        ) from None
    if not frames:
        raise ValueError(f"RIFLEx: {path} has a video stream but no frames could be decoded")
    if any(frame.shape != frames[0].shape for frame in frames):
        raise ValueError(
            f"RIFLEx: the frame size of {path} changes mid-stream ({frames[0].shape} to another); re-encode it"
        )
    return np.stack(frames)


def _scaled_size(width: int, height: int, max_side: int) -> dict[str, object]:
    if max_side <= 0 or max(width, height) <= max_side:
        return {}
    scale = max_side / max(width, height)
    return {
        "width": max(2, round(width * scale)),
        "height": max(2, round(height * scale)),
        "interpolation": "AREA",
    }
