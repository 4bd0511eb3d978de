"""The picture's motion: the screen's rhythm along a line, and the geometry that carries one
video's motion grid into the other's; pure arithmetic, on signals whose truth is known exactly
(the same measurements on real edited video are in test_align_edits.py)."""

import json
from dataclasses import replace

import numpy as np
import pytest

from gdm_features import FeatureFile
from gdm_features.store import FeatureWriter
from gdm_temporal.labels.align import AlignParams
from gdm_temporal.labels.heard_clips import in_rhythm
from gdm_temporal.labels.picture_geometry import Box, _best_box, _Seen
from gdm_temporal.labels.picture_motion import MotionCheck
from gdm_temporal.labels.sound_evidence import Line
from gdm_temporal.labels.sound_match import Heard

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


# The geometry: boxes, and fits on motion grids made by the same arithmetic the editor's
# letterbox and crop do to a picture.

def _edited(grid_pictures, box_width, box_height):
    """Motion grids `[steps, 64]` of pictures `[steps, 80, 80]` (per-pixel change) placed in a
    frame the way an editor does: centred, `box_*` of the frame (below 1: black bars around;
    above 1: cropped), then averaged per cell of the 8x8 grid."""
    out = []
    for picture in grid_pictures:
        size = 240
        frame = np.zeros((size, size))
        h, w = int(round(size * box_height)), int(round(size * box_width))
        ys = ((np.arange(size) - (size - h) / 2) / h * picture.shape[0]).astype(int)
        xs = ((np.arange(size) - (size - w) / 2) / w * picture.shape[1]).astype(int)
        inside_y, inside_x = (ys >= 0) & (ys < picture.shape[0]), (xs >= 0) & (xs < picture.shape[1])
        frame[np.ix_(inside_y, inside_x)] = picture[np.ix_(ys[inside_y], xs[inside_x])]
        out.append(frame.reshape(8, 30, 8, 30).mean(axis=(1, 3)).ravel())
    return np.array(out)


def _play_pictures(n, seed=0):
    """Per-pixel change of a game's screen: a few sprites moving about, most of them low on the
    screen and left of its middle (a game's layout: where its player and its enemies move)."""
    rng = np.random.default_rng(seed)
    pictures = np.zeros((n, 80, 80))
    for k in range(n):
        for _ in range(4):
            y = int(np.clip(rng.normal(55, 15), 0, 75))
            x = int(np.clip(rng.normal(30, 15), 0, 75))
            pictures[k, y:y + 5, x:x + 5] = rng.uniform(20, 60)
    return pictures


def test_a_centred_box_carries_stream_cells_into_compilation_cells():
    weights, keep = Box(0.5, 1.0).cells  # the picture in the middle half of the frame's width
    assert keep.reshape(8, 8)[0].tolist() == [False, False, True, True, True, True, False, False]
    row = weights[2].reshape(8, 8)[0]  # compilation cell 2 shows stream cells 0 and 1, half each
    assert row[:2] == pytest.approx([0.5, 0.5]) and row[2:].sum() == 0
    weights, keep = Box(2.0, 1.0).cells  # cropped to the middle half: each cell sees half a stream cell
    assert keep.all() and weights[0].reshape(8, 8)[0, 2] == pytest.approx(1.0)
    assert np.allclose(Box().cells[0], np.eye(64))


@pytest.mark.parametrize("box", [(0.43, 1.0), (1.36, 1.0), (1.0, 1.0), (1.0, 0.6)])
def test_the_editors_box_is_found_on_anchored_steps_and_from_where_things_move(tmp_path, box):
    stream_pictures = _play_pictures(1000)
    stream_grid = _edited(stream_pictures, 1.0, 1.0)
    comp_grid = _edited(stream_pictures[300:600], *box)  # a minute of clips
    found, fit = _best_box(_Seen(stream_grid[300:600], comp_grid))
    # (a crop comes out a few hundredths narrower: its edge cells hold a sliver of picture)
    assert found.width == pytest.approx(box[0], abs=0.08) and found.height == pytest.approx(box[1], abs=0.05)
    assert fit > 0.8
    profile, _ = _best_box(_Seen(stream_grid.mean(0)[None, :], comp_grid.mean(0)[None, :]))
    # coarser (the layout alone; a crop's 1.36 x 1.0 comes out 1.28 x 1.1), a start for the search
    assert profile.width == pytest.approx(box[0], abs=0.15) and profile.height == pytest.approx(box[1], abs=0.15)


def test_unrelated_motion_fits_no_box():
    stream_grid = _edited(_play_pictures(60, seed=1), 1.0, 1.0)
    comp_grid = _edited(_play_pictures(60, seed=2), 0.43, 1.0)
    assert _best_box(_Seen(stream_grid, comp_grid)) is None


def test_the_rhythm_backs_a_heard_line_only_over_its_rival_and_where_the_sound_leans_to_it():
    stream = play(600, seed=4)
    comp = np.full(int(60 * FPS), 1.0)
    comp[150:210] = stream[1000:1060]  # a 12 s clip from 200 s, at 30 s
    rhythm = MotionCheck(stream, comp, FPS)
    true, elsewhere = Line(1.0, 170.0), Line(1.0, 420.0)
    heard = Heard(true, llr=20.0, first=30.5, last=41.0, lead=4.0, rival=elsewhere)
    assert in_rhythm(heard, rhythm, AlignParams()) > 0.9
    # A line whose rival is the one the screen follows: no say; nor where the sound prefers the rival.
    assert in_rhythm(replace(heard, line=elsewhere, rival=true), rhythm, AlignParams()) is None
    assert in_rhythm(replace(heard, lead=-1.0), rhythm, AlignParams()) is None
    assert in_rhythm(heard, None, AlignParams()) is None  # no motion blocks
