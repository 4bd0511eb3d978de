"""The sound's decisions: how well a line `stream = intercept + speed x compilation` explains
the onsets of both videos, as log-likelihood ratios per sound, and the stretch where they add
up most.

Along a line, each compilation sound meets a stream onset of a band it has on the same 10 ms
frame, a frame or two off, a little further, or not at all. On a clip's true line most meet
exactly (a copy keeps its timing; mixing moves a few onsets by a frame); on any other line,
exact meetings are as rare as the local onset rate makes them. Each sound adds the
log-likelihood ratio of the two, each stream sound the line passes without a partner adds its
own, and a clip is the stretch where the sum is largest (a maximum-sum run): evidence in
natural-log odds, in the same units for any game. Silence adds nothing either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio_print import FRAME_S, N_BANDS, Onsets, range_indices

_LOOSE_PAIR_S = 0.15  # a proposed line's pairs are sought this far off it...
_SPEED_SEARCH = np.arange(-0.02, 0.0201, 0.0025)  # ...and its speed this far around it...
_SPEEDS_FOUND = (0.935, 1.065)  # ...within the speeds proposed (a regular rhythm fits any speed for a second)
_RATE_SPAN_S = 5.0  # the local onset rate: onsets within this either side
_EDGE_LLR = 2.0  # a run's edges that add less evidence than this are left out


@dataclass(frozen=True)
class SoundParams:
    """Settings of alignment by sound (evidence in natural-log odds)."""

    window_s: float = 3.0  # each stretch of this length nominates...
    per_window: int = 8  # ...this many lines
    reach_s: float = 30.0  # how far past the stretches that nominated it a line is followed
    exact_s: float = 0.006  # a sound this close to one of the other video's (a band in common) is an exact hit...
    near_s: float = 0.016  # ...this close, a near one...
    tolerance_s: float = 0.04  # ...this close, a loose one
    exact_share: float = 0.6  # of the hits on a true line, the share that are exact...
    near_share: float = 0.3  # ...and near (measured: 0.67-0.8 and 0.17-0.2, clean and under music)
    true_hit: float = 0.5  # on a clip's true line: the share of compilation sounds the stream has...
    true_recall: float = 0.8  # ...and of stream sounds the compilation has (music adds; it rarely removes)
    # Measured on Breakout (tools/bench_align.py, seeds 3 and 4): clips' true lines score 18-80,
    # other lines at most 11, with a lead of at most 4; the opening of another recording of the
    # same game (a replay, tests/gdm_temporal/labels/test_align_edits.py) 15, with a lead of 0.
    min_llr: float = 10.0  # evidence (log odds) a clip needs at all (the picture may confirm it)...
    match_llr: float = 15.0  # ...and to be a match by sound alone, heard for...
    min_heard_s: float = 3.0  # ...at least this long, with...
    min_lead_llr: float = 8.0  # ...this much more evidence than any other line over the same stretch
    grow_s: float = 4.0  # how far a clip's edge may grow past its last sound, to the nearest clear cut


@dataclass(frozen=True)
class Line:
    speed: float
    intercept: float  # stream seconds = intercept + speed x compilation seconds

    def stream_at(self, t: float) -> float:
        return self.intercept + self.speed * t


def _local_rate(times: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Onsets per second of sorted `times` within _RATE_SPAN_S of each of `at`."""
    lo = np.searchsorted(times, at - _RATE_SPAN_S)
    hi = np.searchsorted(times, at + _RATE_SPAN_S)
    return (hi - lo) / (2 * _RATE_SPAN_S)


def _nearest(times: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The nearest of sorted `times` to each of `at` (inf where there is none)."""
    if not len(times):
        return np.full(len(at), np.inf)
    k = np.searchsorted(times, at).clip(1, len(times) - 1)
    return np.where(np.abs(times[k - 1] - at) <= np.abs(times[k] - at), times[k - 1], times[k])


class Track:
    """One video's onsets in seconds, time-sorted, grouped into sounds: onsets of several bands
    within 20 ms are one sound (a click rises in every band at once, and counting it once per
    band would count one coincidence four times)."""

    def __init__(self, onsets: Onsets) -> None:
        self.times = onsets.frames * FRAME_S
        self.bands = onsets.bands
        self.by_band = [self.times[self.bands == k] for k in range(N_BANDS)]
        gaps = np.diff(onsets.frames) > 2
        self.sound = np.r_[0, np.cumsum(gaps)].astype(np.int64) if len(self.times) else np.zeros(0, np.int64)
        self.sound_times = self.times[np.r_[0, np.flatnonzero(gaps) + 1]] if len(self.times) else self.times
        self.seconds = onsets.seconds

    def matched(self, at: np.ndarray, first: int, last: int, other: "Track") -> tuple[np.ndarray, ...]:
        """For the sounds of onsets `first:last`, placed at `at` on the other track: (time of
        each sound, the distance from it to the nearest onset of the other in a band it shares,
        and the other's local rate of onsets that could be that near by chance: of its sounds,
        or of its onsets in the bands this sound has, whichever is lower)."""
        bands = self.bands[first:last]
        distance = np.full(len(at), np.inf)
        band_rate = np.zeros(len(at))
        for k in range(N_BANDS):
            mine = bands == k
            if mine.any():
                distance[mine] = np.abs(_nearest(other.by_band[k], at[mine]) - at[mine])
                band_rate[mine] = _local_rate(other.by_band[k], at[mine])
        sound = self.sound[first:last]
        starts = np.r_[0, np.flatnonzero(np.diff(sound)) + 1] if len(sound) else np.zeros(0, np.int64)
        if not len(starts):
            return np.zeros(0), np.zeros(0), np.zeros(0)
        rate = np.minimum(np.add.reduceat(band_rate, starts), _local_rate(other.sound_times, at[starts]))
        return self.times[first:last][starts], np.minimum.reduceat(distance, starts), rate


class Evidence:
    """The onsets of both videos; scores any line."""

    def __init__(self, stream: Onsets, compilation: Onsets, params: SoundParams) -> None:
        self.stream, self.comp = Track(stream), Track(compilation)
        self.duration = compilation.seconds
        self.params = params

    def _scores(self, distance: np.ndarray, rate: np.ndarray, found: float) -> np.ndarray:
        """Log-likelihood ratio, true line against an unrelated one, of a sound whose nearest
        partner is `distance` away, where the other video has `rate` sounds a second and a
        true line gives a sound its partner with probability `found`. On a true line most
        partners sit on the same 10 ms frame (a copy keeps its timing to the sample; mixing
        moves a few onsets by a frame or two), so an exact partner is strong evidence, a near
        one some, a loose one (three frames or more) hardly any, and none evidence against."""
        p = self.params
        edges = (0.0, p.exact_s, p.near_s, p.tolerance_s)
        chances = [np.clip(rate * 2 * (hi - lo), 1e-3, 0.5) for lo, hi in zip(edges[:-1], edges[1:])]
        shares = (p.exact_share, p.near_share, 1 - p.exact_share - p.near_share)
        return np.select([distance <= hi for hi in edges[1:]],
                         [np.log(found * share / chance) for share, chance in zip(shares, chances)],
                         np.log((1 - found) / np.clip(1 - sum(chances), 0.05, 1)))

    def events(self, line: Line, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """(compilation seconds, log-likelihood ratio) of every sound the line can see in
        [start, end] of the compilation, by time: each compilation sound with or without a
        partner in the stream, and each stream sound without a partner in the compilation (one
        with a partner is already counted)."""
        start = max(start, 0.0, -line.intercept / line.speed)
        end = min(end, self.duration, (self.stream.seconds - line.intercept) / line.speed)
        c = self.comp.times
        lo, hi = np.searchsorted(c, start), np.searchsorted(c, end, side="right")
        t1, d1, rate1 = self.comp.matched(line.stream_at(c[lo:hi]), lo, hi, self.stream)
        s1 = self._scores(d1, rate1, self.params.true_hit)
        s = self.stream.times
        lo, hi = np.searchsorted(s, [line.stream_at(start), line.stream_at(end)])
        t2, d2, rate2 = self.stream.matched((s[lo:hi] - line.intercept) / line.speed, lo, hi, self.comp)
        unpaired = d2 * line.speed > self.params.tolerance_s
        t2 = (t2[unpaired] - line.intercept) / line.speed
        s2 = self._scores(d2[unpaired], rate2[unpaired], self.params.true_recall)
        t, sc = np.r_[t1, t2], np.r_[s1, s2]
        order = np.argsort(t, kind="stable")
        return t[order], sc[order]

    def all_pairs(self, line: Line, first: float, last: float, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """(compilation, stream) seconds of every compilation onset in [first, last] with every
        stream onset of its band within `tol` of the line."""
        cs, ss = [], []
        for comp, stream in zip(self.comp.by_band, self.stream.by_band):
            c = comp[(comp >= first) & (comp <= last)]
            at = line.stream_at(c)
            lo, hi = np.searchsorted(stream, at - tol), np.searchsorted(stream, at + tol, side="right")
            count = hi - lo
            cs.append(np.repeat(c, count))
            ss.append(stream[range_indices(lo, count)])
        return (np.concatenate(cs), np.concatenate(ss)) if cs else (np.zeros(0), np.zeros(0))

    def pairs(self, line: Line, first: float, last: float, tol: float | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """(compilation, stream) seconds of the onsets paired along the line in [first, last]:
        each compilation onset with the nearest stream onset of its band, if within `tol`."""
        tol = self.params.tolerance_s if tol is None else tol
        cs, ss = [], []
        for comp, stream in zip(self.comp.by_band, self.stream.by_band):
            c = comp[(comp >= first) & (comp <= last)]
            at = line.stream_at(c)
            nearest = _nearest(stream, at)
            ok = np.abs(nearest - at) <= tol
            cs.append(c[ok])
            ss.append(nearest[ok])
        return (np.concatenate(cs), np.concatenate(ss)) if cs else (np.zeros(0), np.zeros(0))


def best_run(times: np.ndarray, scores: np.ndarray, lo: float = -np.inf, hi: float = np.inf
              ) -> tuple[float, float, float]:
    """(sum, first time, last time) of the maximum-sum run of events within [lo, hi]."""
    a, b = np.searchsorted(times, lo, side="left"), np.searchsorted(times, hi, side="right")
    s = scores[a:b]
    if not len(s):
        return 0.0, 0.0, 0.0
    total = np.r_[0.0, np.cumsum(s)]
    low_at = np.minimum.accumulate(total[:-1])
    gain = total[1:] - low_at
    end = int(np.argmax(gain))
    start = int(np.flatnonzero(total[:end + 1] == low_at[end])[-1])
    if gain[end] <= 0:
        return 0.0, 0.0, 0.0
    # A maximum-sum run takes in any edge whose sum is not negative: a chance match or two next
    # to a clip, and the misses after it. Edges that add less than _EDGE_LLR are left out.
    run = s[start:end + 1]
    head = np.flatnonzero(np.cumsum(run) < _EDGE_LLR)
    tail = np.flatnonzero(np.cumsum(run[::-1]) < _EDGE_LLR)
    first = start + (int(head[-1]) + 1 if len(head) else 0)
    last = end - (int(tail[-1]) + 1 if len(tail) else 0)
    if last < first:
        first, last = start, end
    return float(run.sum()), float(times[a + first]), float(times[a + last])


def free_best(times: np.ndarray, scores: np.ndarray, claimed: list[tuple[float, float]]
               ) -> tuple[float, float, float]:
    """The maximum-sum run that crosses no claimed stretch."""
    best = (0.0, 0.0, 0.0)
    if not len(times):
        return best
    bounds = [-np.inf]
    for lo, hi in sorted(claimed):
        bounds += [lo, hi]
    bounds.append(np.inf)
    for lo, hi in zip(bounds[::2], bounds[1::2]):
        if hi < times[0] or lo > times[-1]:  # (no event between: most of a long compilation's claims)
            continue
        run = best_run(times, scores, lo + 1e-9 if np.isfinite(lo) else lo, hi - 1e-9 if np.isfinite(hi) else hi)
        if run[0] > best[0]:
            best = run
    return best


def _least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through the points (np.polyfit's answer
    without its general machinery, which was a tenth of the sound's time on a long alignment)."""
    dx = x - x.mean()
    slope = float(dx @ (y - y.mean()) / (dx @ dx))
    return slope, float(y.mean() - slope * x.mean())


def refit(evidence: Evidence, line: Line, first: float, last: float) -> Line:
    """The line through the onsets it pairs in [first, last]. A proposed line is on a 0.1 s
    grid of intercepts and a 0.02 grid of speeds, which over a few seconds drifts off onsets
    timed to 10 ms; so every onset is paired with every stream onset of its band near the
    line, the speed and intercept that put most pairs within `near_s` of each other are
    searched on a fine grid around it, and the line is fitted (least squares where the pairs
    span enough to measure a slope) to the pairs close to it. The line as it was where too
    few pair."""
    near = evidence.params.near_s
    # Every stream onset near the proposed line, not only the nearest: a game's sound often
    # has a second onset a tenth of a second after the first, and the nearest to a line that
    # far off would be the wrong one, consistently.
    c, s = evidence.all_pairs(line, first, last, _LOOSE_PAIR_S)
    if len(c) < 3:
        return line
    speeds = line.speed + _SPEED_SEARCH
    middle = (first + last) / 2  # offsets taken at the middle, where a speed step moves them least
    offsets = np.sort(s[None, :] - speeds[:, None] * (c[None, :] - middle), axis=1)  # [speeds, pairs]
    # Per speed, the densest 2 * near wide cluster of offsets; the speed whose cluster holds
    # most pairs, and of those the tightest.
    ends = np.array([np.searchsorted(row, row + 2 * near, side="right") for row in offsets])
    counts = ends - np.arange(offsets.shape[1])
    spread = np.take_along_axis(offsets, (ends - 1).clip(0, offsets.shape[1] - 1), 1) - offsets
    k = np.unravel_index(np.argmin(np.where(counts == counts.max(), spread, np.inf)), counts.shape)
    speed = float(speeds[k[0]])
    intercept = float(np.median(offsets[k[0], k[1]:ends[k]])) - speed * middle
    for _ in range(2):
        cc, ss = evidence.pairs(Line(speed, intercept), first, last, near)
        if len(cc) < 3:
            return line
        if len(cc) >= 6 and np.ptp(cc) >= 2.0:
            fitted, b = _least_squares(cc, ss)
            if abs(fitted - speed) <= 0.01:
                speed, intercept = float(fitted), float(b)
                continue
        intercept = float(np.median(ss - speed * cc))
    if not _SPEEDS_FOUND[0] <= speed <= _SPEEDS_FOUND[1]:
        return line
    return Line(speed, intercept)
