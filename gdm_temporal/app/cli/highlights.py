"""`gdm score`, `gdm export`, `gdm reel`: from cached features to segments, files for an editor
and a rendered reel."""

from __future__ import annotations

from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import duration_seconds, extract_options, feature_options, user_errors


def _expand_inputs(items: tuple[str, ...], manifest: str | None) -> tuple[Path | None, list[Path]]:
    """A leading `.pt` is the head; globs expand; a manifest adds its rows' videos."""
    import glob

    from gdm_temporal.labels.manifest import read_manifest

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


@click.command()
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
@feature_options
@user_errors
def score(inputs, output_dir, manifest, budget, threshold, hysteresis, merge_gap, pre, post, min_len, max_len,
          device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Score [HEAD.pt] VIDEO|FEATURES... into highlight segments (segments.json + a PNG).

    Without a head, a cold-start scorer (audio excitement + visual novelty) picks the best
    segments up to --budget (default 10 min per 4 h of stream).
    """
    from gdm_temporal.highlights.score import make_scorer, score_one

    head, paths = _expand_inputs(inputs, manifest)
    overrides = {"threshold": threshold, "hysteresis": hysteresis, "merge_gap": merge_gap, "pre": pre,
                 "post": post, "min_len": min_len, "max_len": max_len}
    scorer = make_scorer(head, overrides, duration_seconds(budget) if budget else None)
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


@click.command()
@click.argument("segments_file")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "chapters", "edl", "ffconcat", "v1", "otio"]))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@user_errors
def export(segments_file, fmt, output):
    """Write segments as CSV, YouTube chapters, CMX3600 EDL, FFmpeg concat, auto-editor v1 or OTIO."""
    from gdm_temporal.highlights.exports import SegmentsDoc, export as run_export
    from gdm_features.files import write_atomically

    text, notes = run_export(SegmentsDoc.load(segments_file), fmt)
    for note in notes:
        click.echo(f"gdm: note: {note}", err=True)
    if output:
        write_atomically(output, text)
        click.echo(str(output))
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("video")
@click.argument("segments_file")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="REEL.mp4")
@click.option("--order", default="time", show_default=True, type=click.Choice(["time", "score"]))
@click.option("--fade", default=0.15, show_default=True, type=float, help="Fade length at joins (s).")
@click.option("--quiet", is_flag=True)
@user_errors
def reel(video, segments_file, output, order, fade, quiet):
    """Cut the segments out of VIDEO and join them into one MP4 with audio."""
    from gdm_temporal.highlights.exports import SegmentsDoc
    from gdm_temporal.highlights.reel import render_reel

    path = render_reel(video, SegmentsDoc.load(segments_file).segments, output, order=order, fade_s=fade,
                       progress=not quiet)
    click.echo(str(path))
