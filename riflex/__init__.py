"""RIFLEx core: RoPE frequencies for video length extrapolation. Pure torch; no ComfyUI.

The names below are imported on first use, so `python -m riflex run` (HTTP only) starts
without torch."""

import importlib

_WHERE = {
    "FAMILIES": "families",
    "Family": "families",
    "get_family": "families",
    "axis_frequencies": "frequencies",
    "check_non_repetition": "frequencies",
    "identify_k": "frequencies",
    "periods": "frequencies",
    "repetitions": "frequencies",
    "METHODS": "methods",
    "MethodParams": "methods",
    "validate_params": "methods",
    "TemporalPlan": "plan",
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
    "Family",
    "MethodParams",
    "RopeSpec",
    "TemporalPlan",
    "axis_frequencies",
    "check_non_repetition",
    "estimate_k",
    "get_family",
    "identify_k",
    "periods",
    "plan_temporal",
    "repetitions",
    "resolve_s",
    "validate_params",
]
