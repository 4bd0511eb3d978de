"""`gdm score`: a stream in, segments.json and a score picture out.

The head's per-step scores come from sliding-window inference over the cached sequence
(bounded memory at any stream length); without a head, the cold-start scorer ranks steps by
audio excitement and visual novelty, and segments are chosen by budget.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from gdm_features import FeatureFile
from gdm_features.errors import GdmError
from gdm_features.files import write_atomically
from gdm_features.media import probe

from ..head.checkpoint import check_features, extract_options_for, load_head
from .coldstart import cold_start_scores
from ..head.data import Normalizer, Stream, WindowReader, features_for
from .exports import SegmentsDoc
from ..head.inference import score_region
from ..labels.manifest import Region
from ..timeline.metrics import default_budget_s
from ..head.model import HighlightHead
from .scoreplot import render_score_png
from ..timeline.segments import SegmentParams, budget_segments, threshold_segments

SCORING_CACHE_BYTES = 64 * 2**20  # scoring reads sequentially: a few blocks suffice


@dataclass(frozen=True)
class Scorer:
    """A loaded head (or none: cold start) and the segment settings to apply."""

    head_path: Path | None
    params: SegmentParams
    budget_s: float | None  # None: threshold mode (head) or the pro-rata default (cold start)
    head: HighlightHead | None = field(default=None, compare=False)
    config: dict | None = field(default=None, compare=False)
    norm: Normalizer | None = field(default=None, compare=False)

    def describe(self) -> dict:
        if self.head is None:
            return {"scorer": "cold-start", "signals": ["audio excitement", "visual novelty"],
                    "segments": asdict(self.params), "budget_s": self.budget_s}
        return {"scorer": "head", "path": str(self.head_path), "threshold": self.params.threshold,
                "segments": asdict(self.params), "budget_s": self.budget_s,
                "validation_ap": self.config.get("validation", {}).get("frame", {}).get("ap")}


def _video_for(features: FeatureFile, given: Path) -> tuple[str, float | None]:
    """The source video (for exports and reels) and its frame rate, where it can be found."""
    source = given if given.suffix.lower() not in (".h5", ".hdf5") else Path(str(features.attrs.get("source", given)))
    try:
        return str(source), probe(source).frame_rate
    except GdmError:
        return str(source), None


def score_one(path: Path, scorer: Scorer, out_dir: Path, extract_options: dict, progress: bool) -> tuple[Path, Path]:
    """Score one video or feature file; write `<stem>.segments.json` and `<stem>.scores.png`."""
    head, config, norm = scorer.head, scorer.config, scorer.norm
    options = extract_options | (extract_options_for(config) if head is not None else {})
    features = features_for(path, options, progress)
    with features:
        fps, n = features.fps, features.n_steps
        if head is not None:
            check_features(config, features, path.name)
            stream = Stream(path.name, features, [], np.zeros(n, np.float32))
            reader = WindowReader([stream], norm, capacity_bytes=SCORING_CACHE_BYTES)
            scores = score_region(head, reader, Region(0, 0, n, "all"))
        else:
            scores = cold_start_scores(features)
        duration = float(features.attrs.get("duration_s", n / fps))
        budget = scorer.budget_s
        if head is None and budget is None:
            budget = default_budget_s(duration)
        segments = (budget_segments(scores, fps, budget, scorer.params) if budget is not None
                    else threshold_segments(scores, fps, scorer.params))
        source, video_fps = _video_for(features, path)
    doc = SegmentsDoc(source, fps, scorer.describe() | {"budget_s": budget}, segments, duration, video_fps)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(source).stem
    json_path = write_atomically(out_dir / f"{stem}.segments.json", json.dumps(doc.to_json(), indent=2))
    png_path = render_score_png(out_dir / f"{stem}.scores.png", scores, fps, segments,
                                f"{Path(source).name} ({doc.model['scorer']})",
                                None if budget is not None else scorer.params.threshold)
    return json_path, png_path


def make_scorer(head_path: Path | None, overrides: dict, budget_s: float | None) -> Scorer:
    """Segment settings: the head's (threshold chosen on validation), then the user's flags."""
    head = config = norm = None
    params = SegmentParams()
    if head_path is not None:
        head, config, norm = load_head(head_path)
        params = SegmentParams(**config["segments"])
    params = replace(params, **{k: v for k, v in overrides.items() if v is not None})
    return Scorer(head_path, params, budget_s, head, config, norm)
