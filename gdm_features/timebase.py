"""The one place that converts between steps, seconds and timecodes.

Step `i` is at `t_i = i / fps` seconds from the start of the video (see docs/DESIGN.md).
Nothing else in gdm does its own arithmetic on step numbers.
"""

from __future__ import annotations

import math
import re

# Tolerance for float time stamps that should land exactly on a step boundary
# (e.g. 0.6 / 0.2 = 2.9999999999999996): without it such a step would be lost.
_EPS = 1e-9


def step_time(step: int, fps: float) -> float:
    """Seconds from the start of the video at which step `step` is sampled."""
    return step / fps


def steps_before(seconds: float, fps: float) -> int:
    """Number of steps whose time is strictly before `seconds` (ceil, robust to float noise)."""
    if seconds <= 0:
        return 0
    return max(0, math.ceil(seconds * fps - _EPS))


def last_step_at_or_before(seconds: float, fps: float) -> int:
    """Index of the last step with `t_i <= seconds` (-1 if `seconds` is negative)."""
    return math.floor(seconds * fps + _EPS)


def format_timecode(seconds: float, decimals: int = 3) -> str:
    """`HH:MM:SS.mmm` for humans and editors; negative times are a caller bug."""
    if seconds < 0:
        raise ValueError(f"negative time {seconds}")
    scale = 10**decimals
    total = round(seconds * scale)
    whole, frac = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}.{frac:0{decimals}d}" if decimals else text


def parse_timecode(text: str) -> float:
    """Seconds from `SS[.fff]`, `MM:SS[.fff]` or `HH:MM:SS[.fff]`; ValueError otherwise."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(p.strip() == "" for p in parts):
        raise ValueError(f"not a time: {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"not a time: {text!r}") from None
    if any(not math.isfinite(v) or v < 0 for v in values) or any(v >= 60 for v in values[1:]):
        raise ValueError(f"not a time: {text!r}")
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return seconds


def parse_duration(text: str) -> float:
    """Seconds from `600`, `90s`, `10m`, `1.5h` or `1:30`; ValueError otherwise."""
    text = text.strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", text)
    if match:
        return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    try:
        return parse_timecode(text)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 600, 90s, 10m, 1.5h or 1:30)") from None
