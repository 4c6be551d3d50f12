"""The claims catalogue: where the scenario's assumptions come from.

``seeds/claims.toml`` lists, under ``[claims.ID]``, every argument taken from the
source discussion (``kind = "thread"``) and every published fact a game rests on
(``kind = "external"``), each summarised in our own words. Game files and leader
profiles cite claims by id in their ``sources``; each claim says in ``bears_on``
which parameters (``game.parameter``) or game shapes (``game.structure``) it
informs, and whether it is ``accepted``, ``contested`` or ``wrong`` (the last two
with a ``why``).

:func:`load_claims` reads and checks the catalogue; any fault is a
:class:`ClaimsError` whose message names the file and the claim.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy import files
from policy.files import InputError, parse_toml, read_text

__all__ = [
    "KINDS", "STATUSES", "Claim", "ClaimsError", "cited_catalogue", "default_path", "load_claims",
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
REQUIRED = ("kind", "summary", "status", "bears_on")


class ClaimsError(ValueError):
    """A catalogue that cannot be read or is malformed.

    ``str()`` is one line: ``FILE: claims.ID: message``, or ``FILE: message`` for
    faults of the file as a whole.
    """


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
        the claim informs.
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
        data = parse_toml(read_text(file, files.MAX_CATALOGUE_BYTES, regular_only=True))
    except InputError as err:
        where = str(file)  # the message of a TOML error has the line already
        reason = err.message.removeprefix("cannot read: ")
        if reason != err.message:
            raise ClaimsError(f"{where}: cannot read the claims catalogue ({reason})") from None
        raise ClaimsError(f"{where}: {err.message}") from None

    extra = sorted(set(data) - {"claims"})
    if extra:
        raise ClaimsError(
            f"{file}: unknown top-level key {extra[0]!r} (expected only [claims.ID] tables)"
        )
    table = data.get("claims")
    if not isinstance(table, dict) or not table:
        raise ClaimsError(f"{file}: no claims (expected [claims.ID] tables)")
    return {cid: _claim(file, cid, body) for cid, body in table.items()}


def _claim(file: Path, cid: str, body: Any) -> Claim:
    """Check one ``[claims.ID]`` table and build its :class:`Claim`."""

    def fail(message: str) -> ClaimsError:
        return ClaimsError(f"{file}: claims.{cid}: {message}")

    if not ID_PATTERN.fullmatch(cid):
        raise fail("an id must be lowercase words (letters, digits) joined by '-'")
    if not isinstance(body, dict):
        raise fail("must be a table of keys (kind, summary, status, ...)")
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(KEYS))})")
    for key in REQUIRED:
        if key not in body:
            raise fail(f"missing required key {key!r}")

    def text(key: str) -> str | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{key} must be a non-empty string")
        return value

    def need(key: str) -> str:
        value = text(key)
        if value is None:
            raise fail(f"missing required key {key!r}")
        return value

    kind = need("kind")
    if kind not in KINDS:
        raise fail(f"kind must be one of {_choices(KINDS)}, not {kind!r}")
    status = need("status")
    if status not in STATUSES:
        raise fail(f"status must be one of {_choices(STATUSES)}, not {status!r}")
    summary = need("summary")
    author, quote, source, why = text("author"), text("quote"), text("source"), text("why")

    post = body.get("post")
    if post is not None and (isinstance(post, bool) or not isinstance(post, int) or post < 1):
        raise fail("post must be a whole number from 1 (the opening post)")
    if kind == "thread" and post is None:
        raise fail("a thread claim needs 'post', the position of its post in the thread")
    if kind == "external":
        if source is None:
            raise fail("an external claim needs 'source', a full citation")
        for key in ("post", "author"):
            if key in body:
                raise fail(f"{key!r} is for thread claims; an external claim has 'source'")
    if status in NEEDS_WHY and why is None:
        raise fail(f"a {status} claim needs 'why': the reason, with the contrary source")
    if quote is not None and len(quote.split()) > MAX_QUOTE_WORDS:
        raise fail(f"quote is longer than {MAX_QUOTE_WORDS} words; summarise instead")

    bears_on = body["bears_on"]
    if not isinstance(bears_on, list) or not bears_on:
        raise fail('bears_on must be a non-empty list such as ["diplomacy_1939.readiness"]')
    for item in bears_on:
        if not isinstance(item, str) or not BEARS_ON_PATTERN.fullmatch(item):
            raise fail(f"bears_on entry {item!r} is not 'game.parameter' or 'game.structure'")

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
