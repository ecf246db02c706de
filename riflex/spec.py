"""What the math needs to know about a model's RoPE, and how frames map to positions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import RIFLExError

if TYPE_CHECKING:  # torch only where frequencies are computed: the command line's `run` needs none
    import torch

__all__ = ["RopeSpec", "positions_from_pixel_frames"]


def positions_from_pixel_frames(pixel_frames: int, temporal_compression: int, temporal_patch: int = 1) -> int:
    """Pixel frames -> time positions, as the causal VAE (first latent frame holds one pixel
    frame) and the patch embedding (padded up to a whole patch) count them."""
    if pixel_frames < 1:
        raise RIFLExError(f"RIFLEx: frames must be >= 1, got {pixel_frames}")
    latent = (pixel_frames - 1) // temporal_compression + 1
    return -(-latent // temporal_patch)


@dataclass(frozen=True)
class RopeSpec:
    """A multi-axis RoPE: base theta, per-axis dims (time first), and the training length of
    the time axis in position units (latent frames after the temporal patch).

    temporal_compression: pixel frames per latent frame of the VAE (causal: the first latent
    frame holds one pixel frame). temporal_patch: latent frames per RoPE position.
    """

    theta: float
    axes_dims: tuple[int, ...]
    train_len: int
    temporal_compression: int = 4
    temporal_patch: int = 1
    # training resolution in RoPE positions (patches) of each spatial axis (h, w); () = unknown
    spatial_train_len: tuple[int, ...] = ()
    # latent frames the sampled latent holds besides the video (Wan Animate's reference image)
    reference_frames: int = 0
    # the time axis' frequencies in radians per position, fastest first, where a model does not
    # use theta^(-2(j-1)/d) (LTX: one grid shared by all axes, time in seconds); () = that form
    temporal_freqs: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.axes_dims or any(d <= 0 or d % 2 for d in self.axes_dims):
            raise RIFLExError(f"RIFLEx: axes_dims must be positive even numbers, got {self.axes_dims}")
        if self.train_len <= 0:
            raise RIFLExError(f"RIFLEx: train_len must be a positive number of latent frames, got {self.train_len}")

    def axis_freqs(self, axis: int) -> torch.Tensor:
        """The model's own float64 frequencies of one axis (0 = time)."""
        import torch

        from .frequencies import axis_frequencies

        if axis == 0 and self.temporal_freqs:
            return torch.tensor(self.temporal_freqs, dtype=torch.float64)
        return axis_frequencies(self.theta, self.axes_dims[axis])

    @property
    def time_unit(self) -> str:
        """What one time position is, for messages: a latent frame, or a temporal patch of them."""
        return (
            "latent frames"
            if self.temporal_patch == 1
            else f"time positions ({self.temporal_patch} latent frames each)"
        )

    @property
    def temporal_dim(self) -> int:
        return self.axes_dims[0]

    @property
    def temporal_components(self) -> int:
        return self.axes_dims[0] // 2

    def positions_from_pixel_frames(self, pixel_frames: int) -> int:
        video = positions_from_pixel_frames(pixel_frames, self.temporal_compression, self.temporal_patch)
        return video + self.reference_frames

    def positions_from_latent_frames(self, latent_frames: int) -> int:
        # ComfyUI pads the latent up to a whole patch (comfy.ldm.common_dit.pad_to_patch_size).
        return -(-latent_frames // self.temporal_patch)

    def pixel_frames_from_positions(self, positions: int) -> int:
        latent = (positions - self.reference_frames) * self.temporal_patch
        return (latent - 1) * self.temporal_compression + 1
