"""The command line as a whole: every option explains itself, bad numbers are one line each,
and a command line that does not parse is one line too."""

import json

import click
import pytest

from gdm_temporal.app.cli import gdm as group


def all_commands(command=group, path=("gdm",)):
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from all_commands(sub, path + (name,))
    else:
        yield " ".join(path), command


@pytest.mark.parametrize("name,command", list(all_commands()), ids=[n for n, _ in all_commands()])
def test_every_option_says_what_it_does(name, command):
    assert command.help, f"{name} has no help"
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help and len(param.help) > 10, f"{name} {param.opts[0]} has no help"


@pytest.mark.parametrize("args,fragment", [
    (["extract", "x.mp4", "--fps", "1e-9"], "--fps"),
    (["extract", "x.mp4", "--batch-size", "-5"], "--batch-size"),
    (["extract", "x.mp4", "--fps", "nan"], "not a finite number"),
    (["score", "x.mp4", "--max-len", "-5"], "--max-len"),
    (["score", "x.mp4", "--max-len", "0"], "--max-len"),
    (["score", "x.mp4", "--threshold", "nan"], "--threshold"),
    (["score", "x.mp4", "--budget", "nan"], "--budget"),
    (["score", "x.mp4", "--budget", "ten"], "--budget"),
    (["score", "x.mp4", "--hysteresis", "nan"], "--hysteresis"),
    (["score", "x.mp4", "--pre", "-100"], "--pre"),
    (["reel", "x.mp4", "s.json", "-o", "r.mp4", "--fade", "nan"], "--fade"),
    (["labels", "import", "x.csv", "-o", "l.json", "--export-fps", "0"], "--export-fps"),
    (["labels", "import", "x.csv", "-o", "l.json", "--export-fps", "inf"], "--export-fps"),
    (["evaluate", "h.pt", "m.csv", "--budget", "-1%"], "--budget"),
    (["train", "m.csv", "-o", "h.pt", "--epochs", "0"], "--epochs"),
    (["demo", "--minutes", "0.5"], "--minutes"),
    (["no-such-command"], "No such command"),
    (["score"], "Missing argument"),
])
def test_bad_command_lines_are_one_line_with_exit_status_2(gdm, args, fragment):
    result = gdm(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gdm: error: ") and fragment in lines[0], result.stderr
    assert "--help" in lines[0]


def test_extract_input_size_out_of_range_is_one_line(gdm, event_video, tmp_path):
    result = gdm("extract", event_video, "--input-size", "100000", "--cache-dir", tmp_path, "--quiet")
    assert result.exit_code == 1 and "32 to 1024" in result.stderr and len(result.stderr.splitlines()) == 1


def test_inspect_json_keeps_numbers_and_booleans(event_video, tmp_path, gdm):
    path = gdm("extract", event_video, "--weights", "none", "--input-size", "64", "--quiet",
               "--cache-dir", tmp_path).stdout.strip()
    data = json.loads(gdm("inspect", path, "--json").stdout)
    attrs = data["attrs"]
    assert attrs["complete"] is True and isinstance(attrs["fps"], float) and isinstance(attrs["n_steps"], int)
    assert isinstance(attrs["audio"], dict) and isinstance(attrs["input_size"], list)
    assert (data["motion_dim"], data["picture_dim"]) == (128, 1024)
    text = gdm("inspect", path).stdout
    assert "np." not in text and "picture dataset     [50, 1024] uint8" in text
