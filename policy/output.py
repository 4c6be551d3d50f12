"""Writing the files a command makes: whole or not at all, and only where the user said.

Every command that writes a file (``report``, ``render -o``, ``sweep -o`` and
``--plot``, ``convert``) goes through :class:`Outputs`. The rules:

* A regular file is written atomically: the content goes to a temporary file in
  the same folder, is flushed to disk (``fsync``) and then renamed over the
  target in one step. A new file gets the permissions the umask allows a
  normal file (0644 under umask 022); a file replaced keeps its own mode.
* A symbolic link is followed: its target is written (atomically, as above)
  and the link stays a link.
* A pipe (FIFO), a character device (``/dev/null``, a terminal) and the
  standard streams (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``) are
  written through, never replaced by a regular file. A directory, a block
  device or a socket is refused with an error naming it.
* The files of one command are all *prepared* first (written in full to their
  temporary places) and only then *committed*, so a failure in any of them
  leaves every old file as it was. Pipes and devices cannot be replaced in
  one step; their content is kept aside and written first at commit. The
  renames of a commit are not interrupted by Ctrl-C.

Errors are :class:`OutputError`, one line naming the file the user gave.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["OutputError", "Outputs", "Target", "check", "write"]

#: Paths that name an already open descriptor of this process, written through it.
_DESCRIPTOR = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2}
#: Bytes copied at a time when a staged output is written into a pipe or device.
_CHUNK = 1 << 20


class OutputError(OSError):
    """A file that cannot be written as asked; ``str()`` is one line naming it.

    A subclass of :class:`OSError`, so library callers that catch write
    failures as ``OSError`` keep working.
    """


@dataclass(frozen=True)
class Target:
    """Where the bytes for a path the user named will go.

    ``kind`` is ``"file"`` (a regular file at ``path``, replaced atomically;
    ``path`` has symbolic links resolved) or ``"stream"`` (a pipe, a device or
    an open descriptor, written through: ``descriptor`` if it is one of ours,
    else ``path`` opened for writing).
    """

    given: str
    kind: str
    path: Path
    descriptor: int | None = None
    mode: int = 0o644
    owner: tuple[int, int] | None = None


def _fail(given: str | os.PathLike[str], why: str) -> OutputError:
    return OutputError(f"{os.fspath(given)}: cannot write: {why}")


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _blocking_component(path: Path) -> Path | None:
    """The first ancestor of ``path`` that exists but is not a directory."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def _check_folder(given: str, folder: Path, via: str = "") -> None:
    if not folder.exists():
        blocker = _blocking_component(folder / "x")
        if blocker is not None:
            raise _fail(given, f"{via}{blocker} is not a directory")
        raise _fail(given, f"{via}no such directory {folder}")
    if not folder.is_dir():
        raise _fail(given, f"{via}{folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _fail(given, f"{via}permission denied on {folder}")


def check(path: str | os.PathLike[str]) -> Target:
    """Classify ``path`` and check that it can be written, before any long work.

    Raises
    ------
    OutputError
        For an empty name, a directory, a block device or socket, a missing or
        unwritable folder, or a descriptor that is not open.
    """
    given = os.fspath(path)
    if not given:
        raise OutputError("cannot write: the file name is empty")
    number = _STREAMS.get(given)
    match = _DESCRIPTOR.match(given)
    if match:
        number = int(match.group(1))
    if number is not None:
        try:
            os.fstat(number)
        except OSError:
            raise _fail(given, f"descriptor {number} is not open") from None
        return Target(given, "stream", Path(given), descriptor=number)
    try:
        info: os.stat_result | None = os.stat(given)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        blocker = _blocking_component(Path(given))
        raise _fail(given, f"{blocker or Path(given).parent} is not a directory") from None
    except OSError as err:
        raise _fail(given, err.strerror or str(err)) from None
    if info is None:
        # A new file, or a symbolic link whose target does not exist yet.
        if os.path.islink(given):
            real = Path(os.path.realpath(given))
            _check_folder(given, real.parent, via=f"the link's target {real}: ")
        else:
            real = Path(given)
            _check_folder(given, real.parent)
        return Target(given, "file", real, mode=0o666 & ~_umask())
    if stat.S_ISDIR(info.st_mode):
        raise _fail(given, "it is a directory")
    if stat.S_ISREG(info.st_mode):
        if not os.access(given, os.W_OK):
            # open(..., "w") would fail; a rename over it would not, but should not either.
            raise _fail(given, "permission denied (the file is read-only)")
        real = Path(os.path.realpath(given))
        linked = os.path.islink(given)
        _check_folder(given, real.parent if linked else Path(given).parent,
                      via=f"the link's target {real}: " if linked else "")
        return Target(given, "file", real, mode=stat.S_IMODE(info.st_mode),
                      owner=(info.st_uid, info.st_gid))
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        if not os.access(given, os.W_OK):
            raise _fail(given, "permission denied")
        return Target(given, "stream", Path(given))
    what = "a block device" if stat.S_ISBLK(info.st_mode) else "a socket or other special file"
    raise _fail(given, f"it is {what}; only files, pipes and character devices are written")


@dataclass
class _Staged:
    """One output being prepared: its target and the temporary place holding its bytes."""

    target: Target
    handle: IO[bytes]
    temp: Path | None = None
    ready: bool = False

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.handle.close()
        if self.temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temp)
            self.temp = None


class Outputs:
    """The files of one command, prepared one by one and committed together.

    Use it as a context manager: whatever was not committed when the block
    ends (an error, Ctrl-C) is discarded, leaving no temporary file::

        with Outputs() as out:
            out.write("notes.md", text)
            with out.open("data.csv", text=True) as f:
                f.write(...)
            out.commit()
    """

    def __init__(self) -> None:
        self._staged: list[_Staged] = []

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def _named_before(self, target: Target) -> bool:
        return any(
            s.target.given == target.given or (s.target.kind == target.kind == "file" and s.target.path == target.path)
            for s in self._staged
        )

    def _stage(self, path: str | os.PathLike[str]) -> _Staged:
        target = check(path)
        if self._named_before(target):
            raise _fail(target.given, "the same file is named twice")
        if target.kind == "stream":
            # Pipes and devices cannot be replaced in one step: keep the bytes aside.
            try:
                handle: IO[bytes] = tempfile.TemporaryFile(prefix="policy-")
            except OSError as err:
                raise _fail(target.given, f"no room for a temporary copy: {err.strerror or err}") from None
            staged = _Staged(target, handle)
        else:
            folder, name = target.path.parent, target.path.name
            try:
                fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            except OSError as err:
                raise _fail(target.given, err.strerror or str(err)) from None
            staged = _Staged(target, os.fdopen(fd, "wb"), Path(temp))
        self._staged.append(staged)
        return staged

    @contextlib.contextmanager
    def open(self, path: str | os.PathLike[str], *, text: bool = False) -> Iterator[IO[Any]]:
        """A file object to write ``path``'s content into (UTF-8 with ``\\n`` if ``text``).

        The content reaches ``path`` only at :meth:`commit`. An error inside
        the block discards this output and is re-raised; an ``OSError`` from
        writing becomes an :class:`OutputError` naming ``path``.
        """
        staged = self._stage(path)
        given = staged.target.given
        try:
            if text:
                wrapper = io.TextIOWrapper(staged.handle, encoding="utf-8", newline="")
                yield wrapper
                wrapper.flush()
                wrapper.detach()
            else:
                yield staged.handle
            staged.handle.flush()
            if staged.temp is not None:
                fd = staged.handle.fileno()
                os.fsync(fd)
                os.fchmod(fd, staged.target.mode)
                if staged.target.owner is not None and os.geteuid() == 0:
                    with contextlib.suppress(OSError):
                        os.fchown(fd, *staged.target.owner)
                staged.handle.close()
            staged.ready = True
        except OutputError:
            self._drop(staged)
            raise
        except OSError as err:
            self._drop(staged)
            why = err.strerror or str(err)
            if staged.temp is None:  # the copy kept aside for a pipe or device
                why += f" (in the copy kept in {tempfile.gettempdir()} until the end)"
            raise _fail(given, why) from None
        except BaseException:
            self._drop(staged)
            raise

    def write(self, path: str | os.PathLike[str], data: str | bytes) -> None:
        """Prepare ``path`` with ``data`` (text is written as UTF-8)."""
        with self.open(path) as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)

    def _drop(self, staged: _Staged) -> None:
        staged.discard()
        with contextlib.suppress(ValueError):
            self._staged.remove(staged)

    def commit(self) -> list[Path]:
        """Put every prepared output in place; returns the paths as given, in order.

        Pipes and devices are written first (they are the ones that can still
        fail: a full device, a reader gone), then the regular files are renamed
        into place with Ctrl-C held back. After a failure the outputs not yet
        committed are discarded.

        Raises
        ------
        OutputError
            Naming the output that failed.
        """
        staged, self._staged = self._staged, []
        try:
            for s in staged:
                if not s.ready:
                    raise _fail(s.target.given, "its content was not finished")
            for s in staged:
                if s.target.kind == "stream":
                    _write_through(s)
            with _interrupts_deferred():
                for s in staged:
                    if s.target.kind == "file":
                        assert s.temp is not None
                        try:
                            os.replace(s.temp, s.target.path)
                        except OSError as err:
                            raise _fail(s.target.given, err.strerror or str(err)) from None
                        s.temp = None
        finally:
            for s in staged:
                s.discard()
        return [Path(s.target.given) for s in staged]

    def discard(self) -> None:
        """Drop every output not yet committed, removing its temporary file."""
        staged, self._staged = self._staged, []
        for s in staged:
            s.discard()


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back while the renames of a commit run, so that they all happen or none.

    The signal stays pending and arrives when the block ends. Only the main
    thread receives signals in Python, so elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _write_through(staged: _Staged) -> None:
    """Copy a staged output into its pipe, device or descriptor."""
    target = staged.target
    handle = staged.handle
    try:
        handle.seek(0)
        if target.descriptor is not None:
            for stream in (sys.stdout, sys.stderr):  # what was printed comes first
                with contextlib.suppress(Exception):
                    stream.flush()
            fd = os.dup(target.descriptor)
        else:
            fd = os.open(target.path, os.O_WRONLY | os.O_NOCTTY)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(handle, out, _CHUNK)
            out.flush()
    except OSError as err:
        if err.errno == errno.EPIPE:
            raise _fail(target.given, "the reader closed the pipe") from None
        raise _fail(target.given, err.strerror or str(err)) from None


def write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write one file by the rules above (atomically, or through a pipe or device)."""
    with Outputs() as out:
        out.write(path, data)
        return out.commit()[0]
