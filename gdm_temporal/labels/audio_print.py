"""Audio fingerprints for alignment: constellations of sound onsets.

Game pictures repeat (the same level, menu and arena, minute after minute), and so do game
sounds: the same beep, shot or jump. What does not repeat is *when* they happen: the rhythm
of play. Every onset (a sudden rise of loudness, timed to 10 ms, which survives re-encoding,
resampling and mixing) is an anchor; with two of the onsets that follow it within 3 s it forms
a triple, hashed as the two time differences (30 ms cells) and the frequency band each of the
three falls in. A compilation clip shares many triples with its source at one time offset,
whatever was done to its picture (overlays, letterbox, crops). The cached per-step log-mel
(0.2 s averages) cannot do this: at that resolution one burst of beeps looks like any other.

A clip played a few percent faster has every time difference scaled; the compilation's onset
times are scaled back for each speed on a small grid before hashing, so a speed change is
found, and measured, instead of breaking the hashes. Pure numpy over decoded samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

RATE = 8000  # Hz: onsets and their rough colour need no more
HOP, N_FFT = 80, 256  # 10 ms frames
FRAME_S = HOP / RATE
BAND_EDGES_HZ = (100, 500, 1200, 2500, 4000)
RISE_DB = 8.0  # an onset: loudness up this much over the 30 ms before it
RANGE_DB = 45.0  # ...and no quieter than this below the track's loud moments (95th percentile)
REFRACTORY_FRAMES = 5  # onsets at least 50 ms apart
FAN_OUT = 5  # triples per anchor: the anchor with two of its next FAN_OUT onsets
MAX_SPAN_FRAMES = 300  # a triple spans at most 3 s
CELL_FRAMES = 3  # time differences hashed in 30 ms cells
_BLOCK_FRAMES = 6000  # a minute of frames per block, so 10 h never sits in memory


@dataclass(frozen=True)
class Onsets:
    """A sound track's onsets: frame (10 ms) and band index, time-sorted."""

    frames: np.ndarray  # float64 (scaled for a speed, so not always whole)
    bands: np.ndarray  # int64
    seconds: float  # length of the track

    def scaled(self, speed: float) -> "Onsets":
        """The onsets a clip played at `speed` had in its source (times stretched back)."""
        return Onsets(self.frames * speed, self.bands, self.seconds * speed)


def _band_levels(samples: np.ndarray) -> np.ndarray:
    """dB energy per band, one row per 10 ms frame."""
    n = 1 + (samples.size - N_FFT) // HOP
    if n <= 0:
        return np.zeros((0, len(BAND_EDGES_HZ) - 1))
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    power = np.abs(np.fft.rfft(samples[index] * np.hanning(N_FFT).astype(np.float32), axis=1)) ** 2
    freqs = np.fft.rfftfreq(N_FFT, 1 / RATE)
    bands = [power[:, (freqs >= lo) & (freqs < hi)].sum(1) for lo, hi in zip(BAND_EDGES_HZ[:-1], BAND_EDGES_HZ[1:])]
    return 10 * np.log10(np.stack(bands, 1) + 1e-6)


def onsets_of(blocks: Iterable[np.ndarray]) -> Onsets:
    """Onsets of a whole sound track (mono float32 at RATE), a minute at a time."""
    levels = []
    buffer = np.zeros(0, np.float32)
    for block in blocks:
        buffer = np.concatenate([buffer, block])
        if buffer.size >= (_BLOCK_FRAMES + 4) * HOP + N_FFT:
            done = _BLOCK_FRAMES * HOP
            levels.append(_band_levels(buffer[:done + N_FFT - HOP]))
            buffer = buffer[done:]
    levels.append(_band_levels(buffer))
    band_db = np.concatenate(levels) if levels else np.zeros((0, len(BAND_EDGES_HZ) - 1))
    seconds = len(band_db) * FRAME_S
    if len(band_db) < 4:
        return Onsets(np.zeros(0), np.zeros(0, np.int64), seconds)
    total = 10 * np.log10(np.power(10.0, band_db / 10).sum(1))
    rise = np.zeros_like(total)
    rise[3:] = total[3:] - np.maximum.reduce([total[:-3], total[1:-2], total[2:-1]])
    floor = np.percentile(total, 95) - RANGE_DB
    candidates = np.flatnonzero((rise > RISE_DB) & (total > floor))
    kept, last = [], -REFRACTORY_FRAMES
    for c in candidates:
        if c - last >= REFRACTORY_FRAMES:
            kept.append(c)
            last = c
    frames = np.array(kept, np.int64)
    bands = band_db[frames].argmax(1) if len(frames) else np.zeros(0, np.int64)
    return Onsets(frames.astype(np.float64), bands.astype(np.int64), seconds)


def triples(onsets: Onsets, jitter: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hash int64, anchor frame, last onset's frame, triple id) of every triple. With
    `jitter`, each triple also comes with its time differences one cell either side (same id):
    a query that tolerates rounding at cell edges."""
    t, b = onsets.frames, onsets.bands
    n = len(t)
    hashes, anchors, ends, ids = [], [], [], []
    next_id = 0
    shifts = (-1, 0, 1) if jitter else (0,)
    for i in range(1, FAN_OUT + 1):
        for j in range(i + 1, FAN_OUT + 1):
            a = np.arange(max(0, n - j))
            dt1, dt2 = t[a + i] - t[a], t[a + j] - t[a + i]
            ok = t[a + j] - t[a] <= MAX_SPAN_FRAMES
            a, dt1, dt2 = a[ok], dt1[ok], dt2[ok]
            q1, q2 = np.round(dt1 / CELL_FRAMES).astype(np.int64), np.round(dt2 / CELL_FRAMES).astype(np.int64)
            colour = (b[a] * 4 + b[a + i]) * 4 + b[a + j]
            triple_ids = np.arange(next_id, next_id + len(a))
            next_id += len(a)
            for s1 in shifts:
                for s2 in shifts:
                    hashes.append(((colour << 8) | (q1 + s1).clip(0, 255)) << 8 | (q2 + s2).clip(0, 255))
                    anchors.append(t[a])
                    ends.append(t[a + j])
                    ids.append(triple_ids)
    if not hashes:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int64)
    return np.concatenate(hashes), np.concatenate(anchors), np.concatenate(ends), np.concatenate(ids)


@dataclass(frozen=True)
class PrintIndex:
    """A stream's triples sorted by hash, for lookups."""

    hashes: np.ndarray  # int64, sorted
    frames: np.ndarray  # anchor frames, in the same order
    seconds: float

    @classmethod
    def of(cls, onsets: Onsets) -> "PrintIndex":
        h, t, _, _ = triples(onsets)
        order = np.argsort(h, kind="stable")
        return cls(h[order], t[order], onsets.seconds)

    def matches(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, stream frame, weight) of every shared hash. A hash the stream holds
        k times weighs 1/k: a rhythm the game plays all the time says little about where."""
        lo = np.searchsorted(self.hashes, hashes, "left")
        count = np.searchsorted(self.hashes, hashes, "right") - lo
        query = np.repeat(np.arange(len(hashes)), count)
        first = np.repeat(lo, count)
        within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        return query, self.frames[first + within], 1.0 / np.repeat(np.maximum(count, 1), count)
