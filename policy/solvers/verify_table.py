"""Nash check of a profile of a two-player strategic-form table, on its payoff matrices.

A bimatrix game read from a ``.nfg`` file or made by :func:`policy.from_matrices`
is held as a tree of depth two: one player moves at the root, the other at
one information set holding every child of the root, and every grandchild is
a terminal. In such a tree a behaviour profile *is* a pair of mixed
strategies ``x`` (rows) and ``y`` (columns), and the payoff of row ``i``
against column ``j`` is the payoff at the terminal reached by ``i`` then
``j``. Nash regret is then, for the row player, ``max_i (A y)_i - x A y`` and
for the column player ``max_j (x B)_j - x B y``: the gain of the best pure
reply, which is the best reply in mixed strategies too.

:func:`table_of` recognises such a tree and reads ``A`` and ``B`` straight
from its terminal payoffs (not from the normal form a solver used), and
:func:`verified_table_equilibrium` computes both regrets from them, exactly
in ``Fraction`` or, in float mode, against the same tolerance as
:func:`policy.solvers.verify.verified_equilibrium` (each player's regret at
most ``tolerances.REGRET`` times the larger of the magnitudes of the best
reply's value and the profile's value). It returns the same
:class:`~policy.solvers.result.Equilibrium` record, or raises the same
:class:`~policy.solvers.verify.VerificationError`; only the work is smaller
(two matrix-vector products per player instead of a walk of the tree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, NodeKind, Number, Numbers
from policy.solvers.result import Equilibrium
from policy.solvers.verify import FLOAT_REGRET_TOLERANCE, VerificationError, acceptable


@dataclass(frozen=True)
class Table:
    """Where a depth-two bimatrix tree keeps its strategies and payoffs."""

    row_player: int
    """The player who moves at the root (the other moves second)."""
    row_offset: int
    """Offset of the root's information set in a behaviour vector."""
    col_offset: int
    """Offset of the second mover's information set."""
    cell: npt.NDArray[np.intp]
    """``(rows, cols)``: position in ``game.terminals`` of the terminal reached by row ``i``, column ``j``."""
    in_order: bool = False
    """Whether ``cell`` is ``0, 1, ...`` row by row (the terminals listed as the table reads)."""


def table_of(game: Game) -> Table | None:
    """The :class:`Table` of a two-player game whose tree is a strategic-form table, else None.

    The tree qualifies when the root is a decision node of one player, every
    child of the root is a decision node of the other player, all in one
    information set, with the same number of children each, and every
    grandchild is a terminal (no chance). Each player then has exactly one
    information set. Kept in the game's cache.
    """
    cached = game._cache.get("strategic table", False)
    if cached is not False:
        assert cached is None or isinstance(cached, Table)
        return cached
    table = _find_table(game)
    game._cache["strategic table"] = table
    return table


def _find_table(game: Game) -> Table | None:
    # The checks read a handful of entries as Python integers: a call on a
    # small table pays for a few numpy calls, not for some twenty (each costs
    # microseconds, tens of them when the caches are cold).
    if len(game.players) != 2 or len(game.infosets) != 2 or game.num_nodes < 3:
        return None
    decision = int(NodeKind.DECISION)
    if int(game.kind[0]) != decision:
        return None
    m = int(game.num_children[0])
    first = int(game.first_child[0])
    middle = slice(first, first + m)
    if m < 1 or any(k != decision for k in game.kind[middle].tolist()):
        return None
    second_sets = set(game.infoset[middle].tolist())
    if len(second_sets) != 1:
        return None
    second = second_sets.pop()
    if second == int(game.infoset[0]):
        return None
    counts = game.num_children[middle].tolist()
    n = counts[0]
    if n < 1 or any(c != n for c in counts):
        return None
    if game.num_nodes != 1 + m + m * n:  # nothing else in the tree
        return None
    starts = game.first_child[middle].tolist()
    if max(starts) + n > game.num_nodes:
        return None
    # The m * n grandchildren are distinct nodes (each node has one parent),
    # neither the root nor its children, so with the count above they are
    # every other node: all terminals exactly when the tree has m * n of them.
    if len(game.terminals) != m * n:
        return None
    rows = game.infosets.at(int(game.infoset[0]))
    cols = game.infosets.at(second)
    if rows.player.index == cols.player.index:
        return None
    if first == 1 and starts == list(range(1 + m, 1 + m + m * n, n)):
        # Breadth-first: the terminals are nodes 1 + m onwards, row by row.
        cell = np.arange(m * n, dtype=np.intp).reshape(m, n)
        return Table(rows.player.index, rows.offset, cols.offset, cell, in_order=True)
    leaves = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(n)[None, :]
    cell = np.searchsorted(game.terminals, leaves.ravel()).reshape(m, n)
    return Table(rows.player.index, rows.offset, cols.offset, cell)


def verified_table_equilibrium(
    game: Game,
    numbers: Numbers,
    table: Table,
    probabilities: Sequence[Number],
    what: str = "the solver produced a profile",
) -> Equilibrium:
    """A behaviour profile of a table game as a verified :class:`Equilibrium`, checked on the matrices.

    Parameters
    ----------
    game, numbers
        The game (whose :func:`table_of` is ``table``) and its payoffs, exact or float.
    table
        :func:`table_of` of the game.
    probabilities
        The flat behaviour vector, ``Fraction`` (exact) or ``float``.
    what
        Who made the profile, for the error message.

    Returns
    -------
    Equilibrium
        Values, reach and ``max_regret`` as
        :func:`policy.solvers.verify.verified_equilibrium` gives them.

    Raises
    ------
    VerificationError
        If a regret is not 0 (exact) or, in float mode, exceeds that
        player's tolerance.
    """
    exact = numbers.exact
    dtype: Any = object if exact else np.float64
    m, n = table.cell.shape
    probs = list(probabilities)
    x = np.array(probs[table.row_offset : table.row_offset + m], dtype=dtype)
    y = np.array(probs[table.col_offset : table.col_offset + n], dtype=dtype)
    payoffs = _table_payoffs(game, numbers, table)
    r, c = table.row_player, 1 - table.row_player
    values: list[Number] = [0, 0]
    regrets: list[Number] = [0, 0]
    excess: list[Number] = [0, 0]
    for k in (r, c):
        pay = payoffs.pay[k]
        by_row = pay @ y  # each row's payoff against y
        value = x @ by_row
        replies = by_row if k == r else x @ pay  # the mover's own pure replies
        top = int(replies.argmax())  # the method: the same index, without np.argmax's wrapper
        best = replies[top]
        regrets[k] = best - value
        if exact:
            values[k] = value
            excess[k] = regrets[k]
        else:
            values[k] = float(value)
            regrets[k] = float(regrets[k])
            if regrets[k] <= 0:
                # Accepted whatever the tolerance (which is not negative): its
                # scale is not needed (the usual case for exact answers in floats).
                excess[k] = regrets[k]
                continue
            size = payoffs.sizes[k]
            own_size = float(x @ (size @ y))
            best_size = float(size[top] @ y) if k == r else float(x @ size[:, top])
            scale = max(best_size, own_size)
            excess[k] = float(regrets[k]) - tolerances.tolerance(FLOAT_REGRET_TOLERANCE, scale)
    worst = max(regrets)
    if not acceptable(max(excess)):
        raise VerificationError(game, worst, -1, what)
    if table.in_order:  # the terminals in the table's order: the products as they come
        reach_list = (x[:, None] * y).ravel().tolist()  # np.outer's products, without its wrapper
    else:
        reach = np.empty(len(game.terminals), dtype=dtype)
        reach[table.cell] = x[:, None] * y
        reach_list = reach.tolist()
    return Equilibrium(
        game=game,
        probabilities=tuple(probs),
        values=tuple(values),
        reach=tuple(reach_list),
        max_regret=worst if exact else max(float(worst), 0.0),
    )


@dataclass(frozen=True)
class _Payoffs:
    """A table's payoff matrices per player, and (float mode) their magnitudes, for one ``Numbers``."""

    numbers: Numbers
    pay: tuple[npt.NDArray[Any], ...]
    """Per player, the ``(rows, cols)`` matrix of its payoffs."""
    sizes: tuple[npt.NDArray[np.float64], ...]
    """Per player, ``tolerances.magnitude`` of those payoffs (float mode; empty when exact)."""


def _table_payoffs(game: Game, numbers: Numbers, table: Table) -> _Payoffs:
    """The payoff matrices of the table at ``numbers``, made once and kept in the game's cache.

    A solver verifying many profiles of one game at one set of numbers then
    reads the matrices and their magnitudes once, not once per profile.
    The cache holds the matrices of the last ``numbers`` object only (compared
    by identity: :meth:`policy.model.Game.numbers` returns the same object
    for the same values).
    """
    cached = game._cache.get("table payoffs")
    if isinstance(cached, _Payoffs) and cached.numbers is numbers:
        return cached
    leaf = numbers.leaf_payoff[table.cell]  # rows x cols x players
    # Views of one array, as the check read them before (the same arithmetic, the same floats).
    pay = tuple(leaf[:, :, k] for k in range(leaf.shape[2]))
    sizes: tuple[npt.NDArray[np.float64], ...] = ()
    if not numbers.exact:
        magnitudes = tolerances.magnitude(leaf)
        sizes = tuple(magnitudes[:, :, k] for k in range(leaf.shape[2]))
    out = _Payoffs(numbers, pay, sizes)
    game._cache["table payoffs"] = out
    return out
