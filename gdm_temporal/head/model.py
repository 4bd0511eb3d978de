"""The highlight head: projection, LSTM, one logit per step. Nothing else lives here."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class HeadConfig:
    input_dim: int
    proj_dim: int = 128
    hidden: int = 64
    layers: int = 1
    bidirectional: bool = True  # False: causal, usable on a live stream
    dropout: float = 0.2

    def to_json(self) -> dict:
        return asdict(self)


class HighlightHead(nn.Module):
    def __init__(self, config: HeadConfig) -> None:
        super().__init__()
        self.config = config
        self.project = nn.Sequential(nn.Linear(config.input_dim, config.proj_dim), nn.GELU(),
                                     nn.Dropout(config.dropout))
        self.lstm = nn.LSTM(config.proj_dim, config.hidden, num_layers=config.layers, batch_first=True,
                            bidirectional=config.bidirectional,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.out = nn.Sequential(nn.Dropout(config.dropout),
                                 nn.Linear(config.hidden * (2 if config.bidirectional else 1), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x`: `[batch, steps, input_dim]` -> logits `[batch, steps]`."""
        hidden, _ = self.lstm(self.project(x))
        return self.out(hidden).squeeze(-1)
