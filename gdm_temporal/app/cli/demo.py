"""`gdm demo`: the whole product on freshly recorded Atari play, offline."""

from __future__ import annotations

from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import user_errors


@click.command()
@click.option("-o", "--output-dir", default="demo-output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--minutes", default=3.0, show_default=True, type=float, help="Length of each recorded play-through.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@user_errors
def demo(output_dir, minutes, quiet):
    """Record Atari Breakout with sound, then run the whole pipeline on it, offline."""
    from ..demo.run import run_demo

    if minutes < 1:
        raise GdmError("--minutes must be at least 1 (each play-through needs a few lost lives)")
    summary = run_demo(output_dir, minutes, lambda line: click.echo(line, err=True), progress=not quiet)
    click.echo("files written:")
    for name, path in summary["files"].items():
        click.echo(f"  {name:<11}{path}")
