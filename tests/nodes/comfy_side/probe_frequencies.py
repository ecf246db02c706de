"""Sample a tiny model through the RIFLEx node in-process and report, as JSON, the
frequencies its RoPE module really used (recovered from the cos/sin table it produced at the
first and the last model call), next to what the core planned. Run with ComfyUI's Python:

    probe_frequencies.py COMFYUI_DIR REPO_DIR MODEL_FILE LATENT_FRAMES CHANNELS POOLED METHOD K S
                         [AXES [LATENT_HEIGHT LATENT_WIDTH [STEPS]]] [class_name=NAME] [train_len=N] [context=WIDTH] [reference_frames=N]

With --serve COMFYUI_DIR REPO_DIR it reads one JSON list of those arguments (after REPO_DIR)
per line from stdin and prints one result line per probe (the test session's worker).

class_name renames the loaded model's class (a video DiT RIFLEx has no table entry for: the
generic path); train_len is passed to the node; reference_frames adds a reference latent of
that many frames to the conditioning (Wan S2V, HuMo place it at shifted time positions).
"""

from __future__ import annotations

import importlib
import json
import sys

from load_pack import PACK_NAME, setup


def recovered_frequencies(ids, table, axes_dims):
    """Per axis, theta_j recovered from the rotation the table applies at position 1 of that
    axis (and 0 on the others): the angle there is theta_j * 1. None for an axis of one position."""
    import torch

    result, offset = [], 0
    for axis, dim in enumerate(axes_dims):
        target = torch.zeros(ids.shape[-1], dtype=ids.dtype)
        target[axis] = 1.0
        tokens = ((ids[0] == target).all(dim=-1)).nonzero()
        if tokens.numel() == 0:
            result.append(None)
            offset += dim // 2
            continue
        token = tokens[0].item()
        rotation = table[0, 0, token, offset : offset + dim // 2].to(torch.float64)
        result.append(torch.atan2(rotation[:, 1, 0], rotation[:, 0, 0]).tolist())
        offset += dim // 2
    return result


def recovered_cogvideox(hwt, table, axes_dims, axis_positions):
    """CogVideoX's (cos, sin) [t*h*w, head_dim], interleaved pairs, blocks t, h, w: per axis,
    theta_j = angle / position at the token one step along that axis."""
    import torch

    h, w, t = hwt
    cos, sin = (x.view(t, h, w, -1).to(torch.float64) for x in table)
    positions = axis_positions(h, w, t)
    result, offset = [], 0
    for axis, dim in enumerate(axes_dims):
        index = [0, 0, 0]
        index[axis] = 1
        size = (t, h, w)[axis]
        if size < 2:
            result.append(None)
        else:
            columns = slice(offset, offset + dim, 2)
            angle = torch.atan2(sin[tuple(index)][columns], cos[tuple(index)][columns])
            result.append((angle / float(positions[axis][1])).tolist())
        offset += dim
    return result


def recovered_cosmos(thw, table, axes_dims):
    """Cosmos's [T*H*W, d/2, 2, 2] rotation matrices, pairs t, h, w: per axis, theta_j =
    the angle at the token one position along that axis (positions 0, 1, ... per latent frame
    and patch when no frame rate is given)."""
    import torch

    t, h, w = thw
    rotations = table.view(t, h, w, -1, 2, 2).to(torch.float64)
    result, offset = [], 0
    for axis, dim in enumerate(axes_dims):
        index = [0, 0, 0]
        index[axis] = 1
        if thw[axis] < 2:
            result.append(None)
        else:
            pairs = rotations[tuple(index)][offset : offset + dim // 2]
            result.append(torch.atan2(pairs[:, 1, 0], pairs[:, 0, 0]).tolist())
        offset += dim // 2
    return result


def probe(args: list[str]) -> dict:
    """One probe; args as on the command line after COMFYUI_DIR REPO_DIR."""
    options = dict(arg.split("=", 1) for arg in args if "=" in arg)
    argv = [arg for arg in args if "=" not in arg]
    model_file, latent_frames, channels, pooled, method, k, s = argv[0:7]
    axes = argv[7] if len(argv) > 7 else "temporal"
    height, width = (int(argv[8]), int(argv[9])) if len(argv) > 9 else (2, 2)
    steps = int(argv[10]) if len(argv) > 10 else 1
    import comfy.model_management
    import comfy.sample
    import comfy.sd
    import torch

    rope_node = importlib.import_module(f"{PACK_NAME}.nodes.rope_node")
    resolving = importlib.import_module(f"{PACK_NAME}.nodes.resolve_model")
    embed_nd = importlib.import_module(f"{PACK_NAME}.riflex.embed_nd")

    if model_file.endswith(".inprocess"):  # a family detection cannot load at a tiny size
        import tiny_models

        model = tiny_models.in_process_patcher(open(model_file).read().strip())
    else:
        model = comfy.sd.load_diffusion_model(model_file)
    if "class_name" in options:
        model.model.__class__ = type(options["class_name"], (type(model.model),), {})
    if options.get("replace_rope"):  # another node's replacement of the RoPE (not RIFLEx's)
        model.add_object_patch(resolving.resolve_model(model).rope_path, lambda *args, **kwargs: None)
    if options.get("absolute_positions"):  # a CogVideoX with sin-cos/learned positions (CogVideoX-2B)
        model.model.diffusion_model.use_rotary_positional_embeddings = False
    train_len = int(options.get("train_len", 0))
    try:
        output = rope_node.RIFLExRoPE.execute(
            model=model, method=method, k=int(k), s=float(s), axes=axes, train_len=train_len
        )
    except ValueError as error:
        return {"error": str(error)}
    resolved = resolving.resolve_model(model, train_len=train_len)
    original_module = model.get_model_object(resolved.rope_path)
    patched = output.args[0]
    embedder = patched.get_model_object(resolved.rope_path)
    calls = []
    if resolved.kind == "cogvideox":
        # a method, not a module: record its calls through a subclass of the replacement
        replacement_class = type(embedder)

        class Recording(replacement_class):
            def __call__(self, h, w, t, device=None):
                out = replacement_class.__call__(self, h, w, t, device=device)
                calls.append(((h, w, t), tuple(o.detach().clone() for o in out), self.plan_key))
                return out

        embedder.__class__ = Recording
    elif resolved.kind == "cosmos":
        replacement_class = type(embedder)

        class Recording(replacement_class):
            def __call__(self, B_T_H_W_C, **kwargs):
                out = replacement_class.__call__(self, B_T_H_W_C, **kwargs)
                calls.append((tuple(B_T_H_W_C)[1:4], out.detach().clone(), self.plan_key))
                return out

        embedder.__class__ = Recording
    elif resolved.kind == "ltx":
        replacement_class = type(embedder)

        class Recording(replacement_class):
            def __call__(self, theta, n_axes, inner_dim, device=None):
                out = replacement_class.__call__(self, theta, n_axes, inner_dim, device)
                if n_axes == 3:
                    calls.append((None, out.detach().clone(), self.plan_key))
                return out

        embedder.__class__ = Recording
    else:
        assert isinstance(embedder, embed_nd.RIFLExEmbedND), type(embedder)
        embedder.register_forward_hook(
            lambda module, inputs, out: calls.append(
                (inputs[0].detach().clone(), out.detach().clone(), module.plan_key)
            )
        )

    generator = torch.Generator().manual_seed(0)
    context = torch.randn((1, 4, int(options.get("context", 4096))), generator=generator)
    extra = {"pooled_output": torch.randn((1, int(pooled)), generator=generator) if int(pooled) else None}
    if options.get("attention_mask"):  # LTX needs the text's attention mask in its conditioning
        extra["attention_mask"] = torch.ones((1, 4))
    if "reference_frames" in options:  # a reference latent, as ComfyUI's ReferenceLatent node adds one
        reference = torch.randn(
            (1, int(channels), int(options["reference_frames"]), height, width), generator=generator
        )
        extra["reference_latents"] = [reference]
    cond = [[context, extra]]
    latent = torch.zeros((1, int(channels), int(latent_frames), height, width))
    noise = torch.randn(latent.shape, generator=generator)
    comfy.sample.sample(patched, noise, steps, 1.0, "euler", "simple", cond, cond, latent, disable_pbar=True, seed=0)
    # ComfyUI keeps the patched clone loaded (object patches applied) until another model
    # needs the weights; once it is unloaded the shared model must be back to its own module.
    comfy.model_management.unload_all_models()

    axes_dims = resolved.spec.axes_dims
    first, last = calls[0], calls[-1]
    if resolved.kind == "cogvideox":

        def recovered(call):
            return recovered_cogvideox(call[0], call[1], axes_dims, resolved.axis_positions)

        def time_range(call):
            return (0.0, float(call[0][2] - 1))

        planned_on_module = [axis.tolist() for axis in embedder.plan_axes(first[2])]
        unpatched = type(model.model.diffusion_model)._get_rotary_emb.__name__
    elif resolved.kind == "ltx":

        def recovered(call):
            # the grid rows handed to the model's own generate_freqs, in radians per latent frame
            # (time) and per grid unit (h, w), fastest first
            grid = call[1].to(torch.float64)
            rows = grid if grid.ndim == 2 else grid.expand(3, -1)
            return [(rows[0].flip(0) * resolved.time_step).tolist(), rows[1].flip(0).tolist(), rows[2].flip(0).tolist()]

        def time_range(call):
            return (0.0, float(latent_frames) - 1)

        planned_on_module = [axis.tolist() for axis in embedder.plan_axes(first[2])]
        unpatched = model.model.diffusion_model.freq_grid_generator.__name__
    elif resolved.kind == "cosmos":

        def recovered(call):
            return recovered_cosmos(call[0], call[1], axes_dims)

        def time_range(call):
            return (0.0, float(call[0][0] - 1))

        planned_on_module = [axis.tolist() for axis in embedder.plan_axes(first[2])]
        unpatched = type(model.model.diffusion_model.pos_embedder).generate_embeddings.__name__
    else:

        def recovered(call):
            return recovered_frequencies(call[0], call[1], axes_dims)

        def time_range(call):
            return (float(call[0][..., 0].min()), float(call[0][..., 0].max()))

        planned_on_module = [axis.tolist() for axis in embedder.axis_frequencies_on(first[2], torch.device("cpu"))]
        unpatched = type(model.model.diffusion_model.get_submodule(resolved.rope_path.split(".", 1)[1])).__name__
    return {
        "family": resolved.family.key,
        "theta": resolved.spec.theta,
        "axes_dims": list(axes_dims),
        "train_len": resolved.spec.train_len,
        "spatial_train_len": list(resolved.spec.spatial_train_len),
        "default_k": resolved.family.default_k,
        "calls": len(calls),
        "recovered": recovered(first),
        "recovered_last": recovered(last),
        "keys": [str(first[2]), str(last[2])],
        "all_keys": sorted({str(call[2]) for call in calls}),
        # per call: the smallest and largest time position it embedded
        "time_ranges": sorted({time_range(call) for call in calls}),
        "planned": [axis.tolist() for axis in embedder.plan_axes(first[2])],
        "planned_last": [axis.tolist() for axis in embedder.plan_axes(last[2])],
        "module": planned_on_module,
        "input_model_module_is_original": model.get_model_object(resolved.rope_path) == original_module,
        "input_model_unpatched_module": unpatched,
        "weights_shared": patched.model is model.model
        and all(
            a.data_ptr() == b.data_ptr()
            for a, b in zip(patched.model.parameters(), model.model.parameters(), strict=True)
        ),
        "tables_after_run": len(embedder._tables),
    }


RESULT_PREFIX = "RIFLEX_PROBE_RESULT "


def main() -> None:
    """One probe (command line), or, with --serve, one probe per line of JSON-encoded args read
    from stdin, so a test session pays ComfyUI's import once per install."""
    import traceback

    if sys.argv[1] == "--serve":
        setup(sys.argv[2], sys.argv[3])
        for line in sys.stdin:
            try:
                result = probe(json.loads(line))
            except Exception:  # report it to the test, keep serving
                result = {"exception": traceback.format_exc()}
            print(RESULT_PREFIX + json.dumps(result), flush=True)
        return
    setup(sys.argv[1], sys.argv[2])
    print(json.dumps(probe(sys.argv[3:])))


if __name__ == "__main__":
    main()
