"""Editors' formats, each a small function of one segment list (the PySceneDetect way).

Every exporter takes a `SegmentsDoc` (what `gdm score` writes) and returns text; chapters
also return notes on what had to be merged or padded to satisfy YouTube's rules.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from gdm_features.errors import GdmError
from gdm_features.timebase import format_timecode

from ..timeline.segments import Segment

FORMATS = ("csv", "chapters", "edl", "ffconcat", "v1", "otio")
CHAPTER_MIN_S = 10.0
CUT_SPEED = 99999.0  # auto-editor's speed for a removed stretch


@dataclass(frozen=True)
class SegmentsDoc:
    """The content of a segments.json: the source, its timing, who scored it, the segments."""

    source: str
    fps: float  # step rate of the scores
    model: dict
    segments: list[Segment]
    duration_s: float | None = None
    video_fps: float | None = None  # frame rate of the source video, for frame-based formats

    def to_json(self) -> dict:
        return {"source": self.source, "fps": self.fps, "model": self.model, "duration_s": self.duration_s,
                "video_fps": self.video_fps, "segments": [s.to_json() for s in self.segments]}

    @classmethod
    def load(cls, path: Path | str) -> "SegmentsDoc":
        """A segments file, checked: it may come from anywhere, and every exporter and the reel
        trust what this returns (finite times inside the video, a source that is one path)."""
        path = Path(path)
        if not path.is_file():
            raise GdmError(f"{path}: no such segments file")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, OSError) as exc:
            raise GdmError(f"{path}: not a gdm segments file ({type(exc).__name__})") from None
        if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
            raise GdmError(f"{path}: not a gdm segments file (no list of segments)")
        source = data.get("source")
        if not isinstance(source, str) or not source or _CONTROL.search(source):
            raise GdmError(f"{path}: 'source' must be one file path (no line breaks or control characters)")
        fps = _number_or_none(data.get("fps", 5.0), "fps", path)
        duration = _number_or_none(data.get("duration_s"), "duration_s", path)
        video_fps = _number_or_none(data.get("video_fps"), "video_fps", path)
        if fps is None or fps <= 0 or (video_fps is not None and video_fps <= 0):
            raise GdmError(f"{path}: 'fps' and 'video_fps' must be positive numbers")
        segments = []
        for k, s in enumerate(data["segments"], start=1):
            if not isinstance(s, dict) or "start" not in s or "end" not in s:
                raise GdmError(f"{path}: segment {k} needs 'start' and 'end'")
            start, end = (_number_or_none(s[key], f"segment {k} {key}", path) for key in ("start", "end"))
            score = _number_or_none(s.get("score", 0.0), f"segment {k} score", path) or 0.0
            peak = _number_or_none(s.get("peak", score), f"segment {k} peak", path)
            if start is None or end is None or not 0 <= start < end:
                raise GdmError(f"{path}: segment {k} has start {start} and end {end}")
            if duration is not None and end > duration + 1.0 / fps:
                raise GdmError(f"{path}: segment {k} ends at {end:g} s, past the video's end ({duration:g} s)")
            peak_time = _number_or_none(s.get("peak_time", start), f"segment {k} peak_time", path)
            segments.append(Segment(start, end, score, peak if peak is not None else score,
                                    peak_time if peak_time is not None else start))
        model = data.get("model") if isinstance(data.get("model"), dict) else {}
        return cls(source, fps, model, segments, duration, video_fps)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _number_or_none(value, what: str, path: Path) -> float | None:
    """A finite JSON number (or null); strings, booleans, NaN and infinities are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GdmError(f"{path}: '{what}' must be a finite number, not {json.dumps(value)[:40]}")
    return float(value)


def to_csv(doc: SegmentsDoc) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["index", "start", "end", "duration", "score", "peak", "start_tc", "end_tc"])
    for k, s in enumerate(doc.segments, start=1):
        writer.writerow([k, f"{s.start:.3f}", f"{s.end:.3f}", f"{s.duration:.3f}", f"{s.score:.4f}",
                         f"{s.peak:.4f}", format_timecode(s.start), format_timecode(s.end)])
    return out.getvalue()


def _chapter_time(seconds: float) -> str:
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def to_chapters(doc: SegmentsDoc) -> tuple[str, list[str]]:
    """YouTube chapters: first at 0:00, ascending, at least three, each at least 10 s long.

    Each highlight opens a chapter and the gameplay after it another; marks closer than
    10 s are merged into the chapter before them. Returns the text and what was adjusted.
    """
    notes: list[str] = []
    marks: list[tuple[float, str]] = [(0.0, "Stream start")]
    for k, s in enumerate(sorted(doc.segments, key=lambda s: s.start), start=1):
        marks.append((math.floor(s.start), f"Highlight {k}"))  # renumbered once merged
        marks.append((math.floor(s.end), "Gameplay"))
    end = doc.duration_s
    chapters: list[tuple[float, str]] = []
    for time, title in marks:
        if end is not None and time > end - CHAPTER_MIN_S:
            notes.append(f"dropped '{title}' at {_chapter_time(time)}: less than {CHAPTER_MIN_S:g} s before the end")
            continue
        if chapters and time - chapters[-1][0] < CHAPTER_MIN_S:
            previous_time, previous_title = chapters[-1]
            if title.startswith("Highlight") and not previous_title.startswith("Highlight"):
                chapters[-1] = (previous_time, title)  # the highlight names the merged chapter
                notes.append(f"merged '{title}' into the chapter at {_chapter_time(previous_time)} "
                             f"(chapters must be at least {CHAPTER_MIN_S:g} s)")
            else:
                notes.append(f"merged '{title}' at {_chapter_time(time)} into '{previous_title}' "
                             f"(chapters must be at least {CHAPTER_MIN_S:g} s)")
            continue
        chapters.append((time, title))
    if len(chapters) < 3:
        raise GdmError(f"only {len(chapters)} chapter{'s' if len(chapters) != 1 else ''} fit YouTube's rules "
                       f"(at least 3, each at least {CHAPTER_MIN_S:g} s): the stream is too short or has too few "
                       "segments for chapters; export csv or edl instead")
    numbered, k = [], 0
    for time, title in chapters:  # numbered after merging, so the numbers run 1, 2, 3 ...
        if title.startswith("Highlight"):
            k += 1
            title = f"Highlight {k}"
        numbered.append((time, title))
    return "".join(f"{_chapter_time(t)} {title}\n" for t, title in numbered), notes


def _smpte(seconds: float, rate: int) -> str:
    frames = int(round(seconds * rate))
    ff = frames % rate
    total = frames // rate
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}:{ff:02d}"


def to_edl(doc: SegmentsDoc, title: str = "gdm highlights") -> str:
    """CMX3600, non-drop-frame at the source's rounded frame rate; one event per segment."""
    rate = int(round(doc.video_fps or 30))
    lines = [f"TITLE: {title}", "FCM: NON-DROP FRAME", ""]
    record = 0.0
    clip = Path(doc.source).name
    for k, s in enumerate(sorted(doc.segments, key=lambda s: s.start), start=1):
        lines.append(f"{k:03d}  AX       AA/V  C        {_smpte(s.start, rate)} {_smpte(s.end, rate)} "
                     f"{_smpte(record, rate)} {_smpte(record + s.duration, rate)}")
        lines.append(f"* FROM CLIP NAME: {clip}")
        lines.append("")
        record += s.duration
    return "\n".join(lines)


def to_ffconcat(doc: SegmentsDoc) -> str:
    """FFmpeg concat list cutting the segments out of the source (absolute path)."""
    if _CONTROL.search(doc.source):
        raise GdmError("the source path holds a line break or control character, which a concat list cannot carry")
    path = str(Path(doc.source).resolve()).replace("'", "'\\''")
    lines = ["ffconcat version 1.0"]
    for s in sorted(doc.segments, key=lambda s: s.start):
        lines += [f"file '{path}'", f"inpoint {s.start:.3f}", f"outpoint {s.end:.3f}"]
    return "\n".join(lines) + "\n"


def to_v1(doc: SegmentsDoc) -> str:
    """auto-editor's v1 JSON: the whole timeline in source frames, kept at speed 1, the rest cut."""
    rate = doc.video_fps or 30.0
    total = int(round((doc.duration_s or max((s.end for s in doc.segments), default=0.0)) * rate))
    chunks, cursor = [], 0
    for s in sorted(doc.segments, key=lambda s: s.start):
        a, b = int(round(s.start * rate)), min(total, int(round(s.end * rate)))
        if a > cursor:
            chunks.append([cursor, a, CUT_SPEED])
        if b > max(a, cursor):
            chunks.append([max(a, cursor), b, 1.0])
        cursor = max(cursor, b)
    if cursor < total:
        chunks.append([cursor, total, CUT_SPEED])
    return json.dumps({"version": "1", "source": str(Path(doc.source).resolve()), "chunks": chunks}, indent=2)


def to_otio(doc: SegmentsDoc) -> str:
    """OpenTimelineIO timeline (needs the optional `opentimelineio` package)."""
    try:
        import opentimelineio as otio
    except ImportError:
        raise GdmError("--format otio needs OpenTimelineIO: pip install opentimelineio") from None
    rate = doc.video_fps or 30.0
    timeline = otio.schema.Timeline(name="gdm highlights")
    track = otio.schema.Track(name="highlights", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    reference = otio.schema.ExternalReference(target_url=Path(doc.source).resolve().as_uri())
    for k, s in enumerate(sorted(doc.segments, key=lambda s: s.start), start=1):
        source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(round(s.start * rate), rate),
                                               otio.opentime.RationalTime(round(s.duration * rate), rate))
        track.append(otio.schema.Clip(name=f"Highlight {k}", media_reference=reference.clone(),
                                      source_range=source_range, metadata={"gdm": s.to_json()}))
    return otio.adapters.write_to_string(timeline, "otio_json")


def export(doc: SegmentsDoc, fmt: str) -> tuple[str, list[str]]:
    """Text of `doc` in format `fmt`, and notes on any adjustment made."""
    if fmt == "chapters":
        return to_chapters(doc)
    writers = {"csv": to_csv, "edl": to_edl, "ffconcat": to_ffconcat, "v1": to_v1, "otio": to_otio}
    if fmt not in writers:
        raise GdmError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](doc), []
