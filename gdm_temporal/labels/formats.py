"""One label model, highlight intervals in seconds per stream, and its importers.

Importers report malformed input with the line or frame at fault instead of guessing:
a silently dropped or invented highlight corrupts every model trained on it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from gdm_features.errors import GdmError
from gdm_features.files import write_atomically
from gdm_features.timebase import parse_timecode

from ..timeline.intervals import Interval

SCALABEL_START, SCALABEL_END = "highlight start", "highlight end"


MAX_TIME_S = 31 * 24 * 3600.0  # a month: longer than any stream, shorter than any overflow


def _checked(start: float, end: float, where: str) -> Interval:
    if not (np.isfinite(start) and np.isfinite(end)):
        raise GdmError(f"{where}: times must be finite numbers")
    if max(start, end) > MAX_TIME_S:
        raise GdmError(f"{where}: {max(start, end):.6g} s is longer than any stream (at most {MAX_TIME_S:.0f} s)")
    if start < 0:
        raise GdmError(f"{where}: start {start} is negative")
    if end <= start:
        raise GdmError(f"{where}: end {end} is not after start {start}")
    return Interval(float(start), float(end))


def _time(value: object, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # a 400-digit integer
            raise GdmError(f"{where}: {str(value)[:12]}... is too large to be a time") from None
    if str(value).strip().startswith("-"):
        raise GdmError(f"{where}: {value!r} is negative; times count from the start of the video")
    try:
        return parse_timecode(str(value))
    except ValueError:
        raise GdmError(f"{where}: {value!r} is not a time (seconds or [HH:]MM:SS[.fff])") from None


def import_scalabel(data: object, source: str, export_fps: float = 5.0) -> list[Interval]:
    """Scalabel export: frame `k` (its position in the export) is at `k / export_fps`.

    A highlight runs from its start frame through its end frame inclusive.
    """
    frames = data.get("frames") if isinstance(data, dict) else data
    if not isinstance(frames, list):
        raise GdmError(f"{source}: not a Scalabel export (no list of frames)")
    intervals, open_at = [], None
    for k, frame in enumerate(frames):
        labels = (frame.get("labels") or []) if isinstance(frame, dict) else None
        if labels is None or not isinstance(labels, list):
            raise GdmError(f"{source}: frame {k} is not a Scalabel frame object")
        for label in labels:
            if not isinstance(label, dict):
                raise GdmError(f"{source}: frame {k}: a label must be an object with a 'category', "
                               f"not {json.dumps(label)[:40]}")
            category = str(label.get("category", "")).strip().lower()
            if category == SCALABEL_START:
                if open_at is not None:
                    raise GdmError(f"{source}: frame {k}: 'Highlight start' while the highlight started "
                                   f"at frame {open_at} has no end")
                open_at = k
            elif category == SCALABEL_END:
                if open_at is None:
                    raise GdmError(f"{source}: frame {k}: 'Highlight end' without a 'Highlight start' before it")
                intervals.append(Interval(open_at / export_fps, (k + 1) / export_fps))
                open_at = None
    if open_at is not None:
        raise GdmError(f"{source}: frame {open_at}: 'Highlight start' has no 'Highlight end' after it")
    return intervals


def _item_lines(text: str, key: str) -> list[int]:
    """Line numbers at which the items of the top-level array `key` start (for messages)."""
    decoder, lines = json.JSONDecoder(), []
    at = text.find(f'"{key}"')
    at = text.find("[", at) + 1 if at >= 0 else 0
    try:
        while at > 0:
            while at < len(text) and text[at] in " \t\r\n,":
                at += 1
            if at >= len(text) or text[at] == "]":
                break
            lines.append(text.count("\n", 0, at) + 1)
            _, at = decoder.raw_decode(text, at)
    except (json.JSONDecodeError, RecursionError):
        pass
    return lines


def import_highlights_json(data: dict, source: str, text: str = "") -> list[Interval]:
    items = data.get("highlights")
    if not isinstance(items, list):
        raise GdmError(f"{source}: expected {{\"highlights\": [{{\"start\": s, \"end\": s}}, ...]}}")
    lines = _item_lines(text, "highlights")
    out = []
    for k, item in enumerate(items):
        where = f"{source} line {lines[k]}: highlight {k + 1}" if k < len(lines) else f"{source}: highlight {k + 1}"
        if not isinstance(item, dict) or "start" not in item or "end" not in item:
            raise GdmError(f"{where}: needs 'start' and 'end'")
        out.append(_checked(_time(item["start"], where), _time(item["end"], where), where))
    return out


def import_csv(text: str, source: str) -> list[Interval]:
    """`start,end` rows in seconds or timecodes; a header row naming the columns is optional."""
    out, columns, first_row = [], (0, 1), True
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise GdmError(f"{source}: not a CSV file ({exc})") from None
    for line_no, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first_row:
            first_row = False
            lowered = [c.lower() for c in cells]
            if "start" in lowered and "end" in lowered:
                columns = (lowered.index("start"), lowered.index("end"))
                continue
        where = f"{source} line {line_no}"
        if len(cells) <= max(columns):
            raise GdmError(f"{where}: expected start,end")
        out.append(_checked(_time(cells[columns[0]], where), _time(cells[columns[1]], where), where))
    return out


def parse_json(text: str, where: str, first_line: int = 1) -> object:
    """JSON text, or a GdmError naming the line (`where` is the file, or the file and line)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GdmError(f"{where} line {exc.lineno + first_line - 1}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise GdmError(f"{where}: JSON nested too deep") from None


def load_labels(path: Path | str, export_fps: float = 5.0) -> list[Interval]:
    """Any supported label file, by content: our JSON, a Scalabel export, or CSV."""
    path = Path(path)
    if not path.is_file():
        raise GdmError(f"{path}: no such labels file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise GdmError(f"{path}: not a text file") from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        data = parse_json(text, str(path))
        if isinstance(data, dict) and "highlights" in data:
            return import_highlights_json(data, str(path), text)
        return import_scalabel(data, str(path), export_fps)
    return import_csv(text, str(path))


def load_rejected(path: Path | str) -> list[Interval]:
    """The spans a reviewer rejected (`"rejected"` in gdm's labels JSON, written by the studio):
    hard negatives for training. Other label files have none."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig")) if path.suffix.lower() == ".json" else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("rejected"), list):
        return []
    return import_highlights_json({"highlights": data["rejected"]}, f"{path} (rejected)")


def save_labels(intervals: list[Interval], path: Path | str, source: str | None = None,
                rejected: list[Interval] | None = None) -> Path:
    """Our JSON format, written atomically (temporary name, then rename); `rejected` spans (the
    studio's decisions) are kept alongside the highlights."""
    payload = {"highlights": [{"start": round(iv.start, 6), "end": round(iv.end, 6)} for iv in sorted(intervals)]}
    if rejected is not None:
        payload["rejected"] = [{"start": round(iv.start, 6), "end": round(iv.end, 6)} for iv in sorted(rejected)]
    if source:
        payload["source"] = source
    return write_atomically(path, json.dumps(payload, indent=2))
