"""A corpus of bad inputs and faults, as a hostile or unlucky user would give them: each is one
line on stderr starting `gdm: error:`, a non-zero exit, and no output file that looks complete."""

from __future__ import annotations

import io
import json

import pytest
import torch

from conftest import assert_one_line_error


def write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


LABEL_FILES = {
    "deep.json": ("[" * 100_000, "nested too deep"),
    "huge.json": ('{"highlights": [{"start": 1' + "0" * 400 + ', "end": 2}]}', "too large"),
    "negative.csv": ("start,end\n-0:10,0:20\n", "negative"),
    "strings.json": (json.dumps({"frames": [{"labels": ["Highlight start"]}]}), "must be an object"),
    "far.json": ('{"highlights": [{"start": 1, "end": 1e308}]}', "longer than any stream"),
    "binary.csv": (bytes(range(256)) * 4, "not a text file"),
    "backwards.csv": ("10,5\n", "not after"),
    "nan.json": ('{"highlights": [{"start": NaN, "end": 3}]}', "finite"),
    "infinite.csv": ("start,end\n1,inf\n", "finite"),
    "noend.json": ('{"highlights": [{"start": 1}]}', "needs 'start' and 'end'"),
}


def test_labels_output_under_a_file(tmp_path, gdm):
    source = write(tmp_path / "ok.csv", "1,2\n")
    blocker = write(tmp_path / "file", "")
    assert_one_line_error(gdm("labels", "import", source, "-o", blocker / "out.json"), "out.json")


def test_missing_labels_file(tmp_path, gdm):
    assert_one_line_error(gdm("labels", "import", tmp_path / "nope.json", "-o", tmp_path / "o.json"), "no such")


MANIFESTS = {
    "binary.csv": (b"\xff\xfe\x00\x81" * 50, "not a text file"),
    "noheader.csv": ("a.mp4,a.json\n", "header"),
    "empty.csv": ("video,labels\n", "lists no streams"),
    "badjson.jsonl": ('{"video": "a.mp4"\n', "invalid JSON"),
}


# Each bad file, and the command that reads it: one line, non-zero, no output left behind.
FILE_CASES = [(name, "labels") for name in sorted(LABEL_FILES)] + [(name, "train") for name in sorted(MANIFESTS)]


@pytest.mark.parametrize("name,command", FILE_CASES, ids=[n for n, _ in FILE_CASES])
def test_bad_files(tmp_path, gdm, name, command):
    content, fragment = (LABEL_FILES if command == "labels" else MANIFESTS)[name]
    source = write(tmp_path / name, content)
    output = tmp_path / ("out.json" if command == "labels" else "h.pt")
    args = ("labels", "import", source, "-o", output) if command == "labels" else ("train", source, "-o", output, "--quiet")
    assert_one_line_error(gdm(*args), fragment)
    assert not output.exists()


def test_a_stream_listed_twice_is_refused(dataset, tmp_path, gdm):
    rows = (dataset / "manifest.csv").read_text().splitlines()
    manifest = write(tmp_path / "m.csv", "\n".join([rows[0], rows[1], rows[1].replace(",train", ",test")]) + "\n")
    manifest.write_text(manifest.read_text().replace("stream11.json", str(dataset / "stream11.json")))
    assert_one_line_error(gdm("train", manifest, "-o", tmp_path / "h.pt", "--quiet"), "listed already")


def damaged_head(trained_head, tmp_path, change) -> str:
    payload = torch.load(trained_head, weights_only=True)
    change(payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return str(write(tmp_path / "bad.pt", buffer.getvalue()))


def _config(payload, **updates):
    config = json.loads(payload["config"])
    for key, value in updates.items():
        config[key] = value
    payload["config"] = json.dumps(config)


HEAD_DAMAGE = {
    "normalisation width": lambda p: p["normalization"].update(visual_mean=p["normalization"]["visual_mean"][:10]),
    "basis shape": lambda p: p["normalization"].update(visual_basis=p["normalization"]["visual_basis"][:, :5]),
    "missing key": lambda p: p["state_dict"].pop(next(iter(p["state_dict"]))),
    "unknown key": lambda p: p["state_dict"].update(extra=torch.zeros(3)),
    "nan threshold": lambda p: _config(p, threshold=float("nan")),
    "threshold 7": lambda p: _config(p, threshold=7),
    "segment settings": lambda p: _config(p, segments={"colour": "red"}),
    "nan weights": lambda p: next(iter(p["state_dict"].values())).fill_(float("nan")),
    "no format": lambda p: p.pop("format"),
    "config not json": lambda p: p.update(config="{not json"),
}


@pytest.mark.parametrize("damage", sorted(HEAD_DAMAGE))
def test_damaged_heads_are_refused_on_load(trained_head, dataset, tmp_path, gdm, damage):
    head = damaged_head(trained_head, tmp_path, HEAD_DAMAGE[damage])
    result = gdm("score", head, dataset / "stream13.mp4", "-o", tmp_path / "out", "--quiet",
                 "--cache-dir", dataset / "cache")
    assert_one_line_error(result, "bad.pt")
    assert not (tmp_path / "out" / "stream13.segments.json").exists()


def test_a_head_of_random_bytes(tmp_path, dataset, gdm):
    head = write(tmp_path / "random.pt", bytes(range(256)) * 100)
    assert_one_line_error(gdm("score", head, dataset / "stream13.mp4", "-o", tmp_path, "--quiet"), "random.pt")


SEGMENT_FILES = {
    "notjson.segments.json": ("{", "not a gdm segments file"),
    "list.segments.json": ("[]", "not a gdm segments file"),
    "deep.segments.json": ("[" * 100_000, "not a gdm segments file"),
    "nosource.segments.json": ('{"segments": []}', "source"),
}


@pytest.mark.parametrize("name", sorted(SEGMENT_FILES))
def test_bad_segments_files(tmp_path, gdm, event_video, name):
    content, fragment = SEGMENT_FILES[name]
    path = write(tmp_path / name, content)
    assert_one_line_error(gdm("export", path, "--format", "csv", "-o", tmp_path / "o.csv"), fragment)
    assert_one_line_error(gdm("reel", event_video, path, "-o", tmp_path / "r.mp4", "--quiet"), fragment)
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "r.mp4").exists()


def test_a_text_file_given_as_a_video(tmp_path, gdm):
    fake = write(tmp_path / "notes.mp4", "these are my notes\n")
    assert_one_line_error(gdm("score", fake, "-o", tmp_path, "--quiet", "--weights", "none"), "notes.mp4")
    assert not list(tmp_path.glob("*.segments.json"))
