"""The path a newcomer walks, typed as a person types it: the README's first command (`gdm demo`)
in a fresh working directory with its default output folder, then the commands the demo prints
(`gdm score` -> `gdm reel` -> `gdm export`, and cold start), each as a subprocess with relative
paths, each one's output feeding the next."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys

import av
import pytest

pytest.importorskip("ale_py", reason='the demo needs the "demo" extra: pip install -e ".[demo]"')


def gdm_command() -> list[str]:
    found = shutil.which("gdm", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert found, "the gdm console script is not installed (pip install -e .)"
    return [found]


def typed(line: str, cwd) -> subprocess.CompletedProcess:
    """Run one command line as typed at a shell prompt (comments dropped), under umask 022."""
    args = shlex.split(line.split("   #")[0])
    assert args[0] == "gdm"
    return subprocess.run(gdm_command() + args[1:], cwd=cwd, capture_output=True, text=True, timeout=600,
                          preexec_fn=lambda: os.umask(0o022))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("newcomer")
    result = typed("gdm demo --minutes 1", cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd, result


def test_demo_runs_from_a_fresh_folder_and_writes_everything_it_lists(demo_run):
    cwd, result = demo_run
    out = cwd / "demo-output"
    for row in ("frame", "block30", "event", "budget"):
        assert f"\n{row}" in result.stderr
    manifest = (out / "manifest.csv").read_text()
    assert "demo-output/" not in manifest, "manifest paths must be relative to the manifest"
    files = json.loads((out / "demo_summary.json").read_text())["files"]
    for name in ("manifest", "head", "segments", "scores_png", "edl", "csv", "reel"):
        assert (cwd / files[name]).is_file(), name
        assert files[name] in result.stdout
        assert stat.S_IMODE((cwd / files[name]).stat().st_mode) == 0o644, f"{name} ignores the umask"
    assert json.loads((out / "breakout_test.labels.json").read_text())["highlights"], "no life lost: nothing to learn"
    with av.open(str(cwd / files["reel"])) as reel:
        assert {s.type for s in reel.streams} == {"video", "audio"}
    with av.open(str(out / "breakout_test.mp4")) as game:
        video, audio = game.streams.video[0], game.streams.audio[0]
        assert (video.width, video.height) == (160, 210) and float(video.average_rate) == 30
        assert abs(float(video.duration * video.time_base) - 60) < 0.1 and audio.sample_rate == 32000


def test_the_commands_the_demo_suggests_chain_into_a_reel_and_an_edl(demo_run):
    cwd, result = demo_run
    suggested = [line.strip() for line in result.stdout.split("try next:")[1].splitlines() if line.strip()]
    score, reel, export, cold = suggested
    scored = typed(score, cwd)
    assert scored.returncode == 0, scored.stderr
    assert "segment" in scored.stderr and "% of" in scored.stderr  # the summary a person reads
    segments_path = cwd / scored.stdout.split()[0]
    doc = json.loads(segments_path.read_text())
    assert doc["segments"] and all(0 <= s["start"] < s["end"] <= doc["duration_s"] for s in doc["segments"])
    assert all(0 <= s["score"] <= 1 and 0 <= s["peak"] <= 1 for s in doc["segments"])
    assert stat.S_IMODE(segments_path.stat().st_mode) == 0o644

    rendered = typed(reel, cwd)
    assert rendered.returncode == 0, rendered.stderr
    with av.open(str(cwd / "my_reel.mp4")) as reel_file:
        seconds = float(reel_file.duration) / av.time_base
    total = sum(s["end"] - s["start"] for s in doc["segments"])
    assert abs(seconds - total) < 0.1 * len(doc["segments"]) + 0.2

    exported = typed(export, cwd)
    assert exported.returncode == 0, exported.stderr
    assert (cwd / "my_reel.edl").read_text().startswith("TITLE:")

    cold_started = typed(cold, cwd)
    assert cold_started.returncode == 0, cold_started.stderr  # no --backbone: the cached one is used
    cold_doc = json.loads((cwd / cold_started.stdout.split()[0]).read_text())
    assert cold_doc["model"]["scorer"] == "cold-start"
    assert all(0 <= s["score"] <= 1 and s["end"] - s["start"] >= 2 - 1e-6 for s in cold_doc["segments"])


def test_inspect_describes_a_cache_the_demo_made(demo_run):
    """The README's `gdm inspect cache/<key>.h5`, on one of the demo's caches, by relative path."""
    cwd, _ = demo_run
    cache = sorted((cwd / "demo-output" / "cache").glob("*.h5"))[0].relative_to(cwd)
    shown = typed(f"gdm inspect {cache}", cwd)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{cache}: complete")
    for line in ("visual dataset", "motion dataset", "audio dataset",
                 "picture dataset     [", "1024] uint8 (each step's frame as a 32x32 grey picture)"):
        assert line in shown.stdout, line
