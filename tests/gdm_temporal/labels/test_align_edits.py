"""`gdm labels align` on compilations edited the way channels edit, cut from real Atari play
with sound (ale-py): a game whose pictures repeat, where the sound has to carry the match."""

import json
from dataclasses import replace

import numpy as np
import pytest

from compilation_factory import Edits, make_edited_compilation
from gdm_features import FeatureFile, extract
from gdm_temporal.labels.align import align, labels_from
from gdm_temporal.labels.audio_print import PrintIndex
from gdm_temporal.labels.picture_geometry import fitted_box, grid_views
from gdm_temporal.labels.picture_match import picture_pieces
from gdm_temporal.labels.picture_motion import MotionCheck
from gdm_temporal.labels.sound_cache import sound_print

pytest.importorskip("ale_py", reason="Atari recordings need the demo extra (ale-py)")

FEATURES = dict(backbone="efficientnet_lite0", input_size=(160, 160), progress=False)
# Five cuts of 6-12 s, shuffled; the third plays 4 % fast, the fifth 3 % slow; a box over a
# corner of every second clip; letterboxed into 640x360; crossfades, title and end cards; AAC.
CUTS = [(150.0, 161.0), (30.0, 37.0), (95.0, 103.0), (200.0, 212.0), (60.0, 69.0)]
EDITS = Edits(overlay_every=2, speeds={2: 1.04, 4: 0.97}, layout="letterbox", size=(360, 640), crf=32)
MUSIC_OVER = replace(EDITS, music=0.5)  # all of the above, and music mixed over the game at half its level


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    from gdm_temporal.app.demo.atari import record_breakout

    root = tmp_path_factory.mktemp("align-edits")
    stream = record_breakout(root / "stream.mp4", 240, seed=5, progress=False, varied_aim=True).video
    placed = make_edited_compilation(stream, CUTS, root / "compilation.mp4", EDITS)
    make_edited_compilation(stream, CUTS, root / "music_over.mp4", MUSIC_OVER)
    other = record_breakout(root / "other.mp4", 60, seed=6, progress=False, varied_aim=True).video
    make_edited_compilation(other, [(5.0, 15.0), (30.0, 40.0)], root / "elsewhere.mp4", EDITS)
    cache = root / "cache"
    features = {p.stem: FeatureFile(extract(p, cache_dir=cache, **FEATURES))
                for p in (stream, root / "compilation.mp4", root / "elsewhere.mp4", root / "music_over.mp4")}
    prints = {p.stem: sound_print(p, cache)
              for p in (stream, root / "compilation.mp4", root / "elsewhere.mp4", root / "music_over.mp4")}
    return root, placed, features, prints


def overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


def found_clips(labels, placed):
    """How many true clips a label covers for at least half their length, and how many labels
    cover no true clip for at least half of their own (invented)."""
    found = sum(any(overlap(iv.start, iv.end, c.source_start, c.source_end) >= 0.5 * (c.source_end - c.source_start)
                    for iv in labels) for c in placed)
    invented = sum(not any(overlap(iv.start, iv.end, c.source_start, c.source_end) >= 0.5 * iv.duration
                           for c in placed) for iv in labels)
    return found, invented


def test_sound_and_picture_find_every_letterboxed_clip(material):
    """Every clip, none invented, the sound's evidence among what found them; and never fewer
    than the picture alone finds (which, told apart step by step, now finds them all too)."""
    _, placed, f, prints = material
    with_sound = align(f["stream"], f["compilation"], stream_sound=PrintIndex.of(prints["stream"]),
                       compilation_sound=prints["compilation"])
    picture_only = align(f["stream"], f["compilation"])
    found, invented = found_clips(labels_from(with_sound), placed)
    found_by_picture, _ = found_clips(labels_from(picture_only), placed)
    assert invented == 0
    assert found == len(placed) and found >= found_by_picture, (found, found_by_picture)
    assert any(p.evidence and "sound" in p.evidence for p in with_sound)


def test_the_screens_rhythm_backs_the_sound_where_the_letterboxed_picture_cannot(material):
    """The letterboxed, covered clips' embeddings confirm no line; the rhythm of their motion
    still follows the stream's along each clip's true line, and not along lines a few seconds
    or minutes off, so a clip heard is also seen."""
    _, placed, f, prints = material
    rhythm = MotionCheck.of(f["stream"], f["compilation"])
    trues = []
    for clip in placed:
        if clip.speed != 1.0:  # a speed change drops and doubles frames: a rhythm of its own
            continue
        a, b, source = clip.start + 0.5, clip.end - 0.5, clip.source_start + 0.5
        trues.append(rhythm.agreement(a, b, source, 1.0))
        others = [rhythm.agreement(a, b, source + d, 1.0) for d in (-40, -20, -7, 7, 20, 40)]
        assert trues[-1] >= 0.5 and trues[-1] > np.nanmax(others) + 0.1, (clip, trues[-1], others)
    assert np.mean(trues) >= 0.7, trues  # measured: 0.99, 0.53 and 0.74
    sound = dict(stream_sound=PrintIndex.of(prints["stream"]), compilation_sound=prints["compilation"])
    evidence = [p.evidence for p in align(f["stream"], f["compilation"], **sound) if p.status == "match"]
    assert "sound and picture" in evidence


def test_the_letterbox_is_measured_and_the_motion_grid_sees_through_it(material):
    """Fitted on the clips' true lines, the geometry is the letterbox the editor made (the
    160x210 picture 274 of 640 wide, full height); in it, the motion grid puts each clip's
    true line far above its background, where the letterboxed embedding barely does."""
    _, placed, f, _ = material
    anchors = [(c.start + 0.5, c.end - 0.5, c.source_start + 0.5 * c.speed, c.speed) for c in placed]
    box, fit = fitted_box(f["stream"], f["compilation"], anchors)
    assert box.width == pytest.approx(274 / 640, abs=0.05) and box.height == pytest.approx(1.0, abs=0.05), box
    assert fit > 0.5
    _, grid = picture_pieces(f["stream"], f["compilation"], views=grid_views(box))
    _, look = picture_pieces(f["stream"], f["compilation"])
    by_grid = [grid.z_along(*anchor) for anchor in anchors]
    by_look = [look.z_along(*anchor) for anchor in anchors]
    assert min(by_grid) >= 1.5 and np.mean(by_grid) >= np.mean(by_look) + 1.0, (by_grid, by_look)  # 1.98-2.59; -0.54-1.25


def test_clips_are_heard_through_music_mixed_over_them(material):
    """Chords as loud as the game, changing every half second, over the letterboxed, covered,
    sped-up clips: the game's sounds still rise in frequencies the music leaves free."""
    _, placed, f, prints = material
    pieces = align(f["stream"], f["music_over"], stream_sound=PrintIndex.of(prints["stream"]),
                   compilation_sound=prints["music_over"])
    found, invented = found_clips(labels_from(pieces), placed)
    assert invented == 0
    assert found >= 3, found  # the loudness onsets this replaced found none


def test_speed_changes_are_measured(material):
    _, placed, f, prints = material
    pieces = align(f["stream"], f["compilation"], stream_sound=PrintIndex.of(prints["stream"]),
                   compilation_sound=prints["compilation"])
    for clip in placed:
        on_it = [p for p in pieces if p.status == "match"
                 and overlap(p.stream_start, p.stream_end, clip.source_start, clip.source_end) > 2.0]
        for p in on_it:
            assert p.speed == pytest.approx(clip.speed, abs=0.021), (clip, p)


def test_a_compilation_of_another_recording_matches_nothing(material):
    _, _, f, prints = material
    pieces = align(f["stream"], f["elsewhere"], stream_sound=PrintIndex.of(prints["stream"]),
                   compilation_sound=prints["elsewhere"])
    assert labels_from(pieces) == []


def test_cli_reports_the_evidence_and_caches_the_sound_print(material, gdm):
    root, placed, _, _ = material
    result = gdm("labels", "align", root / "stream.mp4", root / "compilation.mp4", "-o", root / "labels.json",
                 "--report", root / "report.json", "--backbone", "efficientnet_lite0", "--input-size", "160",
                 "--cache-dir", root / "cache", "--quiet")
    assert result.exit_code == 0, result.stderr
    labels = json.loads((root / "labels.json").read_text())["highlights"]
    assert len(labels) >= 2
    pieces = json.loads((root / "report.json").read_text())["pieces"]
    assert pieces[0]["status"] == "no match"  # the title card
    assert {p["evidence"] for p in pieces if p["status"] == "match"} <= {"sound", "picture", "sound and picture"}
    assert "by sound" in result.stderr or "by sound and picture" in result.stderr
    assert len(list((root / "cache").glob("onsets-*.npz"))) == 4  # computed once per video (four in this module)
    assert np.all([p["end"] > p["start"] for p in pieces])
