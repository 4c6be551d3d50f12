"""Identical subtrees of a game, found once: hash-consing on arrays.

Two nodes are *copies* when their subtrees are the same game in the same
numbers: the same kind and mover, the same payoff expressions on the node,
and children that are copies, in the same order, reached with the same
chance-probability expressions. Expressions are compared by their position in
the game's table of distinct expressions (:meth:`policy.model.Game._expression_table`),
so copies have equal values at every parameter value, without evaluating
anything. Each class of copies is numbered once, bottom-up, the way a
hash-consing constructor numbers the terms it builds (Ershov 1958;
Filliâtre and Conchon, "Type-safe modular hash-consing", ML Workshop 2006),
but on arrays: the nodes of one height are classed together by ``np.unique``
over rows that hold their children's classes.

A solver that works on the classes instead of the nodes evaluates each
distinct subtree once. Spliced campaigns gain most: the same stage in the
same state is played at many places of the spliced tree. Labels (action and
node names, information sets, outcome names) are ignored, so this is for
computing values and choices, not for naming them; in a game of perfect
information every information set is one node, and nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from policy.model import Game, NodeKind

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SubtreeClasses:
    """The classes of identical subtrees of a game.

    Classes are numbered by height (terminals first), so every child class has
    a smaller number than its parent; within a height, in the breadth-first
    order of their first node.

    Attributes
    ----------
    of_node
        (nodes,): each node's class.
    node
        (classes,): each class's first node, breadth-first (its representative).
    size
        (classes,): how many nodes each class has.
    heights
        ``(start, stop)`` class range of each height, from 0 (terminals) up.
    first_kid, num_kids
        (classes,): where each class's children start in ``kids``, and how many.
    kids
        The children's classes, class by class, in action order.
    kid_node
        The representative's child node at each position of ``kids``.
    """

    of_node: Ints
    node: Ints
    size: Ints
    heights: tuple[tuple[int, int], ...]
    first_kid: Ints
    num_kids: Ints
    kids: Ints
    kid_node: Ints

    @property
    def count(self) -> int:
        """The number of classes."""
        return len(self.node)


def subtree_classes(game: Game, merge: bool = True) -> SubtreeClasses:
    """The classes of identical subtrees of ``game`` (computed once per game).

    Parameters
    ----------
    merge
        With False every node is a class of its own (the same layout, without
        the sharing): a reference for tests and timings.
    """
    key = ("subtree_classes", merge)
    got = game._cache.get(key)
    if not isinstance(got, SubtreeClasses):
        got = game._cache[key] = _classes(game, merge)
    return got


def node_heights(game: Game) -> Ints:
    """(nodes,): the length of the longest path from each node down to a terminal."""
    height = np.zeros(game.num_nodes, dtype=np.int64)
    for inner, cstart, cstop in game.levels_bottom_up():
        offsets = game.first_child[inner] - cstart
        height[inner] = np.maximum.reduceat(height[cstart:cstop], offsets) + 1
    return height


def _classes(game: Game, merge: bool) -> SubtreeClasses:
    n = game.num_nodes
    height = node_heights(game)
    order = np.argsort(height, kind="stable")  # by height, breadth-first within one
    bounds = np.searchsorted(height[order], np.arange(int(height.max(initial=0)) + 2))
    of_node = np.full(n, -1, dtype=np.int64)
    if merge:
        rows = _node_rows(game)
    node_parts: list[Ints] = []
    heights: list[tuple[int, int]] = []
    count = 0
    for h in range(len(bounds) - 1):
        members = order[bounds[h] : bounds[h + 1]]
        if merge:
            local, first = _distinct(_keys(game, members, rows, of_node))
        else:
            local, first = np.arange(len(members), dtype=np.int64), np.arange(len(members), dtype=np.int64)
        of_node[members] = local + count
        node_parts.append(members[first])
        heights.append((count, count + len(first)))
        count += len(first)
    node = np.concatenate(node_parts) if node_parts else np.zeros(0, dtype=np.int64)
    num_kids = game.num_children[node].astype(np.int64)
    first_kid = np.cumsum(num_kids) - num_kids
    kid_node = np.repeat(game.first_child[node], num_kids) + (
        np.arange(int(num_kids.sum()), dtype=np.int64) - np.repeat(first_kid, num_kids)
    )
    return SubtreeClasses(
        of_node=of_node,
        node=node,
        size=np.bincount(of_node, minlength=count).astype(np.int64),
        heights=tuple(heights),
        first_kid=first_kid,
        num_kids=num_kids,
        kids=of_node[kid_node],
        kid_node=kid_node,
    )


def _node_rows(game: Game) -> tuple[Ints, Ints]:
    """Per node: kind, mover and payoff expression ids; per node: its chance-probability id.

    ``-1`` where there is none (no mover, no outcome, not a chance child).
    """
    table = game._expression_table()
    players = len(game.players)
    own = np.full((game.num_nodes, 2 + players), -1, dtype=np.int64)
    own[:, 0] = game.kind
    decide = game.kind == NodeKind.DECISION
    own[decide, 1] = game.player[decide]
    if len(table.outcome_nodes):
        own[table.outcome_nodes, 2:] = table.payoff_index
    edge = np.full(game.num_nodes, -1, dtype=np.int64)
    edge[table.chance_edges] = table.chance_index
    return own, edge


def _keys(game: Game, members: Ints, rows: tuple[Ints, Ints], of_node: Ints) -> Ints:
    """One row per member node: its own ids, then (child class, child probability) pairs.

    Rows are padded with -1 to the widest member; the number of children is
    in the row, so padding cannot make two different nodes look alike.
    """
    own, edge = rows
    counts = game.num_children[members].astype(np.int64)
    width = int(counts.max(initial=0))
    keys = np.full((len(members), own.shape[1] + 1 + 2 * width), -1, dtype=np.int64)
    keys[:, : own.shape[1]] = own[members]
    keys[:, own.shape[1]] = counts
    if width:
        slot = np.arange(width, dtype=np.int64)
        has = slot[None, :] < counts[:, None]
        kid = np.where(has, game.first_child[members][:, None] + slot[None, :], 0)
        base = own.shape[1] + 1
        keys[:, base : base + 2 * width : 2] = np.where(has, of_node[kid], -1)
        keys[:, base + 1 : base + 2 * width : 2] = np.where(has, edge[kid], -1)
    return keys


def _distinct(keys: Ints) -> tuple[Ints, Ints]:
    """Each row's class among the distinct rows, numbered by first appearance; each class's first row."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    by_first = np.argsort(first, kind="stable")
    rank[by_first] = np.arange(len(first), dtype=np.int64)
    return rank[np.ravel(inverse)], first[by_first]
