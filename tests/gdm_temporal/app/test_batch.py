"""`gdm batch` on a real local Ray cluster: real clips and a broken file, one busy worker killed
with SIGKILL mid-run, then the same command again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import FAST, shared_clip
from gdm_temporal.app.batch.sources import expand_sources

pytest.importorskip("ray", reason='gdm batch needs the "cluster" extra: pip install -e ".[cluster]"')

CLIPS = ["smb_nes_mairio_123s.mp4", "atari_breakout_dqn_ep0_24s.mp4", "csgo_3s_audio.mp4"]


def gdm_batch(*args, cwd) -> subprocess.Popen:
    gdm = Path(sys.executable).with_name("gdm")
    return subprocess.Popen([str(gdm), "batch", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def busy_ray_workers() -> list[int]:
    """PIDs of Ray workers running a gdm video task right now (Ray names them by their task)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::process_video"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def kill_one_busy_worker(killed: list[int], stop: threading.Event) -> None:
    while not stop.is_set() and not killed:
        for pid in busy_ray_workers():
            time.sleep(1.5)  # let it get well into its extraction
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                continue
            return
        time.sleep(0.1)


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    clips = [shared_clip(name) for name in CLIPS]
    (root / "broken.mp4").write_bytes(os.urandom(50_000))
    (root / "list.txt").write_text("# my streams\n" + "\n".join(str(c) for c in clips[1:]) + "\nbroken.mp4\n")
    args = [clips[0], "list.txt", "-o", "out", "--workers", "2", "--cache-dir", "cache", "--export", "csv", *FAST]
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_one_busy_worker, args=(killed, stop))
    killer.start()
    started = time.perf_counter()
    first = gdm_batch(*args, cwd=root)
    out, err = first.communicate(timeout=600)
    first_s = time.perf_counter() - started
    stop.set()
    killer.join()
    return root, clips, args, (first.returncode, out, err, first_s), killed


def test_every_good_source_finishes_despite_a_killed_worker(batch_run):
    root, clips, _, (code, out, err, _), killed = batch_run
    assert killed, "no busy Ray worker was seen to kill"
    assert code == 1, err[-2000:]  # the broken file
    report = json.loads((root / "out" / "batch.json").read_text())["results"]
    by_name = {Path(r["source"]).name: r for r in report}
    assert set(by_name) == set(CLIPS) | {"broken.mp4"}
    for name in CLIPS:
        assert by_name[name]["status"] == "done", by_name[name]
        assert (root / "out" / f"{Path(name).stem}.segments.json").is_file()
        assert (root / "out" / f"{Path(name).stem}.csv").is_file()
    assert by_name["broken.mp4"]["status"] == "failed" and by_name["broken.mp4"]["error"]
    assert "\n" not in by_name["broken.mp4"]["error"]
    assert "broken.mp4" in out and "failed" in out  # the final table
    assert "gdm: error: 1 of 4 sources failed" in err


def test_batch_features_equal_a_plain_extract(batch_run, tmp_path, gdm):
    root, clips, _, _, _ = batch_run
    report = {Path(r["source"]).name: r for r in json.loads((root / "out" / "batch.json").read_text())["results"]}
    for clip in clips:
        plain = gdm("extract", clip, *FAST, "--cache-dir", tmp_path).stdout.strip()
        with h5py.File(report[clip.name]["features"]) as a, h5py.File(plain) as b:
            np.testing.assert_array_equal(a["visual"][:], b["visual"][:])
            np.testing.assert_array_equal(a["frame_ok"][:], b["frame_ok"][:])
            np.testing.assert_allclose(a["audio"][:], b["audio"][:], rtol=0.02, atol=0.5)


def test_rerunning_does_nothing_twice(batch_run):
    root, _, args, (_, _, _, first_s), _ = batch_run
    started = time.perf_counter()
    again = gdm_batch(*args, cwd=root)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 1
    report = json.loads((root / "out" / "batch.json").read_text())["results"]
    statuses = {Path(r["source"]).name: r["status"] for r in report}
    assert statuses == {**{name: "up to date" for name in CLIPS}, "broken.mp4": "failed"}
    assert time.perf_counter() - started < first_s


def test_sources_expand_lists_globs_and_urls(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"")
    (tmp_path / "b.mp4").write_bytes(b"")
    (tmp_path / "more.txt").write_text("b.mp4\n\n# comment\nhttps://example.com/v/1\n")
    items = expand_sources([str(tmp_path / "*.mp4"), str(tmp_path / "more.txt"), "missing.mkv"])
    assert items == [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4"), "https://example.com/v/1", "missing.mkv"]
