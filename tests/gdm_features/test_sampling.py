"""The design's time base as pure functions: which frame each step shows."""


from gdm_features.sampling import sample_timeline


def frames_at(times):
    return [(t, f"f{i}") for i, t in enumerate(times)]


def test_constant_rate_picks_last_frame_at_or_before_each_step():
    times = [i / 30 for i in range(30)]  # 1 s at 30 fps
    steps = list(sample_timeline(frames_at(times), end_time_s=1.0, fps=5))
    assert [s.step for s in steps] == [0, 1, 2, 3, 4]
    assert [s.frame for s in steps] == ["f0", "f6", "f12", "f18", "f24"]


def test_variable_frame_rate_uses_time_stamps_not_frame_counts():
    times = [0.0, 0.05, 0.39, 0.41, 0.75, 0.8]
    steps = list(sample_timeline(frames_at(times), end_time_s=1.0, fps=5))
    # t = 0.0, 0.2, 0.4, 0.6, 0.8
    assert [s.frame for s in steps] == ["f0", "f1", "f2", "f3", "f5"]


def test_frame_exactly_on_a_step_claims_it():
    steps = list(sample_timeline(frames_at([0.0, 0.2, 0.4]), end_time_s=0.6, fps=5))
    assert [s.frame for s in steps] == ["f0", "f1", "f2"]


def test_late_first_frame_leaves_earlier_steps_empty():
    steps = list(sample_timeline(frames_at([0.5, 0.9]), end_time_s=1.0, fps=5))
    assert [s.frame for s in steps] == [None, None, None, "f0", "f0"]


def test_slow_source_repeats_a_frame_over_several_steps():
    steps = list(sample_timeline(frames_at([0.0, 1.0]), end_time_s=2.0, fps=5))
    assert [s.frame for s in steps] == ["f0"] * 5 + ["f1"] * 5


def test_resume_part_way_gives_the_same_steps_as_a_full_run():
    times = [i * 0.07 for i in range(40)]
    full = list(sample_timeline(frames_at(times), end_time_s=2.8, fps=5))
    # A resumed run starts decoding from an earlier keyframe and skips settled steps.
    resumed = list(sample_timeline(frames_at(times)[10:], end_time_s=2.8, fps=5, first_step=6))
    assert resumed == full[6:]


def test_single_frame_video_has_one_step():
    steps = list(sample_timeline(frames_at([0.0]), end_time_s=1 / 30, fps=5))
    assert [(s.step, s.frame) for s in steps] == [(0, "f0")]


def test_out_of_order_time_stamp_does_not_rewind():
    steps = list(sample_timeline(frames_at([0.0, 0.3, 0.1]), end_time_s=0.6, fps=5))
    assert [s.frame for s in steps] == ["f0", "f0", "f1"]
