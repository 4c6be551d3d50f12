"""Backward induction for many parameter samples at once.

A game is compiled once: its distinct expressions become one numpy function
(:func:`policy.expr.compile_batch`) and its breadth-first arrays are reused.
:meth:`BatchGame.solve` then evaluates N samples of the parameters together and
runs the induction of :mod:`policy.solvers.backward` with a sample axis added:
each level of the tree is a handful of ``reduceat`` calls over an array of
shape (children, samples), whatever the number of samples.

Floats only: a sweep asks where the answer changes, and a tie (a mover
indifferent between best actions, within :data:`policy.tolerances.TIE` relative
to the magnitude of the values compared, for that mover and that sample: the
largest expected absolute payoff among the children, as
:mod:`policy.tolerances` defines it) is reported per sample rather than
resolved exactly. Magnitudes travel beside the values (extra columns of the
same array). The first best action is
taken, as :func:`policy.solvers.backward.spe_solve` does, so a sample without
ties gets the same equilibrium from both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.expr import compile_batch
from policy.model import Game, GameError, NodeKind
from policy.solvers.backward import require_perfect_information

#: Most samples solved per block.
CHUNK = 1 << 15

#: Blocks are also kept to about this many node x player x sample values (400 MB of
#: floats), so that a big tree (a spliced campaign) is solved in blocks that fit in
#: memory and caches rather than in one block of gigabytes.
BLOCK_VALUES = 50_000_000


@dataclass(frozen=True)
class BatchResult:
    """The subgame-perfect equilibrium of each of N samples.

    Attributes
    ----------
    game
        The game solved.
    decision_nodes
        The decision nodes, breadth-first: the columns of ``choice`` and ``tie``.
    choice
        (N, decision nodes): the position, among the node's actions, of the
        action taken at each decision node (on the path or not).
    tie
        (N, decision nodes): whether the mover was indifferent there.
    payoffs
        (N, players): expected payoffs at the root.
    outcome_probability
        (N, terminals): probability of reaching each terminal node.
    """

    game: Game
    decision_nodes: npt.NDArray[np.int64]
    choice: npt.NDArray[np.int16]
    tie: npt.NDArray[np.bool_]
    payoffs: npt.NDArray[np.float64]
    outcome_probability: npt.NDArray[np.float64]
    decision_reach: npt.NDArray[np.float64]
    """(N, decision nodes): probability of reaching each decision node."""

    @property
    def size(self) -> int:
        """The number of samples."""
        return int(self.choice.shape[0])

    def on_path(self) -> npt.NDArray[np.bool_]:
        """(N, decision nodes): whether each decision node is reached with positive probability."""
        return np.asarray(self.decision_reach > 0)

    def path_choices(self) -> npt.NDArray[np.int16]:
        """``choice`` with -1 at decision nodes off the equilibrium path.

        Two samples have the same equilibrium path exactly when their rows are equal.
        """
        return np.where(self.on_path(), self.choice, np.int16(-1)).astype(np.int16)

    def any_tie_on_path(self) -> npt.NDArray[np.bool_]:
        """(N,): whether a mover on the equilibrium path is indifferent."""
        return np.asarray((self.tie & self.on_path()).any(axis=1))


class BatchGame:
    """A perfect-information game compiled for solving many samples.

    Parameters
    ----------
    game
        A game in which every information set is a single node.

    Raises
    ------
    SolverError
        If the game has an information set with several members.
    """

    def __init__(self, game: Game) -> None:
        require_perfect_information(game)
        self.game = game
        table = game._expression_table()
        self._table = table
        self._function = compile_batch(table.exprs, sorted(game.parameters))
        self.decision_nodes = np.flatnonzero(game.kind == NodeKind.DECISION).astype(np.int64)
        column = np.full(game.num_nodes, -1, dtype=np.int64)
        column[self.decision_nodes] = np.arange(len(self.decision_nodes))
        self._column = column
        self._interior = _InteriorOutcomes(game, table.outcome_nodes) if table.interior_outcomes else None

    def solve(self, samples: Mapping[str, Any], chunk: int | None = None) -> BatchResult:
        """Solve the game at every sample.

        Parameters
        ----------
        samples
            Parameter name to a 1-d array of N values or a scalar (scalars
            broadcast). Every parameter the game uses needs a value.
        chunk
            Samples per block; by default :data:`CHUNK`, fewer for big trees
            (see :data:`BLOCK_VALUES`).

        Raises
        ------
        GameError
            When a chance probability is outside [0, 1] or a node's do not sum
            to 1 at some sample, or a payoff is not finite; the message names
            the first such sample and the place in the game.
        """
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in samples.items()}
        n = _sample_count(arrays)
        if chunk is None:
            size = self.game.num_nodes * max(1, len(self.game.players))
            chunk = max(256, min(CHUNK, BLOCK_VALUES // size))
        parts = []
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            block = {k: (v if v.ndim == 0 else v[start:stop]) for k, v in arrays.items()}
            parts.append(self._solve_block(block, stop - start, start))
        game = self.game
        if not parts:
            players, nd, nt = len(game.players), len(self.decision_nodes), len(game.terminals)
            return BatchResult(
                game, self.decision_nodes, np.zeros((0, nd), np.int16), np.zeros((0, nd), bool),
                np.zeros((0, players)), np.zeros((0, nt)), np.zeros((0, nd)),
            )
        return BatchResult(
            game=game,
            decision_nodes=self.decision_nodes,
            choice=np.concatenate([p[0] for p in parts]),
            tie=np.concatenate([p[1] for p in parts]),
            payoffs=np.concatenate([p[2] for p in parts]),
            outcome_probability=np.concatenate([p[3] for p in parts]),
            decision_reach=np.concatenate([p[4] for p in parts]),
        )

    # -- one block -------------------------------------------------------------------
    def _numbers(
        self, block: Mapping[str, npt.NDArray[np.float64]], n: int, offset: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Edge probabilities (nodes, N) and terminal payoffs (terminals, N, players)."""
        game, table = self.game, self._table
        try:
            vals = np.broadcast_to(self._function(block), (len(table.exprs), n))
        except Exception as err:  # a missing value or a bad shape
            raise game.error(str(err), "parameters") from None
        players = len(game.players)
        own = vals[table.payoff_index]  # (outcome nodes, players, N)
        if self._interior is not None:
            # Summed in this layout, contiguous over the samples, and turned once at the end.
            leaf = np.moveaxis(self._interior.leaf_payoffs(own, table.terminal_rows), 2, 1)
        else:
            own = np.moveaxis(own, 2, 1)  # (outcome nodes, N, players)
            leaf = np.zeros((len(game.terminals), n, players))
            has = table.terminal_rows >= 0
            leaf[has] = own[table.terminal_rows[has]]
        prob = np.ones((game.num_nodes, n))
        if len(table.chance_edges):
            p = vals[table.chance_index]
            bad = ~((p >= 0) & (p <= 1))
            if bad.any():
                edge, sample = (int(x) for x in np.argwhere(bad)[0])
                c = int(table.chance_edges[edge])
                raise game.error(
                    f"at sample {offset + sample}, the probability of {game.action_label[c]!r} "
                    f"is {p[edge, sample]:.6g}, outside [0, 1]",
                    f"{game.location(int(game.parent[c]))}.probabilities.{game.action_label[c]}",
                )
            totals = np.add.reduceat(p, table.chance_starts, axis=0)
            wrong = np.abs(totals - 1) > tolerances.PROBABILITY
            if wrong.any():
                k, sample = (int(x) for x in np.argwhere(wrong)[0])
                node = int(game.parent[table.chance_edges[table.chance_starts[k]]])
                raise game.error(
                    f"at sample {offset + sample}, probabilities sum to {totals[k, sample]:.6g}, not 1",
                    f"{game.location(node)}.probabilities",
                )
            prob[table.chance_edges] = p
        if not np.isfinite(leaf).all():
            t, sample = (int(x) for x in np.argwhere(~np.isfinite(leaf))[0][:2])
            raise game.error(
                f"at sample {offset + sample}, a payoff is not a finite number",
                f"{game.location(int(game.terminals[t]))}.payoffs",
            )
        return prob, leaf

    def _solve_block(
        self, block: Mapping[str, npt.NDArray[np.float64]], n: int, offset: int
    ) -> tuple[Any, Any, Any, Any, Any]:
        game = self.game
        with np.errstate(all="ignore"):  # non-finite numbers become errors in _numbers
            prob, leaf = self._numbers(block, n, offset)
        players = len(game.players)
        # Columns players.. hold each value's magnitude (expected |payoff|).
        values = np.zeros((game.num_nodes, n, 2 * players))
        values[game.terminals, :, :players] = leaf
        values[game.terminals, :, players:] = np.abs(leaf)
        chosen = np.full((game.num_nodes, n), -1, dtype=np.int64)
        tie = np.zeros((len(self.decision_nodes), n), dtype=bool)
        samples = np.arange(n)
        levels = game.levels
        for inner, cstart, cstop in game.levels_bottom_up():
            counts = game.num_children[inner].astype(np.int64)
            offsets = game.first_child[inner] - cstart
            is_chance = game.kind[inner] == NodeKind.CHANCE
            if is_chance.any():
                kids = np.flatnonzero(np.repeat(is_chance, counts)) + cstart
                starts = np.cumsum(counts[is_chance]) - counts[is_chance]
                weighted = prob[kids, :, None] * values[kids]
                values[inner[is_chance]] = np.add.reduceat(weighted, starts, axis=0)
            decide = ~is_chance
            if not decide.any():
                continue
            width = cstop - cstart
            mover = np.where(is_chance, 0, game.player[inner])
            kid_mover = np.repeat(mover, counts)
            own = values[cstart:cstop][np.arange(width), :, kid_mover]  # (width, N)
            best = np.maximum.reduceat(own, offsets, axis=0)
            best_per_kid = np.repeat(best, counts, axis=0)
            size = values[cstart:cstop][np.arange(width), :, players + kid_mover]  # (width, N)
            tol = tolerances.tolerance(tolerances.TIE, np.maximum.reduceat(size, offsets, axis=0))
            is_best = own >= best_per_kid - np.repeat(tol, counts, axis=0)
            position = np.arange(width, dtype=np.int64)[:, None]
            first = np.minimum.reduceat(np.where(is_best, position, width), offsets, axis=0)
            n_best = np.add.reduceat(is_best.astype(np.int64), offsets, axis=0)
            pick = first[decide] + cstart  # (deciders, N) child node index
            deciders = inner[decide]
            chosen[deciders] = pick
            values[deciders] = values[pick, samples]
            tie[self._column[deciders]] = n_best[decide] > 1
        # Reach probabilities, top-down.
        reach = np.zeros((game.num_nodes, n))
        reach[0] = 1.0
        for start, stop in levels[1:]:
            parent = game.parent[start:stop]
            kids = np.arange(start, stop)[:, None]
            by_choice = (chosen[parent] == kids).astype(np.float64)
            weight = np.where((game.kind[parent] == NodeKind.CHANCE)[:, None], prob[start:stop], by_choice)
            reach[start:stop] = reach[parent] * weight
        choice = (chosen[self.decision_nodes] - game.first_child[self.decision_nodes][:, None]).astype(np.int16)
        return choice.T, tie.T, values[0, :, :players], reach[game.terminals].T, reach[self.decision_nodes].T


class _InteriorOutcomes:
    """Adds outcomes on interior nodes to the terminals below them, touching only those nodes.

    Only the nodes with an interior outcome are accumulated (each gets its
    own payoffs plus those of its nearest such ancestor), so memory and time
    go with their number, not with the whole tree's: spliced campaigns have
    one at every joint between stages, and a tree of thousands of nodes.
    """

    def __init__(self, game: Game, outcome_nodes: npt.NDArray[np.int64]) -> None:
        n = game.num_nodes
        row = np.full(n, -1, dtype=np.int64)
        row[outcome_nodes] = np.arange(len(outcome_nodes))
        inner = outcome_nodes[game.kind[outcome_nodes] != NodeKind.TERMINAL]
        position = np.full(n, -1, dtype=np.int64)
        position[inner] = np.arange(len(inner))
        # Nearest strict ancestor carrying an interior outcome, as a position in `inner`.
        above = np.full(n, -1, dtype=np.int64)
        for start, stop in game.levels[1:]:
            parent = game.parent[start:stop]
            above[start:stop] = np.where(position[parent] >= 0, position[parent], above[parent])
        self.inner_rows = row[inner]
        self.inner_above = above[inner]
        depth = game.depth[inner]
        bounds = np.flatnonzero(np.diff(depth)) + 1
        self.groups = np.split(np.arange(len(inner)), bounds)
        self.terminal_above = above[game.terminals]

    def leaf_payoffs(
        self, own: npt.NDArray[np.float64], terminal_rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Per terminal, from ``own`` per outcome node (the trailing axes are kept)."""
        # A zero row at the end of `cum` stands for "no such ancestor" (index -1).
        zero = np.zeros((1, *own.shape[1:]))
        cum = np.concatenate([own[self.inner_rows], zero])
        for group in self.groups:
            up = self.inner_above[group]
            has = up >= 0
            if has.any():
                cum[group[has]] += cum[up[has]]
        leaf = own[np.maximum(terminal_rows, 0)]
        missing = terminal_rows < 0
        if missing.any():
            leaf[missing] = 0
        leaf += cum[self.terminal_above]
        return leaf


def _sample_count(arrays: Mapping[str, npt.NDArray[np.float64]]) -> int:
    sizes = {v.shape[0] for v in arrays.values() if v.ndim == 1}
    if any(v.ndim > 1 for v in arrays.values()):
        bad = next(k for k, v in arrays.items() if v.ndim > 1)
        raise GameError(f"{bad}: samples must be a 1-d array or a scalar", "parameters")
    if len(sizes) > 1:
        raise GameError(f"parameter samples differ in length: {sorted(sizes)}", "parameters")
    return sizes.pop() if sizes else 1
