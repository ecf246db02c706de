"""One record per position-extrapolation method, dispatched by name.

Each method is a pure function `(axis_freqs, train_len, test_len, params) -> new axis_freqs`
on one axis's float64 frequencies, plus a validation function that names the bad field.
Adding a method means adding one record to METHODS; nothing else changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

# re-exported: the defaults live in riflex/defaults.py, torch-free for the command line's parsers
from .defaults import (
    DEFAULT_SAFETY_FACTOR,
    DEFAULT_TASR_SWITCH,
    DEFAULT_YARN_ALPHA,
    DEFAULT_YARN_BETA,
    METHOD_NAMES,
)
from .errors import RIFLExError

__all__ = [
    "DEFAULT_SAFETY_FACTOR",
    "DEFAULT_TASR_SWITCH",
    "DEFAULT_YARN_ALPHA",
    "DEFAULT_YARN_BETA",
    "METHODS",
    "Method",
    "MethodParams",
    "method_tooltip",
    "validate_params",
]


@dataclass(frozen=True)
class MethodParams:
    """What a method may need besides the frequencies: the one record that travels from the
    node (or the command line) to the plan. As set there, k = 0 and s = 0 mean auto (the
    family's k, the measured factor); in a plan they are resolved: k 1-indexed, s the
    extrapolation factor test_len/train_len (>= 1)."""

    k: int = 0
    s: float = 0.0
    safety_factor: float = DEFAULT_SAFETY_FACTOR
    yarn_alpha: float = DEFAULT_YARN_ALPHA
    yarn_beta: float = DEFAULT_YARN_BETA
    tasr_switch: float = DEFAULT_TASR_SWITCH
    schedule_fraction: float = 0.0  # how far sampling has gone, 0 = first step (tasr only)


@dataclass(frozen=True)
class Method:
    name: str
    apply: Callable[[torch.Tensor, float, float, MethodParams], torch.Tensor]
    # raises RIFLExError naming the bad field; n_components None = not known yet (no model):
    # everything but the k range is checked
    validate: Callable[[MethodParams, int | None], None]
    description: str  # what it does, in one line: the node's method tooltip is built from these
    # the MethodParams fields (node inputs) it reads: the editor shows only these
    # (tests/riflex/test_preview_golden.py derives them again by moving each one)
    inputs: tuple[str, ...] = ()
    # why it changes the time axis only (refused on spatial axes); "" = any axis
    temporal_only: str = ""
    badge: str = ""  # shown after the name in the tooltip: recommended, experimental


def _validate_nothing(params: MethodParams, n_components: int | None) -> None:
    return None


def _validate_s(params: MethodParams, n_components: int | None) -> None:
    if not (math.isfinite(params.s) and params.s >= 1.0):
        raise RIFLExError(
            f"RIFLEx: s = {params.s} is not a valid extrapolation factor; "
            "use 0 (auto: test length / training length) or a finite number >= 1"
        )


def _validate_riflex(params: MethodParams, n_components: int | None) -> None:
    _validate_s(params, n_components)
    _validate_k(params, n_components)
    if not (math.isfinite(params.safety_factor) and 0.0 < params.safety_factor <= 1.0):
        raise RIFLExError(
            f"RIFLEx: safety_factor = {params.safety_factor} is outside (0, 1]; "
            f"the reference uses {DEFAULT_SAFETY_FACTOR}"
        )


def _validate_k(params: MethodParams, n_components: int | None) -> None:
    if n_components is not None and not 1 <= params.k <= n_components:
        raise RIFLExError(
            f"RIFLEx: k = {params.k} is outside this model's temporal components; "
            f"allowed: 1..{n_components} (or 0 for the family's default)"
        )


def _validate_loop(params: MethodParams, n_components: int | None) -> None:
    _validate_s(params, n_components)
    _validate_k(params, n_components)


def _validate_tasr(params: MethodParams, n_components: int | None) -> None:
    _validate_s(params, n_components)
    if not (math.isfinite(params.tasr_switch) and 0.0 <= params.tasr_switch <= 1.0):
        raise RIFLExError(
            f"RIFLEx: tasr_switch = {params.tasr_switch} is outside [0, 1]; it is the fraction of the sampling "
            f"schedule after which TASR moves from PI to NTK (default {DEFAULT_TASR_SWITCH})"
        )


def _validate_yarn(params: MethodParams, n_components: int | None) -> None:
    _validate_s(params, n_components)
    alpha, beta = params.yarn_alpha, params.yarn_beta
    if not (math.isfinite(alpha) and math.isfinite(beta) and 0.0 <= alpha < beta):
        raise RIFLExError(
            f"RIFLEx: yarn_alpha = {alpha} and yarn_beta = {beta} must satisfy 0 <= yarn_alpha < yarn_beta; "
            f"the published defaults are {DEFAULT_YARN_ALPHA} and {DEFAULT_YARN_BETA}"
        )


def _pe(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    return axis_freqs.clone()


def _pi(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    return axis_freqs / params.s


def _ntk(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    # b' = b * s^(d/(d-2)) gives theta_j' = theta_j * s^(-2(j-1)/(d-2)): the highest frequency
    # is kept and the lowest is divided by exactly s.
    dim = 2 * axis_freqs.numel()
    if dim <= 2:
        return axis_freqs / params.s
    j_minus_1 = torch.arange(axis_freqs.numel(), dtype=torch.float64)
    return axis_freqs * params.s ** (-2.0 * j_minus_1 / (dim - 2))


def _yarn(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    if params.s == 1.0:
        return axis_freqs.clone()  # the blend below is exact in math, not in floating point
    turns_in_training = train_len * axis_freqs / (2 * math.pi)  # r_j = L / N_j
    gamma = ((turns_in_training - params.yarn_alpha) / (params.yarn_beta - params.yarn_alpha)).clamp(0.0, 1.0)
    blended = (1.0 - gamma) * axis_freqs / params.s + gamma * axis_freqs
    return torch.where(gamma >= 1.0, axis_freqs, blended)  # fast components kept bit-exact


def _riflex(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    # Only the intrinsic component changes, and only ever downwards: when component k already
    # stays within one period over the video, the model is left exactly as trained.
    # The length it must cover is s * train_len (s = test_len / train_len when measured).
    # Within the training length (s <= 1) nothing changes, whatever k's period: the model was
    # trained on exactly these frequencies at this length (the reference acts only past N_k, and
    # a k whose period is barely above training, as LTX's estimate, would otherwise be lowered).
    if params.s <= 1:
        return axis_freqs.clone()
    target_len = params.s * train_len
    new_freqs = axis_freqs.clone()
    lowered = params.safety_factor * 2 * math.pi / target_len
    new_freqs[params.k - 1] = min(float(axis_freqs[params.k - 1]), lowered)
    return new_freqs


def _loop(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    # Experimental, beyond the paper: component k makes exactly one turn over the video, so the
    # frame after the last one is the first again: a clip that ends where it began. Unlike
    # riflex this may raise theta_k (a short clip), which is the point.
    new_freqs = axis_freqs.clone()
    new_freqs[params.k - 1] = 2 * math.pi / (params.s * train_len)
    return new_freqs


def _tasr(axis_freqs: torch.Tensor, train_len: float, test_len: float, params: MethodParams) -> torch.Tensor:
    early = params.schedule_fraction < params.tasr_switch
    return (_pi if early else _ntk)(axis_freqs, train_len, test_len, params)


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method(
            "riflex",
            _riflex,
            _validate_riflex,
            "slows down only the one RoPE component that makes long videos loop back to their start, so motion "
            "keeps its speed",
            inputs=("k", "s", "safety_factor"),
            badge="recommended",
        ),
        Method("pe", _pe, _validate_nothing, "the model unchanged (loops back past ~2x)"),
        Method("pi", _pi, _validate_s, "squeezes all positions into the training range (slow motion)", inputs=("s",)),
        Method("ntk", _ntk, _validate_s, "raises the RoPE base (still loops)", inputs=("s",)),
        Method(
            "yarn",
            _yarn,
            _validate_yarn,
            "PI for slow components, unchanged fast ones",
            inputs=("s", "yarn_alpha", "yarn_beta"),
        ),
        Method(
            "tasr", _tasr, _validate_tasr, "PI on early sampling steps, NTK on late ones", inputs=("s", "tasr_switch")
        ),
        Method(
            "loop",
            _loop,
            _validate_loop,
            "makes the loop-causing component turn exactly once over the video, so the clip ends where it began, "
            "for seamless loops",
            inputs=("k", "s"),
            temporal_only="a clip that ends where it began",
            badge="experimental",
        ),
    )
}


assert tuple(METHODS) == METHOD_NAMES, "riflex/defaults.py METHOD_NAMES must list METHODS in order"


def validate_params(method: str, params: MethodParams, n_components: int | None, axis: int = 0) -> None:
    """Raise RIFLExError naming the bad field; n_components = d_t/2 of the axis being changed
    (None: no model yet, the k range is checked later); axis 0 = time, 1 and 2 = h and w."""
    if method not in METHODS:
        raise RIFLExError(f"RIFLEx: unknown method {method!r}; allowed: {', '.join(METHODS)}")
    if axis != 0 and METHODS[method].temporal_only:
        raise RIFLExError(
            f"RIFLEx: method {method} is temporal only ({METHODS[method].temporal_only}); use axes = temporal"
        )
    METHODS[method].validate(params, n_components)


def method_tooltip() -> str:
    """The node's method tooltip, from each record's description."""
    lines = ". ".join(f"{name}{f' ({m.badge})' if m.badge else ''}: {m.description}" for name, m in METHODS.items())
    return f"How positions beyond the training length are handled. {lines}."
