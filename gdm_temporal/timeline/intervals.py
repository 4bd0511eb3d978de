"""Intervals on a stream's timeline: the highlight model, and the two conversions between
intervals in seconds and per-step masks (`step_targets` one way, `runs` the other).

Pure functions: labels, segments, metrics and alignment all build on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, order=True)
class Interval:
    """A highlight `[start, end)` in seconds from the start of the video."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end


def merged(intervals: list[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    out: list[Interval] = []
    for iv in sorted(intervals):
        if out and iv.start <= out[-1].end:
            out[-1] = Interval(out[-1].start, max(out[-1].end, iv.end))
        else:
            out.append(iv)
    return out


def step_targets(intervals: list[Interval], n_steps: int, fps: float) -> np.ndarray:
    """Per-step 0/1 targets: step `i` is positive when `t_i` lies in some interval."""
    times = np.arange(n_steps) / fps
    target = np.zeros(n_steps, np.float32)
    for iv in intervals:
        target[(times >= iv.start) & (times < iv.end)] = 1.0
    return target


def runs(mask: np.ndarray, max_gap: int = 0, min_len: int = 1) -> list[tuple[int, int]]:
    """`[start, end)` ranges where `mask` is true, gaps of up to `max_gap` bridged, at least
    `min_len` long."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask).astype(np.int8), [0]]))
    joined: list[list[int]] = []
    for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        if joined and a - joined[-1][1] <= max_gap:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return [(a, b) for a, b in joined if b - a >= min_len]


@dataclass(frozen=True)
class LabelSummary:
    count: int
    total_s: float
    mean_s: float
    overlapping_pairs: int
    stream_s: float | None
    share_of_stream: float | None
    outside_stream: int


def summarize(intervals: list[Interval], stream_s: float | None = None) -> LabelSummary:
    ordered = sorted(intervals)
    overlaps = sum(1 for i, a in enumerate(ordered) for b in ordered[i + 1:] if a.overlaps(b))
    total = sum(iv.duration for iv in merged(ordered))
    outside = sum(1 for iv in ordered if stream_s is not None and iv.end > stream_s + 1e-6)
    return LabelSummary(len(ordered), total, total / len(ordered) if ordered else 0.0, overlaps, stream_s,
                        total / stream_s if stream_s else None, outside)
