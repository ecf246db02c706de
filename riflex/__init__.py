"""RIFLEx core: RoPE frequencies for video length extrapolation. Pure torch; no ComfyUI.

The names below are imported on first use, so `python -m riflex run` (HTTP only) starts
without torch; the TYPE_CHECKING imports let editors and type checkers follow them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import RIFLExError
    from .families import FAMILIES, Family, get_family
    from .frequencies import (
        axis_frequencies,
        check_non_repetition,
        identify_k,
        periods,
        repeating_components,
        repetitions,
    )
    from .methods import METHODS, MethodParams, validate_params
    from .plan import AxisPlan, TemporalPlan, estimate_k, plan_temporal, resolve_s
    from .spec import RopeSpec

_WHERE = {
    "RIFLExError": "errors",
    "FAMILIES": "families",
    "Family": "families",
    "get_family": "families",
    "axis_frequencies": "frequencies",
    "check_non_repetition": "frequencies",  # the old name of repeating_components
    "identify_k": "frequencies",
    "periods": "frequencies",
    "repeating_components": "frequencies",
    "repetitions": "frequencies",
    "METHODS": "methods",
    "MethodParams": "methods",
    "validate_params": "methods",
    "AxisPlan": "plan",
    "TemporalPlan": "plan",  # the old name of AxisPlan
    "estimate_k": "plan",
    "plan_temporal": "plan",
    "resolve_s": "plan",
    "RopeSpec": "spec",
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'riflex' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)


__all__ = [
    "FAMILIES",
    "METHODS",
    "AxisPlan",
    "Family",
    "MethodParams",
    "RIFLExError",
    "RopeSpec",
    "TemporalPlan",
    "axis_frequencies",
    "check_non_repetition",
    "estimate_k",
    "get_family",
    "identify_k",
    "periods",
    "plan_temporal",
    "repeating_components",
    "repetitions",
    "resolve_s",
    "validate_params",
]
