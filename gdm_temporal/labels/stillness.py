"""What stands still: a card, a paused game, a serve wait. A still picture looks the same at
every still moment of the stream, so it has no say on which line a clip is on; but where the
stream along a clip's line stands still too, it is the same pause, and the clip goes on over it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gdm_features.store import FeatureSlice

if TYPE_CHECKING:
    from .picture_match import PictureParams


def step_motion(visual: np.ndarray) -> np.ndarray:
    """Per step, `1 - cosine` of its raw embedding with the step before (and after): 0 where
    the picture is still."""
    x = visual.astype(np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)
    change = 1.0 - np.einsum("ij,ij->i", x[1:], x[:-1]) if len(x) > 1 else np.zeros(0, np.float32)
    return np.maximum(np.r_[change, 0.0], np.r_[0.0, change]) if len(x) else np.zeros(0, np.float32)


def standing_still(steps: FeatureSlice, params: PictureParams) -> np.ndarray:
    """Per step, whether the picture stands still (a card, a pause): its embedding hardly
    changes from the step before or after, nor, where the cache has pictures, does any cell of
    its small grey picture change by more than `still_levels` (re-encoding's flicker). The
    embedding's change alone took a letterboxed Ms. Pac-Man, its sprites small in less than
    half the frame, for a card, and two of six clips were lost as stills."""
    still = step_motion(steps.visual) < params.min_motion
    if steps.picture is None or not steps.picture.size:  # (a cache without the picture block)
        return still
    change = np.abs(np.diff(steps.picture.astype(np.int16), axis=0)).max(axis=1)
    return still & (np.maximum(np.r_[change, 0], np.r_[0, change]) <= params.still_levels)
