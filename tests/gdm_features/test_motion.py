"""The motion block: what changed on screen during each step, where, and nothing else."""

import numpy as np

from gdm_features import motion
from gdm_features.media import probe
from gdm_features.motion import GRID, SIZE, MotionMeter
from gdm_features.video_source import iter_video_steps
from media_factory import Scenario, write_video


def test_a_change_lands_in_its_cell_and_its_step_only():
    meter = MotionMeter()
    still = np.zeros((SIZE, SIZE), np.uint8)
    moved = still.copy()
    side = SIZE // GRID
    moved[2 * side:3 * side, 5 * side:6 * side] = 200  # cell (2, 5) brightens by 200
    meter.add(0.0, still)
    meter.add(1 / 30, still)
    meter.add(2 / 30, moved)
    row = meter.take()
    mean, peak = row[:GRID * GRID].reshape(GRID, GRID), row[GRID * GRID:].reshape(GRID, GRID)
    assert peak[2, 5] == 200 and mean[2, 5] == 100  # one change of 200 over two compared pairs
    assert np.count_nonzero(row) == 2
    assert not meter.take().any()  # counted once: the next step saw nothing move
    meter.add(3 / 30, moved)
    assert not meter.take().any()


def test_sixty_fps_is_measured_like_thirty_from_any_starting_frame():
    frames = [np.full((SIZE, SIZE), 3 * k, np.uint8) for k in range(60)]
    rows = []
    for first in (0, 1, 5):  # resuming from another key frame compares the same frames
        meter = MotionMeter()
        for k in range(first, 60):
            meter.add(k / 60, frames[k])
        meter.take()
        for k in range(20, 60):  # the frames of one step, 20/60 s to 1 s
            meter.add(k / 60 + 1.0, frames[k])
        rows.append(meter.take())
    np.testing.assert_array_equal(rows[0], rows[1])
    np.testing.assert_array_equal(rows[0], rows[2])
    # Compared: frame 58 (the last of the second before), then 20, 22, ..., 58: one jump of 114
    # grey levels, then 19 of 6 (frames two apart, 30 fps).
    assert np.allclose(rows[0][:GRID * GRID], (114 + 19 * 6) / 20) and np.allclose(rows[0][GRID * GRID:], 114)


def test_a_frozen_game_and_a_moving_one_are_told_apart(tmp_path):
    """A sprite crossing the screen, frozen from 4 s to 6 s (a death animation's pause): the
    steps of the freeze show no motion, the others show it where the sprite is."""

    def frame(index: int) -> np.ndarray:
        t = index / 30
        x = int(10 + 30 * min(t, 4.0) - 30 * max(t - 6.0, 0.0))  # a pixel a frame
        image = np.full((120, 160, 3), 30, np.uint8)
        image[50:70, x:x + 12] = 230
        return image

    path = write_video(tmp_path / "freeze.mp4", Scenario(duration=9.0, audio=False, frame_fn=frame))
    steps = list(iter_video_steps(probe(path), 5.0, (32, 32)))
    assert len(steps) == 45 and all(s.motion.shape == (motion.DIM,) for s in steps)
    moved = np.array([s.motion[GRID * GRID:].max() for s in steps])
    frozen = [k for k in range(45) if 4.0 + 0.2 < k / 5 <= 6.0]
    moving = [k for k in range(1, 45) if k / 5 <= 4.0 or k / 5 > 6.2]
    assert moved[frozen].max() < 2, moved[frozen]
    assert moved[moving].min() > 5, moved[moving]
    rows = np.array([s.motion[GRID * GRID:].reshape(GRID, GRID) for s in steps])
    assert rows[moving][:, :3].max() < 2 and rows[moving][:, GRID - 3:].max() < 2  # above and below it
