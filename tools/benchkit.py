"""What every benchmark here shares: a fresh process per measurement (so peak RSS is its
own), the machine it ran on, and the JSON report."""

from __future__ import annotations

import json
import os
import platform
import resource
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


def in_fresh_process(fn, *args):
    """`fn(*args)` in a new spawned interpreter; its return value comes back."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    import torch

    return {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def media_dir() -> Path:
    """Generated benchmark clips, kept between runs under the user's own cache (mode 0700):
    never a predictable path in the shared temporary folder that another user could plant."""
    path = Path.home() / ".cache" / "gdm-bench-media"
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_report(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path}")
