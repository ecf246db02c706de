"""RIFLEx RoPE and attention decay under torch.compile, as ComfyUI's TorchCompileModel applies it
(run with ComfyUI's Python):

    probe_compile.py COMFYUI_DIR REPO_DIR CASES_JSON

Per case ({"model_file", "channels", "context", "frames", "steps", "order": "compile_last" |
"compile_first", "decay": bool, "backend"}): the model is patched with RIFLEx RoPE (and attention
decay) and compiled with comfy_api.torch_helpers.set_torch_compile_wrapper (what the
TorchCompileModel node calls) before or after the pack's nodes, then sampled `steps` steps and
compared with the same sampling uncompiled. Reports the relative difference, torch._dynamo's
counters (graph breaks with their reasons, recompilations, frames compiled) and every warning
Dynamo logged while sampling. Prints one JSON result per case on the last line.
"""

from __future__ import annotations

import importlib
import logging

from load_pack import PACK_NAME, run_cases


def run_case(case):
    import comfy.model_management
    import comfy.sample
    import comfy.sd
    import torch
    import torch._dynamo
    from comfy_api.torch_helpers import set_torch_compile_wrapper
    from torch._dynamo.utils import counters

    rope_node = importlib.import_module(f"{PACK_NAME}.nodes.rope_node")
    decay_node = importlib.import_module(f"{PACK_NAME}.nodes.decay_node")

    def pack_nodes(model):
        patched = rope_node.RIFLExRoPE.execute(model=model, method="riflex", k=0, s=0.0).args[0]
        if case.get("decay"):
            patched = decay_node.RIFLExAttentionDecay.execute(model=patched, alpha=0.9, window=0.0, beta=0.6).args[0]
        return patched

    def compiled(model):
        model = model.clone()
        set_torch_compile_wrapper(model=model, backend=case.get("backend", "inductor"))
        return model

    model = comfy.sd.load_diffusion_model(case["model_file"])
    eager = pack_nodes(model)
    if case["order"] == "compile_first":
        with_compile = pack_nodes(compiled(model))
    else:
        with_compile = compiled(pack_nodes(model))

    generator = torch.Generator().manual_seed(0)
    context = torch.randn((1, 4, case["context"]), generator=generator)
    cond = [[context, {"pooled_output": None}]]
    latent = torch.zeros((1, case["channels"], case["frames"], 2, 2))
    noise = torch.randn(latent.shape, generator=torch.Generator().manual_seed(1))

    def sample(which):
        return comfy.sample.sample(
            which, noise, case["steps"], 1.0, "euler", "simple", cond, cond, latent, disable_pbar=True, seed=0
        )

    expected = sample(eager)
    comfy.model_management.unload_all_models()
    torch._dynamo.reset()
    counters.clear()
    warnings = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = lambda record: warnings.append(f"{record.name}: {record.getMessage()}")
    dynamo_log = logging.getLogger("torch._dynamo")
    dynamo_log.addHandler(handler)
    try:
        got = sample(with_compile)
    finally:
        dynamo_log.removeHandler(handler)
    comfy.model_management.unload_all_models()
    breaks = {reason: count for reason, count in counters["graph_break"].items()}
    return {
        "relative_difference": float((got - expected).abs().max() / expected.abs().max()),
        "graph_breaks": breaks,
        "recompiles": sum(counters["recompiles"].values()) if "recompiles" in counters else 0,
        "frames_ok": counters["frames"]["ok"],
        "unique_graphs": counters["stats"]["unique_graphs"],
        "warnings": warnings,
    }


if __name__ == "__main__":
    run_cases(run_case)
