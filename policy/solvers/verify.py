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

Work is done level by level on arrays (``Fraction`` objects in exact mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.model import Game, NodeKind, Number, Numbers

#: Levels with at most this many inner nodes are evaluated node by node.
NARROW_LEVEL = 16

Array = npt.NDArray[Any]


def edge_weights(game: Game, numbers: Numbers, probabilities: Sequence[Number]) -> Array:
    """Probability of the edge into each node under the profile (1 at the root)."""
    exact = numbers.exact
    probs = np.array(list(probabilities), dtype=object if exact else np.float64)
    weight = numbers.edge_prob.copy()
    n = game.num_nodes
    if n > 1:
        kids = np.arange(1, n)
        parents = game.parent[1:]
        decided = game.kind[parents] == NodeKind.DECISION
        c = kids[decided]
        p = parents[decided]
        position = game.infoset_offsets[game.infoset[p]] + (c - game.first_child[p])
        weight[c] = probs[position]
    return weight


def subgame_values(game: Game, numbers: Numbers, weight: Array) -> Array:
    """Expected payoff vector at every node under the profile, shape (nodes, players)."""
    exact = numbers.exact
    n_players = len(game.players)
    values = np.zeros((game.num_nodes, n_players), dtype=object if exact else np.float64)
    if exact:
        values[:] = 0
    values[game.terminals] = numbers.leaf_payoff
    levels = game.levels
    for d in range(len(levels) - 2, -1, -1):
        cstart, cstop = levels[d + 1]
        inner = game.level_inner[d]
        if not inner.size:
            continue
        if inner.size <= NARROW_LEVEL:
            for n in inner.tolist():  # cheaper than array calls for a few nodes
                k0 = int(game.first_child[n])
                k1 = k0 + int(game.num_children[n])
                values[n] = (weight[k0:k1, None] * values[k0:k1]).sum(axis=0)
            continue
        offsets = game.first_child[inner] - cstart
        contrib = weight[cstart:cstop, None] * values[cstart:cstop]
        values[inner] = np.add.reduceat(contrib, offsets, axis=0)
    return values


def reach_probabilities(game: Game, weight: Array) -> Array:
    """Probability of reaching every node under the profile."""
    reach = weight.copy()
    for start, stop in game.levels[1:]:
        reach[start:stop] = reach[start:stop] * reach[game.parent[start:stop]]
    return reach


def subgame_regret(game: Game, values: Array) -> tuple[Number, int]:
    """The largest one-node deviation gain over all decision nodes, and where.

    Returns ``(regret, node)`` with ``node = -1`` when there is no decision node.
    """
    decision = np.flatnonzero(game.kind == NodeKind.DECISION)
    if not decision.size:
        return (values[0, 0] * 0 if values.size else 0), -1
    mover = game.player[decision]
    counts = game.num_children[decision].astype(np.int64)
    kids = np.repeat(game.first_child[decision], counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    kid_mover = np.repeat(mover, counts)
    kid_values = values[kids, kid_mover]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    best = np.maximum.reduceat(kid_values, starts)
    regret = best - values[decision, mover]
    k = int(np.argmax(regret))
    return regret[k], int(decision[k])


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
