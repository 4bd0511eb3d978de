"""The design's metrics, defined once: frame, block30, event, budget.

Pure functions of per-step scores/targets and of interval lists, so each is unit-tested on
cases small enough to compute by hand. Counts are returned alongside ratios so that several
streams can be pooled by adding counts, not by averaging ratios.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import average_precision_score

from .intervals import Interval
from .segments import Segment



def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _f1(precision: float, recall: float) -> float:
    if math.isnan(precision) or math.isnan(recall) or precision + recall == 0:
        return math.nan if (math.isnan(precision) or math.isnan(recall)) else 0.0
    return 2 * precision * recall / (precision + recall)


def frame_metrics(scores: np.ndarray, targets: np.ndarray, threshold: float) -> dict:
    """Average precision (threshold-free) and P/R/F1 at `threshold`, over steps."""
    targets = np.asarray(targets) > 0.5
    predicted = np.asarray(scores) >= threshold
    tp = int((predicted & targets).sum())
    precision, recall = _ratio(tp, int(predicted.sum())), _ratio(tp, int(targets.sum()))
    ap = float(average_precision_score(targets, scores)) if targets.any() else math.nan
    return {"ap": ap, "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "steps": int(targets.size), "positive_steps": int(targets.sum())}


def best_f1_threshold(scores: np.ndarray, targets: np.ndarray) -> float:
    """The threshold maximising frame F1 (the highest such one on ties); 0.5 without positives."""
    targets = np.asarray(targets) > 0.5
    if not targets.any():
        return 0.5
    order = np.argsort(-np.asarray(scores), kind="stable")
    sorted_scores, hits = np.asarray(scores)[order], targets[order]
    tp = np.cumsum(hits)
    predicted = np.arange(1, len(hits) + 1)
    f1 = 2 * tp / (predicted + targets.sum())
    last_of_value = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]  # cut between distinct scores
    f1 = np.where(last_of_value, f1, -1)
    return float(sorted_scores[int(np.argmax(f1))])


def block_counts(targets: np.ndarray, segments: list[Segment], fps: float, block_s: float = 30.0) -> dict:
    """30-second blocks: positive if a labelled step falls inside, predicted if a segment overlaps."""
    n_steps = len(targets)
    n_blocks = max(1, math.ceil(n_steps / fps / block_s))
    times = np.arange(n_steps) / fps
    positive = np.zeros(n_blocks, bool)
    positive[(times[np.asarray(targets) > 0.5] // block_s).astype(int)] = True
    predicted = np.zeros(n_blocks, bool)
    for s in segments:
        first, last = int(s.start // block_s), int(math.ceil(s.end / block_s)) - 1
        predicted[first:min(last, n_blocks - 1) + 1] = True
    return {"blocks": n_blocks, "positive": int(positive.sum()), "predicted": int(predicted.sum()),
            "hit": int((positive & predicted).sum())}


def event_counts(intervals: list[Interval], segments: list[Segment]) -> dict:
    """Labelled intervals overlapped by some segment, and segments overlapping some interval."""
    def overlap(a_start, a_end, b_start, b_end):
        return a_start < b_end and b_start < a_end

    found = sum(1 for iv in intervals if any(overlap(iv.start, iv.end, s.start, s.end) for s in segments))
    correct = sum(1 for s in segments if any(overlap(iv.start, iv.end, s.start, s.end) for iv in intervals))
    return {"labelled": len(intervals), "found": found, "predicted": len(segments), "correct": correct}


def budget_counts(intervals: list[Interval], budget_segs: list[Segment], budget_s: float) -> dict:
    hit = event_counts(intervals, budget_segs)["found"]
    return {"labelled": len(intervals), "hit": hit, "budget_s": budget_s,
            "used_s": sum(s.duration for s in budget_segs), "segments": len(budget_segs)}


def pooled(frame: dict, blocks: dict, events: dict, budget: dict) -> dict:
    """Ratios from counts summed over streams: the metrics object `gdm evaluate` prints."""
    bp, br = _ratio(blocks["hit"], blocks["predicted"]), _ratio(blocks["hit"], blocks["positive"])
    ep, er = _ratio(events["correct"], events["predicted"]), _ratio(events["found"], events["labelled"])
    return {
        "frame": frame,
        "block30": {"precision": bp, "recall": br, "f1": _f1(bp, br), **blocks},
        "event": {"precision": ep, "recall": er, "f1": _f1(ep, er), **events},
        "budget": {"hit_rate": _ratio(budget["hit"], budget["labelled"]), **budget},
    }


def add_counts(a: dict, b: dict) -> dict:
    return {k: a.get(k, 0) + v for k, v in b.items()}


def _fmt(value) -> str:
    return "   -  " if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:6.3f}"


def metrics_table(m: dict) -> str:
    f, b, e, u = m["frame"], m["block30"], m["event"], m["budget"]
    lines = [f"{'metric':<9}{'AP':>8}{'precision':>11}{'recall':>8}{'F1':>8}   counts",
             f"{'frame':<9}{_fmt(f['ap']):>8}{_fmt(f['precision']):>11}{_fmt(f['recall']):>8}{_fmt(f['f1']):>8}"
             f"   {f['positive_steps']} of {f['steps']} steps labelled",
             f"{'block30':<9}{'':>8}{_fmt(b['precision']):>11}{_fmt(b['recall']):>8}{_fmt(b['f1']):>8}"
             f"   {b['hit']} hit, {b['predicted']} predicted, {b['positive']} positive of {b['blocks']} blocks",
             f"{'event':<9}{'':>8}{_fmt(e['precision']):>11}{_fmt(e['recall']):>8}{_fmt(e['f1']):>8}"
             f"   {e['found']} of {e['labelled']} highlights found, {e['correct']} of {e['predicted']} segments right",
             f"{'budget':<9}{'':>8}{'':>11}{_fmt(u['hit_rate']):>8}{'':>8}"
             f"   {u['hit']} of {u['labelled']} highlights in {u['used_s'] / 60:.1f} of {u['budget_s'] / 60:.1f} min"]
    return "\n".join(lines)
