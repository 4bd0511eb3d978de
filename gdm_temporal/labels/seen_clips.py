"""Clips the picture found: each search's pieces held to their check, grown along their
line, told apart by the comparisons together, and where two meet, split where the picture
passes from one line to the other."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .align_params import AlignParams
from .picture_match import PictureCheck, rival_lines, rival_z
from .pieces import CROSSFADE_S, Piece, agree, one_per_clip


def checked(seen: Piece, check: PictureCheck, params: AlignParams) -> Piece:
    """A clip the picture's search found, held to the same test as a line the sound proposes:
    its steps must stand out from their background along it, and more than along any other
    line their top matches suggest (a look-alike scene of a game whose pictures repeat passes
    the search, not this)."""
    z = check.z_along(seen.start, seen.end, seen.stream_start, seen.speed)
    if z < params.confirm_z or z - check.rival_z(seen.start, seen.end, seen.stream_start, seen.speed) < params.picture_lead:
        return replace(seen, status="low confidence")
    return seen


def grown_apart(searches: list[list[Piece]], twice: list[Piece], checks: list[PictureCheck],
                 params: AlignParams) -> list[Piece]:
    """The picture searches' pieces (one list per search) as one list (`one_per_clip`, then the clips sure only
    `twice`), each sure one first grown over its neighbours' steps that still stand out along
    its line in some comparison (`grown`: Ms. Pac-Man's opening screen is still to the
    embedding, its ghosts flickering in the small pictures; a clip's start was 4.4 s late),
    and over the unsure pieces of its line it meets (a fragment of a clip becomes the clip);
    but not into a stretch some search is sure shows another line (a game whose pictures repeat
    opens the next clip on a scene that looks like the one this clip's line goes on to: Ms.
    Pac-Man's new life, and growth carried the line 2.5 s into it), nor one where a search found
    another line, unsure of it, that the `checks` together see above its own by `confirm_z` at
    a typical step (Space Invaders' invaders look alike in any game: the small pictures carried
    a line over the whole next clip, 6.3 s, which the others placed)."""
    sure = [p for found in searches for p in found if p.status == "match"] + twice
    unsure = [p for found in searches for p in found if p.status == "low confidence"]
    seen: list[Piece] = []
    for found in searches:
        held = []
        for p in found:
            if p.status == "match":
                others = [q for q in sure if not agree(p, q)] + [
                    q for q in unsure if not agree(p, q) and p.start - params.picture_reach_s < q.end
                    and q.start < p.end + params.picture_reach_s
                    and typical_lead(q, p, checks) >= params.confirm_z]
                lo = max([min(q.end, p.start) for q in others if q.start < p.start], default=0.0)
                hi = min([max(q.start, p.end) for q in others if q.end > p.end], default=np.inf)
                p = grown(p, checks, params, params.picture_reach_s, within=(lo, hi))
                p = carried_on(p, unsure, (lo, hi))
            held.append(p)
        seen = one_per_clip(seen, held)
    return one_per_clip(seen, twice)


def followed_better(a: Piece, b: Piece, checks: list[PictureCheck]) -> Piece:
    """Of two lines through one clip, the one the picture follows better over both stretches
    (mean z-scores summed over the comparisons): a clip played 4 % fast drifts 0.5 s off the
    speed-1 line the picture's searches found, and a march heard at the wrong speed drifts off
    its clip's picture alike."""
    lo, hi = min(a.start, b.start), max(a.end, b.end)
    along = [sum(c.z_along(lo, hi, p.stream_at(lo), p.speed) for c in checks) for p in (a, b)]
    return a if along[0] >= along[1] else b


def typical_lead(seen: Piece, line: Piece, checks: list[PictureCheck]) -> float:
    """How far `seen`'s line stands out above `line`'s at a typical step of `seen` (the median of
    the z-scores' differences summed over the comparisons): a crossfade's steps, where `line`
    may be the clip fading out, weigh no more than any other."""
    lead = np.nansum([c.z_steps(seen.start, seen.end, seen.stream_start, seen.speed)
                      - c.z_steps(seen.start, seen.end, line.stream_at(seen.start), line.speed) for c in checks], axis=0)
    return float(np.median(lead)) if len(lead) else 0.0


def picture_lead(seen: Piece, line: Piece, lo: float, hi: float, checks: list[PictureCheck]) -> tuple[float, float]:
    """(how far `seen`'s line stands out above `line`'s over `[lo, hi]`, z-scores summed over
    the comparisons; the most any one comparison sees `line` there)."""
    own = [c.z_along(lo, hi, line.stream_at(lo), line.speed) for c in checks]
    theirs = [c.z_along(lo, hi, seen.stream_at(lo), seen.speed) for c in checks]
    return sum(theirs) - sum(own), max(own)


def seen_twice(seen: Piece, checks: list[PictureCheck], params: AlignParams) -> Piece:
    """A clip the picture found but could not tell from its look-alikes in any one comparison,
    told apart by where it moves and what it shows together: the motion grid's and the small
    pictures' z-scores along its line, summed, reach what a sure match scores in each (`confirm_z`
    each) and lead those along every other line either's top matches vote for by `twice_lead`.
    Measured: on the benchmark's 28 Atari compilations, clips left unsure on their true line
    summed 1.8-4.6 and led by 0.3-13.6, false lines led by at most 0.7; a compilation of another
    Super Mario level had false lines leading by up to 1.5, summing at most 2.5."""
    z = sum(check.z_along(seen.start, seen.end, seen.stream_start, seen.speed) for check in checks)
    lead = z - rival_z(checks, seen.start, seen.end, seen.stream_start, seen.speed)
    if z >= len(checks) * params.confirm_z and lead >= params.twice_lead:  # (as far above background as a sure match in each)
        return replace(seen, status="match", confidence=1 - float(np.exp(-lead / params.confirm_z)))
    # (Told apart step by step only over a long stretch: neighbouring steps are alike, and over
    # 3.4 s a new game's opening screen from another Breakout recording stood steadily above.)
    steady = max(steadily_above(check, checks, seen, params) for check in checks) \
        if seen.end - seen.start >= params.steady_min_s else 0.0
    if steady >= params.steady_t:
        return replace(seen, status="match", confidence=1 - float(np.exp(-steady / params.steady_t)))
    return seen


def steadily_above(check: PictureCheck, checks: list[PictureCheck], seen: Piece, params: AlignParams) -> float:
    """How steadily `check` sees the line of `seen` above each other line the `checks`' top
    matches vote for: the least of their `steady_t`s (0 where the line is no match in it,
    below `confirm_z`, or no other line is voted for). A game that replays a scene shows it
    again with small differences (Space Invaders' cannon and shots under the same march): a
    lead of 0.15 in the mean z-score, too small to tell a look-alike by, is a lead at 90 % of
    the steps."""
    own = check.z_steps(seen.start, seen.end, seen.stream_start, seen.speed)
    if not np.isfinite(own).any() or np.nanmean(own) < params.confirm_z:
        return 0.0
    rivals = rival_lines(checks, seen.start, seen.end, seen.stream_start)
    return min((paired_t(own - check.z_steps(seen.start, seen.end, other, seen.speed)) for other in rivals),
               default=0.0)


def steady_t(check: PictureCheck, line: Piece, other: Piece, lo: float, hi: float) -> float:
    """`paired_t` of `check`'s z-scores along `line` minus along `other`, step by step over
    `[lo, hi]`."""
    return paired_t(check.z_steps(lo, hi, line.stream_at(lo), line.speed)
                    - check.z_steps(lo, hi, other.stream_at(lo), other.speed))


def paired_t(differences: np.ndarray) -> float:
    """The paired t-statistic of step-by-step differences (the mean over its standard error; the
    steps without a value left out): large where one line is above the other at nearly every
    step, however small the difference; 0 over fewer than 3 steps."""
    d = differences[np.isfinite(differences)]
    if len(d) < 3:
        return 0.0
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(len(d)) + 1e-9))


def long_overlaps_split(seen: list[Piece], checks: list[PictureCheck]) -> list[Piece]:
    """Two clips the picture is sure of, one after the other, overlapping by more than a
    crossfade (`fuse` would give the whole overlap to the surer), end and start within the
    overlap where the picture passes from one line to the other: each search found its clip
    into the other's crossfade, and the weaker one was sure only in the comparisons together
    (Space Invaders' combined edits: the cut 0.8 s late)."""
    out = sorted(seen, key=lambda p: p.start)
    matches = [k for k, p in enumerate(out) if p.status == "match"]
    for k, j in zip(matches, matches[1:]):
        a, b = out[k], out[j]
        if a.end - b.start > CROSSFADE_S and a.start < b.start and a.end < b.end and not agree(a, b):
            out[k], out[j] = split_by_picture(a, b, b.start, a.end, checks)
    return out


def split_by_picture(a: Piece, b: Piece, lo: float, hi: float, checks: list[PictureCheck]) -> tuple[Piece, Piece]:
    """`a` ending and `b` starting at the step of `[lo, hi]` (within both) that best splits it
    into steps whose picture is closer to `a`'s line and steps closer to `b`'s (z-scores summed
    over the comparisons, each with its own stillness: a letterboxed maze still to the
    embedding moves in the small pictures); as they were where no split has the picture's
    support."""
    fps = checks[0].stream.fps
    lo, hi = max(lo, a.start), min(hi, b.end)
    if hi - lo < 2 / fps:
        return a, b
    closer = sum(np.nan_to_num(c.z_steps(lo, hi, a.stream_at(lo), a.speed, standing=True)
                               - c.z_steps(lo, hi, b.stream_at(lo), b.speed, standing=True)) for c in checks)
    # Split before step j: `a`'s lead summed before it, `b`'s after it.
    before = np.r_[0.0, np.cumsum(closer)]
    split = before - (before[-1] - before)
    best = np.flatnonzero(split == split.max())
    j = int(best[len(best) // 2])  # (steps neither line explains, still ones, split in the middle)
    if split[j] <= 0:
        return a, b
    edge = lo + j / fps
    return a.spanning(a.start, edge), b.spanning(edge, b.end)


def carried_on(piece: Piece, unsure: list[Piece], within: tuple[float, float]) -> Piece:
    """`piece` over the unsure pieces some search found on its line that overlap or touch it
    (not past `within`): where a clip goes on to a scene that looks like other moments of the
    stream (a new game of Space Invaders), its line still explains the pictures, only not
    better than the look-alikes; the clip on screen before them is the witness that it goes on."""
    start, end = piece.start, piece.end
    grew = True
    while grew:
        touching = [q for q in unsure if q.start <= end and start <= q.end and agree(piece, q)]
        wider = (min(start, max(min([start] + [q.start for q in touching]), within[0])),
                 max(end, min(max([end] + [q.end for q in touching]), within[1])))
        grew = wider != (start, end)
        start, end = wider
    return piece.spanning(start, end) if (start, end) != (piece.start, piece.end) else piece


def grown(piece: Piece, checks: list[PictureCheck], params: AlignParams, reach_s: float,
           fixed: tuple[bool, bool] = (False, False), within: tuple[float, float] = (0.0, np.inf),
           bridged: bool = False) -> Piece:
    """`piece` grown at either edge (but the `fixed` ones), up to `reach_s` and not past
    `within`, over steps whose picture z-score on its line (a 3-step mean) stays at least
    `grow_z` in one of `checks` (`steps_grown`: on past a lone step below it), each masking
    the steps where its own view stood still (`PictureCheck.standing`) but where the stream
    along the line stood still as well: the same pause in both (Breakout's wait for the serve
    ended a clip 2.4 s early, under music)."""
    fps = checks[0].stream.fps
    lo_s = max(0.0, piece.start - reach_s, min(within[0], piece.start))
    hi_s = min(piece.end + reach_s, max(within[1], piece.end))
    z = np.fmax.reduce([_grown_z(c.z_steps(lo_s, hi_s, piece.stream_at(lo_s), piece.speed, standing=True, paused=True),
                                 bridged) for c in checks], axis=0)  # (NaN where no comparison has a say: not grown over)
    first = int(round(lo_s * fps))
    before, after = z[: int(round(piece.start * fps)) - first][::-1], z[int(round(piece.end * fps)) - first:]
    steps = [0 if held or not len(side) else steps_grown(side >= params.grow_z, int(round(fps)))
             for held, side in zip(fixed, (before, after))]
    return piece.spanning(piece.start - steps[0] / fps, piece.end + steps[1] / fps)


def steps_grown(good: np.ndarray, resume: int) -> int:
    """Of the steps from an edge outwards, how many a clip grows over: those before the first
    not `good`, and on past a lone one where the `resume` steps after it all are. A change of
    scene lands a step apart in the two videos where the compilation's steps fall between the
    stream's (Ms. Pac-Man's opening screen: a clip stopped 4 s short at one such step)."""
    at = int(np.argmin(np.r_[good, False]))
    while at + 1 + resume <= len(good) and good[at + 1:at + 1 + resume].all():
        at += 1 + int(np.argmin(np.r_[good[at + 1:], False]))
    return at


def _grown_z(z: np.ndarray, bridged: bool) -> np.ndarray:
    """3-step means of `z` where a still step (NaN) counts as far below any line; `bridged`, as
    having no say (`smoothed`): one alone between steps that stand out is grown over, three
    together (a card, a paused screen) are not."""
    return smoothed(z) if bridged else np.convolve(np.nan_to_num(z, nan=-9.0), np.ones(3) / 3, mode="same")


def smoothed(z: np.ndarray) -> np.ndarray:
    """3-step means of the steps that have a value; NaN where none of the three has."""
    valid = np.isfinite(z).astype(float)
    total = np.convolve(np.nan_to_num(z, nan=0.0), np.ones(3), mode="same")
    count = np.convolve(valid, np.ones(3), mode="same")
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
