"""What alignment reports: pieces of the compilation and where each came from; and how the
pieces found by sound and by picture become one answer.

Pure logic over pieces, so the rules (agreement confirms, a conflict goes to the stronger
evidence, nothing is invented) are tested without media.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Callable

from ..timeline.intervals import Interval, merged

AGREE_S = 0.6  # two lines this close at the overlap are one clip
CROSSFADE_S = 1.0  # overlaps up to this long are crossfades, not conflicts
MIN_PIECE_S = 1.0  # unclaimed stretches shorter than this join no report line
FRAGMENT_GAP_S = 6.0  # two pieces found on one line at most this far apart, nothing found between, are one clip


@dataclass(frozen=True)
class Piece:
    """One stretch of the compilation and where it came from (or that it came from nowhere)."""

    start: float  # compilation seconds
    end: float
    stream_start: float | None = None
    stream_end: float | None = None
    similarity: float | None = None  # mean cosine along the match (centred embeddings), picture only
    confidence: float | None = None  # 0..1
    status: str = "no match"  # "match", "low confidence" or "no match"
    evidence: str | None = None  # "sound and picture", "sound" or "picture"
    speed: float | None = None  # stream seconds per compilation second

    @property
    def found(self) -> bool:
        return self.status != "no match"

    def stream_at(self, t: float) -> float:
        return self.stream_start + self.speed * (t - self.start)

    def spanning(self, start: float, end: float) -> "Piece":
        """The same line over `[start, end]` of the compilation."""
        return replace(self, start=start, end=end, stream_start=self.stream_at(start), stream_end=self.stream_at(end))

    def to_json(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def agree(a: Piece, b: Piece) -> bool:
    """Two pieces on one line (within `AGREE_S` where the later starts)."""
    t = max(a.start, b.start)
    # (Lines on the steps' grid exactly `AGREE_S` apart were one clip or two by rounding: Space
    # Invaders' march looks alike 3 steps on, and a clip stopped 2.7 s short of its end.)
    return abs(a.stream_at(t) - b.stream_at(t)) <= AGREE_S + 1e-6


def _strength(p: Piece) -> tuple[int, float]:
    return (p.status == "match", p.confidence or 0.0)


def _union(p: Piece, q: Piece, line: Piece | None = None) -> Piece:
    """One clip found twice: both stretches (either may hold only a fragment of the clip: a
    quiet stretch, a look-alike stretch), on `line`, by default the surer one's, with its status."""
    line = line or (p if _strength(p) >= _strength(q) else q)
    return line.spanning(min(p.start, q.start), max(p.end, q.end))


def _same_clip(p: Piece, q: Piece) -> Piece:
    """One clip found by two searches of one modality: a match keeps its own edges over an
    unsure piece's (a search that could not tell the clip from its look-alikes is no better at
    telling where it ends: grown into the next clip, it would carry the line there); found
    alike by both, their union."""
    if (p.status == "match") != (q.status == "match"):
        return p if p.status == "match" else q
    return _union(p, q)


def _confirmed(picture: Piece, sound: Piece, line_of: Callable[[Piece, Piece], Piece] | None) -> Piece:
    """One clip seen and heard: their union, on the line `line_of` picks of the two (by default
    the surer one's)."""
    confidence = 1 - (1 - (picture.confidence or 0)) * (1 - (sound.confidence or 0))
    # Two independent witnesses on one line: a match even where each alone was unsure.
    return replace(_union(picture, sound, line_of(picture, sound) if line_of else None), similarity=picture.similarity,
                   confidence=confidence, status="match", evidence="sound and picture")


def one_per_clip(first: list[Piece], second: list[Piece]) -> list[Piece]:
    """The found pieces of two searches of one modality as one list: a piece of `second` that
    overlaps one of `first` on the same line is the same clip (their union, on the surer one's
    line, with its status); the others are added."""
    result = [p for p in first if p.found]
    for q in (q for q in second if q.found):
        same = [k for k, p in enumerate(result) if p.start < q.end and q.start < p.end and agree(p, q)]
        if not same:
            result.append(q)
            continue
        for k in same:
            q = _same_clip(result[k], q)
        result = [p for k, p in enumerate(result) if k not in same] + [q]
    result.sort(key=lambda p: p.start)
    # Fragments: where a clip's middle looks like many moments of the game, a search finds its
    # two ends on one line with nothing sure found between them; they are one clip.
    joined: list[Piece] = []
    for q in result:
        into = None
        for k in range(len(joined) - 1, -1, -1):
            p = joined[k]
            if q.start - p.end > FRAGMENT_GAP_S:
                break
            if agree(p, q):
                into = k
                break
            if p.status == "match":  # a sure clip of another line between them
                break
        if into is None:
            joined.append(q)
        else:
            joined[into] = _union(joined[into], q)
    return joined


def fuse(seen: list[Piece], heard: list[Piece], duration: float,
         line_of: Callable[[Piece, Piece], Piece] | None = None) -> list[Piece]:
    """Pieces covering `[0, duration]` from both modalities' found pieces; a clip seen and heard
    takes the line `line_of` picks of the two (the picture's searches assume speed 1, the sound
    measures it, and a regular rhythm may fool it)."""
    seen = [p for p in seen if p.found]
    heard = [p for p in heard if p.found]
    used_sound: set[int] = set()
    result: list[Piece] = []
    for p in seen:
        partners = [k for k, s in enumerate(heard) if s.start < p.end and p.start < s.end and agree(p, s)]
        if partners:
            used_sound.update(partners)
            for k in partners:
                p = _confirmed(p, heard[k], line_of)
        result.append(p)
    result += [s for k, s in enumerate(heard) if k not in used_sound]
    # Conflicts: where two pieces on different lines claim one stretch, the stronger keeps it.
    result.sort(key=_strength, reverse=True)
    kept: list[Piece] = []
    for p in result:
        start, end = p.start, p.end
        for q in kept:
            # Two clips overlap by a crossfade (both on screen): that is no conflict.
            if min(q.end, end) - max(q.start, start) > CROSSFADE_S:
                if start < q.start and q.end < end:  # the stronger one sits inside: keep the longer side
                    start, end = (start, q.start) if q.start - start >= end - q.end else (q.end, end)
                elif q.start <= start:
                    start = max(start, q.end)
                if q.end >= end:
                    end = min(end, q.start)
        if end - start >= MIN_PIECE_S:
            kept.append(p.spanning(start, end) if (start, end) != (p.start, p.end) else p)
    kept.sort(key=lambda p: p.start)
    out, cursor = [], 0.0
    for p in kept:
        if p.start - cursor >= MIN_PIECE_S:
            out.append(Piece(cursor, p.start))
        out.append(p)
        cursor = max(cursor, p.end)
    if duration - cursor >= MIN_PIECE_S:
        out.append(Piece(cursor, duration))
    return out


def labels_from(pieces: list[Piece]) -> list[Interval]:
    """Stream intervals of the confident matches (low-confidence ones are left to the user)."""
    return merged([Interval(p.stream_start, p.stream_end) for p in pieces if p.status == "match"])
