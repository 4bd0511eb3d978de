"""`gdm score`: a stream in, segments.json and a score picture out.

The head's per-step scores come from sliding-window inference over the cached sequence
(bounded memory at any stream length); without a head, the cold-start scorer rates steps by
audio and visual events, and segments are chosen by budget. Scores are on one 0..1 scale in
both cases (the head's probability; the cold start's calibrated excitement).
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
from gdm_features.progress import StepProgress

from ..head.checkpoint import check_features, extract_options_for, load_head
from ..head.data import Normalizer, Stream, WindowReader, features_for
from ..head.inference import score_region
from ..head.model import HighlightHead
from ..labels.formats import load_labels
from ..labels.manifest import Region
from ..timeline.budget import DEFAULT_BUDGET, Budget
from ..timeline.segments import Segment, SegmentParams, budget_window_s, threshold_segments, window_segments
from .coldstart import cold_start_scores
from .exports import SegmentsDoc
from .scoreplot import render_score_png

SCORING_CACHE_BYTES = 64 * 2**20  # scoring reads sequentially: a few blocks suffice
# The cold start knows no highlight length: its budget takes the best 2 s windows (see
# `window_segments`; 0.98 / 0.85 / 0.71 of the highlights at the labelled time's budget on
# three Atari games, tools/bench_heads.py). The user's --pre/--post/--min-len/--max-len still apply.
COLD_START_SEGMENTS = SegmentParams(threshold=0.5, hysteresis=0.1, merge_gap=0.0, pre=0.0, post=0.0, min_len=0.0)


@dataclass(frozen=True)
class Scorer:
    """A loaded head (or none: cold start) and the segment settings to apply."""

    head_path: Path | None
    params: SegmentParams
    budget: Budget | None  # None: threshold mode (head) or the default budget (cold start)
    head: HighlightHead | None = field(default=None, compare=False)
    config: dict | None = field(default=None, compare=False)
    norm: Normalizer | None = field(default=None, compare=False)
    threshold_given: bool = False  # --threshold: the user's, whatever the head scores with

    def for_output(self, present: tuple[str, ...] | None) -> "Scorer":
        """The settings for a stream the head scores with only one of its modalities (a muted
        stream: the picture's branches), whose threshold was chosen on validation for it."""
        thresholds = (self.config or {}).get("modality_thresholds") or {}
        if self.head is None or self.threshold_given or present is None or len(present) != 1 \
                or present == self.head.config.modalities or present[0] not in thresholds:
            return self
        return replace(self, params=replace(self.params, threshold=thresholds[present[0]]))

    def extract_options(self, base: dict) -> dict:
        """`base` extraction options, with the head's own settings over them: features it accepts."""
        return base | (extract_options_for(self.config) if self.head is not None else {})

    def describe(self) -> dict:
        if self.head is None:
            return {"scorer": "cold-start", "signals": ["audio events", "visual events"],
                    "segments": asdict(self.params)}
        return {"scorer": "head", "path": str(self.head_path), "threshold": self.params.threshold,
                "segments": asdict(self.params),
                "validation_ap": self.config.get("validation", {}).get("frame", {}).get("ap")}


@dataclass(frozen=True)
class ScoreResult:
    """What one stream's scoring found and where it went: what `gdm score` reports."""

    json_path: Path
    png_path: Path
    source: str
    segments: list[Segment]
    duration_s: float
    chosen_by: str  # "threshold 0.62" or "budget 10 min per 4 h of stream"

    @property
    def total_s(self) -> float:
        return sum(s.duration for s in self.segments)


def _video_for(features: FeatureFile, given: Path) -> tuple[str, float | None]:
    """The source video (for exports and reels) and its frame rate, where it can be found."""
    source = given if given.suffix.lower() not in (".h5", ".hdf5") else Path(str(features.attrs.get("source", given)))
    try:
        return str(source), probe(source).frame_rate
    except GdmError:
        return str(source), None


def labels_beside(source: str) -> list | None:
    """The stream's own labels (`<stem>.labels.json` beside the video), drawn on the picture."""
    path = Path(source).with_name(Path(source).stem + ".labels.json")
    try:
        return load_labels(path) if path.is_file() else None
    except GdmError:
        return None


def stream_scores(path: Path, scorer: Scorer, extract_options: dict, progress: bool
                  ) -> tuple[np.ndarray, float, float, str, float | None, tuple[str, ...] | None]:
    """Per-step scores of one video or feature file: (scores, fps, duration, source, video fps,
    the modalities the head used: None for the cold start)."""
    present = None
    head, config, norm = scorer.head, scorer.config, scorer.norm
    with features_for(path, scorer.extract_options(extract_options), progress) as features:
        fps, n = features.fps, features.n_steps
        if head is not None:
            check_features(config, features, path.name)
            stream = Stream(path.name, features, [], np.zeros(n, np.float32))
            reader = WindowReader([stream], norm, capacity_bytes=SCORING_CACHE_BYTES)
            present = reader.modalities(0)
            bar = StepProgress(f"scoring {path.name}", n, fps, enabled=progress)
            try:
                scores = score_region(head, reader, Region(0, 0, n, "all"), progress=bar.advance)
            finally:
                bar.close()
        else:
            scores = cold_start_scores(features)
        duration = float(features.attrs.get("duration_s", n / fps))
        source, video_fps = _video_for(features, path)
    return scores, fps, duration, source, video_fps, present


def choose_segments(scores: np.ndarray, fps: float, duration: float, scorer: Scorer
                    ) -> tuple[list[Segment], float | None, str]:
    """Segments by threshold (a head, no budget) or by budget; (segments, budget_s, how)."""
    budget = scorer.budget if scorer.budget is not None or scorer.head is not None else DEFAULT_BUDGET
    if budget is None:
        segments = threshold_segments(scores, fps, scorer.params, duration_s=duration)
        return segments, None, f"threshold {scorer.params.threshold:.2f}"
    budget_s = budget.for_stream(duration)
    if scorer.budget is None:  # the default budget still leaves room for one segment in a short clip
        budget_s = max(budget_s, scorer.params.min_len)
    typical = ((scorer.config or {}).get("highlight_s") or {}).get("median")
    return (window_segments(scores, fps, budget_s, budget_window_s(typical), scorer.params, duration_s=duration),
            budget_s, f"budget {budget.describe()}")


def score_one(path: Path, scorer: Scorer, out_dir: Path, extract_options: dict, progress: bool,
              model_extra: dict | None = None) -> ScoreResult:
    """Score one video or feature file; write `<stem>.segments.json` and `<stem>.scores.png`.
    `model_extra` is recorded in the JSON's `model` too (e.g. `gdm batch`'s up-to-date key)."""
    scores, fps, duration, source, video_fps, present = stream_scores(path, scorer, extract_options, progress)
    scorer = scorer.for_output(present)
    segments, budget_s, chosen_by = choose_segments(scores, fps, duration, scorer)
    model = scorer.describe() | {"budget_s": budget_s, "chosen_by": chosen_by} | (model_extra or {})
    doc = SegmentsDoc(source, fps, model, segments, duration, video_fps)
    stem = Path(source).stem
    json_path = write_atomically(Path(out_dir) / f"{stem}.segments.json", json.dumps(doc.to_json(), indent=2))
    png_path = render_score_png(Path(out_dir) / f"{stem}.scores.png", scores, fps, segments,
                                title=f"{Path(source).name}: {doc.model['scorer']} scores",
                                threshold=scorer.params.threshold if budget_s is None else None,
                                chosen_by=chosen_by, labels=labels_beside(source), duration_s=duration)
    return ScoreResult(json_path, png_path, source, segments, duration, chosen_by)


def make_scorer(head_path: Path | None, overrides: dict, budget: Budget | None) -> Scorer:
    """Segment settings: the head's (threshold chosen on validation) or the cold start's, then
    the user's flags."""
    head = config = norm = None
    params = COLD_START_SEGMENTS
    if head_path is not None:
        head, config, norm = load_head(head_path)
        params = SegmentParams(**config["segments"])
    params = replace(params, **{k: v for k, v in overrides.items() if v is not None})
    if params.max_len is not None and params.max_len < params.min_len:
        raise GdmError(f"--max-len {params.max_len:g} s is shorter than --min-len {params.min_len:g} s")
    return Scorer(head_path, params, budget, head, config, norm, overrides.get("threshold") is not None)
