"""Scores and metrics of a head over the regions of a split; shared by `train` and `evaluate`."""

from __future__ import annotations

import numpy as np
import torch

from .data import Stream, WindowReader
from .inference import score_region
from ..timeline.intervals import Interval
from ..labels.manifest import Region
from ..timeline.metrics import add_counts, block_counts, budget_counts, event_counts, frame_metrics, pooled
from .model import HighlightHead
from ..timeline.budget import DEFAULT_BUDGET, Budget
from ..timeline.segments import SegmentParams, budget_window_s, threshold_segments, window_segments


def region_intervals(stream: Stream, region: Region) -> list[Interval]:
    """The stream's labels inside the region, in seconds from the region's start."""
    offset, end = region.start / stream.fps, region.end / stream.fps
    return [Interval(max(iv.start, offset) - offset, min(iv.end, end) - offset)
            for iv in stream.intervals if iv.start < end and iv.end > offset]


def score_regions(head: HighlightHead, reader: WindowReader, regions: list[Region],
                  device: torch.device | str = "cpu", only: str | None = None) -> list[np.ndarray]:
    return [score_region(head, reader, r, device=device, only=only) for r in regions]


def metrics_for(streams: list[Stream], regions: list[Region], scores: list[np.ndarray],
                params: SegmentParams, budget: Budget = DEFAULT_BUDGET, highlight_s: float | None = None) -> dict:
    """The design's four metrics, pooled over regions by adding counts. The budget metric
    chooses as `gdm score --budget` does: windows of `highlight_s` (the head's median
    labelled length)."""
    blocks, events, budgets = {}, {}, {}
    for region, region_scores in zip(regions, scores):
        stream = streams[region.stream]
        targets = stream.targets[region.start:region.end]
        intervals = region_intervals(stream, region)
        segments = threshold_segments(region_scores, stream.fps, params)
        duration = region.length / stream.fps
        budget_s = budget.for_stream(duration)
        blocks = add_counts(blocks, block_counts(targets, segments, stream.fps))
        events = add_counts(events, event_counts(intervals, segments))
        budgets = add_counts(budgets, budget_counts(intervals, window_segments(region_scores, stream.fps, budget_s,
                                                                            budget_window_s(highlight_s), params), budget_s))
    all_scores = np.concatenate(scores)
    all_targets = np.concatenate([streams[r.stream].targets[r.start:r.end] for r in regions])
    return pooled(frame_metrics(all_scores, all_targets, params.threshold), blocks, events, budgets)
