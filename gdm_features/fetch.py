"""`gdm fetch`: streams onto disk with yt-dlp (any URL it supports) or from a local path.

The default format is the best single file at or under 480 px high that has both video and
audio: stage one resizes to 224 px anyway, and a 1080p60 stream costs ~10x more to decode.
Where a site only offers separate video and audio, both are downloaded and remuxed with PyAV
(no re-encode, no ffmpeg binary needed). Downloads resume (`.part` files), a download archive
skips what was fetched before, and a compact `<stem>.info.json` sidecar keeps the title,
uploader, duration, upload date and chapters for later commands.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import av

from .errors import GdmError
from .files import write_atomically
from .media import probe

ARCHIVE_NAME = ".gdm-download-archive.txt"
SIDECAR_FIELDS = ("title", "uploader", "duration", "upload_date", "chapters", "webpage_url", "id", "extractor")


@dataclass
class Fetched:
    path: Path
    title: str
    skipped: bool = False  # already in the download archive


@dataclass
class FetchReport:
    fetched: list[Fetched] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, one-line reason)


def sidecar_path(video: Path) -> Path:
    return video.with_name(video.stem + ".info.json")


def read_title(video: Path) -> str | None:
    """The title from a fetch sidecar, where there is one (commands show it, not a hash)."""
    try:
        return json.loads(sidecar_path(Path(video)).read_text()).get("title")
    except (OSError, ValueError):
        return None


def _write_sidecar(video: Path, info: dict) -> None:
    data = {k: info.get(k) for k in SIDECAR_FIELDS if info.get(k) is not None}
    data["file"] = video.name
    write_atomically(sidecar_path(video), json.dumps(data, indent=2, ensure_ascii=False))


def format_selector(max_height: int) -> str:
    """Single files with audio first (`b`), then separate streams, each capped in height
    where the height is known (`<=?` lets formats of unknown height through)."""
    h = int(max_height)
    return f"b[height<=?{h}]/bv*[height<=?{h}]+ba/b/bv*+ba"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def one_line(message: str) -> str:
    """yt-dlp's error text, cleaned to one line with a hint where the cause is clear."""
    text = _ANSI.sub("", str(message)).strip().splitlines()[0] if str(message).strip() else "unknown error"
    text = re.sub(r"^ERROR:\s*", "", text)
    lowered = text.lower()
    if "unsupported url" in lowered:
        return f"{text} (yt-dlp knows no extractor for it; give a page or a direct video link)"
    if "name resolution" in lowered or "network is unreachable" in lowered or "connection refused" in lowered \
            or "timed out" in lowered:
        return f"{text} (no network? check the connection and retry: downloads resume)"
    if "http error 404" in lowered:
        return f"{text} (the video is gone or the link is wrong)"
    if "not available in your country" in lowered or "geo" in lowered:
        return f"{text} (geo-blocked: try from another region)"
    if "sign in to confirm your age" in lowered or "age" in lowered and "restrict" in lowered:
        return f"{text} (age-restricted: needs cookies from a signed-in browser, --cookies-from-browser in yt-dlp)"
    return text


class _Collector:
    """yt-dlp logger: keeps errors for the report, drops its chatter."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        self.errors.append(one_line(msg))


def _remux(parts: list[Path], target: Path) -> Path:
    """Join separately downloaded video and audio into one file, copying packets."""
    partial = target.with_name(target.name + ".partial" + target.suffix)
    inputs = [av.open(str(p)) for p in parts]
    try:
        with av.open(str(partial), "w") as out:
            mapping = []
            for container in inputs:
                for stream in container.streams:
                    if stream.type in ("video", "audio"):
                        mapping.append((container, stream, out.add_stream_from_template(stream)))
            for container, stream, out_stream in mapping:
                for packet in container.demux(stream):
                    if packet.dts is None:
                        continue
                    packet.stream = out_stream
                    out.mux(packet)
    finally:
        for container in inputs:
            container.close()
    partial.replace(target)
    for part in parts:
        part.unlink(missing_ok=True)
    return target


def _fetch_local(source: Path, out_dir: Path) -> Fetched:
    info = probe(source)
    target = out_dir / source.name
    if target.resolve() != source.resolve():
        try:
            if target.exists():
                target.unlink()
            os.link(source, target)  # same disk: no copy at all
        except OSError:
            tmp = target.with_name(target.name + ".partial")
            shutil.copy2(source, tmp)
            tmp.replace(target)
    _write_sidecar(target, {"title": source.stem, "duration": info.duration_s, "webpage_url": source.resolve().as_uri()})
    return Fetched(target, source.stem)


def _entries(info: dict | None) -> list[dict]:
    if not info:
        return []
    if info.get("_type") in ("playlist", "multi_video") or "entries" in info:
        return [e for entry in (info.get("entries") or []) for e in _entries(entry)]
    return [info]


def fetch(urls: list[str], out_dir: Path | str, max_height: int = 480,
          progress_hook: Callable[[dict], None] | None = None) -> FetchReport:
    """Download (or link) every URL into `out_dir`; a bad URL or entry does not stop the rest."""
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import DownloadError

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GdmError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    report = FetchReport()
    for url in urls:
        local = Path(url[7:] if url.startswith("file://") else url)
        if "://" not in url or url.startswith("file://"):
            try:
                report.fetched.append(_fetch_local(local, out_dir))
            except GdmError as exc:
                report.failures.append((url, str(exc)))
            continue
        collector = _Collector()
        params = {
            "format": format_selector(max_height),
            "outtmpl": str(out_dir / "%(title).80B [%(id)s].%(ext)s"),
            "download_archive": str(out_dir / ARCHIVE_NAME),
            "continuedl": True,
            "ignoreerrors": True,  # a playlist goes on past a bad entry
            "retries": 3,
            "socket_timeout": 20,
            "noprogress": True,
            "quiet": True,
            "no_warnings": True,
            "logger": collector,
            "progress_hooks": [progress_hook] if progress_hook else [],
        }
        fetched_before = len(report.fetched)
        try:
            with YoutubeDL(params) as ydl:
                archived = set(ydl.archive)
                info = ydl.extract_info(url, download=True)
                for entry in _entries(info):
                    report.fetched.append(_finish_entry(ydl, entry, archived))
        except DownloadError as exc:
            collector.errors.append(one_line(str(exc)))
        for error in dict.fromkeys(collector.errors):
            report.failures.append((url, error))
        if len(report.fetched) == fetched_before and not collector.errors:
            report.failures.append((url, "nothing to download there"))
    return report


def _finish_entry(ydl, entry: dict, archived: set) -> Fetched:
    title = entry.get("title") or entry.get("id") or "video"
    if ydl._make_archive_id(entry) in archived:
        return Fetched(Path(ydl.prepare_filename(entry)), title, skipped=True)
    formats = entry.get("requested_formats") or []
    parts = [Path(f["filepath"]) for f in formats if f.get("filepath")]
    if len(parts) > 1 and all(p.exists() for p in parts):
        path = _remux(parts, Path(ydl.prepare_filename(entry)).with_suffix(".mkv"))
    else:
        downloads = entry.get("requested_downloads") or [{}]
        path = Path(downloads[0].get("filepath") or ydl.prepare_filename(entry))
    _write_sidecar(path, entry)
    return Fetched(path, title)
