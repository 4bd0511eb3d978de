"""Audio fingerprints for alignment: sound onsets per frequency band, and constellations of them.

Game pictures repeat (the same level, menu and arena, minute after minute), and so do game
sounds: the same beep, shot or jump. What does not repeat is *when* they happen: the rhythm
of play. Every onset is an anchor; with three of the next onsets of its band within 3 s it
forms a constellation, hashed as the band and its three time differences (30 ms cells). A
compilation clip shares many constellations with its source at one time offset, whatever was
done to its picture (overlays, letterbox, crops). The cached per-step log-mel (0.2 s averages)
cannot do this: at that resolution one burst of beeps looks like any other.

An onset is a sudden rise of level *in some frequency*, found per band, not a rise of the
whole track's loudness: music or a voice mixed over the game fills the loudness and some
bands, but a beep still rises where the music is not (the loudness onsets this replaced found
no onset at all under music at the game's level; these keep nine in ten, on the same frame).
Within a band, the frequency is not hashed: which harmonic of a masked tone stands out depends
on what is mixed over it, so it would break matches that the timing keeps.

A clip played a few percent faster has every time difference scaled; the compilation's onset
times are scaled back for each speed on a grid before hashing, so a speed change is found,
and then measured (`sound_match.py`), instead of breaking the hashes. Pure numpy over decoded
samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Iterator

import numpy as np

RATE = 8000  # Hz: onsets need no more
HOP, N_FFT = 80, 512  # 10 ms frames; 16 Hz bins, so a tone stands apart from music next to it
FRAME_S = HOP / RATE
BAND_EDGES_HZ = (100, 400, 1000, 2200, 3800)  # below: hum and rumble; above: what 8 kHz sampling cuts
RISE_DB = 10.0  # an onset: some frequency's level up this much over the 30 ms before it...
FLOOR_DB = -60.0  # ...to at least this far below a full-scale tone
AHEAD_FRAMES, BEHIND_FRAMES = 5, 3  # the level reached in the next 50 ms over the previous 30 ms
REFRACTORY_FRAMES = 5  # onsets at least 50 ms apart
FAN_OUT = 4  # constellations per anchor: the anchor with three of the next FAN_OUT onsets of its band
MAX_SPAN_FRAMES = 300  # a constellation spans at most 3 s
CELL_FRAMES = 3  # time differences hashed in 30 ms cells
_CELLS = MAX_SPAN_FRAMES // CELL_FRAMES + 2
_JITTER = [(0, 0, 0)] + [tuple(d if k == i else 0 for k in range(3)) for i in range(3) for d in (-1, 1)] \
    + [(d, -d, 0) for d in (-1, 1)] + [(0, d, -d) for d in (-1, 1)]
MAX_REPEATS = 8  # a hash the stream holds more often says little about where (and costs most)
_BLOCK_FRAMES = 6000  # a minute of frames per block, so 10 h never sits in memory
_FULL_SCALE_DB = 20 * np.log10(np.hanning(N_FFT).sum() / 2)  # a full-scale sine's peak bin
_FREQS = np.fft.rfftfreq(N_FFT, 1 / RATE)
_KEEP = (_FREQS >= BAND_EDGES_HZ[0]) & (_FREQS < BAND_EDGES_HZ[-1])
_N_BINS = int(_KEEP.sum())
_BAND_OF_BIN = np.searchsorted(BAND_EDGES_HZ, _FREQS[_KEEP], side="right") - 1
N_BANDS = len(BAND_EDGES_HZ) - 1


@dataclass(frozen=True)
class Onsets:
    """A sound track's onsets: frame (10 ms) and frequency band, sorted by time. A sound that
    rises in several bands is an onset in each."""

    frames: np.ndarray  # float64 (scaled for a speed, so not always whole)
    bands: np.ndarray  # int64, 0 .. N_BANDS - 1
    seconds: float  # length of the track

    def scaled(self, speed: float) -> "Onsets":
        """The onsets a clip played at `speed` had in its source (times stretched back)."""
        return Onsets(self.frames * speed, self.bands, self.seconds * speed)

    def band(self, k: int) -> np.ndarray:
        return self.frames[self.bands == k]


def _levels(samples: np.ndarray) -> np.ndarray:
    """dB level per frequency bin (within BAND_EDGES_HZ) relative to a full-scale tone, a row per
    10 ms frame."""
    n = 1 + (samples.size - N_FFT) // HOP
    if n <= 0:
        return np.zeros((0, _N_BINS), np.float32)
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    spectrum = np.fft.rfft(samples[index] * np.hanning(N_FFT).astype(np.float32), axis=1)[:, _KEEP]
    return (10 * np.log10(np.abs(spectrum) ** 2 + 1e-12) - _FULL_SCALE_DB).astype(np.float32)


def _level_blocks(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The track's levels, a minute of frames at a time, exactly as if computed at once."""
    buffer = np.zeros(0, np.float32)
    for block in blocks:
        buffer = np.concatenate([buffer, block])
        if buffer.size >= (_BLOCK_FRAMES + 4) * HOP + N_FFT:
            done = _BLOCK_FRAMES * HOP
            yield _levels(buffer[:done + N_FFT - HOP])
            buffer = buffer[done:]
    yield _levels(buffer)


def _rise(levels: np.ndarray, first: int) -> np.ndarray:
    """Per frame `first..` of `levels` (which holds BEHIND_FRAMES frames of context before
    `first` and AHEAD_FRAMES - 1 after the last), per band, the largest rise of a frequency
    that peaks there across frequency and reaches the floor."""
    n = len(levels) - first - (AHEAD_FRAMES - 1)
    if n <= 0:
        return np.zeros((0, N_BANDS), np.float32)
    ahead = np.max([levels[first + k:first + k + n] for k in range(AHEAD_FRAMES)], axis=0)
    behind = np.max([levels[first - k:first - k + n] for k in range(1, BEHIND_FRAMES + 1)], axis=0)
    peak = np.ones_like(ahead, bool)
    peak[:, 1:] &= ahead[:, 1:] >= ahead[:, :-1]
    peak[:, :-1] &= ahead[:, :-1] >= ahead[:, 1:]
    rise = np.where(peak & (ahead > FLOOR_DB), ahead - behind, 0.0)
    return np.stack([rise[:, _BAND_OF_BIN == k].max(axis=1) for k in range(N_BANDS)], axis=1)


def onset_strength(blocks: Iterable[np.ndarray]) -> np.ndarray:
    """Per 10 ms frame of a whole sound track (mono float32 at RATE), its onset strength:
    the same numbers however the track is cut into blocks."""
    silent = np.full((BEHIND_FRAMES, _N_BINS), -200.0, np.float32)
    pending = silent  # frames not yet scored, after BEHIND_FRAMES frames of history
    out = []
    for levels in _level_blocks(blocks):
        joined = np.concatenate([pending, levels])
        strength = _rise(joined, BEHIND_FRAMES)
        out.append(strength)
        pending = joined[len(strength):]
    tail = np.concatenate([pending, np.full((AHEAD_FRAMES - 1, _N_BINS), -200.0, np.float32)])
    out.append(_rise(tail, BEHIND_FRAMES))  # the last frames, with silence ahead
    return np.concatenate(out)


def _picked(strength: np.ndarray) -> np.ndarray:
    """Frames whose strength passes RISE_DB and is the largest within 30 ms either side, at
    least REFRACTORY_FRAMES apart."""
    padded = np.r_[np.zeros(3), strength, np.zeros(3)]
    local_max = np.max([padded[k:k + len(strength)] for k in range(7)], axis=0)
    kept, last = [], -REFRACTORY_FRAMES
    for c in np.flatnonzero((strength > RISE_DB) & (strength >= local_max)):
        if c - last >= REFRACTORY_FRAMES:
            kept.append(c)
            last = c
    return np.array(kept, np.int64)


def onsets_of(blocks: Iterable[np.ndarray]) -> Onsets:
    """Onsets of a whole sound track (mono float32 at RATE), a minute at a time, per band."""
    strength = onset_strength(blocks)
    picked = [_picked(strength[:, k]) for k in range(N_BANDS)]
    frames = np.concatenate(picked).astype(np.float64)
    bands = np.concatenate([np.full(len(p), k, np.int64) for k, p in enumerate(picked)])
    order = np.argsort(frames, kind="stable")
    return Onsets(frames[order], bands[order], len(strength) * FRAME_S)


def constellations(onsets: Onsets, jitter: bool = False, fan_out: int = FAN_OUT
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash int64, anchor frame, constellation id) of every constellation:
    an anchor with three of the next `fan_out` onsets of its band, hashed as the band and the
    three time differences between them. With `jitter`, each also comes with the time
    differences one onset's rounding or timing error can make (same id): one of them a cell
    either way, or two neighbours a cell in opposite directions (the onset between them moved)."""
    shifts = np.array(_JITTER if jitter else [(0, 0, 0)])
    offsets = (shifts[:, 0] * _CELLS + shifts[:, 1]) * _CELLS + shifts[:, 2]
    hashes, anchors = [], []
    for band in range(N_BANDS):
        t = onsets.band(band)
        n = len(t)
        for i, j, k in combinations(range(1, fan_out + 1), 3):
            a = np.arange(max(0, n - k))
            a = a[t[a + k] - t[a] <= MAX_SPAN_FRAMES]
            q = [np.round((t[a + hi] - t[a + lo]) / CELL_FRAMES).astype(np.int64).clip(1, _CELLS - 2)
                 for lo, hi in ((0, i), (i, j), (j, k))]
            hashes.append(((band * _CELLS + q[0]) * _CELLS + q[1]) * _CELLS + q[2])
            anchors.append(t[a])
    if not hashes:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    base, anchor = np.concatenate(hashes), np.concatenate(anchors)
    return ((base[None, :] + offsets[:, None]).ravel(), np.tile(anchor, len(offsets)),
            np.tile(np.arange(len(base)), len(offsets)))


HASH_SPACE = N_BANDS * _CELLS ** 3


@dataclass(frozen=True)
class PrintIndex:
    """A stream's onsets, and its constellations grouped by hash for lookups: the anchors of
    hash h are `frames[starts[h]:starts[h + 1]]` (a direct table: a lookup is one array read,
    where a binary search over millions of hashes was most of an alignment's time)."""

    onsets: Onsets
    starts: np.ndarray  # int64, HASH_SPACE + 1
    frames: np.ndarray  # anchor frames, grouped by hash

    @classmethod
    def of(cls, onsets: Onsets) -> "PrintIndex":
        h, t, _ = constellations(onsets)
        order = np.argsort(h, kind="stable")
        starts = np.r_[0, np.cumsum(np.bincount(h, minlength=HASH_SPACE))]
        return cls(onsets, starts, t[order])

    def __len__(self) -> int:
        return len(self.frames)

    def matches(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, stream frame, weight) of every shared hash. A hash the stream holds
        k times weighs 1/k: a rhythm the game plays all the time says little about where; one
        held more than MAX_REPEATS times is not looked up at all."""
        lo = self.starts[hashes]
        count = self.starts[hashes + 1] - lo
        count[count > MAX_REPEATS] = 0
        query = np.repeat(np.arange(len(hashes)), count)
        return query, self.frames[range_indices(lo, count)], 1.0 / np.repeat(np.maximum(count, 1), count)


def range_indices(lo: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The indices `lo[i], lo[i] + 1, ..., lo[i] + count[i] - 1` of every range, one after another."""
    return np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
