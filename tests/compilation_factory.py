"""Highlight compilations edited the way channels edit them, from a real recording, with the
truth known: where every clip sits in the compilation and in the source.

Edits, each optional: shuffled clips joined by crossfades (picture and sound), a title card
and an end card, a box over a corner of some clips (a facecam), a speed change of a few percent
on some clips (picture and sound together, so the pitch moves too, as a plain speed-up does),
the whole thing letterboxed into another size or centre-cropped to 9:16, music over (or instead
of) the game sound, and a re-encode at another sample rate and a low bitrate. Used by the
alignment tests and `tools/bench_align.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np

OUT_RATE = 44100


@dataclass(frozen=True)
class Edits:
    crossfade_s: float = 0.5
    title_s: float = 3.0
    end_s: float = 2.0
    overlay_every: int = 0  # a box over a corner of every n-th clip (0: none)
    speeds: dict[int, float] = field(default_factory=dict)  # clip index -> playback speed
    layout: str = "stretch"  # "stretch", "letterbox" (fit inside, black bars) or "crop916"
    size: tuple[int, int] = (280, 320)  # output (height, width)
    music: float = 0.0  # level of music mixed over the game sound (0: none)
    game_sound: bool = True  # False: music only, the game's sound removed
    crf: int = 32
    fps: int = 30


@dataclass(frozen=True)
class PlacedClip:
    source_start: float
    source_end: float
    start: float  # in the compilation, seconds, crossfades included
    end: float
    speed: float = 1.0
    fade_in: bool = False  # its start lies inside a crossfade (0.5 s more tolerance there)
    fade_out: bool = False


def _read_video(path: Path, cuts: Sequence[tuple[float, float]], margin: float) -> list[tuple[float, np.ndarray]]:
    lo, hi = min(a for a, _ in cuts) - margin, max(b for _, b in cuts) + margin
    wanted = [(a - margin, b + margin) for a, b in cuts]
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            t = frame.time
            if lo <= t <= hi and any(a <= t <= b for a, b in wanted):
                frames.append((t, frame.to_ndarray(format="rgb24")))
    return frames


def _read_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return np.zeros(0, np.float32), OUT_RATE
        resampler = av.AudioResampler(format="flt", layout="mono", rate=OUT_RATE)
        parts = []
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1))
    return np.concatenate(parts).astype(np.float32), OUT_RATE


def _frame_at(frames: list[tuple[float, np.ndarray]], times: np.ndarray, t: float) -> np.ndarray:
    index = int(np.searchsorted(times, t + 1e-6, side="right")) - 1
    return frames[max(0, index)][1]


def _layout(img: np.ndarray, edits: Edits) -> np.ndarray:
    height, width = edits.size
    frame = av.VideoFrame.from_ndarray(img, format="rgb24")
    if edits.layout == "stretch":
        return frame.to_ndarray(format="rgb24", width=width, height=height)
    h, w = img.shape[:2]
    if edits.layout == "crop916":  # the centre of the picture, 9 wide for 16 high
        crop_w = min(w, int(round(h * 9 / 16)))
        crop_h = min(h, int(round(crop_w * 16 / 9)))
        x0, y0 = (w - crop_w) // 2, (h - crop_h) // 2
        cropped = np.ascontiguousarray(img[y0:y0 + crop_h, x0:x0 + crop_w])
        return av.VideoFrame.from_ndarray(cropped, format="rgb24").to_ndarray(format="rgb24", width=width,
                                                                             height=height)
    scale = min(height / h, width / w)  # letterbox: fit inside, black bars
    fit_h, fit_w = max(2, int(h * scale) // 2 * 2), max(2, int(w * scale) // 2 * 2)
    inner = frame.to_ndarray(format="rgb24", width=fit_w, height=fit_h)
    canvas = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - fit_h) // 2, (width - fit_w) // 2
    canvas[y0:y0 + fit_h, x0:x0 + fit_w] = inner
    return canvas


def _music(n: int, rate: int, seed: int = 5) -> np.ndarray:
    """Chords that change every half second: music no game sound resembles."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    out = np.zeros(n, np.float32)
    for start in range(0, n, rate // 2):
        notes = 220.0 * 2 ** (rng.integers(0, 24, 3) / 12)
        seg = slice(start, min(n, start + rate // 2))
        out[seg] = sum(np.sin(2 * np.pi * f * t[seg]) for f in notes) / 3
    return out


def placements(cuts: Sequence[tuple[float, float]], edits: Edits = Edits()) -> list[PlacedClip]:
    """Where each of `cuts` lands in the compilation `make_edited_compilation` writes (without
    writing it)."""
    fps = edits.fps
    fade = int(round(edits.crossfade_s * fps))
    frames = int(round(edits.title_s * fps))
    placed = []
    for k, (a, b) in enumerate(cuts):
        speed = edits.speeds.get(k, 1.0)
        n_frames = int(round((b - a) / speed * fps))
        overlap = fade if k else 0
        start_index = frames - overlap
        frames = start_index + n_frames
        placed.append(PlacedClip(a, b, start_index / fps, frames / fps, speed,
                                 fade_in=overlap > 0, fade_out=fade > 0 and k + 1 < len(cuts)))
    return placed


def make_edited_compilation(source: Path, cuts: Sequence[tuple[float, float]], path: Path,
                            edits: Edits = Edits()) -> list[PlacedClip]:
    """Write the compilation of `cuts` (in the order given) to `path`; returns where each landed."""
    fps, rate = edits.fps, OUT_RATE
    frames = _read_video(source, cuts, margin=1.0)
    times = np.array([t for t, _ in frames])
    sound, _ = _read_audio(source)
    height, width = edits.size
    video: list[np.ndarray] = [np.full((height, width, 3), (120, 40, 160), np.uint8)] * int(round(edits.title_s * fps))
    audio = np.zeros(int(round(edits.title_s * rate)), np.float32)
    placed = placements(cuts, edits)
    for k, where in enumerate(placed):
        a, speed = where.source_start, where.speed
        n_frames = int(round((where.end - where.start) * fps))
        clip = []
        for j in range(n_frames):
            img = _frame_at(frames, times, a + j / fps * speed).copy()
            if edits.overlay_every and k % edits.overlay_every == 1:
                h, w = img.shape[:2]
                img[: h // 4, -w // 3:] = (230, 200, 40)
            clip.append(_layout(img, edits))
        n_samples = int(round(n_frames / fps * rate))
        positions = a * rate + np.arange(n_samples) * speed
        clip_sound = (np.interp(positions, np.arange(sound.size), sound) if sound.size
                      else np.zeros(n_samples, np.float32)).astype(np.float32)
        start_index = int(round(where.start * fps))
        overlap = len(video) - start_index  # the crossfade into the previous clip
        for i in range(overlap):
            w = (i + 1) / (overlap + 1)
            video[start_index + i] = (video[start_index + i] * (1 - w) + clip[i] * w).astype(np.uint8)
        video += clip[overlap:]
        overlap_samples = int(round(overlap / fps * rate))
        if overlap_samples:
            ramp = np.linspace(0, 1, overlap_samples, dtype=np.float32)
            audio[-overlap_samples:] = audio[-overlap_samples:] * (1 - ramp) + clip_sound[:overlap_samples] * ramp
        audio = np.concatenate([audio, clip_sound[overlap_samples:]])
    video += [np.full((height, width, 3), (20, 20, 20), np.uint8)] * int(round(edits.end_s * fps))
    audio = np.concatenate([audio, np.zeros(int(round(len(video) / fps * rate)) - audio.size, np.float32)])
    if not edits.game_sound:
        audio[:] = 0.0
    if edits.music:
        audio = audio + edits.music * _music(audio.size, rate)
    _write(path, video, np.clip(audio, -1, 1), fps, rate, edits.crf)
    return placed


def _write(path: Path, video: list[np.ndarray], audio: np.ndarray, fps: int, rate: int, crf: int) -> None:
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": str(crf)})
        vs.height, vs.width = video[0].shape[:2]
        vs.pix_fmt = "yuv420p"
        aus = out.add_stream("aac", rate=rate, layout="stereo", bit_rate=64000)
        for index, img in enumerate(video):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(vs.encode(frame))
        block = 1024
        for start in range(0, audio.size, block):
            part = audio[start:start + block]
            frame = av.AudioFrame.from_ndarray(np.stack([part, part]).astype(np.float32), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            out.mux(aus.encode(frame))
        out.mux(vs.encode())
        out.mux(aus.encode())
