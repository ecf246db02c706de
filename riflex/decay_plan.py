"""Attention decay beyond the training window (UltraViCo, Zhao et al., ICLR 2026): the settings,
the harmonic bands, and the plan for one latent.

Past about 2x the training length, attention spreads over token pairs farther apart than any
the model saw in training. UltraViCo shrinks the positive attention logits of those pairs by a
constant: s' = min(s, alpha * s) for frames more than `window` apart (half the training length
by default), and more strongly, min(s, beta * s), at the harmonic distances where the fast
temporal RoPE components come back in phase together and a far frame looks near. The
reference (thu-ml/DiT-Extrapolation, branches ultra-wan and ultra-hunyuan) measures distances
in flattened tokens at one hard-coded resolution; here they are in latent frames, from the
latent being sampled, so any resolution works.

Pure: the rule itself (riflex/decay_attention.py) and the ComfyUI side (nodes/) build on this.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass

import torch

from .errors import RIFLExError
from .frequencies import periods
from .length_zones import DECAY_FACTOR
from .spec import RopeSpec

__all__ = [
    "ANCHOR_CHOICES",
    "BAND_PHASE_TOLERANCE",
    "DEFAULT_ALPHA",
    "DEFAULT_BETA",
    "DecayPlan",
    "DecaySettings",
    "HarmonicBand",
    "harmonic_bands",
    "plan_decay",
    "plan_decay_for_spec",
]

# the reference's defaults: ultra-wan inference.py --alpha 0.9; ultra-hunyuan --alpha 0.9 --beta 0.6
DEFAULT_ALPHA = 0.9
DEFAULT_BETA = 0.6
ANCHOR_CHOICES = ("auto", "on", "off")
# "in phase" = within half a radian (about 29 degrees) of a whole turn; see harmonic_bands
BAND_PHASE_TOLERANCE = 0.5


@dataclass(frozen=True)
class DecaySettings:
    """What the user chose. window 0 = half the training length; train_len 0 = the model's own."""

    alpha: float = DEFAULT_ALPHA
    window: float = 0.0
    beta: float = DEFAULT_BETA
    train_len: int = 0
    anchor_first_frame: str = "auto"

    def validate(self) -> None:
        """Raise a RIFLExError naming the first input outside what is allowed."""
        for name, value in (("alpha", self.alpha), ("beta", self.beta)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 < value <= 1.0):
                raise RIFLExError(
                    f"RIFLEx: {name} = {value!r} is outside (0, 1]; it is the factor on positive attention logits "
                    f"(1 = off; the reference uses alpha {DEFAULT_ALPHA}, beta {DEFAULT_BETA})"
                )
        if not (isinstance(self.window, (int, float)) and math.isfinite(self.window) and self.window >= 0):
            raise RIFLExError(
                f"RIFLEx: window = {self.window!r} is not allowed; use 0 (half the training length) or a finite "
                "number of latent frames >= 0"
            )
        if not (isinstance(self.train_len, int) and 0 <= self.train_len <= 1_000_000):
            raise RIFLExError(
                f"RIFLEx: train_len = {self.train_len!r} is not allowed; use 0 (the model's own) or a number of "
                "latent frames from 1 to 1000000"
            )
        if self.anchor_first_frame not in ANCHOR_CHOICES:
            raise RIFLExError(
                f"RIFLEx: anchor_first_frame = {self.anchor_first_frame!r} is unknown; allowed: {', '.join(ANCHOR_CHOICES)}"
            )


@dataclass(frozen=True)
class HarmonicBand:
    """Frame distances first..last (inclusive), around `center` = turns x the period of component
    k, where components 1..k are all back within half a radian of a whole turn."""

    turns: int
    center: float
    half_width: float
    first: int
    last: int


def harmonic_bands(axis_freqs: torch.Tensor, k: int, max_distance: float) -> tuple[HarmonicBand, ...]:
    """The frame distances (up to max_distance) where the temporal RoPE's fast components, 1..k
    (k the intrinsic one, the slowest of them), come back in phase together.

    Derivation. Component j's phase at distance d is theta_j * d. All of 1..k can only be back at
    a whole turn where the slowest, k, is: at d = n * N_k (N_k = 2 pi / theta_k). There, a
    centre counts when every faster component is also within BAND_PHASE_TOLERANCE (half a
    radian) of a whole turn: exactly for commensurate components (HunyuanVideo: theta 256,
    d_t 16, so theta_j = 2^-(j-1) and N_4 = 16 pi = 50.27 frames is a whole number of turns of
    1..3), never for Wan's (10000^(-2/44) steps: no such d up to thousands of frames). Around a
    centre, the band is where component k stays within the same half radian of its turn:
    |d - n N_k| <= 1 / (2 theta_k) (= 4 frames for HunyuanVideo, theta_4 = 1/8), and a latent
    frame, one unit of distance, counts when [d - 1/2, d + 1/2] touches that interval. For
    HunyuanVideo this gives 46-54, 97-105, 147-155 and 197-205 frames; the reference hard-codes
    46-54, 96-104, 146-154 and 196-204 (multiples of 50 rather than of 16 pi = 50.27).
    """
    if not 2 <= k <= axis_freqs.numel():  # a band needs components coming back in phase together
        return ()
    freqs = axis_freqs.to(torch.float64)[:k]
    theta_k = float(freqs[-1])
    period_k = float(periods(freqs[-1:])[0])
    half_width = BAND_PHASE_TOLERANCE / theta_k
    last_turn = math.floor((max_distance + half_width + 0.5) / period_k)
    bands = []
    for start in range(1, last_turn + 1, 65536):  # whole turns of k, a chunk at a time, vectorised
        turns = torch.arange(start, min(start + 65536, last_turn + 1), dtype=torch.float64)
        centers = turns * period_k
        phases = torch.remainder(freqs[:, None] * centers[None, :] + math.pi, 2 * math.pi) - math.pi
        for turn in turns[phases.abs().amax(dim=0) <= BAND_PHASE_TOLERANCE].tolist():
            center = turn * period_k
            first = max(1, math.ceil(center - half_width - 0.5))
            last = min(math.floor(center + half_width + 0.5), math.floor(max_distance))
            if first <= last:
                bands.append(HarmonicBand(int(turn), center, half_width, first, last))
    return tuple(bands)


@dataclass(frozen=True)
class DecayPlan:
    """The decay for a latent of `frames` latent frames (time positions) and a model trained on
    `train_len`: a factor per frame distance and whether frame 0 is anchored to the training
    window. `active` is False within the training length: then nothing changes."""

    frames: int
    train_len: int
    alpha: float
    beta: float
    window: float
    anchor: bool
    bands: tuple[HarmonicBand, ...] = ()
    time_unit: str = "latent frames"

    @property
    def active(self) -> bool:
        return self.frames > self.train_len

    @functools.cached_property
    def _band_firsts(self) -> list[int]:
        return [band.first for band in self.bands]

    def factor_at(self, distance: int) -> float:
        """The factor on a positive logit of two frames `distance` apart (1 = unchanged)."""
        index = bisect.bisect_right(self._band_firsts, distance) - 1  # bands are sorted and apart
        if index >= 0 and distance <= self.bands[index].last:
            return self.beta
        return self.alpha if distance > self.window else 1.0

    def distance_factors(self) -> torch.Tensor:
        """[frames] float32: the factor for every frame distance 0..frames-1."""
        distances = torch.arange(self.frames)
        factors = torch.where(distances > self.window, self.alpha, 1.0)
        for band in self.bands:
            factors[(distances >= band.first) & (distances <= band.last)] = self.beta
        return factors.to(torch.float32)

    def frame_factors(self) -> torch.Tensor:
        """[frames, frames] float32: the factor between query frame a and key frame b."""
        index = torch.arange(self.frames)
        return self.distance_factors()[(index[:, None] - index[None, :]).abs()]

    def summary(self, family: str = "") -> str:
        """One line a user reads on the node and in the log."""
        on = f" on {family}" if family else ""
        head = f"RIFLEx attention decay{on}: {self.frames} {self.time_unit}, train {self.train_len}"
        if not self.active:
            return f"{head}: within the training length, attention unchanged"
        s = self.frames / self.train_len
        bands = (
            "harmonic bands "
            + ", ".join(f"{b.first}-{b.last}" for b in self.bands[:4])
            + (f", ... ({len(self.bands)} in all)" if len(self.bands) > 4 else "")
            + f" (beta {self.beta:g})"
            if self.bands
            else "no harmonic bands"
        )
        anchor = f"first frame anchored to {self.train_len}" if self.anchor else "first frame not anchored"
        # past DECAY_FACTOR (4x, riflex/length_zones.py): beyond what UltraViCo's reference shows
        warn = f" (s = {s:.1f} > {DECAY_FACTOR:g}: beyond what the reference shows)" if s > DECAY_FACTOR + 1e-9 else ""
        return (
            f"{head}, s = {s:.2f}: window +/-{self.window:g} {self.time_unit}, alpha {self.alpha:g} beyond; {bands}; "
            f"{anchor}{warn}"
        )


def plan_decay(
    settings: DecaySettings,
    frames: int,
    train_len: int,
    axis_freqs: torch.Tensor,
    k: int,
    anchor_by_default: bool,
    time_unit: str = "latent frames",
) -> DecayPlan:
    """The plan for a latent of `frames` time positions. axis_freqs: the temporal RoPE
    frequencies in use (after a RIFLEx RoPE on the same model, if there is one); k: the
    intrinsic component (bands come from components 1..k); anchor_by_default: the reference's
    choice for the family (Wan anchors, HunyuanVideo does not)."""
    settings.validate()
    train = settings.train_len or train_len
    if train < 1:
        raise RIFLExError(f"RIFLEx: train_len must be a positive number of latent frames, got {train}")
    window = settings.window if settings.window > 0 else train / 2
    anchor = {"on": True, "off": False}.get(settings.anchor_first_frame, anchor_by_default)
    bands = harmonic_bands(axis_freqs, k, frames - 1) if settings.beta < 1 else ()
    return DecayPlan(
        frames, train, float(settings.alpha), float(settings.beta), float(window), anchor, bands, time_unit
    )


def plan_decay_for_spec(
    settings: DecaySettings,
    spec: RopeSpec,
    positions: int,
    axis_freqs: torch.Tensor,
    k: int,
    anchor_by_default: bool,
) -> DecayPlan:
    """The plan for a latent of `positions` time positions of a model described by `spec`: the
    frames that are not video (Wan Animate's reference image in front) count neither in the
    video's length nor in the training length, and a train_len setting counts them as the RoPE
    node's does."""
    reference = spec.reference_frames
    train_len = (settings.train_len or spec.train_len) - reference
    if train_len < 1:
        raise RIFLExError(
            f"RIFLEx: train_len = {settings.train_len} leaves no video frames for this model (it counts "
            f"{reference} reference frame(s)); use 0 (the model's own) or a larger value"
        )
    video_settings = DecaySettings(
        settings.alpha, settings.window, settings.beta, train_len, settings.anchor_first_frame
    )
    return plan_decay(
        video_settings, positions - reference, train_len, axis_freqs, k, anchor_by_default, spec.time_unit
    )
