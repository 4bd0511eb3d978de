"""`gdm labels import|show|align`: highlight labels in, checked, or found from a compilation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import Number, device_option, extract_options, feature_options, quiet_option, user_errors


@click.group()
def labels() -> None:
    """Import and inspect highlight labels."""


@labels.command("import")
@click.argument("src")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="gdm labels JSON to write.")
@click.option("--export-fps", default=5.0, show_default=True, type=Number(0.01, 1000, low_open=True, unit="frames/s"),
              help="Frame rate of a Scalabel export (frame k is at k / export-fps).")
@user_errors
def labels_import(src, output, export_fps):
    """Convert a Scalabel export, CSV or JSON label file to gdm's labels JSON."""
    from gdm_temporal.labels import load_labels, save_labels, summarize

    intervals = load_labels(src, export_fps=export_fps)
    save_labels(intervals, output, source=str(Path(src).name))
    s = summarize(intervals)
    click.echo(f"{output}: {s.count} highlights, {s.total_s:.1f} s in total")


@labels.command("show")
@click.argument("labels_file")
@click.option("--features", default=None, help="The stream's feature file (.h5), for its duration and share.")
@user_errors
def labels_show(labels_file, features):
    """Count, durations, share of the stream, overlaps, intervals outside the stream."""
    from gdm_features import FeatureFile
    from gdm_features.timebase import format_timecode

    from gdm_temporal.labels import load_labels, summarize

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
@device_option
@quiet_option
@feature_options
@user_errors
def labels_align(stream, compilation, output, report, device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Label STREAM from a highlight COMPILATION made of it: find where each clip came from,
    by sound and picture together (either alone where the other is missing or covered)."""
    from gdm_features.timebase import format_timecode
    from gdm_features.files import write_atomically

    from gdm_temporal.labels.align import align, labels_from
    from gdm_temporal.labels.audio_print import PrintIndex
    from gdm_temporal.labels.formats import save_labels
    from gdm_temporal.labels.sound_cache import sound_print, source_video
    from gdm_temporal.head.data import features_for, feature_identity

    options = extract_options(backbone, weights, fps, input_size, device, cache_dir)
    with features_for(Path(stream), options, not quiet) as s, features_for(Path(compilation), options, not quiet) as c:
        if feature_identity(s.attrs) != feature_identity(c.attrs):
            raise GdmError("the stream and the compilation have features made with different settings; "
                           "give videos, or feature files from the same backbone and fps")
        videos = [source_video(s.attrs, Path(stream)), source_video(c.attrs, Path(compilation))]
        if not quiet:
            click.echo("listening: the sound prints of both videos (once per video, then cached)", err=True)
        prints = [sound_print(v, cache_dir) if v is not None else None for v in videos]
        from tqdm import tqdm

        with tqdm(total=s.n_steps, unit="step", desc="aligning", disable=quiet, file=sys.stderr) as bar:
            pieces = align(s, c, progress=lambda done, total: bar.update(done - bar.n),
                           stream_sound=PrintIndex.of(prints[0]) if prints[0] is not None else None,
                           compilation_sound=prints[1])
    intervals = labels_from(pieces)
    save_labels(intervals, output, source=Path(stream).name)
    if report:
        write_atomically(report, json.dumps({"stream": str(stream), "compilation": str(compilation),
                                             "pieces": [p.to_json() for p in pieces]}, indent=2))
    for p in pieces:
        where = (f"-> stream {format_timecode(p.stream_start)} - {format_timecode(p.stream_end)}  "
                 f"by {p.evidence}, confidence {p.confidence:.2f}"
                 + (f", speed {p.speed:.2f}x" if abs(p.speed - 1) > 0.005 else "")
                 if p.stream_start is not None else "")
        click.echo(f"  {format_timecode(p.start)} - {format_timecode(p.end)}  {p.status:<15}{where}", err=True)
    flagged = sum(p.status == "low confidence" for p in pieces)
    click.echo(f"{output}: {len(intervals)} highlight{'s' if len(intervals) != 1 else ''}"
               + (f"; {flagged} low-confidence piece{'s' if flagged != 1 else ''} left out (see the report)"
                  if flagged else ""))
