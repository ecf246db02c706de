"""The replacement RoPE module: Flux layout, chosen frequencies, caching, fallback."""

import math

import pytest
import torch
from torch import nn

from riflex import axis_frequencies
from riflex.embed_nd import TABLE_CACHE_SIZE, RIFLExEmbedND


class FakeEmbedND(nn.Module):
    """Stands in for comfy's EmbedND: only its attributes and a marker output are used here."""

    def __init__(self):
        super().__init__()
        self.dim, self.theta, self.axes_dim = 16, 256.0, [4, 6, 6]
        self.calls = 0

    def forward(self, ids):
        self.calls += 1
        return torch.zeros(1)


def expected_table(ids, axis_freqs):
    """[B, 1, L, sum(d)/2, 2, 2] with [[cos, -sin], [sin, cos]] of position * theta_j."""
    blocks = []
    for axis, freqs in enumerate(axis_freqs):
        angle = ids[..., axis].double()[..., None] * freqs
        c, s = torch.cos(angle), torch.sin(angle)
        blocks.append(torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2))
    return torch.cat(blocks, dim=-3).unsqueeze(1).float()


def grid_ids(t, h, w, t_start=0.0):
    tt, hh, ww = torch.meshgrid(
        torch.arange(t).float() + t_start, torch.arange(h).float(), torch.arange(w).float(), indexing="ij"
    )
    return torch.stack([tt, hh, ww], -1).reshape(1, -1, 3).float()


def make(planned_t=None):
    original = FakeEmbedND()
    base = [axis_frequencies(original.theta, d) for d in original.axes_dim]

    def plan(test_len):
        return (planned_t if planned_t is not None else base[0], base[1], base[2])

    return original, base, RIFLExEmbedND(original, plan)


def test_layout_and_values_match_the_rotation_formula():
    new_t = axis_frequencies(256.0, 4).clone()
    new_t[1] = 2 * math.pi * 0.9 / 40
    original, base, module = make(new_t)
    module.plan_key = 40
    ids = grid_ids(5, 2, 3)
    out = module(ids)
    assert out.shape == (1, 1, 30, 8, 2, 2) and out.dtype == torch.float32
    torch.testing.assert_close(out, expected_table(ids, [new_t, base[1], base[2]]), rtol=0, atol=1e-6)


def test_unknown_length_falls_back_to_the_original_module():
    original, _, module = make()
    module.plan_key = None
    module(grid_ids(2, 1, 1))
    assert original.calls == 1


def test_table_reused_only_for_identical_ids():
    _, _, module = make()
    module.plan_key = 10
    ids = grid_ids(4, 2, 2)
    first = module(ids)
    assert module(ids.clone()) is first  # same positions: cached table
    shifted = grid_ids(4, 2, 2, t_start=-1.0)  # same shape, other positions (reference latent at t=-1)
    other = module(shifted)
    assert other is not first
    torch.testing.assert_close(other, expected_table(shifted, module.axis_frequencies_on(10, torch.device("cpu"))))


def test_cache_is_bounded():
    _, _, module = make()
    module.plan_key = 10
    for t in range(1, 3 * TABLE_CACHE_SIZE):
        module(grid_ids(t, 1, 1))
    assert len(module._tables) == TABLE_CACHE_SIZE


def test_keeps_the_attributes_models_read():
    original, _, module = make()
    assert (module.dim, module.theta, module.axes_dim) == (original.dim, original.theta, original.axes_dim)
    assert "original" not in dict(module.named_children())  # the original stays owned by the model


@pytest.mark.parametrize("test_len", [3, 50])
def test_frequencies_computed_once_per_length(test_len):
    calls = []
    original = FakeEmbedND()

    def plan(n):
        calls.append(n)
        return tuple(axis_frequencies(original.theta, d) for d in original.axes_dim)

    module = RIFLExEmbedND(original, plan)
    module.plan_key = test_len
    for t in (2, 3, 4):
        module(grid_ids(t, 1, 1))
    assert calls == [test_len]


def test_clear_tables_frees_every_table():
    _, _, module = make()
    module.plan_key = 10
    module(grid_ids(3, 1, 1))
    module.clear_tables()
    assert len(module._tables) == 0
