"""The Inspect plot: period of every temporal RoPE component, before and after a method.

Drawn with Pillow (which ComfyUI ships) rather than matplotlib, which ComfyUI does not: a log
scale of periods in latent frames, the training and test lengths as horizontal lines (a
component whose period is below the test line turns at least once over the video), and the
intrinsic component k marked. Returns an RGB float array [H, W, 3] in [0, 1], the layout of one
ComfyUI IMAGE frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .decay_plan import DecayPlan
from .frequencies import periods
from .plan import AxisPlan

__all__ = ["COLORS", "PlotGeometry", "plot_decay", "plot_periods"]

COLORS = {
    "background": (255, 255, 255),
    "axes": (60, 60, 60),
    "grid": (225, 225, 225),
    "before": (150, 150, 150),
    "after": (31, 119, 180),
    "train": (44, 160, 44),
    "test": (214, 39, 40),
    "k": (255, 127, 14),
}


@dataclass(frozen=True)
class PlotGeometry:
    """Where things were drawn, so tests can check the picture without reading pixels blindly."""

    width: int
    height: int
    k_x: int
    train_y: int
    test_y: int


def plot_periods(plan: AxisPlan, width: int = 768, height: int = 432) -> tuple[np.ndarray, PlotGeometry]:
    from PIL import Image, ImageDraw

    left, right, top, bottom = 70, 20, 40, 50
    before = periods(plan.freqs_before).tolist()
    after = periods(plan.freqs_after).tolist()
    lines = [plan.spec.train_len, plan.test_len]
    low = math.floor(math.log10(min(before + after + lines)))
    high = math.ceil(math.log10(max(before + after + lines)))
    n = len(before)

    def x_of(j: int) -> int:  # j 1-indexed
        return round(left + (j - 0.5) * (width - left - right) / n)

    def y_of(period: float) -> int:
        fraction = (math.log10(period) - low) / (high - low)
        return round(top + (1 - fraction) * (height - top - bottom))

    image = Image.new("RGB", (width, height), COLORS["background"])
    draw = ImageDraw.Draw(image)
    for decade in range(low, high + 1):  # log grid and labels
        y = y_of(10**decade)
        draw.line([(left, y), (width - right, y)], fill=COLORS["grid"])
        draw.text((8, y - 6), f"{10**decade:g}", fill=COLORS["axes"])
    draw.line([(left, top), (left, height - bottom), (width - right, height - bottom)], fill=COLORS["axes"])
    for j in range(1, n + 1):
        if n <= 24 or j % 2 == 1:
            draw.text((x_of(j) - 4, height - bottom + 6), str(j), fill=COLORS["axes"])
    draw.text((left, height - 20), "component j (1 = fastest)", fill=COLORS["axes"])
    draw.text((8, 12), "period (latent frames, log)", fill=COLORS["axes"])

    k_x = x_of(plan.k)
    half = max(3, (width - left - right) // (2 * n) - 1)
    draw.rectangle([k_x - half, top, k_x + half, height - bottom - 1], fill=(255, 224, 190))  # the k band
    draw.text((k_x - half, top - 16), f"k = {plan.k}", fill=COLORS["k"])

    train_y, test_y = y_of(plan.spec.train_len), y_of(plan.test_len)
    for y, color, label in (
        (train_y, COLORS["train"], f"train {plan.spec.train_len}"),
        (test_y, COLORS["test"], f"test {plan.test_len}"),
    ):
        for x in range(left, width - right, 12):  # dashed
            draw.line([(x, y), (min(x + 6, width - right), y)], fill=color, width=2)
        draw.text((width - right - 70, y - 14), label, fill=color)

    for series, color, radius in ((before, COLORS["before"], 5), (after, COLORS["after"], 3)):
        points = [(x_of(j), y_of(p)) for j, p in enumerate(series, start=1)]
        draw.line(points, fill=color, width=1)
        for x, y in points:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline=color, width=2)
    draw.text((width // 2, 12), f"method {plan.method}: grey = before, blue = after", fill=COLORS["axes"])

    array = np.asarray(image, dtype=np.float32) / 255.0
    return array, PlotGeometry(width, height, k_x, train_y, test_y)


def plot_decay(plan: DecayPlan, width: int = 768, height: int = 216) -> np.ndarray:
    """The second Inspect panel: the factor on positive attention logits against frame distance
    (1 inside the window, alpha beyond, beta in the harmonic bands), the window and the training
    length marked. Same array layout as plot_periods."""
    from PIL import Image, ImageDraw

    left, right, top, bottom = 70, 20, 30, 40
    image = Image.new("RGB", (width, height), COLORS["background"])
    draw = ImageDraw.Draw(image)
    span = max(plan.frames - 1, 1)
    low = min(plan.alpha, plan.beta, 1.0) - 0.05

    def x_of(distance: float) -> int:
        return round(left + distance / span * (width - left - right))

    def y_of(factor: float) -> int:
        return round(top + (1.0 - factor) / (1.0 - low) * (height - top - bottom))

    for factor in sorted({1.0, plan.alpha, plan.beta}):
        y = y_of(factor)
        draw.line([(left, y), (width - right, y)], fill=COLORS["grid"])
        draw.text((8, y - 6), f"{factor:g}", fill=COLORS["axes"])
    draw.line([(left, top), (left, height - bottom), (width - right, height - bottom)], fill=COLORS["axes"])
    for band in plan.bands:
        draw.rectangle([x_of(band.first - 0.5), top, x_of(band.last + 0.5), height - bottom - 1], fill=(255, 224, 190))
    for distance, color, label in ((plan.window, COLORS["k"], f"window {plan.window:g}"),
                                   (plan.train_len, COLORS["train"], f"train {plan.train_len}")):  # fmt: skip
        if distance <= span:
            x = x_of(distance)
            for y in range(top, height - bottom, 10):  # dashed
                draw.line([(x, y), (x, min(y + 5, height - bottom))], fill=color, width=2)
            draw.text((x + 4, top - 14), label, fill=color)
    from .decay_table import decay_ranges

    points = []
    for first, last, factor in decay_ranges(plan) if plan.active else [(0, plan.frames - 1, 1.0)]:
        # a step line: each run of distances holds its factor
        factor_y = y_of(factor)
        points += [(x_of(max(first - 0.5, 0)), factor_y), (x_of(min(last + 0.5, span)), factor_y)]
    draw.line(points, fill=COLORS["after"], width=2)
    draw.text((left, height - 20), "frame distance |query frame - key frame| (latent frames)", fill=COLORS["axes"])
    title = "attention decay: factor on positive logits" + ("" if plan.active else " (within training: none)")
    draw.text((8, 8), title + (", first frame anchored" if plan.anchor and plan.active else ""), fill=COLORS["axes"])
    return np.asarray(image, dtype=np.float32) / 255.0
