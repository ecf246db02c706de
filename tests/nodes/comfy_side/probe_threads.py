"""RIFLEx RoPE (and attention decay) under concurrent model calls, as MultiGPU makes them (run
with ComfyUI's Python):

    probe_threads.py COMFYUI_DIR REPO_DIR CASES_JSON

Per case ({"model_file", "channels", "pooled", "context", "frames": [a, b], "rounds", "decay"}):
one sampling step is run once to record the exact arguments ComfyUI's sampler hands
`apply_model` (conditioning, transformer options with the wrappers); then the patched model is
called with those arguments for two latents, first one after the other (the expected outputs),
then `rounds` times from two threads at once, released together by a barrier, as MultiGPU's CFG
split runs cond and uncond. Each concurrent output is compared bit for bit with the sequential
one. With "deepclone", ComfyUI's MultiGPU deep clone of the patched model (0.33+) is checked to
carry a RoPE replacement of its own, bound to its own model, sampling exactly as the original.
Prints one JSON result per case on the last line.
"""

from __future__ import annotations

import copy
import importlib
import threading

from load_pack import PACK_NAME, run_cases


def load(model_file):
    import comfy.sd

    if model_file.endswith(".inprocess"):
        import tiny_models

        return tiny_models.in_process_patcher(open(model_file).read().strip())
    return comfy.sd.load_diffusion_model(model_file)


def record_apply_model(patched, case, frames):
    """The (args, kwargs) the sampler passes apply_model for one step on a latent of `frames`."""
    import comfy.sample
    import torch

    recorded = []
    base = patched.model
    real = base.apply_model

    def spy(*args, **kwargs):
        recorded.append((args, kwargs))
        return real(*args, **kwargs)

    base.apply_model = spy
    try:
        generator = torch.Generator().manual_seed(0)
        context = torch.randn((1, 4, case["context"]), generator=generator)
        extra = {"pooled_output": torch.randn((1, case["pooled"]), generator=generator) if case["pooled"] else None}
        if case.get("attention_mask"):
            extra["attention_mask"] = torch.ones((1, 4))
        latent = torch.zeros((1, case["channels"], frames, 2, 2))
        noise = torch.randn(latent.shape, generator=torch.Generator().manual_seed(1))
        comfy.sample.sample(patched, noise, 1, 1.0, "euler", "simple", [[context, extra]], [[context, extra]], latent,
                            disable_pbar=True, seed=0)  # fmt: skip
    finally:
        del base.apply_model
    return recorded[0]


def call(base, recorded, x):
    args, kwargs = recorded
    kwargs = {**kwargs, "transformer_options": copy.copy(kwargs["transformer_options"])}  # models write into it
    return base.apply_model(x, *args[1:], **kwargs)


def run_case(case):
    import comfy.model_management
    import torch

    rope_node = importlib.import_module(f"{PACK_NAME}.nodes.rope_node")
    decay_node = importlib.import_module(f"{PACK_NAME}.nodes.decay_node")
    model = load(case["model_file"])
    patched = rope_node.RIFLExRoPE.execute(model=model, method="riflex", k=0, s=0.0).args[0]
    if case.get("decay"):
        patched = decay_node.RIFLExAttentionDecay.execute(model=patched, alpha=0.9, window=0.0, beta=0.6).args[0]
    frames_a, frames_b = case["frames"]
    recorded = {frames: record_apply_model(patched, case, frames) for frames in {frames_a, frames_b}}
    comfy.model_management.load_models_gpu([patched])  # object patches applied, as while sampling
    base = patched.model
    generator = torch.Generator().manual_seed(2)
    inputs = {frames: torch.randn(recorded[frames][0][0].shape, generator=generator) for frames in (frames_a, frames_b)}
    with torch.no_grad():
        expected = {frames: call(base, recorded[frames], inputs[frames]) for frames in inputs}
        mismatches, errors = 0, []
        for _ in range(case["rounds"]):
            barrier = threading.Barrier(2)
            outputs = {}

            def worker(frames, barrier=barrier, outputs=outputs):
                try:
                    barrier.wait()
                    with torch.no_grad():  # per thread, as MultiGPU's _handle_batch does
                        outputs[frames] = call(base, recorded[frames], inputs[frames])
                except Exception as error:  # noqa: BLE001 - reported to the test
                    errors.append(repr(error))

            threads = [threading.Thread(target=worker, args=(frames,)) for frames in (frames_a, frames_b)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            mismatches += sum(
                1
                for frames in (frames_a, frames_b)
                if frames not in outputs or not torch.equal(outputs[frames], expected[frames])
            )
    result = {"rounds": case["rounds"], "mismatches": mismatches, "errors": errors[:3]}
    if case.get("deepclone") and not hasattr(patched, "deepclone_multigpu"):
        result["deepclone"] = "this ComfyUI has no MultiGPU deep clone"
    elif case.get("deepclone"):
        result.update(check_deepclone(patched, case, recorded[frames_a], inputs[frames_a], expected[frames_a]))
    comfy.model_management.unload_all_models()
    return result


def check_deepclone(patched, case, recorded, x, expected):
    """MultiGPU's deep clone (a fresh model for another device): its replacement is its own."""
    import comfy.model_management
    import comfy.utils
    import torch

    resolving = importlib.import_module(f"{PACK_NAME}.nodes.resolve_model")
    path = resolving.resolve_model(patched).rope_path
    deep = patched.deepclone_multigpu(new_load_device=torch.device("cpu"))
    mine, theirs = patched.object_patches[path], deep.object_patches[path]
    own = comfy.utils.get_attr(deep.model, path)  # the fresh model's own RoPE (nothing applied yet)
    original = theirs.original
    bound_to = getattr(original, "__self__", original)
    own_owner = getattr(own, "__self__", own)
    comfy.model_management.load_models_gpu([deep])
    with torch.no_grad():
        out = call(deep.model, recorded, x)
    return {
        "deep_model_is_new": deep.model is not patched.model,
        "deep_replacement_is_new": theirs is not mine,
        "deep_replacement_bound_to_deep_model": bound_to is own_owner,
        "deep_output_equal": bool(torch.equal(out, expected)),
    }


if __name__ == "__main__":
    run_cases(run_case)
