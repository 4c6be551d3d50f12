"""Agent error in trees with imperfect information: a quantal response equilibrium per case.

When an information set has several members, the mover does not know which
one it is at: the expected utility of each action averages the members' values
with beliefs from Bayes' rule, ``reach(h) / sum of reach over the set``, and
the reach probabilities depend on the choices above, which depend in turn on
the choices at the set. The agent error model is then a fixed point: the logit
or probit agent quantal response equilibrium of the tree (McKelvey and
Palfrey, "Quantal response equilibria for extensive form games", Experimental
Economics 1, 1998), with the choice rule of :func:`choice_probabilities` (for
the logit link, precision ``lambda = 1 / (sigma sqrt 2)``).

Only the behaviour at the sets with more than one member ("coupled" sets) is
unknown: given it, every singleton set is solved by statistical backward
induction, bottom-up, as in a perfect-information tree. So the fixed point is
``X = Phi(X)`` over the coupled sets' action probabilities ``X``, where
``Phi`` does that backward pass, the top-down reach probabilities, the
beliefs and the choice rule at the coupled sets. It is solved for every case
(and every parameter vector of a batch) at once: a few plain iterations from
uniform play, then Newton's method with a forward-difference Jacobian (one
extra pass per coupled action, batched with the others), each step shortened
so that no probability falls by more than 90 %. A Newton step keeps each set's
probabilities summing to 1, since ``Phi``'s do whatever ``X`` is.

At small error scales a game can have several quantal response equilibria;
the one found is the one Newton's method reaches from uniform play. A set that
no case can reach (a zero-probability chance move above all its members) gets
equal beliefs over its members.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.model import Game, NodeKind

FloatArray = npt.NDArray[np.float64]

NEWTON_STEPS = 60
"""Newton iterations at most."""
PLAIN_STEPS = 3
"""Plain fixed-point iterations from uniform play before Newton."""
TOLERANCE = 1e-13
"""The fixed point is solved when no probability moves by more than this in a step..."""
STAGE_TOLERANCE = 1e-7
"""...and the stages before the last when none moves by more than this."""
JACOBIAN_STEP = 1e-7
"""Forward-difference step of the Jacobian."""
MAX_STEP = 2.0
"""A Newton step moves no log-probability by more than this."""
TINY = 1e-300
"""Probabilities are floored here before taking logs."""
LADDER = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
"""Factors on the payoffs (on 1 / scale) of the successive stages of the solution."""


def coupled_sets(game: Game) -> tuple[int, ...]:
    """Decision information sets with more than one member."""
    return tuple(i for i, s in enumerate(game.infosets.in_order()) if len(s.members) > 1)


def decision_sets(game: Game) -> tuple[int, ...]:
    """Every decision information set (to solve a perfect-information tree as a fixed point too)."""
    return tuple(range(len(game.infosets)))


class Layout:
    """Where each coupled set's actions sit in the stacked vector ``X``."""

    def __init__(self, game: Game, sets: Sequence[int]) -> None:
        self.game = game
        self.sets = tuple(sets)
        infos = game.infosets.in_order()
        self.start: dict[int, int] = {}
        total = 0
        for s in self.sets:
            self.start[s] = total
            total += len(infos[s].actions)
        self.size = total
        self.members = {s: tuple(int(m) for m in infos[s].members) for s in self.sets}
        self.owner = {s: int(infos[s].player.index) for s in self.sets}
        self.count = {s: len(infos[s].actions) for s in self.sets}


def evaluate(
    layout: Layout,
    edge_prob: FloatArray,
    u: FloatArray,
    var: FloatArray,
    x: FloatArray,
    link: str,
    choose: Any,
) -> tuple[FloatArray, list[Any]]:
    """``Phi(X)`` and the edge probabilities of the backward pass at ``X``.

    ``u`` is (T, P, B, n), ``var`` (P, B, n) the error variance per player,
    ``x`` (size, B, n); ``choose(mean, var, link)`` is the choice rule.
    """
    game = layout.game
    nn = game.num_nodes
    kinds = game.kind.tolist()
    firsts, counts = game.first_child.tolist(), game.num_children.tolist()
    movers, sets = game.player.tolist(), game.infoset.tolist()
    terminal_pos = {int(t): i for i, t in enumerate(game.terminals.tolist())}
    value: list[Any] = [None] * nn
    edge: list[Any] = [None] * nn
    shape = x.shape[1:]
    for v in range(nn - 1, -1, -1):
        if kinds[v] == NodeKind.TERMINAL:
            value[v] = u[terminal_pos[v]]
            continue
        first, count = firsts[v], counts[v]
        children = range(first, first + count)
        if kinds[v] == NodeKind.CHANCE:
            probs = [np.full(shape, edge_prob[c]) for c in children]
        elif sets[v] in layout.start:
            s0 = layout.start[sets[v]]
            probs = [x[s0 + a] for a in range(count)]
        else:
            j = movers[v]
            probs = choose([value[c][j] for c in children], [var[j]] * count, link)
        value[v] = sum(p[None] * value[c] for p, c in zip(probs, children, strict=True))
        for p, c in zip(probs, children, strict=True):
            edge[c] = p
    reach: list[Any] = [None] * nn
    reach[0] = np.ones(shape)
    for v in range(1, nn):
        reach[v] = reach[int(game.parent[v])] * edge[v]
    out = np.empty_like(x)
    for s in layout.sets:
        members, j, count = layout.members[s], layout.owner[s], layout.count[s]
        weights = [reach[h] for h in members]
        total = sum(weights)
        unreached = total <= 0.0
        safe = np.where(unreached, 1.0, total)
        belief = [np.where(unreached, 1.0 / len(members), w / safe) for w in weights]
        mean = [sum(b * value[int(game.first_child[h]) + a][j] for b, h in zip(belief, members, strict=True))
                for a in range(count)]
        new = choose(mean, [var[j]] * count, link)
        s0 = layout.start[s]
        for a in range(count):
            out[s0 + a] = new[a]
    return out, edge


def solve(
    layout: Layout, edge_prob: FloatArray, u: FloatArray, var: FloatArray, link: str, choose: Any,
) -> tuple[FloatArray, list[Any], int]:
    """The fixed point ``X`` per (batch, case), the edge probabilities there, and unsolved cases.

    Follows the payoffs scaled by each factor of ``LADDER`` in turn, each
    stage starting from the last one's solution, so that the equilibrium found
    is the one connected to uniform play (the principal branch) unless that
    branch turns back. Batch and cases are one axis here.
    """
    t, p, b, n = u.shape
    flat_u = u.reshape(t, p, 1, b * n)
    flat_var = var.reshape(p, 1, b * n)
    x = np.empty((layout.size, 1, b * n))
    for s in layout.sets:
        s0, k = layout.start[s], layout.count[s]
        x[s0:s0 + k] = 1.0 / k
    unsolved = 0
    for factor in LADDER:
        tolerance = TOLERANCE if factor == LADDER[-1] else STAGE_TOLERANCE
        x, unsolved = _newton(layout, edge_prob, flat_u, flat_var / factor ** 2, link, choose, x,
                              tolerance)
    x = x.reshape(layout.size, b, n)
    edge = evaluate(layout, edge_prob, u, var, x, link, choose)[1]
    return x, edge, unsolved


def _newton(
    layout: Layout, edge_prob: FloatArray, u: FloatArray, var: FloatArray, link: str, choose: Any,
    x: FloatArray, tolerance: float,
) -> tuple[FloatArray, int]:
    """Newton's method on ``log X - log Phi(X) = 0`` from ``x`` (size, 1, m), for all m at once.

    Columns that have converged drop out of the later iterations.
    """
    size = x.shape[0]
    x = x.copy()
    copies = size + 1
    eye = np.eye(size)
    starts = [layout.start[s] for s in layout.sets]
    owner = _set_of(layout)
    active = np.arange(x.shape[2])
    for _ in range(NEWTON_STEPS):
        xa = x[:, 0, active]
        y = np.log(np.maximum(xa, TINY))
        y_big = np.repeat(y[:, None, :], copies, axis=1)               # (size, copies, m)
        for i in range(size):
            y_big[i, i + 1] += JACOBIAN_STEP
        u_big = np.repeat(u[:, :, :, active], copies, axis=2)
        var_big = np.repeat(var[:, :, active], copies, axis=1)
        phi = evaluate(layout, edge_prob, u_big, var_big, np.exp(y_big), link, choose)[0]
        log_phi = np.log(np.maximum(phi, TINY))
        residual = log_phi[:, 0] - y                                  # (size, m)
        moving = np.abs(phi[:, 0] - xa).max(axis=0) > tolerance
        if not moving.any():
            active = active[:0]
            break
        jac = (log_phi[:, 1:] - log_phi[:, :1]) / JACOBIAN_STEP       # d log Phi / d y: (out, in, m)
        lhs = np.moveaxis(eye[:, :, None] - jac, 2, 0)                # (m, out, in)
        try:
            step = np.linalg.solve(lhs, residual.T[:, :, None])[..., 0].T
        except np.linalg.LinAlgError:
            step = residual  # a singular system somewhere: a plain step for all
        longest = np.abs(step).max(axis=0)
        step = step * np.minimum(1.0, MAX_STEP / np.maximum(longest, TINY))[None]
        y = y + step
        y = y - np.maximum.reduceat(y, starts, axis=0)[owner]         # each set's sum back to 1
        e = np.exp(y)
        x[:, 0, active] = np.where(moving[None], e / np.add.reduceat(e, starts, axis=0)[owner], xa)
        active = active[moving]
    return x, int(active.size)


def _set_of(layout: Layout) -> npt.NDArray[np.int64]:
    """Position (among the coupled sets) of the set of each entry of ``X``."""
    return np.repeat(np.arange(len(layout.sets)), [layout.count[s] for s in layout.sets])
