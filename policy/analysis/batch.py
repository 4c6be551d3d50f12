"""Backward induction for many parameter samples at once.

A game is compiled once: its distinct expressions become one numpy function
(:func:`policy.expr.compile_batch`) and its breadth-first arrays are reused.
:meth:`BatchGame.solve` then evaluates N samples of the parameters together and
runs the induction of :mod:`policy.solvers.backward` with a sample axis added:
each step is a handful of ``reduceat`` calls over an array of shape
(children, samples), whatever the number of samples.

The induction runs over classes of identical subtrees
(:func:`policy.subtrees.subtree_classes`), not over nodes: a subtree that
occurs at many places (a campaign's stage played in the same state after
different histories) is solved once, one step per height. A class's values
count the payoffs inside its subtree only, since the outcomes on the path
above it differ between its places; the root's are the game's payoffs. Only
the probability of reaching each node is computed node by node, top-down
(it depends on the node's own path), from the classes' choices.

A game of imperfect information is batched when its information sets of
several members lie in proper subgames where two players move: each such
subgame (a *Nash root*, :mod:`policy.solvers.subgames`) is solved at every
sample by Lemke's method on its sequence form, in lockstep over the samples,
as ``--method spe`` solves it one sample at a time
(:mod:`policy.analysis.batch_subgames`); backward induction runs between them
as above, and the behaviour inside them, possibly mixed, is kept per sample
(``BatchResult.behavior``). Other games are refused with the reason.

Floats only: a sweep asks where the answer changes, and a tie (a mover
indifferent between best actions, within :data:`policy.tolerances.TIE` relative
to the magnitude of the values compared, for that mover and that sample: the
largest expected sum of absolute payoffs among the children's subtrees, as
:mod:`policy.tolerances` defines it) is reported per sample rather than
resolved exactly. Magnitudes travel beside the values (extra columns of the
same array); like the values, a class's magnitudes count its own subtree only,
so a large payoff earned above a subtree does not blur the choices inside it.
The first best action is
taken, as :func:`policy.solvers.backward.spe_solve` does, so a sample without
ties gets the same equilibrium from both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.expr import compile_batch
from policy.model import Game, GameError, NodeKind
from policy.subtrees import SubtreeClasses, subtree_classes

#: Most samples solved per block.
CHUNK = 1 << 15
#: Fewest samples solved per block, however big the tree.
MIN_CHUNK = 32

#: Blocks are also kept to about this many values per array (every node's reach,
#: the classes' values: 16 MB of floats), so that a block's working arrays stay in
#: the caches and are reused from one block to the next rather than asked of the
#: operating system again (fresh memory costs more than the arithmetic here).
BLOCK_VALUES = 2_000_000
#: Samples per block when the game has subgames of imperfect information: the
#: lockstep Lemke runs keep a tableau per sample and run fastest on blocks that
#: stay in the caches.
NASH_CHUNK = 2048
#: The expressions are evaluated for as many samples at once as keep their values
#: to about this many (64 MB of floats).
EVAL_VALUES = 1 << 23
#: Sums of payoffs below this in size are far from overflowing (the float range ends near 2**1024).
SAFE_SUM = 2.0**1000
#: In :meth:`BatchResult.path_columns`, codes from this on are mixed choices (plus the support's bit mask).
MIXED = 1 << 14


@dataclass(frozen=True)
class Reached:
    """Some nodes' probabilities of being reached, sparse: one entry per (sample, node) reached.

    Most nodes of a big tree are off the path of a given sample, so the
    dense (samples, nodes) table would be mostly zeros. Entries are sorted
    by sample, then by ``item`` (a node's position among the terminals or
    the decision nodes); only positive probabilities are kept.
    """

    sample: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]
    probability: npt.NDArray[np.float64]

    def dense(self, n: int, width: int) -> npt.NDArray[np.float64]:
        """The (n, width) table, zeros where nothing is kept."""
        out = np.zeros((n, width))
        out[self.sample, self.item] = self.probability
        return out

    @staticmethod
    def joined(parts: list[Reached]) -> Reached:
        if not parts:
            return Reached(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return Reached(*(np.concatenate([getattr(r, f) for r in parts]) for f in ("sample", "item", "probability")))


@dataclass(frozen=True)
class BatchResult:
    """The subgame-perfect equilibrium of each of N samples.

    Choices are kept once per class of identical subtrees
    (:mod:`policy.subtrees`): every node of a class chooses alike at every
    sample. ``choice`` and ``tie`` spread them over the decision nodes.

    Attributes
    ----------
    game
        The game solved.
    decision_nodes
        The decision nodes, breadth-first: the columns of ``choice`` and ``tie``.
    payoffs
        (N, players): expected payoffs at the root.
    outcome_reach
        The terminals reached with positive probability, sparse: ``(sample,
        terminal position, probability)``, sorted by sample then terminal
        (:attr:`outcome_probability` is the dense table).
    decision_reach_pairs
        The same for the decision nodes (positions in ``decision_nodes``;
        :attr:`decision_reach` is the dense table).
    class_choice
        (N, decision classes): the position, among its actions, of the action
        each class of decision nodes takes.
    class_tie
        (N, decision classes): whether its mover was indifferent.
    decision_class
        (decision nodes,): each decision node's column in ``class_choice``.
    mixed_row
        (decision nodes,): for a decision node inside a proper subgame of
        imperfect information (:mod:`policy.analysis.batch_subgames`), the row
        of its first action in ``behavior``; -1 elsewhere. None for a game of
        perfect information. At such nodes ``choice`` and ``tie`` mean nothing:
        the behaviour may be mixed.
    behavior
        (N, rows): the behaviour probabilities at those nodes (one block of
        rows per class of such subgames), or None.
    resolved
        How many subgames, over all samples, were solved one by one rather
        than in lockstep, by reason (empty when none were).

    The arrays with a sample axis are kept sample-last: their transposes,
    (rows, N), are C-contiguous, which is how the solver makes them and how
    per-node work on them is fastest.
    """

    game: Game
    decision_nodes: npt.NDArray[np.int64]
    payoffs: npt.NDArray[np.float64]
    outcome_reach: Reached
    decision_reach_pairs: Reached
    class_choice: npt.NDArray[np.int16]
    class_tie: npt.NDArray[np.bool_]
    decision_class: npt.NDArray[np.int64]
    mixed_row: npt.NDArray[np.int64] | None = None
    behavior: npt.NDArray[np.float64] | None = None
    resolved: Mapping[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """The number of samples."""
        return int(self.payoffs.shape[0])

    @functools.cached_property
    def outcome_probability(self) -> npt.NDArray[np.float64]:
        """(N, terminals): probability of reaching each terminal node (dense; for small games and tests)."""
        return self.outcome_reach.dense(self.size, len(self.game.terminals))

    @functools.cached_property
    def decision_reach(self) -> npt.NDArray[np.float64]:
        """(N, decision nodes): probability of reaching each decision node (dense)."""
        return self.decision_reach_pairs.dense(self.size, len(self.decision_nodes))

    @functools.cached_property
    def choice(self) -> npt.NDArray[np.int16]:
        """(N, decision nodes): the position, among the node's actions, of the action taken.

        At every decision node, on the path or not.
        """
        return self.class_choice[:, self.decision_class]

    @functools.cached_property
    def tie(self) -> npt.NDArray[np.bool_]:
        """(N, decision nodes): whether the mover was indifferent there."""
        return self.class_tie[:, self.decision_class]

    def on_path(self) -> npt.NDArray[np.bool_]:
        """(N, decision nodes): whether each decision node is reached with positive probability."""
        return self._on_path_columns().T

    def _on_path_columns(self) -> npt.NDArray[np.bool_]:
        """(decision nodes, N): whether each decision node is reached, C-contiguous."""
        out = np.zeros((len(self.decision_nodes), self.size), dtype=bool)
        out[self.decision_reach_pairs.item, self.decision_reach_pairs.sample] = True
        return out

    def path_choices(self) -> npt.NDArray[np.int16]:
        """``choice`` with -1 at decision nodes off the equilibrium path.

        Two samples have the same equilibrium path exactly when their rows are equal.
        """
        return self.path_columns().T

    def path_columns(self) -> npt.NDArray[np.int16]:
        """(decision nodes, N): :meth:`path_choices` transposed, C-contiguous (one row per node).

        At a node of a subgame of imperfect information the entry is the
        action taken with probability 1 if there is one, else :data:`MIXED`
        plus the bit mask of the actions played with positive probability
        (:func:`path_words` writes it as their names, ``a/b``), as
        :func:`policy.analysis.compare.path_text` does.
        """
        # Only the (node, sample) pairs reached are written: most of a big tree is off the path.
        on = self.decision_reach_pairs
        out = np.full((len(self.decision_nodes), self.size), -1, dtype=np.int16)
        out[on.item, on.sample] = self.class_choice[on.sample, self.decision_class[on.item]]
        if self.mixed_row is not None and self.behavior is not None:
            nodes = np.flatnonzero(self.mixed_row >= 0)
            if len(nodes):
                # One code per information set's behaviour (its members share it), then spread.
                starts, where = np.unique(self.mixed_row[nodes], return_inverse=True)
                first = nodes[np.unique(np.ravel(where), return_index=True)[1]]
                widths = self.game.num_children[self.decision_nodes[first]]
                probs = self.behavior.T  # (rows, N)
                code = np.zeros((len(starts), self.size), dtype=np.int16)
                sure = np.full((len(starts), self.size), -1, dtype=np.int16)
                for a in reversed(range(int(widths.max()))):
                    has = np.flatnonzero(a < widths)
                    p = probs[starts[has] + a]
                    code[has] |= ((p > 0).astype(np.int16) << a).astype(np.int16)
                    sure[has] = np.where(p == 1, np.int16(a), sure[has])
                # An action taken with probability 1 names the choice (as path_text does).
                code = np.where(sure >= 0, sure, MIXED + code).astype(np.int16)
                row = np.full(len(self.decision_nodes), -1, dtype=np.int64)
                row[nodes] = np.ravel(where)
                inside = row[on.item] >= 0
                out[on.item[inside], on.sample[inside]] = code[row[on.item[inside]], on.sample[inside]]
        return out

    def any_tie_on_path(self) -> npt.NDArray[np.bool_]:
        """(N,): whether a mover on the equilibrium path is indifferent (backward induction's choices)."""
        on = self.decision_reach_pairs
        hit = self.class_tie[on.sample, self.decision_class[on.item]]
        if self.mixed_row is not None:
            hit &= self.mixed_row[on.item] < 0
        return np.asarray(np.bincount(on.sample[hit], minlength=self.size) > 0)

    def action_counts(self) -> npt.NDArray[Any]:
        """(actions,): how many samples take each action (on the path or not), by flat behaviour index.

        Counted once per class of decision nodes, then spread over its nodes.
        With subgames of imperfect information, a float array: their
        behaviour probabilities summed over the samples.
        """
        game = self.game
        counts = game.num_children[self.decision_nodes].astype(np.int64)
        width = int(counts.max(initial=0))
        columns = self.class_choice.shape[1]
        flat = self.class_choice.T.astype(np.int64) + (width * np.arange(columns, dtype=np.int64))[:, None]
        per_class = np.bincount(flat.ravel(), minlength=width * columns).reshape(columns, width)
        node = np.repeat(np.arange(len(self.decision_nodes)), counts)
        action = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        offsets = game.infoset_offsets[game.infoset[self.decision_nodes]]
        if self.mixed_row is None or self.behavior is None:
            out = np.zeros(game.num_actions, dtype=np.int64)
            np.add.at(out, offsets[node] + action, per_class[self.decision_class[node], action])
            return out
        # Inside subgames of imperfect information: the behaviour summed over the
        # samples, once per information set (its members share it).
        out_f = np.zeros(game.num_actions)
        pure = self.mixed_row[node] < 0
        np.add.at(out_f, offsets[node[pure]] + action[pure], per_class[self.decision_class[node[pure]], action[pure]])
        mixed = np.flatnonzero(self.mixed_row >= 0)
        _, first = np.unique(game.infoset[self.decision_nodes[mixed]], return_index=True)
        totals = self.behavior.sum(axis=0)
        for k in mixed[first].tolist():
            w = int(counts[k])
            out_f[offsets[k] : offsets[k] + w] += totals[self.mixed_row[k] : self.mixed_row[k] + w]
        return out_f


class BatchGame:
    """A game compiled for solving many samples.

    Parameters
    ----------
    game
        A game of perfect information, or one whose information sets of
        several members lie in proper subgames where two players move
        (solved as ``--method spe`` solves them, by
        :mod:`policy.analysis.batch_subgames`).
    merge
        Solve each class of identical subtrees once
        (:func:`policy.subtrees.subtree_classes`). False solves every node:
        the same answers, kept as a reference for tests and timings.

    Raises
    ------
    SolverError
        Saying why the game cannot be batched (a subgame of imperfect
        information with other than two movers, for one).
    """

    def __init__(self, game: Game, merge: bool = True) -> None:
        self.game = game
        table = game._expression_table()
        self._table = table
        self.decision_nodes = np.flatnonzero(game.kind == NodeKind.DECISION).astype(np.int64)
        self.classes = subtree_classes(game, merge)
        self._nash: Any = None
        if not game.is_perfect_information:
            from policy.analysis.batch_subgames import NashPlan

            self._nash = NashPlan(game, table, self.classes)
        self._function = compile_batch(table.exprs, sorted(game.parameters))
        mixed = None if self._nash is None else self._nash.mixed_row
        self._plan = _Plan(game, table, self.classes, mixed)
        self._top = self._plan.top
        self._decision_class = self._plan.decider_column[self.classes.of_node[self.decision_nodes]]

    def solve(
        self,
        samples: Mapping[str, Any],
        chunk: int | None = None,
    ) -> BatchResult:
        """Solve the game at every sample.

        Parameters
        ----------
        samples
            Parameter name to a 1-d array of N values or a scalar (scalars
            broadcast). Every parameter the game uses needs a value.
        chunk
            Samples solved together; by default as many as keep a block's
            working arrays near :data:`BLOCK_VALUES` values (at most
            :data:`CHUNK`).

        Raises
        ------
        GameError
            When a chance probability is outside [0, 1] or a node's do not sum
            to 1 at some sample, or a payoff is not finite; the message names
            the first such sample and the place in the game.
        """
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in samples.items()}
        n = _sample_count(arrays)
        game, deciders = self.game, self._plan.num_deciders
        if chunk is None:
            # Per sample: the classes' values and magnitudes (a few copies); the
            # reach is kept for the nodes reached only.
            size = 6 * self.classes.count * max(1, len(game.players))
            chunk = max(MIN_CHUNK, min(CHUNK, BLOCK_VALUES // size))
            if self._nash is not None:
                chunk = min(chunk, NASH_CHUNK)
        chunk = max(1, min(chunk, n))
        # Sample-last, filled block by block; the result holds their transposes.
        out = _Arrays(
            payoffs=np.empty((n, len(game.players))),
            choice=np.empty((deciders, n), dtype=np.int16),
            tie=np.empty((deciders, n), dtype=bool),
        )
        nash = self._nash
        behavior = np.zeros((nash.num_rows if nash is not None else 0, n))
        resolved: dict[int, int] = {}
        parts_first = nash is not None and nash.cut_free
        outcomes: list[Reached] = []
        decided: list[Reached] = []
        # The expressions are evaluated for several blocks at once (one evaluation costs
        # about as much for one sample as for a thousand: it walks every expression),
        # and the same values serve the subgames of imperfect information.
        span = chunk * max(1, EVAL_VALUES // max(1, len(self._table.exprs) * chunk))
        if parts_first:
            span = NASH_CHUNK  # the blocks the lockstep Lemke runs take
        for first in range(0, n, span):
            last = min(n, first + span)
            block = {k: (v if v.ndim == 0 else v[first:last]) for k, v in arrays.items()}
            vals = self._evaluate(block, last - first)
            early = self._solve_parts(vals, block, first, behavior[:, first:last], resolved) if parts_first else None
            for start in range(first, last, chunk):
                stop = min(last, start + chunk)
                part = out.part(start, stop)
                reached = self._solve_block(vals[:, start - first : stop - first], stop - start, start, part,
                                            behavior[:, start:stop], resolved,
                                            None if early is None else early[:, start - first : stop - first])
                outcomes.append(reached[0])
                decided.append(reached[1])
        return BatchResult(
            game=game,
            decision_nodes=self.decision_nodes,
            payoffs=out.payoffs,
            outcome_reach=Reached.joined(outcomes),
            decision_reach_pairs=Reached.joined(decided),
            class_choice=out.choice.T,
            class_tie=out.tie.T,
            decision_class=self._decision_class,
            mixed_row=None if nash is None else nash.mixed_row[self.decision_nodes],
            behavior=None if nash is None else behavior.T,
            resolved=_reason_words(resolved),
        )

    def _solve_parts(
        self,
        vals: npt.NDArray[np.float64],
        block: Mapping[str, npt.NDArray[np.float64]],
        offset: int,
        behavior: npt.NDArray[np.float64],
        resolved: dict[int, int],
    ) -> npt.NDArray[np.float64]:
        """Every subgame of imperfect information at every sample of a block, ahead of its induction.

        When no part has a subgame cut off below it, its numbers are the
        expressions' alone (``vals``, of the samples ``block`` from
        ``offset``), so the parts are solved first, in blocks of
        :data:`NASH_CHUNK` samples (large blocks make the lockstep Lemke
        runs cheap; the induction's blocks are kept small by the tree's
        size). Returns (parts, N, 2 * players): values, then magnitudes.
        Numbers that are out of range are left to the induction's checks,
        which name them; the samples are solved anyway.
        """
        from policy.analysis.batch_subgames import same_samples

        nash, players = self._nash, len(self.game.players)
        n = vals.shape[1]
        with np.errstate(all="ignore"):
            if not np.isfinite(vals).all():
                self._checked_first(block, n, offset)
            # Samples that agree on every number the parts read (a flip search moves one
            # parameter at a time, most of them outside the parts) get the same answers:
            # each distinct one is solved once, standing for its copies, and spread.
            repeats = same_samples(vals[nash.rows_read])
            weights = None
            if repeats is not None:
                pick, spread = repeats
                vals = vals[:, pick]
                weights = np.bincount(spread, minlength=len(pick)).astype(np.int64)
                inner = np.zeros((behavior.shape[0], len(pick)))
            else:
                inner = behavior
            out = np.zeros((len(nash.parts), vals.shape[1], 2 * players))
            shared: list[Any] = []
            twins: list[Any] = []
            for j, part in enumerate(nash.parts):
                value, size = nash.solve(part.cls, vals, None, players, inner, resolved, shared, twins, weights)
                out[j, :, :players] = value
                out[j, :, players:] = size
        if repeats is None:
            return out
        behavior[:] = inner[:, spread]
        return out[:, spread]

    def _checked_first(self, arrays: Mapping[str, npt.NDArray[np.float64]], n: int, offset: int = 0) -> NoReturn:
        """Raise the located error of the first block whose numbers are not all finite (samples from ``offset``)."""
        chunk = max(1, min(n, BLOCK_VALUES // max(1, self.game.num_nodes)))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            block = {k: (v if v.ndim == 0 else v[start:stop]) for k, v in arrays.items()}
            with np.errstate(all="ignore"):
                vals = self._evaluate(block, stop - start)
                _, own = self._numbers(vals, stop - start, offset + start)
                extreme = self._extremes(own, stop - start)
                if not np.isfinite(extreme).all():
                    self._payoff_error(vals, np.asarray(~np.isfinite(extreme).all(axis=1)), offset + start)
        raise self.game.error("a number of the game is not finite at some sample", "parameters")

    # -- one block -------------------------------------------------------------------
    def _evaluate(self, block: Mapping[str, npt.NDArray[np.float64]], n: int) -> npt.NDArray[np.float64]:
        """Every expression at every sample of ``block``: (expressions, N)."""
        try:
            return np.broadcast_to(self._function(block), (len(self._table.exprs), n))
        except Exception as err:  # a missing value or a bad shape
            raise self.game.error(str(err), "parameters") from None

    def _numbers(
        self, vals: npt.NDArray[np.float64], n: int, offset: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The classes' chance probabilities and their own payoffs, from ``vals`` (:meth:`_evaluate`).

        The probabilities are (chance edges of the classes, N); the payoffs
        (classes with an outcome, N, players). Both are checked here, class by
        class: every node of a class has the same numbers, and a class's first
        node is the first of its nodes, so the first bad place found among the
        classes is the first among the nodes.
        """
        game, plan = self.game, self._plan
        p = vals[plan.chance_ids]
        if len(p):
            bad = ~((p >= 0) & (p <= 1))
            if bad.any():
                rows = np.flatnonzero(bad.any(axis=1))
                row = int(rows[np.argmin(plan.chance_nodes[rows])])
                c, sample = int(plan.chance_nodes[row]), int(np.argmax(bad[row]))
                raise game.error(
                    f"at sample {offset + sample}, the probability of {game.action_label[c]!r} "
                    f"is {p[row, sample]:.6g}, outside [0, 1]",
                    f"{game.location(int(game.parent[c]))}.probabilities.{game.action_label[c]}",
                )
            totals = np.add.reduceat(p, plan.chance_starts, axis=0)
            wrong = np.abs(totals - 1) > tolerances.PROBABILITY
            if wrong.any():
                rows = np.flatnonzero(wrong.any(axis=1))
                k = int(rows[np.argmin(plan.chance_owner[rows])])
                node, sample = int(plan.chance_owner[k]), int(np.argmax(wrong[k]))
                raise game.error(
                    f"at sample {offset + sample}, probabilities sum to {totals[k, sample]:.6g}, not 1",
                    f"{game.location(node)}.probabilities",
                )
        own = np.moveaxis(vals[plan.payoff_ids], 2, 1)  # (classes with an outcome, N, players)
        if not np.isfinite(own).all():
            self._payoff_error(vals, np.asarray(~np.isfinite(own).all(axis=(0, 2))), offset)
        return p, own

    def _payoff_error(
        self, vals: npt.NDArray[np.float64], suspect: npt.NDArray[np.bool_], offset: int
    ) -> NoReturn:
        """Name the first terminal whose payoffs along its path are not finite, and its first such sample.

        Only reached on an error: the payoffs of every node are summed along
        the paths, for the ``suspect`` samples, some at a time.
        """
        game, table = self.game, self._table
        samples = np.flatnonzero(suspect)
        players = len(game.players)
        step = max(1, BLOCK_VALUES // (game.num_nodes * max(1, players)))
        first = np.full(len(game.terminals), -1, dtype=np.int64)
        for start in range(0, len(samples), step):
            part = samples[start : start + step]
            acc = np.zeros((game.num_nodes, len(part), players))
            acc[table.outcome_nodes] = np.moveaxis(vals[table.payoff_index][:, :, part], 2, 1)
            for lo, hi in game.levels[1:]:
                acc[lo:hi] += acc[game.parent[lo:hi]]
            bad = np.asarray(~np.isfinite(acc[game.terminals]).all(axis=2))  # (terminals, part)
            hit = bad.any(axis=1) & (first < 0)
            first[hit] = part[np.argmax(bad[hit], axis=1)]
        found = np.flatnonzero(first >= 0)
        # Summed in another order, a sum at the edge of the float range may overflow in
        # one order only; then the first suspect sample and the first terminal stand in.
        t = int(found[0]) if len(found) else 0
        sample = int(first[t]) if len(found) else int(samples[0])
        raise game.error(
            f"at sample {offset + sample}, a payoff is not a finite number",
            f"{game.location(int(game.terminals[t]))}.payoffs",
        )

    def _solve_block(
        self,
        vals: npt.NDArray[np.float64],
        n: int,
        offset: int,
        out: _Arrays,
        behavior: npt.NDArray[np.float64],
        resolved: dict[int, int],
        early: npt.NDArray[np.float64] | None = None,
    ) -> tuple[Reached, Reached]:
        """Solve one block, its expressions' values ``vals`` (expressions, N) given; returns the
        terminals and decision nodes reached (samples from ``offset``)."""
        game, plan = self.game, self._plan
        with np.errstate(all="ignore"):  # non-finite numbers become errors in _numbers
            prob, own = self._numbers(vals, n, offset)
            if not self._surely_finite(own):
                extreme = self._extremes(own, n)
                if not np.isfinite(extreme).all():
                    self._payoff_error(vals, np.asarray(~np.isfinite(extreme).all(axis=1)), offset)
        players = len(game.players)
        # A class's values count the payoffs in its subtree only (those on the path
        # above differ between its nodes); the root's are the game's. Columns
        # players.. hold each value's magnitude (expected sum of |payoff|).
        values = np.zeros((self.classes.count, n, 2 * players))
        values[plan.leaf_classes, :, :players] = own[plan.leaf_rows]
        values[plan.leaf_classes, :, players:] = np.abs(own[plan.leaf_rows])
        choice, tie = out.choice, out.tie  # every decision class is written below, once
        samples = np.arange(n)
        for g in plan.groups:
            below = values[g.kids]  # (children, N, 2 * players)
            if len(g.chance_classes):
                weighted = prob[g.chance_probs, :, None] * below[g.chance_kids]
                values[g.chance_classes] = np.add.reduceat(weighted, g.chance_starts, axis=0)
            if len(g.deciders):
                mine = below[g.decider_kids, :, g.kid_mover]  # (their children, N)
                size = below[g.decider_kids, :, players + g.kid_mover]
                counts = np.diff(np.append(g.decider_starts, len(mine)))
                widest = np.maximum.reduceat(size, g.decider_starts, axis=0)  # (movers, N)
                tol = np.repeat(tolerances.tolerance(tolerances.TIE, widest), counts, axis=0)
                first, n_best = _best_actions(mine, g.decider_starts, tol)
                choice[g.decider_columns] = first - g.decider_starts[:, None]
                tie[g.decider_columns] = n_best > 1
                values[g.deciders] = below[g.decider_kids[first], samples]
            if len(g.nash_classes):
                # Subgames of imperfect information: their values replace what the
                # induction above made of them (it cannot see their information sets).
                shared: list[Any] = []
                twins: list[Any] = []
                for c in g.nash_classes.tolist():
                    if early is not None:
                        values[c] = early[self._nash.part_of_class[c]]
                    else:
                        value, size = self._nash.solve(c, vals, values, players, behavior, resolved, shared,
                                                       twins)
                        values[c, :, :players], values[c, :, players:] = value, size
            if len(g.outcome_classes):
                values[g.outcome_classes, :, :players] += own[g.outcome_rows]
                values[g.outcome_classes, :, players:] += np.abs(own[g.outcome_rows])
        out.payoffs[:] = values[self.classes.of_node[0], :, :players]
        return self._reach(prob, choice, behavior, offset)

    def _surely_finite(self, own: npt.NDArray[np.float64]) -> bool:
        """Whether no sum of payoffs along a path can overflow: a bound, without walking the tree.

        ``own`` are finite (:meth:`_numbers` checks them). A terminal's payoff
        sums at most :attr:`_Plan.path_outcomes` of them, each at most the
        largest in size; far below the float range, so is every partial sum,
        and :meth:`_extremes` would find them all finite.
        """
        if not own.size:
            return True
        return bool(float(np.abs(own).max()) * max(1, self._plan.path_outcomes) < SAFE_SUM)

    def _extremes(self, own: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
        """(N, players): the largest absolute payoff of each player over the terminals.

        A terminal's payoff is the sum of the outcomes on its path; with
        outcomes on interior nodes, the greatest and least sums of every
        class's subtree are carried up, class by class, to the root.
        """
        plan, players = self._plan, len(self.game.players)
        if not plan.interior:
            leaf = own[plan.leaf_rows]
            return np.abs(leaf).max(axis=0) if len(leaf) else np.zeros((n, players))
        high = np.zeros((self.classes.count, n, players))
        high[plan.leaf_classes] = own[plan.leaf_rows]
        low = high.copy()
        for g in plan.groups:
            high[g.classes] = np.maximum.reduceat(high[g.kids], g.starts, axis=0)
            low[g.classes] = np.minimum.reduceat(low[g.kids], g.starts, axis=0)
            if len(g.outcome_classes):
                high[g.outcome_classes] += own[g.outcome_rows]
                low[g.outcome_classes] += own[g.outcome_rows]
        root = self.classes.of_node[0]
        return np.asarray(np.maximum(np.abs(high[root]), np.abs(low[root])))

    def _reach(
        self,
        prob: npt.NDArray[np.float64],
        choice: npt.NDArray[np.int16],
        behavior: npt.NDArray[np.float64],
        offset: int,
    ) -> tuple[Reached, Reached]:
        """The terminals and decision nodes each sample reaches, with their probabilities.

        Top-down, one depth at a time, following only the (node, sample) pairs
        reached with positive probability: a decision node outside the
        subgames of imperfect information passes its reach to the child
        chosen, a chance node (or a node of such a subgame) to every child,
        times the child's probability. Each product is the one a dense pass
        over every node would make, so the probabilities are the same; the
        work grows with the pairs reached, not with the tree. A node's reach
        depends on its own path, so this pass cannot share work between the
        nodes of a class.
        """
        t = self._top
        m = prob.shape[1] if prob.ndim == 2 else choice.shape[1]
        node = np.zeros(m, dtype=np.int64)
        sample = np.arange(m, dtype=np.int64)
        p = np.ones(m)
        terminal_parts: list[tuple[Any, ...]] = []
        decision_parts: list[tuple[Any, ...]] = []
        while len(node):
            what = t.what[node]
            done = what == _TERMINAL
            if done.any():
                terminal_parts.append((sample[done], t.position[node[done]], p[done]))
            chosen = what == _CHOSEN
            spread = what >= _CHANCE
            at_decision = chosen | (what == _MIXED)
            if at_decision.any():
                decision_parts.append((sample[at_decision], t.position[node[at_decision]], p[at_decision]))
            # A pure choice: the chosen child, with the parent's reach.
            cn, cs = node[chosen], sample[chosen]
            pure_kid = t.first_child[cn] + choice[t.column[cn], cs]
            pure_p = p[chosen]
            # Every child, times its probability (chance, or behaviour in a subgame).
            bn, bs, bp = node[spread], sample[spread], p[spread]
            counts = t.num_children[bn]
            each = np.repeat(np.arange(len(bn)), counts)
            slot = np.arange(len(each), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
            kid = t.first_child[bn][each] + slot
            ks = bs[each]
            weight = np.empty(len(kid))
            by_chance = what[spread][each] == _CHANCE
            weight[by_chance] = prob[t.prob_row[kid[by_chance]], ks[by_chance]]
            inside = ~by_chance
            weight[inside] = behavior[t.column[bn][each][inside] + slot[inside], ks[inside]]
            kid_p = bp[each] * weight
            keep = kid_p > 0
            node = np.concatenate([pure_kid.astype(np.int64), kid[keep]])
            sample = np.concatenate([cs, ks[keep]])
            p = np.concatenate([pure_p, kid_p[keep]])
        return _sorted_pairs(terminal_parts, offset), _sorted_pairs(decision_parts, offset)


#: What the top-down pass does at a node (:attr:`_TopDown.what`).
_TERMINAL, _CHOSEN, _CHANCE, _MIXED = 0, 1, 2, 3


@dataclass(frozen=True)
class _TopDown:
    """Per node, what the top-down pass needs: what it does there, where its answers go."""

    what: npt.NDArray[np.int8]
    position: npt.NDArray[np.int64]
    """A terminal's position in ``game.terminals``, a decision node's among the decision nodes."""
    column: npt.NDArray[np.int64]
    """A chosen node's column of the choices; a node in a subgame of imperfect
    information, the behaviour row of its first action."""
    first_child: npt.NDArray[np.int64]
    num_children: npt.NDArray[np.int64]
    prob_row: npt.NDArray[np.int64]
    """A chance child's row of the block's chance probabilities."""


def _sorted_pairs(parts: list[tuple[Any, ...]], offset: int) -> Reached:
    if not parts:
        return Reached.joined([])
    sample, item, p = (np.concatenate([part[k] for part in parts]) for k in range(3))
    order = np.lexsort((item, sample))
    return Reached(sample[order] + offset, item[order], p[order])


@dataclass(frozen=True)
class _Arrays:
    """The answers for some samples, sample-last except the payoffs (a block's are views)."""

    payoffs: npt.NDArray[np.float64]
    choice: npt.NDArray[np.int16]
    tie: npt.NDArray[np.bool_]

    def part(self, start: int, stop: int) -> _Arrays:
        return _Arrays(
            self.payoffs[start:stop],
            self.choice[:, start:stop],
            self.tie[:, start:stop],
        )


def _best_actions(
    mine: npt.NDArray[np.float64], starts: npt.NDArray[np.int64], tol: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each mover's first best action and the number of best actions, per sample.

    ``mine`` is (children, N): each child's value to the mover of its parent,
    the children of one parent together from ``starts``. An action is best
    when it is within ``tol`` (children, N: the tolerance of its parent's
    comparison, repeated for each child) of the best. Returns (movers, N) arrays:
    the first best action's row in ``mine``, and how many are best.
    """
    width = len(mine)
    counts = np.diff(np.append(starts, width))
    best = np.maximum.reduceat(mine, starts, axis=0)
    is_best = mine >= np.repeat(best, counts, axis=0) - tol
    position = np.arange(width, dtype=np.int64)[:, None]
    first = np.minimum.reduceat(np.where(is_best, position, width), starts, axis=0)
    n_best = np.add.reduceat(is_best.astype(np.int64), starts, axis=0)
    return first, n_best


@dataclass(frozen=True)
class _Group:
    """The classes of one height, with index arrays for one step of the induction.

    Rows of ``kids`` are this group's children (classes); the other arrays
    index into it or into the block's arrays.
    """

    classes: npt.NDArray[np.int64]
    kids: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    """Where each class's children start in ``kids``."""
    chance_classes: npt.NDArray[np.int64]
    chance_kids: npt.NDArray[np.int64]
    chance_probs: npt.NDArray[np.int64]
    """Rows of the block's chance probabilities, one per chance child."""
    chance_starts: npt.NDArray[np.int64]
    deciders: npt.NDArray[np.int64]
    decider_kids: npt.NDArray[np.int64]
    decider_starts: npt.NDArray[np.int64]
    decider_columns: npt.NDArray[np.int64]
    kid_mover: npt.NDArray[np.int64]
    outcome_classes: npt.NDArray[np.int64]
    outcome_rows: npt.NDArray[np.int64]
    nash_classes: npt.NDArray[np.int64]
    """Classes whose nodes start subgames of imperfect information."""


class _Plan:
    """Index arrays for solving a game on its classes of identical subtrees, made once."""

    def __init__(
        self, game: Game, table: Any, classes: SubtreeClasses, mixed_row: npt.NDArray[np.int64] | None = None
    ) -> None:
        kind = game.kind[classes.node]
        nash_class = np.zeros(classes.count, dtype=bool)
        if mixed_row is None:
            mixed_row = np.full(game.num_nodes, -1, dtype=np.int64)
        else:
            from policy.solvers.subgames import _structure

            nash_class[classes.of_node[np.flatnonzero(_structure(game).nash)]] = True
        count = classes.count
        # Own payoffs: one row per class whose first node carries an outcome.
        row_of_node = np.full(game.num_nodes, -1, dtype=np.int64)
        row_of_node[table.outcome_nodes] = np.arange(len(table.outcome_nodes))
        own_row = row_of_node[classes.node]
        has = np.flatnonzero(own_row >= 0)
        self.payoff_ids = table.payoff_index[own_row[has]].reshape(len(has), len(game.players))
        outcome_row = np.full(count, -1, dtype=np.int64)
        outcome_row[has] = np.arange(len(has))
        self.interior = bool((kind[has] != NodeKind.TERMINAL).any())
        # The most outcomes on one path from the root (a terminal's payoff sums them).
        on_path = np.zeros(game.num_nodes, dtype=np.int64)
        on_path[table.outcome_nodes] = 1
        for lo, hi in game.levels[1:]:
            on_path[lo:hi] += on_path[game.parent[lo:hi]]
        self.path_outcomes = int(on_path.max(initial=0))
        leaves = np.flatnonzero((kind == NodeKind.TERMINAL) & (outcome_row >= 0))
        self.leaf_classes, self.leaf_rows = leaves, outcome_row[leaves]
        # Chance probabilities: one row per child of a chance class.
        edge_id = np.full(game.num_nodes, -1, dtype=np.int64)
        edge_id[table.chance_edges] = table.chance_index
        is_chance = kind == NodeKind.CHANCE
        chance_slots = np.flatnonzero(np.repeat(is_chance, classes.num_kids))
        self.chance_nodes = classes.kid_node[chance_slots]
        self.chance_ids = edge_id[self.chance_nodes]
        chance_counts = classes.num_kids[is_chance]
        self.chance_starts = np.cumsum(chance_counts) - chance_counts
        self.chance_owner = classes.node[is_chance]
        prob_row = np.full(len(classes.kids), -1, dtype=np.int64)
        prob_row[chance_slots] = np.arange(len(chance_slots))
        # Deciders: one column per decision class.
        is_decider = kind == NodeKind.DECISION
        self.num_deciders = int(is_decider.sum())
        self.decider_column = np.full(count, -1, dtype=np.int64)
        self.decider_column[is_decider] = np.arange(self.num_deciders)
        mover = game.player[classes.node].astype(np.int64)
        self.groups = []
        for lo, hi in classes.heights[1:]:
            cls = np.arange(lo, hi, dtype=np.int64)
            k0 = int(classes.first_kid[lo])
            k1 = int(classes.first_kid[hi - 1] + classes.num_kids[hi - 1])
            n_kids = classes.num_kids[cls]
            starts = classes.first_kid[cls] - k0
            local_chance = np.repeat(is_chance[cls], n_kids)
            local_decide = np.repeat(is_decider[cls], n_kids)
            decider_counts = n_kids[is_decider[cls]]
            chance_counts = n_kids[is_chance[cls]]
            outcomes = cls[outcome_row[cls] >= 0]
            self.groups.append(
                _Group(
                    classes=cls,
                    kids=classes.kids[k0:k1],
                    starts=starts,
                    chance_classes=cls[is_chance[cls]],
                    chance_kids=np.flatnonzero(local_chance),
                    chance_probs=prob_row[k0:k1][local_chance],
                    chance_starts=np.cumsum(chance_counts) - chance_counts,
                    deciders=cls[is_decider[cls]],
                    decider_kids=np.flatnonzero(local_decide),
                    decider_starts=np.cumsum(decider_counts) - decider_counts,
                    decider_columns=self.decider_column[cls[is_decider[cls]]],
                    kid_mover=np.repeat(mover[cls][is_decider[cls]], decider_counts),
                    outcome_classes=outcomes,
                    outcome_rows=outcome_row[outcomes],
                    nash_classes=cls[nash_class[cls]],
                )
            )
        # The top-down pass goes over nodes: a node's reach depends on its own path.
        # A chance child's probability is its class edge's row (same expression).
        node_prob_row = np.full(game.num_nodes, -1, dtype=np.int64)
        parent_class = classes.of_node[game.parent[1:]] if game.num_nodes > 1 else np.zeros(0, np.int64)
        position = np.arange(1, game.num_nodes) - game.first_child[game.parent[1:]]
        slot = classes.first_kid[parent_class] + position
        node_prob_row[1:] = prob_row[slot]
        what = np.full(game.num_nodes, _TERMINAL, dtype=np.int8)
        what[game.kind == NodeKind.CHANCE] = _CHANCE
        is_decision = game.kind == NodeKind.DECISION
        what[is_decision] = np.where(mixed_row[is_decision] >= 0, _MIXED, _CHOSEN)
        position = np.full(game.num_nodes, -1, dtype=np.int64)
        position[game.terminals] = np.arange(len(game.terminals))
        position[is_decision] = np.arange(int(is_decision.sum()))
        column = np.where(what == _MIXED, mixed_row, self.decider_column[classes.of_node])
        self.top = _TopDown(
            what=what,
            position=position,
            column=column.astype(np.int64),
            first_child=game.first_child.astype(np.int64),
            num_children=game.num_children.astype(np.int64),
            prob_row=node_prob_row,
        )


def _reason_words(counts: Mapping[int, int]) -> dict[str, int]:
    from policy.analysis.batch_subgames import RESOLVE_REASONS

    return {RESOLVE_REASONS.get(k, str(k)): v for k, v in sorted(counts.items())}


def path_words(game: Game, decision: npt.NDArray[np.int64], row: npt.NDArray[np.int16]) -> str:
    """A row of :meth:`BatchResult.path_columns` in words: ``infoset=action``, each set once.

    A mixed choice is written by its support, ``infoset=a/b``, as
    :func:`policy.analysis.compare.path_text` writes it.
    """
    words = []
    row = np.asarray(row)
    on = np.flatnonzero(row >= 0)  # most of a big tree is off the path
    # One word per (information set, choice), made once and kept for the game's later paths.
    made: dict[tuple[int, int], str] = game._cache.setdefault("path_words", {})  # type: ignore[assignment]
    for key in zip(game.infoset[decision[on]].tolist(), row[on].tolist(), strict=True):
        word = made.get(key)
        if word is None:
            s, k = game.infosets.at(key[0]), key[1]
            if k >= MIXED:
                mask = k - MIXED
                choice = "/".join(a for i, a in enumerate(s.actions) if mask >> i & 1)
            else:
                choice = s.actions[k]
            word = made[key] = f"{s.name}={choice}"
        words.append(word)
    return ", ".join(dict.fromkeys(words))


def _sample_count(arrays: Mapping[str, npt.NDArray[np.float64]]) -> int:
    sizes = {v.shape[0] for v in arrays.values() if v.ndim == 1}
    if any(v.ndim > 1 for v in arrays.values()):
        bad = next(k for k, v in arrays.items() if v.ndim > 1)
        raise GameError(f"{bad}: samples must be a 1-d array or a scalar", "parameters")
    if len(sizes) > 1:
        raise GameError(f"parameter samples differ in length: {sorted(sizes)}", "parameters")
    return sizes.pop() if sizes else 1
