"""`gdm demo`: the whole product on freshly recorded Atari play, offline."""

from __future__ import annotations

from pathlib import Path

import click

from .common import Number, quiet_option, user_errors


@click.command()
@click.option("-o", "--output-dir", default="demo-output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the recordings and every output.")
@click.option("--minutes", default=3.0, show_default=True, type=Number(1, 60, unit="min"),
              help="Minutes of each recorded play-through (train, validation, test).")
@quiet_option
@user_errors
def demo(output_dir, minutes, quiet):
    """Record Atari Breakout with sound, then run the whole pipeline on it, offline."""
    from ..demo.run import next_steps, run_demo

    summary = run_demo(output_dir, minutes, lambda line: click.echo(line, err=True), progress=not quiet)
    click.echo("files written:")
    for name, path in summary["files"].items():
        click.echo(f"  {name:<11}{path}")
    click.echo("try next:")
    for command in next_steps(output_dir):
        click.echo(f"  {command}")
