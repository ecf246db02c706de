"""Method names and parameter defaults, without torch, for the command line's parsers
(`python -m riflex run` talks HTTP only and must start without torch)."""

from __future__ import annotations

# riflex/methods.py keeps its registry in this order (the node's public combo values)
METHOD_NAMES = ("riflex", "pe", "pi", "ntk", "yarn", "tasr", "loop")

# The reference implementation (thu-ml/RIFLEx) sets theta_k' = 0.9 * 2*pi / L_test: the
# 10% margin keeps the last frame visibly short of a full turn of component k.
DEFAULT_SAFETY_FACTOR = 0.9
# YaRN's published ramp bounds (Peng et al. 2023, Sec. 3.2, the values used for LLaMA):
# components that turn fewer than alpha times over the training length are fully
# interpolated (PI), more than beta times are kept (PE), and the ramp is linear between.
# The RIFLEx paper compares against YaRN as published, so these are its defaults here too.
DEFAULT_YARN_ALPHA = 1.0
DEFAULT_YARN_BETA = 32.0
# TASR (time-aware scaled RoPE, Zhuo et al. 2024, as the RIFLEx paper describes it): PI while
# the early, high-noise steps lay out the whole clip, NTK while the late steps refine detail.
# Neither paper gives a switch point; the middle of the schedule splits the two roles evenly.
DEFAULT_TASR_SWITCH = 0.5
