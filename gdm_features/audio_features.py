"""Per-step audio features: loudness in dBFS and log-mel band energies.

Pure numpy over mono float samples, so the maths is tested without a decoder. Gunshots,
explosions and shouting are loud and broadband: loudness catches the level, the mel bands
the colour of the sound.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

SILENCE_DBFS = -100.0  # floor for digital silence, so the feature stays finite
_MEL_FLOOR = 1e-10  # power floor before the log (about -100 dB)


@dataclass(frozen=True)
class AudioSettings:
    """Everything that changes the audio numbers; stored in the cache and its key.

    Windows are in seconds and bands in Hz, and features are computed at the stream's own
    sample rate: no resampler, whose filter state would make a resumed run differ from an
    uninterrupted one, and 44.1 and 48 kHz sources give comparable numbers.
    """

    n_mels: int = 64
    window_s: float = 0.025
    hop_s: float = 0.010
    fmin: float = 0.0
    fmax: float = 8000.0

    @property
    def n_features(self) -> int:
        """Columns per step: loudness, then one per mel band."""
        return 1 + self.n_mels

    def n_fft(self, sample_rate: int) -> int:
        return max(16, round(self.window_s * sample_rate))

    def hop(self, sample_rate: int) -> int:
        return max(1, round(self.hop_s * sample_rate))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: simple, monotone, and what most speech tools default to."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular filters `[n_mels, n_fft // 2 + 1]` over the rfft bins, peak 1."""
    fmax = min(fmax, sample_rate / 2.0)
    bins_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz[None, :] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - bins_hz[None, :]) / np.maximum(upper - centre, 1e-9)
    bank = np.clip(np.minimum(rising, falling), 0.0, None)
    bank.setflags(write=False)
    return bank.astype(np.float32)


def loudness_dbfs(samples: np.ndarray) -> float:
    """RMS level relative to full scale (a full-scale sine reads about -3 dBFS)."""
    if samples.size == 0:
        return SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(SILENCE_DBFS, 20.0 * np.log10(rms)) if rms > 0 else SILENCE_DBFS


def log_mel(samples: np.ndarray, sample_rate: int, settings: AudioSettings) -> np.ndarray:
    """Natural log of the mean mel power over the STFT frames inside `samples`.

    Frames never reach outside the block, so a step's value depends on its samples alone.
    A block shorter than one window is zero-padded, so every step gets a value.
    """
    n_fft, hop = settings.n_fft(sample_rate), settings.hop(sample_rate)
    bank = mel_filterbank(sample_rate, n_fft, settings.n_mels, settings.fmin, settings.fmax)
    if samples.size == 0:
        return np.full(settings.n_mels, np.log(_MEL_FLOOR), dtype=np.float32)
    if samples.size < n_fft:
        samples = np.pad(samples, (0, n_fft - samples.size))
    n_frames = 1 + (samples.size - n_fft) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    window = np.hanning(n_fft).astype(np.float32)
    spectrum = np.fft.rfft(samples[index].astype(np.float32) * window, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2) / n_fft
    mel_power = power.mean(axis=0) @ bank.T
    return np.log(np.maximum(mel_power, _MEL_FLOOR)).astype(np.float32)


def step_features(samples: np.ndarray, sample_rate: int, settings: AudioSettings) -> np.ndarray:
    """The design's audio row for one step: `[loudness_dBFS, log_mel...]`."""
    row = np.empty(settings.n_features, dtype=np.float32)
    row[0] = loudness_dbfs(samples)
    row[1:] = log_mel(samples, sample_rate, settings)
    return row
