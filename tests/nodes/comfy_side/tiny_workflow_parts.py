"""Tiny random-weight stand-ins for the model files the shipped workflows load (tests/workflows):
tiny_models.py's diffusion models, a Wan 2.1 I2V model and the video VAEs, all built with
ComfyUI's own classes (run with ComfyUI's Python).

ComfyUI reads the Wan 2.1 VAE's width from the file, so a tiny Wan 2.1 VAE loads as it is.
The Wan 2.2, HunyuanVideo (also Kandinsky 5's VAE) and HunyuanVideo 1.5 VAEs have their
widths written into comfy/sd.py (Wan 2.2: dim 160; HunyuanVideo: ch 128; 1.5: block widths
128..1024), so a file of another width does not load: `patch_fixed_vae_widths()` makes those
same classes take the tiny widths below. The test pack calls it inside the test server only
when RIFLEX_TEST_TINY_VAES=1 (the workflow tests set it); the shipped workflows and a user's
ComfyUI never see it.

    python tiny_workflow_parts.py COMFYUI_DIR OUT_DIR

writes into OUT_DIR riflex_tiny_vae_<kind>.safetensors for each kind in TINY_VAE_KINDS (checked
to load through comfy.sd.VAE, with the patch, with no missing key), riflex_tiny_wan21_i2v.safetensors
(Wan 2.1 I2V: 36 input channels and the CLIP-vision projection, which ComfyUI detects as i2v)
and tiny_models.py's models of WORKFLOW_FAMILIES.

VOID (CogVideoX-Fun-V1.5 inpainting; not built where comfy.ldm.cogvideo is missing, as in 0.8)
needs riflex_tiny_cogvideox_15_inpaint.safetensors (tiny_models.py's CogVideoX 1.5 with
48 input channels, detected as CogVideoX_Inpaint), a tiny CogVideoX VAE (its widths are written
into comfy/ldm/cogvideo/vae.py's defaults: patched like the others) and
riflex_random_raft_large.safetensors: torchvision's RAFT-large, the only optical-flow model
ComfyUI's OpticalFlowLoader builds (5.3M parameters, 21 MB: no smaller one loads), with its own
random initialisation.

LTX-Video ships as one checkpoint (model and VAE, loaded by CheckpointLoaderSimple): ComfyUI
takes the LTXV VAE's configuration from the file's metadata ("config" -> "vae") when it is
there, so riflex_tiny_ltxv_checkpoint.safetensors is a real tiny file, no patch needed:
tiny_models.py's LTXV under "model.diffusion_model." and a VideoVAE of LTXV_VAE_CONFIG (the
same 8x time / 32x space compression and 128 latent channels as the real one) under "vae.".
"""

from __future__ import annotations

import os
import sys

import tiny_models  # beside this file
import torch

ENV_FLAG = "RIFLEX_TEST_TINY_VAES"
TINY_VAE_KINDS = ("wan21", "wan22", "hunyuan_video", "hunyuan_video_15", "cosmos1", "cogvideox")
OPTIONAL_VAE_KINDS = {"cogvideox": "comfy.ldm.cogvideo"}  # only newer ComfyUIs have the class
WORKFLOW_FAMILIES = ("wan21", "wan22_5b", "hunyuan_video", "hunyuan_video_15", "kandinsky5")  # from tiny_models.py
WORKFLOW_FAMILIES += ("wan_s2v", "wan_humo", "wan_animate")
WAN21_DIM = 8  # read from the file by ComfyUI: no patch needed
WAN22_DIM = 16
# comfy/sd.py's layout of both Wan VAEs (only the widths and latent channels differ)
WAN_VAE_LAYOUT = dict(
    dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[], temperal_downsample=[False, True, True], dropout=0.0
)
HUNYUAN_CH = 32  # GroupNorm(32) in the HunyuanVideo VAE: at least 32
HUNYUAN15_BLOCKS = [16, 16, 32, 32, 32]
# the tiny LTXV VAE: three compress_all blocks on a patch of 4 (8x8x8 after the patch: 8x time,
# 32x space, as comfy/sd.py assumes for every LTXV VAE) and one res_x block, which must be the
# decoder's first (up_blocks.0.res_blocks.0.conv1 is the key ComfyUI detects the LTXV VAE by).
# ComfyUI 0.8 builds it 128 wide whatever the base channels say; newer ones read them.
LTXV_VAE_CONFIG = {
    "_class_name": "CausalVideoAutoencoder",
    "dims": 3,
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 128,
    "blocks": [["compress_all", 1], ["compress_all", 1], ["compress_all", 1], ["res_x", 1]],
    "scaling_factor": 1.0,
    "norm_layer": "pixel_norm",
    "patch_size": 4,
    "latent_log_var": "uniform",
    "use_quant_conv": False,
    "causal_decoder": False,
    "encoder_base_channels": 16,
    "decoder_base_channels": 16,
}
COSMOS_CHANNELS = 16  # the Cosmos 1.0 tokenizer (cosmos_cv8x8x8): 128 in comfy/sd.py; GroupNorm(1), any width
COGVIDEOX_BLOCKS = (32, 32, 32, 32)  # the CogVideoX VAE: 128..512 as its defaults; GroupNorm(32): at least 32
COGVIDEOX_LAYERS = 1  # 3 as its default


def _wan22_class():
    import comfy.ldm.wan.vae2_2 as wan22

    return wan22.WanVAE


def patch_fixed_vae_widths() -> None:
    """Make ComfyUI build its Wan 2.2, HunyuanVideo, HunyuanVideo 1.5 and Cosmos 1.0 VAEs at the
    tiny widths (idempotent)."""
    import comfy.ldm.cosmos.vae as cosmos_vae
    import comfy.ldm.hunyuan_video.vae_refiner as refiner
    import comfy.ldm.wan.vae2_2 as wan22
    import comfy.sd

    if getattr(comfy.sd, "_riflex_tiny_vaes", False):
        return
    comfy.sd._riflex_tiny_vaes = True

    wan22_vae = wan22.WanVAE

    class TinyWan22VAE(wan22_vae):
        def __init__(self, *args, **kwargs):
            kwargs["dim"] = WAN22_DIM
            kwargs["dec_dim"] = WAN22_DIM
            super().__init__(*args, **kwargs)

    wan22.WanVAE = TinyWan22VAE

    autoencoder_kl = comfy.sd.AutoencoderKL

    def tiny_autoencoder_kl(*args, ddconfig=None, **kwargs):
        if ddconfig is not None and ddconfig.get("conv3d"):  # the HunyuanVideo VAE
            ddconfig = {**ddconfig, "ch": HUNYUAN_CH}
        return autoencoder_kl(*args, ddconfig=ddconfig, **kwargs)

    comfy.sd.AutoencoderKL = tiny_autoencoder_kl

    for name in ("Encoder", "Decoder"):
        original = getattr(refiner, name)

        def tiny_init(self, *args, _original=original, **kwargs):
            kwargs["block_out_channels"] = list(HUNYUAN15_BLOCKS)
            _original.__init__(self, *args, **kwargs)

        setattr(refiner, name, type(name, (original,), {"__init__": tiny_init}))

    cosmos_tokenizer = cosmos_vae.CausalContinuousVideoTokenizer

    class TinyCosmosTokenizer(cosmos_tokenizer):
        def __init__(self, *args, **kwargs):
            kwargs["channels"] = COSMOS_CHANNELS
            super().__init__(*args, **kwargs)

    cosmos_vae.CausalContinuousVideoTokenizer = TinyCosmosTokenizer

    if tiny_models.available("comfy.ldm.cogvideo"):
        import comfy.ldm.cogvideo.vae as cogvideox_vae

        cogvideox_autoencoder = cogvideox_vae.AutoencoderKLCogVideoX

        class TinyCogVideoXVAE(cogvideox_autoencoder):
            def __init__(self, *args, **kwargs):
                kwargs.update(block_out_channels=COGVIDEOX_BLOCKS, layers_per_block=COGVIDEOX_LAYERS)
                super().__init__(*args, **kwargs)

        cogvideox_vae.AutoencoderKLCogVideoX = TinyCogVideoXVAE


def _randomize(module: torch.nn.Module, seed: int) -> None:
    # VAEs and encoders: every 1-d norm or gamma scale is a scale (not only those named *weight)
    tiny_models.randomize(
        module, seed, is_scale=lambda name, param: param.ndim == 1 and ("norm" in name or "gamma" in name)
    )


def build(kind: str) -> dict[str, torch.Tensor]:
    """The state dict of a tiny VAE of this kind, with the keys the real file has."""
    if kind == "wan21":
        from comfy.ldm.wan.vae import WanVAE

        model = WanVAE(dim=WAN21_DIM, z_dim=16, **WAN_VAE_LAYOUT)
    elif kind == "wan22":
        model = _wan22_class()(dim=WAN22_DIM, dec_dim=WAN22_DIM, z_dim=48, **WAN_VAE_LAYOUT)
    elif kind == "hunyuan_video":
        from comfy.ldm.models.autoencoder import AutoencoderKL

        ddconfig = {
            "double_z": True,
            "z_channels": 16,
            "resolution": 256,
            "in_channels": 3,
            "out_ch": 3,
            "ch": HUNYUAN_CH,
            "ch_mult": [1, 2, 4, 4],
            "num_res_blocks": 2,
            "attn_resolutions": [],
            "dropout": 0.0,
            "conv3d": True,
            "time_compress": 4,
        }
        model = AutoencoderKL(ddconfig=ddconfig, embed_dim=16)
    elif kind == "hunyuan_video_15":
        from comfy.ldm.models.autoencoder import AutoencodingEngine

        ddconfig = {
            "block_out_channels": list(HUNYUAN15_BLOCKS),
            "in_channels": 3,
            "out_channels": 3,
            "num_res_blocks": 2,
            "ffactor_spatial": 16,
            "ffactor_temporal": 4,
            "downsample_match_channel": True,
            "upsample_match_channel": True,
            "z_channels": 32,
        }
        model = AutoencodingEngine(
            regularizer_config={"target": "comfy.ldm.models.autoencoder.EmptyRegularizer"},
            encoder_config={"target": "comfy.ldm.hunyuan_video.vae_refiner.Encoder", "params": ddconfig},
            decoder_config={"target": "comfy.ldm.hunyuan_video.vae_refiner.Decoder", "params": ddconfig},
        )
    elif kind == "cosmos1":
        from comfy.ldm.cosmos.vae import CausalContinuousVideoTokenizer

        # comfy/sd.py's configuration of cosmos_cv8x8x8_1.0, at the tiny width
        model = CausalContinuousVideoTokenizer(
            z_channels=16,
            latent_channels=16,
            z_factor=1,
            resolution=1024,
            in_channels=3,
            out_channels=3,
            channels=COSMOS_CHANNELS,
            channels_mult=[2, 4, 4],
            num_res_blocks=2,
            attn_resolutions=[32],
            dropout=0.0,
            patch_size=4,
            num_groups=1,
            temporal_compression=8,
            spacial_compression=8,
        )
    elif kind == "cogvideox":
        from comfy.ldm.cogvideo.vae import AutoencoderKLCogVideoX

        model = AutoencoderKLCogVideoX(
            latent_channels=16, block_out_channels=COGVIDEOX_BLOCKS, layers_per_block=COGVIDEOX_LAYERS
        )
    else:
        raise ValueError(f"unknown tiny VAE {kind!r}; known: {TINY_VAE_KINDS}")
    _randomize(model, seed=sum(map(ord, kind)))
    state = model.state_dict()
    if kind == "cosmos1":  # the released file holds the (non-persistent) wavelet buffers, which ComfyUI detects it by
        state.update(
            {name: buffer for name, buffer in model.named_buffers(remove_duplicate=False) if name not in state}
        )
    return {k: v.clone().contiguous() for k, v in state.items()}


def build_wan21_i2v() -> dict[str, torch.Tensor]:
    """Wan 2.1 I2V at the smallest size detection accepts (head dim 128 fixed, text width 4096,
    CLIP-vision width 1280 fixed): 16 latent channels + 4 mask + 16 image channels in."""
    import comfy.ops
    from comfy.ldm.wan.model import WanModel

    ops = comfy.ops.disable_weight_init
    model = WanModel(model_type="i2v", in_dim=36, out_dim=16, num_layers=1, operations=ops, **tiny_models.TINY_WAN)
    _randomize(model, seed=2136)
    return tiny_models.weights(model)


def build_random_raft() -> dict[str, torch.Tensor]:
    """torchvision's RAFT-large (what OpticalFlowLoader builds) with its own random initialisation."""
    from torchvision.models.optical_flow import raft_large

    torch.manual_seed(1457)
    return tiny_models.weights(raft_large(weights=None, progress=False))


def build_ltxv_checkpoint() -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """(state dict, metadata) of a tiny LTX-Video checkpoint as CheckpointLoaderSimple reads it."""
    import json

    from comfy.ldm.lightricks.vae.causal_video_autoencoder import VideoVAE

    vae = VideoVAE(config=dict(LTXV_VAE_CONFIG))
    _randomize(vae, seed=sum(map(ord, "ltxv_vae")))
    # the latent statistics are torch.empty buffers (the real file holds measured ones): without
    # values the decode would scale by whatever memory held, NaN included. Identity: mean 0, std 1.
    with torch.no_grad():
        for name, buffer in vae.per_channel_statistics.named_buffers():
            buffer.fill_(1.0 if name == "std-of-means" else 0.0)
    state = {f"vae.{k}": v.clone().contiguous() for k, v in vae.state_dict().items()}
    model = tiny_models.build("ltxv")
    state.update(tiny_models.weights(model, prefix="model.diffusion_model."))
    return state, {"config": json.dumps({"vae": LTXV_VAE_CONFIG})}


def main(comfyui_dir: str, out_dir: str) -> None:
    sys.path.insert(0, comfyui_dir)
    from comfy.cli_args import args

    args.cpu = True
    import comfy.sd
    from safetensors.torch import save_file

    patch_fixed_vae_widths()
    os.makedirs(out_dir, exist_ok=True)
    for kind in TINY_VAE_KINDS:
        if kind in OPTIONAL_VAE_KINDS and not tiny_models.available(OPTIONAL_VAE_KINDS[kind]):
            continue
        state = build(kind)
        vae = comfy.sd.VAE(sd=dict(state))
        loaded = vae.first_stage_model.state_dict()
        missing = sorted(set(loaded) - set(state))
        if missing or any(loaded[k].shape != state[k].shape for k in state if k in loaded):
            raise RuntimeError(f"tiny {kind} VAE does not load as ComfyUI's own: missing {missing[:5]}")
        save_file(state, os.path.join(out_dir, f"riflex_tiny_vae_{kind}.safetensors"))
    save_file(build_wan21_i2v(), os.path.join(out_dir, "riflex_tiny_wan21_i2v.safetensors"))
    state, metadata = build_ltxv_checkpoint()
    path = os.path.join(out_dir, "riflex_tiny_ltxv_checkpoint.safetensors")
    save_file(state, path, metadata=metadata)
    loaded = comfy.sd.load_checkpoint_guess_config(path)[2].first_stage_model.state_dict()
    if {k: v.shape for k, v in loaded.items()} != {k[4:]: v.shape for k, v in state.items() if k.startswith("vae.")}:
        raise RuntimeError("the tiny LTX-Video checkpoint's VAE does not load with its own configuration")

    for family in WORKFLOW_FAMILIES:
        save_file(
            tiny_models.weights(tiny_models.build(family)), os.path.join(out_dir, f"riflex_tiny_{family}.safetensors")
        )
    if tiny_models.available("comfy.ldm.cogvideo"):
        void = tiny_models.build("cogvideox_15", in_channels=48)
        save_file(tiny_models.weights(void), os.path.join(out_dir, "riflex_tiny_cogvideox_15_inpaint.safetensors"))
        save_file(build_random_raft(), os.path.join(out_dir, "riflex_random_raft_large.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
