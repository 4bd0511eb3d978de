"""`gdm score`, `gdm export`, `gdm reel`: from cached features to segments, files for an editor
and a rendered reel."""

from __future__ import annotations

from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import BUDGET, SECONDS, Number, device_option, extract_options, feature_options, quiet_option, user_errors


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
@click.option("-o", "--output-dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for <stem>.segments.json and <stem>.scores.png.")
@click.option("--manifest", default=None, help="Also score every stream a manifest (CSV or JSONL) lists.")
@click.option("--budget", default=None, type=BUDGET,
              help="Keep the best segments up to this much per stream: a duration (90s, 10m, 1h, 1:30) or a "
                   "share (5%).  [default with a head: its threshold; without: 10 min per 4 h of stream]")
@click.option("--threshold", default=None, type=Number(0, 1),
              help="Score (0..1) at which a segment starts.  [default: the head's, chosen on validation]")
@click.option("--hysteresis", default=None, type=Number(0, 1),
              help="A segment lasts while the score stays above threshold minus this.  [default: 0.1]")
@click.option("--merge-gap", default=None, type=SECONDS, help="Join segments closer than this many seconds.")
@click.option("--pre", default=None, type=Number(0, 600, unit="s"),
              help="Seconds of lead-up added before each segment.  [default: 0]")
@click.option("--post", default=None, type=Number(0, 600, unit="s"), help="Seconds added after each segment.")
@click.option("--min-len", default=None, type=SECONDS, help="Drop segments shorter than this many seconds.")
@click.option("--max-len", default=None, type=Number(0, 24 * 3600, low_open=True, unit="s"),
              help="Trim longer segments to this many seconds around their peak.")
@device_option
@quiet_option
@feature_options
@user_errors
def score(inputs, output_dir, manifest, budget, threshold, hysteresis, merge_gap, pre, post, min_len, max_len,
          device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Score [HEAD.pt] VIDEO|FEATURES... into highlight segments (segments.json + a PNG).

    Without a head, a cold-start scorer (sound and picture events) picks the best segments up
    to --budget (default 10 min per 4 h of stream). Prints what it found and where it went.
    """
    from gdm_features.timebase import format_timecode
    from gdm_temporal.highlights.score import make_scorer, score_one

    head, paths = _expand_inputs(inputs, manifest)
    overrides = {"threshold": threshold, "hysteresis": hysteresis, "merge_gap": merge_gap, "pre": pre,
                 "post": post, "min_len": min_len, "max_len": max_len}
    scorer = make_scorer(head, overrides, budget)
    options = extract_options(backbone, weights, fps, input_size, device, cache_dir)
    failures = []
    for path in paths:
        try:
            result = score_one(path, scorer, output_dir, options, progress=not quiet)
        except GdmError as exc:
            if len(paths) == 1:
                raise
            click.echo(f"gdm: error: {exc}", err=True)
            failures.append(path.name)
            continue
        share = 100 * result.total_s / result.duration_s if result.duration_s else 0.0
        plural = "" if len(result.segments) == 1 else "s"
        click.echo(f"{Path(result.source).name}: {len(result.segments)} segment{plural}, "
                   f"{format_timecode(result.total_s, 0)} in total ({share:.1f} % of "
                   f"{format_timecode(result.duration_s, 0)}), chosen by {result.chosen_by}", err=True)
        click.echo(f"{result.json_path}\n{result.png_path}")
    if failures:
        raise GdmError(f"{len(failures)} of {len(paths)} streams failed: {', '.join(failures)}")


@click.command()
@click.argument("segments_file")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "chapters", "edl", "ffconcat", "v1", "otio"]),
              help="csv (a row per segment), chapters (YouTube description), edl (CMX3600), ffconcat (FFmpeg "
                   "concat list), v1 (auto-editor), otio (OpenTimelineIO).")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write.  [default: standard output]")
@user_errors
def export(segments_file, fmt, output):
    """Write segments as CSV, YouTube chapters, CMX3600 EDL, FFmpeg concat, auto-editor v1 or OTIO."""
    from gdm_features.files import write_atomically
    from gdm_temporal.highlights.exports import SegmentsDoc, export as run_export

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
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The reel to write (an .mp4).")
@click.option("--order", default="time", show_default=True, type=click.Choice(["time", "score"]),
              help="Segments in stream order, or best first.")
@click.option("--fade", default=0.15, show_default=True, type=Number(0, 5, unit="s"),
              help="Seconds of fade to black and silence at each join.")
@quiet_option
@user_errors
def reel(video, segments_file, output, order, fade, quiet):
    """Cut the segments out of VIDEO and join them into one MP4 with audio."""
    from gdm_temporal.highlights.exports import SegmentsDoc
    from gdm_temporal.highlights.reel import fit_to_video, render_reel

    segments = fit_to_video(SegmentsDoc.load(segments_file), video)
    path = render_reel(video, segments, output, order=order, fade_s=fade, progress=not quiet)
    click.echo(str(path))
