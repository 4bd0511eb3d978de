"""`gdm labels import|show` as a user runs them."""

import json

from conftest import assert_one_line_error, scalabel


def test_cli_import_then_show(tmp_path, gdm, event_video):
    path = scalabel(tmp_path, [(5, "Highlight start"), (9, "Highlight end")])
    result = gdm("labels", "import", path, "-o", tmp_path / "labels.json")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "labels.json").read_text())["highlights"] == [{"start": 1.0, "end": 2.0}]
    features = gdm("extract", event_video, "--weights", "none", "--input-size", "64", "--quiet",
                   "--cache-dir", tmp_path / "c").stdout.strip()
    shown = gdm("labels", "show", tmp_path / "labels.json", "--features", features)
    assert shown.exit_code == 0
    assert "1 highlights" in shown.stdout and "10.0 %" in shown.stdout and "outside stream 0" in shown.stdout


def test_cli_import_error_is_one_line_and_writes_nothing(tmp_path, gdm):
    path = scalabel(tmp_path, [(3, "Highlight start")])
    result = gdm("labels", "import", path, "-o", tmp_path / "out.json")
    assert_one_line_error(result, "frame 3")
    assert not (tmp_path / "out.json").exists()
