"""Benchmark the studio loop on real game play: does reviewing one stream teach the head enough
to find the next stream's highlights?

Records two Atari Breakout play-throughs with ale-py (highlights = lost lives, from the game
itself), starts `gdm studio` on a folder holding both, and then, through the JSON API as a
reviewer would: accepts the candidates of stream A that hit a highlight, rejects the rest, adds
the highlights it missed, and retrains. Measured on stream B (never reviewed): event recall of
the best segments up to B's labelled time (`gdm score --budget`), cold start vs the retrained
head. Also: time from `gdm studio` to a usable page (all streams scored) with the cache cold and
with it warm (a restart), and the retrain + rescore time.

    python tools/bench_studio.py [--minutes 10] [--out bench_results/studio.json]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import machine, write_report  # noqa: E402

GDM = str(Path(sys.executable).with_name("gdm"))
BACKBONE = ["--backbone", "efficientnet_lite0"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_studio(root: Path, port: int):
    import httpx

    process = subprocess.Popen([GDM, "studio", str(root), "--no-browser", "--port", str(port), *BACKBONE],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
    started = time.perf_counter()
    while True:
        try:
            streams = http.get("/api/streams").json()
            if streams and all(s["status"] in ("ready", "error") for s in streams):
                http.get("/")  # the page itself
                return process, http, time.perf_counter() - started, streams
        except httpx.TransportError:
            pass
        time.sleep(0.2)


def recall_at_labelled_time(video: Path, truth: list, head: Path | None, cache: Path, out: Path) -> float:
    from gdm_temporal.highlights.exports import SegmentsDoc
    from gdm_temporal.timeline.metrics import event_counts

    budget = sum(iv.duration for iv in truth)
    args = [GDM, "score", *([str(head)] if head else []), str(video), "-o", str(out), "--budget", f"{budget:.1f}s",
            "--cache-dir", str(cache), "--quiet", *BACKBONE]
    subprocess.run(args, check=True, capture_output=True)
    doc = SegmentsDoc.load(out / f"{video.stem}.segments.json")
    counts = event_counts(truth, doc.segments)
    return counts["found"] / counts["labelled"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench_results/studio.json"))
    args = parser.parse_args()
    from gdm_temporal.app.demo.atari import record_breakout

    work = Path(tempfile.mkdtemp(prefix="gdm-bench-studio-"))
    root = work / "project"
    root.mkdir()
    truth = {}
    for name, seed in (("stream_a", 11), ("stream_b", 12)):
        recording = record_breakout(root / f"{name}.mp4", args.minutes * 60, seed, progress=False)
        truth[name] = recording.highlights
        print(f"{name}: {len(recording.highlights)} highlights in {args.minutes:g} min")
    port = free_port()
    process, http, cold_s, streams = start_studio(root, port)
    ids = {s["name"]: s["id"] for s in streams}
    cache = root / ".gdm" / "cache"
    cold_start_recall = recall_at_labelled_time(root / "stream_b.mp4", truth["stream_b"], None, cache, work / "cold")

    review_started = time.perf_counter()
    decisions = {"accepted": 0, "rejected": 0, "added": 0}
    sid = ids["stream_a.mp4"]
    for seg in http.get(f"/api/streams/{sid}").json()["segments"]:
        hit = any(seg["start"] < iv.end and iv.start < seg["end"] for iv in truth["stream_a"])
        status = "accepted" if hit else "rejected"
        http.patch(f"/api/streams/{sid}/segments/{seg['n']}", json={"status": status})
        decisions[status] += 1
    segments = http.get(f"/api/streams/{sid}").json()["segments"]
    for iv in truth["stream_a"]:
        if not any(s["status"] == "accepted" and s["start"] < iv.end and iv.start < s["end"] for s in segments):
            http.post(f"/api/streams/{sid}/segments", json={"start": iv.start, "end": iv.end})
            decisions["added"] += 1
    review_s = time.perf_counter() - review_started
    retrain = http.post("/api/retrain", json={}).json()
    head_recall = recall_at_labelled_time(root / "stream_b.mp4", truth["stream_b"], root / "head.pt", cache,
                                          work / "head")
    process.terminate()
    process.wait()
    process, http, warm_s, _ = start_studio(root, free_port())
    process.terminate()
    process.wait()

    rows = [("studio to a usable page, cache cold (2 streams)", f"{cold_s:.1f} s"),
            ("studio to a usable page, cache warm (restart)", f"{warm_s:.1f} s"),
            ("review of stream A through the API", f"{review_s:.2f} s, {decisions}"),
            ("retrain + rescore", f"{retrain['seconds']:.1f} s (validation AP "
                                  f"{(retrain['validation']['after'] or {}).get('ap')})"),
            ("stream B recall at its labelled time, cold start", f"{cold_start_recall:.2f}"),
            ("stream B recall at its labelled time, after review", f"{head_recall:.2f}")]
    for label, value in rows:
        print(f"{label:<52}{value}")
    write_report(args.out, {"machine": machine(), "minutes": args.minutes, "cold_page_s": cold_s, "warm_page_s": warm_s,
                            "review": decisions, "retrain": retrain, "recall_cold_start": cold_start_recall,
                            "recall_after_review": head_recall,
                            "highlights": {k: len(v) for k, v in truth.items()}})


if __name__ == "__main__":
    main()
