"""Helpers for tests of written files: FIFO readers, device nodes, unwritable folders."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def leftovers(folder: Path) -> list[str]:
    """Temporary files a write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def full_device(tmp_path: Path) -> Path:
    """A character device like /dev/full (every write fails: no space), made in ``tmp_path``."""
    path = tmp_path / "full"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("making a device node needs root")
    return path


class FifoReader:
    """Reads a FIFO in a thread until the writer closes it."""

    def __init__(self, path: Path) -> None:
        self.data = b""
        self.thread = threading.Thread(target=self._read, args=(path,), daemon=True)
        self.thread.start()

    def _read(self, path: Path) -> None:
        with open(path, "rb") as fifo:
            self.data = fifo.read()

    def result(self) -> bytes:
        self.thread.join(10)
        assert not self.thread.is_alive()
        return self.data


@contextlib.contextmanager
def locked_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot create files in (as root: /sys, where that holds)."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        try:
            yield folder
        finally:
            folder.chmod(0o700)
        return
    try:
        fd, name = tempfile.mkstemp(dir="/sys")
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            yield Path("/sys")
            return
        raise
    os.close(fd)
    os.unlink(name)
    pytest.skip("root can write everywhere here")
