"""`gdm demo`, the README's first command, on real Atari play recorded offline."""

import json

import av
import pytest

pytest.importorskip("ale_py", reason='the demo needs the "demo" extra: pip install -e ".[demo]"')


def test_demo_runs_the_whole_pipeline_on_recorded_play(tmp_path, gdm):
    result = gdm("demo", "-o", tmp_path, "--minutes", "1", "--quiet")
    assert result.exit_code == 0, result.stderr
    for row in ("frame", "block30", "event", "budget"):
        assert f"\n{row}" in result.stderr
    summary = json.loads((tmp_path / "demo_summary.json").read_text())
    files = summary["files"]
    for name in ("manifest", "head", "segments", "scores_png", "chapters", "edl", "csv", "reel"):
        assert name in files and (tmp_path / files[name].split("/")[-1]).exists(), name
        assert files[name] in result.stdout
    labels = json.loads((tmp_path / "breakout_test.labels.json").read_text())["highlights"]
    assert labels, "the game lost no life in a minute: no highlights to learn"
    with av.open(files["reel"]) as reel:
        assert {s.type for s in reel.streams} == {"video", "audio"}
    with av.open(str(tmp_path / "breakout_test.mp4")) as game:
        video, audio = game.streams.video[0], game.streams.audio[0]
        assert (video.width, video.height) == (160, 210) and float(video.average_rate) == 30
        assert abs(float(video.duration * video.time_base) - 60) < 0.1 and audio.sample_rate == 32000
