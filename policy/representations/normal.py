"""The reduced normal (strategic) form of a small extensive game, any number of players.

A pure strategy of player ``i`` picks an action at each of ``i``'s information
sets. Two pure strategies that differ only at sets their own earlier choices
make unreachable are payoff-equivalent for every profile of the others; the
*reduced* normal form keeps one strategy per class, defined only at the sets
that its own choices leave reachable ("relevant" sets). See Osborne and
Rubinstein, *A Course in Game Theory* (1994) on the reduced strategic form, and
von Stengel (1996), "Efficient computation of behavior strategies", *Games and
Economic Behavior* 14, 220-246. Gambit's "reduced strategic form" is the same
object.

Strategies are labelled by their actions at the player's sets in game order,
joined by ``,``, with ``*`` at sets the strategy makes irrelevant
(``"bet,*,call"``); a player without information sets has the one strategy
``"-"``. Strategies are listed in lexicographic order of their actions (the
player's first set varies slowest).

How it is built
---------------
* Counting first (no enumeration): the number of reduced strategies below a
  sequence is the product over the sets it leads to of the sum over their
  actions of the number below each action. The product over players is checked
  against ``max_profiles`` before anything is enumerated.
* Enumeration with arrays: the strategies below a sequence are the Cartesian
  product of the strategies below each set it leads to, and those of a set are
  the union over its actions; each step is one ``repeat``/``tile``/``vstack``.
* Payoffs without walking the tree per profile: a pure strategy's realization
  plan is a 0/1 vector over the player's sequences (matrix ``X_i``,
  strategies x sequences), and a terminal ``t`` is reached by a profile exactly
  when each player's strategy realizes that player's sequence at ``t``. So for
  player ``j``::

      payoff_j[s_1, ..., s_n] = sum_t chance(t) * u_j(t) * prod_i X_i[s_i, seq_i(t)]

  For the two players with the most strategies this is a product of matrices
  ``X_a (W X_b^T)`` with the terminals' weights ``W`` summed per sequence pair
  (the sequence form); the other players' strategies are looped over. Exact
  payoffs are computed as integers over a common denominator (int64 when that
  cannot overflow), then divided once.

Kuhn's theorem (Kuhn 1953, "Extensive games and the problem of information";
in the sequence-form terms of von Stengel 1996) turns a mixed strategy
into a behaviour strategy through its realization plan ``x = sigma X``; at sets
the mixed strategy does not reach, the uniform distribution is put by default
(see :data:`policy.representations.sequence.Fill`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, Infoset, Number, Numbers
from policy.representations.sequence import (
    Fill,
    PlayerSequences,
    as_numbers,
    behavior_from_plans,
    chance_reach,
    game_sequences,
    is_exact,
    terminal_weights,
)
from policy.solvers.errors import SolverError
from policy.solvers.sizes import STRATEGIC_PROFILES

Array = npt.NDArray[Any]

#: Default limit on the number of pure strategy profiles (cells of the table).
MAX_PROFILES = STRATEGIC_PROFILES

#: Label of the one strategy of a player who never moves.
NO_MOVES = "-"


@dataclass(frozen=True)
class Strategy:
    """A reduced pure strategy.

    ``actions`` maps each *relevant* information set (game index) to the index
    of the action chosen there; sets the strategy's own choices make
    unreachable are absent (``*`` in the label).
    """

    player: int
    label: str
    actions: Mapping[int, int] = field(hash=False)

    def action_labels(self, game: Game) -> dict[str, str]:
        """Information set name -> action label, relevant sets only."""
        out = {}
        for k, a in self.actions.items():
            s = game.infosets.at(k)
            out[s.name] = s.actions[a]
        return out


@dataclass(frozen=True, eq=False)
class NormalForm:
    """The reduced normal form of a game at given parameter values.

    Treat the arrays as read-only.

    Attributes
    ----------
    game
        The game.
    exact
        Whether payoffs are ``Fraction`` (object arrays) or float64.
    strategies
        Per player, the reduced pure strategies (see the module docstring for
        labels and order).
    payoffs
        Shape ``(n_players, |S_1|, ..., |S_n|)``: ``payoffs[j][s_1, ..., s_n]``
        is player ``j``'s expected payoff (over chance) of the pure profile.
    plans
        Per player, the 0/1 realization plans of the strategies (int8,
        strategies x sequences of :func:`~policy.representations.sequence.game_sequences`).
    """

    game: Game
    exact: bool
    strategies: tuple[tuple[Strategy, ...], ...]
    payoffs: Array
    plans: tuple[npt.NDArray[np.int8], ...]

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of strategies of each player."""
        return tuple(len(s) for s in self.strategies)

    def strategy_index(self, player: int | str, label: str) -> int:
        """The position of a strategy among ``player``'s, by label."""
        i = player if isinstance(player, int) else self.game.players.index(player)
        for k, s in enumerate(self.strategies[i]):
            if s.label == label:
                return k
        known = ", ".join(s.label for s in self.strategies[i][:20])
        raise KeyError(f"player {i} has no strategy {label!r} (known: {known})")

    def expected_payoffs(self, mixed: Sequence[Sequence[Number]]) -> list[Number]:
        """Each player's expected payoff under a mixed profile.

        Parameters
        ----------
        mixed
            One probability distribution per player, over that player's
            strategies in :attr:`strategies` order.

        Returns
        -------
        list
            One expected payoff per player: ``Fraction`` when the payoffs and
            every probability are exact, float otherwise.
        """
        exact = self.exact and all(is_exact(m) for m in mixed)
        vectors = self._mixed_vectors(mixed, exact)
        out: list[Number] = []
        for j in range(len(self.strategies)):
            table = self.payoffs[j] if exact or not self.exact else self.payoffs[j].astype(np.float64)
            for v in reversed(vectors):  # contract the last axis first
                table = table @ v
            out.append(table if exact else float(table))
        return out

    def behavior_from_mixed(
        self, mixed: Sequence[Sequence[Number]], fill: Fill = "uniform"
    ) -> list[Number]:
        """A realization-equivalent flat behaviour vector (Kuhn's theorem).

        Each player's realization plan is ``x = sigma X`` (the mixture of the
        pure plans); then ``prob(a | I) = x[I a] / x[parent(I)]``.

        Parameters
        ----------
        mixed
            One probability distribution per player over their strategies.
        fill
            What to put at sets the mixed strategy does not reach: uniform by
            default (see :data:`policy.representations.sequence.Fill`).

        Returns
        -------
        list
            The flat behaviour vector (``game.num_actions`` entries):
            ``Fraction`` when every probability is rational, float otherwise.
        """
        direct = self._direct_positions
        if direct is not None and _python_floats(mixed, self.shape):
            # Float strategies as Python lists (enummixed's answers): the same
            # floats as below, without making arrays of them first.
            fast = _one_set_behavior_float(self.game.num_actions, direct, mixed)
            if fast is not None:
                return fast
        exact = all(is_exact(m) for m in mixed)
        vectors = self._mixed_vectors(mixed, exact)
        if direct is not None:
            fast = _one_set_behavior(self.game.num_actions, direct, vectors, exact)
            if fast is not None:
                return fast
        dtype = object if exact else np.float64
        plans = [_realization_plan(v, x, dtype) for v, x in zip(vectors, self.plans, strict=True)]
        return behavior_from_plans(self.game, plans, fill)

    @cached_property
    def _direct_positions(self) -> tuple[tuple[int, ...], ...] | None:
        """Per player, where each strategy's action sits in a behaviour vector, when each
        player has at most one information set (else None).

        Then a player's strategies are the actions of that set, in order (the
        plan of strategy ``k`` is the empty sequence and sequence ``k + 1``);
        a player with no set has the one strategy :data:`NO_MOVES` and no
        entry. Every entry of a behaviour vector is some player's.
        """
        sets: list[list[Infoset]] = [[] for _ in self.plans]
        for s in self.game.infosets.values():
            sets[s.player.index].append(s)
        out: list[tuple[int, ...]] = []
        for own, x in zip(sets, self.plans, strict=True):
            k = len(x)
            if len(own) > 1:
                return None
            if not own:
                out.append(())
                continue
            expected = np.hstack([np.ones((k, 1), dtype=np.int8), np.eye(k, dtype=np.int8)])
            if x.shape != expected.shape or not (x == expected).all():
                return None
            out.append(tuple(range(own[0].offset, own[0].offset + k)))
        return tuple(out)

    def mixed_from_behavior(self, probabilities: Sequence[Number]) -> list[list[Number]]:
        """A realization-equivalent mixed profile of a behaviour profile.

        The weight of a reduced strategy is the product of the behaviour
        probabilities of its moves at its relevant sets, so that ``sigma X`` is
        the behaviour's realization plan (von Stengel 1996).

        Parameters
        ----------
        probabilities
            A flat behaviour vector (``game.num_actions`` entries).

        Returns
        -------
        list of lists
            One distribution per player over their strategies: ``Fraction``
            when every probability is rational, float otherwise.
        """
        if len(probabilities) != self.game.num_actions:
            raise ValueError(
                f"a behaviour vector of this game has {self.game.num_actions} entries, "
                f"not {len(probabilities)}"
            )
        exact = is_exact(probabilities)
        probs = as_numbers(probabilities, exact)
        one: Number = Fraction(1) if exact else 1.0
        out: list[list[Number]] = []
        for ps, x in zip(game_sequences(self.game).players, self.plans, strict=True):
            move = np.empty(ps.size, dtype=object if exact else np.float64)
            move[0] = one
            move[1:] = probs[ps.positions]  # probability of each sequence's last move
            factors = np.tile(move, (len(x), 1))
            factors[x == 0] = one
            out.append(np.prod(factors, axis=1).tolist())
        return out

    def _mixed_vectors(self, mixed: Sequence[Sequence[Number]], exact: bool) -> list[Array]:
        if len(mixed) != len(self.strategies):
            raise ValueError(f"need one distribution per player ({len(self.strategies)}), got {len(mixed)}")
        vectors = []
        for i, m in enumerate(mixed):
            if len(m) != len(self.strategies[i]):
                raise ValueError(
                    f"{self.game.players.at(i).label} has {len(self.strategies[i])} strategies, "
                    f"but the distribution has {len(m)} entries"
                )
            vectors.append(as_numbers(m, exact))
        return vectors


def _table_form(game: Game, numbers: Numbers, row_player: int, cell: npt.NDArray[np.intp]) -> NormalForm:
    """The normal form of a bimatrix table (see :func:`policy.solvers.verify_table.table_of`).

    Each player has one information set, so the reduced strategies are its
    actions in order (plans: the empty sequence and one move), and the payoff
    of a pure profile is the payoff at the terminal it reaches: no plan
    products are needed. The same form as the general construction gives.
    """
    leaf = numbers.leaf_payoff[cell]  # row player's actions x column player's x players
    # Players first, then player 1's actions, then player 2's.
    by_player = leaf.transpose((2, 0, 1) if row_player == 0 else (2, 1, 0))
    if numbers.exact:
        payoffs = np.frompyfunc(Fraction, 1, 1)(by_player).astype(object)
    else:
        payoffs = np.ascontiguousarray(by_player, dtype=np.float64)
    payoffs.setflags(write=False)
    sets = {s.player.index: s for s in game.infosets.values()}
    strategies = tuple(
        tuple(Strategy(i, label, {sets[i].index: a}) for a, label in enumerate(sets[i].actions))
        for i in range(2)
    )
    plans = tuple(_one_set_plans(len(sets[i].actions)) for i in range(2))
    form = NormalForm(game=game, exact=numbers.exact, strategies=strategies, payoffs=payoffs, plans=plans)
    # Each player's one set holds its strategies in order: the value
    # NormalForm._direct_positions would find by comparing these plans, set
    # here (where cached_property keeps it) so that check is not paid per game.
    form.__dict__["_direct_positions"] = tuple(
        tuple(range(sets[i].offset, sets[i].offset + len(sets[i].actions))) for i in range(2)
    )
    return form


def _one_set_plans(k: int) -> npt.NDArray[np.int8]:
    """The plans of a player with one information set of ``k`` actions: strategy ``a`` plays
    the empty sequence and sequence ``a + 1``. Read-only, so one array per ``k`` is kept and shared."""
    plans = _ONE_SET_PLANS.get(k)
    if plans is None:
        plans = np.eye(k, k + 1, 1, dtype=np.int8)
        plans[:, 0] = 1
        plans.setflags(write=False)
        _ONE_SET_PLANS[k] = plans
    return plans


_ONE_SET_PLANS: dict[int, npt.NDArray[np.int8]] = {}


def _one_set_behavior(
    size: int, positions: Sequence[Sequence[int]], vectors: Sequence[Any], exact: bool
) -> list[Number] | None:
    """:func:`behavior_from_plans` where each player has at most one information set.

    The plan of a mixed strategy ``sigma`` is then ``(sum sigma, sigma)``, so
    the behaviour at the set is ``sigma`` over its total, computed here as
    there (float: negatives as 0, the total by the same reduction). None
    when that function would fill an unreached set or refuse the plan (a
    negative or zero-sum strategy): the caller then asks it.
    """
    if not exact:
        return _one_set_behavior_float(size, positions, vectors)
    out = np.zeros(size, dtype=object)
    for where, sigma in zip(positions, vectors, strict=True):
        if not where:
            continue
        total = sum(sigma, start=Fraction(0))
        if total <= 0 or min(sigma) < 0:
            return None
        out[list(where)] = sigma if total == 1 else [p / total for p in sigma]
    return list(out.tolist())


def _python_floats(mixed: Sequence[Sequence[Number]], shape: tuple[int, ...]) -> bool:
    """Whether ``mixed`` is one non-empty list or tuple of Python floats per player, of the right lengths."""
    return len(mixed) == len(shape) and all(
        type(sigma) in (list, tuple) and len(sigma) == k and k > 0 and all(type(p) is float for p in sigma)
        for sigma, k in zip(mixed, shape, strict=True)
    )


def _one_set_behavior_float(
    size: int, positions: Sequence[Sequence[int]], vectors: Sequence[Any]
) -> list[Number] | None:
    """:func:`_one_set_behavior` in float mode, on Python floats for short strategies.

    Numpy's sum of fewer than nine numbers (``np.add.reduce`` and
    ``reduceat``) is the first plus the others added in order from -0.0;
    done so here, the total and each quotient are the same floats, without
    the numpy calls that cost more than the arithmetic on a few numbers.
    Longer strategies, and any NaN (numpy's ``min`` then differs from
    Python's), go through numpy as before.
    """
    out: list[Number] = [0.0] * size
    for where, sigma in zip(positions, vectors, strict=True):
        if not where:
            continue
        moves = list(sigma) if type(sigma) in (list, tuple) else np.asarray(sigma, dtype=np.float64).tolist()
        if len(moves) < 8 and all(p == p for p in moves):
            if min(moves) < 0:
                return None
            rest = -0.0
            for p in moves[1:]:
                rest += p
            total = moves[0] + rest
            if not total > 0.5:  # far from a distribution: the general path decides
                return None
            shares = [p / total for p in moves]
        else:
            array = np.asarray(sigma, dtype=np.float64)
            if array.min() < 0:
                return None
            total = np.add.reduceat(array, [0])[0]
            if not total > 0.5:
                return None
            shares = (array / total).tolist()
        for k, share in zip(where, shares, strict=True):
            out[k] = share
    return out


def reduced_normal_form(
    game: Game, values: Mapping[str, Number], exact: bool = True, max_profiles: int = MAX_PROFILES
) -> NormalForm:
    """The reduced normal form of ``game`` at parameter ``values``.

    Parameters
    ----------
    game
        Any game with perfect recall (any number of players, chance allowed).
    values
        Values of the parameters the game uses.
    exact
        ``Fraction`` payoffs (object arrays) when true, float64 otherwise.
    max_profiles
        Refuse games whose number of pure strategy profiles exceeds this.

    Raises
    ------
    SolverError
        If the number of profiles exceeds ``max_profiles`` (the message gives
        each player's count), or the game has imperfect recall.
    GameError
        If payoffs or chance probabilities cannot be evaluated at ``values``.
    """
    from policy.solvers.verify_table import table_of

    table = table_of(game)
    counts = None
    if table is not None:  # each player's one set: the table's rows and columns
        counts = list(table.cell.shape if table.row_player == 0 else table.cell.shape[::-1])
    if counts is None:
        seqs = game_sequences(game)
        counts = [count_strategies(ps) for ps in seqs.players]
    total = math.prod(counts)
    if total > max_profiles:
        each = ", ".join(f"{game.players.at(i).label}: {c}" for i, c in enumerate(counts))
        raise SolverError(
            f"the reduced normal form of {game.title!r} has {' x '.join(map(str, counts))} = "
            f"{total} pure strategy profiles ({each}), more than the limit of {max_profiles}; "
            + ("use a sequence-form method (lcp, lp)" if len(counts) == 2 else "use logit")
            + " or raise the limit"
        )
    numbers = game.numbers(values, exact=exact)
    if table is not None:
        return _table_form(game, numbers, table.row_player, table.cell)
    seqs = game_sequences(game)
    choices = [_enumerate(ps) for ps in seqs.players]
    strategies = tuple(_strategies(game, ps, c) for ps, c in zip(seqs.players, choices, strict=True))
    plans = tuple(_plans(ps, c) for ps, c in zip(seqs.players, choices, strict=True))
    weights = terminal_weights(game, numbers)  # (terminals, players)
    payoffs = _payoff_tables(plans, seqs.at_terminal, weights, exact)
    payoffs.setflags(write=False)
    for x in plans:
        x.setflags(write=False)
    return NormalForm(game=game, exact=exact, strategies=strategies, payoffs=payoffs, plans=plans)


# ---------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------
def _children(ps: PlayerSequences) -> list[list[int]]:
    """Per sequence, the player's sets (local numbers) it leads to."""
    out: list[list[int]] = [[] for _ in range(ps.size)]
    for k, q in enumerate(ps.parent.tolist()):
        out[q].append(k)
    return out


def count_strategies(ps: PlayerSequences) -> int:
    """Number of reduced strategies, by the product/sum recursion, deepest sets first."""
    below = [1] * ps.size  # strategies of the part of the game below each sequence
    sizes = ps.sizes.tolist()
    for k in range(len(ps.infosets) - 1, -1, -1):
        f = int(ps.first[k])
        ways = sum(below[f : f + sizes[k]])
        below[int(ps.parent[k])] *= ways
    return below[0]


def _enumerate(ps: PlayerSequences) -> npt.NDArray[np.int32]:
    """All reduced strategies as rows of action indices per own set (-1: irrelevant).

    Built bottom-up: the rows below a sequence are the product of the rows of
    the sets it leads to; the rows of a set are the union over its actions.
    Sorted lexicographically at the end.
    """
    m = len(ps.infosets)
    children = _children(ps)
    sizes = ps.sizes.tolist()
    blocks: dict[int, npt.NDArray[np.int32]] = {}

    def below(q: int) -> npt.NDArray[np.int32]:
        rows = np.full((1, m), -1, dtype=np.int32)
        for k in children[q]:
            block = blocks.pop(k)
            rows = np.maximum(np.repeat(rows, len(block), axis=0), np.tile(block, (len(rows), 1)))
        return rows

    for k in range(m - 1, -1, -1):  # children sets have larger numbers
        f = int(ps.first[k])
        parts = []
        for a in range(sizes[k]):
            part = below(f + a)
            part[:, k] = a
            parts.append(part)
        blocks[k] = np.vstack(parts)
    rows = below(0)
    if m and len(rows) > 1:
        rows = rows[np.lexsort(rows.T[::-1])]
    return rows


def _strategies(game: Game, ps: PlayerSequences, rows: npt.NDArray[np.int32]) -> tuple[Strategy, ...]:
    sets = [game.infosets.at(k) for k in ps.infosets]
    out = []
    for row in rows.tolist():
        if not sets:
            out.append(Strategy(ps.player, NO_MOVES, {}))
            continue
        label = ",".join(s.actions[a] if a >= 0 else "*" for s, a in zip(sets, row, strict=True))
        actions = {s.index: a for s, a in zip(sets, row, strict=True) if a >= 0}
        out.append(Strategy(ps.player, label, actions))
    return tuple(out)


def _plans(ps: PlayerSequences, rows: npt.NDArray[np.int32]) -> npt.NDArray[np.int8]:
    """0/1 realization plans of pure strategies: the empty sequence and each chosen move."""
    x = np.zeros((len(rows), ps.size), dtype=np.int8)
    x[:, 0] = 1
    s, k = np.nonzero(rows >= 0)
    x[s, ps.first[k] + rows[s, k]] = 1
    return x


# ---------------------------------------------------------------------------------
# Payoffs
# ---------------------------------------------------------------------------------
def magnitude_tables(form: NormalForm, numbers: Numbers) -> npt.NDArray[np.float64]:
    """The magnitude of every entry of ``form.payoffs``: its expectation of absolute payoffs.

    Float64, the shape of ``form.payoffs``; ``numbers`` are the game's numbers
    the form was made from. Each entry is the scale at which the float payoff
    beside it is judged (:func:`policy.tolerances.magnitude`).
    """
    game = form.game
    reach = np.asarray(chance_reach(game, numbers), dtype=np.float64)
    weights = reach[:, None] * tolerances.magnitude(numbers.leaf_payoff)
    return _tables(form.plans, game_sequences(game).at_terminal, weights, form.shape, np.float64)


def _payoff_tables(
    plans: Sequence[npt.NDArray[np.int8]], at_terminal: npt.NDArray[np.int64], weights: Array, exact: bool
) -> Array:
    """``(n_players, |S_1|, ..., |S_n|)`` payoff tables; see the module docstring."""
    n = len(plans)
    shape = tuple(len(x) for x in plans)
    if not exact:
        return _tables(plans, at_terminal, np.asarray(weights, dtype=np.float64), shape, np.float64)
    # Integers over a common denominator: int64 when no sum can overflow.
    flat = weights.ravel().tolist()
    denominator = math.lcm(*(Fraction(v).denominator for v in flat)) if flat else 1
    ints = [int(Fraction(v) * denominator) for v in flat]
    bound = max((sum(abs(v) for v in ints[j::n]) for j in range(n)), default=0)
    dtype: Any = np.int64 if bound < 2**62 else object
    scaled = np.array(ints, dtype=dtype).reshape(weights.shape)
    tables = _tables(plans, at_terminal, scaled, shape, dtype)
    # Tables repeat few distinct values: make each Fraction once.
    distinct, where = np.unique(tables, return_inverse=True)
    fractions = np.array([Fraction(int(v), denominator) for v in distinct.tolist()], dtype=object)
    return fractions[where.reshape(tables.shape)]


def _tables(
    plans: Sequence[npt.NDArray[np.int8]],
    at_terminal: npt.NDArray[np.int64],
    weights: Array,
    shape: tuple[int, ...],
    dtype: Any,
) -> Array:
    n = len(plans)
    out = np.zeros((n, *shape), dtype=dtype)
    xs = [x.astype(dtype) for x in plans]
    if n == 1:
        reach = xs[0][:, at_terminal[:, 0]]  # strategies x terminals
        out[0] = reach @ weights[:, 0]
        return out
    # The two players with the most strategies go into a matrix product.
    a, b = sorted(sorted(range(n), key=lambda i: -shape[i])[:2])
    others = [i for i in range(n) if i not in (a, b)]
    qa, qb = at_terminal[:, a], at_terminal[:, b]
    n_seq_b = plans[b].shape[1]
    for combo in itertools.product(*(range(shape[o]) for o in others)):
        keep = np.ones(len(at_terminal), dtype=bool)
        for o, s in zip(others, combo, strict=True):
            keep &= plans[o][s, at_terminal[:, o]] == 1
        hit = np.flatnonzero(keep)
        if not hit.size:
            continue
        hit = hit[np.argsort(qb[hit], kind="stable")]
        groups = qb[hit]
        starts = np.flatnonzero(np.diff(groups, prepend=-1))
        reach_a = xs[a][:, qa[hit]]  # strategies of a x terminals kept
        index: list[Any] = [slice(None)] * n
        for o, s in zip(others, combo, strict=True):
            index[o] = s
        for j in range(n):
            summed = np.zeros((shape[a], n_seq_b), dtype=dtype)  # (strategies of a) x (sequences of b)
            summed[:, groups[starts]] = np.add.reduceat(reach_a * weights[hit, j], starts, axis=1)
            out[(j, *index)] = summed @ xs[b].T
    return out


def _realization_plan(mixed: Any, plans: Any, dtype: Any) -> Any:
    """A player's realization plan ``mixed @ plans``: for a pure strategy, its own plan's row.

    The row is the same numbers the product gives (one times the row plus zero
    times the others), without a sum over every strategy: pure equilibria
    (enumpure lists hundreds on a big strategic form) take no arithmetic here.
    """
    support = np.flatnonzero(mixed)
    if len(support) == 1 and mixed[support[0]] == 1:
        row = plans[support[0]]
        if dtype is object:
            return np.array([Fraction(int(e)) for e in row], dtype=object)
        return row.astype(np.float64)
    return mixed @ plans.astype(dtype)
