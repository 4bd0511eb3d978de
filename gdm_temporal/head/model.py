"""The highlight head: one branch per kind of evidence (encoder, LSTM, logit), fused late.

Three branches: what the picture looks like (the backbone's embedding), what moved on it
(the motion block) and what the stream sounds like. Each gets its own encoder and LSTM,
trained and early-stopped on its own (see `train.py`), so each is exactly as good as a head
trained on it alone. The fused output is a logistic regression over the branches' logits,
fitted on the validation streams after training: it can weight a branch to nothing, so
fusion never has to be worse than its best branch (one LSTM over every block was: it
latched onto the block that was easier early in training and under-used the others). The
same fit calibrates the output: it is a probability, so the threshold chosen on validation
means what it says. A muted stream (or music over the game) is scored by the picture's two
branches, fused by their own regression; a branch alone is calibrated by its own one-input
regression.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .data import MODALITIES

# Branch -> the modality it reads: a stream without its picture loses both picture branches.
BRANCHES = {"visual": "visual", "motion": "visual", "audio": "audio"}


@dataclass(frozen=True)
class HeadConfig:
    visual_dim: int  # model input columns from the picture's embedding (0: a head that never looks)
    audio_dim: int  # ... from the sound (0: a head that never listens)
    motion_dim: int = 0  # ... from the picture's motion
    proj_dim: int = 64  # per branch
    hidden: int = 64  # per branch
    layers: int = 1
    bidirectional: bool = True  # False: causal, usable on a live stream
    dropout: float = 0.2

    @property
    def input_dim(self) -> int:
        return self.visual_dim + self.motion_dim + self.audio_dim

    def width(self, branch: str) -> int:
        return {"visual": self.visual_dim, "motion": self.motion_dim, "audio": self.audio_dim}[branch]

    def columns(self, branch: str) -> slice:
        """Where a branch's columns sit in the model input: visual, motion, audio."""
        order = list(BRANCHES)
        start = sum(self.width(b) for b in order[:order.index(branch)])
        return slice(start, start + self.width(branch))

    @property
    def branches(self) -> tuple[str, ...]:
        return tuple(b for b in BRANCHES if self.width(b))

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(m for m in MODALITIES if any(BRANCHES[b] == m for b in self.branches))

    def fusions(self) -> list[tuple[str, ...]]:
        """The sets of branches a stream can present that need a fused output: all of them,
        and the picture's alone (a muted stream)."""
        sets = [self.branches, tuple(b for b in self.branches if BRANCHES[b] == "visual")]
        return [s for k, s in enumerate(sets) if len(s) > 1 and s not in sets[:k]]

    def to_json(self) -> dict:
        return asdict(self)


class _Branch(nn.Module):
    def __init__(self, width: int, config: HeadConfig) -> None:
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(width, config.proj_dim), nn.GELU(), nn.Dropout(config.dropout))
        self.lstm = nn.LSTM(config.proj_dim, config.hidden, num_layers=config.layers, batch_first=True,
                            bidirectional=config.bidirectional,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.out = nn.Sequential(nn.Dropout(config.dropout),
                                 nn.Linear(config.hidden * (2 if config.bidirectional else 1), 1))
        self.calibration = nn.Linear(1, 1)  # logit -> calibrated logit, when this branch scores alone
        set_linear(self.calibration, [1.0], 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.lstm(self.encode(x))
        return self.out(hidden).squeeze(-1)


def set_linear(layer: nn.Linear, weights: list[float], bias: float) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weights], dtype=layer.weight.dtype))
        layer.bias.fill_(bias)


class HighlightHead(nn.Module):
    def __init__(self, config: HeadConfig) -> None:
        super().__init__()
        if config.input_dim <= 0:
            raise ValueError("a head needs the picture, the sound or both")
        self.config = config
        self.visual = _Branch(config.visual_dim, config) if config.visual_dim else None
        self.motion = _Branch(config.motion_dim, config) if config.motion_dim else None
        self.audio = _Branch(config.audio_dim, config) if config.audio_dim else None
        # Branch logits -> logit, per set of branches a stream can present (keys "visual+motion"...).
        self.fusions = nn.ModuleDict({"+".join(names): nn.Linear(len(names), 1) for names in config.fusions()})
        for layer in self.fusions.values():
            set_linear(layer, [1.0 / layer.in_features] * layer.in_features, 0.0)

    def branch(self, name: str) -> _Branch:
        return getattr(self, name)

    def present_branches(self, present: tuple[str, ...] = MODALITIES) -> tuple[str, ...]:
        """The branches that see something when only the modalities `present` are there."""
        return tuple(b for b in self.config.branches if BRANCHES[b] in present)

    def branches(self, x: torch.Tensor, present: tuple[str, ...] = MODALITIES) -> dict[str, torch.Tensor]:
        """Raw logits `[batch, steps]` of each branch whose modality is `present` (for training)."""
        return {b: self.branch(b)(x[..., self.config.columns(b)]) for b in self.present_branches(present)}

    def forward(self, x: torch.Tensor, present: tuple[str, ...] = MODALITIES, only: str | None = None) -> torch.Tensor:
        """`x`: `[batch, steps, input_dim]` -> calibrated logits `[batch, steps]`: fused over the
        branches whose modality is `present`, or branch `only` alone."""
        logits = {only: self.branch(only)(x[..., self.config.columns(only)])} if only else self.branches(x, present)
        if not logits:
            raise ValueError(f"this head needs {' or '.join(self.config.modalities)}; given {present}")
        if len(logits) > 1:
            return self.fusions["+".join(logits)](torch.stack(list(logits.values()), dim=-1)).squeeze(-1)
        (name, raw), = logits.items()
        return self.branch(name).calibration(raw.unsqueeze(-1)).squeeze(-1)
