"""Stage two end to end on streams with learnable highlights made in fixtures."""

import json
import pickle

import pytest
import torch

from conftest import assert_one_line_error
from gdm_features import extract
from gdm_temporal.checkpoint import load_head

def test_held_out_stream_highlights_are_learned(trained_head, dataset, gdm):
    result = gdm("evaluate", trained_head, dataset / "manifest.csv", "--split", "test", "--json", "--quiet")
    assert result.exit_code == 0, result.stderr
    m = json.loads(result.stdout)
    assert m["frame"]["ap"] > 0.9
    assert m["event"]["recall"] == 1.0
    assert m["event"]["labelled"] == 6


def test_budget_metric_counts_highlights_that_fit(trained_head, dataset, gdm):
    # 40 min per 4 h = 30 s for a 3-minute stream: room for all six 2-second highlights;
    # the default (7.5 s here) holds at most three.
    roomy = json.loads(gdm("evaluate", trained_head, dataset / "manifest.csv", "--json", "--quiet",
                           "--budget", "40").stdout)["budget"]
    assert roomy["hit_rate"] == 1.0 and roomy["used_s"] <= 30.0 + 1e-6
    tight = json.loads(gdm("evaluate", trained_head, dataset / "manifest.csv", "--json", "--quiet").stdout)["budget"]
    assert tight["budget_s"] == pytest.approx(7.5) and tight["used_s"] <= 7.5 + 1e-6
    assert tight["hit"] >= 3


def test_evaluate_prints_a_table(trained_head, dataset, gdm):
    result = gdm("evaluate", trained_head, dataset / "manifest.csv", "--quiet")
    assert result.exit_code == 0, result.stderr
    for row in ("frame", "block30", "event", "budget"):
        assert f"\n{row}" in result.stdout


def test_checkpoint_holds_what_the_design_asks(trained_head):
    head, config, norm = load_head(trained_head)
    assert config["dims"] == {"visual": 512, "audio": 65}
    assert config["features"]["backbone"] == "resnet18" and config["fps"] == 5.0
    assert norm.visual_mean.shape == (512,) and norm.visual_basis.shape == (512, 64)
    assert config["visual_components"] == 64 and config["architecture"]["input_dim"] == 64 + 65
    assert 0 < config["threshold"] < 1 and config["validation"]["frame"]["ap"] > 0.5
    assert config["architecture"]["bidirectional"] is True
    assert config["training"]["seconds"] > 0 and config["complete"] is True


def test_same_seed_gives_identical_weights(dataset, tmp_path, gdm):
    heads = []
    for name in ("a.pt", "b.pt"):
        result = gdm("train", dataset / "manifest.csv", "-o", tmp_path / name, "--seed", "7", "--epochs", "2", "--quiet")
        assert result.exit_code == 0, result.stderr
        heads.append(torch.load(tmp_path / name, weights_only=True)["state_dict"])
    assert heads[0].keys() == heads[1].keys()
    assert all(torch.equal(heads[0][k], heads[1][k]) for k in heads[0])


def test_checkpoint_with_pickled_objects_is_refused(tmp_path, dataset, gdm):
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    evil = tmp_path / "evil.pt"
    torch.save({"format": "gdm.head/1", "state_dict": {}, "config": Payload()}, evil)
    result = gdm("evaluate", evil, dataset / "manifest.csv")
    assert_one_line_error(result, "refused")
    assert "this ran" not in result.stdout


def test_truncated_checkpoint_is_one_line(tmp_path, trained_head, dataset, gdm):
    cut = tmp_path / "cut.pt"
    cut.write_bytes(trained_head.read_bytes()[:2000])
    assert_one_line_error(gdm("evaluate", cut, dataset / "manifest.csv"), "truncated or damaged")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(pickle.dumps({"hello": 1}))
    assert_one_line_error(gdm("evaluate", junk, dataset / "manifest.csv"), "junk.pt")


def test_head_refuses_features_of_another_backbone(tmp_path, trained_head, dataset, gdm):
    video = dataset / "stream13.mp4"
    other = extract(video, backbone="efficientnet_lite0", weights="none", input_size=(64, 64),
                    cache_dir=tmp_path, progress=False)
    (tmp_path / "m.csv").write_text(f"video,labels,split\n{other},{dataset / 'stream13.json'},test\n")
    result = gdm("evaluate", trained_head, tmp_path / "m.csv")
    assert_one_line_error(result, "trained on resnet18", "efficientnet_lite0")


def test_training_without_validation_data_says_what_to_do(tmp_path, dataset, gdm):
    rows = (dataset / "manifest.csv").read_text().splitlines()
    (tmp_path / "m.csv").write_text("\n".join([rows[0], rows[1].replace(str(dataset), str(dataset))]) + "\n")
    manifest = tmp_path / "m.csv"
    manifest.write_text(rows[0] + "\n" + ",".join([rows[1].split(",")[0], str(dataset / "stream11.json"), "train"]) + "\n")
    assert_one_line_error(gdm("train", manifest, "-o", tmp_path / "h.pt"), "no validation data")
