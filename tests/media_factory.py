"""Small real videos with known events at known times, encoded with PyAV (libx264 + AAC).

Each frame is a smooth textured scene (so the backbone sees structure, not a flat field);
events replace it for an exact span of frames. Times are exact rationals of the frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import av
import numpy as np

AUDIO_RATE = 48000


def textured_scene(height: int, width: int, seed: int) -> np.ndarray:
    """A static colourful image: random low-frequency blobs, different per seed."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 8, 3)).astype(np.float32)
    ys = np.linspace(0, 5, height)[:, None]
    xs = np.linspace(0, 7, width)[None, :]
    y0, x0 = np.floor(ys).astype(int).clip(0, 4), np.floor(xs).astype(int).clip(0, 6)
    fy, fx = (ys - y0)[..., None], (xs - x0)[..., None]
    img = (small[y0, x0] * (1 - fy) * (1 - fx) + small[y0 + 1, x0] * fy * (1 - fx)
           + small[y0, x0 + 1] * (1 - fy) * fx + small[y0 + 1, x0 + 1] * fy * fx)
    return img.clip(0, 255).astype(np.uint8)


@dataclass
class Scenario:
    """What a synthetic video shows and plays, all times in seconds from its start."""

    duration: float = 10.0
    fps: int = 30
    size: tuple[int, int] = (120, 160)  # (height, width)
    flashes: Sequence[tuple[float, float]] = ()  # white frames in [start, end)
    scene_changes: Sequence[float] = ()  # texture switches to a new seed at each time
    bursts: Sequence[tuple[float, float]] = ()  # loud 1 kHz tone in [start, end)
    audio: bool = True
    noise_level: float = 0.01  # quiet background hiss
    frame_fn: Callable[[int], np.ndarray] | None = None  # overrides the scene per frame index
    frame_times: Sequence[float] | None = None  # variable frame rate: explicit times
    video_offset: float = 0.0  # first frame this late relative to audio (a late start)
    start_offset: float = 0.0  # every time stamp shifted: a stream that does not start at 0
    seed: int = 0
    codec_options: dict = field(default_factory=lambda: {"preset": "ultrafast", "crf": "18"})


def _frame_image(s: Scenario, index: int, time: float, scenes: dict[int, np.ndarray]) -> np.ndarray:
    if s.frame_fn is not None:
        return s.frame_fn(index)
    if any(a <= time < b for a, b in s.flashes):
        return np.full((*s.size, 3), 255, np.uint8)
    scene = sum(1 for t in s.scene_changes if time >= t)
    if scene not in scenes:
        scenes[scene] = textured_scene(*s.size, seed=s.seed * 100 + scene)
    return scenes[scene]


def audio_signal(s: Scenario, rate: int = AUDIO_RATE) -> np.ndarray:
    n = int(round(s.duration * rate))
    rng = np.random.default_rng(s.seed + 7)
    signal = rng.normal(0, s.noise_level, n).astype(np.float32)
    t = np.arange(n) / rate
    for a, b in s.bursts:
        on = (t >= a) & (t < b)
        signal[on] = 0.8 * np.sin(2 * np.pi * 1000 * t[on])
    return signal


def write_audio_only(path: Path, seconds: float, rate: int = AUDIO_RATE) -> Path:
    """An AAC file with no video stream (silence): the audio half of a split download."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        for k in range(int(seconds * rate / 1024)):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
            frame.sample_rate, frame.pts = rate, k * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def write_video(path: Path, s: Scenario, container_options: dict | None = None) -> Path:
    """Encode `s` to `path` (container from the suffix: .mp4, .mkv, .ts ...)."""
    with av.open(str(path), mode="w", options=container_options or {}) as out:
        v = out.add_stream("libx264", rate=s.fps, options=s.codec_options)
        v.height, v.width = s.size
        v.pix_fmt = "yuv420p"
        timescale = 1000 if s.frame_times is not None else s.fps
        v.time_base = v.codec_context.time_base = Fraction(1, timescale)
        a = None
        if s.audio:
            a = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
            a.time_base = Fraction(1, AUDIO_RATE)
        times = list(s.frame_times) if s.frame_times is not None else \
            [i / s.fps for i in range(int(round(s.duration * s.fps)))]
        scenes: dict[int, np.ndarray] = {}
        # Interleave by time so muxers that need it (TS, MKV) get monotone input.
        audio = audio_signal(s) if a is not None else np.zeros(0, np.float32)
        audio_pos = 0

        def mux_audio_until(seconds: float) -> None:
            nonlocal audio_pos
            while audio_pos < audio.size and audio_pos / AUDIO_RATE <= seconds:
                chunk = audio[audio_pos:audio_pos + 1024]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
                frame.sample_rate, frame.pts = AUDIO_RATE, audio_pos + round(s.start_offset * AUDIO_RATE)
                frame.time_base = Fraction(1, AUDIO_RATE)
                out.mux(a.encode(frame))
                audio_pos += chunk.size

        for index, time in enumerate(times):
            mux_audio_until(time + s.video_offset)
            frame = av.VideoFrame.from_ndarray(_frame_image(s, index, time, scenes), format="rgb24")
            frame.pts = int(round((time + s.video_offset + s.start_offset) * timescale))
            out.mux(v.encode(frame))
        out.mux(v.encode())
        mux_audio_until(float("inf"))
        if a is not None:
            out.mux(a.encode())
    return path


def highlight_stream(path: Path, seed: int, duration: float = 180.0, n_events: int = 6,
                     event_s: float = 2.0) -> tuple[Path, list[tuple[float, float]]]:
    """A stream with random scenery and `n_events` highlights (a 1 s white flash and a loud
    tone for `event_s`) at random times; returns the path and the labelled intervals."""
    rng = np.random.default_rng(seed)
    starts: list[float] = []
    while len(starts) < n_events:
        t = float(np.round(rng.uniform(5, duration - 10), 1))
        if all(abs(t - u) > 15 for u in starts):
            starts.append(t)
    starts.sort()
    scene_changes = np.cumsum(rng.uniform(4, 12, size=int(duration / 4))).tolist()
    scenario = Scenario(duration=duration, size=(72, 96), seed=seed, noise_level=0.03,
                        flashes=[(t, t + 1.0) for t in starts], bursts=[(t, t + event_s) for t in starts],
                        scene_changes=[t for t in scene_changes if t < duration])
    return write_video(path, scenario), [(t, t + event_s) for t in starts]


@dataclass(frozen=True)
class CompiledClip:
    source_start: float  # where the clip was cut from the stream (s)
    source_end: float
    start: float  # where it sits in the compilation (s)
    end: float


def make_compilation(source: Path, cuts: Sequence[tuple[float, float]], path: Path, title_s: float = 3.0,
                     crossfade_s: float = 0.5, size: tuple[int, int] = (280, 320), overlay: Sequence[int] = (),
                     crf: int = 30, fps: int = 30) -> list[CompiledClip]:
    """A highlight compilation as editors make them: a colour title card, then the cuts in the
    given order joined by crossfades, a box over a corner of the clips listed in `overlay`,
    re-encoded at another size and bitrate. Returns where each cut landed."""
    height, width = size
    clips = []
    with av.open(str(source)) as container:
        frames = [(f.time, f.to_ndarray(format="rgb24", width=width, height=height))
                  for f in container.decode(video=0)]
    for k, (a, b) in enumerate(cuts):
        picked = [img.copy() for t, img in frames if a <= t < b]
        if k in overlay:
            for img in picked:
                img[: height // 5, -width // 4:] = 255
        clips.append(picked)
    fade = int(round(crossfade_s * fps))
    timeline = [np.full((height, width, 3), (120, 40, 160), np.uint8)] * int(round(title_s * fps))
    placed = []
    for k, clip in enumerate(clips):
        start_index = len(timeline) - (fade if k else 0)
        if k:
            for i in range(fade):
                w = (i + 1) / (fade + 1)
                timeline[start_index + i] = (timeline[start_index + i] * (1 - w) + clip[i] * w).astype(np.uint8)
            timeline += clip[fade:]
        else:
            timeline += clip
        a, b = cuts[k]
        placed.append(CompiledClip(a, b, start_index / fps, (start_index + len(clip)) / fps))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": str(crf)})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, img in enumerate(timeline):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return placed
