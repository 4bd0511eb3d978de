"""Progress reaches a caller that is no terminal (the studio's page) even with the bar off."""

from gdm_features.progress import StepProgress


def test_a_quiet_bar_still_reports_steps_done_and_total_to_its_callback():
    seen = []
    bar = StepProgress("x", 100, 5.0, enabled=False, callback=lambda done, total, rt: seen.append((done, total)))
    bar.advance(30)
    bar.advance(20)
    bar.close()
    assert seen == [(30, 100), (50, 100)]
    assert bar.realtime() > 0
