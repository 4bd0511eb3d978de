"""Every export format, read back by a real parser (OTIO, PyAV, csv)."""

import csv
import io
import json

import av
import pytest

from gdm_features import GdmError

from conftest import assert_one_line_error
from gdm_temporal.highlights.exports import SegmentsDoc, to_chapters, to_csv, to_edl, to_ffconcat, to_otio, to_v1
from gdm_temporal.timeline.segments import Segment
from media_factory import Scenario, write_video


def seg(a, b, score=0.9):
    return Segment(a, b, score, score, a)




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


def test_chapter_numbers_run_on_after_merging():
    text, _ = to_chapters(doc_of([seg(30, 34), seg(36, 50), seg(100, 110)]))
    titles = [line.split(" ", 1)[1] for line in text.strip().splitlines()]
    assert [t for t in titles if t.startswith("Highlight")] == ["Highlight 1", "Highlight 2"], titles


@pytest.mark.parametrize("segments", [[], [seg(3, 6)]])
def test_too_few_chapters_is_an_error_that_says_why(segments):
    with pytest.raises(GdmError, match="at least 3"):
        to_chapters(doc_of(segments, duration=30))


def test_export_cli_refuses_too_few_chapters_in_one_line(tmp_path, gdm):
    path = tmp_path / "one.segments.json"
    path.write_text(json.dumps(doc_of([seg(3, 6)], duration=30).to_json()))
    assert_one_line_error(gdm("export", path, "--format", "chapters", "-o", tmp_path / "ch.txt"), "at least 3")
    assert not (tmp_path / "ch.txt").exists()


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


@pytest.mark.parametrize("change,fragment", [
    (lambda d: d.update(source="/videos/a.mp4\nfile '/etc/passwd'"), "line breaks"),
    (lambda d: d.update(video_fps="30"), "video_fps"),
    (lambda d: d.update(duration_s="600"), "duration_s"),
    (lambda d: d["segments"][0].update(end=float("inf")), "finite"),
    (lambda d: d["segments"][0].update(end=700.0), "past the video's end"),
    (lambda d: d["segments"][0].update(start=-1.0), "segment 1"),
    (lambda d: d.update(segments="all"), "list of segments"),
])
def test_segments_files_are_checked_before_any_export(tmp_path, gdm, change, fragment):
    data = doc_of([seg(10, 20), seg(100, 110)]).to_json()
    change(data)
    path = tmp_path / "s.segments.json"
    path.write_text(json.dumps(data))
    for fmt in ("csv", "edl", "ffconcat"):
        assert_one_line_error(gdm("export", path, "--format", fmt, "-o", tmp_path / f"out.{fmt}"), fragment)
        assert not (tmp_path / f"out.{fmt}").exists()
