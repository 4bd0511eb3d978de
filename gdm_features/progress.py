"""Progress for long work on stderr: steps done, x realtime, ETA (tqdm does the ETA)."""

from __future__ import annotations

import sys
import time
from typing import Callable

from tqdm import tqdm


class StepProgress:
    """A progress bar over steps of video; `realtime` = seconds of video per wall second."""

    def __init__(self, label: str, total_steps: int | None, fps: float, initial: int = 0,
                 enabled: bool = True, callback: Callable[[int, int | None, float], None] | None = None) -> None:
        """`callback(done, total, x_realtime)` after every advance: progress for a caller that
        is not a terminal (the studio's page)."""
        self.fps = fps
        self._callback = callback
        self._started = time.perf_counter()
        self._initial = initial
        # Counted here, not read from the bar: a disabled tqdm bar (--quiet, the studio) counts nothing.
        self.done, self.total = initial, total_steps
        self._bar = tqdm(total=total_steps, initial=initial, desc=label, unit="step", file=sys.stderr,
                         disable=not enabled, dynamic_ncols=True, mininterval=0.5)

    def advance(self, n: int) -> None:
        self.done += n
        self._bar.update(n)
        self._bar.set_postfix_str(f"{self.realtime():.1f}x realtime", refresh=False)
        if self._callback is not None:
            self._callback(self.done, self.total, self.realtime())

    def realtime(self) -> float:
        elapsed = time.perf_counter() - self._started
        return ((self.done - self._initial) / self.fps) / elapsed if elapsed > 0 else 0.0

    def settle(self, total_steps: int) -> None:
        """The real total, known only at the end (the container's duration is an estimate)."""
        self.total = total_steps
        self._bar.total = total_steps
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()
