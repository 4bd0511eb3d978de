"""Every kind of bad input: one line on stderr, non-zero exit, never a complete-looking file."""

import errno
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import FAST, assert_one_line_error
from gdm_features import read
from gdm_features.store import FeatureWriter
from media_factory import Scenario, write_audio_only, write_video


def cache_files(directory: Path):
    return sorted(directory.glob("*.h5")) if directory.exists() else []


def assert_nothing_complete(directory: Path):
    for path in cache_files(directory):
        with h5py.File(path, "r") as f:
            assert not f.attrs["complete"], path


def written(name: str, data: bytes):
    def make(directory: Path) -> Path:
        (directory / name).write_bytes(data)
        return directory / name
    return make


@pytest.mark.parametrize("make,fragment", [
    (lambda d: d / "missing.mp4", "no such file"),
    (lambda d: d, "is a directory"),
    (written("empty.mp4", b""), "empty"),
    (written("notes.mp4", b"just text\n" * 100), "not a readable video"),
])
def test_unusable_paths(tmp_path, gdm, make, fragment):
    result = gdm("extract", make(tmp_path), *FAST, "--cache-dir", tmp_path / "c")
    assert_one_line_error(result, fragment)
    assert cache_files(tmp_path / "c") == []


def test_file_with_only_audio(tmp_path, gdm):
    path = write_audio_only(tmp_path / "song.m4a", seconds=0.5)
    assert_one_line_error(gdm("extract", path, *FAST, "--cache-dir", tmp_path / "c"), "no video stream")


def test_truncated_mp4_is_refused(tmp_path, gdm):
    good = write_video(tmp_path / "good.mp4", Scenario(duration=4.0))
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # the index (moov) is at the end
    result = gdm("extract", bad, *FAST, "--cache-dir", tmp_path / "c")
    assert_one_line_error(result, "cut.mp4")
    assert_nothing_complete(tmp_path / "c")


def test_stream_damaged_part_way_keeps_the_readable_part(tmp_path, gdm):
    """Documented choice: frames up to the damage, frame_ok=false after it, and a warning."""
    good = write_video(tmp_path / "good.mkv", Scenario(duration=10.0))
    data = good.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    result = gdm("extract", cut, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    assert "warning" in result.stderr and "decoding stopped" in result.stderr
    s = read(result.stdout.strip(), 0, 1000)
    assert abs(len(s) - 50) <= 1  # the advertised 10 s (audio padding may add a step)
    first_bad = int(np.argmin(s.frame_ok))
    assert 15 <= first_bad <= 40
    assert s.frame_ok[:first_bad].all() and not s.frame_ok[first_bad:].any()


def test_garbage_inside_an_mkv_marks_the_lost_steps(tmp_path, gdm):
    """30 KB of random bytes in the middle: the demuxer skips to the next cluster, so without a
    check the last good frame would stand in, frame_ok=true, for seconds of lost video."""
    good = write_video(tmp_path / "good.mkv", Scenario(duration=20.0, size=(120, 160),
                                                       scene_changes=list(range(1, 20, 2))))
    data = bytearray(good.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 30_000] = np.random.default_rng(1).integers(0, 256, 30_000, np.uint8).tobytes()
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(bytes(data))
    result = gdm("extract", bad, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    assert "damaged data: no usable video from" in result.stderr
    s = read(result.stdout.strip(), 0, 1000)
    assert abs(len(s) - 100) <= 1
    lost = np.flatnonzero(~s.frame_ok)
    assert len(lost) >= 15 and lost[-1] - lost[0] + 1 == len(lost)  # one run of lost steps...
    assert 20 <= lost[0] <= 60 and lost[-1] < len(s) - 5  # ...inside the video, frames after it


def test_faststart_mp4_cut_at_90_percent_says_so(tmp_path, gdm):
    """The index sits at the front and promises 3 s; the data ends 0.4 s early."""
    good = write_video(tmp_path / "good.mp4", Scenario(duration=3.0, size=(120, 160)),
                       container_options={"movflags": "faststart"})
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: int(good.stat().st_size * 0.9)])
    result = gdm("extract", cut, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    assert "cut short: decoding stopped at" in result.stderr
    s = read(result.stdout.strip(), 0, 1000)
    assert len(s) == 15 and s.frame_ok[:10].all() and not s.frame_ok[-1]


def test_still_image_is_not_a_video(tmp_path, gdm):
    import av

    path = tmp_path / "screenshot.png"
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb24"
        for packet in stream.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")):
            out.mux(packet)
    assert_one_line_error(gdm("extract", path, *FAST, "--cache-dir", tmp_path / "c"), "still image")
    assert cache_files(tmp_path / "c") == []


def test_unwritable_cache_dir(tmp_path, gdm, event_video):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = gdm("extract", event_video, *FAST, "--cache-dir", blocker / "cache")
    assert_one_line_error(result, "not writable", "--cache-dir")


def test_disk_full_keeps_finished_chunks_and_never_marks_complete(tmp_path, gdm, monkeypatch):
    video = write_video(tmp_path / "long.mp4", Scenario(duration=120.0, size=(48, 64), audio=False))
    real_append = FeatureWriter.append
    calls = {"n": 0}

    def append_until_full(self, *rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_append(self, *rows)

    monkeypatch.setattr(FeatureWriter, "append", append_until_full)
    result = gdm("extract", video, *FAST, "--cache-dir", tmp_path / "c")
    assert_one_line_error(result, "disk full", "run again")
    [path] = cache_files(tmp_path / "c")
    with h5py.File(path, "r") as f:
        assert not f.attrs["complete"] and f.attrs["n_steps"] == 256
    monkeypatch.setattr(FeatureWriter, "append", real_append)
    again = gdm("extract", video, *FAST, "--cache-dir", tmp_path / "c")
    assert again.exit_code == 0 and len(read(again.stdout.strip(), 0, 10_000)) == 600


@pytest.mark.parametrize("args,fragment", [
    (["--backbone", "vgg"], "--backbone"),  # the line names the option and what it takes
    (["--fps", "0"], "--fps"),
    (["--input-size", "big"], "--input-size"),
    (["--weights", "IMAGENET1K_V2"], "weights"),
    (["--device", "tpu"], "--device"),
])
def test_bad_options(tmp_path, gdm, event_video, args, fragment):
    result = gdm("extract", event_video, "--weights", "none", *args, "--cache-dir", tmp_path)
    assert_one_line_error(result, fragment)


def test_one_bad_video_does_not_stop_the_others(tmp_path, gdm, event_video):
    result = gdm("extract", tmp_path / "missing.mp4", event_video, *FAST, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 1
    assert len(result.stdout.strip().splitlines()) == 1  # the good one's cache path
    assert "missing.mp4: no such file" in result.stderr and "1 of 2 videos failed" in result.stderr


def test_reader_refuses_incomplete_and_unknown_schema(tmp_path, gdm):
    from gdm_features import SCHEMA, FeatureFile, GdmError
    from gdm_features.store import DATASETS

    partial = tmp_path / "partial.h5"
    with h5py.File(partial, "w") as f:
        f.attrs.update({"schema": SCHEMA, "complete": False, "n_steps": 3})
        for name in DATASETS:
            f.create_dataset(name, shape=(3,), dtype="f4")
    with pytest.raises(GdmError, match="not complete"):
        FeatureFile(partial)
    older = tmp_path / "older.h5"  # made by a gdm before the motion block: extracted again
    with h5py.File(older, "w") as f:
        f.attrs.update({"schema": "gdm.features/1", "complete": True, "n_steps": 3})
    with pytest.raises(GdmError, match="extract the video again"):
        FeatureFile(older)
    alien = tmp_path / "alien.h5"
    with h5py.File(alien, "w") as f:
        f.attrs["schema"] = "someone.else/7"
    with pytest.raises(GdmError, match="unknown feature schema"):
        FeatureFile(alien)
    assert_one_line_error(gdm("inspect", alien), "unknown feature schema")
    assert_one_line_error(gdm("inspect", tmp_path / "nope.h5"), "no such feature file")


def test_a_cache_from_before_the_picture_block_is_extracted_again(tmp_path, gdm, event_video):
    """An upgrade: the /2 file sits at its /3 successor's key; extracting replaces it whole."""
    made = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path)
    path = Path(made.stdout.strip())
    with h5py.File(path, "a") as f:
        f.attrs["schema"] = "gdm.features/2"
        del f["picture"]
    again = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path)
    assert again.exit_code == 0 and Path(again.stdout.strip()) == path
    window = read(path, 0, 50)
    assert window.picture.shape == (50, 1024) and window.picture.any()
