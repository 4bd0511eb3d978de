"""Metric definitions on cases computed by hand."""

import math

import numpy as np
import pytest

from gdm_temporal.labels import Interval
from gdm_temporal.timeline.metrics import (best_f1_threshold, block_counts, budget_counts,
                                               event_counts, frame_metrics, pooled)
from gdm_temporal.timeline.budget import DEFAULT_BUDGET
from gdm_temporal.timeline.segments import Segment


def seg(a, b, score=1.0):
    return Segment(a, b, score, score, a)


def test_frame_metrics_by_hand():
    scores = np.array([.9, .8, .3, .2, .6])
    targets = np.array([1, 0, 1, 0, 0])
    m = frame_metrics(scores, targets, threshold=.5)
    # predicted {0, 1, 4}: tp 1 -> precision 1/3, recall 1/2, f1 0.4
    assert m["precision"] == pytest.approx(1 / 3) and m["recall"] == pytest.approx(.5)
    assert m["f1"] == pytest.approx(.4)
    # ranking .9(+) .8 .6 .3(+) .2: AP = (1/1 + 2/4) / 2
    assert m["ap"] == pytest.approx(.75)


def test_frame_metrics_without_positives_is_nan_not_a_crash():
    m = frame_metrics(np.array([.1, .9]), np.array([0, 0]), .5)
    assert math.isnan(m["ap"]) and math.isnan(m["recall"]) and m["precision"] == 0


def test_best_f1_threshold_by_hand():
    scores = np.array([.9, .8, .7, .1])
    targets = np.array([1, 1, 0, 0])
    assert best_f1_threshold(scores, targets) == pytest.approx(.8)


def test_block30_by_hand():
    fps = 1
    targets = np.zeros(120)  # four 30 s blocks
    targets[[5, 95]] = 1  # blocks 0 and 3 positive
    segments = [seg(25, 35), seg(100, 101)]  # overlaps blocks 0, 1 and block 3
    c = block_counts(targets, segments, fps)
    assert c == {"blocks": 4, "positive": 2, "predicted": 3, "hit": 2}
    m = pooled({}, c, event_counts([], []), budget_counts([], [], 0))["block30"]
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == 1


def test_event_counts_by_hand():
    labels = [Interval(10, 20), Interval(50, 55), Interval(90, 91)]
    segments = [seg(18, 25), seg(30, 40), seg(54, 60)]
    c = event_counts(labels, segments)
    assert c == {"labelled": 3, "found": 2, "predicted": 3, "correct": 2}
    m = pooled({}, {"hit": 0, "predicted": 0, "positive": 0, "blocks": 0}, c, budget_counts([], [], 0))["event"]
    assert m["recall"] == pytest.approx(2 / 3) and m["precision"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)


def test_touching_is_not_overlapping():
    assert event_counts([Interval(10, 20)], [seg(20, 30)])["found"] == 0


def test_budget_default_is_ten_minutes_per_four_hours():
    assert DEFAULT_BUDGET.for_stream(4 * 3600) == 600
    assert DEFAULT_BUDGET.for_stream(3600) == 150


def test_budget_counts_hits():
    labels = [Interval(0, 5), Interval(100, 110)]
    c = budget_counts(labels, [seg(102, 112)], 30)
    assert c["hit"] == 1 and c["labelled"] == 2 and c["used_s"] == 10
