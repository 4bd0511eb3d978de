"""The work of one batch item, as plain functions of small, serialisable inputs that return small
summaries: big arrays stay in the HDF5 cache, never in Ray's object store. Each is idempotent:
stage one's cache key makes a retried extraction a resume, and scoring is redone only when its
inputs changed (`batch_key` in the segments file).

Nothing here imports Ray, so the same functions run in a Ray worker, in a test, or in a loop.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from gdm_features import FeatureFile, GdmError, __version__, extract
from gdm_features.fetch import fetch
from gdm_features.files import write_atomically

from gdm_temporal.highlights.exports import SegmentsDoc, export
from gdm_temporal.highlights.score import make_scorer, score_one
from gdm_temporal.timeline.budget import Budget

EXPORT_SUFFIXES = {"csv": "csv", "chapters": "chapters.txt", "edl": "edl", "ffconcat": "ffconcat",
                   "v1": "v1.json", "otio": "otio"}


def fetch_url(url: str, settings: dict) -> dict:
    """Download one URL (a VOD, or every entry of a playlist) into `<out>/streams/`."""
    report = fetch([url], Path(settings["out_dir"]) / "streams", settings.get("max_height", 480))
    return {"url": url, "videos": [str(item.path) for item in report.fetched],
            "failures": [reason for _, reason in report.failures]}


def _digest(path: str | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if path else None


def _up_to_date(segments_path: Path, key: str) -> SegmentsDoc | None:
    try:
        doc = SegmentsDoc.load(segments_path)
    except GdmError:
        return None
    png = segments_path.with_name(segments_path.name.replace(".segments.json", ".scores.png"))
    return doc if doc.model.get("batch_key") == key and png.is_file() else None


def process_video(video: str, settings: dict) -> dict:
    """Extract (or find in the cache), score, export one video; never raises for bad input."""
    started = time.perf_counter()
    summary = {"source": video, "status": "failed", "duration_s": None, "seconds": None, "realtime": None,
               "segments": None, "segments_path": None, "features": None, "error": None}
    try:
        if settings.get("threads"):
            import torch

            torch.set_num_threads(int(settings["threads"]))
        budget = Budget.parse(settings["budget"]) if settings.get("budget") else None
        scorer = make_scorer(Path(settings["head"]) if settings.get("head") else None,
                             settings.get("overrides") or {}, budget)
        base = {k: v for k, v in settings["extract"].items() if v is not None}
        features = extract(video, progress=False,
                           **scorer.extract_options(base) | {"cache_dir": settings.get("cache_dir")})
        with FeatureFile(features) as f:
            duration = float(f.attrs.get("duration_s", f.n_steps / f.fps))
        out_dir = Path(settings["out_dir"])
        key = hashlib.sha256(json.dumps([features.name, _digest(settings.get("head")), settings.get("budget"),
                                         settings.get("overrides"), __version__], sort_keys=True).encode()
                             ).hexdigest()[:16]
        segments_path = out_dir / f"{Path(video).stem}.segments.json"
        summary |= {"features": str(features), "duration_s": duration, "segments_path": str(segments_path)}
        doc = _up_to_date(segments_path, key)
        if doc is None:
            result = score_one(features, scorer, out_dir, {}, progress=False, model_extra={"batch_key": key})
            doc = SegmentsDoc.load(result.json_path)
            summary["status"] = "done"
        else:
            summary["status"] = "up to date"
        for fmt in settings.get("exports") or []:
            target = out_dir / f"{Path(video).stem}.{EXPORT_SUFFIXES[fmt]}"
            if summary["status"] == "done" or not target.exists():
                try:
                    write_atomically(target, export(doc, fmt)[0])
                except GdmError as exc:
                    summary["error"] = f"{fmt}: {exc}"
        summary["segments"] = len(doc.segments)
    except GdmError as exc:
        summary["error"] = str(exc)
        summary["status"] = "failed"
    seconds = time.perf_counter() - started
    summary["seconds"] = seconds
    if summary["duration_s"] and summary["status"] == "done":
        summary["realtime"] = summary["duration_s"] / seconds
    return summary
