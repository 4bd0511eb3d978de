"""Decoded audio as per-step feature rows: PyAV decode, resample to mono, cut into steps."""

from __future__ import annotations

from typing import Iterator

import av
import numpy as np

from .audio_features import AudioSettings
from .audio_steps import AudioStepper
from .media import MediaInfo, open_container
from .timebase import step_time

_SEEK_PREROLL_S = 1.0


def _resampled_blocks(info: MediaInfo, settings: AudioSettings, start_s: float
                      ) -> Iterator[tuple[int, np.ndarray]]:
    """`(absolute start sample, mono float32 samples)` blocks from `start_s` on."""
    with open_container(info.path) as container:
        stream = container.streams.audio[0]
        if start_s > 0:
            target = info.origin_s + max(0.0, start_s - _SEEK_PREROLL_S)
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=settings.sample_rate)
        position: int | None = None
        try:
            for frame in container.decode(stream):
                if position is None or (frame.time is not None and abs(
                        (frame.time - info.origin_s) * settings.sample_rate - position) > settings.hop):
                    # First block, or a jump in the time stamps: trust the stamps.
                    position = round(((frame.time or 0.0) - info.origin_s) * settings.sample_rate)
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    yield position, samples
                    position += samples.size
        except av.error.FFmpegError:
            pass  # damaged audio: the rest of the steps are silent
        if position is not None:
            for out in resampler.resample(None):
                samples = out.to_ndarray().reshape(-1)
                yield position, samples
                position += samples.size


def iter_audio_rows(info: MediaInfo, settings: AudioSettings, fps: float,
                    first_step: int = 0) -> Iterator[np.ndarray]:
    """Feature rows for steps `first_step, first_step + 1, ...`: endless, silence after the end.

    The caller takes as many rows as the video has steps.
    """
    stepper = AudioStepper(settings, fps, first_step)
    for start, samples in _resampled_blocks(info, settings, step_time(first_step, fps)):
        yield from stepper.push(start, samples)
    while True:
        yield from stepper.finish(stepper.next_step + 64)
