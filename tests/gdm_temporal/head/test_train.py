"""`gdm train`: a held-out stream's highlights are learned, repeatably."""

import json

import torch

from conftest import assert_one_line_error


def test_held_out_stream_highlights_are_learned(trained_head, dataset, gdm):
    result = gdm("evaluate", trained_head, dataset / "manifest.csv", "--split", "test", "--json", "--quiet")
    assert result.exit_code == 0, result.stderr
    m = json.loads(result.stdout)
    assert m["frame"]["ap"] > 0.9
    assert m["event"]["recall"] == 1.0
    assert m["event"]["labelled"] == 6


def test_same_seed_gives_identical_weights(dataset, tmp_path, gdm):
    heads = []
    for name in ("a.pt", "b.pt"):
        result = gdm("train", dataset / "manifest.csv", "-o", tmp_path / name, "--seed", "7", "--epochs", "2", "--quiet")
        assert result.exit_code == 0, result.stderr
        heads.append(torch.load(tmp_path / name, weights_only=True)["state_dict"])
    assert heads[0].keys() == heads[1].keys()
    assert all(torch.equal(heads[0][k], heads[1][k]) for k in heads[0])


def test_training_without_validation_data_says_what_to_do(tmp_path, dataset, gdm):
    rows = (dataset / "manifest.csv").read_text().splitlines()
    (tmp_path / "m.csv").write_text("\n".join([rows[0], rows[1].replace(str(dataset), str(dataset))]) + "\n")
    manifest = tmp_path / "m.csv"
    manifest.write_text(rows[0] + "\n" + ",".join([rows[1].split(",")[0], str(dataset / "stream11.json"), "train"]) + "\n")
    assert_one_line_error(gdm("train", manifest, "-o", tmp_path / "h.pt"), "no validation data")


def test_validation_without_highlights_is_refused_not_saved_as_nan(dataset, tmp_path, gdm):
    rows = (dataset / "manifest.csv").read_text().splitlines()
    (tmp_path / "none.json").write_text('{"highlights": []}')
    val = rows[2].split(",")
    rows[2] = ",".join([val[0], str(tmp_path / "none.json"), "val"])
    rows = [rows[0]] + [",".join([str(dataset / r.split(",")[1]) if k == 1 and not r.split(",")[1].startswith("/")
                                  else c for k, c in enumerate(r.split(","))]) for r in rows[1:]]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    result = gdm("train", tmp_path / "m.csv", "-o", tmp_path / "h.pt", "--epochs", "2", "--quiet")
    assert_one_line_error(result, "validation split has no labelled highlight")
    assert not (tmp_path / "h.pt").exists()
