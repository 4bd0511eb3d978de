"""Segment extraction on hand-made score arrays (fps = 1: step i covers [i, i + 1) s)."""

import numpy as np
import pytest

from gdm_temporal.timeline.segments import SegmentParams, threshold_segments, window_segments


def spans(segments):
    return [(s.start, s.end) for s in segments]


def P(**kw):
    return SegmentParams(**{"merge_gap": 0.0, "min_len": 0.0, **kw})


def test_plain_threshold():
    scores = [0, 0, .9, .9, 0, 0, .8, 0]
    assert spans(threshold_segments(scores, 1, P(hysteresis=0))) == [(2, 4), (6, 7)]


def test_hysteresis_extends_runs_but_needs_a_high_step():
    scores = [0, .45, .9, .45, .45, 0, .45, .45, 0, 0, 0, 0, 0, 0, 0]
    # low = 0.4: the first run grows to [1, 5); the second never reaches 0.5
    assert spans(threshold_segments(scores, 1, P(threshold=.5, hysteresis=.1))) == [(1, 5)]


def test_hysteresis_never_sags_into_the_streams_typical_level():
    # A weak head hovering at 0.45 under its 0.5 threshold: only the peaks, not the whole stream.
    scores = [.45] * 10 + [.6, .62] + [.45] * 10 + [.55] + [.44] * 10
    assert spans(threshold_segments(scores, 1, P(threshold=.5, hysteresis=.1, merge_gap=0))) == [(10, 12), (22, 23)]


def test_merge_gap_joins_close_segments_only():
    scores = [.9, 0, .9, 0, 0, 0, .9]
    assert spans(threshold_segments(scores, 1, P(merge_gap=2))) == [(0, 3), (6, 7)]


def test_padding_is_clipped_to_the_stream_and_merges_overlaps():
    scores = [.9, 0, 0, 0, .9, 0, 0, 0, 0, .9]
    segs = threshold_segments(scores, 1, P(pre=1, post=1.5))
    assert spans(segs) == [(0, 2.5), (3, 6.5), (8, 10)]
    segs = threshold_segments(scores, 1, P(pre=2, post=2))
    assert spans(segs) == [(0, 7), (7, 10)] or spans(segs) == [(0, 10)]


def test_min_len_drops_and_max_len_trims_around_the_peak():
    scores = [.6, .6, .6, .6, .95, .6, .6, .6, 0, .9]
    segs = threshold_segments(scores, 1, P(min_len=2, max_len=3))
    assert spans(segs) == [(3.0, 6.0)]
    assert segs[0].peak == pytest.approx(.95) and segs[0].peak_time == 4


def test_segment_score_is_the_mean_and_peak_the_max():
    [seg] = threshold_segments([0, .6, 1.0, .8, 0], 1, P())
    assert seg.score == pytest.approx(0.8) and seg.peak == 1.0 and seg.peak_time == 2


def test_fps_converts_steps_to_seconds():
    scores = np.zeros(50)
    scores[15:17] = 1  # steps 15, 16 at 5 fps = [3.0, 3.4)
    assert spans(threshold_segments(scores, 5, P())) == [(3.0, 3.4)]


def test_budget_works_on_raw_unbounded_scores():
    rng = np.random.default_rng(0)
    scores = rng.normal(-40, 1, 600)
    scores[300:305] = -5
    [best] = window_segments(scores, 1, 5, 5)
    assert (best.start, best.end) == (300, 305)


def test_empty_and_zero_budget():
    assert window_segments(np.zeros(10), 1, 0, 2) == []
    assert threshold_segments(np.zeros(10), 1, P()) == []


def test_two_close_events_both_found_at_their_budget():
    """The rule before windows grew one segment over both and trimmed it to one event."""
    scores = np.zeros(200)
    scores[50:53] = 0.9
    scores[55:58] = 1.0  # 2 s after the first, still above half its peak in between
    scores[54] = 0.6
    segments = window_segments(scores, 1, 6, 3)
    assert [(s.start, s.end) for s in segments] in ([(50, 53), (55, 58)],)


def test_windows_take_the_best_means_up_to_the_budget_and_join_touching_ones():
    scores = np.zeros(100)
    scores[10:14] = 1.0  # two touching 2-step windows, the best
    scores[50:52] = 0.9
    scores[80] = 0.8  # a lone spike: its best window still holds it
    segments = window_segments(scores, 1.0, budget_s=8, window_s=2)
    assert [(s.start, s.end) for s in segments] == [(10, 14), (50, 52), (79, 81)] or \
        [(s.start, s.end) for s in segments] == [(10, 14), (50, 52), (80, 82)]
    assert sum(s.duration for s in segments) <= 8
    assert segments[0].score == 1.0 and segments[1].peak == 0.9


def test_windows_never_overlap_never_pass_the_budget_or_the_end():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, fps = int(rng.integers(1, 400)), float(rng.choice([1.0, 5.0, 30.0]))
        scores = rng.random(n) ** 4
        budget, window = float(rng.uniform(0, n / fps)), float(rng.uniform(0.2, 5))
        segments = window_segments(scores, fps, budget, window, duration_s=n / fps - 0.01)
        assert sum(s.duration for s in segments) <= budget + 1e-6
        assert all(0 <= a.start < a.end <= n / fps - 0.01 + 1e-9 for a in segments)
        assert all(a.end < b.start for a, b in zip(segments, segments[1:]))  # touching ones were joined


def test_windows_with_padding_from_the_user():
    scores = np.zeros(60)
    scores[30:32] = 1.0
    (segment,) = window_segments(scores, 1.0, 6, 2, SegmentParams(merge_gap=0, pre=3, post=1, min_len=0))
    assert (segment.start, segment.end) == (27, 33)  # the padding is paid from the budget
    assert window_segments(scores, 1.0, 5.9, 2, SegmentParams(merge_gap=0, pre=3, post=1, min_len=0)) == []
    assert window_segments(scores, 1.0, 1.9, 2) == []  # no whole window fits the budget
