"""Stage one: video file -> cached 5-fps feature sequence, once per (video, settings).

A decoder thread turns the video into batches of RGB frames (with each step's motion row)
and feeds a bounded queue; the calling thread runs the backbone, computes the audio rows for
the same steps and appends whole chunks to the cache file. Decoding (PyAV releases the GIL) therefore overlaps
inference on a GPU and on a second CPU core alike.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from filelock import FileLock, Timeout

from . import __version__, motion, picture
from .audio_features import AudioSettings
from .audio_source import iter_audio_rows
from .backbones import Embedder, get_backbone, resolve_device, resolve_precision
from .errors import GdmError
from .fingerprint import cache_key, file_fingerprint
from .media import MediaInfo, probe
from .progress import StepProgress
from .store import FeatureFile, FeatureWriter, disk_error
from .timebase import steps_before
from .video_source import DecodeReport, VideoStep, iter_video_steps

log = logging.getLogger("gdm")

CHUNK_STEPS = 256  # rows per append: ~51 s of video at 5 fps, the most a kill can lose
_QUEUE_BATCHES = 4


@dataclass(frozen=True)
class ExtractSettings:
    """Everything that changes the numbers in a cache file (hashed into its key)."""

    backbone: str = "resnet18"
    weights: str | None = None  # None: the backbone's default ImageNet weights
    fps: float = 5.0
    input_size: tuple[int, int] = (224, 224)  # (height, width) the whole frame is resized to
    audio: AudioSettings = field(default_factory=AudioSettings)
    # Arithmetic of the backbone: fp16 and fp32 differ by more than the 1 % budget, so the
    # precision actually used is part of the key ("auto" is resolved for `device` first).
    precision: str = "auto"
    device: str = "auto"

    def validated(self) -> "ExtractSettings":
        spec = get_backbone(self.backbone)
        if not 0 < self.fps <= 60:
            raise GdmError(f"--fps must be in (0, 60], not {self.fps}")
        if len(self.input_size) != 2 or min(self.input_size) < 32:
            raise GdmError(f"input size must be two sides of at least 32 px, not {self.input_size}")
        precision = resolve_precision(self.precision, spec, resolve_device(self.device))
        return ExtractSettings(self.backbone, self.weights or spec.default_weights, float(self.fps),
                               tuple(int(v) for v in self.input_size), self.audio, precision, self.device)

    def identity(self, has_audio: bool) -> dict:
        spec = get_backbone(self.backbone)
        audio = json.loads(self.audio.to_json()) | {"present": has_audio}
        return {"fps": self.fps, "backbone": self.backbone, "weights": self.weights,
                "input_size": list(self.input_size), "audio": json.dumps(audio, sort_keys=True),
                "motion": motion_identity(),
                "preprocessing": spec.preprocessing(self.input_size), "precision": self.precision}


def motion_identity() -> str:
    """The motion block's settings, as the cache attrs (and a head) record them."""
    return json.dumps({"size": motion.SIZE, "grid": motion.GRID, "max_fps": motion.MAX_FPS}, sort_keys=True)


def default_cache_dir() -> Path:
    """`$GDM_CACHE_DIR`, else `cache/` of the checkout, else `~/.cache/gdm`."""
    if os.environ.get("GDM_CACHE_DIR"):
        return Path(os.environ["GDM_CACHE_DIR"])
    project_cache = Path(__file__).resolve().parents[1] / "cache"
    return project_cache if project_cache.is_dir() else Path.home() / ".cache" / "gdm"


def _writable_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise GdmError(f"cache dir {path} is not writable ({exc.strerror or exc}); "
                       "pass --cache-dir or set GDM_CACHE_DIR") from None
    return path


@dataclass(frozen=True)
class _Target:
    """A video, its settings, and where their features live."""

    info: MediaInfo
    settings: ExtractSettings
    identity: dict  # cache attrs that name the video and settings
    path: Path


def _locate(video: Path | str, settings: ExtractSettings, cache_dir: Path | str | None) -> _Target:
    settings = settings.validated()
    info = probe(video)
    fingerprint = file_fingerprint(info.path)
    identity = settings.identity(info.has_audio)
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return _Target(info, settings, identity | {"source_fingerprint": fingerprint},
                   directory / f"{cache_key(fingerprint, identity)}.h5")


def cache_path_for(video: Path | str, settings: ExtractSettings, cache_dir: Path | str | None = None) -> Path:
    """Where the features of `video` under `settings` live (whether or not they exist yet)."""
    return _locate(video, settings, cache_dir).path


def cached_features(video: Path | str, cache_dir: Path | str | None = None, fps: float | None = None) -> list[Path]:
    """Complete cache files of `video` under any backbone (at `fps` if given), newest first:
    what a command uses when the user named no backbone and the video is already extracted."""
    fingerprint = file_fingerprint(probe(video).path)
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    found = []
    for path in directory.glob("*.h5"):
        try:
            with FeatureFile(path) as features:
                if features.attrs.get("source_fingerprint") == fingerprint and (fps is None or features.fps == fps):
                    found.append(path)
        except GdmError:
            continue
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _is_complete(path: Path) -> bool:
    """A finished cache file that reads back whole (checksums, finite values). A damaged one is
    never trusted: it is removed, with a warning, and extracted again."""
    try:
        with FeatureFile(path) as features:
            features.verify()
            return True
    except GdmError as exc:
        if path.exists() and "damaged" in str(exc):
            log.warning("%s; extracting it again", exc)
            path.unlink(missing_ok=True)
        return False


@dataclass
class _Batch:
    steps: np.ndarray  # int64 [n]
    ok: np.ndarray  # bool [n]
    frames: torch.Tensor  # uint8 [n_ok, H, W, 3]
    motion: np.ndarray  # float32 [n, motion.DIM]
    picture: np.ndarray  # uint8 [n, picture.DIM]


_DONE = object()


def _pack(steps: list[VideoStep], size_hw: tuple[int, int], pin: bool) -> _Batch:
    ok = np.array([s.rgb is not None for s in steps])
    frames = np.stack([s.rgb for s in steps if s.rgb is not None]) if ok.any() \
        else np.zeros((0, *size_hw, 3), np.uint8)
    tensor = torch.from_numpy(frames)
    return _Batch(np.array([s.step for s in steps], np.int64), ok, tensor.pin_memory() if pin else tensor,
                  np.stack([s.motion for s in steps]), np.stack([s.grey for s in steps]))


def _batches(steps: Iterator[VideoStep], batch_size: int, size_hw: tuple[int, int],
             pin: bool) -> Iterator[_Batch]:
    while chunk := list(islice(steps, batch_size)):
        yield _pack(chunk, size_hw, pin)


def _threaded(items: Iterator, stop: threading.Event, depth: int) -> Iterator:
    """Run a generator in a thread behind a bounded queue; its exceptions re-raise here."""
    channel: queue.Queue = queue.Queue(maxsize=depth)

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    thread = threading.Thread(target=work, name="gdm-decoder", daemon=True)
    thread.start()
    try:
        while (item := channel.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class _ChunkBuffer:
    """Rows waiting to be appended; the cache grows only by whole chunks (and one tail)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.size = 0

    def add(self, *columns: np.ndarray) -> None:
        self.parts.append(columns)
        self.size += len(columns[0])

    def take(self, n: int) -> tuple[np.ndarray, ...]:
        joined = [np.concatenate(cols) for cols in zip(*self.parts)]
        head = tuple(c[:n] for c in joined)
        rest = tuple(c[n:] for c in joined)
        self.parts = [rest] if len(rest[0]) else []
        self.size = len(rest[0])
        return head


def extract(video: Path | str, *, backbone: str = "resnet18", weights: str | None = None,
            fps: float = 5.0, input_size: tuple[int, int] = (224, 224),
            audio: AudioSettings | None = None, device: str = "auto", precision: str = "auto",
            cache_dir: Path | str | None = None, batch_size: int | None = None,
            progress: bool = True, on_progress: Callable[[int, int | None, float], None] | None = None) -> Path:
    """Features of `video` in the cache, extracting (or resuming) only what is missing.

    Returns the path of the complete cache file. Raises GdmError for bad input.
    """
    target = _locate(video, ExtractSettings(backbone, weights, fps, input_size, audio or AudioSettings(),
                                            precision, device), cache_dir)
    out = target.path
    _writable_dir(out.parent)
    if _is_complete(out):
        return out
    lock = FileLock(str(out) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("another process is extracting %s; waiting for it", target.info.path.name)
        lock.acquire()
    try:
        if not _is_complete(out):
            _run(target, batch_size, progress, on_progress)
        # Complete: the lock file has done its job. Removing it only now is race-free: whoever
        # waits on it, or makes a new one, finds the file complete and returns.
        Path(lock.lock_file).unlink(missing_ok=True)
    finally:
        lock.release()
    return out


def _run(target: _Target, batch_size: int | None, progress: bool,
         on_progress: Callable[[int, int | None, float], None] | None = None) -> None:
    info, settings, identity, out = target.info, target.settings, target.identity, target.path
    spec = get_backbone(settings.backbone)
    device = resolve_device(settings.device)
    precision = settings.precision  # resolved by ExtractSettings.validated
    embedder = Embedder(spec, settings.weights, device, precision)
    batch_size = batch_size or (128 if device.type == "cuda" else 32)
    fps, size_hw = settings.fps, settings.input_size
    audio_dim = settings.audio.n_features if info.has_audio else 0
    extra = {"source": str(info.path.resolve()), "created_utc": datetime.now(timezone.utc).isoformat(),
             "gdm_version": __version__, "device": device.type, "precision": precision,
             "origin_s": info.origin_s, "duration_s": -1.0}
    try:
        writer = FeatureWriter(out, identity, extra, {"visual": spec.dim, "motion": motion.DIM, "audio": audio_dim,
                                                      "picture": picture.DIM}, CHUNK_STEPS)
    except (OSError, RuntimeError) as exc:
        raise disk_error(out, exc) from None
    with writer:
        first = writer.n_steps
        total = steps_before(info.duration_s, fps) if info.duration_s else None
        bar = StepProgress(info.path.name, total, fps, initial=first, enabled=progress, callback=on_progress)
        report = DecodeReport()
        stop = threading.Event()
        steps = iter_video_steps(info, fps, size_hw, first_step=first, report=report)
        batches = _threaded(_batches(steps, batch_size, size_hw, pin=device.type == "cuda"),
                            stop, _QUEUE_BATCHES)
        audio_rows = iter_audio_rows(info, settings.audio, fps, first) if audio_dim else None
        pending = _ChunkBuffer()
        try:
            for batch in batches:
                n = len(batch.steps)
                visual = np.zeros((n, spec.dim), np.float16)
                if len(batch.frames):
                    visual[batch.ok] = embedder(batch.frames).numpy().astype(np.float16)
                audio = (np.stack(list(islice(audio_rows, n))).astype(np.float16) if audio_rows
                         else np.zeros((n, 0), np.float16))
                pending.add(visual, batch.motion.astype(np.float16), audio, batch.steps / fps, batch.ok, batch.picture)
                bar.advance(n)  # per batch (a second or so of work), not per 256-step chunk
                while pending.size >= CHUNK_STEPS:
                    writer.append(*pending.take(CHUNK_STEPS))
            if pending.size:
                writer.append(*pending.take(pending.size))
            if writer.n_steps == 0:
                raise GdmError(f"{info.path}: no video frame could be decoded")
            bar.settle(writer.n_steps)
            for note in report.notes:
                log.warning("%s: %s; the steps without video have frame_ok=false", info.path.name, note)
            writer.finish({"duration_s": report.end_time_s,
                           "decode_notes": json.dumps(report.notes),
                           "bad_packets": report.bad_packets})
        except (OSError, RuntimeError) as exc:  # h5py reports a full disk as RuntimeError
            raise disk_error(out, exc) from None
        finally:
            stop.set()
            bar.close()
