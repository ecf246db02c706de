"""Benchmark: what RIFLEx Attention Decay (the exact block path) costs, in a real ComfyUI with
ComfyUI's own Wan classes.

    python bench/bench_decay.py [--comfyui DIR] [--json OUT.json] [--steps 12] [--dim 1024 ...]

Re-runs itself with the found ComfyUI's Python (as bench_rope.py does). For each length (2x and
4x Wan 2.1's 21 latent frames) it prints medians, spreads and ratios, measured interleaved:
  1. the attention call alone: ComfyUI's optimized_attention against the same call through the
     decay override (q, k, v of the sampled video's self-attention at that length);
  2. the sampling step of a mid-size random-weight Wan model with and without the node;
  3. peak memory above the starting point during one attention call, each way (resident set,
     sampled every millisecond), next to the block budget and what a full [S, S] would take.
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


def bench_attention(pack, latent_frames, args) -> dict:
    import comfy.ldm.modules.attention as attention
    import torch

    decay_attention = __import__(f"{pack}.riflex.decay_attention", fromlist=["attention_with_decay"])
    decay_plan = __import__(f"{pack}.riflex.decay_plan", fromlist=["plan_decay"])
    riflex = __import__(f"{pack}.riflex", fromlist=["get_family"])
    per_frame = (args.height // 2) * (args.width // 2)
    seq = latent_frames * per_frame
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn((1, seq, args.dim), generator=generator) for _ in range(3))
    heads = args.dim // 128
    spec = riflex.get_family("wan21").spec()
    plan = decay_plan.plan_decay(decay_plan.DecaySettings(), latent_frames, 21, spec.axis_freqs(0), 6, True)
    video = decay_attention.VideoTokens(0, latent_frames, per_frame)
    own = attention.optimized_attention

    def plain_call():
        return own(q, k, v, heads=heads)

    def decay_call():
        return decay_attention.attention_with_decay(
            lambda *a, **kw: own(*a, **kw), q, k, v, heads, plan, video, block_bytes=args.block_mb * 2**20
        )

    plain_call(), decay_call()  # warm-up
    times = {"plain": [], "decay": []}
    for i in range(args.attention_calls):
        order = [("plain", plain_call), ("decay", decay_call)]
        for which, call in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            call()
            times[which].append(time.perf_counter() - start)
    return {
        "tokens": seq,
        "times": times,
        "peak_plain_mb": peak_during(plain_call) / 2**20,
        "peak_decay_mb": peak_during(decay_call) / 2**20,
        "full_scores_mb": heads * seq * seq * 4 / 2**20,
        "inputs_mb": 3 * seq * args.dim * 4 / 2**20,
    }


def bench_steps(node, model, latent_frames, args) -> dict:
    import comfy.sample
    import torch

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
    run("decay", decayed, 2)
    times = {"plain": [], "decay": []}
    for i in range(max(1, args.steps // (args.chunk - 1))):
        order = [("plain", model), ("decay", decayed)]
        for which, target in order if i % 2 == 0 else order[::-1]:
            run(which, target, args.chunk)
    return times


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
    parser.add_argument("--chunk", type=int, default=4, help="steps per interleaved run")
    parser.add_argument("--attention-calls", type=int, default=10)
    parser.add_argument("--block-mb", type=int, default=64, help="score memory one query block may take")
    args = parser.parse_args()
    reexec_under_comfyui(args)

    from load_pack import PACK_NAME, setup

    setup(args.comfyui, str(REPO))
    import torch

    node = __import__(f"{PACK_NAME}.nodes.decay_node", fromlist=["RIFLExAttentionDecay"]).RIFLExAttentionDecay
    torch.set_grad_enabled(False)
    model = build_wan(args.dim, args.layers, args.ffn)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print(f"Wan dim {args.dim} x {args.layers} layers, latent h x w {args.height} x {args.width}, trained on 21 frames")
    results = {}
    for frames in (int(n) for n in args.lengths.split(",")):
        attention = bench_attention(PACK_NAME, frames, args)
        steps = bench_steps(node, model, frames, args)
        att_ratio = statistics.median(attention["times"]["decay"]) / statistics.median(attention["times"]["plain"])
        step_ratio = statistics.median(steps["decay"]) / statistics.median(steps["plain"])
        print(f"{frames} latent frames ({frames / 21:.0f}x), {attention['tokens']} tokens:")
        print(f"  attention call  plain {spread(attention['times']['plain'])}")
        print(f"                  decay {spread(attention['times']['decay'])}   ratio {att_ratio:.3f}")
        print(f"  sampling step   plain {spread(steps['plain'])}")
        print(f"                  decay {spread(steps['decay'])}   ratio {step_ratio:.3f}")
        print(
            f"  peak memory of one attention call above its inputs ({attention['inputs_mb']:.0f} MB): plain "
            f"{attention['peak_plain_mb']:.0f} MB, decay {attention['peak_decay_mb']:.0f} MB (block budget "
            f"{args.block_mb} MB; a full [S, S] would be {attention['full_scores_mb']:.0f} MB)"
        )
        results[frames] = {
            "attention": attention,
            "steps": steps,
            "attention_ratio": att_ratio,
            "step_ratio": step_ratio,
        }
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
