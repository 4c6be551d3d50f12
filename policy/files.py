"""Reading input files safely: size caps, kinds of file, and TOML that cannot hang.

Every file the tool reads (a game, a leader profile, a claims catalogue) comes
through :func:`read_bytes` or :func:`read_text`, which read at most a named
number of bytes, so that naming ``/dev/zero`` or a huge file is a one-line
error rather than runaway memory. A file the user names may be a pipe or a
device (``policy validate /dev/stdin``); one that a game file names (its claims
catalogue) must be a regular file, which is opened without blocking and checked
before anything is read.

:func:`parse_toml` wraps :mod:`tomllib` against the ways its input can hurt:
numbers whose exponent ``decimal`` cannot hold, nesting deep enough to exhaust
the Python stack, and dotted keys with so many parts that ``tomllib`` takes
quadratic time on them.

Errors are :class:`InputError` with a message that does not name the file; the
caller adds the file and raises its own error class.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_CATALOGUE_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_KEY_PARTS",
    "InputError",
    "inside",
    "parse_toml",
    "read_bytes",
    "read_text",
]

MAX_INPUT_BYTES = 100 * 2**20
"""Largest game or leader file read (100 MiB: a Gambit tree of a few million nodes fits)."""

MAX_CATALOGUE_BYTES = 16 * 2**20
"""Largest claims catalogue read (16 MiB; the bundled one is a few tens of kB)."""

MAX_KEY_PARTS = 100
"""Most parts in one dotted TOML key or table header (``[nodes.a]`` has 2)."""


class InputError(ValueError):
    """A file that cannot be read; ``str()`` is one line without the file's name.

    ``line`` is the 1-based line of the problem, when it has one.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def inside(folder: Path, ref: str, what: str, owner: str) -> Path:
    """The file ``ref`` that a file in ``folder`` names, checked to stay in that folder.

    A file the user names may name others (a game its claims catalogue, a
    campaign its stage games), but it must not make the tool read files the
    user did not name: the path must be relative and lead, after following
    symbolic links, to ``folder`` or below it. Whether the target is a regular
    file of sensible size is checked when it is read (``regular_only``).

    Parameters
    ----------
    folder
        The folder of the naming file.
    ref
        The path as written in the naming file.
    what, owner
        What the path names and which file names it, for messages ("a claims
        catalogue", "the game file").

    Raises
    ------
    InputError
        When ``ref`` is empty, absolute, or leads outside ``folder``.
    """
    if not ref.strip():
        raise InputError(f"must be the path of {what}, not empty")
    if "\0" in ref:
        raise InputError("the path holds a NUL character")
    relative = Path(ref)
    if relative.is_absolute() or relative.drive:
        raise InputError(
            f"{ref!r} is an absolute path; name {what} beside {owner}, by a relative path"
        )
    try:
        root = folder.resolve()
        target = (folder / relative).resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise InputError(f"cannot follow {ref!r}: {err}") from None
    if not target.is_relative_to(root):
        raise InputError(
            f"{ref!r} leads outside {owner}'s folder; name {what} in that folder or below it"
        )
    return target


def _size_text(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"


def read_bytes(path: str | Path, limit: int | None = None, *, regular_only: bool = False) -> bytes:
    """The content of a file, refused when it holds more than ``limit`` bytes.

    Parameters
    ----------
    path
        The file.
    limit
        The most bytes accepted (default :data:`MAX_INPUT_BYTES`); one more is
        read to tell a file that is too large.
    regular_only
        Refuse anything but a regular file (pipes, devices, sockets), without
        blocking on it: for files a game file names, which the user did not.

    Raises
    ------
    InputError
        When the file cannot be opened or read, is a directory, is not a regular
        file (with ``regular_only``), or is larger than ``limit``.
    """
    if limit is None:
        limit = MAX_INPUT_BYTES
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    if regular_only:
        flags |= getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}") from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):  # before fdopen, which refuses a directory with its own error
        os.close(fd)
        raise InputError("cannot read: it is a directory")
    with os.fdopen(fd, "rb", buffering=0) as handle:
        if regular_only and not stat.S_ISREG(info.st_mode):
            raise InputError("not a regular file (pipes, devices and sockets are not read)")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InputError(f"the file is larger than {_size_text(limit)}, the limit")
        chunks: list[bytes] = []
        size = 0
        # A regular file is asked for whole (and one byte more, to see it end): one
        # chunk, which the join below returns without copying (89 MB at 10^6 nodes).
        step = info.st_size + 1 if stat.S_ISREG(info.st_mode) and info.st_size > 0 else 2**20
        try:
            while size <= limit:
                chunk = handle.read(min(limit + 1 - size, step))
                step = 2**20
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as err:
            raise InputError(f"cannot read: {err.strerror or err}") from None
    if size > limit:
        raise InputError(f"more than {_size_text(limit)} to read, the limit")
    return b"".join(chunks)


def read_text(path: str | Path, limit: int | None = None, *, regular_only: bool = False) -> str:
    """A UTF-8 file as text (a leading byte-order mark is dropped); see :func:`read_bytes`.

    Raises
    ------
    InputError
        As :func:`read_bytes`, and for bytes that are not UTF-8.
    """
    data = read_bytes(path, limit, regular_only=regular_only)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError("not UTF-8 text", line) from None


# A dotted key: bare or quoted parts joined by dots (spaces allowed around them).
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_LONG_KEY = re.compile(f"{_KEY_PART}(?:[ \\t]*\\.[ \\t]*{_KEY_PART}){{{MAX_KEY_PARTS},}}")


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text, floats as :class:`~decimal.Decimal` (read exactly).

    A leading byte-order mark is dropped, as UTF-8 editors on Windows write one.

    Raises
    ------
    InputError
        For text that is not valid TOML (with the line ``tomllib`` names), a key
        with more than :data:`MAX_KEY_PARTS` dotted parts, arrays or inline
        tables nested deeper than the Python stack allows, a float whose
        exponent is too large to read, or an integer of thousands of digits.
    """
    text = text.removeprefix("\ufeff")
    line = _long_key_line(text)
    if line is not None:
        raise InputError(f"a dotted key with more than {MAX_KEY_PARTS} parts", line)
    try:
        return tomllib.loads(text, parse_float=_decimal)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise InputError(f"not valid TOML: {err}", int(m.group(1)) if m else None) from None
    except _BadFloat as err:
        found = _line_of(text, err.text)
        raise InputError(f"number {_short(err.text)} is out of range", found) from None
    except RecursionError:
        raise InputError("not valid TOML: arrays or inline tables are nested too deeply") from None
    except ValueError:  # Python refuses to convert integers of thousands of digits
        long_number = re.search(r"[0-9A-Fa-f_]{1000,}", text)
        where = text.count("\n", 0, long_number.start()) + 1 if long_number else None
        raise InputError("a number with too many digits to read", where) from None


def may_have_top_level(text: str, names: Iterable[str]) -> bool:
    """Whether TOML ``text`` may have one of ``names`` as a top-level key, without parsing it.

    False only when no line could start such a key: no table header
    ``[name...]``/``[[name...]]`` and no ``name =``/``name.x =`` (bare or
    quoted), and no ``\\u`` escape that could spell a name in a quoted key.
    True answers are only candidates: the caller parses the text to know.
    Telling a big game from a profile or a record this way saves parsing a
    game of a million nodes with ``tomllib`` only to find it is a game.
    """
    if "\\u" in text or "\\U" in text:
        return True
    alternatives = "|".join(re.escape(n) for n in names)
    pattern = re.compile(
        rf"""^[ \t]*(?:\[\[?[ \t]*)?["']?(?:{alternatives})["']?[ \t]*[.=\]]""", re.MULTILINE
    )
    return pattern.search(text) is not None


def _long_key_line(text: str) -> int | None:
    """The line of the first dotted key with more than :data:`MAX_KEY_PARTS` parts, or None.

    Such a key lies on one line with at least that many dots, so only lines
    with that many are searched (the pattern, tried at every place of a large
    file, costs a quarter of a second on 2.5 MB).
    """
    if text.count(".") < MAX_KEY_PARTS:
        return None
    for number, line in enumerate(text.split("\n"), 1):
        if line.count(".") >= MAX_KEY_PARTS and _LONG_KEY.search(line) is not None:
            return number
    return None


class _BadFloat(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise _BadFloat(text) from None


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
