"""The sound's proposals: which lines `stream = intercept + speed x compilation` are worth
deciding on.

Every constellation of compilation onsets that the stream also holds votes for a line, once
per speed on a coarse grid (the compilation's onset times are scaled back before hashing).
Each 3 s stretch of the compilation nominates the lines its own onsets vote for most: a clip's
line leads where the clip plays, even where a rhythm the game repeats gathers more votes over
the whole video. The compilation's constellations reach further ahead than the stream's (three
of the next six onsets of a band, against four), so onsets that music or a voice inserts
between the game's do not break them. The compilation is taken two minutes at a time, so the
votes of a long one never all sit in memory.
"""

from __future__ import annotations

import numpy as np

from .audio_print import FRAME_S, MAX_SPAN_FRAMES, Onsets, PrintIndex, constellations
from .sound_evidence import Line, SoundParams

SPEEDS = tuple(round(1.0 + k / 50, 2) for k in range(-3, 4))  # 0.94 ... 1.06; the refit measures finer
BIN_S = 0.1  # lines are proposed on a 0.1 s grid of intercepts
QUERY_FAN_OUT = 6  # the compilation's constellations: three of the next six onsets of a band
MAX_SPAN_S = MAX_SPAN_FRAMES * FRAME_S
_CHUNK_S = 120.0  # the compilation is proposed for this much at a time


def _top_per_window(window: np.ndarray, votes: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` largest `votes` of each window (ties: the earlier)."""
    # One sort on one key (window, then most votes first; ties in order): a two-key lexsort was
    # a tenth of the sound's time on a long alignment.
    span = float(votes.max() - votes.min()) + 1.0 if len(votes) else 1.0
    candidates = np.arange(len(votes))
    if len(votes) > 64 * n:
        # Most lines get a vote or two. A window with `n` lines at or above a high quantile has
        # its `n` largest among them; the others keep all theirs. The sort below, of every
        # line, was a quarter of the sound's time on a long alignment.
        floor = np.partition(votes, int(0.9 * len(votes)))[int(0.9 * len(votes))]
        high = votes >= floor
        _, at, count = np.unique(window[high], return_inverse=True, return_counts=True)
        full = np.zeros(len(votes), bool)
        full[high] = count[at] >= n
        # (A line a hair below the quantile stays: in the sort's one key it may tie with one at it.)
        candidates = np.flatnonzero((votes >= floor - 1e-6) | ~np.isin(window, window[full]))
    window, votes = window[candidates], votes[candidates]
    order = np.argsort(window * span - votes, kind="stable")
    rank = np.arange(len(order)) - np.searchsorted(window[order], window[order])
    return candidates[order[rank < n]]


def _window_votes(compilation: Onsets, stream: PrintIndex, speed: float, lo_s: float, hi_s: float,
                  params: SoundParams) -> tuple[np.ndarray, ...]:
    """(window, votes, intercept) of the lines each window starting in [lo_s, hi_s) votes for
    most, at one speed. Windows are `window_s` long, every half window."""
    step = params.window_s / 2
    inside = (compilation.frames * FRAME_S >= lo_s - step) & (compilation.frames * FRAME_S < hi_s + params.window_s
                                                              + MAX_SPAN_S)
    part = Onsets(compilation.frames[inside], compilation.bands[inside], compilation.seconds)
    hashes, anchors, ids = constellations(part.scaled(speed), jitter=True, fan_out=QUERY_FAN_OUT)
    query, stream_frames, weight = stream.matches(hashes)
    comp_s = anchors[query] / speed * FRAME_S
    window = np.floor(comp_s / step).astype(np.int64)  # the later of the two windows holding it
    keep = (window * step >= lo_s - step) & (window * step < hi_s + step)
    if not keep.any():
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    comp_s, stream_frames, weight, ids, window = comp_s[keep], stream_frames[keep], weight[keep], ids[query][keep], \
        window[keep]
    key = np.round((stream_frames * FRAME_S - speed * comp_s) / BIN_S).astype(np.int64)
    base = int(key.min()) - 1
    key -= base
    span = int(key.max()) + 2
    # One stable sort by (window, line, constellation) serves both the dedup and the cells: one
    # vote per constellation per line, however many of its jittered hashes hit (the first's
    # weight), summed per cell in constellation order. (A constellation's anchor fixes its
    # window.) Three sorts here were a third of the sound's time on a long alignment.
    cell_of = window * span + key
    order = np.argsort(cell_of * (int(ids.max()) + 1) + ids, kind="stable")
    cell_of, ids, weight = cell_of[order], ids[order], weight[order]
    first = np.r_[True, (cell_of[1:] != cell_of[:-1]) | (ids[1:] != ids[:-1])]
    cell_of, weight = cell_of[first], weight[first]
    starts = np.r_[True, cell_of[1:] != cell_of[:-1]]
    cell = cell_of[starts]
    own = np.bincount(np.cumsum(starts) - 1, weights=weight)
    # A line's votes spill into the next bin: each cell counts with its neighbours (cells are
    # sorted and distinct, so a neighbour is the next or the previous cell, or none).
    after = np.r_[cell[1:] == cell[:-1] + 1, False]
    before = np.r_[False, after[:-1]]
    total = own + np.where(before, np.r_[0.0, own[:-1]], 0.0) + np.where(after, np.r_[own[1:], 0.0], 0.0)
    # Each vote counts in the window starting at its half-window and in the one before (the
    # same cells a window earlier, with the same totals): a merge of the two sorted runs.
    both = np.concatenate([cell, cell - span])
    order = np.argsort(both, kind="stable")
    both = both[order]
    group = np.r_[True, both[1:] != both[:-1]]
    cells = both[group]
    votes = np.bincount(np.cumsum(group) - 1, weights=np.concatenate([total, total])[order])
    window, intercept = cells // span, (cells % span + base) * BIN_S
    mine = (window * step >= lo_s) & (window * step < hi_s)
    top = _top_per_window(window[mine], votes[mine], params.per_window)
    return window[mine][top], votes[mine][top], intercept[mine][top]


def nominated(stream: PrintIndex, compilation: Onsets, params: SoundParams = SoundParams()
              ) -> list[tuple[Line, float, float]]:
    """(line, first and last compilation second of the stretches that nominated it) of every
    proposed line. The compilation is taken a few minutes at a time, so the votes of a long
    one never all sit in memory."""
    lines: dict[Line, tuple[float, float]] = {}
    step = params.window_s / 2
    for lo_s in np.arange(0.0, max(compilation.seconds, step), _CHUNK_S):
        found = [(w, v, b, np.full(len(w), speed)) for speed in SPEEDS
                 for w, v, b in [_window_votes(compilation, stream, speed, lo_s, lo_s + _CHUNK_S, params)]]
        window, votes, intercept, speeds = (np.concatenate(x) for x in zip(*found))
        top = _top_per_window(window, votes, params.per_window)
        for w, b, v in zip(window[top].tolist(), intercept[top].tolist(), speeds[top].tolist()):
            line, at = Line(v, round(b, 3)), w * step
            first, last = lines.get(line, (at, at))
            lines[line] = (min(first, at), max(last, at + params.window_s))
    return [(line, lo, hi) for line, (lo, hi) in lines.items()]


def replays(stream: PrintIndex, line: Line, first: float, last: float, params: SoundParams = SoundParams()
            ) -> list[Line]:
    """Compilation lines through the other passages of the stream that sound like the one
    `line` maps `[first, last]` to: a game that replays a jingle, a serve or a march has many
    passages alike, and the compilation's stretch may have come from any of them. The passage
    is proposed against the stream itself (at its own speed), leaving out itself."""
    start, end = line.stream_at(first), line.stream_at(last)
    frames = stream.onsets.frames
    a, b = np.searchsorted(frames, start / FRAME_S), np.searchsorted(frames, end / FRAME_S, side="right")
    passage = Onsets(frames[a:b] - start / FRAME_S, stream.onsets.bands[a:b], end - start)
    _, _, intercept = _window_votes(passage, stream, 1.0, 0.0, max(passage.seconds, 1e-3), params)
    others = {round(float(b), 1) for b in intercept if abs(b - start) > 1.0}
    # stream = b + (passage time) = b + (line.stream_at(t) - start)
    return [Line(line.speed, b - start + line.intercept) for b in sorted(others)]
