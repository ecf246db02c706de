"""Benchmark: what RIFLEx Attention Decay costs, in a real ComfyUI with ComfyUI's own Wan classes,
on the device ComfyUI picks (a CUDA GPU when there is one, else the CPU).

    python bench/bench_decay.py [--comfyui DIR] [--json OUT.json] [--steps 12] [--dim 1024 ...]
    python bench/bench_decay.py --gpu-target     # Wan 2.1 1.3B size, 480p, 84 latent frames (4x), bf16

Re-runs itself with the found ComfyUI's Python (as bench_rope.py does). For each length (2x and
4x Wan 2.1's 21 latent frames) it prints medians, spreads and ratios, measured interleaved:
  1. the attention call alone: ComfyUI's optimized_attention (the default attention) against the
     decay on the exact block path and on the compiled FlexAttention path (q, k, v of the
     sampled video's self-attention at that length), with the one-off compile time apart;
  2. the sampling step of a random-weight Wan model with and without the node (which takes the
     path riflex/decay_flex.py picks for the device: FLEX_FASTER_ON);
  3. peak memory: of one attention call each way (CUDA: allocator peak; CPU: resident set
     sampled every millisecond), next to what a full [S, S] would take, and of a whole sampling
     run with and without the node.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rope import REPO, build_wan, reexec_under_comfyui, spread  # noqa: E402


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        import os

        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_during(call) -> int:
    """Peak resident memory above the level before `call`, sampled every millisecond."""
    import gc

    gc.collect()
    base, peak, done = resident_bytes(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], resident_bytes() - base)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        call()
    finally:
        done.set()
        watcher.join()
    return max(peak[0], resident_bytes() - base)


def device_and_dtype(args):
    import comfy.model_management
    import torch

    device = comfy.model_management.get_torch_device()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype] if args.dtype else None
    if dtype is None:
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    return device, dtype


def synchronize(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_of(call, device) -> int:
    """Peak memory above the level before `call`: CUDA allocator, or the CPU resident set."""
    import torch

    if device.type != "cuda":
        return peak_during(call)
    synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    call()
    synchronize(device)
    return torch.cuda.max_memory_allocated(device) - base


def bench_attention(pack, latent_frames, args) -> dict:
    import comfy.ldm.modules.attention as attention
    import torch

    decay_attention = __import__(f"{pack}.riflex.decay_attention", fromlist=["attention_with_decay"])
    decay_flex = __import__(f"{pack}.riflex.decay_flex", fromlist=["flex_decayed_rows"])
    decay_plan = __import__(f"{pack}.riflex.decay_plan", fromlist=["plan_decay"])
    riflex = __import__(f"{pack}.riflex", fromlist=["get_family"])
    per_frame = (args.height // 2) * (args.width // 2)
    seq = latent_frames * per_frame
    device, dtype = device_and_dtype(args)
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn((1, seq, args.dim), generator=generator).to(device, dtype) for _ in range(3))
    heads = args.dim // 128
    spec = riflex.get_family("wan21").spec()
    plan = decay_plan.plan_decay(decay_plan.DecaySettings(), latent_frames, 21, spec.axis_freqs(0), 6, True)
    video = decay_attention.VideoTokens(0, latent_frames, per_frame)
    own = attention.optimized_attention

    def plain_call():
        return own(q, k, v, heads=heads)

    def exact_call():
        return decay_attention.attention_with_decay(
            lambda *a, **kw: own(*a, **kw), q, k, v, heads, plan, video, block_bytes=args.block_mb * 2**20
        )

    compile_seconds = []

    def flex_call():
        return decay_attention.attention_with_decay(
            lambda *a, **kw: own(*a, **kw), q, k, v, heads, plan, video,
            rows=lambda *a: decay_flex.flex_decayed_rows(*a, on_compiled=compile_seconds.append),
        )  # fmt: skip

    calls = {"plain": plain_call, "exact": exact_call}
    if decay_flex.flex_available() and not args.no_flex:
        calls["flex"] = flex_call
    first_call = {}
    for which, call in calls.items():  # warm-up; the flex path compiles here, once for this shape
        start = time.perf_counter()
        call()
        synchronize(device)
        first_call[which] = time.perf_counter() - start
    exact, plain = exact_call().float(), plain_call().float()
    errors = {}
    if "flex" in calls:
        errors["flex_vs_exact"] = float((flex_call().float() - exact).abs().max() / exact.abs().max())
    errors["exact_vs_plain"] = float((exact - plain).abs().max() / plain.abs().max())
    times = {which: [] for which in calls}
    for i in range(args.attention_calls):
        order = list(calls.items())
        for which, call in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            call()
            synchronize(device)
            times[which].append(time.perf_counter() - start)
    element = torch.finfo(dtype).bits // 8
    return {
        "tokens": seq,
        "device": str(device),
        "dtype": str(dtype),
        "times": times,
        "first_call_s": first_call,
        "compile_s": compile_seconds[0] if compile_seconds else None,
        "errors": errors,
        "peak_mb": {which: peak_of(call, device) / 2**20 for which, call in calls.items()},
        "full_scores_mb": heads * seq * seq * 4 / 2**20,
        "inputs_mb": 3 * seq * args.dim * element / 2**20,
    }


def bench_steps(node, model, latent_frames, args) -> dict:
    import comfy.sample
    import torch

    device, _ = device_and_dtype(args)
    decayed = node.execute(model=model, alpha=0.9, window=0.0, beta=0.6).args[0]
    generator = torch.Generator().manual_seed(0)
    cond = [[torch.randn((1, 8, 4096), generator=generator), {}]]
    latent = torch.zeros((1, 16, latent_frames, args.height, args.width))
    noise = torch.randn(latent.shape, generator=generator)
    times = {"plain": [], "decay": []}

    def run(which, target, steps):
        stamps = []
        comfy.sample.sample(
            target, noise, steps, 1.0, "euler", "simple", cond, cond, latent, seed=0, disable_pbar=True,
            callback=lambda *a: stamps.append(time.perf_counter()),
        )  # fmt: skip
        times[which] += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]

    run("plain", model, 2)
    run("decay", decayed, 2)  # the first decayed step compiles the FlexAttention kernel where it is used
    # both orders, the larger of each: on a CPU the resident set keeps pages the run before freed
    peaks = {"plain": 0, "decay": 0}
    for which, target in (("plain", model), ("decay", decayed), ("decay", decayed), ("plain", model)):
        peaks[which] = max(peaks[which], peak_of(lambda target=target, which=which: run(which, target, 2), device))
    times = {"plain": [], "decay": []}
    for i in range(max(1, args.steps // (args.chunk - 1))):
        order = [("plain", model), ("decay", decayed)]
        for which, target in order if i % 2 == 0 else order[::-1]:
            run(which, target, args.chunk)
    return {"times": times, "peak_mb": {which: peak / 2**20 for which, peak in peaks.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comfyui", help="ComfyUI folder (default: found as the tests find it)")
    parser.add_argument("--json", help="write the raw numbers here")
    parser.add_argument("--dim", type=int, default=1024, help="Wan width (multiple of 128)")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=4096)
    parser.add_argument("--height", type=int, default=16, help="latent height")
    parser.add_argument("--width", type=int, default=16, help="latent width")
    parser.add_argument("--lengths", default="42,84", help="latent frames sampled (Wan 2.1 trains on 21)")
    parser.add_argument("--steps", type=int, default=12, help="sampling steps timed per variant and length")
    parser.add_argument(
        "--chunk", type=int, default=4, help="steps per interleaved run (>= 2: a run of n steps times n - 1 of them)"
    )
    parser.add_argument("--attention-calls", type=int, default=10)
    parser.add_argument("--block-mb", type=int, default=64, help="score memory one query block may take")
    parser.add_argument(
        "--dtype", choices=("bf16", "fp16", "fp32"), help="attention inputs (default: bf16 on CUDA, else fp32)"
    )
    parser.add_argument(
        "--no-flex", action="store_true", help="leave the FlexAttention path out of the attention bench"
    )
    parser.add_argument(
        "--gpu-target",
        action="store_true",
        help="the issue's target: Wan 2.1 1.3B size (1536 x 30 layers, ffn 8960), 480p (60 x 104 latent), 84 frames",
    )
    args = parser.parse_args()
    if args.chunk < 2:  # step times are the gaps between the callbacks of one run
        parser.error(f"--chunk {args.chunk}: use at least 2 steps per interleaved run")
    if args.gpu_target:
        args.dim, args.layers, args.ffn, args.height, args.width, args.lengths = 1536, 30, 8960, 60, 104, "84"
    reexec_under_comfyui(args)

    from load_pack import PACK_NAME, setup

    setup(args.comfyui, str(REPO))
    import torch

    node = __import__(f"{PACK_NAME}.nodes.decay_node", fromlist=["RIFLExAttentionDecay"]).RIFLExAttentionDecay
    torch.set_grad_enabled(False)
    model = build_wan(args.dim, args.layers, args.ffn)
    device, dtype = device_and_dtype(args)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    flex_module = __import__(f"{PACK_NAME}.riflex.decay_flex", fromlist=["prefers_flex"])
    path = "FlexAttention (compiled)" if flex_module.prefers_flex(device) else "exact block path"
    print(f"torch {torch.__version__}, device {device} ({card}), attention inputs {dtype}; the node uses: {path}")
    print(f"Wan dim {args.dim} x {args.layers} layers, latent h x w {args.height} x {args.width}, trained on 21 frames")
    results = {}
    for frames in (int(n) for n in args.lengths.split(",")):
        attention = bench_attention(PACK_NAME, frames, args)
        steps = bench_steps(node, model, frames, args)
        plain_median = statistics.median(attention["times"]["plain"])
        ratios = {which: statistics.median(t) / plain_median for which, t in attention["times"].items()}
        step_ratio = statistics.median(steps["times"]["decay"]) / statistics.median(steps["times"]["plain"])
        print(f"{frames} latent frames ({frames / 21:.0f}x), {attention['tokens']} tokens:")
        for which, label in (
            ("plain", "ComfyUI default"),
            ("exact", "decay, exact path"),
            ("flex", "decay, flex path"),
        ):
            if which in attention["times"]:
                print(f"  attention call  {label:18s} {spread(attention['times'][which])}   ratio {ratios[which]:.3f}")
        if attention["compile_s"] is not None:
            print(
                f"  FlexAttention compile (once per shape, dtype, device): {attention['compile_s']:.1f} s; "
                f"agreement with the exact path: {attention['errors']['flex_vs_exact']:.1e} relative ({dtype})"
            )
        print(f"  sampling step   plain {spread(steps['times']['plain'])}")
        print(f"                  decay {spread(steps['times']['decay'])}   ratio {step_ratio:.3f}")
        peaks = attention["peak_mb"]
        print(
            "  peak memory of one attention call above its inputs ("
            f"{attention['inputs_mb']:.0f} MB): "
            + ", ".join(f"{w} {m:.0f} MB" for w, m in peaks.items())
            + f" (a full [S, S] would be {attention['full_scores_mb']:.0f} MB)"
        )
        step_peaks = steps["peak_mb"]
        print(
            f"  peak memory of a 2-step sampling run: plain {step_peaks['plain']:.0f} MB, decay {step_peaks['decay']:.0f} MB"
            f" (ratio {step_peaks['decay'] / max(step_peaks['plain'], 1e-9):.2f})"
        )
        results[frames] = {
            "attention": attention,
            "steps": steps,
            "attention_ratios": ratios,
            "step_ratio": step_ratio,
        }
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
