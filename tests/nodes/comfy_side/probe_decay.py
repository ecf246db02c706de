"""Sample tiny models through RIFLEx Attention Decay in-process, record every attention call the
model makes, and check each against what it must be (run with ComfyUI's Python):

    probe_decay.py COMFYUI_DIR REPO_DIR CASES_JSON

CASES_JSON holds a list of cases ({"model_file", "family", "frames", "height", "width", "channels",
"pooled", "context", "settings": node inputs, "rope": "before" | "after" | None, "expect": the
test's own plan: frames, train_len, window, alpha, beta, bands, anchor, reference_frames}); one
JSON result per case is printed on the last line. Per case:
- every video self-attention call (recognised here from the model's call order and block keys,
  not by the pack's logic) equals the dense reference on the video rows (relative error) and the
  model's own attention on the other rows;
- every other call (cross-attention, the text refiner) is bit-identical to ComfyUI's own;
- the final latent with the node against the same sampling without it.
"""

from __future__ import annotations

import importlib
import logging

from load_pack import PACK_NAME, run_cases

ATTENTION_MODULES = (
    "comfy.ldm.wan.model",
    "comfy.ldm.wan.model_animate",
    "comfy.ldm.flux.math",
    "comfy.ldm.hunyuan_video.model",
)


class Recorder:
    """Stands in for `optimized_attention` in the model modules: calls the real one (whose
    wrap_attn honours the override) and keeps inputs, block keys and output."""

    def __init__(self, real):
        self.real, self.calls, self.active = real, [], False

    def __call__(self, q, k, v, heads, *args, **kwargs):
        out = self.real(q, k, v, heads, *args, **kwargs)
        if self.active:
            options = kwargs.get("transformer_options") or {}
            self.calls.append(
                {
                    "qkv": (q.detach().clone(), k.detach().clone(), v.detach().clone()),
                    "heads": heads,
                    "args": args,
                    "kwargs": {key: val for key, val in kwargs.items() if key != "transformer_options"},
                    "block": (options.get("block_type"), options.get("block_index")),
                    "out": out.detach().clone(),
                }
            )
        return out


def is_video_self_attention(call, family_kind, seen):
    q, k, _ = call["qkv"]
    skip = call["kwargs"].get("skip_reshape", False)
    if (q.shape[2] if skip else q.shape[1]) != (k.shape[2] if skip else k.shape[1]):
        return False
    block_type, block_index = call["block"]
    if family_kind == "hunyuan":
        return block_type in ("double", "single")
    if block_index is None or block_index in seen:  # Wan: a block's first call is its self-attention
        return False
    seen.add(block_index)
    return True


def check_calls(calls, family_kind, expect, per_frame, text_first):
    import comfy.ldm.modules.attention as attention
    import torch
    from dense_decay_reference import dense_reference

    own_attention = attention.optimized_attention
    worst, decayed, others, others_identical, other_rows = 0.0, 0, 0, True, 0.0
    seen = set()
    for call in calls:
        q, k, v = call["qkv"]
        kwargs = dict(call["kwargs"])
        own = own_attention(q, k, v, call["heads"], *call["args"], **kwargs)  # no override: ComfyUI's own
        if not is_video_self_attention(call, family_kind, seen):
            others += 1
            others_identical &= bool(torch.equal(own, call["out"]))
            continue
        decayed += 1
        skip = kwargs.get("skip_reshape", False)
        heads = call["heads"]
        q4, k4, v4 = (
            (q, k, v) if skip else (t.view(t.shape[0], t.shape[1], heads, -1).transpose(1, 2) for t in (q, k, v))
        )
        seq = q4.shape[2]
        video_len = expect["frames"] * per_frame
        if family_kind == "hunyuan":
            start = seq - video_len if text_first else expect.get("before", 0)
        else:
            start = expect.get("reference_frames", 0) * per_frame
        mask = kwargs.get("mask")
        if mask is not None and mask.ndim == 3:
            mask = mask.unsqueeze(1)
        reference = dense_reference(
            q4,
            k4,
            v4,
            expect["frames"],
            per_frame,
            start,
            expect["train_len"],
            expect["alpha"],
            expect["beta"],
            expect["window"],
            expect["bands"],
            expect["anchor"],
            mask,
        )
        out = call["out"]
        out4 = (
            out
            if kwargs.get("skip_output_reshape")
            else out.view(out.shape[0], out.shape[1], heads, -1).transpose(1, 2)
        )
        own4 = (
            own
            if kwargs.get("skip_output_reshape")
            else own.view(own.shape[0], own.shape[1], heads, -1).transpose(1, 2)
        )
        rows = slice(start, start + video_len)
        err = float((out4[:, :, rows].double() - reference[:, :, rows]).abs().max() / reference[:, :, rows].abs().max())
        worst = max(worst, err)
        for other in (slice(0, start), slice(start + video_len, seq)):
            if other.stop > other.start:
                other_rows = max(other_rows, float((out4[:, :, other] - own4[:, :, other]).abs().max()))
    return {
        "decayed_calls": decayed,
        "other_calls": others,
        "others_identical": others_identical,
        "worst_relative_error": worst,
        "other_rows_max_difference": other_rows,
    }


def run_case(case):
    import comfy.model_management
    import comfy.sample
    import comfy.sd
    import torch

    decay_node = importlib.import_module(f"{PACK_NAME}.nodes.decay_node")
    rope_node = importlib.import_module(f"{PACK_NAME}.nodes.rope_node")
    decay_flex = importlib.import_module(f"{PACK_NAME}.riflex.decay_flex")
    flex_before = dict(decay_flex.FLEX_FASTER_ON)
    decay_flex.FLEX_FASTER_ON["cpu"] = bool(case.get("flex"))
    flex_logs = []
    flex_handler = logging.Handler()
    flex_handler.emit = lambda record: flex_logs.append(record.getMessage())
    flex_log = logging.getLogger(f"{PACK_NAME}.riflex.decay_flex")
    flex_log.addHandler(flex_handler)
    flex_log.setLevel(logging.INFO)
    recorders = {}
    for name in ATTENTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "optimized_attention"):
            recorders[name] = Recorder(module.optimized_attention)
            module.optimized_attention = recorders[name]
    try:
        model = comfy.sd.load_diffusion_model(case["model_file"])
        patched = model
        if case.get("rope") == "before":
            patched = rope_node.RIFLExRoPE.execute(model=patched, method="riflex", k=0, s=0.0).args[0]
        try:
            patched = decay_node.RIFLExAttentionDecay.execute(model=patched, **case["settings"]).args[0]
        except ValueError as error:
            return {"error": str(error)}
        if case.get("rope") == "after":
            patched = rope_node.RIFLExRoPE.execute(model=patched, method="riflex", k=0, s=0.0).args[0]
        plain = model
        if case.get("rope"):
            plain = rope_node.RIFLExRoPE.execute(model=model, method="riflex", k=0, s=0.0).args[0]

        generator = torch.Generator().manual_seed(0)
        context = torch.randn((1, 4, case["context"]), generator=generator)
        extra = {"pooled_output": torch.randn((1, case["pooled"]), generator=generator) if case["pooled"] else None}
        cond = [[context, extra]]
        latent = torch.zeros((1, case["channels"], case["frames_latent"], case["height"], case["width"]))
        noise = torch.randn(latent.shape, generator=torch.Generator().manual_seed(1))

        def sample(which):
            return comfy.sample.sample(
                which,
                noise,
                case.get("steps", 1),
                1.0,
                "euler",
                "simple",
                cond,
                cond,
                latent,
                disable_pbar=True,
                seed=0,
            )

        texts = []
        handler = logging.Handler()
        handler.emit = lambda record: texts.append(record.getMessage())
        decay_log = logging.getLogger(f"{PACK_NAME}.nodes.decay_patch")
        decay_log.addHandler(handler)
        decay_log.setLevel(logging.INFO)
        for recorder in recorders.values():
            recorder.active = True
        with_node = sample(patched)
        for recorder in recorders.values():
            recorder.active = False
        without = sample(plain)
        comfy.model_management.unload_all_models()
        calls = [call for recorder in recorders.values() for call in recorder.calls]
        kind = "hunyuan" if "hunyuan" in case["family"] else "wan"
        text_first = True
        if kind == "hunyuan":
            import inspect

            import comfy.ldm.flux.layers as layers

            text_first = "flipped_img_txt" not in inspect.signature(layers.DoubleStreamBlock.__init__).parameters
        patch = tuple(int(p) for p in model.model.diffusion_model.patch_size)
        per_frame = -(-case["height"] // patch[1]) * -(-case["width"] // patch[2])
        result = check_calls(calls, kind, case["expect"], per_frame, text_first) if case["expect"] else {}
        result.update(
            {
                "identical_to_plain": bool(torch.equal(with_node, without)),
                "relative_change": float((with_node - without).abs().max() / without.abs().max()),
                "finite": bool(torch.isfinite(with_node).all()),
                "plain_finite": bool(torch.isfinite(without).all()),
                "reports": [text for text in texts if "attention decay" in text],
                "input_model_wrappers": sorted(key for wrappers in model.wrappers.values() for key in wrappers),
                "flex_logs": flex_logs,
            }
        )
        return result
    finally:
        decay_flex.FLEX_FASTER_ON.update(flex_before)
        flex_log.removeHandler(flex_handler)
        for name, recorder in recorders.items():
            importlib.import_module(name).optimized_attention = recorder.real


if __name__ == "__main__":
    run_cases(run_case)
