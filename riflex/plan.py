"""Turn a user's settings and the real video length into the frequencies to use.

`plan_temporal` is the one place where k = 0 (auto), s = 0 (auto) and the method registry
meet; the node, the CLI and the tests all go through it, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from .errors import RIFLExError
from .frequencies import periods, repeating_components
from .length_zones import length_note
from .methods import METHODS, MethodParams, validate_params
from .spec import RopeSpec

__all__ = [
    "AXES",
    "AxisPlan",
    "TemporalPlan",
    "estimate_k",
    "plan_spatial",
    "plan_temporal",
    "resolve_s",
    "schedule_fraction",
]

# which RoPE axes a method changes (the "vision" variants of the paper = all three)
AXES = {"temporal": (0,), "spatial": (1, 2), "temporal+spatial": (0, 1, 2)}
AXIS_NAMES = ("t", "h", "w")
# every parameter at its default: k and s auto (the family's k, the measured factor)
AUTO = MethodParams()


def estimate_k(axis_freqs: torch.Tensor, train_len: int) -> int:
    """A first guess at the intrinsic component when no repetition has been observed.

    The component that did not complete a period during training is the one whose first
    turn the model never saw past: the fastest component whose period exceeds train_len
    (HunyuanVideo: 4, CogVideoX-5B: 2, as in the paper). For Wan it gives 4, while the
    community value from observed loops is 6: prefer a family's known k, or identify_k from
    a video that looped.
    """
    over = (periods(axis_freqs) > train_len).nonzero()
    return int(over[0].item()) + 1 if over.numel() else axis_freqs.numel()


def schedule_fraction(current_sigma: float, sample_sigmas: list[float]) -> float:
    """How far a sampling run has gone: 0 at its first step, approaching 1 at its last
    (the share of the schedule's sigmas already passed)."""
    if len(sample_sigmas) < 2:
        return 0.0
    passed = sum(1 for sigma in sample_sigmas if sigma > current_sigma * (1 + 1e-6))
    return min(1.0, passed / (len(sample_sigmas) - 1))


def resolve_s(s: float, train_len: int, test_len: int) -> float:
    """s = 0 means measured: test_len / train_len, never below 1 (no interpolation is needed
    inside the training length)."""
    return float(s) if s > 0 else max(1.0, test_len / train_len)


@dataclass(frozen=True)
class AxisPlan:
    """The plan of one RoPE axis: time (axis 0) or, for spatial extrapolation, h or w."""

    method: str
    spec: RopeSpec
    test_len: int
    params: MethodParams  # as applied: k resolved from auto, s measured when auto
    freqs_before: torch.Tensor  # float64, d_t/2
    freqs_after: torch.Tensor
    axis: int = 0  # 0 = time (spec.train_len in latent frames); 1, 2 = h, w (in patches)

    @property
    def s(self) -> float:
        return self.params.s

    @property
    def k(self) -> int:
        return self.params.k

    @property
    def changed(self) -> bool:
        return not torch.equal(self.freqs_before, self.freqs_after)

    @property
    def changed_components(self) -> list[int]:
        return [
            j + 1
            for j, (a, b) in enumerate(zip(self.freqs_before.tolist(), self.freqs_after.tolist(), strict=True))
            if a != b
        ]

    @property
    def repeats_before(self) -> list[int]:
        return repeating_components(self.freqs_before, self.test_len)

    @property
    def repeats_after(self) -> list[int]:
        return repeating_components(self.freqs_after, self.test_len)

    @property
    def repeats_in_training(self) -> list[int]:
        """Components the model saw complete a period during training: their repetition is
        part of what it learned, not a loop-back."""
        return repeating_components(self.freqs_before, self.spec.train_len)

    @property
    def new_repeats_after(self) -> list[int]:
        """Components that complete a period within the video but never did in training:
        where a loop-back can come from."""
        seen = set(self.repeats_in_training)
        return [j for j in self.repeats_after if j not in seen]

    @property
    def warns_on_length(self) -> bool:
        """Whether the video is past the training-free 2x (the report line then says so)."""
        return bool(self._quality_note())

    def length_note(self, family: str = "") -> str:
        """The length warning this plan's summary(family) ends with ('' up to 2x)."""
        return self._quality_note(family)

    def _quality_note(self, family: str = "") -> str:
        # the video's length against the training length (riflex/length_zones.py): past 2x the
        # paper's training-free claim no longer holds, whatever the method does
        return length_note(self.test_len, self.spec.train_len, family) if self.axis == 0 else ""

    @property
    def k_turns_in_training(self) -> float:
        """How many turns component k makes within the training length (r_train); >= 1 means
        k is not the intrinsic component: a loop that starts within training is content."""
        return self.spec.train_len * float(self.freqs_before[self.k - 1]) / (2 * math.pi)

    def k_warning(self) -> str:
        """'' or why k is a poor choice: it completes a turn within the training length, so the
        model saw it repeat and slowing it changes what it learned (paper Sec. 3.2: the intrinsic
        component is the first whose period exceeds the training length)."""
        if self.axis != 0 or self.method not in ("riflex", "loop") or k_is_intrinsic_candidate(self):
            return ""
        period = 2 * math.pi / float(self.freqs_before[self.k - 1])
        return (
            f"; warning: component k = {self.k} (period {period:.1f}) turns {self.k_turns_in_training:.1f} times within "
            f"training ({self.spec.train_len}): not a RoPE loop-back component; use k = 0"
        )

    def summary(self, family: str = "") -> str:
        """One line a user reads on the node and in the log."""
        line = self._summary_head(family)
        if self.axis == 0 and (self.changed or self.test_len > self.spec.train_len):
            line += self.k_warning() + self._quality_note(family)
        return line

    def _summary_head(self, family: str) -> str:
        spec, k = self.spec, self.k
        if self.axis == 0:
            unit = "latent frames" if spec.temporal_patch == 1 else "time positions"
            frames = f"{self.test_len} {unit} ({spec.pixel_frames_from_positions(self.test_len)} px)"
        else:
            frames = f"axis {AXIS_NAMES[self.axis]} {self.test_len} patches"
        method = self.method
        if method == "tasr":
            method = f"tasr ({'PI' if self.params.schedule_fraction < self.params.tasr_switch else 'NTK'} phase)"
        head = f"RIFLEx {method}{' on ' + family if family else ''}: {frames}, train {spec.train_len}, s = {self.s:.2f}"
        if not self.changed and self.test_len <= spec.train_len:
            return f"{head}: no change: the video is within the training length"
        if self.method == "loop":
            before, after = float(self.freqs_before[k - 1]), float(self.freqs_after[k - 1])
            return (
                f"{head}, k = {k}: period {2 * math.pi / before:.1f} -> {2 * math.pi / after:.1f}: "
                "one full turn over the clip, so it ends where it began (experimental)"
            )
        if self.method == "riflex":
            before, after = float(self.freqs_before[k - 1]), float(self.freqs_after[k - 1])
            if not self.changed:
                if k in self.repeats_after:  # only with an explicit s shorter than the video
                    return (
                        f"{head}, k = {k}: no change for s = {self.s:.2f}, but component k (period "
                        f"{2 * math.pi / before:.1f}) completes a period within the video: expect a loop-back; use s = 0"
                    )
                return (
                    f"{head}, k = {k}: no change needed, component k (period {2 * math.pi / before:.1f}) "
                    "stays within one period over the video"
                )
            return (
                f"{head}, k = {k}: theta_k {before:.5f} -> {after:.5f}, "
                f"period {2 * math.pi / before:.1f} -> {2 * math.pi / after:.1f} {spec.time_unit}"
            )
        if not self.changed:
            return f"{head}: no change"
        new_repeats = self.new_repeats_after
        return f"{head}: {len(self.changed_components)} of {self.freqs_before.numel()} components changed" + (
            f", components {new_repeats} complete a period never completed in training" if new_repeats else ""
        )


# its name from when only the time axis was planned (riflex.TemporalPlan)
TemporalPlan = AxisPlan


def k_is_intrinsic_candidate(plan: AxisPlan) -> bool:
    """Whether the plan's k could be the intrinsic component: it does not complete a turn within
    the training length (r_train < 1), counted as repeating_components counts the video."""
    return plan.k not in plan.repeats_in_training


def plan_temporal(
    spec: RopeSpec, method: str, test_len: int, params: MethodParams = AUTO, default_k: int = 0
) -> AxisPlan:
    """The time-axis frequencies for `method` on a video of test_len positions.

    params as set on the node: k = 0 is default_k (the family's known value) or, without one,
    estimate_k; s = 0 is measured; schedule_fraction is how far sampling has gone (0 = first
    step), for tasr. The plan holds them resolved. Raises RIFLExError("RIFLEx: ...") for any bad
    setting, before anything is computed.
    """
    return _plan_axis(spec, method, test_len, params, default_k, axis=0)


def _plan_axis(spec: RopeSpec, method: str, test_len: int, params: MethodParams, default_k: int, axis: int):
    if test_len < 1:
        raise RIFLExError(f"RIFLEx: test_len must be >= 1 latent frame, got {test_len}")
    s = params.s
    if not (isinstance(s, (int, float)) and math.isfinite(s) and s >= 0):
        raise RIFLExError(f"RIFLEx: s = {s} is not allowed; use 0 (auto) or a finite number >= 1")
    freqs_before = spec.axis_freqs(0)
    n_components = freqs_before.numel()
    if params.k < 0:
        raise RIFLExError(f"RIFLEx: k = {params.k} is negative; allowed: 0 (auto) or 1..{n_components}")
    params = dataclasses.replace(
        params,
        k=params.k or default_k or estimate_k(freqs_before, spec.train_len),
        s=resolve_s(s, spec.train_len, test_len),
    )
    validate_params(method, params, n_components, axis)
    freqs_after = METHODS[method].apply(freqs_before, float(spec.train_len), float(test_len), params)
    return AxisPlan(method, spec, test_len, params, freqs_before, freqs_after, axis)


def plan_spatial(spec: RopeSpec, axis: int, test_len: int, method: str, params: MethodParams = AUTO) -> AxisPlan:
    """The frequencies of spatial axis 1 (h) or 2 (w) for `method` at test_len patches: the same
    methods as in time, against the family's training resolution (spatial extrapolation). Each
    spatial axis gets its own intrinsic component (estimate_k: the user's k is the time axis')."""
    if not spec.spatial_train_len:
        raise RIFLExError(
            "RIFLEx: this model's training resolution is unknown, so spatial extrapolation cannot be planned; "
            "use axes = temporal"
        )
    axis_spec = RopeSpec(spec.theta, (spec.axes_dims[axis],), spec.spatial_train_len[axis - 1], temporal_compression=1)
    return _plan_axis(axis_spec, method, test_len, dataclasses.replace(params, k=0), 0, axis)
