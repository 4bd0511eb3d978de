"""Variable frame rate, offset time stamps, late first frames, tiny and silent videos."""

import numpy as np

from conftest import FAST
from gdm_features import read
from gdm_features.media import probe
from gdm_features.video_source import iter_video_steps
from media_factory import Scenario, write_video


def level_frame(level):
    return lambda index: np.full((64, 64, 3), level(index), np.uint8)


def test_variable_frame_rate_steps_show_the_frame_on_screen(tmp_path):
    rng = np.random.default_rng(3)
    gaps = rng.uniform(0.02, 0.45, size=29)
    times = np.round(np.concatenate([[0.0], np.cumsum(gaps)]), 3)
    levels = [(k * 8) % 240 + 8 for k in range(30)]
    path = write_video(tmp_path / "vfr.mkv", Scenario(
        frame_times=times, size=(64, 64), audio=False,
        frame_fn=lambda k: np.full((64, 64, 3), levels[k], np.uint8)))
    info = probe(path)
    steps = list(iter_video_steps(info, 5.0, (32, 32)))
    assert len(steps) > 20
    for sample in steps:
        shown = np.flatnonzero(times <= sample.step / 5 + 1e-9).max()
        assert abs(float(sample.rgb.mean()) - levels[shown]) < 4, (sample.step, shown)


def test_stream_with_non_zero_start_time_stays_aligned(tmp_path, gdm):
    # A recording cut from a live stream: its clock starts at 600 s; events must still land
    # at their time from the start of the video.
    path = write_video(tmp_path / "offset.ts", Scenario(flashes=[(3.1, 3.5)], bursts=[(7.5, 7.9)],
                                                        start_offset=600.0))
    assert probe(path).origin_s > 599
    result = gdm("extract", path, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    s = read(result.stdout.strip(), 0, 1000)
    assert abs(len(s) - 50) <= 1
    # AAC priming: TS has no edit list, so audio starts 21 ms before the first video frame
    # and step 0 (on the player's clock) has no frame yet. Events sit mid-step so that this
    # sub-step shift cannot move them across a step boundary.
    assert not s.frame_ok[0] and s.frame_ok[1:].all()
    v = s.visual.astype(np.float32)
    jump = np.linalg.norm(np.diff(v[1:], axis=0), axis=1)  # jump[k]: step k+1 -> k+2
    assert set(np.argsort(jump)[::-1][:2] + 2) == {16, 18}  # flash on screen at steps 16, 17
    loud = s.audio[:, 0].astype(np.float32)
    assert set(np.flatnonzero(loud > -6)) == {38}  # the only step wholly inside [7.5, 7.9)
    assert loud[np.r_[0:37, 40:len(loud)]].max() < -30


def test_late_first_frame_marks_earlier_steps_not_ok(tmp_path, gdm):
    path = write_video(tmp_path / "late.mkv", Scenario(duration=4.0, video_offset=1.0))
    result = gdm("extract", path, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    s = read(result.stdout.strip(), 0, 1000)
    assert not s.frame_ok[:5].any() and s.frame_ok[5:].all()
    assert (s.visual[:5] == 0).all()
    assert abs(len(s) - 25) <= 1  # 1 s of black lead-in plus 4 s of video


def test_single_frame_video(tmp_path, gdm):
    path = write_video(tmp_path / "one.mp4", Scenario(duration=1 / 30, audio=False))
    result = gdm("extract", path, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    s = read(result.stdout.strip(), 0, 10)
    assert len(s) == 1 and s.frame_ok.all() and s.audio.shape == (1, 0)


def test_video_without_audio_gets_zero_audio_columns(tmp_path, gdm):
    path = write_video(tmp_path / "mute.mp4", Scenario(duration=3.0, audio=False))
    result = gdm("extract", path, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    s = read(result.stdout.strip(), 0, 100)
    assert s.audio.shape == (15, 0) and s.visual.shape == (15, 512)
