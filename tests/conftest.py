from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from media_factory import Scenario, highlight_stream, write_video  # noqa: E402

SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
# Random-weight ResNet18 at a small input: exercises decoding and caching in a fraction of
# the time a pretrained network at 224 px takes. Tests about embeddings use real weights.
FAST = ["--backbone", "resnet18", "--weights", "none", "--input-size", "64", "--quiet"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """No test writes to the project's cache/ by accident."""
    monkeypatch.setenv("GDM_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.setenv("GDM_FINGERPRINT_MEMO", str(tmp_path / "fingerprints.json"))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def event_video(media_dir) -> Path:
    """10 s, 30 fps: white flash [3.0, 3.4), scene change at 5.0, loud tone [7.4, 7.8)."""
    return write_video(media_dir / "events.mp4",
                       Scenario(flashes=[(3.0, 3.4)], scene_changes=[5.0], bursts=[(7.4, 7.8)]))


@pytest.fixture
def gdm():
    """Run the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from gdm_temporal.app.cli import gdm as group

    def run(*args: str):
        return CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)

    return run


FAST_FEATURES = dict(backbone="resnet18", weights="none", input_size=(64, 64), progress=False)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """Three 3-minute streams, six highlights each: one to train on, one to validate, one to test."""
    from gdm_features import extract
    from gdm_temporal.labels import Interval, save_labels

    root = tmp_path_factory.mktemp("dataset")
    rows = ["video,labels,split"]
    for seed, split in [(11, "train"), (12, "val"), (13, "test")]:
        video, intervals = highlight_stream(root / f"stream{seed}.mp4", seed)
        features = extract(video, cache_dir=root / "cache", **FAST_FEATURES)
        save_labels([Interval(a, b) for a, b in intervals], root / f"stream{seed}.json")
        rows.append(f"{features},stream{seed}.json,{split}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="session")
def trained_head(dataset):
    from gdm_temporal.app.cli import gdm as group

    head = dataset / "head.pt"
    result = CliRunner().invoke(group, ["train", str(dataset / "manifest.csv"), "-o", str(head), "--seed", "0",
                                        "--epochs", "25", "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return head


@pytest.fixture(scope="session")
def scored(trained_head, dataset, tmp_path_factory):
    from click.testing import CliRunner

    from gdm_temporal.app.cli import gdm

    out = tmp_path_factory.mktemp("scored")
    result = CliRunner().invoke(gdm, ["score", str(trained_head), str(dataset / "stream13.mp4"), "-o", str(out),
                                      "--cache-dir", str(dataset / "cache"), "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out / "stream13.segments.json"


def scalabel(tmp_path, marks, n_frames=40, wrap=True):
    """A Scalabel export with `(frame, category)` marks, as {"frames": [...]} or a bare list."""
    frames = [{"name": f"frame-{k:05d}.jpg", "labels": []} for k in range(n_frames)]
    for k, category in marks:
        frames[k]["labels"].append({"id": str(k), "category": category})
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"frames": frames} if wrap else frames))
    return path


def shared_clip(name: str) -> Path:
    path = SHARED_MEDIA / name
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"real game clips not found at {SHARED_MEDIA} (shared/media beside the checkout)")
    return path


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gdm: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


os.environ.setdefault("PYTHONUNBUFFERED", "1")
