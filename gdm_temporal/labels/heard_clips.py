"""Clips the sound found, with the picture's say: confirmed, grown, moved to the sound's other
line, or their stretch handed to a neighbour whose line the picture follows there; and where two
meet, the join placed where the picture changes line."""

from __future__ import annotations

from dataclasses import replace
from itertools import product

import numpy as np

from .align_params import AlignParams
from .picture_match import PictureCheck
from .picture_motion import MotionCheck
from .pieces import CROSSFADE_S, MIN_PIECE_S, Piece, agree
from .seen_clips import grown, picture_lead, smoothed, split_by_picture, steady_t
from .sound_match import Heard


_GLIMPSE_S = 2.0  # a stretch the picture may tell two lines apart over, where the rest looks alike


def looked_at(heard: Piece, sound: Heard, checks: list[PictureCheck], rhythm: MotionCheck | None,
              params: AlignParams, joins: set[float], seen: list[Piece]) -> Piece:
    """A clip the sound found, with the picture's say on the same line: standing out from its
    background there (in either picture comparison), or moving in the stream's rhythm along it
    and not along the sound's rival line, makes it a match seen and heard, and where the
    picture still stands out past the first or last sound (a clip's quiet start or end) the
    clip grows to cover it; but not past an edge it shares with the next clip the sound found
    (`joins`: placed at the picture change between the two clips' sounds, where a look-alike
    game would let the picture's growth run into the neighbour)."""
    z, check = -np.inf, None
    for candidate in checks:
        value = candidate.z_along(heard.start, heard.end, heard.stream_start, heard.speed)
        # Standing out more than along the other lines its top matches suggest, too: in a game
        # whose every maze or arena looks alike, any line through the same scene stands out a little.
        if value >= params.confirm_z and value > z and value - candidate.rival_z(
                heard.start, heard.end, heard.stream_start, heard.speed) >= params.picture_lead:
            z, check = value, candidate
    moves = in_rhythm(sound, rhythm, params)
    elsewhere = _seen_elsewhere(heard, seen, checks, params) if check is None else 0.0
    if elsewhere > CROSSFADE_S:
        # A sound or a rhythm the game replays (Space Invaders' march, Ms. Pac-Man's passages):
        # where the picture is sure of another line and not this one over more than a
        # crossfade, the rhythm does not back this one (Ms. Pac-Man's opening screen flickers
        # alike at every game's start: a clip's last 4 s were placed, sure, on another game's),
        # and where that covers most of the stretch, the sound alone is unsure.
        moves = None
    if elsewhere >= (heard.end - heard.start) / 2:
        heard = replace(heard, status="low confidence") if heard.status == "match" else heard
    if check is None and moves is None:
        return rival_seen(heard, sound, checks, params)
    doubt = 1 - heard.confidence  # each witness that backs the line takes its share of the doubt away
    if check is not None:
        doubt *= float(np.exp(-z / params.confirm_z))
    if moves is not None:
        doubt *= 1 - moves
    wider = grown(heard, [check], params, params.heard_reach_s,
                   fixed=(round(heard.start, 6) in joins, round(heard.end, 6) in joins)) if check else heard
    return replace(wider, status="match", evidence="sound and picture", confidence=1 - doubt)


def _seen_elsewhere(heard: Piece, seen: list[Piece], checks: list[PictureCheck], params: AlignParams) -> float:
    """How much of the stretch (seconds) the longest clip covers that the picture is sure of, on
    another line, where some comparison sees it by at least `confirm_z` above background and
    above the heard line: over the steps where the embedding moves, or where the comparison's
    own view does (Ms. Pac-Man's opening screen is still to the embedding, and only the ghosts
    flickering in the small pictures told the true line from the sound's, which replayed the
    opening's tune and rhythm at another game's start); over all they share, or over
    `_GLIMPSE_S` of it (there, the opening screen that followed looked alike on both lines and
    hid the 2 s that told them apart)."""
    longest = 0.0
    for p in seen:
        lo, hi = max(p.start, heard.start), min(p.end, heard.end)
        if p.status != "match" or agree(p, heard) or hi - lo <= longest:
            continue
        glimpses = [] if _GLIMPSE_S <= longest else [
            (a, a + _GLIMPSE_S) for a in np.arange(lo, hi - _GLIMPSE_S + 1e-9, _GLIMPSE_S / 2)]
        for a, b in [(lo, hi)] + glimpses:
            if any(_sees_above(check, p, heard, a, b, standing, params)
                   for check, standing in product(checks, (False, True))):
                longest = b - a
                break
    return longest


def _sees_above(check: PictureCheck, p: Piece, heard: Piece, lo: float, hi: float, standing: bool,
                params: AlignParams) -> bool:
    """Whether `check` sees `p`'s line over `[lo, hi]` by `confirm_z` above background and above `heard`'s."""
    theirs = check.z_along(lo, hi, p.stream_at(lo), p.speed, standing)
    return theirs >= params.confirm_z and \
        theirs - check.z_along(lo, hi, heard.stream_at(lo), heard.speed, standing) >= params.confirm_z


def rival_seen(heard: Piece, sound: Heard, checks: list[PictureCheck], params: AlignParams) -> Piece:
    """A clip the sound left unsure between its line and a rival line, whose picture follows
    the rival and not the line: the sound heard the clip, and the picture tells which of the
    two passages it heard (Ms. Pac-Man's waka-waka sounds alike from any passage of a maze).
    Held to the test a line the sound chose is held to: along the rival, a mean z-score >=
    `confirm_z` in some comparison, `picture_lead` above the sound's own line and the other
    lines its top matches suggest."""
    if sound.rival is None or heard.status == "match":
        return heard
    rival = replace(heard, stream_start=sound.rival.stream_at(heard.start), stream_end=sound.rival.stream_at(heard.end),
                    speed=sound.rival.speed)
    for check in checks:
        z = check.z_along(heard.start, heard.end, rival.stream_start, rival.speed)
        if z >= params.confirm_z \
                and z - max(check.z_along(heard.start, heard.end, heard.stream_start, heard.speed),
                            check.rival_z(heard.start, heard.end, rival.stream_start, rival.speed)) >= params.picture_lead:
            return replace(rival, status="match", evidence="sound and picture",
                           confidence=1 - float(np.exp(-z / params.confirm_z)))
    return heard


def handed_over(heard: list[Piece], checks: list[PictureCheck], params: AlignParams) -> list[Piece]:
    """Two clips the sound placed one after the other, the surer seen and heard: where, at the
    edge they share, the picture follows the other clip's line and not the surer one's for at
    least `handover_s`, the surer clip's sound carried its line past its clip (a march or a
    serve the game replays) and the stretch goes to the other clip, whose line the picture
    then confirms or not over its new stretch."""
    out = list(heard)
    fps = checks[0].stream.fps
    reach = int(params.handover_s * fps)
    for k in range(len(out) - 1):
        if abs(out[k].end - out[k + 1].start) > 1e-6:
            continue
        for sure_at, other_at in ((k + 1, k), (k, k + 1)):
            sure, other = out[sure_at], out[other_at]
            if not (sure.found and other.found) or sure.evidence != "sound and picture" or sure.status != "match" \
                    or (other.status == "match" and other.evidence == "sound and picture"):
                continue
            # Per step of the surer clip, from the shared edge inwards: z-scores along the other
            # clip's line and its own, in the comparison that sees the other line best there.
            from_edge = slice(None) if sure_at == k + 1 else slice(None, None, -1)
            theirs, own = max(([c.z_steps(sure.start, sure.end, p.stream_at(sure.start), p.speed)[from_edge]
                                for p in (other, sure)] for c in checks),
                              key=lambda pair: _mean_seen(pair[0][:reach]))
            theirs, own = smoothed(theirs), smoothed(own)
            held = 0
            # (a still step, NaN, neither holds nor breaks the stretch, nor counts towards it)
            while held < len(theirs) // 2 and not (theirs[held] < params.grow_z or theirs[held] - own[held] < params.grow_z):
                held += 1  # (at most half: the picture confirmed the surer clip's line over it)
            if np.isfinite(theirs[:held]).sum() < reach:
                continue
            edge = sure.start + held / fps if sure_at == k + 1 else sure.end - held / fps
            out[k], out[k + 1] = out[k].spanning(out[k].start, edge), out[k + 1].spanning(edge, out[k + 1].end)
            given = out[other_at]
            z = max(c.z_along(given.start, given.end, given.stream_start, given.speed) for c in checks)
            if z >= params.confirm_z:
                doubt = (1 - (given.confidence or 0.0)) * float(np.exp(-z / params.confirm_z))
                out[other_at] = replace(given, status="match", evidence="sound and picture", confidence=1 - doubt)
    return out


def _mean_seen(z: np.ndarray) -> float:
    """The mean of the steps with a z-score; -inf where none has (all still)."""
    seen = z[np.isfinite(z)]
    return float(seen.mean()) if len(seen) else -np.inf


def taken_back(heard: list[Piece], checks: list[PictureCheck], params: AlignParams) -> list[Piece]:
    """A clip the sound alone claims, next to one the picture confirmed, whose stretch the
    picture sees on the neighbour's line and not on its own: a game that replays its music at
    other tempos (Space Invaders' march) lets the sound carry a line past the end of its clip.
    The claim is left "low confidence", and the neighbour grows over the steps its line still
    explains."""
    out = list(heard)
    for k, p in enumerate(out):
        if p.status != "match" or p.evidence != "sound":
            continue
        for j in (k - 1, k + 1):
            q = out[j] if 0 <= j < len(out) else None
            if q is None or q.status != "match" or q.evidence != "sound and picture" \
                    or min(abs(q.end - p.start), abs(p.end - q.start)) > 1e-6:
                continue
            # Over the half of the claim next to the neighbour (where a line carried past its
            # clip would be).
            lo, hi = (p.start, (p.start + p.end) / 2) if j == k - 1 else ((p.start + p.end) / 2, p.end)
            theirs = [c.z_along(lo, hi, q.stream_at(lo), q.speed) for c in checks]
            own = max(c.z_along(lo, hi, p.stream_at(lo), p.speed) for c in checks)
            best = int(np.argmax(theirs))
            if theirs[best] < params.confirm_z or theirs[best] - own < params.confirm_z:
                continue
            # The picture's contradiction takes its share of the confidence away.
            doubt = float(np.exp(-(theirs[best] - own) / params.confirm_z))
            out[k] = replace(p, status="low confidence", confidence=p.confidence * doubt)
            fixed = (j == k - 1, j == k + 1)  # q grows towards p only
            out[j] = grown(q, [checks[best]], params, p.end - p.start, fixed)
            break
    return out


def overheard(heard: list[Piece], seen: list[Piece], checks: list[PictureCheck], params: AlignParams
              ) -> tuple[list[Piece], list[Piece]]:
    """A clip the sound is sure of, whose line the picture denies at one of its edges for at
    least `handover_s` (no comparison sees the line there, `grow_z`), where a clip the picture
    found on another line, sure or not, stands out above it by `confirm_z` in the comparisons
    together: the sound carried its line past its clip (Space Invaders' march sounds the same
    at the start of every game: 3.6 s into the next clip, and 6.6 s over a whole clip), so it
    ends where the picture passes to the other line, and the picture's clip starts there, as
    sure as it was (but not over a clip the picture is sure of on a third line, between)."""
    heard, seen = list(heard), list(seen)
    for k, h in enumerate(heard):
        if h.status != "match":
            continue
        before = None
        while before != h:  # (an edge moved: a piece it did not reach before may now sit at it)
            before = h
            for i, q in enumerate(seen):
                if not q.found or agree(h, q):
                    continue
                lo, hi = max(h.start, q.start), min(h.end, q.end)
                at_end = q.start > h.start and hi >= h.end - MIN_PIECE_S
                at_start = q.end < h.end and lo <= h.start + MIN_PIECE_S
                if hi - lo < params.handover_s or not (at_end or at_start) \
                        or not seen_instead(q, h, lo, hi, checks, params):
                    continue
                # (The picture's clip grows to the split, but not over a clip the picture is sure
                # of on a third line between them.)
                third = [o for o in seen if o.status == "match" and not agree(o, q) and not agree(o, h)]
                if at_end:
                    h, given = split_by_picture(h, q, h.start, q.end, checks)
                    start = max([min(o.end, q.start) for o in third if o.start < q.start and o.end > given.start],
                                default=given.start)
                    seen[i] = given.spanning(start, given.end)
                else:
                    given, h = split_by_picture(q, h, q.start, h.end, checks)
                    end = min([max(o.start, q.end) for o in third if o.end > q.end and o.start < given.end],
                              default=given.end)
                    seen[i] = given.spanning(given.start, end)
        heard[k] = h
    return heard, seen


def seen_instead(seen: Piece, line: Piece, lo: float, hi: float, checks: list[PictureCheck],
                 params: AlignParams) -> bool:
    """Whether, over `[lo, hi]`, the picture sees `seen`'s line instead of `line`'s: `seen`'s
    stands out above it by `confirm_z` in the comparisons together, and either no comparison
    sees `line` there (`grow_z`) or one sees `seen`'s above it step after step (`steady_t`: a
    game whose scenes look alike lets the picture see a line the sound carried over the next
    clip too; Space Invaders' 9:16 crop, z 1.2 where 1.0 is seen, and a clip between, 6.2 s,
    went to the carried line)."""
    lead, own = picture_lead(seen, line, lo, hi, checks)
    return lead >= params.confirm_z and (own < params.grow_z or max(
        steady_t(check, seen, line, lo, hi) for check in checks) >= params.steady_t)


def in_rhythm(sound: Heard, rhythm: MotionCheck | None, params: AlignParams) -> float | None:
    """How sure the screen's rhythm makes the sound's line (0..1), or None where it does not
    back the line over its rival."""
    if rhythm is None or sound.lead < params.rhythm_sound_lead:
        return None
    line = sound.line
    r = rhythm.agreement(sound.first, sound.last, line.stream_at(sound.first), line.speed)
    rival = float("nan") if sound.rival is None else \
        rhythm.agreement(sound.first, sound.last, sound.rival.stream_at(sound.first), sound.rival.speed)
    if not r >= params.rhythm_r or r - max(np.nan_to_num(rival, nan=0.0), 0.0) < params.rhythm_lead:
        return None
    return r


def joined_by_picture(heard: list[Piece], sounds: list[Heard], checks: list[PictureCheck],
                       params: AlignParams) -> list[Piece]:
    """Two clips seen and heard one after the other join where the picture passes from one
    line to the other, between the last sound of the first and the first of the second (give
    or take `join_slack_s`). The sound placed the join at the embedding's largest change
    there, which a crossfade spreads and a letterbox shrinks."""
    out = list(heard)
    for k in range(len(out) - 1):
        a, b = out[k], out[k + 1]
        if abs(a.end - b.start) <= 1e-6 and all(p.status == "match" and p.evidence == "sound and picture"
                                                for p in (a, b)):
            lo, hi = sorted((sounds[k].last, sounds[k + 1].first))
            out[k], out[k + 1] = split_by_picture(a, b, lo - params.join_slack_s, hi + params.join_slack_s, checks)
    return out


def overlaps_split(pieces: list[Piece], claims: list[Piece], checks: list[PictureCheck],
                   params: AlignParams) -> list[Piece]:
    """Two matches the picture sees, one of them heard too, that overlap, meet, or have only
    unsure pieces between them (each grown, or found, past a cut between look-alike scenes, or
    stopped short of it by an unsure claim; but not a clip the picture sees instead of either's
    line, which one of them would grow over) end and start where the picture passes from one line to
    the other: within the overlap, or within `join_slack_s` of the gap (at most `picture_reach_s`),
    each widened to where either line's own `claims` (the pieces fused) reached into the other's (the
    stronger claim took the whole overlap: Space Invaders letterboxed, 3.4 s of the next clip).
    A crossfade's two lines meet in its middle; past one, each grows only over steps its own
    line explains. (Between two clips found by the picture alone,
    their searches' own edges were better: on Super Mario, a clip's start 0.5 s late where it
    was exact.)"""
    out = list(pieces)
    matches = [k for k, p in enumerate(out) if p.status == "match"]
    for k, j in zip(matches, matches[1:]):
        a, b = out[k], out[j]
        between = out[k + 1:j]
        if b.start - a.end <= params.picture_reach_s and all(p.status == "low confidence" for p in between) \
                and all("picture" in (p.evidence or "") for p in (a, b)) and "sound and picture" in (a.evidence, b.evidence) \
                and not any(seen_instead(p, q, p.start, p.end, checks, params) for p in between for q in (a, b)):
            lo, hi = sorted((a.end, b.start))
            lo = min([lo] + [q.start for q in claims if agree(q, b) and q.start < lo < q.end])
            hi = max([hi] + [q.end for q in claims if agree(q, a) and q.start < hi < q.end])
            # Where the two overlap, the cut lies in what both hold (past it, a look-alike game's
            # picture went on seeing the first line: Space Invaders letterboxed, a split 1.6 s
            # late where the sound's join was right); only across a gap is there slack.
            slack = 0.0 if a.end - b.start >= 2 / checks[0].stream.fps else params.join_slack_s
            a2, b2 = split_by_picture(a, b, lo - slack, hi + slack, checks)
            # Past a crossfade, each grows only over steps its own line explains: a clip no search
            # found between them (Ms. Pac-Man: 4 s of a new game's opening and 1.3 s of play) is
            # neither's.
            if a2.end - a.end > CROSSFADE_S:
                a2 = a.spanning(a.start, min(a2.end, grown(a, checks, params, a2.end - a.end, (True, False)).end))
            if b.start - b2.start > CROSSFADE_S:
                b2 = b.spanning(max(b2.start, grown(b, checks, params, b.start - b2.start, (False, True)).start), b.end)
            out[k], out[j] = a2, b2
    return out
