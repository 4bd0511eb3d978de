"""A studio project: the videos in one folder, and each one's review.

Files, all inside the project folder:
- `<stem>.labels.json`: gdm's labels JSON, rewritten atomically after every decision:
  `highlights` = the accepted segments, `rejected` = the rejected ones;
- `.gdm/<stem>.review.json`: every segment with its score and status (candidate, accepted,
  rejected), so unreviewed candidates and edited bounds survive a restart too;
- `.gdm/proxy/<stem>.mp4`: an H.264/AAC copy made once for a video the browser cannot play;
- `head.pt`: the head the studio trains; `<name>.mp4` reels it renders.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gdm_features.errors import GdmError
from gdm_features.files import write_atomically

from gdm_temporal.labels.formats import load_labels, load_rejected, save_labels
from gdm_temporal.timeline.intervals import Interval

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".m4v", ".avi", ".ts", ".flv")
STATUSES = ("candidate", "accepted", "rejected")


@dataclass
class Segment:
    start: float
    end: float
    score: float | None = None
    status: str = "candidate"

    def to_json(self, n: int) -> dict:
        return {"n": n, "start": round(self.start, 3), "end": round(self.end, 3),
                "score": None if self.score is None else round(self.score, 4), "status": self.status}


@dataclass
class StreamState:
    id: str
    name: str
    path: Path
    status: str = "queued"  # queued | extracting | scoring | ready | error
    progress: float = 0.0  # 0..1 of the current stage
    realtime: float | None = None
    eta_s: float | None = None
    error: str | None = None
    duration: float | None = None
    features: Path | None = None
    media: Path | None = None  # what the player gets: the video or its proxy
    fps: float = 5.0
    scores: list[float] = field(default_factory=list)  # per step, 0..1
    segments: list[Segment] = field(default_factory=list)

    @property
    def reviewed(self) -> bool:
        return any(s.status != "candidate" for s in self.segments)

    def summary(self) -> dict:
        return {"id": self.id, "name": self.name, "duration": self.duration, "status": self.status,
                "progress": round(self.progress, 4), "realtime": self.realtime, "eta_s": self.eta_s,
                "error": self.error, "reviewed": self.reviewed,
                "accepted": sum(s.status == "accepted" for s in self.segments)}

    def ordered(self) -> list[Segment]:
        return sorted(self.segments, key=lambda s: (s.start, s.end))


def stream_id(name: str) -> str:
    """Readable and stable: the stem as a slug, plus a short hash of the file name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem).strip("-")[:40] or "stream"
    return f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"


class Project:
    """The folder, its streams and their review; every method is safe from any thread."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise GdmError(f"{root}: no such folder")
        self.state_dir = self.root / ".gdm"
        self.lock = threading.RLock()
        self.streams: dict[str, StreamState] = {}

    # -- discovery -------------------------------------------------------------------------
    def scan(self) -> list[StreamState]:
        """Streams for videos in the folder not seen before (symlinks out of it are ignored)."""
        found = []
        with self.lock:
            known = {s.path for s in self.streams.values()}
            for path in sorted(self.root.iterdir()):
                if path.suffix.lower() not in VIDEO_SUFFIXES or not path.is_file() or path.name.startswith("."):
                    continue
                if path.name.endswith(".reel.mp4") or ".partial" in path.name:
                    continue  # the studio's own renders
                resolved = path.resolve()
                if not resolved.is_relative_to(self.root) or path in known:
                    continue
                state = StreamState(stream_id(path.name), path.name, path)
                self._load_review(state)
                self.streams[state.id] = state
                found.append(state)
        return found

    def get(self, stream: str) -> StreamState:
        with self.lock:
            if stream not in self.streams:
                raise KeyError(stream)
            return self.streams[stream]

    # -- review files ----------------------------------------------------------------------
    def labels_path(self, state: StreamState) -> Path:
        return self.root / f"{Path(state.name).stem}.labels.json"

    def review_path(self, state: StreamState) -> Path:
        return self.state_dir / f"{Path(state.name).stem}.review.json"

    def _load_review(self, state: StreamState) -> None:
        review = self.review_path(state)
        if review.is_file():
            try:
                data = json.loads(review.read_text())
                state.segments = [Segment(float(s["start"]), float(s["end"]), s.get("score"), s["status"])
                                  for s in data["segments"] if s.get("status") in STATUSES]
                return
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a damaged review file: fall back to the labels file
        labels = self.labels_path(state)
        if labels.is_file():
            try:
                state.segments = ([Segment(iv.start, iv.end, None, "accepted") for iv in load_labels(labels)]
                                  + [Segment(iv.start, iv.end, None, "rejected") for iv in load_rejected(labels)])
            except GdmError:
                state.segments = []

    def save(self, state: StreamState) -> None:
        """Write both files at once (atomically each): called after every decision."""
        with self.lock:
            ordered = state.ordered()
            write_atomically(self.review_path(state), json.dumps(
                {"source": state.name, "segments": [asdict(s) for s in ordered]}, indent=2))
            save_labels([Interval(s.start, s.end) for s in ordered if s.status == "accepted"], self.labels_path(state),
                        source=state.name,
                        rejected=[Interval(s.start, s.end) for s in ordered if s.status == "rejected"])

    def set_candidates(self, state: StreamState, candidates: list[Segment]) -> None:
        """New scoring results: decided segments stay; candidates overlapping them are dropped;
        the old undecided candidates are replaced."""
        with self.lock:
            decided = [s for s in state.segments if s.status != "candidate"]
            fresh = [c for c in candidates if not any(c.start < d.end and d.start < c.end for d in decided)]
            state.segments = decided + fresh
            self.save(state)

    # -- edits -----------------------------------------------------------------------------
    def patch(self, state: StreamState, n: int, changes: dict) -> Segment:
        with self.lock:
            ordered = state.ordered()
            if not 1 <= n <= len(ordered):
                raise ValueError(f"no segment {n} (this stream has {len(ordered)})")
            segment = ordered[n - 1]
            start = float(changes.get("start", segment.start))
            end = float(changes.get("end", segment.end))
            status = changes.get("status", segment.status)
            _check_interval(start, end, state.duration)
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
            segment.start, segment.end, segment.status = start, end, status
            self.save(state)
            return segment

    def add(self, state: StreamState, start: float, end: float) -> Segment:
        with self.lock:
            _check_interval(start, end, state.duration)
            segment = Segment(start, end, None, "accepted")
            state.segments.append(segment)
            self.save(state)
            return segment

    def delete(self, state: StreamState, n: int) -> None:
        with self.lock:
            ordered = state.ordered()
            if not 1 <= n <= len(ordered):
                raise ValueError(f"no segment {n} (this stream has {len(ordered)})")
            state.segments.remove(ordered[n - 1])
            self.save(state)

    def number_of(self, state: StreamState, segment: Segment) -> int:
        return next(k for k, s in enumerate(state.ordered(), start=1) if s is segment)


def _check_interval(start: float, end: float, duration: float | None) -> None:
    import math

    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError("start and end must be finite numbers of seconds")
    if start < 0 or end <= start:
        raise ValueError(f"need 0 <= start < end, not start {start:g} and end {end:g}")
    if duration is not None and end > duration + 1e-6:
        raise ValueError(f"end {end:g} s is past the stream's end ({duration:.3f} s)")
