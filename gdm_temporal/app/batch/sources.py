"""What `gdm batch` was given -> the list of things to process, in order, without duplicates."""

from __future__ import annotations

import glob
from pathlib import Path

from gdm_features.errors import GdmError

LIST_SUFFIXES = (".txt", ".list")


def is_url(item: str) -> bool:
    return "://" in item and not item.startswith("file://")


def expand_sources(items: list[str] | tuple[str, ...], _depth: int = 0) -> list[str]:
    """Paths and URLs as given; globs expanded; a `.txt`/`.list` file read as one source a line
    (blank lines and `#` comments skipped). A path that does not exist stays in the list: its
    task reports it, so one bad line never stops the batch."""
    out: list[str] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        if is_url(item):
            out.append(item)
        elif Path(item).suffix.lower() in LIST_SUFFIXES and Path(item).is_file():
            if _depth > 3:
                raise GdmError(f"{item}: source lists nested too deep")
            lines = Path(item).read_text(encoding="utf-8", errors="replace").splitlines()
            base = Path(item).parent
            listed = [line if is_url(line.strip()) or Path(line.strip()).is_absolute()
                      else str(base / line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")]
            out += expand_sources(listed, _depth + 1)
        elif any(ch in item for ch in "*?["):
            matches = sorted(glob.glob(item))
            if not matches:
                raise GdmError(f"{item}: matches no file")
            out += matches
        else:
            out.append(item)
    return list(dict.fromkeys(out))
