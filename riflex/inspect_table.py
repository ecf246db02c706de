"""The per-component table that `python -m riflex inspect` prints and the Inspect node shows."""

from __future__ import annotations

import math
from typing import Any

from .frequencies import periods
from .length_zones import DECAY_FAMILY_KEYS, length_zone
from .plan import AxisPlan

# what each length zone (riflex/length_zones.py) means, for Inspect's last lines
ZONE_TEXT = {
    "within_training": "within the training length: nothing to do",
    "nothing_needed": "up to 2x, and component k stays within one turn: RIFLEx changes nothing, none is needed",
    "training_free": "up to 2x: RIFLEx acts, where the paper shows it training-free",
    "past_2x": "past 2x: RIFLEx stops the loop-back, but quality drops without fine-tuning or RIFLEx Attention "
    "Decay (made for 3-4x)",
    "past_2x_no_decay": "past 2x: RIFLEx stops the loop-back, but quality drops without fine-tuning (RIFLEx "
    "Attention Decay supports Wan and HunyuanVideo only)",
    "past_4x": "past 4x: beyond what RIFLEx or attention decay has shown",
}

__all__ = ["plan_to_dict", "plan_to_text"]


def plan_to_dict(plan: AxisPlan, family: str = "") -> dict[str, Any]:
    """family: the riflex family key, so the length note suggests attention decay only where it runs."""
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
        "summary": plan.summary(family),
        "length_zone": length_zone(plan.test_len, spec.train_len, plan.changed),
        "k_turns_in_training": plan.k_turns_in_training,
        "k_warning": plan.k_warning().removeprefix("; "),
    }


def plan_to_text(plan: AxisPlan, family: str = "") -> str:
    data = plan_to_dict(plan, family)
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
        elif j in new_repeats and j < plan.k:
            verdict = "completes a period not completed in training (faster than k: see below)"
        elif j in new_repeats:
            verdict = "COMPLETES A PERIOD, slower than k: possible loop-back"
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
    slower = [j for j in new_repeats if j > plan.k]
    if k_repeats:
        verdict = "completes a full period within the video: expect it to loop back"
    elif slower:
        verdict = f"stays within one period, but slower components {slower} do not: a loop-back is possible"
    else:
        verdict = "stays within one period: no loop-back expected"
    lines.append(f"verdict: intrinsic component k = {plan.k} {verdict}")
    faster = [j for j in new_repeats if j < plan.k]
    if faster:
        # Wan at 161 frames: components 4 and 5 turn within the video, yet Wan is seen not to loop
        # before k = 6's first turn (about 201 frames); the paper ties the loop-back to k alone
        lines.append(
            f"components {faster} turn within the video but not within training: not a loop-back; they are faster "
            "than k, and the loop-back comes from k (paper Sec. 3.2; Wan turns its 4 and 5 at 161 frames without looping)"
        )
    if slower:
        lines.append(
            f"components {slower} are slower than k and complete a period the model never saw: a possible loop-back "
            "at their period; shorten the video or check it with the Repetition Check node"
        )
    if data["k_warning"]:
        lines.append(data["k_warning"])
    zone = data["length_zone"]
    if zone == "past_2x" and family and family not in DECAY_FAMILY_KEYS:
        zone = "past_2x_no_decay"
    lines.append(f"length: {plan.test_len / train_len:.2f}x the training length, {ZONE_TEXT[zone]}")
    lines.append(data["summary"])
    return "\n".join(lines)
