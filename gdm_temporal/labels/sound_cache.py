"""A video's sound print (its onsets), computed once and kept in the feature cache.

Decoding a stream's sound and finding its onsets costs a few seconds per hour of sound; the
print itself is small (a few bytes per onset), so it is stored beside the features, keyed by
the video's content fingerprint and the print's settings, and every later alignment against
the stream starts from it.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from gdm_features.audio_source import iter_mono_blocks
from gdm_features.extract import default_cache_dir
from gdm_features.files import write_atomically
from gdm_features.fingerprint import file_fingerprint
from gdm_features.media import probe

from . import audio_print
from .audio_print import Onsets, onsets_of

_SETTINGS = ("RATE", "HOP", "N_FFT", "BAND_EDGES_HZ", "RISE_DB", "FLOOR_DB", "AHEAD_FRAMES", "BEHIND_FRAMES",
             "REFRACTORY_FRAMES")


def _settings_key() -> str:
    settings = {name: getattr(audio_print, name) for name in _SETTINGS}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]


def sound_print(video: Path, cache_dir: Path | str | None = None) -> Onsets | None:
    """The onsets of `video`'s sound (None where it has none), from the cache when there."""
    info = probe(video)
    if not info.has_audio:
        return None
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = directory / f"onsets-{file_fingerprint(info.path)[:24]}-{_settings_key()}.npz"
    if path.exists():
        try:
            with np.load(path) as data:
                return Onsets(data["frames"], data["bands"], float(data["seconds"]))
        except (OSError, KeyError, ValueError):
            path.unlink(missing_ok=True)  # damaged: made again below
    onsets = onsets_of(iter_mono_blocks(info.path, audio_print.RATE))
    buffer = io.BytesIO()
    np.savez(buffer, frames=onsets.frames, bands=onsets.bands, seconds=onsets.seconds)
    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(path, buffer.getvalue())
    return onsets


def source_video(features_attrs: dict, given: Path) -> Path | None:
    """The video behind `given`: itself, or for a feature file the source it records (if it
    is still there)."""
    if given.suffix.lower() not in (".h5", ".hdf5"):
        return given
    source = features_attrs.get("source")
    return Path(source) if source and Path(source).is_file() else None
