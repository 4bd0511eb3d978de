"""Benchmark the head's fusion and the cold start on real game play held out of development.

Per Atari game (ale-py, with sound; highlights from the game itself: lost lives, game over,
rewards far above the game's usual): three play-throughs with their own seeds (train, val,
test), extracted once with efficientnet_lite0 by `gdm extract`. Then, with the product's own
commands, three heads on the same cached features: fused (picture and sound), visual only
(`gdm train --modalities visual`, as for a muted stream) and audio only; each evaluated on
the test play-through with `gdm evaluate` (frame AP, event F1). The fused head is also
evaluated with its sound taken away (`gdm evaluate --modalities visual`: the muted stream it
will meet). Cold start: `gdm score` without a head at a budget equal to the test stream's
labelled time, against auto-editor's loudness measure and random windows at the same budget.
(The clips in ../shared/media/ carry no labels, so they cannot score a head; they are used
where no labels are needed: extraction and alignment tests.)

    python tools/bench_heads.py [--games SpaceInvaders MsPacman Asteroids Seaquest DemonAttack]
                                [--minutes 10 5 10] [--out bench_results/heads.json]

Recordings and features are kept in ~/.cache/gdm-bench-media/heads (a rerun only trains).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import machine, media_dir, write_report  # noqa: E402

GDM = str(Path(sys.executable).with_name("gdm"))
BACKBONE = ["--backbone", "efficientnet_lite0"]
SPLITS = ("train", "val", "test")
VARIANTS = {"fused": "visual,audio", "visual only": "visual", "audio only": "audio"}
WINDOW_S = 2.0  # the baselines rank windows of this length


def seed_for(game: str, split: str) -> int:
    return int(hashlib.sha256(f"{game}/{split}".encode()).hexdigest()[:8], 16)


def prepare(game: str, minutes: dict[str, float], root: Path) -> Path:
    """Record (once) the game's three play-throughs with labels, extract them, write a manifest."""
    from gdm_temporal.app.demo.atari import record_game
    from gdm_temporal.labels.formats import save_labels

    folder = root / game
    folder.mkdir(parents=True, exist_ok=True)
    videos = []
    for split in SPLITS:
        stem = f"{split}-{minutes[split]:g}min-{seed_for(game, split)}"
        video, labels = folder / f"{stem}.mp4", folder / f"{stem}.labels.json"
        if not labels.exists():
            recording = record_game(game, video, minutes[split] * 60, seed_for(game, split), progress=False)
            save_labels(recording.highlights, labels, source=f"ale-py {game}")
            print(f"  {game} {split}: {len(recording.highlights)} highlights ({recording.lives_lost} lives lost, "
                  f"{recording.games} games, {recording.big_rewards} big rewards) in {minutes[split]:g} min")
        videos.append((video, labels, split))
    subprocess.run([GDM, "extract", *[str(v) for v, _, _ in videos], *BACKBONE, "--cache-dir", str(root / "cache"),
                    "--quiet"], check=True)
    manifest = folder / "manifest.csv"
    manifest.write_text("video,labels,split\n" + "".join(f"{v.name},{lab.name},{s}\n" for v, lab, s in videos))
    return manifest


def evaluate(head: Path, manifest: Path, cache: Path, modalities: str | None = None) -> dict:
    args = [GDM, "evaluate", str(head), str(manifest), "--json", "--quiet", "--cache-dir", str(cache)]
    if modalities:
        args += ["--modalities", modalities]
    result = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return {"ap": result["frame"]["ap"], "event_f1": result["event"]["f1"]}


def train_variants(manifest: Path, cache: Path, work: Path) -> dict:
    out = {}
    for name, modalities in VARIANTS.items():
        head = work / f"{manifest.parent.name}-{modalities.replace(',', '+')}.pt"
        started = time.perf_counter()
        subprocess.run([GDM, "train", str(manifest), "-o", str(head), "--modalities", modalities, "--quiet",
                        "--cache-dir", str(cache)], check=True, capture_output=True)
        out[name] = {**evaluate(head, manifest, cache), "train_s": round(time.perf_counter() - started, 1)}
        if name == "fused":
            out["fused, sound taken away"] = evaluate(head, manifest, cache, "visual")
    return out


def loudness_per_frame(video: Path, fps: float = 30.0) -> np.ndarray:
    """auto-editor's loudness measure, reimplemented (its PyPI wheel fetches a binary at first
    run, so it cannot run offline): per video frame (its timebase, 30 fps here), the largest
    absolute sample of the frame's audio, divided by the largest of the whole file."""
    from gdm_features.audio_source import iter_mono_blocks

    rate = 48000  # a whole number of samples per frame at 30 fps
    per_frame = rate // int(fps)
    samples = np.concatenate([np.zeros(0, np.float32), *iter_mono_blocks(video, rate)])
    n = len(samples) // per_frame
    values = np.abs(samples[:n * per_frame]).reshape(n, per_frame).max(axis=1)
    return values / max(float(values.max(initial=0.0)), 1e-9)


def windows_at_budget(values: np.ndarray, fps: float, budget_s: float) -> list:
    """Non-overlapping WINDOW_S windows ranked by mean value, best first, up to the budget."""
    from gdm_temporal.timeline.intervals import Interval

    per = int(round(WINDOW_S * fps))
    n = len(values) // per
    means = values[:n * per].reshape(n, per).mean(axis=1)
    chosen = np.argsort(-means, kind="stable")[:int(budget_s // WINDOW_S)]
    return [Interval(k * WINDOW_S, (k + 1) * WINDOW_S) for k in sorted(chosen)]


def recall(truth: list, segments: list) -> float:
    from gdm_temporal.timeline.metrics import event_counts

    counts = event_counts(truth, segments)
    return counts["found"] / max(counts["labelled"], 1)


def cold_start(manifest: Path, cache: Path, work: Path) -> dict:
    from gdm_temporal.highlights.exports import SegmentsDoc
    from gdm_temporal.labels.formats import load_labels

    video = manifest.parent / next(line.split(",")[0] for line in manifest.read_text().splitlines()
                                   if line.endswith(",test"))
    truth = load_labels(video.with_name(video.stem + ".labels.json"))
    budget = sum(iv.duration for iv in truth)
    out = work / f"{manifest.parent.name}-cold"
    subprocess.run([GDM, "score", str(video), "-o", str(out), "--budget", f"{budget:.1f}s", "--cache-dir", str(cache),
                    "--quiet"], check=True, capture_output=True)
    doc = SegmentsDoc.load(out / f"{video.stem}.segments.json")
    loud = loudness_per_frame(video)
    rng = np.random.default_rng(0)
    random_recalls = [recall(truth, windows_at_budget(rng.random(len(loud)), 30.0, budget)) for _ in range(20)]
    # The stream's opening: seconds of budget spent there on no highlight (running baselines
    # that start cold would put the budget here).
    early = sum(min(s.end, 20.0) - s.start for s in doc.segments
                if s.start < 20.0 and not any(iv.start < s.end and s.start < iv.end for iv in truth))
    return {"highlights": len(truth), "budget_s": round(budget, 1), "cold_start": recall(truth, doc.segments),
            "loudness": recall(truth, windows_at_budget(loud, 30.0, budget)),
            "random": float(np.mean(random_recalls)), "cold_start_s_in_first_20s_off_highlights": round(early, 1),
            "cold_start_segments": len(doc.segments)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", nargs="+", default=["SpaceInvaders", "MsPacman", "Asteroids", "Seaquest", "DemonAttack"])
    parser.add_argument("--minutes", nargs=3, type=float, default=[10, 5, 10], metavar=("TRAIN", "VAL", "TEST"))
    parser.add_argument("--out", type=Path, default=Path("bench_results/heads.json"))
    args = parser.parse_args()
    root = media_dir() / "heads"
    cache = root / "cache"
    work = Path(tempfile.mkdtemp(prefix="gdm-bench-heads-"))
    minutes = dict(zip(SPLITS, args.minutes))
    results = {}
    for game in args.games:
        print(f"{game}: recording and extracting (once) ...", flush=True)
        manifest = prepare(game, minutes, root)
        results[game] = {"heads": train_variants(manifest, cache, work), "cold": cold_start(manifest, cache, work)}
        print(f"{game}: {json.dumps(results[game])}", flush=True)

    variants = list(next(iter(results.values()))["heads"])
    print(f"\n{'game':<16}" + "".join(f"{v:>26}" for v in variants))
    for game, r in results.items():
        print(f"{game:<16}" + "".join(f"{r['heads'][v]['ap']:>14.3f} AP {r['heads'][v]['event_f1']:>5.3f} F1"
                                      for v in variants))
    means = {v: {k: float(np.mean([r["heads"][v][k] for r in results.values()])) for k in ("ap", "event_f1")}
             for v in variants}
    print(f"{'mean':<16}" + "".join(f"{means[v]['ap']:>14.3f} AP {means[v]['event_f1']:>5.3f} F1" for v in variants))
    print(f"\n{'game':<16}{'cold start':>12}{'loudness':>10}{'random':>8}{'budget s':>10}{'0-20 s, no highlight':>22}")
    for game, r in results.items():
        c = r["cold"]
        print(f"{game:<16}{c['cold_start']:>12.2f}{c['loudness']:>10.2f}{c['random']:>8.2f}{c['budget_s']:>10.1f}"
              f"{c['cold_start_s_in_first_20s_off_highlights']:>22.1f}")
    cold_means = {k: float(np.mean([r["cold"][k] for r in results.values()])) for k in ("cold_start", "loudness", "random")}
    print(f"{'mean':<16}{cold_means['cold_start']:>12.2f}{cold_means['loudness']:>10.2f}{cold_means['random']:>8.2f}")
    write_report(args.out, {"machine": machine(), "minutes": minutes, "games": results, "means": means,
                            "cold_means": cold_means})


if __name__ == "__main__":
    main()
