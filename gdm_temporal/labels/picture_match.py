"""Alignment by picture: where each stretch of a compilation came from, from embeddings alone.

A clip plays forward at the same speed in both videos, so a match is a run of compilation
steps whose best stream step sits at one constant offset. Steps:
1. Embeddings are centred on the stream's mean and L2-normalised (raw CNN features are all
   positive, so raw cosines are high for any two frames).
2. One pass over the stream in chunks: for every compilation step, its top-K stream matches
   and the mean and spread of its similarity to all stream steps (memory: M x chunk).
3. Offsets voted for by the top matches are candidates; for each, the similarity along that
   diagonal is read in one contiguous slice and turned into a z-score per compilation step
   (how far above its own background this match is).
4. Runs of high z at a constant offset (small gaps bridged, at least `min_run_s` long) are
   matches; they claim compilation steps strongest first. What no run claims is "no match":
   intros, title cards, footage from elsewhere.
Re-encoding, overlays on part of the frame and crossfades lower the similarity but keep the
match far above the background. Sound is `sound_match.py`'s; `align.py` joins the two.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

from gdm_features import FeatureFile
from gdm_features.store import FeatureSlice

from ..timeline.intervals import runs
from .pieces import Piece
from .stillness import standing_still, step_motion


@dataclass(frozen=True)
class PictureParams:
    top_k: int = 8
    chunk_steps: int = 4096
    min_top_share: float = 0.3  # of a run's steps, the share whose best match is on its diagonal
    min_density: float = 0.7  # of a run's steps, the share with the diagonal among the top_k
    min_similarity: float = 0.5  # mean centred cosine along the diagonal
    min_run_s: float = 1.5
    extend_s: float = 0.6  # how far a match may grow into a crossfade
    max_gap_s: float = 0.6  # bridge short dips (crossfades, flashes) inside a run
    max_candidates: int = 400
    min_motion: float = 0.005  # change between steps' embeddings (1 - raw cosine) below which a step is still...
    still_levels: int = 2  # ...and, where the cache has pictures, the largest change of a picture's cell
    max_still_share: float = 0.5  # a run with more steps standing still than this is a card or a pause
    search_dims: int = 128  # best matches are sought on this many principal directions...
    # ...among every `stream_stride`-th stream step (neighbours 0.2 s apart look alike; a
    # clip's offset is still found within the +-1 step its runs allow, at half the cost)
    stream_stride: int = 1
    row_block: int = 512  # compilation steps compared with a chunk of the stream at a time


View = Callable[[FeatureSlice], np.ndarray]  # what of each step's features is compared


def reading(*blocks: str) -> Callable[[View], View]:
    """Marks a view with the cache blocks it reads: the stream is read for those alone."""

    def mark(view: View) -> View:
        view.blocks = blocks
        return view

    return mark


def read_for(view: View, video: FeatureFile, start: int, length: int) -> FeatureSlice:
    return video.read(start, length, getattr(view, "blocks", None))


@reading("visual")
def embedding(window: FeatureSlice) -> np.ndarray:
    """The pooled backbone embedding: what the frame looks like."""
    return window.visual


def _normalised(visual: np.ndarray, centre: np.ndarray) -> np.ndarray:
    x = visual.astype(np.float32) - centre
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


@dataclass(frozen=True)
class _StreamRows:
    """What one pass over the stream's rows of a view tells the search."""

    centre: np.ndarray  # the mean row
    low: np.ndarray  # per column, the least and the most the stream shows
    high: np.ndarray
    basis: np.ndarray | None  # `[columns, dims]` principal directions of the normalised rows, or None
    # The normalised rows sampled, summed and as a gram matrix: a compilation row's similarities'
    # mean and spread over the stream.
    row_sum: np.ndarray
    gram: np.ndarray
    count: int  # rows sampled


def _stream_rows(stream: FeatureFile, chunk: int, view: View, dims: int, sample: int = 20000,
                 window: int = 1000) -> _StreamRows:
    """The mean row, range and `dims` principal directions (where the view has more columns)
    of the stream's rows of `view`, and their similarities' statistics, from at most `sample`
    steps: windows of `window` steps spread evenly over a long stream (a 10-hour stream's
    tenth gives a compilation step's mean similarity and spread as well as all of it, and
    reading it all again cost a quarter of the search)."""
    total, n, kept = 0.0, 0, []
    low = high = None
    if stream.n_steps <= sample:
        starts, length = range(0, stream.n_steps, chunk), chunk
    else:
        starts, length = np.linspace(0, stream.n_steps - window, sample // window).astype(int), window
    for start in starts:
        part = read_for(view, stream, int(start), length)
        rows = view(part)[part.frame_ok].astype(np.float64)
        if not len(rows):
            continue
        total = total + rows.sum(0)
        n += len(rows)
        low = rows.min(0) if low is None else np.minimum(low, rows.min(0))
        high = rows.max(0) if high is None else np.maximum(high, rows.max(0))
        kept.append(rows.astype(np.float32))
    width = kept[0].shape[1] if kept else view(read_for(view, stream, 0, 1)).shape[1]
    centre = (total / max(n, 1)).astype(np.float32) if n else np.zeros(width, np.float32)
    rows = _normalised(np.concatenate(kept), centre) if kept else np.zeros((0, width), np.float32)
    gram = (rows.T @ rows).astype(np.float64)
    low = low if low is not None else np.zeros(width)
    high = high if high is not None else np.zeros(width)
    if len(centre) <= dims or len(rows) < dims:
        return _StreamRows(centre, low, high, None, rows.sum(0, dtype=np.float64), gram, len(rows))
    _, vectors = np.linalg.eigh(gram)  # ascending: the last are the principal ones
    basis = np.ascontiguousarray(vectors[:, ::-1][:, :dims], np.float32)
    return _StreamRows(centre, low, high, basis, rows.sum(0, dtype=np.float64), gram, len(rows))


def _in_stream_terms(rows: np.ndarray, stream: _StreamRows) -> np.ndarray:
    """Compilation rows, normalised like the stream's, with each value the stream never shows
    in its column (beyond a tenth of the column's range) set to the stream's mean: a box the
    editor laid over a corner, a channel's logo, say nothing about where in the stream the
    step came from, and left in, their bright flat area outweighs the game's small pictures."""
    margin = 0.1 * (stream.high - stream.low) + 1e-6
    foreign = (rows < stream.low - margin) | (rows > stream.high + margin)
    normalised = _normalised(np.where(foreign, stream.centre, rows), stream.centre)
    # A flat row (a card of one colour) has no pattern to match, only a level, and that level
    # is any dark or bright moment of the stream's.
    normalised[rows.std(axis=1) < 0.01 * (np.abs(rows).mean(axis=1) + 1)] = 0.0
    return normalised


@dataclass(frozen=True)
class PictureCheck:
    """The picture's view of any line, not only of those its own search found: how far above
    its background each compilation step's similarity is along it (a z-score), so a line the
    sound proposes can be confirmed where the game's look-alike pictures hid it from the search."""

    stream: FeatureFile
    view: View  # of the stream's steps
    centre: np.ndarray
    comp: np.ndarray  # normalised compilation rows of the view, 0 where no frame
    mean: np.ndarray  # per compilation step: similarity to all stream steps, mean...
    std: np.ndarray  # ...and spread
    still: np.ndarray  # per compilation step: the picture did not move (a card): no say on any line
    top_idx: np.ndarray  # per compilation step: its best stream steps
    # Per compilation step, the picture stood still to this comparison's own view: for the
    # motion grids' and small pictures', only where the small picture stood still too
    # (`standing_still`; a maze whose sprites are small is still to the embedding, not to
    # them); for the embedding's, `still`. Growth and splits read it.
    standing: np.ndarray
    params: PictureParams  # (what stands still in the stream, as in the compilation)

    def z_steps(self, start_s: float, end_s: float, stream_start_s: float, speed: float,
                standing: bool = False, paused: bool = False) -> np.ndarray:
        """Per compilation step in `[start_s, end_s)`, the z-score of its similarity to the stream
        step on the line (NaN where the line leaves the stream, the step has no frame, or the
        picture stood still: `still`, or with `standing`, `standing`; with `paused`, unless the
        stream's step on the line stands still too: the same pause in both)."""
        fps = self.stream.fps
        first = int(round(start_s * fps))
        i = np.arange(max(0, first), min(len(self.comp), int(round(end_s * fps))))
        z = np.full(len(i), np.nan)
        j = np.round(stream_start_s * fps + speed * (i - start_s * fps)).astype(np.int64)
        ok = (j >= 0) & (j < self.stream.n_steps) & self.comp[i].any(1)
        if ok.any():
            stream_first, length = int(j[ok].min()), int(j[ok].max() - j[ok].min()) + 1
            rows = self.view(read_for(self.view, self.stream, stream_first, length))[j[ok] - stream_first]
            sims = np.einsum("ij,ij->i", self.comp[i[ok]], _normalised(rows, self.centre))
            z[ok] = (sims - self.mean[i[ok]]) / self.std[i[ok]]
        still = (self.standing if standing else self.still)[i]
        if paused and (still & ok).any():
            window = self.stream.read(stream_first, length, ("visual", "picture"))  # (what `standing_still` reads)
            still[ok] &= ~standing_still(window, self.params)[j[ok] - stream_first]
        z[still] = np.nan
        return z

    def z_along(self, start_s: float, end_s: float, stream_start_s: float, speed: float,
                standing: bool = False) -> float:
        z = self.z_steps(start_s, end_s, stream_start_s, speed, standing)
        return float(np.nanmean(z)) if np.isfinite(z).any() else 0.0

    def rival_z(self, start_s: float, end_s: float, stream_start_s: float, speed: float, n: int = 8) -> float:
        """The best `z_along` of the other lines the stretch's top matches vote for (more than
        1 s from this one): how well the stream elsewhere explains the same pictures."""
        return rival_z([self], start_s, end_s, stream_start_s, speed, n)

    def votes(self, start_s: float, end_s: float) -> np.ndarray:
        """The offsets (stream step minus compilation step) its steps' top matches vote for,
        one per vote."""
        fps = self.stream.fps
        a, b = int(round(start_s * fps)), min(len(self.comp), int(round(end_s * fps)))
        voted = self.top_idx[a:b] >= 0  # (a step with nothing to compare votes for nothing)
        return (self.top_idx[a:b] - np.arange(a, b)[:, None])[voted]


def rival_z(checks: list[PictureCheck], start_s: float, end_s: float, stream_start_s: float, speed: float,
            n: int = 8) -> float:
    """The best summed `z_along` of `checks` over the other lines (more than 1 s from this one)
    their top matches vote for most, `n` of them."""
    return max([0.0] + [sum(check.z_along(start_s, end_s, other, speed) for check in checks)
                        for other in rival_lines(checks, start_s, end_s, stream_start_s, n)])


def rival_lines(checks: list[PictureCheck], start_s: float, end_s: float, stream_start_s: float,
                n: int = 8) -> list[float]:
    """Where in the stream (at `start_s`) the other lines start that the stretch's top matches in
    `checks` vote for most (more than 1 s from this one), `n` of them, most votes first."""
    fps = checks[0].stream.fps
    a = int(round(start_s * fps))
    if int(round(end_s * fps)) <= a:
        return []
    values, counts = np.unique(np.concatenate([check.votes(start_s, end_s) for check in checks]), return_counts=True)
    own = stream_start_s * fps - a
    return [(a + offset) / fps for offset in values[np.argsort(-counts)] if abs(offset - own) > fps][:n]


_NOTHING = -(10**9)  # the best match of a step with nothing to compare


def _top_rows(sims_t: np.ndarray, k: int, block: int = 16) -> np.ndarray:
    """Per column of `sims_t` (stream steps x compilation steps), the rows of its `k` largest
    values, in no order: [columns, k]. The k largest lie in the k blocks of `block` rows with
    the largest maxima, so only those are searched (a full partition of every column was most
    of a long alignment's time); and the stream's steps run down the rows so that a block's
    maxima are taken along memory (across it, in pairwise halvings, they were a sixth of it)."""
    n, m = sims_t.shape
    if n <= k * block * 2:
        return np.argpartition(-sims_t.T, k - 1, axis=1)[:, :k]
    padded = np.pad(sims_t, ((0, -n % block), (0, 0)), constant_values=-np.inf) if n % block else sims_t
    blocks = padded.reshape(-1, block, m)
    best_blocks = np.argpartition(-blocks.max(axis=1).T, k - 1, axis=1)[:, :k]  # [m, k]
    candidates = blocks[best_blocks, :, np.arange(m)[:, None]].reshape(m, -1)  # [m, k * block]
    rows = (best_blocks[:, :, None] * block + np.arange(block)).reshape(m, -1)
    pick = np.argpartition(-candidates, k - 1, axis=1)[:, :k]
    return np.take_along_axis(rows, pick, 1)


def picture_pieces(stream: FeatureFile, compilation: FeatureFile, params: PictureParams = PictureParams(),
                   progress=None, views: tuple[View, View] = (embedding, embedding)
                   ) -> tuple[list[Piece], PictureCheck]:
    """Matches found by comparing `views` (of the stream's steps, of the compilation's), and
    the check of any line under the same comparison."""
    fps = stream.fps
    stream_view, comp_view = views
    stats = _stream_rows(stream, params.chunk_steps, stream_view, params.search_dims)
    centre, basis = stats.centre, stats.basis
    comp = compilation.read(0, compilation.n_steps)
    c = _in_stream_terms(comp_view(comp), stats)
    c[~comp.frame_ok] = 0.0
    # Each step's best matches are sought on the principal directions (a quarter of the cost of
    # 512 columns, the same best matches but for near ties); every decision after that, on all.
    c_search = c @ basis if basis is not None else c
    m, n = len(c), stream.n_steps
    k = min(params.top_k, n)
    top_sim = np.full((m, k), -np.inf, np.float32)
    top_idx = np.zeros((m, k), np.int64)
    for start in range(0, n, params.chunk_steps):
        window = read_for(stream_view, stream, start, params.chunk_steps)
        every = slice(None, None, params.stream_stride)
        s = _normalised(stream_view(window)[every], centre)
        s[~window.frame_ok[every]] = 0.0
        s_search = s @ basis if basis is not None else s
        for rows in range(0, m, params.row_block):  # (a block's similarities stay in the CPU's cache)
            block = slice(rows, rows + params.row_block)
            sims_t = s_search @ c_search[block].T  # [chunk / stride, rows]
            part = _top_rows(sims_t, min(k, sims_t.shape[0]))
            both_sim = np.concatenate([top_sim[block], sims_t[part, np.arange(len(part))[:, None]]], 1)
            both_idx = np.concatenate([top_idx[block], part * params.stream_stride + start], 1)
            keep = np.argsort(-both_sim, axis=1)[:, :k]
            top_sim[block], top_idx[block] = np.take_along_axis(both_sim, keep, 1), np.take_along_axis(both_idx, keep, 1)
        if progress:
            progress(min(n, start + params.chunk_steps), n)
    # A step with nothing to compare (no frame, a flat card) ties with every stream step: it
    # votes for nothing. The steps of a still picture (a card, a pause) all have the same best
    # matches, which line up as a diagonal through a still stretch of the stream; sought among
    # every other stream step, each vote reaches a step further either way and a card's steps
    # join a clip's run (Super Mario's purple title card onto the dark screen before a level):
    # there they vote for nothing either. (Among every step, a pause inside a clip still votes:
    # without, Ms. Pac-Man lost a clip under four of the seven edits.)
    still = step_motion(comp.visual) < params.min_motion
    top_idx[~c.any(axis=1) | (still & (params.stream_stride > 1))] = _NOTHING
    offsets = top_idx - np.arange(m)[:, None]  # [m, k] offsets of each step's best matches
    votes = Counter(offsets.ravel().tolist())
    min_len = max(1, int(round(params.min_run_s * fps)))
    max_gap = int(round(params.max_gap_s * fps))
    # A clip votes for its offset and, through its near-duplicate neighbours among the top
    # matches, for offsets a few steps either side: keep local maxima, one per clip.
    peaks = [o for o, count in votes.items() if count >= min_len // 2
             and all(votes.get(o + d, 0) <= count for d in (-2, -1, 1, 2))]
    cap = max(params.max_candidates, 2 * m // min_len)  # room for as many clips as fit
    candidates = sorted(peaks, key=lambda o: -votes[o])[:cap]
    found = []
    for offset in candidates:
        near = np.abs(offsets - offset) <= 1  # the diagonal is among the step's top matches
        hit, first = near.any(axis=1), near[:, 0]
        for a, b in runs(hit, max_gap, min_len):
            lo, hi = max(a, -offset), min(b, n - offset)
            if hi - lo < min_len:
                continue
            diag = np.einsum("ij,ij->i", c[lo:hi], _normalised(stream_view(read_for(stream_view, stream, lo + offset, hi - lo)), centre))
            found.append((float(first[lo:hi].mean()), float(hit[lo:hi].mean()), offset, lo, hi,
                          float(diag.mean())))

    owner = np.full(m, -1)  # which match claimed each compilation step
    matches: list[tuple[int, int, int, float, float, float]] = []
    for top_share, density, offset, a, b, similarity in sorted(found, key=lambda f: (f[0] * f[1], f[5]),
                                                                  reverse=True):
        for ra, rb in runs(owner[a:b] < 0, 0, min_len):
            owner[a + ra:a + rb] = len(matches)
            matches.append((offset, a + ra, a + rb, similarity, top_share, density))
    pieces: list[Piece] = []
    limit = int(round(params.extend_s * fps))
    standing = standing_still(comp, params)
    junction = np.zeros(m, bool)  # short unclaimed gaps between two matches: crossfades
    for a, b in runs(owner < 0, 0, 1):
        if 0 < a and b < m and b - a <= limit:
            junction[a:b] = True
    for index, (offset, a, b, similarity, top_share, density) in enumerate(matches):
        a, b = _extend_into_crossfades(c, stream, stream_view, centre, offset, a, b, similarity, owner, junction,
                                       index, limit)
        # A still stretch (a card, a black or paused screen) looks the same at every offset of
        # any still moment of the stream: the picture cannot place it in time.
        if standing[a:b].mean() > params.max_still_share:
            owner[a:b] = -1  # reported as no match
            continue
        confident = top_share >= params.min_top_share and density >= params.min_density \
            and similarity >= params.min_similarity
        pieces.append(Piece(a / fps, b / fps, (a + offset) / fps, (b + offset) / fps, similarity,
                            top_share * density, "match" if confident else "low confidence", "picture", 1.0))
    claimed = owner >= 0
    for a, b in runs(~claimed, 0, max(1, int(round(fps)))):
        pieces.append(Piece(a / fps, b / fps))
    # Each compilation step's similarities to the stream's steps, their mean and spread,
    # without a pass over them: from the sampled rows' sum and gram.
    c64 = c.astype(np.float64)
    count = max(stats.count, 1)
    mean = c64 @ stats.row_sum / count
    std = np.sqrt(np.maximum(((c64 @ stats.gram) * c64).sum(1) / count - mean**2, 0.0)) + 1e-3
    return sorted(pieces, key=lambda p: p.start), PictureCheck(stream, stream_view, centre, c, mean, std, still, top_idx,
                                                               still if comp_view is embedding else standing, params)


def _extend_into_crossfades(c: np.ndarray, stream: FeatureFile, view: View, centre: np.ndarray, offset: int, a: int,
                            b: int, similarity: float, owner: np.ndarray, junction: np.ndarray, index: int,
                            limit: int) -> tuple[int, int]:
    """Grow a match into a neighbouring match's steps, or a short gap between two matches,
    while its own diagonal still holds (>= 0.3 x its mean similarity): in a crossfade both
    clips are on screen, and run detection splits the overlap near its middle. Never into a
    longer unmatched stretch: a title card can look as similar to some stream stretch as a
    faded clip does."""
    lo, hi = max(0, a - limit, -offset), min(len(c), b + limit, stream.n_steps - offset)
    if hi <= lo:
        return a, b
    diag = np.einsum("ij,ij->i", c[lo:hi], _normalised(view(read_for(view, stream, lo + offset, hi - lo)), centre))

    def grows(j: int) -> bool:
        neighbour = (owner[j] >= 0 and owner[j] != index) or junction[j]
        return neighbour and diag[j - lo] >= 0.3 * similarity

    while a > lo and grows(a - 1):
        a -= 1
    while b < hi and grows(b):
        b += 1
    return a, b
