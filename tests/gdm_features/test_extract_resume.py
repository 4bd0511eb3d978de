"""A killed extraction resumes to the same features; two extractions never corrupt a file."""

import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from conftest import FAST
from gdm_features import FeatureFile, read
from media_factory import Scenario, write_video

CLI = [sys.executable, "-m", "gdm_temporal.app.cli", "extract"]
STEPS, CHUNK = 1650, 256


@pytest.fixture(scope="module")
def long_video(media_dir):
    """5.5 minutes (1650 steps: six whole chunks and a tail) of changing scenes with sound."""
    return write_video(media_dir / "long.mp4", Scenario(
        duration=330.0, size=(48, 64), scene_changes=list(range(5, 330, 7)),
        bursts=[(t, t + 0.5) for t in range(3, 330, 11)]))


def steps_written(path):
    try:
        with h5py.File(path, "r", locking=False) as f:
            return int(f.attrs["n_steps"])
    except (OSError, KeyError):
        return 0


def assert_same_features(a, b):
    x, y = read(a, 0, 100_000), read(b, 0, 100_000)
    assert len(x) == len(y) == STEPS
    for name in ("time", "frame_ok", "visual", "motion", "audio", "picture"):
        np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)


@pytest.fixture(scope="module")
def uninterrupted(long_video, tmp_path_factory):
    out = subprocess.run(CLI + [str(long_video), *FAST, "--cache-dir", str(tmp_path_factory.mktemp("ref"))],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_resume_after_kill_keeps_finished_chunks(long_video, uninterrupted, tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen(CLI + [str(long_video), *FAST, "--cache-dir", str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    path = None
    while time.monotonic() < deadline and proc.poll() is None:
        files = list(cache.glob("*.h5"))
        if files and steps_written(files[0]) >= 256:
            path = files[0]
            break
        time.sleep(0.02)
    assert path is not None, "extraction finished or stalled before the first chunk landed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = steps_written(path)
    assert kept % CHUNK == 0 and CHUNK <= kept < STEPS
    with h5py.File(path, "r") as f:
        assert not f.attrs["complete"]
    with pytest.raises(Exception, match="not complete"):
        FeatureFile(path)

    again = subprocess.run(CLI + [str(long_video), *FAST, "--cache-dir", str(cache)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(path)
    assert_same_features(path, uninterrupted)


@pytest.mark.parametrize("delay", [0.3, 1.5])
def test_kill_at_any_moment_then_resume(long_video, uninterrupted, tmp_path, delay):
    cache = tmp_path / "cache"
    proc = subprocess.Popen(CLI + [str(long_video), *FAST, "--cache-dir", str(cache)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = subprocess.run(CLI + [str(long_video), *FAST, "--cache-dir", str(cache)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert_same_features(again.stdout.strip(), uninterrupted)


def kill_once_written(cache, at_least):
    """Start an extraction into `cache` and kill -9 it once `at_least` steps are on disk;
    returns how many were kept (None if it finished first)."""
    proc = subprocess.Popen(CLI + [str(cache.parent / "long.mp4"), *FAST, "--cache-dir", str(cache)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        files = list(cache.glob("*.h5"))
        if files and steps_written(files[0]) >= at_least:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return steps_written(files[0])
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    return None


def test_kill_at_five_chunk_boundaries_resumes_bit_identical(long_video, uninterrupted, tmp_path):
    """Each run resumes where the last was killed, so every resume point is exercised: the
    result must equal an uninterrupted run bit for bit (audio included)."""
    (tmp_path / "long.mp4").symlink_to(long_video)
    cache = tmp_path / "cache"
    kept = []
    for boundary in range(1, 6):
        kept.append(kill_once_written(cache, boundary * CHUNK))
        assert kept[-1] is not None and kept[-1] % CHUNK == 0, kept
    assert kept == sorted(set(kept)) and len(kept) == 5, kept  # five distinct resume points
    again = subprocess.run(CLI + [str(tmp_path / "long.mp4"), *FAST, "--cache-dir", str(cache)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert_same_features(again.stdout.strip(), uninterrupted)


def test_two_processes_on_one_video_share_one_good_file(long_video, uninterrupted, tmp_path):
    cache = str(tmp_path / "cache")
    procs = [subprocess.Popen(CLI + [str(long_video), *FAST, "--cache-dir", cache],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert outs[0][0].strip() == outs[1][0].strip()
    assert any("another process is extracting" in err for _, err in outs)
    assert_same_features(outs[0][0].strip(), uninterrupted)


def test_ctrl_c_exits_130_and_keeps_work(long_video, tmp_path):
    cache = tmp_path / "cache"
    # As a terminal's foreground job gets it: a test run started in the background by a shell
    # inherits SIGINT ignored, and a child started so never sees Ctrl-C (it ran to completion).
    proc = subprocess.Popen(CLI + [str(long_video), *FAST, "--cache-dir", str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        files = list(cache.glob("*.h5"))
        if files and steps_written(files[0]) >= 256:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the extraction ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert steps_written(next(cache.glob("*.h5"))) >= 256
