"""Check a behaviour profile: what it is worth, where it leads, and who regrets it.

Everything here starts from the profile alone (the flat behaviour vector), never
from how a solver found it, so a solver's answer is checked independently:

* :func:`edge_weights` gives each edge its probability under the profile (chance
  probability, or the mover's probability of that action);
* :func:`subgame_values` evaluates the profile bottom-up, giving every node the
  expected payoff vector of the subgame below it;
* :func:`reach_probabilities` pushes probability top-down to every node;
* :func:`subgame_regret` is the largest gain a mover has from changing the
  action at one node, keeping the rest of the profile. By the one-shot deviation
  principle a profile of a finite game with perfect information is
  subgame-perfect exactly when this is 0 at every node (Osborne and Rubinstein,
  *A Course in Game Theory*, 1994, Lemma 98.2).
* :func:`nash_regret` for perfect-information games: for each player, the gain
  of a best response over the whole tree against the others' behaviour.
* :func:`verified_equilibrium` is the one gate every solver's answer passes:
  it evaluates a candidate profile from scratch, computes its regret (Nash
  regret by default, or another check such as subgame regret) and returns an
  :class:`~policy.solvers.result.Equilibrium` only when that regret is exactly
  0 (exact) or, in float mode, when each player's regret is within
  ``tolerances.REGRET`` times the magnitude of the values compared (the
  player's expected absolute payoff, :func:`magnitudes`; see
  :mod:`policy.tolerances`), so that one player's payoffs of 1e200 do not
  excuse another's regret of 2; otherwise it raises
  :class:`VerificationError`, which says how large the regret was and where.
  The regret reported (``max_regret``) stays absolute: the largest gain of
  any player, in that player's payoff units.

Work is done level by level on arrays (``Fraction`` objects in exact mode);
in float mode the best responses, and the values of small trees, go node by
node on Python lists with the very operations of the array code (same bits,
fewer numpy calls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from policy import rational, tolerances
from policy.model import DECISION, Game, NodeKind, Number, Numbers
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, show_number

#: Levels with at most this many inner nodes are evaluated node by node.
NARROW_LEVEL = 16
#: A float profile passes when each player's regret is at most this times the
#: magnitude of the values compared (see :mod:`policy.tolerances`).
FLOAT_REGRET_TOLERANCE = tolerances.REGRET
#: Float behaviour profiles no farther apart than this (largest difference) are the same.
PROFILE_TOLERANCE = tolerances.PROFILE

Array = npt.NDArray[Any]


class Regret(NamedTuple):
    """What a :data:`RegretCheck` found."""

    regret: Number
    """The largest regret, absolute (in the payoff units of the player who has it): ``max_regret``."""
    node: int
    """Where the profile fails worst (-1 when no node is singled out)."""
    excess: Number
    """The largest amount by which a regret exceeds its tolerance: the profile
    passes when this is <= 0. Exact: the regret itself (its tolerance is 0).
    Float: each regret against ``tolerances.REGRET`` times the magnitude of the
    values it compares, for the player who has it (:mod:`policy.tolerances`)."""


def edge_weights(game: Game, numbers: Numbers, probabilities: Sequence[Number] | Array) -> Array:
    """Probability of the edge into each node under the profile (1 at the root)."""
    exact = numbers.exact
    if isinstance(probabilities, np.ndarray):  # already an array: no list in between
        probs = probabilities.astype(object if exact else np.float64, copy=False)
    else:
        probs = np.array(list(probabilities), dtype=object if exact else np.float64)
    weight = numbers.edge_prob.copy()
    n = game.num_nodes
    if n > 1:
        kids = np.arange(1, n)
        parents = game.parent[1:]
        decided = game.kind[parents] == DECISION
        c = kids[decided]
        p = parents[decided]
        position = game.infoset_offsets[game.infoset[p]] + (c - game.first_child[p])
        weight[c] = probs[position]
    return weight


def subgame_values(game: Game, numbers: Numbers, weight: Array) -> Array:
    """Expected payoff vector at every node under the profile, shape (nodes, players)."""
    if numbers.exact:
        if numbers.ratios is not None:  # integers already: no Fraction to split
            return _exact_expectations(game, None, weight, (numbers.ratios.leaf_num, numbers.ratios.leaf_den))
        return _exact_expectations(game, numbers.leaf_payoff, weight)
    return _expectations(game, numbers.leaf_payoff, weight, numbers.exact)


def magnitudes(game: Game, numbers: Numbers, weight: Array) -> Array:
    """Expected absolute payoff at every node under the profile, float64 (nodes, players).

    The scale at which each entry of :func:`subgame_values` is judged in float
    mode (:func:`policy.tolerances.magnitude`): a float value is exact to a few
    spacings of its magnitude, not of its own size.
    """
    return _expectations(
        game, tolerances.magnitude(numbers.leaf_payoff), np.asarray(weight, dtype=np.float64), False
    )


def values_and_magnitudes(game: Game, numbers: Numbers, weight: Array) -> tuple[Array, Array | None]:
    """:func:`subgame_values` and, in float mode, :func:`magnitudes`, in one bottom-up pass.

    Float: the magnitudes ride as extra columns beside the values, so both
    cost the same array calls. Exact: the magnitudes are ``None``.
    """
    if numbers.exact:
        return subgame_values(game, numbers, weight), None
    players = len(game.players)
    leaf = np.concatenate([numbers.leaf_payoff, tolerances.magnitude(numbers.leaf_payoff)], axis=1)
    both = _expectations(game, leaf, weight, False)
    return both[:, :players], both[:, players:]


def _expectations(game: Game, leaf: Array, weight: Array, exact: bool) -> Array:
    """Bottom-up expectations of the terminal vectors ``leaf`` under the edge weights."""
    n_players = leaf.shape[1] if leaf.ndim == 2 else len(game.players)
    if not exact and leaf.ndim == 2 and all(inner.size <= NARROW_LEVEL for inner in game.level_inner):
        return _expectations_lists(game, leaf, weight)
    values = np.zeros((game.num_nodes, n_players), dtype=object if exact else np.float64)
    if exact:
        values[:] = 0
    values[game.terminals] = leaf
    pick = None if exact else _pure_choices(game, weight)
    for inner, cstart, cstop in game.levels_bottom_up():
        if pick is not None and inner.size > NARROW_LEVEL:
            _expect_level_pure(game, inner, cstart, weight, values, pick)
            continue
        if inner.size <= NARROW_LEVEL:
            for n in inner.tolist():  # cheaper than array calls for a few nodes
                k0 = int(game.first_child[n])
                k1 = k0 + int(game.num_children[n])
                values[n] = (weight[k0:k1, None] * values[k0:k1]).sum(axis=0)
            continue
        offsets = game.first_child[inner] - cstart
        if exact:
            _sum_children_exact(game, inner, offsets, weight[cstart:cstop], values, cstart)
            continue
        contrib = weight[cstart:cstop, None] * values[cstart:cstop]
        values[inner] = np.add.reduceat(contrib, offsets, axis=0)
    return values


def _pure_choices(game: Game, weight: Array) -> npt.NDArray[np.int64] | None:
    """The child each decision node takes when the float profile is pure there, else None.

    Pure: at every decision node one edge weighs exactly 1 and the others
    exactly 0. Then a decision node's value is its chosen child's, which is
    what the weighted sum of its children gives (``1 * x`` and ``0 * y`` are
    exact), except for the sign of a zero: ``+ 0.0`` makes every zero
    positive, where the sum's could keep a ``-0.0``; the values compare
    equal either way. A gather costs a fraction of the sum over every child.
    """
    n = game.num_nodes
    if n < 2:
        return None
    parents = game.parent[1:]
    decided = game.kind[parents] == DECISION
    w = weight[1:]
    one = np.flatnonzero(decided & (w == 1.0))
    decision_count = int(np.count_nonzero(game.kind == DECISION))
    if len(one) != decision_count or np.count_nonzero(w[decided]) != decision_count:
        return None
    chooser = parents[one]
    if len(chooser) > 1 and not (np.diff(chooser) > 0).all():  # children are stored by parent: one each
        return None
    pick = np.full(n, -1, dtype=np.int64)
    pick[chooser] = one + 1
    return pick


def _expect_level_pure(
    game: Game, inner: npt.NDArray[np.int64], cstart: int, weight: Array, values: Array, pick: npt.NDArray[np.int64]
) -> None:
    """One level of :func:`_expectations` (float) when every decision node's choice is pure (``pick``)."""
    chosen = pick[inner]
    decide = chosen >= 0
    values[inner[decide]] = values[chosen[decide]] + 0.0
    if decide.all():
        return
    chance = inner[~decide]
    counts = game.num_children[chance].astype(np.int64)
    kids = game.children_of_all(chance)
    offsets = np.cumsum(counts) - counts
    values[chance] = np.add.reduceat(weight[kids, None] * values[kids], offsets, axis=0)


def _expectations_lists(game: Game, leaf: Array, weight: Array) -> Array:
    """:func:`_expectations` in float mode for a tree whose levels are all narrow, on Python lists.

    Node by node, as :func:`_expectations` does narrow levels, each column a
    running sum from 0.0 over the children in order: what numpy's sum over
    the first axis does for fewer than :data:`SEQUENTIAL_SUM` children
    (numpy keeps nodes with more). The same bits, without numpy calls per node.
    """
    n, width = game.num_nodes, leaf.shape[1]
    values: list[list[float]] = [[0.0] * width for _ in range(n)]
    for t, row in zip(game.terminals.tolist(), leaf.tolist(), strict=True):
        values[t] = row
    edge = weight.tolist()
    first = game.first_child.tolist()
    count = game.num_children.tolist()
    columns = range(width)
    for inner, _, _ in game.levels_bottom_up():
        for node in inner.tolist():
            k0 = first[node]
            k1 = k0 + count[node]
            if k1 - k0 < SEQUENTIAL_SUM:
                total = [0.0] * width
                for j in range(k0, k1):
                    w, row = edge[j], values[j]
                    for c in columns:
                        total[c] += w * row[c]
            else:
                total = (weight[k0:k1, None] * np.array(values[k0:k1], dtype=np.float64)).sum(axis=0).tolist()
            values[node] = total
    return np.array(values, dtype=np.float64).reshape(n, width)


def _exact_expectations(
    game: Game, leaf: Array | None, weight: Array, rows: tuple[Array, Array] | None = None
) -> Array:
    """:func:`_expectations` in exact mode, on integer numerators and denominators.

    The terminal vectors and the edge weights (``Fraction`` objects) are split
    into integers once; each level is then a weighted sum of the children over
    a common denominator per node (:func:`policy.rational.group_sum`: int64
    while it surely cannot overflow, Python ints past that). The ``Fraction``
    of each value is made once at the end, in lowest terms: the same numbers
    as summing ``Fraction`` objects node by node, at a fraction of the cost.
    ``rows``, instead of ``leaf``, gives the terminal vectors as integers
    already: numerators (terminals, players) over one denominator per terminal.
    """
    n_players = len(game.players)
    n = game.num_nodes
    if rows is not None:
        tnum, tden = rows
    else:
        assert leaf is not None
        if not n_players or not len(leaf):
            return _expectations(game, leaf, weight, True)
        lnum, lden = rational.split(leaf.ravel().tolist())
        tnum, tden = rational.common_rows(lnum.reshape(-1, n_players), lden.reshape(-1, n_players))
    if not n_players or not len(tnum):
        return _expectations(game, np.zeros(tnum.shape, dtype=object), weight, True)
    wnum, wden = rational.split(weight.tolist())
    big = rational._is_object(tnum, tden)
    num = np.zeros((n, n_players), dtype=object if big else np.int64)
    den = np.ones(n, dtype=object if big else np.int64)
    if big:
        num[:] = 0
        den[:] = 1
    num[game.terminals] = tnum
    den[game.terminals] = tden
    # Nodes from ``low`` on hold int64; those above it (the levels from the
    # first one whose sums outgrew int64 up to the root) hold Python ints, in
    # arrays of their own: the many small values below keep the fast path.
    low = 0 if big else n
    top_num, top_den = num, den
    for inner, cstart, cstop in game.levels_bottom_up():
        offsets = game.first_child[inner] - cstart
        if cstart >= low:
            parts = (num[cstart:cstop], den[cstart:cstop])
        else:
            parts = (top_num[cstart:cstop], top_den[cstart:cstop])
        snum, sden = rational.group_sum(*parts, wnum[cstart:cstop], wden[cstart:cstop], offsets)
        if snum.dtype == object and low == n:
            low = cstart  # every node from here on is done and fits int64
            top_num, top_den = rational.as_object(num[:low]), rational.as_object(den[:low])
        if low < n:
            top_num[inner] = snum
            top_den[inner] = sden
        else:
            num[inner] = snum
            den[inner] = sden
    if low == n or low == 0:
        return rational.to_fractions(top_num, top_den)
    out = np.empty((n, n_players), dtype=object)
    out[:low] = rational.to_fractions(top_num, top_den)
    out[low:] = rational.to_fractions(num[low:], den[low:])
    return out


def _sum_children_exact(
    game: Game, inner: npt.NDArray[np.int64], offsets: npt.NDArray[np.int64], w: Array, values: Array, cstart: int
) -> None:
    """One level of :func:`subgame_values` in ``Fraction`` objects.

    A node whose children have weights 1 and 0 only (a pure choice) takes the
    chosen child's values as they are: no multiplication or addition, each of
    which costs a new ``Fraction``. The other nodes sum weight times value.
    """
    counts = game.num_children[inner].astype(np.int64)
    one = np.asarray(w == 1, dtype=bool)
    zero = np.asarray(w == 0, dtype=bool)
    ones = np.add.reduceat(one.astype(np.int64), offsets)
    pure = (ones == 1) & (ones + np.add.reduceat(zero.astype(np.int64), offsets) == counts)
    where_one = np.flatnonzero(one)
    group = np.searchsorted(offsets, where_one, side="right") - 1
    chosen = np.full(len(inner), -1, dtype=np.int64)
    chosen[group] = where_one
    values[inner[pure]] = values[cstart + chosen[pure]]
    rest = np.flatnonzero(~pure)
    if not rest.size:
        return
    sizes = counts[rest]
    starts = np.cumsum(sizes) - sizes
    kids = np.repeat(offsets[rest], sizes) + (np.arange(int(sizes.sum())) - np.repeat(starts, sizes))
    contrib = w[kids, None] * values[cstart + kids]
    values[inner[rest]] = np.add.reduceat(contrib, starts, axis=0)


def reach_probabilities(game: Game, weight: Array) -> Array:
    """Probability of reaching every node under the profile."""
    reach = weight.copy()
    exact = reach.dtype == object
    for start, stop in game.levels[1:]:
        above = reach[game.parent[start:stop]]
        if not exact:
            reach[start:stop] = reach[start:stop] * above
            continue
        # In Fraction objects: an edge of weight 1 passes its parent's reach on
        # as it is, and nothing below a node never reached is reached (no
        # multiplication, each of which costs a new Fraction).
        own = reach[start:stop]
        passed = np.asarray(own == 1, dtype=bool)
        unreached = np.asarray(above == 0, dtype=bool) & ~passed
        rest = ~(passed | unreached)
        own[passed] = above[passed]
        own[unreached] = above[unreached]
        own[rest] = own[rest] * above[rest]
    return reach


def subgame_regret(game: Game, values: Array) -> tuple[Number, int]:
    """The largest one-node deviation gain over all decision nodes, and where.

    Returns ``(regret, node)`` with ``node = -1`` when there is no decision node.
    """
    decision, regret, _ = one_node_gains(game, values)
    if not decision.size:
        return (values[0, 0] * 0 if values.size else 0), -1
    k = int(np.argmax(regret))
    return regret[k], int(decision[k])


def one_node_gains(
    game: Game, values: Array, sizes: Array | None = None
) -> tuple[npt.NDArray[np.int64], Array, Array | None]:
    """Each decision node, its mover's gain from the best child, and the scale of that comparison.

    The scale (with ``sizes`` from :func:`magnitudes`) is the largest
    magnitude, for the mover, among the node's children.
    """
    decision = np.flatnonzero(game.kind == NodeKind.DECISION)
    if not decision.size:
        return decision, values[:0, 0], None
    mover = game.player[decision]
    counts = game.num_children[decision].astype(np.int64)
    # Nodes are stored breadth-first, children of a node together and in the
    # order of their parents: the children of decision nodes, in node order,
    # are those of the first decision node, then of the next, and so on.
    parents = game.parent[1:]
    kids = np.flatnonzero(game.kind[parents] == NodeKind.DECISION) + 1
    kid_mover = game.player[parents[kids - 1]]
    kid_values = values[kids, kid_mover]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    best = np.maximum.reduceat(kid_values, starts)
    scale = None if sizes is None else np.maximum.reduceat(sizes[kids, kid_mover], starts)
    return decision, best - values[decision, mover], scale


def nash_regret(game: Game, numbers: Numbers, weight: Array, values: Array) -> Number:
    """Max over players of (best-response value - profile value) at the root.

    Valid for perfect-information games, where every information set is one
    node: the best response is found by backward induction for that player
    alone, the others' behaviour held fixed.
    """
    worst: Number = values[0, 0] * 0
    levels = game.levels
    for i in range(len(game.players)):
        br = np.zeros(game.num_nodes, dtype=values.dtype)
        br[game.terminals] = numbers.leaf_payoff[:, i]
        for d in range(len(levels) - 2, -1, -1):
            start, stop = levels[d]
            cstart, cstop = levels[d + 1]
            inner = np.flatnonzero(game.num_children[start:stop] > 0) + start
            if not inner.size:
                continue
            offsets = game.first_child[inner] - cstart
            mine = game.player[inner] == i
            averaged = np.add.reduceat(weight[cstart:cstop] * br[cstart:cstop], offsets)
            best = np.maximum.reduceat(br[cstart:cstop], offsets)
            br[inner] = np.where(mine, best, averaged)
        gain = br[0] - values[0, i]
        if gain > worst:
            worst = gain
    return worst


def behavior_regret(
    game: Game, numbers: Numbers, probabilities: Sequence[Number]
) -> tuple[Number, list[Number]]:
    """Nash regret of a behaviour profile in a game with perfect recall.

    For each player, the value of a best response against everyone else's
    behaviour, minus the profile's value; the result is the largest of these
    and the list per player. The best response is built in the tree: at each
    of the player's information sets, from the deepest up, pick the action
    whose counterfactual value (the value after the action, weighted by how
    likely chance and the others make each member of the set) is largest
    (Kuhn 1953: with perfect recall, behaviour strategies suffice; von Stengel,
    "Computing equilibria for two-person games", Handbook of Game Theory 3,
    2002, section 4). Nothing here goes through the normal form.
    """
    weight = edge_weights(game, numbers, probabilities)
    worst, regrets, _ = _behavior_regret(game, numbers, weight, subgame_values(game, numbers, weight))
    return worst, regrets


def nash_regret_check(game: Game, numbers: Numbers, probabilities: Sequence[Number]) -> Regret:
    """The Nash regret of a profile (:func:`behavior_regret`) and how far it is from passing.

    The :attr:`Regret.excess` is, exactly, the largest regret (0 exactly at an
    equilibrium); in float mode the largest ``regret_i - tolerance(REGRET,
    magnitude_i)`` over players ``i``, where ``magnitude_i`` is the larger of
    the magnitudes of the best response's and the profile's values to ``i``
    (:mod:`policy.tolerances`). Names no node.
    """
    weight = edge_weights(game, numbers, probabilities)
    worst, _, excess = _behavior_regret(game, numbers, weight, subgame_values(game, numbers, weight))
    return Regret(worst, -1, excess)


def _behavior_regret(
    game: Game, numbers: Numbers, weight: Array, values: Array, sizes: Array | None = None
) -> tuple[Number, list[Number], Number]:
    """:func:`behavior_regret` from the profile's edge weights and node values, with its excess.

    The third item is :func:`nash_excess`. ``sizes``: the :func:`magnitudes`
    (float mode), when already computed.
    """
    regrets: list[Number] = []
    excess: Number = values[0, 0] * 0 if values.size else 0
    if sizes is None and not numbers.exact:
        sizes = magnitudes(game, numbers, weight)
    # Exact: a player who never moves has one strategy, worth exactly its value
    # (the same expectation under the same weights); float sums may round otherwise.
    movers = set(game.player[game.kind == NodeKind.DECISION].tolist()) if numbers.exact else None
    for i in range(len(game.players)):
        if movers is not None and i not in movers:
            regrets.append(values[0, i] * 0)
            excess = regrets[-1] if i == 0 else max(excess, regrets[-1])
            continue
        best, best_size = _best_response_value(game, numbers, weight, i)
        regret = best - values[0, i]
        regrets.append(regret)
        over = regret
        if sizes is not None:
            scale = max(float(best_size), float(sizes[0, i]))
            over = float(regret) - tolerances.tolerance(FLOAT_REGRET_TOLERANCE, scale)
        excess = over if i == 0 else max(excess, over)
    worst = max(regrets) if regrets else 0
    return worst, regrets, excess


def _best_response_value(game: Game, numbers: Numbers, weight: Array, player: int) -> tuple[Number, float]:
    """The value to ``player`` of a best response in behaviour strategies, and its magnitude.

    The magnitude (the same expectation of the absolute payoffs, float mode
    only, else 0) is the scale at which the value is judged.
    """
    if not numbers.exact:
        return _best_response_float(game, numbers, weight, player)
    return _best_response_exact(game, numbers, weight, player), 0.0


def _best_response_exact(game: Game, numbers: Numbers, weight: Array, player: int) -> Number:
    """:func:`_best_response_value` in exact mode, node by node on Python lists.

    The same order of work as the float version; each sum skips the terms
    whose weight is 0 and takes a weight of 1 without multiplying (exact
    arithmetic gives the same ``Fraction`` whatever the order or grouping).
    """
    n = game.num_nodes
    zero = Fraction(0)
    mover = game.player.tolist()
    first = game.first_child.tolist()
    count = game.num_children.tolist()
    parents = game.parent.tolist()
    infoset = game.infoset.tolist()
    others = weight.copy()
    own_edge = np.zeros(n, dtype=bool)
    if n > 1:
        own_edge[1:] = game.player[game.parent[1:]] == player
    others[own_edge] = 1
    reach = reach_probabilities(game, others).tolist()
    edge = weight.tolist()
    value: list[Any] = [zero] * n
    terminals = game.terminals.tolist()
    for t, v in zip(terminals, numbers.leaf_payoff[:, player].tolist(), strict=True):
        value[t] = v
    pending: dict[int, int] = {}
    for s in game.infosets.values():
        if s.player.index == player:
            pending[s.index] = len(s.members)
    waiting = list(count)
    ready = list(terminals)
    while ready:
        node = ready.pop()
        parent = parents[node] if node else -1
        if parent < 0:
            continue
        waiting[parent] -= 1
        if waiting[parent]:
            continue
        if mover[parent] == player:
            k = infoset[parent]
            pending[k] -= 1
            if pending[k]:
                continue
            s = game.infosets.at(k)
            members = [(m, reach[m], first[m]) for m in s.members]
            best: Any = None
            top = 0
            for a in range(len(s.actions)):
                total: Any = zero
                for _, r, f in members:
                    if r == 1:
                        total = total + value[f + a]
                    elif r:
                        total = total + r * value[f + a]
                if best is None or total > best:
                    best, top = total, a
            for m, _, f in members:
                value[m] = value[f + top]
                ready.append(m)
        else:
            f = first[parent]
            total = zero
            for c in range(f, f + count[parent]):
                w = edge[c]
                if w == 1:
                    total = total + value[c]
                elif w:
                    total = total + w * value[c]
            value[parent] = total
            ready.append(parent)
    return value[0]


#: Nodes with fewer children than this are summed in Python by
#: :func:`_best_response_float`: numpy adds so few float64 numbers one after
#: the other from 0.0, which is what a Python loop does (more are summed
#: pairwise, so numpy keeps those). tests/test_verify.py checks the two agree.
SEQUENTIAL_SUM = 8


def _best_response_float(game: Game, numbers: Numbers, weight: Array, player: int) -> tuple[Number, float]:
    """:func:`_best_response_value` in float mode, node by node on Python lists.

    The same order of work and the same operations on the same float64
    numbers, so the same bits, without a numpy call per node (which costs
    more than its arithmetic on small trees).
    """
    n = game.num_nodes
    mover = game.player.tolist()
    first = game.first_child.tolist()
    count = game.num_children.tolist()
    parents = game.parent.tolist()
    infoset = game.infoset.tolist()
    others = weight.copy()
    own_edge = np.zeros(n, dtype=bool)
    if n > 1:
        own_edge[1:] = game.player[game.parent[1:]] == player
    others[own_edge] = 1
    reach = reach_probabilities(game, others).tolist()
    edge = weight.tolist()
    terminals = game.terminals.tolist()
    value = [0.0] * n
    size = [0.0] * n
    leaf = numbers.leaf_payoff[:, player]
    for t, v, m in zip(terminals, leaf.tolist(), tolerances.magnitude(leaf).tolist(), strict=True):
        value[t] = v
        size[t] = m
    pending: dict[int, int] = {}  # infoset -> members still waiting on children
    for s in game.infosets.in_order():  # by position (no lookup by name)
        if s.player.index == player:
            pending[s.index] = len(s.members)
    waiting = list(count)  # children not yet valued
    ready = terminals
    while ready:
        node = ready.pop()
        parent = parents[node] if node else -1
        if parent < 0:
            continue
        waiting[parent] -= 1
        if waiting[parent]:
            continue
        if mover[parent] == player:
            k = infoset[parent]
            pending[k] -= 1
            if pending[k]:
                continue
            s = game.infosets.at(k)
            totals = []
            for a in range(len(s.actions)):
                total = value[0] * 0
                for m in s.members:
                    total += reach[m] * value[first[m] + a]
                totals.append(total)
            top = max(range(len(totals)), key=totals.__getitem__)
            for m in s.members:
                value[m] = value[first[m] + top]
                size[m] = size[first[m] + top]
                ready.append(m)
        else:
            k0 = first[parent]
            k1 = k0 + count[parent]
            if k1 - k0 < SEQUENTIAL_SUM:
                total = 0.0
                magnitude = 0.0
                for j in range(k0, k1):
                    total += edge[j] * value[j]
                    magnitude += edge[j] * size[j]
            else:
                w = weight[k0:k1]
                total = float((w * np.array(value[k0:k1])).sum())
                magnitude = float((w * np.array(size[k0:k1])).sum())
            value[parent] = total
            size[parent] = magnitude
            ready.append(parent)
    return np.float64(value[0]), size[0]


def beliefs(game: Game, numbers: Numbers, probabilities: Sequence[Number]) -> dict[str, dict[str, Number]]:
    """Bayes-consistent beliefs at every information set the profile reaches.

    Infoset name -> member node name -> probability of being there, given the
    set is reached. Sets reached with probability 0 are left out: beliefs there
    are not pinned down by the profile.
    """
    reach = reach_probabilities(game, edge_weights(game, numbers, probabilities))
    out: dict[str, dict[str, Number]] = {}
    for s in game.infosets.values():
        total = sum((reach[m] for m in s.members), start=reach[0] * 0)
        if total > 0:
            out[s.name] = {game.node_names[m]: reach[m] / total for m in s.members}
    return out


# ---------------------------------------------------------------------------------
# The gate every equilibrium passes
# ---------------------------------------------------------------------------------
RegretCheck = Callable[[Game, Numbers, Sequence[Number], Array, Array], Regret]
"""``check(game, numbers, probabilities, weight, values) -> Regret``: how far a
profile is from what a solver promises, given its edge weights and node values
(:func:`edge_weights`, :func:`subgame_values`)."""


def nash_check(
    game: Game, numbers: Numbers, probabilities: Sequence[Number], weight: Array, values: Array
) -> Regret:
    """Nash regret (:func:`behavior_regret`, :func:`nash_excess`) as a :data:`RegretCheck`; names no node."""
    worst, _, excess = _behavior_regret(game, numbers, weight, values)
    return Regret(worst, -1, excess)


def subgame_check(
    game: Game, numbers: Numbers, probabilities: Sequence[Number], weight: Array, values: Array
) -> Regret:
    """One-node deviation regret (:func:`subgame_regret`) as a :data:`RegretCheck`.

    It is 0 exactly when a profile of a perfect-information game is
    subgame-perfect. In float mode each node's gain is judged at the largest
    magnitude, for its mover, among its children.
    """
    sizes = None if numbers.exact else magnitudes(game, numbers, weight)
    decision, gains, scale = one_node_gains(game, values, sizes)
    if not decision.size:
        zero = values[0, 0] * 0 if values.size else 0
        return Regret(zero, -1, zero)
    over = gains if scale is None else gains.astype(np.float64) - tolerances.tolerance(FLOAT_REGRET_TOLERANCE, scale)
    k = int(np.argmax(over))
    return Regret(gains.max(), int(decision[k]), over[k])


def subgame_check_array(game: Game, numbers: Numbers, probabilities: Array) -> tuple[Regret, Array, Array]:
    """:func:`subgame_check` of a behaviour vector held as an array, and the edge weights and values it used.

    The same check from the profile alone, for answers of games held as
    arrays: the edge weights come straight from the array (float64, or
    ``Fraction`` objects in exact mode), and in float mode the values and
    their magnitudes are one bottom-up pass (:func:`values_and_magnitudes`).
    """
    weight = edge_weights(game, numbers, probabilities)
    values, sizes = values_and_magnitudes(game, numbers, weight)
    decision, gains, scale = one_node_gains(game, values, sizes)
    if not decision.size:
        zero = values[0, 0] * 0 if values.size else 0
        return Regret(zero, -1, zero), weight, values
    over = gains if scale is None else gains.astype(np.float64) - tolerances.tolerance(FLOAT_REGRET_TOLERANCE, scale)
    k = int(np.argmax(over))
    return Regret(gains.max(), int(decision[k]), over[k]), weight, values


def verified_subgame_perfect(
    game: Game, numbers: Numbers, probabilities: Array, what: str = "the solver produced a profile"
) -> Equilibrium:
    """:func:`verified_equilibrium` with :func:`subgame_check` for a behaviour vector held as an array.

    The verdict is that of :func:`subgame_check_array`; the record holds the
    vector, root values and terminal reach as Python numbers (``float`` or
    ``Fraction``), made from the arrays in one conversion each.
    """
    found, weight, values = subgame_check_array(game, numbers, probabilities)
    if not acceptable(found.excess):
        raise VerificationError(game, found.regret, found.node, what)
    reach = reach_probabilities(game, weight)[game.terminals]
    return Equilibrium(
        game=game,
        probabilities=_python_numbers(probabilities),
        values=tuple(values[0].tolist()),
        reach=_python_numbers(reach),
        max_regret=found.regret if numbers.exact else max(float(found.regret), 0.0),
    )


def _python_numbers(vector: Array) -> tuple[Number, ...]:
    """An array as a tuple of Python numbers, as ``tuple(vector.tolist())`` gives.

    Float entries equal to 0 or 1 (most of a pure profile and of its reach)
    share one Python float each instead of one object per entry.
    """
    if vector.dtype == object:
        return tuple(vector.tolist())
    out = np.full(len(vector), 0.0, dtype=object)
    out[vector == 1] = 1.0
    rest = np.flatnonzero(((vector != 0) | np.signbit(vector)) & (vector != 1))
    out[rest] = vector[rest]
    return tuple(out.tolist())


def show_regret(regret: Number) -> str:
    """A regret for a message: exact in full (however long), float as Python writes it."""
    return show_number(regret) if isinstance(regret, Fraction) else str(regret)


class VerificationError(SolverError):
    """A candidate profile whose regret is not 0 (exact) or within the float tolerance.

    ``regret`` is the regret found and ``node`` where it is largest (-1 if the
    check names no node). Solvers that try several candidates catch it and drop
    the candidate; otherwise its message reports an internal error.
    """

    def __init__(self, game: Game, regret: Number, node: int, what: str) -> None:
        self.regret = regret
        self.node = node
        where = f" at node {game.node_names[node]!r}" if node >= 0 else ""
        super().__init__(
            f"internal error: {what} with regret {show_regret(regret)}{where}; please report this game"
        )


def payoff_scales(numbers: Numbers) -> npt.NDArray[np.float64]:
    """Each player's payoff scale at these numbers (:func:`policy.tolerances.payoff_scales`)."""
    return tolerances.payoff_scales(numbers.leaf_payoff)


def tie_tolerance(magnitude: float | npt.NDArray[Any]) -> Any:
    """How close two float payoffs of a player may be and still tie: ``TIE`` relative to their magnitude.

    ``magnitude`` is the largest :func:`magnitudes` entry, for that player,
    among the values compared (or an array of them, one per comparison).
    """
    return tolerances.tolerance(tolerances.TIE, magnitude)


def regret_tolerance(magnitude: float | npt.NDArray[Any]) -> Any:
    """The largest float regret a player may have: ``REGRET`` relative to the magnitude of the values compared."""
    return tolerances.tolerance(FLOAT_REGRET_TOLERANCE, magnitude)


def acceptable(excess: Number) -> bool:
    """Whether a check's :attr:`Regret.excess` passes: at most 0."""
    return bool(excess <= 0)


def as_numbers(probabilities: Iterable[Any], exact: bool) -> list[Number]:
    """Probabilities as ``Fraction`` (exact) or Python ``float``, as an :class:`Equilibrium` holds them."""
    if exact:
        return [Fraction(p) for p in probabilities]
    return [float(p) for p in probabilities]


def same_profile(a: Sequence[Number], b: Sequence[Number], exact: bool) -> bool:
    """Equal behaviour vectors (exact), or no entry farther apart than ``PROFILE_TOLERANCE`` (float)."""
    if exact:
        return tuple(a) == tuple(b)
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(diff), initial=0.0)) <= PROFILE_TOLERANCE


def evaluate_profile(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    max_regret: Number,
    weight: Array | None = None,
    values: Array | None = None,
) -> Equilibrium:
    """The :class:`Equilibrium` record of a profile whose regret is known, with no check.

    Only for profiles that are not claimed to be equilibria (a quantal response
    equilibrium, which reports its regret); every equilibrium goes through
    :func:`verified_equilibrium`. ``weight`` and ``values`` may be passed when
    already computed.
    """
    if weight is None:
        weight = edge_weights(game, numbers, probabilities)
    if values is None:
        values = subgame_values(game, numbers, weight)
    reach = reach_probabilities(game, weight)[game.terminals]
    return Equilibrium(
        game=game,
        probabilities=tuple(probabilities),
        values=tuple(values[0].tolist()),
        reach=tuple(reach.tolist()),
        max_regret=max_regret if numbers.exact else max(float(max_regret), 0.0),
    )


def verified_equilibrium(
    game: Game,
    numbers: Numbers,
    probabilities: Sequence[Number],
    check: RegretCheck = nash_check,
    what: str = "the solver produced a profile",
) -> Equilibrium:
    """Evaluate a candidate profile from scratch and return it as a verified :class:`Equilibrium`.

    Parameters
    ----------
    game, numbers
        The game and its payoffs and chance probabilities (exact or float).
    probabilities
        The flat behaviour vector, already ``Fraction`` (exact) or ``float``
        (see :func:`as_numbers`).
    check
        The regret the solver promises to be 0: :func:`nash_check` (default)
        for Nash equilibria, :func:`subgame_check` for subgame perfection in a
        perfect-information game, or another :data:`RegretCheck`.
    what
        Who made the profile, for the error message (``"<what> with regret
        ..."``).

    Returns
    -------
    Equilibrium
        With ``max_regret`` the regret found (non-negative in float mode).

    Raises
    ------
    VerificationError
        If the regret is not 0 (exact) or, in float mode, some player's regret
        exceeds that player's tolerance (:attr:`Regret.excess` above 0).
    """
    weight = edge_weights(game, numbers, probabilities)
    if check is nash_check and not numbers.exact:
        # The values and the magnitudes the check needs in one pass (the same
        # numbers: each column is summed on its own).
        values, sizes = values_and_magnitudes(game, numbers, weight)
        worst, _, excess = _behavior_regret(game, numbers, weight, values, sizes)
        found = Regret(worst, -1, excess)
    else:
        values = subgame_values(game, numbers, weight)
        found = check(game, numbers, probabilities, weight, values)
    if not acceptable(found.excess):
        raise VerificationError(game, found.regret, found.node, what)
    return evaluate_profile(game, numbers, probabilities, found.regret, weight, values)
