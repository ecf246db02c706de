"""The per-component table that `python -m riflex inspect` prints and the Inspect node shows."""

from __future__ import annotations

import math
from typing import Any

from .frequencies import periods
from .plan import AxisPlan

__all__ = ["plan_to_dict", "plan_to_text"]


def plan_to_dict(plan: AxisPlan) -> dict[str, Any]:
    spec = plan.spec
    return {
        "method": plan.method,
        "theta": spec.theta,
        "dim": spec.temporal_dim,
        "train_len": spec.train_len,
        "test_len": plan.test_len,
        "test_frames": spec.pixel_frames_from_positions(plan.test_len),
        "s": plan.s,
        "k": plan.k,
        "freqs_before": plan.freqs_before.tolist(),
        "freqs_after": plan.freqs_after.tolist(),
        "periods_before": periods(plan.freqs_before).tolist(),
        "periods_after": periods(plan.freqs_after).tolist(),
        "changed": plan.changed_components,
        "repeats_before": plan.repeats_before,
        "repeats": plan.repeats_after,
        "repeats_in_training": plan.repeats_in_training,
        "new_repeats": plan.new_repeats_after,
        "summary": plan.summary(),
    }


def plan_to_text(plan: AxisPlan) -> str:
    data = plan_to_dict(plan)
    train_len, test_len = plan.spec.train_len, plan.test_len
    lines = [
        f"theta {data['theta']:g}, d_t {data['dim']}, train {train_len} {plan.spec.time_unit}, "
        f"test {test_len} {plan.spec.time_unit} ({data['test_frames']} px), method {plan.method}, s = {plan.s:.3f}, k = {plan.k}",
        f"{'j':>3} {'theta_j':>11} {'period':>10} {'r_train':>8} {'r_test':>8} {'new theta':>11} {'new period':>10}  changed  verdict",
    ]
    repeats, new_repeats = set(data["repeats"]), set(data["new_repeats"])
    for j, (before, after) in enumerate(zip(data["freqs_before"], data["freqs_after"], strict=True), start=1):
        period, new_period = 2 * math.pi / before, 2 * math.pi / after
        if j == plan.k:
            verdict = "INTRINSIC k: completes a period, loop-back" if j in repeats else "intrinsic k: within one period"
        elif j in new_repeats:
            verdict = "completes a period not completed in training"
        elif j in repeats:
            verdict = "repeats, as it did in training"
        else:
            verdict = "within one period"
        marker = "*" if j == plan.k else " "
        lines.append(
            f"{j:>2}{marker} {before:>11.6f} {period:>10.2f} {train_len / period:>8.3f} {test_len / new_period:>8.3f} "
            f"{after:>11.6f} {new_period:>10.2f}  {'yes' if j in data['changed'] else 'no ':<7}  {verdict}"
        )
    k_repeats = plan.k in repeats
    lines.append(
        f"verdict: intrinsic component k = {plan.k} "
        + (
            "completes a full period within the video: expect it to loop back"
            if k_repeats
            else "stays within one period: no loop-back expected"
        )
    )
    lines.append(data["summary"])
    return "\n".join(lines)
