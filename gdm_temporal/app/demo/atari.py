"""Real game footage offline: record Atari games played by simple policies, with sound.

The Arcade Learning Environment (PyPI `ale-py`, ROMs included) runs the real game at 60 Hz;
every second frame goes to a 30 fps H.264 MP4, and the console's sound (512 unsigned 8-bit
samples per frame, 30,720 Hz) is resampled into AAC. The game itself says where the
highlights are: each lost life (the moment a streamer's chat would explode), each game over,
and rewards far larger than the game's usual ones (a ghost eaten, a mothership hit).

Breakout has a policy that follows the ball (the demo's game); any other game is played by a
player who holds a random action for a fraction of a second, which loses lives at a pace
between once every ten seconds and once a minute in most games.
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

from gdm_temporal.timeline.intervals import Interval, merged

GAME_HZ = 60
VIDEO_FPS = 30
SOUND_RATE = 512 * GAME_HZ  # 30,720 Hz
AUDIO_RATE = 32000
HIGHLIGHT_BEFORE_S, HIGHLIGHT_AFTER_S = 1.0, 2.0  # the miss, and the dead air before the serve
BIG_REWARD_FACTOR = 5.0  # a reward this many times the game's median reward is a highlight
FIRE, RIGHT, LEFT, NOOP = 1, 2, 3, 0
_RAM_BALL_X, _RAM_PADDLE_X = 99, 72
SERVE_DELAY = 2 * GAME_HZ
HOLD_FRAMES = (12, 60)  # a random player holds each action for 0.2 to 1 s


@dataclass(frozen=True)
class Recording:
    video: Path
    highlights: list[Interval]  # around each lost life, game over and rare large reward
    seconds: float
    lives_lost: int
    games: int
    big_rewards: int = 0


def _make_env(game: str):
    try:
        import ale_py
        import gymnasium as gym
    except ImportError:
        raise GdmError('recording Atari play needs ale-py and gymnasium: pip install -e ".[demo]"') from None
    gym.register_envs(ale_py)
    try:
        return gym.make(f"ALE/{game}-v5", frameskip=1, repeat_action_probability=0.0, sound_obs=True,
                        obs_type="rgb")
    except gym.error.Error as exc:
        raise GdmError(f"no Atari game {game!r} in ale-py ({exc}); try Breakout, SpaceInvaders, MsPacman ...") \
            from None


class _BreakoutPolicy:
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
        self.ball_in_play = False

    def ball_lost(self) -> None:
        self.ball_in_play = False

    def act(self, ram: np.ndarray) -> int:
        if not self.ball_in_play:
            self.serve_in -= 1
            if self.serve_in <= 0:
                self.serve_in = SERVE_DELAY
                self.ball_in_play = True
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


class _HoldingPolicy:
    """A random action held for a random fraction of a second: a clumsy but lively player."""

    def __init__(self, rng: np.random.Generator, n_actions: int) -> None:
        self.rng, self.n_actions = rng, n_actions
        self.action, self.left = NOOP, 0

    def ball_lost(self) -> None:
        pass

    def act(self, ram: np.ndarray) -> int:
        if self.left <= 0:
            self.action = int(self.rng.integers(self.n_actions))
            self.left = int(self.rng.integers(*HOLD_FRAMES))
        self.left -= 1
        return self.action


def big_rewards(rewards: list[tuple[float, float]]) -> list[float]:
    """Times of the rewards at least `BIG_REWARD_FACTOR` times the median positive reward."""
    positive = [r for _, r in rewards if r > 0]
    if not positive:
        return []
    bar = BIG_REWARD_FACTOR * float(np.median(positive))
    return [t for t, r in rewards if r >= bar]


def highlight_intervals(moments: list[float], seconds: float) -> list[Interval]:
    """The labelled interval around each moment, overlapping ones joined."""
    return merged([Interval(max(0.0, t - HIGHLIGHT_BEFORE_S), min(seconds, t + HIGHLIGHT_AFTER_S))
                   for t in moments])


def record_breakout(path: Path | str, seconds: float, seed: int, progress: bool = True,
                    varied_aim: bool = False) -> Recording:
    """Breakout played by the ball-following policy (highlights: lost lives only)."""
    return record_game("Breakout", path, seconds, seed, progress, varied_aim=varied_aim)


def record_game(game: str, path: Path | str, seconds: float, seed: int, progress: bool = True,
                varied_aim: bool = False) -> Recording:
    """Play `game` for `seconds` (restarting after game over) and write the MP4 to `path`."""
    path = Path(path)
    env = _make_env(game)
    rng = np.random.default_rng(seed)
    breakout = game == "Breakout"
    policy = _BreakoutPolicy(rng, varied_aim) if breakout else _HoldingPolicy(rng, env.action_space.n)
    obs, info = env.reset(seed=seed)
    lives, games, lost_at, over_at, rewards = info["lives"], 1, [], [], []
    n_frames = int(round(seconds * GAME_HZ))
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=AUDIO_RATE)
    bar = StepProgress(f"recording {path.name}", n_frames, GAME_HZ, enabled=progress)
    with atomic_output(path) as partial, av.open(str(partial), "w") as out:
        height, width = obs["image"].shape[:2]
        video = out.add_stream("libx264", rate=VIDEO_FPS, options={"preset": "veryfast", "crf": "20"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for k in range(n_frames):
            action = policy.act(env.unwrapped.ale.getRAM())
            obs, reward, terminated, truncated, info = env.step(action)
            if reward:
                rewards.append((k / GAME_HZ, float(reward)))
            if info["lives"] < lives:
                lost_at.append(k / GAME_HZ)
                policy.ball_lost()
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
                if terminated:
                    over_at.append(k / GAME_HZ)
                obs, info = env.reset(seed=int(rng.integers(1 << 30)))
                lives, games = info["lives"], games + 1
                policy.ball_lost()
            if k % 6 == 5:
                bar.advance(6)
        for resampled in resampler.resample(None):
            out.mux(audio.encode(resampled))
        out.mux(video.encode())
        out.mux(audio.encode())
    bar.close()
    env.close()
    big = [] if breakout else big_rewards(rewards)
    moments = lost_at + ([] if breakout else over_at) + big
    return Recording(path, highlight_intervals(moments, seconds), seconds, len(lost_at), games, len(big))
