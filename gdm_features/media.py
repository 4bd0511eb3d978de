"""Opening a video file: one place that turns every kind of bad input into a clear GdmError."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from .errors import GdmError


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    origin_s: float  # the media's own start: t = 0 of the step timeline
    duration_s: float | None  # as the container advertises it, relative to origin
    width: int
    height: int
    video_codec: str
    has_audio: bool
    frame_rate: float | None  # average frame rate, where the container knows it


def open_container(path: Path) -> av.container.InputContainer:
    """`av.open` with our errors; the caller closes it."""
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise GdmError(f"{path}: not a readable video ({exc.strerror or exc}); check the file "
                       "or download it again") from None


SEEK_PREROLL_S = 1.0  # decode this much before a seek target, so frames and audio settle


def seek_before(container: av.container.InputContainer, stream: av.stream.Stream, info: MediaInfo,
                seconds: float) -> None:
    """Seek to the keyframe at least SEEK_PREROLL_S before `seconds` (from the media's start)."""
    target = info.origin_s + max(0.0, seconds - SEEK_PREROLL_S)
    container.seek(int(target / stream.time_base), stream=stream, backward=True)


def media_origin(container: av.container.InputContainer) -> float:
    """Start of the media in seconds: the container's start time, else the earliest stream's."""
    if container.start_time is not None:
        return container.start_time / av.time_base
    starts = [float(s.start_time * s.time_base) for s in container.streams
              if s.start_time is not None and s.time_base is not None]
    return min(starts, default=0.0)


def probe(path: Path | str) -> MediaInfo:
    """Check that `path` is a decodable video and describe it."""
    path = Path(path)
    if not path.exists():
        raise GdmError(f"{path}: no such file")
    if path.is_dir():
        raise GdmError(f"{path}: is a directory, not a video file")
    if path.stat().st_size == 0:
        raise GdmError(f"{path}: file is empty (0 bytes)")
    with open_container(path) as container:
        if not container.streams.video:
            raise GdmError(f"{path}: has no video stream")
        video = container.streams.video[0]
        origin = media_origin(container)
        duration = None
        if container.duration is not None:
            duration = container.duration / av.time_base  # FFmpeg measures it from start_time
        elif video.duration is not None:
            duration = float(video.duration * video.time_base)
        return MediaInfo(path=path, origin_s=origin, duration_s=duration,
                         width=video.codec_context.width, height=video.codec_context.height,
                         video_codec=video.codec_context.name,
                         has_audio=bool(container.streams.audio),
                         frame_rate=float(video.average_rate) if video.average_rate else None)
