"""The one `gdm` command group. Every command is registered here, in the order `gdm --help`
lists them (the order of the workflow)."""

from __future__ import annotations

import logging
import sys

import click

from gdm_features import __version__

from . import batch, demo, features, head, highlights, labels, studio
from .common import EXIT_INTERRUPTED, EXIT_USAGE


class _OneLineHandler(logging.Handler):
    """Library warnings (`logging.getLogger("gdm")`) as `gdm: warning: ...` lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"gdm: {record.levelname.lower()}: {record.getMessage()}", err=True)


class _GdmGroup(click.Group):
    """Lists commands in the order they were added (the order of the workflow), and reports a
    command line that does not parse in one line (exit status 2), like every other error."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = f"; see '{exc.ctx.command_path} --help'" if exc.ctx is not None else ""
            message = " ".join(exc.format_message().split()).rstrip(".")
            click.echo(f"gdm: error: {message}{where}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"gdm: error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("gdm: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        if not standalone_mode:
            return status
        sys.exit(status if isinstance(status, int) else 0)


@click.group(cls=_GdmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gdm")
def gdm() -> None:
    """gdm: find the highlights in long recorded game streams."""
    logger = logging.getLogger("gdm")
    if not logger.handlers:
        logger.addHandler(_OneLineHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


for _command in (features.fetch, features.extract, features.inspect, labels.labels, head.train, head.evaluate,
                 highlights.score, highlights.export, highlights.reel, studio.studio, batch.batch,
                 demo.demo):
    gdm.add_command(_command)


def main() -> None:
    gdm(prog_name="gdm")


if __name__ == "__main__":
    main()
