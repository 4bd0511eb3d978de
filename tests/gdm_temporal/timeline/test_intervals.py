"""Intervals: merging, per-step targets, summaries."""


import pytest

from gdm_temporal.labels import Interval, merged, step_targets, summarize


def test_merge_targets_and_summary():
    ivs = [Interval(0, 1), Interval(0.5, 2), Interval(5, 6)]
    assert merged(ivs) == [Interval(0, 2), Interval(5, 6)]
    assert step_targets(merged(ivs), 10, 2).tolist() == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    s = summarize(ivs + [Interval(9, 12)], stream_s=10)
    assert s.count == 4 and s.overlapping_pairs == 1 and s.outside_stream == 1
    assert s.total_s == pytest.approx(6.0) and s.share_of_stream == pytest.approx(0.6)
