"""The one `gdm` command group. Every command is registered here, in the order `gdm --help`
lists them (the order of the workflow)."""

from __future__ import annotations

import logging

import click

from gdm_features import __version__

from . import demo, features, head, highlights, labels


class _OneLineHandler(logging.Handler):
    """Library warnings (`logging.getLogger("gdm")`) as `gdm: warning: ...` lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"gdm: {record.levelname.lower()}: {record.getMessage()}", err=True)


class _InOrder(click.Group):
    """Lists commands in the order they were added (the order of the workflow), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=_InOrder, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gdm")
def gdm() -> None:
    """gdm: find the highlights in long recorded game streams."""
    logger = logging.getLogger("gdm")
    if not logger.handlers:
        logger.addHandler(_OneLineHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


for _command in (features.fetch, features.extract, features.inspect, labels.labels, head.train, head.evaluate,
                 highlights.score, highlights.export, highlights.reel, demo.demo):
    gdm.add_command(_command)


def main() -> None:
    gdm(prog_name="gdm")


if __name__ == "__main__":
    main()
