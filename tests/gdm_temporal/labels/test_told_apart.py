"""A stretch the picture sees on two lines alike (a game replays a scene exactly) is placed on
the one the sound hears; never where the sound hears neither, nor on a line the picture does
not see. (On the benchmark's Atari compilations, tools/bench_align.py: Ms. Pac-Man's combined
edits 5 of 6 clips to 6, Space Invaders plain and 9:16 5 to 6.)"""

import numpy as np
import pytest

from gdm_temporal.labels.align import AlignParams
from gdm_temporal.labels.audio_print import FRAME_S, Onsets
from gdm_temporal.labels.picture_match import picture_pieces
from gdm_temporal.labels.pieces import Piece
from gdm_temporal.labels.sound_evidence import Evidence, SoundParams
from gdm_temporal.labels.seen_clips import grown, steps_grown
from gdm_temporal.labels.told_apart import edges_seen_elsewhere, told_apart

from .test_picture_joins import _features, _play
from .test_sound_print import rhythm

STREAM_S, CLIP_S = 40.0, 10.0  # the clip: stream seconds 24-34, whose picture replays 4-14


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    rng = np.random.default_rng(0)
    play = _play(rng, 200)
    play[120:170] = play[20:70]  # the game shows the same scene twice
    stream = _features(tmp / "stream.h5", play)
    compilation = _features(tmp / "compilation.h5", play[120:170] + 0.5 * rng.normal(size=(50, 32)))
    check = picture_pieces(stream, compilation)[1]
    return [check, check]  # (the first is the embedding's; the rule reads the others)


def _onsets(t, bands, seconds):
    order = np.argsort(t, kind="stable")
    return Onsets(np.round(np.asarray(t)[order] / FRAME_S), np.asarray(bands)[order], seconds)


def _told(checks, heard_from: float | None, replayed: bool = False, heard_s: float = CLIP_S, speed: float = 1.0):
    """told_apart on a compilation whose sound is the stream's from `heard_from` for `heard_s`
    (None: sounds of its own), played at `speed`; with `replayed`, the stream replays the sound
    with the scene."""
    t, b = rhythm(STREAM_S, 3.0, seed=5)
    if replayed:
        keep = (t < 24.0) | (t >= 34.0)
        again = (t >= 4.0) & (t < 14.0)
        t, b = np.r_[t[keep], t[again] + 20.0], np.r_[b[keep], b[again]]
    if heard_from is None:
        ct, cb = rhythm(CLIP_S, 3.0, seed=6)
    else:
        inside = (t >= heard_from) & (t < heard_from + heard_s * speed)
        ct, cb = (t[inside] - heard_from) / speed, b[inside]
    evidence = Evidence(_onsets(t, b, STREAM_S), _onsets(ct, cb, CLIP_S), SoundParams())
    return told_apart([Piece(0.0, CLIP_S)], checks, evidence, AlignParams())


def test_the_sound_tells_apart_two_lines_the_picture_sees_alike(checks):
    z = [checks[1].z_along(0.0, CLIP_S, start, 1.0) for start in (4.0, 24.0)]
    assert min(z) >= 1.5 and abs(z[0] - z[1]) < 0.5  # the picture alone cannot choose
    placed = [p for p in _told(checks, 24.0) if p.status == "match"]
    assert len(placed) == 1
    p = placed[0]
    assert p.evidence == "sound and picture"
    assert abs(p.stream_at(5.0) - 29.0) < 0.05
    assert p.start <= 0.6 and p.end >= CLIP_S - 0.6


def test_a_clip_played_faster_is_heard_at_its_speed(checks):
    """The picture's lines assume speed 1; the sound of a clip played 4 % fast pairs with the
    stream's only along a line of its own speed (Space Invaders seed 6, every edit: 16.6 nats
    so, 6.8 along the picture's line; seed 3 plain: a clip unplaced at 12.1 nats is placed,
    heard best at speed 0.985, its boundaries within the allowance)."""
    placed = [p for p in _told(checks, 24.0, speed=1.04) if p.status == "match"]
    assert len(placed) == 1
    assert placed[0].speed == pytest.approx(1.04, abs=0.01)
    assert abs(placed[0].stream_at(5.0) - (24.0 + 1.04 * 5.0)) < 0.1


def test_nothing_is_placed_where_the_sound_hears_neither_line(checks):
    assert _told(checks, None) == [Piece(0.0, CLIP_S)]


def test_nothing_is_placed_on_a_line_the_picture_does_not_see(checks):
    assert _told(checks, 14.0) == [Piece(0.0, CLIP_S)]


def test_nothing_is_placed_where_the_sound_replays_with_the_scene(checks):
    assert _told(checks, 24.0, replayed=True) == [Piece(0.0, CLIP_S)]


def test_nothing_is_placed_on_a_few_sounds(checks):
    assert _told(checks, 24.0, heard_s=1.0) == [Piece(0.0, CLIP_S)]


def test_a_weak_sound_places_a_clip_on_the_line_a_search_found_unsure(checks):
    """Heard for 2 s, half of it replayed on the look-alike line (13.6 nats, 6.1 ahead): too
    little for the sound to choose alone; but where a picture search found the same line, unsure
    of it, the two witnesses agree (Space Invaders with every edit, and letterboxed: 5 of 6
    clips to 6). Where the search's piece is on the other line, they do not."""
    t, b = rhythm(STREAM_S, 3.0, seed=5)
    clip = (t >= 24.0) & (t < 26.0)
    ct, cb = t[clip] - 24.0, b[clip]
    elsewhere = ~((t >= 4.0) & (t < 6.0))
    stream = _onsets(np.r_[t[elsewhere], ct[:2] + 4.0], np.r_[b[elsewhere], cb[:2]], STREAM_S)
    evidence = Evidence(stream, _onsets(ct, cb, CLIP_S), SoundParams())

    def unsure(stream_start):
        return Piece(0.0, CLIP_S, stream_start, stream_start + CLIP_S, None, 0.3, "low confidence", "picture", 1.0)

    assert told_apart([Piece(0.0, CLIP_S)], checks, evidence, AlignParams()) == [Piece(0.0, CLIP_S)]
    placed = [p for p in told_apart([unsure(24.0)], checks, evidence, AlignParams()) if p.status == "match"]
    assert len(placed) == 1 and abs(placed[0].stream_at(1.0) - 25.0) < 0.1
    assert told_apart([unsure(4.0)], checks, evidence, AlignParams()) == [unsure(4.0)]


def test_a_compilation_with_no_pieces_stays_so(checks):
    t, b = rhythm(STREAM_S, 3.0, seed=5)
    assert told_apart([], checks, Evidence(_onsets(t, b, STREAM_S), _onsets(t[:2], b[:2], 0.5), SoundParams()),
                      AlignParams()) == []


def test_each_unsure_clip_in_a_stretch_is_weighed_on_its_own(tmp_path):
    """A stretch no match covers holds two clips of replayed scenes (stream 24-34 s, which
    looks like 4-14 s, then 50-60 s, which looks like 40-50 s and sounds like 24-34 s), each
    found unsure by a search. Over the whole stretch the sound hears both clips' lines alike;
    over each clip, its own line clearly best of those the picture sees there."""
    rng = np.random.default_rng(0)
    play = _play(rng, 300)
    play[120:170], play[250:300] = play[20:70], play[200:250]
    stream = _features(tmp_path / "stream.h5", play)
    cut = np.concatenate([play[120:170], play[250:300]]) + 0.5 * rng.normal(size=(100, 32))
    check = picture_pieces(stream, _features(tmp_path / "compilation.h5", cut))[1]
    t, b = rhythm(60.0, 3.0, seed=5)
    # 50-60 s sounds as 24-34 s does: over the whole stretch, both clips' lines hear as much.
    keep, again = t < 50.0, (t >= 24.0) & (t < 34.0)
    t, b = np.r_[t[keep], t[again] + 26.0], np.r_[b[keep], b[again]]
    first, second = (t >= 24.0) & (t < 34.0), (t >= 50.0) & (t < 60.0)
    comp = _onsets(np.r_[t[first] - 24.0, t[second] - 40.0], np.r_[b[first], b[second]], 20.0)
    evidence = Evidence(_onsets(t, b, 60.0), comp, SoundParams())
    unsure = [Piece(0.0, 10.0, 4.0, 14.0, 0.9, 0.3, "low confidence", "picture", 1.0),
              Piece(10.0, 20.0, 40.0, 50.0, 0.9, 0.3, "low confidence", "picture", 1.0)]
    placed = [p for p in told_apart(unsure, [check, check], evidence, AlignParams()) if p.status == "match"]
    assert [round(p.stream_at(p.start) - p.start) for p in placed] == [24, 40]
    assert placed[0].start <= 0.6 and abs(placed[0].end - 10.0) <= 0.6 and placed[1].end >= 19.4


@pytest.fixture(scope="module")
def two_clips(tmp_path_factory):
    """A compilation of stream steps 20-69, then 120-149 (10 s, then 6 s)."""
    tmp = tmp_path_factory.mktemp("two_clips")
    rng = np.random.default_rng(1)
    play = _play(rng, 200)
    stream = _features(tmp / "stream.h5", play)
    cut = np.concatenate([play[20:70], play[120:150]]) + 0.5 * rng.normal(size=(80, 32))
    check = picture_pieces(stream, _features(tmp / "compilation.h5", cut))[1]
    return [check, check]


def test_a_match_carried_into_an_unplaced_stretch_ends_where_the_picture_passes_on(two_clips):
    carried = Piece(0.0, 13.0, 4.0, 17.0, 0.9, 0.9, "match", "picture", 1.0)  # 3 s into the second clip
    out = edges_seen_elsewhere([carried, Piece(13.0, 16.0)], two_clips, AlignParams())
    assert abs(out[0].end - 10.0) <= 0.4 and out[0].start == 0.0 and out[0].stream_at(0.0) == 4.0


def test_a_match_that_ends_with_its_clip_stays(two_clips):
    pieces = [Piece(0.0, 10.0, 4.0, 14.0, 0.9, 0.9, "match", "picture", 1.0), Piece(10.0, 16.0)]
    assert edges_seen_elsewhere(pieces, two_clips, AlignParams()) == pieces


def test_a_match_is_not_cut_where_a_match_follows(two_clips):
    """Where two matches meet, the joins decide (`overlaps_split`), not this."""
    pieces = [Piece(0.0, 13.0, 4.0, 17.0, 0.9, 0.9, "match", "picture", 1.0),
              Piece(13.0, 16.0, 27.0, 30.0, 0.9, 0.9, "match", "picture", 1.0)]
    assert edges_seen_elsewhere(pieces, two_clips, AlignParams()) == pieces


def test_growth_over_a_lone_still_step_is_bridged_where_asked(tmp_path):
    """A frame repeated once (a march's pause, a frame a speed change doubled) has no say on any
    line: growth of a clip the two witnesses placed goes over it (Space Invaders sped up: a clip
    grown from its first sound stopped 1.6 s short at one); a picture match's growth stops
    there as before, and three still steps together (a card) stop both."""
    rng = np.random.default_rng(2)
    play = _play(rng, 120)
    stream = _features(tmp_path / "stream.h5", play)
    cut = play[20:70] + 0.5 * rng.normal(size=(50, 32))  # compilation seconds 0-10: stream 4-14
    cut[10:12] = cut[9]  # one still step at 2.0 s (the same frame either side of it)
    carded = cut.copy()
    carded[30:34] = carded[29]  # three at 6.0-6.4 s
    check = picture_pieces(stream, _features(tmp_path / "compilation.h5", cut))[1]
    piece = Piece(4.0, 8.0, 8.0, 12.0, None, 0.8, "match", "sound and picture", 1.0)
    params = AlignParams()
    assert grown(piece, [check], params, 8.0, bridged=True).start <= 0.4
    assert grown(piece, [check], params, 8.0).start >= 2.0
    check = picture_pieces(stream, _features(tmp_path / "carded.h5", carded))[1]
    late = Piece(7.0, 10.0, 11.0, 14.0, None, 0.8, "match", "sound and picture", 1.0)
    assert grown(late, [check], params, 8.0, bridged=True).start >= 6.2


def test_a_clip_grows_over_a_pause_the_stream_shares_and_not_over_a_frozen_frame(tmp_path):
    """Breakout waits for the serve: the picture stands still in the stream and so in the clip,
    and has no say on which line it is from; but along the clip's own line the stream stands
    still too, the same pause, and the clip goes on over it (it ended 2.4 s early under music).
    A frame the editor froze, where the stream moves on, stops it as before."""
    rng = np.random.default_rng(4)
    play = _play(rng, 150)
    paused = play.copy()
    paused[70:82] = paused[70]  # the stream waits 14.0-16.4 s
    noise = 0.5 * rng.normal(size=(62, 32))
    piece = Piece(2.0, 9.0, 6.0, 13.0, None, 0.8, "match", "picture", 1.0)
    for name, stream_play, reaches in (("paused", paused, True), ("frozen", play, False)):
        cut = stream_play[20:82] + noise  # compilation 0-12.4 s: stream 4-16.4 s
        cut[50:62] = cut[50]  # still from 10.0 s (the pause re-encoded: one frame held)
        stream = _features(tmp_path / f"{name}.h5", stream_play)
        check = picture_pieces(stream, _features(tmp_path / f"{name}-compilation.h5", cut))[1]
        end = grown(piece, [check], AlignParams(), 8.0).end
        assert end >= 12.2 if reaches else end <= 10.2, (name, end)


def test_growth_goes_on_past_a_lone_step_below_where_a_second_stands_out_after_it():
    """A change of scene lands a step apart in the two videos where the compilation's steps
    fall between the stream's: one step below, and the clip goes on (Ms. Pac-Man's opening
    screen: a clip stopped 4 s short there); two together, or one with less than a second
    after it, end it."""
    good = np.array([1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1], bool)
    assert steps_grown(good, 5) == 9
    assert steps_grown(good[:7], 5) == 2  # (four steps after the lone one)
    assert steps_grown(np.ones(4, bool), 5) == 4 and steps_grown(np.zeros(3, bool), 5) == 0
