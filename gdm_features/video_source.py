"""Decoded video as the step timeline: each step's picture and motion, from PyAV with threaded
decoding.

Frames are converted to the network's input size (by swscale, straight from the decoder's
format) only when a step shows them: at 60 fps sources that is one frame in twelve. Every
frame (up to motion.MAX_FPS a second) is also scaled to a small grey picture for the step's
motion row (see motion.py), and the frame a step shows to a smaller one for its picture row
(picture.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator

import av
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from . import motion, picture
from .media import MediaInfo, open_container, seek_before
from .sampling import Sample, StepSampler
from .timebase import step_time, steps_before

log = logging.getLogger(__name__)

# A stream whose decoding stops before its advertised end is called damaged (cut short). The
# video stream's own duration is exact to a frame (a few frames of slack); the container's also
# covers the audio (1 s of slack).
_STREAM_SLACK_FRAMES = 3
_CONTAINER_SLACK_S = 1.0
# A jump in frame times over this many frame durations with a decoding error inside it is lost
# video; the same jump without an error is a variable-frame-rate source holding a frame.
_GAP_FRAMES = 2.5
# Frames after lost data reference pictures that are gone: they are not used until a key frame,
# or at most this long after the loss.
_RECOVERY_S = 10.0


@dataclass(frozen=True)
class VideoStep:
    """One step of the timeline as stage one needs it."""

    step: int
    rgb: np.ndarray | None  # uint8 [H, W, 3] at the network's input size; None: nothing on screen
    motion: np.ndarray  # float32 [motion.DIM]: what changed since the step before
    grey: np.ndarray  # uint8 [picture.DIM]: the frame as a small grey picture (zeros: nothing on screen)


@dataclass
class DecodeReport:
    """What went wrong while decoding, for the cache attrs and the user's warning."""

    bad_packets: int = 0
    stopped_early_at_s: float | None = None
    end_time_s: float = 0.0
    notes: list[str] = field(default_factory=list)


class _Scaler:
    """Frames to arrays of one size and format (area interpolation). One swscale context is kept
    and reused: `VideoFrame.to_ndarray(width=...)` builds a new one per frame, which cost 0.7 ms
    a frame at 360p against 0.09 ms reused (identical pixels), most of the motion block's cost."""

    def __init__(self, size_hw: tuple[int, int], pixel_format: str) -> None:
        self.height, self.width = size_hw
        self.pixel_format = pixel_format
        self._reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        return self._reformatter.reformat(frame, width=self.width, height=self.height, format=self.pixel_format,
                                          interpolation=Interpolation.AREA).to_ndarray()


def _decoded_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                    report: DecodeReport) -> Iterator[av.VideoFrame]:
    """Frames in decode order, skipping packets the decoder rejects, stopping at a demux error."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            report.notes.append(f"demuxing stopped: {exc}")
            report.stopped_early_at_s = -1.0  # resolved by the caller from the last frame
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            report.bad_packets += 1
            continue
        yield from frames


def iter_video_steps(info: MediaInfo, fps: float, size_hw: tuple[int, int], first_step: int = 0,
                     report: DecodeReport | None = None) -> Iterator[VideoStep]:
    """Every step from `first_step` to the end of the video.

    Steps before the first frame (a late start) and after decoding broke off carry no picture
    (None) and zero motion.
    """
    meter = motion.MotionMeter()
    to_rgb, to_grey = _Scaler(size_hw, "rgb24"), _Scaler((motion.SIZE, motion.SIZE), "gray")
    to_small = _Scaler((picture.SIDE, picture.SIDE), "gray")
    report = report if report is not None else DecodeReport()
    sampler: StepSampler[av.VideoFrame] = StepSampler(fps, first_step)
    last_frame: av.VideoFrame | None = None
    last_rgb: np.ndarray | None = None
    last_small = np.zeros(picture.DIM, np.uint8)

    def converted(samples: list[Sample[av.VideoFrame]]) -> Iterator[VideoStep]:
        """Each settled step with its picture, and the changes since the step before it (the
        first step a push settles takes them all; the steps a slow source repeats, none)."""
        nonlocal last_frame, last_rgb, last_small
        for s in samples:
            if s.frame is None:
                meter.take()
                yield VideoStep(s.step, None, np.zeros(motion.DIM, np.float32), np.zeros(picture.DIM, np.uint8))
                continue
            if s.frame is not last_frame:  # a slow source shows one frame for several steps
                last_frame, last_rgb, last_small = s.frame, to_rgb(s.frame), to_small(s.frame).ravel()
            yield VideoStep(s.step, last_rgb, meter.take(), last_small)

    with open_container(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        default_duration = 1.0 / float(stream.average_rate or stream.guessed_rate or 30)
        start_s = step_time(first_step, fps)
        if start_s > 0:
            seek_before(container, stream, info, start_s)
        end_time = 0.0
        previous_time = None
        errors_seen = report.bad_packets
        lost_from: float | None = None  # set while frames after damaged data are not trusted
        trust_again_at = 0.0
        for frame in _decoded_frames(container, stream, report):
            if frame.time is None:
                time_s = (previous_time + default_duration) if previous_time is not None else 0.0
            else:
                time_s = frame.time - info.origin_s
            if (previous_time is not None and report.bad_packets > errors_seen
                    and time_s - previous_time > _GAP_FRAMES * default_duration and lost_from is None):
                lost_from, trust_again_at = end_time, time_s + _RECOVERY_S
                yield from converted(sampler.finish(lost_from))
                sampler.blank()
                meter.forget()
            errors_seen = report.bad_packets
            if lost_from is not None and (frame.key_frame or time_s >= trust_again_at):
                report.notes.append(f"damaged data: no usable video from {lost_from:.1f} s to {time_s:.1f} s")
                lost_from = None
            previous_time = time_s
            duration = float(frame.duration * frame.time_base) if frame.duration else default_duration
            end_time = max(end_time, time_s + duration)
            yield from converted(sampler.push(time_s, frame if lost_from is None else None))
            if lost_from is None and meter.wants(time_s):  # measured after the steps it follows are out
                meter.add(time_s, to_grey(frame))
                if steps_before(time_s, fps) < first_step:  # a change of a step already extracted
                    meter.take()
        if lost_from is not None:
            report.notes.append(f"damaged data: no usable video from {lost_from:.1f} s to the end")
        if report.stopped_early_at_s is not None:
            report.stopped_early_at_s = end_time
        expected_end, slack = ((info.video_end_s, _STREAM_SLACK_FRAMES * default_duration)
                               if info.video_end_s else (info.duration_s, _CONTAINER_SLACK_S))
        if expected_end is not None and 0 < end_time < expected_end - slack:
            # Cut short: keep the timeline to the advertised end, without frames.
            report.stopped_early_at_s = end_time
            report.notes.append(f"cut short: decoding stopped at {end_time:.1f} s of {expected_end:.1f} s")
            yield from converted(sampler.finish(end_time))
            sampler.blank()
            report.end_time_s = max(expected_end, info.duration_s or 0.0)
            yield from converted(sampler.finish(report.end_time_s))
        else:
            yield from converted(sampler.finish(end_time))
            report.end_time_s = end_time
