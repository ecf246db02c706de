"""The allowed range of every RIFLEx RoPE setting, in one place: the node's schema (min/max),
its validate_inputs, its execute (for values linked from other nodes, which validation does not
see) and `python -m riflex inspect` all read them here, so they cannot disagree.

Every value these ranges admit keeps the frequency math finite: the smallest frequency
riflex can produce is safety_factor * 2*pi / (s * train_len) >= 0.01 * 2*pi / (16 * 4096).
The ranges are written here; how settings relate (yarn_alpha < yarn_beta for yarn, loop on
the time axis only) is each method's own validator in riflex/methods.py, called from here, so
each message is written once. Torch is imported only for that last step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .defaults import DEFAULT_SAFETY_FACTOR, DEFAULT_TASR_SWITCH, DEFAULT_YARN_ALPHA, DEFAULT_YARN_BETA, METHOD_NAMES
from .errors import RIFLExError

__all__ = ["AXES_NAMES", "DECAY_LIMITS", "LIMITS", "settings_problem"]

AXES_NAMES = ("temporal", "spatial", "temporal+spatial")  # riflex/plan.py AXES, in order

# (min, max) of each numeric input; the node declares these as its widgets' min/max
LIMITS: dict[str, tuple[float, float]] = {
    "k": (0, 1024),  # LTX has hundreds of time components
    "s": (0.0, 16.0),
    "train_len": (0, 4096),
    "safety_factor": (0.01, 1.0),
    "yarn_alpha": (0.0, 1024.0),
    "yarn_beta": (0.0, 1024.0),
    "tasr_switch": (0.0, 1.0),
}

# (min, max) of RIFLEx Attention Decay's numeric inputs (Inspect's decay_* inputs too)
DECAY_LIMITS: dict[str, tuple[float, float]] = {
    "alpha": (0.01, 1.0),
    "window": (0.0, 100000.0),
    "beta": (0.01, 1.0),
    "train_len": LIMITS["train_len"],
}


def _number(value: Any, whole: bool) -> bool:
    if isinstance(value, bool):
        return False
    if whole:
        return isinstance(value, int)
    return isinstance(value, (int, float)) and math.isfinite(value)


def _within(name: str, value: Any, whole: bool = False) -> bool:
    low, high = LIMITS[name]
    return _number(value, whole) and low <= value <= high


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def settings_problem(values: dict[str, Any], flag: bool = False, linked_none: bool = True) -> str | None:
    """What is wrong with the RIFLEx RoPE settings in `values` (any subset of the node's inputs),
    or None when all are allowed. linked_none: None is an input linked from another node, whose
    value validation does not see (checked when it arrives); else None is a bad value like any.
    Names the inputs as the node does, or as command-line flags when `flag`."""

    def name(input_name: str) -> str:
        return "--" + input_name.replace("_", "-") if flag else input_name

    def given(input_name: str) -> bool:
        return input_name in values and (values[input_name] is not None or not linked_none)

    equals = " " if flag else " = "

    def shown(input_name: str) -> str:
        return _shown(values[input_name])

    method, axes = values.get("method"), values.get("axes")
    if given("method") and not (isinstance(method, str) and method in METHOD_NAMES):
        return f"RIFLEx: {name('method')} {shown('method')} is unknown; allowed: {', '.join(METHOD_NAMES)}"
    if given("k") and not _within("k", values["k"], whole=True):
        return (
            f"RIFLEx: {name('k')}{equals}{shown('k')} is not allowed; use 0 (auto) or a component number 1..d_t/2 "
            f"(at most {LIMITS['k'][1]})"
        )
    if given("s") and not (_within("s", values["s"]) and (values["s"] == 0 or values["s"] >= 1)):
        return (
            f"RIFLEx: {name('s')}{equals}{shown('s')} is not allowed; use 0 (auto, measured) or a finite factor >= 1 "
            f"(at most {LIMITS['s'][1]:g})"
        )
    if given("train_len") and not _within("train_len", values["train_len"], whole=True):
        return (
            f"RIFLEx: {name('train_len')}{equals}{shown('train_len')} is not allowed; use 0 (the model's own) or a "
            f"positive number of latent frames up to {LIMITS['train_len'][1]}"
        )
    if given("safety_factor") and not _within("safety_factor", values["safety_factor"]):
        low, high = LIMITS["safety_factor"]
        return (
            f"RIFLEx: {name('safety_factor')}{equals}{shown('safety_factor')} is outside [{low:g}, {high:g}]; "
            f"the paper uses {DEFAULT_SAFETY_FACTOR}"
        )
    alpha = values.get("yarn_alpha", DEFAULT_YARN_ALPHA)
    beta = values.get("yarn_beta", DEFAULT_YARN_BETA)
    if (
        (given("yarn_alpha") or given("yarn_beta"))
        and not (linked_none and (alpha is None or beta is None))
        and not (_within("yarn_alpha", alpha) and _within("yarn_beta", beta))
    ):
        return (
            f"RIFLEx: {name('yarn_alpha')}{equals}{_shown(alpha)} and {name('yarn_beta')}{equals}{_shown(beta)} must satisfy "
            f"0 <= {name('yarn_alpha')} < {name('yarn_beta')} <= {LIMITS['yarn_beta'][1]:g} "
            f"(defaults {DEFAULT_YARN_ALPHA} and {DEFAULT_YARN_BETA})"
        )
    if given("axes") and not (isinstance(axes, str) and axes in AXES_NAMES):
        return f"RIFLEx: {name('axes')} {shown('axes')} is unknown; allowed: {', '.join(AXES_NAMES)}"
    if given("tasr_switch") and not _within("tasr_switch", values["tasr_switch"]):
        return f"RIFLEx: {name('tasr_switch')}{equals}{shown('tasr_switch')} is outside [0, 1] (default {DEFAULT_TASR_SWITCH})"
    return _method_problem(values, name, equals) if isinstance(method, str) else None


def _method_problem(values: dict[str, Any], name: Callable[[str], str], equals: str) -> str | None:
    """What the method's own validator (riflex/methods.py) says of settings within their ranges,
    the k range apart (it needs the model's d_t): how they relate (yarn_alpha < yarn_beta, for
    yarn only) and which axes the method may change. None while a value is still linked."""
    from .methods import MethodParams, validate_params  # torch: only once the ranges hold

    fields = ("s", "safety_factor", "yarn_alpha", "yarn_beta", "tasr_switch")
    given = {field: values[field] for field in fields if field in values}
    axes = values.get("axes", "temporal")
    if any(value is None for value in given.values()):  # linked: only the axes can be judged now
        given = {}
    params = MethodParams(**{**given, "s": max(1.0, given.get("s", 0.0))})  # s = 0 (auto) is measured later
    try:
        validate_params(values["method"], params, None, axis=0 if axes in (None, "temporal") else 1)
    except RIFLExError as error:
        message = str(error)
        for field in fields[1:]:  # named as the node or the command line names them (--yarn-alpha 2.0)
            message = message.replace(f"{field} = ", f"{field}{equals}").replace(field, name(field))
        return message
    return None
