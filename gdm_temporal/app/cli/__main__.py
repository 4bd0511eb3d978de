"""`python -m gdm_temporal.app.cli` is the `gdm` command."""

from .main import main

main()
