"""A scene the game replays with small differences (Space Invaders' march over another cannon
and other shots) is told from its look-alike by one picture comparison that sees it above the
look-alike at step after step, though by too little on average to tell them apart; an exact
replay, a short stretch, or the look-alike's own line, is not; and where both lines stand out,
the one seen steadily above is seen instead. (On the benchmark's Atari compilations,
tools/bench_align.py, Space Invaders seed 6: sped up 5 of 6 clips to 6, under music 4 to 5,
with every edit 3 to 5.)"""

import numpy as np

from gdm_temporal.labels.align import AlignParams
from gdm_temporal.labels.picture_match import picture_pieces
from gdm_temporal.labels.pieces import Piece
from gdm_temporal.labels.heard_clips import seen_instead
from gdm_temporal.labels.seen_clips import picture_lead, seen_twice, steadily_above

from .test_picture_joins import _features, _play

TRUE_S, LOOKALIKE_S = 24.0, 4.0  # the clip: stream seconds 24-34, a replay of 4-14 with a small difference


def _check(tmp, difference: float, dims: int = 3):
    rng = np.random.default_rng(1)
    play = _play(rng, 200)
    play[120:170] = play[20:70]
    play[120:170, :dims] += difference  # the same scene, a small sprite elsewhere
    stream = _features(tmp / f"stream{difference}-{dims}.h5", play)
    compilation = _features(tmp / f"compilation{difference}-{dims}.h5", play[120:170] + 0.5 * rng.normal(size=(50, 32)))
    return picture_pieces(stream, compilation)[1]


def _on(stream_s: float, length_s: float = 10.0) -> Piece:
    return Piece(0.0, length_s, stream_s, stream_s + length_s, None, 0.2, "low confidence", "picture", 1.0)


def test_a_replay_with_a_small_difference_is_told_apart_step_by_step(tmp_path):
    check = _check(tmp_path, 1.0)
    params = AlignParams()
    lead = check.z_along(0.0, 10.0, TRUE_S, 1.0) - check.z_along(0.0, 10.0, LOOKALIKE_S, 1.0)
    assert 0 < lead < params.picture_lead  # on average, too close to choose
    assert steadily_above(check, [check], _on(TRUE_S), params) >= params.steady_t
    assert steadily_above(check, [check], _on(LOOKALIKE_S), params) < 0  # the true line is steadily above it
    told = seen_twice(_on(TRUE_S), [check], params)
    assert told.status == "match" and 0 < told.confidence < 1
    assert seen_twice(_on(LOOKALIKE_S), [check], params).status == "low confidence"
    assert seen_twice(_on(TRUE_S, 4.0), [check], params).status == "low confidence"  # too short to be sure


def test_an_exact_replay_stays_unsure(tmp_path):
    check = _check(tmp_path, 0.0)
    params = AlignParams()
    assert steadily_above(check, [check], _on(TRUE_S), params) < params.steady_t
    assert seen_twice(_on(TRUE_S), [check], params).status == "low confidence"


def test_a_line_seen_steadily_above_another_that_stands_out_too_is_seen_instead(tmp_path):
    """Where a sound carried a clip's line over the next clip, a game that repeats its scenes
    lets the picture see the carried line there too (Space Invaders' 9:16 crop: z 1.2 in the
    small pictures, where 1.0 is seen); the next clip's line, above it at step after step and
    by enough in all, is seen instead (the clip between, 6.2 s, was lost to the carried line)."""
    check = _check(tmp_path, 2.5, dims=20)
    params = AlignParams()
    true, lookalike = _on(TRUE_S), _on(LOOKALIKE_S)
    lead, own = picture_lead(true, lookalike, 0.0, 10.0, [check])
    assert lead >= params.confirm_z and own >= params.grow_z  # both stand out: the old rule saw neither instead
    assert seen_instead(true, lookalike, 0.0, 10.0, [check], params)
    assert not seen_instead(lookalike, true, 0.0, 10.0, [check], params)
    assert not seen_instead(true, lookalike, 0.0, 10.0, [check], AlignParams(steady_t=np.inf))
