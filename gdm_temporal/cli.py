"""Stage-two commands on the `gdm` group: labels, train, evaluate. The console script's entry."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from gdm_features.cli import _parse_size, gdm, user_errors
from gdm_features.errors import GdmError


def extract_options(backbone: str, weights: str | None, fps: float, input_size: str, device: str,
                    cache_dir: Path | None) -> dict:
    return {"backbone": backbone, "weights": weights, "fps": fps, "input_size": _parse_size(input_size),
            "device": device, "cache_dir": cache_dir}


def _feature_options(func):
    """The extraction flags, for commands that may have to extract videos first."""
    for option in reversed([
        click.option("--backbone", default="resnet18", show_default=True, help="Backbone for videos not yet extracted."),
        click.option("--weights", default=None, help="Backbone weights id ('none': random, tests only)."),
        click.option("--fps", default=5.0, show_default=True, type=float),
        click.option("--input-size", default="224", show_default=True),
        click.option("--cache-dir", default=None, type=click.Path(file_okay=False, path_type=Path)),
    ]):
        func = option(func)
    return func


@gdm.group()
def labels() -> None:
    """Import and inspect highlight labels."""


@labels.command("import")
@click.argument("src")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--export-fps", default=5.0, show_default=True, type=float,
              help="Frame rate of a Scalabel export (frame k is at k / export-fps).")
@user_errors
def labels_import(src, output, export_fps):
    """Convert a Scalabel export, CSV or JSON label file to gdm's labels JSON."""
    from .labels import load_labels, save_labels, summarize

    intervals = load_labels(src, export_fps=export_fps)
    save_labels(intervals, output, source=str(Path(src).name))
    s = summarize(intervals)
    click.echo(f"{output}: {s.count} highlights, {s.total_s:.1f} s in total")


@labels.command("show")
@click.argument("labels_file")
@click.option("--features", default=None, help="The stream's feature file, for its duration.")
@user_errors
def labels_show(labels_file, features):
    """Count, durations, share of the stream, overlaps, intervals outside the stream."""
    from gdm_features import FeatureFile
    from gdm_features.timebase import format_timecode

    from .labels import load_labels, summarize

    intervals = load_labels(labels_file)
    stream_s = None
    if features:
        with FeatureFile(features) as f:
            stream_s = float(f.attrs.get("duration_s", f.n_steps / f.fps))
    s = summarize(intervals, stream_s)
    click.echo(f"{labels_file}: {s.count} highlights")
    click.echo(f"  total          {format_timecode(s.total_s)} ({s.total_s:.1f} s)")
    click.echo(f"  mean           {s.mean_s:.1f} s")
    if s.stream_s is not None:
        click.echo(f"  stream         {format_timecode(s.stream_s)}; highlights are {100 * s.share_of_stream:.1f} %")
        click.echo(f"  outside stream {s.outside_stream}")
    click.echo(f"  overlapping    {s.overlapping_pairs} pairs")
    for iv in sorted(intervals):
        flag = "  (outside the stream)" if s.stream_s is not None and iv.end > s.stream_s + 1e-6 else ""
        click.echo(f"  {format_timecode(iv.start)} - {format_timecode(iv.end)}  {iv.duration:6.1f} s{flag}")


@labels.command("align")
@click.argument("stream")
@click.argument("compilation")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Labels JSON (stream seconds) of the confident matches.")
@click.option("--report", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON report: every piece of the compilation, its match, similarity, confidence.")
@click.option("--device", default="auto", show_default=True)
@click.option("--quiet", is_flag=True)
@_feature_options
@user_errors
def labels_align(stream, compilation, output, report, device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Label STREAM from a highlight COMPILATION made of it: find where each clip came from."""
    from gdm_features.timebase import format_timecode

    from .align import align, labels_from
    from .data import features_for, feature_identity
    from .labels import save_labels
    from gdm_features.files import write_atomically

    options = extract_options(backbone, weights, fps, input_size, device, cache_dir)
    with features_for(Path(stream), options, not quiet) as s, features_for(Path(compilation), options, not quiet) as c:
        if feature_identity(s.attrs) != feature_identity(c.attrs):
            raise GdmError("the stream and the compilation have features made with different settings; "
                           "give videos, or feature files from the same backbone and fps")
        from tqdm import tqdm

        with tqdm(total=s.n_steps, unit="step", desc="aligning", disable=quiet, file=sys.stderr) as bar:
            pieces = align(s, c, progress=lambda done, total: bar.update(done - bar.n))
    intervals = labels_from(pieces)
    save_labels(intervals, output, source=Path(stream).name)
    if report:
        write_atomically(report, json.dumps({"stream": str(stream), "compilation": str(compilation),
                                             "pieces": [p.to_json() for p in pieces]}, indent=2))
    for p in pieces:
        where = (f"-> stream {format_timecode(p.stream_start)} - {format_timecode(p.stream_end)}  "
                 f"similarity {p.similarity:.2f}" if p.stream_start is not None else "")
        click.echo(f"  {format_timecode(p.start)} - {format_timecode(p.end)}  {p.status:<15}{where}", err=True)
    flagged = sum(p.status == "low confidence" for p in pieces)
    click.echo(f"{output}: {len(intervals)} highlights" + (f"; {flagged} low-confidence pieces left out "
                                                           "(see the report)" if flagged else ""))


@gdm.command()
@click.argument("manifest")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="HEAD.pt")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--epochs", default=50, show_default=True, type=int)
@click.option("--window", default=128, show_default=True, type=int, help="Steps per training window.")
@click.option("--batch-size", default=32, show_default=True, type=int)
@click.option("--lr", default=2e-3, show_default=True, type=float)
@click.option("--patience", default=10, show_default=True, type=int)
@click.option("--hidden", default=64, show_default=True, type=int)
@click.option("--layers", default=1, show_default=True, type=int)
@click.option("--dropout", default=0.2, show_default=True, type=float)
@click.option("--unidirectional", is_flag=True, help="Causal LSTM, for streaming use.")
@click.option("--device", default="auto", show_default=True, help="auto (CUDA when present), cpu or cuda.")
@click.option("--quiet", is_flag=True)
@_feature_options
@user_errors
def train(manifest, output, seed, epochs, window, batch_size, lr, patience, hidden, layers, dropout,
          unidirectional, device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Train a highlight head on the cached features of a manifest's streams."""
    from .data import open_streams
    from .manifest import assign_regions, read_manifest
    from .train import TrainSettings, train as run_train

    rows = read_manifest(manifest)
    streams = open_streams(rows, extract_options(backbone, weights, fps, input_size, "auto", cache_dir),
                           progress=not quiet)
    regions = assign_regions(rows, [s.n_steps for s in streams])
    settings = TrainSettings(epochs=epochs, window=window, batch=batch_size, lr=lr, patience=patience, seed=seed,
                             hidden=hidden, layers=layers, dropout=dropout, bidirectional=not unidirectional,
                             device=device)
    config = run_train(streams, regions, settings, output,
                       log=(lambda *_: None) if quiet else (lambda line: click.echo(line, err=True)))
    v = config["validation"]
    click.echo(f"{output}: best epoch {config['training']['best_epoch']}, validation AP {v['frame']['ap']:.3f}, "
               f"threshold {config['threshold']:.3f}, {config['training']['seconds']:.1f} s")


def _clean(value):
    """NaN -> None, recursively, so --json prints valid JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _fmt(value) -> str:
    return "   -  " if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:6.3f}"


def metrics_table(m: dict) -> str:
    f, b, e, u = m["frame"], m["block30"], m["event"], m["budget"]
    lines = [f"{'metric':<9}{'AP':>8}{'precision':>11}{'recall':>8}{'F1':>8}   counts",
             f"{'frame':<9}{_fmt(f['ap']):>8}{_fmt(f['precision']):>11}{_fmt(f['recall']):>8}{_fmt(f['f1']):>8}"
             f"   {f['positive_steps']} of {f['steps']} steps labelled",
             f"{'block30':<9}{'':>8}{_fmt(b['precision']):>11}{_fmt(b['recall']):>8}{_fmt(b['f1']):>8}"
             f"   {b['hit']} hit, {b['predicted']} predicted, {b['positive']} positive of {b['blocks']} blocks",
             f"{'event':<9}{'':>8}{_fmt(e['precision']):>11}{_fmt(e['recall']):>8}{_fmt(e['f1']):>8}"
             f"   {e['found']} of {e['labelled']} highlights found, {e['correct']} of {e['predicted']} segments right",
             f"{'budget':<9}{'':>8}{'':>11}{_fmt(u['hit_rate']):>8}{'':>8}"
             f"   {u['hit']} of {u['labelled']} highlights in {u['used_s'] / 60:.1f} of {u['budget_s'] / 60:.1f} min"]
    return "\n".join(lines)


@gdm.command()
@click.argument("head")
@click.argument("manifest")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "val", "test", "all"]))
@click.option("--budget", "budget_per_4h", default=10.0, show_default=True, type=float,
              help="Budget metric: minutes of reel per 4 hours of stream, pro rata.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
@click.option("--cache-dir", default=None, type=click.Path(file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True)
@user_errors
def evaluate(head, manifest, split, budget_per_4h, as_json, cache_dir, quiet):
    """Frame, 30-second block, event and budget metrics of HEAD on a manifest's split."""
    from .checkpoint import check_features, extract_options_for, load_head
    from .data import WindowReader, open_streams
    from .evaluate import metrics_for, score_regions
    from .manifest import assign_regions, read_manifest
    from .segments import SegmentParams

    model, config, norm = load_head(head)
    rows = read_manifest(manifest)
    streams = open_streams(rows, extract_options_for(config) | {"cache_dir": cache_dir}, progress=not quiet)
    for stream in streams:
        check_features(config, stream.features, stream.name)
    regions = [r for r in assign_regions(rows, [s.n_steps for s in streams]) if split in ("all", r.split)]
    if not regions:
        raise GdmError(f"{manifest}: no streams or blocks in split {split!r}")
    scores = score_regions(model, WindowReader(streams, norm), regions)
    metrics = metrics_for(streams, regions, scores, SegmentParams(**config["segments"]), budget_per_4h)
    result = _clean({"head": str(head), "split": split, "threshold": config["threshold"],
                     "regions": len(regions), **metrics})
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"{head} on {manifest} ({split}: {len(regions)} streams/blocks, threshold {config['threshold']:.3f})")
        click.echo(metrics_table(metrics))


def _expand_inputs(items: tuple[str, ...], manifest: str | None) -> tuple[Path | None, list[Path]]:
    """A leading `.pt` is the head; globs expand; a manifest adds its rows' videos."""
    import glob

    from .manifest import read_manifest

    head = None
    items = list(items)
    if items and items[0].lower().endswith(".pt"):
        head = Path(items.pop(0))
    paths: list[Path] = []
    for item in items:
        if item.lower().endswith((".csv", ".jsonl")):
            paths += [row.video for row in read_manifest(item)]
        elif any(ch in item for ch in "*?["):
            matches = sorted(glob.glob(item))
            if not matches:
                raise GdmError(f"{item}: matches no file")
            paths += [Path(m) for m in matches]
        else:
            paths.append(Path(item))
    if manifest:
        paths += [row.video for row in read_manifest(manifest)]
    if not paths:
        raise GdmError("give at least one video or feature file to score")
    return head, paths


@gdm.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output-dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--manifest", default=None, help="Score every stream of a manifest too.")
@click.option("--budget", default=None, help="Keep the best segments up to this total per stream (e.g. 10m, 90s).")
@click.option("--threshold", default=None, type=float, help="Override the head's threshold.")
@click.option("--hysteresis", default=None, type=float)
@click.option("--merge-gap", default=None, type=float, help="Join segments closer than this (s).")
@click.option("--pre", default=None, type=float, help="Pad before each segment (s).")
@click.option("--post", default=None, type=float, help="Pad after each segment (s).")
@click.option("--min-len", default=None, type=float, help="Drop shorter segments (s).")
@click.option("--max-len", default=None, type=float, help="Trim longer segments around their peak (s).")
@click.option("--device", default="auto", show_default=True)
@click.option("--quiet", is_flag=True)
@_feature_options
@user_errors
def score(inputs, output_dir, manifest, budget, threshold, hysteresis, merge_gap, pre, post, min_len, max_len,
          device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Score [HEAD.pt] VIDEO|FEATURES... into highlight segments (segments.json + a PNG).

    Without a head, a cold-start scorer (audio excitement + visual novelty) picks the best
    segments up to --budget (default 10 min per 4 h of stream).
    """
    from .score import make_scorer, parse_duration, score_one

    head, paths = _expand_inputs(inputs, manifest)
    overrides = {"threshold": threshold, "hysteresis": hysteresis, "merge_gap": merge_gap, "pre": pre,
                 "post": post, "min_len": min_len, "max_len": max_len}
    scorer = make_scorer(head, overrides, parse_duration(budget) if budget else None)
    options = extract_options(backbone, weights, fps, input_size, device, cache_dir)
    failures = []
    for path in paths:
        try:
            json_path, png_path = score_one(path, scorer, output_dir, options, progress=not quiet)
        except GdmError as exc:
            if len(paths) == 1:
                raise
            click.echo(f"gdm: error: {exc}", err=True)
            failures.append(path.name)
            continue
        click.echo(f"{json_path}\n{png_path}")
    if failures:
        raise GdmError(f"{len(failures)} of {len(paths)} streams failed: {', '.join(failures)}")


@gdm.command()
@click.argument("segments_file")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "chapters", "edl", "ffconcat", "v1", "otio"]))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@user_errors
def export(segments_file, fmt, output):
    """Write segments as CSV, YouTube chapters, CMX3600 EDL, FFmpeg concat, auto-editor v1 or OTIO."""
    from .exports import SegmentsDoc, export as run_export
    from gdm_features.files import write_atomically

    text, notes = run_export(SegmentsDoc.load(segments_file), fmt)
    for note in notes:
        click.echo(f"gdm: note: {note}", err=True)
    if output:
        write_atomically(output, text)
        click.echo(str(output))
    else:
        click.echo(text, nl=False)


@gdm.command()
@click.argument("video")
@click.argument("segments_file")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="REEL.mp4")
@click.option("--order", default="time", show_default=True, type=click.Choice(["time", "score"]))
@click.option("--fade", default=0.15, show_default=True, type=float, help="Fade length at joins (s).")
@click.option("--quiet", is_flag=True)
@user_errors
def reel(video, segments_file, output, order, fade, quiet):
    """Cut the segments out of VIDEO and join them into one MP4 with audio."""
    from .exports import SegmentsDoc
    from .reel import render_reel

    path = render_reel(video, SegmentsDoc.load(segments_file).segments, output, order=order, fade_s=fade,
                       progress=not quiet)
    click.echo(str(path))


@gdm.command()
@click.option("-o", "--output-dir", default="demo-output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--minutes", default=3.0, show_default=True, type=float, help="Length of each recorded play-through.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@user_errors
def demo(output_dir, minutes, quiet):
    """Record Atari Breakout with sound, then run the whole pipeline on it, offline."""
    from .demo import run_demo

    if minutes < 1:
        raise GdmError("--minutes must be at least 1 (each play-through needs a few lost lives)")
    summary = run_demo(output_dir, minutes, lambda line: click.echo(line, err=True), progress=not quiet)
    click.echo("files written:")
    for name, path in summary["files"].items():
        click.echo(f"  {name:<11}{path}")


def main() -> None:
    gdm(prog_name="gdm")


if __name__ == "__main__":
    main()
