"""Votes of the compilation's sound for where (and at what speed) each part of it came from.

Every triple of compilation onsets that the stream also holds votes for one stream offset,
`stream time = offset + speed x compilation time`, once per speed on a small grid (the
compilation's onset times are scaled back before hashing). The votes of the onsets inside a
stretch of the compilation, binned at 0.1 s, show where that stretch came from: one clear peak
for a clip, nothing for a title card, music or a clip from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio_print import FRAME_S, Onsets, PrintIndex, triples
from .pieces import Piece
from .shots import CUT_SCORE

SPEEDS = tuple(round(1.0 + k / 100, 2) for k in range(-6, 7))  # 0.94 ... 1.06
BIN_S = 0.1


@dataclass(frozen=True)
class SoundVote:
    speed: float
    stream_at_s: float  # the stream time of the stretch's start: stream = this + speed x (t - start)
    votes: float  # weighted: a triple the stream holds k times counts 1/k


class SoundVotes:
    """All matches of a compilation's triples in a stream, per speed."""

    def __init__(self, stream: PrintIndex, compilation: Onsets) -> None:
        self._by_speed = {}
        for speed in SPEEDS:
            hashes, anchors, ends, ids = triples(compilation.scaled(speed), jitter=True)
            query, stream_frames, weight = stream.matches(hashes)
            self._by_speed[speed] = (anchors[query] / speed * FRAME_S, stream_frames * FRAME_S, weight, ids[query],
                                     ends[query] / speed * FRAME_S)

    def _histogram(self, speed: float, start_s: float, end_s: float) -> tuple[int, np.ndarray] | None:
        """(first bin, votes per 0.1 s bin of the stream time at `start_s`, smoothed over one bin
        either side); each triple counts once per bin, however many of its jittered hashes hit."""
        comp_s, stream_s, weight, ids, _ = self._by_speed[speed]
        inside = (comp_s >= start_s) & (comp_s < end_s)
        if not inside.any():
            return None
        key = np.round((stream_s[inside] - speed * (comp_s[inside] - start_s)) / BIN_S).astype(np.int64)
        _, first = np.unique(np.stack([ids[inside], key]), axis=1, return_index=True)
        key, w = key[first], weight[inside][first]
        base = int(key.min())
        hist = np.bincount(key - base, weights=w)
        return base, hist + np.r_[0.0, hist[:-1]] + np.r_[hist[1:], 0.0]

    def best(self, start_s: float, end_s: float, away_from_s: float | None = None) -> SoundVote | None:
        """The strongest (speed, stream time) of the onsets in `[start_s, end_s)` of the
        compilation; with `away_from_s`, the strongest more than 1 s from that stream time
        (the runner-up, to tell a clear match from a rhythm the game repeats)."""
        found = None
        for speed in self._by_speed:
            histogram = self._histogram(speed, start_s, end_s)
            if histogram is None:
                continue
            base, smooth = histogram
            if away_from_s is not None:
                centre = int(round(away_from_s / BIN_S)) - base
                smooth = smooth.copy()
                smooth[max(0, centre - 10):max(0, centre + 11)] = 0.0
            k = int(np.argmax(smooth))
            if found is None or smooth[k] > found.votes:
                found = SoundVote(speed, (k + base) * BIN_S, float(smooth[k]))
        return found

    def votes_at(self, start_s: float, end_s: float, speed: float, stream_at_s: float) -> float:
        """Votes for one line (the nearest speed on the grid) from the onsets in `[start_s, end_s)`."""
        grid = min(self._by_speed, key=lambda s: abs(s - speed))
        histogram = self._histogram(grid, start_s, end_s)
        if histogram is None:
            return 0.0
        base, smooth = histogram
        k = int(round(stream_at_s / BIN_S)) - base
        return float(smooth[k]) if 0 <= k < len(smooth) else 0.0

    def heard_spans(self, start_s: float, end_s: float, speed: float, stream_at_s: float) -> list[tuple[float, float]]:
        """Compilation time spans `(first onset, last onset)` of the triples in `[start_s, end_s)`
        that lie on one line: where the sound says this clip is playing."""
        grid = min(self._by_speed, key=lambda s: abs(s - speed))
        comp_s, stream_s, _, _, ends_s = self._by_speed[grid]
        inside = (comp_s >= start_s) & (comp_s < end_s)
        key = np.round((stream_s[inside] - grid * (comp_s[inside] - start_s)) / BIN_S).astype(np.int64)
        on_line = np.abs(key - int(round(stream_at_s / BIN_S))) <= 1
        return list(zip(comp_s[inside][on_line].tolist(), ends_s[inside][on_line].tolist()))


@dataclass(frozen=True)
class SoundParams:
    min_votes: float = 3.0  # weighted votes a clip needs at all (the picture may confirm it)...
    match_votes: float = 10.0  # ...and to be a match by sound alone, heard for...
    min_heard_s: float = 4.0  # ...at least this long, with...
    min_lead: float = 2.0  # ...this many times the votes of any other line over the same stretch
    max_gap_s: float = 3.0  # onsets on one line further apart than this are two clips
    grow_s: float = 1.5  # how far a clip's edge may grow past its last onset, to a picture cut


@dataclass(frozen=True)
class _Heard:
    votes: float
    speed: float
    intercept: float  # stream seconds = intercept + speed x compilation seconds
    first: float  # compilation seconds: first and last onset heard on the line
    last: float

    def stream_at(self, t: float) -> float:
        return self.intercept + self.speed * t


def _candidates(votes: SoundVotes, params: SoundParams) -> list[_Heard]:
    """Every line the whole compilation's onsets vote for, cut where its onsets pause: a clip's
    votes add up over its whole length, a rhythm that merely recurs (a game's serve, a menu
    jingle) only over the part that recurs."""
    found = []
    for speed, (comp_s, stream_s, weight, ids, ends_s) in votes._by_speed.items():
        if not len(comp_s):
            continue
        key = np.round((stream_s - speed * comp_s) / BIN_S).astype(np.int64)
        _, first = np.unique(np.stack([ids, key]), axis=1, return_index=True)
        comp_s, ends_s, weight, key = comp_s[first], ends_s[first], weight[first], key[first]
        base = int(key.min())
        hist = np.bincount(key - base, weights=weight)
        smooth = hist + np.r_[0.0, hist[:-1]] + np.r_[hist[1:], 0.0]
        left, right = np.r_[-1.0, smooth[:-1]], np.r_[smooth[1:], -1.0]
        by_key = np.argsort(key, kind="stable")
        sorted_key = key[by_key]
        for k in np.flatnonzero((smooth >= params.min_votes) & (smooth >= left) & (smooth > right)):
            lo, hi = np.searchsorted(sorted_key, [k + base - 1, k + base + 2])
            on = by_key[lo:hi]
            order = np.argsort(comp_s[on])
            t, e, w = comp_s[on][order], ends_s[on][order], weight[on][order]
            breaks = np.flatnonzero(np.diff(t) > params.max_gap_s) + 1
            for part in np.split(np.arange(len(t)), breaks):
                total = float(w[part].sum())
                if total >= params.min_votes:
                    found.append(_Heard(total, speed, (k + base) * BIN_S, float(t[part].min()), float(e[part].max())))
    return sorted(found, key=lambda h: -h.votes)


def sound_pieces(votes: SoundVotes, duration: float, cut_score: np.ndarray, fps: float,
                 params: SoundParams = SoundParams()) -> list[Piece]:
    """Clips the sound finds, strongest first, each claiming the stretch where it was heard;
    a clip whose stretch another line explains nearly as well is only "low confidence"."""
    candidates = _candidates(votes, params)
    first = np.array([c.first for c in candidates])
    last = np.array([c.last for c in candidates])
    weight = np.array([c.votes for c in candidates])
    speed = np.array([c.speed for c in candidates])
    intercept = np.array([c.intercept for c in candidates])
    chosen: list[tuple[_Heard, float]] = []
    for h in candidates:
        # Taken: most of its stretch is already another chosen clip's (clips overlap only by a
        # crossfade and the slack of where their first and last onsets fall).
        if any(min(c.last, h.last) - max(c.first, h.first) > 0.5 * (h.last - h.first) for c, _ in chosen):
            continue
        # Rivals: other lines heard over most of this one's stretch (a rhythm recurring inside a
        # longer clip does not make the clip doubtful; a whole stretch two ways does).
        at = np.maximum(first, h.first)
        over = (np.minimum(last, h.last) - at > 0.5 * (h.last - h.first)) \
            & (np.abs(intercept + speed * at - h.stream_at(at)) > 1.0)
        chosen.append((h, h.votes / max(float(weight[over].max()) if over.any() else 0.0, 1e-9)))
    spans = [(h.first, h.last, h, lead) for h, lead in chosen]
    pieces = []
    for lo, hi, h, lead in _placed(spans, cut_score, duration, fps, params.grow_s):
        # Sound alone must be strong: a deterministic game replays the same sounds exactly (every
        # serve of Atari Breakout, in any recording), so a short, modest echo is no proof.
        sure = h.votes >= params.match_votes and lead >= params.min_lead and h.last - h.first >= params.min_heard_s
        confidence = (1 - np.exp(-h.votes / params.match_votes)) * min(1.0, lead / (2 * params.min_lead))
        pieces.append(Piece(lo, hi, h.stream_at(lo), h.stream_at(hi), None, float(confidence),
                            "match" if sure else "low confidence", "sound", h.speed))
    return pieces


def _placed(spans: list, cut_score: np.ndarray, duration: float, fps: float, grow_s: float) -> list:
    """Clip edges from the onsets heard: overlapping clips (a crossfade) split in the middle of
    the overlap, a short gap between two at the picture's cut in it (else its middle), and an
    edge next to unmatched footage grown to a cut within reach (a clip's quiet start still
    belongs to it) or left where the sound was last heard."""
    spans = sorted(spans, key=lambda s: s[0])
    out = []
    for k, (lo, hi, heard, lead) in enumerate(spans):
        prev_hi = spans[k - 1][1] if k else None
        next_lo = spans[k + 1][0] if k + 1 < len(spans) else None
        if prev_hi is not None and lo < prev_hi:
            lo = (lo + prev_hi) / 2
        elif prev_hi is not None and lo - prev_hi <= 2 * grow_s:
            lo = _cut_between(cut_score, fps, prev_hi, lo, (prev_hi + lo) / 2)
        else:
            lo = _cut_between(cut_score, fps, max(0.0, lo - grow_s), lo, lo)
        if next_lo is not None and next_lo < hi:
            hi = (hi + next_lo) / 2
        elif next_lo is not None and next_lo - hi <= 2 * grow_s:
            hi = _cut_between(cut_score, fps, hi, next_lo, (hi + next_lo) / 2)
        else:
            hi = _cut_between(cut_score, fps, hi, min(duration, hi + grow_s), hi)
        if out and lo < out[-1][1]:
            lo = out[-1][1]
        if hi - lo > 0:
            out.append((lo, hi, heard, lead))
    return out


def _cut_between(cut_score: np.ndarray, fps: float, lo_s: float, hi_s: float, fallback: float) -> float:
    """The time of the strongest clear picture cut in `[lo_s, hi_s]`, else `fallback`."""
    a, b = max(0, int(np.floor(lo_s * fps))), max(0, int(np.ceil(hi_s * fps)) + 1)
    window = cut_score[a:b]
    if len(window) and window.max() >= CUT_SCORE:
        return (a + int(np.argmax(window))) / fps
    return fallback
