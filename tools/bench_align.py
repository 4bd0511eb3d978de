"""Benchmark `gdm labels align`: a 10 min compilation against a 4.5 h stream's cached features.

Synthetic caches of the right sizes (512-d, 5 fps): the stream's embeddings drift like real
footage (an AR(1) walk, so neighbouring steps are alike); the compilation is 40 clips of 15 s
copied from random places of the stream with added noise (re-encoding), joined by 3 s of
unrelated "title" steps. Reports wall time, peak RSS (fresh process), clips found and the
boundary error.

    python tools/bench_align.py [--stream-hours 4.5] [--compilation-minutes 10] [--out bench_results/align.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import in_fresh_process, peak_rss_mb, write_report  # noqa: E402
from benchkit import machine as benchkit_machine  # noqa: E402

FPS, DIM = 5.0, 512


def _writer(path: Path, name: str):
    from gdm_features.store import FeatureWriter

    identity = {"fps": FPS, "backbone": "resnet18", "weights": "IMAGENET1K_V1", "input_size": [224, 224],
                "audio": json.dumps({"n_mels": 64, "present": False}), "preprocessing": "{}",
                "source_fingerprint": name}
    return FeatureWriter(path, identity, {"source": name}, DIM, 0, 256)


def make_caches(directory: Path, stream_hours: float, minutes: float, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(stream_hours * 3600 * FPS)
    stream_path = directory / "stream.h5"
    base = rng.normal(size=DIM).astype(np.float32)
    state = rng.normal(size=DIM).astype(np.float32)
    keep = {}  # the rows the compilation will copy
    clip_len, n_clips = int(15 * FPS), int(minutes * 60 / 18)
    starts = np.sort(rng.choice(np.arange(0, n - clip_len, clip_len), size=n_clips, replace=False))
    wanted = {int(s) + k for s in starts for k in range(clip_len)}
    with _writer(stream_path, "stream") as w:
        for first in range(0, n, 8192):
            m = min(8192, n - first)
            rows = np.empty((m, DIM), np.float32)
            for k in range(m):
                state = 0.97 * state + 0.25 * rng.normal(size=DIM).astype(np.float32)
                rows[k] = base + state
            for k in range(m):
                if first + k in wanted:
                    keep[first + k] = rows[k].copy()
            w.append(rows.astype(np.float16), np.zeros((m, 0), np.float16), np.arange(first, first + m) / FPS,
                     np.ones(m, bool))
        w.finish({"duration_s": n / FPS})
    order = rng.permutation(n_clips)
    rows, truth = [], []
    title = int(3 * FPS)
    for index in order:
        rows += [base + rng.normal(size=DIM).astype(np.float32) * 2 for _ in range(title)]
        start = int(starts[index])
        truth.append({"comp_start": len(rows) / FPS, "stream_start": start / FPS, "stream_end": (start + clip_len) / FPS})
        rows += [keep[start + k] + 0.3 * rng.normal(size=DIM).astype(np.float32) for k in range(clip_len)]
    comp_path = directory / "compilation.h5"
    with _writer(comp_path, "compilation") as w:
        data = np.stack(rows)
        w.append(data.astype(np.float16), np.zeros((len(data), 0), np.float16), np.arange(len(data)) / FPS,
                 np.ones(len(data), bool))
        w.finish({"duration_s": len(data) / FPS})
    return stream_path, comp_path, truth


def measure(stream: str, compilation: str, truth: list) -> dict:
    from gdm_features import FeatureFile
    from gdm_temporal.labels.align import align, labels_from

    start = time.perf_counter()
    with FeatureFile(stream) as s, FeatureFile(compilation) as c:
        pieces = align(s, c)
    wall = time.perf_counter() - start
    labels = labels_from(pieces)
    errors, found = [], 0
    for t in truth:
        hits = [iv for iv in labels if iv.start < t["stream_end"] and t["stream_start"] < iv.end]
        if hits:
            found += 1
            errors += [abs(hits[0].start - t["stream_start"]), abs(hits[0].end - t["stream_end"])]
    invented = sum(1 for iv in labels if not any(iv.start < t["stream_end"] and t["stream_start"] < iv.end
                                                  for t in truth))
    return {"wall_s": wall, "peak_rss_mb": peak_rss_mb(),
            "clips": len(truth), "found": found, "invented": invented,
            "max_boundary_error_s": max(errors) if errors else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stream-hours", type=float, default=4.5)
    parser.add_argument("--compilation-minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench_results/align.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stream, comp, truth = make_caches(Path(tmp), args.stream_hours, args.compilation_minutes)
        result = in_fresh_process(measure, str(stream), str(comp), truth)
    report = {"machine": benchkit_machine(),
              "stream_hours": args.stream_hours, "compilation_minutes": args.compilation_minutes, **result}
    print(f"align a {args.compilation_minutes:g} min compilation against a {args.stream_hours:g} h stream "
          f"({int(args.stream_hours * 3600 * FPS)} x {DIM} steps), {os.cpu_count()} CPUs")
    print(f"{'wall s':>8}{'peak RSS MB':>13}{'clips':>7}{'found':>7}{'invented':>10}{'max edge err s':>16}")
    print(f"{result['wall_s']:>8.2f}{result['peak_rss_mb']:>13.0f}{result['clips']:>7}{result['found']:>7}"
          f"{result['invented']:>10}{float('nan') if result['max_boundary_error_s'] is None else result['max_boundary_error_s']:>16.2f}")
    write_report(args.out, report)


if __name__ == "__main__":
    main()
