"""Where each part of a compilation came from, by its sound: hashes propose, onsets decide.

1. Proposals. Every constellation of compilation onsets that the stream also holds votes for
   a line `stream time = intercept + speed x compilation time`, once per speed on a coarse grid
   (the compilation's onset times are scaled back before hashing). Each 3 s stretch of the
   compilation nominates the lines its own onsets vote for most: a clip's line leads where the
   clip plays, even where a rhythm the game repeats gathers more votes over the whole video.
   The compilation's constellations reach further ahead than the stream's (three of the next
   six onsets of a band, against four), so onsets that music or a voice inserts between the
   game's do not break them.
2. Decisions. A proposed line is first put on the onsets it pairs (a fine search of speed and
   offset, then least squares). Along it, each compilation sound meets a stream onset of a
   band it has on the same 10 ms frame, a frame or two off, a little further, or not at all.
   On a clip's true line most meet exactly (a copy keeps its timing; mixing moves a few onsets
   by a frame); on any other line, exact meetings are as rare as the local onset rate makes
   them. Each sound adds the log-likelihood ratio of the two, each stream sound the line
   passes without a partner adds its own, and the clip is the stretch where the sum is
   largest (a maximum-sum run): evidence in natural-log odds, in the same units for any game.
   Silence adds nothing either way.
3. Clips are taken strongest first; each claims its stretch, the others are measured again
   without it, and one whose stretch another line explains nearly as well is left "low
   confidence".
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from .audio_print import FRAME_S, MAX_SPAN_FRAMES, N_BANDS, Onsets, PrintIndex, constellations
from .pieces import Piece
from .shots import CUT_SCORE

SPEEDS = tuple(round(1.0 + k / 50, 2) for k in range(-3, 4))  # 0.94 ... 1.06; the refit measures finer
BIN_S = 0.1  # lines are proposed on a 0.1 s grid of intercepts
QUERY_FAN_OUT = 6  # the compilation's constellations: three of the next six onsets of a band
MAX_SPAN_S = MAX_SPAN_FRAMES * FRAME_S
_CHUNK_S = 120.0  # the compilation is proposed for this much at a time
_LOOSE_PAIR_S = 0.15  # a proposed line's pairs are sought this far off it...
_SPEED_SEARCH = np.arange(-0.02, 0.0201, 0.0025)  # ...and its speed this far around it
_RATE_SPAN_S = 5.0  # the local onset rate: onsets within this either side
_EDGE_LLR = 2.0  # a run's edges that add less evidence than this are left out
_JOIN_GAP_S = 6.0  # two clips heard this close one after the other share an edge...
_JOIN_SLACK_S = 0.2  # ...at the picture's largest change between their sounds, give or take this


@dataclass(frozen=True)
class SoundParams:
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
    # same game (a deterministic replay, tests/.../test_align_edits.py) 19, with a lead of 7.
    min_llr: float = 10.0  # evidence (log odds) a clip needs at all (the picture may confirm it)...
    match_llr: float = 15.0  # ...and to be a match by sound alone, heard for...
    min_heard_s: float = 3.0  # ...at least this long, with...
    min_lead_llr: float = 8.0  # ...this much more evidence than any other line over the same stretch
    grow_s: float = 1.5  # how far a clip's edge may grow past its last onset, to a picture cut


@dataclass(frozen=True)
class Line:
    speed: float
    intercept: float  # stream seconds = intercept + speed x compilation seconds

    def stream_at(self, t: float) -> float:
        return self.intercept + self.speed * t


@dataclass(frozen=True)
class Heard:
    """A stretch of the compilation whose onsets lie on one line."""

    line: Line
    llr: float  # evidence for the line over the stretch, natural-log odds
    first: float  # compilation seconds: the first and last onset on the line
    last: float
    lead: float = 0.0  # llr minus the best other line's over the same stretch


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


class _Track:
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

    def matched(self, at: np.ndarray, first: int, last: int, other: "_Track") -> tuple[np.ndarray, ...]:
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


class _Evidence:
    """The onsets of both videos; scores any line."""

    def __init__(self, stream: Onsets, compilation: Onsets, params: SoundParams) -> None:
        self.stream, self.comp = _Track(stream), _Track(compilation)
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
            ss.append(stream[np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)])
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


def _best_run(times: np.ndarray, scores: np.ndarray, lo: float = -np.inf, hi: float = np.inf
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


def _free_best(times: np.ndarray, scores: np.ndarray, claimed: list[tuple[float, float]]
               ) -> tuple[float, float, float]:
    """The maximum-sum run that crosses no claimed stretch."""
    bounds = [-np.inf]
    for lo, hi in sorted(claimed):
        bounds += [lo, hi]
    bounds.append(np.inf)
    best = (0.0, 0.0, 0.0)
    for lo, hi in zip(bounds[::2], bounds[1::2]):
        run = _best_run(times, scores, lo + 1e-9 if np.isfinite(lo) else lo, hi - 1e-9 if np.isfinite(hi) else hi)
        if run[0] > best[0]:
            best = run
    return best


def _top_per_window(window: np.ndarray, votes: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` largest `votes` of each window."""
    order = np.lexsort((-votes, window))
    rank = np.arange(len(order)) - np.searchsorted(window[order], window[order])
    return order[rank < n]


def _window_votes(compilation: Onsets, stream: PrintIndex, speed: float, lo_s: float, hi_s: float,
                  params: SoundParams) -> tuple[np.ndarray, ...]:
    """(window, votes, intercept) of the lines each window starting in [lo_s, hi_s) votes for
    most, at one speed. Windows are `window_s` long, every half window."""
    step = params.window_s / 2
    inside = (compilation.frames * FRAME_S >= lo_s - step) & (compilation.frames * FRAME_S < hi_s + params.window_s
                                                              + MAX_SPAN_S)
    part = Onsets(compilation.frames[inside], compilation.bands[inside], compilation.seconds)
    hashes, anchors, ids = constellations(part.scaled(speed), jitter=True, fan_out=QUERY_FAN_OUT)
    query, stream_frames, weight = stream.matches(hashes)
    comp_s = anchors[query] / speed * FRAME_S
    window = np.floor(comp_s / step).astype(np.int64)  # the later of the two windows holding it
    keep = (window * step >= lo_s - step) & (window * step < hi_s + step)
    if not keep.any():
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    comp_s, stream_frames, weight, ids, window = comp_s[keep], stream_frames[keep], weight[keep], ids[query][keep], \
        window[keep]
    key = np.round((stream_frames * FRAME_S - speed * comp_s) / BIN_S).astype(np.int64)
    base = int(key.min()) - 1
    key -= base
    span = int(key.max()) + 2
    # One vote per constellation per line, however many of its jittered hashes hit.
    _, first = np.unique(ids * span + key, return_index=True)
    key, weight, window = key[first], weight[first], window[first]
    cells, votes = [], []
    for earlier in (0, 1):  # each vote counts in the window starting at its half-window and the one before
        cell, inverse = np.unique((window - earlier) * span + key, return_inverse=True)
        own = np.bincount(inverse.ravel(), weights=weight)
        total = own.copy()
        for d in (-1, 1):  # a line's votes spill into the next bin: count each with its neighbours
            k = np.searchsorted(cell, cell + d).clip(0, len(cell) - 1)
            total += np.where(cell[k] == cell + d, own[k], 0.0)
        cells.append(cell)
        votes.append(total)
    cells, inverse = np.unique(np.concatenate(cells), return_inverse=True)
    votes = np.bincount(inverse.ravel(), weights=np.concatenate(votes))
    window, intercept = cells // span, (cells % span + base) * BIN_S
    mine = (window * step >= lo_s) & (window * step < hi_s)
    top = _top_per_window(window[mine], votes[mine], params.per_window)
    return window[mine][top], votes[mine][top], intercept[mine][top]


def nominated(stream: PrintIndex, compilation: Onsets, params: SoundParams = SoundParams()
              ) -> list[tuple[Line, float, float]]:
    """(line, first and last compilation second of the stretches that nominated it) of every
    proposed line. The compilation is taken a few minutes at a time, so the votes of a long
    one never all sit in memory."""
    lines: dict[Line, tuple[float, float]] = {}
    step = params.window_s / 2
    for lo_s in np.arange(0.0, max(compilation.seconds, step), _CHUNK_S):
        found = [(w, v, b, np.full(len(w), speed)) for speed in SPEEDS
                 for w, v, b in [_window_votes(compilation, stream, speed, lo_s, lo_s + _CHUNK_S, params)]]
        window, votes, intercept, speeds = (np.concatenate(x) for x in zip(*found))
        top = _top_per_window(window, votes, params.per_window)
        for w, b, v in zip(window[top].tolist(), intercept[top].tolist(), speeds[top].tolist()):
            line, at = Line(v, round(b, 3)), w * step
            first, last = lines.get(line, (at, at))
            lines[line] = (min(first, at), max(last, at + params.window_s))
    return [(line, lo, hi) for line, (lo, hi) in lines.items()]


def _refit(evidence: _Evidence, line: Line, first: float, last: float) -> Line:
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
    k = np.unravel_index(np.lexsort((spread.ravel(), -counts.ravel()))[0], counts.shape)
    speed = float(speeds[k[0]])
    intercept = float(np.median(offsets[k[0], k[1]:ends[k]])) - speed * middle
    for _ in range(2):
        cc, ss = evidence.pairs(Line(speed, intercept), first, last, near)
        if len(cc) < 3:
            return line
        if len(cc) >= 6 and np.ptp(cc) >= 2.0:
            fitted, b = np.polyfit(cc, ss, 1)
            if abs(fitted - speed) <= 0.01:
                speed, intercept = float(fitted), float(b)
                continue
        intercept = float(np.median(ss - speed * cc))
    return Line(speed, intercept)


def heard_clips(stream: PrintIndex, compilation: Onsets, params: SoundParams = SoundParams()) -> list[Heard]:
    """Clips the sound finds, strongest first, each with its evidence and its lead."""
    evidence = _Evidence(stream.onsets, compilation, params)
    lines = nominated(stream, compilation, params)
    scored = []  # (line, times, scores)
    for line, lo, hi in lines:
        # A clip lies around the stretches that nominated its line; looking further costs time
        # and finds only chance.
        line = _refit(evidence, line, lo, hi)  # proposed on a 0.1 s grid: put it on the onsets first
        lo, hi = lo - params.reach_s, hi + params.reach_s
        times, scores = evidence.events(line, lo, hi)
        best, first, last = _best_run(times, scores)
        if best < params.min_llr / 2:
            continue
        for _ in range(2):  # the grid's speed drifts off a long clip's onsets: fit it to them
            refitted = _refit(evidence, line, first, last)
            if refitted == line:
                break
            t2, s2 = evidence.events(refitted, lo, hi)
            run = _best_run(t2, s2)
            if run[0] < best:
                break
            line, times, scores, (best, first, last) = refitted, t2, s2, run
        scored.append((line, times, scores))
    queue = [(-_best_run(t, s)[0], k) for k, (_, t, s) in enumerate(scored)]
    heapq.heapify(queue)
    claimed: list[tuple[float, float]] = []
    chosen: list[Heard] = []
    while queue:
        _, k = heapq.heappop(queue)
        line, times, scores = scored[k]
        llr, first, last = _free_best(times, scores, claimed)
        if queue and llr < -queue[0][0] - 1e-9:  # worse than when queued: measure again later
            heapq.heappush(queue, (-llr, k))
            continue
        if llr < params.min_llr:
            break
        rival, mid = 0.0, (first + last) / 2
        for other, t, s in scored:
            if len(t) and t[0] <= last and t[-1] >= first and abs(other.stream_at(mid) - line.stream_at(mid)) > 1.0:
                rival = max(rival, _best_run(t, s, first, last)[0])
        chosen.append(Heard(line, llr, first, last, llr - rival))
        claimed.append((first, last))
    return chosen


def sound_pieces(stream: PrintIndex, compilation: Onsets, duration: float, cut_score: np.ndarray, fps: float,
                 params: SoundParams = SoundParams()) -> list[Piece]:
    """The clips the sound finds as pieces of the compilation: sure ones "match", the rest "low
    confidence"."""
    spans = [(h.first, h.last, h) for h in heard_clips(stream, compilation, params)]
    pieces = []
    for lo, hi, h in _placed(spans, cut_score, duration, fps, params.grow_s):
        # Sound alone must be strong: a deterministic game replays the same sounds exactly (every
        # serve of Atari Breakout, in any recording), so a short, modest echo is no proof.
        sure = h.llr >= params.match_llr and h.lead >= params.min_lead_llr and h.last - h.first >= params.min_heard_s
        confidence = (1 - np.exp(-h.llr / params.match_llr)) * min(1.0, max(h.lead, 0.0) / (2 * params.min_lead_llr))
        pieces.append(Piece(lo, hi, h.line.stream_at(lo), h.line.stream_at(hi), None, float(confidence),
                            "match" if sure else "low confidence", "sound", h.line.speed))
    return pieces


def _placed(spans: list, cut_score: np.ndarray, duration: float, fps: float, grow_s: float) -> list:
    """Clip edges from the onsets heard: two clips heard one after the other join at the
    picture's largest change near the gap or overlap between their sounds, and an edge next
    to unmatched footage grows to a clear cut within reach (a clip's quiet start still belongs
    to it) or stays where the sound was last heard."""
    spans = sorted(spans, key=lambda s: s[0])
    out = []
    for k, (lo, hi, heard) in enumerate(spans):
        prev_hi = spans[k - 1][1] if k else None
        next_lo = spans[k + 1][0] if k + 1 < len(spans) else None
        # Two clips heard one after the other (their sounds at most _JOIN_GAP_S apart: a quiet
        # stretch of a game) join where the picture changes most between the last sound of one
        # and the first of the next (or where they overlap: a crossfade), give or take a step.
        if prev_hi is not None and lo - prev_hi <= _JOIN_GAP_S:
            lo = _cut_between(cut_score, fps, min(lo, prev_hi) - _JOIN_SLACK_S, max(lo, prev_hi) + _JOIN_SLACK_S)
        else:
            lo = _cut_between(cut_score, fps, max(0.0, lo - grow_s), lo, lo)
        if next_lo is not None and next_lo - hi <= _JOIN_GAP_S:
            hi = _cut_between(cut_score, fps, min(hi, next_lo) - _JOIN_SLACK_S, max(hi, next_lo) + _JOIN_SLACK_S)
        else:
            hi = _cut_between(cut_score, fps, hi, min(duration, hi + grow_s), hi)
        if out and lo < out[-1][1]:
            lo = out[-1][1]
        if hi - lo > 0:
            out.append((lo, hi, heard))
    return out


def _cut_between(cut_score: np.ndarray, fps: float, lo_s: float, hi_s: float, fallback: float | None = None) -> float:
    """The time of the strongest picture change in `[lo_s, hi_s]`. With a `fallback` (an edge
    next to unmatched footage, which may hold no cut at all) only a clear cut counts, else the
    fallback; without one (the gap between the last sound of one clip and the first of the
    next, which must hold their join), the largest change there: a cut between two moments of
    a game whose picture barely changes may jump less than a clear cut, but more than the
    motion around it."""
    a, b = max(0, int(np.floor(lo_s * fps))), max(0, int(np.ceil(hi_s * fps)) + 1)
    window = cut_score[a:b]
    if not len(window):
        return fallback if fallback is not None else (lo_s + hi_s) / 2
    if fallback is not None and window.max() < CUT_SCORE:
        return fallback
    if window.max() <= 2 * np.median(window) + 1e-3:  # no change stands out: the middle of the gap
        return (lo_s + hi_s) / 2 if fallback is None else fallback
    return (a + int(np.argmax(window))) / fps
