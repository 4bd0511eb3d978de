"""Stretches no witness placed alone, placed by the two together: where the picture sees several
lines alike and the sound hears one of them clearly above every other.

A game whose pictures repeat shows the same scene in many places of the stream (Ms. Pac-Man's
opening screen at every new game, Space Invaders' march), so the picture's searches leave such
a clip unsure or unfound; its sound alone may be too weak to be sure (Space Invaders' onsets
land up to 40 ms off under re-encoding, where Breakout's land on the same 10 ms). But the
picture narrows the stream down to a few lines, and among those few the sound need not be sure
against the whole stream, only against them. And a match whose edge runs into such a stretch
ends where the picture passes to a line it sees there instead.
"""

from __future__ import annotations

import numpy as np

from .align_params import AlignParams
from .picture_match import PictureCheck
from .heard_clips import seen_instead
from .pieces import MIN_PIECE_S, Piece
from .seen_clips import carried_on, grown, split_by_picture
from .sound_evidence import Evidence, Line, best_run, refit
from .sound_proposals import SPEEDS

_MIN_STRETCH_S = 1.5  # an unplaced stretch shorter than this holds no clip to place
_CANDIDATES = 8  # the lines the picture's top matches vote for most, in the stretch
_SAME_CLIP_S = 1.0  # a line this close to the chosen one is the same clip, slightly off


def told_apart(pieces: list[Piece], checks: list[PictureCheck], evidence: Evidence, params: AlignParams
               ) -> list[Piece]:
    """`pieces` (covering the compilation) with each stretch that no match covers (and first,
    each unsure piece in one) given to the line that the picture sees about as well as any
    other there (its z-scores summed over the motion grid's and small pictures' comparisons at
    least `grow_z` each, and within `twice_lead` of the best line's) and the sound hears best,
    when the sound's evidence for it is what a match by sound alone needs (a run of
    `match_llr`) and leads that of every other line the picture proposed there by half the lead
    the sound alone needs (`min_lead_llr`), or is what any clip needs (`min_llr`) and leads by
    the whole. Measured on the benchmark's Atari compilations before these values were set:
    where the picture could not decide, true lines had runs of 10.8-30.6 leading by 6.9-24.9
    (10.8 by 10.8); lines the picture preferred that the clip did not come from reached runs of
    14.2 (leading by 1.6) and 10.4 (by 3.7). Where a picture search found the same line in the
    stretch, unsure of it, two witnesses agree, and what any clip needs leading by a quarter
    suffices: of the 17 stretches where they agreed on the benchmark's 70 compilations, before
    the value was set, the sound's line was false in two, leading by 0 and -1.3, and true in
    those it would place, 11.9 and 17.8 nats leading by 3.1 and 3.5."""
    if len(checks) < 2 or not pieces:
        return pieces
    fps = checks[0].stream.fps
    out, tried = list(pieces), set()
    while todo := [s for s in _stretches(out) if s[:2] not in tried]:
        lo, hi, room = todo[0]
        tried.add((lo, hi))
        lines = [Line(1.0, offset) for offset in _voted(checks, lo, hi)]
        seen = [sum(c.z_along(lo, hi, line.intercept + lo, 1.0) for c in checks[1:]) for line in lines]
        # Each line heard at the speed the sound hears it best (the picture's lines assume 1: a
        # clip played 4 % fast was heard at 16.6 nats so, at 6.8 on the picture's line).
        middle = (lo + hi) / 2
        heard = [max((_heard(evidence, Line(speed, line.stream_at(middle) - speed * middle), lo, hi)
                      for speed in SPEEDS), key=lambda h: h[1]) for line in lines]
        plausible = [k for k, z in enumerate(seen)
                     if z >= (len(checks) - 1) * params.grow_z and z >= max(seen) - params.twice_lead]
        if not plausible:
            continue
        k = max(plausible, key=lambda k: heard[k][1])
        line, llr, first, last = heard[k]
        others = [h[1] for j, h in enumerate(heard)
                  if abs(h[0].stream_at(lo) - line.stream_at(lo)) > _SAME_CLIP_S]
        lead = llr - max(others, default=0.0)
        sure = (llr >= params.sound.match_llr and lead >= params.sound.min_lead_llr / 2) or (
            llr >= params.sound.min_llr and lead >= params.sound.min_lead_llr) or (
            llr >= params.sound.min_llr and lead >= params.sound.min_lead_llr / 4
            and _searched_on(line, [p for p in out if p.status == "low confidence"], lo, hi))
        if not sure or last - first < 1 / fps:
            continue
        confidence = (1 - np.exp(-llr / params.sound.match_llr)) * min(1.0, lead / (2 * params.sound.min_lead_llr))
        piece = Piece(first, last, line.stream_at(first), line.stream_at(last), None, float(confidence), "match",
                      "sound and picture", line.speed)
        # Grown where the picture still stands out along its line, over a lone still step (a
        # march's pause: a clip grown from its first sound stopped 1.6 s short at one), and over
        # the unsure pieces a search found on it (the picture saw the line there, only not above
        # its look-alikes).
        piece = grown(piece, checks, params, params.picture_reach_s, within=room, bridged=True)
        out = _placed(out, carried_on(piece, [p for p in out if p.status == "low confidence"], room))
    return out


def _searched_on(line: Line, unsure: list[Piece], lo: float, hi: float) -> bool:
    """Whether a picture search found, unsure, a piece in `[lo, hi]` on `line`."""
    for p in unsure:
        middle = (max(lo, p.start) + min(hi, p.end)) / 2
        if p.start < hi and lo < p.end and "picture" in p.evidence and \
                abs(p.stream_at(middle) - line.stream_at(middle)) <= _SAME_CLIP_S:
            return True
    return False


def _heard(evidence: Evidence, line: Line, lo: float, hi: float) -> tuple[Line, float, float, float]:
    """(the line refitted to the onsets it pairs around `[lo, hi]`, its best run's evidence,
    first and last sound)."""
    line = refit(evidence, line, lo - 1.0, hi + 1.0)
    return (line, *best_run(*evidence.events(line, lo, hi)))


def _voted(checks: list[PictureCheck], lo: float, hi: float) -> list[float]:
    """The offsets (stream minus compilation seconds) of the `_CANDIDATES` lines the motion
    grids' and small pictures' top matches in `[lo, hi]` vote for most, most votes first."""
    votes, counts = np.unique(np.concatenate([c.votes(lo, hi) for c in checks[1:]]), return_counts=True)
    fps = checks[0].stream.fps
    return [float(o) / fps for o in votes[np.argsort(-counts, kind="stable")][:_CANDIDATES]]


def _stretches(pieces: list[Piece]) -> list[tuple[float, float, tuple[float, float]]]:
    """(start, end, the stretch around) of the stretches at least `_MIN_STRETCH_S` long that
    no match covers; first, where some are, of the unsure pieces in them (a stretch may hold
    several clips the picture found unsure, each on its own line)."""
    gaps, at = [], 0.0
    for p in sorted((p for p in pieces if p.status == "match"), key=lambda p: p.start) + [
            Piece(max(p.end for p in pieces), np.inf)]:
        if p.start - at >= _MIN_STRETCH_S:
            gaps.append((at, p.start))
        at = max(at, p.end)
    inside = [(max(lo, p.start), min(hi, p.end), (lo, hi)) for lo, hi in gaps for p in pieces
              if p.status == "low confidence"]
    return [s for s in inside if s[1] - s[0] >= _MIN_STRETCH_S and s[:2] != s[2]] + [(lo, hi, (lo, hi)) for lo, hi in gaps]


def _placed(pieces: list[Piece], new: Piece) -> list[Piece]:
    """`pieces` with `new` in place of what it covers of the unsure and unmatched ones."""
    out = [new]
    for p in pieces:
        if p.status == "match" or p.end <= new.start or new.end <= p.start:
            out.append(p)
            continue
        for start, end in ((p.start, min(p.end, new.start)), (max(p.start, new.end), p.end)):
            if end - start >= MIN_PIECE_S:
                out.append(p.spanning(start, end) if p.found else Piece(start, end))
    return sorted(out, key=lambda p: (p.start, p.end))


def edges_seen_elsewhere(pieces: list[Piece], checks: list[PictureCheck], params: AlignParams,
                         reach_s: float = 3.0) -> list[Piece]:
    """Each match whose end (or start) meets a stretch no match covers, ending (starting) where
    the picture passes to another line: one of the lines the motion grids' and small pictures'
    top matches vote for most over its last (first) `reach_s` and past it, that the picture
    sees instead of the match's over the match's steps beyond the split (`seen_instead`: no
    comparison sees the match's line there, and the other stands out above it by `confirm_z`
    summed over them). A look-alike game carries a line past its clip when nothing sure follows
    (Space Invaders, 9:16 crop: a clip started 3.9 s early, on the end of the clip before)."""
    if len(checks) < 2 or not pieces:
        return pieces
    fps = checks[0].stream.fps
    duration = min(max(p.end for p in pieces), len(checks[0].comp) / fps)
    matches = [p for p in pieces if p.status == "match"]
    moved = {}
    for m in matches:
        after = min([q.start for q in matches if q.start > m.start] + [duration])
        before = max([q.end for q in matches if q.end < m.end] + [0.0])
        new = m
        for at_end in (True, False):
            if (after - new.end if at_end else new.start - before) < _MIN_STRETCH_S:
                continue
            lo, hi = (max(new.start, new.end - reach_s), min(new.end + reach_s, after)) if at_end else (
                max(new.start - reach_s, before), min(new.end, new.start + reach_s))
            for offset in _voted(checks, lo, hi):
                other = Piece(lo, hi, lo + offset, hi + offset, None, 0.0, "low confidence", "picture", 1.0)
                if abs(other.stream_at(lo) - new.stream_at(lo)) <= _SAME_CLIP_S:
                    continue
                cut = split_by_picture(new, other, lo, new.end, checks)[0].end if at_end else \
                    split_by_picture(other, new, new.start, hi, checks)[1].start
                beyond = (cut, new.end) if at_end else (new.start, cut)
                if beyond[1] - beyond[0] >= _SAME_CLIP_S and (new.end - new.start) - (beyond[1] - beyond[0]) >= \
                        _MIN_STRETCH_S and seen_instead(other, new, *beyond, checks, params):
                    new = new.spanning(new.start, cut) if at_end else new.spanning(cut, new.end)
                    break
        moved[id(m)] = new
    return sorted((moved.get(id(p), p) for p in pieces), key=lambda p: (p.start, p.end))
