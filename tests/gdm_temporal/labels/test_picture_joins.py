"""The picture's say on clips the sound found: where two clips seen and heard meet (at the step
where the picture passes from one line to the other), and which of the sound's two lines an
unsure clip is on; on feature files whose truth is known to the step (the benchmark's edits are
in tools/bench_align.py: Breakout's combined edits went from 0.65 s beyond the allowance to 0,
Ms. Pac-Man's channel edit from 1.69 s)."""

import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from gdm_features import FeatureFile
from gdm_features.store import FeatureWriter
from gdm_temporal.labels.align import AlignParams
from gdm_temporal.labels.heard_clips import (_seen_elsewhere, in_rhythm, joined_by_picture, looked_at, overheard,
                                             overlaps_split, rival_seen)
from gdm_temporal.labels.seen_clips import carried_on, followed_better, grown_apart, long_overlaps_split
from gdm_temporal.labels.picture_match import picture_pieces
from gdm_temporal.labels.picture_motion import MotionCheck
from gdm_temporal.labels.pieces import Piece, agree, fuse
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


def _play(rng, steps: int) -> np.ndarray:
    """Embeddings of a game's steps: neighbours alike, as a game's are; a second apart, not."""
    play = np.zeros((steps, 32))
    for step in range(1, steps):
        play[step] = 0.7 * play[step - 1] + rng.normal(size=32)
    return play


def _checked_against(tmp_path, lookalike: bool):
    rng = np.random.default_rng(0)
    play = _play(rng, 200)
    if lookalike:  # the second clip opens on 2 s that look just like the first clip's next 2 s (a new life)
        play[120:130] = play[70:80]
    stream = _features(tmp_path / "stream.h5", play)
    cut = np.concatenate([play[20:70], play[120:170]]) + 0.7 * rng.normal(size=(100, 32))  # re-encoded
    compilation = _features(tmp_path / "compilation.h5", cut)
    return picture_pieces(stream, compilation)[1]


@pytest.fixture
def check(tmp_path):
    return _checked_against(tmp_path, lookalike=False)


@pytest.fixture
def lookalike_check(tmp_path):
    return _checked_against(tmp_path, lookalike=True)


def seen_and_heard(start, end, stream_at_start):
    return Piece(start, end, stream_at_start, stream_at_start + end - start, None, 0.9, "match",
                 "sound and picture", 1.0)


def test_a_join_moves_to_where_the_picture_changes_line(check):
    first, second = seen_and_heard(0.0, 11.0, 4.0), seen_and_heard(11.0, 20.0, 25.0)  # joined 1 s late
    sounds = [Heard(Line(1.0, 4.0), 20.0, 0.5, 10.6), Heard(Line(1.0, 14.0), 20.0, 11.4, 19.5)]
    a, b = joined_by_picture([first, second], sounds, [check], AlignParams())
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)
    assert a.stream_end == pytest.approx(4.0 + a.end) and b.stream_start == pytest.approx(14.0 + b.start)


def test_overlapping_matches_end_where_the_picture_changes_line(check):
    first, second = seen_and_heard(0.0, 11.0, 4.0), seen_and_heard(9.0, 20.0, 23.0)  # each 1 s past the cut
    a, b = overlaps_split([first, second], [], [check], AlignParams())
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)


def test_overlapping_matches_meet_within_what_both_hold(lookalike_check):
    """The second clip opens on 2 s that look just like the first clip's next 2 s: past the
    cut the picture still sees the first line as well as the second, and a split reaching 1 s
    past what both hold went on to where the look-alike ends (Space Invaders letterboxed: 1.6 s
    late). Where the two overlap, the cut lies in the overlap."""
    first, second = seen_and_heard(0.0, 10.6, 4.0), seen_and_heard(9.8, 20.0, 23.8)
    a, b = overlaps_split([first, second], [], [lookalike_check], AlignParams())
    assert 9.8 <= a.end == b.start <= 10.6


def test_a_join_the_picture_cannot_place_stays(check):
    """Two lines neither of which the picture follows there: the sound's join is kept."""
    first, second = seen_and_heard(0.0, 11.0, 90.0), seen_and_heard(11.0, 20.0, 150.0)
    sounds = [Heard(Line(1.0, 90.0), 20.0, 0.5, 10.6), Heard(Line(1.0, 139.0), 20.0, 11.4, 19.5)]
    a, b = joined_by_picture([first, second], sounds, [check], AlignParams())
    assert (a.end, b.start) == (11.0, 11.0)


def test_the_picture_picks_the_sounds_rival_line_where_it_follows_it(check):
    """Heard unsure on a line through another passage (stream 30 s on) with the true one
    (4 s on) as its rival: the picture follows the rival, which becomes the clip's line."""
    heard = Piece(0.0, 9.0, 30.0, 39.0, None, 0.1, "low confidence", "sound", 1.0)
    sound = Heard(Line(1.0, 30.0), 5.0, 0.5, 8.5, 0.5, Line(1.0, 4.0))
    seen = rival_seen(heard, sound, [check], AlignParams())
    assert (seen.status, seen.evidence, seen.stream_start, seen.stream_end) == ("match", "sound and picture", 4.0, 13.0)
    lost = Heard(Line(1.0, 30.0), 5.0, 0.5, 8.5, 0.5, Line(1.0, 12.0))  # a rival the picture does not follow either
    assert rival_seen(heard, lost, [check], AlignParams()) == heard


def test_matches_meet_across_an_unsure_claim_between_them(check):
    """A weak claim on a look-alike passage between two clips (stopping one short of the cut)
    is no edge: the picture places the cut. Footage from nowhere ("no match") is one."""
    first, second = seen_and_heard(0.0, 8.0, 4.0), seen_and_heard(12.0, 20.0, 26.0)
    unsure = Piece(8.0, 12.0, 150.0, 154.0, None, 0.1, "low confidence", "sound", 1.0)
    a, _, b = overlaps_split([first, unsure, second], [], [check], AlignParams())
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)
    nowhere = Piece(8.0, 12.0)
    assert overlaps_split([first, nowhere, second], [], [check], AlignParams()) == [first, nowhere, second]


def test_matches_meet_where_their_own_claims_reached(check):
    """Fused, the stronger clip took the stretch the other's own claim held, 4 s past the cut:
    the picture places the cut within that claim, not only near where they now meet."""
    first, second = seen_and_heard(0.0, 14.0, 4.0), seen(14.0, 20.0, 28.0)
    claims = [first, seen(10.0, 20.0, 24.0)]
    a, b = overlaps_split([first, second], claims, [check], AlignParams())
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)
    a, b = overlaps_split([first, second], [], [check], AlignParams())
    assert a.end == b.start >= 13.0


def test_no_split_over_a_clip_the_picture_sees_instead_of_both(check):
    """An unsure piece between two matches, on the line the picture follows there and neither
    of theirs (the second clip's own line, between a clip heard on a look-alike and the next):
    neither match grows over it."""
    first, second = seen_and_heard(0.0, 10.0, 4.0), seen_and_heard(16.0, 20.0, 36.0)
    between = seen(10.0, 16.0, 24.0, "low confidence")
    assert overlaps_split([first, between, second], [], [check], AlignParams()) == [first, between, second]


class LinesSeenWithin:
    """A picture comparison that sees each line (by intercept: stream seconds at compilation
    second 0) with a z-score of 2 within a stretch of the compilation, and nothing elsewhere."""

    def __init__(self, stretches, fps=FPS):
        self.stretches, self.stream = stretches, SimpleNamespace(fps=fps)

    def z_steps(self, start_s, end_s, stream_start_s, speed, standing=False, paused=False):
        lo, hi = self.stretches.get(round(stream_start_s - speed * start_s, 1), (0.0, 0.0))
        times = start_s + np.arange(int(round((end_s - start_s) * self.stream.fps))) / self.stream.fps
        return np.where((times >= lo) & (times < hi), 2.0, 0.0)

    def z_along(self, start_s, end_s, stream_start_s, speed):
        return float(self.z_steps(start_s, end_s, stream_start_s, speed).mean())


def test_matches_do_not_grow_over_a_clip_neither_line_explains():
    """Between two matches, 4 s that neither line explains (a clip no search found): the split
    lies somewhere in them, but past a crossfade each match grows only as far as its own line
    is seen, and the stretch stays neither's."""
    first = seen_and_heard(0.0, 7.0, 100.0)
    second = seen(13.0, 20.0, 213.0)
    unsure = Piece(7.0, 13.0, 307.0, 313.0, None, 0.1, "low confidence", "picture", 1.0)
    lines = LinesSeenWithin({100.0: (0.0, 8.0), 200.0: (12.0, 20.0)})
    a, _, b = overlaps_split([first, unsure, second], [], [lines], AlignParams())
    assert a.end == pytest.approx(8.0, abs=0.3) and b.start == pytest.approx(12.0, abs=0.3)
    near = LinesSeenWithin({100.0: (0.0, 10.0), 200.0: (10.0, 20.0)})  # each seen up to the cut: they meet there
    a, _, b = overlaps_split([first, unsure, second], [], [near], AlignParams())
    assert a.end == b.start == pytest.approx(10.0, abs=0.3)


def test_a_heard_clip_ends_where_the_picture_sees_another_line_instead(check):
    """The sound carried the first clip's line 6 s past the cut (a march every game plays
    alike); the picture sees the second clip's line there, unsure of it: the heard clip ends at
    the cut, and the picture's clip starts there. A piece on a line the picture does not
    follow either changes nothing."""
    heard = seen_and_heard(0.0, 16.0, 4.0)
    [h], [q] = overheard([heard], [seen(12.0, 20.0, 26.0, "low confidence")], [check], AlignParams())
    assert h.end == q.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)
    assert (q.status, q.stream_start) == ("low confidence", pytest.approx(14.0 + q.start))
    elsewhere = seen(12.0, 20.0, 150.0, "low confidence")
    assert overheard([heard], [elsewhere], [check], AlignParams()) == ([heard], [elsewhere])


def test_a_clip_grows_no_further_than_an_unsure_line_the_picture_prefers(lookalike_check):
    """The next clip found unsure from the cut (its opening looks like the first clip's next
    2 s): at a typical step of it, the picture sees its line far above the first clip's, so the
    first clip stops at the cut."""
    first, second = seen(0.0, 9.0, 4.0), seen(10.0, 20.0, 24.0, "low confidence")
    a, b = grown_apart([[first, second]], [], [lookalike_check], AlignParams())
    assert (a.end, b.start, b.status) == (CUT_S, CUT_S, "low confidence")


def test_a_clip_seen_and_heard_takes_the_line_the_picture_follows_better(check):
    """The sound heard the second clip at 4 % fast (a regular rhythm fits a wrong speed), the
    picture at its true speed: fused, the clip keeps the picture's line; where the sound's is
    the better one (the picture's search found it 0.5 s off), the sound's."""
    picture = seen(10.0, 20.0, 24.0)
    sound = Piece(10.0, 20.0, 24.2, 24.2 + 1.04 * 10, None, 0.95, "match", "sound", 1.04)
    assert followed_better(picture, sound, [check]) == picture
    [clip] = [p for p in fuse([picture], [sound], 20.0, lambda a, b: followed_better(a, b, [check])) if p.found]
    assert (clip.evidence, clip.speed, clip.stream_start) == ("sound and picture", 1.0, 24.0)
    off = seen(10.0, 20.0, 24.5)
    exact = Piece(10.0, 20.0, 24.0, 34.0, None, 0.5, "low confidence", "sound", 1.0)
    assert followed_better(off, exact, [check]) == exact
    [clip] = [p for p in fuse([off], [exact], 20.0, lambda a, b: followed_better(a, b, [check])) if p.found]
    assert clip.stream_start == 24.0  # (by default, the surer one's: the picture's, 0.5 s off)
    assert [p for p in fuse([off], [exact], 20.0) if p.found][0].stream_start == 24.5


def seen(start, end, stream_at_start, status="match"):
    return Piece(start, end, stream_at_start, stream_at_start + end - start, 0.8, 0.6, status, "picture", 1.0)


def test_a_clip_grows_up_to_where_a_search_is_sure_of_the_next(lookalike_check):
    """The first clip's line goes on to pictures just like the next clip's opening: grown on its
    own, it runs 2 s into the next clip; a search sure of the next clip from the cut stops it."""
    first, second = seen(0.0, 9.0, 4.0), seen(10.0, 20.0, 24.0)
    [alone] = grown_apart([[first]], [], [lookalike_check], AlignParams())
    assert alone.end == pytest.approx(CUT_S + 2.0, abs=0.4)
    a, b = grown_apart([[first, second]], [], [lookalike_check], AlignParams())
    assert (a.start, a.end, a.stream_end, b.start) == (0.0, CUT_S, 4.0 + CUT_S, CUT_S)
    # Sure only after the picture comparisons together (`sure`): as good a stop.
    a, b = grown_apart([[first]], [second], [lookalike_check], AlignParams())
    assert (a.end, b.start) == (CUT_S, CUT_S)


def test_a_clip_carries_on_over_unsure_pieces_of_its_line():
    """Pieces a search found on the clip's line but could not tell from look-alikes (Space
    Invaders' new game) extend it, in a chain, up to a stretch another line surely shows;
    one on another line, or apart from it, does not."""
    clip = seen(0.0, 7.0, 30.0)
    unsure = [seen(6.0, 9.0, 36.0, "low confidence"), seen(8.8, 12.0, 38.8, "low confidence"),
              seen(7.0, 15.0, 90.0, "low confidence"), seen(13.0, 16.0, 43.0, "low confidence")]
    carried = carried_on(clip, unsure, (0.0, np.inf))
    assert (carried.start, carried.end, carried.stream_end, carried.status) == (0.0, 12.0, 42.0, "match")
    assert carried_on(clip, unsure, (0.0, 10.5)).end == 10.5
    assert carried_on(clip, unsure[2:], (0.0, np.inf)) == clip


def test_clips_seen_overlapping_longer_than_a_crossfade_meet_where_the_picture_changes_line(check):
    first, second = seen(0.0, 11.5, 4.0), seen(8.5, 20.0, 22.5)
    a, b = long_overlaps_split([second, first], [check])
    assert a.end == b.start == pytest.approx(CUT_S, abs=0.2 + 1e-9)
    crossfade = [seen(0.0, 10.4, 4.0), seen(9.6, 20.0, 23.6)]  # within a crossfade: left as found
    assert long_overlaps_split(crossfade, [check]) == crossfade


def test_a_heard_line_the_picture_sees_elsewhere(check):
    """How much of a heard stretch a clip the picture is sure of shows on another line (Ms.
    Pac-Man: a passage's rhythm replayed 200 s away had a clip invented)."""
    heard = Piece(11.0, 19.0, 150.0, 158.0, None, 0.5, "low confidence", "sound", 1.0)
    assert _seen_elsewhere(heard, [seen(10.0, 20.0, 24.0)], [check], AlignParams()) == pytest.approx(8.0)
    assert _seen_elsewhere(heard, [seen(10.0, 14.0, 24.0)], [check], AlignParams()) == pytest.approx(3.0)
    assert _seen_elsewhere(heard, [seen(10.0, 20.0, 149.0)], [check], AlignParams()) == 0.0  # its own line
    assert _seen_elsewhere(heard, [seen(10.0, 20.0, 24.0, "low confidence")], [check], AlignParams()) == 0.0
    # Still to the embedding, moving to the comparison's own view (Ms. Pac-Man's opening screen,
    # its ghosts flickering in the small pictures): seen there.
    flickering = replace(check, still=np.ones_like(check.still))
    assert _seen_elsewhere(heard, [seen(10.0, 20.0, 24.0)], [flickering], AlignParams()) == pytest.approx(8.0)


def test_the_picture_sees_a_line_elsewhere_over_a_glimpse_where_the_rest_looks_alike(check):
    """A sure clip whose line the picture tells apart over 2 s and not over the rest (Ms.
    Pac-Man's opening screen, alike on both lines, hid the ghosts' entrance that told them
    apart): it covers that much of the heard stretch."""
    heard = Piece(7.0, 19.0, 150.0, 162.0, None, 0.5, "low confidence", "sound", 1.0)
    # (its line is the first clip's, seen over 7-10 s, and not the second's, 10-19 s)
    assert _seen_elsewhere(heard, [seen(7.0, 19.0, 11.0)], [check], AlignParams()) == pytest.approx(2.0)
    assert _seen_elsewhere(heard, [seen(9.6, 19.0, 13.6)], [check], AlignParams()) == 0.0  # (0.4 s of it)


def test_the_rhythm_backs_no_line_where_the_picture_is_sure_of_another_over_more_than_a_crossfade(check):
    """Ms. Pac-Man's opening screen flickers alike at every game's start, so the screen's rhythm
    backed a tune heard at another game's opening over the last 4 s of a clip whose first 2 s
    the picture placed, sure: the heard clip stays unsure; a crossfade's overlap leaves it be."""
    rng = np.random.default_rng(5)
    stream_rhythm = np.convolve(rng.normal(size=1000), np.ones(3) / 3, mode="same")
    comp_rhythm = np.convolve(rng.normal(size=100), np.ones(3) / 3, mode="same")
    comp_rhythm[55:95] = stream_rhythm[750:790]  # the heard line's rhythm, 150-158 s, at 11-19 s
    rhythm = MotionCheck(stream_rhythm, comp_rhythm, FPS)
    heard = Piece(11.0, 19.0, 150.0, 158.0, None, 0.5, "low confidence", "sound", 1.0)
    sound = Heard(Line(1.0, 139.0), 20.0, 11.0, 19.0, 4.0, Line(1.0, 60.0))
    assert in_rhythm(sound, rhythm, AlignParams()) > 0.9
    backed = looked_at(heard, sound, [check], rhythm, AlignParams(), set(), [seen(10.0, 11.8, 24.0)])
    assert (backed.status, backed.evidence) == ("match", "sound and picture")
    doubted = looked_at(heard, sound, [check], rhythm, AlignParams(), set(), [seen(10.0, 14.0, 24.0)])
    assert (doubted.status, doubted.evidence) == ("low confidence", "sound")


def test_a_clip_heard_alone_where_the_picture_is_sure_of_another_line_is_unsure(check):
    """A sound the game replays (Space Invaders' march) placed a clip surely on its replay; the
    picture, sure of the clip's true line there and not seeing the sound's, leaves it unsure,
    so the picture's clip keeps the stretch (letterboxed, seed 6: 5 of 6 clips to 6)."""
    heard = Piece(11.0, 19.0, 150.0, 158.0, None, 0.9, "match", "sound", 1.0)
    sound = Heard(Line(1.0, 139.0), 30.0, 11.0, 19.0, 20.0)
    alone = looked_at(heard, sound, [check], None, AlignParams(), set(), [])
    assert (alone.status, alone.evidence) == ("match", "sound")
    doubted = looked_at(heard, sound, [check], None, AlignParams(), set(), [seen(10.0, 20.0, 24.0)])
    assert (doubted.status, doubted.stream_start) == ("low confidence", 150.0)


def test_lines_exactly_the_agreeing_distance_apart_agree_whatever_the_rounding():
    """A clip on the line 279.8 s ahead of the compilation and a fragment on the line 3 steps
    (0.6 s) behind it are one clip, as on 16.2 and 15.6 (the first pair's difference comes out
    0.6000000000000227)."""
    for offset in (279.8, 16.2):
        clip = seen(42.26, 45.26, 42.26 + offset)
        fragment = Piece(45.26, 47.26, 45.26 + offset - 0.6, 47.26 + offset - 0.6, None, 0.3, "low confidence",
                         "picture", 1.0)
        assert agree(clip, fragment) and agree(fragment, clip)


def test_a_carried_clip_gives_back_no_more_than_the_picture_found(tmp_path):
    """A sound carried its clip's line back over the end of one clip and the whole of the next
    (Space Invaders' march, 9:16 crop): the heard clip starts where the picture passes to its
    line, and the first clip keeps no more than its search found, so the clip between, on a
    third line, is still there to be placed (it had been given to the first clip, 5.5 s)."""
    rng = np.random.default_rng(3)
    play = _play(rng, 300)
    stream = _features(tmp_path / "stream.h5", play)
    # Compilation seconds 0-10: stream 4-14; 10-16: stream 40-46; 16-26: stream 24-34.
    cut = np.concatenate([play[20:70], play[200:230], play[120:170]]) + 0.7 * rng.normal(size=(130, 32))
    check = picture_pieces(stream, _features(tmp_path / "compilation.h5", cut))[1]
    heard = Piece(7.0, 26.0, 15.0, 34.0, None, 0.9, "match", "sound and picture", 1.0)
    first, between = seen(0.0, 10.0, 4.0), seen(10.0, 16.0, 40.0)
    [h], found = overheard([heard], [first, between], [check], AlignParams())
    assert h.start == pytest.approx(16.0, abs=0.4) and h.stream_start == pytest.approx(24.0, abs=0.4)
    assert found[0].end <= 10.0 and found[0].stream_start == 4.0
    assert found[1] == between or found[1].end <= h.start + 1e-9
