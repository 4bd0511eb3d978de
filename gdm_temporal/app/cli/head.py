"""`gdm train` and `gdm evaluate`: the head, from labelled streams to a checkpoint and its figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import BUDGET, MODALITIES, Number, device_option, extract_options, feature_options, quiet_option, user_errors


@click.command()
@click.argument("manifest")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The head checkpoint to write (HEAD.pt); rewritten whenever validation improves.")
@click.option("--seed", default=0, show_default=True, type=Number(0, 2**31 - 1, integer=True),
              help="Random seed: the same seed gives the same head, bit for bit.")
@click.option("--epochs", default=50, show_default=True, type=Number(1, 10000, integer=True),
              help="Most passes over the training windows.")
@click.option("--window", default=128, show_default=True, type=Number(8, 100000, integer=True, unit="steps"),
              help="Steps per training window.")
@click.option("--batch-size", default=32, show_default=True, type=Number(1, 4096, integer=True),
              help="Windows per optimisation step.")
@click.option("--lr", default=2e-3, show_default=True, type=Number(0, 1, low_open=True), help="AdamW learning rate.")
@click.option("--patience", default=10, show_default=True, type=Number(1, 10000, integer=True, unit="epochs"),
              help="Stop after this many epochs without a better validation AP.")
@click.option("--hidden", default=64, show_default=True, type=Number(1, 4096, integer=True),
              help="LSTM units per direction.")
@click.option("--layers", default=1, show_default=True, type=Number(1, 8, integer=True), help="LSTM layers.")
@click.option("--dropout", default=0.2, show_default=True, type=Number(0, 0.95), help="Dropout on the head's input.")
@click.option("--unidirectional", is_flag=True, help="Causal LSTM (looks only back), for streaming use.")
@click.option("--modalities", default="visual,audio", show_default=True, type=MODALITIES,
              help="What the head sees: visual (the picture: how it looks and what moves on it), audio or both "
                   "(visual alone: for streams without game sound).")
@device_option
@quiet_option
@feature_options
@user_errors
def train(manifest, output, seed, epochs, window, batch_size, lr, patience, hidden, layers, dropout,
          unidirectional, modalities, device, quiet, backbone, weights, fps, input_size, cache_dir):
    """Train a highlight head on the cached features of a manifest's streams."""
    from gdm_temporal.head.data import open_streams
    from gdm_temporal.labels.manifest import assign_regions, read_manifest
    from gdm_temporal.head.train import TrainSettings, best_epochs_text, train as run_train

    rows = read_manifest(manifest)
    streams = open_streams(rows, extract_options(backbone, weights, fps, input_size, "auto", cache_dir),
                           progress=not quiet)
    regions = assign_regions(rows, [s.n_steps for s in streams])
    settings = TrainSettings(epochs=epochs, window=window, batch=batch_size, lr=lr, patience=patience, seed=seed,
                             hidden=hidden, layers=layers, dropout=dropout, bidirectional=not unidirectional,
                             modalities=modalities, device=device)
    config = run_train(streams, regions, settings, output,
                       log=(lambda *_: None) if quiet else (lambda line: click.echo(line, err=True)))
    v = config["validation"]
    click.echo(f"{output}: {best_epochs_text(config)}, validation AP {v['frame']['ap']:.3f}, "
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


@click.command()
@click.argument("head")
@click.argument("manifest")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "val", "test", "all"]),
              help="Which part of the manifest to evaluate on.")
@click.option("--budget", default=None, type=BUDGET,
              help="Reel length for the budget metric: a duration per stream (90s, 10m, 1h) or a share (5%).  "
                   "[default: 10 min per 4 h of stream]")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
@click.option("--modalities", default=None, type=MODALITIES,
              help="Score with only these (visual: as if every stream were muted).  [default: all the head uses]")
@click.option("--cache-dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Feature cache folder.  [default: $GDM_CACHE_DIR, else cache/ beside gdm]")
@quiet_option
@user_errors
def evaluate(head, manifest, split, budget, as_json, modalities, cache_dir, quiet):
    """Frame, 30-second block, event and budget metrics of HEAD on a manifest's split."""
    from gdm_temporal.head.checkpoint import check_features, extract_options_for, load_head
    from gdm_temporal.head.data import MODALITIES as HEAD_MODALITIES, WindowReader, open_streams
    from gdm_temporal.head.evaluate import metrics_for, score_regions
    from gdm_temporal.timeline.budget import DEFAULT_BUDGET
    from gdm_temporal.timeline.metrics import metrics_table
    from gdm_temporal.labels.manifest import assign_regions, read_manifest
    from gdm_temporal.timeline.segments import SegmentParams

    model, config, norm = load_head(head)
    rows = read_manifest(manifest)
    streams = open_streams(rows, extract_options_for(config) | {"cache_dir": cache_dir}, progress=not quiet)
    for stream in streams:
        check_features(config, stream.features, stream.name)
    regions = [r for r in assign_regions(rows, [s.n_steps for s in streams]) if split in ("all", r.split)]
    if not regions:
        raise GdmError(f"{manifest}: no streams or blocks in split {split!r}")
    without = tuple(m for m in HEAD_MODALITIES if modalities and m not in modalities)
    scores = score_regions(model, WindowReader(streams, norm, without=without), regions)
    metrics = metrics_for(streams, regions, scores, SegmentParams(**config["segments"]), budget or DEFAULT_BUDGET,
                          (config.get("highlight_s") or {}).get("median"))
    result = _clean({"head": str(head), "split": split, "threshold": config["threshold"],
                     "regions": len(regions), **metrics})
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"{head} on {manifest} ({split}: {len(regions)} streams/blocks, threshold {config['threshold']:.3f})")
        click.echo(metrics_table(metrics))
