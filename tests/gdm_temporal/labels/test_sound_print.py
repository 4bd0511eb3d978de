"""The sound print and the rules that join sound and picture: pure logic, on signals whose
truth is known exactly."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from gdm_temporal.labels import audio_print as ap
from gdm_temporal.labels.align import AlignParams
from gdm_temporal.labels.heard_clips import handed_over, taken_back
from gdm_temporal.labels.pieces import Piece, fuse, labels_from, one_per_clip
from gdm_temporal.labels.sound_match import sound_pieces


def beeps(times, seconds, rate=ap.RATE, seed=0):
    """Short tones (a game's effects) at `times`, over faint noise."""
    rng = np.random.default_rng(seed)
    x = 0.001 * rng.standard_normal(int(seconds * rate)).astype(np.float32)
    for k, t in enumerate(times):
        a = int(t * rate)
        n = min(int(0.08 * rate), x.size - a)
        if n > 0:
            freq = (300, 800, 1800, 3000)[k % 4]
            x[a:a + n] += 0.5 * np.sin(2 * np.pi * freq * np.arange(n) / rate).astype(np.float32)
    return x


def _own_band_leads(times, onsets):
    """Per beep, how far before it the nearest onset of its own band is stamped."""
    found = onsets.frames * ap.FRAME_S
    leads = []
    for k, t in enumerate(times):
        own = found[onsets.bands == np.searchsorted(ap.BAND_EDGES_HZ, (300, 800, 1800, 3000)[k % 4]) - 1]
        leads.append(t - own[np.argmin(np.abs(own - (t - 0.065)))] if len(own) else np.inf)
    return np.array(leads)


def test_onsets_are_timed_to_the_frame():
    times = np.sort(np.random.default_rng(1).uniform(1, 59, 60))
    times = times[np.r_[True, np.diff(times) > 0.15]]
    leads = _own_band_leads(times, ap.onsets_of([beeps(times, 60)]))
    # A frame is stamped where its 64 ms window starts, so a rise is stamped ahead of the
    # sound: a fixed lead, the same in every copy of it.
    assert np.all((leads >= 0.04) & (leads <= 0.09)) and np.ptp(leads) <= 0.03


def test_onsets_survive_music_mixed_over_them():
    """Chords as loud as the beeps, changing every half second (the compilation factory's
    music), over the same beeps: nine in ten are still found in their band, as sharply timed.
    (The loudness onsets this replaced found none: the music fills the loudness.)"""
    times = np.sort(np.random.default_rng(2).uniform(1, 59, 60))
    times = times[np.r_[True, np.diff(times) > 0.15]]
    rng = np.random.default_rng(5)
    t = np.arange(60 * ap.RATE) / ap.RATE
    music = np.zeros_like(t, dtype=np.float32)
    for start in range(0, len(t), ap.RATE // 2):
        seg = slice(start, start + ap.RATE // 2)
        music[seg] = sum(np.sin(2 * np.pi * f * t[seg]) for f in 220.0 * 2 ** (rng.integers(0, 24, 3) / 12)) / 3
    clean = _own_band_leads(times, ap.onsets_of([beeps(times, 60)]))
    mixed = _own_band_leads(times, ap.onsets_of([beeps(times, 60) + 0.5 * music]))
    kept = np.abs(mixed - clean) <= 0.02
    assert kept.mean() >= 0.9, kept.mean()


def test_block_edges_change_nothing():
    signal = beeps(np.arange(0.5, 300, 0.37), 300)
    whole = ap.onsets_of([signal])
    pieces = ap.onsets_of(np.array_split(signal, 37))
    np.testing.assert_array_equal(whole.frames, pieces.frames)
    np.testing.assert_array_equal(whole.bands, pieces.bands)


def test_silence_has_no_print():
    onsets = ap.onsets_of([np.zeros(ap.RATE * 10, np.float32)])
    assert len(onsets.frames) == 0 and len(ap.PrintIndex.of(onsets)) == 0


def rhythm(seconds, rate_per_s, seed):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(1 / rate_per_s, int(seconds * rate_per_s * 1.2)))
    t = t[t < seconds]
    return t, rng.integers(0, 4, len(t))


def compile_onsets(stream_t, stream_b, cuts, title_s=3.0, seed=9):
    """Onsets of a compilation: a title card with its own sounds, then each (start, end, speed)
    cut of the stream in order. Returns the onsets and where each cut landed."""
    rng = np.random.default_rng(seed)
    t = list(rng.uniform(0, title_s, 4))
    b = list(rng.integers(0, 4, 4))
    placed, at = [], title_s
    for start, end, speed in cuts:
        inside = (stream_t >= start) & (stream_t < end)
        t += list(at + (stream_t[inside] - start) / speed)
        b += list(stream_b[inside])
        length = (end - start) / speed
        placed.append((at, at + length, start, end, speed))
        at += length
    order = np.argsort(t)
    frames = np.round(np.array(t)[order] / ap.FRAME_S)
    return ap.Onsets(frames, np.array(b)[order], at), placed


def test_clips_are_found_on_their_line_at_their_speed():
    stream_t, stream_b = rhythm(3600, 2.0, seed=3)  # an hour of play, two sounds a second
    stream = ap.PrintIndex.of(ap.Onsets(np.round(stream_t / ap.FRAME_S), stream_b, 3600))
    cuts = [(1200.0, 1210.0, 1.0), (300.0, 308.0, 1.04), (2500.0, 2512.0, 0.97), (40.0, 47.0, 1.0)]
    comp, placed = compile_onsets(stream_t, stream_b, cuts)
    pieces = [piece for piece, _ in sound_pieces(stream, comp, comp.seconds, np.zeros(int(comp.seconds * 5)), 5.0)]
    matches = [p for p in pieces if p.status == "match"]
    assert len(matches) == len(cuts)
    for (at, until, start, end, speed), p in zip(placed, sorted(matches, key=lambda p: p.start)):
        assert p.speed == pytest.approx(speed, abs=0.011)
        assert abs(p.stream_at(at + 2) - (start + 2 * speed)) <= 0.15  # on the right line
        assert p.start <= at + 1.5 and p.end >= until - 1.5  # where its sounds were heard


def test_another_streams_sound_finds_nothing():
    stream_t, stream_b = rhythm(3600, 2.0, seed=3)
    other_t, other_b = rhythm(600, 2.0, seed=4)
    stream = ap.PrintIndex.of(ap.Onsets(np.round(stream_t / ap.FRAME_S), stream_b, 3600))
    comp, _ = compile_onsets(other_t, other_b, [(100.0, 110.0, 1.0), (200.0, 212.0, 1.0)])
    pieces = [piece for piece, _ in sound_pieces(stream, comp, comp.seconds, np.zeros(int(comp.seconds * 5)), 5.0)]
    assert [p for p in pieces if p.status == "match"] == []


def seen(start, end, stream_start, status="match", confidence=0.9):
    return Piece(start, end, stream_start, stream_start + end - start, 0.8, confidence, status, "picture", 1.0)


def heard(start, end, stream_start, status="match", confidence=0.9, speed=1.0):
    return Piece(start, end, stream_start, stream_start + speed * (end - start), None, confidence, status, "sound", speed)


def test_agreement_confirms_even_two_unsure_witnesses():
    [title, clip, end] = fuse([seen(3, 10, 100, "low confidence", 0.3)], [heard(3.4, 10, 100.4, "low confidence", 0.3)], 12)
    assert title.status == "no match" and end.status == "no match"
    assert clip.status == "match" and clip.evidence == "sound and picture"
    assert clip.start == 3 and clip.end == 10 and clip.stream_start == pytest.approx(100)


def test_either_alone_is_kept_and_a_conflict_goes_to_the_stronger():
    out = fuse([seen(0, 8, 50), seen(10, 20, 300, "low confidence", 0.2)],
               [heard(10, 20, 700, "match", 0.95), heard(30, 40, 900)], 40)
    found = [p for p in out if p.found]
    assert [(p.start, p.evidence, p.stream_start) for p in found] == [(0, "picture", 50), (10, "sound", 700),
                                                                     (30, "sound", 900)]
    assert labels_from(out)[0].start == 50


def test_two_picture_searches_report_one_clip_and_join_its_fragments():
    # Both searches sure of one clip on one line: one clip over both stretches.
    [clip] = one_per_clip([seen(3, 7, 100, "match", 0.6)], [seen(3.2, 12, 100.2, "match", 0.8)])
    assert (clip.start, clip.end, clip.status) == (3, 12, "match")
    assert clip.stream_start == pytest.approx(100) and clip.stream_end == pytest.approx(109)
    # One unsure of it: the sure one's edges (the unsure one grew past the clip's end).
    [clip] = one_per_clip([seen(3, 14, 100, "low confidence", 0.3)], [seen(3.2, 12, 100.2, "match", 0.8)])
    assert (clip.start, clip.end, clip.status) == (3.2, 12, "match")
    # Both ends of a clip found on one line, its look-alike middle not: one clip.
    [clip] = one_per_clip([seen(20, 24, 300), seen(27, 31, 307, "low confidence", 0.3)], [])
    assert (clip.start, clip.end, clip.status) == (20, 31, "match")
    # Not across a sure clip of another line, nor across a long gap.
    between = one_per_clip([seen(20, 24, 300), seen(27, 31, 307)], [seen(24.5, 26.5, 800)])
    assert len(between) == 3
    assert len(one_per_clip([seen(20, 24, 300), seen(31, 35, 311)], [])) == 2


class LinesSeen:
    """A picture comparison whose z-scores are given per line (by intercept, stream seconds at
    compilation second 0), 0 elsewhere: the input of the rules that weigh lines by picture."""

    def __init__(self, z_by_intercept, fps=5.0):
        self.z_by_intercept, self.stream = z_by_intercept, SimpleNamespace(fps=fps)

    def z_steps(self, start_s, end_s, stream_start_s, speed, standing=False, paused=False):
        intercept = round(stream_start_s - speed * start_s, 1)
        return np.full(int(round((end_s - start_s) * self.stream.fps)), self.z_by_intercept.get(intercept, 0.0))

    def z_along(self, start_s, end_s, stream_start_s, speed):
        return float(self.z_steps(start_s, end_s, stream_start_s, speed).mean())


def test_a_line_the_sound_carried_past_its_clip_gives_the_stretch_back():
    # The sound alone claims 40-52 s on a march replayed at 0.97x; the clip after it, seen and
    # heard on its line, is what the picture sees over the end of that claim.
    claim = heard(40, 52, 196.2 + 0.97 * 40, speed=0.97)
    neighbour = replace(heard(52, 56, 138.6), evidence="sound and picture")
    [left, grown] = taken_back([claim, neighbour], [LinesSeen({86.6: 2.2})], AlignParams())
    assert left.status == "low confidence" and left.confidence < claim.confidence / 2
    assert grown.start < 48 and grown.stream_start == pytest.approx(86.6 + grown.start)
    # Where the picture sees neither line, or the claim's own, nothing changes.
    for seen_lines in ({}, {86.6: 2.2, round(196.2, 1): 2.0}):
        assert taken_back([claim, neighbour], [LinesSeen(seen_lines)], AlignParams()) == [claim, neighbour]


class LinesSeenUntil(LinesSeen):
    """As LinesSeen, each line's z-score holding until a compilation second, 0 after it."""

    def __init__(self, z_until_by_intercept, fps=5.0):
        super().__init__({}, fps)
        self.z_until = z_until_by_intercept

    def z_steps(self, start_s, end_s, stream_start_s, speed, standing=False, paused=False):
        z, until = self.z_until.get(round(stream_start_s - speed * start_s, 1), (0.0, np.inf))
        times = start_s + np.arange(int(round((end_s - start_s) * self.stream.fps))) / self.stream.fps
        return np.where(times < until, z, 0.0)


def test_a_heard_neighbour_gets_back_the_stretch_the_picture_sees_on_its_line():
    # Space Invaders, letterboxed: the march carried a clip seen and heard (line 344.9) back
    # over the end of the clip before it (line 97.1, heard unsure), whose line the picture
    # follows until 25.4 s.
    before, after = heard(13.2, 18.0, 97.1 + 13.2, "low confidence", 0.2), \
        replace(heard(18.0, 38.2, 344.9 + 18.0), evidence="sound and picture")
    seen_lines = LinesSeenUntil({97.1: (2.0, 25.4), 344.9: (0.4, np.inf)})
    [given, kept] = handed_over([before, after], [seen_lines], AlignParams())
    assert given.end == pytest.approx(25.4, abs=0.3) and kept.start == given.end
    assert kept.stream_start == pytest.approx(344.9 + kept.start)
    assert (given.status, given.evidence) == ("match", "sound and picture")
    # A picture that does not prefer the neighbour's line by a clear margin changes nothing;
    # nor may it take more than half the surer clip.
    weak = LinesSeenUntil({97.1: (1.2, 25.4), 344.9: (0.4, np.inf)})
    assert handed_over([before, after], [weak], AlignParams()) == [before, after]
    everywhere = LinesSeenUntil({97.1: (2.0, np.inf), 344.9: (0.4, np.inf)})
    [_, kept] = handed_over([before, after], [everywhere], AlignParams())
    assert kept.start == pytest.approx(28.1, abs=0.3)


def test_crossfade_overlap_is_no_conflict():
    out = fuse([seen(0, 8.5, 50), seen(8.0, 16, 400)], [], 16)
    assert [(p.start, p.end) for p in out if p.found] == [(0, 8.5), (8.0, 16)]


def test_a_cut_is_one_jump_and_a_crossfade_peaks_in_its_middle():
    from gdm_temporal.labels.shots import CUT_SCORE, jump_scores

    rng = np.random.default_rng(2)
    a, b = np.abs(rng.normal(size=64)), np.abs(rng.normal(size=64))
    a[32:], b[:32] = 0, 0  # a title card and a game scene share few active features
    cut = np.stack([a] * 20 + [b] * 20)
    scores = jump_scores(cut)
    assert scores.max() >= CUT_SCORE and abs(int(np.argmax(scores)) - 20) <= 1
    assert scores[:17].max() == pytest.approx(0, abs=1e-6)  # a still picture never jumps
    fade = np.stack([a] * 20 + [a + (b - a) * w for w in (0.25, 0.5, 0.75)] + [b] * 20)
    assert abs(int(np.argmax(jump_scores(fade))) - 21) <= 1  # the fade's middle


def test_a_run_leaves_out_chance_matches_at_its_edges():
    """Evidence along a line, one event a second: two chance matches, misses, then a clip's
    hits. The run is the clip; the echoes before it add less than they cost."""
    from gdm_temporal.labels.sound_evidence import best_run

    scores = np.array([-0.7, 1.9, 1.9, -0.6, -0.7, -1.6, -0.7] + [2.5] * 10 + [-0.7, -1.5, 1.0, -0.7])
    total, first, last = best_run(np.arange(len(scores), dtype=float), scores)
    assert (first, last) == (7.0, 16.0)
    assert total >= 25.0


def test_every_steps_best_matches_are_found_from_the_best_blocks():
    from gdm_temporal.labels.picture_match import _top_rows

    rng = np.random.default_rng(0)
    for n in (100, 1037, 4096):
        sims = rng.normal(size=(200, n)).astype(np.float32)
        sims[:, 5:13] += 10  # eight best in one block: all of them still found
        got = np.sort(np.take_along_axis(sims, _top_rows(np.ascontiguousarray(sims.T), 8), 1), 1)
        want = np.sort(-np.partition(-sims, 7, axis=1)[:, :8], 1)
        np.testing.assert_array_equal(got, want)


def test_a_passage_the_stream_replays_is_no_sure_match():
    """A game replays a jingle exactly: the stream's 300-312 s sounds again at 800-812 s. A
    clip cut from it is found on one of the two lines, but never as sure; and the replay of the
    passage a line found is looked for in the stream itself."""
    from gdm_temporal.labels.sound_evidence import Line
    from gdm_temporal.labels.sound_proposals import replays

    stream_t, stream_b = rhythm(1200, 2.0, seed=7)
    jingle = (stream_t >= 300) & (stream_t < 312)
    elsewhere = (stream_t >= 800) & (stream_t < 812)
    t = np.r_[stream_t[~elsewhere], stream_t[jingle] + 500]
    b = np.r_[stream_b[~elsewhere], stream_b[jingle]]
    order = np.argsort(t)
    t, b = t[order], b[order]
    stream = ap.PrintIndex.of(ap.Onsets(np.round(t / ap.FRAME_S), b, 1200))
    comp, _ = compile_onsets(t, b, [(301.0, 311.0, 1.0)])
    pieces = [piece for piece, _ in sound_pieces(stream, comp, comp.seconds, np.zeros(int(comp.seconds * 5)), 5.0)]
    on_it = [p for p in pieces if p.found and min(abs(p.stream_at(6.0) - at) for at in (304.0, 804.0)) < 0.3]
    assert on_it and all(p.status == "low confidence" for p in on_it)
    lines = replays(stream, Line(1.0, 301.0 - 3.0), 3.0, 13.0)
    assert any(abs(line.stream_at(6.0) - 804.0) < 0.2 for line in lines)
