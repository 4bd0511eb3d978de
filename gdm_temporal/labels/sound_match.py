"""Where each part of a compilation came from, by its sound: hashes propose
(`sound_proposals.py`), onsets decide (`sound_evidence.py`), and this module takes the clips:
strongest first, each claiming its stretch while the others are measured again without it;
one whose stretch another line explains nearly as well is left "low confidence". Then each
clip's edges: at a picture change where two clips meet, at a clear cut (or its last sound)
next to anything else.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ..timeline.intervals import runs
from .audio_print import Onsets, PrintIndex
from .pieces import Piece
from .shots import CUT_SCORE
from .sound_evidence import Evidence, Line, SoundParams, best_run, free_best, refit
from .sound_proposals import nominated, replays

__all__ = ["Heard", "SoundParams", "heard_clips", "sound_pieces"]

_JOIN_GAP_S = 6.0  # two clips heard this close one after the other share an edge...
_JOIN_SLACK_S = 0.2  # ...at the picture's largest change between their sounds, give or take this
_RIVAL_MARGIN_S = 3.0  # a rival line may hold this much more of a clip either side
_REFIT_MARGIN_S = 3.0  # a proposed line is refitted on this much more than what proposed it


@dataclass(frozen=True)
class Heard:
    """A stretch of the compilation whose onsets lie on one line."""

    line: Line
    llr: float  # evidence for the line over the stretch, natural-log odds
    first: float  # compilation seconds: the first and last onset on the line
    last: float
    lead: float = 0.0  # llr minus the best other line's over the same stretch
    rival: Line | None = None  # that other line (None where no other line explains any of it)


def heard_clips(stream: PrintIndex, compilation: Onsets, params: SoundParams = SoundParams()) -> list[Heard]:
    """Clips the sound finds, strongest first, each with its evidence and its lead. A stretch
    heard for less than `min_heard_s` is no clip, even for the picture to confirm: a game with
    a fast regular rhythm (Ms. Pac-Man's) meets itself for a second at many offsets."""
    evidence = Evidence(stream.onsets, compilation, params)
    lines = nominated(stream, compilation, params)
    scored = []  # (line, times, scores)
    for line, lo, hi in lines:
        # Proposed on a coarse grid: put it on the onsets first, over a little more than the
        # stretches that nominated it (a few seconds more of onsets measure its speed better).
        line = refit(evidence, line, lo - _REFIT_MARGIN_S, hi + _REFIT_MARGIN_S)
        # A clip lies around the stretches that nominated its line; looking further costs time
        # and finds only chance.
        lo, hi = lo - params.reach_s, hi + params.reach_s
        times, scores = evidence.events(line, lo, hi)
        best, first, last = best_run(times, scores)
        if best < params.min_llr / 2:
            continue
        for _ in range(2):  # the grid's speed drifts off a long clip's onsets: fit it to them
            refitted = refit(evidence, line, first, last)
            if refitted == line:
                break
            t2, s2 = evidence.events(refitted, lo, hi)
            run = best_run(t2, s2)
            if run[0] < best:
                break
            line, times, scores, (best, first, last) = refitted, t2, s2, run
        scored.append((line, times, scores))
    queue = [(-best_run(t, s)[0], k) for k, (_, t, s) in enumerate(scored)]
    heapq.heapify(queue)
    claimed: list[tuple[float, float]] = []
    chosen: list[Heard] = []
    replayed: set[int] = set()  # lines whose passage's replays in the stream were looked for
    while queue:
        _, k = heapq.heappop(queue)
        line, times, scores = scored[k]
        llr, first, last = free_best(times, scores, claimed)
        if queue and llr < -queue[0][0] - 1e-9:  # worse than when queued: measure again later
            heapq.heappush(queue, (-llr, k))
            continue
        if llr < params.min_llr:
            break
        if last - first < params.min_heard_s:
            # No clip (see sound_pieces), and no claim on the stretch either: a line through a
            # regular rhythm scores for a second or two, and must not wall off a clip's line.
            continue
        lo, hi = first - _RIVAL_MARGIN_S, last + _RIVAL_MARGIN_S
        if k not in replayed:
            # A game replays a jingle, a serve or a march: the stream's other passages that sound
            # like the one this line found may hold the clip's true source, though no stretch of
            # the compilation proposed it. They join the queue; if one explains the stretch
            # better, it is taken first.
            replayed.add(k)
            better = False
            for other in replays(stream, line, first, last, params):
                other = refit(evidence, other, lo, hi)
                t, sc = evidence.events(other, first - params.reach_s, last + params.reach_s)
                replayed.add(len(scored))
                scored.append((other, t, sc))
                value = free_best(t, sc, claimed)[0]
                heapq.heappush(queue, (-value, len(scored) - 1))
                better |= value > llr
            if better:
                heapq.heappush(queue, (-llr, k))
                continue
        # The rival: the best other line over the stretch, or over most of it and a little
        # around it (a replayed jingle or serve has two lines through it, and the true one may
        # hold a second more of the clip than the stretch).
        rival, rival_line, mid = 0.0, None, (first + last) / 2
        for other, t, s in scored:
            if len(t) and t[0] <= hi and t[-1] >= lo and abs(other.stream_at(mid) - line.stream_at(mid)) > 1.0:
                value = best_run(t, s, first, last)[0]
                total, a, b = best_run(t, s, lo, hi)
                if min(b, last) - max(a, first) >= 0.5 * (last - first):  # not a neighbouring clip
                    value = max(value, total)
                if value > rival:
                    rival, rival_line = value, other
        chosen.append(Heard(line, llr, first, last, llr - rival, rival_line))
        claimed.append((first, last))
    return chosen


def sound_pieces(stream: PrintIndex, compilation: Onsets, duration: float, cut_score: np.ndarray, fps: float,
                 params: SoundParams = SoundParams()) -> list[tuple[Piece, Heard]]:
    """The clips the sound finds as pieces of the compilation (sure ones "match", the rest "low
    confidence"), each with what the sound heard of it (its line's rival: for the picture to
    judge between them)."""
    spans = [(h.first, h.last, h) for h in heard_clips(stream, compilation, params)]
    pieces = []
    for lo, hi, h in _placed(spans, cut_score, duration, fps, params.grow_s):
        # Sound alone must be strong: a deterministic game replays the same sounds exactly (every
        # serve of Atari Breakout, in any recording), so a short, modest echo is no proof.
        sure = h.llr >= params.match_llr and h.lead >= params.min_lead_llr
        confidence = (1 - np.exp(-h.llr / params.match_llr)) * min(1.0, max(h.lead, 0.0) / (2 * params.min_lead_llr))
        pieces.append((Piece(lo, hi, h.line.stream_at(lo), h.line.stream_at(hi), None, float(confidence),
                             "match" if sure else "low confidence", "sound", h.line.speed), h))
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
    """A picture cut in `[lo_s, hi_s]`. With a `fallback` (an edge next to unmatched footage,
    which may hold no cut at all) the clear cut nearest to the fallback, else the fallback;
    without one (the gap between the last sound of one clip and the first of the next, which
    must hold their join), the largest change there: a cut between two moments of a game whose
    picture barely changes may jump less than a clear cut, but more than the motion around it."""
    a, b = max(0, int(np.floor(lo_s * fps))), max(0, int(np.ceil(hi_s * fps)) + 1)
    window = cut_score[a:b]
    if fallback is not None:
        clear = runs(window >= CUT_SCORE, 0, 1)
        if not clear:
            return fallback
        start, end = min(clear, key=lambda r: min(abs((a + r[0]) / fps - fallback), abs((a + r[1] - 1) / fps - fallback)))
        return (a + start + int(np.argmax(window[start:end]))) / fps
    if not len(window) or window.max() <= 2 * np.median(window) + 1e-3:  # no change stands out: the middle
        return (lo_s + hi_s) / 2
    return (a + int(np.argmax(window))) / fps
