"""The exact attention-decay path against a dense reference written here from the issue's pinned
semantics (one full [S, S] score matrix, built only in this test), for the token layouts of
the families the node supports: Wan (the whole sequence is video), Wan with reference tokens in
front and context tokens behind, HunyuanVideo (text first, a padding mask on it)."""

from __future__ import annotations

import math

import pytest
import torch
from dense_decay_reference import dense_reference

from riflex.decay_attention import VideoTokens, attention_with_decay, decayed_rows
from riflex.decay_plan import DecayPlan, DecaySettings, HarmonicBand, plan_decay
from riflex.frequencies import axis_frequencies


def plain(q, k, v, mask=None):
    scores = (q.double() @ k.double().transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask.double()
    return torch.softmax(scores, dim=-1) @ v.double()


def sdpa_in_comfy_layout(q, k, v, heads, mask=None, skip_reshape=False, skip_output_reshape=False, **kwargs):
    """A stand-in for the model's own attention function, with ComfyUI's argument conventions."""
    if not skip_reshape:
        q, k, v = (t.view(t.shape[0], t.shape[1], heads, -1).transpose(1, 2) for t in (q, k, v))
    if mask is not None and mask.ndim == 3:
        mask = mask.unsqueeze(1)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return out if skip_output_reshape else out.transpose(1, 2).reshape(out.shape[0], out.shape[2], -1)


def qkv(batch, heads, seq, dim, seed=0):
    generator = torch.Generator().manual_seed(seed)
    # a common offset on the keys makes the smoothing (k - mean k) matter for the decay
    q, k, v = (torch.randn(batch, heads, seq, dim, generator=generator) for _ in range(3))
    return q * 2, k * 2 + 0.7, v


def plan(frames, train_len, alpha=0.9, beta=0.6, window=None, bands=(), anchor=False):
    bands = tuple(HarmonicBand(0, 0.0, 0.0, first, last) for first, last in bands)
    return DecayPlan(frames, train_len, alpha, beta, train_len / 2 if window is None else window, anchor, bands)


def relative_error(actual, expected):
    return float((actual.double() - expected).abs().max() / expected.abs().max())


@pytest.mark.parametrize(
    "frames, per_frame, before, after, anchor, bands",
    [
        (12, 3, 0, 0, True, ()),  # Wan: every token is video, first frame anchored
        (12, 3, 3, 5, True, ()),  # Wan with reference tokens in front and context tokens behind
        (16, 2, 7, 0, False, ((6, 7), (12, 13))),  # HunyuanVideo: text first, harmonic bands
        (9, 5, 0, 0, False, ((3, 3),)),  # a band inside the window still takes beta
    ],
)
def test_decayed_rows_match_the_dense_reference(frames, per_frame, before, after, anchor, bands):
    train_len = 4
    seq = before + frames * per_frame + after
    q, k, v = qkv(2, 3, seq, 8)
    decay = plan(frames, train_len, bands=bands, anchor=anchor)
    video = VideoTokens(before, frames, per_frame)
    expected = dense_reference(q, k, v, frames, per_frame, before, train_len, 0.9, 0.6, 2.0, bands, anchor)
    for block_bytes in (1, 700, 10**9):  # one row per block, a few rows (across frame edges), all rows
        got = decayed_rows(q, k, v, decay, video, 8**-0.5, block_bytes=block_bytes)
        assert relative_error(got, expected[:, :, before : before + frames * per_frame]) < 1e-5


def test_the_decay_changes_the_output_and_alpha_one_without_bands_or_anchor_does_not():
    q, k, v = qkv(1, 2, 40, 8)
    video = VideoTokens(0, 20, 2)
    decayed = decayed_rows(q, k, v, plan(20, 5), video, 8**-0.5)
    assert relative_error(decayed, plain(q, k, v)) > 1e-3
    unchanged = decayed_rows(q, k, v, plan(20, 5, alpha=1.0, beta=1.0), video, 8**-0.5)
    assert relative_error(unchanged, plain(q, k, v)) < 1e-5


def test_positive_logits_shrink_negative_ones_stay():
    """One query and two far keys: one positive logit, one negative. min(s, alpha s) shrinks the
    positive one; an additive log(alpha) would have moved both."""
    q = torch.tensor([[[[1.0, 0.0]]]])
    keys = torch.tensor([[[[0.0, 0.0], [4.0, 0.0], [-4.0, 0.0]]]])  # frames 0, 1, 2 (one token each)
    q = torch.cat([q, torch.zeros(1, 1, 2, 2)], dim=2)
    v = torch.eye(3).reshape(1, 1, 3, 3)
    alpha = 0.5
    out = decayed_rows(q, keys, v, plan(3, 1, alpha=alpha, window=0.5), VideoTokens(0, 3, 1), 1.0)[0, 0, 0]
    centred = keys[0, 0, :, 0] - keys[0, 0, :, 0].mean()  # the smoothing: mean over the keys
    logits = torch.stack([centred[0], min(centred[1], alpha * centred[1]), min(centred[2], alpha * centred[2])])
    assert logits[2] == centred[2]  # the negative logit stays
    assert torch.allclose(out, torch.softmax(logits, dim=0), atol=1e-6)


def test_anchor_gives_frame_zero_no_weight_beyond_the_training_length():
    q, k, v = qkv(1, 1, 30, 4)
    video = VideoTokens(0, 10, 3)
    weights_probe = torch.eye(30).reshape(1, 1, 30, 30)  # v = identity: the output row is the weights
    out = decayed_rows(q, k, weights_probe, plan(10, 4, anchor=True), video, 0.5)
    assert torch.all(out[0, 0, :3, 12:] == 0)  # frame 0 rows, keys in frames 4..9
    assert torch.all(out[0, 0, :3, :12] > 0)
    assert torch.all(out[0, 0, 3:, 12:] > 0)  # other frames are not anchored


@pytest.mark.parametrize("skip_reshape", [False, True])
def test_joint_attention_text_rows_are_the_models_own_and_the_mask_applies(skip_reshape):
    """HunyuanVideo's joint attention: text tokens first with a padding mask on the keys. The text
        rows are what the model's own function gives (on those rows alone: equal up to float32 summation
    order); the video rows match the reference."""
    heads, dim, text, frames, per_frame = 2, 8, 5, 10, 3
    seq = text + frames * per_frame
    q, k, v = qkv(1, heads, seq, dim, seed=3)
    mask = torch.zeros(1, 1, seq)
    mask[..., 3:5] = float("-inf")  # two padding text tokens
    decay = plan(frames, 4, bands=((6, 7),))
    video = VideoTokens(text, frames, per_frame)
    args = (q, k, v) if skip_reshape else tuple(t.transpose(1, 2).reshape(1, seq, heads * dim) for t in (q, k, v))
    got = attention_with_decay(
        sdpa_in_comfy_layout, *args, heads, decay, video, mask=mask, skip_reshape=skip_reshape, skip_output_reshape=True
    )
    own = sdpa_in_comfy_layout(*args, heads, mask=mask, skip_reshape=skip_reshape, skip_output_reshape=True)
    assert torch.allclose(got[:, :, :text], own[:, :, :text], rtol=1e-6, atol=1e-6)
    expected = dense_reference(q, k, v, frames, per_frame, text, 4, 0.9, 0.6, 2.0, ((6, 7),), False, mask.unsqueeze(1))
    assert relative_error(got[:, :, text:], expected[:, :, text:]) < 1e-5


def test_output_layout_follows_comfyui_conventions():
    q, k, v = qkv(2, 2, 24, 4)
    flat = tuple(t.transpose(1, 2).reshape(2, 24, 8) for t in (q, k, v))
    decay, video = plan(12, 4), VideoTokens(0, 12, 2)
    out = attention_with_decay(sdpa_in_comfy_layout, *flat, 2, decay, video)
    assert out.shape == (2, 24, 8)
    heads_first = attention_with_decay(sdpa_in_comfy_layout, *flat, 2, decay, video, skip_output_reshape=True)
    assert torch.equal(out, heads_first.transpose(1, 2).reshape(2, 24, 8))


def test_memory_stays_within_the_block_budget():
    """No [S, S] allocation: scores of one block of rows at a time (the block is what is asked for)."""
    seq, heads = 2048, 2
    q, k, v = qkv(1, heads, seq, 8)
    video = VideoTokens(0, 64, 32)
    budget = 256 * 1024  # 64 rows of 2048 float32 scores per head
    decay = plan(64, 16)
    allocations = []
    original_empty, original_matmul = torch.empty, torch.matmul

    def spy_matmul(a, b, *args, **kwargs):
        out = original_matmul(a, b, *args, **kwargs)
        allocations.append(out.numel())
        return out

    torch.matmul = spy_matmul
    try:
        decayed_rows(q, k, v, decay, video, 8**-0.5, block_bytes=budget)
    finally:
        torch.matmul = original_matmul
    assert original_empty is torch.empty
    assert max(allocations) * 4 <= budget
    assert max(allocations) < seq * seq


def test_plan_from_settings_resolves_window_anchor_and_bands():
    freqs = axis_frequencies(256.0, 16)  # HunyuanVideo's temporal RoPE
    decay = plan_decay(DecaySettings(), 132, 33, freqs, 4, anchor_by_default=False)
    assert decay.window == 16.5 and not decay.anchor and decay.active
    assert [(b.first, b.last) for b in decay.bands] == [(46, 54), (97, 105)]
    assert decay.factor_at(16) == 1.0 and decay.factor_at(17) == 0.9 and decay.factor_at(50) == 0.6
    on = plan_decay(DecaySettings(anchor_first_frame="on", window=3, beta=1.0), 40, 33, freqs, 4, False)
    assert on.anchor and on.window == 3 and on.bands == ()
    inside = plan_decay(DecaySettings(), 33, 33, freqs, 4, True)
    assert not inside.active and "attention unchanged" in inside.summary("hunyuan_video")


def test_runs_under_autograd_and_gives_the_same_result():
    """ComfyUI's worker threads start with grad mode on (torch.no_grad is per thread): the
    path (made for sampling, not training) must not fail on inputs that require grad."""
    q, k, v = qkv(1, 2, 24, 4)
    q.requires_grad_(True)
    decay, video = plan(12, 4, anchor=True), VideoTokens(0, 12, 2)
    with_grad = decayed_rows(q, k, v, decay, video, 0.5)
    with torch.no_grad():
        without = decayed_rows(q, k, v, decay, video, 0.5)
    assert torch.equal(with_grad.detach(), without)
