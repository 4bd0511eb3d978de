"""Decoded audio as per-step feature rows: PyAV decode at the native rate, mix to mono,
cut into steps. No resampling (see AudioSettings)."""

from __future__ import annotations

from typing import Iterator

import av
import numpy as np

from .audio_features import AudioSettings
from .audio_steps import AudioStepper
from .media import MediaInfo, open_container, seek_before
from .timebase import step_time


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """Float mono samples of any decoded frame (planar or packed, float or integer)."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    return data.astype(np.float32).mean(axis=0)


def _sample_blocks(container: av.container.InputContainer, info: MediaInfo, start_s: float
                   ) -> Iterator[tuple[int, np.ndarray]]:
    """`(absolute start sample, mono float32 samples)` from `start_s` on, at the native rate."""
    stream = container.streams.audio[0]
    rate = stream.codec_context.sample_rate
    if start_s > 0:
        seek_before(container, stream, info, start_s)
    position: int | None = None
    try:
        for frame in container.decode(stream):
            if frame.time is not None:
                stamped = round((frame.time - info.origin_s) * rate)
                # Trust the stamps at the start and across real gaps; ignore rounding jitter.
                if position is None or abs(stamped - position) > rate // 100:
                    position = stamped
            elif position is None:
                position = 0
            samples = _mono(frame)
            yield position, samples
            position += samples.size
    except av.error.FFmpegError:
        return  # damaged audio: the remaining steps read as silence


def iter_audio_rows(info: MediaInfo, settings: AudioSettings, fps: float,
                    first_step: int = 0) -> Iterator[np.ndarray]:
    """Feature rows for steps `first_step, first_step + 1, ...`: endless, silence after the end.

    The caller takes as many rows as the video has steps.
    """
    with open_container(info.path) as container:
        rate = container.streams.audio[0].codec_context.sample_rate
        stepper = AudioStepper(settings, rate, fps, first_step)
        for start, samples in _sample_blocks(container, info, step_time(first_step, fps)):
            yield from stepper.push(start, samples)
    while True:
        yield from stepper.finish(stepper.next_step + 64)
