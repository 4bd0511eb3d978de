"""Writing the user's files: never a half-written file under the real name, never through a
symlink planted at the destination, and with the permissions the user's umask asks for.

Every output goes to a fresh private temporary name beside the destination (so the rename is
atomic, on one file system) and is renamed over it only when complete. `os.replace` replaces
a symlink at the destination instead of writing to its target.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import GdmError


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (threads may be writing)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def disk_error_message(path: Path | str, exc: OSError) -> str:
    """One line for an OS error while writing `path`, with what to do about it."""
    if exc.errno == errno.ENOSPC:
        return f"{path}: no space left on the device; free some space and run the same command again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: not allowed to write here ({exc.strerror}); choose another output path"
    return f"{path}: could not write ({exc.strerror or exc})"


@contextmanager
def atomic_output(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path (same suffix, so writers pick the right format) beside `path`;
    when the block finishes it becomes `path` with the umask's mode, and on any error or
    Ctrl-C it is removed. OS errors become one-line GdmErrors."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
        os.close(fd)
    except OSError as exc:
        raise GdmError(disk_error_message(path, exc)) from None
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise GdmError(disk_error_message(path, exc)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path | str, data: str | bytes) -> Path:
    """Write `data` to `path` through `atomic_output`."""
    with atomic_output(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
    return Path(path)
