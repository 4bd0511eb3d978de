"""Benchmark stage one: decode-only, backbone-only and end-to-end extraction speed.

Generates a 360p30 and a 1080p60 H.264+AAC clip (FFmpeg's testsrc2 pattern and a tone),
then measures, each in a fresh process so peak RSS is its own:
  decode   steps/s of the decoder stage alone (decode + sample + scale to the input size)
  backbone images/s of the backbone alone on input-size batches
  e2e      steps/s of `gdm_features.extract` (threaded pipeline, audio, HDF5 writes)
and the ratio e2e / min(decode, backbone): how well the pipeline hides the faster stage.
Also the relative error of reduced precision against fp32 on real frames of the clip.

    python tools/bench_extract.py [--backbone resnet18] [--seconds 60] [--out bench_results/extract.json]

ResNet18 runs with seeded random weights when its ImageNet file is absent: the same
arithmetic, so the same speed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import in_fresh_process, media_dir, peak_rss_mb, write_report  # noqa: E402
from benchkit import machine as benchkit_machine  # noqa: E402

# name: (width, height, frame rate, default seconds); long enough that start-up (imports,
# model load) is a small share, as it is for a real multi-hour stream.
CLIPS = {"360p30": (640, 360, 30, 120.0), "1080p60": (1920, 1080, 60, 60.0)}


def make_clip(path: Path, width: int, height: int, rate: int, seconds: float) -> Path:
    """testsrc2 (moving pattern, counters) + a 1 kHz tone, x264 'veryfast' like a stream VOD."""
    import av

    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.mp4")
    src = av.open(f"testsrc2=size={width}x{height}:rate={rate}:duration={seconds}", format="lavfi")
    tone = av.open(f"sine=frequency=1000:sample_rate=48000:duration={seconds}", format="lavfi")
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "23"})
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        a = out.add_stream("aac", rate=48000, layout="mono")
        for frame in tone.decode(audio=0):
            out.mux(a.encode(frame))
        out.mux(a.encode())
        for index, frame in enumerate(src.decode(video=0)):
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, rate)
            out.mux(v.encode(frame))
        out.mux(v.encode())
    tmp.replace(path)
    return path


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_decode(video: str, fps: float, size: int) -> dict:
    from gdm_features.media import probe
    from gdm_features.video_source import iter_video_steps

    info = probe(video)
    start, cpu = time.perf_counter(), _cpu_seconds()
    n = sum(1 for _ in iter_video_steps(info, fps, (size, size)))
    return {"steps": n, "seconds": time.perf_counter() - start, "cpu_s_per_step": (_cpu_seconds() - cpu) / n,
            "peak_rss_mb": peak_rss_mb()}


def measure_backbone(backbone: str, weights: str, precision: str, size: int, batch: int, n: int) -> dict:
    import torch

    from gdm_features.backbones import Embedder, get_backbone, resolve_device, resolve_precision

    spec = get_backbone(backbone)
    device = resolve_device("auto")
    precision = resolve_precision(precision, spec, device)
    embed = Embedder(spec, weights, device, precision)
    frames = torch.randint(0, 256, (batch, size, size, 3), dtype=torch.uint8)
    embed(frames)  # warm-up
    start, cpu = time.perf_counter(), _cpu_seconds()
    for _ in range(n // batch):
        embed(frames)
    images = n // batch * batch
    return {"images": images, "seconds": time.perf_counter() - start,
            "cpu_s_per_image": (_cpu_seconds() - cpu) / images,
            "precision": precision, "device": device.type, "peak_rss_mb": peak_rss_mb()}


def measure_e2e(video: str, backbone: str, weights: str, fps: float, size: int) -> dict:
    from gdm_features import extract, read

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        path = extract(video, backbone=backbone, weights=weights, fps=fps, input_size=(size, size),
                       cache_dir=cache, progress=False)
        seconds = time.perf_counter() - start
        n = len(read(path, 0, 10**9).time)
    return {"steps": n, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def measure_precision_error(video: str, backbone: str, weights: str, size: int) -> dict:
    """Relative L2 error of bf16 embeddings vs fp32 on 64 real frames of the clip."""
    import numpy as np
    import torch

    from gdm_features.backbones import Embedder, get_backbone
    from gdm_features.media import probe
    from gdm_features.video_source import iter_video_steps

    frames = [s.rgb for s, _ in zip(iter_video_steps(probe(video), 5.0, (size, size)), range(64))]
    batch = torch.from_numpy(np.stack(frames))
    spec = get_backbone(backbone)
    ref = Embedder(spec, weights, torch.device("cpu"), "fp32")(batch)
    low = Embedder(spec, weights, torch.device("cpu"), "bf16")(batch)
    return {"bf16_rel_err_max": float(((low - ref).norm(dim=1) / ref.norm(dim=1)).max())}



def weights_for(backbone: str) -> str:
    from gdm_features import GdmError
    from gdm_features.backbones import get_backbone

    spec = get_backbone(backbone)
    try:
        spec.build()
        return spec.default_weights
    except GdmError:
        return "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--seconds", type=float, default=None, help="length of each generated clip")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--clips", default="360p30,1080p60")
    parser.add_argument("--media-dir", type=Path, default=None, help="where generated clips are kept "
                        "(default: ~/.cache/gdm-bench-media)")
    parser.add_argument("--out", type=Path, default=Path("bench_results/extract.json"))
    args = parser.parse_args()

    args.media_dir = args.media_dir or media_dir()
    args.media_dir.mkdir(parents=True, exist_ok=True)
    weights = weights_for(args.backbone)

    machine = benchkit_machine()
    rows = []
    for name in args.clips.split(","):
        width, height, rate, default_seconds = CLIPS[name]
        seconds = args.seconds or default_seconds
        video = str(make_clip(args.media_dir / f"bench_{name}_{int(seconds)}s.mp4", width, height, rate, seconds))
        dec = in_fresh_process(measure_decode, video, args.fps, args.input_size)
        bb = in_fresh_process(measure_backbone, args.backbone, weights, "auto", args.input_size, 32, 256)
        e2e = in_fresh_process(measure_e2e, video, args.backbone, weights, args.fps, args.input_size)
        decode_rate = dec["steps"] / dec["seconds"]
        backbone_rate = bb["images"] / bb["seconds"]
        e2e_rate = e2e["steps"] / e2e["seconds"]
        # Both stages use every core, so sharing the cores caps e2e at cores / (CPU per step
        # of decoding + CPU per image of the backbone): the best any overlap can do.
        cores = os.cpu_count() or 1
        shared_bound = cores / (dec["cpu_s_per_step"] + bb["cpu_s_per_image"]) if bb["device"] == "cpu" else None
        rows.append({"clip": name, "seconds_of_video": seconds, "backbone": args.backbone,
                     "weights": weights, "device": bb["device"], "precision": bb["precision"],
                     "decode_steps_per_s": decode_rate, "backbone_images_per_s": backbone_rate,
                     "e2e_steps_per_s": e2e_rate, "x_realtime": e2e_rate / args.fps,
                     "e2e_over_slower_stage": e2e_rate / min(decode_rate, backbone_rate),
                     "cpu_ms_per_step": {"decode": dec["cpu_s_per_step"] * 1e3,
                                         "backbone": bb["cpu_s_per_image"] * 1e3},
                     "shared_core_bound_steps_per_s": shared_bound,
                     "e2e_over_shared_core_bound": e2e_rate / shared_bound if shared_bound else None,
                     "peak_rss_mb": {"decode": dec["peak_rss_mb"], "backbone": bb["peak_rss_mb"],
                                     "e2e": e2e["peak_rss_mb"]},
                     "hours_of_stream_per_hour": e2e_rate / args.fps})
    precision = {bb: in_fresh_process(measure_precision_error, video, bb, weights_for(bb), args.input_size)
                 for bb in ("resnet18", "efficientnet_lite0")}

    header = f"{'clip':<9}{'decode st/s':>12}{'backbone im/s':>14}{'e2e st/s':>10}{'x realtime':>11}" \
             f"{'e2e/slower':>11}{'bound st/s':>11}{'e2e/bound':>10}{'peak RSS MB':>12}"
    print(f"backbone {args.backbone} (weights {weights}), {rows[0]['device']}, {rows[0]['precision']}, "
          f"input {args.input_size}px, {args.fps:g} fps, {machine['cpus']} CPUs")
    print(header)
    for r in rows:
        print(f"{r['clip']:<9}{r['decode_steps_per_s']:>12.1f}{r['backbone_images_per_s']:>14.1f}"
              f"{r['e2e_steps_per_s']:>10.1f}{r['x_realtime']:>11.1f}{r['e2e_over_slower_stage']:>11.2f}"
              f"{r['shared_core_bound_steps_per_s'] or float('nan'):>11.1f}"
              f"{r['e2e_over_shared_core_bound'] or float('nan'):>10.2f}{r['peak_rss_mb']['e2e']:>12.0f}")
    for bb, p in precision.items():
        print(f"bf16 vs fp32 on real frames, {bb}: max relative error {p['bf16_rel_err_max']:.4f}")
    write_report(args.out, {"machine": machine, "rows": rows, "precision_check": precision})


if __name__ == "__main__":
    main()
