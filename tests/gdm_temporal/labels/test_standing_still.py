"""What the picture search takes for a card or a pause (a run it cannot place in time), on real
Ms. Pac-Man play (ale-py) letterboxed into 640x360 after a title card."""

import pytest

from compilation_factory import Edits, make_edited_compilation
from gdm_features import FeatureFile, extract
from gdm_temporal.labels.picture_match import PictureParams
from gdm_temporal.labels.stillness import standing_still, step_motion

pytest.importorskip("ale_py", reason="Atari recordings need the demo extra (ale-py)")

FEATURES = dict(backbone="efficientnet_lite0", input_size=(160, 160), progress=False)


@pytest.fixture(scope="module")
def letterboxed(tmp_path_factory):
    from gdm_temporal.app.demo.atari import record_game

    root = tmp_path_factory.mktemp("standing-still")
    stream = record_game("MsPacman", root / "stream.mp4", 40, seed=3, progress=False).video
    placed = make_edited_compilation(stream, [(25.0, 35.0), (8.0, 18.0)], root / "compilation.mp4",
                                     Edits(layout="letterbox", size=(360, 640), crf=32))
    compilation = FeatureFile(extract(root / "compilation.mp4", cache_dir=root / "cache", **FEATURES))
    return placed, compilation.read(0, compilation.n_steps), compilation.fps


def test_the_title_card_stands_still(letterboxed):
    placed, steps, fps = letterboxed
    card = slice(0, int(placed[0].start * fps) - 1)
    assert standing_still(steps, PictureParams())[card].all()


def test_small_sprites_in_a_letterbox_move(letterboxed):
    """Ms. Pac-Man's sprites, in less than half the frame, hardly change the embedding: by it
    alone, about half of each clip's steps would be stills (two of six clips of the benchmark's
    letterboxed compilation were dropped as stills); its small grey picture sees them move."""
    placed, steps, fps = letterboxed
    params = PictureParams()
    standing = standing_still(steps, params)
    quiet = step_motion(steps.visual) < params.min_motion
    for clip in placed:
        inside = slice(int(clip.start * fps) + 3, int(clip.end * fps) - 3)
        assert standing[inside].mean() <= 0.05, clip
        assert quiet[inside].mean() >= 0.2, clip  # (what the embedding alone took for stills)
