"""Benchmark `gdm batch`: N streams through it with 1, 2, ... local Ray workers, against the
sequential commands a person would type (`gdm extract` then `gdm score`, one stream at a time).
Hours of video per hour of wall time, each run from a fresh feature cache.

    python tools/bench_batch.py [--streams 4] [--seconds 60] [--workers 1,2] [--out bench_results/batch.json]

Streams are H.264+AAC 360p30 test clips (FFmpeg's testsrc2 and a tone), features from
efficientnet_lite0 (the offline pretrained backbone), cold-start scoring.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import make_clip  # noqa: E402
from benchkit import machine, write_report  # noqa: E402

GDM = str(Path(sys.executable).with_name("gdm"))
FEATURES = ["--backbone", "efficientnet_lite0", "--quiet"]


def run(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([GDM, *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--out", type=Path, default=Path("bench_results/batch.json"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gdm-bench-batch-"))  # private: never a shared predictable path
    videos = [str(make_clip(root / f"stream{k}.mp4", 640, 360, 30, args.seconds)) for k in range(args.streams)]
    video_h = args.streams * args.seconds / 3600
    rows = []
    sequential_s = 0.0
    for k, video in enumerate(videos):
        sequential_s += run(["extract", video, "--cache-dir", "seq-cache", *FEATURES], root)
        sequential_s += run(["score", video, "-o", "seq-out", "--cache-dir", "seq-cache", "--quiet"], root)
    rows.append({"run": "sequential gdm extract + gdm score", "workers": 1, "seconds": sequential_s})
    for workers in [int(w) for w in args.workers.split(",")]:
        seconds = run(["batch", *videos, "-o", f"out{workers}", "--workers", str(workers),
                       "--cache-dir", f"cache{workers}", *FEATURES], root)
        rows.append({"run": f"gdm batch --workers {workers}", "workers": workers, "seconds": seconds})
    rerun = run(["batch", *videos, "-o", f"out{workers}", "--workers", str(workers), "--cache-dir", f"cache{workers}",
                 *FEATURES], root)
    rows.append({"run": "gdm batch again (all up to date)", "workers": workers, "seconds": rerun})
    print(f"{args.streams} streams x {args.seconds:g} s of 360p30 = {video_h:.3f} h of video")
    print(f"{'run':<40}{'wall s':>9}{'video h / h':>13}{'vs sequential':>15}")
    for row in rows:
        row["video_hours_per_hour"] = video_h / (row["seconds"] / 3600)
        row["speedup"] = sequential_s / row["seconds"]
        print(f"{row['run']:<40}{row['seconds']:>9.1f}{row['video_hours_per_hour']:>13.1f}{row['speedup']:>14.2f}x")
    write_report(args.out, {"machine": machine(), "streams": args.streams, "seconds_each": args.seconds,
                            "rows": rows})


if __name__ == "__main__":
    main()
