"""The `gdm` command line: `main.py` defines the group and registers every command; each other
module holds the commands of one job, thin shells over the library.
"""

from .main import gdm, main

__all__ = ["gdm", "main"]
