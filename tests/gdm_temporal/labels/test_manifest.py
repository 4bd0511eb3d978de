"""Manifests and splits: whole streams or contiguous blocks, never random steps."""

import pytest

from gdm_features import GdmError
from gdm_temporal.labels.manifest import assign_regions, read_manifest


def test_csv_and_jsonl_manifests_resolve_paths_relative_to_themselves(tmp_path):
    (tmp_path / "m.csv").write_text("video,labels,split\na.mp4,a.json,train\nsub/b.h5,b.csv,\n")
    rows = read_manifest(tmp_path / "m.csv")
    assert [r.video for r in rows] == [tmp_path / "a.mp4", tmp_path / "sub/b.h5"]
    assert [r.split for r in rows] == ["train", None]
    (tmp_path / "m.jsonl").write_text('{"video": "a.mp4", "labels": "a.json", "split": "val"}\n\n'
                                      '{"video": "b.mp4", "labels": "b.json"}\n')
    assert [r.split for r in read_manifest(tmp_path / "m.jsonl")] == ["val", None]


@pytest.mark.parametrize("text,fragment", [
    ("video,labels,split\na.mp4,a.json,holdout\n", "line 2: split 'holdout'"),
    ("path,labels\na.mp4,a.json\n", "header with a 'video' column"),
    ("video,labels\n,a.json\n", "line 2: no 'video'"),
    ("video,labels\n", "lists no streams"),
])
def test_bad_manifests(tmp_path, text, fragment):
    (tmp_path / "m.csv").write_text(text)
    with pytest.raises(GdmError, match=fragment):
        read_manifest(tmp_path / "m.csv")


def rows_for(tmp_path, n, split=""):
    (tmp_path / "m.csv").write_text("video,labels,split\n" + "".join(f"s{i}.h5,l{i}.json,{split}\n" for i in range(n)))
    return read_manifest(tmp_path / "m.csv")


def test_single_stream_is_cut_into_contiguous_blocks(tmp_path):
    regions = assign_regions(rows_for(tmp_path, 1), [1000])
    assert [(r.start, r.end, r.split) for r in regions] == [(0, 700, "train"), (700, 850, "val"), (850, 1000, "test")]


def test_many_streams_are_held_out_whole_and_stably(tmp_path):
    rows = rows_for(tmp_path, 10)
    regions = assign_regions(rows, [100] * 10)
    assert all((r.start, r.end) == (0, 100) for r in regions)
    splits = [r.split for r in regions]
    assert splits.count("test") == 2 and splits.count("val") == 2 and splits.count("train") == 6
    assert assign_regions(rows, [100] * 10) == regions


def test_explicit_splits_are_kept(tmp_path):
    rows = rows_for(tmp_path, 2, split="val")
    assert {r.split for r in assign_regions(rows, [50, 60])} == {"val"}
