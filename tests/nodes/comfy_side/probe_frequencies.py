"""Sample a tiny model through the RIFLEx node in-process and report, as JSON, the
frequencies its RoPE module really used (recovered from the cos/sin table it produced),
next to what the core planned. Run with ComfyUI's Python:

    probe_frequencies.py COMFYUI_DIR REPO_DIR MODEL_FILE LATENT_FRAMES CHANNELS POOLED METHOD K S
"""

from __future__ import annotations

import importlib
import json
import sys

from load_pack import PACK_NAME, setup


def main() -> None:
    comfyui_dir, repo_dir, model_file, latent_frames, channels, pooled, method, k, s = sys.argv[1:10]
    setup(comfyui_dir, repo_dir)
    import comfy.sample
    import comfy.sd
    import torch

    rope_node = importlib.import_module(f"{PACK_NAME}.nodes.rope_node")
    families = importlib.import_module(f"{PACK_NAME}.nodes.families")
    embed_nd = importlib.import_module(f"{PACK_NAME}.riflex.embed_nd")

    model = comfy.sd.load_diffusion_model(model_file)
    resolved = families.resolve_model(model)
    original_module = model.get_model_object(resolved.rope_path)
    output = rope_node.RIFLExRoPE.execute(
        model=model, method=method, k=int(k), s=float(s), train_len=0, safety_factor=0.9, yarn_alpha=1.0, yarn_beta=32.0
    )
    patched = output.args[0]
    embedder = patched.get_model_object(resolved.rope_path)
    assert isinstance(embedder, embed_nd.RIFLExEmbedND), type(embedder)

    calls = []
    embedder.register_forward_hook(
        lambda module, inputs, out: calls.append((inputs[0].detach().clone(), out.detach().clone()))
    )

    generator = torch.Generator().manual_seed(0)
    context = torch.randn((1, 4, 4096), generator=generator)
    extra = {"pooled_output": torch.randn((1, int(pooled)), generator=generator)} if int(pooled) else {}
    cond = [[context, extra]]
    latent = torch.zeros((1, int(channels), int(latent_frames), 2, 2))
    noise = torch.randn(latent.shape, generator=generator)
    comfy.sample.sample(patched, noise, 1, 1.0, "euler", "simple", cond, cond, latent, disable_pbar=True, seed=0)

    # ComfyUI keeps the patched clone loaded (object patches applied) until another model
    # needs the weights; once it is unloaded the shared model must be back to its own module.
    import comfy.model_management

    comfy.model_management.unload_all_models()
    ids, table = calls[0]
    d_t = resolved.spec.temporal_dim
    # the image token at t = 1, h = w = 0: its angle for component j is theta_j * 1
    token = ((ids[0] == torch.tensor([1.0, 0.0, 0.0], dtype=ids.dtype)).all(dim=-1)).nonzero()[0].item()
    rotation = table[0, 0, token, : d_t // 2].to(torch.float64)
    recovered = torch.atan2(rotation[:, 1, 0], rotation[:, 0, 0])
    key = (resolved.positions(latent.shape), False)
    plan = embedder.plan_axes(key)
    module_freqs = embedder.axis_frequencies_on(key, torch.device("cpu"))
    print(
        json.dumps(
            {
                "family": resolved.family.key,
                "theta": resolved.spec.theta,
                "axes_dims": list(resolved.spec.axes_dims),
                "train_len": resolved.spec.train_len,
                "default_k": resolved.family.default_k,
                "calls": len(calls),
                "recovered": recovered.tolist(),
                "planned": [axis.tolist() for axis in plan],
                "module": [axis.tolist() for axis in module_freqs],
                "input_model_module_is_original": model.get_model_object(resolved.rope_path) is original_module,
                "input_model_unpatched_module": type(
                    model.model.diffusion_model.get_submodule(resolved.rope_path.split(".", 1)[1])
                ).__name__,
                "weights_shared": patched.model is model.model
                and all(
                    a.data_ptr() == b.data_ptr()
                    for a, b in zip(patched.model.parameters(), model.model.parameters(), strict=True)
                ),
                "tables_after_run": len(embedder._tables),
            }
        )
    )


if __name__ == "__main__":
    main()
