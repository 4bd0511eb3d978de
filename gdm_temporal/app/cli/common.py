"""What every command shares: user errors as one line, and the option sets and parsers used by
more than one command."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from gdm_features.errors import GdmError
from gdm_features.timebase import parse_duration

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130


def fail(message: str) -> None:
    """Print one `gdm: error:` line and exit with the user-error status."""
    click.echo(f"gdm: error: {message}", err=True)
    sys.exit(EXIT_USER_ERROR)


def user_errors(func):
    """Turn GdmError and Ctrl-C into one line and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GdmError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("gdm: interrupted; finished work is kept, run the same command to resume", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def parse_size(text: str) -> tuple[int, int]:
    """`224` or `HxW` (e.g. `224x398`) -> (height, width)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise GdmError(f"--input-size must be N or HxW, not {text!r}") from None
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise GdmError(f"--input-size must be N or HxW, not {text!r}")


def duration_seconds(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise GdmError(str(exc)) from None


def extract_options(backbone: str, weights: str | None, fps: float, input_size: str, device: str,
                    cache_dir: Path | None) -> dict:
    """The keyword arguments of `gdm_features.extract` from the command line's flags."""
    return {"backbone": backbone, "weights": weights, "fps": fps, "input_size": parse_size(input_size),
            "device": device, "cache_dir": cache_dir}


def feature_options(func):
    """The extraction flags, for commands that may have to extract videos first."""
    for option in reversed([
        click.option("--backbone", default="resnet18", show_default=True, help="Backbone for videos not yet extracted."),
        click.option("--weights", default=None, help="Backbone weights id ('none': random, tests only)."),
        click.option("--fps", default=5.0, show_default=True, type=float),
        click.option("--input-size", default="224", show_default=True),
        click.option("--cache-dir", default=None, type=click.Path(file_okay=False, path_type=Path)),
    ]):
        func = option(func)
    return func
