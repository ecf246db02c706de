"""The inputs more than one node declares, built in one place: RIFLEx RoPE, RIFLEx Inspect and
RIFLEx Attention Decay take their shared inputs (method, k, s, train_len, safety factor, the
decay's alpha, window and beta) from here, with ranges from riflex/limits.py and defaults from
riflex/, so the nodes cannot drift apart. A node may word a tooltip for its own context; the
name, range, step and default are always these."""

from __future__ import annotations

from comfy_api.latest import io

from ..riflex.decay_plan import DEFAULT_ALPHA, DEFAULT_BETA
from ..riflex.limits import DECAY_LIMITS, LIMITS
from ..riflex.methods import METHODS, MethodParams, method_tooltip
from .compat import advanced

__all__ = [
    "decay_alpha_input",
    "decay_beta_input",
    "decay_window_input",
    "k_input",
    "method_input",
    "method_setting_input",
    "s_input",
    "safety_factor_input",
    "train_len_input",
]

K_TOOLTIP = (
    "Which RoPE component (1 = fastest) causes the loop-back. 0 = the model's known value "
    "(Wan 6, HunyuanVideo 4, CogVideoX 2, Cosmos 4/5; LTX: estimated). Used by riflex and loop."
)
S_TOOLTIP = (
    "How many times longer than training the video is. 0 = measured from the latent at "
    "sampling time (recommended). Training-free up to 2x; past 2x quality drops without fine-tuning "
    "or RIFLEx Attention Decay (the node warns)."
)
TRAIN_LEN_TOOLTIP = (
    "Training length in latent frames. 0 = the model's own (Wan 2.1: 21 = 81 frames, "
    "Wan 2.2 5B: 31 = 121 frames, HunyuanVideo: 33 = 129 frames, ...: see the README). Change only "
    "for fine-tunes or checkpoints trained longer (Kandinsky 5 10 s: 61)."
)
SAFETY_FACTOR_TOOLTIP = (
    "riflex keeps the loop-causing component at this fraction of one turn over the "
    "video, a margin against looping. 0.9 is the paper's value; allowed (0, 1]."
)


def method_input() -> io.Combo.Input:
    return io.Combo.Input("method", options=list(METHODS), default="riflex", tooltip=method_tooltip())


def k_input(tooltip: str = K_TOOLTIP) -> io.Int.Input:
    low, high = LIMITS["k"]
    return io.Int.Input("k", default=0, min=low, max=high, tooltip=tooltip)


def s_input(tooltip: str = S_TOOLTIP) -> io.Float.Input:
    low, high = LIMITS["s"]
    return io.Float.Input("s", default=0.0, min=low, max=high, step=0.05, tooltip=tooltip)


def train_len_input(tooltip: str = TRAIN_LEN_TOOLTIP) -> io.Int.Input:
    low, high = LIMITS["train_len"]
    return io.Int.Input("train_len", optional=True, **advanced(default=0, min=low, max=high, tooltip=tooltip))


def method_setting_input(name: str, step: float, tooltip: str) -> io.Float.Input:
    """An advanced, optional method parameter (a MethodParams field): its default from the
    record, its range from riflex/limits.py."""
    low, high = LIMITS[name]
    default = getattr(MethodParams(), name)
    return io.Float.Input(
        name, optional=True, **advanced(default=default, min=low, max=high, step=step, tooltip=tooltip)
    )


def safety_factor_input(tooltip: str = SAFETY_FACTOR_TOOLTIP) -> io.Float.Input:
    return method_setting_input("safety_factor", 0.01, tooltip)


def _decay_input(name: str, limits_key: str, default: float, step: float, tooltip: str, optional: bool):
    low, high = DECAY_LIMITS[limits_key]
    options = dict(default=default, min=low, max=high, step=step, tooltip=tooltip)
    # on the decay node its own inputs are main widgets; on Inspect they are optional, advanced extras
    return io.Float.Input(name, optional=True, **advanced(**options)) if optional else io.Float.Input(name, **options)


def decay_alpha_input(tooltip: str, name: str = "alpha", optional: bool = False) -> io.Float.Input:
    return _decay_input(name, "alpha", DEFAULT_ALPHA, 0.01, tooltip, optional)


def decay_window_input(tooltip: str, name: str = "window", optional: bool = False) -> io.Float.Input:
    return _decay_input(name, "window", 0.0, 0.5, tooltip, optional)


def decay_beta_input(tooltip: str, name: str = "beta", optional: bool = False) -> io.Float.Input:
    return _decay_input(name, "beta", DEFAULT_BETA, 0.01, tooltip, optional)
