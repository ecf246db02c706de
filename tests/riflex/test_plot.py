"""The Inspect plot: size, the k band where component k is, the length lines where they belong."""

import math

import numpy as np
import pytest

from riflex import get_family, plan_temporal

pytest.importorskip("PIL")
from riflex.plot import COLORS, plot_periods  # noqa: E402


@pytest.mark.parametrize("family,frames,k", [("wan21", 241, 6), ("hunyuan_video", 257, 4)])
def test_plot_marks_k_and_the_lengths(family, frames, k):
    spec = get_family(family).spec()
    plan = plan_temporal(spec, "riflex", spec.positions_from_pixel_frames(frames), default_k=k)
    image, geometry = plot_periods(plan)
    assert image.shape == (432, 768, 3) and image.dtype == np.float32 and 0 <= image.min() and image.max() <= 1
    n = spec.temporal_components
    assert geometry.k_x == round(70 + (k - 0.5) * (768 - 90) / n)  # k's column, from the layout
    band = np.array([255, 224, 190]) / 255
    assert np.abs(image[100:300, geometry.k_x] - band).sum(axis=1).min() < 0.02
    # the test length sits above the training length on a log axis, in proportion to log(test/train)
    assert geometry.test_y < geometry.train_y
    pixels_per_decade = (geometry.train_y - geometry.test_y) / math.log10(plan.test_len / spec.train_len)
    assert pixels_per_decade > 20
    red = np.array(COLORS["test"]) / 255
    assert (np.abs(image[geometry.test_y, 80:700] - red).sum(axis=1) < 0.05).sum() > 100  # dashed line drawn
