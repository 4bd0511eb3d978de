"""A picture of the score over time with the segments shaded: read faster than a table.

Drawn with Pillow (already a torchvision dependency) rather than pulling in a plotting
library for one chart. Long streams are reduced to one column per pixel by taking the max.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from gdm_features.timebase import format_timecode

from ..timeline.segments import Segment

WIDTH, HEIGHT, MARGIN_L, MARGIN_B, MARGIN_T = 1600, 320, 60, 40, 30


def render_score_png(path: Path, scores: np.ndarray, fps: float, segments: list[Segment], title: str,
                     threshold: float | None = None) -> Path:
    plot_w, plot_h = WIDTH - MARGIN_L - 20, HEIGHT - MARGIN_B - MARGIN_T
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    n = max(len(scores), 1)
    duration = n / fps
    top = float(max(scores.max(initial=0.0), threshold or 0.0, 1e-6))

    def x_of(seconds: float) -> int:
        return MARGIN_L + int(round(seconds / duration * plot_w))

    def y_of(value: float) -> int:
        return MARGIN_T + plot_h - int(round(value / top * plot_h))

    for s in segments:
        draw.rectangle([x_of(s.start), MARGIN_T, max(x_of(s.end), x_of(s.start) + 1), MARGIN_T + plot_h],
                       fill=(255, 214, 153))
    columns = np.array_split(np.asarray(scores, np.float64), min(plot_w, n))
    peaks = [float(c.max()) if len(c) else 0.0 for c in columns]
    step = plot_w / len(peaks)
    points = [(MARGIN_L + int((k + 0.5) * step), y_of(v)) for k, v in enumerate(peaks)]
    if len(points) > 1:
        draw.line(points, fill=(31, 87, 160), width=1)
    if threshold is not None:
        draw.line([(MARGIN_L, y_of(threshold)), (MARGIN_L + plot_w, y_of(threshold))], fill=(200, 40, 40))
    draw.rectangle([MARGIN_L, MARGIN_T, MARGIN_L + plot_w, MARGIN_T + plot_h], outline="black")
    for k in range(7):
        seconds = duration * k / 6
        x = x_of(seconds)
        draw.line([(x, MARGIN_T + plot_h), (x, MARGIN_T + plot_h + 5)], fill="black")
        draw.text((x - 30, MARGIN_T + plot_h + 10), format_timecode(seconds, 0), fill="black")
    draw.text((5, MARGIN_T - 5), f"{top:.2f}", fill="black")
    draw.text((5, MARGIN_T + plot_h - 10), "0", fill="black")
    draw.text((MARGIN_L, 8), f"{title}: {len(segments)} segments shaded, "
                             f"{sum(s.duration for s in segments) / 60:.1f} min", fill="black")
    image.save(path)
    return path
