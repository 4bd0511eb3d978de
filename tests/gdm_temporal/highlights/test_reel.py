"""`gdm reel`: frame-accurate cuts with audio, in time or score order."""

import json

import av
import numpy as np
import pytest

from conftest import assert_one_line_error
from gdm_temporal.highlights.exports import SegmentsDoc
from gdm_temporal.timeline.segments import Segment
from media_factory import Scenario, write_video


def doc_of(segments, duration=600.0, source="/videos/vod.mp4"):
    return SegmentsDoc(source, 5.0, {"scorer": "head"}, segments, duration, 30.0)


def seg(a, b, score=0.9):
    return Segment(a, b, score, score, a)


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
    assert_one_line_error(result, "segment 2", "past the video")  # numbered from 1, as in the CSV
    assert not (tmp_path / "r.mp4").exists()
