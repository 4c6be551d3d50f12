"""Read and write games in our TOML format (see ``docs/game-format.md``).

Reading checks everything a person can get wrong and says where: every error is
a :class:`GameFileError` whose one-line message names the file, the line (found
by looking for the key in the text, since ``tomllib`` does not report lines) and
the key path, and says what to do.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from policy.expr import (
    MAX_LITERAL_DIGITS,
    MAX_MAGNITUDE,
    RANGE_TOO_WIDE,
    Expr,
    ExprError,
    parse,
    to_text,
)
from policy.files import InputError, parse_toml, read_text
from policy.model import Game, GameError, NodeKind, NodeSpec, Outcome, Parameter, build_game

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
"""Node names: letters, digits, ``_``, ``-`` and ``.`` (spliced campaigns name nodes ``stage.node``)."""
PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = frozenset({"min", "max", "abs", "sqrt", "exp", "log", "chance"})

GAME_KEYS = {"title", "players", "root", "description", "sources", "claims"}
PARAMETER_KEYS = {"description", "default", "range", "sources"}
NODE_KEYS = {
    "player", "chance", "actions", "probabilities", "infoset", "outcome", "payoffs",
    "facts", "description", "sources",
}


class GameFileError(ValueError):
    """A game file that cannot be read; ``str()`` is one line: ``FILE:LINE: PATH: message``."""

    def __init__(self, file: str, path: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.path = path
        self.message = message
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")


def load_game(path: str | Path, known_claims: Sequence[str] | None = None) -> Game:
    """Read and validate a game file.

    Parameters
    ----------
    path
        A ``.toml`` game file.
    known_claims
        Claim ids that ``sources`` may cite. By default, the catalogue named by
        the file's ``game.claims`` key (relative to the file) or else the
        project's ``seeds/claims.toml``.
    """
    path = Path(path)
    try:
        text = read_text(path)
    except InputError as err:
        raise GameFileError(str(path), "", err.message, err.line) from None
    return loads_game(text, str(path), known_claims=known_claims, base=path.parent)


def loads_game(
    text: str,
    file: str = "<string>",
    known_claims: Sequence[str] | None = None,
    base: Path | None = None,
) -> Game:
    """Read and validate a game from TOML text (``file`` names it in errors)."""
    text = text.removeprefix("\ufeff")
    reader = _Reader(text, file)
    from policy.toml_arrays import read_toml_arrays

    fast = read_toml_arrays(text, reader, known_claims, base)
    if fast is not None:
        return fast
    try:
        data = parse_toml(text)
    except InputError as err:
        raise GameFileError(file, "", err.message, err.line) from None
    try:
        return reader.game(data, known_claims, base)
    except GameError as err:
        raise reader.error(err.path, err.message) from None


@dataclass(frozen=True)
class Head:
    """A game file's tables other than the nodes, read and checked (but ``root`` and ``description``)."""

    table: dict[str, Any]
    """The ``[game]`` table as parsed."""
    title: str
    players: list[str]
    claims: frozenset[str] | None
    """The claim ids ``sources`` may cite (None: no catalogue to check against)."""
    sources: tuple[str, ...]
    parameters: dict[str, Parameter]


class _Reader:
    """Turns parsed TOML into a :class:`Game`, with located errors."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._lines: list[str] | None = None
        self.catalogue = ""
        """The claims catalogue the game's claim ids are checked against (for messages)."""

    @property
    def lines(self) -> list[str]:
        """The text's lines, split when an error needs them."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    # -- errors --------------------------------------------------------------------
    def error(self, path: str, message: str) -> GameFileError:
        return GameFileError(self.file, path, message, find_line(self.lines, path))

    # -- reading -------------------------------------------------------------------
    def game(self, data: dict[str, Any], known_claims: Sequence[str] | None, base: Path | None) -> Game:
        head = self.head(data, known_claims, base)
        nodes_table = self.table(data, "nodes")
        names = frozenset(head.parameters)
        specs = [
            self.node(name, body, head.players, names, head.claims)
            for name, body in nodes_table.items()
        ]
        root, description = self.root_and_description(head)
        return build_game(
            head.title,
            head.players,
            specs,
            root=root,
            parameters=head.parameters,
            description=description,
            sources=head.sources,
            origin="toml",
            constant_arrays=True,
        )

    def root_and_description(self, head: Head) -> tuple[str | None, str]:
        """``game.root`` and ``game.description``, checked (after the nodes, as errors come in that order)."""
        root = head.table.get("root")
        if root is not None and not isinstance(root, str):
            raise self.error("game.root", "must be a node name")
        return root, self.string(head.table, "description", "game")

    def head(self, data: dict[str, Any], known_claims: Sequence[str] | None, base: Path | None) -> Head:
        """Everything but the nodes: ``[game]`` and ``[parameters.NAME]``, checked."""
        for key in data:
            if key not in ("game", "parameters", "nodes", "fit"):
                raise self.error(key, "unknown table (expected game, parameters, nodes; "
                                 "or fit, read by policy fit only)")
        head = self.table(data, "game")
        self.check_keys(head, GAME_KEYS, "game")
        title = self.string(head, "title", "game", required=True)
        players = head.get("players")
        if not isinstance(players, list) or not all(isinstance(p, str) and p for p in players):
            raise self.error("game.players", "must be a list of player labels")
        for p in players:
            if p.lower() == "chance":
                raise self.error("game.players", "'chance' is reserved for chance nodes")
        claims = self.claims(head, known_claims, base)
        sources = self.sources(head, "game", claims)
        parameters = self.parameters(data.get("parameters", {}), claims)
        return Head(head, title, players, claims, sources, parameters)

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        got = data.get(key)
        if not isinstance(got, dict):
            raise self.error(key, f"missing [{key}] table" if got is None else "must be a table")
        return got

    def check_keys(self, body: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in body:
            if key not in allowed:
                raise self.error(
                    f"{path}.{key}", f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
                )

    def string(self, body: dict[str, Any], key: str, path: str, required: bool = False) -> str:
        value = body.get(key)
        if value is None:
            if required:
                raise self.error(f"{path}.{key}", "missing")
            return ""
        if not isinstance(value, str):
            raise self.error(f"{path}.{key}", "must be a string")
        return value

    def claims(
        self, head: dict[str, Any], known: Sequence[str] | None, base: Path | None
    ) -> frozenset[str] | None:
        """The claim ids the game may cite: from the catalogue ``game.claims`` names,
        else the one ``--claims`` or ``$POLICY_CLAIMS`` names, else a ``claims.toml``
        beside the game file, else the bundled one."""
        if known is not None:
            return frozenset(known)
        from policy.claims import ClaimsError, find_catalogue, load_claims

        ref = head.get("claims")
        if ref is not None and not isinstance(ref, str):
            raise self.error("game.claims", "must be the path of a claims catalogue")
        try:
            path = find_catalogue(base, ref)
            self.catalogue = str(path)
            return frozenset(load_claims(path))
        except ClaimsError as err:
            if err.file is not None and ref is None:
                raise  # a fault inside the catalogue found for the game: its own file and line
            raise self.error("game.claims" if "claims" in head else "", str(err)) from None
        except FileNotFoundError:
            return None  # no catalogue at all: claim ids cannot be checked

    def sources(self, body: dict[str, Any], path: str, claims: frozenset[str] | None) -> tuple[str, ...]:
        value = body.get("sources", [])
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise self.error(f"{path}.sources", "must be a list of claim ids")
        if claims is not None:
            for s in value:
                if s not in claims:
                    raise self.error(
                        f"{path}.sources",
                        f"unknown claim {s!r}: not in {self.catalogue or 'the catalogue'} (a game "
                        "cites its own sources from a claims.toml beside it, or one named by "
                        "claims = \"...\" in [game] or by --claims FILE)",
                    )
        return tuple(value)

    def number(self, value: Any, path: str) -> Fraction:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise self.error(path, "must be a number")
        try:
            e = parse(value)
        except ExprError as err:
            raise self.error(path, str(err)) from None
        if e.constant is None:
            raise self.error(path, "must be a plain number")
        return e.constant

    def parameters(self, table: Any, claims: frozenset[str] | None) -> dict[str, Parameter]:
        if not isinstance(table, dict):
            raise self.error("parameters", "must be a table of [parameters.NAME] tables")
        out: dict[str, Parameter] = {}
        for name, body in table.items():
            path = f"parameters.{name}"
            if not PARAMETER_NAME.fullmatch(name) or name in RESERVED:
                raise self.error(path, f"{name!r} is not a usable parameter name")
            if keyword.iskeyword(name) or name in ("True", "False", "None"):
                raise self.error(
                    path, f"{name!r} is a Python keyword, which expressions cannot use as a name"
                )
            if not isinstance(body, dict):
                raise self.error(path, "must be a table")
            self.check_keys(body, PARAMETER_KEYS, path)
            default = self.number(body["default"], f"{path}.default") if "default" in body else None
            rng = body.get("range")
            bounds: tuple[Fraction, Fraction] | None = None
            if rng is not None:
                if not isinstance(rng, list) or len(rng) != 2:
                    raise self.error(f"{path}.range", "must be [low, high]")
                lo = self.number(rng[0], f"{path}.range")
                hi = self.number(rng[1], f"{path}.range")
                if lo > hi:
                    raise self.error(f"{path}.range", f"low {lo} is above high {hi}")
                if hi - lo > MAX_MAGNITUDE:
                    raise self.error(f"{path}.range", RANGE_TOO_WIDE)
                bounds = (lo, hi)
                if default is not None and not lo <= default <= hi:
                    raise self.error(f"{path}.default", f"{default} is outside the range [{lo}, {hi}]")
            out[name] = Parameter(
                name=name,
                description=self.string(body, "description", path, required=True),
                default=default,
                range=bounds,
                sources=self.sources(body, path, claims),
            )
        return out

    def expression(self, value: Any, path: str, names: frozenset[str]) -> Expr:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise self.error(path, "must be a number or an expression in quotes")
        try:
            return parse(value, names)
        except ExprError as err:
            raise self.error(path, str(err)) from None

    def node(
        self,
        name: str,
        body: Any,
        players: list[str],
        names: frozenset[str],
        claims: frozenset[str] | None,
    ) -> NodeSpec:
        path = f"nodes.{name}"
        if not NAME.fullmatch(name):
            raise self.error(path, f"{name!r} is not a usable node name (letters, digits, _, - and .)")
        if not isinstance(body, dict):
            raise self.error(path, "must be a table")
        self.check_keys(body, NODE_KEYS, path)
        self.sources(body, path, claims)
        self.string(body, "description", path)
        actions = body.get("actions")
        chance = body.get("chance", False)
        if not isinstance(chance, bool):
            raise self.error(f"{path}.chance", "must be true or false")
        outcome = None
        if "payoffs" in body:
            outcome = self.outcome(body, path, players, names, name)
        elif "facts" in body:
            raise self.error(f"{path}.facts", "facts describe an outcome: the node needs payoffs")
        if actions is None:
            if "player" in body or chance:
                raise self.error(f"{path}.actions", "missing: a decision or chance node needs actions")
            if outcome is None:
                raise self.error(f"{path}.payoffs", "missing: a terminal node needs a payoff for every player")
            return NodeSpec(name=name, kind=NodeKind.TERMINAL, outcome=outcome, path=path)
        if not isinstance(actions, dict) or not actions:
            raise self.error(f"{path}.actions", "must be a table { action = \"child node\", ... }")
        pairs: list[tuple[str, str]] = []
        for label, child in actions.items():
            if not isinstance(child, str):
                raise self.error(f"{path}.actions.{label}", "must name a child node")
            pairs.append((label, child))
        if chance:
            if "player" in body:
                raise self.error(f"{path}.player", "a chance node has no player")
            if "infoset" in body:
                raise self.error(f"{path}.infoset", "a chance node has no information set")
            probs = body.get("probabilities")
            if not isinstance(probs, dict):
                raise self.error(f"{path}.probabilities", "missing: a chance node needs probabilities")
            for label in probs:
                if label not in actions:
                    raise self.error(f"{path}.probabilities.{label}", f"no action {label!r}")
            exprs = []
            for label, _ in pairs:
                if label not in probs:
                    raise self.error(f"{path}.probabilities", f"no probability for action {label!r}")
                e = self.expression(probs[label], f"{path}.probabilities.{label}", names)
                if e.constant is not None and not 0 <= e.constant <= 1:
                    raise self.error(
                        f"{path}.probabilities.{label}", f"{e.constant} is outside [0, 1]"
                    )
                exprs.append(e)
            constants = [e.constant for e in exprs]
            if all(c is not None for c in constants) and sum(constants) != 1:  # type: ignore[arg-type]
                raise self.error(
                    f"{path}.probabilities", f"probabilities sum to {sum(constants)}, not 1"  # type: ignore[arg-type]
                )
            return NodeSpec(
                name=name, kind=NodeKind.CHANCE, actions=tuple(pairs),
                probabilities=tuple(exprs), outcome=outcome, path=path,
            )
        if "probabilities" in body:
            raise self.error(f"{path}.probabilities", "only chance nodes have probabilities")
        player = body.get("player")
        if not isinstance(player, str):
            raise self.error(f"{path}.player", "missing: a decision node names its player (or set chance = true)")
        if player not in players:
            raise self.error(f"{path}.player", f"unknown player {player!r} (players: {', '.join(players)})")
        infoset = body.get("infoset")
        if infoset is not None and (not isinstance(infoset, str) or not infoset):
            raise self.error(f"{path}.infoset", "must be a name")
        return NodeSpec(
            name=name, kind=NodeKind.DECISION, player=player, actions=tuple(pairs),
            infoset=infoset, outcome=outcome, path=path,
        )

    def outcome(
        self, body: dict[str, Any], path: str, players: list[str], names: frozenset[str], name: str
    ) -> Outcome:
        payoffs = body["payoffs"]
        if not isinstance(payoffs, dict):
            raise self.error(f"{path}.payoffs", "must be a table { player = payoff, ... }")
        for p in payoffs:
            if p not in players:
                raise self.error(f"{path}.payoffs.{p}", f"unknown player {p!r} (players: {', '.join(players)})")
        missing = [p for p in players if p not in payoffs]
        if missing:
            raise self.error(f"{path}.payoffs", f"no payoff for {', '.join(missing)}")
        exprs = tuple(self.expression(payoffs[p], f"{path}.payoffs.{p}", names) for p in players)
        label = body.get("outcome", name)
        if not isinstance(label, str):
            raise self.error(f"{path}.outcome", "must be a string")
        return Outcome(label=label, payoffs=exprs, facts=self.facts(body, path))

    def facts(self, body: dict[str, Any], path: str) -> tuple[tuple[str, str], ...]:
        facts = body.get("facts", {})
        if not isinstance(facts, dict):
            raise self.error(f"{path}.facts", "must be a table { fact = \"value\", ... }")
        out = []
        for key, value in facts.items():
            if not PARAMETER_NAME.fullmatch(key):
                raise self.error(f"{path}.facts.{key}", f"{key!r} is not a usable fact name (letters, digits, _)")
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise self.error(f"{path}.facts.{key}", "must be a string (or a whole number, such as a year)")
            if isinstance(value, int) and abs(value) >= 10**MAX_LITERAL_DIGITS:
                raise self.error(f"{path}.facts.{key}", f"more than {MAX_LITERAL_DIGITS} digits")
            out.append((key, str(value)))
        return tuple(out)


def find_line(lines: Sequence[str], path: str) -> int | None:
    """The 1-based line where a key path is written, or None.

    ``tomllib`` reports no lines, so look: find the deepest table header that
    is a prefix of the path (``[nodes.foo]``), then each further key of the
    path below it (on the same line for inline tables), up to the next header.
    """
    if not path:
        return None
    parts = path.split(".")
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    start, depth = -1, 0
    for i, line in enumerate(lines):
        m = header.match(line)
        if m:
            keys = [k.strip().strip('"').strip("'") for k in m.group(1).split(".")]
            if keys == parts[: len(keys)] and len(keys) > depth:
                start, depth = i, len(keys)
    if start < 0:
        return None
    end = next((j for j in range(start + 1, len(lines)) if header.match(lines[j])), len(lines))
    found = start
    first = True
    for key in parts[depth:]:
        pattern = re.compile(r"(^|[{,\s])[\"']?" + re.escape(key) + r"[\"']?\s*=")
        begin = found + 1 if first else found
        hit = next((j for j in range(begin, end) if pattern.search(lines[j])), None)
        if hit is None:
            break
        found, first = hit, False
    return found + 1


# ---------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------
def dump_game(game: Game) -> str:
    """The game as TOML text that :func:`loads_game` reads back to the same game."""
    out: list[str] = ["[game]", f"title = {_q(game.title)}"]
    out.append("players = [" + ", ".join(_q(p) for p in game.players) + "]")
    out.append(f"root = {_q(game.node_names[0])}")
    if game.description:
        out.append(f"description = {_q(game.description)}")
    if game.sources:
        out.append("sources = [" + ", ".join(_q(s) for s in game.sources) + "]")
    for p in game.parameters.values():
        out += ["", f"[parameters.{p.name}]", f"description = {_q(p.description)}"]
        if p.default is not None:
            out.append(f"default = {_q(str(p.default))}")
        if p.range is not None:
            out.append(f"range = [{_q(str(p.range[0]))}, {_q(str(p.range[1]))}]")
        if p.sources:
            out.append("sources = [" + ", ".join(_q(s) for s in p.sources) + "]")
    for i, name in enumerate(game.node_names):
        out += ["", f"[nodes.{_key(name)}]"]
        kind = NodeKind(int(game.kind[i]))
        kids = game.children_of(i)
        if kind is NodeKind.DECISION:
            out.append(f"player = {_q(game.players.at(int(game.player[i])).label)}")
            s = game.infosets.at(int(game.infoset[i]))
            if s.name != name:
                out.append(f"infoset = {_q(s.name)}")
        elif kind is NodeKind.CHANCE:
            out.append("chance = true")
        if kind is not NodeKind.TERMINAL:
            out.append(
                "actions = { "
                + ", ".join(f"{_key(game.action_label[c])} = {_q(game.node_names[c])}" for c in kids)
                + " }"
            )
        if kind is NodeKind.CHANCE:
            probs = [game.chance_probability[c] for c in kids]
            out.append(
                "probabilities = { "
                + ", ".join(
                    f"{_key(game.action_label[c])} = {_q(to_text(p))}"  # type: ignore[arg-type]
                    for c, p in zip(kids, probs, strict=True)
                )
                + " }"
            )
        o = int(game.outcome[i])
        if o >= 0:
            outcome = game.outcomes[o]
            if outcome.label != name:
                out.append(f"outcome = {_q(outcome.label)}")
            if outcome.facts:
                out.append("facts = { " + ", ".join(f"{_key(k)} = {_q(v)}" for k, v in outcome.facts) + " }")
            out.append(
                "payoffs = { "
                + ", ".join(
                    f"{_key(p)} = {_q(to_text(e))}"
                    for p, e in zip(game.players, outcome.payoffs, strict=True)
                )
                + " }"
            )
    return "\n".join(out) + "\n"


def _q(s: str) -> str:
    """A TOML basic string."""
    escaped = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    # TOML allows no control characters in a basic string: C0 and DEL are escaped.
    escaped = "".join(
        f"\\u{ord(c):04x}" if c < " " or c == "\x7f" else c for c in escaped
    )
    return f'"{escaped}"'


def _key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_-]+", s) else _q(s)


def parameter_defaults(game: Game) -> Mapping[str, Fraction]:
    """The declared defaults of a game's parameters (those that have one)."""
    return {n: p.default for n, p in game.parameters.items() if p.default is not None}
