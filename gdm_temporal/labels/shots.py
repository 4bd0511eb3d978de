"""Where a compilation's picture cuts: where a clip found by its sound may end.

An editor joins clips with hard cuts or short crossfades and puts title and end cards between
them. Each shows as a jump in the compilation's own embeddings: between consecutive steps for
a cut, across a few steps for a crossfade (whose middle is where the jump across it peaks).
Raw embeddings, not centred: in a game whose picture barely moves, what is left after removing
the mean is the small motion, and it swings as much inside a clip as at a cut. Two clips of
such a game crossfaded into each other may not jump at all; then the sound decides alone.
"""

from __future__ import annotations

import numpy as np

SPAN_STEPS = 3  # compare step i with step i - 3: a 0.5 s crossfade is one jump at 5 fps
CUT_SCORE = 0.3  # a jump this large (1 - cosine of raw embeddings) is a cut, not motion


def jump_scores(visual: np.ndarray) -> np.ndarray:
    """`1 - cos(step i, step i - SPAN_STEPS)` placed at the middle of the pair, per step."""
    u = visual.astype(np.float32)
    u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-6)
    scores = np.zeros(len(u), np.float32)
    if len(u) > SPAN_STEPS:
        change = 1.0 - np.einsum("ij,ij->i", u[SPAN_STEPS:], u[:-SPAN_STEPS])
        middle = SPAN_STEPS // 2 + 1
        scores[middle:middle + len(change)] = change
    return scores
