"""Steps, seconds, timecodes and durations: the one time-base module."""

import pytest

from gdm_features.timebase import parse_duration, format_timecode, parse_timecode, step_time, steps_before


@pytest.mark.parametrize("seconds,fps,expected", [(10.0, 5, 50), (0.6, 5, 3), (0.61, 5, 4),
                                                  (1 / 30, 5, 1), (0.0, 5, 0), (24.433, 5, 123)])
def test_steps_before(seconds, fps, expected):
    assert steps_before(seconds, fps) == expected


def test_timecodes_round_trip():
    assert format_timecode(3723.5) == "01:02:03.500"
    assert parse_timecode("01:02:03.500") == pytest.approx(3723.5)
    assert parse_timecode("02:03") == 123
    assert parse_timecode("7.25") == 7.25
    assert step_time(37, 5) == pytest.approx(7.4)
    for bad in ["", "1:60", "a:b", "1::2", "-3"]:
        with pytest.raises(ValueError):
            parse_timecode(bad)


@pytest.mark.parametrize("text,seconds", [("600", 600), ("90s", 90), ("10m", 600), ("1.5h", 5400), ("1:30", 90)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds
