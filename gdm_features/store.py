"""The feature cache file, schema `gdm.features/3`: an appending writer and a slicing reader.

The writer appends whole chunks and only then advances the `n_steps` attribute, so a killed
run leaves a file whose first `n_steps` rows are good; `complete` turns true last of all.
The reader never loads a whole file: it hands out windows `(start, length)`.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .errors import GdmError

# /2 added the `motion` block, /3 the `picture` block (an older file is extracted again).
SCHEMA = "gdm.features/3"
DATASETS = ("visual", "motion", "audio", "time", "frame_ok", "picture")


@dataclass(frozen=True)
class FeatureSlice:
    """Rows `[start, start + len)` of one stream."""

    start: int
    # A block not asked for (`FeatureFile.read(blocks=...)`) is None.
    visual: np.ndarray  # float16 [n, D]
    motion: np.ndarray  # float16 [n, M] (see motion.py)
    audio: np.ndarray  # float16 [n, A]
    time: np.ndarray  # float64 [n]
    frame_ok: np.ndarray  # bool [n]
    picture: np.ndarray  # uint8 [n, P] (see picture.py)

    def __len__(self) -> int:
        return int(self.time.shape[0])


def _is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)


def disk_error(path: Path, exc: BaseException) -> GdmError:
    """The one-line message for a write that failed under us."""
    if _is_disk_full(exc):
        return GdmError(f"disk full while writing {path}; free some space and run again "
                        "(finished chunks are kept and the run resumes)")
    return GdmError(f"cannot write {path}: {exc}")


_METADATA_MARGIN_BYTES = 256 * 1024  # chunk index, attributes and the final flush


class FeatureWriter:
    """Creates or resumes one cache file. Use as a context manager."""

    def __init__(self, path: Path, identity: dict[str, Any], extra: dict[str, Any], widths: dict[str, int],
                 chunk_steps: int) -> None:
        """`identity`: attrs a resumed file must match (video and settings); `extra`: the rest;
        `widths`: columns of the `visual`, `motion`, `audio` and `picture` blocks (a missing one: 0)."""
        self.path = path
        self.chunk_steps = chunk_steps
        self._file = self._open(identity, extra, widths)

    def _open(self, identity: dict[str, Any], extra: dict[str, Any], widths: dict[str, int]) -> h5py.File:
        if self.path.exists():
            try:
                handle = h5py.File(self.path, "a")
            except OSError:
                handle = None  # killed before its first flush: nothing worth keeping
            if handle is not None:
                if all(name in handle for name in DATASETS) and \
                        all(_same(handle.attrs.get(k), v) for k, v in identity.items()):
                    n = int(handle.attrs["n_steps"])
                    for name in DATASETS:  # drop rows written after the last n_steps update
                        handle[name].resize(n, axis=0)
                    return handle
                handle.close()
            self.path.unlink()
        # Build the empty skeleton under another name, so a crash here never leaves a file
        # at `path` that a resume would trust.
        staging = self.path.with_name(self.path.name + ".new")
        try:
            self._build(staging, identity, extra, widths)
        except BaseException:
            staging.unlink(missing_ok=True)  # a failed start leaves nothing behind
            raise
        staging.replace(self.path)
        return h5py.File(self.path, "a")

    def _build(self, staging: Path, identity: dict[str, Any], extra: dict[str, Any], widths: dict[str, int]) -> None:
        with h5py.File(staging, "w") as handle:
            for key, value in {**extra, **identity}.items():
                handle.attrs[key] = value
            handle.attrs["schema"] = SCHEMA
            handle.attrs["n_steps"] = 0
            handle.attrs["complete"] = False
            shapes = {**{block: ((0, widths.get(block, 0)), np.float16) for block in ("visual", "motion", "audio")},
                      "time": ((0,), np.float64), "frame_ok": ((0,), np.bool_),
                      "picture": ((0, widths.get("picture", 0)), np.uint8)}
            for name, (shape, dtype) in shapes.items():
                # A zero-width dataset (no audio) still needs a legal chunk shape.
                maxshape = (None,) + tuple(d if d else None for d in shape[1:])
                # fletcher32: every chunk carries a checksum, so damage on disk is found on read.
                # The small grey pictures are mostly flat areas: gzip at its fastest level.
                packed = {"compression": "gzip", "compression_opts": 1} if name == "picture" else {}
                handle.create_dataset(name, shape=shape, maxshape=maxshape, dtype=dtype, fletcher32=True,
                                      chunks=(self.chunk_steps,) + tuple(max(1, d) for d in shape[1:]), **packed)

    @property
    def n_steps(self) -> int:
        return int(self._file.attrs["n_steps"])

    def append(self, visual: np.ndarray, motion: np.ndarray, audio: np.ndarray, time: np.ndarray,
               frame_ok: np.ndarray, picture: np.ndarray | None = None) -> None:
        """Rows of every block; `picture` None: a file without the picture block (width 0)."""
        if picture is None:
            picture = np.zeros((len(time), self._file["picture"].shape[1]), np.uint8)
        self._ensure_room(visual, motion, audio, time, frame_ok, picture)
        n0, n = self.n_steps, len(time)
        for name, rows in zip(DATASETS, (visual, motion, audio, time, frame_ok, picture)):
            dataset = self._file[name]
            dataset.resize(n0 + n, axis=0)
            dataset[n0:] = rows
        self._file.flush()  # rows on disk before n_steps says they are there
        self._file.attrs["n_steps"] = n0 + n
        self._file.flush()

    def _ensure_room(self, *rows: np.ndarray) -> None:
        """Refuse a chunk the disk cannot hold *before* writing it. HDF5 that runs out of space
        mid-write leaves its in-memory metadata unflushable: every later flush fails again and
        closing the file can crash the process. Checked first, the error is clean and the file
        closes with its finished chunks intact. (Another writer filling the disk in between can
        still beat the check; the file is then re-verified or rebuilt on the next run.)"""
        needed = int(sum(r.nbytes for r in rows) * 1.1) + _METADATA_MARGIN_BYTES
        if shutil.disk_usage(self.path.parent).free < needed:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))

    def finish(self, final_attrs: dict[str, Any]) -> None:
        for key, value in final_attrs.items():
            self._file.attrs[key] = value
        self._file.flush()
        self._file.attrs["complete"] = True
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "FeatureWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _same(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, np.ndarray) or isinstance(wanted, (list, tuple)):
        return np.array_equal(np.asarray(stored), np.asarray(wanted))
    if isinstance(stored, bytes):
        stored = stored.decode()
    return stored == wanted


class FeatureFile:
    """A read-only view of one cache file; keeps the HDF5 handle open for repeated slices."""

    def __init__(self, path: Path | str, allow_partial: bool = False) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise GdmError(f"{self.path}: no such feature file")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError:
            raise GdmError(f"{self.path}: not an HDF5 feature file (damaged or another format)") from None
        attrs = self._file.attrs
        schema, complete, n_steps = attrs.get("schema"), attrs.get("complete", False), attrs.get("n_steps", 0)
        problem = None
        if schema != SCHEMA:
            problem = (f"unknown feature schema {schema!r} (this gdm reads {SCHEMA}); "
                       "extract the video again with this version")
        elif not all(name in self._file for name in DATASETS):
            problem = "damaged feature file (datasets missing); delete it and extract again"
        elif not complete and not allow_partial:
            problem = (f"extraction is not complete ({int(n_steps)} steps so far); "
                       "run gdm extract on the video again to finish it")
        elif "fps" not in attrs:
            problem = "damaged feature file (no step rate); delete it and extract again"
        if problem:
            self._file.close()
            raise GdmError(f"{self.path}: {problem}")
        # Looked up once: an alignment reads thousands of short slices, and each lookup of a
        # dataset or an attribute by name costs as much as a short read.
        self._datasets = {name: self._file[name] for name in DATASETS}
        self._fps = float(attrs["fps"])
        self._complete = bool(complete)
        self._n_steps = int(n_steps)

    @property
    def attrs(self) -> dict[str, Any]:
        """Plain Python values (numpy scalars and arrays converted), so they print and serialise
        as users expect: `2.0`, not `np.float64(2.0)`; `true` in JSON, not `"True"`."""
        return {k: (v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v) for k, v in self._file.attrs.items()}

    @property
    def n_steps(self) -> int:
        # (a partial file, opened to resume it, may be growing under another handle)
        return self._n_steps if self._complete else int(self._file.attrs["n_steps"])

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def visual_dim(self) -> int:
        return int(self._file["visual"].shape[1])

    @property
    def motion_dim(self) -> int:
        return int(self._file["motion"].shape[1])

    @property
    def picture_dim(self) -> int:
        return int(self._file["picture"].shape[1])

    @property
    def audio_dim(self) -> int:
        return int(self._file["audio"].shape[1])

    @property
    def audio_settings(self) -> dict[str, Any]:
        return json.loads(self._file.attrs["audio"])

    def read(self, start: int, length: int, blocks: tuple[str, ...] | None = None) -> FeatureSlice:
        """Rows `[start, start + length)`, clipped to the finished part of the file; of the
        feature `blocks` named (`time` and `frame_ok` always), the others None (a search over
        one block of a long stream reads only that block: a tenth of the bytes for the pictures)."""
        if start < 0 or length < 0:
            raise ValueError(f"bad window start={start} length={length}")
        stop = min(start + length, self.n_steps)
        start = min(start, stop)
        wanted = DATASETS if blocks is None else set(blocks) | {"time", "frame_ok"}
        try:
            window = FeatureSlice(start, *(self._datasets[name][start:stop] if name in wanted else None
                                           for name in DATASETS))
        except (OSError, RuntimeError) as exc:  # a chunk whose checksum fails, or unreadable bytes
            raise GdmError(f"{self.path}: damaged (steps {start} to {stop} do not read back: "
                           f"{' '.join(str(exc).split())[:80]}); delete it and run gdm extract again") from None
        if not all(np.isfinite(block).all() for block in (window.visual, window.motion, window.audio)
                   if block is not None):
            raise GdmError(f"{self.path}: damaged (steps {start} to {stop} hold NaN or infinite features); "
                           "delete it and run gdm extract again")
        return window

    def verify(self, slice_steps: int = 4096) -> None:
        """Read every row back (checksums, finite values); GdmError naming the damage if any."""
        for start in range(0, self.n_steps, slice_steps):
            self.read(start, slice_steps)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "FeatureFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(path: Path | str, start_step: int, n_steps: int, allow_partial: bool = False) -> FeatureSlice:
    """One window of a cache file, without loading the rest."""
    with FeatureFile(path, allow_partial=allow_partial) as features:
        return features.read(start_step, n_steps)
