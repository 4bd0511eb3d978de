"""`gdm labels align` on compilations edited from real game footage (../shared/media)."""

import json

import numpy as np
import pytest

from conftest import shared_clip
from gdm_features import FeatureFile, extract
from gdm_temporal.labels.align import align, labels_from
from gdm_temporal.timeline.intervals import runs
from media_factory import make_compilation

STREAM = "smb_nes_mairio_123s.mp4"  # 2 minutes of scrolling Super Mario Bros: the "VOD"
# Six cuts, in shuffled order; clips 1 and 3 get a box over a corner (a webcam overlay).
CUTS = [(70.0, 74.0), (12.0, 17.0), (100.0, 104.5), (40.0, 43.5), (55.5, 60.0), (25.0, 29.0)]


@pytest.fixture(scope="module")
def aligned(tmp_path_factory):
    root = tmp_path_factory.mktemp("align")
    stream = shared_clip(STREAM)
    placed = make_compilation(stream, CUTS, root / "compilation.mp4", overlay=(1, 3), size=(280, 320), crf=30)
    make_compilation(shared_clip("smb_nes_world1-2_iamario_57s.mp4"), [(5, 10), (20, 25), (40, 45)],
                     root / "other.mp4")
    features = {name: FeatureFile(extract(path, backbone="efficientnet_lite0", cache_dir=root / "cache",
                                          progress=False))
                for name, path in (("stream", stream), ("compilation", root / "compilation.mp4"),
                                   ("other", root / "other.mp4"))}
    return root, placed, features


def test_every_clip_is_found_within_two_steps(aligned):
    _, placed, f = aligned
    labels = labels_from(align(f["stream"], f["compilation"]))
    assert len(labels) == len(CUTS)
    for clip in placed:
        [hit] = [iv for iv in labels if iv.start < clip.source_end and clip.source_start < iv.end]
        assert abs(hit.start - clip.source_start) <= 0.4 + 1e-6, (clip, hit)
        assert abs(hit.end - clip.source_end) <= 0.4 + 1e-6, (clip, hit)


def test_title_card_is_reported_unmatched_and_nothing_is_invented(aligned):
    _, placed, f = aligned
    pieces = align(f["stream"], f["compilation"])
    assert pieces[0].status == "no match" and pieces[0].start == 0 and pieces[0].end >= 2.4
    for p in pieces:
        if p.status != "no match":
            clip = min(placed, key=lambda c: abs(c.source_start - p.stream_start))
            assert clip.source_start - 0.4 <= p.stream_start and p.stream_end <= clip.source_end + 0.4


def test_compilation_of_another_stream_matches_nothing(aligned):
    _, _, f = aligned
    pieces = align(f["stream"], f["other"])
    assert labels_from(pieces) == []
    assert all(p.status in ("no match", "low confidence") for p in pieces)


def test_progress_only_moves_forward_and_ends_full(aligned):
    """Also where no clip is sure before the motion grids' and pictures' searches (another
    stream's compilation), and the pictures may be searched again in a measured geometry."""
    _, _, f = aligned
    for compilation in ("compilation", "other"):
        seen = []
        align(f["stream"], f[compilation], progress=lambda done, total: seen.append((done, total)))
        done = [d for d, _ in seen]
        assert done == sorted(done) and done[-1] == seen[-1][1] == f["stream"].n_steps, compilation


def test_cli_writes_labels_and_report(aligned, gdm):
    root, _, _ = aligned
    result = gdm("labels", "align", shared_clip(STREAM), root / "compilation.mp4", "-o", root / "labels.json",
                 "--report", root / "report.json", "--backbone", "efficientnet_lite0", "--cache-dir", root / "cache",
                 "--quiet")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads((root / "labels.json").read_text())["highlights"]) == 6
    assert result.stdout.rstrip().endswith("labels.json: 6 highlights")  # (no low-confidence piece)
    report = json.loads((root / "report.json").read_text())["pieces"]
    assert report[0]["status"] == "no match"
    assert {"start", "end", "stream_start", "stream_end", "similarity", "confidence", "status"} <= set(report[1])


def test_runs_bridge_short_gaps_and_drop_short_runs():
    mask = np.array([1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1], bool)
    assert runs(mask, max_gap=1, min_len=3) == [(0, 5), (8, 13)]  # one-step gaps bridged
    assert runs(mask, max_gap=0, min_len=2) == [(0, 2), (3, 5), (8, 11)]
