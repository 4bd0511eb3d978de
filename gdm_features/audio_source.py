"""Decoded audio as per-step feature rows: PyAV decode at the native rate, mix to mono,
cut into steps. No resampling (see AudioSettings).

A resumed extraction decodes the audio from the very start again rather than seeking: an
audio decoder's output depends on its history (overlapped transforms, the bit reservoir, AAC's
noise-substitution random generator), so only a decode that began where the first run began
gives bit-identical rows. Decoding alone is cheap (about 2,000x realtime for AAC on one
core: 10 hours of sound in under 20 s), and frames before the resume point are only counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import av
import numpy as np

from .audio_features import AudioSettings
from .audio_steps import AudioStepper
from .media import MediaInfo, open_container


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """Float mono samples of any decoded frame (planar or packed, float or integer)."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    return data.astype(np.float32).mean(axis=0)


def _sample_blocks(container: av.container.InputContainer, info: MediaInfo, from_sample: int
                   ) -> Iterator[tuple[int, np.ndarray]]:
    """`(absolute start sample, mono float32 samples)` of every block that reaches
    `from_sample` or later, at the native rate; earlier blocks are decoded but not converted."""
    stream = container.streams.audio[0]
    rate = stream.codec_context.sample_rate
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
            if position + frame.samples > from_sample:
                yield position, _mono(frame)
            position += frame.samples
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
        for start, samples in _sample_blocks(container, info, stepper.next_boundary):
            yield from stepper.push(start, samples)
    while True:
        yield from stepper.finish(stepper.next_step + 64)


def iter_mono_blocks(path: Path, rate: int) -> Iterator[np.ndarray]:
    """The whole sound track as mono float32 at `rate` Hz, block by block (nothing if the
    video has no sound). Resampled, so not for cache rows (see AudioSettings): for audio
    fingerprints, which need one fixed rate whatever the source's."""
    with open_container(path) as container:
        if not container.streams.audio:
            return
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1).astype(np.float32)
        except av.error.FFmpegError:
            pass  # damaged audio: what decoded so far
        for out in resampler.resample(None):
            yield out.to_ndarray().reshape(-1).astype(np.float32)
