"""The Ray driver of `gdm batch`: one task per fetch and per video, with resources and retries.

`ray.init()` starts an embedded local cluster of `workers` CPUs when no address is given (no
setup, no dashboard), or joins an existing one (`auto`, `ray://host:port`); the code is the
same. Extraction asks for a GPU where the cluster has one, else `cpus_per_task` CPUs. A worker
that dies mid-task is retried by Ray (`max_retries`), and the retry resumes from the finished
chunks in the cache. The driver keeps `batch.json` current after every finished item, so an
interrupted batch still says what it did.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Callable

from gdm_features.errors import GdmError
from gdm_features.files import write_atomically
from gdm_features.timebase import format_timecode

from .sources import is_url
from .work import fetch_url, process_video

MAX_RETRIES = 3  # a worker killed mid-task: its task is run again, resuming from the cache


def _import_ray():
    try:
        import ray
    except ImportError:
        raise GdmError('gdm batch runs on Ray, which is not installed: pip install -e ".[cluster]"') from None
    return ray


def _start(ray, address: str | None, workers: int | None) -> None:
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    try:
        if address:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=True)
        else:
            ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                     logging_level=logging.ERROR, log_to_driver=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise GdmError(f"cannot start or join the Ray cluster ({' '.join(str(exc).split())[:200]})") from None


class _Progress:
    """Streams done, hours of video per hour of wall time, ETA: one line on stderr, redrawn."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.started = total, enabled, time.perf_counter()
        self.done = 0
        self.video_s = 0.0
        self.last = 0.0

    def finished(self, summary: dict) -> None:
        self.done += 1
        self.video_s += summary.get("duration_s") or 0.0
        self.show(force=True)

    def show(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not force and now - self.last < 1.0):
            return
        self.last = now
        elapsed = now - self.started
        rate = self.video_s / elapsed if elapsed > 0 else 0.0
        eta = (elapsed / self.done * (self.total - self.done)) if self.done else None
        line = (f"batch: {self.done}/{self.total} streams, {self.video_s / 3600:.2f} h of video in "
                f"{format_timecode(elapsed, 0)} ({rate:.1f} h of video per hour)"
                + (f", ETA {format_timecode(eta, 0)}" if eta is not None and self.done < self.total else ""))
        print(f"\r{line}\033[K", end="" if self.done < self.total else "\n", file=sys.stderr, flush=True)


def run_batch(sources: list[str], settings: dict, address: str | None = None, workers: int | None = None,
              progress: bool = True, say: Callable[[str], None] = lambda line: None) -> list[dict]:
    """Process every source on Ray; returns one summary per video (and per failed fetch)."""
    ray = _import_ray()
    out_dir = Path(settings["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    _start(ray, address, workers)
    try:
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0) > 0
        cpus = max(1, int(settings.get("cpus_per_task") or 1))
        settings = settings | {"threads": cpus}
        say(f"Ray: {int(resources.get('CPU', 0))} CPUs, {int(resources.get('GPU', 0))} GPUs"
            + (f" at {address}" if address else " (local)"))
        video_task = ray.remote(process_video).options(num_cpus=cpus, num_gpus=1 if gpus else 0,
                                                       max_retries=MAX_RETRIES)
        fetch_task = ray.remote(fetch_url).options(num_cpus=1, max_retries=MAX_RETRIES)
        pending: dict = {}
        for source in sources:
            ref = fetch_task.remote(source, settings) if is_url(source) else video_task.remote(source, settings)
            pending[ref] = source
        bar = _Progress(len(sources), progress)
        results: list[dict] = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            bar.show()
            for ref in ready:
                source = pending.pop(ref)
                try:
                    value = ray.get(ref)
                except Exception as exc:  # the task itself died MAX_RETRIES times: report, go on
                    value = {"source": source, "status": "failed", "error": f"worker lost ({type(exc).__name__})"}
                if "videos" in value:  # a fetched URL: its videos become tasks of their own
                    bar.total += len(value["videos"]) - 1
                    for video in value["videos"]:
                        pending[video_task.remote(video, settings)] = video
                    for reason in value["failures"]:
                        bar.total += 1
                        results.append({"source": source, "status": "failed", "error": reason})
                        bar.finished(results[-1])
                    continue
                results.append(value)
                bar.finished(value)
                write_report(out_dir, results, settings)
        order = {source: k for k, source in enumerate(sources)}
        results.sort(key=lambda r: order.get(r["source"], len(order)))  # as given; fetched videos last
        write_report(out_dir, results, settings)
        return results
    finally:
        ray.shutdown()


def write_report(out_dir: Path, results: list[dict], settings: dict) -> Path:
    return write_atomically(out_dir / "batch.json", json.dumps(
        {"settings": {k: v for k, v in settings.items() if k != "threads"}, "results": results}, indent=2,
        default=str))


def report_table(results: list[dict]) -> str:
    """The final table: per source its status, duration, x realtime, segments, error."""
    rows = [f"{'source':<40}{'status':<12}{'duration':>10}{'realtime':>10}{'segments':>10}  error"]
    for r in results:
        duration = format_timecode(r["duration_s"], 0) if r.get("duration_s") else "-"
        realtime = f"{r['realtime']:.1f}x" if r.get("realtime") else "-"
        segments = str(r["segments"]) if r.get("segments") is not None else "-"
        rows.append(f"{Path(str(r['source'])).name[:39]:<40}{r['status']:<12}{duration:>10}{realtime:>10}"
                    f"{segments:>10}  {r.get('error') or ''}")
    return "\n".join(rows)
