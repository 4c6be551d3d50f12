"""Campaigns: stage games linked through a state, spliced into one game.

A campaign file (``docs/game-format.md``, section Campaigns) names stage games
(our ``.toml`` games, or chance moves between them), state variables with
their initial values, how the state sets each stage's parameters, and for each
terminal of each stage the next stage and the state updates. The campaign *is*
one extensive-form game: every stage tree is copied wherever the chain of
stages reaches it, its payoffs written in the state of that point, and its
terminals joined to the roots of the stages that follow. Solvers see only that
one :class:`~policy.model.Game`; nothing in :mod:`policy.solvers` knows about
stages.

How the splice works (:func:`splice`). The chain is unfolded from the first
stage, breadth-first over *instances* (a stage played at one point of the
chain, in one state). Each instance is one block of flat arrays copied from its
stage's breadth-first arrays, so the work is linear in the size of the result;
the expressions of an instance (payoffs, chance probabilities) are made once
per stage and environment and shared by every instance in it. A stage terminal
is not a node of its own in the result: it *becomes* the root of the next
instance (the next instance's own root slot is left unreached), carrying the
terminal's payoffs as an outcome on an interior node, which the format adds to
every terminal below. One breadth-first renumbering of the reached nodes at the
end gives the order :class:`~policy.model.Game` requires.

Design decisions, justified in the docs:

* State values are concrete along every path (a number or one of a
  variable's named values), so the next stage can be chosen while splicing;
  updates are expressions in numeric state variables and constants.
* Stage parameters may be expressions in numeric state variables and in
  parameters, so the spliced game stays parametric: sweeps and regions vary
  the leader's parameters of every stage at once.
* ``campaign.leader`` names the state variable whose value is the leader
  profile in charge. While it holds its initial value, stages use the plain
  parameter names, which ``--leader`` fills (the command-line leader takes
  the place of the initial profile, whose values are the defaults). Under any
  other profile ``p``, each parameter ``q`` that profile binds is the separate
  parameter ``p__q`` of the spliced game, with ``p``'s value as default.
* Players missing from a stage get 0 from it; the payoffs of the k-th game
  stage on a path (k = 0, 1, ...) are multiplied by ``discount**k``, and the
  end payoffs by ``discount**K`` after K stages.
* Node names are ``instance.node`` (``coup.start``), information sets
  ``instance.set``; an instance is named after its stage, with ``-2``, ``-3``
  ... when the stage is played at several points (numbered breadth-first).
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.expr import Expr, ExprError, parse, substitute
from policy.files import InputError, inside, parse_toml, read_bytes, read_text
from policy.gamefile import GameFileError, _Reader, find_line, load_game
from policy.leaders import Leader, LeaderError, load_leader, undeclared
from policy.model import (
    ERROR_PLACES,
    Game,
    GameError,
    NodeKind,
    Outcome,
    Parameter,
    game_from_parts,
)

__all__ = [
    "MAX_NODES",
    "Campaign",
    "CampaignError",
    "Instance",
    "campaign_of",
    "is_campaign",
    "load_campaign",
    "loads_campaign",
]

MAX_NODES = 20_000_000
"""Largest spliced tree built (nodes reached); beyond it the campaign is refused."""

END = "end"
"""The ``next`` of a transition that ends the campaign."""

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CAMPAIGN_KEYS = {
    "title", "players", "start", "description", "sources", "claims", "discount", "leader",
    "end_payoffs", "profiles",
}
BRANCH_KEYS = {"title", "branch_of", "start", "given", "description", "sources"}
STATE_KEYS = {"initial", "values", "description", "fact"}
STAGE_KEYS = {"game", "chance", "parameters", "transitions", "repeat", "after", "description"}
TRANSITION_KEYS = {"terminal", "facts", "when", "set", "next"}

StateValue = Fraction | str
State = tuple[StateValue, ...]


class _Keyed(tuple[StateValue, ...]):
    """A state met while splicing, which hashes once.

    The splice looks states up in its caches at every terminal of every
    instance (tens of thousands of times for the bundled campaign), and a
    tuple of ``Fraction`` values hashes each value anew every time (Python's
    ``Fraction.__hash__`` computes a modular inverse): a fifth of the splice.
    Equal to, and hashing as, the plain tuple of its values; pickled as one
    (string hashes differ between processes).
    """

    def __hash__(self) -> int:
        got: int | None = self.__dict__.get("hash")
        if got is None:
            got = self.__dict__["hash"] = tuple.__hash__(self)
        return got

    def __reduce__(self) -> tuple[Any, ...]:
        return tuple, (tuple(self),)


class CampaignError(GameFileError):
    """A campaign file that cannot be read or spliced; one line ``FILE:LINE: PATH: message``."""


@dataclass(frozen=True)
class StateVar:
    """A state variable: named values (``values``) or a number."""

    name: str
    initial: StateValue
    values: tuple[str, ...] = ()
    description: str = ""
    fact: bool = True

    @property
    def named(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True)
class Transition:
    """Where the terminals it matches lead: ``next`` stage (or ``end``) and state updates."""

    index: int
    path: str
    terminals: frozenset[int]
    """Local terminal indices (of the stage's game) this transition matches."""
    when: tuple[tuple[int, frozenset[StateValue]], ...]
    updates: tuple[tuple[int, StateValue | Expr], ...]
    next: str


@dataclass(frozen=True)
class Stage:
    """A stage: a game (or a chance move) with parameter bindings and transitions."""

    name: str
    path: str
    game: Game
    chance: bool
    bindings: Mapping[str, Expr]
    transitions: tuple[Transition, ...]
    repeat: int | None = None
    after: str = END
    file: str = ""


@dataclass(frozen=True)
class Instance:
    """One stage played at one point of the chain, in one state.

    ``parent`` is the instance before it (-1 for the first) and ``via`` the
    name of the parent's terminal that led here; ``played`` counts the game
    stages before it on the path (the power of the discount).
    """

    name: str
    stage: str
    state: Mapping[str, StateValue]
    profile: str | None
    played: int
    parent: int
    via: str


@dataclass(frozen=True, eq=False)
class Campaign:
    """A campaign read from a file, with its spliced game and the map back to stages.

    ``node_instance[n]`` is the instance whose stage node spliced node ``n``
    is, and ``node_local[n]`` that node's index in the stage's game. A node
    where a stage ended and the next began belongs to the next stage (its
    root); ``ended[n]`` is then the index, in the previous instance's stage
    game, of the terminal it replaced (-1 elsewhere).
    """

    file: str
    title: str
    game: Game
    stages: Mapping[str, Stage]
    state: tuple[StateVar, ...]
    leader: str | None
    instances: tuple[Instance, ...]
    node_instance: npt.NDArray[np.int64]
    node_local: npt.NDArray[np.int64]
    ended: npt.NDArray[np.int64]
    profiles: Mapping[str, Leader] = field(default_factory=dict)
    split: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """For a campaign loaded with ``split``: parameter -> (its name unsplit, its stage)."""
    origin: Mapping[str, str] = field(default_factory=dict)
    """Parameter of the spliced game -> the parameter it stands for (``beta__q`` -> ``q``)."""
    owners: Mapping[str, str] = field(default_factory=dict)
    """Parameter of the spliced game -> the profile key whose value it takes (``beta__q`` ->
    ``beta``), for those a state-chosen profile binds; the others are the command line's leader's."""
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The ``[groups]`` table: group name -> parameters (declared names)."""
    read_from: str = ""
    """The file this campaign was read from: ``file`` itself, or a branch file whose
    stages and state are ``file``'s (``branch_of``); reading it again gives this campaign."""

    def where(self, node: int) -> tuple[Instance, str]:
        """The instance and the stage node name of spliced node ``node``."""
        inst = self.instances[int(self.node_instance[node])]
        stage = self.stages[inst.stage]
        return inst, stage.game.node_names[int(self.node_local[node])]

    @property
    def yardstick(self) -> str:
        """What ``policy compare`` adds up for a campaign, in words (printed with its output)."""
        state = [v.name for v in self.state if v.fact]
        facts: list[str] = []
        for stage in self.stages.values():
            for o in stage.game.outcomes:
                facts += [k for k, _ in o.facts if k not in facts and k not in state]
        parts = []
        if state:
            parts.append("the final value of " + ", ".join(state))
        if facts:
            parts.append("each fact of the stage outcomes on the way (" + ", ".join(facts) + ")")
        what = " and ".join(parts) or "each end of the campaign"
        return (
            f"Yardstick: the probability of each end state of the campaign, {what}, under each "
            "leader's equilibrium; the same for every leader, whatever their own payoffs."
        )

    def seat(self, key: str, name: str) -> str | None:
        """For a campaign whose state names the leader: what a command-line leader ``key`` stands for.

        None when the campaign has no ``leader`` variable or ``key`` is the
        profile it starts with. Otherwise ``key``'s values take the place of
        that first profile's (``--leader`` fills the plain parameter names), so
        an end state where the variable keeps its first value is *this*
        leader's values in the first profile's seat, not a change of ruler.
        """
        if self.leader is None:
            return None
        first = next(str(v.initial) for v in self.state if v.name == self.leader)
        if key == first:
            return None
        return (
            f"{name}: their values in the seat of {first!r} (the campaign starts with {self.leader} = "
            f"{first}; where {self.leader} names another profile, that profile's values apply), so "
            f"'{self.leader} = {first}' in the end states means {first}'s seat, held with {name}'s values"
        )

    def instances_of(self, stage: str) -> list[int]:
        """Indices of the instances of a stage, in breadth-first order."""
        return [k for k, inst in enumerate(self.instances) if inst.stage == stage]

    def story(self, k: int) -> tuple[tuple[tuple[str, str], ...], dict[str, StateValue]]:
        """Where instance ``k`` is played: the stage outcomes before it and the state it is played in.

        The outcomes are ``(instance, terminal)`` pairs from the first stage
        on (empty for the first instance); the state holds the variables whose
        value differs from their initial one, in the order they are declared.
        """
        steps = []
        j = k
        while self.instances[j].parent >= 0:
            inst = self.instances[j]
            steps.append((self.instances[inst.parent].name, inst.via))
            j = inst.parent
        state = self.instances[k].state
        changed = {v.name: state[v.name] for v in self.state if v.name in state and state[v.name] != v.initial}
        return tuple(reversed(steps)), changed

    def played_at(self, k: int) -> str:
        """Instance ``k`` in words, for messages: its name, the stage outcomes before it, the state it differs in.

        ``plenum-1 (played after cuba: withdrawn, in state retreated = 1)``,
        as :meth:`story` gives them.
        """
        steps, changed = self.story(k)
        after = "after " + ", ".join(f"{inst}: {terminal}" for inst, terminal in steps) if steps else "first"
        held = "state " + ", ".join(f"{name} = {v}" for name, v in changed.items()) if changed else "the initial state"
        return f"{self.instances[k].name} (played {after}, in {held})"

    def place_error(self, message: str, path: str) -> GameError | None:
        """An error about a chance node of the spliced game, at the place the probabilities are written.

        ``path`` is the spliced game's key path (``nodes.plenum-1.chance.probabilities``,
        with ``.LABEL`` for one probability). The error names the stage game's
        file, line and key (``nodes.chance.probabilities``) or, for a chance
        stage, the campaign file's (``stages.plenum.chance``), and says in
        which instance and state the probabilities are wrong: a probability
        that holds a state variable is right in one state and wrong in
        another. None for other paths.
        """
        found = self._chance_node(path)
        if found is None:
            return None
        node, label = found
        k = int(self.node_instance[node])
        stage = self.stages[self.instances[k].stage]
        tail = f".{label}" if label is not None else ""
        if stage.chance:
            file, key = self.file, f"{stage.path}.chance{tail}"
            line = _line_in(file, key, locate)
        else:
            local = int(self.node_local[node])
            file, key = stage.file, f"{stage.game.location(local)}.probabilities{tail}"
            line = _line_in(file, key, find_line)
        where = f"{file}:{line}" if line else file
        return GameError(f"{message}, at {self.played_at(k)}", key, file=where)

    def _chance_node(self, path: str) -> tuple[int, str | None] | None:
        """The spliced chance node and the action label (or None) a ``...probabilities`` path names."""
        prefix, mark = "nodes.", ".probabilities"
        if not path.startswith(prefix):
            return None
        rest = path[len(prefix):]
        at = rest.find(mark)
        while at >= 0:
            tail = rest[at + len(mark):]
            if tail == "" or tail.startswith("."):
                try:
                    node = self.game.node(rest[:at]).index
                except KeyError:
                    node = -1
                if node >= 0:
                    return node, tail[1:] if tail else None
            at = rest.find(mark, at + 1)
        return None

    def instances_of_sets(self, sets: Iterable[str]) -> list[int]:
        """The instances the information sets named ``sets`` belong to, in order of first mention
        (names that are not sets of the spliced game are passed over)."""
        infosets = self.game.infosets
        out: list[int] = []
        for name in sets:
            try:
                node = infosets[name].members[0]
            except KeyError:
                continue
            k = int(self.node_instance[node])
            if k not in out:
                out.append(k)
        return out


_CAMPAIGNS: weakref.WeakKeyDictionary[Game, Campaign] = weakref.WeakKeyDictionary()


def campaign_of(game: Game) -> Campaign | None:
    """The campaign a spliced game came from (None for a plain game)."""
    return _CAMPAIGNS.get(game)


def _place_error(game: Game, message: str, path: str) -> GameError | None:
    """For :data:`policy.model.ERROR_PLACES`: a spliced game's chance error, at its stage and state."""
    campaign = _CAMPAIGNS.get(game)
    return campaign.place_error(message, path) if campaign is not None else None


ERROR_PLACES.append(_place_error)


def _line_in(file: str, key: str, find: Callable[[Sequence[str], str], int | None]) -> int | None:
    """The line of ``key`` in ``file`` by ``find`` (None when the file cannot be read again)."""
    try:
        return find(read_text(file).splitlines(), key)
    except (InputError, OSError):
        return None


_HEADER = re.compile(r"^\s*\[campaign\]\s*(#.*)?$", re.MULTILINE)


def is_campaign(path: str | Path) -> bool:
    """Whether a ``.toml`` file is a campaign (it has a ``[campaign]`` table)."""
    try:
        text = read_text(path)
    except InputError:
        return False
    return bool(_HEADER.search(text))


def load_campaign(path: str | Path, split: bool = False) -> Campaign:
    """Read, validate and splice a campaign file (stage files are relative to it).

    With ``split``, every parameter is a separate parameter in each stage
    (``q__stage``; ``q__end`` in the end payoffs), so that stages can be given
    different values (:mod:`policy.analysis.decompose` uses this);
    ``Campaign.split`` maps each such name back to ``(q, stage)``.
    """
    path = Path(path)
    try:
        text = read_text(path)
    except InputError as err:
        raise CampaignError(str(path), "", err.message, err.line) from None
    return loads_campaign(text, str(path), base=path.parent, split=split)


def loads_campaign(text: str, file: str = "<string>", base: Path | None = None, split: bool = False) -> Campaign:
    """Read, validate and splice a campaign from TOML text (``file`` names it in errors)."""
    try:
        data = parse_toml(text)
    except InputError as err:
        raise CampaignError(file, "", err.message, err.line) from None
    reader = _CampaignReader(text, file, base or Path("."), split)
    campaign = reader.read(data)
    # The spliced game is bound to the campaign's file, so that errors found
    # when it is evaluated name the file (as policy.loading does for games).
    campaign = dataclasses.replace(campaign, game=campaign.game.in_file(file), read_from=file)
    _CAMPAIGNS[campaign.game] = campaign
    return campaign


# ---------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------
def locate(lines: Sequence[str], path: str) -> int | None:
    """The 1-based line of a key path, where ``table[k]`` is the k-th ``[[table]]``.

    ``stages.coup.transitions[2].next`` is the ``next`` key below the third
    ``[[stages.coup.transitions]]`` header; other paths go to
    :func:`policy.gamefile.find_line`.
    """
    m = re.match(r"^([A-Za-z0-9_.]+)\[(\d+)\](?:\.(.*))?$", path)
    if m is None:
        return find_line(lines, path)
    table, k, rest = m.group(1), int(m.group(2)), m.group(3)
    header = re.compile(r"^\s*\[\[\s*" + re.escape(table) + r"\s*\]\]\s*(#.*)?$")
    starts = [i for i, line in enumerate(lines) if header.match(line)]
    if k >= len(starts):
        return find_line(lines, table)
    start = starts[k]
    if rest:
        key = re.compile(r"^\s*[\"']?" + re.escape(rest.split(".")[0]) + r"[\"']?\s*=")
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            if key.match(lines[i]):
                return i + 1
    return start + 1


class _CampaignReader:
    def __init__(self, text: str, file: str, base: Path, split: bool = False) -> None:
        self.split = split
        self.text = text
        self.file = file
        self.base = base
        self.lines = text.splitlines()
        self.game_reader = _Reader(text, file)
        self.profile_paths: dict[str, dict[str, str]] = {}
        """Profile key -> its files as read -> as written in the campaign (for messages)."""

    def error(self, path: str, message: str) -> CampaignError:
        return CampaignError(self.file, path, message, locate(self.lines, path))

    def keys(self, body: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in body:
            if key not in allowed:
                raise self.error(f"{path}.{key}", f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    def table(self, body: Any, path: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self.error(path, "must be a table")
        return body

    def expr(self, value: Any, path: str, names: Iterable[str]) -> Expr:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise self.error(path, "must be a number or an expression in quotes")
        try:
            return parse(value, frozenset(names))
        except ExprError as err:
            raise self.error(path, str(err)) from None

    # -- the whole file -------------------------------------------------------------
    def read(self, data: dict[str, Any]) -> Campaign:
        if isinstance(data.get("campaign"), dict) and "branch_of" in data["campaign"]:
            return self.branch(data)
        for key in data:
            if key not in ("campaign", "parameters", "state", "stages", "groups"):
                raise self.error(key, "unknown table (expected campaign, parameters, state, stages, groups)")
        head = self.table(data.get("campaign"), "campaign")
        self.keys(head, CAMPAIGN_KEYS, "campaign")
        title = head.get("title")
        if not isinstance(title, str) or not title:
            raise self.error("campaign.title", "missing: a campaign needs a title")
        players = head.get("players")
        if not isinstance(players, list) or not players or not all(isinstance(p, str) and p for p in players):
            raise self.error("campaign.players", "must be a list of player labels")
        if len(set(players)) != len(players):
            raise self.error("campaign.players", "a player is listed twice")
        description = head.get("description", "")
        if not isinstance(description, str):
            raise self.error("campaign.description", "must be a string")
        claims = self.game_reader.claims({"claims": head["claims"]} if "claims" in head else {}, None, self.base)
        sources = self.game_reader.sources(head, "campaign", claims)
        own_parameters = self.game_reader.parameters(data.get("parameters", {}), claims)
        state = self.state(data.get("state", {}))
        index = {v.name: i for i, v in enumerate(state)}
        leader = head.get("leader")
        if leader is not None:
            if not isinstance(leader, str) or leader not in index:
                raise self.error("campaign.leader", "must name a state variable whose values are leader profiles")
            if not state[index[leader]].named:
                raise self.error("campaign.leader", f"state variable {leader!r} needs named values (profile keys)")
        profiles = self.profiles(head.get("profiles", {}), state[index[leader]] if leader else None)
        stages_table = self.table(data.get("stages"), "stages")
        if not stages_table:
            raise self.error("stages", "a campaign needs at least one stage")
        games: dict[str, tuple[Game, str] | None] = {}
        for name, body in stages_table.items():
            games[name] = self.stage_game(name, body)
        declared: dict[str, Parameter] = dict(own_parameters)
        for loaded in games.values():
            if loaded is not None:
                for p in loaded[0].parameters.values():
                    declared.setdefault(p.name, p)
        for key, profile in profiles.items():
            self.check_profile(key, profile, declared, title)
        numeric = [v.name for v in state if not v.named]
        names = frozenset(declared) | frozenset(numeric)
        clash = sorted(set(declared) & set(index))
        if clash:
            raise self.error(f"state.{clash[0]}", f"{clash[0]!r} is both a state variable and a parameter")
        stages = {
            name: self.stage(name, body, games[name], players, state, index, names, stages_table)
            for name, body in stages_table.items()
        }
        start = head.get("start", next(iter(stages)))
        if start not in stages:
            raise self.error("campaign.start", f"unknown stage {start!r} (stages: {', '.join(stages)})")
        self.check_cycles(stages)
        discount = self.expr(head.get("discount", 1), "campaign.discount", declared)
        end_raw = self.table(head.get("end_payoffs", {}), "campaign.end_payoffs")
        for who in end_raw:
            if who not in players:
                raise self.error(
                    f"campaign.end_payoffs.{who}", f"unknown player {who!r} (players: {', '.join(players)})"
                )
        end_payoffs = tuple(
            self.expr(end_raw[p], f"campaign.end_payoffs.{p}", names) if p in end_raw else parse(0)
            for p in players
        )
        groups = self.groups(data.get("groups", {}), declared)
        spec = _Spec(
            title=title,
            players=tuple(players),
            description=description,
            sources=sources,
            declared=declared,
            state=tuple(state),
            leader=leader,
            profiles=profiles,
            stages=stages,
            start=start,
            discount=discount,
            end_payoffs=end_payoffs,
            groups=groups,
        )
        return _Splicer(spec, self, self.split).run(self.file)

    def branch(self, data: dict[str, Any]) -> Campaign:
        """A branch campaign: another campaign entered at a later stage in a given state.

        The file has only a ``[campaign]`` table (``branch_of``, ``start``,
        ``given``, ``title``, ``description``, ``sources``); the stages, state,
        parameters and profiles are those of the campaign it names, read from
        that file (so their errors name it). The branch starts at ``start`` with
        the state variables in ``given`` at those values and the others at their
        initial ones. Where ``given`` sets the ``leader`` variable, that profile
        is the one in charge from the start: its values take the plain names.
        """
        for key in data:
            if key != "campaign":
                inner = data[key]
                where = f"{key}.{next(iter(inner))}" if isinstance(inner, dict) and inner else key
                raise self.error(
                    where, "a branch campaign has only a [campaign] table (its stages and state are those of branch_of)"
                )
        head = data["campaign"]
        self.keys(head, BRANCH_KEYS, "campaign")
        title = head.get("title")
        if not isinstance(title, str) or not title:
            raise self.error("campaign.title", "missing: a campaign needs a title")
        description = head.get("description", "")
        if not isinstance(description, str):
            raise self.error("campaign.description", "must be a string")
        ref = head["branch_of"]
        if not isinstance(ref, str):
            raise self.error("campaign.branch_of", "must be the path of a campaign file")
        try:
            target = inside(self.base, ref, "a campaign", "the campaign file")
            text = read_text(target)
            base_data = parse_toml(text)
        except InputError as err:
            raise self.error("campaign.branch_of", err.message) from None
        base_head = base_data.get("campaign")
        if not isinstance(base_head, dict):
            raise self.error("campaign.branch_of", f"{ref!r} is not a campaign (it has no [campaign] table)")
        if "branch_of" in base_head:
            raise self.error("campaign.branch_of", f"{ref!r} is itself a branch: name the campaign it branches from")
        claims = self.game_reader.claims({"claims": base_head["claims"]} if "claims" in base_head else {}, None, self.base)
        self.game_reader.sources(head, "campaign", claims)
        stages = base_data.get("stages")
        start = head.get("start")
        if not isinstance(start, str) or not isinstance(stages, dict) or start not in stages:
            known = ", ".join(stages) if isinstance(stages, dict) else "none"
            raise self.error("campaign.start", f"must name a stage of {ref} (stages: {known})")
        given = self.table(head.get("given", {}), "campaign.given")
        state = base_data.get("state", {})
        new_state = dict(state) if isinstance(state, dict) else state
        for name, value in given.items():
            body = state.get(name) if isinstance(state, dict) else None
            if not isinstance(body, dict):
                raise self.error(f"campaign.given.{name}", f"{name!r} is not a state variable of {ref}")
            values = body.get("values", [])
            self.state_value(value, f"campaign.given.{name}", tuple(values) if isinstance(values, list) else ())
            new_state[name] = {**body, "initial": value}
        merged = dict(base_data)
        merged["campaign"] = {**base_head, "title": title, "description": description, "start": start}
        if "sources" in head:
            merged["campaign"]["sources"] = head["sources"]
        merged["state"] = new_state
        return _CampaignReader(text, str(target), target.parent, self.split).read(merged)

    def groups(self, table: Any, declared: Mapping[str, Parameter]) -> dict[str, tuple[str, ...]]:
        """``[groups] army = ["readiness", ...]``: named groups of parameters, for decompositions."""
        table = self.table(table, "groups")
        out: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for name, members in table.items():
            path = f"groups.{name}"
            if not IDENT.match(name):
                raise self.error(path, f"{name!r} is not a usable group name (letters, digits, _)")
            if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
                raise self.error(path, "must be a list of parameter names")
            for m in members:
                if m not in declared:
                    raise self.error(path, f"unknown parameter {m!r}")
                if m in seen:
                    raise self.error(path, f"parameter {m!r} is already in group {seen[m]!r}")
                seen[m] = name
            out[name] = tuple(members)
        return out

    def state(self, table: Any) -> list[StateVar]:
        table = self.table(table, "state")
        out = []
        for name, body in table.items():
            path = f"state.{name}"
            if not IDENT.match(name):
                raise self.error(path, f"{name!r} is not a usable state variable name (letters, digits, _)")
            body = self.table(body, path)
            self.keys(body, STATE_KEYS, path)
            values = body.get("values", [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise self.error(f"{path}.values", "must be a list of names")
            if "initial" not in body:
                raise self.error(f"{path}.initial", "missing: the state variable is never set (give its initial value)")
            initial = self.state_value(body["initial"], f"{path}.initial", tuple(values))
            fact = body.get("fact", True)
            if not isinstance(fact, bool):
                raise self.error(f"{path}.fact", "must be true or false")
            description = body.get("description", "")
            if not isinstance(description, str):
                raise self.error(f"{path}.description", "must be a string")
            out.append(StateVar(name, initial, tuple(values), description, fact))
        return out

    def state_value(self, raw: Any, path: str, values: tuple[str, ...]) -> StateValue:
        if values:
            if raw not in values:
                raise self.error(path, f"must be one of {', '.join(values)}")
            return str(raw)
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
            raise self.error(path, "must be a number")
        value = self.expr(raw, path, ()).constant
        if value is None:
            raise self.error(path, "must be a plain number")
        return value

    def profiles(self, table: Any, var: StateVar | None) -> dict[str, Leader]:
        table = self.table(table, "campaign.profiles")
        if var is None:
            if table:
                raise self.error("campaign.profiles", "profiles need campaign.leader (the state variable naming them)")
            return {}
        out: dict[str, Leader] = {}
        for key in var.values:
            if not IDENT.match(key):
                raise self.error(f"state.{var.name}.values", f"{key!r} is not a usable profile key (letters, digits, _)")
            ref = table.get(key)
            try:
                if ref is None:
                    out[key] = load_leader(key)
                elif isinstance(ref, str):
                    try:
                        target = inside(self.base, ref, "a leader profile", "the campaign file")
                    except InputError as err:
                        raise self.error(f"campaign.profiles.{key}", err.message) from None
                    out[key] = load_leader(target)
                    # The profile's files as the user would write them (relative to the campaign's folder).
                    written = (self.base / ref).parent
                    self.profile_paths[key] = {
                        f: str(written / Path(f).relative_to(target.parent))
                        for f in (out[key].file, *out[key].includes)
                        if Path(f).is_relative_to(target.parent)
                    }
                else:
                    raise self.error(f"campaign.profiles.{key}", "must be the path of a leader profile")
            except LeaderError as err:
                where = f"campaign.profiles.{key}" if ref is not None else f"state.{var.name}.values"
                raise self.error(where, str(err)) from None
        for key in table:
            if key not in var.values:
                raise self.error(f"campaign.profiles.{key}", f"{key!r} is not a value of state.{var.name}")
        return out

    def check_profile(self, key: str, profile: Leader, declared: Mapping[str, Parameter], title: str) -> None:
        """Refuse a value of a campaign's profile that names no parameter, as the command line's profile's.

        A misspelt ``[values.resolv]`` would otherwise leave the first
        profile's value in place wherever ``key`` rules, without a word. As
        for ``--leader``, a value that a game beside the profile declares is
        accepted (a profile may span several games). The error names the
        profile file, the line of the value and its key.
        """
        found = undeclared(profile, declared)
        if found is None:
            return
        origin, name, hint = found
        path = f"values.{name}"
        shown = self.profile_paths.get(key, {}).get(origin, origin)
        raise CampaignError(
            shown, path,
            f"names no parameter of {title!r} (campaign.profiles.{key} in {self.file}) "
            f"or of the games beside the profile{hint}",
            _line_in(origin, path, find_line),
        )

    def stage_game(self, name: str, body: Any) -> tuple[Game, str] | None:
        path = f"stages.{name}"
        if not IDENT.match(name) or name == END:
            raise self.error(path, f"{name!r} is not a usable stage name (letters, digits, _; not 'end')")
        body = self.table(body, path)
        self.keys(body, STAGE_KEYS, path)
        has_game, has_chance = "game" in body, "chance" in body
        if has_game == has_chance:
            raise self.error(path, "a stage has either game = \"FILE\" or chance = { outcome = probability, ... }")
        if has_chance:
            return None
        ref = body["game"]
        if not isinstance(ref, str):
            raise self.error(f"{path}.game", "must be the path of a .toml game")
        try:
            target = inside(self.base, ref, "a stage game", "the campaign file")
            read_bytes(target, regular_only=True)
        except InputError as err:
            raise self.error(f"{path}.game", err.message) from None
        if is_campaign(target):
            raise self.error(f"{path}.game", "a stage must be a game, not a campaign")
        return load_game(target), str(target)

    def stage(
        self,
        name: str,
        body: dict[str, Any],
        loaded: tuple[Game, str] | None,
        players: list[str],
        state: list[StateVar],
        index: Mapping[str, int],
        names: frozenset[str],
        stages_table: Mapping[str, Any],
    ) -> Stage:
        path = f"stages.{name}"
        if loaded is None:
            game = self.chance_game(name, body["chance"], f"{path}.chance", names)
            file = ""
        else:
            game, file = loaded
            for p in game.players:
                if p not in players:
                    raise self.error(f"{path}.game", f"the stage's player {p!r} is not a campaign player")
        raw = self.table(body.get("parameters", {}), f"{path}.parameters")
        if loaded is None and raw:
            raise self.error(f"{path}.parameters", "a chance stage has no parameters of its own")
        bindings = {}
        for q, text in raw.items():
            if q not in game.parameters:
                declared = ", ".join(game.parameters) or "none"
                raise self.error(f"{path}.parameters.{q}", f"the stage declares no parameter {q!r} (declared: {declared})")
            bindings[q] = self.expr(text, f"{path}.parameters.{q}", names)
        repeat = body.get("repeat")
        if repeat is not None and (isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1):
            raise self.error(f"{path}.repeat", "must be a whole number of plays, at least 1")
        after = body.get("after", END)
        if after != END and after not in stages_table:
            raise self.error(f"{path}.after", f"unknown stage {after!r} (or 'end')")
        if "after" in body and repeat is None:
            raise self.error(f"{path}.after", "only a stage with repeat has an after")
        raw_transitions = body.get("transitions")
        if not isinstance(raw_transitions, list) or not raw_transitions:
            raise self.error(f"{path}.transitions", "missing: say where each terminal leads ([[stages.NAME.transitions]])")
        transitions = tuple(
            self.transition(k, t, f"{path}.transitions", game, state, index, stages_table)
            for k, t in enumerate(raw_transitions)
        )
        covered = frozenset().union(*(t.terminals for t in transitions))
        for local in game.terminals.tolist():
            if local not in covered:
                raise self.error(
                    f"{path}.transitions",
                    f"no transition covers terminal {game.node_names[local]!r} of the stage",
                )
        return Stage(name, path, game, loaded is None, bindings, transitions, repeat, after, file)

    def chance_game(self, name: str, raw: Any, path: str, names: frozenset[str]) -> Game:
        table = self.table(raw, path)
        if not table:
            raise self.error(path, "a chance stage needs at least one outcome")
        labels = list(table)
        for label in labels:
            if not IDENT.match(label):
                raise self.error(f"{path}.{label}", f"{label!r} is not a usable outcome name (letters, digits, _)")
        probs = [self.expr(table[label], f"{path}.{label}", names) for label in labels]
        constants = [p.constant for p in probs]
        for label, c in zip(labels, constants, strict=True):
            if c is not None and not 0 <= c <= 1:
                raise self.error(f"{path}.{label}", f"{c} is outside [0, 1]")
        if all(c is not None for c in constants) and sum(c for c in constants if c is not None) != 1:
            raise self.error(path, f"probabilities sum to {sum(c for c in constants if c is not None)}, not 1")
        k = len(labels)
        return game_from_parts(
            title=name,
            players=[],
            parameters={},
            node_names=("chance", *labels),
            parent=np.array([-1] + [0] * k, dtype=np.int64),
            kind=np.array([NodeKind.CHANCE] + [NodeKind.TERMINAL] * k, dtype=np.int8),
            player=np.full(k + 1, -1, dtype=np.int32),
            outcome=np.full(k + 1, -1, dtype=np.int32),
            first_child=np.array([1] + [0] * k, dtype=np.int64),
            num_children=np.array([k] + [0] * k, dtype=np.int32),
            depth=np.array([0] + [1] * k, dtype=np.int32),
            action_label=("", *labels),
            chance_probability=(None, *probs),
            outcomes=(),
            infoset_names=[None] * (k + 1),
            description="",
            sources=(),
            comment="",
            origin="toml",
            node_paths=(),
        )

    def transition(
        self,
        k: int,
        raw: Any,
        base_path: str,
        game: Game,
        state: list[StateVar],
        index: Mapping[str, int],
        stages_table: Mapping[str, Any],
    ) -> Transition:
        path = f"{base_path}[{k}]"
        body = self.table(raw, path)
        self.keys(body, TRANSITION_KEYS, path)
        terminals = game.terminals.tolist()
        matched = set(terminals)
        if "terminal" in body:
            named = body["terminal"]
            named = [named] if isinstance(named, str) else named
            if not isinstance(named, list) or not named or not all(isinstance(n, str) for n in named):
                raise self.error(f"{path}.terminal", "must name a terminal node of the stage (or a list of them)")
            picked = set()
            for n in named:
                try:
                    local = game.node(n).index
                except KeyError:
                    local = -1
                if local < 0 or game.kind[local] != NodeKind.TERMINAL:
                    known = ", ".join(game.node_names[t] for t in terminals)
                    raise self.error(f"{path}.terminal", f"the stage has no terminal {n!r} (terminals: {known})")
                picked.add(local)
            matched &= picked
        if "facts" in body:
            wanted = self.table(body["facts"], f"{path}.facts")
            want = {key: str(v) for key, v in wanted.items()}
            from policy.analysis.compare import terminal_facts

            facts = terminal_facts(game)
            hits = {t for t, f in zip(terminals, facts, strict=True) if all(f.get(a) == b for a, b in want.items())}
            if not hits:
                raise self.error(f"{path}.facts", f"no terminal of the stage states {want}")
            matched &= hits
        if not matched:
            raise self.error(path, "the transition matches no terminal of the stage")
        when = []
        for var, raw_value in self.table(body.get("when", {}), f"{path}.when").items():
            if var not in index:
                raise self.error(f"{path}.when.{var}", f"unknown state variable {var!r}")
            v = state[index[var]]
            options = raw_value if isinstance(raw_value, list) else [raw_value]
            allowed = frozenset(self.state_value(o, f"{path}.when.{var}", v.values) for o in options)
            when.append((index[var], allowed))
        updates: list[tuple[int, StateValue | Expr]] = []
        numeric = [v.name for v in state if not v.named]
        for var, raw_value in self.table(body.get("set", {}), f"{path}.set").items():
            if var not in index:
                raise self.error(f"{path}.set.{var}", f"unknown state variable {var!r}")
            v = state[index[var]]
            if v.named:
                updates.append((index[var], self.state_value(raw_value, f"{path}.set.{var}", v.values)))
            else:
                updates.append((index[var], self.expr(raw_value, f"{path}.set.{var}", numeric)))
        nxt = body.get("next")
        if not isinstance(nxt, str):
            raise self.error(f"{path}.next", "missing: the next stage, or \"end\"")
        if nxt != END and nxt not in stages_table:
            raise self.error(f"{path}.next", f"unknown stage {nxt!r} (stages: {', '.join(stages_table)}; or 'end')")
        return Transition(k, path, frozenset(matched), tuple(when), tuple(updates), nxt)

    def check_cycles(self, stages: Mapping[str, Stage]) -> None:
        """Refuse a cycle between stages that no stage on it bounds with ``repeat``.

        With every cycle through a bounded stage, no path can play stages
        forever: each pass round a cycle plays a bounded stage once more.
        """
        free = [name for name, s in stages.items() if s.repeat is None]
        edges = {
            name: [(t.next, t.index) for t in stages[name].transitions if t.next in free] for name in free
        }
        colour: dict[str, int] = {}
        for root in free:
            if root in colour:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            trail: list[str] = []
            while stack:
                node, i = stack.pop()
                if i == 0:
                    colour[node] = 1
                    trail.append(node)
                if i < len(edges[node]):
                    stack.append((node, i + 1))
                    nxt, k = edges[node][i]
                    if colour.get(nxt) == 1:
                        cycle = trail[trail.index(nxt):] + [nxt]
                        raise self.error(
                            f"stages.{node}.transitions[{k}].next",
                            "a cycle between stages without a bound: " + " -> ".join(cycle)
                            + " (give one of them repeat = N)",
                        )
                    if nxt not in colour:
                        stack.append((nxt, 0))
                else:
                    colour[node] = 2
                    trail.pop()
        # A chain of `after` redirections must end.
        for name, s in stages.items():
            seen = [name]
            at = s.after
            while at != END and stages[at].repeat is not None:
                if at in seen:
                    raise self.error(f"stages.{name}.after", "the after redirections form a cycle: " + " -> ".join([*seen, at]))
                seen.append(at)
                at = stages[at].after


@dataclass(frozen=True)
class _Spec:
    title: str
    players: tuple[str, ...]
    description: str
    sources: tuple[str, ...]
    declared: Mapping[str, Parameter]
    state: tuple[StateVar, ...]
    leader: str | None
    profiles: Mapping[str, Leader]
    stages: Mapping[str, Stage]
    start: str
    discount: Expr
    end_payoffs: tuple[Expr, ...]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------
# Splicing
# ---------------------------------------------------------------------------------
_ADD = parse("x_ + y_", {"x_", "y_"})
_MUL = parse("x_ * y_", {"x_", "y_"})
_ZERO = parse(0)


def _add(a: Expr, b: Expr) -> Expr:
    if a.constant == 0:
        return b
    if b.constant == 0:
        return a
    return substitute(_ADD, {"x_": a, "y_": b})


def _mul(a: Expr, b: Expr) -> Expr:
    if a.constant == 1:
        return b
    if b.constant == 1:
        return a
    if a.constant == 0 or b.constant == 0:
        return _ZERO
    return substitute(_MUL, {"x_": a, "y_": b})


@dataclass
class _Entry:
    """A stage waiting to be played: where it attaches and in what state."""

    slot: int
    stage: str
    state: State
    visits: tuple[int, ...]
    played: int
    parent: int
    via: str


@dataclass
class _Env:
    """What one stage looks like in one environment: its expressions, made once."""

    outcomes: list[int]
    """Stage outcome index -> spliced outcome index."""
    chance: list[Expr | None]
    """Stage node -> chance probability of the edge into it."""
    fault: tuple[str, str] | None = None
    """For a chance stage whose probabilities are numbers in this state and wrong: (key path, message)."""


class _Splicer:
    def __init__(self, spec: _Spec, reader: _CampaignReader, split: bool = False) -> None:
        self.split = split
        self.stage_now: str | None = None
        """The stage whose expressions are being made (names the split parameters)."""
        self.split_names: dict[str, tuple[str, str]] = {}
        self.spec = spec
        self.reader = reader
        self.var_index = {v.name: i for i, v in enumerate(spec.state)}
        self.stage_order = list(spec.stages)
        self.stage_index = {s: i for i, s in enumerate(self.stage_order)}
        self.initial_profile = (
            spec.state[self.var_index[spec.leader]].initial if spec.leader is not None else None
        )
        self.outcomes: list[Outcome] = []
        self.outcome_ids: dict[Any, int] = {}
        self.envs: dict[Any, _Env] = {}
        self.used: dict[str, tuple[str, str]] = {}
        """Spliced parameter name -> (declared name, profile key or '')."""
        self.weights: list[Expr] = [parse(1)]
        self.end_ids: dict[tuple[int, State, int], int] = {}
        self.by_state: dict[tuple[str, State, int], _Env] = {}
        self.discount = self.in_state(spec.discount, (), None, "campaign.discount")
        self.routes: dict[tuple[str, State], list[tuple[int, Transition, State]]] = {}
        self.player_maps: dict[str, npt.NDArray[np.int32]] = {}

    # -- names and expressions --------------------------------------------------------
    def profile_of(self, state: State) -> str | None:
        if self.spec.leader is None:
            return None
        return str(state[self.var_index[self.spec.leader]])

    def rename(self, q: str, profile: str | None) -> Expr:
        """The spliced parameter standing for ``q`` under ``profile``."""
        name = q
        owner = ""
        if (
            profile is not None
            and profile != self.initial_profile
            and q in self.spec.profiles[profile].values
            and not self.shared(profile, q)
        ):
            name, owner = f"{profile}__{q}", profile
        if self.split and self.stage_now is not None:
            whole = name
            name = f"{whole}__{self.stage_now}"
            self.split_names[name] = (whole, self.stage_now)
        self.used.setdefault(name, (q, owner))
        return parse(name, {name})

    def shared(self, profile: str, q: str) -> bool:
        """Whether ``profile`` takes ``q`` from the same place as the initial profile.

        Two profiles that include one file of shared values (the world both
        leaders face) hold the same written value; it stays one parameter of
        the spliced game instead of a copy per profile.
        """
        initial = self.spec.profiles.get(str(self.initial_profile)) if self.initial_profile else None
        if initial is None or q not in initial.values:
            return False
        mine, theirs = self.spec.profiles[profile].values[q], initial.values[q]
        return mine == theirs and mine.origin != self.spec.profiles[profile].file

    def in_state(self, e: Expr, state: State, profile: str | None, path: str) -> Expr:
        """``e`` with numeric state variables at their values and parameters renamed."""
        env: dict[str, Expr] = {}
        for n in e.names:
            i = self.var_index.get(n)
            if i is not None:
                env[n] = parse(state[i])
            else:
                env[n] = self.rename(n, profile)
        try:
            return substitute(e, env)
        except ExprError as err:
            raise self.reader.error(path, f"{err} (in state {self.state_text(state)})") from None

    def state_text(self, state: State) -> str:
        return ", ".join(f"{v.name}={state[i]}" for i, v in enumerate(self.spec.state))

    def weight(self, k: int) -> Expr:
        while len(self.weights) <= k:
            self.weights.append(_mul(self.weights[-1], self.discount))
        return self.weights[k]

    def outcome_id(self, outcome: Outcome) -> int:
        key = (outcome.label, outcome.payoffs, outcome.facts)
        got = self.outcome_ids.get(key)
        if got is None:
            got = self.outcome_ids[key] = len(self.outcomes)
            self.outcomes.append(outcome)
        return got

    def player_map(self, stage: Stage) -> npt.NDArray[np.int32]:
        got = self.player_maps.get(stage.name)
        if got is None:
            lookup = np.array([self.spec.players.index(p) for p in stage.game.players] + [-1], dtype=np.int32)
            got = self.player_maps[stage.name] = lookup
        return got

    def env(self, stage: Stage, state: State, played: int) -> _Env:
        """The stage's outcomes and chance probabilities in a state (cached by what they depend on)."""
        key = (stage.name, state, played)
        got = self.by_state.get(key)
        if got is None:
            got = self.by_state[key] = self._env(stage, state, played)
        return got

    def _env(self, stage: Stage, state: State, played: int) -> _Env:
        profile = self.profile_of(state)
        self.stage_now = stage.name
        bound: dict[str, Expr] = {}
        for q in stage.game.parameters:
            if q in stage.bindings:
                bound[q] = self.in_state(stage.bindings[q], state, profile, f"{stage.path}.parameters.{q}")
            else:
                bound[q] = self.rename(q, profile)
        if stage.chance:
            exprs = [stage.game.chance_probability[c] for c in range(1, stage.game.num_nodes)]
            chance_exprs = [
                self.in_state(e, state, profile, f"{stage.path}.chance.{stage.game.node_names[c + 1]}")  # type: ignore[arg-type]
                for c, e in enumerate(exprs)
            ]
            key: Any = ("chance", stage.name, tuple(chance_exprs))
        else:
            chance_exprs = []
            key = (stage.name, tuple(sorted(bound.items())), played)
        got = self.envs.get(key)
        if got is not None:
            return got
        weight = self.weight(played)
        game = stage.game
        outcomes = []
        for o in game.outcomes:
            payoffs = []
            for p in self.spec.players:
                if p in game.players:
                    e = o.payoffs[game.players.index(p)]
                    try:
                        e = substitute(e, bound)
                    except ExprError as err:
                        raise self.reader.error(stage.path, f"{err} (in state {self.state_text(state)})") from None
                    payoffs.append(_mul(weight, e))
                else:
                    payoffs.append(_ZERO)
            outcomes.append(self.outcome_id(Outcome(o.label, tuple(payoffs), o.facts)))
        chance: list[Expr | None] = [None] * game.num_nodes
        fault = None
        if stage.chance:
            chance[1:] = chance_exprs
            fault = self.chance_fault(stage, chance_exprs)
        else:
            for c in range(1, game.num_nodes):
                given = game.chance_probability[c]
                if given is not None:
                    chance[c] = substitute(given, bound)
        got = self.envs[key] = _Env(outcomes, chance, fault)
        return got

    @staticmethod
    def chance_fault(stage: Stage, exprs: Sequence[Expr]) -> tuple[str, str] | None:
        """What is wrong with a chance stage's probabilities when they are numbers in a state: (key, message)."""
        values = [e.constant for e in exprs]
        if any(c is None for c in values):
            return None  # checked at the values in use, when the game is evaluated
        labels = stage.game.action_label[1:]
        for label, c in zip(labels, values, strict=True):
            if c is not None and not 0 <= c <= 1:
                return f"{stage.path}.chance.{label}", f"probability of {label!r} is {c}, outside [0, 1]"
        total = sum(c for c in values if c is not None)
        if total != 1:
            return f"{stage.path}.chance", f"probabilities sum to {total}, not 1"
        return None

    def route(self, stage: Stage, state: State) -> list[tuple[int, Transition, State]]:
        """For each terminal of the stage: the transition taken in ``state`` and the new state."""
        key = (stage.name, state)
        got = self.routes.get(key)
        if got is not None:
            return got
        out: list[tuple[int, Transition, State]] = []
        for local in stage.game.terminals.tolist():
            chosen = None
            for t in stage.transitions:
                if local in t.terminals and all(state[i] in allowed for i, allowed in t.when):
                    chosen = t
                    break
            if chosen is None:
                raise self.reader.error(
                    f"{stage.path}.transitions",
                    f"no transition covers terminal {stage.game.node_names[local]!r} in state "
                    f"{self.state_text(state)}",
                )
            new = list(state)
            for i, value in chosen.updates:
                if isinstance(value, Expr):
                    env = {n: parse(state[self.var_index[n]]) for n in value.names}
                    try:
                        result = substitute(value, env).constant
                    except ExprError as err:
                        raise self.reader.error(f"{chosen.path}.set.{self.spec.state[i].name}", f"{err}") from None
                    if result is None:
                        raise self.reader.error(
                            f"{chosen.path}.set.{self.spec.state[i].name}", "does not give a rational number"
                        )
                    new[i] = result
                else:
                    new[i] = value
            out.append((local, chosen, _Keyed(new)))
        self.routes[key] = out
        return out

    def end_outcome(self, before: int, state: State, played: int) -> int:
        """The outcome at a campaign end: the last terminal's, plus end payoffs and final-state facts."""
        key = (before, state, played)
        got = self.end_ids.get(key)
        if got is None:
            got = self.end_ids[key] = self._end_outcome(before, state, played)
        return got

    def _end_outcome(self, before: int, state: State, played: int) -> int:
        profile = self.profile_of(state)
        weight = self.weight(played)
        self.stage_now = END
        last = self.outcomes[before] if before >= 0 else None
        payoffs = []
        for k, e in enumerate(self.spec.end_payoffs):
            extra = _mul(weight, self.in_state(e, state, profile, f"campaign.end_payoffs.{self.spec.players[k]}"))
            payoffs.append(_add(last.payoffs[k], extra) if last is not None else extra)
        facts = dict(last.facts) if last is not None else {}
        for i, v in enumerate(self.spec.state):
            if v.fact:
                facts[v.name] = str(state[i])
        label = last.label if last is not None else "end"
        return self.outcome_id(Outcome(label, tuple(payoffs), tuple(facts.items())))

    def merged_outcome(self, before: int, root: int) -> int:
        if before < 0:
            return root
        if root < 0:
            return before
        a, b = self.outcomes[before], self.outcomes[root]
        payoffs = tuple(_add(x, y) for x, y in zip(a.payoffs, b.payoffs, strict=True))
        facts = dict(b.facts)
        facts.update(a.facts)
        return self.outcome_id(Outcome(a.label, payoffs, tuple(facts.items())))

    # -- the unfolding --------------------------------------------------------------
    def run(self, file: str) -> Campaign:
        spec = self.spec
        blocks: list[tuple[int, int, _Env]] = []  # (instance, base, env)
        instances: list[tuple[str, State, str | None, int, int, str]] = []
        patches: list[tuple[int, int]] = []  # (slot, instance whose root it becomes)
        ends: list[tuple[int, int]] = []  # (slot, outcome id)
        total = 0
        queue: deque[_Entry] = deque()
        initial: State = _Keyed(v.initial for v in spec.state)
        queue.append(_Entry(-1, spec.start, initial, (0,) * len(self.stage_order), 0, -1, ""))
        slot_outcome: dict[int, int] = {}
        fault: tuple[int, tuple[str, str]] | None = None  # the first instance whose chance stage is wrong
        while queue:
            entry = queue.popleft()
            stage = spec.stages[entry.stage]
            env = self.env(stage, entry.state, entry.played)
            k = len(instances)
            if env.fault is not None and fault is None:
                fault = (k, env.fault)
            instances.append((entry.stage, entry.state, self.profile_of(entry.state), entry.played, entry.parent, entry.via))
            base = total
            total += stage.game.num_nodes
            if total > MAX_NODES:
                raise self.reader.error(
                    "stages", f"the spliced campaign exceeds {MAX_NODES:,} nodes; bound its repeats or split it"
                )
            blocks.append((k, base, env))
            if entry.slot >= 0:
                patches.append((entry.slot, k))
            visits = list(entry.visits)
            visits[self.stage_index[entry.stage]] += 1
            played = entry.played + (0 if stage.chance else 1)
            game = stage.game
            for local, transition, new in self.route(stage, entry.state):
                slot = base + local
                o = int(game.outcome[local])
                own = env.outcomes[o] if o >= 0 else -1
                target = transition.next
                while target != END:
                    limit = spec.stages[target].repeat
                    if limit is None or visits[self.stage_index[target]] < limit:
                        break
                    target = spec.stages[target].after
                if target == END:
                    ends.append((slot, self.end_outcome(own, new, played)))
                else:
                    slot_outcome[slot] = own
                    queue.append(_Entry(slot, target, new, tuple(visits), played, k, game.node_names[local]))
        campaign = self.assemble(file, blocks, instances, patches, ends, slot_outcome, total)
        if fault is not None:
            # Raised once the instances have their names, to say where the stage is played.
            k, (key, message) = fault
            raise self.reader.error(key, f"{message}, at {campaign.played_at(k)}")
        return campaign

    def assemble(
        self,
        file: str,
        blocks: list[tuple[int, int, _Env]],
        instances: list[tuple[str, State, str | None, int, int, str]],
        patches: list[tuple[int, int]],
        ends: list[tuple[int, int]],
        slot_outcome: Mapping[int, int],
        total: int,
    ) -> Campaign:
        spec = self.spec
        count: dict[str, int] = {}
        for stage_name, *_ in instances:
            count[stage_name] = count.get(stage_name, 0) + 1
        seen: dict[str, int] = {}
        inst_names = []
        for stage_name, *_ in instances:
            seen[stage_name] = seen.get(stage_name, 0) + 1
            inst_names.append(stage_name if count[stage_name] == 1 else f"{stage_name}-{seen[stage_name]}")
        kind = np.empty(total, dtype=np.int8)
        player = np.empty(total, dtype=np.int32)
        first_child = np.empty(total, dtype=np.int64)
        num_children = np.empty(total, dtype=np.int32)
        outcome = np.empty(total, dtype=np.int32)
        node_instance = np.empty(total, dtype=np.int64)
        node_local = np.empty(total, dtype=np.int64)
        ended = np.full(total, -1, dtype=np.int64)
        labels: list[str] = [""] * total
        names: list[str] = [""] * total
        sets: list[str | None] = [None] * total
        chance: list[Expr | None] = [None] * total
        # Instances of one stage in one environment are copied together, as 2-d blocks.
        groups: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for k, base, env in blocks:
            groups.setdefault((instances[k][0], id(env)), []).append((k, base))
        envs = {id(env): env for _, _, env in blocks}
        for (stage_name, env_id), members in groups.items():
            stage = spec.stages[stage_name]
            env = envs[env_id]
            g = stage.game
            m = g.num_nodes
            ks = np.array([k for k, _ in members], dtype=np.int64)
            bases = np.array([base for _, base in members], dtype=np.int64)
            idx = (bases[:, None] + np.arange(m)).ravel()
            count_k = len(members)
            kind[idx] = np.tile(g.kind, count_k)
            player[idx] = np.tile(self.player_map(stage)[g.player], count_k)
            num_children[idx] = np.tile(g.num_children, count_k)
            inner = g.num_children > 0
            first_child[idx] = (np.where(inner, g.first_child, 0)[None, :] + np.where(inner, 1, 0)[None, :] * bases[:, None]).ravel()
            lookup = np.array([*env.outcomes, -1], dtype=np.int32)
            outcome[idx] = np.tile(lookup[g.outcome], count_k)
            node_instance[idx] = np.repeat(ks, m)
            node_local[idx] = np.tile(np.arange(m), count_k)
            local_sets = [g.infosets.at(i).name if i >= 0 else None for i in g.infoset.tolist()]
            for k, base in members:
                prefix = inst_names[k] + "."
                stop = base + m
                names[base:stop] = [prefix + n for n in g.node_names]
                labels[base:stop] = g.action_label
                chance[base:stop] = env.chance
                sets[base:stop] = [prefix + x if x is not None else None for x in local_sets]
        for slot, k in patches:
            base = blocks[k][1]
            stage = spec.stages[instances[k][0]]
            prev_local = int(node_local[slot])
            kind[slot] = kind[base]
            player[slot] = player[base]
            first_child[slot] = first_child[base]
            num_children[slot] = num_children[base]
            outcome[slot] = self.merged_outcome(slot_outcome[slot], int(outcome[base]))
            node_instance[slot] = k
            node_local[slot] = 0
            ended[slot] = prev_local
            names[slot] = names[base]
            sets[slot] = sets[base]
        for slot, o in ends:
            outcome[slot] = o
        # Breadth-first renumbering of the nodes reached from the first stage's root.
        order_parts = [np.zeros(1, dtype=np.int64)]
        depth_parts = [np.zeros(1, dtype=np.int32)]
        level = order_parts[0]
        d = 0
        while True:
            counts = num_children[level].astype(np.int64)
            size = int(counts.sum())
            if size == 0:
                break
            starts = np.repeat(first_child[level], counts)
            within = np.arange(size) - np.repeat(np.cumsum(counts) - counts, counts)
            level = starts + within
            d += 1
            order_parts.append(level)
            depth_parts.append(np.full(size, d, dtype=np.int32))
        order = np.concatenate(order_parts)
        depth = np.concatenate(depth_parts)
        n = len(order)
        new_index = np.full(total, -1, dtype=np.int64)
        new_index[order] = np.arange(n)
        nc = num_children[order]
        fc = np.where(nc > 0, new_index[first_child[order]], 0)
        parent = np.full(n, -1, dtype=np.int64)
        parent[1:] = np.repeat(np.arange(n, dtype=np.int64), nc)
        order_list = order.tolist()
        parameters = self.parameters()
        try:
            game = game_from_parts(
                title=spec.title,
                players=list(spec.players),
                parameters=parameters,
                node_names=tuple(names[i] for i in order_list),
                parent=parent,
                kind=kind[order],
                player=player[order],
                outcome=outcome[order],
                first_child=fc,
                num_children=nc,
                depth=depth,
                action_label=tuple(labels[i] if j else "" for j, i in enumerate(order_list)),
                chance_probability=tuple(chance[i] if j else None for j, i in enumerate(order_list)),
                outcomes=tuple(self.outcomes),
                infoset_names=[sets[i] for i in order_list],
                description=spec.description,
                sources=spec.sources,
                comment="",
                origin="toml",
                node_paths=(),
            )
        except GameError as err:
            raise self.reader.error("stages", str(err)) from None
        instance_objs = tuple(
            Instance(
                name=inst_names[k],
                stage=stage_name,
                state={v.name: state[i] for i, v in enumerate(spec.state)},
                profile=profile,
                played=played,
                parent=parent_k,
                via=via,
            )
            for k, (stage_name, state, profile, played, parent_k, via) in enumerate(instances)
        )
        return Campaign(
            file=file,
            title=spec.title,
            game=game,
            stages=spec.stages,
            state=spec.state,
            leader=spec.leader,
            instances=instance_objs,
            node_instance=node_instance[order],
            node_local=node_local[order],
            ended=ended[order],
            profiles=spec.profiles,
            split=dict(self.split_names),
            origin={name: q for name, (q, _) in self.used.items()},
            owners={name: owner for name, (_, owner) in self.used.items() if owner},
            groups=spec.groups,
        )

    def parameters(self) -> dict[str, Parameter]:
        """The spliced game's parameters: those its expressions use, with defaults from profiles."""
        out: dict[str, Parameter] = {}
        initial = self.spec.profiles.get(str(self.initial_profile)) if self.initial_profile else None
        for name, (q, owner) in sorted(self.used.items()):
            declared = self.spec.declared.get(q)
            if declared is None:
                continue  # a state variable never reaches here; names are checked on reading
            profile = self.spec.profiles[owner] if owner else initial
            value = profile.values.get(q) if profile is not None else None
            default = value.value if value is not None else declared.default
            rng = declared.range
            if value is not None and value.range is not None and owner:
                rng = value.range
            if default is None and (owner or initial is not None):
                who = owner or str(self.initial_profile)
                raise self.reader.error(
                    "stages",
                    f"parameter {q!r} is left unset under profile {who!r}: the profile gives no value and no "
                    "stage declares a default (bind it in [stages.NAME.parameters] or give it a default)",
                )
            if rng is not None and default is not None and not rng[0] <= default <= rng[1]:
                rng = (min(rng[0], default), max(rng[1], default))
            description = declared.description + (f" (under {owner})" if owner else "")
            out[name] = Parameter(name, description, default, rng, declared.sources)
        return out

