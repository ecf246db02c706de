"""The FlexAttention path against the exact block path (the reference) and the dense reference
written from the issue's pinned semantics, on CPU at tiny sizes: eagerly (which FlexAttention
allows for testing) for every layout, and compiled (inductor's C++ kernel, what a device runs)
for the layouts that differ in what the kernel reads. Also: one compile per (shape, dtype,
device) shared between threads, and no [S, S] allocation in the compiled kernel."""

from __future__ import annotations

import os
import threading
import time
import warnings

import pytest
import torch
from dense_decay_reference import dense_reference

from riflex import decay_flex
from riflex.decay_attention import VideoTokens, attention_with_decay, decayed_rows
from riflex.decay_flex import fastest_decayed_rows, flex_decayed_rows, kernel_for, prefers_flex
from riflex.decay_plan import DecayPlan, HarmonicBand

pytestmark = pytest.mark.skipif(not decay_flex.flex_available(), reason="this torch has no FlexAttention")


@pytest.fixture(autouse=True)
def _quiet_eager_flex():
    # eager FlexAttention warns that it builds the full score matrix: that is what the tiny eager cases want
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="flex_attention called without torch.compile")
        yield


def qkv(batch, heads, seq, dim, seed=0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(batch, heads, seq, dim, generator=generator) for _ in range(3))
    # a common offset on the keys makes the centring (k - mean k) matter for the decay
    return tuple(t.to(dtype) for t in (q * 2, k * 2 + 0.7, v))


def plan(frames, train_len, alpha=0.9, beta=0.6, window=None, bands=(), anchor=False):
    bands = tuple(HarmonicBand(0, 0.0, 0.0, first, last) for first, last in bands)
    return DecayPlan(frames, train_len, alpha, beta, train_len / 2 if window is None else window, anchor, bands)


def relative_error(actual, expected):
    return float((actual.double() - expected.double()).abs().max() / expected.double().abs().max())


# (frames, per_frame, tokens before the video, tokens after it, anchor, bands, mask kind)
LAYOUTS = {
    "wan": (12, 3, 0, 0, True, (), None),
    "wan_reference_and_context": (12, 3, 3, 5, True, (), None),
    "hunyuan_text_first_padding": (16, 2, 7, 0, False, ((6, 7), (12, 13)), "keys"),
    "hunyuan_full_mask": (10, 2, 4, 0, False, ((3, 4),), "full"),
    "band_inside_window": (9, 5, 0, 0, False, ((3, 3),), None),
}


def layout_inputs(name, dtype=torch.float32, heads=3, dim=8):
    frames, per_frame, before, after, anchor, bands, mask_kind = LAYOUTS[name]
    seq = before + frames * per_frame + after
    q, k, v = qkv(2, heads, seq, dim, dtype=dtype)
    mask = None
    if mask_kind == "keys":  # HunyuanVideo's padded text: [B, 1, S] additive, on the keys
        mask = torch.zeros(2, 1, seq)
        mask[1, :, before - 2 : before] = float("-inf")
    elif mask_kind == "full":  # a [B, S, S] mask with different rows
        mask = torch.zeros(2, seq, seq)
        mask[:, before:, 1] = float("-inf")
        mask[0, :, 2] = -3.0
    decay = plan(frames, 4, bands=bands, anchor=anchor)
    video = VideoTokens(before, frames, per_frame)
    return q, k, v, decay, video, mask


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_eager_flex_matches_the_exact_path_and_the_dense_reference(name):
    q, k, v, decay, video, mask = layout_inputs(name)
    exact = decayed_rows(q, k, v, decay, video, 8**-0.5, mask)
    flex = flex_decayed_rows(q, k, v, decay, video, 8**-0.5, mask, compiled=False)
    assert relative_error(flex, exact) < 1e-5
    dense_mask = None if mask is None else (mask.unsqueeze(1) if mask.ndim == 3 else mask)
    frames, per_frame, before = video.frames, video.tokens_per_frame, video.start
    bands = [(b.first, b.last) for b in decay.bands]
    dense = dense_reference(q, k, v, frames, per_frame, before, 4, 0.9, 0.6, 2.0, bands, decay.anchor, dense_mask)
    assert relative_error(flex, dense[:, :, video.start : video.stop]) < 1e-5


@pytest.mark.parametrize(
    "name, dtype, tolerance",
    [
        ("wan_reference_and_context", torch.float32, 1e-5),
        ("hunyuan_text_first_padding", torch.float32, 1e-5),
        ("wan", torch.bfloat16, 1e-2),
        ("hunyuan_text_first_padding", torch.bfloat16, 1e-2),
    ],
)
def test_compiled_flex_matches_the_exact_path(name, dtype, tolerance):
    """What runs on a GPU, compiled here by inductor for the CPU: within 1e-5 relative of the
    exact path in float32, 1e-2 in bf16 (the same bf16 inputs; the exact path scores in float32)."""
    q, k, v, decay, video, mask = layout_inputs(name, dtype, heads=2, dim=16)
    exact = decayed_rows(q, k, v, decay, video, 16**-0.5, mask)
    compiled = flex_decayed_rows(q, k, v, decay, video, 16**-0.5, mask)
    assert compiled.dtype == dtype and compiled.shape == exact.shape
    error = relative_error(compiled, exact)
    assert error < tolerance
    # the decay is really applied: the plain softmax differs by far more than the tolerance
    plain = torch.softmax((q.double() @ k.double().transpose(-1, -2)) * 16**-0.5, dim=-1) @ v.double()
    assert relative_error(compiled, plain[:, :, video.start : video.stop]) > 10 * error


def test_a_non_default_scale_is_honoured():
    q, k, v, decay, video, mask = layout_inputs("wan")
    exact = decayed_rows(q, k, v, decay, video, 0.11, mask)
    assert relative_error(flex_decayed_rows(q, k, v, decay, video, 0.11, mask, compiled=False), exact) < 1e-5


def test_compiled_once_per_shape_and_reused_for_any_plan_and_from_threads():
    """A new latent of the same shape (other alpha, window, anchor) reuses the kernel without
    tracing again; two threads that arrive together compile it once."""
    frames, per_frame = 6, 4
    q, k, v = qkv(1, 2, frames * per_frame, 16, seed=5)
    video = VideoTokens(0, frames, per_frame)
    compiles, results = [], {}

    def worker(index, decay):
        results[index] = flex_decayed_rows(q, k, v, decay, video, 0.25, on_compiled=compiles.append)

    first, second = plan(frames, 2, anchor=True), plan(frames, 2, alpha=0.5, window=1.0, anchor=False)
    threads = [threading.Thread(target=worker, args=(i, p)) for i, p in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(compiles) == 1 and compiles[0] > 0
    for index, decay in enumerate((first, second)):
        assert relative_error(results[index], decayed_rows(q, k, v, decay, video, 0.25)) < 1e-5
    third = plan(frames, 3, alpha=0.7, bands=((2, 2),))
    with torch._dynamo.config.patch(error_on_recompile=True):  # a recompile would raise here
        again = flex_decayed_rows(q, k, v, third, video, 0.25, on_compiled=compiles.append)
    assert len(compiles) == 1
    assert relative_error(again, decayed_rows(q, k, v, third, video, 0.25)) < 1e-5


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_compiled_kernel_never_builds_the_score_matrix():
    """8,192 tokens: a full [S, S] of float32 scores would be 256 MiB per head; the compiled
    kernel's peak above its inputs stays a small fraction of one."""
    torch.set_grad_enabled(False)
    frames, per_frame, heads = 64, 128, 1
    seq = frames * per_frame
    q, k, v = qkv(1, heads, seq, 16, seed=7)
    decay, video = plan(frames, 16, anchor=True), VideoTokens(0, frames, per_frame)
    flex_decayed_rows(q, k, v, decay, video, 0.25)  # compile (not measured)
    base, peak, done = _resident_bytes(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _resident_bytes() - base)
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(3):
            flex_decayed_rows(q, k, v, decay, video, 0.25)
    finally:
        done.set()
        watcher.join()
    full_scores = heads * seq * seq * 4
    assert peak[0] < full_scores / 8, f"peak {peak[0] / 2**20:.0f} MiB vs [S, S] {full_scores / 2**20:.0f} MiB"


def test_path_is_chosen_by_device_from_the_measured_table(monkeypatch):
    assert prefers_flex(torch.device("cuda")) is True  # FlexAttention's fused Triton kernel
    assert prefers_flex(torch.device("cpu")) is decay_flex.FLEX_FASTER_ON["cpu"]
    q, k, v, decay, video, mask = layout_inputs("wan")
    calls = []
    monkeypatch.setattr(decay_flex, "flex_decayed_rows", lambda *a, **kw: calls.append("flex") or decayed_rows(*a))
    monkeypatch.setitem(decay_flex.FLEX_FASTER_ON, "cpu", False)
    fastest_decayed_rows(q, k, v, decay, video, 8**-0.5, mask)
    assert calls == []
    monkeypatch.setitem(decay_flex.FLEX_FASTER_ON, "cpu", True)
    fastest_decayed_rows(q, k, v, decay, video, 8**-0.5, mask)
    assert calls == ["flex"]


def test_a_failing_flex_falls_back_to_the_exact_path_once(monkeypatch, caplog):
    q, k, v, decay, video, mask = layout_inputs("hunyuan_text_first_padding")
    monkeypatch.setitem(decay_flex.FLEX_FASTER_ON, "cpu", True)
    monkeypatch.setattr(decay_flex, "_FAILED", set())
    attempts = []

    def broken(*args, **kwargs):
        attempts.append(1)
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(decay_flex, "flex_decayed_rows", broken)
    exact = decayed_rows(q, k, v, decay, video, 8**-0.5, mask)
    for _ in range(2):
        assert torch.equal(fastest_decayed_rows(q, k, v, decay, video, 8**-0.5, mask), exact)
    assert attempts == [1]
    assert "FlexAttention failed (no C++ compiler)" in caplog.text


def test_attention_with_decay_takes_the_row_function():
    """The ComfyUI-facing call with the flex rows: text rows the model's own, video rows decayed."""
    q, k, v, decay, video, mask = layout_inputs("hunyuan_text_first_padding", heads=2)

    def own(q, k, v, heads, mask=None, skip_reshape=False, skip_output_reshape=False, **kwargs):
        if mask is not None and mask.ndim == 3:
            mask = mask.unsqueeze(1)
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    def flex_rows(*args):
        return flex_decayed_rows(*args, compiled=False)

    args = (own, q, k, v, 2, decay, video)
    exact = attention_with_decay(*args, mask=mask, skip_reshape=True, skip_output_reshape=True)
    fast = attention_with_decay(*args, mask=mask, skip_reshape=True, skip_output_reshape=True, rows=flex_rows)
    assert relative_error(fast, exact) < 1e-5


def test_kernels_are_keyed_and_bounded():
    first = kernel_for(("test-key", 1), compiled=False)
    assert kernel_for(("test-key", 1), compiled=False) is first
    for index in range(decay_flex.MAX_KERNELS + 1):
        kernel_for(("test-key-fill", index), compiled=False)
    assert len(decay_flex._KERNELS) <= decay_flex.MAX_KERNELS


def test_every_compiled_kernel_has_its_own_code_object():
    """Dynamo keeps compiled graphs and its recompile budget per code object: one per kernel
    means a session with many latent shapes never exhausts it and silently runs eagerly (which
    would build the full score matrix)."""
    first, second = kernel_for(("own-code", 1)), kernel_for(("own-code", 2))
    original = [kernel.function._torchdynamo_orig_callable for kernel in (first, second)]
    assert original[0].__code__ is not original[1].__code__
    assert original[0].__code__.co_code == original[1].__code__.co_code  # the same function, copied
    assert first.lock is second.lock  # compiling is serialised across kernels


def test_a_mask_flex_cannot_read_goes_to_the_exact_path(monkeypatch):
    """A mask that broadcasts over the keys ([B, 1, 1]: one value per batch) has no per-key entry
    for score_mod to read: the exact path takes it, with the same result as asked directly."""
    monkeypatch.setitem(decay_flex.FLEX_FASTER_ON, "cpu", True)
    calls = []
    monkeypatch.setattr(decay_flex, "flex_decayed_rows", lambda *a, **kw: calls.append("flex"))
    q, k, v, decay, video, _ = layout_inputs("wan")
    mask = torch.tensor([0.0, -2.0]).reshape(2, 1, 1)
    got = fastest_decayed_rows(q, k, v, decay, video, 8**-0.5, mask)
    assert calls == []
    assert torch.equal(got, decayed_rows(q, k, v, decay, video, 8**-0.5, mask))
