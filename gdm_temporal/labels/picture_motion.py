"""The picture's second witness: whether the screen moved in the same rhythm as the stream along
a line.

The pooled embedding says what a frame looks like, and an edit changes that (a letterbox, a
9:16 crop, a box over a corner, a lower bitrate), while a game whose pictures repeat looks like
itself everywhere. *How much* the screen changes from one step to the next (the cache's motion
block, summed over the whole picture) is a rhythm of play that such edits leave alone: scaling
or covering part of the picture scales or dents it, but its rises and falls stay where they
were. Along a clip's true line the two videos' series correlate (0.8-0.99 on Atari clips under
every edit but a speed change, whose dropped and doubled frames beat a rhythm of their own);
along a line through a replayed sound they mostly do not. A dozen seconds of one number per
step is too little to *search* a long stream with, but enough to tell a line from its rival.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdm_features import FeatureFile
from gdm_features.motion import mean_changes

_MIN_STEPS = 10  # a stretch shorter than this has no rhythm to compare
_MIN_SPREAD = 0.02  # log units: a stretch whose motion varies less than this is a still, with no say


def _rhythm(motion: np.ndarray) -> np.ndarray:
    """Per step, the log of the total mean change over all cells (log: a scaled or partly
    covered picture shifts it instead of scaling its swings)."""
    return np.log1p(mean_changes(motion).astype(np.float64).sum(axis=1))


@dataclass(frozen=True)
class MotionCheck:
    stream: np.ndarray  # per stream step, its rhythm
    comp: np.ndarray  # per compilation step
    fps: float

    @classmethod
    def of(cls, stream: FeatureFile, compilation: FeatureFile, chunk: int = 16384) -> "MotionCheck | None":
        """None where either video's cache has no motion block."""
        if not stream.motion_dim or not compilation.motion_dim:
            return None
        rhythm = np.concatenate([_rhythm(stream.read(start, chunk, ("motion",)).motion)
                                 for start in range(0, stream.n_steps, chunk)] or [np.zeros(0)])
        return cls(rhythm, _rhythm(compilation.read(0, compilation.n_steps).motion), stream.fps)

    def agreement(self, start_s: float, end_s: float, stream_start_s: float, speed: float) -> float:
        """Correlation of the two rhythms over the compilation steps in `[start_s, end_s]` along
        the line through (`start_s`, `stream_start_s`) at `speed` (the stream's rhythm read between
        its steps where the line falls between them); NaN where there is too little to compare."""
        i = np.arange(max(0, int(np.ceil(start_s * self.fps))), min(len(self.comp), int(end_s * self.fps) + 1))
        j = (stream_start_s + speed * (i / self.fps - start_s)) * self.fps
        inside = (j >= 0) & (j <= len(self.stream) - 1)
        if inside.sum() < _MIN_STEPS:
            return float("nan")
        x = self.comp[i[inside]]
        y = np.interp(j[inside], np.arange(len(self.stream)), self.stream)
        if x.std() < _MIN_SPREAD or y.std() < _MIN_SPREAD:
            return float("nan")
        return float(np.corrcoef(x, y)[0, 1])
