"""Labels: what the streamer says is a highlight, and where it comes from.

- `formats`: importers (gdm JSON, Scalabel export, CSV) and the writer of gdm's labels JSON;
- `manifest`: a dataset's streams and labels, and their train/val/test splits;
- `align`: labels found by matching a highlight compilation against its stream.
"""

from ..timeline.intervals import Interval, merged, step_targets, summarize
from .formats import load_labels, save_labels

__all__ = ["Interval", "merged", "step_targets", "summarize", "load_labels", "save_labels"]
