"""A cache file is never trusted when damaged, every setting that changes the numbers is in its
key, and extraction leaves no lock or skeleton files behind."""

import h5py
import numpy as np

from conftest import FAST, assert_one_line_error
from gdm_features import read


def flip_bytes_inside(path, dataset="visual", count=4096):
    with h5py.File(path, "r") as f:
        info = f[dataset].id.get_chunk_info(0)
    with open(path, "r+b") as raw:
        raw.seek(info.byte_offset + 64)
        data = bytearray(raw.read(count))
        raw.seek(info.byte_offset + 64)
        raw.write(bytes(b ^ 0xFF for b in data))


def test_a_damaged_cache_file_is_extracted_again_not_trusted(event_video, tmp_path, gdm):
    first = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path)
    path = first.stdout.strip()
    clean = read(path, 0, 10_000).visual.copy()
    flip_bytes_inside(path)
    again = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path)
    assert again.exit_code == 0 and again.stdout.strip() == path
    assert "damaged" in again.stderr and "extracting it again" in again.stderr
    np.testing.assert_array_equal(read(path, 0, 10_000).visual, clean)


def test_training_on_a_damaged_file_is_refused_in_one_line(dataset, tmp_path, gdm):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(dataset, copy, ignore=shutil.ignore_patterns("*.pt"))
    manifest = (copy / "manifest.csv").read_text().replace(str(dataset), str(copy))
    (copy / "manifest.csv").write_text(manifest)
    train_features = manifest.splitlines()[1].split(",")[0]
    flip_bytes_inside(train_features)
    result = gdm("train", copy / "manifest.csv", "-o", tmp_path / "head.pt", "--epochs", "2", "--quiet")
    assert_one_line_error(result, "damaged", "gdm extract again")
    assert not (tmp_path / "head.pt").exists()


def test_precision_is_part_of_the_cache_key(event_video, tmp_path, gdm):
    fp32 = gdm("extract", event_video, *FAST, "--precision", "fp32", "--cache-dir", tmp_path).stdout.strip()
    bf16 = gdm("extract", event_video, *FAST, "--precision", "bf16", "--cache-dir", tmp_path).stdout.strip()
    assert fp32 and bf16 and fp32 != bf16
    with h5py.File(fp32) as a, h5py.File(bf16) as b:
        assert a.attrs["precision"] == "fp32" and b.attrs["precision"] == "bf16"


def test_no_lock_or_skeleton_file_is_left_behind(event_video, tmp_path, gdm):
    cache = tmp_path / "cache"
    assert gdm("extract", event_video, *FAST, "--cache-dir", cache).exit_code == 0
    assert gdm("extract", event_video, *FAST, "--cache-dir", cache).exit_code == 0  # a cache hit too
    assert [p.suffix for p in cache.iterdir()] == [".h5"]


def test_a_same_size_rewrite_is_not_a_cache_hit(event_video, tmp_path, gdm):
    import shutil

    video = tmp_path / "vod.mp4"
    shutil.copy(event_video, video)
    first = gdm("extract", video, *FAST, "--cache-dir", tmp_path / "c").stdout.strip()
    data = bytearray(video.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 30_000] = bytes(30_000)  # 30 KB rewritten in the middle, same size
    video.write_bytes(bytes(data))
    second = gdm("extract", video, *FAST, "--cache-dir", tmp_path / "c")
    assert second.stdout.strip() != first, "a changed video must not reuse the old features"


def test_an_unchanged_file_is_hashed_once(event_video, tmp_path, monkeypatch):
    from gdm_features import fingerprint

    calls = []
    real = fingerprint.content_hash
    monkeypatch.setattr(fingerprint, "content_hash", lambda path: calls.append(path) or real(path))
    a, b = fingerprint.file_fingerprint(event_video), fingerprint.file_fingerprint(event_video)
    assert a == b and len(calls) == 1
