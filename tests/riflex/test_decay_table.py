"""The attention-decay section of Inspect (riflex/decay_table.py) and its plot panel."""

from __future__ import annotations

import numpy as np

from riflex.decay_plan import DecaySettings, plan_decay
from riflex.decay_table import decay_ranges, decay_to_text
from riflex.frequencies import axis_frequencies
from riflex.plot import COLORS, plot_decay


def hunyuan(frames, **settings):
    return plan_decay(DecaySettings(**settings), frames, 33, axis_frequencies(256.0, 16), 4, False)


def test_ranges_cover_every_distance_once_with_its_factor():
    plan = hunyuan(132)
    ranges = decay_ranges(plan)
    assert ranges[0] == (0, 16, 1.0) and ranges[1] == (17, 45, 0.9) and ranges[2] == (46, 54, 0.6)
    assert ranges[-1][1] == 131
    covered = [d for first, last, _ in ranges for d in range(first, last + 1)]
    assert covered == list(range(132))
    assert all(plan.factor_at(d) == f for first, last, f in ranges for d in range(first, last + 1))


def test_text_within_training_says_nothing_changes():
    text = decay_to_text(hunyuan(20))
    assert "within the training length: attention is left exactly as the model computes it" in text


def test_panel_marks_the_bands_and_the_factor_line():
    plan = hunyuan(132, alpha=0.8, beta=0.5)
    panel = plot_decay(plan)
    assert panel.shape == (216, 768, 3) and panel.dtype == np.float32
    pixels = (panel * 255).round().astype(int)
    x_of = lambda d: round(70 + d / 131 * (768 - 90))  # noqa: E731
    band = np.array([255, 224, 190])
    assert (np.abs(pixels[40:170, x_of(50)] - band).sum(axis=1) < 10).mean() > 0.5  # a band is shaded
    assert (np.abs(pixels[40:170, x_of(30)] - band).sum(axis=1) < 10).mean() == 0  # between bands: not
    blue = np.array(COLORS["after"])
    y_of = lambda f: round(30 + (1 - f) / (1 - 0.45) * (216 - 70))  # noqa: E731
    for distance, factor in ((5, 1.0), (30, 0.8), (50, 0.5)):  # the step line sits at each factor
        column = pixels[:, x_of(distance)]
        rows = np.nonzero(np.abs(column - blue).sum(axis=1) < 30)[0]
        assert rows.size and abs(rows.mean() - y_of(factor)) <= 2
