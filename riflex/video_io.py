"""Decode a video file to frames for `check_repetition`, with PyAV (which ComfyUI installs).

PyAV is imported only when a file is read, so the rest of riflex never needs it.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import RIFLExError

__all__ = ["PYAV_MISSING", "read_video_frames", "read_video_thumbnails"]

PYAV_MISSING = "RIFLEx: check-video needs PyAV (pip install av), which ComfyUI already installs"

# The check looks at ~32x32 thumbnails; decoding straight to at most this many pixels on the
# long side (area-averaged by swscale) keeps a long 1080p clip a few hundred MB smaller in memory
# and gives the same thumbnails.
DEFAULT_MAX_SIDE = 256


# A generated clip has a few hundred frames; a file with more than this is not one (a crafted
# file can hold millions of tiny frames), and even at this many the thumbnails stay ~400 MB.
MAX_FRAMES = 50_000
# frames decoded before their thumbnails are taken: bounds memory, whatever the clip's length
CHUNK_FRAMES = 16


def read_video_frames(path: str | os.PathLike[str], max_side: int = DEFAULT_MAX_SIDE) -> np.ndarray:
    """Every frame of the first video stream as [T, H, W, 3] uint8 RGB, scaled down so that
    neither side exceeds max_side (0 = full size). The whole clip in memory: check-video uses
    read_video_thumbnails, which keeps only thumbnails.

    Every failure (no PyAV, no such file, not a video, no frames) is a RIFLExError whose message
    starts with "RIFLEx:", so the command line can print it instead of a traceback.
    """
    frames = [frame for chunk in _decoded_chunks(path, max_side, chunk_frames=1) for frame in chunk]
    if any(frame.shape != frames[0].shape for frame in frames):
        raise RIFLExError(
            f"RIFLEx: the frame size of {os.fspath(path)} changes mid-stream ({frames[0].shape} to another); re-encode it"
        )
    return np.stack(frames)


def read_video_thumbnails(
    path: str | os.PathLike[str], max_side: int = DEFAULT_MAX_SIDE, max_frames: int = MAX_FRAMES
) -> np.ndarray:
    """The [T, h*w] grey thumbnails check_repetition works on, decoded CHUNK_FRAMES frames at a
    time: memory stays flat in the number of frames but for the thumbnails themselves (8 KB a
    frame). Failures as read_video_frames, and a clip of more than max_frames frames."""
    from .video_check import thumbnails_of_chunks

    return thumbnails_of_chunks(_decoded_chunks(path, max_side, max_frames=max_frames), source=os.fspath(path))


def _decoded_chunks(path, max_side: int, chunk_frames: int = CHUNK_FRAMES, max_frames: int | None = None):
    """[n, H, W, 3] uint8 chunks of the first video stream, as they are decoded."""
    try:
        import av
    except ImportError:
        raise RIFLExError(PYAV_MISSING) from None
    av_error = getattr(av, "FFmpegError", None) or getattr(av, "AVError", OSError)

    path = os.fspath(path)
    if not os.path.exists(path):
        raise RIFLExError(f"RIFLEx: no such video file: {path}")
    if not os.path.isfile(path):
        raise RIFLExError(f"RIFLEx: {path} is not a file; give a video file (.mp4, .webm, .mkv, ...)")
    if os.path.getsize(path) == 0:
        raise RIFLExError(f"RIFLEx: {path} is empty (0 bytes); give a video file (.mp4, .webm, .mkv, ...)")

    count = 0
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise RIFLExError(f"RIFLEx: {path} has no video stream; give a video file, not audio or an image list")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            chunk: list[np.ndarray] = []
            for frame in container.decode(stream):
                count += 1
                if max_frames is not None and count > max_frames:
                    raise RIFLExError(
                        f"RIFLEx: {path} has more than {max_frames} frames; check-video is for generated clips "
                        "(a few hundred frames): cut the part to check first"
                    )
                chunk.append(frame.to_ndarray(format="rgb24", **_scaled_size(frame.width, frame.height, max_side)))
                if len(chunk) == chunk_frames:
                    yield _stacked(chunk, path)
                    chunk = []
            if chunk:
                yield _stacked(chunk, path)
    except (av_error, OSError, UnicodeDecodeError) as error:
        raise RIFLExError(
            f"RIFLEx: cannot read {path} as a video ({error}); give a video file PyAV/FFmpeg can decode (.mp4, .webm, .mkv, ...)"
        ) from None
    if count == 0:
        raise RIFLExError(f"RIFLEx: {path} has a video stream but no frames could be decoded")


def _stacked(chunk: list[np.ndarray], path: str) -> np.ndarray:
    if any(frame.shape != chunk[0].shape for frame in chunk):
        raise RIFLExError(
            f"RIFLEx: the frame size of {path} changes mid-stream ({chunk[0].shape} to another); re-encode it"
        )
    return np.stack(chunk)


def _scaled_size(width: int, height: int, max_side: int) -> dict[str, object]:
    if max_side <= 0 or max(width, height) <= max_side:
        return {}
    scale = max_side / max(width, height)
    return {
        "width": max(2, round(width * scale)),
        "height": max(2, round(height * scale)),
        "interpolation": "AREA",
    }
