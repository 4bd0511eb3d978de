"""The screen's rhythm along a line: pure arithmetic, on rhythms whose truth is known exactly
(the same measurement on real edited video is in test_align_edits.py)."""

import json

import numpy as np

from gdm_features import FeatureFile
from gdm_features.store import FeatureWriter
from gdm_temporal.labels.picture_motion import MotionCheck

FPS = 5.0


def play(seconds, seed=0):
    """A rhythm of play: slow swings and bursts, as a game's total motion has."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FPS)
    return np.convolve(rng.normal(size=n), np.ones(3) / 3, mode="same") + 0.3 * np.sin(np.arange(n) / 7)


def test_the_true_line_correlates_and_others_do_not():
    stream = play(600)
    # A 12 s clip from 200 s, at 30 s of the compilation: its picture scaled down and partly
    # covered (the log rhythm shifted and its swings damped) and re-encoded (noise).
    comp = np.full(int(60 * FPS), 1.0)
    comp[150:210] = 0.5 + 0.8 * stream[1000:1060] + 0.1 * np.random.default_rng(1).normal(size=60)
    check = MotionCheck(stream, comp, FPS)
    assert check.agreement(30.0, 41.8, 200.0, 1.0) > 0.95
    others = [check.agreement(30.0, 41.8, 200.0 + d, 1.0) for d in (-150, -40, -3, 3, 40, 150)]
    assert max(others) < 0.6, others


def test_a_line_at_another_speed_reads_the_stream_between_its_steps():
    stream = play(600, seed=2)
    t = np.arange(60) / FPS  # a clip played 4 % fast from 300 s: the stream read at 1.04 x its steps
    comp = np.full(int(60 * FPS), 1.0)
    comp[100:160] = np.interp((300.0 + 1.04 * t) * FPS, np.arange(len(stream)), stream)
    check = MotionCheck(stream, comp, FPS)
    assert check.agreement(20.0, 31.8, 300.0, 1.04) > 0.99
    assert check.agreement(20.0, 31.8, 300.0, 1.0) < check.agreement(20.0, 31.8, 300.0, 1.04) - 0.2


def test_no_say_on_a_still_picture_or_off_the_stream():
    stream = play(100)
    check = MotionCheck(stream, np.full(200, 2.0), FPS)  # a title card: nothing moves
    assert np.isnan(check.agreement(5.0, 20.0, 30.0, 1.0))
    moving = MotionCheck(stream, play(40, seed=3), FPS)
    assert np.isnan(moving.agreement(5.0, 20.0, 99.0, 1.0))  # the line leaves the stream after a second
    assert np.isnan(moving.agreement(5.0, 6.0, 30.0, 1.0))  # too short to have a rhythm


def test_a_cache_without_a_motion_block_has_no_say(tmp_path):
    identity = {"fps": FPS, "backbone": "resnet18", "weights": "none", "input_size": [224, 224],
                "audio": json.dumps({"present": False}), "preprocessing": "{}", "source_fingerprint": "x"}
    with FeatureWriter(tmp_path / "a.h5", identity, {"source": "x"}, {"visual": 4, "motion": 0, "audio": 0}, 16) as w:
        w.append(np.ones((20, 4), np.float16), np.zeros((20, 0), np.float16), np.zeros((20, 0), np.float16),
                 np.arange(20) / FPS, np.ones(20, bool))
        w.finish({"duration_s": 4.0})
    with FeatureFile(tmp_path / "a.h5") as f:
        assert MotionCheck.of(f, f) is None
