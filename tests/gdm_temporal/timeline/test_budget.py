"""One budget syntax for every command: durations per stream or shares of each stream."""

import pytest

from gdm_temporal.timeline.budget import DEFAULT_BUDGET, Budget


@pytest.mark.parametrize("text,stream_s,seconds", [
    ("90s", 3600, 90), ("10m", 3600, 600), ("1h", 7200, 3600), ("1:30", 100, 90), ("600", 10, 600),
    ("5%", 3600, 180), ("100%", 50, 50), ("2.5%", 400, 10)])
def test_budget_forms(text, stream_s, seconds):
    assert Budget.parse(text).for_stream(stream_s) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["nan", "inf", "-5m", "0", "0s", "150%", "0%", "-1%", "ten minutes", "", "nan%"])
def test_bad_budgets_say_what_is_accepted(text):
    with pytest.raises(ValueError, match="budget"):
        Budget.parse(text)


def test_default_is_ten_minutes_per_four_hours():
    assert DEFAULT_BUDGET.for_stream(4 * 3600) == pytest.approx(600)
    assert "10 min per 4 h" in DEFAULT_BUDGET.describe()
