"""The video model families RIFLEx knows, in one table.

The node reads theta and the per-axis dims from the loaded model's own RoPE module; the
values here are what each family ships with, used only where no model is at hand (the
`python -m riflex inspect --family` command) and checked against real ComfyUI models in the
tests. Training lengths and k values carry their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import RIFLExError
from .ltx_time import ltx_grid, ltx_temporal_freqs, ltx_time_step
from .spec import RopeSpec, positions_from_pixel_frames

__all__ = ["FAMILIES", "Family", "generic_family", "get_family"]


@dataclass(frozen=True)
class Family:
    key: str
    display_name: str
    train_frames: int  # pixel frames the model was trained on
    temporal_compression: int
    temporal_patch: int
    default_k: int
    theta: float
    axes_dims: tuple[int, int, int]
    train_source: str
    k_source: str
    # training resolution in patches (h, w) for spatial extrapolation, with its source; some
    # families trained their larger models at a higher resolution (by hidden width)
    spatial_train: tuple[int, int] = ()
    spatial_source: str = ""
    spatial_train_by_width: tuple[tuple[int, tuple[int, int]], ...] = ()
    # latent frames the sampled latent carries besides the video itself, at the RoPE's time
    # positions (Wan Animate puts its reference image in front of the video)
    reference_frames: int = 0
    # radians per latent frame of the time components, fastest first, where they are not
    # theta^(-2(j-1)/d) (LTX); the node reads them from the model
    temporal_freqs: tuple[float, ...] = ()
    # attention decay's first-frame anchor by default: the reference anchors Wan's first frame
    # (ultra-wan) and not HunyuanVideo's (ultra-hunyuan); other families follow HunyuanVideo
    decay_anchor: bool = False
    # the short name the RoPE node's preview shows in the editor ("" = display_name)
    editor_label: str = ""

    def spatial_train_for(self, model_width: int | None) -> tuple[int, ...]:
        return dict(self.spatial_train_by_width).get(model_width, self.spatial_train)

    def spec(
        self,
        theta: float | None = None,
        axes_dims: tuple[int, ...] | None = None,
        train_len: int = 0,
        model_width: int | None = None,
    ) -> RopeSpec:
        """The RopeSpec of this family, with theta/dims from the model when given, an optional
        training-length override in latent frames (0 = the family's own) and the model's hidden
        width (some families trained their larger models at a higher resolution)."""
        if not train_len:
            train_len = self.reference_frames + positions_from_pixel_frames(
                self.train_frames, self.temporal_compression, self.temporal_patch
            )
        return RopeSpec(
            theta=self.theta if theta is None else float(theta),
            axes_dims=tuple(self.axes_dims if axes_dims is None else axes_dims),
            train_len=train_len,
            temporal_compression=self.temporal_compression,
            temporal_patch=self.temporal_patch,
            spatial_train_len=self.spatial_train_for(model_width),
            reference_frames=self.reference_frames,
            temporal_freqs=self.temporal_freqs if axes_dims is None else (),
        )


_WAN_K = (
    "k = 6, period 50.9 latent frames: the value the RIFLEx authors and the community use for Wan; "
    "users report Wan looping back at about 201 pixel frames (51 latent), and identify_k(10000, 44, 51) = 6"
)

# These models run at 480P and 720P; the larger (1280x720, VAE 8x, patch 2 -> 45 x 80) is taken
# as the training size so that a native 720P video is never changed by spatial extrapolation.
_WAN_14B_SPATIAL = "480P and 720P per the model's README; 720P (1280x720) taken, VAE 8x, patch 2 -> 45 x 80"

# What every Wan model (2.1, 2.2 5B, S2V, HuMo, Animate) shares: the Wan VAE's 4x time
# compression, no temporal patch, WanModel's RoPE (head dim 128 split 44/42/42 as
# d - 4*(d//6), 2*(d//6), 2*(d//6), theta 10000) and so the intrinsic component k = 6.
_WAN_ROPE = dict(
    temporal_compression=4, temporal_patch=1, default_k=6, theta=10000.0, axes_dims=(44, 42, 42), decay_anchor=True
)

FAMILIES: dict[str, Family] = {
    family.key: family
    for family in (
        Family(
            key="wan21",
            editor_label="Wan 2.1 / 2.2 A14B",
            display_name="Wan 2.1 (T2V/I2V 1.3B and 14B, VACE, Fun) and Wan 2.2 A14B",
            # Wan2.1 repository: generate.py --frame_num defaults to 81 (4n+1) and the configs set
            # vae_stride = (4, 8, 8); Wan2.2 wan/configs/shared_config.py keeps frame_num = 81 for A14B.
            train_frames=81,
            **_WAN_ROPE,
            train_source="Wan2.1 generate.py --frame_num 81, vae_stride (4, 8, 8); Wan2.2 shared_config.py frame_num=81 -> 21 latent",
            k_source=_WAN_K,
            # 1.3B: 480x832 (Wan2.1 README, 480P only) -> /8 VAE /2 patch = 30 x 52; the 14B models
            # (width 5120) are 720P models, 720x1280 -> 45 x 80.
            spatial_train=(30, 52),
            spatial_train_by_width=((5120, (45, 80)),),
            spatial_source="Wan2.1 README: 1.3B at 480P (832x480), 14B at 720P (1280x720); VAE 8x, patch 2",
        ),
        Family(
            key="wan22_5b",
            editor_label="Wan 2.2 TI2V 5B",
            display_name="Wan 2.2 TI2V 5B",
            # Wan2.2 repository, wan/configs/wan_ti2v_5B.py: frame_num = 121 (24 fps),
            # vae_stride = (4, 16, 16) -> 31 latent frames.
            train_frames=121,
            **_WAN_ROPE,
            train_source="Wan2.2 wan/configs/wan_ti2v_5B.py: frame_num=121, vae_stride=(4, 16, 16) -> 31 latent",
            k_source=_WAN_K + "; the 5B model keeps Wan's RoPE (same theta and axis split)",
            spatial_train=(22, 40),
            spatial_source="Wan2.2 README: TI2V-5B at 720P = 1280x704; VAE 16x, patch 2 -> 22 x 40",
        ),
        Family(
            key="hunyuan_video",
            editor_label="HunyuanVideo 1.0",
            display_name="HunyuanVideo 1.0 (T2V, I2V, SkyReels I2V)",
            # HunyuanVideo repository, README / sample_video.py: --video-length 129 (5 s at 24 fps);
            # its causal 3D VAE compresses time 4x -> 33 latent frames.
            train_frames=129,
            temporal_compression=4,
            temporal_patch=1,
            default_k=4,
            theta=256.0,
            axes_dims=(16, 56, 56),
            train_source="HunyuanVideo README, sample_video.py --video-length 129; 4x causal VAE -> 33 latent",
            k_source="k = 4, period 50.3 latent frames: RIFLEx paper Sec. 3.2 (HunyuanVideo repeats after about 50 latent frames)",
            spatial_train=(45, 80),
            spatial_source="HunyuanVideo README: 720p (1280x720) 129 frames; VAE 8x, patch 2 -> 45 x 80",
        ),
        Family(
            key="hunyuan_video_15",
            editor_label="HunyuanVideo 1.5",
            display_name="HunyuanVideo 1.5 (T2V, I2V)",
            # HunyuanVideo-1.5 README / generate.py: video_length 121 (5 s at 24 fps); its VAE
            # compresses time 4x (and space 16x) -> 31 latent frames.
            train_frames=121,
            temporal_compression=4,
            temporal_patch=1,
            default_k=4,
            theta=256.0,
            axes_dims=(16, 56, 56),
            train_source="HunyuanVideo-1.5 README, generate.py --video_length 121; 4x temporal VAE -> 31 latent",
            k_source=(
                "k = 4, period 50.3 latent frames: 1.5 keeps 1.0's RoPE (theta 256, d_t 16, the paper's k = 4), and "
                "estimate_k agrees: component 3 (period 25.1) turns within the 31 trained frames, component 4 does not"
            ),
            # 480p and 720p checkpoints share the class; 720p (1280x720, VAE 16x, patch 1 -> 45 x 80)
            # is taken so that a native 720p video is never changed by spatial extrapolation.
            spatial_train=(45, 80),
            spatial_source="HunyuanVideo-1.5 README: 480p and 720p models; 720p (1280x720) taken, VAE 16x, patch 1",
        ),
        Family(
            key="kandinsky5",
            editor_label="Kandinsky 5.0 Video",
            display_name="Kandinsky 5.0 Video (Lite/Pro T2V, I2V)",
            # Kandinsky-5 README: "5s checkpoints ... up to 5 seconds", 24 fps -> 121 frames; the
            # HunyuanVideo VAE compresses time 4x -> 31 latent. The 10 s checkpoints (241 frames,
            # 61 latent) share the model class: set train_len = 61 for them.
            train_frames=121,
            temporal_compression=4,
            temporal_patch=1,
            default_k=3,
            theta=10000.0,
            axes_dims=(16, 24, 24),
            train_source="Kandinsky-5 README: 5 s checkpoints at 24 fps = 121 frames; HunyuanVideo VAE 4x -> 31 latent",
            k_source=(
                "k = 3, period 62.8 latent frames, derived (no loop frame is published): with theta 10000 and "
                "d_t 16 the periods are 6.3, 19.9, 62.8; component 3 is the first that never completes a period "
                "in the 31 trained frames (nor in the 61 of the 10 s checkpoints)"
            ),
            # Kandinsky 5 technical report: Video Lite at 768x512, Video Pro (width 4096) at 1280x768;
            # VAE 8x, patch 2. The model spaces these positions rope_scale_factor apart (nodes/).
            spatial_train=(32, 48),
            spatial_train_by_width=((4096, (48, 80)),),
            spatial_source="Kandinsky 5.0 report: Lite 768x512, Pro 1280x768; VAE 8x, patch 2 -> 32 x 48, 48 x 80 patches",
        ),
        Family(
            key="wan_s2v",
            editor_label="Wan 2.2 S2V 14B",
            display_name="Wan 2.2 S2V 14B (speech to video)",
            # Wan2.2 wan/configs/wan_s2v_14B.py: frame_num = 80 pixel frames per clip, vae_stride
            # (4, 8, 8); speech2video.py samples (80 + 3 + 73) // 4 - (73 + 3) // 4 = 20 latent frames
            # of new video per clip (the 73 motion frames sit at negative time positions, the
            # reference image at t = max(30, T + 9)). ComfyUI's WanSoundImageToVideo: length 77 = 20.
            train_frames=77,
            **_WAN_ROPE,
            train_source="Wan2.2 wan_s2v_14B.py frame_num=80 per clip -> 20 latent (ComfyUI WanSoundImageToVideo length 77)",
            k_source=_WAN_K + "; S2V keeps Wan 2.1's RoPE",
            spatial_train=(45, 80),
            spatial_source=_WAN_14B_SPATIAL,
        ),
        Family(
            key="wan_humo",
            editor_label="HuMo (Wan 2.1 based)",
            display_name="HuMo (Wan 2.1 based, 1.7B/17B)",
            # HuMo README (Phantom-video/HuMo): "The model is trained on 97-frame videos at 25 FPS";
            # Wan 2.1 VAE 4x -> 25 latent. Its reference image sits at t = T (after the video).
            train_frames=97,
            **_WAN_ROPE,
            train_source="HuMo README: trained on 97-frame videos at 25 FPS; Wan 2.1 VAE 4x -> 25 latent",
            k_source=_WAN_K + "; HuMo keeps Wan 2.1's RoPE",
            spatial_train=(45, 80),
            spatial_source=_WAN_14B_SPATIAL,
        ),
        Family(
            key="wan_animate",
            editor_label="Wan 2.2 Animate 14B",
            display_name="Wan 2.2 Animate 14B",
            # Wan2.2 wan/configs/wan_animate_14B.py: frame_num = 77 (20 latent) per clip; the
            # reference image is one more latent frame in front of the video, in the same latent
            # (ComfyUI's WanAnimateToVideo: trim_latent = 1), so the RoPE sees 21 time positions.
            train_frames=77,
            **_WAN_ROPE,
            train_source="Wan2.2 wan_animate_14B.py frame_num=77 -> 20 latent, plus the reference latent frame = 21",
            k_source=_WAN_K + "; Animate keeps Wan 2.1's RoPE",
            spatial_train=(45, 80),
            spatial_source=_WAN_14B_SPATIAL,
            reference_frames=1,
        ),
        Family(
            key="cogvideox",
            editor_label="CogVideoX 5B",
            display_name="CogVideoX 5B (T2V, I2V)",
            # CogVideoX README / model card: 49 frames (6 s at 8 fps), 720x480; its VAE compresses
            # time 4x -> 13 latent frames, space 8x with patch 2 -> 30 x 45 patches.
            train_frames=49,
            temporal_compression=4,
            temporal_patch=1,
            default_k=2,
            theta=10000.0,
            axes_dims=(16, 24, 24),
            train_source="CogVideoX-5B model card: 49 frames at 8 fps, 720x480; 4x VAE -> 13 latent",
            k_source="k = 2, period 19.9 latent frames: RIFLEx paper Sec. 3.2 (reference code N_k = 20)",
            spatial_train=(30, 45),
            spatial_source="CogVideoX-5B model card: 720x480; VAE 8x, patch 2 -> 30 x 45 patches",
        ),
        Family(
            key="cogvideox_15",
            editor_label="CogVideoX 1.5 5B",
            display_name="CogVideoX 1.5 5B (T2V, I2V; Fun-V1.5 and VOID inpainting)",
            # CogVideoX1.5-5B model card: 5 s at 16 fps = 81 frames, 1360x768; VAE 4x -> 21 latent,
            # temporal patch 2 (padded to 22) -> 11 time positions; ComfyUI sets sample_frames 81.
            # VOID (netflix/void-model, a CogVideoX-Fun-V1.5-5b-InP fine-tune) infers in windows of
            # 85 frames (config temporal_window_size) = 22 latent = the same 11 positions.
            train_frames=81,
            temporal_compression=4,
            temporal_patch=2,
            default_k=2,
            theta=10000.0,
            axes_dims=(16, 24, 24),
            train_source="CogVideoX1.5-5B model card: 81 frames (5 s at 16 fps), 1360x768; 4x VAE, temporal patch 2 -> 11",
            k_source=(
                "k = 2, period 19.9 positions (39.7 latent frames), derived: 1.5 keeps CogVideoX's RoPE (theta 10000, "
                "d_t 16; the paper's k = 2 for 5B) and component 2 is the first that never completes a period in the "
                "11 trained positions"
            ),
            spatial_train=(48, 85),
            spatial_source="ComfyUI sample_height/width 96 x 170 latent (1360x768 px); patch 2 -> 48 x 85 patches",
        ),
        Family(
            key="cosmos1",
            editor_label="Cosmos 1.0 Diffusion",
            display_name="Cosmos 1.0 Diffusion (7B/14B Text2World, Video2World)",
            # NVIDIA Cosmos-1.0-Diffusion model cards: 121 frames (5 s at 24 fps), 1280x704;
            # ComfyUI's EmptyCosmosLatentVideo defaults to 121; the Cosmos tokenizer compresses
            # time 8x (causal) -> 16 latent frames.
            train_frames=121,
            temporal_compression=8,
            temporal_patch=1,
            default_k=4,
            # the module's time base already carries its NTK factor: 10000 * 2^(44/42) = 20671
            # for the released 7B and 14B (rope_t_extrapolation_ratio 2); read from the model
            theta=10000.0 * 2.0 ** (44 / 42),
            axes_dims=(44, 42, 42),
            train_source="Cosmos-1.0-Diffusion model cards: 121 frames at 24 fps (ComfyUI EmptyCosmosLatentVideo 121); 8x tokenizer -> 16 latent",
            k_source=(
                "k = 4, period 24.4 latent frames, derived (no loop frame is published): with the module's time base "
                "20671 and d_t 44 the periods are 6.3, 9.9, 15.5, 24.4, 38.3; component 4 is the first that never "
                "completes a period in the 16 trained frames (component 3 completes about one)"
            ),
        ),
        Family(
            key="cosmos_predict2",
            editor_label="Cosmos Predict2",
            display_name="Cosmos Predict2 (2B/14B Video2World)",
            # NVIDIA Cosmos-Predict2 Video2World model cards: 93 frames at 16 fps; ComfyUI's
            # CosmosPredict2ImageToVideoLatent defaults to 93; Wan 2.1 VAE 4x -> 24 latent frames.
            train_frames=93,
            temporal_compression=4,
            temporal_patch=1,
            default_k=5,
            theta=10000.0,  # 2B; the 14B's time base is 10000 * (5/6)^(44/42) = 8261; read from the model
            axes_dims=(44, 42, 42),
            train_source="Cosmos-Predict2 Video2World model cards: 93 frames (ComfyUI CosmosPredict2ImageToVideoLatent 93); Wan VAE 4x -> 24 latent",
            k_source=(
                "k = 5, period 33.5 latent frames (14B: 32.4), derived: periods 6.3, 9.6, 14.5, 22.1, 33.5; component 5 "
                "is the first that never completes a period in the 24 trained frames"
            ),
        ),
        Family(
            key="ltxv",
            display_name="LTX-Video and LTX-2 (time components of the shared grid)",
            # LTX-Video README: best results below 257 frames (8n+1); LTX-2: 10 s clips at 25 fps
            # (257 frames in ComfyUI's 8n+1 lengths). The video VAE compresses time 8x -> 33 latent.
            train_frames=257,
            temporal_compression=8,
            temporal_patch=1,
            default_k=0,  # estimated from the model's own grid: see k_source
            theta=10000.0,
            # LTX-Video 2B: inner dim 2048 -> n = 341 components per axis (shown without a model)
            axes_dims=(682, 682, 682),
            train_source=(
                "LTX-Video README: up to 257 frames; LTX-2: 10 s at 25 fps = 257 frames; 8x VAE -> 33 latent "
                "(the training length is not in ComfyUI's code: set train_len for other checkpoints)"
            ),
            k_source=(
                "estimated per model (estimate_k): the fastest time component whose period exceeds the training "
                "length (LTX-Video 2B at 25 fps: period 33.2 latent frames). LTX spaces its n components only "
                "2.7% apart (1.4% for 4096-wide models), so about 25 to 50 of them complete their first period "
                "between 1x and 2x the training length: slowing one of them alone may not prevent a loop-back"
            ),
            temporal_freqs=ltx_temporal_freqs(ltx_grid(10000.0, 341), ltx_time_step(8, 20)),
        ),
    )
}


def generic_family(class_name: str, temporal_compression: int) -> Family:
    """A model RIFLEx has no table entry for, but whose RoPE has a time axis: the user gives
    the training length (train_len); k is estimated from it (estimate_k)."""
    return Family(
        key="generic",
        display_name=f"{class_name} (generic EmbedND path)",
        train_frames=1,  # unused: the generic path always takes train_len from the user
        temporal_compression=temporal_compression,
        temporal_patch=1,
        default_k=0,
        theta=10000.0,
        axes_dims=(),
        train_source="given by the user (train_len)",
        k_source="estimated: the first component whose period exceeds train_len",
    )


def get_family(key: str) -> Family:
    try:
        return FAMILIES[key]
    except KeyError:
        raise RIFLExError(f"RIFLEx: unknown family {key!r}; known: {', '.join(FAMILIES)}") from None
