"""Every real game clip in ../shared/media extracts, with step counts matching its duration."""

import numpy as np
import pytest

from conftest import FAST, shared_clip, unit_rows
from gdm_features import FeatureFile, extract, read

# name: (duration s from MANIFEST.md, has audio)
CLIPS = {
    "smb_nes_mairio_123s.mp4": (122.9, False),
    "smb_nes_world1-2_iamario_57s.mp4": (56.5, False),
    "sm64_desktopcapture_22s_audio.mp4": (21.6, True),  # HEVC, 720p
    "csgo_3s_audio.mp4": (3.0, True),
    "atari_mspacman_dqn_ep0_34s.mp4": (33.6, False),  # 160x210
    "atari_mspacman_dqn_ep7_37s.mp4": (37.0, False),
    "atari_spaceinvaders_agent_25s.mp4": (24.7, False),
    "atari_breakout_dqn_ep0_24s.mp4": (24.4, False),
    "minecraft_parkour_10s.mp4": (10.1, False),
    "subway_surfers_10s.mp4": (10.0, False),  # portrait
    "frogger_clone_pygame_7s_audio.mp4": (7.2, True),
    "wastecopter_indie_34s.mp4": (34.5, False),  # VP9, 12 fps
    "bagelspace_indie.webm": (19.8, False),  # VP9 in WebM, 10 fps
}


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_real_clip_extracts_with_matching_step_count(name, tmp_path, gdm):
    duration, has_audio = CLIPS[name]
    result = gdm("extract", shared_clip(name), *FAST, "--cache-dir", tmp_path)
    assert result.exit_code == 0, result.stderr
    with FeatureFile(result.stdout.strip()) as f:
        assert abs(f.n_steps - duration * 5) <= 1.5, (f.n_steps, duration)
        assert f.audio_dim == (65 if has_audio else 0)
        s = f.read(0, f.n_steps)
    assert s.frame_ok.mean() > 0.97
    assert np.isfinite(s.visual.astype(np.float32)).all() and np.isfinite(s.audio.astype(np.float32)).all()
    assert s.visual[s.frame_ok].std(axis=0).max() > 0  # real content, not a constant


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    cache = tmp_path_factory.mktemp("lite0")
    names = ["sm64_desktopcapture_22s_audio.mp4", "minecraft_parkour_10s.mp4", "atari_breakout_dqn_ep0_24s.mp4"]
    return {n: unit_rows(read(extract(shared_clip(n), backbone="efficientnet_lite0", cache_dir=cache,
                                      progress=False), 0, 60).visual) for n in names}


def test_pretrained_frames_of_one_scene_are_closer_than_frames_of_other_games(pretrained):
    for name, v in pretrained.items():
        same = min(float(v[i] @ v[i + 2]) for i in range(0, 40, 5))  # frames 0.4 s apart
        others = max(float(v[i] @ w[i]) for other, w in pretrained.items() if other != name
                     for i in range(0, 40, 5))
        assert same > others, (name, same, others)
