"""A picture of the score over time, readable in five seconds: what was scored, what was chosen
and why, and (where the stream has labels) what should have been.

Drawn with Pillow (already a torchvision dependency) rather than pulling in a plotting
library for one chart. Long streams are reduced to one column per pixel by taking the max.
Scores are on gdm's 0..1 scale, so the y axis is always 0..1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gdm_features.files import atomic_output
from gdm_features.timebase import format_timecode

from ..timeline.intervals import Interval
from ..timeline.segments import Segment

WIDTH, HEIGHT = 1600, 460
LEFT, RIGHT, TOP, PLOT_H = 110, 30, 86, 260
LABEL_STRIP = 18  # the labels' strip under the plot
SCORE_BLUE, SEGMENT_ORANGE, LABEL_GREEN, THRESHOLD_RED = (31, 87, 160), (255, 200, 120), (46, 150, 80), (200, 40, 40)
GRID, INK, MUTED = (225, 225, 225), (20, 20, 20), (90, 90, 90)


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _clock(seconds: float) -> str:
    text = format_timecode(seconds, 0)
    return text[3:] if text.startswith("00:") else text


def column_peaks(scores, columns: int) -> np.ndarray:
    """At most `columns` values, each the peak of the steps whose times fall in its column.

    Columns are cut by time (np.array_split would give the first `n % columns` columns one
    step more: a curve drawn from them drifted up to 15 s early in the middle of a 10-minute
    stream at 1460 px, and 100 s at the studio's 2000 points)."""
    values = np.asarray(scores, np.float64) if len(scores) else np.zeros(1)
    edges = np.linspace(0, len(values), min(columns, len(values)) + 1).round().astype(int)
    return np.maximum.reduceat(values, edges[:-1])


def render_score_png(path: Path, scores: np.ndarray, fps: float, segments: list[Segment], title: str,
                     threshold: float | None = None, chosen_by: str = "", labels: list[Interval] | None = None,
                     duration_s: float | None = None) -> Path:
    plot_w = WIDTH - LEFT - RIGHT
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    n = max(len(scores), 1)
    duration = duration_s or n / fps
    bottom = TOP + PLOT_H

    def x_of(seconds: float) -> int:
        return LEFT + int(round(min(max(seconds, 0.0), duration) / duration * plot_w))

    def y_of(value: float) -> int:
        return bottom - int(round(min(max(value, 0.0), 1.0) * PLOT_H))

    # Title and what the picture says, in words.
    total = sum(s.duration for s in segments)
    draw.text((LEFT, 14), title, fill=INK, font=_font(26))
    summary = (f"{len(segments)} segment{'' if len(segments) == 1 else 's'}, {_clock(total)} in total ({100 * total / duration:.1f} % of "
               f"{_clock(duration)}), chosen by {chosen_by or 'threshold'}")
    draw.text((LEFT, 50), summary, fill=MUTED, font=_font(18))

    # Grid and y axis (0..1).
    for value in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(value)
        draw.line([(LEFT, y), (LEFT + plot_w, y)], fill=GRID)
        draw.text((LEFT - 10, y), f"{value:.2f}", fill=INK, font=_font(16), anchor="rm")
    axis_title = Image.new("RGBA", (PLOT_H, 26), (255, 255, 255, 0))
    ImageDraw.Draw(axis_title).text((PLOT_H // 2, 13), "highlight score", fill=INK, font=_font(18), anchor="mm")
    image.paste(axis_title.rotate(90, expand=True), (8, TOP), axis_title.rotate(90, expand=True))

    for s in segments:
        draw.rectangle([x_of(s.start), TOP, max(x_of(s.end), x_of(s.start) + 2), bottom], fill=SEGMENT_ORANGE)
    for value in (0.25, 0.5, 0.75):  # grid stays visible through the shading
        draw.line([(LEFT, y_of(value)), (LEFT + plot_w, y_of(value))], fill=GRID)

    peaks = column_peaks(scores, plot_w).tolist()
    step = (n / fps) / duration * plot_w / len(peaks)
    points = [(LEFT + int((k + 0.5) * step), y_of(v)) for k, v in enumerate(peaks)]
    if len(points) > 1:
        draw.line(points, fill=SCORE_BLUE, width=2)
    if threshold is not None:
        y = y_of(threshold)
        for x in range(LEFT, LEFT + plot_w, 14):
            draw.line([(x, y), (min(x + 8, LEFT + plot_w), y)], fill=THRESHOLD_RED, width=2)
    draw.rectangle([LEFT, TOP, LEFT + plot_w, bottom], outline=INK)

    # Labels strip, time axis.
    strip_top = bottom + 6
    if labels is not None:
        draw.rectangle([LEFT, strip_top, LEFT + plot_w, strip_top + LABEL_STRIP], fill=(243, 243, 243))
        for iv in labels:
            draw.rectangle([x_of(iv.start), strip_top, max(x_of(iv.end), x_of(iv.start) + 2),
                            strip_top + LABEL_STRIP], fill=LABEL_GREEN)
        draw.text((LEFT - 10, strip_top + LABEL_STRIP // 2), "labels", fill=INK, font=_font(15), anchor="rm")
    ticks_top = strip_top + (LABEL_STRIP + 4 if labels is not None else 0)
    for k in range(9):
        seconds = duration * k / 8
        x = x_of(seconds)
        draw.line([(x, ticks_top), (x, ticks_top + 6)], fill=INK)
        draw.text((x, ticks_top + 9), _clock(seconds), fill=INK, font=_font(16),
                  anchor="lt" if k == 0 else ("rt" if k == 8 else "mt"))
    draw.text((LEFT + plot_w // 2, ticks_top + 34), "stream time", fill=MUTED, font=_font(16), anchor="mt")

    # Legend.
    items = [("score", SCORE_BLUE, "line"), ("chosen segment", SEGMENT_ORANGE, "box")]
    if threshold is not None:
        items.append((f"threshold {threshold:.2f}", THRESHOLD_RED, "line"))
    if labels is not None:
        items.append((f"labelled highlight ({len(labels)})", LABEL_GREEN, "box"))
    x = LEFT
    y = HEIGHT - 30
    for text, colour, kind in items:
        if kind == "line":
            draw.line([(x, y + 9), (x + 26, y + 9)], fill=colour, width=3)
        else:
            draw.rectangle([x, y + 1, x + 26, y + 17], fill=colour)
        draw.text((x + 34, y + 9), text, fill=INK, font=_font(16), anchor="lm")
        x += 34 + int(draw.textlength(text, font=_font(16))) + 36
    with atomic_output(path) as tmp:
        image.save(tmp, format="PNG")
    return Path(path)
