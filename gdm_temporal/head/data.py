"""Streams for stage two: cached features plus labels, read as windows, normalised.

Nothing here loads a whole stream: windows are HDF5 slices, and normalisation statistics
are accumulated slice by slice, so 100 h of streams train within a small memory budget.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterator

import numpy as np

from gdm_features import FeatureFile, FeatureSlice, extract
from gdm_features.extract import cached_features
from gdm_features.errors import GdmError

from ..labels.formats import load_labels, load_rejected
from ..timeline.intervals import Interval, merged, step_targets
from ..labels.manifest import ManifestRow, Region

# Attributes that must agree between streams trained together, and between a head and the
# features it is applied to.
STD_FLOOR_ABS, STD_FLOOR_REL = 1e-3, 0.1  # std floor: absolute, and relative to the RMS std
INPUT_CLIP = 8.0  # normalised inputs are clipped: another stream may drift far from training
VISUAL_COMPONENTS = 64  # principal components of the visual features the head sees
# ... of the motion block: whitened (decorrelated neighbouring cells, mean against largest)
# it lost a muted Asteroids head's AP far less than standardised alone (0.82-0.88 over three
# seeds against 0.74); 32 components lost it again (0.66-0.67).
MOTION_COMPONENTS = 64
PCA_MAX_STEPS = 262_144  # steps sampled (whole slices, evenly spread) to fit the components

MODALITIES = ("visual", "audio")  # what a stream may lack: its picture (a black screen) or its sound

# What makes two caches' blocks a head reads the same numbers. Not the cache schema: this gdm
# opens only its own, and a schema that adds a block (/3: the picture) leaves a head's blocks as they were.
FEATURE_IDENTITY = ("fps", "backbone", "weights", "input_size", "preprocessing", "motion")


def feature_identity(attrs: dict) -> dict:
    identity = {k: attrs.get(k) for k in FEATURE_IDENTITY}
    audio = json.loads(attrs.get("audio", "{}"))
    audio.pop("present", None)
    identity["audio"] = audio
    return identity


@dataclass
class Stream:
    """One stream's features (kept open) and its labels."""

    name: str
    features: FeatureFile
    intervals: list[Interval]
    targets: np.ndarray = field(repr=False)  # float32 [n_steps]
    hard_negatives: np.ndarray | None = field(default=None, repr=False)  # bool [n_steps]: rejected spans

    @property
    def n_steps(self) -> int:
        return self.features.n_steps

    @property
    def fps(self) -> float:
        return self.features.fps


def features_for(video: Path, extract_options: dict, progress: bool) -> FeatureFile:
    """A cache file as is, or a video's features (extracted first where needed).

    Without a backbone in `extract_options`, features already cached for the video (at the
    asked fps) are used whatever their backbone; only a video never extracted gets the default.
    """
    if video.suffix.lower() in (".h5", ".hdf5"):
        return FeatureFile(video)
    if extract_options.get("backbone") is None:
        cached = cached_features(video, extract_options.get("cache_dir"), extract_options.get("fps", 5.0))
        if cached:
            return FeatureFile(cached[0])
    return FeatureFile(extract(video, progress=progress, **{k: v for k, v in extract_options.items()
                                                             if v is not None}))


def open_streams(rows: list[ManifestRow], extract_options: dict | None = None,
                 progress: bool = True, need_labels: bool = True) -> list[Stream]:
    streams = []
    for row in rows:
        if need_labels and row.labels is None:
            raise GdmError(f"{row.where}: no 'labels' given for {row.video.name}")
        try:
            features = features_for(row.video, extract_options or {}, progress)
        except GdmError as exc:
            raise GdmError(f"{row.where}: {exc}") from None
        intervals = merged(load_labels(row.labels)) if row.labels else []
        rejected = load_rejected(row.labels) if row.labels else []
        streams.append(Stream(row.video.name, features, intervals,
                              step_targets(intervals, features.n_steps, features.fps),
                              step_targets(rejected, features.n_steps, features.fps) > 0.5 if rejected else None))
    reference = feature_identity(streams[0].features.attrs)
    for stream in streams[1:]:
        if feature_identity(stream.features.attrs) != reference:
            raise GdmError(f"{stream.name} has features made with other settings than {streams[0].name} "
                           "(backbone, weights, input size, fps or audio); extract all streams alike")
    return streams


@dataclass
class Normalizer:
    """Training-split statistics that turn cached features into model input.

    Visual: standardised per column (std floored, see STD_FLOOR_*), then whitened onto its
    top principal components: a head trained on a few dozen highlights otherwise memorises
    the hundreds of raw backbone dimensions. Motion: log1p of the grey-level changes (a flash
    is a hundred times a drifting sprite; the log keeps both in view), standardised and
    whitened the same way.
    Audio: standardised. Everything clipped. A head that does not use a modality has 0
    columns of it (`components` and `motion_components`, or `audio_dim`, are 0).
    """

    visual_mean: np.ndarray
    visual_std: np.ndarray
    audio_mean: np.ndarray
    audio_std: np.ndarray
    visual_basis: np.ndarray  # [D, k]: principal directions divided by sqrt(eigenvalue)
    motion_mean: np.ndarray
    motion_std: np.ndarray
    motion_basis: np.ndarray  # [M, km], like visual_basis

    @property
    def visual_dim(self) -> int:
        """Width of the cached visual features (D)."""
        return len(self.visual_mean)

    @property
    def audio_dim(self) -> int:
        return len(self.audio_mean)

    @property
    def motion_dim(self) -> int:
        """Width of the cached motion block (M; 0 for a head that does not look)."""
        return len(self.motion_mean)

    @property
    def motion_components(self) -> int:
        return self.motion_basis.shape[1]

    @property
    def components(self) -> int:
        return self.visual_basis.shape[1]

    @property
    def out_dim(self) -> int:
        """Width of the model input: visual components, motion components, then audio columns."""
        return self.components + self.motion_components + self.audio_dim

    def _standardised(self, block: str, rows: np.ndarray) -> np.ndarray:
        """Clipped z-scores of the picture's `visual` or `motion` block (motion on its log scale)."""
        values = _motion_scale(rows, np.float32) if block == "motion" else rows.astype(np.float32)
        z = (values - getattr(self, f"{block}_mean")) / getattr(self, f"{block}_std")
        return np.clip(z, -INPUT_CLIP, INPUT_CLIP, out=z)

    def apply(self, window: FeatureSlice, without: tuple[str, ...] = ()) -> np.ndarray:
        """`[n, k + M + A]` float32 model input. What a stream lacks (or `without` takes away:
        "visual" is the whole picture, "audio" the sound) gets the mean: zeros."""
        out = np.zeros((len(window), self.out_dim), np.float32)
        picture = window.frame_ok & ("visual" not in without)
        k, m = self.components, self.components + self.motion_components
        out[:, :k] = self._standardised("visual", window.visual) @ self.visual_basis
        if self.motion_components:
            out[:, k:m] = self._standardised("motion", window.motion) @ self.motion_basis
        out[~picture, :m] = 0.0
        if window.audio.shape[1] == self.audio_dim and self.audio_dim and "audio" not in without:
            out[:, m:] = (window.audio.astype(np.float32) - self.audio_mean) / self.audio_std
        return np.clip(out, -INPUT_CLIP, INPUT_CLIP, out=out)

    def to_tensors(self) -> dict:
        import torch

        return {f.name: torch.from_numpy(np.ascontiguousarray(getattr(self, f.name), np.float32))
                for f in fields(self)}

    @classmethod
    def from_tensors(cls, data: dict) -> "Normalizer":
        return cls(**{k: np.asarray(v.numpy(), np.float32) for k, v in data.items()})

    @classmethod
    def fit(cls, streams: list[Stream], regions: list[Region], components: int = VISUAL_COMPONENTS,
            slice_steps: int = 4096, modalities: tuple[str, ...] = MODALITIES) -> "Normalizer":
        """Two passes over the training regions, slice by slice: moments, then covariance."""
        visual_dim = streams[0].features.visual_dim
        audio_dim = max(s.features.audio_dim for s in streams) if "audio" in modalities else 0
        motion_dim = streams[0].features.motion_dim if "visual" in modalities else 0
        if "visual" not in modalities:
            components = 0
        sums = {"v": np.zeros(visual_dim), "vv": np.zeros(visual_dim), "a": np.zeros(audio_dim),
                "aa": np.zeros(audio_dim), "m": np.zeros(motion_dim), "mm": np.zeros(motion_dim)}
        n_visual = n_audio = 0
        for window in _slices(streams, regions, slice_steps):
            visual = window.visual[window.frame_ok].astype(np.float64)
            sums["v"] += visual.sum(0)
            sums["vv"] += np.square(visual).sum(0)
            n_visual += len(visual)
            if motion_dim:
                moved = _motion_scale(window.motion[window.frame_ok], np.float64)
                sums["m"] += moved.sum(0)
                sums["mm"] += np.square(moved).sum(0)
            if window.audio.shape[1] == audio_dim and audio_dim:
                audio = window.audio[:, :audio_dim].astype(np.float64)
                sums["a"] += audio.sum(0)
                sums["aa"] += np.square(audio).sum(0)
                n_audio += len(audio)
        if n_visual == 0:
            raise GdmError("the training split has no decodable frames")
        vm, vs = _moments(sums["v"], sums["vv"], n_visual)
        am, as_ = _moments(sums["a"], sums["aa"], n_audio)
        mm, ms = _moments(sums["m"], sums["mm"], n_visual)
        partial = cls(vm, vs, am, as_, np.eye(visual_dim, dtype=np.float32), mm, ms, np.eye(motion_dim, dtype=np.float32))
        if components == 0:
            return cls(vm, vs, am, as_, np.zeros((visual_dim, 0), np.float32), mm, ms, np.zeros((motion_dim, 0), np.float32))
        # The bases need far fewer samples than 100 h of steps: every k-th slice, in float32.
        stride = max(1, math.ceil(n_visual / PCA_MAX_STEPS))
        covariances = {"visual": np.zeros((visual_dim, visual_dim)), "motion": np.zeros((motion_dim, motion_dim))}
        n_used = 0
        for k, window in enumerate(_slices(streams, regions, slice_steps)):
            if k % stride:
                continue
            for name in covariances:
                z = partial._standardised(name, getattr(window, name)[window.frame_ok])
                covariances[name] += (z.T @ z).astype(np.float64)
            n_used += window.frame_ok.sum()
        basis = {name: _whitening(c / max(n_used, 1), k) for (name, c), k in
                 zip(covariances.items(), (components, MOTION_COMPONENTS))}
        return cls(vm, vs, am, as_, basis["visual"], mm, ms, basis["motion"])


def _motion_scale(motion: np.ndarray, dtype) -> np.ndarray:
    """The motion block as the head sees it: log1p of the grey-level changes."""
    return np.log1p(motion.astype(dtype))


def _whitening(covariance: np.ndarray, components: int) -> np.ndarray:
    """`[D, k]`: the top principal directions, each divided by the square root of its variance."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    top = np.argsort(eigenvalues)[::-1][:min(components, len(covariance))]
    return (eigenvectors[:, top] / np.sqrt(np.maximum(eigenvalues[top], 1e-6))).astype(np.float32)


def _slices(streams: list[Stream], regions: list[Region], slice_steps: int):
    for region in regions:
        features = streams[region.stream].features
        for start in range(region.start, region.end, slice_steps):
            yield features.read(start, min(slice_steps, region.end - start))


def _moments(total: np.ndarray, squares: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if n == 0 or total.size == 0:
        return np.zeros_like(total, np.float32), np.ones_like(total, np.float32)
    mean = total / n
    std = np.sqrt(np.maximum(squares / n - mean**2, 0.0))
    # A column nearly constant in training (a dead channel of the backbone on this game)
    # must not be blown up: elsewhere it varies, and would dominate the input.
    floor = max(STD_FLOOR_ABS, STD_FLOOR_REL * float(np.sqrt(np.mean(std**2))))
    return mean.astype(np.float32), np.maximum(std, floor).astype(np.float32)


class WindowReader:
    """Normalised model input `[n, F]` and targets `[n]` for any window of any stream.

    Serves windows from an LRU cache of normalised blocks of `block` steps, bounded by
    `capacity_bytes`: one HDF5 read per block instead of one per window, so an epoch over a
    4.5 h stream reads the file once, while 100 h of streams still stay within the bound.
    `without` takes a modality away, as a muted stream (or a black screen) would: its block
    is fed as zeros, the training mean.
    """

    def __init__(self, streams: list[Stream], norm: Normalizer, block: int = 512,
                 capacity_bytes: int = 512 * 2**20, without: tuple[str, ...] = ()) -> None:
        self.streams, self.norm, self.block = streams, norm, block
        self.without = without
        self._max_blocks = max(4, capacity_bytes // (block * norm.out_dim * 4))
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()

    def _block(self, stream: int, index: int) -> np.ndarray:
        key = (stream, index)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        data = self.norm.apply(self.streams[stream].features.read(index * self.block, self.block), self.without)
        self._cache[key] = data
        if len(self._cache) > self._max_blocks:
            self._cache.popitem(last=False)
        return data

    def modalities(self, stream: int) -> tuple[str, ...]:
        """What the head may use on this stream: the picture unless taken away, the sound where
        the stream has it (a muted stream is scored from its picture alone)."""
        has_audio = self.norm.audio_dim and self.streams[stream].features.audio_dim == self.norm.audio_dim
        return tuple(m for m in MODALITIES if m not in self.without and (m == "visual" or has_audio))

    def read(self, stream: int, start: int, length: int) -> tuple[np.ndarray, np.ndarray]:
        n_steps = self.streams[stream].n_steps
        stop = min(start + length, n_steps)
        first, last = start // self.block, (max(stop, start + 1) - 1) // self.block
        parts = [self._block(stream, k) for k in range(first, last + 1)]
        data = parts[0] if len(parts) == 1 else np.concatenate(parts)
        offset = start - first * self.block
        return data[offset:offset + stop - start], self.streams[stream].targets[start:stop]


def region_windows(region: Region, window: int, hop: int) -> Iterator[tuple[int, int]]:
    """`(start, length)` windows covering a region with overlap `window - hop`."""
    if region.length <= window:
        yield region.start, region.length
        return
    start = region.start
    while True:
        yield start, window
        if start + window >= region.end:
            return
        start = min(start + hop, region.end - window)
