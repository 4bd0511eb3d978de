"""Per-step scores -> highlight segments. Pure functions over numpy arrays.

Step `i` covers `[i / fps, (i + 1) / fps)`. Two ways to choose segments:
- `threshold_segments`: hysteresis thresholding (a run starts above `threshold` and lasts while
  scores stay above `threshold - hysteresis`, and above the stream's median), then merge, pad,
  drop short, trim long;
- `window_segments`: the best windows of a highlight's length up to a total length, whatever
  the scale of the scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .intervals import runs


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    score: float  # mean step score inside
    peak: float  # highest step score inside
    peak_time: float  # start of the step with the highest score

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_json(self) -> dict:
        # The end rounds down, so a segment that ends at the video's end never ends past it.
        return {"start": round(self.start, 3), "end": math.floor(self.end * 1000 + 1e-6) / 1000, "score": round(self.score, 4),
                "peak": round(self.peak, 4), "peak_time": round(self.peak_time, 3)}


@dataclass(frozen=True)
class SegmentParams:
    threshold: float = 0.5
    hysteresis: float = 0.1
    merge_gap: float = 2.0  # join segments closer than this (s)
    pre: float = 0.0  # pad before (s)
    post: float = 0.0  # pad after (s)
    min_len: float = 1.0  # drop shorter segments (s)
    max_len: float | None = None  # trim longer ones to this, centred on the peak (s)


def _describe(scores: np.ndarray, fps: float, start: float, end: float) -> Segment:
    lo = int(np.floor(start * fps + 1e-9))
    hi = max(lo + 1, int(np.ceil(end * fps - 1e-9)))
    inside = scores[lo:hi]
    k = int(np.argmax(inside))
    peak = float(inside[k])
    # The mean of equal floats can round one ulp above them: a mean is never above the peak.
    return Segment(start, end, min(float(inside.mean()), peak), peak, (lo + k) / fps)


def _finish(scores: np.ndarray, fps: float, spans: list[tuple[float, float]], p: SegmentParams,
            duration_s: float | None = None) -> list[Segment]:
    """Merge close spans, pad, merge overlaps, drop short, trim long: shared by both modes.

    Nothing ends past `duration_s` (the video's own end, which can fall inside the last step).
    """
    duration = len(scores) / fps if duration_s is None else min(len(scores) / fps, duration_s)
    joined: list[list[float]] = []
    for start, end in sorted(spans):
        if joined and start - joined[-1][1] < p.merge_gap:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    padded: list[list[float]] = []
    for start, end in joined:
        start, end = max(0.0, start - p.pre), min(duration, end + p.post)
        if end <= start:
            continue
        if padded and start <= padded[-1][1]:
            padded[-1][1] = max(padded[-1][1], end)
        else:
            padded.append([start, end])
    out = []
    for start, end in padded:
        if end - start < p.min_len - 1e-9:
            continue
        segment = _describe(scores, fps, start, end)
        if p.max_len is not None and segment.duration > p.max_len:
            centre = segment.peak_time + 0.5 / fps
            start = min(max(start, centre - p.max_len / 2), end - p.max_len)
            segment = _describe(scores, fps, start, start + p.max_len)
        out.append(segment)
    return out


def threshold_segments(scores: np.ndarray, fps: float, p: SegmentParams = SegmentParams(),
                       duration_s: float | None = None) -> list[Segment]:
    scores = np.asarray(scores, dtype=np.float64)
    # A run may sag by the hysteresis, but never into the stream's typical level: a weak head
    # whose scores hover just under its threshold would otherwise turn into one endless run.
    typical = float(np.median(scores)) if scores.size else 0.0
    low = max(p.threshold - p.hysteresis, min(p.threshold, typical + 1e-6))
    spans = [(a / fps, b / fps) for a, b in runs(scores >= low) if scores[a:b].max() >= p.threshold]
    return _finish(scores, fps, spans, p, duration_s)


DEFAULT_WINDOW_S = 2.0  # a highlight's length where none was learned (the cold start)


def budget_window_s(highlight_s: float | None) -> float:
    """The window budget selection uses: the learned highlight length, else the default."""
    return float(highlight_s) if highlight_s and highlight_s > 0 else DEFAULT_WINDOW_S


def window_segments(scores: np.ndarray, fps: float, budget_s: float, window_s: float,
                    p: SegmentParams = SegmentParams(merge_gap=0.0, min_len=0.0), duration_s: float | None = None
                    ) -> list[Segment]:
    """The best non-overlapping windows of `window_s` by mean score, best first, up to `budget_s`;
    touching windows join into one segment; then `p` pads, drops short ones and trims long ones
    as in threshold mode. Padding is paid from the budget (a window costs `window_s + pre +
    post`), and windows never merge across a gap (a gap would spend budget on nothing), so the
    total never exceeds `budget_s`.

    `window_s` is the length of a highlight: the median labelled length for a head, 2 s for the
    cold start. Growing segments from peaks and trimming them (the rule before this one) spent
    the budget on the stretches between close events and lost the second of two: on the three
    Atari games of `tools/bench_heads.py` a fused head found 22/42, 46/55 and 51/68 test
    highlights at the labelled time's budget that way, and 40/42, 53/55 and 63/68 with windows
    of its highlight length; the cold start 0.60 / 0.64 / 0.54 and 0.98 / 0.73 / 0.65.
    """
    scores = np.asarray(scores, dtype=np.float64)
    width = max(1, int(round(window_s * fps)))
    cost = width / fps + p.pre + p.post
    count = int(budget_s // cost + 1e-9) if cost > 0 else 0
    if count <= 0 or scores.size == 0:
        return []
    duration = len(scores) / fps if duration_s is None else min(len(scores) / fps, duration_s)
    usable = max(1, min(scores.size, int(np.floor(duration * fps + 1e-9))))  # whole steps before the end
    width = min(width, usable)
    sums = np.concatenate([[0.0], np.cumsum(scores[:usable])])
    means = (sums[width:] - sums[:-width]) / width  # means[k]: window starting at step k, inside the video
    claimed = np.zeros(scores.size, bool)
    starts: list[int] = []
    for k in np.argsort(-means, kind="stable"):
        if len(starts) >= count:
            break
        if not claimed[k] and not claimed[k + width - 1]:  # windows are equal: the ends decide overlap
            claimed[k:k + width] = True
            starts.append(int(k))
    joined: list[list[int]] = []
    for k in sorted(starts):
        if joined and k == joined[-1][1]:
            joined[-1][1] = k + width
        else:
            joined.append([k, k + width])
    spans = [(lo / fps, min(hi / fps, duration)) for lo, hi in joined if lo / fps < duration]
    return _finish(scores, fps, spans, replace(p, merge_gap=0.0), duration_s)
