"""Is a behaviour profile a sequential equilibrium? A check of any profile, any number of players.

Kreps and Wilson (1982), "Sequential equilibria", *Econometrica* 50, 863-894:
an assessment (a profile ``s`` and beliefs ``mu`` over the nodes of every
information set) is a sequential equilibrium when it is

* *consistent*: ``mu`` is the limit of the beliefs that Bayes' rule gives
  along some sequence of fully mixed profiles converging to ``s``; and
* *sequentially rational*: at every information set, reached or not, the
  mover's behaviour there and later is a best reply given ``mu`` and the
  others' behaviour.

With perfect recall and consistent beliefs it is enough to rule out one-shot
deviations, one information set at a time (Hendon, Jacobsen and Sloth 1996,
"The one-shot-deviation principle for sequential rationality", *Games and
Economic Behavior* 12, 274-282). So the check needs, per information set, the
mover's value after each action (:func:`policy.solvers.verify.subgame_values`
of the profile) and beliefs.

Consistent beliefs are built from *trembles by leading terms*: every action
the profile never takes gets a probability ``c * eps**k`` (order ``k > 0``,
coefficient ``c > 0``); the actions it takes keep their probability. A node is
then reached with probability ``C * eps**K`` to first order (``K`` the sum of
the orders on its path, ``C`` the product of chance probabilities, taken
actions and coefficients), and the limit belief at a set puts all its weight
on the members of least order, in proportion to ``C``. Every such choice is a
fully mixed sequence converging to the profile, so its beliefs are consistent.
Conversely, only the leading terms of a converging sequence matter to the
limit beliefs, so trembles of this form can give every consistent belief
system (by the curve selection lemma a sequence may be taken along a Puiseux
series in ``eps``); the search below tries some of them only. At the sets the
profile reaches, the beliefs are Bayes' rule whatever the trembles.

The check therefore goes:

1. Given trembles (a certificate, as :mod:`policy.solvers.qpe` returns),
   compute the beliefs and test every set: a pass is a proof.
2. Otherwise search: first every unused action at order 1, weight 1; where a
   set fails, a member whose own values make the behaviour optimal is made the
   likeliest (the unused actions on its path drop to order 1, all others stay
   at a higher order), depth first, with a budget of :data:`MAX_TRIES` tries.
3. A failure is proved when it happens at a reached set (beliefs are fixed
   there) or at an unreached set where no belief over its possible members
   makes the behaviour optimal (a linear feasibility question, decided exactly
   for two actions, by an LP otherwise). Otherwise the answer is "not shown".

Nodes behind a chance move of probability 0 are never reached by any fully
mixed profile (chance does not tremble), so no consistent belief is defined at
a set made only of such nodes; the behaviour there must still be a best reply
under some belief over its members (at a one-node set, at that node, as
subgame perfection asks of a subgame that starts there). Exact arithmetic gives exact answers; in float mode an action with
probability at most ``tolerances.PROFILE`` counts as unused and a gain within
``tolerances.REGRET`` of the mover's payoff scale counts as none.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from policy import rational, tolerances
from policy.model import Game, NodeKind, Number, Numbers
from policy.solvers.result import Equilibrium, SolveResult, Trembles, show_number
from policy.solvers.verify import edge_weights, one_node_gains, subgame_values

#: How many tremble structures the search tries before it gives up ("not shown").
MAX_TRIES = 200

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class SequentialCheck:
    """What :func:`sequential_check` found.

    ``verdict`` is True (a sequential equilibrium, with ``beliefs`` and the
    ``trembles`` behind them as proof), False (proved not to be one: ``infoset``
    says where and ``reason`` why) or None (not shown either way: no
    consistent beliefs tried make the behaviour at ``infoset`` optimal, and
    none was proved impossible). ``beliefs``: for every information set with
    two or more possible members, member node -> belief, reached or not.
    """

    verdict: bool | None
    infoset: str | None = None
    reason: str = ""
    beliefs: Mapping[str, Mapping[str, Number]] = field(default_factory=dict)
    trembles: Trembles | None = None

    @property
    def text(self) -> str:
        """``yes``, ``no (at X: why)`` or ``not shown (at X: why)``."""
        if self.verdict:
            return "yes"
        word = "no" if self.verdict is False else "not shown"
        return f"{word} (at {self.infoset}: {self.reason})" if self.infoset else f"{word} ({self.reason})"


#: The search's work is bounded by this many node visits in all (tries x nodes).
MAX_NODE_VISITS = 2_000_000


def check_equilibrium(result: SolveResult, eq: Equilibrium, given: ProfileIntegers | None = None) -> SequentialCheck:
    """:func:`sequential_check` of one equilibrium of a solve, with the trembles its solver gave.

    Computed once per equilibrium and kept (the table, the JSON and the
    drawing all show it). ``given``: the equilibrium's :func:`equilibrium_integers`
    when the caller has them (exact solves only).
    """
    cache = eq.__dict__.setdefault("_sequential", {})
    key = (result.exact, tuple(sorted((k, v) for k, v in result.parameters.items())))
    got = cache.get(key)
    if got is None:
        numbers = result.game.numbers(result.parameters, exact=result.exact)
        tries = max(1, min(MAX_TRIES, MAX_NODE_VISITS // max(result.game.num_nodes, 1)))
        got = cache[key] = _check(result.game, numbers, eq.probabilities, eq.trembles, tries,
                                  given=given if result.exact else None)
    return got


def off_path_reason(eq: Equilibrium, check: SequentialCheck) -> str | None:
    """Why an equilibrium's behaviour at its unreached sets can be read as a choice, or None.

    ``"quasi-perfect"`` when the solver promises it (and the check agrees),
    ``"sequential"`` when the check shows the profile is a sequential
    equilibrium; None when nothing justifies it (a filler, or a threat that
    need not be credible).
    """
    if not check.verdict:
        return None
    return eq.refinement or "sequential"


def sequential_check(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    trembles: Trembles | None = None,
    max_tries: int = MAX_TRIES,
    cut_off: bool = True,
) -> SequentialCheck:
    """Whether a behaviour profile is part of a sequential equilibrium (see the module docstring).

    Parameters
    ----------
    game, numbers
        The game and its numbers (exact or float) at the parameter values.
    probabilities
        The flat behaviour vector.
    trembles
        A certificate to try first (its beliefs are consistent by construction).
    max_tries
        Tremble structures the search may try.
    cut_off
        Whether to judge the sets behind a chance move of probability 0 too
        (a solver checking its own promise, which trembles cannot reach there,
        says False; :func:`policy.solvers.solve` then makes those choices).
    """
    return _check(game, numbers, probabilities, trembles, max_tries, cut_off=cut_off)


def _check(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    trembles: Trembles | None = None,
    max_tries: int = MAX_TRIES,
    integers: bool = True,
    given: ProfileIntegers | None = None,
    cut_off: bool = True,
) -> SequentialCheck:
    """:func:`sequential_check`; ``integers=False`` makes the exact test set by set in ``Fraction``
    objects, as it was before the integer path (the tests compare the two). ``given``: the
    profile's numbers in integers, already made (:func:`equilibrium_integers`)."""
    exact = numbers.exact
    probs = np.array(list(probabilities), dtype=object if exact else np.float64)
    slack = _slack(game, numbers)
    possible = _possible(game, numbers)
    found = _reachable_check(game, numbers, probabilities, trembles, max_tries, integers, given, probs, slack, possible)
    if found.verdict is False or not cut_off:
        return found
    return _cut_off_check(game, numbers, probabilities, slack, possible) or found


def _reachable_check(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    trembles: Trembles | None,
    max_tries: int,
    integers: bool,
    given: ProfileIntegers | None,
    probs: Array,
    slack: Array,
    possible: npt.NDArray[np.bool_],
) -> SequentialCheck:
    """The check at the sets some fully mixed profile reaches (see the module docstring)."""
    exact = numbers.exact
    if game.is_perfect_information:
        values = subgame_values(game, numbers, edge_weights(game, numbers, list(probabilities)))
        return _perfect_information(game, values, slack, possible)
    unused = probs == 0 if exact else probs <= tolerances.PROFILE
    ints = _Integers.of(game, numbers, probs, possible, given) if exact and integers else None
    if ints is not None:
        gains: _SetGains = _LazyGains(game, ints)
    else:
        values = subgame_values(game, numbers, edge_weights(game, numbers, list(probabilities)))
        gains = _set_gains(game, values, probs)
    state = _Search(game, numbers, probs, unused, gains, slack, possible, ints)
    if trembles is not None:
        found = state.evaluate(trembles)
        if found.verdict:
            return found
    return state.search(max_tries)


def _cut_off_check(
    game: Game, numbers: Numbers, probabilities: Sequence[Number], slack: Array, possible: npt.NDArray[np.bool_]
) -> SequentialCheck | None:
    """A set behind a chance move of probability 0 where no belief makes the behaviour optimal, or None.

    Chance does not tremble, so no consistent belief is defined at a set made
    only of such nodes; it must still be a best reply under some belief over
    its members (at a set of one node, at that node: as subgame perfection asks
    in a subgame that starts there). Decided as :meth:`_Search._proof` does: a
    member where the behaviour is optimal on its own, else the LP of
    :func:`_lp_belief`.
    """
    cut = (game.kind == NodeKind.DECISION) & ~possible
    if not cut.any():
        return None
    values = subgame_values(game, numbers, edge_weights(game, numbers, list(probabilities)))
    for k in sorted(set(game.infoset[cut].tolist())):
        s = game.infosets.at(int(k))
        members = list(s.members)
        if possible[members].any():
            continue  # trembles reach the set: the main check judged it
        p = s.player.index
        gain = np.array([[values[c, p] - values[m, p] for c in game.children_of(m)] for m in members],
                        dtype=object if numbers.exact else np.float64)
        bound = slack[p]
        if any(max(row) <= bound for row in gain.tolist()):
            continue
        if len(members) > 1 and _lp_belief(gain, float(bound)) is not None:
            continue
        first = max(range(len(s.actions)), key=lambda j: gain[0, j])
        where = "whatever the beliefs" if len(members) > 1 else "there"
        return SequentialCheck(False, s.name, f"{s.player.label} gains {_show(gain[0, first])} by "
                               f"{s.actions[first]} {where} (behind a chance move of probability 0)")
    return None


def _slack(game: Game, numbers: Numbers) -> Array:
    """Per player, the gain that counts as none: 0 exactly, the regret tolerance in floats."""
    if numbers.exact:
        return np.array([Fraction(0)] * len(game.players), dtype=object)
    return np.asarray(tolerances.tolerance(tolerances.REGRET, tolerances.payoff_scales(numbers.leaf_payoff)))


def cut_off_by_chance(game: Game, numbers: Numbers) -> npt.NDArray[np.bool_]:
    """Nodes behind a chance move of probability 0: no profile, however mixed, reaches them."""
    return ~_possible(game, numbers)


def _possible(game: Game, numbers: Numbers) -> npt.NDArray[np.bool_]:
    """Nodes no chance move of probability 0 cuts off (every fully mixed profile reaches them)."""
    if numbers.exact and numbers.ratios is not None:  # integers already: no Fraction to compare
        return _possible_below(game, numbers.ratios.prob_num == 0)
    edge = numbers.edge_prob
    return _possible_below(game, (edge == 0) if numbers.exact else (np.asarray(edge, dtype=np.float64) <= 0))


def _possible_below(game: Game, zero: Array) -> npt.NDArray[np.bool_]:
    """:func:`_possible`, given which edges have probability 0 (per node, the edge into it)."""
    ok = np.ones(game.num_nodes, dtype=bool)
    if game.num_nodes > 1 and np.asarray(zero[1:], dtype=bool).any():  # most games: no chance move of 0
        cut = np.zeros(game.num_nodes, dtype=bool)
        kids = np.arange(1, game.num_nodes)
        by_chance = game.kind[game.parent[1:]] == NodeKind.CHANCE
        cut[kids[by_chance & np.asarray(zero[1:], dtype=bool)]] = True
        for start, stop in game.levels[1:]:
            ok[start:stop] = ok[game.parent[start:stop]] & ~cut[start:stop]
    return ok


def _perfect_information(game: Game, values: Array, slack: Array, possible: npt.NDArray[np.bool_]) -> SequentialCheck:
    """Every set is one node: sequential rationality is the one-node deviation test everywhere."""
    decision, gain, _ = one_node_gains(game, values)
    if not decision.size:
        return SequentialCheck(True)
    over = np.array([g > slack[int(game.player[n])] for g, n in zip(gain.tolist(), decision.tolist(), strict=True)])
    over &= possible[decision]
    if not over.any():
        return SequentialCheck(True)
    k = int(np.flatnonzero(over)[0])
    node = int(decision[k])
    s = game.infosets.at(int(game.infoset[node]))
    kids = list(game.children_of(node))
    best = max(range(len(kids)), key=lambda j: values[kids[j], s.player.index])
    return SequentialCheck(False, s.name, f"{s.player.label} gains {_show(gain[k])} by {s.actions[best]}")


def _show(x: Number) -> str:
    return show_number(x) if isinstance(x, Fraction) else f"{float(x):.6g}"


class _SetGains:
    """Per information set (by index): its members and, per member and action, the mover's gain over the profile."""

    members: Sequence[npt.NDArray[np.int64]]

    def gain(self, index: int) -> Array:
        """Set ``index``'s gains, (members, actions), exact (``Fraction``) or float."""
        raise NotImplementedError


class _GivenGains(_SetGains):
    """Gains computed for every set at once."""

    def __init__(self, members: tuple[npt.NDArray[np.int64], ...], gains: tuple[Array, ...]) -> None:
        self.members = members
        self.gains = gains

    def gain(self, index: int) -> Array:
        return self.gains[index]


def _set_gains(game: Game, values: Array, probs: Array) -> _SetGains:
    members = []
    gains = []
    for s in game.infosets.values():
        m = np.asarray(s.members, dtype=np.int64)
        i = s.player.index
        first = game.first_child[m]
        after = np.stack([values[first + k, i] for k in range(len(s.actions))], axis=1)
        members.append(m)
        gains.append(after - values[m, i][:, None])
    return _GivenGains(tuple(members), tuple(gains))


class _LazyGains(_SetGains):
    """Exact gains of a set as ``Fraction`` objects, made from the integer values when first asked for.

    The exact check decides on integers (:class:`_Integers`); these objects
    are needed only where a set fails, for its message and the search.
    """

    def __init__(self, game: Game, ints: _Integers) -> None:
        self.members = ints.members
        self.game = game
        self.ints = ints
        self.made: dict[int, Array] = {}

    def gain(self, index: int) -> Array:
        got = self.made.get(index)
        if got is None:
            s = self.game.infosets.at(index)
            m = self.members[index]
            kids = (self.game.first_child[m][:, None] + np.arange(len(s.actions))[None, :]).ravel()
            own = np.repeat(m, len(s.actions))
            num, den = self.ints.gains(kids, own, s.player.index)
            got = self.made[index] = rational.to_fractions(num, den).reshape(len(m), len(s.actions))
        return got


class _Members(Sequence[npt.NDArray[np.int64]]):
    """The members of every information set, by index, as slices of one flat array."""

    def __init__(self, infosets: Sequence[Any]) -> None:
        counts = np.array([len(s.members) for s in infosets], dtype=np.int64)
        self.flat = np.fromiter((m for s in infosets for m in s.members), dtype=np.int64, count=int(counts.sum()))
        self.bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.counts = counts

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, index: Any) -> Any:
        k = operator.index(index)  # one set at a time, no slices
        return self.flat[self.bounds[k] : self.bounds[k + 1]]


class _Integers:
    """The exact check's numbers as integer numerators and denominators (:mod:`policy.rational`).

    Every node's value under the profile, and the layout of the test at
    every set: its possible members (*rows*, set after set in order) and,
    per set and action, the mover's gain at each row (*cells*, grouped by
    set and action, members consecutive). :meth:`_Search.evaluate` then
    weighs the gains by the beliefs and compares the sums with 0 for all
    sets in a few array operations, instead of ``Fraction`` objects set by
    set: the same exact comparisons.
    """

    def __init__(self, game: Game, pnum: Array, pden: Array, wnum: Array, wden: Array, vnum: Array, vden: Array,
                 possible: npt.NDArray[np.bool_]) -> None:
        self.pnum, self.pden = pnum, pden
        self.wnum, self.wden = wnum, wden
        self.vnum, self.vden = vnum, vden
        infosets = game.infosets.in_order()
        self.members = _Members(infosets)
        flat, bounds = self.members.flat, self.members.bounds
        actions = np.array([len(s.actions) for s in infosets], dtype=np.int64)
        mover = np.array([s.player.index for s in infosets], dtype=np.int64)
        alive = possible[flat]
        alive_count = np.add.reduceat(alive.astype(np.int64), bounds[:-1]) if flat.size else np.zeros(0, np.int64)
        #: The sets with a possible member, in order (their positions below index these).
        self.sets = np.flatnonzero(alive_count > 0)
        self.rows = flat[alive]
        sizes = alive_count[self.sets]
        self.set_start = np.cumsum(sizes) - sizes
        # Per set, one group of cells per action; per group, one cell per row of the set.
        k = actions[self.sets]
        self.group_set = np.repeat(np.arange(len(self.sets)), k)
        group_action = np.arange(len(self.group_set)) - np.repeat(np.cumsum(k) - k, k)
        group_size = sizes[self.group_set]
        self.cell_start = np.cumsum(group_size) - group_size
        cell_group = np.repeat(np.arange(len(self.group_set)), group_size)
        within = np.arange(len(cell_group)) - self.cell_start[cell_group]
        self.cell_row = self.set_start[self.group_set][cell_group] + within
        own = self.rows[self.cell_row]
        kid = game.first_child[own] + group_action[cell_group]
        self.gnum, self.gden = self.gains(kid, own, mover[self.sets][self.group_set][cell_group])

    @classmethod
    def of(cls, game: Game, numbers: Numbers, probs: Array, possible: npt.NDArray[np.bool_],
           given: ProfileIntegers | None = None) -> _Integers:
        """The layout of the test for the profile ``probs`` (``Fraction`` objects), with its numbers in
        integers (``given``, or made by :func:`profile_integers`)."""
        got = given if given is not None else profile_integers(game, numbers, probs.tolist())
        return cls(game, got.pnum, got.pden, got.wnum, got.wden, got.vnum, got.vden, possible)

    def gains(self, kid: Array, own: Array, player: int | Array) -> tuple[Array, Array]:
        """Value of node ``kid`` less that of node ``own`` for ``player``, entry by entry, in lowest terms."""
        return rational.add(self.vnum[kid, player], self.vden[kid], -self.vnum[own, player], self.vden[own])

    def evaluate(self, onum: Array, oden: Array, cnum: Array, cden: Array) -> tuple[int | None, Array, Array]:
        """The test at every set under a tremble structure's leading terms (orders ``onum / oden``,
        coefficients ``cnum / cden`` per node).

        Returns the position (in :attr:`sets`) of the first set where some
        action gains, or None, and each row's belief weight (its coefficient
        where its order is the set's least, else 0), numerators and denominators.
        """
        rows = self.rows
        cn, cd = cnum[rows], cden[rows]
        if not rows.size:  # every member of every set lies behind a chance move of probability 0
            return None, cn, cd
        least, _ = rational.group_best(-onum[rows], oden[rows], self.set_start)
        zero = np.zeros(1, dtype=cn.dtype)
        wn = np.where(least, cn, zero)
        if not self.gnum.size:
            return None, wn, cd
        snum, _ = rational.group_sum(self.gnum[:, None], self.gden, wn[self.cell_row], cd[self.cell_row],
                                     self.cell_start)
        over = np.asarray(snum[:, 0] > 0, dtype=bool)
        if not over.any():
            return None, wn, cd
        return int(self.group_set[int(np.argmax(over))]), wn, cd


class ProfileIntegers(NamedTuple):
    """A profile's exact numbers as integer arrays (:mod:`policy.rational`).

    ``pnum / pden``: the behaviour vector; ``wnum / wden``: the probability
    of the edge into each node (:func:`policy.solvers.verify.edge_weights`);
    ``vnum / vden``: each node's expected payoff vector, numerators (nodes,
    players) over one denominator per node, in lowest terms
    (:func:`policy.solvers.verify.subgame_values` before its ``Fraction`` objects).
    """

    pnum: Array
    pden: Array
    wnum: Array
    wden: Array
    vnum: Array
    vden: Array


def profile_integers(game: Game, numbers: Numbers, probabilities: Sequence[Number]) -> ProfileIntegers:
    """The exact edge weights and node values of a behaviour profile, as integers (see :class:`ProfileIntegers`)."""
    probs = list(probabilities)
    pnum, pden = rational.split(probs) if probs else (np.zeros(0, np.int64), np.ones(0, np.int64))
    ratios = numbers.ratios
    if ratios is not None:
        wnum, wden = ratios.prob_num.copy(), ratios.prob_den.copy()
        leaf_num, leaf_den = ratios.leaf_num, ratios.leaf_den
    else:
        wnum, wden = rational.split(numbers.edge_prob.tolist())
        players = len(game.players)
        lnum, lden = rational.split(np.asarray(numbers.leaf_payoff).ravel().tolist())
        leaf_num, leaf_den = rational.common_rows(lnum.reshape(-1, players), lden.reshape(-1, players))
    if rational._is_object(pnum, pden, wnum, wden):
        wnum, wden, pnum, pden = (rational.as_object(x) for x in (wnum, wden, pnum, pden))
    kids, position = _decided_edges(game)
    wnum[kids], wden[kids] = pnum[position], pden[position]
    vnum, vden = rational.tree_values(game, leaf_num, leaf_den, wnum, wden)
    return ProfileIntegers(pnum, pden, wnum, wden, vnum, vden)


def equilibrium_integers(result: SolveResult, eq: Equilibrium) -> ProfileIntegers:
    """:func:`profile_integers` of an exact solve's equilibrium.

    Not kept with the equilibrium (a campaign's are megabytes): a caller that
    needs them beside the sequential check makes them once and hands them to
    :func:`check_equilibrium`.
    """
    if not result.exact:
        raise ValueError("the integers of a profile need an exact solve")
    numbers = result.game.numbers(result.parameters, exact=True)
    return profile_integers(result.game, numbers, eq.probabilities)


def _decided_edges(game: Game) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The nodes a player's move leads to, and that move's position in the behaviour vector."""
    kids = np.arange(1, game.num_nodes)
    parents = game.parent[1:]
    decided = game.kind[parents] == NodeKind.DECISION
    c, p = kids[decided], parents[decided]
    return c, (game.infoset_offsets[game.infoset[p]] + (c - game.first_child[p])).astype(np.int64)



class _Search:
    """Beliefs from trembles, the test at every set, and the search over tremble structures."""

    def __init__(
        self,
        game: Game,
        numbers: Numbers,
        probs: Array,
        unused: npt.NDArray[np.bool_],
        gains: _SetGains,
        slack: Array,
        possible: npt.NDArray[np.bool_],
        ints: _Integers | None = None,
    ) -> None:
        self.game = game
        self.ints = ints
        self.numbers = numbers
        self.exact = numbers.exact
        self.probs = probs
        self.unused = np.asarray(unused, dtype=bool)
        self.gains = gains
        self.slack = slack
        self.possible = possible
        n = game.num_nodes
        # The flat action position of the edge into each node (-1: root or chance edge).
        self.position = np.full(n, -1, dtype=np.int64)
        if n > 1:
            kids = np.arange(1, n)
            parents = game.parent[1:]
            decided = game.kind[parents] == NodeKind.DECISION
            c, p = kids[decided], parents[decided]
            self.position[c] = game.infoset_offsets[game.infoset[p]] + (c - game.first_child[p])
        self.depth = int(game.depth.max(initial=0)) + 1
        self.tries = 0

    # -- one structure -------------------------------------------------------------
    def evaluate(self, trembles: Trembles) -> SequentialCheck:
        """Beliefs from ``trembles`` and the first set where the profile is not optimal."""
        self.tries += 1
        if self.ints is not None and _rational(trembles):
            return self._evaluate_integers(self.ints, trembles)
        order, coef = self._leading_terms(trembles)
        beliefs: dict[str, dict[str, Number]] = {}
        for s in self.game.infosets.values():
            members = self.gains.members[s.index]
            alive = self.possible[members]
            if not alive.any():
                continue
            mu = self._belief(members[alive], order, coef)
            if len(s.members) > 1:
                beliefs[s.name] = {self.game.node_names[int(m)]: b for m, b in zip(members[alive].tolist(), mu, strict=True)}
            gain = _weighted(self.gains.gain(s.index)[alive], mu, self.exact)
            best = max(range(len(gain)), key=gain.__getitem__)
            if gain[best] > self.slack[s.player.index]:
                why = f"{s.player.label} gains {_show(gain[best])} by {s.actions[best]}"
                return SequentialCheck(None, s.name, why, beliefs, trembles)
        return SequentialCheck(True, beliefs=beliefs, trembles=trembles)

    def _evaluate_integers(self, ints: _Integers, trembles: Trembles) -> SequentialCheck:
        """:meth:`evaluate` in exact arithmetic on integers: all sets tested at once (:meth:`_Integers.evaluate`).

        ``Fraction`` objects are made only for what the answer holds: the
        beliefs at the sets of several members up to the first that fails, and
        that set's gains for its message; the same objects as the set-by-set
        test makes.
        """
        game = self.game
        onum, oden, cnum, cden = self._leading_integers(ints, trembles)
        failed, wn, wd = ints.evaluate(onum, oden, cnum, cden)
        stop = len(ints.sets) if failed is None else failed + 1
        sizes = np.diff(np.append(ints.set_start, len(ints.rows)))
        several = ints.members.counts[ints.sets[:stop]] > 1
        wanted = several.copy()
        if failed is not None:
            wanted[failed] = True
        picked = np.repeat(np.append(wanted, np.zeros(len(ints.sets) - stop, dtype=bool)), sizes)
        mu: dict[int, Array] = {}
        if picked.any():
            set_of_row = np.repeat(np.arange(len(ints.sets)), sizes)
            ones = np.ones(len(ints.rows), dtype=np.int64)
            tn, td = rational.group_sum(ones[:, None], ones, wn, wd, ints.set_start)
            at = np.flatnonzero(picked)
            own = set_of_row[at]
            num, den = rational.multiply(wn[at], wd[at], td[own], tn[own, 0])
            made = rational.to_fractions(num, den)
            starts = np.flatnonzero(np.append(True, own[1:] != own[:-1]))
            for k, piece in zip(own[starts].tolist(), np.split(made, starts[1:]), strict=True):
                mu[k] = piece
        beliefs: dict[str, dict[str, Number]] = {}
        names = game.node_names
        for k in np.flatnonzero(several).tolist():
            s = game.infosets.at(int(ints.sets[k]))
            lo = int(ints.set_start[k])
            beliefs[s.name] = {names[m]: b for m, b in zip(ints.rows[lo:lo + int(sizes[k])].tolist(),
                                                           mu[k].tolist(), strict=True)}
        if failed is None:
            return SequentialCheck(True, beliefs=beliefs, trembles=trembles)
        s = game.infosets.at(int(ints.sets[failed]))
        members = self.gains.members[s.index]
        gain = _weighted(self.gains.gain(s.index)[self.possible[members]], mu[failed].tolist(), True)
        best = max(range(len(gain)), key=gain.__getitem__)
        why = f"{s.player.label} gains {_show(gain[best])} by {s.actions[best]}"
        return SequentialCheck(None, s.name, why, beliefs, trembles)

    def _leading_integers(self, ints: _Integers, trembles: Trembles) -> tuple[Array, Array, Array, Array]:
        """:meth:`_leading_terms` as integer numerators and denominators at every node (orders, coefficients)."""
        n = self.game.num_nodes
        onum = np.zeros(n, dtype=np.int64)
        oden = np.ones(n, dtype=np.int64)
        cnum, cden = ints.wnum.copy(), ints.wden.copy()
        moved = np.flatnonzero(self.position >= 0)
        trembling = moved[self.unused[self.position[moved]]]
        if trembling.size:
            actions = self.position[trembling].tolist()
            one = Fraction(1)
            anum, aden = rational.split([trembles.order.get(a, one) for a in actions])
            mnum, mden = rational.split([trembles.coefficient.get(a, one) for a in actions])
            if rational._is_object(anum, aden):
                onum, oden = rational.as_object(onum), rational.as_object(oden)
            if rational._is_object(mnum, mden):
                cnum, cden = rational.as_object(cnum), rational.as_object(cden)
            onum[trembling], oden[trembling] = anum, aden
            cnum[trembling], cden[trembling] = mnum, mden
        return _leading_integers(self.game, onum, oden, cnum, cden)

    def _leading_terms(self, trembles: Trembles) -> tuple[Array, Array]:
        """Order and coefficient of the first-order probability of reaching each node.

        Each edge adds its tremble's order (0 for chance and used actions) and
        multiplies by its probability or tremble coefficient; one level at a
        time, on object arrays.
        """
        game = self.game
        n = game.num_nodes
        one: Number = Fraction(1) if self.exact else 1.0
        add = np.zeros(n, dtype=object)
        add[:] = Fraction(0)
        mult = np.array(self.numbers.edge_prob, dtype=object)
        moved = np.flatnonzero(self.position >= 0)
        at = self.position[moved]
        mult[moved] = self.probs[at]
        for c in moved[self.unused[at]].tolist():
            a = int(self.position[c])
            add[c] = trembles.order.get(a, Fraction(1))
            mult[c] = trembles.coefficient.get(a, one)
        if self.exact and all(isinstance(x, Fraction | int) for x in trembles.coefficient.values()):
            return _leading_terms_exact(game, add, mult)
        order = add.copy()
        coef = mult.copy()
        coef[0] = one
        # Only edges that add an order or scale by other than 1 cost an
        # arithmetic operation (each a new Fraction in exact mode).
        adds = np.asarray(add != 0, dtype=bool)
        scales = np.asarray(mult != 1, dtype=bool)
        for start, stop in game.levels[1:]:
            parents = game.parent[start:stop]
            grows, scaled = adds[start:stop], scales[start:stop]
            level_order = order[parents]
            level_order[grows] = level_order[grows] + add[start:stop][grows]
            order[start:stop] = level_order
            level_coef = coef[parents]
            level_coef[scaled] = level_coef[scaled] * mult[start:stop][scaled]
            coef[start:stop] = level_coef
        return order, coef

    def _belief(self, members: npt.NDArray[np.int64], order: Array, coef: Array) -> list[Number]:
        orders = order[members]
        least = min(orders.tolist())
        weights = [c if k == least else c * 0 for k, c in zip(orders.tolist(), coef[members].tolist(), strict=True)]
        total = sum(weights[1:], start=weights[0])
        return [w / total for w in weights]

    # -- the search ------------------------------------------------------------------
    def search(self, budget: int) -> SequentialCheck:
        """Try tremble structures depth first (see the module docstring); prove failures where possible."""
        found = self.evaluate(self._structure(frozenset()))
        if found.verdict:
            return found
        proof = self._proof(found)
        if proof is not None:
            return proof
        stack: list[tuple[frozenset[int], dict[int, Number], SequentialCheck]] = [(frozenset(), {}, found)]
        seen: set[tuple[frozenset[int], tuple[tuple[int, Number], ...]]] = {(frozenset(), ())}
        last = found
        while stack and self.tries < budget:
            preferred, weights, failed = stack.pop()
            assert failed.infoset is not None
            s = self.game.infosets[failed.infoset]
            for more, extra in reversed(self._candidates(s, preferred, weights)):
                key = (more, tuple(sorted(extra.items())))
                if key in seen:
                    continue
                seen.add(key)
                got = self.evaluate(self._structure(more, extra))
                if got.verdict:
                    return got
                proof = self._proof(got)
                if proof is not None:
                    return proof
                last = got
                stack.append((more, extra, got))
                if self.tries >= budget:
                    break
        return SequentialCheck(None, last.infoset, f"{last.reason} under every consistent belief tried "
                               f"({self.tries} tremble structures)", last.beliefs, last.trembles)

    def _candidates(
        self, s: Any, preferred: frozenset[int], weights: dict[int, Number]
    ) -> list[tuple[frozenset[int], dict[int, Number]]]:
        """Structures that may fix set ``s``: one member made likeliest, or a belief the LP finds, made so.

        For the second, the members the belief uses get the unused actions on
        their paths at order 1, and one action on each member's path that no
        other member's path has gets the coefficient that gives the member its
        share (the LP's belief, rounded to a nearby fraction and then checked
        exactly like any other).
        """
        out = [(preferred | self._unused_on_path(m), weights) for m in self._vertices(s)]
        members = self.gains.members[s.index]
        alive = members[self.possible[members]]
        gain = self.gains.gain(s.index)[self.possible[members]]
        mu = _lp_belief(gain, float(self.slack[s.player.index]))
        if mu is None:
            return out
        support = [(int(m), b) for m, b in zip(alive.tolist(), mu, strict=True) if b > 1e-9]
        paths = {m: self._unused_on_path(m) for m, _ in support}
        more = preferred.union(*paths.values())
        extra = dict(weights)
        order, coef = self._leading_terms(self._structure(more, extra))
        for m, b in support:
            private = paths[m] - frozenset().union(*(p for k, p in paths.items() if k != m))
            if not private:
                return out
            a = max(private)  # the deepest such action
            share: Number = Fraction(b).limit_denominator(10**6) if self.exact else b
            base = coef[m] / extra.get(a, Fraction(1) if self.exact else 1.0)
            extra[a] = share / base
        out.append((more, extra))
        return out

    def _structure(self, preferred: frozenset[int], weights: Mapping[int, Number] | None = None) -> Trembles:
        """Unused actions in ``preferred`` at order 1, the others above any path made of those.

        Coefficients are 1 except those ``weights`` gives.
        """
        high = Fraction(1) if not preferred else Fraction(self.depth + 1)
        one: Number = Fraction(1) if self.exact else 1.0
        positions = np.flatnonzero(self.unused).tolist()
        given = weights or {}
        return Trembles(
            {a: (Fraction(1) if a in preferred else high) for a in positions},
            {a: given.get(a, one) for a in positions},
        )

    def _unused_on_path(self, node: int) -> frozenset[int]:
        out = []
        n = node
        while n > 0:
            a = int(self.position[n])
            if a >= 0 and self.unused[a]:
                out.append(a)
            n = int(self.game.parent[n])
        return frozenset(out)

    def _vertices(self, s: Any) -> list[int]:
        """The possible members of ``s`` at which the profile's behaviour is optimal on its own."""
        members = self.gains.members[s.index]
        gain = self.gains.gain(s.index)
        bound = self.slack[s.player.index]
        return [
            int(m) for k, m in enumerate(members.tolist())
            if self.possible[m] and max(gain[k].tolist()) <= bound
        ]

    def _proof(self, failed: SequentialCheck) -> SequentialCheck | None:
        """The failure made definite, if it can be: a reached set, or no belief helps."""
        assert failed.infoset is not None
        s = self.game.infosets[failed.infoset]
        members = self.gains.members[s.index]
        alive = members[self.possible[members]]
        reach_zero = [int(m) for m in alive.tolist() if not self._reached(int(m))]
        if len(reach_zero) < len(alive):
            return SequentialCheck(False, s.name, failed.reason + " (reached: beliefs there are Bayes')",
                                   failed.beliefs, failed.trembles)
        if self._vertices(s):
            return None
        gain = self.gains.gain(s.index)[self.possible[members]]
        if _lp_belief(gain, float(self.slack[s.player.index]), undecided=True) is not None:
            return None
        return SequentialCheck(False, s.name, failed.reason + " whatever the beliefs (unreached)",
                               failed.beliefs, failed.trembles)

    def _reached(self, node: int) -> bool:
        n = node
        while n > 0:
            a = int(self.position[n])
            if a >= 0 and self.unused[a]:
                return False
            n = int(self.game.parent[n])
        return True


def _leading_terms_exact(game: Game, add: Array, mult: Array) -> tuple[Array, Array]:
    """:meth:`_Search._leading_terms` in exact arithmetic, on integer numerators and denominators.

    ``add`` and ``mult`` are each edge's order and factor (``Fraction``
    objects); the sums and products down the tree run level by level on
    integer arrays (:mod:`policy.rational`) and become ``Fraction`` objects
    once at the end, at the decision nodes: the same numbers as multiplying
    objects node by node.
    """
    onum, oden, cnum, cden = _leading_integers(game, *rational.split(add.tolist()), *rational.split(mult.tolist()))
    # Beliefs read these at decision nodes only (the members of information
    # sets): only theirs are made into Fraction objects; the others stay None.
    decision = np.flatnonzero(game.kind == NodeKind.DECISION)
    order = np.full(game.num_nodes, None, dtype=object)
    coef = np.full(game.num_nodes, None, dtype=object)
    order[decision] = rational.to_fractions(onum[decision], oden[decision])
    coef[decision] = rational.to_fractions(cnum[decision], cden[decision])
    return order, coef


def _leading_integers(game: Game, onum: Array, oden: Array, cnum: Array, cden: Array) -> tuple[Array, Array, Array, Array]:
    """Sums of the edges' orders ``onum / oden`` and products of their factors ``cnum / cden`` down every
    path (the root's factor counts as 1), level by level on integer arrays (:mod:`policy.rational`)."""
    cnum[0] = cden[0] = 1
    grows_all = onum != 0
    scales_all = cnum != cden

    def down(num: Array, den: Array, changes: Array, op: Any, start: int, stop: int) -> tuple[Array, Array]:
        """One level: nodes whose edge ``changes`` combine their parent's value with it by ``op``; the rest copy it."""
        hit = np.flatnonzero(changes[start:stop]) + start
        same = np.flatnonzero(~changes[start:stop]) + start
        a, b = op(num[hit], den[hit], num[game.parent[hit]], den[game.parent[hit]])
        if a.dtype == object and num.dtype != object:
            num, den = rational.as_object(num), rational.as_object(den)
        num[same], den[same] = num[game.parent[same]], den[game.parent[same]]
        num[hit], den[hit] = a, b
        return num, den

    for start, stop in game.levels[1:]:
        onum, oden = down(onum, oden, grows_all, rational.add, start, stop)
        cnum, cden = down(cnum, cden, scales_all, rational.multiply, start, stop)
    return onum, oden, cnum, cden


def _rational(trembles: Trembles) -> bool:
    """Whether every order and coefficient of ``trembles`` is a rational (``Fraction`` or ``int``)."""
    return all(isinstance(x, Fraction | int) for x in trembles.order.values()) and all(
        isinstance(x, Fraction | int) for x in trembles.coefficient.values()
    )


def _weighted(gain: Array, mu: Sequence[Number], exact: bool) -> list[Number]:
    """``sum over members of mu * gain``, per action."""
    rows = gain.tolist()
    out = []
    for k in range(gain.shape[1]):
        total: Number = Fraction(0) if exact else 0.0
        for b, row in zip(mu, rows, strict=True):
            if b:
                total += b * row[k]
        out.append(total)
    return out


def _lp_belief(gain: Array, slack: float, undecided: bool = False) -> list[float] | None:
    """A belief ``mu`` (distribution over the rows) with ``mu . gain[:, b] <= slack`` for every ``b``, or None.

    A small LP solved by HiGHS in floats: it proposes, the exact test of the
    beliefs it leads to decides. When HiGHS fails, ``undecided`` says what to
    return (a uniform belief rather than a claim that none exists).
    """
    from scipy.optimize import linprog

    g = np.asarray(gain, dtype=np.float64)
    rows = g.shape[0]
    # Minimise t subject to g^T mu - t <= 0, sum mu = 1, mu >= 0: some belief works iff t <= slack.
    c = np.zeros(rows + 1)
    c[-1] = 1.0
    a_ub = np.hstack([g.T, -np.ones((g.shape[1], 1))])
    a_eq = np.hstack([np.ones((1, rows)), np.zeros((1, 1))])
    bounds = [(0, None)] * rows + [(None, None)]
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(g.shape[1]), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if not res.success:
        return [1.0 / rows] * rows if undecided else None
    scale = max(1.0, float(np.abs(g).max(initial=0.0)))
    if res.fun > slack + 1e-9 * scale:
        return None
    mu = np.maximum(res.x[:rows], 0.0)
    return (mu / mu.sum()).tolist()
