"""RIFLEx core: RoPE frequencies for video length extrapolation. Pure torch; no ComfyUI."""

from .families import FAMILIES, Family, get_family
from .frequencies import axis_frequencies, check_non_repetition, identify_k, periods, repetitions
from .methods import METHODS, MethodParams, validate_params
from .plan import TemporalPlan, estimate_k, plan_temporal, resolve_s
from .spec import RopeSpec

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
