"""The fast attention-decay path: PyTorch's FlexAttention with a `score_mod` that applies the same
rule as the exact block path (riflex/decay_attention.py), compiled once per (shape, dtype,
device) and reused on every later call.

FlexAttention hands score_mod each logit s = scale * q . k together with its (batch, head,
query, key) indices; the keys given to it are already mean-centred, so s is the rule's logit,
and the mod returns min(s, f(d) * s) for a video pair d frames apart, -inf for an anchored pair
and s otherwise. The compiled kernel works on tiles and never holds more than a tile of scores:
no [S, S] anywhere (the block mask FlexAttention builds by default is [S/128, S/128]).

Which path runs is chosen per device from a table (FLEX_FASTER_ON; the CPU entry measured with
bench/bench_decay.py), not by a user setting. The exact block path stays the fallback (an
unsupported mask, a shape the compiler refuses) and the reference the tests check this one against.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import types
from dataclasses import dataclass

import torch

from .decay_attention import additive_mask
from .decay_plan import DecayPlan

__all__ = [
    "FLEX_FASTER_ON",
    "CompiledKernel",
    "fastest_decayed_rows",
    "flex_available",
    "flex_decayed_rows",
    "kernel_for",
    "prefers_flex",
]

log = logging.getLogger(__name__)

# device type -> whether the compiled FlexAttention path beats the exact block path there.
# cpu: measured with bench/bench_decay.py (2 cores, float32: FlexAttention 2-3x slower than the
# exact path at 2,688-5,376 tokens; the README's Benchmark section has the numbers). cuda: not
# measured yet (no GPU was available); FlexAttention's Triton kernel is the fused tile loop the
# reference's own kernel is, where the exact path would run many small kernels per query block.
# Rerun `python bench/bench_decay.py --gpu-target` on a GPU and update this entry from it.
FLEX_FASTER_ON = {"cuda": True, "cpu": False}


def flex_available() -> bool:
    try:
        from torch.nn.attention.flex_attention import flex_attention  # noqa: F401
    except ImportError:
        return False
    return True


def prefers_flex(device: torch.device) -> bool:
    """Whether attention decay on `device` should take the compiled FlexAttention path."""
    return FLEX_FASTER_ON.get(torch.device(device).type, False) and flex_available()


@dataclass
class CompiledKernel:
    """One compiled FlexAttention for one (shape, dtype, device): `compile_seconds` is the time
    its first call took (tracing and compiling), None until then; `lock` serialises compiling."""

    key: tuple
    function: object
    compile_seconds: float | None = None
    lock: threading.Lock | None = None


_KERNELS: dict[tuple, CompiledKernel] = {}
_KERNELS_LOCK = threading.Lock()
# compiling is rare and dynamo's tracing is not meant to run in two threads at once: one at a time
_COMPILE_LOCK = threading.Lock()
_KERNEL_NUMBERS = itertools.count()
MAX_KERNELS = 8


def _decay_flex(q, k, v, factors, start, per_frame, train_len, anchor, additive, mask_strides, scale):
    """Decayed attention of the query rows q [B, H, Sq, D] (the video's, from token `start` of
    the key sequence) against the centred keys k [B, H, S, D]. factors: [frames] the factor per
    frame distance; start, per_frame, train_len, anchor: 0-d int tensors (tensors, not Python
    numbers, so that a new latent with the same shape reuses the compiled kernel); additive: a
    float mask [Bm, Hm, Qm, S] or None; mask_strides: which of its dims broadcast (static)."""
    from torch.nn.attention.flex_attention import flex_attention

    frames = factors.shape[0]

    def score_mod(score, b, h, q_idx, kv_idx):
        query_frame = q_idx // per_frame
        key_offset = kv_idx - start
        key_frame = torch.where(key_offset >= 0, key_offset // per_frame, -1)
        video_key = (key_frame >= 0) & (key_frame < frames)
        distance = torch.clamp((query_frame - key_frame).abs(), 0, frames - 1)
        factor = torch.where(video_key, factors[distance], 1.0)
        score = torch.minimum(score, score * factor)
        anchored = video_key & (anchor > 0) & (query_frame == 0) & (key_frame >= train_len)
        score = torch.where(anchored, -float("inf"), score)
        if additive is not None:
            b_i = b if mask_strides[0] else 0
            h_i = h if mask_strides[1] else 0
            q_i = q_idx + start if mask_strides[2] else 0
            score = score + additive[b_i, h_i, q_i, kv_idx]
        return score

    return flex_attention(q, k, v, score_mod=score_mod, scale=scale)


def kernel_for(key: tuple, compiled: bool = True) -> CompiledKernel:
    """The kernel for `key` (shapes, dtype, device, mask layout), made once and shared between
    threads: the dict is guarded by a lock, and first (compiling) calls by one compile lock."""
    with _KERNELS_LOCK:
        kernel = _KERNELS.get(key)
        if kernel is None:
            if len(_KERNELS) >= MAX_KERNELS:
                _KERNELS.pop(next(iter(_KERNELS)))
            function = _decay_flex
            if compiled:
                # a copy of the function's code per kernel: dynamo keeps its compiled graphs and
                # their recompile budget per code object, so every shape gets its own and a long
                # session of many shapes never falls back to eager (which would build [S, S])
                own_code = _decay_flex.__code__.replace(co_name=f"_decay_flex_{next(_KERNEL_NUMBERS)}")
                function = types.FunctionType(own_code, _decay_flex.__globals__, own_code.co_name)
                function = torch.compile(function, dynamic=False, fullgraph=True)
            kernel = CompiledKernel(key, function, None if compiled else 0.0, _COMPILE_LOCK)
            _KERNELS[key] = kernel
    return kernel


def flex_decayed_rows(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    plan: DecayPlan,
    video,
    scale: float,
    mask: torch.Tensor | None = None,
    compiled: bool = True,
    on_compiled=None,
) -> torch.Tensor:
    """As decayed_rows (same arguments, same result within float rounding): the attention
    output of the video's query rows, [B, H, frames * tokens_per_frame, D], in v's dtype.
    compiled=False runs FlexAttention eagerly (tests at tiny sizes only: eager FlexAttention
    builds the full score matrix). on_compiled(seconds) is called once, by the call that
    compiled the kernel."""
    batch, heads, seq, dim = q.shape
    if k.shape[1] != heads:
        k = k.repeat_interleave(heads // k.shape[1], dim=1)
        v = v.repeat_interleave(heads // v.shape[1], dim=1)
    dtype = v.dtype
    # the mean in float32, as the exact path takes it, without a float32 copy of the keys (at
    # 131k tokens that copy alone would be 0.8 GB); the kernel reads strided q, k, v as they come
    mean = k.mean(dim=2, keepdim=True, dtype=torch.float32)
    keys = k.to(dtype) - mean.to(dtype)
    rows = q[:, :, video.start : video.stop].to(dtype)
    values = v
    additive = additive_mask(mask, q.device)
    mask_strides = None
    if additive is not None:
        additive = additive[..., -seq:] if additive.shape[-1] > seq else additive
        mask_strides = tuple(size > 1 for size in additive.shape[:3])
        additive = additive.contiguous()
    device = q.device
    factors = plan.distance_factors().to(device)
    numbers = [torch.tensor(n, device=device) for n in (video.start, video.tokens_per_frame, plan.train_len)]
    anchor = torch.tensor(int(plan.anchor), device=device)
    key = (
        tuple(rows.shape),
        tuple(keys.shape),
        str(dtype),
        str(device),
        plan.frames,
        None if additive is None else (tuple(additive.shape), mask_strides),
    )
    kernel = kernel_for((*key, float(scale), compiled), compiled)
    arguments = (rows, keys, values, factors, *numbers, anchor, additive, mask_strides, float(scale))
    if kernel.compile_seconds is None:
        with kernel.lock:  # one thread compiles; others wait for it and reuse the kernel
            if kernel.compile_seconds is None:
                started = time.perf_counter()
                out = kernel.function(*arguments)
                kernel.compile_seconds = time.perf_counter() - started
                log.info("RIFLEx attention decay: FlexAttention compiled for %s in %.1f s", key, kernel.compile_seconds)
                if on_compiled is not None:
                    on_compiled(kernel.compile_seconds)
                return out
    return kernel.function(*arguments)


def _mask_supported(mask: torch.Tensor | None, seq: int) -> bool:
    """Masks FlexAttention's score_mod can read per (batch, head, query, key): 2-d to 4-d, the
    last dimension the keys."""
    return mask is None or (2 <= mask.ndim <= 4 and mask.shape[-1] >= seq)


_FAILED: set[tuple] = set()


def fastest_decayed_rows(q, k, v, plan, video, scale, mask=None, on_compiled=None):
    """The video's decayed rows by the path measured fastest on q's device (FLEX_FASTER_ON):
    compiled FlexAttention, or the exact block path, which is also where a FlexAttention that
    fails to compile on this machine falls back (once per shape, with a warning)."""
    from .decay_attention import decayed_rows

    failure_key = (tuple(q.shape), str(q.dtype), str(q.device))
    if prefers_flex(q.device) and _mask_supported(mask, k.shape[2]) and failure_key not in _FAILED:
        try:
            return flex_decayed_rows(q, k, v, plan, video, scale, mask, on_compiled=on_compiled)
        except Exception as error:  # a compiler missing or refusing: the exact path gives the same result
            _FAILED.add(failure_key)
            log.warning("RIFLEx attention decay: FlexAttention failed (%s); using the exact block path", error)
    return decayed_rows(q, k, v, plan, video, scale, mask)
