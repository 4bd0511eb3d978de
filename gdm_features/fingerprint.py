"""Identity of a video file and of a cache entry, cheap even for multi-GB recordings.

Hashing a 20 GB VOD whole would cost minutes per run; size plus a hash of evenly spaced
blocks tells files apart in practice and costs milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_BLOCKS = 16
_BLOCK_BYTES = 64 * 1024


def file_fingerprint(path: Path) -> str:
    """`<size>-<sha256 of 16 sampled 64 KiB blocks, first and last included>`."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        if size <= _BLOCKS * _BLOCK_BYTES:
            digest.update(handle.read())
        else:
            last_offset = size - _BLOCK_BYTES
            for k in range(_BLOCKS):
                handle.seek(last_offset * k // (_BLOCKS - 1))
                digest.update(handle.read(_BLOCK_BYTES))
    return f"{size}-{digest.hexdigest()[:32]}"


def cache_key(fingerprint: str, settings: dict) -> str:
    """Hex key of (video, every setting that changes the numbers); names the cache file."""
    blob = json.dumps({"video": fingerprint, "settings": settings}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]
