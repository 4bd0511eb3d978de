"""Stage two of gdm: a small temporal head trained on cached feature sequences, and what turns
its scores into highlights.

The folders, lowest layer first (each imports only those before it, and stage one):

- `timeline/`: pure maths of intervals, segments and metrics;
- `labels/`: label files, manifests and splits, alignment from compilations;
- `head/`: windowed data, the LSTM head, training, checkpoints, inference, evaluation;
- `highlights/`: scoring, cold start, exports, the reel, the score picture;
- `app/`: the `gdm` command line and the demo; nothing in the stages imports it.

The main entry points are re-exported here (loaded on first use, so `import gdm_temporal`
stays cheap).
"""

from __future__ import annotations

import importlib

_ENTRY_POINTS = {
    "Interval": "timeline.intervals", "Segment": "timeline.segments", "SegmentParams": "timeline.segments",
    "load_labels": "labels.formats", "save_labels": "labels.formats",
    "read_manifest": "labels.manifest", "assign_regions": "labels.manifest", "align": "labels.align",
    "open_streams": "head.data", "TrainSettings": "head.train", "train": "head.train",
    "load_head": "head.checkpoint",
    "make_scorer": "highlights.score", "score_one": "highlights.score",
    "SegmentsDoc": "highlights.exports", "export": "highlights.exports", "render_reel": "highlights.reel",
}

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str):
    if name not in _ENTRY_POINTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_ENTRY_POINTS[name]}", __name__), name)
