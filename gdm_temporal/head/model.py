"""The highlight head: one branch per modality (encoder, LSTM, logit), fused late.

Picture and sound each get their own encoder and LSTM, trained and early-stopped on their own
(see `train.py`), so each branch is exactly as good as a head trained on that modality alone.
The fused output is a logistic regression over the two branches' logits, fitted on the
validation streams after training: it can weight a branch to nothing, so fusion never has
to be worse than its better modality (one LSTM over both blocks was: it latched onto the
block that was easier early in training and under-used the other). The same fit calibrates
the output: it is a probability, so the threshold chosen on validation means what it says.
A muted stream (or music over the game) is scored by the picture's branch alone, calibrated
by its own one-input regression.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .data import MODALITIES


@dataclass(frozen=True)
class HeadConfig:
    visual_dim: int  # model input columns from the picture (0: a head that never looks)
    audio_dim: int  # ... from the sound (0: a head that never listens)
    proj_dim: int = 64  # per modality
    hidden: int = 64  # per modality
    layers: int = 1
    bidirectional: bool = True  # False: causal, usable on a live stream
    dropout: float = 0.2

    @property
    def input_dim(self) -> int:
        return self.visual_dim + self.audio_dim

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(m for m, width in zip(MODALITIES, (self.visual_dim, self.audio_dim)) if width)

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
        self.audio = _Branch(config.audio_dim, config) if config.audio_dim else None
        self.fuse = nn.Linear(2, 1) if len(config.modalities) == 2 else None  # [visual, audio] logits -> logit
        if self.fuse is not None:
            set_linear(self.fuse, [0.5, 0.5], 0.0)

    def branch(self, modality: str) -> _Branch:
        return {"visual": self.visual, "audio": self.audio}[modality]

    def branches(self, x: torch.Tensor, present: tuple[str, ...] = MODALITIES) -> dict[str, torch.Tensor]:
        """Raw logits `[batch, steps]` of each branch whose modality is `present` (for training)."""
        logits = {}
        if self.visual is not None and "visual" in present:
            logits["visual"] = self.visual(x[..., :self.config.visual_dim])
        if self.audio is not None and "audio" in present:
            logits["audio"] = self.audio(x[..., self.config.visual_dim:])
        return logits

    def forward(self, x: torch.Tensor, present: tuple[str, ...] = MODALITIES) -> torch.Tensor:
        """`x`: `[batch, steps, visual_dim + audio_dim]` -> calibrated logits `[batch, steps]`:
        fused where both modalities are `present`, else the one branch there is."""
        logits = self.branches(x, present)
        if not logits:
            raise ValueError(f"this head needs {' or '.join(self.config.modalities)}; given {present}")
        if len(logits) == 2:
            return self.fuse(torch.stack([logits["visual"], logits["audio"]], dim=-1)).squeeze(-1)
        (modality, raw), = logits.items()
        return self.branch(modality).calibration(raw.unsqueeze(-1)).squeeze(-1)
