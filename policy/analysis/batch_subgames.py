"""Proper subgames of imperfect information, solved for many samples at once.

The batch solver (:mod:`policy.analysis.batch`) does backward induction; a
game with information sets of several members has it only between its *Nash
roots*, the smallest proper subgames holding such a set (Selten 1965; see
:mod:`policy.solvers.subgames`). Each is solved the way ``--method spe``
solves it one sample at a time, here for every sample of a block together:

1. **The part.** The Nash root's subtree, each proper subgame below it with
   decisions of its own cut off and replaced by a terminal worth its
   equilibrium values (the batch solver has found them: they are lower in the
   tree), as :func:`policy.solvers.subgames._shape` cuts it. The nodes of a
   class of identical subtrees (:mod:`policy.subtrees`) share one part.
2. **The sequence form, with a sample axis.** For the two players who move in
   the part (a part with one mover or three is not batched), the payoff
   matrices ``A`` and ``B`` of Koller, Megiddo and von Stengel (1996) are
   summed terminal by terminal, ``chance(t) * u(t)``, for all samples at
   once; ``E`` and ``F`` do not depend on the numbers. Payoffs are shifted by
   the part's first terminal, put in each player's unit and shifted below 0,
   and the LCP ``w = c + M z`` assembled, exactly as
   :class:`policy.solvers.lcp.SequenceLCP` does for one sample.
3. **Lemke in lockstep** (:func:`policy.analysis.batch_lemke.lemke_lockstep`),
   covering vector all ones, as ``lcp`` runs it. A part whose LCPs agree with
   an earlier part's at every sample of the block up to rounding (the same
   stage whose numbers differ by a constant per player) takes that run's
   final bases and solves them in its own numbers
   (:func:`policy.analysis.batch_lemke.basis_solution`), which is what its own
   run would end with wherever the path does not hinge on the last bits;
   where its LCP is that run's bit for bit at every sample, the run's own
   end is taken as it is (the same bases solved in the same numbers). A
   part whose numbers equal, bit for bit at every sample, those of a part
   already solved that way (the same stage in states whose differences
   leave its numbers alone: its expressions differ, in terms a state
   variable multiplies by 0, their values do not) takes that part's behaviour
   (:class:`Twin`): the same LCP and bases give the same answer.
4. **Behaviour** from the realization plans, ``x[I a] / x[parent(I)]``,
   uniform where a plan does not reach a set (as ``lcp``'s default).
5. **Verification**, every sample: each mover's best response against the
   other's behaviour, by dynamic programming over that mover's sequences, and
   the regret within :data:`policy.tolerances.REGRET` times the magnitude of
   the values compared, per player.
6. **One by one** for what the lockstep run cannot vouch for, counted: a
   sample whose float path gave up in lockstep (a repeated basis, a ray,
   the pivot bound: the float method then retries with a shorter period of
   fresh tableaux) gets that method on its own LCP, as ``spe`` runs it, and
   the verification (the lockstep run itself makes a tableau afresh where
   the float method does, near rounding noise, so such samples stay in it); a
   sample whose equilibrium fails verification (or whose float retry does),
   or whose part is constant-sum at that sample (``spe`` then uses ``lp``),
   is solved by the one-sample method in exact arithmetic.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.analysis.batch_lemke import (
    DOUBT,
    LONG,
    REASONS,
    REPEAT,
    LockstepResult,
    basis_solution,
    lemke_lockstep,
    perturbed_basis_behavior,
    qpe_layout,
)
from policy.model import Game, NodeKind
from policy.representations.sequence import UNREACHED, game_sequences, sequence_form
from policy.solvers.errors import SolverError
from policy.solvers.lemke import lemke
from policy.solvers.qpe import PlanLayout
from policy.subtrees import SubtreeClasses

Array = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: Reasons a part is re-solved one by one, beyond those of the lockstep run.
VERIFY, CONSTANT_SUM = 100, 101
#: Blocks of at most this many samples keep each part's solved columns for later blocks...
MEMO_BLOCK = 256
#: ... up to this many per class of parts (then start again).
MEMO_SIZE = 5_000
RESOLVE_REASONS = {
    **REASONS,
    VERIFY: "the lockstep equilibrium failed verification",
    CONSTANT_SUM: "the part is constant-sum at the sample (solved by lp)",
}


@dataclass(frozen=True)
class _Tree:
    """What a part's solve needs of its tree alone (the same for every part of one shape)."""

    parent_local: Ints
    paths: Ints
    """(T, D): each terminal's path from the root's children down to it, local nodes (-1 after its end)."""
    #: Each part-game action's mover (0 or 1 among the part's movers).
    action_mover: Ints
    num_actions: int
    seq_at: Ints  # (T, 2)
    firsts: tuple[Ints, Ints]
    parents: tuple[Ints, Ints]
    sizes: tuple[Ints, Ints]
    positions: tuple[Ints, Ints]
    E: Array
    F: Array
    n: tuple[int, int, int, int]
    #: The terminals in :func:`_rounds` for adding into the sequence pairs (``seq_at``)...
    pair_rounds: list[Ints]
    #: ... and into each mover's sequences.
    seq_rounds: tuple[list[Ints], list[Ints]]

    @functools.cached_property
    def layout(self) -> PlanLayout | None:
        """qpe's plan layout of the part's LCP where spe takes qpe (None: lcp's), made once per tree."""
        n1, n2, m1, m2 = self.n
        return qpe_layout(self.firsts, self.parents, self.sizes, self.positions, n1 + n2 + 2 * m1 + 2 * m2,
                          self.num_actions)

    @functools.cached_property
    def layout_key(self) -> bytes | None:
        """:attr:`layout` as bytes (:func:`_layout_key`), None where there is none."""
        return None if self.layout is None else _layout_key(self.layout)


@dataclass
class _Part:
    """One class of Nash roots: its part's shape, its tree, and the index arrays that evaluate it."""

    cls: int
    root: int
    movers: tuple[int, int]
    order: Ints
    shape: Any
    tree: _Tree
    #: Per part terminal (T of them, breadth-first): chance-edge expression rows on the
    #: path (padded with -1), the outcome rows on the path (padded), the cut class (-1).
    chance_rows: Ints
    outcome_rows: Ints
    cut_class: Ints
    #: Per part terminal: the part-game actions on the path (padded with -1).
    path_actions: Ints
    payoff_index: Ints
    #: Each chance node of the part (local index) and its children's probability rows.
    chance_children: list[tuple[int, list[int]]] = field(default_factory=list)
    set_names: list[str | None] = field(default_factory=list)

    # The tree's arrays, read through the part (parts of one shape share them).
    @property
    def action_mover(self) -> Ints:
        return self.tree.action_mover

    @property
    def num_actions(self) -> int:
        return self.tree.num_actions

    @property
    def seq_at(self) -> Ints:
        return self.tree.seq_at

    @property
    def firsts(self) -> tuple[Ints, Ints]:
        return self.tree.firsts

    @property
    def parents(self) -> tuple[Ints, Ints]:
        return self.tree.parents

    @property
    def sizes(self) -> tuple[Ints, Ints]:
        return self.tree.sizes

    @property
    def positions(self) -> tuple[Ints, Ints]:
        return self.tree.positions

    @property
    def E(self) -> Array:  # the constraint matrices' names in Koller, Megiddo and von Stengel
        return self.tree.E

    @property
    def F(self) -> Array:
        return self.tree.F

    @property
    def n(self) -> tuple[int, int, int, int]:
        return self.tree.n

    @property
    def pair_rounds(self) -> list[Ints]:
        return self.tree.pair_rounds

    @property
    def seq_rounds(self) -> tuple[list[Ints], list[Ints]]:
        return self.tree.seq_rounds


@dataclass(frozen=True)
class Twin:
    """A part solved from an earlier run's final bases, kept for the other parts of its block.

    Parts of one stage played in different states often have, after the
    shift by their first terminal, the same numbers bit for bit at every
    sample (their expressions differ in terms the state multiplies by 0, so
    they are different subtrees, :mod:`policy.subtrees`). Such a
    part has the same LCP, takes the same earlier run's bases (the first run
    whose LCP is within rounding of it, and the runs are only ever added
    after it), and so gets the same behaviour, verification and samples
    re-solved one by one; only its values differ. The first of them is
    solved; the others take its answers.
    """

    shape: bytes
    reach: Array
    shifted: Array
    chance: Array
    probs: Array
    weight: Array
    counts: dict[int, int]


@dataclass(frozen=True)
class Run:
    """A lockstep run of a block, kept for the parts after it (``shared`` of :meth:`NashPlan.solve`).

    ``M`` is its LCPs (n, n, N) and ``run`` its final bases. ``end``: the
    limit behaviour its path ended with (qpe's), when the run was one
    lockstep call over every sample of the block in order, with the key of
    its plan layout (:func:`_layout_key`); None otherwise.
    """

    M: Array
    run: LockstepResult
    end: tuple[bytes, Array] | None = None


def _layout_key(layout: Any) -> bytes:
    """The arrays of a plan layout as bytes: equal keys, the same layout."""
    arrays = [*layout.first, *layout.parent, *layout.sizes, *layout.positions, layout.lengths,
              np.asarray([*layout.offsets, layout.num_actions])]
    return b"|".join(np.ascontiguousarray(a, dtype=np.int64).tobytes() for a in arrays)


def _twin_of(twins: list[Twin] | None, part: _Part, reach: Array, shifted: Array, chance: Array) -> Twin | None:
    """The part of ``twins`` with ``part``'s tree and, at every sample, bit for bit its numbers; or None.

    The numbers are those a part's solve reads: its chance reach, its
    shifted payoffs and its chance probabilities (the one-by-one solve takes
    them). A NaN matches nothing.
    """
    for t in twins or ():
        if (
            t.shape == part.shape.key
            and np.array_equal(t.reach, reach)
            and np.array_equal(t.shifted, shifted)
            and np.array_equal(t.chance, chance)
        ):
            return t
    return None


class NashPlan:
    """The Nash roots of a game, grouped by class, ready to be solved for many samples.

    Raises
    ------
    SolverError
        Naming why the game cannot be batched: a part with other than two
        movers, or a class of identical subtrees that mixes Nash roots with
        other nodes or parts of different shapes.
    """

    def __init__(self, game: Game, table: Any, classes: SubtreeClasses) -> None:
        from policy.solvers.subgames import _shape, _structure, _tasks

        self.game = game
        structure = _structure(game)
        task = _tasks(game, structure)
        owner = np.full(game.num_nodes, -1, dtype=np.int64)
        for start, stop in game.levels[1:]:
            up = game.parent[start:stop]
            owner[start:stop] = np.where(task[up], up, owner[up])
        by_owner = np.argsort(owner, kind="stable")
        owner_sorted = owner[by_owner]
        nash = np.flatnonzero(structure.nash)
        shapes = {}
        for r in nash.tolist():
            lo, hi = np.searchsorted(owner_sorted, [r, r + 1])
            shapes[r] = _shape(game, np.concatenate(([r], by_owner[lo:hi])))
            movers = shapes[r].movers
            if len(movers) != 2:
                raise SolverError(
                    f"the batch solver cannot solve the subgame at {game.node_names[r]!r}: "
                    f"{len(movers)} player(s) move in it (it batches subgames of two movers)"
                )
        of_class = classes.of_node[nash]
        is_nash = np.zeros(game.num_nodes, dtype=bool)
        is_nash[nash] = True
        for c in np.unique(of_class).tolist():
            members = np.flatnonzero(classes.of_node == c)
            if not is_nash[members].all():
                other = int(members[~is_nash[members]][0])
                raise SolverError(
                    f"the batch solver cannot solve {game.node_names[other]!r}: its subtree is "
                    f"identical to the subgame at {game.node_names[int(members[0])]!r} but has "
                    "other information sets"
                )
            keys = {shapes[int(m)].key for m in members}
            if len(keys) > 1:
                raise SolverError(
                    f"the batch solver cannot solve the subgame at {game.node_names[int(members[0])]!r}: "
                    "identical subtrees with different information sets"
                )
        self.parts: list[_Part] = []
        self.part_of_class: dict[int, int] = {}
        # Each node's row of the expression table: its chance edge's, and its outcome's.
        edge_expr = np.full(game.num_nodes, -1, dtype=np.int64)
        edge_expr[table.chance_edges] = table.chance_index
        outcome_row = np.full(game.num_nodes, -1, dtype=np.int64)
        outcome_row[table.outcome_nodes] = np.arange(len(table.outcome_nodes))
        rows = (edge_expr, outcome_row, np.asarray(table.payoff_index, dtype=np.int64))
        trees: dict[bytes, _Tree] = {}  # parts of one shape (a stage in many states) share its tree
        # Classes in increasing order: every class below comes first (they are by height).
        for c in sorted(set(of_class.tolist())):
            members = np.flatnonzero(classes.of_node == c)
            rep = int(members[0])
            self.part_of_class[c] = len(self.parts)
            sh = shapes[rep]
            tree = trees.get(sh.key)
            if tree is None:
                tree = trees[sh.key] = _tree_of(game, sh)
            self.parts.append(_build_part(game, classes, c, rep, sh, tree, rows))
        # Rows of the stacked behaviour of all parts (one block per class).
        self.offsets = np.cumsum([0] + [p.num_actions for p in self.parts]).astype(np.int64)
        # Every decision node inside a part: the row of its first action in the stack.
        self.mixed_row = np.full(game.num_nodes, -1, dtype=np.int64)
        for r in nash.tolist():
            sh = shapes[r]
            decision = np.flatnonzero(sh.kind == NodeKind.DECISION)
            set_offsets = _set_offsets_of(sh)
            self.mixed_row[sh.order[decision]] = (
                self.offsets[self.part_of_class[int(classes.of_node[r])]] + set_offsets[sh.local_set[decision]]
            )
        self.classes = np.array(sorted(self.part_of_class), dtype=np.int64)
        #: Per class, the solved columns of small blocks (:data:`MEMO_BLOCK`), by their bytes.
        self._memo: dict[int, dict[bytes, Any]] = {}

    @functools.cached_property
    def rows_read(self) -> Ints:
        """The rows of the expression values (``vals``) that some part reads: its chance
        probabilities and outcomes. Two samples equal on them get the same answer from
        :meth:`solve` in every part without cuts."""
        rows = [np.zeros(0, dtype=np.int64)]
        for part in self.parts:
            rows.append(part.chance_rows[part.chance_rows >= 0])
            rows.append(part.payoff_index[part.outcome_rows[part.outcome_rows >= 0]].ravel())
            rows.append(np.asarray([r for _, got in part.chance_children for r in got], dtype=np.int64))
        return np.unique(np.concatenate(rows))

    @property
    def num_rows(self) -> int:
        return int(self.offsets[-1])

    @property
    def cut_free(self) -> bool:
        """Whether no part has a subgame cut off below it (each part's numbers are the expressions')."""
        return all(not (p.cut_class >= 0).any() for p in self.parts)

    def solve(
        self,
        c: int,
        vals: Array,
        values: Array | None,
        players: int,
        behavior: Array,
        counts: dict[int, int],
        shared: list[Run],
        twins: list[Twin] | None = None,
        weights: Ints | None = None,
    ) -> tuple[Array, Array]:
        """Solve the part of class ``c`` at every sample: its values and their magnitudes, (N, players) each.

        ``vals`` are the expression values (expressions, N); ``values`` the
        classes' values (classes, N, 2 * players: values then magnitudes),
        of which the cut classes are read (None when the part has none). The
        values count the payoffs below the class's node, not its own outcome.
        ``behavior`` (rows, N) receives the stacked behaviour. ``counts``
        gathers the samples re-solved one by one, by reason; ``shared`` holds
        the LCPs solved so far on these samples, to reuse. ``twins``, if
        given (kept with ``shared``, for the same samples), holds the parts
        solved from an earlier run's bases (:class:`Twin`): a part whose
        numbers equal one of them bit for bit takes its behaviour.
        ``weights``: how many samples each column stands for (default one
        each), when the caller solves each distinct column once; ``counts``
        counts them so.
        """
        part = self.parts[self.part_of_class[c]]
        n_samples = vals.shape[1]
        reach = _chance_reach(part, vals, n_samples)  # (T, N)
        pay, size = _payoffs(part, vals, values, players, n_samples)  # (T, N, players) each
        mv = list(part.movers)
        shifted = pay[:, :, mv] - pay[:1, :, mv]  # (T, N, 2)
        chance = [r for _, rows in part.chance_children for r in rows]
        twin = _twin_of(twins, part, reach, shifted, vals[chance])
        if twin is not None:
            # The same numbers as a part solved before: the same LCP, the same run's
            # bases, the same verification; only its payoffs (pay) differ.
            for reason, k in twin.counts.items():
                counts[reason] = counts.get(reason, 0) + k
            block = self.offsets[self.part_of_class[c]]
            behavior[block : block + part.num_actions] = twin.probs
            return np.einsum("tn,tnp->np", twin.weight, pay), np.einsum("tn,tnp->np", twin.weight, size)
        own_counts: dict[int, int] = {}
        M = _lcp_matrix(part, reach, shifted)
        n1, n2, m1, m2 = part.n
        q = np.zeros(M.shape[0])
        q[n1 + n2] = -1.0
        q[n1 + n2 + m1] = 1.0
        q[n1 + n2 + 2 * m1] = -1.0
        q[n1 + n2 + 2 * m1 + m2] = 1.0
        earlier: LockstepResult | None = None
        source: Run | None = None
        for entry in shared:
            M0 = entry.M
            if (
                M0.shape == M.shape
                and np.allclose(M0[:, :, :1], M[:, :, :1], rtol=1e-12, atol=1e-12)  # cheap first look
                and np.allclose(M0, M, rtol=1e-12, atol=1e-12)
            ):
                earlier, source = entry.run, entry
                break
        # Samples whose part is the same, bit for bit, are solved once (a search that
        # moves one parameter at a time leaves most parts alone), and in small blocks
        # (such a search's later rounds) a part met in an earlier block is not solved
        # again: every step below works on each sample's own column, so a copy gets
        # what its own solve would.
        context = None if earlier is None else np.vstack(
            [earlier.basis, earlier.solved[None].astype(np.int64), earlier.reason[None].astype(np.int64)])
        columns = (reach, shifted.transpose(0, 2, 1).reshape(-1, n_samples), vals[chance], context)
        if n_samples > MEMO_BLOCK and _surely_distinct(*columns):
            # A big block of draws (Monte Carlo): no two alike, nothing kept; the bytes are not made.
            keys, pick, spread = None, None, np.arange(n_samples, dtype=np.int64)
        else:
            keys = _column_bytes(*columns)
            pick, spread = _distinct_columns(keys)
        reps = np.arange(n_samples, dtype=np.int64) if pick is None else pick
        memo = self._memo.setdefault(c, {}) if n_samples <= MEMO_BLOCK else None
        if memo is not None and len(memo) > MEMO_SIZE:
            memo.clear()
        tag = b"own" if earlier is None else b"shared"
        names = [_digest(tag, keys[s]) for s in reps.tolist()] if memo is not None and keys is not None else []
        found = [memo.get(name) for name in names] if memo is not None else [None] * len(reps)
        new = np.flatnonzero([f is None for f in found])
        k = len(reps)
        probs = np.zeros((part.num_actions, k))
        reasons = np.zeros(k, dtype=np.int64)
        lock: list[Any] = [np.zeros((M.shape[0], k)), np.zeros(k, dtype=bool), np.zeros(k, dtype=np.int8),
                np.zeros(k, dtype=np.int64), np.zeros((M.shape[0], k), dtype=np.int64)]
        for j, f in enumerate(found):
            if f is not None:
                probs[:, j], reasons[j] = f[0], f[1]
                if earlier is None:
                    for arr, v in zip(lock, f[2], strict=True):
                        arr[..., j] = v
        run: LockstepResult | None = None
        if len(new):
            cols = reps[new]
            every = len(cols) == n_samples  # all of them, in order: no copies
            got, why_new, run = self._solve_columns(part, M if every else M[:, :, cols], q, earlier, cols, vals,
                                                    reach if every else reach[:, cols],
                                                    shifted if every else shifted[:, cols],
                                                    source if every and memo is None else None)
            probs[:, new], reasons[new] = got, why_new
            if run is not None:
                for arr, v in zip(lock, (run.z, run.solved, run.reason, run.pivots, run.basis), strict=True):
                    arr[..., new] = v
            if memo is not None:
                for i, j in enumerate(new.tolist()):
                    own = None if run is None else tuple(a[..., j].copy() for a in lock)
                    memo[names[j]] = (got[:, i].copy(), int(why_new[i]), own)
        stands = np.ones(n_samples, dtype=np.int64) if weights is None else weights
        copies = np.bincount(spread, weights=stands, minlength=k).astype(np.int64) if pick is not None else stands
        for j in np.flatnonzero(reasons).tolist():
            own_counts[int(reasons[j])] = own_counts.get(int(reasons[j]), 0) + int(copies[j])
        for reason, k in own_counts.items():
            counts[reason] = counts.get(reason, 0) + k
        if earlier is None:
            full: list[Any] = [a[..., spread] if pick is not None else a for a in lock]
            end = None
            if run is not None and run.behavior is not None and len(new) == n_samples and memo is None:
                # One lockstep call over the whole block (pick is None then): its end is kept.
                if part.tree.layout_key is not None:
                    end = (part.tree.layout_key, run.behavior)
            run = LockstepResult(*full)
            shared.append(Run(M, run, end))
        if pick is not None:
            probs = probs[:, spread]
        weight = reach * _path_product(part, probs)  # (T, N)
        if earlier is not None and twins is not None:
            twins.append(Twin(part.shape.key, reach, shifted, vals[chance], probs, weight, own_counts))
        block = self.offsets[self.part_of_class[c]]
        behavior[block : block + part.num_actions] = probs
        return np.einsum("tn,tnp->np", weight, pay), np.einsum("tn,tnp->np", weight, size)

    def _solve_columns(
        self,
        part: _Part,
        M: Array,
        q: Array,
        earlier: LockstepResult | None,
        cols: Ints,
        vals: Array,
        reach: Array,
        shifted: Array,
        source: Run | None = None,
    ) -> tuple[Array, Ints, LockstepResult | None]:
        """Some samples' part solved: behaviour (actions, k), the reason each was re-solved one by
        one (0: it was not), and the lockstep run when the part had its own (None when it took
        ``earlier``'s final bases, at the samples ``cols`` of the block). ``vals`` holds every
        sample of the block (only the few re-solved are read); the other arrays, samples ``cols``.
        ``source``: the run ``earlier`` belongs to, when ``cols`` are every sample of the block
        in order (else None)."""
        run: LockstepResult | None = None
        # qpe's perturbed path where spe takes qpe (None: lcp's), and its limit behaviour.
        layout = part.tree.layout
        limit: Array | None = None
        if earlier is not None:
            # The same stage up to rounding: its path's end, solved in these numbers.
            if layout is None:
                z, ok = basis_solution(M, q, earlier.basis[:, cols])
            elif _own_end(source, part.tree.layout_key, M):
                # That run's LCPs bit for bit: the basis solve would give its end again.
                assert source is not None and source.end is not None
                limit, ok = source.end[1].copy(), earlier.solved.copy()
            else:
                limit, ok = perturbed_basis_behavior(M, q, earlier.basis[:, cols], layout)
            ok &= earlier.solved[cols]
            reason0 = earlier.reason[cols]
            why = np.where(ok, 0, np.where(reason0 > 0, reason0, VERIFY)).astype(np.int64)
        else:
            run = lemke_lockstep(M, q, layout=layout)
            z, ok, why, limit = run.z, run.solved, run.reason.astype(np.int64), run.behavior
        probs = _behavior(part, z) if limit is None else limit  # (actions, k)
        redo = ~ok
        reasons = np.where(redo, why, 0).astype(np.int64)
        check = _regret_ok(part, reach, shifted, probs)
        bad = ~redo & ~check
        reasons[bad] = VERIFY
        redo |= bad
        constant = _constant_sum(shifted)
        reasons[constant] = CONSTANT_SUM
        redo |= constant
        for s in np.flatnonzero(redo).tolist():
            probs[:, s] = self._again(part, M[:, :, s], q, int(reasons[s]), vals[:, cols[s]], reach[:, s],
                                      shifted[:, s])
        return probs, reasons, run

    def _again(
        self, part: _Part, M: Array, q: Array, reason: int, vals: Array, reach: Array, shifted: Array
    ) -> Array:
        """One sample's part solved one by one: behaviour (actions,).

        Where the lockstep run stopped because the float method would have
        gone on differently (recomputing its tableau, or retrying), that
        method runs on this sample's LCP, as ``spe`` would run it; its
        equilibrium is verified like the others. Otherwise, or if that fails,
        the part is solved exactly (:meth:`_one_by_one`).
        """
        if reason in (DOUBT, LONG, REPEAT):
            try:
                z = lemke(M, q, exact=False).z
            except SolverError:
                pass
            else:
                probs = _behavior(part, z[:, None])
                if _regret_ok(part, reach[:, None], shifted[:, None], probs)[0]:
                    return probs[:, 0]
        return self._one_by_one(part, vals, shifted)

    def _one_by_one(self, part: _Part, vals: Array, shifted: Array) -> Array:
        """The part at one sample solved by the one-sample method (exact), as float behaviour."""
        from policy.solvers import solve
        from policy.solvers.subgames import _nash_method, _subgame_of

        game, sh = self.game, part.shape
        probabilities: dict[int, list[Fraction]] = {}
        for i, rows in part.chance_children:
            raw = [Fraction(float(vals[r])) for r in rows]
            total = sum(raw, Fraction(0))
            probabilities[i] = [p / total for p in raw]
        mv = list(part.movers)
        remap = np.full(len(game.players), -1, dtype=np.int32)
        remap[mv] = np.arange(2, dtype=np.int32)
        player = np.where(sh.player >= 0, remap[np.maximum(sh.player, 0)], -1).astype(np.int32)
        payoffs = [[Fraction(float(v)) for v in row] for row in shifted.tolist()]
        sub = _subgame_of(game, sh.order, [game.players.at(i).label for i in mv], sh.num_children,
                          sh.kind, player, payoffs, probabilities, part.set_names)
        result = solve(sub, {}, method=_nash_method(sub, True), exact=True)
        return np.asarray([float(p) for p in result.equilibria[0].probabilities])


def _own_end(source: Run | None, key: bytes | None, M: Array) -> bool:
    """Whether the end of ``source``'s run is what its final bases give for the LCPs ``M`` (n, n, N).

    It is when ``M`` is that run's LCPs bit for bit, in the same plan layout (``key``, :func:`_layout_key`):
    :func:`policy.analysis.batch_lemke.perturbed_basis_behavior` would solve the
    same bases in the same numbers as the run's end did. Both work on each
    sample's own column; at least two samples ended each way, so that neither
    works on a single matrix, where numpy's products take another route.
    """
    if source is None or source.end is None or source.M.shape != M.shape:
        return False
    if int(np.count_nonzero(source.run.solved)) < 2 or key is None or source.end[0] != key:
        return False
    return bool(np.array_equal(source.M.view(np.uint64), np.ascontiguousarray(M).view(np.uint64)))


def _tree_of(game: Game, sh: Any) -> _Tree:
    """The :class:`_Tree` of a part's shape: its sequences and sequence form's constraints.

    Two parts of one shape (``sh.key``: the same kinds, children, movers and
    information-set pattern, breadth-first) have the same tree as a
    two-player game, so the same sequences and ``E``, ``F``; only the rows
    of the expressions their numbers come from differ (:func:`_build_part`).
    The arrays are read-only: the parts share them.
    """
    from policy.solvers.subgames import _subgame_of

    order = sh.order
    n = len(order)
    local = {int(v): i for i, v in enumerate(order.tolist())}
    parent_local = np.full(n, -1, dtype=np.int64)
    for i in range(1, n):
        parent_local[i] = local[int(game.parent[order[i]])]
    mv = list(sh.movers)
    # The part as a two-player game (structure only: zero payoffs, uniform chance).
    remap = np.full(len(game.players), -1, dtype=np.int32)
    remap[mv] = np.arange(2, dtype=np.int32)
    player = np.where(sh.player >= 0, remap[np.maximum(sh.player, 0)], -1).astype(np.int32)
    terminals = np.flatnonzero(sh.kind == NodeKind.TERMINAL)
    chance = np.flatnonzero(sh.kind == NodeKind.CHANCE)
    probabilities = {
        int(i): [Fraction(1, int(sh.num_children[i]))] * int(sh.num_children[i]) for i in chance.tolist()
    }
    # Information sets named by the shape's pattern (the parts' own names differ, their sets do not).
    pattern: list[str | None] = [None] * n
    for i in np.flatnonzero(sh.kind == NodeKind.DECISION).tolist():
        pattern[i] = f"set{int(sh.local_set[i])}"
    sub = _subgame_of(game, order, [game.players.at(i).label for i in mv], sh.num_children, sh.kind,
                      player, [[0, 0]] * len(terminals), probabilities, pattern)
    seqs = game_sequences(sub)
    form = sequence_form(sub, {}, exact=False)
    num_actions = int(sub.num_actions)
    action_mover = np.zeros(num_actions, dtype=np.int64)
    for s in sub.infosets.values():
        action_mover[s.offset : s.offset + len(s.actions)] = s.player.index
    p1, p2 = seqs.players
    walks = []
    for t in terminals.tolist():
        walk = []
        while t > 0:
            walk.append(t)
            t = int(parent_local[t])
        walks.append(walk[::-1])
    tree = _Tree(
        parent_local=parent_local,
        paths=_padded(walks),
        action_mover=action_mover,
        num_actions=num_actions,
        seq_at=np.asarray(seqs.at_terminal, dtype=np.int64),
        firsts=(np.asarray(p1.first), np.asarray(p2.first)),
        parents=(np.asarray(p1.parent), np.asarray(p2.parent)),
        sizes=(np.asarray(p1.sizes), np.asarray(p2.sizes)),
        positions=(np.asarray(p1.positions), np.asarray(p2.positions)),
        E=form.E_dense(),
        F=form.F_dense(),
        n=(p1.size, p2.size, len(form.e), len(form.f)),
        pair_rounds=_rounds(seqs.at_terminal[:, 0] * max(1, p2.size) + seqs.at_terminal[:, 1]),
        seq_rounds=(_rounds(seqs.at_terminal[:, 0]), _rounds(seqs.at_terminal[:, 1])),
    )
    for a in (tree.parent_local, tree.paths, tree.action_mover, tree.seq_at, tree.E, tree.F, *tree.firsts, *tree.parents,
              *tree.sizes, *tree.positions, *tree.pair_rounds, *tree.seq_rounds[0], *tree.seq_rounds[1]):
        a.setflags(write=False)
    return tree


def _build_part(
    game: Game, classes: SubtreeClasses, c: int, rep: int, sh: Any, tree: _Tree, rows: tuple[Ints, Ints, Ints]
) -> _Part:
    """The part of class ``c`` (its first node ``rep``, its shape ``sh`` and tree): where its numbers come from.

    ``rows``: each node's row of the expression table for its chance edge and
    for its outcome (-1: none), and the table's payoff rows per outcome.
    """
    edge_expr, outcome_row, payoff_index = rows
    order = sh.order
    n = len(order)
    parent_local = tree.parent_local
    terminals = np.flatnonzero(sh.kind == NodeKind.TERMINAL)
    chance = np.flatnonzero(sh.kind == NodeKind.CHANCE)
    set_names: list[str | None] = [None] * n
    for i in np.flatnonzero(sh.kind == NodeKind.DECISION).tolist():
        set_names[i] = game.infosets.at(int(game.infoset[order[i]])).name
    offsets = _set_offsets_of(sh)
    # Along each terminal's path, top-down (as chance_reach multiplies): the chance edges'
    # rows, the actions taken (positions in the part's behaviour), and the outcomes' rows
    # of every node below the root (a cut terminal's own outcome is its class's to count).
    path = tree.paths
    on = path >= 0
    local = np.maximum(path, 0)
    node = order[local]
    up = parent_local[local]
    above = sh.kind[up]
    chance_rows = _left(edge_expr[node], on & (above == NodeKind.CHANCE))
    action = offsets[sh.local_set[up]] + (node - game.first_child[order[up]])
    path_actions = _left(action, on & (above == NodeKind.DECISION))
    counted = on & ~(sh.cut[local] & (local == terminals[:, None]))
    outcome = outcome_row[node]
    outcome_rows = _left(outcome, counted & (outcome >= 0))
    cut_class = np.where(sh.cut[terminals], classes.of_node[order[terminals]], -1).astype(np.int64)
    mv = list(sh.movers)
    return _Part(
        cls=c,
        root=rep,
        movers=(mv[0], mv[1]),
        order=order,
        shape=sh,
        tree=tree,
        chance_rows=chance_rows,
        outcome_rows=outcome_rows,
        cut_class=cut_class,
        path_actions=path_actions,
        payoff_index=payoff_index,
        chance_children=[
            (i, [int(edge_expr[order[k]]) for k in np.flatnonzero(parent_local == i).tolist()])
            for i in chance.tolist()
        ],
        set_names=set_names,
    )


def _rounds(targets: npt.ArrayLike) -> list[Ints]:
    """The positions of ``targets`` in rounds that repeat no target, each round in order.

    Adding the values of round after round (:func:`_add_at`) adds to each
    target in the order of its positions, as ``np.add.at`` does, so the sums
    are the same bit for bit; each round is one plain indexed addition.
    """
    t = np.asarray(targets, dtype=np.int64)
    order = np.argsort(t, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(t[order]) != 0])
    rank = np.empty(len(t), dtype=np.int64)
    rank[order] = np.arange(len(t)) - np.repeat(starts, np.diff(np.r_[starts, len(t)]))
    return [np.flatnonzero(rank == r) for r in range(int(rank.max(initial=-1)) + 1)]


def _add_at(out: Array, index: tuple[Ints, ...], values: Array, rounds: list[Ints]) -> None:
    """``np.add.at(out, index, values)``, round by round (:func:`_rounds` of the index)."""
    for pos in rounds:
        out[tuple(i[pos] for i in index)] += values[pos]


def _set_offsets_of(sh: Any) -> Ints:
    decision = np.flatnonzero(sh.kind == NodeKind.DECISION)
    n_sets = int(sh.local_set[decision].max()) + 1 if len(decision) else 0
    width = np.zeros(n_sets, dtype=np.int64)
    width[sh.local_set[decision]] = sh.num_children[decision]
    return (np.cumsum(width) - width).astype(np.int64)


def _left(values: Ints, keep: npt.NDArray[np.bool_]) -> Ints:
    """Each row's kept ``values``, in order, moved to its start and padded with -1 (as :func:`_padded`)."""
    width = int(np.count_nonzero(keep, axis=1).max(initial=0))
    order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    return np.ascontiguousarray(np.take_along_axis(np.where(keep, values, -1), order, axis=1), dtype=np.int64)


def _padded(rows: Sequence[Sequence[int]]) -> Ints:
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


def _chance_reach(part: _Part, vals: Array, n: int) -> Array:
    """(T, N): the product of chance probabilities on each part terminal's path, top-down."""
    rows = part.chance_rows
    acc = np.ones((rows.shape[0], n))
    for d in range(rows.shape[1]):
        has = np.flatnonzero(rows[:, d] >= 0)
        acc[has] = vals[rows[has, d]] * acc[has]
    return acc


def _payoffs(part: _Part, vals: Array, values: Array | None, players: int, n: int) -> tuple[Array, Array]:
    """(T, N, players) payoffs of each part terminal below the root, and their magnitudes.

    A terminal of the game: the outcomes on its path below the part's root.
    A cut: the class values of the subgame there, plus the outcomes above it.
    Magnitudes add the outcomes' absolute values, as the batch solver's do.
    """
    rows = part.outcome_rows
    pay = np.zeros((rows.shape[0], n, players))
    size = np.zeros((rows.shape[0], n, players))
    for d in range(rows.shape[1]):
        has = np.flatnonzero(rows[:, d] >= 0)
        own = np.moveaxis(vals[part.payoff_index[rows[has, d]]], 2, 1)  # (k, N, players)
        pay[has] += own
        size[has] += np.abs(own)
    cut = np.flatnonzero(part.cut_class >= 0)
    if len(cut):
        assert values is not None, "a part with cuts needs the classes' values"
        below = values[part.cut_class[cut]]
        pay[cut] += below[:, :, :players]
        size[cut] += below[:, :, players:]
    return pay, size


def _lcp_matrix(part: _Part, reach: Array, shifted: Array) -> Array:
    """(n, n, N): the matrix of :class:`policy.solvers.lcp.SequenceLCP` for every sample."""
    n1, n2, m1, m2 = part.n
    N = reach.shape[1]
    s1, s2 = part.seq_at[:, 0], part.seq_at[:, 1]
    A = np.zeros((n1, n2, N))
    B = np.zeros((n1, n2, N))
    P = np.zeros((n1, n2, N))
    _add_at(A, (s1, s2), reach * shifted[:, :, 0], part.pair_rounds)
    _add_at(B, (s1, s2), reach * shifted[:, :, 1], part.pair_rounds)
    _add_at(P, (s1, s2), reach, part.pair_rounds)
    scales = np.abs(shifted).max(axis=0)  # (N, 2)
    units = _units(scales)  # (N, 2)
    A /= units[:, 0]
    B /= units[:, 1]
    top = (shifted / units[None, :, :]).max(axis=0) + 1.0  # (N, 2)
    A -= top[:, 0] * P
    B -= top[:, 1] * P
    E, F = part.E, part.F
    n = n1 + n2 + 2 * m1 + 2 * m2
    M = np.zeros((n, n, N))
    x = slice(0, n1)
    y = slice(n1, n1 + n2)
    p1 = slice(n1 + n2, n1 + n2 + m1)
    p2 = slice(n1 + n2 + m1, n1 + n2 + 2 * m1)
    q1 = slice(n1 + n2 + 2 * m1, n1 + n2 + 2 * m1 + m2)
    q2 = slice(n1 + n2 + 2 * m1 + m2, n)
    M[x, y] = -A
    M[x, p1] = -E.T[:, :, None]
    M[x, p2] = E.T[:, :, None]
    M[y, x] = -np.transpose(B, (1, 0, 2))
    M[y, q1] = -F.T[:, :, None]
    M[y, q2] = F.T[:, :, None]
    M[p1, x] = E[:, :, None]
    M[p2, x] = -E[:, :, None]
    M[q1, y] = F[:, :, None]
    M[q2, y] = -F[:, :, None]
    return M


def _surely_distinct(*parts: npt.NDArray[Any] | None) -> bool:
    """Whether no two samples (columns) of ``parts`` can be equal, judged from one number per sample.

    The number is a weighted sum down each column, the same operations for
    every column, so equal columns get equal numbers; distinct numbers prove
    the columns distinct. Equal numbers prove nothing (the bytes decide).
    """
    total: Array | None = None
    for p in parts:
        if p is None or not len(p):
            continue
        weights = np.random.default_rng(len(p)).uniform(0.5, 1.5, len(p))
        with np.errstate(all="ignore"):
            term = (np.asarray(p, dtype=np.float64) * weights[:, None]).sum(axis=0)
        total = term if total is None else total + term
    if total is None:
        return False
    return bool(len(np.unique(total)) == len(total) and np.isfinite(total).all())


def _column_bytes(*parts: npt.NDArray[Any] | None) -> npt.NDArray[np.uint8]:
    """(N, bytes): each sample's column of ``parts`` (2-d arrays, samples last; None skipped), as bytes."""
    blocks = [np.ascontiguousarray(np.asarray(p).T).view(np.uint8) for p in parts if p is not None]
    return np.ascontiguousarray(np.concatenate(blocks, axis=1))


def _digest(tag: bytes, row: npt.NDArray[np.uint8]) -> bytes:
    """A short name for a column's bytes (BLAKE2b, 160 bits: a clash between two columns is not to be met)."""
    return hashlib.blake2b(tag + row.tobytes(), digest_size=20).digest()


def same_samples(values: Array) -> tuple[Ints, Ints] | None:
    """Where samples (columns of ``values``) repeat: one sample of each distinct column, in
    increasing order, and each sample's position among those; None when all differ."""
    if values.shape[1] < 2 or _surely_distinct(values):
        return None
    pick, spread = _distinct_columns(_column_bytes(values))
    if pick is None:
        return None
    order = np.argsort(pick)
    position = np.empty_like(order)
    position[order] = np.arange(len(order), dtype=np.int64)
    return pick[order], position[spread]


def _distinct_columns(rows: npt.NDArray[np.uint8]) -> tuple[Ints | None, Ints]:
    """The samples whose rows of bytes (:func:`_column_bytes`) differ.

    Returns one sample of each distinct row and, for every sample, the
    position of its own among those; ``None`` first when every sample differs.
    """
    n = rows.shape[0]
    if n < 2:
        return None, np.arange(n, dtype=np.int64)
    keys = rows.view(np.dtype((np.void, rows.shape[1]))).ravel()
    _, pick, spread = np.unique(keys, return_index=True, return_inverse=True)
    if len(pick) == n:
        return None, np.arange(n, dtype=np.int64)
    return pick.astype(np.int64), np.ravel(spread).astype(np.int64)


def _units(scales: Array) -> Array:
    """:func:`policy.tolerances.payoff_units` for every sample: (N, players) powers of two."""
    def unit(s: Array) -> Array:
        ok = (s > 0) & np.isfinite(s)
        mantissa, exponent = np.frexp(np.where(ok, s, 1.0))
        u = np.ldexp(1.0, exponent - (mantissa < 0.7071067811865476).astype(np.int64))
        return np.where(ok, u, 1.0)

    finite = np.where(np.isfinite(scales), scales, 0.0)
    largest = finite.max(axis=1)
    common = unit(scales.max(axis=1))
    own = (scales > 0) & (scales * tolerances.OWN_UNIT_RATIO < largest[:, None])
    return np.where(own, unit(scales), common[:, None])


def _behavior(part: _Part, z: Array) -> Array:
    """(actions, N): the behaviour of the part game from the realization plans in ``z``."""
    n1 = part.n[0]
    N = z.shape[1]
    out = np.zeros((part.num_actions, N))
    for k, plan in enumerate((z[:n1], z[n1 : n1 + part.n[1]])):
        first, parent, sizes, positions = part.firsts[k], part.parents[k], part.sizes[k], part.positions[k]
        if not len(first):
            continue
        moves = np.maximum(plan[1:], 0.0)
        totals = np.add.reduceat(moves, first - 1, axis=0)
        unreached = (plan[parent] <= UNREACHED) | (totals <= UNREACHED)
        behavior = moves / np.repeat(np.where(unreached, 1.0, totals), sizes, axis=0)
        uniform = np.repeat(1.0 / sizes, sizes)[:, None]
        behavior = np.where(np.repeat(unreached, sizes, axis=0), uniform, behavior)
        out[positions] = behavior
    return out


def _path_product(part: _Part, probs: Array, mover: int | None = None) -> Array:
    """(T, N): the product of behaviour probabilities on each terminal's path (one mover's, or both)."""
    rows = part.path_actions
    acc = np.ones((rows.shape[0], probs.shape[1]))
    for d in range(rows.shape[1]):
        a = rows[:, d]
        has = a >= 0
        if mover is not None:
            has &= part.action_mover[np.maximum(a, 0)] == mover
        idx = np.flatnonzero(has)
        acc[idx] *= probs[a[idx]]
    return acc


def _regret_ok(part: _Part, reach: Array, shifted: Array, probs: Array) -> npt.NDArray[np.bool_]:
    """(N,): whether each mover's regret is within tolerance at each sample."""
    N = reach.shape[1]
    ok = np.ones(N, dtype=bool)
    mine = [_path_product(part, probs, 0), _path_product(part, probs, 1)]
    for i in (0, 1):
        other = mine[1 - i]
        u = shifted[:, :, i]
        value = (reach * mine[i] * other * u).sum(axis=0)
        value_size = (reach * mine[i] * other * np.abs(u)).sum(axis=0)
        # Best response by dynamic programming over the mover's sequences.
        size = part.n[i]
        V = np.zeros((size, N))
        G = np.zeros((size, N))
        seq = part.seq_at[:, i]
        _add_at(V, (seq,), reach * other * u, part.seq_rounds[i])
        _add_at(G, (seq,), reach * other * np.abs(u), part.seq_rounds[i])
        first, parent, sizes = part.firsts[i], part.parents[i], part.sizes[i]
        for k in range(len(first) - 1, -1, -1):
            acts = np.arange(first[k], first[k] + sizes[k])
            best = acts[np.argmax(V[acts], axis=0)]
            cols = np.arange(N)
            V[parent[k]] += V[best, cols]
            G[parent[k]] += G[best, cols]
        regret = V[0] - value
        scale = np.maximum(G[0], value_size)
        ok &= regret <= tolerances.tolerance(tolerances.REGRET, scale)
    return ok


def _constant_sum(shifted: Array) -> npt.NDArray[np.bool_]:
    """(N,): whether the part is constant-sum at each sample (as :func:`policy.solvers.lp.off_constant_sum`)."""
    sums = shifted[:, :, 0] + shifted[:, :, 1]
    size = np.abs(shifted).sum(axis=2)
    tol = tolerances.tolerance(tolerances.TIE, np.maximum(size, size[:1]))
    return np.asarray((np.abs(sums - sums[:1]) <= tol).all(axis=0))
