"""The probability of an observed record: what was actually chosen, scored against a profile.

A record (``games/records/*.toml``; format in ``docs/game-format.md``, section
Records) lists moves actually taken, in order: for a campaign, the stage, the
information set or node within it, and the action; for a plain game, the
information set or node and the action. Chance moves may be recorded too
(France fell): they are conditions, not predictions.

Laying the record on the tree (:func:`trace`). The moves are matched along
each path from the root in order: a node is the place of move ``j`` when the
moves before ``j`` have been matched above it and it is a node of move ``j``'s
stage and information set (or the node named). Only paths that take the
recorded action at every matched place are kept; the record is *complete* at
a terminal when every move was matched on the way. Moves not recorded
(Germany's answer, a chance move nobody wrote down) are left to the profile
and to chance.

Scoring (:func:`record_probability`). Given each edge's probability under a
behaviour profile, the probability that the players reproduce a set ``S`` of
recorded decisions is the probability of reaching a complete terminal when
every recorded move outside ``S``, and every recorded chance move, is forced
(taken with probability 1) and the moves in ``S`` are taken with the
profile's probabilities. With ``S`` all recorded decisions this is the
probability that the profile reproduces the record given what chance did; with
``S`` one move or one stage's moves, the probability of that part given the
rest of the record. Under a pure equilibrium it is 1 or 0 (a fraction when an
unrecorded chance move between two recorded moves matters).

:func:`score_record` puts the pieces together: the equilibrium at the
profile's values move by move; the same probabilities averaged over Monte
Carlo draws from the profile's declared uncertainty (the batch solver of
:mod:`policy.analysis.batch` where the method is spe, block by block, in
worker processes for a long run); for each parameter, the
nearest value that reproduces the record and the share of its range that does;
and the likelihood of the record under logit quantal response (McKelvey and
Palfrey 1998, agent QRE) at a given or fitted precision, which scores a record
even where the equilibrium misses it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.campaign import Campaign, campaign_of, locate
from policy.expr import compile_batch
from policy.files import InputError, may_have_top_level, parse_toml, read_text
from policy.gamefile import GameFileError
from policy.leaders import Leader
from policy.model import Game, NodeKind, Number

RECORD_KEYS = {"title", "description", "sources", "game"}
MOVE_KEYS = {"stage", "infoset", "node", "action", "note", "sources"}

#: A float probability at least this close to 1 counts as reproducing the record.
REPRODUCED = 1 - 1e-9

#: A spread of the record's probability over a range below this is rounding, shown as 0.
SPREAD_NOISE = 1e-12

#: Points of the even grid over a parameter's range for the distance and the share.
GRID = 101

#: Bisection steps refining the distance to the nearest reproducing value.
BISECT = 30

#: The precisions (payoff units) at which a fitted lambda is first looked for.
LAMBDA_GRID = tuple(float(x) for x in np.geomspace(0.01, 1000.0, 21))


class RecordError(GameFileError):
    """A record that cannot be read or laid on its game; one line ``FILE:LINE: PATH: message``."""


@dataclass(frozen=True)
class RecordMove:
    """One move of a record: where (stage, information set or node) and what."""

    index: int
    stage: str | None
    infoset: str | None
    node: str | None
    action: str
    note: str = ""
    sources: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"moves[{self.index}]"

    @property
    def place(self) -> str:
        """The move's place in words: ``coup.start`` or ``start``."""
        where = self.infoset or self.node or ""
        return f"{self.stage}.{where}" if self.stage else where


@dataclass(frozen=True)
class Record:
    """A record file: a title and the moves, in order."""

    file: str
    title: str
    moves: tuple[RecordMove, ...]
    description: str = ""
    sources: tuple[str, ...] = ()
    #: The file's lines, to locate errors found after reading.
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)
    #: The game the record is of, as the file names it (``record.game``), relative to the file.
    game: str = ""


def load_record(path: str | Path) -> Record:
    """Read a record file."""
    path = Path(path)
    file = str(path)
    try:
        text = read_text(path)
    except InputError as err:
        raise RecordError(file, "", err.message, err.line) from None
    return loads_record(text, file)


def loads_record(text: str, file: str = "<string>") -> Record:
    """Read a record from TOML text (``file`` names it in errors)."""
    lines = text.splitlines()

    def error(where: str, message: str) -> RecordError:
        return RecordError(file, where, message, locate(lines, where))

    try:
        data = parse_toml(text)
    except InputError as err:
        raise RecordError(file, "", err.message, err.line) from None
    for key in data:
        if key not in ("record", "moves"):
            raise error(key, "unknown table (expected record, moves)")
    head = data.get("record", {})
    if not isinstance(head, dict):
        raise error("record", "must be a table")
    for key in head:
        if key not in RECORD_KEYS:
            raise error(f"record.{key}", f"unknown key {key!r} (allowed: {', '.join(sorted(RECORD_KEYS))})")
    title = head.get("title", Path(file).stem)
    if not isinstance(title, str):
        raise error("record.title", "must be a string")
    raw = data.get("moves")
    if not isinstance(raw, list) or not raw:
        raise error("moves", "missing: list the moves taken as [[moves]] tables")
    moves = []
    for k, body in enumerate(raw):
        where = f"moves[{k}]"
        if not isinstance(body, dict):
            raise error(where, "must be a table")
        for key in body:
            if key not in MOVE_KEYS:
                raise error(f"{where}.{key}", f"unknown key {key!r} (allowed: {', '.join(sorted(MOVE_KEYS))})")
        strings = {}
        for key in ("stage", "infoset", "node", "action", "note"):
            value = body.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                raise error(f"{where}.{key}", "must be a name")
            strings[key] = value
        if (strings["infoset"] is None) == (strings["node"] is None):
            raise error(where, "name the place of the move: infoset = \"...\" or node = \"...\" (one of them)")
        if strings["action"] is None:
            raise error(f"{where}.action", "missing: the action taken")
        sources = body.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise error(f"{where}.sources", "must be a list of claim ids")
        moves.append(
            RecordMove(k, strings["stage"], strings["infoset"], strings["node"], strings["action"],
                       strings["note"] or "", tuple(sources))
        )
    description = head.get("description", "")
    sources = head.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise error("record.sources", "must be a list of claim ids")
    game = head.get("game", "")
    if not isinstance(game, str):
        raise error("record.game", "must be the path of the game file, relative to the record")
    return Record(file, title, tuple(moves), str(description), tuple(sources), tuple(lines), game)


def is_record(path: str | Path) -> bool:
    """Whether ``path`` is a record file (a .toml file with a ``[record]`` table or ``[[moves]]``)."""
    path = Path(path)
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        text = read_text(path)
        if not may_have_top_level(text, ("record", "moves")):
            return False
        data = parse_toml(text)
    except InputError:
        return False
    return isinstance(data.get("record"), dict) or (isinstance(data.get("moves"), list) and "game" not in data)


def check_sources(record: Record, claims: Iterable[str]) -> None:
    """Raise a located `RecordError` for the first claim id the record cites that ``claims`` lacks."""
    known = frozenset(claims)
    cited = [("record.sources", s) for s in record.sources]
    cited += [(f"{m.path}.sources", s) for m in record.moves for s in m.sources]
    for where, cid in cited:
        if cid not in known:
            raise _error(record, where, f"unknown claim {cid!r}: not in the claims catalogue")


# ---------------------------------------------------------------------------------
# The record on the tree
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trace:
    """A record laid on a game's tree: the nodes on paths that keep to it.

    ``nodes`` are the kept nodes, breadth-first (the root first);
    ``up[i]`` is the position in ``nodes`` of node ``i``'s parent; ``move[i]``
    the record move made at node ``i`` (-1 where none is); ``complete[i]``
    whether node ``i`` is a terminal below every recorded move.
    ``places[j]`` are the nodes where move ``j`` is made.
    """

    game: Game
    record: Record
    nodes: npt.NDArray[np.int64]
    up: npt.NDArray[np.int64]
    move: npt.NDArray[np.int64]
    complete: npt.NDArray[np.bool_]
    places: tuple[tuple[int, ...], ...]
    stages: tuple[str, ...] = ()
    """The stage of each move ('' in a plain game)."""

    @property
    def decisions(self) -> tuple[int, ...]:
        """The recorded moves that players made (not chance)."""
        game = self.game
        return tuple(
            j for j, where in enumerate(self.places) if game.kind[where[0]] == NodeKind.DECISION
        )

    def depth_groups(self) -> list[npt.NDArray[np.int64]]:
        """Positions in ``nodes`` grouped by depth, root excluded (for level-wise passes)."""
        depth = self.game.depth[self.nodes]
        bounds = np.flatnonzero(np.diff(depth)) + 1
        return [part for part in np.split(np.arange(len(self.nodes)), bounds)][1:]


def _matcher(game: Game, record: Record) -> list[frozenset[int]]:
    """For each move, the nodes of the game that are its place (wherever they are)."""
    campaign = campaign_of(game)
    out = []
    for m in record.moves:
        if campaign is None:
            out.append(_plain_places(game, m, record))
        else:
            out.append(_campaign_places(campaign, m, record))
    return out


def _error(record: Record, where: str, message: str) -> RecordError:
    return RecordError(record.file, where, message, locate(record.lines, where))


def _check_action(game: Game, nodes: Sequence[int], m: RecordMove, record: Record) -> None:
    first = nodes[0]
    actions = [game.action_label[c] for c in game.children_of(first)]
    if m.action not in actions:
        raise _error(record, f"{m.path}.action", f"no action {m.action!r} at {m.place} (actions: {', '.join(actions)})")


def _plain_places(game: Game, m: RecordMove, record: Record) -> frozenset[int]:
    if m.stage is not None:
        raise _error(record, f"{m.path}.stage", "the game is not a campaign: it has no stages")
    if m.infoset is not None:
        if m.infoset not in game.infosets:
            known = ", ".join(list(game.infosets)[:20])
            raise _error(record, f"{m.path}.infoset", f"no information set {m.infoset!r} (known: {known})")
        nodes = game.infosets[m.infoset].members
    else:
        try:
            node = game.node(m.node or "").index
        except KeyError:
            raise _error(record, f"{m.path}.node", f"no node {m.node!r} in the game") from None
        if game.kind[node] == NodeKind.TERMINAL:
            raise _error(record, f"{m.path}.node", f"{m.node!r} is a terminal: nothing is chosen there")
        nodes = (node,)
    _check_action(game, nodes, m, record)
    return frozenset(nodes)


def _campaign_places(campaign: Campaign, m: RecordMove, record: Record) -> frozenset[int]:
    if m.stage is None:
        raise _error(record, f"{m.path}.stage", f"missing: the stage of the move (stages: {', '.join(campaign.stages)})")
    stage = campaign.stages.get(m.stage)
    if stage is None:
        raise _error(record, f"{m.path}.stage", f"no stage {m.stage!r} (stages: {', '.join(campaign.stages)})")
    g = stage.game
    if m.infoset is not None:
        if m.infoset not in g.infosets:
            known = ", ".join(list(g.infosets)[:20]) or "none: a chance stage; name its node"
            raise _error(record, f"{m.path}.infoset", f"stage {m.stage!r} has no information set {m.infoset!r} (known: {known})")
        local = set(g.infosets[m.infoset].members)
    else:
        try:
            node = g.node(m.node or "").index
        except KeyError:
            raise _error(record, f"{m.path}.node", f"stage {m.stage!r} has no node {m.node!r}") from None
        if g.kind[node] == NodeKind.TERMINAL:
            raise _error(record, f"{m.path}.node", f"{m.node!r} is a terminal of stage {m.stage!r}: nothing is chosen there")
        local = {node}
    _check_action(g, sorted(local), m, record)
    game = campaign.game
    instances = np.array([campaign.instances[k].stage == m.stage for k in range(len(campaign.instances))])
    hit = instances[campaign.node_instance] & np.isin(campaign.node_local, sorted(local))
    hit &= game.kind != NodeKind.TERMINAL
    return frozenset(np.flatnonzero(hit).tolist())


def trace(game: Game, record: Record) -> Trace:
    """Lay a record on a game (a spliced campaign or a plain game).

    Raises
    ------
    RecordError
        For a move that names no stage, information set, node or action of
        the game, or one that cannot be reached after the moves before it.
    """
    places = _matcher(game, record)
    k = len(record.moves)
    nodes = [0]
    up = [-1]
    ptr = [0]
    move = []
    complete = []
    found: list[list[int]] = [[] for _ in range(k)]
    i = 0
    while i < len(nodes):
        n = nodes[i]
        j = ptr[i]
        here = j < k and n in places[j]
        move.append(j if here else -1)
        complete.append(bool(game.kind[n] == NodeKind.TERMINAL and j == k))
        if here:
            found[j].append(n)
        for c in game.children_of(n):
            if here and game.action_label[c] != record.moves[j].action:
                continue
            nodes.append(c)
            up.append(i)
            ptr.append(j + 1 if here else j)
        i += 1
    for j, where in enumerate(found):
        if not where:
            m = record.moves[j]
            after = f" after {record.moves[j - 1].place}={record.moves[j - 1].action}" if j else ""
            raise _error(record, m.path, f"{m.place} cannot be reached{after}: no path of the game takes the moves before it in order")
    # Breadth-first order of the kept nodes is the order they were visited in,
    # except that the walk above appends children of a level in parent order,
    # which is breadth-first already.
    campaign = campaign_of(game)
    stages = tuple(m.stage or "" for m in record.moves) if campaign is not None else ("",) * k
    order = np.argsort(game.depth[np.array(nodes)], kind="stable")
    position = np.empty(len(nodes), dtype=np.int64)
    position[order] = np.arange(len(nodes))
    up_arr = np.array(up, dtype=np.int64)
    new_up = np.where(up_arr >= 0, position[np.maximum(up_arr, 0)], -1)
    return Trace(
        game=game,
        record=record,
        nodes=np.array(nodes, dtype=np.int64)[order],
        up=new_up[order],
        move=np.array(move, dtype=np.int64)[order],
        complete=np.array(complete, dtype=bool)[order],
        places=tuple(tuple(w) for w in found),
        stages=stages,
    )


def record_probability(t: Trace, edge: npt.NDArray[Any], scored: Sequence[int]) -> Any:
    """The probability that the moves ``scored`` are reproduced, the rest of the record given.

    ``edge[i]`` (or ``edge[i, s]`` for samples ``s``) is the probability, under
    a profile, of the edge into ``t.nodes[i]``: a mover's probability of the
    action, or the chance probability. Recorded moves not in ``scored`` and
    recorded chance moves are taken with probability 1. Exact (``Fraction``)
    weights give an exact answer.
    """
    want = np.zeros(len(t.record.moves) + 1, dtype=bool)
    want[list(scored)] = True
    parent_move = np.where(t.up >= 0, t.move[np.maximum(t.up, 0)], -1)
    forced = (parent_move >= 0) & ~want[parent_move]
    forced[0] = True
    factor = edge.copy()
    factor[forced] = 1
    weight = factor.copy()
    for group in t.depth_groups():
        weight[group] = weight[t.up[group]] * factor[group]
    return weight[t.complete].sum(axis=0)


# ---------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoveScore:
    """One recorded move against the equilibrium at the profile's values.

    ``probability`` is the probability that the equilibrium takes the
    recorded action there, the rest of the record given (1 or 0 for a pure
    equilibrium); None for a chance move. ``chosen`` is what the equilibrium
    does at the move's place when it does not reproduce it (None when it
    does, or mixes).
    """

    move: RecordMove
    nodes: tuple[str, ...]
    chance: bool
    probability: Number | None
    chosen: str | None = None
    monte_carlo: float | None = None
    impossible: bool = False
    """A chance move whose recorded outcome has probability 0 at these values (at every
    place it can be made): the record cannot happen here, and the moves after it are
    scored as if it had."""


@dataclass(frozen=True)
class ParameterEffect:
    """How one parameter changes whether the equilibrium reproduces the record.

    ``nearest`` is the value nearest the profile's at which the equilibrium
    reproduces it (the profile's own when it already does; None when no value
    in the range does), ``distance`` that change as a share of the range;
    ``share`` the share of an even grid over the range at which it does;
    ``spread`` how much the probability of the record moves over the range
    (largest minus smallest).
    """

    name: str
    value: float
    low: float
    high: float
    nearest: float | None
    distance: float | None
    share: float
    spread: float


@dataclass(frozen=True)
class QuantalScore:
    """The record's likelihood under logit QRE at ``lam`` (payoff units)."""

    lam: float
    fitted: bool
    likelihood: float
    by_stage: Mapping[str, float]

    @property
    def log_likelihood(self) -> float:
        return math.log(self.likelihood) if self.likelihood > 0 else -math.inf


@dataclass(frozen=True)
class RecordScore:
    """A record scored against a profile (:func:`score_record`)."""

    game: Game
    record: Record
    leader: Leader | None
    parameters: Mapping[str, Fraction]
    method: str
    moves: tuple[MoveScore, ...]
    joint: Number
    by_stage: Mapping[str, Number]
    samples: int = 0
    seed: int = 0
    joint_mc: float | None = None
    by_stage_mc: Mapping[str, float] = field(default_factory=dict)
    #: The 95% interval of each Monte Carlo mean: "" for the joint one, else by stage.
    intervals_mc: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    effects: tuple[ParameterEffect, ...] = ()
    quantal: QuantalScore | None = None

    @property
    def reproduced(self) -> bool:
        return bool(self.joint == 1) if isinstance(self.joint, Fraction) else float(self.joint) >= REPRODUCED


def _stage_sets(t: Trace) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for j in t.decisions:
        out.setdefault(t.stages[j], []).append(j)
    return out


def _edges_of_profile(t: Trace, game: Game, values: Mapping[str, Number], probabilities: Sequence[Number], exact: bool) -> npt.NDArray[Any]:
    from policy.solvers.verify import edge_weights

    numbers = game.numbers(values, exact=exact)
    return np.asarray(edge_weights(game, numbers, probabilities))[t.nodes]


def _scores(t: Trace, edge: npt.NDArray[Any]) -> tuple[Any, dict[str, Any], list[Any]]:
    joint = record_probability(t, edge, t.decisions)
    stages = {s: record_probability(t, edge, js) for s, js in _stage_sets(t).items()}
    per_move = [record_probability(t, edge, [j]) if j in t.decisions else None for j in range(len(t.places))]
    return joint, stages, per_move


class _SampleSolver:
    """The record's scores for many samples at once: block by block (the batch solver's
    blocks where it takes the game), in worker processes where asked."""

    def __init__(self, t: Trace, method: str) -> None:
        from policy.analysis.sweep import batchable

        self.t = t
        game = t.game
        self.method = method
        self.batch = None
        if batchable(game, method):
            from policy.analysis.sweep import _compiled

            self.batch = _compiled(game)
        if self.batch is not None:
            column = np.full(game.num_nodes, -1, dtype=np.int64)
            column[self.batch.decision_nodes] = np.arange(len(self.batch.decision_nodes))
            self.column = column
        parents = game.parent[t.nodes[1:]]
        self.kids = t.nodes[1:]
        self.parents = parents
        self.chance_edges = np.flatnonzero(game.kind[parents] == NodeKind.CHANCE) + 1
        exprs = [game.chance_probability[int(t.nodes[i])] for i in self.chance_edges]
        self.chance_function = compile_batch(exprs, sorted(game.parameters)) if exprs else None  # type: ignore[arg-type]

    def scores(self, samples: Mapping[str, Any], n: int, jobs: int | None = 1,
               joint_only: bool = False) -> tuple[Any, dict[str, Any], list[Any]]:
        """:func:`_scores` of ``n`` samples (each parameter an array of ``n``, or one value),
        block by block; ``joint_only``: the joint probability alone (the others empty).

        ``jobs``: worker processes (None: as a batched sweep's default, one per
        CPU for a long batched run, else 1). The blocks, and so the answers, are
        the same whatever the number.
        """
        from policy.analysis.sweep import (
            NASH_BLOCK,
            _batch_block_size,
            _batch_jobs,
            blocks,
            can_fork,
        )

        arrays = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for k, v in samples.items()}
        size = _batch_block_size(self.t.game) if self.batch is not None else NASH_BLOCK
        spans = list(blocks(n, size))
        if self.batch is not None:
            count = _batch_jobs(jobs, self.t.game, n, len(spans))
        else:
            count = max(1, min(jobs or 1, len(spans)))
        if not can_fork():
            count = 1  # a worker could not inherit the compiled game and the trace
        if count == 1:
            parts = [self._block(arrays, start, stop, joint_only) for start, stop in spans]
        else:
            parts = self._in_workers(arrays, spans, joint_only, count)
        if not parts:
            return np.zeros(0), {}, []
        joint = np.concatenate([p[0] for p in parts])
        stages = {s: np.concatenate([p[1][s] for p in parts]) for s in parts[0][1]}
        per_move = [None if m is None else np.concatenate([p[2][j] for p in parts])
                    for j, m in enumerate(parts[0][2])]
        return joint, stages, per_move

    def _block(self, arrays: Mapping[str, Any], start: int, stop: int,
               joint_only: bool) -> tuple[Any, dict[str, Any], list[Any]]:
        edge = self.edges({k: v[start:stop] for k, v in arrays.items()}, stop - start)
        if joint_only:
            return np.asarray(record_probability(self.t, edge, self.t.decisions), dtype=np.float64), {}, []
        return _scores(self.t, edge)

    def _in_workers(self, arrays: Mapping[str, Any], spans: Sequence[tuple[int, int]], joint_only: bool,
                    count: int) -> list[tuple[Any, dict[str, Any], list[Any]]]:
        from policy.analysis.sweep import _stop_workers, forked_pool

        pool = forked_pool(self.t.game, count, _start_worker, (self, arrays, joint_only))
        finished = False
        try:
            futures = [pool.submit(_worker_block, start, stop) for start, stop in spans]
            out = [f.result() for f in futures]
            finished = True
            return out
        except BaseException:
            _stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=finished, cancel_futures=True)

    def edges(self, samples: Mapping[str, npt.NDArray[np.float64]], n: int) -> npt.NDArray[np.float64]:
        t, game = self.t, self.t.game
        edge = np.ones((len(t.nodes), n))
        if self.chance_function is not None:
            edge[self.chance_edges] = np.broadcast_to(self.chance_function(samples), (len(self.chance_edges), n))
        decided = np.flatnonzero(game.kind[self.parents] == NodeKind.DECISION)
        if not decided.size:
            return edge
        kids, parents = self.kids[decided], self.parents[decided]
        position = kids - game.first_child[parents]
        if self.batch is not None:
            result = self.batch.solve(samples)
            chosen = result.choice[:, self.column[parents]].T  # (edges, N)
            edge[decided + 1] = (chosen == position[:, None]).astype(np.float64)
            if result.mixed_row is not None and result.behavior is not None:
                # Inside subgames of imperfect information: the behaviour, possibly mixed.
                rows = result.mixed_row[self.column[parents]]
                inside = np.flatnonzero(rows >= 0)
                edge[decided[inside] + 1] = result.behavior[:, rows[inside] + position[inside]].T
            return edge
        from policy.solvers import solve

        for s in range(n):
            values = {k: float(v if np.ndim(v) == 0 else v[s]) for k, v in samples.items()}
            eq = solve(game, values, method=self.method, exact=False).equilibria[0]
            probs = np.asarray(eq.probabilities, dtype=np.float64)
            offsets = game.infoset_offsets[game.infoset[parents]]
            edge[decided + 1, s] = probs[offsets + position]
        return edge


#: In a worker process of a record's Monte Carlo: the solver, the samples and what to score.
_WORKER: dict[str, Any] = {}


def _start_worker(solver: _SampleSolver, arrays: Mapping[str, Any], joint_only: bool) -> None:
    """Set up a worker; it ignores Ctrl-C (the terminal sends it to the whole process group,
    and the main process decides what stops)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(solver=solver, arrays=arrays, joint_only=joint_only)


def _worker_block(start: int, stop: int) -> tuple[Any, dict[str, Any], list[Any]]:
    w = _WORKER
    return w["solver"]._block(w["arrays"], start, stop, w["joint_only"])


def score_record(
    game: Game,
    record: Record,
    values: Mapping[str, Fraction],
    leader: Leader | None = None,
    method: str = "auto",
    samples: int = 0,
    seed: int = 0,
    lam: float | str | None = None,
    effects: bool = True,
    jobs: int | None = None,
) -> RecordScore:
    """Score a record against a profile: equilibrium, Monte Carlo, parameters, QRE.

    Parameters
    ----------
    values
        The parameter values (the profile's, with overrides).
    leader
        The profile, whose declared uncertainty ``samples`` draws from.
    method
        The solver for the equilibrium (``auto``: spe when it applies).
    samples, seed
        Monte Carlo draws (0: none); needs ``leader``.
    lam
        A precision for the logit QRE likelihood, or ``"fit"`` for the one
        that makes the record most likely; None for none.
    effects
        Whether to compute each parameter's distance and share.
    jobs
        Worker processes for the Monte Carlo and the parameters' grids (None:
        as ``policy sweep``'s default, one per CPU when the batch solver has
        a long run, else 1). The answers do not depend on it.
    """
    from policy.solvers import solve

    t = trace(game, record)
    result = solve(game, values, method=method)
    eq = result.equilibria[0]
    edge = _edges_of_profile(t, game, values, eq.probabilities, result.exact)
    joint, stages, per_move = _scores(t, edge)
    behavior = eq.behavior
    moves = []
    numbers = game.numbers(values, exact=result.exact)
    for j, m in enumerate(record.moves):
        where = t.places[j]
        names = tuple(game.node_names[n] for n in where)
        if j not in t.decisions:
            odds = [numbers.edge_prob[c] for n in where for c in game.children_of(n)
                    if game.action_label[c] == m.action]
            moves.append(MoveScore(m, names, True, None, impossible=bool(odds) and not any(odds)))
            continue
        chosen = None
        p = per_move[j]
        if p != 1:
            picks = {behavior[game.infosets.at(int(game.infoset[n])).name].get(m.action) for n in where}
            others = [
                a for n in where
                for a, q in behavior[game.infosets.at(int(game.infoset[n])).name].items() if q == 1
            ]
            chosen = others[0] if others and len(set(others)) == 1 and picks else None
        moves.append(MoveScore(m, names, False, p, chosen))
    score = RecordScore(
        game=game, record=record, leader=leader, parameters=dict(values), method=result.method,
        moves=tuple(moves), joint=joint, by_stage=stages,
    )
    solver = None
    if samples:
        if leader is None:
            from policy.analysis.errors import SweepError

            raise SweepError("--samples draws from a leader's declared uncertainty: give --leader")
        from policy.analysis.sweep import monte_carlo_samples

        solver = _SampleSolver(t, method)
        drawn = monte_carlo_samples(game, leader, values, samples, seed)
        j_mc, s_mc, m_mc = solver.scores(drawn, samples, jobs)
        score = _replace(
            score,
            samples=samples,
            seed=seed,
            joint_mc=float(np.mean(j_mc)),
            by_stage_mc={s: float(np.mean(v)) for s, v in s_mc.items()},
            intervals_mc={s: _interval_of(v) for s, v in {"": j_mc, **s_mc}.items()},
            moves=tuple(
                MoveScore(ms.move, ms.nodes, ms.chance, ms.probability, ms.chosen,
                          None if m_mc[j] is None else float(np.mean(m_mc[j])))
                for j, ms in enumerate(score.moves)
            ),
        )
    if effects:
        solver = solver or _SampleSolver(t, method)
        score = _replace(score, effects=tuple(_effects(t, solver, values, leader, jobs)))
    if lam is not None:
        score = _replace(score, quantal=_quantal(t, game, values, lam))
    return score


def _replace(score: RecordScore, **changes: Any) -> RecordScore:
    from dataclasses import replace

    return replace(score, **changes)


def _effects(
    t: Trace, solver: _SampleSolver, values: Mapping[str, Fraction], leader: Leader | None, jobs: int | None = 1,
) -> list[ParameterEffect]:
    """For each parameter with a range: nearest reproducing value, share of range, spread.

    Every parameter's grid is solved in one batch, and the bisections towards
    the nearest reproducing values advance side by side, one batch per step
    (each sample moves one parameter): a handful of batch calls in all, not
    some thirty per parameter. Each sample is the same point as when the
    parameters went one at a time, so the answers are the same.
    """
    game = t.game
    base = {k: float(v) for k, v in values.items()}
    ranged: list[tuple[str, float, float]] = []
    for name in sorted(game.used_parameters()):
        declared = game.parameters.get(name)
        lv = leader.values.get(name) if leader is not None else None
        rng = lv.range if lv is not None and lv.range is not None else (declared.range if declared else None)
        if rng is None or rng[0] == rng[1]:
            continue
        ranged.append((name, float(rng[0]), float(rng[1])))
    if not ranged:
        return []

    def moved(names: list[str], points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The record's probability at ``base`` with ``names[i]`` moved to ``points[i]``, sample ``i``."""
        n = len(names)
        samples = {k: np.full(n, v) for k, v in base.items()}
        for name in set(names):
            rows = np.array([k for k, x in enumerate(names) if x == name])
            samples[name][rows] = points[rows]
        return _joint(solver, samples, n, jobs)

    grids = [np.linspace(low, high, GRID) for _, low, high in ranged]
    probs_all = moved([name for name, _, _ in ranged for _ in range(GRID)], np.concatenate(grids))
    # The leader's own point is the same for every parameter.
    at_here = bool(_joint(solver, {k: np.array([v]) for k, v in base.items()}, 1, 1)[0] >= REPRODUCED)
    nearest: dict[str, float | None] = {}
    inside: dict[str, float] = {}
    outside: dict[str, float] = {}
    for i, (name, _, _) in enumerate(ranged):
        probs, grid = probs_all[i * GRID:(i + 1) * GRID], grids[i]
        ok = probs >= REPRODUCED
        here = base[name]
        if at_here:
            nearest[name] = here
        elif not ok.any():
            nearest[name] = None
        else:
            k = int(np.argmin(np.where(ok, np.abs(grid - here), np.inf)))
            inside[name], outside[name] = float(grid[k]), here
    searching = sorted(inside)
    for _ in range(BISECT if searching else 0):
        mids = np.array([(inside[name] + outside[name]) / 2 for name in searching])
        good = moved(searching, mids) >= REPRODUCED
        for name, mid, g in zip(searching, mids.tolist(), good.tolist(), strict=True):
            if g:
                inside[name] = mid
            else:
                outside[name] = mid
    for name in searching:
        nearest[name] = float(inside[name])
    out = []
    for i, (name, low, high) in enumerate(ranged):
        probs = probs_all[i * GRID:(i + 1) * GRID]
        here = base[name]
        near = nearest[name]
        distance = None if near is None else abs(near - here) / (high - low)
        out.append(ParameterEffect(name, here, low, high, near, distance, float((probs >= REPRODUCED).mean()),
                                   _spread(probs)))
    out.sort(key=lambda e: (-e.spread, e.distance if e.distance is not None else math.inf, e.name))
    return out


def _spread(probs: npt.NDArray[np.float64]) -> float:
    """How much a probability moves over a grid; rounding noise (a few ulps of 1) counts as none."""
    spread = float(probs.max() - probs.min())
    return 0.0 if spread < SPREAD_NOISE else spread


def _interval_of(values: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The 95% interval of the mean of ``values`` (each draw's probability), clipped to [0, 1]."""
    from policy.analysis.sweep import _with_interval

    _, low, high = _with_interval({"": np.asarray(values, dtype=np.float64)})[""]
    return (low, high)


def _joint(solver: _SampleSolver, samples: Mapping[str, Any], n: int, jobs: int | None) -> npt.NDArray[np.float64]:
    return np.asarray(solver.scores(samples, n, jobs, joint_only=True)[0], dtype=np.float64)


def _quantal(t: Trace, game: Game, values: Mapping[str, Fraction], lam: float | str) -> QuantalScore:
    """The record's likelihood under logit QRE at ``lam``, or at the best lambda when ``lam == "fit"``."""
    from policy.solvers import solve

    def at(x: float) -> tuple[float, dict[str, float]]:
        eq = solve(game, values, method="logit", lam=x).equilibria[0]
        edge = _edges_of_profile(t, game, values, eq.probabilities, exact=False)
        joint = float(record_probability(t, edge, t.decisions))
        stages = {s: float(record_probability(t, edge, js)) for s, js in _stage_sets(t).items()}
        return joint, stages

    if lam != "fit":
        joint, stages = at(float(lam))
        return QuantalScore(float(lam), False, joint, stages)
    tried = {x: at(x)[0] for x in LAMBDA_GRID}
    best = max(tried, key=lambda x: (tried[x], -x))
    # Golden-section search on log(lambda) between the best grid point's neighbours.
    k = LAMBDA_GRID.index(best)
    lo = math.log(LAMBDA_GRID[max(k - 1, 0)])
    hi = math.log(LAMBDA_GRID[min(k + 1, len(LAMBDA_GRID) - 1)])
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = at(math.exp(a))[0], at(math.exp(b))[0]
    for _ in range(20):
        if fa >= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = at(math.exp(a))[0]
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = at(math.exp(b))[0]
    x = math.exp((lo + hi) / 2)
    joint, stages = at(x)
    if tried[best] > joint:
        x = best
        joint, stages = at(x)
    return QuantalScore(x, True, joint, stages)
