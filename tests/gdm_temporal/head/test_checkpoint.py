"""Head checkpoints: what they hold, and refusing what they must not load."""

import pickle

import pytest
import torch

from conftest import assert_one_line_error
from gdm_features import extract
from gdm_temporal.head.checkpoint import load_head


def test_checkpoint_holds_what_the_design_asks(trained_head):
    head, config, norm = load_head(trained_head)
    assert config["dims"] == {"visual": 512, "motion": 128, "audio": 65}
    assert config["features"]["backbone"] == "resnet18" and config["fps"] == 5.0
    assert norm.visual_mean.shape == (512,) and norm.visual_basis.shape == (512, 64)
    assert norm.motion_std.shape == (128,) and norm.motion_basis.shape == (128, 64)
    architecture = config["architecture"]
    assert config["visual_components"] == 64
    assert (architecture["visual_dim"], architecture["motion_dim"], architecture["audio_dim"]) == (64, 64, 65)
    assert 0 < config["threshold"] < 1 and config["validation"]["frame"]["ap"] > 0.5
    assert config["architecture"]["bidirectional"] is True
    assert config["training"]["seconds"] > 0 and config["complete"] is True


def test_checkpoint_with_pickled_objects_is_refused(tmp_path, dataset, gdm):
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    evil = tmp_path / "evil.pt"
    torch.save({"format": "gdm.head/1", "state_dict": {}, "config": Payload()}, evil)
    result = gdm("evaluate", evil, dataset / "manifest.csv")
    assert_one_line_error(result, "refused")
    assert "this ran" not in result.stdout


def test_head_of_an_older_gdm_says_to_train_again(tmp_path, dataset, gdm):
    older = tmp_path / "older.pt"
    torch.save({"format": "gdm.head/2", "state_dict": {}, "config": "{}"}, older)
    assert_one_line_error(gdm("evaluate", older, dataset / "manifest.csv"), "older gdm", "train it again")


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


def test_a_head_trained_before_the_picture_block_scores_new_caches(trained_head, dataset):
    """Schema /3 only added a block heads do not read: a head that recorded /2 features is kept."""
    import copy

    from gdm_features import FeatureFile, GdmError
    from gdm_temporal.head.checkpoint import check_features, load_head

    _, config, _ = load_head(trained_head)
    older = copy.deepcopy(config)
    older["features"]["schema"] = "gdm.features/2"  # what a head trained then recorded
    [cache] = [p for p in (dataset / "cache").glob("*.h5") if "stream13" in FeatureFile(p).attrs["source"]]
    with FeatureFile(cache) as features:
        check_features(older, features, "stream13")
        older["features"]["input_size"] = [224, 224]
        with pytest.raises(GdmError, match="input_size"):
            check_features(older, features, "stream13")
