"""Per-step scores -> highlight segments. Pure functions over numpy arrays.

Step `i` covers `[i / fps, (i + 1) / fps)`. Two ways to choose segments:
- `threshold_segments`: hysteresis thresholding (a run starts above `threshold` and lasts while
  scores stay above `threshold - hysteresis`, and above the stream's median), then merge, pad,
  drop short, trim long;
- `budget_segments`: the best segments up to a total length, whatever the scale of the scores.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

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


def budget_segments(scores: np.ndarray, fps: float, budget_s: float, p: SegmentParams = SegmentParams(),
                    duration_s: float | None = None) -> list[Segment]:
    """The highest-peaked segments whose durations add up to at most `budget_s`.

    Candidates grow from each unclaimed peak while scores stay above halfway between the
    stream's median and the peak, so the rule works for probabilities and raw scores alike.
    They are taken by peak score, skipping any that would make the total overflow the budget.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if budget_s <= 0 or scores.size == 0:
        return []
    base = float(np.median(scores))
    claimed = np.zeros(scores.size, bool)
    spans: list[tuple[float, float]] = []
    found_s = 0.0
    for i in np.argsort(-scores, kind="stable"):
        if found_s >= 3 * budget_s or scores[i] <= base:
            break  # enough candidates, or only background is left
        if claimed[i]:
            continue
        floor = base + 0.5 * (scores[i] - base)
        lo, hi = i, i + 1
        while lo > 0 and not claimed[lo - 1] and scores[lo - 1] >= floor:
            lo -= 1
        while hi < scores.size and not claimed[hi] and scores[hi] >= floor:
            hi += 1
        claimed[lo:hi] = True
        spans.append((lo / fps, hi / fps))
        # Counted as it will be kept: a span longer than max_len is trimmed to it.
        found_s += min((hi - lo) / fps, p.max_len if p.max_len is not None else float("inf"))
    # Accept candidates strongest first while the finished set (merged, padded, trimmed)
    # still fits: merging then only ever joins chosen segments, never a weak neighbour.
    # Finishing is local, so each candidate is checked against its neighbours only.
    reach = p.merge_gap + p.pre + p.post
    chosen: list[tuple[float, float]] = []  # disjoint, sorted by start
    used = 0.0
    for span in sorted(spans, key=lambda sp: -scores[int(round(sp[0] * fps)):int(round(sp[1] * fps))].max()):
        at = bisect.bisect_left(chosen, span)
        lo, hi, left, right = at, at, span[0], span[1]
        while lo > 0 and left - chosen[lo - 1][1] <= reach:
            lo -= 1
            left = chosen[lo][0]
        while hi < len(chosen) and chosen[hi][0] - right <= reach:
            right = max(right, chosen[hi][1])
            hi += 1
        neighbours = chosen[lo:hi]
        before = sum(seg.duration for seg in _finish(scores, fps, neighbours, p, duration_s)) if neighbours else 0.0
        after = sum(seg.duration for seg in _finish(scores, fps, neighbours + [span], p, duration_s))
        if used - before + after <= budget_s + 1e-9:
            chosen.insert(at, span)
            used += after - before
    return _finish(scores, fps, chosen, p, duration_s)


def window_segments(scores: np.ndarray, fps: float, budget_s: float, window_s: float,
                    p: SegmentParams = SegmentParams(merge_gap=0.0, min_len=0.0), duration_s: float | None = None
                    ) -> list[Segment]:
    """The best non-overlapping windows of `window_s` by mean score, best first, up to `budget_s`;
    touching windows join into one segment, then `p` pads, merges and trims as in both other
    modes (padding comes on top of the budget).

    For a scorer that knows no highlight length (the cold start): growing segments from peaks
    and padding them spends the budget on lead-ups and on the gaps between close events; equal
    windows spend it where the score is. On the three Atari games of `tools/bench_heads.py`,
    the same cold-start scores found 0.60 / 0.64 / 0.54 of the highlights by `budget_segments`
    (1 s lead-up and follow-up, 2-6 s) and 0.98 / 0.73 / 0.65 by 2 s windows at the same budget.
    """
    scores = np.asarray(scores, dtype=np.float64)
    width = max(1, int(round(window_s * fps)))
    count = int(budget_s // (width / fps) + 1e-9)
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
    return _finish(scores, fps, [(lo / fps, min(hi / fps, duration)) for lo, hi in joined if lo / fps < duration],
                   p, duration_s)
