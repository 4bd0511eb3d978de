"""`gdm reel`: cut the segments out of the source and join them into one MP4 (H.264 + AAC).

Frame-accurate: each segment is decoded from the keyframe before it, and its output frames
sit on a constant-rate grid from the segment's start, each showing the source frame on
screen at that time (the time base's own rule, via StepSampler). Audio is cut to the sample
to the same length as the video. Joins get short fades to black and to silence.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from gdm_features.errors import GdmError
from gdm_features.files import atomic_output
from gdm_features.media import MediaInfo, open_container, probe, seek_before
from gdm_features.progress import StepProgress
from gdm_features.sampling import StepSampler
from gdm_features.timebase import steps_before

from ..timeline.segments import Segment
from .exports import SegmentsDoc

AUDIO_RATE = 48000


def _segment_frames(info: MediaInfo, segment: Segment, rate: float) -> Iterator[av.VideoFrame]:
    """Exactly `ceil(duration * rate)` frames: the source frame on screen at each output time."""
    n_out = steps_before(segment.duration, rate)
    sampler: StepSampler[av.VideoFrame] = StepSampler(rate)
    produced = 0
    with open_container(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        seek_before(container, stream, info, segment.start)
        last = None
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            for sample in sampler.push(frame.time - info.origin_s - segment.start, frame):
                if produced < n_out and sample.frame is not None:
                    yield sample.frame
                    produced += 1
            last = frame
            if produced >= n_out:
                return
        for sample in sampler.finish(segment.duration):
            if produced < n_out:
                yield sample.frame if sample.frame is not None else last
                produced += 1
    while produced < n_out and last is not None:  # the source ended early: hold its last frame
        yield last
        produced += 1


def _segment_audio(info: MediaInfo, segment: Segment, n_samples: int) -> np.ndarray:
    """`[2, n_samples]` float32 at 48 kHz from `segment.start`; silence where there is none."""
    out = np.zeros((2, n_samples), np.float32)
    if not info.has_audio:
        return out
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    with open_container(info.path) as container:
        stream = container.streams.audio[0]
        seek_before(container, stream, info, segment.start)
        position = None
        for frame in container.decode(stream):
            for chunk in resampler.resample(frame):
                if position is None:
                    position = round((chunk.time - info.origin_s - segment.start) * AUDIO_RATE)
                data = chunk.to_ndarray()
                lo, hi = max(0, -position), min(data.shape[1], n_samples - position)
                if hi > lo:
                    out[:, position + lo:position + hi] = data[:, lo:hi]
                position += data.shape[1]
            if position is not None and position >= n_samples:
                break
    return out


def _fade(length: int, fade: int) -> np.ndarray:
    k = np.arange(length)
    return np.clip(np.minimum((k + 1) / max(fade, 1), (length - k) / max(fade, 1)), 0.0, 1.0)


def fit_to_video(doc: SegmentsDoc, video: Path | str) -> list[Segment]:
    """The document's segments, checked against the video they are to be cut from.

    Segments scored on another video are refused (another name and another length, or segments
    past its end); an end within a step of the video's end (the last step's cover) is clipped.
    Segments are numbered from 1 in messages, as in every export.
    """
    info = probe(video)
    end = info.duration_s
    name = Path(video).name
    scored_on = Path(doc.source).name
    if end is not None and doc.duration_s is not None and scored_on != name and abs(doc.duration_s - end) > 0.5:
        raise GdmError(f"these segments were scored on {scored_on} ({doc.duration_s:.1f} s), not on {name} "
                       f"({end:.1f} s); give the video they were scored on")
    slack = 1.0 / doc.fps if doc.fps > 0 else 0.2
    fitted = []
    for k, s in enumerate(doc.segments, start=1):
        if end is not None and (s.start >= end or s.end > end + slack):
            where = f" (scored on {scored_on})" if scored_on != name else ""
            raise GdmError(f"segment {k} [{s.start:.3f}, {s.end:.3f}] s lies outside {name} (0 to {end:.3f} s)"
                           f"{where}; give the video these segments were scored on")
        fitted.append(replace(s, end=min(s.end, end)) if end is not None else s)
    return fitted


def render_reel(video: Path | str, segments: list[Segment], output: Path | str, order: str = "time",
                fade_s: float = 0.15, progress: bool = True) -> Path:
    """One video's segments, in time order (or best first), as one MP4."""
    info = probe(video)
    end = info.duration_s
    for k, s in enumerate(segments, start=1):
        if s.start < 0 or s.end <= s.start or (end is not None and s.end > end + 0.05):
            raise GdmError(f"segment {k} [{s.start:.3f}, {s.end:.3f}] s lies outside {Path(video).name} "
                           f"(0 to {end:.3f} s)")
    if not segments:
        raise GdmError("no segments to put in the reel")
    ordered = sorted(segments, key=(lambda s: -s.peak) if order == "score" else (lambda s: s.start))
    return render_clips([(video, s) for s in ordered], output, fade_s, progress)


def render_clips(clips: list[tuple[Path | str, Segment]], output: Path | str, fade_s: float = 0.15,
                 progress: bool = True, on_progress=None) -> Path:
    """Clips of one or several videos, in the given order, as one MP4 at the first video's size
    and frame rate (others are scaled to it)."""
    if not clips:
        raise GdmError("no segments to put in the reel")
    infos = {str(v): probe(v) for v in dict.fromkeys(str(v) for v, _ in clips)}
    first = infos[str(clips[0][0])]
    rate = Fraction(first.frame_rate or 30).limit_denominator(1001)
    width, height = first.width - first.width % 2, first.height - first.height % 2
    total_frames = sum(steps_before(s.duration, float(rate)) for _, s in clips)
    bar = StepProgress(Path(output).name, total_frames, float(rate), enabled=progress, callback=on_progress)
    try:
        with atomic_output(output) as partial, av.open(str(partial), "w") as out:
            v = out.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "20"})
            v.width, v.height, v.pix_fmt = width, height, "yuv420p"
            a = out.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            frame_index = sample_index = 0
            pending = np.zeros((2, 0), np.float32)
            for video, segment in clips:
                info = infos[str(video)]
                n_frames = steps_before(segment.duration, float(rate))
                video_fade = _fade(n_frames, round(fade_s * float(rate)))
                for k, frame in enumerate(_segment_frames(info, segment, float(rate))):
                    picture = frame.to_ndarray(format="rgb24", width=width, height=height)
                    if video_fade[k] < 1:
                        picture = (picture * video_fade[k]).astype(np.uint8)
                    encoded = av.VideoFrame.from_ndarray(picture, format="rgb24")
                    encoded.pts, encoded.time_base = frame_index, 1 / rate
                    out.mux(v.encode(encoded))
                    frame_index += 1
                    bar.advance(1)
                n_samples = round(n_frames / float(rate) * AUDIO_RATE)
                sound = _segment_audio(info, segment, n_samples) * _fade(n_samples, round(fade_s * AUDIO_RATE))
                pending = np.concatenate([pending, sound.astype(np.float32)], axis=1)
                while pending.shape[1] >= 1024:
                    chunk, pending = pending[:, :1024], pending[:, 1024:]
                    sample_index = _mux_audio(out, a, chunk, sample_index)
            if pending.shape[1]:
                _mux_audio(out, a, pending, sample_index)
            out.mux(v.encode())
            out.mux(a.encode())
    finally:
        bar.close()
    return Path(output)


def _mux_audio(out, stream, chunk: np.ndarray, sample_index: int) -> int:
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
    frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, sample_index, Fraction(1, AUDIO_RATE)
    out.mux(stream.encode(frame))
    return sample_index + chunk.shape[1]
