"""Synthetic video clips with known answers, for the repetition check's tests (pytest and the
test-only ComfyUI node use the same clips)."""

import numpy as np


def render(positions, height=72, width=128, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    waves = 7
    freq_x = rng.uniform(0.02, 0.12, waves) * rng.choice([-1, 1], waves)
    freq_y = rng.uniform(0.02, 0.12, waves) * rng.choice([-1, 1], waves)
    phase = rng.uniform(0, 2 * np.pi, waves)
    amplitude = rng.uniform(0.04, 0.1, waves)
    tint = rng.uniform(0.6, 1.0, (waves, 3))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    frames = np.empty((len(positions), height, width, 3), np.float32)
    for t, s in enumerate(positions):
        # Pan 1.5 px per step to the right with a slow vertical sway: never back where it was.
        pan_x, pan_y = 1.5 * s, 8 * np.sin(s / 23.0)
        arg = freq_x[:, None, None] * (xx + pan_x) + freq_y[:, None, None] * (yy + pan_y) + phase[:, None, None]
        image = 0.45 + np.einsum("k,khw,kc->hwc", amplitude, np.sin(arg), tint)
        blob_x, blob_y = 20 + 0.4 * s, height / 2 + 15 * np.sin(s / 11.0)
        blob = np.exp(-((xx - blob_x) ** 2 + (yy - blob_y) ** 2) / (2 * 6.0**2))
        image += 0.35 * blob[..., None] * np.array([1.0, 0.8, 0.5])
        image += rng.normal(0, noise, image.shape)
        frames[t] = np.clip(image, 0, 1)
    return frames
