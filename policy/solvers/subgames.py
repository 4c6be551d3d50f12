"""Subgame-perfect equilibria of games with imperfect information, through proper subgames.

Selten (1965), "Spieltheoretische Behandlung eines Oligopolmodells mit
Nachfrageträgheit", Zeitschrift für die gesamte Staatswissenschaft 121, and
Selten (1975), "Reexamination of the perfectness concept for equilibrium points
in extensive games", International Journal of Game Theory 4: a profile is
subgame-perfect when it induces a Nash equilibrium in every proper subgame. A
proper subgame starts at a decision or chance node ``r`` that is alone in its
information set and such that every information set meeting ``r``'s subtree lies
entirely inside it. Solving the deepest subgames first and replacing each by
its equilibrium payoffs yields a subgame-perfect equilibrium: backward induction
(Kuhn 1953, "Extensive games and the problem of information", Contributions to
the Theory of Games II) with Nash equilibria of subgames in place of single
decisions.

Steps:

1. **Proper subgames** (:func:`subgame_roots`). Pre-order numbers and subtree
   sizes come from the breadth-first arrays level by level, so the subtree of
   ``r`` is the pre-order interval ``[pre(r), pre(r) + size(r))``. Each
   information set spans ``[min pre, max pre]`` of its members; folding these
   spans up the tree gives, for every node, the widest span of the sets met in
   its subtree, and ``r`` is a root exactly when that span fits in its interval.
   Linear in the number of nodes, no recursion.
   A root is a *Nash root* when it starts the smallest subgame holding some
   information set with several members; the children of any other root are
   roots or terminals, so between Nash roots the game has perfect information.
2. **Deepest first**, at each Nash root and at the top of each
   perfect-information region between them (a top with no decision below it,
   a lottery, is left to the subgame above): take the subtree, with every
   subgame solved below it replaced by a terminal carrying that subgame's
   equilibrium payoffs (a *part*: :class:`_Shape` and :func:`_part_numbers`,
   arrays only), and solve it. A region has perfect information and goes to
   backward induction (:func:`policy.solvers.backward.spe_solve`), in one
   vectorised call however large. A Nash root's part is a game of the players
   who move in it: when one player alone moves, it is a decision problem,
   solved exactly here by choosing, at each information set from the deepest
   up, the action with the best chance-weighted value; with two, the game of
   those two goes to ``lp`` if their payoffs add up to a constant there, else
   ``qpe`` (``lcp`` where the part is too big for it; the same in exact and
   float arithmetic, so that both select one equilibrium), the others'
   payoffs carried along by
   evaluating its equilibrium in the part; with three or more, to ``logit``;
   ``subgame_method`` overrides the Nash method.
3. **Identical parts once**: a part is keyed by its tree (kinds, children,
   movers, the pattern of its information sets) and its numbers (payoffs
   shifted per player by those of its first terminal, which changes no
   equilibrium, and chance probabilities), all as bytes of arrays; the same
   stage reached in the same state along many paths of a campaign is solved
   once and its behaviour copied to every instance.
4. **Assembly**: the behaviour of each part is mapped back to the full game
   by the positions of its information sets' actions, the whole profile is
   evaluated from scratch, and its regret is checked in the whole game and in
   every proper subgame (:func:`subgame_perfection_regret`; identical reduced
   subgames under identical behaviour are checked once) before it is returned.

With ``all_equilibria`` the equilibria each subgame method returns (all pure
ones for backward induction) are combined: every choice of equilibria below a
subgame gives its own reduced subgame, up to ``max_equilibria`` in all.

Payoffs of extracted subgames (:func:`subtree`) are totals along the whole
path from the game's root (as in :attr:`policy.model.Numbers.leaf_payoff`);
outcomes above the subgame add a constant per player, which changes no
equilibrium (parts are shifted by such a constant, step 3).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from math import prod
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import rational, tolerances
from policy.expr import ExprError
from policy.model import (
    ConstantOutcomes,
    ConstantProbabilities,
    Game,
    GameError,
    NodeKind,
    Number,
    NumberedLabels,
    Numbers,
    game_from_arrays,
)
from policy.solvers.backward import spe_solve
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import (
    Regret,
    RegretCheck,
    VerificationError,
    edge_weights,
    magnitudes,
    nash_regret_check,
    one_node_gains,
    reach_probabilities,
    regret_tolerance,
    same_profile,
    subgame_values,
    tie_tolerance,
    verified_equilibrium,
)

#: ``all_equilibria`` stops with an error beyond this many equilibria.
MAX_EQUILIBRIA = 1000
#: Solved parts kept on a game between solves (cleared when full).
KEPT_PARTS = 4096
#: Exact Nash regrets of reduced subgames kept on a game between solves (cleared when full).
KEPT_REGRETS = 4096
#: In float mode, parts whose shifted numbers agree to this many bits below each player's largest
#: (probabilities: below 1) are solved once (:func:`_float_key`).
FLOAT_KEY_BITS = 40

SubgameSolver = Callable[..., SolveResult]
"""``solve(game, values, method=..., exact=..., all_equilibria=...) -> SolveResult``,
the shape of :func:`policy.solvers.solve`."""

Array = npt.NDArray[Any]


# ---------------------------------------------------------------------------------
# Proper subgames
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Structure:
    """Per node: pre-order number, subtree size, whether a proper subgame starts there,
    and whether that subgame is the smallest one holding some information set with
    several members (a *Nash root*: solving it needs a Nash method)."""

    pre: npt.NDArray[np.int64]
    size: npt.NDArray[np.int64]
    is_root: npt.NDArray[np.bool_]
    nash: npt.NDArray[np.bool_]

    @property
    def plain(self) -> npt.NDArray[np.bool_]:
        """Roots that are not Nash roots: their children are roots or terminals."""
        return self.is_root & ~self.nash


def _fold_up(game: Game, column: Array, reduce: np.ufunc) -> None:
    """Combine each node's entry with its children's, deepest level first, in place."""
    for inner, cstart, cstop in game.levels_bottom_up():
        offsets = game.first_child[inner] - cstart
        column[inner] = reduce(column[inner], reduce.reduceat(column[cstart:cstop], offsets))


def _structure(game: Game) -> _Structure:
    n = game.num_nodes
    levels = game.levels
    size = np.ones(n, dtype=np.int64)
    _fold_up(game, size, np.add)
    # Pre-order: a child comes after its parent and after its elder siblings' subtrees.
    pre = np.zeros(n, dtype=np.int64)
    for d in range(len(levels) - 1):
        inner = game.level_inner[d]
        if not inner.size:
            continue
        cstart, cstop = levels[d + 1]
        s = size[cstart:cstop]
        before = np.cumsum(s) - s  # subtree sizes of earlier nodes of this level
        counts = game.num_children[inner].astype(np.int64)
        offsets = game.first_child[inner] - cstart
        pre[cstart:cstop] = np.repeat(pre[inner] + 1 - before[offsets], counts) + before
    decision = np.flatnonzero(game.kind == NodeKind.DECISION)
    sets = game.infoset[decision]
    n_sets = len(game.infosets)
    span_lo = np.full(n_sets, n, dtype=np.int64)
    span_hi = np.full(n_sets, -1, dtype=np.int64)
    np.minimum.at(span_lo, sets, pre[decision])
    np.maximum.at(span_hi, sets, pre[decision])
    shared = np.bincount(sets, minlength=n_sets) > 1
    lo = np.full(n, n, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    lo[decision] = span_lo[sets]
    hi[decision] = span_hi[sets]
    own_shared = np.zeros(n, dtype=np.int8)
    own_shared[decision] = shared[sets]
    _fold_up(game, lo, np.minimum)
    _fold_up(game, hi, np.maximum)
    is_root = (
        (game.kind != NodeKind.TERMINAL) & (lo >= pre) & (hi < pre + size) & (own_shared == 0)
    )
    # The smallest subgame holding a set starts at the nearest root above any member.
    nearest = np.arange(n, dtype=np.int64)
    for start, stop in levels[1:]:
        up = ~is_root[start:stop]
        nearest[start:stop][up] = nearest[game.parent[start:stop][up]]
    nash = np.zeros(n, dtype=bool)
    nash[nearest[game.infoset_first_member[shared]]] = True
    return _Structure(pre=pre, size=size, is_root=is_root, nash=nash)


def subgame_roots(game: Game) -> list[int]:
    """The nodes where a proper subgame starts, in breadth-first order.

    A decision or chance node ``r`` is a root when it is alone in its
    information set and every information set with a member below ``r`` has all
    its members below ``r``. The game's root is one (unless it is a terminal);
    in a game of perfect information every non-terminal node is one.
    """
    return np.flatnonzero(_structure(game).is_root).tolist()


# ---------------------------------------------------------------------------------
# Cutting and extracting subtrees
# ---------------------------------------------------------------------------------
def _children(game: Game, nodes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """All children of ``nodes``, in order."""
    counts = game.num_children[nodes].astype(np.int64)
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    start = np.cumsum(counts) - counts
    return np.repeat(game.first_child[nodes], counts) + (np.arange(total) - np.repeat(start, counts))


def _walk(game: Game, root: int, stop: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Nodes of ``root``'s subtree in breadth-first order, not entering nodes marked ``stop``."""
    parts = [np.array([root], dtype=np.int64)]
    frontier = _children(game, parts[0]) if game.kind[root] != NodeKind.TERMINAL else parts[0][:0]
    while frontier.size:
        parts.append(frontier)
        frontier = _children(game, frontier[(game.kind[frontier] != NodeKind.TERMINAL) & ~stop[frontier]])
    return np.concatenate(parts)


def _cut_game(
    game: Game,
    numbers: Numbers,
    order: npt.NDArray[np.int64],
    cut: Mapping[int, Sequence[Number]],
) -> Game:
    """The game on ``order`` (a breadth-first closed subtree), with ``cut`` nodes made terminals."""
    n = len(order)
    is_cut = np.zeros(n, dtype=bool)
    if cut:
        is_cut = np.isin(order, np.fromiter(cut, dtype=np.int64, count=len(cut)))
        is_cut[0] = False
    kind = np.where(is_cut, np.int8(NodeKind.TERMINAL), game.kind[order])
    num_children = np.where(kind == NodeKind.TERMINAL, 0, game.num_children[order])
    player = np.where(kind == NodeKind.DECISION, game.player[order], -1)
    # Rows of the original terminals in leaf_payoff (terminals are sorted).
    kept_leaves = order[(kind == NodeKind.TERMINAL) & ~is_cut]
    leaf_rows = iter(np.searchsorted(game.terminals, kept_leaves).tolist())
    leaf = numbers.leaf_payoff
    payoffs: list[Sequence[Number]] = []
    probabilities: dict[int, list[Number]] = {}
    set_names: list[str | None] = [None] * n
    for i, (node, k) in enumerate(zip(order.tolist(), kind.tolist(), strict=True)):
        if k == NodeKind.TERMINAL:
            payoffs.append(cut[node] if is_cut[i] else leaf[next(leaf_rows)].tolist())
        elif k == NodeKind.CHANCE:
            probabilities[i] = numbers.edge_prob[list(game.children_of(node))].tolist()
        else:
            set_names[i] = game.infosets.at(int(game.infoset[node])).name
    return _subgame_of(game, order, list(game.players), num_children, kind, player, payoffs,
                       probabilities, set_names)


def _subgame_of(
    game: Game,
    order: Array,
    players: list[str],
    num_children: Any,
    kind: Any,
    player: Any,
    payoffs: Sequence[Sequence[Number]] | Array,
    probabilities: Mapping[int, Sequence[Number]],
    set_names: list[str | None],
) -> Game:
    """The game of the nodes ``order`` of ``game`` (breadth-first, root first), named after them."""
    names = [game.node_names[v] for v in order.tolist()]
    labels = [""] + [game.action_label[v] for v in order[1:].tolist()]
    title = f"{game.title}: subgame at {names[0]}" if order[0] else game.title
    try:
        return game_from_arrays(
            title,
            players,
            num_children,
            kind,
            player,
            payoffs,
            probabilities=dict(probabilities),
            infoset_names=set_names,
            node_names=names,
            action_labels=labels,
            origin=game.origin,
        )
    except (GameError, ExprError) as err:  # e.g. a payoff too long to write as a number
        raise SolverError(f"cannot build the subgame at {names[0]!r}: {err}") from None


def subtree(
    game: Game,
    numbers: Numbers,
    root: int = 0,
    cut: Mapping[int, Sequence[Number]] | None = None,
) -> Game:
    """The subtree below ``root`` as a game of its own, with numeric payoffs.

    Node names, information set names and action labels are kept; payoffs and
    chance probabilities are ``numbers`` (exact or float) turned into constants,
    so the new game needs no parameter values (solve it with ``{}``). Each node
    of ``cut`` (which must lie in the subtree) becomes a terminal with the given
    payoff vector, its own subtree dropped.

    Raises
    ------
    SolverError
        If an information set of the subtree has members outside it (``root``
        does not start a proper subgame), or a node of ``cut`` is not strictly
        below ``root``.
    """
    cut = dict(cut or {})
    if root in cut:
        raise SolverError(f"cannot cut at the subtree's own root {game.node_names[root]!r}")
    stop = np.zeros(game.num_nodes, dtype=bool)
    stop[list(cut)] = True
    order = _walk(game, root, stop)
    inside = set(order.tolist())
    outside = [game.node_names[c] for c in cut if c not in inside]
    if outside:
        raise SolverError(f"cannot cut at {outside[0]!r}: it is not below {game.node_names[root]!r}")
    _require_closed(game, order)
    return _cut_game(game, numbers, order, cut)


def replace_subtrees(game: Game, numbers: Numbers, payoffs: Mapping[int, Sequence[Number]]) -> Game:
    """The game with each node of ``payoffs`` replaced by a terminal with those payoffs."""
    return subtree(game, numbers, 0, payoffs)


def _require_closed(game: Game, order: npt.NDArray[np.int64]) -> None:
    members = order[game.kind[order] == NodeKind.DECISION]
    inside = set(order.tolist())
    for k in sorted(set(game.infoset[members].tolist())):
        s = game.infosets.at(k)
        if any(m not in inside for m in s.members):
            raise SolverError(
                f"information set {s.name!r} reaches outside the subtree of "
                f"{game.node_names[int(order[0])]!r}: it does not start a proper subgame"
            )


# ---------------------------------------------------------------------------------
# Parts: the reduced subgame of a task, as arrays, and its key
# ---------------------------------------------------------------------------------
def _tasks(game: Game, structure: _Structure) -> npt.NDArray[np.bool_]:
    """The roots solved one by one: Nash roots, and the tops of perfect-information regions.

    A top is a plain root whose parent is not a plain root. A top with no
    decision node below it (chance and terminals only: a lottery) is left to
    the task above it, which values it by expectation; the game's root is
    always a task.
    """
    plain = structure.plain
    top = plain.copy()
    top[1:] &= ~plain[game.parent[1:]]
    decides = (game.kind == NodeKind.DECISION).astype(np.int64)
    _fold_up(game, decides, np.maximum)
    task = structure.nash | (top & (decides > 0))
    task[0] = game.kind[0] != NodeKind.TERMINAL
    return task


class _Parts:
    """The tasks of a game and the shape of each one's reduced subgame, made once and shared.

    Every task's nodes come from one pass: each node belongs to the nearest
    task strictly above it (the tasks below a task are its cut terminals), so
    a stable sort by that task gives every part's nodes in breadth-first order.
    """

    def __init__(self, game: Game, structure: _Structure, numbers: Numbers) -> None:
        self.game = game
        self.numbers = numbers
        self._numbers: dict[tuple[Any, ...], _PartNumbers] = {}
        self._small: npt.NDArray[np.bool_] | None = None
        self.nash_regrets: dict[tuple[Any, ...], Regret] = {}
        """Exact Nash regrets of reduced subgames under a behaviour, by tree, numbers and behaviour
        (:func:`_nash_root_regrets`): computed when a part's equilibrium is verified, read again
        when the assembled profile is. Kept on the game between exact solves (a pure function of
        the key: the same reduced game under the same behaviour has the same regret)."""
        if numbers.exact:
            regrets: dict[tuple[Any, ...], Regret] = game._cache.setdefault("spe_nash_regrets", {})  # type: ignore[assignment]
            if len(regrets) >= KEPT_REGRETS:
                regrets.clear()
            self.nash_regrets = regrets
        self.ratios: tuple[Any, Any] | None = None
        if numbers.exact and numbers.ratios is not None:
            # Integers already (no Fraction to take apart): each entry in lowest terms.
            held = numbers.ratios
            full = np.broadcast_to(held.leaf_den[:, None], held.leaf_num.shape)
            # Kept even when some entries pass int64 (a parameter at a long rational):
            # each part takes the fast path when its own numbers are small
            # (:func:`_part_numbers`), as most parts are when one parameter moved.
            self.ratios = (rational.reduce(held.leaf_num, full), (held.prob_num, held.prob_den))
        elif numbers.exact:
            leaf = _ratios(numbers.leaf_payoff.ravel().tolist())
            edge = _ratios(numbers.edge_prob.tolist())
            if leaf is not None and edge is not None:
                shape = numbers.leaf_payoff.shape
                self.ratios = ((leaf[0].reshape(shape), leaf[1].reshape(shape)), edge)
        # The tasks and their shapes depend on the tree alone: kept on the game, so
        # that solving it again at other values (a search over parameters) finds them.
        layout = game._cache.get("spe_part_layout")
        if layout is None:
            task = _tasks(game, structure)
            owner = np.full(game.num_nodes, -1, dtype=np.int64)
            for start, stop in game.levels[1:]:
                up = game.parent[start:stop]
                owner[start:stop] = np.where(task[up], up, owner[up])
            by_owner = np.argsort(owner, kind="stable")
            layout = game._cache["spe_part_layout"] = (task, by_owner, owner[by_owner], {})
        parts: tuple[Any, Any, Any, dict[int, _Shape]] = layout  # type: ignore[assignment]
        self.task: npt.NDArray[np.bool_] = parts[0]
        self._by_owner: npt.NDArray[np.int64] = parts[1]
        self._owner_sorted: npt.NDArray[np.int64] = parts[2]
        self._shapes: dict[int, _Shape] = parts[3]

    def roots(self) -> list[int]:
        """The tasks, deepest first (every task's tasks below come before it)."""
        return np.flatnonzero(self.task)[::-1].tolist()

    def shape(self, root: int) -> _Shape:
        got = self._shapes.get(root)
        if got is None:
            lo, hi = np.searchsorted(self._owner_sorted, [root, root + 1])
            order = np.concatenate(([root], self._by_owner[lo:hi]))
            got = self._shapes[root] = _shape(self.game, order)
        return got

    def numbers_of(self, root: int, cut_values: Sequence[Sequence[Number]] | Array) -> _PartNumbers:
        """:func:`_part_numbers` of ``root``'s part, kept.

        The check of a profile asks again for the parts the solve made, with
        the cut values it finds (equal to those the solve chose when the
        profile is right): a pure function of them, so it is looked up.
        """
        flat = np.asarray(cut_values, dtype=object).ravel().tolist() if len(cut_values) else []
        key = (root, _Exact(tuple(flat)))
        got = self._numbers.get(key)
        if got is None:
            got = self._numbers[key] = _part_numbers(
                self.game, self.numbers, self.shape(root), cut_values, shift=root > 0, ratios=self.ratios,
                own_small=self.small_parts()[root] if self.ratios is not None else False,
            )
        return got

    def numbers_of_many(self, asked: Sequence[tuple[int, Sequence[Sequence[Number]]]]) -> dict[int, _PartNumbers]:
        """:meth:`numbers_of` of several parts (root, cut values), the same numbers and keys.

        The parts whose own numbers and cut values are all int64 below
        :data:`_SMALL` (most of a campaign's) are shifted and keyed in one
        pass of array arithmetic over all of them, as :func:`_part_numbers`
        does part by part; the others go to :meth:`numbers_of`.
        """
        out: dict[int, _PartNumbers] = {}
        if not (self.numbers.exact and self.ratios is not None):
            for r, values in asked:
                out[r] = self.numbers_of(r, values)
            return out
        small = self.small_parts()
        batch = []
        for r, values in asked:
            flat: list[Any] = [x for v in values for x in v]
            pairs = [x.as_integer_ratio() for x in flat]
            nums = [a for a, _ in pairs]
            dens = [b for _, b in pairs]
            if not r or not small[r] or (flat and (max(map(abs, nums)) >= _SMALL or max(dens) >= _SMALL)):
                out[r] = self.numbers_of(r, values)
                continue
            key = (r, _Exact(tuple(flat)))
            got = self._numbers.get(key)
            if got is not None:
                out[r] = got
                continue
            batch.append((r, key, flat, nums, dens))
        if batch:
            made = _part_numbers_many(self.game, self.numbers, [self.shape(r) for r, *_ in batch],
                                      [(f, n, d) for _, _, f, n, d in batch], self.ratios)
            for (r, key, *_), part in zip(batch, made, strict=True):
                out[r] = self._numbers[key] = part
        return out

    def small_parts(self) -> npt.NDArray[np.bool_]:
        """For each task, whether its part's own numbers (its terminals' payoffs, its edges'
        probabilities) are all int64 below :data:`_SMALL` (:func:`_fits`), found for every
        part in one pass; all False when the game's integers are not int64 arrays."""
        if self._small is None:
            game = self.game
            self._small = np.zeros(game.num_nodes, dtype=bool)
            assert self.ratios is not None
            (leaf_num, leaf_den), (edge_num, edge_den) = self.ratios
            if not rational._is_object(leaf_num, leaf_den, edge_num, edge_den):
                fits = (np.abs(edge_num) < _SMALL) & (edge_den < _SMALL)
                fits[game.terminals] &= ((np.abs(leaf_num) < _SMALL) & (leaf_den < _SMALL)).all(axis=1)
                self._small[:] = True
                owners = self.owner()[~fits]
                self._small[owners[owners >= 0]] = False
        return self._small

    def owner(self) -> npt.NDArray[np.int64]:
        """For each node, the task whose part holds it (the nearest task strictly above; -1 at the root)."""
        got = self.game._cache.get("spe_part_owner")
        if got is None:
            got = np.full(self.game.num_nodes, -1, dtype=np.int64)
            got[self._by_owner] = self._owner_sorted
            self.game._cache["spe_part_owner"] = got
        return got  # type: ignore[return-value]


@dataclass(frozen=True)
class _Shape:
    """The tree of one task's reduced subgame, without its numbers.

    ``order`` are the nodes of the game in it (breadth-first; the subtree of
    the task's root down to the tasks below, which become terminals, ``cut``).
    Information sets are numbered in the order their first member comes, as
    :func:`policy.model.game_from_arrays` numbers them, so a behaviour vector
    of the part's game maps to the whole game's by ``positions``. ``key``
    holds the arrays that make two parts the same tree (kind, children,
    movers, information-set pattern), as bytes.
    """

    order: npt.NDArray[np.int64]
    cut: npt.NDArray[np.bool_]
    kind: npt.NDArray[np.int8]
    num_children: npt.NDArray[np.int32]
    player: npt.NDArray[np.int32]
    local_set: npt.NDArray[np.int64]
    positions: npt.NDArray[np.int64]
    leaf_rows: npt.NDArray[np.int64]
    """Rows in ``Numbers.leaf_payoff`` of the part's terminals that are the game's (-1: cut)."""
    movers: tuple[int, ...]
    perfect_information: bool
    key: bytes

    cut_nodes: tuple[int, ...] = ()
    """The game's nodes where the part is cut (roots of tasks below), in order."""
    position_list: tuple[int, ...] = ()
    """``positions`` as Python integers (read at every solve)."""


def _shape(game: Game, order: npt.NDArray[np.int64]) -> _Shape:
    """The :class:`_Shape` of the part on ``order``; tasks below the first node become terminals.

    ``order`` comes from :func:`_walk` with the tasks as stops: the nodes that
    are not terminals but have no child in ``order`` are exactly the cuts.
    """
    n = len(order)
    kind = game.kind[order]
    counts = game.num_children[order]
    # Children counted in the part: a cut keeps its kind in the game but none of its children.
    inside = np.bincount(np.searchsorted(order, game.parent[order[1:]]), minlength=n)
    cut = (kind != NodeKind.TERMINAL) & (inside == 0)
    cut[0] = False
    kind = np.where(cut, np.int8(NodeKind.TERMINAL), kind).astype(np.int8)
    num_children = np.where(cut, 0, counts).astype(np.int32)
    player = np.where(kind == NodeKind.DECISION, game.player[order], -1).astype(np.int32)
    decision = np.flatnonzero(kind == NodeKind.DECISION)
    global_sets = game.infoset[order[decision]].astype(np.int64)
    uniq, first, inverse = np.unique(global_sets, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    local_set = np.full(n, -1, dtype=np.int64)
    local_set[decision] = rank[inverse]
    sets_in_order = uniq[np.argsort(first, kind="stable")]
    widths = game.num_children[game.infoset_first_member[sets_in_order]].astype(np.int64)
    starts = np.cumsum(widths) - widths
    total = int(widths.sum())
    positions = np.repeat(game.infoset_offsets[sets_in_order], widths) + (
        np.arange(total) - np.repeat(starts, widths)
    )
    terminal = kind == NodeKind.TERMINAL
    leaf_rows = np.full(int(terminal.sum()), -1, dtype=np.int64)
    own = ~cut[terminal]
    leaf_rows[own] = np.searchsorted(game.terminals, order[terminal][own])
    members = np.bincount(local_set[decision], minlength=len(uniq)) if decision.size else decision
    key = b"".join(
        (kind.tobytes(), num_children.tobytes(), player.tobytes(), local_set.tobytes())
    )
    return _Shape(
        order=order,
        cut=cut,
        kind=kind,
        num_children=num_children,
        player=player,
        local_set=local_set,
        positions=positions,
        leaf_rows=leaf_rows,
        movers=tuple(sorted(set(player[decision].tolist()))),
        perfect_information=not decision.size or int(members.max()) <= 1,
        key=key,
        cut_nodes=tuple(order[cut].tolist()),
        position_list=tuple(positions.tolist()),
    )


#: Numerators and denominators below this fit int64 products (cross-multiplying two of them).
_SMALL = 2**31


def _ratios(values: Sequence[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Numerators and denominators of exact numbers as int64 arrays, or None if one is too large."""
    num = [x.numerator for x in values]
    den = [x.denominator for x in values]
    if num and (max(map(abs, num)) >= _SMALL or max(den) >= _SMALL):
        return None
    return np.array(num, dtype=np.int64), np.array(den, dtype=np.int64)


def _small(num: Array, den: Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """:func:`_ratios` of numbers held as integer arrays (in lowest terms) already."""
    if num.size and (
        num.dtype == object or den.dtype == object or max(num.max(), -num.min()) >= _SMALL or den.max() >= _SMALL
    ):
        return None
    return num.astype(np.int64), den.astype(np.int64)


def _fits(num: Array, den: Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Integer numerators and denominators (int64 or Python ints) as int64 when all are below
    :data:`_SMALL` in size, else None: :func:`_small` for arrays that may hold Python ints."""
    if num.dtype != object and den.dtype != object:
        return _small(num, den)
    if num.size and (max(map(abs, num.ravel().tolist())) >= _SMALL or max(den.ravel().tolist()) >= _SMALL):
        return None
    return num.astype(np.int64), den.astype(np.int64)


class _Exact:
    """A tuple of exact numbers as a dictionary key, hashed once.

    Hashing a ``Fraction`` costs a modular inverse, and a tuple does not keep
    its hash: a part's numbers too large for int64 (a parameter at a long
    rational, as the flip search's confirmations put it) were hashed again
    at every lookup. Equal exactly when the numbers are equal.
    """

    __slots__ = ("_hash", "items")

    def __init__(self, items: tuple[Any, ...]) -> None:
        self.items = items
        self._hash = hash(items)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Exact) and self._hash == other._hash and self.items == other.items


@dataclass(frozen=True)
class _PartNumbers:
    """A part's payoffs (per terminal of the part, shifted by ``shift``) and chance probabilities.

    Payoffs are totals from the game's root; each player's are shifted by the
    payoff of the part's first terminal, a constant per player that changes no
    equilibrium (at the game's root the shift is 0). Two copies of one stage
    reached along different paths then have the same numbers. ``key`` holds
    those numbers as bytes (numerators and denominators in lowest terms,
    exact; float64, float), or as a tuple when they are too large for int64.
    """

    shift: tuple[Number, ...]
    key: bytes | _Exact
    _payoff: Callable[[], Array]
    _edge_prob: Callable[[], Array]
    integers: tuple[Array, Array, Array, Array] | None = None
    """Exact numbers as integers (int64, or Python ints where some pass int64): the
    shifted payoffs' numerators and denominators (terminals, players), each in lowest
    terms, and those of the edge into each node of the part but its root; None when
    the numbers are floats or were given as ``Fraction`` objects only."""

    @property
    def payoff(self) -> Array:
        """The shifted payoffs, made when a part is solved (not for a copy found in the memo)."""
        return self._payoff()

    @property
    def edge_prob(self) -> Array:
        """The probability of the edge into each node of the part (1 where a player moves)."""
        return self._edge_prob()


def _part_numbers(
    game: Game,
    numbers: Numbers,
    shape: _Shape,
    cut_values: Sequence[Sequence[Number]] | Array,
    shift: bool,
    ratios: tuple[Any, Any] | None = None,
    own_small: bool = False,
) -> _PartNumbers:
    """The numbers of ``shape`` with the cut terminals worth ``cut_values`` (in order).

    ``ratios`` are the game's leaf payoffs and edge probabilities as integer
    numerators and denominators (int64, or Python ints where some pass int64),
    when exact: where the part's own are small enough (:func:`_fits`), the
    shift and the key are array arithmetic, with no ``Fraction`` made.
    ``own_small``: the part's own numbers are known to be int64 and small
    enough (:meth:`_Parts.small_parts`), so they are not checked again.
    """
    exact = numbers.exact
    n_players = len(game.players)
    rows = shape.leaf_rows
    own = rows >= 0
    cut = np.asarray(cut_values, dtype=object if exact else np.float64).reshape(-1, n_players)
    kids = shape.order[1:]
    if exact and ratios is not None:
        (leaf_num, leaf_den), (edge_num, edge_den) = ratios
        own_num, own_den = leaf_num[rows[own]], leaf_den[rows[own]]
        kid_num, kid_den = edge_num[kids], edge_den[kids]
        mine: tuple[Array, Array] | None
        edges: tuple[Array, Array] | None
        if own_small:
            mine, edges = (own_num, own_den), (kid_num, kid_den)
        else:
            mine = _fits(own_num, own_den)
            edges = _fits(kid_num, kid_den)
        cut_ratios = _ratios(cut.ravel().tolist()) if len(cut) else None
        # int64 when the part's own numbers are small (most parts, when one parameter
        # moved to a long rational); else the same arithmetic on Python integers.
        small = mine is not None and edges is not None and (cut_ratios is not None or not len(cut))
        dtype: Any = np.int64 if small else object
        num = np.empty((len(rows), n_players), dtype=dtype)
        den = np.empty((len(rows), n_players), dtype=dtype)
        if small:
            assert mine is not None and edges is not None
            (own_num, own_den), (kid_num, kid_den) = mine, edges
        num[own] = own_num
        den[own] = own_den
        if len(cut):
            if cut_ratios is not None and small:
                num[~own] = cut_ratios[0].reshape(-1, n_players)
                den[~own] = cut_ratios[1].reshape(-1, n_players)
            else:
                flat = cut.ravel().tolist()
                num[~own] = np.array([x.numerator for x in flat], dtype=object).reshape(-1, n_players)
                den[~own] = np.array([x.denominator for x in flat], dtype=object).reshape(-1, n_players)
        if not shift:
            base: tuple[Number, ...] = (Fraction(0),) * n_players
        elif own[0]:
            # In lowest terms already (the game's integers are): no gcd to take again.
            base = tuple(map(rational.coprime_fraction, num[0].tolist(), den[0].tolist()))
        else:
            base = tuple(cut[0].tolist())
        if shift:
            num, den = num * den[0] - num[0] * den, den * den[0]
            common = np.gcd(num, den)
            num //= common
            den //= common
        if small:
            key: bytes | _Exact = b"".join((num.tobytes(), den.tobytes(), kid_num.tobytes(), kid_den.tobytes()))
        else:
            key = _Exact((*num.ravel().tolist(), *den.ravel().tolist(), *kid_num.tolist(), *kid_den.tolist()))

        def fractions() -> Array:
            out = np.empty(num.shape, dtype=object)
            out.ravel()[:] = [Fraction(a, b) for a, b in zip(num.ravel().tolist(), den.ravel().tolist(), strict=True)]
            return out

        def part_edges() -> Array:
            return numbers.edge_prob[shape.order]

        integers = (num, den, kid_num, kid_den)
        return _PartNumbers(shift=base, key=key, _payoff=fractions, _edge_prob=part_edges, integers=integers)
    edge_prob = numbers.edge_prob[shape.order]
    payoff = np.empty((len(rows), n_players), dtype=object if exact else np.float64)
    payoff[own] = numbers.leaf_payoff[rows[own]]
    if len(cut):
        payoff[~own] = cut
    if shift:
        row = payoff[0].copy()
        payoff = payoff - row
        base = tuple(row.tolist())
    else:
        base = (Fraction(0),) * n_players if exact else (0.0,) * n_players
    if exact:
        key = _Exact((*payoff.ravel().tolist(), *edge_prob[1:].tolist()))
    else:
        key = _float_key(payoff, edge_prob[1:])
    shifted = payoff
    return _PartNumbers(shift=base, key=key, _payoff=lambda: shifted, _edge_prob=lambda: edge_prob)


def _float_key(payoff: Array, edge_prob: Array) -> bytes:
    """The key of a part's float numbers: two copies of one stage whose exact numbers are equal get one key.

    Float payoffs are totals from the game's root, so two copies of a stage
    reached along different paths differ after the shift by the rounding of
    their different totals (a few float64 spacings of the totals), and their
    bytes differ. Each player's shifted payoffs are therefore rounded to a
    grid of :data:`FLOAT_KEY_BITS` bits below that player's largest shifted
    payoff in the part (the grid's exponent is part of the key), and the
    probabilities to the same number of bits below 1. Payoffs that differ by
    less than a grid step (about 1e-12 of the part's largest) are far inside
    the float tie tolerance (:data:`policy.tolerances.TIE`, 1e-9 of the
    values compared). Two copies whose numbers fall on either side of a grid
    point only get two keys, and are solved twice, as before. Non-finite
    numbers keep their bytes.
    """
    if not (np.isfinite(payoff).all() and np.isfinite(edge_prob).all()):
        return payoff.tobytes() + edge_prob.tobytes()
    largest = np.abs(payoff).max(axis=0) if len(payoff) else np.zeros(payoff.shape[1:])
    _, exponent = np.frexp(largest)
    steps = np.rint(np.ldexp(payoff, FLOAT_KEY_BITS - exponent)).astype(np.int64)
    chances = np.rint(np.ldexp(edge_prob, FLOAT_KEY_BITS)).astype(np.int64)
    return exponent.astype(np.int64).tobytes() + steps.tobytes() + chances.tobytes()


def _part_numbers_many(
    game: Game,
    numbers: Numbers,
    shapes: Sequence[_Shape],
    cuts: Sequence[tuple[list[Number], list[int], list[int]]],
    ratios: tuple[Any, Any],
) -> list[_PartNumbers]:
    """:func:`_part_numbers` (shifted, exact, int64) of several parts at once.

    Each part's own numbers and cut values (``cuts``: the values, their
    numerators and their denominators, flat) must be int64 below
    :data:`_SMALL`, and no part the game's root. The rows of all parts are
    stacked; each part's shift (its first terminal's row), the reduction and
    the key's bytes are the same as part by part.
    """
    (leaf_num, leaf_den), (edge_num, edge_den) = ratios
    n_players = len(game.players)
    sizes = np.array([len(sh.leaf_rows) for sh in shapes], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    total = int(sizes.sum())
    num = np.empty((total, n_players), dtype=np.int64)
    den = np.empty((total, n_players), dtype=np.int64)
    owns = [sh.leaf_rows >= 0 for sh in shapes]
    own_at = np.concatenate([start + np.flatnonzero(own) for start, own in zip(starts.tolist(), owns, strict=True)])
    rows = np.concatenate([sh.leaf_rows[own] for sh, own in zip(shapes, owns, strict=True)])
    num[own_at] = leaf_num[rows]
    den[own_at] = leaf_den[rows]
    cut_at = np.concatenate([start + np.flatnonzero(~own) for start, own in zip(starts.tolist(), owns, strict=True)])
    if cut_at.size:
        num[cut_at] = np.array([n for _, ns, _ in cuts for n in ns], dtype=np.int64).reshape(-1, n_players)
        den[cut_at] = np.array([d for _, _, ds in cuts for d in ds], dtype=np.int64).reshape(-1, n_players)
    first_num, first_den = num[starts], den[starts]
    base_num = np.repeat(first_num, sizes, axis=0)
    base_den = np.repeat(first_den, sizes, axis=0)
    num, den = num * base_den - base_num * den, den * base_den
    common = np.gcd(num, den)
    num //= common
    den //= common
    kids = np.concatenate([sh.order[1:] for sh in shapes])
    kid_sizes = [len(sh.order) - 1 for sh in shapes]
    kid_num, kid_den = edge_num[kids], edge_den[kids]
    num_bytes, den_bytes = num.tobytes(), den.tobytes()
    kid_num_bytes, kid_den_bytes = kid_num.tobytes(), kid_den.tobytes()
    row_bytes = 8 * n_players
    out = []
    k = 0
    firsts = zip(first_num.tolist(), first_den.tolist(), strict=True)
    for shape, own, (flat, _, _), start, size, kid_size, first in zip(
        shapes, owns, cuts, starts.tolist(), sizes.tolist(), kid_sizes, firsts, strict=True
    ):
        a, b = start * row_bytes, (start + size) * row_bytes
        key = b"".join((num_bytes[a:b], den_bytes[a:b], kid_num_bytes[8 * k : 8 * (k + kid_size)],
                        kid_den_bytes[8 * k : 8 * (k + kid_size)]))
        if own[0]:
            # In lowest terms already (the game's integers are): no gcd to take again.
            base: tuple[Number, ...] = tuple(map(rational.coprime_fraction, first[0], first[1]))
        else:
            base = tuple(flat[:n_players])
        integers = (num[start : start + size], den[start : start + size], kid_num[k : k + kid_size],
                    kid_den[k : k + kid_size])
        out.append(_PartNumbers(shift=base, key=key, _payoff=_payoff_fractions(integers[0], integers[1]),
                                _edge_prob=_edges_of(numbers, shape), integers=integers))
        k += kid_size
    return out


def _payoff_fractions(num: Array, den: Array) -> Callable[[], Array]:
    """The payoffs ``num / den`` as ``Fraction`` objects, made when asked."""

    def fractions() -> Array:
        out = np.empty(num.shape, dtype=object)
        out.ravel()[:] = [Fraction(a, b) for a, b in zip(num.ravel().tolist(), den.ravel().tolist(), strict=True)]
        return out

    return fractions


def _edges_of(numbers: Numbers, shape: _Shape) -> Callable[[], Array]:
    """The probabilities of the edges into the part's nodes, taken when asked."""
    return lambda: numbers.edge_prob[shape.order]


#: Part games kept on a game as templates for others of the same part (cleared when full).
KEPT_TEMPLATES = 1024
#: Cached properties of a :class:`~policy.model.Game` that depend on its tree alone,
#: copied from a part's template to the part's game with other numbers.
_TREE_PROPERTIES = (
    "terminals", "levels", "level_inner", "num_actions", "is_perfect_information",
    "infoset_offsets", "infoset_first_member", "has_interior_outcomes",
)


def _part_game(
    game: Game, shape: _Shape, part: _PartNumbers, players: Sequence[int] | None = None
) -> Game:
    """The part as a game of its own with numeric payoffs, names kept from the game.

    ``players`` (indices in the game) keeps only those players, renumbered in
    that order; by default all.

    When the part's exact numbers are integers that every number check
    passes (``part.integers``, :func:`_plain_numbers`), the game is a
    template of the part (its root and the players kept: the tree and names,
    built from arrays once with every number 0 and kept on ``game``) with its
    outcomes and chance probabilities replaced by these numbers: no
    ``Fraction`` made and nothing parsed. Otherwise it is built from arrays
    with its numbers, as :func:`policy.model.game_from_arrays` checks them.
    """
    keep = list(range(len(game.players))) if players is None else list(players)
    if part.integers is None or not _plain_numbers(part.integers):
        return _built_part_game(game, shape, part, keep, players is not None)
    templates: dict[tuple[int, tuple[int, ...]], Game] = game._cache.setdefault("spe_part_games", {})  # type: ignore[assignment]
    slot = (int(shape.order[0]), tuple(keep))
    template = templates.get(slot)
    if template is None:
        template = _built_part_game(game, shape, None, keep, players is not None)
        for name in _TREE_PROPERTIES:
            getattr(template, name)
        if len(templates) >= KEPT_TEMPLATES:
            templates.clear()
        templates[slot] = template
    return _renumbered(template, part.integers, keep)


#: Integers of at most this many bits pass every check of a number written in a game
#: (:func:`policy.expr.parse`: at most 400 digits a side, magnitude at most 1.8e308).
_PLAIN_BITS = 1000


def _plain_numbers(integers: tuple[Array, ...]) -> bool:
    """Whether every integer is small enough that building the game from ``Fraction``
    objects could not refuse it (:data:`_PLAIN_BITS`); else the part is built that way,
    with its checks and errors."""
    for a in integers:
        if a.dtype == object and a.size and max(abs(x) for x in a.ravel().tolist()).bit_length() > _PLAIN_BITS:
            return False
    return True


def _renumbered(template: Game, integers: tuple[Array, Array, Array, Array], keep: list[int]) -> Game:
    """``template`` with the payoffs of the players ``keep`` and the chance probabilities of ``integers``."""
    num, den, kid_num, kid_den = integers
    tables = template.constant_tables
    assert tables is not None
    edges = tables[1].edges
    pnum, pden = kid_num[edges - 1], kid_den[edges - 1]
    common = np.gcd(pnum, pden)
    outcomes = ConstantOutcomes(NumberedLabels("o", len(num)), num[:, keep], den[:, keep])
    chance = ConstantProbabilities(template.num_nodes, edges, pnum // common, pden // common)
    made = dataclasses.replace(template, outcomes=outcomes, chance_probability=chance, _cache={})
    known = template.__dict__
    for name in _TREE_PROPERTIES:
        if name in known:
            made.__dict__[name] = known[name]
    return made


def _built_part_game(game: Game, shape: _Shape, part: _PartNumbers | None, keep: list[int], some: bool) -> Game:
    """:func:`_part_game` built from arrays; with ``part`` None, every payoff and probability 0 (a template)."""
    order = shape.order
    players = keep if some else None
    player = shape.player
    if players is not None:
        remap = np.full(len(game.players), -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        player = np.where(player >= 0, remap[np.maximum(player, 0)], -1).astype(np.int32)
    chance = np.flatnonzero(shape.kind == NodeKind.CHANCE)
    first_local = np.searchsorted(order, game.first_child[order[chance]])
    probabilities = {
        int(c): part.edge_prob[f : f + int(shape.num_children[c])].tolist() if part is not None
        else [0] * int(shape.num_children[c])
        for c, f in zip(chance.tolist(), first_local.tolist(), strict=True)
    }
    set_names: list[str | None] = [None] * len(order)
    for i in np.flatnonzero(shape.kind == NodeKind.DECISION).tolist():
        set_names[i] = game.infosets.at(int(game.infoset[order[i]])).name
    terminals = int((shape.kind == NodeKind.TERMINAL).sum())
    payoffs = part.payoff[:, keep].tolist() if part is not None else np.zeros((terminals, len(keep)), dtype=np.int64)
    return _subgame_of(game, order, [game.players.at(i).label for i in keep], shape.num_children,
                       shape.kind, player, payoffs, probabilities, set_names)


# ---------------------------------------------------------------------------------
# The subgame-perfection check
# ---------------------------------------------------------------------------------
def _perfection_regret(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    weight: Array,
    values: Array,
    structure: _Structure,
    parts: _Parts | None = None,
) -> Regret:
    """The worst regret over proper subgames, and the root of the subgame where it fails worst.

    With ``structure`` (and optionally the game's ``parts``) bound, a
    :data:`~policy.solvers.verify.RegretCheck`. In float mode each regret is
    judged per player at the magnitude of the values compared
    (:mod:`policy.tolerances`): a one-node gain at the largest magnitude among
    the node's children for its mover, a subgame's Nash regret as
    :func:`policy.solvers.verify.nash_regret_check` judges it.
    """
    zero: Number = Fraction(0) if numbers.exact else 0.0
    worst, where, excess = zero, -1, zero
    # The children of a root that is not a Nash root start subgames of their own
    # (or are terminals). Once those are Nash, the subgame at the root is Nash
    # exactly when its mover gains nothing by another child: the one-shot
    # deviation principle (Osborne and Rubinstein 1994, Lemma 98.2), applied
    # to subgames instead of nodes.
    sizes = None if numbers.exact else magnitudes(game, numbers, weight)
    decision, gains, scale = one_node_gains(game, values, sizes)
    plain = structure.plain[decision]
    if plain.any():
        over = gains if scale is None else gains - regret_tolerance(scale)
        k = int(np.argmax(over[plain]))
        worst, where, excess = gains[plain].max(), int(decision[plain][k]), over[plain][k]
    # A Nash root's subgame is Nash, once every proper subgame below it is,
    # exactly when no player gains by deviating in its reduced game (the
    # subgames below replaced by what the profile gives there): a deviation
    # inside a subgame below gains nothing there, so dropping it loses
    # nothing. Identical reduced games under identical behaviour are checked once.
    if parts is None or parts.numbers is not numbers:
        parts = _Parts(game, structure, numbers)
    for r, found in _nash_root_regrets(game, numbers, probabilities, lambda nodes: values[nodes], structure, parts):
        worst = max(worst, found.regret)
        if where < 0 or found.excess > excess:
            where, excess = r, found.excess
    return Regret(worst, where, excess)


def _nash_root_regrets(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    values_at: Callable[[npt.NDArray[np.int64]], Array],
    structure: _Structure,
    parts: _Parts,
) -> list[tuple[int, Regret]]:
    """Each Nash root and the Nash regret of the profile in its reduced game.

    The reduced game is the root's part with the subgames below it replaced by
    their values under the profile (``values_at(nodes)``: the rows of those
    nodes' values). Identical reduced games under identical behaviour are
    checked once (exact: also across solves of the game, see :class:`_Parts`).
    """
    probs = np.array(list(probabilities), dtype=object if numbers.exact else np.float64)
    # Whole-profile integers when every probability fits; else each part's own
    # (keyed as the part's verification keyed it, :func:`_behaviour_key`).
    ratios = _ratios(probs.tolist()) if numbers.exact else None
    # Exact: the regrets found when the parts' equilibria were verified are the
    # same computation on the same reduced game and behaviour; read, not redone.
    checked: dict[tuple[Any, ...], Regret] = parts.nash_regrets if numbers.exact else {}
    out = []
    for r in np.flatnonzero(structure.nash).tolist():
        shape = parts.shape(r)
        part = parts.numbers_of(r, values_at(shape.order[shape.cut]))
        local: list[Any] | None = None  # the part's behaviour, made when it is asked for
        if ratios is not None:
            behaviour: tuple[Any, ...] = (ratios[0][shape.positions].tobytes(), ratios[1][shape.positions].tobytes())
        elif numbers.exact:
            local = probs[shape.positions].tolist()
            behaviour = _behaviour_key(local)
        else:
            behaviour = (probs[shape.positions].tobytes(),)
        key = (shape.key, part.key, *behaviour)
        found = checked.get(key)
        if found is None:
            if local is None:
                local = probs[shape.positions].tolist()
            sub = _part_game(game, shape, part)
            found = checked[key] = nash_regret_check(sub, sub.numbers({}, numbers.exact), local)
        out.append((r, found))
    return out


def _behaviour_key(local: list[Any]) -> tuple[Any, ...]:
    """A part's exact behaviour as a key: its numerators and denominators as bytes when they
    fit int64 (:func:`_ratios`), else the numbers themselves. The same behaviour gives the same
    key whichever way it is reached (a slice of the whole profile's integers is the same bytes)."""
    got = _ratios(local)
    if got is not None:
        return (got[0].tobytes(), got[1].tobytes())
    return (_Exact(tuple(local)),)


def subgame_perfection_regret(
    game: Game, numbers: Numbers, probabilities: Sequence[Number]
) -> Number:
    """How far the profile is from subgame-perfect: 0 exactly when it is.

    The largest of: the Nash regret of the profile in the reduced subgame of
    each Nash root (the smallest subgame holding some information set with
    several members, with the proper subgames below it replaced by their
    values under the profile; :func:`policy.solvers.verify.behavior_regret`),
    and the one-node deviation gain at every other root. By induction from the deepest subgame
    up (one-shot deviation principle), the profile is Nash in every proper
    subgame, the whole game included, exactly when all of these are 0. For a
    game of perfect information this is :func:`policy.solvers.verify.subgame_regret`.
    """
    weight = edge_weights(game, numbers, probabilities)
    values = subgame_values(game, numbers, weight)
    return _perfection_regret(game, numbers, probabilities, weight, values, _structure(game)).regret


# ---------------------------------------------------------------------------------
# Solving
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Alternative:
    """One equilibrium of a subgame: payoffs at its root and how it was reached.

    ``choices`` are (position in the full behaviour vector, probability) for the
    information sets solved at this subgame; ``below`` names the alternative
    taken at each subgame cut off underneath, as (root, index).
    """

    values: tuple[Number, ...]
    choices: tuple[tuple[int, Number], ...]
    below: tuple[tuple[int, int], ...]


@dataclass
class _Log:
    """What the subgame methods said: tied places, and each warning with the subgames it came from."""

    _ties: dict[str, None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    per_subgame: dict[str, dict[str, None]] = field(default_factory=dict)

    @property
    def ties(self) -> list[str]:
        return list(self._ties)

    def subgame_warning(self, subgame: str, message: str) -> None:
        self.per_subgame.setdefault(message, {})[subgame] = None

    def add_ties(self, places: Sequence[str]) -> None:
        self._ties.update(dict.fromkeys(places))

    def all_warnings(self, all_equilibria: bool) -> tuple[str, ...]:
        out = []
        if self.ties:
            shown = ", ".join(self.ties[:10]) + (" ..." if len(self.ties) > 10 else "")
            out.append(
                f"not unique: movers are indifferent at {len(self.ties)} information set(s) "
                f"or node(s) ({shown})"
                + ("" if all_equilibria else "; --all combines the alternatives found")
            )
        for message, subgames in self.per_subgame.items():
            where = list(subgames)
            shown = ", ".join(repr(w) for w in where[:5]) + (" ..." if len(where) > 5 else "")
            label = "subgame at" if len(where) == 1 else f"{len(where)} subgames at"
            out.append(f"{label} {shown}: {message}")
        return (*out, *self.warnings)


def spe_subgames_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    subgame_method: str | None = None,
    solve: SubgameSolver | None = None,
    max_equilibria: int = MAX_EQUILIBRIA,
) -> SolveResult:
    """A subgame-perfect equilibrium of a game with imperfect information.

    Parameters
    ----------
    game
        Any game with perfect recall; with perfect information this is
        :func:`policy.solvers.backward.spe_solve`.
    values
        The value of every parameter the game uses.
    exact
        Rational arithmetic (``Fraction``) if True, float64 otherwise. Exact mode
        needs an exact ``subgame_method`` wherever three or more players move in
        an imperfect-information subgame.
    all_equilibria
        Combine every equilibrium the subgame methods return (each asked with
        ``all_equilibria=True``), up to ``max_equilibria``.
    subgame_method
        The Nash method for every imperfect-information subgame where two or
        more players move. By default each such subgame is a game of the
        players who move in it: with two, ``lp`` if their payoffs add up to a
        constant there, else ``qpe`` (``lcp`` where it is too big for qpe, or
        with ``all_equilibria``, or where qpe in floats falls
        back to exact arithmetic that the numbers do not allow); with three
        or more, ``logit``. Where one player alone moves, the subgame is a decision
        problem, solved exactly here whatever the method.
    solve
        ``solve(game, values, method=..., exact=..., all_equilibria=...)``
        returning a :class:`SolveResult`; default :func:`policy.solvers.solve`.
    max_equilibria
        With ``all_equilibria``, stop with an error beyond this many.

    Returns
    -------
    SolveResult
        Method ``"spe"``. Each equilibrium has been verified from scratch: zero
        regret (exact) or each player's regret within ``tolerances.REGRET``
        times the magnitude of the values compared (float; see
        :mod:`policy.tolerances`) in the whole game and in every proper
        subgame; ``max_regret`` is the largest regret (absolute). ``details``:
        ``subgame_method`` (the method asked for, or ``"auto"``), ``subgames``
        (root node names of the subgames solved, deepest first),
        ``subgame_methods`` (root name -> the method that chose its
        equilibrium: ``lcp``, ``lp``, ``logit``, ..., ``decision problem``, or
        ``backward induction``; where a subgame has several equilibria, this
        says which method picked the one returned), ``solver_calls`` (subgames
        handed to a Nash method) and ``distinct`` (different reduced subgames
        solved; identical copies are solved once).

    Raises
    ------
    SolverError
        If a subgame method fails or returns nothing that passes verification,
        or ``all_equilibria`` finds more than ``max_equilibria``.
    """
    if game.is_perfect_information:
        return spe_solve(game, values, exact=exact, all_equilibria=all_equilibria,
                         max_equilibria=max_equilibria)
    numbers = game.numbers(values, exact=exact)
    from policy.solvers import _subgame_solver
    from policy.solvers import solve as registry_solve

    # The registry (policy.solvers.solve) passes its own subgame solver: answers
    # then depend on the part alone, and may be kept between solves (below).
    default_solver = solve is None or solve is _subgame_solver
    if solve is None:
        solve = registry_solve
    structure = _structure(game)
    parts = _Parts(game, structure, numbers)
    log = _Log()
    alternatives: dict[int, list[_Alternative]] = {}
    solved: list[str] = []
    used: dict[str, str] = {}
    # Reduced subgames already solved, by tree and numbers: the same stage in
    # the same state at many places of a campaign is solved once.
    memo: dict[tuple[bytes, bytes | _Exact], _Solved] = {}
    counter = _Counter()
    # Parts solved by earlier solves of this game (the default solver only): the
    # same tree with the same numbers has the same answer, so a search that moves
    # one parameter at a time solves again only the parts that parameter reaches.
    kept: dict[Any, tuple[_Solved, int]] | None = None
    if default_solver:
        store: dict[Any, Any] = game._cache.setdefault("spe_parts_solved", {})  # type: ignore[assignment]
        kept = store.setdefault((exact, subgame_method, all_equilibria, max_equilibria), {})
    roots = parts.roots()
    # Parts whose subgames below are solved, with one alternative each: their numbers made
    # together (:meth:`_Parts.numbers_of_many`), a run of roots at a time.
    ready: dict[int, _PartNumbers] = {}
    for i, r in enumerate(roots):
        shape = parts.shape(r)
        cuts = shape.cut_nodes
        options = [alternatives[c] for c in cuts]
        combos = prod(len(o) for o in options)
        if combos > max_equilibria:
            raise _too_many(game, r, combos, max_equilibria)
        if combos == 1 and r not in ready:
            ready.update(parts.numbers_of_many(_ready_run(parts, roots, i, alternatives)))
        found: list[_Alternative] = []
        name = game.node_names[r]
        for combo in product(*(range(len(o)) for o in options)):
            if combos == 1 and r in ready:
                part = ready.pop(r)
            else:
                part = parts.numbers_of(r, [options[j][k].values for j, k in enumerate(combo)])
            key = (shape.key, part.key)
            answer = memo.get(key)
            if answer is None:
                earlier = kept.get(key) if kept is not None else None
                if earlier is None:
                    calls = counter.calls
                    answer = _solve_part(
                        game, shape, part, name, subgame_method, exact, all_equilibria, solve,
                        max_equilibria, counter, parts.nash_regrets, verified_by_solver=default_solver,
                    )
                    if kept is not None:
                        if len(kept) >= KEPT_PARTS:
                            kept.clear()
                        kept[key] = (answer, counter.calls - calls)
                else:
                    answer = earlier[0]
                    counter.calls += earlier[1]
                memo[key] = answer
            used[name] = answer.method
            answer.report(game, shape, name, log)
            below = tuple(zip(cuts, combo, strict=True))
            for k, (_, vals) in enumerate(answer.equilibria):
                found.append(
                    _Alternative(
                        tuple(v + s for v, s in zip(vals, part.shift, strict=True)),
                        answer.choices(shape, k),
                        below,
                    )
                )
            if len(found) > max_equilibria:
                raise _too_many(game, r, len(found), max_equilibria)
        alternatives[r] = found
        solved.append(name)
    profiles = _assemble(game, alternatives, exact)
    equilibria = _verified(game, numbers, profiles, structure, parts, subgame_method or "auto",
                           all_equilibria, log)
    return SolveResult(
        game=game,
        method="spe",
        exact=exact,
        parameters=dict(values),
        equilibria=equilibria,
        warnings=log.all_warnings(all_equilibria),
        ties=tuple(log.ties),
        details={
            "subgame_method": subgame_method or "auto",
            "subgames": tuple(solved),
            "subgame_methods": used,
            "solver_calls": counter.calls,
            "distinct": len(memo),
        },
    )


#: Parts whose numbers are made together at most (:func:`_ready_run`).
_RUN = 512


def _ready_run(
    parts: _Parts, roots: Sequence[int], i: int, alternatives: Mapping[int, list[_Alternative]]
) -> list[tuple[int, list[tuple[Number, ...]]]]:
    """From ``roots[i]`` on, the roots whose subgames below are all solved, with one
    alternative each (up to the first that is not, at most :data:`_RUN`), each with the
    values of its cut terminals: the parts whose numbers can be made now, together."""
    out = []
    for r in roots[i : i + _RUN]:
        below = [alternatives.get(c) for c in parts.shape(r).cut_nodes]
        if any(b is None or len(b) != 1 for b in below):
            break
        out.append((r, [b[0].values for b in below if b is not None]))
    return out


def _too_many(game: Game, root: int, count: int, limit: int) -> SolverError:
    return SolverError(
        f"more than {limit} subgame-perfect equilibria to combine at subgame "
        f"{game.node_names[root]!r} ({count}); solve without --all"
    )


@dataclass(frozen=True)
class _Solved:
    """The equilibria of one reduced subgame (behaviour of the part, payoffs at its root, shifted).

    ``warnings`` are what its method said; ``ties`` the places where movers
    were indifferent, as ("set", local information set) or ("node", local
    node), so that every identical copy reports its own.
    """

    equilibria: list[tuple[list[Number], list[Number]]]
    method: str
    warnings: tuple[str, ...] = ()
    ties: tuple[tuple[str, int], ...] = ()
    _choices: dict[tuple[int, int], tuple[tuple[int, Number], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def choices(self, shape: _Shape, k: int) -> tuple[tuple[int, Number], ...]:
        """Equilibrium ``k``'s behaviour as (position in the game's behaviour vector, probability),
        for the copy of the part whose shape is ``shape`` (kept: a part kept between solves is
        placed again at every solve)."""
        key = (int(shape.order[0]), k)
        got = self._choices.get(key)
        if got is None:
            got = self._choices[key] = tuple(zip(shape.position_list, self.equilibria[k][0], strict=True))
        return got

    def report(self, game: Game, shape: _Shape, name: str, log: _Log) -> None:
        """Log this part's warnings and ties for the copy of it whose shape is ``shape``."""
        for w in self.warnings:
            log.subgame_warning(name, w)
        if not self.ties:
            return
        places = []
        for what, local in self.ties:
            if what == "set":
                member = int(shape.order[int(np.flatnonzero(shape.local_set == local)[0])])
                places.append(game.infosets.at(int(game.infoset[member])).name)
            else:
                places.append(game.node_names[int(shape.order[local])])
        log.add_ties(places)


def _local_ties(sub: Game, places: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Tie places of a part's game (information set or node names) by local index."""
    out = []
    for place in places:
        if place in sub.infosets:
            out.append(("set", sub.infosets.index(place)))
        else:
            out.append(("node", sub.node(place).index))
    return tuple(out)


@dataclass
class _Counter:
    """How many subgames went to a Nash method (``solve``)."""

    calls: int = 0


def _nash_method(sub: Game, exact: bool) -> str:
    """The ``auto`` rule for a subgame of two players: ``lp`` if constant-sum at these numbers, else
    ``qpe`` (a quasi-perfect equilibrium) when not too big for it, ``lcp`` otherwise.

    The same in both modes, so that ``--float`` and the batch solver's draws
    select the equilibrium an exact solve does: qpe in floats follows the
    exact path (:func:`policy.solvers.qpe._float_solve`).
    """
    from policy.solvers.lp import off_constant_sum
    from policy.solvers.sizes import too_big

    if not off_constant_sum(sub.numbers({}, exact)):
        return "lp"
    return "qpe" if too_big("qpe", sub, True) is None else "lcp"


def _solve_part(
    game: Game,
    shape: _Shape,
    part: _PartNumbers,
    name: str,
    subgame_method: str | None,
    exact: bool,
    all_equilibria: bool,
    solve: SubgameSolver,
    limit: int,
    counter: _Counter,
    regrets: dict[tuple[Any, ...], Regret] | None = None,
    verified_by_solver: bool = False,
) -> _Solved:
    """Equilibria of one reduced subgame as (behaviour vector, payoffs at its root).

    Perfect information: backward induction. One mover: a decision problem.
    Two movers: the game of those two alone goes to the Nash method (the
    others' payoffs are carried by evaluating its equilibria in the part with
    every player). Three or more: the part as it is.

    Each equilibrium is verified in the part (its Nash regret computed). With
    ``verified_by_solver`` (``solve`` is the registry's, whose methods verify
    every equilibrium they return) and two movers in exact arithmetic, an
    equilibrium whose regret the method found to be exactly 0 in the game of
    the two movers is not checked again: that game is the part with the
    other players left out, who have no move in it, so its regret is the
    part's. Its payoffs at the root are evaluated in the part, for everyone.
    """
    sub = _part_game(game, shape, part)
    nums = sub.numbers({}, exact)
    movers = shape.movers
    warnings: list[str] = []
    found_regrets: list[Number] | None = None  # regrets the Nash method verified, when it is trusted
    if shape.perfect_information:
        result = spe_solve(sub, {}, exact=exact, all_equilibria=all_equilibria, max_equilibria=limit)
        return _Solved([(list(e.probabilities), list(e.values)) for e in result.equilibria],
                       "backward induction", ties=_local_ties(sub, result.ties))
    if len(movers) == 1:
        probs, ties = _decision_problem(sub, nums, movers[0])
        candidates = [probs]
        used = "decision problem"
    else:
        nash = _part_game(game, shape, part, movers) if len(movers) == 2 else sub
        method = subgame_method or (_nash_method(nash, exact) if len(movers) == 2 else "logit")
        if method == "qpe" and all_equilibria and subgame_method is None:
            method = "lcp"  # qpe returns one equilibrium; lcp tries several starts
        counter.calls += 1
        try:
            result = solve(nash, {}, method=method, exact=exact, all_equilibria=all_equilibria)
        except SolverError as err:
            if subgame_method is not None or exact or method != "qpe":
                raise SolverError(f"subgame at {name!r}: {err}") from None
            # qpe in floats fell back to exact arithmetic, which these numbers do not allow:
            # lcp in floats, as before qpe had a float mode.
            method = "lcp"
            try:
                result = solve(nash, {}, method=method, exact=exact, all_equilibria=all_equilibria)
            except SolverError as err2:
                raise SolverError(f"subgame at {name!r}: {err2}") from None
            warnings.append(f"qpe could not solve this subgame in floats ({err}); lcp was used")
        warnings.extend(result.warnings)
        ties = list(result.ties)
        candidates = [_coerce(e.probabilities, exact, method, name) for e in result.equilibria]
        if verified_by_solver and exact and len(movers) == 2 and result.exact:
            found_regrets = [e.max_regret for e in result.equilibria]
        if not all_equilibria:
            candidates = candidates[:1]
        used = method
    out = []
    worst: Number | None = None
    for k, probs in enumerate(candidates):
        if len(probs) != sub.num_actions:
            raise SolverError(
                f"subgame at {name!r}: the {used} method returned {len(probs)} probabilities "
                f"for {sub.num_actions} actions"
            )
        if found_regrets is not None and found_regrets[k] == 0:
            root_values = subgame_values(sub, nums, edge_weights(sub, nums, probs))[0].tolist()
            regret: Number = found_regrets[k]
        else:
            try:
                eq = verified_equilibrium(sub, nums, probs)
            except VerificationError as err:
                worst = err.regret if worst is None or err.regret > worst else worst
                continue
            root_values, regret = list(eq.values), eq.max_regret
        out.append((probs, root_values))
        if regrets is not None and exact and not shape.perfect_information:
            # Exact Nash regret (names no node; its excess is the regret itself), kept
            # for the check of the assembled profile (see _perfection_regret).
            behaviour = _behaviour_key(list(probs))
            regrets[(shape.key, part.key, *behaviour)] = Regret(regret, -1, regret)
    if worst is not None:
        warnings.append(
            f"dropped {len(candidates) - len(out)} profile(s) of the {used} method "
            f"with regret up to {worst}"
        )
    if not out:
        raise SolverError(
            f"subgame at {name!r}: the {used} method found no equilibrium that passes "
            f"verification; try another subgame method"
        )
    return _Solved(out, used, tuple(warnings), _local_ties(sub, ties))


def _coerce(probabilities: Sequence[Any], exact: bool, method: str, where: str) -> list[Number]:
    if not exact:
        return [float(p) for p in probabilities]
    if not all(isinstance(p, Fraction | int) for p in probabilities):
        raise SolverError(
            f"subgame at {where!r}: method {method!r} gives floating-point probabilities; "
            "use an exact method (lcp, enummixed, enumpure) or float mode"
        )
    return [Fraction(p) for p in probabilities]


def _decision_problem(sub: Game, numbers: Numbers, player: int) -> tuple[list[Number], list[str]]:
    """An optimal pure plan when ``player`` alone moves (chance may move too).

    Each information set, once every member's children are valued, takes the
    action whose value summed over the members, weighted by the chance of
    reaching each, is largest; with perfect recall such an order exists (no
    member lies below another of its set) and the plan is optimal (Kuhn 1953).
    Returns the behaviour vector and the sets where actions tied.
    """
    exact = numbers.exact
    reach = reach_probabilities(sub, numbers.edge_prob)
    value = np.zeros(sub.num_nodes, dtype=object if exact else np.float64)
    value[sub.terminals] = numbers.leaf_payoff[:, player]
    size = np.zeros(sub.num_nodes)  # float: each value's magnitude (expected |payoff|)
    if not exact:
        size[sub.terminals] = tolerances.magnitude(numbers.leaf_payoff[:, player])
    probs: list[Number] = [Fraction(0) if exact else 0.0] * sub.num_actions
    one: Number = Fraction(1) if exact else 1.0
    waiting = sub.num_children.astype(np.int64)
    pending = {s.index: len(s.members) for s in sub.infosets.values()}
    ties: list[str] = []
    ready = sub.terminals.tolist()
    while ready:
        node = ready.pop()
        if node == 0:
            continue
        parent = int(sub.parent[node])
        waiting[parent] -= 1
        if waiting[parent]:
            continue
        kids = sub.children_of(parent)
        if sub.kind[parent] == NodeKind.CHANCE:
            value[parent] = (numbers.edge_prob[kids.start : kids.stop] * value[kids.start : kids.stop]).sum()
            if not exact:
                size[parent] = (numbers.edge_prob[kids.start : kids.stop] * size[kids.start : kids.stop]).sum()
            ready.append(parent)
            continue
        k = int(sub.infoset[parent])
        pending[k] -= 1
        if pending[k]:
            continue
        s = sub.infosets.at(k)
        totals = [sum((reach[m] * value[int(sub.first_child[m]) + a] for m in s.members), start=0 * one)
                  for a in range(len(s.actions))]
        best = max(totals)
        tol = 0.0
        if not exact:  # ties at the largest magnitude among the totals compared
            tol = tie_tolerance(max(sum(float(reach[m]) * size[int(sub.first_child[m]) + a] for m in s.members)
                                    for a in range(len(s.actions))))
        top = [a for a, t in enumerate(totals) if _ties(t, best, exact, tol)]
        if len(top) > 1 and sum((reach[m] for m in s.members), start=0 * one) > 0:
            ties.append(s.name)
        probs[s.offset + top[0]] = one
        for m in s.members:
            value[m] = value[int(sub.first_child[m]) + top[0]]
            size[m] = size[int(sub.first_child[m]) + top[0]]
            ready.append(m)
    return probs, ties


def _ties(x: Number, best: Number, exact: bool, tol: float) -> bool:
    """Whether ``x`` ties with the best value: equal (exact), or within ``tol`` (float)."""
    if exact:
        return x == best
    return float(x) >= float(best) - tol


def _assemble(game: Game, alternatives: Mapping[int, list[_Alternative]], exact: bool) -> list[list[Number]]:
    """Full behaviour vectors: each root alternative with the alternatives it chose below."""
    zero: Number = Fraction(0) if exact else 0.0
    out = []
    for top in range(len(alternatives[0])):
        probs = [zero] * game.num_actions
        stack = [(0, top)]
        while stack:
            root, k = stack.pop()
            alt = alternatives[root][k]
            for position, p in alt.choices:
                probs[position] = p
            stack.extend(alt.below)
        out.append(probs)
    return out


def _verified(
    game: Game,
    numbers: Numbers,
    profiles: list[list[Number]],
    structure: _Structure,
    parts: _Parts,
    method: str,
    all_equilibria: bool,
    log: _Log,
) -> tuple[Equilibrium, ...]:
    """Evaluate each assembled profile from scratch; keep those that are subgame-perfect."""
    kept: list[Equilibrium] = []
    failures: list[tuple[Number, int]] = []
    check: RegretCheck = functools.partial(_perfection_regret, structure=structure, parts=parts)
    for probs in profiles:
        try:
            eq = None
            if numbers.exact and numbers.ratios is not None:
                eq = _verified_integers(game, numbers, probs, structure, parts)
            if eq is None:  # not verified in integers: the check in Fraction objects says where it fails
                eq = verified_equilibrium(game, numbers, probs, check=check)
        except VerificationError as err:
            failures.append((err.regret, err.node))
            continue
        if not any(same_profile(probs, e.probabilities, numbers.exact) for e in kept):
            kept.append(eq)
    if failures:
        regret, where = max(failures, key=lambda f: f[0])
        message = (
            f"the assembled profile has regret {regret} in the subgame at "
            f"{game.node_names[where]!r} (subgame method {method!r})"
        )
        if not kept or not all_equilibria:
            raise SolverError(f"internal error: {message}; please report this game")
        log.warnings.append(f"dropped {len(failures)} profile(s): {message}")
    return tuple(kept)



# ---------------------------------------------------------------------------------
# The same check on integer numerators and denominators
# ---------------------------------------------------------------------------------
def _verified_integers(
    game: Game, numbers: Numbers, probabilities: Sequence[Number], structure: _Structure, parts: _Parts
) -> Equilibrium | None:
    """:func:`verified_equilibrium` with :func:`_perfection_regret`, for exact numbers held as integers.

    The same evaluation from the profile alone (edge weights, every node's
    expected payoffs bottom-up, the probability of reaching each terminal
    top-down) and the same check (no mover gains by another child at a root
    that is not a Nash root; zero Nash regret in each Nash root's reduced
    game), made on integer numerators and denominators
    (:mod:`policy.rational`) instead of one ``Fraction`` object per node and
    player. Returns the :class:`Equilibrium` when every regret is 0, else
    None: the caller then redoes the check in ``Fraction`` objects, which
    reports how large the regret is and where.
    """
    ratios = numbers.ratios
    assert ratios is not None
    probs = list(probabilities)
    wnum, wden = _weights_integers(game, ratios, probs)
    num, den = rational.tree_values(game, ratios.leaf_num, ratios.leaf_den, wnum, wden)
    # One-node deviations at the roots that are not Nash roots (their children
    # start subgames of their own, or are terminals).
    decision = np.flatnonzero((game.kind == NodeKind.DECISION) & structure.plain)
    if decision.size:
        counts = game.num_children[decision].astype(np.int64)
        starts = np.cumsum(counts) - counts
        within = np.arange(int(counts.sum())) - np.repeat(starts, counts)
        kids = np.repeat(game.first_child[decision], counts) + within
        mover = np.repeat(game.player[decision], counts)
        own_num = np.repeat(num[decision, game.player[decision]], counts)
        own_den = np.repeat(den[decision], counts)
        if rational.less(own_num, own_den, num[kids, mover], den[kids]).any():
            return None

    # The values at every task's root (the cut terminals of the parts above), as ``Fraction``
    # rows made in one pass rather than part by part.
    tasks = np.flatnonzero(parts.task)
    rows = _fraction_rows(num[tasks], den[tasks])
    where = np.full(game.num_nodes, -1, dtype=np.int64)
    where[tasks] = np.arange(len(tasks))

    def values_at(nodes: npt.NDArray[np.int64]) -> Array:
        return rows[where[nodes]]

    for _, found in _nash_root_regrets(game, numbers, probs, values_at, structure, parts):
        if found.excess > 0:
            return None
    root = tuple(_fraction_rows(num[:1], den[:1])[0].tolist())
    return Equilibrium(
        game=game,
        probabilities=tuple(probs),
        values=root,
        reach=_reach_of_terminals(game, wnum, wden),
        max_regret=Fraction(0),
    )


def _decided_edges(game: Game) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The nodes a player's move leads to, and the position of that move in a behaviour vector (kept)."""
    got = game._cache.get("spe_decided_edges")
    if got is None:
        kids = np.arange(1, game.num_nodes)
        parents = game.parent[1:]
        decided = game.kind[parents] == NodeKind.DECISION
        c, p = kids[decided], parents[decided]
        position = game.infoset_offsets[game.infoset[p]] + (c - game.first_child[p])
        got = game._cache["spe_decided_edges"] = (c, position.astype(np.int64))
    return got  # type: ignore[return-value]


def _weights_integers(game: Game, ratios: Any, probs: list[Number]) -> tuple[Array, Array]:
    """:func:`policy.solvers.verify.edge_weights` as numerators and denominators."""
    pnum, pden = rational.split(probs) if probs else (np.zeros(0, np.int64), np.ones(0, np.int64))
    wnum, wden = ratios.prob_num.copy(), ratios.prob_den.copy()
    if rational._is_object(pnum, pden, wnum, wden):
        wnum, wden, pnum, pden = (rational.as_object(x) for x in (wnum, wden, pnum, pden))
    kids, position = _decided_edges(game)
    wnum[kids] = pnum[position]
    wden[kids] = pden[position]
    return wnum, wden



def _fraction_rows(num: Array, den: Array) -> Array:
    """Rows of numerators over one denominator each, as ``Fraction`` objects in lowest terms."""
    return rational.to_fractions(num, den)


#: The reach of every terminal not reached, in every equilibrium (one object: tuples of
#: reaches that agree there compare without a ``Fraction`` comparison each).
_ZERO = Fraction(0)
#: Up to this many nodes reached, their reach is multiplied down node by node in ``Fraction``
#: objects; beyond, level by level on integer arrays over every node.
_FEW_REACHED = 4096


def _reach_of_terminals(game: Game, wnum: Array, wden: Array) -> tuple[Fraction, ...]:
    """The probability of reaching each terminal (:func:`policy.solvers.verify.reach_probabilities`).

    A node is reached when its parent is and the edge into it has a positive
    weight; an equilibrium of a campaign reaches a few hundred of its nodes.
    The nodes reached are found first (yes or no, level by level); when they
    are few, only their reach is multiplied out, each from its parent's.
    """
    reached = wnum != 0
    for start, stop in game.levels[1:]:
        reached[start:stop] &= reached[game.parent[start:stop]]
    nodes = np.flatnonzero(reached)
    if len(nodes) <= _FEW_REACHED:
        zero = _ZERO
        reach: dict[int, Fraction] = {}
        parent = game.parent[nodes].tolist()
        for n, up, a, b in zip(nodes.tolist(), parent, wnum[nodes].tolist(), wden[nodes].tolist(), strict=True):
            upper = reach[up] if n else Fraction(1)
            reach[n] = upper if a == b else Fraction(a, b) * upper
        out = [zero] * len(game.terminals)
        ends = nodes[game.kind[nodes] == NodeKind.TERMINAL]
        for k, t in zip(np.searchsorted(game.terminals, ends).tolist(), ends.tolist(), strict=True):
            out[k] = reach[t]
        return tuple(out)
    rnum, rden = wnum.copy(), wden.copy()
    for start, stop in game.levels[1:]:
        above = game.parent[start:stop]
        a, b = rational.multiply(rnum[start:stop], rden[start:stop], rnum[above], rden[above])
        if a.dtype == object and rnum.dtype != object:
            rnum, rden = rational.as_object(rnum), rational.as_object(rden)
        rnum[start:stop], rden[start:stop] = a, b
    t = game.terminals
    return tuple(rational._fractions_of(rnum[t].tolist(), rden[t].tolist()))
