"""Attention decay as the issue pins it, written densely (one full [S, S] score matrix) and
independently of riflex/: the reference the exact block path is checked against, in pytest's
Python (tests/riflex) and inside a real ComfyUI (probe_decay.py)."""

from __future__ import annotations

import math

import torch


def dense_reference(q, k, v, frames, per_frame, start, train_len, alpha, beta, window, bands, anchor, mask=None):
    """q, k, v [B, H, S, D]; returns [B, H, S, D] float64 with every video row decayed: logits
    scale * q . (k - mean k); min(s, f s) with f = beta in a band (first, last inclusive), alpha
    beyond the window, else 1, for video pairs only; frame 0 gives no weight to frames >= train_len."""
    q, k, v = q.double(), k.double(), v.double()
    seq = q.shape[2]
    scores = (q @ (k - k.mean(dim=2, keepdim=True)).transpose(-1, -2)) / math.sqrt(q.shape[-1])
    frame = torch.full((seq,), -1)
    frame[start : start + frames * per_frame] = torch.arange(frames).repeat_interleave(per_frame)
    video = frame >= 0
    pair = video[:, None] & video[None, :]
    distance = (frame[:, None] - frame[None, :]).abs()
    in_band = torch.zeros_like(pair)
    for first, last in bands:
        in_band |= (distance >= first) & (distance <= last)
    factor = torch.where(in_band, beta, torch.where(distance > window, alpha, 1.0)).double()
    factor = torch.where(pair, factor, torch.ones_like(factor))
    scores = torch.where(scores > 0, scores * factor, scores)  # min(s, f s) for f in (0, 1]
    if anchor:
        scores = scores.masked_fill((frame[:, None] == 0) & (frame[None, :] >= train_len) & pair, float("-inf"))
    if mask is not None:
        scores = scores + mask.double()
    return torch.softmax(scores, dim=-1) @ v


def hunyuan_expected_bands(max_distance: int) -> list[tuple[int, int]]:
    """HunyuanVideo's bands written from the derivation: centres n * 16 pi (component 4's period,
    theta 256^(-3/8) = 1/8), half-width 4 frames (half a radian of component 4) plus half a frame."""
    bands = []
    for n in range(1, 10):
        first, last = math.ceil(n * 16 * math.pi - 4.5), math.floor(n * 16 * math.pi + 4.5)
        if first <= max_distance:
            bands.append((first, min(last, max_distance)))
    return bands
