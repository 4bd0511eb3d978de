"""Label importers: Scalabel, CSV and JSON, with the frame or line at fault named."""

import json

import pytest

from conftest import scalabel
from gdm_features import GdmError
from gdm_temporal.labels import Interval, load_labels


def test_scalabel_start_and_end_frames_become_seconds(tmp_path):
    path = scalabel(tmp_path, [(5, "Highlight start"), (9, "Highlight end"), (20, "Highlight start"),
                               (20, "Highlight end")])
    assert load_labels(path) == [Interval(1.0, 2.0), Interval(4.0, 4.2)]
    assert load_labels(path, export_fps=10) == [Interval(0.5, 1.0), Interval(2.0, 2.1)]


def test_scalabel_bare_list_export(tmp_path):
    assert load_labels(scalabel(tmp_path, [(0, "Highlight start"), (4, "Highlight end")], wrap=False)) == \
        [Interval(0.0, 1.0)]


@pytest.mark.parametrize("marks,fragment", [
    ([(3, "Highlight start")], "frame 3: 'Highlight start' has no 'Highlight end'"),
    ([(7, "Highlight end")], "frame 7: 'Highlight end' without a 'Highlight start'"),
    ([(2, "Highlight start"), (6, "Highlight start"), (9, "Highlight end")], "frame 6: 'Highlight start' while"),
])
def test_scalabel_mistakes_name_the_frame(tmp_path, marks, fragment):
    with pytest.raises(GdmError, match=fragment):
        load_labels(scalabel(tmp_path, marks))


def test_csv_with_and_without_header_in_seconds_and_timecodes(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("start,end\n12.5,20\n01:02,01:10.5\n1:00:00,1:00:30\n")
    assert load_labels(a) == [Interval(12.5, 20.0), Interval(62.0, 70.5), Interval(3600.0, 3630.0)]
    b = tmp_path / "b.csv"
    b.write_text("12.5,20\n\n# a comment\n30,31\n")
    assert load_labels(b) == [Interval(12.5, 20.0), Interval(30.0, 31.0)]
    c = tmp_path / "c.csv"
    c.write_text("note,end,start\nfirst,20,10\n")
    assert load_labels(c) == [Interval(10.0, 20.0)]


@pytest.mark.parametrize("text,fragment", [
    ("start,end\n1,2\n5,3\n", "line 3: end 3.0 is not after start 5.0"),
    ("start,end\n1,2\nsoon,3\n", "line 3: 'soon' is not a time"),
    ("start,end\n1\n", "line 2: expected start,end"),
    ("start,end\n1:75,2:00\n", "line 2: '1:75' is not a time"),
])
def test_csv_mistakes_name_the_line(tmp_path, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(GdmError, match=fragment):
        load_labels(path)


def test_highlights_json(tmp_path):
    path = tmp_path / "l.json"
    path.write_text(json.dumps({"highlights": [{"start": 3, "end": 4.5}, {"start": "00:10", "end": "00:12"}]}))
    assert load_labels(path) == [Interval(3.0, 4.5), Interval(10.0, 12.0)]
    path.write_text('{"highlights": [{"start": 3}]}')
    with pytest.raises(GdmError, match="line 1: highlight 1: needs 'start' and 'end'"):
        load_labels(path)
    path.write_text('{"highlights": [\n  {"start": 1, "end": 2},\n  {"start": 5, "end": 3}\n]}')
    with pytest.raises(GdmError, match="line 3: highlight 2: end 3.0 is not after start 5.0"):
        load_labels(path)
    path.write_text('{"highlights": [\n{"start": 3, "end": }]}')
    with pytest.raises(GdmError, match="line 2: invalid JSON"):
        load_labels(path)
