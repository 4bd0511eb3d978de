"""`gdm evaluate`: the design's metrics as a table and JSON."""

import json

import pytest



def test_budget_metric_counts_highlights_that_fit(trained_head, dataset, gdm):
    # 30 s for a 3-minute stream: room for all six 2-second highlights;
    # the default (7.5 s here) holds at most three.
    roomy = json.loads(gdm("evaluate", trained_head, dataset / "manifest.csv", "--json", "--quiet",
                           "--budget", "30s").stdout)["budget"]
    assert roomy["hit_rate"] == 1.0 and roomy["used_s"] <= 30.0 + 1e-6
    tight = json.loads(gdm("evaluate", trained_head, dataset / "manifest.csv", "--json", "--quiet").stdout)["budget"]
    assert tight["budget_s"] == pytest.approx(7.5) and tight["used_s"] <= 7.5 + 1e-6
    assert tight["hit"] >= 3


def test_evaluate_prints_a_table(trained_head, dataset, gdm):
    result = gdm("evaluate", trained_head, dataset / "manifest.csv", "--quiet")
    assert result.exit_code == 0, result.stderr
    for row in ("frame", "block30", "event", "budget"):
        assert f"\n{row}" in result.stdout
