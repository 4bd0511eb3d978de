"""Benchmark stage two: how fast a head retrains from the cache, against the proof of concept.

Builds a synthetic cache the size of a 4.5 h stream (81,000 steps at 5 fps, 512 visual +
65 audio dims, highlights planted on ~5 % of steps), trains a head for a fixed number of
epochs (no early stopping) and reports seconds per epoch, total wall time and peak RSS, each
in a fresh process. In the same run it times the proof of concept's way of doing an epoch,
a ResNet18 forward pass over every training frame, on a sample, and extrapolates.

    python tools/bench_train.py [--hours 4.5] [--epochs 50] [--out bench_results/train.json]
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

from benchkit import in_fresh_process, peak_rss_mb, write_report  # noqa: E402
from benchkit import machine as benchkit_machine  # noqa: E402

FPS = 5.0


def make_cache(directory: Path, hours: float, seed: int = 0) -> tuple[Path, Path]:
    """A valid feature file (the current schema) plus its labels, written in chunks (bounded memory)."""
    import numpy as np

    from gdm_features.store import FeatureWriter
    from gdm_temporal.labels import Interval, save_labels

    n = int(hours * 3600 * FPS)
    rng = np.random.default_rng(seed)
    n_events = max(1, int(0.05 * n / (20 * FPS)))  # 20-second highlights on ~5 % of steps
    starts = np.sort(rng.choice(np.arange(0, n - 200, 200), size=n_events, replace=False))
    intervals = [Interval(s / FPS, s / FPS + 20.0) for s in starts]
    positive = np.zeros(n, bool)
    for s in starts:
        positive[s:s + 100] = True
    path = directory / f"synthetic_{hours:g}h.h5"
    identity = {"fps": FPS, "backbone": "resnet18", "weights": "IMAGENET1K_V1", "input_size": [224, 224],
                "audio": json.dumps({"n_mels": 64, "present": True}), "preprocessing": "{}",
                "source_fingerprint": f"synthetic-{hours}-{seed}"}
    direction = rng.normal(size=512).astype(np.float32)
    widths = {"visual": 512, "motion": 128, "audio": 65}
    with FeatureWriter(path, identity, {"source": "synthetic", "duration_s": n / FPS}, widths, 256) as writer:
        chunk = 16384
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            hot = positive[start:start + m, None]
            visual = rng.normal(size=(m, 512)).astype(np.float32) + 0.8 * hot * direction
            audio = rng.normal(-30, 5, size=(m, 65)).astype(np.float32) + 12 * hot
            motion = rng.exponential(4, size=(m, 128)).astype(np.float32) * (1 + hot)
            writer.append(visual.astype(np.float16), motion.astype(np.float16), audio.astype(np.float16),
                          np.arange(start, start + m) / FPS, np.ones(m, bool))
        writer.finish({"duration_s": n / FPS})
    labels = save_labels(intervals, directory / f"synthetic_{hours:g}h.json")
    return path, labels


def measure_training(features: str, labels: str, epochs: int, out: str) -> dict:
    from gdm_temporal.head.data import open_streams
    from gdm_temporal.labels.manifest import ManifestRow, assign_regions
    from gdm_temporal.head.train import TrainSettings, train

    rows = [ManifestRow(Path(features), Path(labels), None, "bench")]
    streams = open_streams(rows, progress=False)
    regions = assign_regions(rows, [s.n_steps for s in streams])
    epoch_times = []
    last = [time.perf_counter()]

    def log(line: str) -> None:
        if line.startswith("epoch"):
            now = time.perf_counter()
            epoch_times.append(now - last[0])
            last[0] = now

    start = time.perf_counter()
    config = train(streams, regions, TrainSettings(epochs=epochs, patience=epochs + 1), out, log=log)
    wall = time.perf_counter() - start
    train_steps = sum(r.length for r in regions if r.split == "train")
    return {"wall_s": wall, "epochs": len(epoch_times), "epoch_s_median": sorted(epoch_times)[len(epoch_times) // 2],
            "train_steps": train_steps, "val_ap": config["validation"]["frame"]["ap"],
            "peak_rss_mb": peak_rss_mb()}


def measure_poc_frames_per_s(sample: int = 64) -> dict:
    """ResNet18 (fp32, 224 px, batch 32) forward over frames: the PoC's per-epoch work."""
    import torch

    from gdm_features.backbones import get_backbone

    net = get_backbone("resnet18").build("none")
    x = torch.randn(32, 3, 224, 224)
    with torch.inference_mode():
        net(x)
        start = time.perf_counter()
        for _ in range(sample // 32):
            net(x)
    return {"frames_per_s": (sample // 32 * 32) / (time.perf_counter() - start)}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=4.5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("bench_results/train.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        features, labels = make_cache(Path(tmp), args.hours)
        build_s = time.perf_counter() - t0
        size_mb = features.stat().st_size / 2**20
        result = in_fresh_process(measure_training, str(features), str(labels), args.epochs, str(Path(tmp) / "head.pt"))
    poc = in_fresh_process(measure_poc_frames_per_s)
    poc_epoch_s = result["train_steps"] / poc["frames_per_s"]
    ratio = poc_epoch_s / result["epoch_s_median"]
    machine = benchkit_machine()
    report = {"machine": machine, "hours": args.hours, "steps": int(args.hours * 3600 * FPS), "cache_mb": size_mb,
              "cache_build_s": build_s, **result, "poc_resnet18_frames_per_s": poc["frames_per_s"],
              "poc_epoch_s_extrapolated": poc_epoch_s, "speedup_per_epoch": ratio}
    print(f"synthetic {args.hours:g} h cache: {report['steps']} steps x (512 + 128 + 65), {size_mb:.0f} MB; "
          f"{machine['cpus']} CPUs, torch {machine['torch']}")
    print(f"{'epochs':>7}{'s/epoch':>9}{'wall s':>8}{'peak RSS MB':>12}{'val AP':>8}"
          f"{'PoC s/epoch':>13}{'speed-up':>10}")
    print(f"{result['epochs']:>7}{result['epoch_s_median']:>9.2f}{result['wall_s']:>8.1f}"
          f"{result['peak_rss_mb']:>12.0f}{result['val_ap']:>8.3f}{poc_epoch_s:>13.0f}{ratio:>9.0f}x")
    write_report(args.out, report)


if __name__ == "__main__":
    main()
