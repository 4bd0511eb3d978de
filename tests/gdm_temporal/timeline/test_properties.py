"""Properties that must hold for any input, found by hypothesis: parsers raise only GdmError,
segments stay inside the stream and apart, exporters take whatever `score` can write."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gdm_features import GdmError
from gdm_temporal.highlights.exports import FORMATS, SegmentsDoc, export
from gdm_temporal.labels.formats import import_csv, import_highlights_json
from gdm_temporal.timeline.budget import Budget
from gdm_temporal.timeline.segments import SegmentParams, threshold_segments, window_segments

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text(max_size=300))
def test_csv_labels_parser_raises_only_gdm_errors(text):
    try:
        intervals = import_csv(text, "x.csv")
    except GdmError:
        return
    assert all(0 <= iv.start < iv.end and math.isfinite(iv.end) for iv in intervals)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                           max_leaves=20)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["highlights", "source", "x"]), JSON_VALUES, max_size=3))
def test_json_labels_parser_raises_only_gdm_errors(data):
    try:
        intervals = import_highlights_json(data, "x.json")
    except GdmError:
        return
    assert all(0 <= iv.start < iv.end for iv in intervals)


SCORES = st.lists(st.floats(0, 1), min_size=1, max_size=400).map(lambda v: np.array(v))
PARAMS = st.builds(SegmentParams, threshold=st.floats(0, 1), hysteresis=st.floats(0, 1), merge_gap=st.floats(0, 20),
                   pre=st.floats(0, 10), post=st.floats(0, 10), min_len=st.floats(0, 10),
                   max_len=st.none() | st.floats(0.5, 60))


def check_segments(segments, duration):
    for s in segments:
        assert 0 <= s.start < s.end <= duration + 1e-9
        assert 0 <= s.score <= s.peak <= 1
    starts = sorted(segments, key=lambda s: s.start)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(starts, starts[1:]))


@SETTINGS
@given(SCORES, PARAMS, st.floats(0.5, 1.0))
@example(np.array([0.8231556995933682] * 3), SegmentParams(threshold=0.0, hysteresis=0.0, merge_gap=0.0, min_len=0.0), 1.0)
def test_threshold_segments_stay_inside_and_apart(scores, params, cut):
    duration = len(scores) / 5 * cut  # the video can end inside the last step
    check_segments(threshold_segments(scores, 5.0, params, duration_s=duration), duration)


@SETTINGS
@given(SCORES, PARAMS, st.floats(0.1, 100), st.floats(0.2, 10))
def test_window_segments_fit_the_budget(scores, params, budget_s, window_s):
    duration = len(scores) / 5
    segments = window_segments(scores, 5.0, budget_s, window_s, params, duration_s=duration)
    check_segments(segments, duration)
    assert sum(s.duration for s in segments) <= budget_s + 1e-6


@SETTINGS
@given(SCORES, st.sampled_from(FORMATS[:-1]))
def test_exporters_take_whatever_scoring_writes(scores, fmt):
    duration = len(scores) / 5
    segments = window_segments(scores, 5.0, Budget(share=0.3).for_stream(duration), 2.0, SegmentParams(), duration)
    doc = SegmentsDoc("/videos/vod 'one'.mp4", 5.0, {"scorer": "head"}, segments, duration, 30.0)
    try:
        text, _ = export(doc, fmt)
    except GdmError as exc:
        assert fmt == "chapters" and "at least 3" in str(exc)
        return
    assert isinstance(text, str)
