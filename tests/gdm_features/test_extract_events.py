"""Known events at known times come out at exactly the expected steps."""

import json

import numpy as np
import pytest

from conftest import FAST, unit_rows
from gdm_features import SCHEMA, FeatureFile, extract, read


@pytest.fixture(scope="module")
def event_features(event_video, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return extract(event_video, backbone="efficientnet_lite0", cache_dir=cache, progress=False)


def test_embedding_jumps_exactly_at_flash_and_scene_change(event_features):
    s = read(event_features, 0, 10_000)
    v = unit_rows(s.visual)
    change = 1 - (v[1:] * v[:-1]).sum(axis=1)  # change[k] is between step k and k + 1
    order = np.argsort(change)[::-1] + 1
    # flash on at 3.0 s (step 15), off at 3.4 s (step 17), new scene at 5.0 s (step 25)
    assert set(order[:3]) == {15, 17, 25}
    assert np.sort(change)[-3] > 1.5 * np.sort(change)[-4]


def test_flash_steps_are_alike_and_unlike_the_scene(event_features):
    v = unit_rows(read(event_features, 0, 50).visual)
    assert v[15] @ v[16] > 0.99
    assert v[14] @ v[15] < 0.5


def test_motion_shows_the_flash_and_the_scene_change_on_their_steps(event_features):
    peak = read(event_features, 0, 10_000).motion[:, 64:].astype(np.float32).max(axis=1)
    # the changes happen between the frames before and at 3.0, 3.4 and 5.0 s: steps 15, 17, 25
    assert set(np.flatnonzero(peak > 20)) == {15, 17, 25}, np.round(peak, 1)


def test_picture_is_each_steps_frame_small_and_grey(event_features):
    pictures = read(event_features, 0, 10_000).picture
    assert pictures.shape == (50, 1024) and pictures.dtype == np.uint8
    grey = pictures.astype(np.float32)
    assert grey[15:17].min() > 230 and grey[14].mean() < 200  # the white flash, on its steps only
    change = np.abs(grey[1:] - grey[:-1]).mean(axis=1)  # change[k] is between step k and k + 1
    assert set(np.argsort(change)[::-1][:3] + 1) == {15, 17, 25}, np.round(change, 1)


def test_loudness_jumps_exactly_at_burst(event_features):
    loud = read(event_features, 0, 10_000).audio[:, 0].astype(np.float32)
    assert set(np.flatnonzero(loud > -10)) == {37, 38}  # tone in [7.4, 7.8)
    assert loud[np.r_[0:37, 39:50]].max() < -30


def test_cache_file_follows_the_design(event_features):
    with FeatureFile(event_features) as f:
        a = f.attrs
        assert a["schema"] == SCHEMA and a["complete"] in (True, 1)
        assert f.n_steps == 50 and a["n_steps"] == 50
        assert (f.visual_dim, f.motion_dim, f.audio_dim, f.picture_dim) == (1280, 128, 65, 1024)
        assert json.loads(a["motion"]) == {"size": 128, "grid": 8, "max_fps": 30.0}
        assert a["fps"] == 5.0 and a["backbone"] == "efficientnet_lite0"
        assert a["weights"] == "efficientnet-lite0-57934424"
        assert abs(a["duration_s"] - 10.0) < 0.05
        for key in ("source", "source_fingerprint", "input_size", "audio", "created_utc", "gdm_version"):
            assert key in a
        s = f.read(0, 50)
        np.testing.assert_allclose(s.time, np.arange(50) / 5)
        assert s.frame_ok.all()
        assert s.visual.dtype == np.float16 and s.audio.dtype == np.float16


def test_rerun_is_a_cache_hit(event_video, tmp_path, gdm):
    first = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path)
    assert first.exit_code == 0, first.stderr
    path = first.stdout.strip()
    mtime = (tmp_path / path.split("/")[-1]).stat().st_mtime_ns
    second = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path)
    assert second.stdout.strip() == path
    assert (tmp_path / path.split("/")[-1]).stat().st_mtime_ns == mtime


def test_other_settings_get_another_cache_file(event_video, tmp_path, gdm):
    a = gdm("extract", event_video, *FAST, "--cache-dir", tmp_path).stdout.strip()
    b = gdm("extract", event_video, *FAST, "--fps", "2", "--cache-dir", tmp_path).stdout.strip()
    assert a != b
    assert read(b, 0, 100).time.shape == (20,)


def test_reader_returns_slices(event_features):
    with FeatureFile(event_features) as f:
        window = f.read(10, 5)
        assert window.start == 10 and len(window) == 5
        np.testing.assert_allclose(window.time, [2.0, 2.2, 2.4, 2.6, 2.8])
        assert len(f.read(48, 10)) == 2  # clipped at the end


def test_inspect_prints_shapes_and_state(event_features, gdm):
    result = gdm("inspect", event_features)
    assert result.exit_code == 0
    assert "complete" in result.stdout and "[50, 1280]" in result.stdout and "[50, 65]" in result.stdout
    assert "00:00:10.000" in result.stdout


def test_cache_path_for_names_the_file_extract_writes(event_video, event_features):
    from gdm_features import ExtractSettings, cache_path_for

    settings = ExtractSettings(backbone="efficientnet_lite0")
    assert cache_path_for(event_video, settings, event_features.parent) == event_features


def test_progress_shows_steps_and_speed_unless_quiet(event_video, tmp_path, gdm):
    loud = gdm("extract", event_video, "--weights", "none", "--input-size", "64", "--cache-dir", tmp_path / "a")
    assert loud.exit_code == 0
    assert "50/50" in loud.stderr and "x realtime" in loud.stderr
    quiet = gdm("extract", event_video, "--weights", "none", "--input-size", "64", "--quiet",
                "--cache-dir", tmp_path / "b")
    assert quiet.exit_code == 0 and quiet.stderr == ""
