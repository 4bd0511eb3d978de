"""`gdm score`: a stream in, segments and a score picture out, with a head or cold start."""

import json

import numpy as np

from conftest import FAST, assert_one_line_error, shared_clip
from media_factory import Scenario, textured_scene, write_video
from gdm_temporal.highlights.exports import SegmentsDoc
from gdm_temporal.highlights.scoreplot import LABEL_GREEN, SEGMENT_ORANGE, THRESHOLD_RED
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
        assert image.size == (1600, 460)
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels == SEGMENT_ORANGE).all(axis=2).sum() > 1000  # shaded segments are there
    assert (pixels == THRESHOLD_RED).all(axis=2).sum() > 500  # the head's threshold is drawn


def test_cold_start_needs_no_labels_and_says_so(dataset, tmp_path, gdm):
    result = gdm("score", dataset / "stream13.mp4", "-o", tmp_path, "--budget", "45s", "--weights", "none",
                 "--input-size", "64", "--cache-dir", dataset / "cache", "--quiet")
    assert result.exit_code == 0, result.stderr
    doc = SegmentsDoc.load(tmp_path / "stream13.segments.json")
    assert doc.model["scorer"] == "cold-start"
    assert sum(s.duration for s in doc.segments) <= 45 + 1e-6
    assert event_counts(load_labels(dataset / "stream13.json"), doc.segments)["found"] >= 5


def test_one_failing_stream_does_not_stop_the_others(trained_head, dataset, tmp_path, gdm):
    result = gdm("score", trained_head, tmp_path / "missing.mp4", dataset / "stream12.mp4", "-o", tmp_path,
                 "--cache-dir", dataset / "cache", "--quiet")
    assert result.exit_code == 1
    assert (tmp_path / "stream12.segments.json").exists()
    assert "missing.mp4: no such file" in result.stderr and "1 of 2 streams failed" in result.stderr


def test_a_single_bad_input_is_one_line(tmp_path, gdm):
    assert_one_line_error(gdm("score", tmp_path / "missing.mp4", "-o", tmp_path, "--quiet"), "no such file")


def test_segments_stay_inside_a_real_clip_and_the_reel_takes_them(tmp_path, gdm):
    clip = shared_clip("smb_nes_mairio_123s.mp4")  # 122.889 s: its last step covers past the end
    scored = gdm("score", clip, "-o", tmp_path, *FAST, "--budget", "25%", "--cache-dir", tmp_path / "cache")
    assert scored.exit_code == 0, scored.stderr
    doc = json.loads((tmp_path / "smb_nes_mairio_123s.segments.json").read_text())
    assert doc["segments"] and all(0 <= s["start"] < s["end"] <= doc["duration_s"] for s in doc["segments"])
    reel = gdm("reel", clip, tmp_path / "smb_nes_mairio_123s.segments.json", "-o", tmp_path / "r.mp4", "--quiet")
    assert reel.exit_code == 0, reel.stderr


def test_a_head_with_sound_scores_a_muted_stream_by_its_picture(trained_head, dataset, tmp_path, gdm):
    muted = write_video(tmp_path / "muted.mp4", Scenario(duration=8, audio=False, flashes=[(3, 4)]))
    result = gdm("score", trained_head, muted, "-o", tmp_path, "--cache-dir", tmp_path / "cache", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "muted.segments.json").read_text())["segments"]
    listener = tmp_path / "listens.pt"  # a head that only listens cannot: one line, nothing written
    trained = gdm("train", dataset / "manifest.csv", "-o", listener, "--modalities", "audio", "--epochs", "2", "--quiet")
    assert trained.exit_code == 0, trained.stderr
    result = gdm("score", listener, muted, "-o", tmp_path / "out", "--cache-dir", tmp_path / "cache", "--quiet")
    assert_one_line_error(result, "muted.mp4 has no sound", "only listens")
    assert not (tmp_path / "out" / "muted.segments.json").exists()


def test_reel_refuses_segments_scored_on_another_video(scored, tmp_path, gdm):
    other = write_video(tmp_path / "other.mp4", Scenario(duration=20))
    result = gdm("reel", other, scored, "-o", tmp_path / "r.mp4", "--quiet")
    assert_one_line_error(result, "stream13.mp4", "not on other.mp4")
    assert not (tmp_path / "r.mp4").exists()


def test_cold_start_prefers_events_to_static_screens(tmp_path, gdm):
    # 0-20 s a still title card (entered with a flash and a chime); then play with scenery
    # changing every few seconds, and two real events: a flash with a loud burst at 45 s and 75 s.
    title, white = textured_scene(72, 96, seed=99), np.full((72, 96, 3), 255, np.uint8)
    scenery = {k: textured_scene(72, 96, seed=k) for k in range(40)}
    flashes = [(0.5, 0.8), (45, 46), (75, 76)]

    def picture(i: int) -> np.ndarray:
        if any(a <= i / 30 < b for a, b in flashes):
            return white
        return title if i < 20 * 30 else np.roll(scenery[(i // 90) % 40], (i % 90) // 3, axis=1)

    video = write_video(tmp_path / "stream.mp4", Scenario(duration=100, size=(72, 96), noise_level=0.03,
                                                          bursts=[(0.5, 1.0), (45, 47), (75, 77)], frame_fn=picture))
    result = gdm("score", video, "-o", tmp_path, *FAST, "--budget", "20s", "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 0, result.stderr
    doc = json.loads((tmp_path / "stream.segments.json").read_text())
    segments = doc["segments"]
    assert all(0 <= s["score"] <= s["peak"] <= 1 for s in segments)
    assert sum(s["end"] - s["start"] for s in segments) <= 20 + 1e-6
    # The title card never wins (the cut from it into play may: a segment across 20 s is fine).
    assert not any(min(s["end"], 20) - s["start"] > (s["end"] - s["start"]) / 2 for s in segments), segments
    for event in (45, 75):
        assert any(s["start"] <= event < s["end"] for s in segments), (event, segments)


def test_score_picture_shows_the_labels_beside_the_video(dataset, tmp_path, gdm):
    from PIL import Image

    video = tmp_path / "stream13.mp4"
    video.symlink_to(dataset / "stream13.mp4")
    (tmp_path / "stream13.labels.json").write_text((dataset / "stream13.json").read_text())
    result = gdm("score", video, "-o", tmp_path / "out", "--weights", "none", "--input-size", "64",
                 "--cache-dir", dataset / "cache", "--quiet")
    assert result.exit_code == 0, result.stderr
    with Image.open(tmp_path / "out" / "stream13.scores.png") as image:
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels == LABEL_GREEN).all(axis=2).sum() > 200


def test_score_picture_draws_each_peak_where_its_segment_is(tmp_path):
    """A 10-minute stream at 5 steps/s has more steps than the plot has pixels: each pixel
    column must hold the steps of its own time (a 15 s drift in the middle once showed peaks
    beside their segments)."""
    from PIL import Image

    from gdm_temporal.highlights.scoreplot import SCORE_BLUE, render_score_png

    scores = np.zeros(3000)
    moments = (57.0, 301.0, 538.0)
    for t in moments:
        scores[int(t * 5):int(t * 5) + 10] = 1.0
    segments = [Segment(t, t + 2.0, 1.0, 1.0, t) for t in moments]
    render_score_png(tmp_path / "p.png", scores, 5.0, segments, "peaks", duration_s=600)
    with Image.open(tmp_path / "p.png") as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    near_top = pixels[pixels.shape[0] // 4]  # a row crossing the plot near a score of 1
    blue = np.flatnonzero(np.abs(near_top - SCORE_BLUE).sum(axis=1) < 60)
    orange = np.flatnonzero(np.abs(near_top - SEGMENT_ORANGE).sum(axis=1) < 60)
    runs = np.split(orange, np.flatnonzero(np.diff(orange) > 1) + 1)
    assert len(runs) == 3
    for run in runs:  # the curve's rise and fall lie within 2 px of each segment's shading
        assert ((blue >= run[0] - 2) & (blue <= run[-1] + 2)).sum() >= 2, (run, blue)
