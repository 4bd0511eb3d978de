"""Benchmark scoring: a synthetic 10 h cache scored by a head and by the cold-start scorer
(seconds and peak RSS, each in a fresh process), and reel rendering speed.

    python tools/bench_score.py [--hours 10] [--out bench_results/score.json]

Targets on 2 cores: scoring a 10 h stream in <= 10 s within < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import in_fresh_process, media_dir, peak_rss_mb, write_report  # noqa: E402
from benchkit import machine as benchkit_machine  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import make_clip  # noqa: E402
from bench_train import make_cache  # noqa: E402


def make_head(features: str, labels: str, out: str) -> str:
    """A head for the synthetic features: two quick epochs (speed does not depend on weights)."""
    from gdm_temporal.head.data import open_streams
    from gdm_temporal.labels.manifest import ManifestRow, Region
    from gdm_temporal.head.train import TrainSettings, train

    rows = [ManifestRow(Path(features), Path(labels), None, "bench")]
    streams = open_streams(rows, progress=False)
    regions = [Region(0, 0, 20000, "train"), Region(0, 20000, 24000, "val")]
    train(streams, regions, TrainSettings(epochs=2), out, log=lambda *_: None)
    return out


def measure_score(head: str | None, features: str, out_dir: str) -> dict:
    from gdm_temporal.highlights.score import make_scorer, score_one

    scorer = make_scorer(Path(head) if head else None, {}, None)
    start = time.perf_counter()
    result = score_one(Path(features), scorer, Path(out_dir), {}, progress=False)
    seconds = time.perf_counter() - start
    segments = json.loads(result.json_path.read_text())["segments"]
    return {"seconds": seconds, "segments": len(segments),
            "peak_rss_mb": peak_rss_mb()}


def measure_reel(video: str, out: str, n_segments: int, seconds_each: float) -> dict:
    from gdm_temporal.highlights.reel import render_reel
    from gdm_temporal.timeline.segments import Segment

    segments = [Segment(5 + 18 * k, 5 + 18 * k + seconds_each, 1.0, 1.0, 5 + 18 * k) for k in range(n_segments)]
    start = time.perf_counter()
    render_reel(video, segments, out, progress=False)
    wall = time.perf_counter() - start
    return {"reel_s": n_segments * seconds_each, "wall_s": wall, "x_realtime": n_segments * seconds_each / wall,
            "peak_rss_mb": peak_rss_mb()}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench_results/score.json"))
    args = parser.parse_args()
    media = media_dir()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        features, labels = make_cache(tmp, args.hours)
        head = in_fresh_process(make_head, str(features), str(labels), str(tmp / "head.pt"))
        by_head = in_fresh_process(measure_score, head, str(features), str(tmp / "head"))
        cold = in_fresh_process(measure_score, None, str(features), str(tmp / "cold"))
        clip = make_clip(media / "bench_360p30_120s.mp4", 640, 360, 30, 120.0)
        reel = in_fresh_process(measure_reel, str(clip), str(tmp / "reel.mp4"), 6, 10.0)

    machine = benchkit_machine()
    report = {"machine": machine, "hours": args.hours, "head": by_head, "cold_start": cold, "reel_360p30": reel}
    print(f"scoring a synthetic {args.hours:g} h cache ({int(args.hours * 18000)} steps), {machine['cpus']} CPUs")
    print(f"{'scorer':<12}{'seconds':>9}{'peak RSS MB':>13}{'segments':>10}")
    for name, r in (("head", by_head), ("cold-start", cold)):
        print(f"{name:<12}{r['seconds']:>9.2f}{r['peak_rss_mb']:>13.0f}{r['segments']:>10}")
    print(f"reel from 360p30: {reel['reel_s']:.0f} s of reel in {reel['wall_s']:.1f} s = "
          f"{reel['x_realtime']:.1f}x realtime (peak RSS {reel['peak_rss_mb']:.0f} MB)")
    write_report(args.out, report)


if __name__ == "__main__":
    main()
