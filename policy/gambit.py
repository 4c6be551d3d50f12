"""Read and write Gambit's game files: extensive form (``.efg``) and strategic form (``.nfg``).

The formats are Gambit's own (``doc/formats.efg.rst``, ``formats.nfgpay.rst``
and ``formats.nfgout.rst`` in the Gambit repository); the parser here is a
small tokenizer and an iterative reader of our own, so that a tree a hundred
thousand nodes deep needs no recursion, and reading is linear in the size of the
file (Gambit 16.7 itself is quadratic in the number of distinct outcomes).

Tokens are quoted strings (``\\"`` is a quote and ``\\\\`` a backslash inside one;
any other backslash is kept as it is), numbers, braces, commas and bare words.
Numbers are integers (``-3``), decimals (``0.5``, ``.5``, ``1.5e-3``) and
rationals (``1/3``), all read exactly as :class:`~fractions.Fraction`.

How a Gambit game becomes a :class:`~policy.model.Game`:

* nodes are named by their labels when every label is a usable node name
  (:data:`policy.gamefile.NAME`) and no two are the same, as in a file written
  from one of our games; otherwise ``n<k>`` with ``k`` their breadth-first
  index, the same index as in the game's arrays. The labels are kept in
  ``Game.node_labels`` either way;
* a player's information set is named ``"<player label>:<number>"`` with the
  number exactly as in the file, so results match Gambit's; its label is kept per
  node in ``Game.node_infoset_labels``, as is the label of a chance event;
* chance events are not information sets in our model: each chance node carries
  its own probabilities, and when written back every chance node is its own event;
* outcomes keep their labels and are the game's outcomes in order of first
  appearance in the file, which is how Gambit numbers them too (so files Gambit
  writes keep their outcome numbers); a node with outcome 0 has none, and a
  terminal without an outcome pays 0;
* player labels and the action labels of each information set are made unique
  and non-empty as Gambit 16.7 does: a label that is empty or repeated becomes
  ``label_1``, ``label_2``, ... (skipping any already used), so ``""`` becomes
  ``_1``; labels may be any Unicode (Gambit refuses non-ASCII; we write UTF-8);
* the title and the comment are ``Game.title`` and ``Game.comment``.

A strategic-form (``.nfg``) game becomes a tree in which player 1 moves at the
root, then player 2 in one information set that does not see player 1's move,
and so on; :func:`write_nfg` writes exactly the games of that shape.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import numpy as np

from policy import files
from policy.expr import (
    MAX_LITERAL_DIGITS,
    MAX_LITERAL_EXPONENT,
    MAX_MAGNITUDE,
    Expr,
    ExprError,
    evaluate,
    parse,
)
from policy.files import InputError, read_bytes
from policy.model import Game, GameError, NodeKind, NodeSpec, Outcome, build_game, gc_paused

__all__ = [
    "GambitFormatError",
    "assert_same_game",
    "game_difference",
    "normalize_labels",
    "read_efg",
    "read_nfg",
    "same_game",
    "write_efg",
    "write_nfg",
]

GAMBIT_ORIGINS = frozenset({"efg", "nfg"})
"""``Game.origin`` of games read from Gambit files."""


class GambitFormatError(ValueError):
    """A Gambit file that cannot be read, or a game that cannot be written as one.

    ``str()`` is one line: ``FILE:LINE: message (expected X)``; parts that are not
    known are left out (a game that cannot be written has no file or line).

    Attributes
    ----------
    file, line
        Where the problem is (``line`` is 1-based; None when not in a file).
    message
        What is wrong.
    expected
        What the reader expected to find there, if it was looking for a token.
    """

    def __init__(
        self, message: str, *, file: str = "", line: int | None = None, expected: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.message = message
        self.expected = expected
        where = f"{file}:{line}" if file and line is not None else file
        text = f"{where}: {message}" if where else message
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


# ---------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------
# One token after optional white space; every character but white space is part of
# some token (a lone quote that never closes is ``bad``), so ``findall`` covers the
# whole text and the groups say the kind (a quoted string is the one with no group).
_TOKENS = re.compile(
    r"""
    \s*(?:
      "((?:[^"\\]|\\.)*)"
    | ([+-]?(?:[0-9]+/[0-9]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?=[\s{},"]|\Z))
    | ([{},])
    | ([^\s{},"]+)
    | (\S)
    )""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r'\\(["\\])')
_MAX_INDEX_DIGITS = 12

# Token kinds.
_STRING, _NUMBER, _LBRACE, _RBRACE, _COMMA, _WORD, _EOF = range(7)
_PUNCT = {"{": _LBRACE, "}": _RBRACE, ",": _COMMA}
_KIND_NAMES = {
    _STRING: "a quoted string",
    _NUMBER: "a number",
    _LBRACE: "'{'",
    _RBRACE: "'}'",
    _COMMA: "','",
    _WORD: "a word",
    _EOF: "the end of the file",
}


class _Reader:
    """Tokens of one file, with positions for messages, and the reader's cursor."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._starts: list[int] | None = None
        kinds: list[int] = []
        values: list[str] = []
        kind = kinds.append
        value = values.append
        for quoted, number, punct, word, bad in _TOKENS.findall(text):
            if number:
                kind(_NUMBER)
                value(number)
            elif punct:
                kind(_PUNCT[punct])
                value(punct)
            elif word:
                kind(_WORD)
                value(word)
            elif bad:
                self.i = len(kinds)
                raise self.error("cannot read a string that is never closed")
            else:
                kind(_STRING)
                value(_ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted)
        kinds.append(_EOF)
        values.append("")
        self.kinds = kinds
        self.values = values
        self.i = 0
        self._numbers: dict[str, Expr] = {}

    def start(self, k: int) -> int:
        """Where token ``k`` starts in the text (found again on demand: only errors need it)."""
        if self._starts is None:
            self._starts = [m.end() - len(m.group().lstrip()) for m in _TOKENS.finditer(self.text)]
        return self._starts[k] if k < len(self._starts) else len(self.text)

    # -- errors --------------------------------------------------------------------
    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def error_at(self, pos: int, message: str, expected: str | None = None) -> GambitFormatError:
        return GambitFormatError(message, file=self.file, line=self.line_of(pos), expected=expected)

    def error(self, message: str, expected: str | None = None, at: int | None = None) -> GambitFormatError:
        """An error at token ``at`` (default: the current one)."""
        k = self.i if at is None else at
        return self.error_at(self.start(k), message, expected)

    def unexpected(self, expected: str) -> GambitFormatError:
        kind = self.kinds[self.i]
        if kind == _EOF:
            found = "the file ends here"
        elif kind == _STRING:
            found = f"found the string {_quote(self.values[self.i])}"
        else:
            found = f"found {self.values[self.i]!r}"
        return self.error(found, expected)

    # -- tokens --------------------------------------------------------------------
    @property
    def kind(self) -> int:
        return self.kinds[self.i]

    def take(self, kind: int, expected: str) -> str:
        if self.kinds[self.i] != kind:
            raise self.unexpected(expected)
        value = self.values[self.i]
        self.i += 1
        return value

    def string(self, what: str) -> str:
        return self.take(_STRING, what)

    def word(self, allowed: Iterable[str], expected: str) -> str:
        if self.kinds[self.i] != _WORD or self.values[self.i] not in allowed:
            raise self.unexpected(expected)
        value = self.values[self.i]
        self.i += 1
        return value

    def integer(self, what: str, least: int = 0, most: int | None = None) -> int:
        text = self.values[self.i]
        if self.kinds[self.i] != _NUMBER or not _is_integer(text):
            raise self.unexpected(what)
        if len(text) > _MAX_INDEX_DIGITS:
            raise self.error(f"{text} is too large for {what}")
        value = int(text)
        if value < least or (most is not None and value > most):
            bound = f"at least {least}" if most is None else f"between {least} and {most}"
            raise self.error(f"{what} is {value}, but must be {bound}")
        self.i += 1
        return value

    def number(self, what: str) -> Expr:
        """An exact number token, as a constant expression (equal texts share one object)."""
        if self.kinds[self.i] != _NUMBER:
            raise self.unexpected(what)
        text = self.values[self.i]
        got = self._numbers.get(text)
        if got is None:
            try:
                value = _exact_number(text)
            except ValueError as err:
                raise self.error(f"bad number {text!r}: {err}", what) from None
            # An int takes parse's quick path; other values are Fractions already.
            got = self._numbers[text] = parse(value.numerator if value.denominator == 1 else value)
        self.i += 1
        return got

    def brace_list(self, what: str) -> list[str]:
        """``{ "a" "b" ... }``: a list of strings (possibly empty)."""
        self.take(_LBRACE, "'{'")
        out = []
        while self.kinds[self.i] == _STRING:
            out.append(self.values[self.i])
            self.i += 1
        self.take(_RBRACE, f"{what} or '}}'")
        return out

    def payoffs(self, n_players: int, what: str, opened: bool = False) -> tuple[Expr, ...]:
        """``{ v1, v2, ... }`` with exactly one number per player; commas are optional.

        With ``opened``, the ``{`` has been read already (the ``.nfg`` outcome list
        puts the label inside the braces).
        """
        if not opened:
            self.take(_LBRACE, "'{'")
        start = self.i
        out = []
        while self.kinds[self.i] == _NUMBER:
            out.append(self.number("a payoff"))
            if self.kinds[self.i] == _COMMA:
                self.i += 1
        if self.kinds[self.i] != _RBRACE:
            raise self.unexpected("a payoff or '}'")
        if len(out) != n_players:
            raise self.error(
                f"{what} has {len(out)} payoff{'s' if len(out) != 1 else ''}, "
                f"but the game has {n_players} player{'s' if n_players != 1 else ''}",
                "one payoff per player",
                at=start,
            )
        self.i += 1
        return tuple(out)


def _is_integer(text: str) -> bool:
    """Whether a number token is an integer (tokens hold ASCII digits only)."""
    return text.isdigit() or (text[:1] in "+-" and text[1:].isdigit())


def _exact_number(text: str) -> Fraction:
    """The exact value of a number token; ValueError says why there is none."""
    value = _exact_value(text)
    if abs(value.numerator) > MAX_MAGNITUDE * value.denominator:
        raise ValueError("beyond the range of floating point (magnitude at most 1.8e308)")
    return value


def _exact_value(text: str) -> Fraction:
    if _is_integer(text):
        if len(text) > MAX_LITERAL_DIGITS + 1:
            raise ValueError(f"more than {MAX_LITERAL_DIGITS} digits")
        return Fraction(int(text))
    if "/" in text:
        num, den = text.split("/")
        if len(num) > MAX_LITERAL_DIGITS + 1 or len(den) > MAX_LITERAL_DIGITS:
            raise ValueError(f"more than {MAX_LITERAL_DIGITS} digits")
        if int(den) == 0:
            raise ValueError("division by zero")
        return Fraction(int(num), int(den))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if value.is_zero():
        return Fraction(0)
    if len(value.as_tuple().digits) > MAX_LITERAL_DIGITS:
        raise ValueError(f"more than {MAX_LITERAL_DIGITS} digits")
    if abs(value.adjusted()) > MAX_LITERAL_EXPONENT:
        raise ValueError(f"magnitude beyond 1e±{MAX_LITERAL_EXPONENT}")
    return Fraction(value)


def _quote(label: str) -> str:
    """A Gambit string token: ``"`` and ``\\`` escaped with a backslash, as Gambit writes."""
    return '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'


def normalize_labels(labels: Sequence[str]) -> list[str]:
    """Make labels unique and non-empty, as Gambit 16.7 does when it reads a file.

    A label that is empty or appears more than once becomes ``label_1``,
    ``label_2``, ... in order, skipping names already in use; unique non-empty
    labels stay. So ``["x", "x", "x_1"]`` becomes ``["x_2", "x_3", "x_1"]`` and
    ``[""]`` becomes ``["_1"]``.
    """
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if all(c == 1 for c in counts.values()) and "" not in counts:
        return list(labels)
    used = set(labels)
    visited: dict[str, int] = {}
    out = []
    for label in labels:
        if counts[label] == 1 and label:
            out.append(label)
            continue
        while True:
            visited[label] = visited.get(label, 0) + 1
            candidate = f"{label}_{visited[label]}"
            if candidate not in used:
                break
        used.add(candidate)
        out.append(candidate)
    return out


def _source(path_or_text: str | Path | IO[str] | IO[bytes], file: str, magic: str) -> tuple[str, str]:
    """The text to read and the name to report: a path, an open stream, or the text itself.

    A ``str`` is taken as the file's text when it is blank, starts (after white
    space) with the format's magic word, or holds a line break, a brace or a
    quote; otherwise as a path.
    """
    if isinstance(path_or_text, str):
        path_or_text = path_or_text.removeprefix("\ufeff")
        stripped = path_or_text.lstrip()
        if not stripped or stripped.startswith(magic) or any(c in path_or_text for c in '\n{"'):
            return path_or_text, file
        path_or_text = Path(path_or_text)
    if isinstance(path_or_text, Path):
        name = str(path_or_text) if file == "<string>" else file
        try:
            data = read_bytes(path_or_text)
        except InputError as err:
            raise GambitFormatError(err.message, file=name) from None
        return _decode(data), name
    if isinstance(path_or_text, io.TextIOBase) or hasattr(path_or_text, "read"):
        given = getattr(path_or_text, "name", None)
        name = given if isinstance(given, str) and file == "<string>" else file
        data2: Any = path_or_text.read(files.MAX_INPUT_BYTES + 1)
        if len(data2) > files.MAX_INPUT_BYTES:
            raise GambitFormatError(
                f"more than {files.MAX_INPUT_BYTES // 2**20} MiB to read, the limit", file=name
            )
        return (data2 if isinstance(data2, str) else _decode(data2)), name
    raise TypeError(f"cannot read a game from {type(path_or_text).__name__}")


def _decode(data: bytes) -> str:
    """UTF-8 (what we write), else Latin-1 (older Gambit files hold single bytes)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---------------------------------------------------------------------------------
# Reading .efg
# ---------------------------------------------------------------------------------
@dataclass
class _Set:
    """A player's information set or a chance event as first declared."""

    label: str
    raw_actions: tuple[str, ...]
    actions: tuple[str, ...]
    probabilities: tuple[Expr, ...] = ()


@dataclass
class _FileNode:
    kind: NodeKind
    label: str
    start: int
    """Token index where the node starts (for its line)."""
    player: int = -1
    key: tuple[int, int] = (0, 0)
    """(player number, 0 for chance; information set or event number)."""
    outcome: Outcome | None = None
    children: list[int] | None = None


def read_efg(path_or_text: str | Path | IO[str] | IO[bytes], file: str = "<string>") -> Game:
    """Read an extensive-form game from a Gambit ``.efg`` file.

    Parameters
    ----------
    path_or_text
        A path, an open file, or the text of the file itself.
    file
        The name to give in error messages (default: the path, else ``<string>``).

    Returns
    -------
    Game
        With ``origin="efg"``; see the module docstring for how names and labels map.

    Raises
    ------
    GambitFormatError
        With the file and line of the first problem: a missing header, a bad token
        or number, a wrong count of payoffs, an information set, chance event or
        outcome that is used before it is declared or declared again differently,
        chance probabilities that are not a distribution, a truncated tree, text
        after the tree, or a game our model refuses (such as imperfect recall).
    """
    text, name = _source(path_or_text, file, "EFG")
    with gc_paused():
        header = _efg_header(text)
        if header is not None:
            from policy.efg_arrays import read_efg_arrays

            game = read_efg_arrays(text, *header)
            if game is not None:
                return _named_by_labels(game)
        return _read_efg(_Reader(text, name))


def _named_by_labels(game: Game) -> Game:
    """``game`` with its nodes named by the file's labels where every one can be a name.

    That is: each a name our TOML format takes for a node (letters, digits,
    ``_``, ``-`` and ``.``, not starting with a digit, ``-`` or ``.``) and no
    two the same, as in a file :func:`write_efg` wrote from a TOML game (a
    campaign's ``cuba.nuclear`` too). Otherwise the nodes keep the names
    ``n<k>``.
    """
    from policy.gamefile import NAME

    labels = game.node_labels
    # The pattern first: it stops at the first empty label, as most Gambit files have.
    if not labels or not all(NAME.fullmatch(x) for x in labels) or len(set(labels)) != len(labels):
        return game
    return game.renamed(labels)


def _efg_header(text: str) -> tuple[tuple[str, list[str], str], int] | None:
    """The title, players and comment of an ``.efg`` text and where its first node starts.

    None when the opening is not the plain one (the token-by-token reader then
    reads it, and says what is wrong).
    """
    tokens = _TOKENS.finditer(text)
    try:
        magic, version, rational = next(tokens), next(tokens), next(tokens)
        if magic.group(4) != "EFG" or version.group(2) != "2" or rational.group(4) not in ("R", "D"):
            return None
        title = next(tokens)
        if title.group(1) is None or "\\" in title.group(1):
            return None
        if next(tokens).group(3) != "{":
            return None
        raw_players = []
        token = next(tokens)
        while token.group(1) is not None:
            if "\\" in token.group(1):
                return None
            raw_players.append(token.group(1))
            token = next(tokens)
        if token.group(3) != "}" or not raw_players:
            return None
        end = token.end()
        comment = ""
        token = next(tokens)
        if token.group(1) is not None:
            if "\\" in token.group(1):
                return None
            comment = token.group(1)
            end = token.end()
    except StopIteration:
        return None
    return (title.group(1), normalize_labels(raw_players), comment), end


def _read_header(r: _Reader, magic: str, version: int) -> tuple[str, list[str]]:
    """The opening shared by both formats: magic word, version, R, title, players."""
    suffix = magic.lower()
    r.word((magic,), f"'{magic}' (an .{suffix} file starts with {magic} {version} R)")
    if r.integer(f"the format version {version}", 0) != version:
        raise r.error(f"only version {version} of the .{suffix} format exists", str(version), at=r.i - 1)
    r.word(("R", "D"), "'R'")
    title = r.string("the game's title in quotes")
    raw_players = r.brace_list("a player label")
    if not raw_players:
        raise r.error("the game has no players", "at least one player label", at=r.i - 1)
    return title, normalize_labels(raw_players)


def _read_efg(r: _Reader) -> Game:
    title, players = _read_header(r, "EFG", 2)
    comment = r.string("") if r.kind == _STRING else ""
    n_players = len(players)

    sets: dict[tuple[int, int], _Set] = {}
    outcomes: dict[int, Outcome] = {}
    nodes: list[_FileNode] = []
    # Children still to read: (node, how many more); the top is the current parent.
    stack: list[list[int]] = []
    while True:
        start = r.i
        if r.kind == _EOF and nodes:
            parent = nodes[stack[-1][0]]
            raise r.error(
                f"the file ends before the tree is complete: the node on line "
                f"{r.line_of(r.start(parent.start))} needs {stack[-1][1]} more child node(s)",
                "a node (c, p or t)",
            )
        letter = r.word(("c", "p", "t"), "a node: c (chance), p (player) or t (terminal)")
        label = r.string("the node's label in quotes")
        node = _FileNode(NodeKind.TERMINAL, label, start)
        if letter == "p":
            node.kind = NodeKind.DECISION
            node.player = r.integer("a player number", 1, n_players)
            node.key = (node.player, r.integer("an information set number", 1))
            _read_set(r, node, sets, players, chance=False)
        elif letter == "c":
            node.kind = NodeKind.CHANCE
            node.key = (0, r.integer("a chance event number", 1))
            _read_set(r, node, sets, players, chance=True)
        node.outcome = _read_outcome(r, outcomes, n_players)
        index = len(nodes)
        nodes.append(node)
        if stack:
            top = stack[-1]
            parent_children = nodes[top[0]].children
            assert parent_children is not None
            parent_children.append(index)
            top[1] -= 1
            if not top[1]:
                stack.pop()
        if node.kind is not NodeKind.TERMINAL:
            node.children = []
            stack.append([index, len(sets[node.key].actions)])
        if not stack:
            break
    if r.kind != _EOF:
        raise r.error("text after the last node of the tree", "the end of the file")

    return _named_by_labels(_build_efg(r, title, players, comment, nodes, sets, list(outcomes.values())))


def _read_set(
    r: _Reader,
    node: _FileNode,
    sets: dict[tuple[int, int], _Set],
    players: Sequence[str],
    chance: bool,
) -> None:
    """The optional declaration of a node's information set or chance event."""
    player, number = node.key
    what = (
        f"chance event {number}"
        if chance
        else f"information set {number} of player {player} ({_quote(players[player - 1])})"
    )
    at = r.i
    declared = sets.get(node.key)
    if r.kind != _STRING:
        if declared is None:
            raise r.error(
                f"{what} is used before it is declared", "its label and actions in braces"
            )
        return
    label = r.string("")
    r.take(_LBRACE, "'{'")
    raw: list[str] = []
    probs: list[Expr] = []
    total = Fraction(0)
    while r.kind == _STRING:
        raw.append(r.string(""))
        if chance:
            p = r.number(f"the probability of action {_quote(raw[-1])}")
            c = p.constant
            assert c is not None
            if not 0 <= c <= 1:
                raise r.error(f"probability {c} is outside [0, 1]", at=r.i - 1)
            probs.append(p)
            total += c
    if not raw:
        raise r.unexpected("an action label in quotes")
    r.take(_RBRACE, "an action label or '}'")
    if chance:
        if total != 1:
            raise r.error(f"the probabilities of {what} sum to {total}, not 1", at=at)
    if declared is None:
        sets[node.key] = _Set(label, tuple(raw), tuple(normalize_labels(raw)), tuple(probs))
        return
    if declared.label != label:
        raise r.error(
            f"{what} was declared with label {_quote(declared.label)}, "
            f"here {_quote(label)}",
            at=at,
        )
    if declared.raw_actions != tuple(raw):
        raise r.error(
            f"{what} was declared with actions {list(declared.raw_actions)}, here {raw}", at=at
        )
    if declared.probabilities != tuple(probs):
        raise r.error(f"{what} was declared with other probabilities", at=at)


def _read_outcome(r: _Reader, outcomes: dict[int, Outcome], n_players: int) -> Outcome | None:
    """A node's outcome number and its optional declaration (label and payoffs)."""
    number = r.integer("an outcome number (0 for none)", 0)
    at = r.i - 1
    if r.kind != _STRING:
        if not number:
            return None
        got = outcomes.get(number)
        if got is None:
            raise r.error(
                f"outcome {number} is used before it is declared", "its label and payoffs", at=at
            )
        return got
    if not number:
        raise r.error("outcome 0 means no outcome and cannot have a label or payoffs")
    label = r.string("")
    payoffs = r.payoffs(n_players, f"outcome {number}")
    got = outcomes.get(number)
    if got is None:
        got = outcomes[number] = Outcome(label, payoffs)
        return got
    if got.label != label:
        raise r.error(
            f"outcome {number} was declared with label {_quote(got.label)}, here {_quote(label)}",
            at=at,
        )
    if got.payoffs != payoffs:
        before = ", ".join(str(e.constant) for e in got.payoffs)
        now = ", ".join(str(e.constant) for e in payoffs)
        raise r.error(f"outcome {number} was declared with payoffs {{ {before} }}, here {{ {now} }}", at=at)
    return got


def _build_efg(
    r: _Reader,
    title: str,
    players: list[str],
    comment: str,
    nodes: list[_FileNode],
    sets: dict[tuple[int, int], _Set],
    outcomes: list[Outcome],
) -> Game:
    # Breadth-first numbering: the name n<k> is the node's index in the game.
    order = [0]
    head = 0
    while head < len(order):
        kids = nodes[order[head]].children
        head += 1
        if kids:
            order.extend(kids)
    bfs = [0] * len(nodes)
    for k, f in enumerate(order):
        bfs[f] = k
    specs = []
    for f, node in enumerate(nodes):
        name = f"n{bfs[f]}"
        path = f"nodes.{name}"
        if node.kind is NodeKind.TERMINAL:
            specs.append(
                NodeSpec(name, NodeKind.TERMINAL, outcome=node.outcome, path=path, label=node.label,
                         infoset_label="")
            )
            continue
        s = sets[node.key]
        assert node.children is not None
        actions = tuple(zip(s.actions, (f"n{bfs[c]}" for c in node.children), strict=True))
        if node.kind is NodeKind.CHANCE:
            specs.append(
                NodeSpec(name, NodeKind.CHANCE, actions=actions, probabilities=s.probabilities,
                         outcome=node.outcome, path=path, label=node.label, infoset_label=s.label)
            )
        else:
            player = players[node.player - 1]
            specs.append(
                NodeSpec(name, NodeKind.DECISION, player=player, actions=actions,
                         infoset=f"{player}:{node.key[1]}", outcome=node.outcome, path=path,
                         label=node.label, infoset_label=s.label)
            )
    try:
        return build_game(
            title, players, specs, root="n0", comment=comment, origin="efg", outcomes=outcomes
        )
    except GameError as err:
        raise _located(r, err, {f"n{bfs[f]}": node.start for f, node in enumerate(nodes)}) from None


def _located(r: _Reader, err: GameError, starts: Mapping[str, int]) -> GambitFormatError:
    """A model error as a file error, at the line of the node it names."""
    parts = err.path.split(".")
    token = starts.get(parts[1], 0) if len(parts) > 1 and parts[0] == "nodes" else 0
    message = err.message
    for name, t in starts.items():
        if f"'{name}'" in message:
            message = message.replace(f"'{name}'", f"the node on line {r.line_of(r.start(t))}")
    return r.error(message, at=token)


# ---------------------------------------------------------------------------------
# Reading .nfg
# ---------------------------------------------------------------------------------
def read_nfg(path_or_text: str | Path | IO[str] | IO[bytes], file: str = "<string>") -> Game:
    """Read a strategic-form game from a Gambit ``.nfg`` file, as a tree.

    Both versions of the format are read: the payoff version (a flat list of
    payoffs, player 1's strategy changing fastest) and the outcome version (a
    list of labelled outcomes, then one outcome number per strategy profile, 0
    for none). The tree has player 1 moving at the root and each later player
    moving in one information set ``"<player label>:1"`` that does not see the
    earlier moves; strategies are its actions. In the payoff version every
    profile gets its own outcome, labelled ``""``.

    Plain files are read whole with numpy (:mod:`policy.nfg_arrays`), payoffs
    kept as arrays; anything unusual is read token by token, which locates errors.

    Parameters
    ----------
    path_or_text
        A path, an open file, or the text of the file itself.
    file
        The name to give in error messages (default: the path, else ``<string>``).

    Raises
    ------
    GambitFormatError
        With the file and line of the first problem.
    """
    text, name = _source(path_or_text, file, "NFG")
    with gc_paused():
        from policy.nfg_arrays import read_nfg_arrays

        game = read_nfg_arrays(text)
        if game is not None:
            return game
        return _read_nfg(_Reader(text, name))


def _read_nfg(r: _Reader) -> Game:
    title, players = _read_header(r, "NFG", 1)
    n_players = len(players)
    strategies: list[list[str]] = []
    r.take(_LBRACE, "'{' and the strategies")
    if r.kind == _LBRACE:
        for p in players:
            at = r.i
            labels = r.brace_list(f"a strategy label of {_quote(p)}")
            if not labels:
                raise r.error(f"player {_quote(p)} has no strategies", at=at)
            strategies.append(normalize_labels(labels))
        r.take(_RBRACE, f"'}}' after the strategies of the {n_players} players")
    else:
        counts = []
        for p in players:
            counts.append(r.integer(f"the number of strategies of {_quote(p)}", 1))
            # Every strategy profile needs at least one token below, so counts
            # whose product exceeds the tokens left are refused before any
            # label is made for them.
            _check_profiles(r, counts, r.i - 1)
        strategies = [[str(k) for k in range(1, count + 1)] for count in counts]
        r.take(_RBRACE, f"'}}' after the {n_players} strategy counts")
    comment = r.string("") if r.kind == _STRING else ""
    if r.kind not in (_LBRACE, _NUMBER):
        raise r.unexpected("'{' starting the outcomes, or the first payoff")
    sizes = [len(s) for s in strategies]
    cells = _check_profiles(r, sizes, r.i)

    cell_outcomes: list[Outcome | None]
    declared: list[Outcome] = []
    if r.kind == _LBRACE:
        r.i += 1
        while r.kind == _LBRACE:
            r.i += 1
            label = r.string("the outcome's label in quotes")
            payoffs = r.payoffs(n_players, f"outcome {len(declared) + 1}", opened=True)
            declared.append(Outcome(label, payoffs))
        r.take(_RBRACE, "'{' starting an outcome, or '}' ending the list")
        cell_outcomes = []
        for c in range(cells):
            if r.kind == _EOF:
                raise r.error(
                    f"the file ends after {c} outcome numbers, but there are {cells} strategy profiles",
                    "an outcome number",
                )
            k = r.integer("an outcome number (0 for none)", 0, len(declared))
            cell_outcomes.append(declared[k - 1] if k else None)
        if r.kind != _EOF:
            raise r.error(
                f"more than {cells} outcome numbers, one per strategy profile", "the end of the file"
            )
    else:  # the payoff version: a number was seen above
        cell_outcomes = []
        for c in range(cells):
            vec = []
            for _ in range(n_players):
                if r.kind == _EOF:
                    raise r.error(
                        f"the file ends inside the payoffs of strategy profile {c + 1} of {cells}",
                        "a payoff",
                    )
                vec.append(r.number("a payoff"))
            o = Outcome("", tuple(vec))
            declared.append(o)
            cell_outcomes.append(o)
        if r.kind != _EOF:
            raise r.error(
                f"more than {cells * n_players} payoffs ({n_players} for each of {cells} "
                "strategy profiles)",
                "the end of the file",
            )
    return _build_table(r, title, players, comment, strategies, cell_outcomes, declared)


def _check_profiles(r: _Reader, sizes: Sequence[int], at: int) -> int:
    """The number of strategy profiles, refused when the file is too short to hold them.

    Each profile needs at least one token (an outcome number, or a payoff per
    player), so a product of strategy counts above the number of tokens left
    in the file cannot be right; checking it first keeps a file of a few bytes
    from declaring a table of 10**18 cells.
    """
    cells = 1
    left = len(r.kinds) - r.i
    for size in sizes:
        cells *= size
        if cells > left:
            shape = " x ".join(str(s) for s in sizes)
            raise r.error(
                f"strategy counts {shape} make more strategy profiles than the "
                f"{left} tokens left in the file can give payoffs or outcomes to",
                at=at,
            )
    return cells


def _build_table(
    r: _Reader,
    title: str,
    players: list[str],
    comment: str,
    strategies: list[list[str]],
    cell_outcomes: list[Outcome | None],
    outcomes: list[Outcome],
) -> Game:
    """The tree of a strategic-form game: one level per player, one information set each."""
    sizes = [len(s) for s in strategies]
    n_players = len(players)
    # Cells are listed with player 1's strategy changing fastest; the tree's
    # terminals (breadth-first) have player 1's strategy changing slowest.
    file_index = np.arange(len(cell_outcomes), dtype=np.int64).reshape(sizes[::-1]).transpose().ravel()
    specs: list[NodeSpec] = []
    level_start = 0
    level_size = 1
    for d in range(n_players):
        child_start = level_start + level_size
        labels = strategies[d]
        width = sizes[d]
        for j in range(level_size):
            first = child_start + j * width
            specs.append(
                NodeSpec(
                    f"n{level_start + j}",
                    NodeKind.DECISION,
                    player=players[d],
                    actions=tuple((a, f"n{first + k}") for k, a in enumerate(labels)),
                    infoset=f"{players[d]}:1",
                )
            )
        level_start, level_size = child_start, level_size * width
    for t, c in enumerate(file_index.tolist()):
        specs.append(NodeSpec(f"n{level_start + t}", NodeKind.TERMINAL, outcome=cell_outcomes[c]))
    try:
        return build_game(
            title, players, specs, root="n0", comment=comment, origin="nfg", outcomes=outcomes
        )
    except GameError as err:  # pragma: no cover - the shape is built right
        raise r.error(str(err), at=0) from None


# ---------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------
class _Values:
    """Exact values of a game's expressions at given parameter values (each computed once)."""

    def __init__(self, game: Game, values: Mapping[str, Fraction] | None) -> None:
        used = game.used_parameters()
        env: dict[str, Fraction] = {
            k: p.default for k, p in game.parameters.items() if p.default is not None
        }
        env.update(values or {})
        missing = sorted(used - set(env))
        if missing:
            raise GambitFormatError(
                f"Gambit files have no parameters: give values for {', '.join(missing)} "
                "(they have no default)"
            )
        self.env = env
        self.game = game
        self._cache: dict[int, Fraction] = {}
        try:
            self.numbers = game.numbers(env, exact=True)
        except GameError as err:
            raise GambitFormatError(f"cannot write {game.title!r} exactly at these values: {err}") from None

    def __call__(self, e: Expr) -> Fraction:
        got = self._cache.get(id(e))
        if got is None:
            c = e.constant
            if c is None:
                try:
                    value = evaluate(e, self.env, exact=True)
                except ExprError as err:
                    raise GambitFormatError(
                        f"cannot write {self.game.title!r} exactly at these values: {e.text!r}: {err}"
                    ) from None
                assert isinstance(value, Fraction)
                c = value
            got = self._cache[id(e)] = c
        return got


def _number_text(value: Fraction) -> str:
    return str(value)


def _infoset_numbers(game: Game) -> list[int] | None:
    """The numbers in the names ``"<player>:<n>"`` of a game read from a Gambit file, if all have one."""
    if game.origin not in GAMBIT_ORIGINS:
        return None
    numbers = []
    seen: set[tuple[int, int]] = set()
    for s in game.infosets.values():
        prefix = f"{s.player.label}:"
        rest = s.name[len(prefix):] if s.name.startswith(prefix) else ""
        if not rest.isascii() or not rest.isdigit() or int(rest) < 1:
            return None
        key = (s.player.index, int(rest))
        if key in seen:
            return None
        seen.add(key)
        numbers.append(int(rest))
    return numbers


def write_efg(game: Game, values: Mapping[str, Fraction] | None = None) -> str:
    """The game as the text of a Gambit ``.efg`` file.

    Gambit games have no parameters, so a game that uses some is written at
    ``values`` (missing ones at their defaults), exactly. Numbers are written as
    integers or ``p/q``. Labels are written as they are (UTF-8); for games not
    read from Gambit files, node names become node labels and information set
    names become information set labels. Information sets keep the numbers in
    their names when the game came from a Gambit file, else each player's are
    numbered 1, 2, ... in order of first appearance; outcomes are numbered in
    order of first appearance, and each chance node is its own chance event.

    Raises
    ------
    GambitFormatError
        When parameters lack values, or an expression has no exact value there.
    """
    val = _Values(game, values)
    gambit = game.origin in GAMBIT_ORIGINS
    out = [
        f"EFG 2 R {_quote(game.title)} {{ " + " ".join(_quote(p) for p in game.players) + " }",
        _quote(game.comment or ("" if gambit else game.description)),
        "",
    ]
    given = _infoset_numbers(game)
    set_number: dict[int, int] = {}
    per_player = [0] * len(game.players)
    outcome_number: dict[int, int] = {}
    chance_events = 0
    node_labels = game.node_labels
    set_labels = game.node_infoset_labels
    kind_of = game.kind.tolist()
    player_of = game.player.tolist()
    infoset_of = game.infoset.tolist()
    outcome_of = game.outcome.tolist()
    first_child = game.first_child.tolist()
    num_children = game.num_children.tolist()
    labels = game.action_label
    probability = val.numbers.edge_prob

    def outcome_text(n: int) -> str:
        o = outcome_of[n]
        if o < 0:
            return "0"
        number = outcome_number.get(o)
        if number is None:
            number = outcome_number[o] = len(outcome_number) + 1
        outcome = game.outcomes[o]
        payoffs = ", ".join(_number_text(val(e)) for e in outcome.payoffs)
        return f"{number} {_quote(outcome.label)} {{ {payoffs} }}"

    stack = [0]
    while stack:
        n = stack.pop()
        kind = kind_of[n]
        if node_labels:
            label = node_labels[n]
        else:
            label = "" if gambit else game.node_names[n]
        start, count = first_child[n], num_children[n]
        kids = range(start, start + count)
        if kind == NodeKind.TERMINAL:
            out.append(f"t {_quote(label)} {outcome_text(n)}")
            continue
        stack.extend(reversed(kids))
        if kind == NodeKind.CHANCE:
            chance_events += 1
            set_label = set_labels[n] if set_labels else ""
            actions = " ".join(f"{_quote(labels[c])} {_number_text(probability[c])}" for c in kids)
            out.append(
                f"c {_quote(label)} {chance_events} {_quote(set_label)} {{ {actions} }} {outcome_text(n)}"
            )
            continue
        s = infoset_of[n]
        number = set_number.get(s)
        if number is None:
            p = player_of[n]
            if given is not None:
                number = given[s]
            else:
                per_player[p] += 1
                number = per_player[p]
            set_number[s] = number
        infoset = game.infosets.at(s)
        if set_labels:
            set_label = set_labels[n]
        else:
            set_label = "" if gambit else infoset.name
        actions = " ".join(_quote(a) for a in infoset.actions)
        out.append(
            f"p {_quote(label)} {player_of[n] + 1} {number} {_quote(set_label)} {{ {actions} }} "
            f"{outcome_text(n)}"
        )
    return "\n".join(out) + "\n"


def strategic_form_problem(game: Game) -> str | None:
    """Why the game's tree is not a strategic form that ``.nfg`` can hold (None if it is).

    A strategic form, as a tree: player 1 moves at the root, each later player at
    every node of the next level, each player in exactly one information set, no
    chance, and the terminals one level below the last player.
    """
    n = len(game.players)
    levels = game.levels
    if len(levels) != n + 1:
        return f"it has {len(levels) - 1} levels of moves for {n} players"
    if len(game.infosets) != n:
        return f"it has {len(game.infosets)} information sets for {n} players"
    for d, (start, stop) in enumerate(levels):
        kinds = game.kind[start:stop]
        if d == n:
            if (kinds != NodeKind.TERMINAL).any():
                return f"level {d} has nodes that are not terminal"
            break
        if (kinds != NodeKind.DECISION).any():
            return f"level {d} has chance or terminal nodes"
        if (game.player[start:stop] != d).any():
            return f"not all moves at level {d} are {game.players.at(d).label!r}'s"
        if (game.infoset[start:stop] != game.infoset[start]).any():
            return f"{game.players.at(d).label!r} can tell nodes at level {d} apart"
    return None


def write_nfg(game: Game, values: Mapping[str, Fraction] | None = None) -> str:
    """The game as the text of a Gambit ``.nfg`` file.

    Only for games whose tree is a strategic form (see
    :func:`strategic_form_problem`): the strategies are the actions of each
    player's one information set. The payoff version is written when strategies
    are labelled ``1, 2, ...`` and every profile has its own unlabelled outcome
    (what reading a payoff-version file gives); otherwise the outcome version,
    with the game's outcomes in order (0 for a profile without one). Payoffs of
    outcomes above the terminals are added in, one outcome per profile.
    Parameters are evaluated at ``values`` as in :func:`write_efg`.

    Raises
    ------
    GambitFormatError
        ``"... is not a strategic-form game; write .efg"`` for other trees, and as
        :func:`write_efg` for parameters.
    """
    problem = strategic_form_problem(game)
    if problem is not None:
        raise GambitFormatError(f"{game.title!r} is not a strategic-form game ({problem}); write .efg")
    val = _Values(game, values)
    gambit = game.origin in GAMBIT_ORIGINS
    n = len(game.players)
    strategies = [game.infosets.at(int(game.infoset[start])).actions for start, _ in game.levels[:n]]
    sizes = [len(s) for s in strategies]
    start, stop = game.levels[n]
    # Terminals breadth-first have player 1 slowest; the file lists player 1 fastest.
    bfs = np.arange(start, stop, dtype=np.int64).reshape(sizes).transpose().ravel()
    terminals = bfs.tolist()
    interior = bool((game.outcome[: start] >= 0).any())
    outcome_of = game.outcome[bfs].tolist()
    players = " ".join(_quote(p) for p in game.players)
    comment = _quote(game.comment or ("" if gambit else game.description))
    numbered = all(list(s) == [str(k) for k in range(1, len(s) + 1)] for s in strategies)
    own = (
        not interior
        and all(o >= 0 for o in outcome_of)
        and len(set(outcome_of)) == len(outcome_of)
        and all(game.outcomes[o].label == "" for o in outcome_of)
    )
    head = f"NFG 1 R {_quote(game.title)} {{ {players} }}"
    if numbered and (own or interior):
        rows = [
            " ".join(_number_text(v) for v in val.numbers.leaf_payoff[t - start].tolist())
            for t in terminals
        ] if interior else [
            " ".join(_number_text(val(e)) for e in game.outcomes[o].payoffs) for o in outcome_of
        ]
        lines = [head + " { " + " ".join(str(s) for s in sizes) + " }", comment, ""]
        return "\n".join(lines + rows) + "\n"
    lines = [head, "", "{ " + "\n".join("{ " + " ".join(_quote(a) for a in s) + " }" for s in strategies)]
    lines += ["}", comment, "", "{"]
    if interior:
        for t in terminals:
            payoffs = ", ".join(_number_text(v) for v in val.numbers.leaf_payoff[t - start].tolist())
            lines.append(f'{{ "" {payoffs} }}')
        indices = [str(k + 1) for k in range(len(terminals))]
    else:
        for o in game.outcomes:
            payoffs = ", ".join(_number_text(val(e)) for e in o.payoffs)
            lines.append(f"{{ {_quote(o.label)} {payoffs} }}")
        indices = [str(o + 1) for o in outcome_of]
    lines += ["}", " ".join(indices)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------
def game_difference(a: Game, b: Game, *, names: bool = True) -> str | None:
    """The first way two games differ, or None when they are the same game.

    Compared: title, comment, players, the tree (kinds, movers, parents, action
    labels), the information set partition, outcomes (labels and payoffs as exact
    expressions, and which nodes share one) and chance probabilities. With
    ``names`` (the default) also node and information set names, the order of
    the game's outcomes, and the descriptive node and information set labels
    that Gambit files carry; without, games that went through another format
    (``.toml -> .efg -> .toml``) can be compared.
    """
    if a.title != b.title:
        return f"title {a.title!r} != {b.title!r}"
    if a.comment != b.comment:
        return f"comment {a.comment!r} != {b.comment!r}"
    if list(a.players) != list(b.players):
        return f"players {list(a.players)} != {list(b.players)}"
    if a.num_nodes != b.num_nodes:
        return f"{a.num_nodes} nodes != {b.num_nodes}"
    for field in ("kind", "player", "parent", "num_children", "infoset"):
        x, y = getattr(a, field), getattr(b, field)
        if not np.array_equal(x, y):
            k = int(np.flatnonzero(x != y)[0])
            return f"{field} of node {k} ({a.node_names[k]}): {x[k]} != {y[k]}"
    if a.action_label != b.action_label:
        k = next(i for i, (x, y) in enumerate(zip(a.action_label, b.action_label, strict=True)) if x != y)
        return f"action into node {k}: {a.action_label[k]!r} != {b.action_label[k]!r}"
    if (a.outcome >= 0).tolist() != (b.outcome >= 0).tolist():
        k = int(np.flatnonzero((a.outcome >= 0) != (b.outcome >= 0))[0])
        return f"node {k} ({a.node_names[k]}) has an outcome in one game only"
    pairs: dict[int, int] = {}
    back: dict[int, int] = {}
    for k in np.flatnonzero(a.outcome >= 0).tolist():
        oa, ob = int(a.outcome[k]), int(b.outcome[k])
        if pairs.setdefault(oa, ob) != ob or back.setdefault(ob, oa) != oa:
            return f"node {k} ({a.node_names[k]}): outcomes are shared by different nodes"
        x, y = a.outcomes[oa], b.outcomes[ob]
        if x.label != y.label:
            return f"outcome label at node {k}: {x.label!r} != {y.label!r}"
        if x.payoffs != y.payoffs:
            return (
                f"payoffs at node {k}: {[e.text for e in x.payoffs]} != {[e.text for e in y.payoffs]}"
            )
    for k, (x, y) in enumerate(zip(a.chance_probability, b.chance_probability, strict=True)):
        if x != y:
            return f"chance probability into node {k}: {x} != {y}"
    if set(a.parameters) != set(b.parameters):
        return f"parameters {sorted(a.parameters)} != {sorted(b.parameters)}"
    if names:
        if a.node_names != b.node_names:
            k = next(i for i, (x, y) in enumerate(zip(a.node_names, b.node_names, strict=True)) if x != y)
            return f"name of node {k}: {a.node_names[k]!r} != {b.node_names[k]!r}"
        if list(a.infosets) != list(b.infosets):
            return f"information sets {list(a.infosets)[:10]} != {list(b.infosets)[:10]}"
        if a.outcomes != b.outcomes:
            return "the games list their outcomes in different orders"
        blank = ("",) * a.num_nodes
        for what in ("node_labels", "node_infoset_labels"):
            x, y = getattr(a, what) or blank, getattr(b, what) or blank
            if x != y:
                k = next(i for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q)
                return f"{what} at node {k}: {x[k]!r} != {y[k]!r}"
    return None


def same_game(a: Game, b: Game, *, names: bool = True) -> bool:
    """Whether two games are the same (see :func:`game_difference`)."""
    return game_difference(a, b, names=names) is None


def assert_same_game(a: Game, b: Game, *, names: bool = True) -> None:
    """Raise ``AssertionError`` naming the first difference unless the games are the same."""
    diff = game_difference(a, b, names=names)
    if diff is not None:
        raise AssertionError(f"games differ: {diff}")
