"""`gdm labels align`: find where each clip of a highlight compilation came from in the stream,
by its picture and its sound together.

The picture (`picture_match.py`) finds runs of compilation steps whose embeddings match the
stream along one offset, and again runs whose motion grids match and runs whose small grey
pictures match, both compared in the geometry the editor gave the compilation
(`picture_geometry.py`: a letterbox, a 9:16 crop); the screen's
rhythm (`picture_motion.py`) backs a line the sound found over the sound's other line; the sound (`audio_print.py`, `sound_match.py`) finds stretches whose
onset rhythm matches it along one line (speed changes included). `pieces.fuse` joins them: a
clip both find on one line is confirmed ("sound and picture"), one found by either alone is
kept ("sound": a covered, cropped or letterboxed picture; "picture": music over the sound, a
muted stream), and where they disagree the stronger evidence keeps the stretch. What neither
finds is "no match" (title cards, footage from elsewhere), never an invented clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from threadpoolctl import threadpool_limits

from gdm_features import FeatureFile

from .audio_print import Onsets, PrintIndex
from .picture_geometry import Box, fitted_box, grid_views, picture_views, profile_box
from .picture_match import PictureCheck, PictureParams, embedding, picture_pieces, rival_z
from .picture_motion import MotionCheck
from .pieces import CROSSFADE_S, Piece, agree, fuse, labels_from, one_per_clip
from .shots import jump_scores
from .sound_match import Heard, SoundParams, sound_pieces

__all__ = ["AlignParams", "Piece", "align", "labels_from"]


@dataclass(frozen=True)
class AlignParams:
    picture: PictureParams = field(default_factory=PictureParams)
    sound: SoundParams = field(default_factory=SoundParams)
    # Mean z-score of the picture along a line the sound found that confirms it. A random line
    # scores about 0 (a look-alike game scene, 1); the true line of a re-encoded clip, 3 or more.
    confirm_z: float = 1.5
    grow_z: float = 1.0  # a step whose picture is this far above background on the line belongs to it
    picture_lead: float = 0.3  # a picture-only match's z-score lead over the best other line
    picture_reach_s: float = 8.0  # how far a clip the picture found may grow along its line...
    heard_reach_s: float = 2.5  # ...and one the sound found, past its first or last sound
    # The screen's rhythm of motion (picture_motion.py) along a line the sound found, that
    # confirms it: correlating at least this well, this much better than along the sound's
    # best other line, where the sound itself prefers the line by at least `rhythm_sound_lead`
    # nats. Measured on Atari clips under every edit: true lines 0.67-0.99 (speed-changed clips
    # excepted), the sound's rival lines -0.8-0.77, and a false line the sound chose 0.62-0.82
    # with its rival as good or better by sound or by rhythm.
    rhythm_r: float = 0.6
    rhythm_lead: float = 0.3
    rhythm_sound_lead: float = 0.0
    # The embeddings' best matches are sought among every other stream step: the costliest of
    # the three picture searches, at half the cost; measured on the Atari compilations, found
    # as much as among all but one clip (Space Invaders, plain). The motion grids' and the
    # small pictures' searches lose clips that way (Breakout under music: 4 of 6 to 1).
    embedding_stride: int = 2
    twice_lead: float = 1.0  # a clip unsure in each picture comparison, sure in both together (_seen_twice)
    join_slack_s: float = 1.0  # how far past the sounds the picture may move a join of two clips seen and heard
    handover_s: float = 2.0  # a stretch the picture gives from a clip heard and seen to its heard neighbour


def align(stream: FeatureFile, compilation: FeatureFile, params: AlignParams = AlignParams(),
          progress=None, stream_sound: PrintIndex | None = None,
          compilation_sound: Onsets | None = None) -> list[Piece]:
    """Pieces covering the whole compilation, in order. The sound prints are optional: without
    them (or where either video has no sound) the picture decides alone."""
    # Its matrix products are memory-bound: a second BLAS thread only spins (measured, 20 min
    # against 10 h: the same wall time, 20 s more CPU).
    with threadpool_limits(1, user_api="blas"):
        return _aligned(stream, compilation, params, progress, stream_sound, compilation_sound)


def _aligned(stream: FeatureFile, compilation: FeatureFile, params: AlignParams, progress,
             stream_sound: PrintIndex | None, compilation_sound: Onsets | None) -> list[Piece]:
    grids = bool(stream.motion_dim and compilation.motion_dim)
    pictures = grids and bool(stream.picture_dim and compilation.picture_dim)
    passes = 1 + grids + pictures  # the picture's searches, each a pass over the stream

    def report(first: float, share: float):
        """Progress of a search that takes the bar from `first` (a fraction) over `share` of it."""
        return (lambda done, total: progress(int(total * (first + share * done / total)), total)) if progress else None

    searches: list[tuple[list[Piece], PictureCheck]] = []

    def searched(views, picture: PictureParams, progress=None) -> list[Piece]:
        """One picture search's pieces, each it found held to its check (`_checked`)."""
        found, check = picture_pieces(stream, compilation, picture, progress, views)
        searches.append(([_checked(p, check, params) if p.status == "match" else p for p in found], check))
        return searches[-1][0]

    looked = searched((embedding, embedding), replace(params.picture, stream_stride=params.embedding_stride),
                      report(0.0, 1 / passes))
    duration = compilation.n_steps / compilation.fps
    heard: list[tuple[Piece, Heard]] = []
    if stream_sound is not None and compilation_sound is not None and len(stream_sound) \
            and len(compilation_sound.frames):
        cut_score = jump_scores(compilation.read(0, compilation.n_steps).visual)
        heard = sound_pieces(stream_sound, compilation_sound, duration, cut_score, compilation.fps, params.sound)
    seen = looked
    if grids:
        # What moved where, and the small grey pictures, compared cell by cell in the geometry
        # that the clips already sure show (picture_geometry.py): more picture searches, and
        # more checks of any line.
        fitted = fitted_box(stream, compilation, _anchors(looked + [h for h, _ in heard]))
        fit = fitted or profile_box(stream, compilation)
        box = fit[0] if fit else Box()
        # (Where the pictures may be searched again below, the rest of the bar is shared by three.)
        share = (1 - 1 / passes) / (passes - 1 + (pictures and fitted is None))
        for k, views in enumerate([grid_views(box)] + ([picture_views(box)] if pictures else [])):
            seen = one_per_clip(seen, searched(views, params.picture, report(1 / passes + k * share, share)))
        if pictures and fitted is None:
            # No clip was sure before these searches: the geometry was guessed from where each
            # video moves and what it typically shows (Space Invaders letterboxed: 0.38 wide for
            # 0.43). The clips they are sure of measure it; in another box, the small pictures
            # are searched again (Space Invaders' combined edits: 3 of 6 clips to 6).
            refit = fitted_box(stream, compilation, _anchors(seen))
            if refit and refit[0] != box:
                seen = one_per_clip(seen, searched(picture_views(refit[0]), params.picture, report(1 - share, share)))
            elif progress:
                progress(stream.n_steps, stream.n_steps)
    checks = [check for _, check in searches]
    if len(checks) > passes:
        del checks[-2]  # (the small pictures in the guessed geometry, searched again in the measured one)
    if pictures:
        seen = [_seen_twice(p, checks[1:], params) if p.status == "low confidence" else p for p in seen]
    seen = _grown_apart(searches, [p for p in seen if p.status == "match"], params)
    seen = _long_overlaps_split(seen, checks)
    # Edges two heard clips share (sound_pieces places them in order, one ending where the next starts).
    joins = {round(a.end, 6) for (a, _), (b, _) in zip(heard, heard[1:]) if abs(a.end - b.start) < 1e-6}
    rhythm = MotionCheck.of(stream, compilation) if heard else None
    looked_at = [_looked_at(p, h, checks, rhythm, params, joins) for p, h in heard]
    looked_at = _joined_by_picture(looked_at, [h for _, h in heard], checks, params)
    pieces = _overlaps_split(fuse(seen, _taken_back(_handed_over(looked_at, checks, params), checks, params),
                                  duration), checks, params)
    return sorted(pieces, key=lambda p: (p.start, p.end))  # (a split moves a match's start past unsure pieces)


def _anchors(pieces: list[Piece]) -> list[tuple[float, float, float, float]]:
    """The sure pieces' lines, as `fitted_box` takes them."""
    return [(p.start, p.end, p.stream_start, p.speed) for p in pieces if p.status == "match"]


def _joined_by_picture(heard: list[Piece], sounds: list[Heard], checks: list[PictureCheck],
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
            out[k], out[k + 1] = _split_by_picture(a, b, lo - params.join_slack_s, hi + params.join_slack_s, checks)
    return out


def _overlaps_split(pieces: list[Piece], checks: list[PictureCheck], params: AlignParams) -> list[Piece]:
    """Two matches the picture sees, one of them heard too, that overlap, meet, or have only
    unsure pieces between them (each grown, or found, past a cut between look-alike scenes, or
    stopped short of it by an unsure claim) end and start where the picture passes from one
    line to the other, within `join_slack_s` of the overlap or gap (a gap at most
    `picture_reach_s`); a crossfade's two lines meet in its middle. (Between two clips found by
    the picture alone, their searches' own edges were better: on Super Mario, a clip's start
    0.5 s late where it was exact.)"""
    out = list(pieces)
    matches = [k for k, p in enumerate(out) if p.status == "match"]
    for k, j in zip(matches, matches[1:]):
        a, b = out[k], out[j]
        between = out[k + 1:j]
        if b.start - a.end <= params.picture_reach_s and all(p.status == "low confidence" for p in between) \
                and all("picture" in (p.evidence or "") for p in (a, b)) and "sound and picture" in (a.evidence, b.evidence):
            lo, hi = sorted((a.end, b.start))
            out[k], out[j] = _split_by_picture(a, b, lo - params.join_slack_s, hi + params.join_slack_s, checks)
    return out


def _long_overlaps_split(seen: list[Piece], checks: list[PictureCheck]) -> list[Piece]:
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
            out[k], out[j] = _split_by_picture(a, b, b.start, a.end, checks)
    return out


def _split_by_picture(a: Piece, b: Piece, lo: float, hi: float, checks: list[PictureCheck]) -> tuple[Piece, Piece]:
    """`a` ending and `b` starting at the step of `[lo, hi]` (within both) that best splits it
    into steps whose picture is closer to `a`'s line and steps closer to `b`'s (z-scores summed
    over the comparisons); as they were where no split has the picture's support."""
    fps = checks[0].stream.fps
    lo, hi = max(lo, a.start), min(hi, b.end)
    if hi - lo < 2 / fps:
        return a, b
    closer = sum(np.nan_to_num(c.z_steps(lo, hi, a.stream_at(lo), a.speed) - c.z_steps(lo, hi, b.stream_at(lo), b.speed))
                 for c in checks)
    # Split before step j: `a`'s lead summed before it, `b`'s after it.
    before = np.r_[0.0, np.cumsum(closer)]
    split = before - (before[-1] - before)
    best = np.flatnonzero(split == split.max())
    j = int(best[len(best) // 2])  # (steps neither line explains, still ones, split in the middle)
    if split[j] <= 0:
        return a, b
    edge = lo + j / fps
    return a.spanning(a.start, edge), b.spanning(edge, b.end)


def _checked(seen: Piece, check: PictureCheck, params: AlignParams) -> Piece:
    """A clip the picture's search found, held to the same test as a line the sound proposes:
    its steps must stand out from their background along it, and more than along any other
    line their top matches suggest (a look-alike scene of a game whose pictures repeat passes
    the search, not this)."""
    z = check.z_along(seen.start, seen.end, seen.stream_start, seen.speed)
    if z < params.confirm_z or z - check.rival_z(seen.start, seen.end, seen.stream_start, seen.speed) < params.picture_lead:
        return replace(seen, status="low confidence")
    return seen


def _grown_apart(searches: list[tuple[list[Piece], PictureCheck]], twice: list[Piece],
                 params: AlignParams) -> list[Piece]:
    """The picture searches' pieces as one list (`one_per_clip`, then the clips sure only
    `twice`), each sure one first grown over its neighbours' steps that still stand out along
    its line in its search's check, and over the unsure pieces of its line it meets (a fragment
    of a clip becomes the clip), but not into a stretch some search is sure shows another line:
    a game whose pictures repeat opens the next clip on a scene that looks like the one this
    clip's line goes on to (Ms. Pac-Man's new life), and growth carried the line 2.5 s into it."""
    sure = [p for found, _ in searches for p in found if p.status == "match"] + twice
    unsure = [p for found, _ in searches for p in found if p.status == "low confidence"]
    seen: list[Piece] = []
    for found, check in searches:
        grown = []
        for p in found:
            if p.status == "match":
                others = [q for q in sure if not agree(p, q)]
                lo = max([min(q.end, p.start) for q in others if q.start < p.start], default=0.0)
                hi = min([max(q.start, p.end) for q in others if q.end > p.end], default=np.inf)
                p = _grown(p, check, params, params.picture_reach_s, within=(lo, hi))
                p = _carried_on(p, unsure, (lo, hi))
            grown.append(p)
        seen = one_per_clip(seen, grown)
    return one_per_clip(seen, twice)


def _seen_twice(seen: Piece, checks: list[PictureCheck], params: AlignParams) -> Piece:
    """A clip the picture found but could not tell from its look-alikes in any one comparison,
    told apart by where it moves and what it shows together: the motion grid's and the small
    pictures' z-scores along its line, summed, reach what a sure match scores in each (`confirm_z`
    each) and lead those along every other line either's top matches vote for by `twice_lead`.
    Measured: on the benchmark's 28 Atari compilations, clips left unsure on their true line
    summed 1.8-4.6 and led by 0.3-13.6, false lines led by at most 0.7; a compilation of another
    Super Mario level had false lines leading by up to 1.5, summing at most 2.5."""
    z = sum(check.z_along(seen.start, seen.end, seen.stream_start, seen.speed) for check in checks)
    if z < len(checks) * params.confirm_z:  # as far above background as a sure match in each
        return seen
    lead = z - rival_z(checks, seen.start, seen.end, seen.stream_start, seen.speed)
    if lead < params.twice_lead:
        return seen
    return replace(seen, status="match", confidence=1 - float(np.exp(-lead / params.confirm_z)))


def _looked_at(heard: Piece, sound: Heard, checks: list[PictureCheck], rhythm: MotionCheck | None,
               params: AlignParams, joins: set[float]) -> Piece:
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
    moves = _in_rhythm(sound, rhythm, params)
    if check is None and moves is None:
        return _rival_seen(heard, sound, checks, params)
    doubt = 1 - heard.confidence  # each witness that backs the line takes its share of the doubt away
    if check is not None:
        doubt *= float(np.exp(-z / params.confirm_z))
    if moves is not None:
        doubt *= 1 - moves
    grown = _grown(heard, check, params, params.heard_reach_s,
                   fixed=(round(heard.start, 6) in joins, round(heard.end, 6) in joins)) if check else heard
    return replace(grown, status="match", evidence="sound and picture", confidence=1 - doubt)


def _rival_seen(heard: Piece, sound: Heard, checks: list[PictureCheck], params: AlignParams) -> Piece:
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


def _handed_over(heard: list[Piece], checks: list[PictureCheck], params: AlignParams) -> list[Piece]:
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
                              key=lambda pair: np.nan_to_num(np.nanmean(pair[0][:reach]), nan=-np.inf))
            theirs, own = _smoothed(theirs), _smoothed(own)
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


def _smoothed(z: np.ndarray) -> np.ndarray:
    """3-step means of the steps that have a value; NaN where none of the three has."""
    valid = np.isfinite(z).astype(float)
    total = np.convolve(np.nan_to_num(z, nan=0.0), np.ones(3), mode="same")
    count = np.convolve(valid, np.ones(3), mode="same")
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _taken_back(heard: list[Piece], checks: list[PictureCheck], params: AlignParams) -> list[Piece]:
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
            out[j] = _grown(q, checks[best], params, p.end - p.start, fixed)
            break
    return out


def _in_rhythm(sound: Heard, rhythm: MotionCheck | None, params: AlignParams) -> float | None:
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


def _carried_on(piece: Piece, unsure: list[Piece], within: tuple[float, float]) -> Piece:
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


def _grown(piece: Piece, check: PictureCheck, params: AlignParams, reach_s: float,
           fixed: tuple[bool, bool] = (False, False), within: tuple[float, float] = (0.0, np.inf)) -> Piece:
    """`piece` grown at either edge (but the `fixed` ones), up to `reach_s` and not past
    `within`, over steps whose picture z-score on its line (a 3-step mean) stays at least `grow_z`."""
    fps = check.stream.fps
    lo_s = max(0.0, piece.start - reach_s, min(within[0], piece.start))
    z = check.z_steps(lo_s, min(piece.end + reach_s, max(within[1], piece.end)), piece.stream_at(lo_s), piece.speed)
    z = np.convolve(np.nan_to_num(z, nan=-9.0), np.ones(3) / 3, mode="same")
    first = int(round(lo_s * fps))
    before, after = z[: int(round(piece.start * fps)) - first][::-1], z[int(round(piece.end * fps)) - first:]
    # Steps grown at each edge: those before the first below `grow_z`.
    grown = [0 if held or not len(side) else int(np.argmin(np.r_[side, -np.inf] >= params.grow_z))
             for held, side in zip(fixed, (before, after))]
    return piece.spanning(piece.start - grown[0] / fps, piece.end + grown[1] / fps)
