"""The one exception type that reaches users.

Anything raised as `GdmError` is the user's to fix (bad path, missing weights, full disk);
the CLI prints its message as one line and exits non-zero. Every other exception is a bug.
"""


class GdmError(Exception):
    """A problem with the user's input or environment, with a message that says what to do."""
