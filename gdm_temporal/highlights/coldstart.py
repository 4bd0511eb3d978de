"""A scorer that needs no labels: audio excitement plus visual novelty.

- audio excitement: loudness above its recent baseline (an exponential moving average over
  ~30 s), in dB; gunfire, explosions and shouting rise well above a stream's usual level;
- visual novelty: cosine distance of the step's embedding from a moving average of recent
  embeddings (~10 s); kills, deaths and menus change the picture.
Each is made comparable by a robust z-score over the stream (median and MAD), negatives
clipped, and the two are averaged. Reads the stream in slices: bounded memory at any length.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from gdm_features import FeatureFile

AUDIO_BASELINE_S = 30.0
VISUAL_BASELINE_S = 10.0
SLICE_STEPS = 4096


class _MovingAverage:
    """Exponential moving average over time (axis 0), carried across slices.

    `previous(x)` returns, for each row, the average of the rows *before* it.
    """

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.last: np.ndarray | None = None

    def previous(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return x
        if self.last is None:
            self.last = x[0].astype(np.float64)
        zi = ((1 - self.alpha) * self.last)[None, ...]
        averaged = lfilter([self.alpha], [1.0, -(1.0 - self.alpha)], x, axis=0, zi=zi)[0]
        before = np.concatenate([self.last[None, ...], averaged[:-1]])
        self.last = averaged[-1]
        return before


def _robust_z(values: np.ndarray) -> np.ndarray:
    median = np.median(values)
    mad = np.median(np.abs(values - median)) * 1.4826
    return np.clip((values - median) / max(mad, 1e-6), 0, None)


def cold_start_scores(features: FeatureFile) -> np.ndarray:
    """Per-step excitement score (>= 0, unbounded: use budget mode for segments)."""
    fps, n = features.fps, features.n_steps
    loudness_avg = _MovingAverage(1.0 / (AUDIO_BASELINE_S * fps))
    picture_avg = _MovingAverage(1.0 / (VISUAL_BASELINE_S * fps))
    excitement, novelty = np.zeros(n), np.zeros(n)
    for start in range(0, n, SLICE_STEPS):
        window = features.read(start, SLICE_STEPS)
        stop = start + len(window)
        if window.audio.shape[1]:
            loudness = window.audio[:, 0].astype(np.float64)
            excitement[start:stop] = loudness - loudness_avg.previous(loudness)
        visual = window.visual.astype(np.float64)
        visual /= np.maximum(np.linalg.norm(visual, axis=1, keepdims=True), 1e-6)
        mean = picture_avg.previous(visual)
        mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-6)
        novelty[start:stop] = np.where(window.frame_ok, 1.0 - (visual * mean).sum(axis=1), 0.0)
    parts = [_robust_z(novelty)] + ([_robust_z(excitement)] if features.audio_dim else [])
    return np.mean(parts, axis=0).astype(np.float32)
