"""Benchmark `gdm labels align`: quality per kind of edit on real game play, and speed at scale.

Quality: a 10-minute recording of Atari Breakout with sound (ale-py; a game whose pictures
repeat) and, cut from it, one compilation per kind of edit: six shuffled clips of 6-14 s each
time, from other places. Every compilation has a 3 s title card and a 2 s end card and is
re-encoded (x264 crf 32, AAC 64 kb/s at 44.1 kHz); the kinds add, on top:
  plain       hard cuts, resized to 288x352
  channel     the edits of issue 16's report: 0.5 s crossfades, a box over a corner of every
              second clip, resized to 288x352
  letterbox   channel, letterboxed into 640x360
  crop-9:16   channel, the centre 9:16 of the picture at 360x640
  speed       channel, clips 3 and 5 played 4 % fast and 3 % slow (sound pitched with them)
  music       channel, the game sound replaced by music
  everything  letterbox + speed + music mixed over the game sound at half its level
For each: clips found (a label covering at least half of a clip), invented (a label on no
clip), the worst boundary error beyond the allowance (0.4 s, 0.5 s more inside a crossfade),
and which evidence found the clips; with sound and picture, and picture alone (the previous
aligner) for comparison.

Speed: a 20-minute compilation against a 10-hour stream on cached features (synthetic caches
of the real sizes: 512-d embeddings and 128-column motion blocks at 5 fps, and sound prints with
ten band onsets a second, as Breakout has).

    python tools/bench_align.py [--minutes 10] [--seed 3] [--game Breakout] [--skip-quality]
                                [--out bench_results/align.json]
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
sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))  # the compilation factory

from benchkit import in_fresh_process, media_dir, peak_rss_mb, write_report  # noqa: E402
from benchkit import machine as benchkit_machine  # noqa: E402

FPS, DIM, MOTION, PICTURE = 5.0, 512, 128, 1024
FEATURES = dict(backbone="efficientnet_lite0", progress=False)


def kinds():
    from compilation_factory import Edits

    channel = dict(overlay_every=2, size=(288, 352), crossfade_s=0.5)
    return {
        "plain": Edits(crossfade_s=0.0, size=(288, 352)),
        "channel": Edits(**channel),
        "letterbox": Edits(**{**channel, "size": (360, 640)}, layout="letterbox"),
        "crop-9:16": Edits(**{**channel, "size": (640, 360)}, layout="crop916"),
        "speed": Edits(**channel, speeds={2: 1.04, 4: 0.97}),
        "music": Edits(**channel, game_sound=False, music=0.5),
        "everything": Edits(**{**channel, "size": (360, 640)}, layout="letterbox", speeds={2: 1.04, 4: 0.97},
                            music=0.5),
    }


def cuts_for(seed: int, minutes: float) -> list[tuple[float, float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    starts = np.sort(rng.choice(np.arange(10, minutes * 60 - 20, 20), 6, replace=False))
    cuts = [(float(s), float(s + rng.uniform(6, 14))) for s in starts]
    return [cuts[i] for i in rng.permutation(6)]


def score(labels, placed) -> dict:
    def overlap(a0, a1, b0, b1):
        return max(0.0, min(a1, b1) - max(a0, b0))

    found, worst = 0, 0.0
    for clip in placed:
        hits = [iv for iv in labels if overlap(iv.start, iv.end, clip.source_start, clip.source_end)
                >= 0.5 * (clip.source_end - clip.source_start)]
        if hits:
            found += 1
            hit = hits[0]
            worst = max(worst, abs(hit.start - clip.source_start) - 0.4 - (0.5 if clip.fade_in else 0.0),
                        abs(hit.end - clip.source_end) - 0.4 - (0.5 if clip.fade_out else 0.0))
    invented = sum(not any(overlap(iv.start, iv.end, c.source_start, c.source_end) >= 0.5 * iv.duration
                           for c in placed) for iv in labels)
    return {"clips": len(placed), "found": found, "invented": invented, "worst_excess_s": round(max(worst, 0.0), 2)}


def quality(minutes: float, seed: int = 3, game: str = "Breakout") -> dict:
    from compilation_factory import make_edited_compilation, placements
    from gdm_features import FeatureFile, extract
    from gdm_temporal.app.demo.atari import record_breakout, record_game
    from gdm_temporal.labels.align import align, labels_from
    from gdm_temporal.labels.audio_print import PrintIndex
    from gdm_temporal.labels.sound_cache import sound_print

    root = media_dir() / "align"
    root.mkdir(exist_ok=True)
    cache = root / "cache"
    seed_tag = "" if seed == 3 else f"_seed{seed}"
    tag = seed_tag + ("" if game == "Breakout" else f"_{game.lower()}")
    stream = root / f"{game.lower()}_{int(minutes)}min{seed_tag}.mp4"
    if not stream.exists() and game == "Breakout":
        record_breakout(stream, minutes * 60, seed=seed, progress=False, varied_aim=True)
    elif not stream.exists():
        record_game(game, stream, minutes * 60, seed=seed, progress=False)
    s = FeatureFile(extract(stream, cache_dir=cache, **FEATURES))
    index = PrintIndex.of(sound_print(stream, cache))
    rows = {}
    for k, (kind, edits) in enumerate(kinds().items()):
        video = root / f"comp_{kind.replace(':', '')}{tag}.mp4"
        cuts = cuts_for(20 + k + 100 * (seed - 3), minutes)
        # Rendering a compilation takes minutes: one made from the same recording, cuts and edits is reused.
        spec = repr((stream.stat().st_size, cuts, edits))
        made = video.with_suffix(".spec")
        if video.exists() and made.exists() and made.read_text() == spec:
            placed = placements(cuts, edits)
        else:
            placed = make_edited_compilation(stream, cuts, video, edits)
            made.write_text(spec)
        c = FeatureFile(extract(video, cache_dir=cache, **FEATURES))
        started = time.perf_counter()
        pieces = align(s, c, stream_sound=index, compilation_sound=sound_print(video, cache))
        seconds = time.perf_counter() - started
        row = score(labels_from(pieces), placed)
        row["evidence"] = sorted({p.evidence for p in pieces if p.status == "match"})
        row["align_s"] = round(seconds, 2)
        row["picture_only"] = score(labels_from(align(s, c)), placed)
        rows[kind] = row
    return rows


def make_caches(directory: Path, stream_hours: float, minutes: float, seed: int = 0):
    """Synthetic stream and compilation caches and sound prints: clips of 15 s copied (with
    noise) from random places of the stream, between 3 s title cards."""
    import numpy as np

    from gdm_features.store import FeatureWriter
    from gdm_temporal.labels.audio_print import FRAME_S, Onsets

    def writer(path: Path, name: str) -> FeatureWriter:
        identity = {"fps": FPS, "backbone": "resnet18", "weights": "IMAGENET1K_V1", "input_size": [224, 224],
                    "audio": json.dumps({"n_mels": 64, "present": False}), "preprocessing": "{}",
                    "source_fingerprint": name}
        return FeatureWriter(path, identity, {"source": name},
                             {"visual": DIM, "motion": MOTION, "audio": 0, "picture": PICTURE}, 256)

    rng = np.random.default_rng(seed)
    n = int(stream_hours * 3600 * FPS)
    base = rng.normal(size=DIM).astype(np.float32)
    state = rng.normal(size=DIM).astype(np.float32)
    clip_len, n_clips = int(15 * FPS), int(minutes * 60 / 18)
    starts = np.sort(rng.choice(np.arange(0, n - clip_len, clip_len), size=n_clips, replace=False))
    wanted = {int(s) + k for s in starts for k in range(clip_len)}
    keep, keep_motion, keep_picture = {}, {}, {}
    moving = rng.normal(size=MOTION // 2).astype(np.float32)
    screen = rng.normal(size=PICTURE).astype(np.float32)
    with writer(directory / "stream.h5", "stream") as w:
        for first in range(0, n, 8192):
            m = min(8192, n - first)
            rows = np.empty((m, DIM), np.float32)
            motion = np.empty((m, MOTION), np.float32)
            pictures = np.empty((m, PICTURE), np.uint8)
            for k in range(m):
                state = 0.97 * state + 0.25 * rng.normal(size=DIM).astype(np.float32)
                rows[k] = base + state
                moving = 0.8 * moving + 0.6 * rng.normal(size=MOTION // 2).astype(np.float32)
                motion[k] = np.r_[np.exp(moving), 2 * np.exp(moving)]  # grey-level change per cell: mean, largest
                screen = 0.97 * screen + 0.25 * rng.normal(size=PICTURE).astype(np.float32)
                pictures[k] = np.clip(100 + 40 * screen, 0, 255)
                if first + k in wanted:
                    keep[first + k], keep_motion[first + k] = rows[k].copy(), motion[k].copy()
                    keep_picture[first + k] = pictures[k].copy()
            w.append(rows.astype(np.float16), motion.astype(np.float16), np.zeros((m, 0), np.float16),
                     np.arange(first, first + m) / FPS, np.ones(m, bool), pictures)
        w.finish({"duration_s": n / FPS})
    seconds = n / FPS
    onset_t = np.sort(rng.uniform(0, seconds, int(seconds * 10)))  # Breakout: 10 band onsets a second
    onset_b = rng.integers(0, 4, len(onset_t))
    rows, motion_rows, picture_rows, truth, comp_t, comp_b = [], [], [], [], [], []
    title = int(3 * FPS)
    for index in rng.permutation(n_clips):
        card = base + rng.normal(size=DIM).astype(np.float32) * 2
        rows += [card] * title  # a still card
        motion_rows += [np.zeros(MOTION, np.float32)] * title
        picture_rows += [np.full(PICTURE, 77, np.uint8)] * title
        start = int(starts[index])
        at = len(rows) / FPS
        truth.append({"stream_start": start / FPS, "stream_end": (start + clip_len) / FPS})
        rows += [keep[start + k] + 0.3 * rng.normal(size=DIM).astype(np.float32) for k in range(clip_len)]
        motion_rows += [keep_motion[start + k] * rng.uniform(0.8, 1.2, MOTION).astype(np.float32)
                        for k in range(clip_len)]
        picture_rows += [np.clip(keep_picture[start + k] + rng.normal(0, 6, PICTURE), 0, 255).astype(np.uint8)
                         for k in range(clip_len)]
        inside = (onset_t >= start / FPS) & (onset_t < (start + clip_len) / FPS)
        comp_t += list(at + onset_t[inside] - start / FPS)
        comp_b += list(onset_b[inside])
    with writer(directory / "compilation.h5", "compilation") as w:
        data = np.stack(rows)
        none = np.zeros((len(data), 0), np.float16)
        w.append(data.astype(np.float16), np.stack(motion_rows).astype(np.float16), none, np.arange(len(data)) / FPS,
                 np.ones(len(data), bool), np.stack(picture_rows))
        w.finish({"duration_s": len(data) / FPS})
    stream_print = Onsets(np.round(onset_t / FRAME_S), onset_b, seconds)
    order = np.argsort(comp_t, kind="stable")
    comp_print = Onsets(np.round(np.array(comp_t)[order] / FRAME_S), np.array(comp_b)[order], len(rows) / FPS)
    np.savez(directory / "prints.npz", sf=stream_print.frames, sb=stream_print.bands, ss=seconds,
             cf=comp_print.frames, cb=comp_print.bands, cs=comp_print.seconds)
    return truth


def speed(directory: str, truth: list) -> dict:
    import numpy as np

    from gdm_features import FeatureFile
    from gdm_temporal.labels.align import align, labels_from
    from gdm_temporal.labels.audio_print import Onsets, PrintIndex

    d = Path(directory)
    with np.load(d / "prints.npz") as p:
        stream_print = Onsets(p["sf"], p["sb"], float(p["ss"]))
        comp_print = Onsets(p["cf"], p["cb"], float(p["cs"]))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with FeatureFile(d / "stream.h5") as s, FeatureFile(d / "compilation.h5") as c:
        pieces = align(s, c, stream_sound=PrintIndex.of(stream_print), compilation_sound=comp_print)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    labels = labels_from(pieces)
    found = sum(any(iv.start < t["stream_end"] and t["stream_start"] < iv.end for iv in labels) for t in truth)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak_rss_mb()),
            "clips": len(truth), "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the Breakout recording")
    parser.add_argument("--stream-hours", type=float, default=10.0)
    parser.add_argument("--compilation-minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=3, help="another recording and other cuts (3: the README's)")
    parser.add_argument("--game", default="Breakout", help="another ALE game, played by a random player")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench_results/align.json"))
    args = parser.parse_args()
    report = {"machine": benchkit_machine(), "seed": args.seed, "game": args.game}
    if not args.skip_quality:
        rows = in_fresh_process(quality, args.minutes, args.seed, args.game)
        report["quality"] = rows
        print(f"align: 6 clips per compilation cut from {args.minutes:g} min of Atari {args.game} with sound "
              f"(seed {args.seed})")
        print(f"{'edit':<12}{'found':>7}{'invented':>10}{'worst s':>9}  {'picture only':>13}  evidence")
        for kind, r in rows.items():
            p = r["picture_only"]
            print(f"{kind:<12}{r['found']:>5}/{r['clips']}{r['invented']:>10}{r['worst_excess_s']:>9.2f}  "
                  f"{p['found']:>6}/{p['clips']} ({p['invented']} inv)  {', '.join(r['evidence']) or '-'}")
    with tempfile.TemporaryDirectory() as tmp:
        truth = make_caches(Path(tmp), args.stream_hours, args.compilation_minutes)
        result = in_fresh_process(speed, tmp, truth)
    report["speed"] = {"stream_hours": args.stream_hours, "compilation_minutes": args.compilation_minutes, **result}
    print(f"speed: a {args.compilation_minutes:g} min compilation against a {args.stream_hours:g} h stream, "
          f"cached features and sound prints, {os.cpu_count()} CPUs: {result['wall_s']} s wall, "
          f"{result['cpu_s']} s CPU, peak {result['peak_rss_mb']} MB, {result['found']}/{result['clips']} clips")
    write_report(args.out, report)


if __name__ == "__main__":
    main()
