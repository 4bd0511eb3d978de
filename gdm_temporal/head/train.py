"""The training loop, straight through: sample windows, forward, loss, step; validate every
epoch, keep each branch's best epoch, stop early, fit the fusion and calibration, choose the
thresholds on validation.

Each branch (picture, motion, sound) is trained with its own loss and early-stopped on its
own validation AP, so a muted stream is scored by picture branches as good as a picture-only
head; the fusions and each branch's calibration are then fitted on the validation steps (see
`model.py`).

Threshold rule: the one that maximises frame-level F1 on the validation steps, scored by the
fitted, fused output (the highest such threshold on ties); each modality gets its own the
same way, for streams that lack the other one.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from gdm_features.backbones import resolve_device
from gdm_features.errors import GdmError
from gdm_features.store import SCHEMA

from .checkpoint import save_head
from .data import MODALITIES, Normalizer, Stream, WindowReader, feature_identity
from .evaluate import metrics_for, score_regions
from ..labels.manifest import Region
from ..timeline.metrics import best_f1_threshold, frame_metrics
from .model import HeadConfig, HighlightHead, set_linear
from ..timeline.segments import SegmentParams


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 50
    window: int = 128  # steps per training window (25.6 s at 5 fps)
    batch: int = 32
    min_windows: int = 256  # per epoch: a few minutes of labels still make several steps an epoch
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 10  # epochs without a better validation AP before stopping
    seed: int = 0
    positive_share: float = 0.5  # share of windows placed on a labelled highlight
    hard_negative_share: float = 0.25  # share of the rest placed on a rejected span, where there are any
    proj_dim: int = 64
    hidden: int = 64
    layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.2
    modalities: tuple[str, ...] = MODALITIES  # what the head sees: picture, sound or both
    device: str = "cpu"


def _windows_for_epoch(streams: list[Stream], regions: list[Region], s: TrainSettings,
                       rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """`(stream, start, length)` windows: enough to cover the training steps once, a share of
    them placed on highlights so rare positives are seen every epoch, and a share of the rest on
    spans a reviewer rejected (hard negatives: what the scorer wrongly liked)."""
    lengths = np.array([r.length for r in regions], np.float64)
    n_windows = max(s.min_windows, math.ceil(lengths.sum() / s.window))
    positives = [(k, step) for k, r in enumerate(regions)
                 for step in np.flatnonzero(streams[r.stream].targets[r.start:r.end] > 0.5) + r.start]
    hard = [(k, step) for k, r in enumerate(regions) if streams[r.stream].hard_negatives is not None
            for step in np.flatnonzero(streams[r.stream].hard_negatives[r.start:r.end]) + r.start]
    windows = []
    for _ in range(n_windows):
        draw = rng.random()
        on_positive = bool(positives) and draw < s.positive_share
        on_hard = not on_positive and bool(hard) and draw >= 1 - s.hard_negative_share * (1 - s.positive_share)
        if on_positive or on_hard:
            pool = positives if on_positive else hard
            k, step = pool[rng.integers(len(pool))]
            region = regions[k]
            length = min(s.window, region.length)
            low, high = max(region.start, step - length + 1), min(step, region.end - length)
            start = int(rng.integers(low, high + 1))
        else:
            region = regions[rng.choice(len(regions), p=lengths / lengths.sum())]
            length = min(s.window, region.length)
            start = int(rng.integers(region.start, region.end - length + 1))
        windows.append((region.stream, start, length))
    return windows


def _modality_readers(streams: list[Stream], norm: Normalizer, config: HeadConfig) -> dict[str, WindowReader]:
    """Per modality, a reader that gives the head only that modality (for its own threshold)."""
    return {m: WindowReader(streams, norm, without=tuple(o for o in MODALITIES if o != m)) for m in config.modalities}


def _step_logits(head, reader, regions, device, branch: str) -> np.ndarray:
    p = np.clip(np.concatenate(score_regions(head, reader, regions, device, only=branch)).astype(np.float64),
                1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def _logistic(x: np.ndarray, targets: np.ndarray) -> tuple[list[float], float]:
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1.0).fit(x, targets > 0.5)
    return [float(w) for w in fit.coef_[0]], float(fit.intercept_[0])


def _calibrate(head: HighlightHead, reader: WindowReader, regions: list[Region], targets: np.ndarray,
               device) -> None:
    """Fit, on the validation steps, each branch's one-input calibration and each fused
    regression over its branches' logits (see `model.py`)."""
    logits = {}
    for branch in head.config.branches:
        calibration = head.branch(branch).calibration
        set_linear(calibration, [1.0], 0.0)
        logits[branch] = _step_logits(head, reader, regions, device, branch)
        set_linear(calibration, *_logistic(logits[branch][:, None], targets))
    for names in head.config.fusions():
        set_linear(head.fusions["+".join(names)], *_logistic(np.stack([logits[b] for b in names], axis=1), targets))


def _batch(reader: WindowReader, windows: list[tuple[int, int, int]], width: int):
    x = np.zeros((len(windows), width, reader.norm.out_dim), np.float32)
    y = np.zeros((len(windows), width), np.float32)
    mask = np.zeros((len(windows), width), np.float32)
    for k, (stream, start, length) in enumerate(windows):
        inputs, targets = reader.read(stream, start, length)
        x[k, :len(inputs)], y[k, :len(targets)], mask[k, :len(targets)] = inputs, targets, 1.0
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask)


def train(streams: list[Stream], regions: list[Region], settings: TrainSettings, out_path,
          segment_params: SegmentParams = SegmentParams(), log=print) -> dict:
    """Train a head, write the best checkpoint to `out_path`, return its config."""
    train_regions = [r for r in regions if r.split == "train"]
    val_regions = [r for r in regions if r.split == "val"]
    if not train_regions:
        raise GdmError("the manifest gives no training data (split 'train')")
    if not val_regions:
        raise GdmError("the manifest gives no validation data: add a stream with split 'val', "
                       "or leave 'split' empty to hold out blocks automatically")
    train_targets = np.concatenate([streams[r.stream].targets[r.start:r.end] for r in train_regions])
    n_pos = float(train_targets.sum())
    if n_pos == 0:
        raise GdmError("the training split has no labelled highlight steps")

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    device = resolve_device(settings.device)
    started = time.perf_counter()
    norm = Normalizer.fit(streams, train_regions, modalities=settings.modalities)
    reader = WindowReader(streams, norm)
    config = HeadConfig(visual_dim=norm.components, audio_dim=norm.audio_dim, motion_dim=norm.motion_components,
                        proj_dim=settings.proj_dim, hidden=settings.hidden, layers=settings.layers,
                        bidirectional=settings.bidirectional, dropout=settings.dropout)
    head = HighlightHead(config).to(device)
    optimizer = torch.optim.AdamW(head.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    # Highlights are rare: weight positives by sqrt(neg/pos); window placement does the rest.
    pos_weight = torch.tensor(math.sqrt((len(train_targets) - n_pos) / n_pos), device=device)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)

    val_targets = np.concatenate([streams[r.stream].targets[r.start:r.end] for r in val_regions])
    if not val_targets.any():
        raise GdmError("the validation split has no labelled highlight, so no head could be judged; label "
                       "more of the streams, or give a 'val' stream with highlights")
    best = {b: {"ap": -1.0, "epoch": 0, "state": None} for b in config.branches}
    history = []
    for epoch in range(settings.epochs):
        head.train()
        windows = _windows_for_epoch(streams, train_regions, settings, rng)
        losses = []
        for first in range(0, len(windows), settings.batch):
            group = sorted(windows[first:first + settings.batch])  # sequential reads per file
            x, y, mask = (t.to(device) for t in _batch(reader, group, settings.window))
            outputs = head.branches(x)  # each branch learns alone; fusion is fitted afterwards
            loss = sum((loss_fn(logits, y) * mask).sum() for logits in outputs.values()) / (mask.sum() * len(outputs))
            if not torch.isfinite(loss):  # never train on (or save) numbers that are not numbers
                raise GdmError("training diverged (the loss is not a finite number); check the features "
                               "(gdm inspect) or lower --lr")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            optimizer.step()
            losses.append(float(loss.detach()))
        aps = {b: _ap(_step_logits(head, reader, val_regions, device, b), val_targets) for b in config.branches}
        improved = [m for m in aps if aps[m] > best[m]["ap"]]
        for m in improved:  # each branch keeps its own best epoch
            best[m] = {"ap": aps[m], "epoch": epoch + 1, "state": copy.deepcopy(head.branch(m).state_dict())}
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), **{f"val_ap_{m}": v for m, v in aps.items()}})
        log(f"epoch {epoch + 1:3d}/{settings.epochs}  loss {np.mean(losses):.4f}  val AP "
            + "  ".join(f"{m} {v:.3f}{'*' if m in improved else ' '}" for m, v in aps.items()))
        if improved:
            _save(out_path, _best_head(head, best), norm, streams, settings, segment_params, history, best, started,
                  None, None)
        if epoch + 1 - max(b["epoch"] for b in best.values()) >= settings.patience:
            log(f"stopping early: no better validation AP for {settings.patience} epochs")
            break

    head = _best_head(head, best)
    _calibrate(head, reader, val_regions, val_targets, device)
    val_scores = score_regions(head, reader, val_regions, device)
    threshold = best_f1_threshold(np.concatenate(val_scores), val_targets)
    params = SegmentParams(**{**asdict(segment_params), "threshold": threshold})
    val_metrics = metrics_for(streams, val_regions, val_scores, params, highlight_s=_median_highlight_s(streams))
    # Each modality alone (a muted stream) gets its own threshold: its probabilities are its own.
    modality_thresholds = {m: best_f1_threshold(np.concatenate(score_regions(head, r, val_regions, device)), val_targets)
                           for m, r in _modality_readers(streams, norm, config).items()}
    return _save(out_path, head, norm, streams, settings, params, history, best, started, threshold, val_metrics,
                 modality_thresholds)


def best_epochs_text(config: dict) -> str:
    """"best epoch 12" for a one-branch head, "best epochs visual 12, motion 9, audio 7" for more."""
    epochs = config["training"]["best_epoch"]
    if len(epochs) == 1:
        return f"best epoch {next(iter(epochs.values()))}"
    return "best epochs " + ", ".join(f"{m} {e}" for m, e in epochs.items())


def _median_highlight_s(streams: list[Stream]) -> float | None:
    """How long the labelled highlights are: budget selection takes windows this long."""
    lengths = [iv.duration for s in streams for iv in s.intervals]
    return float(np.median(lengths)) if lengths else None


def _ap(scores: np.ndarray, targets: np.ndarray) -> float:
    ap = frame_metrics(scores, targets, 0.0)["ap"]
    return -0.0 if math.isnan(ap) else ap


def _best_head(head: HighlightHead, best: dict) -> HighlightHead:
    """A copy of the head with each branch at its own best epoch."""
    chosen = copy.deepcopy(head)
    for modality, b in best.items():
        if b["state"] is not None:
            chosen.branch(modality).load_state_dict(b["state"])
    return chosen.eval()


def _save(out_path, head, norm, streams, settings, params, history, best, started, threshold, val_metrics,
          modality_thresholds=None) -> dict:
    attrs = streams[0].features.attrs
    config = {
        "feature_schema": SCHEMA,
        "features": feature_identity(attrs),
        "dims": {"visual": norm.visual_dim, "motion": norm.motion_dim, "audio": norm.audio_dim},
        "fps": float(attrs["fps"]),
        "visual_components": norm.components,
        "architecture": head.config.to_json(),
        "training": {**asdict(settings), "best_epoch": {m: b["epoch"] for m, b in best.items()},
                     "history": history,
                     "seconds": round(time.perf_counter() - started, 2), "streams": [s.name for s in streams]},
        "threshold": threshold if threshold is not None else 0.5,
        "modality_thresholds": modality_thresholds or {},
        "segments": asdict(params),
        "highlight_s": {"median": _median_highlight_s(streams)},
        "validation": {**(val_metrics or {"frame": {"ap": max(b["ap"] for b in best.values())}}),
                       "branch_ap": {m: b["ap"] for m, b in best.items()}},
        "complete": threshold is not None,
    }
    save_head(out_path, head, config, norm)
    return config
