"""Stage one's commands: `gdm fetch`, `gdm extract`, `gdm inspect`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import Number, device_option, parse_size, quiet_option, user_errors


@click.command()
@click.argument("videos", nargs=-1, required=True)
@click.option("--backbone", default="resnet18", show_default=True, type=click.Choice(["resnet18", "efficientnet_lite0"]),
              help="resnet18 (torchvision ImageNet weights) or efficientnet_lite0 (weights ship with gdm, offline).")
@click.option("--weights", default=None, help="Weights id; 'none' for seeded random weights (tests only).")
@click.option("--fps", default=5.0, show_default=True, type=Number(0.1, 120, unit="steps/s"),
              help="Steps per second of video: how often a frame is embedded.")
@click.option("--input-size", default="224", show_default=True,
              help="Pixels the whole frame is resized to: N or HxW (32 to 1024 each).")
@device_option
@click.option("--precision", default="auto", show_default=True, type=click.Choice(["auto", "fp32", "bf16", "fp16"]),
              help="Arithmetic of the backbone: auto is bf16/fp16 on a GPU, fp32 or bf16 on a CPU.")
@click.option("--batch-size", default=None, type=Number(1, 4096, integer=True),
              help="Frames per backbone batch.  [default: 128 on a GPU, 32 on a CPU]")
@click.option("--cache-dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Feature cache folder.  [default: $GDM_CACHE_DIR, else cache/ beside gdm]")
@quiet_option
@user_errors
def extract(videos, backbone, weights, fps, input_size, device, precision, batch_size, cache_dir, quiet):
    """Decode VIDEO(s), embed every step, and cache the features (once per video and settings).

    Prints the path of each cache file. A killed run resumes where it stopped.
    """
    from gdm_features.extract import extract as run_extract

    size = parse_size(input_size)
    failures = 0
    for video in videos:
        try:
            path = run_extract(video, backbone=backbone, weights=weights, fps=fps, input_size=size,
                               device=device, precision=precision, cache_dir=cache_dir,
                               batch_size=batch_size, progress=not quiet)
        except GdmError as exc:
            if len(videos) == 1:
                raise
            click.echo(f"gdm: error: {exc}", err=True)
            failures += 1
            continue
        click.echo(str(path))
    if failures:
        raise GdmError(f"{failures} of {len(videos)} videos failed (see above)")


def _json_value(value):
    """Attrs that hold JSON text (audio settings, preprocessing, notes) become JSON objects."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


@click.command()
@click.argument("features")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@user_errors
def inspect(features, as_json):
    """Describe a feature cache file: settings, shapes, duration, completeness."""
    from gdm_features.store import FeatureFile
    from gdm_features.timebase import format_timecode

    with FeatureFile(features, allow_partial=True) as f:
        attrs = f.attrs
        n_steps, visual_dim, motion_dim, audio_dim = f.n_steps, f.visual_dim, f.motion_dim, f.audio_dim
        picture_dim = f.picture_dim
    if as_json:
        click.echo(json.dumps({"path": str(Path(features)), "n_steps": n_steps, "visual_dim": visual_dim,
                               "motion_dim": motion_dim, "audio_dim": audio_dim, "picture_dim": picture_dim, "attrs": {k: _json_value(v) for k, v in attrs.items()}},
                              indent=2))
        return
    fps = float(attrs["fps"])
    duration = float(attrs.get("duration_s", -1))
    state = "complete" if attrs.get("complete") else "INCOMPLETE (run gdm extract again to finish it)"
    from gdm_features.fetch import read_title

    title = read_title(Path(str(attrs.get("source", ""))))
    rows = [("title", title)] if title else []
    rows.append(("steps", f"{n_steps} at {fps:g} fps = {format_timecode(n_steps / fps)}"))
    if duration >= 0:
        rows.append(("duration", f"{format_timecode(duration)} ({duration:.2f} s)"))
    rows.append(("visual dataset", f"[{n_steps}, {visual_dim}] float16 ({attrs.get('backbone')}, "
                                   f"weights {attrs.get('weights')})"))
    rows.append(("motion dataset", f"[{n_steps}, {motion_dim}] float16 (change per grid cell: mean, largest)"))
    rows.append(("audio dataset", f"[{n_steps}, {audio_dim}] float16"
                                  + ("" if audio_dim else " (the video has no audio)")))
    side = int(round(picture_dim ** 0.5))
    rows.append(("picture dataset", f"[{n_steps}, {picture_dim}] uint8 (each step's frame as a {side}x{side} grey picture)"))
    shown = {"n_steps", "complete", "backbone", "weights", "fps", "duration_s"}
    rows += [(key, str(attrs[key])) for key in sorted(set(attrs) - shown)]
    click.echo(f"{features}: {state}")
    for label, value in rows:
        click.echo(f"  {label:<20}{value}")


class _DownloadBar:
    """yt-dlp progress hook -> one tqdm bar per file (bytes, speed, ETA) on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bar, self.name = enabled, None, None

    def __call__(self, status: dict) -> None:
        from tqdm import tqdm

        if not self.enabled:
            return
        name = Path(status.get("filename") or "").name
        if status.get("status") == "downloading":
            if self.bar is None or name != self.name:
                self.close()
                total = status.get("total_bytes") or status.get("total_bytes_estimate")
                self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=name[:40], file=sys.stderr,
                                initial=status.get("downloaded_bytes") or 0)
                self.name = name
            self.bar.update((status.get("downloaded_bytes") or 0) - self.bar.n)
        elif status.get("status") in ("finished", "error"):
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@click.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("-o", "--output-dir", default="streams", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder the videos are saved in.")
@click.option("--max-height", default=480, show_default=True, type=Number(144, 4320, integer=True, unit="px"),
              help="Highest video height to fetch, in pixels (stage one resizes to 224 anyway).")
@quiet_option
@user_errors
def fetch(urls, output_dir, max_height, quiet):
    """Download streams with yt-dlp (any URL it supports), or link local files, into DIR.

    Resumes interrupted downloads, skips what is in the download archive, and writes a
    <name>.info.json sidecar with title, uploader, duration, upload date and chapters.
    """
    from gdm_features.fetch import fetch as run_fetch

    bar = _DownloadBar(enabled=not quiet)
    try:
        report = run_fetch(list(urls), output_dir, max_height, progress_hook=bar)
    finally:
        bar.close()
    for item in report.fetched:
        suffix = "  (already fetched: in the download archive)" if item.skipped else ""
        click.echo(f"{item.path}{suffix}")
    for what, reason in report.failures:
        click.echo(f"gdm: error: {what}: {reason}", err=True)
    if report.failures:
        raise GdmError(f"{len(report.failures)} of {len(report.failures) + len(report.fetched)} "
                       "downloads failed (see above)")
