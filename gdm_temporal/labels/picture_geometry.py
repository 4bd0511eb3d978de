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

from .picture_match import View

_SIZES = np.round(np.arange(0.3, 1.81, 0.02), 2)  # the widths and heights tried
_MIN_COVER = 0.1  # a compilation cell is compared where the stream's picture covers this much of it
_MIN_STEPS = 25  # the fit needs this many anchored steps (5 s at 5 steps/s)...
_FIT_STEPS = 1500  # ...and is made on at most this many
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

    def own(self, comp_cells: np.ndarray, dtype=np.float32) -> np.ndarray:
        """The compilation's mean changes per cell in its compared cells, log-scaled alike."""
        return np.log1p(comp_cells.astype(dtype))[:, self.cells[1]]


def grid_views(box: Box) -> tuple[View, View]:
    """(stream view, compilation view): each video's motion grid per step in the compilation's
    cells that the stream's picture covers (`Box.carried`, `Box.own`)."""

    def stream_view(window: FeatureSlice) -> np.ndarray:
        return box.carried(mean_changes(window.motion))

    def comp_view(window: FeatureSlice) -> np.ndarray:
        return box.own(mean_changes(window.motion))

    return stream_view, comp_view


def picture_views(box: Box) -> tuple[View, View]:
    """(stream view, compilation view): each video's small grey picture per step (the cache's
    picture block) in the compilation's cells that the stream's picture covers. A compilation
    cell shows the stream's cells under it, weighted by area (a black bar adds nothing), so the
    stream's picture is carried into the compilation's geometry; what the editor's scaling
    blurred, the carrying blurs alike."""
    rows, columns = box.shares(SIDE)
    keep = np.outer(rows.sum(1), columns.sum(1)).ravel() >= _MIN_COVER
    rows, columns_t = rows.astype(np.float32), np.ascontiguousarray(columns.T, np.float32)

    def stream_view(window: FeatureSlice) -> np.ndarray:
        grey = window.picture.reshape(-1, SIDE, SIDE).astype(np.float32)
        return (rows @ grey @ columns_t).reshape(len(grey), -1)[:, keep]

    def comp_view(window: FeatureSlice) -> np.ndarray:
        return window.picture.astype(np.float32)[:, keep]

    return stream_view, comp_view


def _agreement(stream_grid: np.ndarray, comp_grid: np.ndarray, box: Box) -> float:
    """Correlation of the compilation's motion with the stream's carried into its cells under
    `box` (both `[rows, 64]`, centred per cell where there are several rows)."""
    if box.cells[1].sum() < 4:
        return -1.0
    a, b = box.carried(stream_grid, np.float64), box.own(comp_grid, np.float64)
    centre = len(a) > 1
    a, b = a - (a.mean(0) if centre else a.mean()), b - (b.mean(0) if centre else b.mean())
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-12))


def _best_box(stream_grid: np.ndarray, comp_grid: np.ndarray) -> tuple[Box, float] | None:
    box, best = Box(), _agreement(stream_grid, comp_grid, Box())
    for _ in range(2):  # width, then height, twice: the two barely interact
        for axis in ("width", "height"):
            for size in _SIZES:
                candidate = Box(float(size), box.height) if axis == "width" else Box(box.width, float(size))
                value = _agreement(stream_grid, comp_grid, candidate)
                if value > best + 1e-9:
                    box, best = candidate, value
    return (box, best) if best >= MIN_FIT else None


def fitted_box(stream: FeatureFile, compilation: FeatureFile,
               anchors: Sequence[tuple[float, float, float, float]]) -> tuple[Box, float] | None:
    """The geometry under which the anchored stretches' motion agrees best, step by step, and
    how well (a correlation); None without motion blocks or enough anchored steps. An anchor is
    `(start_s, end_s, stream_start_s, speed)` of a stretch whose line is known."""
    if not stream.motion_dim or not compilation.motion_dim:
        return None
    fps = compilation.fps
    comp = compilation.read(0, compilation.n_steps)
    rows_s, rows_c = [], []
    for start_s, end_s, stream_start_s, speed in anchors:
        i = np.arange(int(np.ceil(start_s * fps)), min(compilation.n_steps, int(end_s * fps)))
        j = np.round((stream_start_s + speed * (i / fps - start_s)) * fps).astype(np.int64)
        ok = (j >= 0) & (j < stream.n_steps) & comp.frame_ok[i]
        if ok.sum() < 2:
            continue
        window = stream.read(int(j[ok].min()), int(j[ok].max() - j[ok].min() + 1))
        rows_s.append(mean_changes(window.motion[j[ok] - j[ok].min()]))
        rows_c.append(mean_changes(comp.motion[i[ok]]))
    if sum(len(r) for r in rows_c) < _MIN_STEPS:
        return None
    stream_grid, comp_grid = np.concatenate(rows_s), np.concatenate(rows_c)
    every = -(-len(comp_grid) // _FIT_STEPS)  # a long compilation's anchors, thinned: the fit is as good
    return _best_box(stream_grid[::every], comp_grid[::every])


def _where_it_moves(video: FeatureFile, chunk: int = 16384) -> np.ndarray:
    """`[1, 64]`: the mean change per cell over the steps where anything moved."""
    total, count = np.zeros(GRID * GRID), 0
    for start in range(0, video.n_steps, chunk):
        window = video.read(start, chunk)
        grid = mean_changes(window.motion).astype(np.float64)
        moving = window.frame_ok & (grid.sum(1) > _STILL)
        total += grid[moving].sum(0)
        count += int(moving.sum())
    return (total / max(count, 1))[None, :]


def profile_box(stream: FeatureFile, compilation: FeatureFile) -> tuple[Box, float] | None:
    """The geometry without any known line: where on screen each video moves, on average, is
    the game's layout (Breakout's ball and paddle, Space Invaders' formation in the middle), and
    the box that carries the stream's layout onto the compilation's is the editor's. Measured
    on Atari compilations: letterboxes within 0.03 of their width (0.46 and 1.18 high for one
    of 0.43 and 1.0), 9:16 crops 1.24-1.5 for 1.36, no change 0.94-1.06."""
    if not stream.motion_dim or not compilation.motion_dim:
        return None
    return _best_box(_where_it_moves(stream), _where_it_moves(compilation))
