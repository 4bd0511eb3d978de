"""Where a compilation's picture cuts: the units alignment matches one by one.

An editor joins clips with hard cuts or short crossfades, and puts title and end cards between
them. Each shows as a jump in the compilation's own embeddings: between consecutive steps for
a cut, across a few steps for a crossfade (whose middle is where the jump across it peaks).
Cutting too often is harmless (neighbouring shots that match at one offset are joined again);
missing a cut is not, so the threshold is low and relative to the compilation's own calm.
"""

from __future__ import annotations

import numpy as np

SPAN_STEPS = 3  # compare step i with step i - 3: a 0.5 s crossfade is one jump at 5 fps
CUT_SCORE = 0.3  # a jump this large (1 - cosine of raw embeddings) is a cut, not motion
MIN_SHOT_STEPS = 3  # shorter "shots" are flashes inside a clip, not clips


def _unit(x: np.ndarray) -> np.ndarray:
    """Raw embeddings, not centred: in a game whose picture barely moves, what is left after
    removing the mean is the small motion, and it swings as much inside a clip as at a cut."""
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


def jump_scores(visual: np.ndarray) -> np.ndarray:
    """`1 - cos(step i, step i - SPAN_STEPS)` placed at the middle of the pair, per step."""
    u = _unit(visual)
    n = len(u)
    scores = np.zeros(n, np.float32)
    if n > SPAN_STEPS:
        change = 1.0 - np.einsum("ij,ij->i", u[SPAN_STEPS:], u[:-SPAN_STEPS])
        middle = SPAN_STEPS // 2 + 1
        scores[middle:middle + len(change)] = change
    return scores


def shots(visual: np.ndarray, sensitivity: float = 6.0) -> list[tuple[int, int]]:
    """`[a, b)` step ranges between cuts, covering the whole compilation."""
    n = len(visual)
    if n == 0:
        return []
    score = jump_scores(visual)
    median = float(np.median(score))
    spread = float(np.median(np.abs(score - median))) + 1e-3
    high = score > max(median + sensitivity * spread, 0.15)
    cuts = []
    for i in np.flatnonzero(high):
        lo, hi = max(0, i - SPAN_STEPS), min(n, i + SPAN_STEPS + 1)
        if score[i] == score[lo:hi].max() and (not cuts or i - cuts[-1] >= MIN_SHOT_STEPS):
            cuts.append(int(i))
    bounds = [0] + [c for c in cuts if 0 < c < n] + [n]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
