"""Does a generated video loop back to its start, turn to slow motion, or barely move at all?

These are the two failures of length extrapolation the paper describes (Sec. 3): past the
training length the intrinsic RoPE component completes a period and the video replays its
beginning, or the low frequencies stretch and the motion slows down. The check works on tiny
grey thumbnails (about 32x32), which keep the layout and motion of a clip and average away
pixel noise, so a 161-frame 480x832 clip is checked in a fraction of a second on one core.

Everything here is numpy; only checking theta/dim and the optional k suggestion go through
`riflex.frequencies` (torch, float64).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .errors import RIFLExError
from .frequencies import axis_frequencies, identify_k
from .spec import positions_from_pixel_frames

__all__ = [
    "MATCH_RATIO",
    "MIN_GAP_FRAMES",
    "SEGMENT_FRAMES",
    "SLOW_MOTION_RATIO",
    "STATIC_MOTION",
    "RepetitionReport",
    "check_repetition",
    "check_settings",
    "check_thumbnails",
    "thumbnails",
    "thumbnails_of_chunks",
]

# Thumbnails are about this many pixels on each side: enough to see where things are, few
# enough that the whole clip is a small matrix and per-pixel noise is averaged out.
THUMBNAIL_SIDE = 32

# A loop-back is only looked for this many pixel frames after the start (two latent frames of
# a 4x VAE), so that a frame is never "repeated" by its own neighbours.
MIN_GAP_FRAMES = 8
# A loop-back replays a stretch of the start, not one frame: frames N..N+15 are compared with
# frames 0..15 (four latent frames). Near the end of the clip at least MIN_SEGMENT_FRAMES of
# it must be left, or one chance look-alike frame could pass for a loop.
SEGMENT_FRAMES = 16
MIN_SEGMENT_FRAMES = 8

# Segment distances are measured in units of the clip's own typical frame-to-frame change, so
# the thresholds hold for any resolution, contrast or amount of motion. "Typical" is the 75th
# percentile of the steps, not the median: a clip saved at twice its frame rate (every other
# frame duplicated) or slowed down in its second half has many near-zero steps that would
# shrink the unit and make every distance look large.
TYPICAL_STEP_PERCENTILE = 75
# A segment that replays the start at most one typical frame step away is a loop-back: it is
# as close to the start as consecutive frames are to each other.
MATCH_RATIO = 1.0
# ...but only after the clip has left its start by at least two typical steps: a clip whose
# first frames barely move (common for image-to-video) matches its own start trivially.
DEPARTURE_RATIO = 2.0
# Within a dip, shifts this close to its floor (x1.1, +0.05) count as the floor.
FLAT_DIP_TOLERANCE = 1.1

# Static: mean thumbnail change under half a uint8 grey level per frame, or frames that spread
# around their mean no more than they differ from their neighbours (noise or flicker around a
# still picture: no motion that could repeat). Such a clip cannot be judged for repetition.
STATIC_MOTION = 0.5 / 255.0
STATIC_SPREAD_RATIO = 1.0

# Slow motion: past the training length the clip moves at under 0.6x the speed of the first
# training-length part. Speed is the mean change between frames one latent frame apart
# (temporal_compression pixel frames): per-frame noise and flicker add the same amount to both
# parts and pull a frame-to-frame ratio towards 1, while over a latent frame the motion itself
# dominates. A 2x slow-down gives about 0.5, with room left for noise; a clip whose speed drops
# by less than 40% is not flagged. A scene that really calms down is flagged too: a hint, not a proof.
SLOW_MOTION_RATIO = 0.6

_LUMA = np.array([0.299, 0.587, 0.114])  # Rec. 601: how bright each channel looks
_CHUNK_FRAMES = 16  # bounds the float temporaries of the area average to a few frames


@dataclass(frozen=True)
class RepetitionReport:
    """What `check_repetition` found, in pixel frames (and latent frames where the RoPE cares).

    first_repeat_frame: pixel frame index N where the clip starts replaying its beginning
    (frames N, N+1, ... look like 0, 1, ...), None when it does not.
    repetition_score: 1 = the clip clearly replays its start, 0 = nothing like it, 0.5 = the
    replay is one typical frame step away from the start (the detection threshold).
    motion_score: mean frame-to-frame change of the thumbnails, in [0, 1] intensity units.
    motion_ratio: speed past the training length / speed within it, speed being the mean change
    over one latent frame (None without a training length, or when the clip is not at least one
    latent frame longer).
    suggested_k: the intrinsic component (1-indexed) whose period matches the loop-back.
    """

    first_repeat_frame: int | None
    first_repeat_latent: int | None
    repetition_score: float
    motion_score: float
    motion_ratio: float | None
    slow_motion: bool
    static: bool
    suggested_k: int | None
    verdict: str
    frames: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def thumbnails(frames: Any, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """[T, H, W, C] frames -> [T, h*w] grey thumbnails in [0, 1], float64.

    An area average over whole blocks (reshape + sum, a few frames at a time): no per-pixel
    Python and no full-size float copy of the clip. Up to one block less than H and W is
    cropped from the bottom and right edges.
    """
    return _block_average(_validated(frames), side)


def thumbnails_of_chunks(chunks: Iterable[Any], side: int = THUMBNAIL_SIDE, source: str = "the video") -> np.ndarray:
    """thumbnails() of frames that arrive a few at a time ([n, H, W, C] chunks, e.g. as a file
    is decoded): only the thumbnails are kept, so memory grows by h*w floats per frame, not by
    the frames. Every chunk must have the size of the first."""
    parts, first_shape, count = [], None, 0
    for chunk in chunks:
        array = _validated(chunk, min_frames=1)
        if first_shape is None:
            first_shape = array.shape[1:]
        elif array.shape[1:] != first_shape:
            raise RIFLExError(
                f"RIFLEx: the frame size of {source} changes mid-stream ({first_shape} to {array.shape[1:]}); re-encode it"
            )
        parts.append(_block_average(array, side))
        count += array.shape[0]
    if count < 2:
        raise RIFLExError(
            f"RIFLEx: the video has {count} frame{'s' if count != 1 else ''} ({source}); repetition needs at least 2 frames"
        )
    return np.concatenate(parts)


def _block_average(frames: np.ndarray, side: int) -> np.ndarray:
    count, height, width, channels = frames.shape
    block_h, block_w = max(1, height // side), max(1, width // side)
    rows, cols = height // block_h, width // block_w
    if np.issubdtype(frames.dtype, np.unsignedinteger):
        scale = float(np.iinfo(frames.dtype).max)
        accumulate = np.uint64 if np.iinfo(frames.dtype).bits > 16 else np.uint32
    else:
        scale, accumulate = 1.0, np.float32 if frames.dtype.itemsize <= 4 else np.float64
    sums = np.empty((count, rows, cols, channels), dtype=np.float64)
    for start in range(0, count, _CHUNK_FRAMES):
        chunk = frames[start : start + _CHUNK_FRAMES, : rows * block_h, : cols * block_w]
        n = chunk.shape[0]
        row_sums = chunk.reshape(n, rows, block_h, cols * block_w * channels).sum(axis=2, dtype=accumulate)
        sums[start : start + n] = row_sums.reshape(n, rows, cols, block_w, channels).sum(axis=3)
    sums /= scale * block_h * block_w
    grey = sums[..., 0] if channels == 1 else sums @ _LUMA
    thumbs = grey.reshape(count, rows * cols)
    if not np.isfinite(thumbs).all():
        raise RIFLExError("RIFLEx: the video frames contain NaN or infinite values; expected pixel values in [0, 1]")
    return thumbs


def check_repetition(
    frames: Any,
    temporal_compression: int = 4,
    train_frames: int | None = None,
    theta: float | None = None,
    dim: int | None = None,
    axis_freqs=None,
    temporal_patch: int = 1,
) -> RepetitionReport:
    """Look for a loop-back to the start, slow motion past `train_frames`, and a static clip.

    frames: [T, H, W, C] with C = 1 or 3, float in [0, 1] (a ComfyUI IMAGE batch) or uint8.
    temporal_compression: pixel frames per latent frame, to report the loop in latent frames.
    train_frames: the model's training length in pixel frames, for the slow-motion check.
    theta, dim: the temporal RoPE base and axis dim, to suggest k for a loop-back found.
    axis_freqs: the time axis' own frequencies where they are not theta^(-2(j-1)/d) (LTX);
    temporal_patch: latent frames per time position (CogVideoX 1.5: 2).
    """
    check_settings(temporal_compression, train_frames, theta, dim)
    return check_thumbnails(
        thumbnails(frames), temporal_compression, train_frames, theta, dim, axis_freqs, temporal_patch
    )


def check_settings(
    temporal_compression: int = 4, train_frames: int | None = None, theta: float | None = None, dim: int | None = None
) -> None:
    """Raise RIFLExError("RIFLEx: ...") for settings check_repetition cannot use, before any frame is read."""
    if int(temporal_compression) != temporal_compression or temporal_compression < 1:
        raise RIFLExError(
            f"RIFLEx: temporal_compression must be a whole number of pixel frames per latent frame >= 1, got {temporal_compression}"
        )
    if train_frames is not None and (int(train_frames) != train_frames or train_frames < 1):
        raise RIFLExError(f"RIFLEx: train_frames must be a positive number of pixel frames, got {train_frames}")
    if (theta is None) != (dim is None):
        raise RIFLExError(f"RIFLEx: give both theta and dim to suggest k, or neither; got theta={theta}, dim={dim}")
    if theta is not None and dim is not None:
        axis_frequencies(theta, dim)  # rejects a bad theta or dim now, not only once a loop is found


def check_thumbnails(
    thumbs: np.ndarray,
    temporal_compression: int = 4,
    train_frames: int | None = None,
    theta: float | None = None,
    dim: int | None = None,
    axis_freqs=None,
    temporal_patch: int = 1,
) -> RepetitionReport:
    """check_repetition on thumbnails already made (thumbnails, thumbnails_of_chunks)."""
    check_settings(temporal_compression, train_frames, theta, dim)
    count = thumbs.shape[0]

    steps = _rms(np.diff(thumbs, axis=0))
    motion_score = float(steps.mean())
    typical_step = float(np.percentile(steps, TYPICAL_STEP_PERCENTILE))
    spread = float(np.sqrt(thumbs.var(axis=0).mean()))
    # typical_step == 0: most frames are exact copies of the one before (a still or a slideshow).
    static = motion_score < STATIC_MOTION or typical_step == 0.0 or spread < STATIC_SPREAD_RATIO * typical_step

    motion_ratio = _motion_ratio(thumbs, train_frames, temporal_compression)
    slow_motion = not static and motion_ratio is not None and motion_ratio < SLOW_MOTION_RATIO

    if static:
        verdict = (
            f"(nearly) static clip: mean change {motion_score:.4f} per frame, only noise or flicker; "
            "repetition and slow motion cannot be judged"
        )
        return RepetitionReport(None, None, 0.0, motion_score, motion_ratio, False, True, None, verdict, count)

    first_repeat, best_ratio = _find_loop_back(thumbs, typical_step)
    repetition_score = 0.0 if best_ratio is None else float(np.clip(1.0 - best_ratio / (2.0 * MATCH_RATIO), 0.0, 1.0))
    first_latent = suggested_k = None
    parts = []
    if first_repeat is not None:
        first_latent = (first_repeat + temporal_compression - 1) // temporal_compression
        parts.append(
            f"loops back: from pixel frame {first_repeat} (latent {first_latent}) it replays its start "
            f"(score {repetition_score:.2f})"
        )
        train_len = (
            None
            if train_frames is None
            else positions_from_pixel_frames(train_frames, temporal_compression, temporal_patch)
        )
        if (
            theta is not None
            and dim is not None
            and train_len is not None
            and first_latent / temporal_patch < train_len
        ):
            # a loop that starts within the training length is the content's own repetition: the
            # RoPE's loop-back only comes past it (paper Sec. 3.2), so no component is blamed
            parts.append(
                f"the repeat starts within the training length ({train_frames} frames): too early to be the RoPE's "
                "loop-back, so no k is suggested (the content itself repeats)"
            )
        elif theta is not None and dim is not None:
            suggested_k = identify_k(
                theta, dim, first_latent / temporal_patch, axis_freqs=axis_freqs, train_len=train_len
            )
            parts.append(f"its intrinsic RoPE component is k = {suggested_k}")
    elif count < MIN_GAP_FRAMES + MIN_SEGMENT_FRAMES:
        parts.append(f"too short to look for a loop-back ({count} frames, needs {MIN_GAP_FRAMES + MIN_SEGMENT_FRAMES})")
    else:
        parts.append(f"no loop-back to the start (score {repetition_score:.2f})")
    if slow_motion:
        parts.append(f"slow motion: after frame {train_frames} it moves {motion_ratio:.2f}x as fast as before")
    elif motion_ratio is not None:
        parts.append(f"motion past the training length {motion_ratio:.2f}x the motion within it")
    return RepetitionReport(
        first_repeat_frame=first_repeat,
        first_repeat_latent=first_latent,
        repetition_score=repetition_score,
        motion_score=motion_score,
        motion_ratio=motion_ratio,
        slow_motion=slow_motion,
        static=False,
        suggested_k=suggested_k,
        verdict="; ".join(parts),
        frames=count,
    )


def _find_loop_back(thumbs: np.ndarray, typical_step: float) -> tuple[int | None, float | None]:
    """(first loop-back frame or None, its normalized segment distance or the smallest one seen).

    For each shift n, the mean distance between frames n+i and i over the first segment,
    divided by the typical frame step. A loop-back at N makes this a dip below MATCH_RATIO
    at n = N after the curve has risen above DEPARTURE_RATIO; the first such dip, at its
    deepest point (or the start of its floor), is the first repeat. A single look-alike frame
    (a path crossing its start) does not dip: the frames after it go elsewhere.
    """
    count = thumbs.shape[0]
    last_shift = count - MIN_SEGMENT_FRAMES
    if last_shift < MIN_GAP_FRAMES:
        return None, None
    segment = min(SEGMENT_FRAMES, count - 1)
    start_distances = _distances(thumbs[:segment], thumbs)  # [segment, count]
    ratios = np.full(last_shift + 1, np.inf)
    for shift in range(1, last_shift + 1):
        length = min(segment, count - shift)
        ratios[shift] = start_distances[np.arange(length), shift + np.arange(length)].mean() / typical_step
    departed = np.maximum.accumulate(np.concatenate(([0.0], ratios[1:]))) >= DEPARTURE_RATIO
    # A candidate N counts when the clip had departed before N (shifts 1..N-1).
    candidates = [n for n in range(MIN_GAP_FRAMES, last_shift + 1) if departed[n - 1]]
    if not candidates:
        return None, None
    for n in candidates:
        if ratios[n] <= MATCH_RATIO:
            end = n
            while end + 1 <= last_shift and ratios[end + 1] <= MATCH_RATIO:
                end += 1
            # The deepest point of the dip is where the replay lines up; when the start was
            # still, the dip is a flat floor and the loop-back begins where the floor begins.
            floor = float(ratios[n : end + 1].min())
            first = n + int(np.argmax(ratios[n : end + 1] <= FLAT_DIP_TOLERANCE * floor + 0.05 * MATCH_RATIO))
            return first, float(ratios[first])
    return None, float(min(ratios[n] for n in candidates))


def _motion_ratio(thumbs: np.ndarray, train_frames: int | None, lag: int) -> float | None:
    """Mean change over `lag` frames after the training length / the same within it.

    Within: pairs (t, t+lag) inside frames 0..train_frames-1. After: pairs starting at the last
    training frame or later. None when either part has no pair (no training length, a clip not
    at least one latent frame longer than it) or the first part does not move at all.
    """
    count = thumbs.shape[0]
    if train_frames is None or count - lag <= train_frames - 1 or train_frames <= lag:
        return None
    changes = _rms(thumbs[lag:] - thumbs[:-lag])  # changes[t]: frame t -> t+lag
    within = float(changes[: train_frames - lag].mean())
    return float(changes[train_frames - 1 :].mean()) / within if within > 0.0 else None


def _rms(differences: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(np.square(differences), axis=-1))


def _distances(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """RMS distance between every row thumbnail and every column thumbnail, via the Gram
    matrix (float64 keeps the cancellation harmless for differences down to ~1e-7)."""
    squared = (
        np.square(rows).sum(axis=1)[:, None] + np.square(cols).sum(axis=1)[None, :] - 2.0 * rows @ cols.T
    ) / rows.shape[1]
    return np.sqrt(np.clip(squared, 0.0, None))


def _validated(frames: Any, min_frames: int = 2) -> np.ndarray:
    array = np.asarray(frames)
    if array.ndim != 4:
        raise RIFLExError(
            f"RIFLEx: video frames must be a [frames, height, width, channels] array, got shape {tuple(array.shape)}"
        )
    if array.size == 0:
        raise RIFLExError(f"RIFLEx: the video is empty (shape {tuple(array.shape)}); give at least 2 frames")
    if array.shape[0] < min_frames:
        raise RIFLExError(f"RIFLEx: the video has {array.shape[0]} frame; repetition needs at least 2 frames")
    if array.shape[3] not in (1, 3):
        raise RIFLExError(f"RIFLEx: video frames must have 1 or 3 channels, got {array.shape[3]}")
    if not (np.issubdtype(array.dtype, np.unsignedinteger) or np.issubdtype(array.dtype, np.floating)):
        raise RIFLExError(f"RIFLEx: video frames must be float in [0, 1] or uint8, got dtype {array.dtype}")
    return array
