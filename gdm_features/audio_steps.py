"""Cuts a stream of time-stamped sample blocks into the design's per-step audio windows.

Step `i` owns samples `[round(t_i * sr), round(t_{i+1} * sr))`. Blocks may arrive with gaps
(filled with silence) or overlaps (the later copy is dropped), as real containers deliver.
Pure logic, so alignment is tested without a decoder.
"""

from __future__ import annotations

import numpy as np

from .audio_features import AudioSettings, step_features


class AudioStepper:
    def __init__(self, settings: AudioSettings, sample_rate: int, fps: float, first_step: int = 0) -> None:
        self.settings, self.sample_rate, self.fps = settings, sample_rate, fps
        self.next_step = first_step
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start = self._boundary(first_step)  # sample index of _buffer[0]

    def _boundary(self, step: int) -> int:
        return round(step * self.sample_rate / self.fps)

    @property
    def next_boundary(self) -> int:
        """The first sample of the next step to emit: everything before it is done."""
        return self._boundary(self.next_step)

    @property
    def _buffer_end(self) -> int:
        return self._buffer_start + self._buffer.size

    def push(self, start_sample: int, samples: np.ndarray) -> list[np.ndarray]:
        """Add a block starting at absolute sample `start_sample`; return finished step rows."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if start_sample > self._buffer_end:
            samples = np.concatenate([np.zeros(start_sample - self._buffer_end, np.float32), samples])
        elif start_sample < self._buffer_end:
            samples = samples[self._buffer_end - start_sample:]
        if samples.size:
            self._buffer = np.concatenate([self._buffer, samples])
        return self._emit(until_sample=self._buffer_end)

    def _emit(self, until_sample: int) -> list[np.ndarray]:
        rows = []
        while self._boundary(self.next_step + 1) <= until_sample:
            lo = self._boundary(self.next_step) - self._buffer_start
            hi = self._boundary(self.next_step + 1) - self._buffer_start
            rows.append(step_features(self._buffer[lo:hi], self.sample_rate, self.settings))
            self.next_step += 1
        consumed = self._boundary(self.next_step) - self._buffer_start
        if consumed > 0:
            self._buffer = self._buffer[consumed:]
            self._buffer_start += consumed
        return rows

    def finish(self, end_step: int) -> list[np.ndarray]:
        """Rows up to (not including) `end_step`, silence where no audio arrived."""
        missing = self._boundary(end_step) - self._buffer_end
        if missing > 0:
            self._buffer = np.concatenate([self._buffer, np.zeros(missing, np.float32)])
        return self._emit(until_sample=self._boundary(end_step))
