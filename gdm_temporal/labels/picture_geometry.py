"""Where the stream's picture sits in the compilation's, so the two videos' motion grids can be
compared cell by cell.

The cache's motion block holds, per step, how much each cell of an 8x8 grid over the whole
frame changed. What moves where is a far sharper picture of a moment of play than a pooled
embedding (a ball, a paddle, a ghost in one corner), and it survives re-encoding, a lower
bitrate and recolouring; but an editor who letterboxes a 4:3 game into 16:9 or crops the centre
9:16 for a phone moves every cell. Editors centre the picture, so the geometry is two numbers:
the stream picture's width and height as fractions of the compilation frame's (below 1: bars
around it; above 1: cropped). They are fitted on stretches whose line is already known (clips
the sound is sure of): the box under which the stream's motion, carried into the compilation's
cells, correlates best with the compilation's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from gdm_features import FeatureFile
from gdm_features.motion import GRID, mean_changes
from gdm_features.picture import SIDE
from gdm_features.store import FeatureSlice

from .picture_match import View, reading

_SIZES = np.round(np.arange(0.3, 1.81, 0.02), 2)  # the widths and heights tried
_MIN_COVER = 0.1  # a compilation cell is compared where the stream's picture covers this much of it
_MIN_STEPS = 25  # the fit needs this many anchored steps (5 s at 5 steps/s)...
_FIT_STEPS = 1500  # ...and is made on at most this many (their motion)...
_FIT_PICTURES = 300  # ...and this many pictures (as sharp a fit: a picture holds 16 times the cells)
# Fitted on fewer anchored clips than this, the geometry takes the videos' typical screens
# (`profile_box`) as one more witness: one clip's pictures may agree as well under a wrong box
# (Space Invaders, letterboxed, one clip heard: 0.42 x 0.5 for 0.42 x 1, correlating 0.38).
_FEW_ANCHORS = 3
MIN_FIT = 0.3  # a fit correlating less than this is no geometry (the anchors' pictures are stills or unrelated)
_STILL = 0.5  # grey levels summed over the cells: a step that changed less than this did not move


@dataclass(frozen=True)
class Box:
    """The stream's picture in the compilation's frame, centred: its width and height as
    fractions of the frame's."""

    width: float = 1.0
    height: float = 1.0

    @staticmethod
    def _axis(size: float, n: int) -> np.ndarray:
        """`[compilation cell, stream cell]` share of each compilation cell's extent (along one
        axis, `n` cells a side) that falls on each stream cell."""
        edges = (np.arange(n + 1) / n - (1 - size) / 2) / size  # compilation cell edges, in stream units
        lo, hi = edges[:-1, None], edges[1:, None]
        s_lo, s_hi = np.arange(n)[None, :] / n, np.arange(1, n + 1)[None, :] / n
        return np.clip(np.minimum(hi, s_hi) - np.maximum(lo, s_lo), 0, None) * n

    def shares(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns): `[n, n]` each, the share of a compilation cell's height (width) that
        each stream row (column) of cells covers; a cell's area share is their product."""
        return self._axis(self.height, n) * self.height, self._axis(self.width, n) * self.width

    @cached_property
    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(`[64 compilation cells, 64 stream cells]`: the share of each compilation cell's area
        that each stream cell covers, so a compilation cell's mean change is their weighted sum
        (a bar adds no change); the compilation cells the stream's picture reaches at all)."""
        weights = np.kron(*self.shares(GRID))
        return weights, weights.sum(1) >= _MIN_COVER

    def carried(self, stream_cells: np.ndarray, dtype=np.float32) -> np.ndarray:
        """The stream's mean changes per cell (`[n, 64]`) as the compilation's compared cells
        would show them, log-scaled (a scaled or partly covered picture shifts a log motion
        instead of scaling its swings)."""
        weights, keep = self.cells
        return np.log1p(stream_cells.astype(dtype) @ weights.T.astype(dtype))[:, keep]

    @cached_property
    def picture_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(`[compared rows, SIDE]` row shares, `[SIDE, compared columns]` column shares, the
        compilation picture cells compared: those the stream's picture reaches, a rectangle)
        for the small grey pictures."""
        rows, columns = self.shares(SIDE)
        row_kept, column_kept = rows.sum(1) >= np.sqrt(_MIN_COVER), columns.sum(1) >= np.sqrt(_MIN_COVER)
        keep = np.outer(row_kept, column_kept).ravel()
        return rows[row_kept].astype(np.float32), np.ascontiguousarray(columns[column_kept].T, np.float32), keep

    def picture_carried(self, pictures: np.ndarray) -> np.ndarray:
        """The stream's small grey pictures (`[n, SIDE * SIDE]`) as the compilation's compared
        cells would show them: each cell the area-weighted sum of the stream's cells under it
        (a black bar adds nothing), so what the editor's scaling blurred, carrying blurs alike."""
        rows, columns_t, _ = self.picture_cells
        n = len(pictures)
        # Two plain matrix products (numpy's batched small ones are several times slower).
        across = pictures.reshape(n * SIDE, SIDE).astype(np.float32) @ columns_t  # [n * SIDE rows, columns]
        across = across.reshape(n, SIDE, -1).transpose(0, 2, 1).reshape(-1, SIDE)  # [n * columns, SIDE rows]
        carried = (across @ rows.T).reshape(n, columns_t.shape[1], len(rows))  # [n, columns, rows]
        return np.ascontiguousarray(carried.transpose(0, 2, 1)).reshape(n, -1)

    def picture_own(self, pictures: np.ndarray) -> np.ndarray:
        return pictures.astype(np.float32)[:, self.picture_cells[2]]

    def own(self, comp_cells: np.ndarray, dtype=np.float32) -> np.ndarray:
        """The compilation's mean changes per cell in its compared cells, log-scaled alike."""
        return np.log1p(comp_cells.astype(dtype))[:, self.cells[1]]


def grid_views(box: Box) -> tuple[View, View]:
    """(stream view, compilation view): each video's motion grid per step in the compilation's
    cells that the stream's picture covers (`Box.carried`, `Box.own`)."""

    @reading("motion")
    def stream_view(window: FeatureSlice) -> np.ndarray:
        return box.carried(mean_changes(window.motion))

    @reading("motion")
    def comp_view(window: FeatureSlice) -> np.ndarray:
        return box.own(mean_changes(window.motion))

    return stream_view, comp_view


def picture_views(box: Box) -> tuple[View, View]:
    """(stream view, compilation view): each video's small grey picture per step (the cache's
    picture block) in the compilation's cells that the stream's picture covers
    (`Box.picture_carried`, `Box.picture_own`)."""

    @reading("picture")
    def stream_view(window: FeatureSlice) -> np.ndarray:
        return box.picture_carried(window.picture)

    @reading("picture")
    def comp_view(window: FeatureSlice) -> np.ndarray:
        return box.picture_own(window.picture)

    return stream_view, comp_view


@dataclass(frozen=True)
class _Seen:
    """What the two videos show where the geometry is fitted: motion grids (`[rows, 64]`) and,
    where both caches hold them, small grey pictures (`[rows, SIDE * SIDE]`), row by row the
    same moments (anchored steps), or one row each (the videos' typical screens)."""

    stream_grid: np.ndarray
    comp_grid: np.ndarray
    stream_pictures: np.ndarray | None = None
    comp_pictures: np.ndarray | None = None


def _correlations(a: np.ndarray, b: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per stretch of rows (the k-th from `starts[k]` to the next start), the correlation of `a`
    with `b`: centred per column where the stretch has several rows, else over its one row.
    All stretches at once: one call per stretch was most of a long alignment's geometry fit."""
    counts = np.diff(np.r_[starts, len(a)])
    centres = []
    for x in (a, b):
        mean = np.add.reduceat(x, starts, axis=0) / counts[:, None]
        single = counts == 1
        mean[single] = x[starts[single]].mean(1, keepdims=True)
        centres.append(x - np.repeat(mean, counts, axis=0))
    ca, cb = centres
    sums = [np.add.reduceat((u * v).sum(1), starts) for u, v in ((ca, cb), (ca, ca), (cb, cb))]
    return sums[0] / np.sqrt(sums[1] * sums[2] + 1e-12)


def _agreements(seen: _Seen, starts: np.ndarray, picture_starts: np.ndarray | None, box: Box) -> np.ndarray:
    """Per stretch, the correlation of what the compilation shows with the stream's carried into
    its cells under `box`: of the motion, and the mean with that of the pictures where there are
    pictures (the motion alone is all but blind to the width of a game that moves across the
    whole screen, as Space Invaders' formation does; the picture alone, to the height of a
    screen that is mostly black)."""
    if box.cells[1].sum() < 4:
        return np.full(len(starts), -1.0)
    motion = _correlations(box.carried(seen.stream_grid, np.float64), box.own(seen.comp_grid, np.float64), starts)
    if picture_starts is None:
        return motion
    pictures = _correlations(box.picture_carried(seen.stream_pictures).astype(np.float64),
                             box.picture_own(seen.comp_pictures).astype(np.float64), picture_starts)
    return (motion + pictures) / 2


def _best_box(seen: _Seen | list[_Seen]) -> tuple[Box, float] | None:
    """The box under which what the videos show agrees best: over several stretches (anchored
    clips), the median of their agreements, so a clip whose line is wrong in part (a sound
    carried past its clip) does not pull the geometry to its own."""
    stretches = seen if isinstance(seen, list) else [seen]
    pictures = all(s.stream_pictures is not None and s.comp_pictures is not None for s in stretches)

    def joined(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(rows), np.cumsum([0] + [len(r) for r in rows[:-1]])

    (stream_grid, starts), (comp_grid, _) = joined([s.stream_grid for s in stretches]), \
        joined([s.comp_grid for s in stretches])
    together = _Seen(stream_grid, comp_grid)
    picture_starts = None
    if pictures:
        (stream_pictures, picture_starts), (comp_pictures, _) = joined([s.stream_pictures for s in stretches]), \
            joined([s.comp_pictures for s in stretches])
        together = _Seen(stream_grid, comp_grid, stream_pictures, comp_pictures)

    def agreement(box: Box) -> float:
        return float(np.median(_agreements(together, starts, picture_starts, box)))

    box, best = Box(), agreement(Box())
    for _ in range(2):  # width, then height, twice: the two barely interact
        for axis in ("width", "height"):
            for size in _SIZES:
                candidate = Box(float(size), box.height) if axis == "width" else Box(box.width, float(size))
                value = agreement(candidate)
                if value > best + 1e-9:
                    box, best = candidate, value
    return (box, best) if best >= MIN_FIT else None


def _pictures(stream: FeatureFile, compilation: FeatureFile) -> bool:
    return bool(stream.picture_dim and compilation.picture_dim)


def fitted_box(stream: FeatureFile, compilation: FeatureFile, anchors: Sequence[tuple[float, float, float, float]],
               screens: TypicalScreens | None = None) -> tuple[Box, float] | None:
    """The geometry under which the anchored stretches agree best, step by step, and how well
    (a correlation); None without motion blocks or enough anchored steps. An anchor is
    `(start_s, end_s, stream_start_s, speed)` of a stretch whose line is known; `screens`, the
    two videos' typical screens where a caller fits more than once (worked out when needed)."""
    if not stream.motion_dim or not compilation.motion_dim:
        return None
    fps, pictures = compilation.fps, _pictures(stream, compilation)
    comp = compilation.read(0, compilation.n_steps)
    rows_s, rows_c, pictures_s, pictures_c = [], [], [], []
    for start_s, end_s, stream_start_s, speed in anchors:
        i = np.arange(int(np.ceil(start_s * fps)), min(compilation.n_steps, int(end_s * fps)))
        j = np.round((stream_start_s + speed * (i / fps - start_s)) * fps).astype(np.int64)
        ok = (j >= 0) & (j < stream.n_steps) & comp.frame_ok[i]
        if ok.sum() < 2:
            continue
        window = stream.read(int(j[ok].min()), int(j[ok].max() - j[ok].min() + 1), ("motion", "picture"))
        rows_s.append(mean_changes(window.motion[j[ok] - j[ok].min()]))
        rows_c.append(mean_changes(comp.motion[i[ok]]))
        pictures_s.append(window.picture[j[ok] - j[ok].min()])
        pictures_c.append(comp.picture[i[ok]])
    if sum(len(r) for r in rows_c) < _MIN_STEPS:
        return None
    steps = sum(len(r) for r in rows_c)
    every, every_picture = -(-steps // _FIT_STEPS), -(-steps // _FIT_PICTURES)  # thinned: the fit is as good
    seen = [_Seen(a[::every], b[::every], *((p[::every_picture], q[::every_picture]) if pictures else (None, None)))
            for a, b, p, q in zip(rows_s, rows_c, pictures_s, pictures_c)]
    if len(seen) < _FEW_ANCHORS:
        seen.append((screens or TypicalScreens(stream, compilation)).seen)
    return _best_box(seen)


def _typical(video: FeatureFile, pictures: bool, sample: int = 20000, chunk: int = 16384
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """(`[1, 64]`: the mean change per cell over the steps where anything moved; `[1, SIDE *
    SIDE]`: the median grey level per picture cell over the steps with a frame (from at most
    `sample` steps: an overlay on half a compilation's clips leaves it be), or None)."""
    total, count, kept = np.zeros(GRID * GRID), 0, []
    every = max(1, video.n_steps // sample)
    for start in range(0, video.n_steps, chunk):
        window = video.read(start, chunk, ("motion", "picture"))
        grid = mean_changes(window.motion).astype(np.float64)
        moving = window.frame_ok & (grid.sum(1) > _STILL)
        total += grid[moving].sum(0)
        count += int(moving.sum())
        if pictures:
            kept.append(window.picture[window.frame_ok][::every])
    median = np.median(np.concatenate(kept), axis=0)[None, :] if kept and sum(map(len, kept)) else None
    return (total / max(count, 1))[None, :], median


class TypicalScreens:
    """The two videos' typical screens (`_typical`), read the first time they are asked for and
    then kept: each reading is a pass over the stream (1.8 s of CPU for 10 hours), and one
    alignment may fit the geometry on them three times."""

    def __init__(self, stream: FeatureFile, compilation: FeatureFile):
        self._videos = (stream, compilation)

    @cached_property
    def seen(self) -> _Seen:
        pictures = _pictures(*self._videos)
        (stream_grid, stream_picture), (comp_grid, comp_picture) = (_typical(video, pictures) for video in self._videos)
        if stream_picture is None or comp_picture is None:
            stream_picture = comp_picture = None
        return _Seen(stream_grid, comp_grid, stream_picture, comp_picture)


def profile_box(stream: FeatureFile, compilation: FeatureFile,
                screens: TypicalScreens | None = None) -> tuple[Box, float] | None:
    """The geometry without any known line: where on screen each video moves, on average, and
    what its screen typically shows, are the game's layout (Breakout's ball and paddle, Space
    Invaders' formation over the ground), and the box that carries the stream's layout onto
    the compilation's is the editor's. Measured on Atari compilations (Breakout, Ms. Pac-Man,
    Space Invaders): no change 1.0 x 1.0-1.02, letterboxes 0.38-0.44 wide for 0.43, 9:16 crops
    1.32-1.4 for 1.36 (by motion alone: Space Invaders' letterbox 0.32 x 0.52)."""
    if not stream.motion_dim or not compilation.motion_dim:
        return None
    return _best_box((screens or TypicalScreens(stream, compilation)).seen)


def likeliest_box(stream: FeatureFile, compilation: FeatureFile, anchors: Sequence[tuple[float, float, float, float]],
                  screens: TypicalScreens | None = None) -> tuple[Box, float] | None:
    """The geometry fitted on `anchors` (`fitted_box`) or, where it agrees better, the one the
    typical screens give (`profile_box`): the anchors may include clips the sound alone placed,
    and a game that replays its sound puts some on wrong lines (Space Invaders sped up: a box
    0.3 high agreeing at 0.39, for the whole screen at 0.87)."""
    fits = [fitted_box(stream, compilation, anchors, screens), profile_box(stream, compilation, screens)]
    return max([f for f in fits if f], key=lambda f: f[1], default=None)
