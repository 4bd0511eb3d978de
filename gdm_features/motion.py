"""What moved on screen during each step: the picture's motion block of the cache.

An ImageNet embedding of one frame per step says what the screen looks like, not what
happened on it: a ship of a few pixels vanishing among rocks, a game that freezes while its
death animation plays, a flash, are all but invisible in a pooled embedding at 5 steps/s,
and they are most of what a highlight is in many games. So every decoded frame (at most
MAX_FPS a second, whatever the source's rate, so 60 fps sources measure like 30 fps ones) is
reduced to a small grey picture, and each step records, per cell of a GRID x GRID grid, the
mean and the largest change between consecutive frames during the step (grey levels, 0-255):
`[mean cells..., max cells...]`.

Pure arithmetic over small arrays: the decoder hands frames in, steps take rows out.
"""

from __future__ import annotations

import math

import numpy as np

SIZE = 128  # side of the grey picture a frame is scaled to (area average)
GRID = 8  # cells per side
MAX_FPS = 30.0  # at most one frame per 1/MAX_FPS s slot is compared (the first in the slot)
DIM = 2 * GRID * GRID


def cell_means(change: np.ndarray) -> np.ndarray:
    """Mean of a `[SIZE, SIZE]` picture per grid cell, flattened row by row."""
    side = SIZE // GRID
    return change.reshape(GRID, side, GRID, side).mean(axis=(1, 3)).ravel()


def mean_changes(rows: np.ndarray) -> np.ndarray:
    """`[n, GRID * GRID]`: the mean change per cell of motion-block rows (their first half)."""
    return rows[:, : GRID * GRID]


class MotionMeter:
    """Feed grey frames in presentation order with `add`; `take` the motion of one step.

    A step's row covers the changes since the previous `take`: the caller takes once per step
    as the step becomes final, so each change is counted in exactly one step (a slow source
    holding one frame over several steps gives those steps zeros: nothing moved).
    """

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None
        self._slot = -math.inf
        self._sum = np.zeros(GRID * GRID, np.float64)
        self._max = np.zeros(GRID * GRID, np.float64)
        self._pairs = 0

    def wants(self, time_s: float) -> bool:
        """Whether a frame at `time_s` is compared (a phase-free cap: one frame per slot, so
        resuming from any key frame compares the same frames as an uninterrupted run)."""
        return math.floor(time_s * MAX_FPS + 1e-6) > self._slot

    def add(self, time_s: float, grey: np.ndarray) -> None:
        """A decoded frame as a `[SIZE, SIZE]` uint8 picture; ignored unless `wants(time_s)`."""
        if not self.wants(time_s):
            return
        self._slot = math.floor(time_s * MAX_FPS + 1e-6)
        current = grey.astype(np.int16)
        if self._previous is not None:
            cells = cell_means(np.abs(current - self._previous).astype(np.float32))
            self._sum += cells
            np.maximum(self._max, cells, out=self._max)
            self._pairs += 1
        self._previous = current

    def forget(self) -> None:
        """The frames stop being trusted (lost data): the next frame has nothing to compare to."""
        self._previous = None

    def take(self) -> np.ndarray:
        """float32 `[DIM]`: the mean and the largest change per cell since the last take."""
        mean = self._sum / self._pairs if self._pairs else self._sum
        row = np.concatenate([mean, self._max]).astype(np.float32)
        self._sum[:] = 0.0
        self._max[:] = 0.0
        self._pairs = 0
        return row
