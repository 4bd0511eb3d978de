"""How much of a stream a reel keeps: one syntax for every command that takes a budget.

`90s`, `10m`, `1.5h`, `1:30` or `600` (seconds) are a total per stream; `5%` is a share of each
stream's length. The default is 10 minutes per 4 hours of stream, pro rata (about 4.2 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gdm_features.timebase import parse_duration

DEFAULT_SHARE = 10 / (4 * 60)  # 10 min per 4 h


@dataclass(frozen=True)
class Budget:
    seconds: float | None = None  # a total per stream, or
    share: float | None = None  # a share of each stream's length (0..1]

    @classmethod
    def parse(cls, text: str) -> "Budget":
        """ValueError with the accepted forms for anything else (NaN, negative, zero, 150 %)."""
        text = str(text).strip()
        if text.endswith("%"):
            try:
                percent = float(text[:-1])
            except ValueError:
                percent = math.nan
            if not (math.isfinite(percent) and 0 < percent <= 100):
                raise ValueError(f"budget {text!r}: a share must be between 0 % and 100 %, e.g. 5%")
            return cls(share=percent / 100)
        try:
            seconds = parse_duration(text)
        except ValueError:
            raise ValueError(f"budget {text!r} is not a duration or a share "
                             "(use e.g. 90s, 10m, 1h, 1:30 or 5%)") from None
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"budget {text!r} must be longer than 0 s")
        return cls(seconds=seconds)

    def for_stream(self, duration_s: float) -> float:
        """Seconds of reel for a stream this long."""
        if self.seconds is not None:
            return self.seconds
        return (self.share if self.share is not None else DEFAULT_SHARE) * duration_s

    def text(self) -> str:
        """The inverse of `parse` (for settings written to JSON and read back by `parse`)."""
        return f"{100 * self.share:g}%" if self.share is not None else f"{self.seconds:g}"

    def describe(self) -> str:
        if self.seconds is not None:
            return f"{self.seconds:g} s per stream"
        if self.share is not None:
            return f"{100 * self.share:g} % of each stream"
        return "10 min per 4 h of stream"


DEFAULT_BUDGET = Budget()
