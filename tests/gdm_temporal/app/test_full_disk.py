"""A full disk, for real: every command that writes a file runs with its output on a small tmpfs
that is already full (and extraction also on one that fills up part-way). Each must say so in
one line, exit non-zero, and leave nothing behind that looks complete: no output file, no
temporary file. The tmpfs lives in a private mount namespace (`unshare`), so the test needs no
root where user namespaces are allowed, and skips with a message where neither works."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import h5py
import pytest

from conftest import FAST
from media_factory import Scenario, write_video

GDM = f"{shlex.quote(sys.executable)} -m gdm_temporal.app.cli"


@lru_cache(maxsize=1)
def _unshare() -> list[str] | None:
    """The `unshare` prefix that may mount a tmpfs here, or None."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                               capture_output=True)
        if probe.returncode == 0:
            return prefix
    return None


def on_full_disk(tmp_path: Path, command: str, size_kb: int = 256, free_kb: int = 0):
    """Run `command` (a shell line; `$FULL` is the full folder, also its working directory)
    with `free_kb` left on a `size_kb` tmpfs. Returns (exit status, stderr lines, what is
    left in the folder besides the filler)."""
    prefix = _unshare()
    if prefix is None:
        pytest.skip("cannot mount a tmpfs here (neither `unshare -m` nor `unshare -rm` may mount)")
    full, err, left = tmp_path / "full", tmp_path / "stderr.txt", tmp_path / "left.txt"
    full.mkdir(exist_ok=True)
    script = f"""
        set -e
        mount -t tmpfs -o size={size_kb}k,mode=0755 tmpfs {full}
        head -c {(size_kb - free_kb) * 1024} /dev/zero > {full}/.filler 2>/dev/null || true
        cd {full}
        export FULL={full}
        set +e
        ( {command} ) > /dev/null 2> {err}
        status=$?
        ls -A {full} > {left}
        exit $status
    """
    status = subprocess.run([*prefix, "sh", "-c", script], timeout=300).returncode
    lines = [line for line in err.read_text().splitlines() if line.strip()]
    remaining = sorted(set(left.read_text().split()) - {".filler"})
    return status, lines, remaining


def assert_disk_full_error(status, lines):
    assert status not in (0, 139) and status < 128, (status, lines)
    assert len(lines) == 1 and lines[0].startswith("gdm: error: "), lines
    assert "space" in lines[0] or "disk full" in lines[0], lines[0]


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("full-disk") / "long.mp4",
                       Scenario(duration=150.0, size=(48, 64), scene_changes=list(range(5, 150, 9))))


def writers(trained_head, dataset, scored, labels_csv):
    q = lambda p: shlex.quote(str(p))  # noqa: E731
    video, cache = q(dataset / "stream13.mp4"), q(dataset / "cache")
    return {
        "score": f"{GDM} score {q(trained_head)} {video} --cache-dir {cache} -o $FULL --quiet",
        "export csv": f"{GDM} export {q(scored)} --format csv -o $FULL/s.csv",
        "export edl": f"{GDM} export {q(scored)} --format edl -o $FULL/s.edl",
        "export otio": f"{GDM} export {q(scored)} --format otio -o $FULL/s.otio",
        "export ffconcat": f"{GDM} export {q(scored)} --format ffconcat -o $FULL/s.ffconcat",
        "reel": f"{GDM} reel {video} {q(scored)} -o $FULL/reel.mp4 --quiet",
        "labels import": f"{GDM} labels import {q(labels_csv)} -o $FULL/labels.json",
        "train": f"{GDM} train {q(dataset / 'manifest.csv')} -o $FULL/head.pt --epochs 2 --quiet",
    }


WRITERS = ["score", "export csv", "export edl", "export otio", "export ffconcat", "reel", "labels import", "train"]


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_on_a_full_disk(tmp_path, trained_head, dataset, scored, writer):
    labels_csv = tmp_path / "marks.csv"
    labels_csv.write_text("start,end\n0:10,0:20\n1:00,1:05\n")
    command = writers(trained_head, dataset, scored, labels_csv)[writer]
    status, lines, left = on_full_disk(tmp_path, command)
    assert_disk_full_error(status, lines)
    assert left == [], left


def test_extract_on_a_full_disk(tmp_path, long_video):
    status, lines, left = on_full_disk(
        tmp_path, f"{GDM} extract {shlex.quote(str(long_video))} {shlex.join(FAST)} --cache-dir $FULL/cache")
    assert_disk_full_error(status, lines)
    assert not [name for name in left if name != "cache"], left


def test_extract_that_fills_the_disk_part_way_keeps_finished_chunks(tmp_path, long_video):
    """Room for the skeleton and a few 256-step chunks (512 visual, 128 motion and 65 audio
    float16 columns and a 1024-byte picture: ~610 KB a chunk before the pictures' compression):
    h5py reports the full disk as a RuntimeError mid-append."""
    keep = tmp_path / "kept"
    command = (f"{GDM} extract {shlex.quote(str(long_video))} {shlex.join(FAST)} --cache-dir $FULL/cache; "
               f"status=$?; cp $FULL/cache/*.h5 {keep} 2>/dev/null; exit $status")
    status, lines, _ = on_full_disk(tmp_path, command, size_kb=4096, free_kb=1500)
    assert_disk_full_error(status, lines)
    assert "run again" in lines[0]
    with h5py.File(keep, "r") as f:  # finished chunks kept, and marked incomplete
        assert not f.attrs["complete"] and f.attrs["n_steps"] in (256, 512, 768), f.attrs["n_steps"]
