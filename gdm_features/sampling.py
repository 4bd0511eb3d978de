"""Which decoded frame each step shows: the design's time base as a streaming state machine.

Step `i` shows the last frame with presentation time `<= t_i` (times relative to the start
of the media). Frames arrive in presentation order; each step is emitted as soon as the
first frame *after* `t_i` proves that no later frame can still claim it. Pure logic over
time stamps, so variable frame rate, late first frames and resume are unit-testable
without a decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Iterable, Iterator, TypeVar

from .timebase import steps_before

T = TypeVar("T")


@dataclass(frozen=True)
class Sample(Generic[T]):
    """One step of the timeline; `frame` is None where no frame was on screen yet."""

    step: int
    frame: T | None


class StepSampler(Generic[T]):
    """Feed `(time_s, frame)` in presentation order, collect the steps they settle.

    `first_step` lets a resumed run start part-way; frames before it still matter,
    since the frame on screen at `t_first` may have been decoded well before.
    """

    def __init__(self, fps: float, first_step: int = 0) -> None:
        self.fps = fps
        self.next_step = first_step
        self._held: T | None = None  # the frame on screen for `next_step`, if any
        self._held_time: float | None = None

    def push(self, time_s: float, frame: T) -> list[Sample[T]]:
        """Accept one frame; return the steps that are now final (possibly none)."""
        if self._held_time is not None and time_s < self._held_time:
            return []  # out-of-order or duplicate time stamp: the earlier frame stays
        out: list[Sample[T]] = []
        # Every step strictly before this frame's time shows the previously held frame;
        # a frame exactly at t_i claims step i itself.
        settled_end = steps_before(time_s, self.fps)
        while self.next_step < settled_end:
            out.append(Sample(self.next_step, self._held))
            self.next_step += 1
        self._held, self._held_time = frame, time_s
        return out

    def blank(self) -> None:
        """From now on nothing is on screen (the decoder lost the rest of the stream)."""
        self._held, self._held_time = None, None

    def finish(self, end_time_s: float) -> list[Sample[T]]:
        """Settle the remaining steps before `end_time_s` (when the last frame leaves screen)."""
        out: list[Sample[T]] = []
        end_step = steps_before(end_time_s, self.fps)
        while self.next_step < end_step:
            out.append(Sample(self.next_step, self._held))
            self.next_step += 1
        return out


def sample_timeline(frames: Iterable[tuple[float, T]], end_time_s: float, fps: float,
                    first_step: int = 0) -> Iterator[Sample[T]]:
    """All steps of a finite stream of `(time_s, frame)` pairs, in order."""
    sampler: StepSampler[T] = StepSampler(fps, first_step)
    for time_s, frame in frames:
        yield from sampler.push(time_s, frame)
    yield from sampler.finish(end_time_s)
