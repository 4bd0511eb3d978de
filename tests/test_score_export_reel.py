"""Scoring a stream into segments, every export read back by a real parser, and the reel."""

import csv
import io
import json

import av
import numpy as np
import pytest

from conftest import assert_one_line_error
from gdm_temporal.exports import SegmentsDoc, to_chapters, to_csv, to_edl, to_ffconcat, to_otio, to_v1
from gdm_temporal.labels import load_labels
from gdm_temporal.metrics import event_counts
from gdm_temporal.score import parse_duration
from gdm_temporal.segments import Segment
from media_factory import Scenario, write_video


def seg(a, b, score=0.9):
    return Segment(a, b, score, score, a)


@pytest.fixture(scope="module")
def scored(trained_head, dataset, tmp_path_factory):
    from click.testing import CliRunner

    from gdm_temporal.cli import gdm

    out = tmp_path_factory.mktemp("scored")
    result = CliRunner().invoke(gdm, ["score", str(trained_head), str(dataset / "stream13.mp4"), "-o", str(out),
                                      "--cache-dir", str(dataset / "cache"), "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out / "stream13.segments.json"


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


def test_windows_stitch_without_seams(trained_head, dataset):
    from gdm_temporal.checkpoint import load_head
    from gdm_temporal.data import WindowReader, open_streams
    from gdm_temporal.inference import score_region
    from gdm_temporal.manifest import Region, read_manifest

    head, _, norm = load_head(trained_head)
    streams = open_streams(read_manifest(dataset / "manifest.csv")[2:], progress=False)
    reader = WindowReader(streams, norm, block=64, capacity_bytes=1)  # the smallest cache: 4 blocks
    region = Region(0, 0, streams[0].n_steps, "all")
    whole = score_region(head, reader, region, window=streams[0].n_steps)
    stitched = score_region(head, reader, region, window=128)  # 14 overlapping windows (default: 512)
    assert np.abs(stitched - whole).max() < 0.05 and np.abs(stitched - whole).mean() < 0.005
    assert len(reader._cache) <= 4


@pytest.mark.parametrize("text,seconds", [("600", 600), ("90s", 90), ("10m", 600), ("1.5h", 5400), ("1:30", 90)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def doc_of(segments, duration=600.0, source="/videos/vod.mp4"):
    return SegmentsDoc(source, 5.0, {"scorer": "head"}, segments, duration, 30.0)


def test_csv_export_parses_back():
    rows = list(csv.DictReader(io.StringIO(to_csv(doc_of([seg(10, 20), seg(65.5, 70)])))))
    assert [(float(r["start"]), float(r["end"])) for r in rows] == [(10, 20), (65.5, 70)]
    assert rows[1]["start_tc"] == "00:01:05.500"


def test_chapters_follow_youtube_rules_and_say_what_they_changed():
    text, notes = to_chapters(doc_of([seg(4, 8), seg(100, 104), seg(109, 130), seg(595, 599)]))
    lines = text.strip().splitlines()
    times = []
    for line in lines:
        stamp = line.split()[0]
        parts = [int(p) for p in stamp.split(":")]
        times.append(parts[-1] + 60 * parts[-2] + (3600 * parts[0] if len(parts) == 3 else 0))
    assert lines[0].startswith("0:00 ") and len(lines) >= 3
    assert all(b - a >= 10 for a, b in zip(times, times[1:])) and 600 - times[-1] >= 10
    assert lines[0] == "0:00 Highlight 1"  # a highlight in the first 10 s names the first chapter
    assert any("merged" in n for n in notes) and any("before the end" in n for n in notes)


def test_too_few_chapters_is_said():
    _, notes = to_chapters(doc_of([], duration=600))
    assert any("at least 3" in n for n in notes)


def test_edl_reads_back_with_opentimelineio():
    otio = pytest.importorskip("opentimelineio")
    edl = to_edl(doc_of([seg(10, 20), seg(65.5, 70)]))
    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=30)
    [video_track] = timeline.video_tracks()
    assert len(timeline.audio_tracks()) == 2  # AA/V: both audio channels come along
    clips = list(video_track.find_clips())
    assert len(clips) == 2
    assert [c.source_range.start_time.to_seconds() for c in clips] == pytest.approx([10, 65.5])
    assert [c.source_range.duration.to_seconds() for c in clips] == pytest.approx([10, 4.5])
    assert timeline.duration().to_seconds() == pytest.approx(14.5)


def test_otio_export_reads_back():
    otio = pytest.importorskip("opentimelineio")
    timeline = otio.adapters.read_from_string(to_otio(doc_of([seg(10, 20)])), "otio_json")
    [clip] = list(timeline.find_clips())
    assert clip.source_range.start_time.to_seconds() == pytest.approx(10)


def test_v1_chunks_cover_the_timeline_in_source_frames():
    data = json.loads(to_v1(doc_of([seg(10, 20), seg(65.5, 70)], duration=100)))
    assert data["version"] == "1"
    chunks = data["chunks"]
    assert chunks[0][0] == 0 and chunks[-1][1] == 3000
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert [c[:2] for c in chunks if c[2] == 1.0] == [[300, 600], [1965, 2100]]


def test_ffconcat_list_opens_in_pyav(tmp_path):
    video = write_video(tmp_path / "src.mp4", Scenario(duration=10.0, audio=False, size=(48, 64)))
    listing = tmp_path / "list.ffconcat"
    listing.write_text(to_ffconcat(doc_of([seg(2, 4), seg(6, 7)], duration=10, source=str(video))))
    shown, latest = 0, -1.0
    with av.open(str(listing), format="concat", options={"safe": "0"}) as container:
        for frame in container.decode(video=0):
            # The demuxer also hands out the frames from the keyframe before each inpoint,
            # stamped before that section's start: a player decodes but never shows them.
            if frame.time >= 0 and frame.time > latest:
                shown, latest = shown + 1, frame.time
    assert shown == 90 and latest == pytest.approx(3 - 1 / 30)  # 2 s + 1 s at 30 fps


def test_export_cli_writes_file_and_notes(scored, tmp_path, gdm):
    result = gdm("export", scored, "--format", "chapters", "-o", tmp_path / "chapters.txt")
    assert result.exit_code == 0
    assert (tmp_path / "chapters.txt").read_text().startswith("0:00 ")
    assert_one_line_error(gdm("export", tmp_path / "nope.json", "--format", "csv"), "no such segments file")


@pytest.fixture(scope="module")
def clock_video(tmp_path_factory):
    """12 s whose picture shows the second it is in (gray level 20 * second) and a tone."""
    path = tmp_path_factory.mktemp("clock") / "clock.mp4"
    return write_video(path, Scenario(duration=12.0, size=(64, 96), bursts=[(0, 12)],
                                      frame_fn=lambda k: np.full((64, 96, 3), 20 * (k // 30) + 10, np.uint8)))


def level_at(video, seconds):
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds - 1e-6:
                return float(frame.to_ndarray(format="rgb24").mean())


def test_reel_is_frame_accurate_with_audio(clock_video, tmp_path, gdm):
    segments = tmp_path / "s.json"
    segments.write_text(json.dumps(doc_of([seg(2.0, 4.0), seg(7.0, 8.5)], duration=12, source=str(clock_video))
                                   .to_json()))
    result = gdm("reel", clock_video, segments, "-o", tmp_path / "reel.mp4", "--quiet")
    assert result.exit_code == 0, result.stderr
    with av.open(str(tmp_path / "reel.mp4")) as reel:
        video, audio = reel.streams.video[0], reel.streams.audio[0]
        assert abs(float(video.duration * video.time_base) - 3.5) <= 2 / 30  # one frame per join
        assert abs(float(audio.duration * audio.time_base) - 3.5) <= 0.05
        samples = np.concatenate([f.to_ndarray().ravel() for f in reel.decode(audio=0)])
    assert np.sqrt(np.mean(samples**2)) > 0.1  # the tone is there
    assert abs(level_at(tmp_path / "reel.mp4", 1.0) - 70) < 4  # reel 1.0 s = source 3.0 s
    assert abs(level_at(tmp_path / "reel.mp4", 0.5) - 50) < 4  # reel 0.5 s = source 2.5 s
    assert abs(level_at(tmp_path / "reel.mp4", 2.6) - 150) < 4  # reel 2.6 s = source 7.6 s


def test_reel_in_score_order(clock_video, tmp_path, gdm):
    doc = doc_of([seg(2.0, 4.0, 0.5), seg(7.0, 8.5, 0.9)], duration=12, source=str(clock_video))
    (tmp_path / "s.json").write_text(json.dumps(doc.to_json()))
    assert gdm("reel", clock_video, tmp_path / "s.json", "-o", tmp_path / "r.mp4", "--order", "score",
               "--quiet").exit_code == 0
    assert abs(level_at(tmp_path / "r.mp4", 0.5) - 150) < 4  # the better segment comes first


def test_reel_refuses_a_segment_outside_the_video(clock_video, tmp_path, gdm):
    doc = doc_of([seg(2.0, 4.0), seg(10.0, 30.0)], duration=12, source=str(clock_video))
    (tmp_path / "s.json").write_text(json.dumps(doc.to_json()))
    result = gdm("reel", clock_video, tmp_path / "s.json", "-o", tmp_path / "r.mp4", "--quiet")
    assert_one_line_error(result, "segment 1", "outside")
    assert not (tmp_path / "r.mp4").exists()
