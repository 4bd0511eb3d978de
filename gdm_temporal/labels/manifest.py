"""Training manifests (CSV or JSONL rows: video, labels, split) and how streams are split.

Splits are by whole stream, or by contiguous time blocks inside a stream, never by random
steps: neighbouring steps are near-duplicates, and mixing them across splits leaks.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gdm_features.errors import GdmError

from .formats import parse_json

SPLITS = ("train", "val", "test")
BLOCK_SHARES = (0.70, 0.15, 0.15)  # contiguous train / val / test blocks of a stream
MIN_STREAMS_FOR_STREAM_SPLIT = 3


@dataclass(frozen=True)
class ManifestRow:
    video: Path  # a video file or a gdm feature cache file (.h5)
    labels: Path | None
    split: str | None
    where: str  # "manifest.csv line 3", for messages


@dataclass(frozen=True)
class Region:
    """Steps `[start, end)` of stream `stream` that belong to one split."""

    stream: int
    start: int
    end: int
    split: str

    @property
    def length(self) -> int:
        return self.end - self.start


def _row(values: dict, base: Path, where: str) -> ManifestRow:
    video = str(values.get("video") or "").strip()
    if not video:
        raise GdmError(f"{where}: no 'video' given")
    labels = str(values.get("labels") or "").strip()
    split = str(values.get("split") or "").strip().lower() or None
    if split is not None and split not in SPLITS:
        raise GdmError(f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
    return ManifestRow(base / video, base / labels if labels else None, split, where)


def read_manifest(path: Path | str) -> list[ManifestRow]:
    """Rows of a CSV (header: video,labels[,split]) or JSONL manifest; paths relative to it."""
    path = Path(path)
    if not path.is_file():
        raise GdmError(f"{path}: no such manifest")
    base = path.parent
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise GdmError(f"{path}: not a text file (a manifest is CSV or JSONL)") from None
    rows = []
    if path.suffix.lower() in (".jsonl", ".ndjson") or text.lstrip().startswith("{"):
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path} line {line_no}"
            values = parse_json(line, str(path), first_line=line_no)
            if not isinstance(values, dict):
                raise GdmError(f"{where}: expected an object with video, labels, split")
            rows.append(_row(values, base, where))
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "video" not in [f.strip() for f in reader.fieldnames]:
            raise GdmError(f"{path}: CSV manifest needs a header with a 'video' column (video,labels,split)")
        for line_no, values in enumerate(reader, start=2):
            rows.append(_row({k.strip(): v for k, v in values.items() if k}, base, f"{path} line {line_no}"))
    if not rows:
        raise GdmError(f"{path}: the manifest lists no streams")
    seen: dict[Path, str] = {}
    for row in rows:  # one stream twice could sit in train and test at once: a silent leak
        key = row.video.resolve()
        if key in seen:
            raise GdmError(f"{row.where}: {row.video.name} is listed already ({seen[key]}); list each stream once")
        seen[key] = row.where
    return rows


def _stable_order(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def assign_regions(rows: list[ManifestRow], n_steps: list[int]) -> list[Region]:
    """Regions of every split. Rows with a split keep it whole. Rows without one: with at
    least three such streams, whole streams go to val and test (15 % each, at least one, in
    a stable pseudo-random order); otherwise each stream is cut into contiguous 70/15/15
    train/val/test blocks."""
    regions = [Region(i, 0, n, row.split) for i, (row, n) in enumerate(zip(rows, n_steps)) if row.split]
    free = [i for i, row in enumerate(rows) if not row.split]
    if len(free) >= MIN_STREAMS_FOR_STREAM_SPLIT:
        order = sorted(free, key=lambda i: _stable_order(str(rows[i].video)))
        n_hold = max(1, math.ceil(0.15 * len(order)))
        for rank, i in enumerate(order):
            split = "test" if rank < n_hold else "val" if rank < 2 * n_hold else "train"
            regions.append(Region(i, 0, n_steps[i], split))
    else:
        for i in free:
            edges = [0]
            for share in BLOCK_SHARES[:-1]:
                edges.append(edges[-1] + round(share * n_steps[i]))
            edges.append(n_steps[i])
            regions += [Region(i, a, b, split) for a, b, split in zip(edges[:-1], edges[1:], SPLITS) if b > a]
    return sorted(regions, key=lambda r: (r.stream, r.start))


def holdout_regions(targets: list[np.ndarray], share: float = 0.2) -> list[Region]:
    """Train and val regions for a few reviewed streams (the studio's retrain): one contiguous
    validation block of `share` of a stream, placed where its share of highlight steps is
    closest to the whole's, so it holds highlights and leaves some to train on; every other step
    trains. With too few highlights to split (fewer than 2 positive runs), validation reuses the
    training steps: the head still trains, its validation figures are then optimistic."""
    total_pos = sum(float(t.sum()) for t in targets)
    total = sum(len(t) for t in targets)
    runs_count = sum(int(np.sum(np.diff(np.concatenate([[0], (t > 0.5).astype(np.int8)])) == 1)) for t in targets)
    everything = [Region(i, 0, len(t), "train") for i, t in enumerate(targets) if len(t)]
    if runs_count < 2 or total == 0:
        return everything + [Region(r.stream, r.start, r.end, "val") for r in everything]
    goal = total_pos / total
    best = None
    for i, t in enumerate(targets):
        length = max(1, int(round(share * len(t))))
        for start in range(0, max(1, len(t) - length + 1), max(1, len(t) // 20)):
            inside = float(t[start:start + length].sum())
            if 0 < inside < total_pos:
                gap = abs(inside / length - goal)
                if best is None or gap < best[0]:
                    best = (gap, i, start, start + length)
    if best is None:
        return everything + [Region(r.stream, r.start, r.end, "val") for r in everything]
    _, i, a, b = best
    regions = [r for r in everything if r.stream != i]
    regions += [Region(i, s, e, "train") for s, e in ((0, a), (b, len(targets[i]))) if e > s]
    regions.append(Region(i, a, b, "val"))
    return sorted(regions, key=lambda r: (r.stream, r.start))
