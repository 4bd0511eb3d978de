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
    # Where the video stream itself says its last frame ends (from the media's start): more
    # precise than `duration_s`, which also covers the audio; None where the container omits it.
    video_end_s: float | None = None


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


def _is_still_image(container: av.container.InputContainer) -> bool:
    """FFmpeg's image readers (`png_pipe`, `jpeg_pipe`, `image2`...) open a picture as a
    one-frame video; a highlight tool has nothing to do with one."""
    name = container.format.name
    return name == "image2" or name.endswith("_pipe")


def _video_end(stream: av.video.stream.VideoStream, origin_s: float) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else origin_s
    return start - origin_s + float(stream.duration * stream.time_base)


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
        if _is_still_image(container):
            raise GdmError(f"{path}: is a still image ({container.format.name}), not a video")
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
                         frame_rate=float(video.average_rate) if video.average_rate else None,
                         video_end_s=_video_end(video, origin))
