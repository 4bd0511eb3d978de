"""`gdm batch`: many streams through fetch -> extract -> score on Ray (one machine or a cluster)."""

from __future__ import annotations

from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import BUDGET, Number, extract_options, feature_options, quiet_option, user_errors


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for <stem>.segments.json, <stem>.scores.png, exports, batch.json and fetched streams.")
@click.option("--head", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Head checkpoint to score with.  [default: none, cold start]")
@click.option("--budget", default=None, type=BUDGET,
              help="Keep the best segments up to this much per stream: a duration (10m) or a share (5%).")
@click.option("--export", "exports", multiple=True, type=click.Choice(["csv", "chapters", "edl", "ffconcat", "v1", "otio"]),
              help="Also write this export per stream (repeat for several).")
@click.option("--ray-address", default=None,
              help="Join this Ray cluster ('auto', 'ray://host:10001').  [default: start a local one]")
@click.option("--workers", default=None, type=Number(1, 4096, integer=True),
              help="CPUs of the local Ray cluster (ignored with --ray-address).  [default: all cores]")
@click.option("--cpus-per-task", default=1, show_default=True, type=Number(1, 256, integer=True),
              help="CPUs each stream's extraction uses (its torch threads).")
@click.option("--max-height", default=480, show_default=True, type=Number(144, 4320, integer=True, unit="px"),
              help="Highest video height to fetch for URL sources, in pixels.")
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]),
              help="Where each worker runs the backbone: auto picks its GPU when it has one.")
@quiet_option
@feature_options
@user_errors
def batch(sources, output_dir, head, budget, exports, ray_address, workers, cpus_per_task, max_height, device, quiet,
          backbone, weights, fps, input_size, cache_dir):
    """Fetch, extract and score many SOURCES (videos, globs, URLs, or .txt lists of them) on Ray.

    Without --ray-address a local Ray cluster starts (no setup); with it, the same work runs on
    every node of a cluster (paths and the cache must be on storage all nodes see). A failed
    source never stops the others; rerunning redoes nothing that finished.
    """
    from gdm_features.extract import default_cache_dir
    from gdm_temporal.app.batch.runner import report_table, run_batch
    from gdm_temporal.app.batch.sources import expand_sources

    items = expand_sources(sources)
    if not items:
        raise GdmError("no sources to process")
    options = extract_options(backbone, weights, fps, input_size, device, None)
    options.pop("cache_dir")
    settings = {
        "out_dir": str(output_dir.resolve()), "cache_dir": str(Path(cache_dir or default_cache_dir()).resolve()),
        "extract": options | {"device": device}, "head": str(head.resolve()) if head else None,
        "budget": budget.text() if budget else None, "overrides": {}, "exports": list(exports), "max_height": max_height,
        "cpus_per_task": cpus_per_task,
    }
    if head is not None and not head.is_file():
        raise GdmError(f"{head}: no such head checkpoint")
    results = run_batch(items, settings, ray_address, workers, progress=not quiet,
                        say=lambda line: click.echo(line, err=True))
    click.echo(report_table(results))
    click.echo(str(output_dir / "batch.json"))
    failed = [r for r in results if r["status"] == "failed"]
    if failed:
        raise GdmError(f"{len(failed)} of {len(results)} sources failed (see the table)")

