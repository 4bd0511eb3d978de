"""The geometry an editor gave a compilation, fitted on one clip whose line the sound carried
2 s into the clip before it (real Space Invaders play, ale-py, letterboxed into 640x360, sped
up 4 %, music over the game): one such clip's motion and pictures agree better with a box of
half the height; the videos' typical screens, a second witness, keep the fit true."""

import pytest

from compilation_factory import Edits, make_edited_compilation
from gdm_features import FeatureFile, extract
from gdm_temporal.labels.picture_geometry import fitted_box, likeliest_box, profile_box

pytest.importorskip("ale_py", reason="Atari recordings need the demo extra (ale-py)")

FEATURES = dict(backbone="efficientnet_lite0", input_size=(160, 160), progress=False)
EDITS = Edits(overlay_every=2, size=(360, 640), crossfade_s=0.5, layout="letterbox", speeds={1: 1.04}, music=0.5,
              crf=32)


@pytest.fixture(scope="module")
def letterboxed(tmp_path_factory):
    from gdm_temporal.app.demo.atari import record_game

    root = tmp_path_factory.mktemp("geometry")
    stream = record_game("SpaceInvaders", root / "stream.mp4", 40, seed=4, progress=False).video
    placed = make_edited_compilation(stream, [(30.0, 38.0), (10.0, 22.5)], root / "compilation.mp4", EDITS)
    return placed, *(FeatureFile(extract(v, cache_dir=root / "cache", **FEATURES)) for v in (stream, root / "compilation.mp4"))


@pytest.mark.parametrize("early_s", [0.0, 2.0])
def test_one_clip_carried_into_the_one_before_fits_the_letterbox(letterboxed, early_s):
    placed, stream, compilation = letterboxed
    clip = placed[1]
    start = clip.start + 0.5 - early_s
    box, _ = fitted_box(stream, compilation, [(start, clip.end - 0.5, clip.source_start + (start - clip.start) * clip.speed,
                                               clip.speed)])
    # The 160x210 picture is 274 of the frame's 640 wide, its full height.
    assert box.width == pytest.approx(274 / 640, abs=0.03) and box.height == pytest.approx(1.0, abs=0.05), box


def test_anchors_on_wrong_lines_give_way_to_the_typical_screens(letterboxed):
    """Clips placed on lines a few seconds off (where a game that replays its sound puts them)
    agree with any box worse than the two videos' typical screens agree with theirs: the
    geometry is then the typical screens' (measured: 0.33 for 0.74)."""
    placed, stream, compilation = letterboxed
    wrong = [(c.start + 0.5, c.end - 0.5, c.source_start + 2.0, c.speed) for c in placed]
    fitted = fitted_box(stream, compilation, wrong)
    profile = profile_box(stream, compilation)
    assert fitted is not None and fitted[1] < profile[1] - 0.2, (fitted, profile)
    assert likeliest_box(stream, compilation, wrong) == profile
    box = profile[0]
    assert box.width == pytest.approx(274 / 640, abs=0.06) and box.height == pytest.approx(1.0, abs=0.05), box
    right = [(c.start + 0.5, c.end - 0.5, c.source_start + 0.5 * c.speed, c.speed) for c in placed]
    assert likeliest_box(stream, compilation, right) == max(fitted_box(stream, compilation, right), profile,
                                                            key=lambda f: f[1])
