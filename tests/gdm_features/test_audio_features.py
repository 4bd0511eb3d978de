"""Audio maths on hand-made signals: levels, bands, and step alignment."""

import numpy as np
import pytest

from gdm_features.audio_features import SILENCE_DBFS, AudioSettings, log_mel, loudness_dbfs, mel_filterbank
from gdm_features.audio_steps import AudioStepper

SR = 16000
S = AudioSettings()


def tone(freq, seconds, amplitude=1.0):
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_full_scale_sine_reads_minus_three_dbfs():
    assert loudness_dbfs(tone(440, 0.2)) == pytest.approx(-3.01, abs=0.05)
    assert loudness_dbfs(tone(440, 0.2, 0.1)) == pytest.approx(-23.01, abs=0.05)


def test_silence_is_floored_not_minus_infinity():
    assert loudness_dbfs(np.zeros(3200, np.float32)) == SILENCE_DBFS
    assert loudness_dbfs(np.zeros(0, np.float32)) == SILENCE_DBFS


def test_tone_energy_lands_in_the_band_of_its_frequency():
    bank = mel_filterbank(SR, S.n_fft(SR), S.n_mels, S.fmin, S.fmax)
    centres = np.argmax(bank, axis=1) * SR / S.n_fft(SR)
    low, high = log_mel(tone(300, 0.2), SR, S), log_mel(tone(4000, 0.2), SR, S)
    assert abs(centres[np.argmax(low)] - 300) < 80
    assert abs(centres[np.argmax(high)] - 4000) < 300


def test_filterbank_has_no_empty_band():
    # The lowest bands are narrower than one 40 Hz FFT bin, so their peaks fall between
    # bins; what matters is that every band sees some bin (an empty one is a dead feature).
    bank = mel_filterbank(SR, S.n_fft(SR), S.n_mels, S.fmin, S.fmax)
    assert bank.shape == (64, 201)
    assert (bank.max(axis=1) > 0.25).all()


def test_stepper_owns_exactly_the_samples_of_each_step():
    # 1 s of audio: silent except a burst in [0.4, 0.6): only step 2 (t = 0.4) is loud.
    signal = np.zeros(SR, np.float32)
    signal[int(0.4 * SR):int(0.6 * SR)] = tone(1000, 0.2)
    stepper = AudioStepper(S, SR, fps=5)
    rows = []
    for start in range(0, SR, 1000):  # blocks that do not line up with steps
        rows += stepper.push(start, signal[start:start + 1000])
    rows += stepper.finish(5)
    loud = [round(float(r[0])) for r in rows]
    assert len(rows) == 5
    assert loud[2] == -3 and all(v == SILENCE_DBFS for i, v in enumerate(loud) if i != 2)


def test_stepper_fills_gaps_with_silence_and_drops_overlaps():
    stepper = AudioStepper(S, SR, fps=5)
    rows = stepper.push(0, tone(1000, 0.2))  # step 0
    rows += stepper.push(2 * 3200, tone(1000, 0.2))  # step 2; step 1 never arrived
    rows += stepper.push(2 * 3200, np.zeros(3200, np.float32))  # duplicate of step 2: dropped
    rows += stepper.finish(3)
    assert [round(float(r[0])) for r in rows] == [-3, SILENCE_DBFS, -3]


def test_same_sound_at_44k1_and_48k_gives_close_features():
    t44, t48 = np.arange(8820) / 44100, np.arange(9600) / 48000
    a = log_mel(np.sin(2 * np.pi * 1500 * t44).astype(np.float32), 44100, S)
    b = log_mel(np.sin(2 * np.pi * 1500 * t48).astype(np.float32), 48000, S)
    assert np.argmax(a) == np.argmax(b)
    assert abs(a.max() - b.max()) < 0.2


def test_resumed_stepper_matches_full_run():
    signal = np.random.default_rng(0).normal(0, 0.3, SR * 2).astype(np.float32)
    full = AudioStepper(S, SR, fps=5)
    rows_full = full.push(0, signal) + full.finish(10)
    resumed = AudioStepper(S, SR, fps=5, first_step=4)
    rows_resumed = resumed.push(2000, signal[2000:]) + resumed.finish(10)
    np.testing.assert_array_equal(np.stack(rows_resumed), np.stack(rows_full[4:]))
