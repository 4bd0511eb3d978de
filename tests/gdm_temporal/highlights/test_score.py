"""`gdm score`: a stream in, segments and a score picture out, with a head or cold start."""

import json

import numpy as np

from conftest import assert_one_line_error
from gdm_temporal.highlights.exports import SegmentsDoc
from gdm_temporal.labels import load_labels
from gdm_temporal.timeline.metrics import event_counts
from gdm_temporal.timeline.segments import Segment


def seg(a, b, score=0.9):
    return Segment(a, b, score, score, a)




def test_head_segments_find_every_highlight_and_nothing_else(scored, dataset):
    doc = json.loads(scored.read_text())
    assert doc["model"]["scorer"] == "head" and doc["fps"] == 5.0
    assert doc["source"].endswith("stream13.mp4") and abs(doc["duration_s"] - 180) < 0.5
    segments = SegmentsDoc.load(scored).segments
    counts = event_counts(load_labels(dataset / "stream13.json"), segments)
    assert counts["found"] == 6 and counts["correct"] == counts["predicted"]
    for s in doc["segments"]:
        assert set(s) >= {"start", "end", "score", "peak"} and s["start"] < s["end"] and s["peak"] >= s["score"]


def test_score_picture_is_written(scored):
    from PIL import Image

    with Image.open(scored.with_name("stream13.scores.png")) as image:
        assert image.size == (1600, 320)
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels == [255, 214, 153]).all(axis=2).sum() > 1000  # shaded segments are there


def test_cold_start_needs_no_labels_and_says_so(dataset, tmp_path, gdm):
    result = gdm("score", dataset / "stream13.mp4", "-o", tmp_path, "--budget", "20s", "--weights", "none",
                 "--input-size", "64", "--cache-dir", dataset / "cache", "--quiet")
    assert result.exit_code == 0, result.stderr
    doc = SegmentsDoc.load(tmp_path / "stream13.segments.json")
    assert doc.model["scorer"] == "cold-start"
    assert sum(s.duration for s in doc.segments) <= 20 + 1e-6
    assert event_counts(load_labels(dataset / "stream13.json"), doc.segments)["found"] >= 5


def test_one_failing_stream_does_not_stop_the_others(trained_head, dataset, tmp_path, gdm):
    result = gdm("score", trained_head, tmp_path / "missing.mp4", dataset / "stream12.mp4", "-o", tmp_path,
                 "--cache-dir", dataset / "cache", "--quiet")
    assert result.exit_code == 1
    assert (tmp_path / "stream12.segments.json").exists()
    assert "missing.mp4: no such file" in result.stderr and "1 of 2 streams failed" in result.stderr


def test_a_single_bad_input_is_one_line(tmp_path, gdm):
    assert_one_line_error(gdm("score", tmp_path / "missing.mp4", "-o", tmp_path, "--quiet"), "no such file")
