"""Where two clips seen and heard meet: at the step where the picture passes from one line to
the other, on feature files whose truth is known to the step (the benchmark's edits are in
tools/bench_align.py: Breakout's combined edits went from 0.65 s beyond the allowance to 0)."""

import json

import numpy as np
import pytest

from gdm_features import FeatureFile
from gdm_features.store import FeatureWriter
from gdm_temporal.labels.align import AlignParams, _joined_by_picture, _overlaps_split
from gdm_temporal.labels.picture_match import picture_pieces
from gdm_temporal.labels.pieces import Piece
from gdm_temporal.labels.sound_evidence import Line
from gdm_temporal.labels.sound_match import Heard

FPS = 5.0
CUT_S = 10.0  # the compilation: stream steps 20-69, then 120-169


def _features(path, visual):
    identity = {"fps": FPS, "backbone": "resnet18", "weights": "none", "input_size": [224, 224],
                "audio": json.dumps({"present": False}), "preprocessing": "{}", "source_fingerprint": path.name}
    n = len(visual)
    with FeatureWriter(path, identity, {"source": path.name}, {"visual": visual.shape[1], "motion": 0, "audio": 0},
                       64) as w:
        w.append(visual.astype(np.float16), np.zeros((n, 0), np.float16), np.zeros((n, 0), np.float16),
                 np.arange(n) / FPS, np.ones(n, bool))
        w.finish({"duration_s": n / FPS})
    return FeatureFile(path)


@pytest.fixture
def check(tmp_path):
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(200, 32)), axis=0)  # neighbouring steps alike, as a game's are
    stream = _features(tmp_path / "stream.h5", walk + 3 * rng.normal(size=walk.shape))
    cut = np.concatenate([walk[20:70], walk[120:170]]) + 3 * rng.normal(size=(100, 32))  # re-encoded
    compilation = _features(tmp_path / "compilation.h5", cut)
    return picture_pieces(stream, compilation)[1]


def seen_and_heard(start, end, stream_at_start):
    return Piece(start, end, stream_at_start, stream_at_start + end - start, None, 0.9, "match",
                 "sound and picture", 1.0)


def test_a_join_moves_to_where_the_picture_changes_line(check):
    first, second = seen_and_heard(0.0, 11.0, 4.0), seen_and_heard(11.0, 20.0, 25.0)  # joined 1 s late
    sounds = [Heard(Line(1.0, 4.0), 20.0, 0.5, 10.6), Heard(Line(1.0, 14.0), 20.0, 11.4, 19.5)]
    a, b = _joined_by_picture([first, second], sounds, [check], AlignParams())
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)
    assert a.stream_end == pytest.approx(4.0 + a.end) and b.stream_start == pytest.approx(14.0 + b.start)


def test_overlapping_matches_end_where_the_picture_changes_line(check):
    first, second = seen_and_heard(0.0, 11.0, 4.0), seen_and_heard(9.0, 20.0, 23.0)  # each 1 s past the cut
    a, b = _overlaps_split([first, second], [check], AlignParams())
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)


def test_a_join_the_picture_cannot_place_stays(check):
    """Two lines neither of which the picture follows there: the sound's join is kept."""
    first, second = seen_and_heard(0.0, 11.0, 90.0), seen_and_heard(11.0, 20.0, 150.0)
    sounds = [Heard(Line(1.0, 90.0), 20.0, 0.5, 10.6), Heard(Line(1.0, 139.0), 20.0, 11.4, 19.5)]
    a, b = _joined_by_picture([first, second], sounds, [check], AlignParams())
    assert (a.end, b.start) == (11.0, 11.0)
