"""The exact attention-decay path: softmax attention over query blocks with the UltraViCo rule
applied to the logits, never building the full [S, S] score matrix.

For a query in latent frame a and a key in frame b of the video being sampled (d = |a - b|):
    s = scale * q . (k - mean(k))       the reference's key smoothing (SageAttention's smooth_k),
                                        the mean over the whole key sequence per batch, head, channel
    s' = min(s, f(d) * s)               f(d) = beta in a harmonic band, alpha past the window, else 1:
                                        positive logits shrink, negative ones stay
    s' = -inf                           for a query in frame 0 and a key in frame >= L (the anchor)
Softmax attention without the decay is unchanged by the smoothing (q . mean(k) is the same for
every key of a row); the decay is not, which is why it is part of the rule.

Only the rows of the video's own tokens go through this; the rows of any other token (text in
joint attention, reference or context tokens) are computed by the model's own attention function,
so they stay exactly as the model computes them, and a key that is not a video token keeps its
logit. Pure torch: nodes/ decides which attention calls are the video self-attention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .decay_plan import DecayPlan

__all__ = ["DEFAULT_BLOCK_BYTES", "VideoTokens", "additive_mask", "attention_with_decay", "decayed_rows"]

# bytes of float32 scores one query block may take ([B, H, rows, S]): bounds the path's memory
DEFAULT_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class VideoTokens:
    """Where the sampled video's tokens sit in an attention call's sequence: frames x
    tokens_per_frame consecutive tokens from `start`, frame-major (ComfyUI flattens t, h, w)."""

    start: int
    frames: int
    tokens_per_frame: int

    @property
    def stop(self) -> int:
        return self.start + self.frames * self.tokens_per_frame


def additive_mask(mask: torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
    """ComfyUI's attention masks as a float tensor added to the logits, broadcastable to
    [B, H, Sq, Sk] (as comfy's attention_pytorch reads them: 2-d and 3-d masks gain leading
    dimensions; a bool mask keeps what is True)."""
    if mask is None:
        return None
    if mask.ndim == 2:
        mask = mask.unsqueeze(0)
    if mask.ndim == 3:
        mask = mask.unsqueeze(1)
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=torch.float32, device=device).masked_fill_(~mask.to(device), float("-inf"))
    return mask.to(device=device, dtype=torch.float32)


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """The [start, stop) ranges where flags are True."""
    runs, start = [], None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index))
            start = None
    return runs


def decayed_rows(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    plan: DecayPlan,
    video: VideoTokens,
    scale: float,
    mask: torch.Tensor | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> torch.Tensor:
    """The attention output of the video's query rows, [B, H, frames * tokens_per_frame, D], for
    q, k, v in [B, H, S, D] (one sequence: self-attention), in v's dtype. Scores are float32,
    one block of query rows at a time (at most block_bytes of them)."""
    batch, heads, seq, _ = q.shape
    if k.shape[1] != heads:  # grouped-query attention: each key head serves several query heads
        k = k.repeat_interleave(heads // k.shape[1], dim=1)
        v = v.repeat_interleave(heads // v.shape[1], dim=1)
    keys = k.float()
    keys = keys - keys.mean(dim=2, keepdim=True)
    keys_t = keys.transpose(-1, -2)
    values = v.float()
    additive = additive_mask(mask, q.device)
    per_frame = video.tokens_per_frame
    factors = plan.frame_factors().to(q.device)  # [T, T]
    anchored_keys = slice(video.start + plan.train_len * per_frame, video.stop) if plan.anchor else None
    rows_total = video.frames * per_frame
    rows_per_block = max(1, min(rows_total, block_bytes // max(1, batch * heads * seq * 4)))
    out = torch.empty((batch, heads, rows_total, v.shape[-1]), dtype=v.dtype, device=q.device)
    for first in range(0, rows_total, rows_per_block):
        last = min(first + rows_per_block, rows_total)
        # the scale on the (small) query block rather than on the scores: one pass fewer
        scores = torch.matmul(q[:, :, video.start + first : video.start + last].float() * scale, keys_t)
        # per (query row, key frame): the factor of their frames, broadcast over the key frame's
        # tokens; key frames every row of the block leaves at 1 (inside all their windows) are skipped
        row_frames = torch.arange(first, last, device=q.device) // per_frame
        for lo, hi in _runs((factors[row_frames] < 1).any(dim=0).tolist()):
            row_factors = factors[row_frames, lo:hi][:, :, None]  # [rows, key frames, 1]
            keys = slice(video.start + lo * per_frame, video.start + hi * per_frame)
            video_scores = scores[..., keys].unflatten(-1, (hi - lo, per_frame))
            video_scores.copy_(torch.minimum(video_scores, video_scores * row_factors))  # works under autograd too
        if anchored_keys is not None and first < per_frame:
            scores[:, :, : per_frame - first, anchored_keys] = float("-inf")
        if additive is not None:
            rows = slice(video.start + first, video.start + last) if additive.shape[-2] > 1 else slice(None)
            scores += additive[..., rows, :]
        # softmax with the exponentials written over the scores and the sum divided out of the
        # (much smaller) output: no second [rows, S] buffer
        scores = scores.sub_(scores.amax(dim=-1, keepdim=True)).exp_()
        weighted = torch.matmul(scores, values) / scores.sum(dim=-1, keepdim=True)
        out[:, :, first:last] = weighted.to(v.dtype)
    return out


def attention_with_decay(
    attention: Callable,
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    heads: int,
    plan: DecayPlan,
    video: VideoTokens,
    mask: torch.Tensor | None = None,
    skip_reshape: bool = False,
    skip_output_reshape: bool = False,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    rows: Callable | None = None,
    **kwargs,
) -> torch.Tensor:
    """A self-attention call in ComfyUI's conventions (q, k, v [B, S, H*D], or [B, H, S, D] with
    skip_reshape; the output [B, S, H*D], or [B, H, S, D] with skip_output_reshape) with the
    decay on the video's rows and `attention` (the model's own function, same arguments) on
    every other row. rows: the function that computes the video's rows, decayed_rows's
    arguments less block_bytes (riflex/decay_flex.py picks it per device); default the exact
    block path."""
    if skip_reshape:
        q4, k4, v4 = q, k, v
    else:
        batch, seq, width = q.shape
        q4, k4, v4 = (t.view(batch, t.shape[1], heads, -1).transpose(1, 2) for t in (q, k, v))
    scale = kwargs.get("scale") or q4.shape[-1] ** -0.5
    if rows is None:
        video_out = decayed_rows(q4, k4, v4, plan, video, scale, mask, block_bytes)
    else:
        video_out = rows(q4, k4, v4, plan, video, scale, mask)
    seq = q4.shape[2]
    pieces = []
    for rows in (slice(0, video.start), slice(video.start, video.stop), slice(video.stop, seq)):
        if rows.stop <= rows.start:
            continue
        if rows.start == video.start:
            pieces.append(video_out)
            continue
        # the model's own attention on the other tokens' rows, against every key
        q_rows = q[:, :, rows] if skip_reshape else q[:, rows]
        row_mask = mask
        if mask is not None and mask.ndim >= 2 and mask.shape[-2] == seq:
            row_mask = mask[..., rows, :]
        other = attention(
            q_rows, k, v, heads, mask=row_mask, skip_reshape=skip_reshape, skip_output_reshape=True, **kwargs
        )
        pieces.append(other)
    out = torch.cat(pieces, dim=2)
    if skip_output_reshape:
        return out
    return out.transpose(1, 2).reshape(out.shape[0], seq, -1)
