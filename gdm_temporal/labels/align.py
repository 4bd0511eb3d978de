"""`gdm labels align`: find where each clip of a highlight compilation came from in the stream,
by its picture and its sound together.

The picture (`picture_match.py`) finds runs of compilation steps whose embeddings match the
stream along one offset; the sound (`audio_print.py`, `sound_match.py`) finds stretches whose
onset rhythm matches it along one line (speed changes included). `pieces.fuse` joins them: a
clip both find on one line is confirmed ("sound and picture"), one found by either alone is
kept ("sound": a covered, cropped or letterboxed picture; "picture": music over the sound, a
muted stream), and where they disagree the stronger evidence keeps the stretch. What neither
finds is "no match" (title cards, footage from elsewhere), never an invented clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gdm_features import FeatureFile

from .audio_print import Onsets, PrintIndex
from .picture_match import PictureParams, picture_pieces
from .pieces import Piece, fuse, labels_from
from .shots import jump_scores
from .sound_match import SoundParams, SoundVotes, sound_pieces

__all__ = ["AlignParams", "Piece", "align", "labels_from"]


@dataclass(frozen=True)
class AlignParams:
    picture: PictureParams = field(default_factory=PictureParams)
    sound: SoundParams = field(default_factory=SoundParams)


def align(stream: FeatureFile, compilation: FeatureFile, params: AlignParams = AlignParams(),
          progress=None, stream_sound: PrintIndex | None = None,
          compilation_sound: Onsets | None = None) -> list[Piece]:
    """Pieces covering the whole compilation, in order. The sound prints are optional: without
    them (or where either video has no sound) the picture decides alone."""
    seen = picture_pieces(stream, compilation, params.picture, progress)
    duration = compilation.n_steps / compilation.fps
    heard: list[Piece] = []
    if stream_sound is not None and compilation_sound is not None and len(stream_sound.hashes) \
            and len(compilation_sound.frames):
        cut_score = jump_scores(compilation.read(0, compilation.n_steps).visual)
        heard = sound_pieces(SoundVotes(stream_sound, compilation_sound), duration, cut_score,
                             compilation.fps, params.sound)
    return fuse(seen, heard, duration)
