"""The replacements for method-based RoPEs (CogVideoX, Cosmos, LTX), against stand-ins that
compute tables the way those models do: only the planned components change, the rest is the
model's own output bit for bit, and without a plan key the model's method runs untouched."""

from __future__ import annotations

import math

import pytest
import torch

from riflex.families import FAMILIES
from riflex.frequencies import axis_frequencies
from riflex.ltx_time import ltx_grid, ltx_temporal_freqs, ltx_time_step
from riflex.rewrite_rope import (
    RIFLExCogVideoXRope,
    RIFLExCosmosRope,
    RIFLExLTXGrid,
    cogvideox_axes_dims,
    cosmos_axes_dims,
)


def cogvideox_table(h, w, t, device=None, theta=10000.0, head_dim=64):
    """CogVideoX's _get_rotary_emb (ComfyUI 0.33, 1.5 'slice' mode): float32, interleaved pairs."""
    out_cos, out_sin = [], []
    for dim, n, shape in zip(cogvideox_axes_dims(head_dim), (t, h, w), ((t, 1, 1), (1, h, 1), (1, 1, w)), strict=True):
        freqs = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
        angles = torch.outer(torch.arange(n, dtype=torch.float32), freqs)
        cos = angles.cos().repeat_interleave(2, dim=-1).view(*shape, dim).expand(t, h, w, dim)
        sin = angles.sin().repeat_interleave(2, dim=-1).view(*shape, dim).expand(t, h, w, dim)
        out_cos.append(cos)
        out_sin.append(sin)
    return torch.cat(out_cos, -1).reshape(t * h * w, -1), torch.cat(out_sin, -1).reshape(t * h * w, -1)


def unchanged_axes(theta, dims):
    return tuple(axis_frequencies(theta, d) for d in dims)


def test_cogvideox_changes_only_component_k_of_time():
    dims = cogvideox_axes_dims(64)
    base = unchanged_axes(10000.0, dims)
    new_k = 0.9 * 2 * math.pi / 26
    planned = (base[0].clone(), base[1], base[2])
    planned[0][1] = new_k
    rope = RIFLExCogVideoXRope(
        cogvideox_table,
        base,
        lambda key: planned,
        lambda h, w, t: (
            torch.arange(t, dtype=torch.float32),
            torch.arange(h, dtype=torch.float32),
            torch.arange(w, dtype=torch.float32),
        ),
    )
    own = cogvideox_table(3, 4, 26)
    assert all(torch.equal(a, b) for a, b in zip(rope(3, 4, 26), own, strict=True))  # no plan key: the model's own
    rope.plan_key = "video"
    cos, sin = rope(3, 4, 26)
    changed = (cos != own[0]).any(dim=0) | (sin != own[1]).any(dim=0)
    assert changed.nonzero().flatten().tolist() == [2, 3]  # the interleaved pair of time component 2
    angles = torch.atan2(sin.view(26, 3, 4, -1)[:, 0, 0, 2], cos.view(26, 3, 4, -1)[:, 0, 0, 2]).to(torch.float64)
    expected = torch.remainder(torch.arange(26, dtype=torch.float64) * new_k + math.pi, 2 * math.pi) - math.pi
    assert angles.tolist() == pytest.approx(expected.tolist(), abs=3e-6)
    assert rope(3, 4, 26)[0] is cos  # cached per shape and plan
    rope.clear_tables()
    assert not rope._tables


def cosmos_table(B_T_H_W_C, fps=None, h_ntk_factor=None, w_ntk_factor=None, t_ntk_factor=None, device=None, dtype=None):
    """Cosmos VideoRopePosition3DEmb.generate_embeddings, time axis with base t_theta, fps modulation on."""
    _, T, H, W, _ = B_T_H_W_C
    dims = cosmos_axes_dims(128)
    t_theta = 10000.0 * 2.0 ** (44 / 42)
    blocks = []
    for dim, theta, n, shape in zip(
        dims, (t_theta, 10000.0, 10000.0), (T, H, W), ((T, 1, 1), (1, H, 1), (1, 1, W)), strict=True
    ):
        freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))
        pos = torch.arange(n, dtype=torch.float)
        if fps is not None and theta == t_theta:
            pos = pos / fps * 24
        angles = torch.outer(pos, freqs)
        m = torch.stack([angles.cos(), -angles.sin(), angles.sin(), angles.cos()], -1).view(*shape, dim // 2, 4)
        blocks.append(m.expand(T, H, W, dim // 2, 4))
    return torch.cat(blocks, -2).reshape(T * H * W, -1, 2, 2)


@pytest.mark.parametrize("fps", [None, 30.0])
def test_cosmos_changes_only_time_pair_k_at_the_modules_own_positions(fps):
    t_theta = 10000.0 * 2.0 ** (44 / 42)
    base = unchanged_axes(t_theta, cosmos_axes_dims(128))
    planned = (base[0].clone(), base[1], base[2])
    planned[0][3] = 0.9 * 2 * math.pi / 33
    rope = RIFLExCosmosRope(cosmos_table, base, lambda key: planned, base_fps=24, fps_modulation=True)
    shape = (1, 33, 2, 2, 8)
    own = cosmos_table(shape, fps=fps)
    rope.plan_key = "video"
    table = rope(shape, fps=fps)
    changed_pairs = (table != own).flatten(2).any(dim=-1).any(dim=0).nonzero().flatten().tolist()
    assert changed_pairs == [3]
    positions = torch.arange(33, dtype=torch.float64) * (1.0 if fps is None else 24 / fps)
    angle = torch.atan2(
        table.view(33, 2, 2, -1, 2, 2)[:, 0, 0, 3, 1, 0], table.view(33, 2, 2, -1, 2, 2)[:, 0, 0, 3, 0, 0]
    )
    expected = torch.remainder(positions * planned[0][3] + math.pi, 2 * math.pi) - math.pi
    assert angle.double().tolist() == pytest.approx(expected.tolist(), abs=3e-6)
    # a caller that brings its own time base is not second-guessed
    assert torch.equal(rope(shape, fps=fps, t_ntk_factor=1.0), cosmos_table(shape, fps=fps, t_ntk_factor=1.0))


def test_ltx_periods_follow_the_derivation():
    # period_i = 5 * fps / 10000^(i/(n-1)) latent frames (riflex/ltx_time.py)
    n, fps = 341, 25.0
    freqs = ltx_temporal_freqs(ltx_grid(10000.0, n), ltx_time_step(8, 20, fps))
    periods = [2 * math.pi / f for f in freqs][::-1]  # slowest first, like the grid
    assert periods == pytest.approx([5 * fps / 10000 ** (i / (n - 1)) for i in range(n)], rel=1e-12)
    assert periods[0] == pytest.approx(125.0)
    spec = FAMILIES["ltxv"].spec()
    assert spec.train_len == 33 and torch.equal(spec.axis_freqs(0), torch.tensor(freqs, dtype=torch.float64))


def test_ltx_grid_gets_a_time_row_only_for_three_axis_positions():
    grid = torch.tensor(ltx_grid(10000.0, 42), dtype=torch.float32)
    step = ltx_time_step(8, 20)
    time = torch.tensor(ltx_temporal_freqs(grid, step), dtype=torch.float64)
    planned = (time.clone(), time, time)
    planned[0][10] = 0.9 * 2 * math.pi / 65
    rope = RIFLExLTXGrid(lambda theta, n_axes, inner, device=None: grid, (time, time, time), lambda key: planned, step)
    assert rope(10000.0, 3, 256) is grid  # no plan key
    rope.plan_key = "video"
    out = rope(10000.0, 3, 256)
    assert out.shape == (3, 42)
    assert torch.equal(out[1], grid) and torch.equal(out[2], grid)
    assert (out[0] != grid).nonzero().flatten().tolist() == [42 - 1 - 10]  # fastest first -> slowest-first grid
    assert float(out[0][31]) * step == pytest.approx(0.9 * 2 * math.pi / 65, rel=1e-6)
    assert rope(10000.0, 1, 256) is grid  # LTX-2 audio and cross-attention: untouched
