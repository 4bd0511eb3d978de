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
finds is "no match" (title cards, footage from elsewhere), never an invented clip. The rules
for the picture's clips are in `seen_clips.py`, for the picture's say on the sound's clips in
`heard_clips.py`; this module runs the searches and puts the answer together.
"""

from __future__ import annotations

from dataclasses import replace

from threadpoolctl import threadpool_limits

from gdm_features import FeatureFile

from .align_params import AlignParams
from .audio_print import Onsets, PrintIndex
from .heard_clips import handed_over, joined_by_picture, looked_at, overheard, overlaps_split, taken_back
from .picture_geometry import Box, TypicalScreens, fitted_box, grid_views, likeliest_box, picture_views
from .picture_match import PictureCheck, PictureParams, embedding, picture_pieces
from .picture_motion import MotionCheck
from .pieces import Piece, fuse, labels_from, one_per_clip
from .seen_clips import checked, followed_better, grown_apart, long_overlaps_split, seen_twice
from .shots import jump_scores
from .sound_evidence import Evidence
from .sound_match import Heard, sound_pieces
from .told_apart import edges_seen_elsewhere, told_apart

__all__ = ["AlignParams", "Piece", "align", "labels_from"]


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
        """One picture search's pieces, each it found held to its check (`checked`)."""
        found, check = picture_pieces(stream, compilation, picture, progress, views)
        searches.append(([checked(p, check, params) if p.status == "match" else p for p in found], check))
        return searches[-1][0]

    looked = searched((embedding, embedding), replace(params.picture, stream_stride=params.embedding_stride),
                      report(0.0, 1 / passes))
    duration = compilation.n_steps / compilation.fps
    heard: list[tuple[Piece, Heard]] = []
    sound = stream_sound is not None and compilation_sound is not None and len(stream_sound) \
        and len(compilation_sound.frames)
    if sound:
        cut_score = jump_scores(compilation.read(0, compilation.n_steps).visual)
        heard = sound_pieces(stream_sound, compilation_sound, duration, cut_score, compilation.fps, params.sound)
    seen = looked
    if grids:
        # What moved where, and the small grey pictures, compared cell by cell in the geometry
        # that the clips already sure show (picture_geometry.py): more picture searches, and
        # more checks of any line.
        screens = TypicalScreens(stream, compilation)  # (read at most once, where a fit needs them)
        fit = likeliest_box(stream, compilation, _anchors(looked + [h for h, _ in heard]), screens)
        box = fit[0] if fit else Box()
        # (Where the pictures may be searched again below, the rest of the bar is shared by three.)
        share = (1 - 1 / passes) / (passes - 1 + pictures)
        for k, views in enumerate([grid_views(box)] + ([picture_views(box)] if pictures else [])):
            seen = one_per_clip(seen, searched(views, params.picture, report(1 / passes + k * share, share)))
        if pictures:
            # The geometry was guessed from where each video moves and what it typically shows
            # (Space Invaders letterboxed: 0.38 wide for 0.43), or fitted on clips that include
            # the sound's, some on wrong lines (a box of the typical screens' agreement, 0.57,
            # for 0.81). The clips these searches are sure of measure it; in another box, the
            # small pictures are searched again (Space Invaders' combined edits: 3 of 6 clips to
            # 6; letterboxed, seed 6, 4 to 6).
            refit = fitted_box(stream, compilation, _anchors(seen), screens)
            if refit and refit[0] != box:
                seen = one_per_clip(seen, searched(picture_views(refit[0]), params.picture, report(1 - share, share)))
            elif progress:
                progress(stream.n_steps, stream.n_steps)
    checks = [check for _, check in searches]
    if len(checks) > passes:
        del checks[-2]  # (the small pictures in the guessed geometry, searched again in the measured one)
    if pictures:
        seen = [seen_twice(p, checks[1:], params) if p.status == "low confidence" else p for p in seen]
    seen = grown_apart([found for found, _ in searches], [p for p in seen if p.status == "match"], checks, params)
    seen = long_overlaps_split(seen, checks)
    # Edges two heard clips share (sound_pieces places them in order, one ending where the next starts).
    joins = {round(a.end, 6) for (a, _), (b, _) in zip(heard, heard[1:]) if abs(a.end - b.start) < 1e-6}
    rhythm = MotionCheck.of(stream, compilation) if heard else None
    judged = [looked_at(p, h, checks, rhythm, params, joins, seen) for p, h in heard]
    judged = joined_by_picture(judged, [h for _, h in heard], checks, params)
    judged, seen = overheard(taken_back(handed_over(judged, checks, params), checks, params), seen, checks, params)
    fused = fuse(seen, judged, duration, lambda a, b: followed_better(a, b, checks))
    if sound:
        fused = told_apart(fused, checks, Evidence(stream_sound.onsets, compilation_sound, params.sound), params)
    fused = edges_seen_elsewhere(fused, checks, params)
    pieces = overlaps_split(fused, [p for p in seen + judged if p.found], checks, params)
    return sorted(pieces, key=lambda p: (p.start, p.end))  # (a split moves a match's start past unsure pieces)


def _anchors(pieces: list[Piece]) -> list[tuple[float, float, float, float]]:
    """The sure pieces' lines, as `fitted_box` takes them."""
    return [(p.start, p.end, p.stream_start, p.speed) for p in pieces if p.status == "match"]
