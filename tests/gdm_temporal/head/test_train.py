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


def test_the_head_outputs_probabilities_calibrated_on_validation(trained_head, dataset):
    """Fused and muted (picture branch) outputs: on the validation stream, the mean predicted
    probability is the share of highlight steps, and the branches' weights are both used."""
    import numpy as np

    from gdm_temporal.head.checkpoint import load_head
    from gdm_temporal.head.data import WindowReader, open_streams
    from gdm_temporal.head.evaluate import score_regions
    from gdm_temporal.labels.manifest import assign_regions, read_manifest

    head, config, norm = load_head(trained_head)
    rows = read_manifest(dataset / "manifest.csv")
    streams = open_streams(rows, progress=False)
    val = [r for r in assign_regions(rows, [s.n_steps for s in streams]) if r.split == "val"]
    targets = np.concatenate([streams[r.stream].targets[r.start:r.end] for r in val])
    for without in ((), ("audio",)):
        scores = np.concatenate(score_regions(head, WindowReader(streams, norm, without=without), val))
        assert abs(scores.mean() - targets.mean()) < 0.02, (without, scores.mean(), targets.mean())
    assert set(config["training"]["best_epoch"]) == {"visual", "motion", "audio"}
    visual, motion, audio = head.fusions["visual+motion+audio"].weight[0].tolist()
    assert audio > 0 and max(visual, motion) > 0  # the fusion listens and looks


def test_a_head_that_only_looks_and_a_bad_modality(dataset, tmp_path, gdm):
    result = gdm("train", dataset / "manifest.csv", "-o", tmp_path / "v.pt", "--modalities", "visual", "--epochs", "2",
                 "--quiet")
    assert result.exit_code == 0, result.stderr
    architecture = json.loads(torch.load(tmp_path / "v.pt", weights_only=True)["config"])["architecture"]
    assert architecture["visual_dim"] > 0 and architecture["audio_dim"] == 0
    assert_one_line_error(gdm("train", dataset / "manifest.csv", "-o", tmp_path / "s.pt", "--modalities", "sound"),
                          "give visual, audio or visual,audio")
    assert not (tmp_path / "s.pt").exists()
