"""The claims catalogue: where the scenario's assumptions come from.

``seeds/claims.toml`` lists, under ``[claims.ID]``, every argument taken from the
source discussion (``kind = "thread"``) and every published fact a game rests on
(``kind = "external"``), each summarised in our own words. Game files and leader
profiles cite claims by id in their ``sources``; each claim may say in ``bears_on``
which parameters (``game.parameter``) or game shapes (``game.structure``) it
informs, and says whether it is ``accepted``, ``contested`` or ``wrong`` (the last
two with a ``why``).

:func:`find_catalogue` says which catalogue a game or a profile cites from (the
same look-up for both, and for every command); :func:`load_claims` reads and
checks one; any fault is a :class:`ClaimsError` whose message names the file, the
line and the claim.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy import files
from policy.files import InputError, parse_toml, read_text

__all__ = [
    "KINDS", "STATUSES", "Claim", "ClaimsError", "catalogue_ids", "cited_catalogue", "default_path",
    "find_catalogue", "game_catalogue", "listed_catalogue", "load_claims",
]

#: Where a claim comes from.
KINDS = frozenset({"thread", "external"})
#: What the project makes of a claim.
STATUSES = frozenset({"accepted", "contested", "wrong"})
#: Statuses that must say why, with the contrary source.
NEEDS_WHY = frozenset({"contested", "wrong"})
#: Quotes are kept short: only where the wording itself matters.
MAX_QUOTE_WORDS = 30

ENV_VAR = "POLICY_CLAIMS"
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
BEARS_ON_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")

KEYS = frozenset(
    {"kind", "summary", "status", "post", "author", "quote", "source", "bears_on", "why"}
)
REQUIRED = ("kind", "summary", "status")
#: The name of a catalogue found beside a game or a profile.
BESIDE = "claims.toml"


class ClaimsError(ValueError):
    """A catalogue that cannot be read or is malformed.

    ``str()`` is one line: ``FILE:LINE: claims.ID: message`` (the key's line when
    it can be found), or ``FILE: message`` for faults of the file as a whole.
    ``file`` is the catalogue for a fault inside one; None for a fault in how
    a catalogue is named (the caller adds the file that names it).
    """

    def __init__(self, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.file = file


@dataclass(frozen=True)
class Claim:
    """One entry of the catalogue.

    Attributes
    ----------
    id
        The key under ``[claims]``: lowercase words joined by ``-``.
    kind
        ``"thread"`` (an argument in the source discussion) or ``"external"``
        (a published source).
    summary
        One sentence in the project's own words.
    status
        ``"accepted"``, ``"contested"`` or ``"wrong"``.
    post
        For thread claims, the position of the post in the thread (1 = the
        opening post).
    author
        For thread claims, the poster's handle where the thread shows one.
    quote
        A short quotation, where the wording matters.
    source
        For external claims, the full citation.
    bears_on
        The parameters (``game.parameter``) or game shapes (``game.structure``)
        the claim informs; may be empty (a claim that a game or profile cites
        by id needs none).
    why
        For contested and wrong claims, the reason and the contrary source.
    """

    id: str
    kind: str
    summary: str
    status: str
    post: int | None = None
    author: str | None = None
    quote: str | None = None
    source: str | None = None
    bears_on: tuple[str, ...] = ()
    why: str | None = None

    @property
    def games(self) -> frozenset[str]:
        """The games named in :attr:`bears_on`."""
        return frozenset(item.split(".", 1)[0] for item in self.bears_on)


def default_path() -> Path:
    """The catalogue to read when none is given.

    Returns
    -------
    Path
        ``$POLICY_CLAIMS`` if set, else the bundled ``seeds/claims.toml``
        (inside the package when installed from a wheel).
    """
    from policy.bundled import data_root

    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return data_root() / "seeds" / "claims.toml"


def find_catalogue(folder: Path | None, named: str | None = None, *, above: bool = False) -> Path:
    """The catalogue a game (or a profile) in ``folder`` cites from.

    In this order: the file ``named`` (a game's ``game.claims``, relative to
    ``folder``, see :func:`cited_catalogue`); the one ``--claims`` or
    ``$POLICY_CLAIMS`` names; a ``claims.toml`` in ``folder``; with ``above``
    (for a profile, which sits in a folder below its games), a ``claims.toml``
    in the folder above; the bundled one. Every command finds a game's
    catalogue this way (docs/game-format.md, "Your own sources").

    Raises
    ------
    ClaimsError
        When ``named`` is not allowed (:func:`cited_catalogue`).
    """
    if named is not None:
        return cited_catalogue(folder or Path("."), named)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    if folder is not None:
        up = folder.parent if folder.name not in ("", "..") else folder.resolve().parent
        for where in (folder, up) if above else (folder,):
            if (where / BESIDE).is_file():
                return where / BESIDE
    return default_path()


def game_catalogue(path: str | Path) -> Path | None:
    """The claims catalogue a game file cites from, or None when it has none.

    Found as when the game is read (:func:`find_catalogue`): the file
    ``game.claims`` (a campaign's ``campaign.claims``) names, else the one
    ``--claims`` or ``$POLICY_CLAIMS`` names, else a ``claims.toml`` beside the
    game, else the bundled one. Gambit files cite no claims. None also when
    the catalogue file is missing.
    """
    path = Path(path)
    if path.suffix.lower() != ".toml":
        return None
    ref = None
    try:
        data = parse_toml(read_text(path))
        for table in ("game", "campaign"):
            head = data.get(table)
            if isinstance(head, dict) and isinstance(head.get("claims"), str):
                ref = head["claims"]
                break
        found = find_catalogue(path.parent, ref)
    except (InputError, ClaimsError):
        return None  # the game was read already; a catalogue is optional here
    return found if found.is_file() else None


def listed_catalogue(game: str | None = None) -> Path:
    """The catalogue ``policy claims`` lists: with ``game`` naming a game file (or a
    bundled game), that game's (:func:`game_catalogue`, so a ``claims.toml`` beside
    it counts); else the one in use (:func:`default_path`)."""
    from policy.bundled import games_dir

    if game is not None:
        for candidate in (Path(game), games_dir() / f"{Path(game).stem}.toml"):
            if candidate.suffix == ".toml" and candidate.is_file():
                found = game_catalogue(candidate)
                if found is not None:
                    return found
                break
    return default_path()


def catalogue_ids(path: Path) -> frozenset[str]:
    """The claim ids of the catalogue at ``path``, checked as :func:`load_claims` does.

    Read once per version of the file (a profile check may ask for the same
    catalogue many times in one command).
    """
    try:
        info = path.stat()
    except OSError:
        return frozenset(load_claims(path))  # raises the ClaimsError that says why
    return _ids(path.resolve(), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=32)
def _ids(path: Path, _mtime: int, _size: int) -> frozenset[str]:
    return frozenset(load_claims(path))


def cited_catalogue(game_dir: Path, ref: str) -> Path:
    """The catalogue a game file names with ``game.claims``, checked to be allowed.

    A game file must not make the tool read files the user did not name, so the
    path must be relative, and lead (after following symbolic links) to a file
    inside the game file's folder or below it. Whether it is a regular file of
    sensible size is checked when it is read (:func:`load_claims`).

    Parameters
    ----------
    game_dir
        The folder of the game file.
    ref
        The value of ``game.claims``.

    Raises
    ------
    ClaimsError
        When the path is empty, absolute, or leads outside ``game_dir``
        (the message has no file name; the caller adds the game file's).
    """
    from policy.files import InputError, inside

    try:
        return inside(game_dir, ref, "a claims catalogue", "the game file")
    except InputError as err:
        raise ClaimsError(err.message) from None


def load_claims(path: Path | None = None) -> dict[str, Claim]:
    """Read and check a claims catalogue.

    Parameters
    ----------
    path
        The catalogue file; by default :func:`default_path`.

    Returns
    -------
    dict[str, Claim]
        The claims by id, in the order of the file.

    Raises
    ------
    ClaimsError
        If the file cannot be read or parsed, or a claim is malformed: a
        missing or unknown key, a value of the wrong type, an unknown ``kind``
        or ``status``, a contested or wrong claim without ``why``, a thread
        claim without ``post`` or an external claim without ``source``; also
        when it is not a regular file or is larger than
        :data:`policy.files.MAX_CATALOGUE_BYTES`.
    """
    file = Path(path) if path is not None else default_path()
    try:
        text = read_text(file, files.MAX_CATALOGUE_BYTES, regular_only=True)
        data = parse_toml(text)
    except InputError as err:
        reason = err.message.removeprefix("cannot read: ")
        if reason != err.message:
            raise ClaimsError(f"{file}: cannot read the claims catalogue ({reason})", str(file)) from None
        where = f"{file}:{err.line}" if err.line else str(file)
        message = re.sub(r" \(at line \d+, column \d+\)$", "", err.message)
        raise ClaimsError(f"{where}: {message}", str(file)) from None

    lines = text.splitlines()
    extra = sorted(set(data) - {"claims"})
    if extra:
        raise _located(file, lines, extra[0], "unknown top-level key (expected only [claims.ID] tables)")
    table = data.get("claims")
    if not isinstance(table, dict) or not table:
        raise ClaimsError(f"{file}: no claims (expected [claims.ID] tables)", str(file))
    return {cid: _claim(file, lines, cid, body) for cid, body in table.items()}


def _located(file: Path, lines: list[str], key: str, message: str) -> ClaimsError:
    """``FILE:LINE: KEY: message``, the line where ``key`` is written (when it can be found)."""
    from policy.gamefile import find_line

    line = find_line(lines, key)
    if line is None:  # a top-level key, above every table header
        start = re.compile(r"^\s*(\[+\s*)?[\"']?" + re.escape(key) + r"[\"']?\s*[=.\]]")
        line = next((k for k, text in enumerate(lines, 1) if start.match(text)), None)
    return ClaimsError(f"{file}:{line}: {key}: {message}" if line else f"{file}: {key}: {message}", str(file))


def _claim(file: Path, lines: list[str], cid: str, body: Any) -> Claim:
    """Check one ``[claims.ID]`` table and build its :class:`Claim`."""

    def fail(message: str, key: str | None = None) -> ClaimsError:
        from policy.gamefile import find_line

        line = find_line(lines, f"claims.{cid}.{key}" if key else f"claims.{cid}")
        where = f"{file}:{line}" if line else str(file)
        return ClaimsError(f"{where}: claims.{cid}: {message}", str(file))

    if not ID_PATTERN.fullmatch(cid):
        raise fail("an id must be lowercase words (letters, digits) joined by '-'")
    if not isinstance(body, dict):
        raise fail("must be a table of keys (kind, summary, status, ...)")
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(KEYS))})", unknown[0])
    for key in REQUIRED:
        if key not in body:
            raise fail(f"missing required key {key!r}")

    def text(key: str) -> str | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{key} must be a non-empty string", key)
        return value

    def need(key: str) -> str:
        value = text(key)
        if value is None:
            raise fail(f"missing required key {key!r}")
        return value

    kind = need("kind")
    if kind not in KINDS:
        raise fail(f"kind must be one of {_choices(KINDS)}, not {kind!r}", "kind")
    status = need("status")
    if status not in STATUSES:
        raise fail(f"status must be one of {_choices(STATUSES)}, not {status!r}", "status")
    summary = need("summary")
    author, quote, source, why = text("author"), text("quote"), text("source"), text("why")

    post = body.get("post")
    if post is not None and (isinstance(post, bool) or not isinstance(post, int) or post < 1):
        raise fail("post must be a whole number from 1 (the opening post)", "post")
    if kind == "thread" and post is None:
        raise fail("a thread claim needs 'post', the position of its post in the thread")
    if kind == "external":
        if source is None:
            raise fail("an external claim needs 'source', a full citation")
        for key in ("post", "author"):
            if key in body:
                raise fail(f"{key!r} is for thread claims; an external claim has 'source'", key)
    if status in NEEDS_WHY and why is None:
        raise fail(f"a {status} claim needs 'why': the reason, with the contrary source", "status")
    if quote is not None and len(quote.split()) > MAX_QUOTE_WORDS:
        raise fail(f"quote is longer than {MAX_QUOTE_WORDS} words; summarise instead", "quote")

    bears_on = body.get("bears_on", [])
    if not isinstance(bears_on, list):
        raise fail('bears_on must be a list such as ["diplomacy_1939.readiness"] (or [])', "bears_on")
    for item in bears_on:
        if not isinstance(item, str) or not BEARS_ON_PATTERN.fullmatch(item):
            raise fail(f"bears_on entry {item!r} is not 'game.parameter' or 'game.structure'", "bears_on")

    return Claim(
        id=cid,
        kind=kind,
        summary=summary,
        status=status,
        post=post,
        author=author,
        quote=quote,
        source=source,
        bears_on=tuple(bears_on),
        why=why,
    )


def _choices(values: frozenset[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values))
