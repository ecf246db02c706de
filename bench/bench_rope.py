"""Benchmark: what the RIFLEx patch costs, in a real ComfyUI with ComfyUI's own Wan classes.

    python bench/bench_rope.py [--comfyui DIR] [--json OUT.json] [--steps 24] [--dim 1536 ...]

Re-runs itself with the found ComfyUI's Python (see tests/nodes/comfy_host.py for where it
looks). Prints medians, spreads and patched/unpatched ratios, measured interleaved in one run:
  1. sampling-step time of a mid-size random-weight Wan model, patched vs unpatched;
  2. the RoPE module's call time at 480p x 161 frames (Wan 2.1 1.3B shape), the first call
     (the one-time table build) reported apart from the cached later calls;
  3. memory: weights shared with the unpatched model (same storages), RoPE cache bound.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "nodes"))
sys.path.insert(0, str(REPO / "tests" / "nodes" / "comfy_side"))


def reexec_under_comfyui(args: argparse.Namespace) -> None:
    from comfy_host import NOT_FOUND_REASON, ComfyInstall, _python_for, find_comfyui_installs

    if args.comfyui:
        path = Path(args.comfyui).resolve()
        install = ComfyInstall(path, _python_for(path) or Path(sys.executable))
    else:
        installs = find_comfyui_installs()
        if not installs:
            sys.exit(f"bench: {NOT_FOUND_REASON}")
        install = installs[0]
    if Path(sys.executable).resolve() != install.python.resolve() or os.environ.get("RIFLEX_BENCH_CHILD") != "1":
        env = {**os.environ, "RIFLEX_BENCH_CHILD": "1"}
        argv = [str(install.python), os.path.abspath(sys.argv[0]), "--comfyui", str(install.path), *sys.argv[1:]]
        os.execve(argv[0], argv, env)


def spread(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4)
    return f"{statistics.median(values) * 1e3:9.2f} ms (IQR {q[0] * 1e3:.2f}-{q[2] * 1e3:.2f}, n={len(values)})"


def build_wan(dim: int, layers: int, ffn: int):
    """A Wan 2.1 block layout at a chosen width, loaded through ComfyUI's detection."""
    import comfy.ops
    import comfy.sd
    import torch
    from comfy.ldm.wan.model import WanModel
    from tiny_models import randomize

    module = WanModel(
        model_type="t2v",
        patch_size=(1, 2, 2),
        in_dim=16,
        dim=dim,
        ffn_dim=ffn,
        freq_dim=256,
        text_dim=4096,
        out_dim=16,
        num_heads=dim // 128,
        num_layers=layers,
        operations=comfy.ops.disable_weight_init,
        dtype=torch.float32,
    )
    randomize(module, seed=1)
    return comfy.sd.load_diffusion_model_state_dict(module.state_dict())


def bench_sampling(pack_nodes, model, args) -> dict:
    import comfy.sample
    import torch

    patched = pack_nodes.RIFLExRoPE.execute(
        model=model, method="riflex", k=0, s=0.0, train_len=0, safety_factor=0.9, yarn_alpha=1.0, yarn_beta=32.0
    ).args[0]
    generator = torch.Generator().manual_seed(0)
    cond = [[torch.randn((1, 8, 4096), generator=generator), {}]]
    latent = torch.zeros((1, 16, args.frames, args.height, args.width))
    noise = torch.randn(latent.shape, generator=generator)
    times = {"unpatched": [], "patched": []}

    def run(which, target, steps):
        stamps = []
        comfy.sample.sample(
            target,
            noise,
            steps,
            1.0,
            "euler",
            "simple",
            cond,
            cond,
            latent,
            seed=0,
            disable_pbar=True,
            callback=lambda *a: stamps.append(time.perf_counter()),
        )
        times[which] += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]

    run("unpatched", model, 2)  # warm-up: first load, allocator
    run("patched", patched, 2)
    times = {"unpatched": [], "patched": []}
    rounds = max(1, args.steps // (args.chunk - 1))
    for i in range(rounds):  # interleaved, alternating who goes first
        order = [("unpatched", model), ("patched", patched)]
        for which, target in order if i % 2 == 0 else order[::-1]:
            run(which, target, args.chunk)
    return times


def bench_rope_module(pack, args) -> dict:
    import torch
    from comfy.ldm.flux.layers import EmbedND

    embed_nd = __import__(f"{pack}.riflex.embed_nd", fromlist=["RIFLExEmbedND"])
    riflex = __import__(f"{pack}.riflex", fromlist=["plan_temporal", "get_family", "axis_frequencies"])
    original = EmbedND(dim=128, theta=10000.0, axes_dim=[44, 42, 42])
    spec = riflex.get_family("wan21").spec()
    replacement = embed_nd.RIFLExEmbedND(
        original,
        lambda n: (
            riflex.plan_temporal(spec, "riflex", n, default_k=6).freqs_after,
            *(riflex.axis_frequencies(spec.theta, d) for d in (42, 42)),
        ),
    )
    t, h, w = 41, 30, 52  # 161 frames of 480x832 for Wan 2.1: latent 41 x 60 x 104, patches 2x2
    grid = torch.stack(torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij"), -1)
    ids = grid.reshape(1, -1, 3).float()
    replacement.plan_key = t
    start = time.perf_counter()
    table = replacement(ids)
    first_call = time.perf_counter() - start
    original_times, patched_times = [], []
    for _ in range(args.rope_calls):
        fresh_ids = ids.clone()  # a new tensor each step, as the model builds them
        start = time.perf_counter()
        original(fresh_ids)
        original_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        replacement(fresh_ids)
        patched_times.append(time.perf_counter() - start)
    for frames in range(1, 51):  # a long session with many lengths and sizes
        replacement.plan_key = frames
        replacement(torch.zeros((1, frames * 4, 3)))
    return {
        "cache_entries_after_50_shapes": len(replacement._tables),
        "tokens": ids.shape[1],
        "first_call_s": first_call,
        "original": original_times,
        "patched": patched_times,
        "table_mb": table.numel() * table.element_size() / 2**20,
        "cache_entries_max": embed_nd.TABLE_CACHE_SIZE,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comfyui", help="ComfyUI folder (default: found as the tests find it)")
    parser.add_argument("--json", help="write the raw numbers here")
    parser.add_argument("--dim", type=int, default=1024, help="Wan width (multiple of 128)")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=4096)
    parser.add_argument("--frames", type=int, default=21, help="latent frames sampled")
    parser.add_argument("--height", type=int, default=16, help="latent height")
    parser.add_argument("--width", type=int, default=16, help="latent width")
    parser.add_argument("--steps", type=int, default=24, help="sampling steps timed per variant")
    parser.add_argument("--chunk", type=int, default=5, help="steps per interleaved run")
    parser.add_argument("--rope-calls", type=int, default=30)
    args = parser.parse_args()
    reexec_under_comfyui(args)

    from load_pack import PACK_NAME, setup

    setup(args.comfyui, str(REPO))
    import torch

    pack_nodes = __import__(f"{PACK_NAME}.nodes.rope_node", fromlist=["RIFLExRoPE"])
    torch.set_grad_enabled(False)

    rope = bench_rope_module(PACK_NAME, args)
    model = build_wan(args.dim, args.layers, args.ffn)
    steps = bench_sampling(pack_nodes, model, args)
    patched_model = pack_nodes.RIFLExRoPE.execute(
        model=model, method="riflex", k=0, s=0.0, train_len=0, safety_factor=0.9, yarn_alpha=1.0, yarn_beta=32.0
    ).args[0]
    shared = patched_model.model is model.model and all(
        a.data_ptr() == b.data_ptr()
        for a, b in zip(patched_model.model.parameters(), model.model.parameters(), strict=True)
    )

    step_ratio = statistics.median(steps["patched"]) / statistics.median(steps["unpatched"])
    rope_ratio = statistics.median(rope["patched"]) / statistics.median(rope["original"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print(f"sampling step, Wan dim {args.dim} x {args.layers} layers, latent {args.frames}x{args.height}x{args.width}:")
    print(f"  unpatched {spread(steps['unpatched'])}")
    print(f"  patched   {spread(steps['patched'])}")
    print(f"  ratio patched/unpatched (medians): {step_ratio:.4f}")
    print(f"RoPE module, {rope['tokens']} tokens (480p x 161 frames):")
    print(f"  original EmbedND      {spread(rope['original'])}")
    print(f"  RIFLEx (cached table) {spread(rope['patched'])}")
    print(f"  ratio patched/original (medians): {rope_ratio:.4f}")
    print(f"  first call (builds the table once): {rope['first_call_s'] * 1e3:.2f} ms")
    print(
        f"memory: weights shared with the unpatched model: {shared}; RoPE cache at most "
        f"{rope['cache_entries_max']} tables of {rope['table_mb']:.1f} MB at this shape "
        f"({rope['cache_entries_after_50_shapes']} held after 50 shapes), freed after each sampling run"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "steps": steps,
                    "rope": rope,
                    "step_ratio": step_ratio,
                    "rope_ratio": rope_ratio,
                    "weights_shared": shared,
                    "torch": torch.__version__,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
