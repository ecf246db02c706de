"""What attention decay will do, as text and as a dict: the section `python -m riflex inspect`
and the Inspect node print under the RoPE table."""

from __future__ import annotations

from typing import Any

from .decay_plan import DecayPlan

__all__ = ["decay_ranges", "decay_to_dict", "decay_to_text"]


def decay_ranges(plan: DecayPlan) -> list[tuple[int, int, float]]:
    """(first, last, factor) for runs of frame distances 0..frames-1 with the same factor: the
    factor only changes at the window's edge and the bands' edges, so this is one step per edge,
    whatever the length."""
    edges = {0, plan.frames, min(plan.frames, int(plan.window) + 1)}
    for band in plan.bands:
        edges |= {min(band.first, plan.frames), min(band.last + 1, plan.frames)}
    ranges: list[tuple[int, int, float]] = []
    points = sorted(edges)
    for first, stop in zip(points, points[1:], strict=False):
        factor = plan.factor_at(first)
        if ranges and ranges[-1][2] == factor:
            ranges[-1] = (ranges[-1][0], stop - 1, factor)
        else:
            ranges.append((first, stop - 1, factor))
    return ranges


def decay_to_dict(plan: DecayPlan) -> dict[str, Any]:
    return {
        "frames": plan.frames,
        "train_len": plan.train_len,
        "active": plan.active,
        "alpha": plan.alpha,
        "beta": plan.beta,
        "window": plan.window,
        "anchor": plan.anchor,
        "bands": [
            {"first": b.first, "last": b.last, "center": b.center, "half_width": b.half_width} for b in plan.bands
        ],
        "ranges": [{"first": a, "last": b, "factor": f} for a, b, f in decay_ranges(plan)],
        "summary": plan.summary(),
    }


def decay_to_text(plan: DecayPlan) -> str:
    unit = plan.time_unit
    lines = [f"attention decay (UltraViCo): {plan.frames} {unit} of video, trained on {plan.train_len}"]
    if not plan.active:
        lines.append("  within the training length: attention is left exactly as the model computes it")
        return "\n".join(lines)
    for first, last, factor in decay_ranges(plan):
        if factor == 1.0:
            why = "within the window: unchanged"
        elif factor == plan.beta and any(b.first <= first <= b.last for b in plan.bands):
            why = f"harmonic band: positive logits x beta {plan.beta:g}"
        else:
            why = f"beyond the window: positive logits x alpha {plan.alpha:g}"
        lines.append(f"  frame distance {first:>4}-{last:<4} {why}")
    if plan.bands:
        lines.append(
            "  bands: where RoPE components 1..k come back in phase together (centres "
            + ", ".join(f"{b.center:.1f}" for b in plan.bands)
            + f", +/-{plan.bands[0].half_width:g} frames)"
        )
    else:
        lines.append(
            "  no harmonic bands: the fast RoPE components do not come back in phase together within this video"
        )
    lines.append(
        f"  first frame: attends only to frames 0..{plan.train_len - 1}"
        if plan.anchor
        else "  first frame: not anchored"
    )
    lines.append(plan.summary())
    return "\n".join(lines)
