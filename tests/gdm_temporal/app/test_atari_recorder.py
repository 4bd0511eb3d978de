"""The Atari recorder behind the demo and the benchmarks: any ALE game, with sound, and the
game's own events as highlights (lost lives, game over, rare large rewards)."""

import av
import pytest

pytest.importorskip("ale_py", reason="Atari recordings need the demo extra (ale-py)")


def test_a_non_breakout_game_is_recorded_with_its_lost_lives_as_highlights(tmp_path):
    from gdm_temporal.app.demo.atari import HIGHLIGHT_AFTER_S, HIGHLIGHT_BEFORE_S, record_game

    recording = record_game("SpaceInvaders", tmp_path / "si.mp4", 40, seed=3, progress=False)
    with av.open(str(recording.video)) as container:
        assert container.streams.audio and container.streams.video
        seconds = float(container.duration / av.time_base)
    assert abs(seconds - 40) < 0.5
    assert recording.lives_lost >= 1 and recording.highlights  # a clumsy player dies within 40 s
    longest = HIGHLIGHT_BEFORE_S + HIGHLIGHT_AFTER_S
    assert all(0 <= iv.start < iv.end <= 40 for iv in recording.highlights)
    assert all(iv.duration <= longest * (1 + recording.lives_lost + recording.big_rewards) for iv in recording.highlights)
    again = record_game("SpaceInvaders", tmp_path / "again.mp4", 40, seed=3, progress=False)
    assert again.highlights == recording.highlights  # a seed is a play-through


def test_an_unknown_game_is_one_clear_error(tmp_path):
    from gdm_features.errors import GdmError
    from gdm_temporal.app.demo.atari import record_game

    with pytest.raises(GdmError, match="no Atari game 'Nonsense'"):
        record_game("Nonsense", tmp_path / "x.mp4", 5, seed=0, progress=False)
    assert not (tmp_path / "x.mp4").exists()
