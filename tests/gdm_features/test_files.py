"""The one writer of user files: atomic, umask-following, never through a planted symlink, and
nothing left behind when writing fails."""

import os
import stat

import pytest

from gdm_features import GdmError
from gdm_features.files import atomic_output, write_atomically


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = write_atomically(tmp_path / "out.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_symlink_at_the_destination_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out.png").symlink_to(victim)
    write_atomically(tmp_path / "out.png", b"new")
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "out.png").is_symlink() and (tmp_path / "out.png").read_bytes() == b"new"


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    (tmp_path / "out.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / "out.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    assert (tmp_path / "out.txt").read_text() == "old"


def test_an_unwritable_folder_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(GdmError, match="could not write|not allowed|Not a directory|exists"):
        write_atomically(blocker / "out.json", "{}")
