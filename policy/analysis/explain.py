"""Explain a game: what each parameter means, its value under each leader, and why.

:func:`explain` gathers, for one game file, everything a reader needs to judge
the model before trusting its answers:

* each parameter's description, range and default; its value under each leader
  with the leader's note and sources; and every claim behind it, from three
  places: the parameter's own ``sources``, the leaders' ``sources`` for that
  value, and the catalogue's claims whose ``bears_on`` names ``GAME.PARAM``
  (``GAME`` is the file's stem). Contested and wrong claims keep their status
  and their ``why``, so a reader sees at once which assumptions are disputed;
* the game's structure, read from the tree itself and not from its prose:
  players, who moves first, what chance decides and with which probabilities,
  each player's decision points, what a player cannot tell apart at an
  information set with several members, whether information is perfect, and
  how many outcomes there are (:func:`describe` puts it in sentences);
* the game's own description, split into what it models and its "Left out"
  paragraph.

Games read from Gambit files have no parameters and cite no claims; their
explanation is the structure alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from policy.claims import Claim, ClaimsError, load_claims
from policy.claims import game_catalogue as catalogue_for
from policy.expr import Expr, ExprError, evaluate
from policy.files import InputError, parse_toml, read_text
from policy.leaders import Leader
from policy.model import Game, NodeKind
from policy.solvers.result import show_number

__all__ = [
    "MAX_LISTED",
    "ChanceMove",
    "CitedClaim",
    "DecisionPoint",
    "Explanation",
    "LeaderSetting",
    "ParameterView",
    "Structure",
    "catalogue_for",
    "describe",
    "explain",
    "select_claims",
    "split_description",
]

#: At most this many chance nodes, and decision points per player, are listed
#: one by one (the rest are counted): explanations are for games a person reads.
MAX_LISTED = 12
#: At most this many member nodes of one information set are named.
MAX_MEMBERS_NAMED = 6

#: Where a game's description starts saying what the model leaves out.
LEFT_OUT = re.compile(r"^\s*(left out|leaves out|what (?:the game|it) leaves out)\s*:\s*", re.I | re.M)


@dataclass(frozen=True)
class CitedClaim:
    """A claim behind a parameter or a game, and who cites it.

    ``claim`` is None when the id is not in the catalogue (or there is no
    catalogue). ``cited_by`` lists where the id was found: ``"game"``,
    ``"parameter"``, a leader's key, or ``"bears_on"`` for claims that name the
    parameter (or ``GAME.structure``) themselves.
    """

    id: str
    claim: Claim | None
    cited_by: tuple[str, ...]

    @property
    def disputed(self) -> bool:
        """Whether the catalogue marks the claim contested or wrong."""
        return self.claim is not None and self.claim.status != "accepted"


@dataclass(frozen=True)
class LeaderSetting:
    """One parameter's value under one leader.

    ``given`` says where the value comes from: ``"leader"`` (the profile sets
    it), ``"default"`` (the profile does not, the game's default is used) or
    ``"none"`` (neither: ``value`` is None).
    """

    leader: str
    name: str
    value: Fraction | None
    given: str
    range: tuple[Fraction, Fraction] | None = None
    note: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParameterView:
    """A parameter with its values and its claims."""

    name: str
    description: str
    default: Fraction | None
    range: tuple[Fraction, Fraction] | None
    used: bool
    """Whether some payoff or probability uses it."""
    values: tuple[LeaderSetting, ...]
    claims: tuple[CitedClaim, ...]


@dataclass(frozen=True)
class ChanceMove:
    """A chance node: where it is, and its probabilities as expressions.

    ``values`` gives, per leader key, the probabilities at that leader's values
    (None where they cannot be computed); it is empty when every probability
    is a constant.
    """

    node: str
    history: tuple[str, ...]
    """The actions on the path from the root to the node."""
    probabilities: tuple[tuple[str, str], ...]
    """``(action, expression text)`` in the order of the actions."""
    values: tuple[tuple[str, tuple[Fraction | None, ...]], ...] = ()


@dataclass(frozen=True)
class DecisionPoint:
    """An information set: where a player decides, and what they do not know.

    ``unknown`` is empty for a set with one node. Otherwise each entry is
    ``(mover, actions)``: the player who moved (``"chance"`` for a chance draw)
    at a node where the paths to the members part, and the actions that lead
    to different members; the player knows none of those actions.
    """

    infoset: str
    player: str
    actions: tuple[str, ...]
    nodes: tuple[str, ...]
    history: tuple[str, ...]
    """The path to the first member."""
    unknown: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Structure:
    """A game's shape, read from its tree."""

    players: tuple[str, ...]
    root: str
    first: str
    """Who moves at the root: a player label, ``"chance"``, or ``""`` if the root ends the game."""
    chance: tuple[ChanceMove, ...]
    num_chance: int
    decisions: tuple[DecisionPoint, ...]
    """Listed decision points, at most :data:`MAX_LISTED` per player."""
    num_decisions: tuple[tuple[str, int], ...]
    """Per player, how many information sets they have."""
    perfect_information: bool
    num_several: int
    """How many information sets have several nodes."""
    num_nodes: int
    num_terminals: int
    facts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each fact the outcomes state, with its values, in order of first use."""


@dataclass(frozen=True)
class Explanation:
    """Everything ``policy explain`` shows about one game file."""

    file: str
    game: Game
    description: str
    left_out: str
    leaders: tuple[Leader, ...]
    game_claims: tuple[CitedClaim, ...]
    leader_claims: tuple[tuple[str, tuple[CitedClaim, ...]], ...]
    """Per leader key, the claims its profile cites as a whole."""
    parameters: tuple[ParameterView, ...]
    structure: Structure
    catalogue: str | None
    """The claims catalogue that was read, or None (Gambit files, no catalogue)."""

    def __str__(self) -> str:
        """The text ``policy explain`` prints (no colour)."""
        from policy.render.text import explain_text

        return explain_text(self, colour=False)

    def data(self) -> dict[str, Any]:
        """The JSON object of ``policy explain --format json``."""
        from policy.render.data import explanation_data

        return explanation_data(self)


def split_description(text: str) -> tuple[str, str]:
    """A game's description as (what it models, what it leaves out).

    The second part starts at a paragraph beginning "Left out:" (or "Leaves
    out:"); it is empty when there is none.
    """
    m = LEFT_OUT.search(text)
    if m is None:
        return text.strip(), ""
    return text[: m.start()].strip(), text[m.end() :].strip()


def explain(
    game: Game,
    file: str | Path,
    leaders: Sequence[Leader] = (),
    claims: Mapping[str, Claim] | None = None,
    catalogue: str | Path | None = None,
) -> Explanation:
    """Gather the explanation of a game.

    Parameters
    ----------
    game
        The game, as read from ``file``.
    file
        Its file: the stem names the game in the catalogue's ``bears_on``.
    leaders
        The profiles whose values to show; with none, the game's defaults only.
    claims
        The catalogue; by default read from :func:`catalogue_for` (``{}`` when
        there is none).
    catalogue
        The catalogue's path, for display; found with :func:`catalogue_for`
        when ``claims`` is None.

    Raises
    ------
    policy.claims.ClaimsError
        If the catalogue exists but cannot be read.
    """
    if claims is None:
        found = catalogue_for(file)
        catalogue = found
        claims = load_claims(found) if found is not None else {}
    stem = Path(file).stem
    leaders = tuple(leaders)
    description, left_out = split_description(game.description or game.comment)

    parameters = []
    for name, p in game.parameters.items():
        settings = tuple(_setting(leader, name, p.default) for leader in leaders)
        cited: list[tuple[str, str]] = [(cid, "parameter") for cid in p.sources]
        for leader in leaders:
            v = leader.values.get(name)
            if v is not None:
                cited += [(cid, leader.key) for cid in v.sources]
        cited += [(c.id, "bears_on") for c in claims.values() if f"{stem}.{name}" in c.bears_on]
        parameters.append(
            ParameterView(
                name=name,
                description=p.description,
                default=p.default,
                range=p.range,
                used=name in game.used_parameters(),
                values=settings,
                claims=_gather(cited, claims),
            )
        )
    game_cited = [(cid, "game") for cid in game.sources]
    game_cited += [(c.id, "bears_on") for c in claims.values() if f"{stem}.structure" in c.bears_on]
    leader_claims = tuple(
        (leader.key, _gather(((cid, leader.key) for cid in leader.sources), claims)) for leader in leaders
    )
    return Explanation(
        file=str(file),
        game=game,
        description=description,
        left_out=left_out,
        leaders=leaders,
        game_claims=_gather(game_cited, claims),
        leader_claims=leader_claims,
        parameters=tuple(parameters),
        structure=structure(game, leaders),
        catalogue=str(catalogue) if catalogue is not None else None,
    )


def _setting(leader: Leader, name: str, default: Fraction | None) -> LeaderSetting:
    v = leader.values.get(name)
    if v is not None:
        return LeaderSetting(leader.key, leader.name, v.value, "leader", v.range, v.note, v.sources)
    return LeaderSetting(leader.key, leader.name, default, "default" if default is not None else "none")


def _gather(cited: Iterable[tuple[str, str]], claims: Mapping[str, Claim]) -> tuple[CitedClaim, ...]:
    """Claims in order of first citation, each once, with everyone who cites it."""
    by_id: dict[str, list[str]] = {}
    for cid, who in cited:
        whom = by_id.setdefault(cid, [])
        if who not in whom:
            whom.append(who)
    return tuple(CitedClaim(cid, claims.get(cid), tuple(who)) for cid, who in by_id.items())


def select_claims(
    claims: Mapping[str, Claim], game: str | None = None, status: str | None = None
) -> list[Claim]:
    """The claims of a catalogue that bear on a game and have a status, in catalogue order.

    Parameters
    ----------
    game
        A game's name (``coup_1937``) or file. A claim bears on it when its
        ``bears_on`` names the game, or when the game's file (the one given, or
        the bundled ``games/NAME.toml``) cites it anywhere in ``sources``.
    status
        ``accepted``, ``contested`` or ``wrong``.

    Raises
    ------
    ClaimsError
        If ``game`` is neither named by any claim nor a game file.
    """
    chosen = list(claims.values())
    if game is not None:
        stem = Path(game).stem
        cited = _cited_in_file(_game_file(game))
        named = {c.id for c in chosen if stem in c.games}
        if not named and cited is None:
            known = ", ".join(sorted({g for c in chosen for g in c.games}))
            raise ClaimsError(f"--game {game}: no claim bears on {stem!r} and there is no such game file (games in the catalogue: {known})")
        chosen = [c for c in chosen if c.id in named or c.id in (cited or set())]
    if status is not None:
        chosen = [c for c in chosen if c.status == status]
    return chosen


def _game_file(game: str) -> Path | None:
    from policy.bundled import games_dir

    for candidate in (Path(game), games_dir() / f"{Path(game).stem}.toml"):
        if candidate.suffix == ".toml" and candidate.is_file():
            return candidate
    return None


def _cited_in_file(path: Path | None) -> set[str] | None:
    """Every id in a ``sources`` list anywhere in a TOML file; None if it cannot be read."""
    if path is None:
        return None
    try:
        data = parse_toml(read_text(path))
    except InputError:
        return None
    found: set[str] = set()
    stack: list[object] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "sources" and isinstance(value, list):
                    found.update(v for v in value if isinstance(v, str))
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


# -- structure -----------------------------------------------------------------------


def _history(game: Game, node: int) -> list[tuple[int, str]]:
    """``(node, action taken there)`` for each node on the path from the root to ``node``."""
    path = []
    n = node
    while n > 0:
        p = int(game.parent[n])
        path.append((p, game.action_label[n]))
        n = p
    path.reverse()
    return path


def _mover(game: Game, node: int) -> str:
    if game.kind[node] == NodeKind.CHANCE:
        return "chance"
    return game.players.at(int(game.player[node])).label


def _parameter_values(game: Game, leader: Leader) -> dict[str, Fraction]:
    """A leader's value of each parameter, else the default; parameters with neither are left out."""
    out = {n: p.default for n, p in game.parameters.items() if p.default is not None}
    out.update({n: v.value for n, v in leader.values.items() if n in game.parameters})
    return out


def structure(game: Game, leaders: Sequence[Leader] = ()) -> Structure:
    """Read a game's shape from its tree (see :class:`Structure`)."""
    kind = game.kind
    chance_nodes = [int(n) for n in (kind == NodeKind.CHANCE).nonzero()[0]]
    moves = []
    values_by_leader = [(leader.key, _parameter_values(game, leader)) for leader in leaders]
    for c in chance_nodes[:MAX_LISTED]:
        kids = game.children_of(c)
        exprs = [game.chance_probability[k] for k in kids]
        probs = tuple((game.action_label[k], e.text if e is not None else "?") for k, e in zip(kids, exprs, strict=True))
        evaluated: list[tuple[str, tuple[Fraction | None, ...]]] = []
        if any(e is not None and e.constant is None for e in exprs):
            for key, vals in values_by_leader:
                evaluated.append((key, tuple(_value_or_none(e, vals) for e in exprs)))
        moves.append(ChanceMove(game.node_names[c], _actions(game, c), probs, tuple(evaluated)))

    decisions = []
    counts = []
    for player in game.players.values():
        sets = [s for s in game.infosets.values() if s.player.index == player.index]
        counts.append((player.label, len(sets)))
        for s in sets[:MAX_LISTED]:
            decisions.append(
                DecisionPoint(
                    infoset=s.name,
                    player=player.label,
                    actions=s.actions,
                    nodes=tuple(game.node_names[m] for m in s.members),
                    history=_actions(game, s.members[0]),
                    unknown=_unknown(game, s.members) if len(s.members) > 1 else (),
                )
            )
    facts: dict[str, list[str]] = {}
    for o in game.outcomes:
        for key, value in o.facts:
            seen = facts.setdefault(key, [])
            if value not in seen:
                seen.append(value)
    root_kind = NodeKind(int(kind[0])) if game.num_nodes else NodeKind.TERMINAL
    return Structure(
        players=tuple(game.players),
        root=game.node_names[0] if game.num_nodes else "",
        first="" if root_kind is NodeKind.TERMINAL else _mover(game, 0),
        chance=tuple(moves),
        num_chance=len(chance_nodes),
        decisions=tuple(decisions),
        num_decisions=tuple(counts),
        perfect_information=game.is_perfect_information,
        num_several=sum(1 for x in game.infosets.values() if len(x.members) > 1),
        num_nodes=game.num_nodes,
        num_terminals=len(game.terminals),
        facts=tuple((k, tuple(v)) for k, v in facts.items()),
    )


def _actions(game: Game, node: int) -> tuple[str, ...]:
    return tuple(action for _, action in _history(game, node))


def _value_or_none(e: Expr | None, values: Mapping[str, Fraction]) -> Fraction | None:
    if e is None:
        return None
    try:
        got = evaluate(e, values, exact=True)
    except ExprError:
        return None
    return got if isinstance(got, Fraction) else None


def _unknown(game: Game, members: Sequence[int]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Where the paths to an information set's members part, and by which actions.

    A node is a parting point when the members below it are reached through
    different actions there; the mover of the set cannot know which of those
    actions was taken. Equal (mover, actions) pairs are reported once.
    """
    taken: dict[int, set[str]] = {}
    for m in members:
        for node, action in _history(game, m):
            taken.setdefault(node, set()).add(action)
    out: list[tuple[str, tuple[str, ...]]] = []
    for node in sorted(taken):
        if len(taken[node]) < 2:
            continue
        order = [game.action_label[k] for k in game.children_of(node)]
        entry = (_mover(game, node), tuple(a for a in order if a in taken[node]))
        if entry not in out:
            out.append(entry)
    return tuple(out)


# -- words ---------------------------------------------------------------------------


def _either(items: Sequence[str], word: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _where(history: Sequence[str]) -> str:
    return "at the start" if not history else "after " + ", ".join(history)


def _names(nodes: Sequence[str]) -> str:
    shown = list(nodes[:MAX_MEMBERS_NAMED])
    if len(nodes) > MAX_MEMBERS_NAMED:
        shown.append(f"{len(nodes) - MAX_MEMBERS_NAMED} more")
    return _either(shown, "and")


def knowledge(point: DecisionPoint) -> str:
    """What the mover of a several-node information set does not know, in one sentence."""
    parts = []
    for mover, actions in point.unknown:
        verb = "chance drew" if mover == "chance" else f"{mover} chose"
        parts.append(f"{verb} {_either(actions)}")
    whether = ", or whether ".join(parts) if parts else "where it is"
    return f"{point.player} does not know whether {whether}: it cannot tell apart nodes {_names(point.nodes)}."


def describe(s: Structure, leader_names: Mapping[str, str] | None = None) -> list[str]:
    """The structure in sentences, one per line of output (indented lines start with spaces).

    ``leader_names`` maps leader keys to the names to show next to chance
    probabilities that depend on parameters.
    """
    names = dict(leader_names or {})
    lines = []
    has_chance = s.num_chance > 0
    lines.append(
        f"Players: {_either(list(s.players), 'and')}" + ("; chance also moves." if has_chance else ".")
    )
    if not s.first:
        lines.append("The game ends at its root: nobody moves.")
    else:
        lines.append(f"First to move: {s.first}, at {s.root}.")
    if has_chance:
        lines.append(f"Chance decides at {s.num_chance} node{'s' if s.num_chance != 1 else ''}:")
        for c in s.chance:
            probs = ", ".join(f"{a} with probability {p}" for a, p in c.probabilities)
            lines.append(f"  {c.node} ({_where(c.history)}): {probs}")
            groups: dict[str, list[str]] = {}
            for key, vals in c.values:
                shown = ", ".join(
                    f"{a} {show_number(v) if v is not None else '?'}"
                    for (a, _), v in zip(c.probabilities, vals, strict=True)
                )
                groups.setdefault(shown, []).append(names.get(key, key))
            for shown, who in groups.items():
                lines.append(f"    under {_either(who, 'and')}: {shown}")
        if s.num_chance > len(s.chance):
            lines.append(f"  ... and {s.num_chance - len(s.chance)} more chance nodes")
    for player, count in s.num_decisions:
        points = [d for d in s.decisions if d.player == player]
        if not count:
            lines.append(f"{player}: no decisions.")
            continue
        lines.append(f"Decisions of {player}, at {count} information set{'s' if count != 1 else ''}:")
        for d in points:
            if len(d.nodes) == 1:
                lines.append(f"  {d.infoset} ({_where(d.history)}): {_either(d.actions)}")
            else:
                lines.append(f"  {d.infoset} ({len(d.nodes)} nodes): {_either(d.actions)}")
                lines.append(f"    {knowledge(d)}")
        if count > len(points):
            lines.append(f"  ... and {count - len(points)} more")
    if s.perfect_information:
        lines.append("Perfect information: every mover knows every move made before.")
    else:
        several = s.num_several
        lines.append(
            f"Imperfect information: {several} information set{'s' if several != 1 else ''} "
            f"{'have' if several != 1 else 'has'} several nodes, which the mover cannot tell apart."
        )
    ends = f"The game ends in one of {s.num_terminals} terminal outcome{'s' if s.num_terminals != 1 else ''}"
    if s.facts:
        ends += "; outcomes state " + "; ".join(f"{k} ({', '.join(v)})" for k, v in s.facts)
    lines.append(ends + ".")
    return lines
