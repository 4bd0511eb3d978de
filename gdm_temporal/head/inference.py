"""Sliding-window inference: per-step scores for any stretch of a stream, in bounded memory.

Windows overlap by half; each window's outputs are weighted by a linear ramp over the
overlap (full weight at the stream's own edges), so overlapping windows cross-fade and no
seam shows where one window's context ends.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .data import WindowReader, region_windows
from ..labels.manifest import Region
from .model import HighlightHead

DEFAULT_WINDOW = 512


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    weights = np.ones(length, np.float64)
    if overlap > 0:
        ramp = (np.arange(length) + 0.5) / overlap
        if not at_start:
            weights = np.minimum(weights, ramp)
        if not at_end:
            weights = np.minimum(weights, ramp[::-1])
    return weights


@torch.inference_mode()
def score_region(head: HighlightHead, reader: WindowReader, region: Region, window: int = DEFAULT_WINDOW,
                 batch: int = 8, device: torch.device | str = "cpu",
                 progress: Callable[[int], None] | None = None, only: str | None = None) -> np.ndarray:
    """Highlight probability per step of `region`, float32 `[region.length]` (of branch `only`
    alone if given); `progress(steps)` is told how many more steps were scored after each
    batch of windows."""
    head.eval()
    if region.length <= 0:
        return np.zeros(0, np.float32)
    hop = max(1, window // 2)
    total = np.zeros(region.length, np.float64)
    weight = np.zeros(region.length, np.float64)
    spans = list(region_windows(region, window, hop))
    present = reader.modalities(region.stream)
    reported = 0
    for first in range(0, len(spans), batch):
        group = spans[first:first + batch]
        inputs = [reader.read(region.stream, s, n)[0] for s, n in group]
        width = max(len(x) for x in inputs)
        stacked = np.zeros((len(inputs), width, inputs[0].shape[1]), np.float32)
        for k, x in enumerate(inputs):
            stacked[k, :len(x)] = x
        probs = torch.sigmoid(head(torch.from_numpy(stacked).to(device), present, only)).float().cpu().numpy()
        for (s, n), p in zip(group, probs):
            w = _ramp(n, window - hop, at_start=s == region.start, at_end=s + n == region.end)
            total[s - region.start:s - region.start + n] += p[:n] * w
            weight[s - region.start:s - region.start + n] += w
        if progress is not None:  # steps before the next window's start are final
            finished = spans[first + batch][0] - region.start if first + batch < len(spans) else region.length
            progress(finished - reported)
            reported = finished
    return (total / np.maximum(weight, 1e-12)).astype(np.float32)

