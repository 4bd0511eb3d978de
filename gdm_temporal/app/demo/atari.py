"""Real game footage offline: record Atari Breakout played by a simple policy, with sound.

The Arcade Learning Environment (PyPI `ale-py`, ROMs included) runs the real game at 60 Hz;
every second frame goes to a 30 fps H.264 MP4, and the console's sound (512 unsigned 8-bit
samples per frame, 30,720 Hz) is resampled into AAC. The game itself says where the
highlights are: each lost life, the moment a streamer's chat would explode.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gdm_features.errors import GdmError
from gdm_features.files import atomic_output
from gdm_features.progress import StepProgress

from gdm_temporal.timeline.intervals import Interval

GAME_HZ = 60
VIDEO_FPS = 30
SOUND_RATE = 512 * GAME_HZ  # 30,720 Hz
AUDIO_RATE = 32000
HIGHLIGHT_BEFORE_S, HIGHLIGHT_AFTER_S = 1.0, 2.0  # the miss, and the dead air before the serve
FIRE, RIGHT, LEFT, NOOP = 1, 2, 3, 0
_RAM_BALL_X, _RAM_PADDLE_X = 99, 72
SERVE_DELAY = 2 * GAME_HZ


@dataclass(frozen=True)
class Recording:
    video: Path
    highlights: list[Interval]  # around each lost life
    seconds: float
    lives_lost: int
    games: int


def _make_env():
    try:
        import ale_py
        import gymnasium as gym
    except ImportError:
        raise GdmError('the demo records Atari play with ale-py and gymnasium: pip install -e ".[demo]"') from None
    gym.register_envs(ale_py)
    return gym.make("ALE/Breakout-v5", frameskip=1, repeat_action_probability=0.0, sound_obs=True,
                    obs_type="rgb")


class _Policy:
    """Follows the ball with the paddle, but not perfectly: it drifts off for a while now and
    then, so lives are lost at a realistic, rare rate; and it waits two seconds before serving.
    With `varied_aim`, where on the paddle it aims changes every half second or so, so the
    ball's path varies as a person's play does: a perfect tracker can send the ball round one
    exact loop for minutes, with the same pictures and sounds every 18 s (harmless for learning
    highlights, fatal for telling two moments apart, as alignment must)."""

    def __init__(self, rng: np.random.Generator, varied_aim: bool = False) -> None:
        self.rng = rng
        self.varied_aim = varied_aim
        self.distracted_for = 0
        self.serve_in = SERVE_DELAY
        self.aim = 0

    def act(self, ram: np.ndarray, ball_in_play: bool) -> int:
        if not ball_in_play:
            self.serve_in -= 1
            if self.serve_in <= 0:
                self.serve_in = SERVE_DELAY
                return FIRE
            return NOOP
        if self.distracted_for > 0:
            self.distracted_for -= 1
            return int(self.rng.integers(0, 4))
        if self.rng.random() < 1 / (60 * GAME_HZ):  # about once a minute of play
            self.distracted_for = int(self.rng.integers(GAME_HZ // 2, 3 * GAME_HZ))
        if self.varied_aim and self.rng.random() < 1 / 30:
            self.aim = int(self.rng.integers(-6, 7))
        ball, paddle = int(ram[_RAM_BALL_X]), int(ram[_RAM_PADDLE_X])
        offset = ball - (paddle + 8 + self.aim)
        return RIGHT if offset > 3 else LEFT if offset < -3 else NOOP


def record_breakout(path: Path | str, seconds: float, seed: int, progress: bool = True,
                    varied_aim: bool = False) -> Recording:
    """Play for `seconds` (restarting after game over) and write the MP4 to `path`."""
    path = Path(path)
    env = _make_env()
    rng = np.random.default_rng(seed)
    policy = _Policy(rng, varied_aim)
    obs, info = env.reset(seed=seed)
    lives, games, lost_at = info["lives"], 1, []
    n_frames = int(round(seconds * GAME_HZ))
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=AUDIO_RATE)
    bar = StepProgress(f"recording {path.name}", n_frames, GAME_HZ, enabled=progress)
    with atomic_output(path) as partial, av.open(str(partial), "w") as out:
        video = out.add_stream("libx264", rate=VIDEO_FPS, options={"preset": "veryfast", "crf": "20"})
        video.width, video.height, video.pix_fmt = 160, 210, "yuv420p"
        audio = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        ball_in_play = False
        for k in range(n_frames):
            action = policy.act(env.unwrapped.ale.getRAM(), ball_in_play)
            ball_in_play = ball_in_play or action == FIRE
            obs, reward, terminated, truncated, info = env.step(action)
            if info["lives"] < lives:
                lost_at.append(k / GAME_HZ)
                ball_in_play = False
            lives = info["lives"]
            if k % (GAME_HZ // VIDEO_FPS) == 0:
                frame = av.VideoFrame.from_ndarray(obs["image"], format="rgb24")
                frame.pts, frame.time_base = k // 2, Fraction(1, VIDEO_FPS)
                out.mux(video.encode(frame))
            sound = (obs["sound"].astype(np.float32)[None, :] - 128.0) / 128.0
            chunk = av.AudioFrame.from_ndarray(sound, format="flt", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = SOUND_RATE, k * 512, Fraction(1, SOUND_RATE)
            for resampled in resampler.resample(chunk):
                out.mux(audio.encode(resampled))
            if terminated or truncated:
                obs, info = env.reset(seed=int(rng.integers(1 << 30)))
                lives, games, ball_in_play = info["lives"], games + 1, False
            if k % 6 == 5:
                bar.advance(6)
        for resampled in resampler.resample(None):
            out.mux(audio.encode(resampled))
        out.mux(video.encode())
        out.mux(audio.encode())
    bar.close()
    env.close()
    highlights = [Interval(max(0.0, t - HIGHLIGHT_BEFORE_S), min(seconds, t + HIGHLIGHT_AFTER_S)) for t in lost_at]
    return Recording(path, highlights, seconds, len(lost_at), games)
