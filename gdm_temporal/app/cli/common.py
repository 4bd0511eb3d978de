"""What every command shares: user errors as one line, and the option sets and parsers used by
more than one command."""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path

import click

from gdm_features.errors import GdmError

from gdm_temporal.timeline.budget import Budget

EXIT_USER_ERROR = 1
EXIT_USAGE = 2  # a command line that does not parse
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
    """`224` or `HxW` (e.g. `224x398`) -> (height, width), each 32 to 1024 pixels."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise GdmError(f"--input-size must be N or HxW in pixels, not {text!r}") from None
    if len(parts) not in (1, 2):
        raise GdmError(f"--input-size must be N or HxW in pixels, not {text!r}")
    if any(not 32 <= p <= 1024 for p in parts):
        raise GdmError(f"--input-size {text}: each side must be 32 to 1024 pixels")
    return (parts[0], parts[0]) if len(parts) == 1 else (parts[0], parts[1])


class Number(click.ParamType):
    """A finite number within bounds, named with its unit when refused (NaN and inf never pass)."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 unit: str = "", integer: bool = False) -> None:
        self.low, self.high, self.low_open, self.unit, self.integer = low, high, low_open, unit, integer
        self.name = "integer" if integer else "number"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(value) if self.integer else float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not {'a whole number' if self.integer else 'a number'}", param, ctx)
        unit = f" {self.unit}" if self.unit else ""
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number", param, ctx)
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            self.fail(f"{value}{unit} is too small: it must be {'more than' if self.low_open else 'at least'} "
                      f"{self.low:g}{unit}", param, ctx)
        if self.high is not None and number > self.high:
            self.fail(f"{value}{unit} is too large: it must be at most {self.high:g}{unit}", param, ctx)
        return number


class BudgetType(click.ParamType):
    """`90s`, `10m`, `1h`, `1:30`, `600` (a total per stream) or `5%` (a share of each stream)."""

    name = "duration|share"

    def convert(self, value, param, ctx):
        if isinstance(value, Budget):
            return value
        try:
            return Budget.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class ModalitiesType(click.ParamType):
    """`visual`, `audio` or both (`visual,audio`), as a tuple in that order."""

    name = "visual|audio|visual,audio"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        words = {w.strip().lower() for w in str(value).replace("+", ",").split(",") if w.strip()}
        if not words or words - {"visual", "audio"}:
            self.fail(f"{value!r}: give visual, audio or visual,audio", param, ctx)
        return tuple(m for m in ("visual", "audio") if m in words)


BUDGET = BudgetType()
MODALITIES = ModalitiesType()
SECONDS = Number(0, 24 * 3600, unit="s")


def extract_options(backbone: str, weights: str | None, fps: float, input_size: str, device: str,
                    cache_dir: Path | None) -> dict:
    """The keyword arguments of `gdm_features.extract` from the command line's flags (a backbone
    of None: whatever is cached for the video, else the default)."""
    return {"backbone": backbone, "weights": weights, "fps": fps, "input_size": parse_size(input_size),
            "device": device, "cache_dir": cache_dir}


def feature_options(func):
    """The extraction flags, for commands that may have to extract videos first."""
    for option in reversed([
        click.option("--backbone", default=None,
                     help="Backbone for videos not yet extracted: resnet18 or efficientnet_lite0. "
                          "[default: the head's; else one already cached for the video; else resnet18]"),
        click.option("--weights", default=None,
                     help="Backbone weights id; 'none' for seeded random weights (tests only)."),
        click.option("--fps", default=5.0, show_default=True, type=Number(0.1, 120, unit="steps/s"),
                     help="Steps per second of video, for videos not yet extracted."),
        click.option("--input-size", default="224", show_default=True,
                     help="Pixels the whole frame is resized to: N or HxW."),
        click.option("--cache-dir", default=None, type=click.Path(file_okay=False, path_type=Path),
                     help="Feature cache folder. [default: $GDM_CACHE_DIR, else cache/ beside gdm]"),
    ]):
        func = option(func)
    return func


def quiet_option(func):
    return click.option("--quiet", is_flag=True, help="No progress bars; only results and errors.")(func)


def device_option(func):
    return click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]),
                        help="Where the network runs: auto picks CUDA when there is a GPU.")(func)
