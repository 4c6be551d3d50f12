"""The sequence form of a two-player extensive game with perfect recall.

Koller, Megiddo and von Stengel (1996), "Efficient computation of equilibria for
extensive two-person games", *Games and Economic Behavior* 14, 247-259 (KMvS);
von Stengel (1996), "Efficient computation of behavior strategies", *Games and
Economic Behavior* 14, 220-246 (vS).

A *sequence* of a player is the list of (information set, action) pairs of the
player's own moves on the path to a node. With perfect recall it is determined
by its last pair, so a player has one sequence per action of their information
sets, plus the empty sequence. A mixed strategy is replaced by its *realization
plan* ``x``: ``x[s]`` is the probability that the player makes all the moves of
``s`` (when chance and the opponent let the play get there). The realization
plans of player 1 are exactly the solutions of (vS; KMvS)::

    E x = e,  x >= 0,
    row 0:           x[empty] = 1
    row of set I:    -x[parent(I)] + sum over actions a of x[I a] = 0

where ``parent(I)`` is the player's sequence leading to ``I``; likewise
``F y = f`` for player 2. Payoffs become bilinear (KMvS)::

    A[s1, s2] = sum over terminals t reached by the sequence pair (s1, s2)
                of (product of the chance probabilities on the path to t) * u1(t)

and ``B`` likewise with ``u2``, so the expected payoffs of plans ``x, y`` are
``x^T A y`` and ``x^T B y``. ``E``, ``F``, ``A`` and ``B`` have a number of
non-zeros linear in the tree, where the normal form can be exponential.

Conventions
-----------
* Sequence 0 of each player is the empty sequence. The others follow the flat
  behaviour vector restricted to the player: the player's information sets in
  game order, each set's actions in order, consecutively. So row ``1 + k`` of
  ``E`` belongs to the player's ``k``-th set, whose actions are the sequences
  ``first[k] .. first[k] + len(actions) - 1``. Game order is topological (a set
  comes after every set of the same player on the path to it).
* Behaviour from a realization plan: ``prob(a | I) = x[I a] / x[parent(I)]``
  (vS, after Kuhn 1953). Where the plan does not reach a set
  (``x[parent(I)] = 0``) every behaviour there is realization-equivalent; by
  default the uniform one is put there (the centroid, as Gambit does). That is
  Nash-consistent but not necessarily subgame-perfect; callers who care choose
  with ``fill``.

The per-player sequence structure (:func:`game_sequences`,
:func:`realization_plans`, :func:`behavior_from_plans`) works for any number of
players; the normal form uses it for Kuhn's theorem.
"""

from __future__ import annotations

import numbers as _numbers
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import CHANCE, DECISION, Game, Infoset, Number, Numbers, own_sequences
from policy.solvers.errors import SolverError

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

Array = npt.NDArray[Any]
IntArray = npt.NDArray[np.int64]

SparseMatrix: TypeAlias = "FloatEntries | dict[tuple[int, int], Fraction]"
"""The non-zero entries of a matrix: :class:`FloatEntries` (float mode), or in
exact mode a dict of keys ``{(row, col): Fraction}``."""

Fill: TypeAlias = Literal["uniform", "first"] | Callable[[Infoset], Sequence[Number]]
"""What to put at an information set a plan does not reach: ``"uniform"`` (the
centroid, Gambit's choice), ``"first"`` (the first action with probability 1), or
a function from the :class:`~policy.model.Infoset` to its action probabilities."""

#: Float mode: a set whose parent sequence (or whose actions together) carry at
#: most this realization weight counts as unreached (plans are probabilities,
#: x[empty] = 1, so the scale is absolute).
UNREACHED = tolerances.PROBABILITY

#: How many sequence forms (parameter values x mode) a game keeps for reuse.
CACHE_SIZE = 8

_STRUCTURE_KEY = "representations.sequences"
_FORM_KEY = "representations.sequence_form"


# ---------------------------------------------------------------------------------
# Sequences of every player (any number of players)
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PlayerSequences:
    """The sequences of one player, numbered as the module docstring says.

    Attributes
    ----------
    player
        The player's index.
    infosets
        The player's information sets (game indices) in game order; set ``k``
        is row ``1 + k`` of the player's constraint matrix.
    first
        Per set ``k``: the sequence number of its first action (the set's
        actions are consecutive).
    parent
        Per set ``k``: the sequence number of the player's sequence leading to
        it (0, the empty sequence, for a first move).
    sequences
        Sequence number -> ``(infoset index, action index)`` of its last move;
        ``None`` for the empty sequence (number 0).
    positions
        For sequences ``1..``: the position of the last move in the flat
        behaviour vector (so ``positions[q - 1]``).
    owner
        Per sequence: the local set number ``k`` of its last move (-1 for 0).
    seq_parent
        Per sequence: the sequence it extends (0 for a first move; 0 for 0).
    levels
        Sequences ``1..`` grouped by length (number of own moves), shortest
        first: a sequence's parent is in an earlier group.
    """

    player: int
    infosets: tuple[int, ...]
    first: IntArray
    parent: IntArray
    sequences: tuple[tuple[int, int] | None, ...]
    positions: IntArray
    owner: IntArray
    seq_parent: IntArray
    levels: tuple[IntArray, ...]

    @property
    def size(self) -> int:
        """Number of sequences, the empty one included."""
        return len(self.sequences)

    @property
    def sizes(self) -> IntArray:
        """Number of actions of each of the player's sets, in order."""
        ends = np.append(self.first[1:], self.size) if len(self.first) else self.first
        return ends - self.first


@dataclass(frozen=True, eq=False)
class GameSequences:
    """The sequences of all players, and which ones lead to each terminal.

    ``at_terminal[t, i]`` is player ``i``'s sequence at terminal
    ``game.terminals[t]``.
    """

    players: tuple[PlayerSequences, ...]
    at_terminal: IntArray


def game_sequences(game: Game) -> GameSequences:
    """Number every player's sequences (cached on the game).

    Built from :func:`policy.model.own_sequences` with array operations: its
    interned ids are remapped to per-player sequence numbers.

    Raises
    ------
    SolverError
        If the game does not have perfect recall (the model refuses such games
        when it builds them, so this is a safeguard).
    """
    got = game._cache.get(_STRUCTURE_KEY)
    if got is None:
        got = _build_sequences(game)
        game._cache[_STRUCTURE_KEY] = got
    return got  # type: ignore[return-value]


def _build_sequences(game: Game) -> GameSequences:
    n_players = len(game.players)
    ids = own_sequences(game)
    sets = [game.infosets.at(k) for k in range(len(game.infosets))]
    set_player = np.array([s.player.index for s in sets], dtype=np.int64)
    set_size = np.array([len(s.actions) for s in sets], dtype=np.int64)
    first = np.zeros(len(sets), dtype=np.int64)
    for p in range(n_players):
        mine = set_player == p
        sizes = set_size[mine]
        first[mine] = 1 + np.cumsum(sizes) - sizes

    decision = (game.kind == DECISION).nonzero()[0]
    mover = game.player[decision].astype(np.int64)
    leader = game.infoset_first_member[game.infoset[decision]]
    differ = np.flatnonzero(ids[decision, mover] != ids[leader, mover])
    if differ.size:
        node = int(decision[differ[0]])
        s = sets[int(game.infoset[node])]
        raise SolverError(
            f"imperfect recall: {s.player.label!r} reaches {game.node_names[int(leader[differ[0]])]!r} "
            f"and {game.node_names[node]!r} of information set {s.name!r} through different "
            "moves of their own; the sequence form needs perfect recall"
        )

    # Interned id of "this player's history" -> sequence number of its last move.
    remap = np.zeros(int(ids.max()) + 1, dtype=np.int64)
    if game.num_nodes > 1:
        child = np.arange(1, game.num_nodes, dtype=np.int64)
        par = game.parent[1:]
        moved = game.kind[par] == DECISION
        c, p = child[moved], par[moved]
        remap[ids[c, game.player[p]]] = first[game.infoset[p]] + (c - game.first_child[p])
    at_terminal = remap[ids[game.terminals]]
    if len(sets):
        set_parent = remap[ids[game.infoset_first_member, set_player]]
    else:
        set_parent = np.zeros(0, dtype=np.int64)

    players = []
    for p in range(n_players):
        mine = np.flatnonzero(set_player == p)
        infosets = tuple(mine.tolist())
        p_first = first[mine]
        p_parent = set_parent[mine]
        sizes = set_size[mine]
        size = 1 + int(sizes.sum())
        owner = np.full(size, -1, dtype=np.int64)
        owner[1:] = np.repeat(np.arange(len(mine), dtype=np.int64), sizes)
        action = np.zeros(size, dtype=np.int64)
        action[1:] = np.arange(size - 1) - np.repeat(p_first - 1, sizes)
        if (p_parent >= p_first).any():  # the model numbers sets breadth-first
            raise RuntimeError("information sets are not in topological order")
        seq_parent = np.zeros(size, dtype=np.int64)
        seq_parent[1:] = p_parent[owner[1:]]
        if size <= SMALL_LEVELS:
            levels = _levels_small(seq_parent.tolist())
        else:
            # Length (number of own moves) of each sequence, by following parents.
            length = np.zeros(size, dtype=np.int64)
            up = np.arange(size, dtype=np.int64)
            while True:
                moving = np.flatnonzero(up)
                if not moving.size:
                    break
                length[moving] += 1
                up[moving] = seq_parent[up[moving]]
            order = np.argsort(length[1:], kind="stable") + 1
            bounds = (np.flatnonzero(np.diff(length[order])) + 1).tolist()
            # The runs of equal length, as slices (np.split's parts, without its overhead).
            levels = tuple(order[a:b] for a, b in zip([0, *bounds], [*bounds, order.size], strict=True) if b > a)
        offsets = game.infoset_offsets[mine] if len(mine) else np.zeros(0, dtype=np.int64)
        positions = np.repeat(offsets, sizes) + action[1:]
        sequences: list[tuple[int, int] | None] = [None]
        sequences.extend(zip(mine[owner[1:]].tolist(), action[1:].tolist(), strict=True))
        players.append(
            PlayerSequences(
                player=p,
                infosets=infosets,
                first=_frozen(p_first),
                parent=_frozen(p_parent),
                sequences=tuple(sequences),
                positions=_frozen(positions),
                owner=_frozen(owner),
                seq_parent=_frozen(seq_parent),
                levels=tuple(_frozen(lvl) for lvl in levels),
            )
        )
    return GameSequences(players=tuple(players), at_terminal=_frozen(at_terminal))


#: Players with at most this many sequences have them grouped by length in
#: Python (:func:`_levels_small`), where numpy's cost per call outweighs its work.
SMALL_LEVELS = 256


def _levels_small(seq_parent: list[int]) -> tuple[IntArray, ...]:
    """:func:`_build_sequences`'s ``levels`` from the parent of each sequence, in Python.

    The same groups: sequences ``1..`` by length (a sequence's parent comes
    before it, so its length is known), shortest first, each in increasing
    order (the stable sort's).
    """
    length = [0] * len(seq_parent)
    groups: dict[int, list[int]] = {}
    for q in range(1, len(seq_parent)):
        length[q] = depth = length[seq_parent[q]] + 1
        groups.setdefault(depth, []).append(q)
    return tuple(np.array(groups[depth], dtype=np.int64) for depth in sorted(groups))


def chance_reach(game: Game, numbers: Numbers) -> Array:
    """Product of the chance probabilities on the path to each terminal (``game.terminals`` order).

    Only edges out of chance nodes are multiplied (in exact mode every product
    is a ``Fraction`` operation); elsewhere the parent's value is copied.
    """
    reach = numbers.edge_prob.copy()
    if game.num_nodes > 1:
        by_chance = np.zeros(game.num_nodes, dtype=bool)
        by_chance[1:] = game.kind[game.parent[1:]] == CHANCE
        for start, stop in game.levels[1:]:
            level = np.arange(start, stop)
            parents = game.parent[start:stop]
            drawn = by_chance[start:stop]
            reach[level[~drawn]] = reach[parents[~drawn]]
            reach[level[drawn]] = reach[level[drawn]] * reach[parents[drawn]]
    return reach[game.terminals]


def terminal_weights(game: Game, numbers: Numbers, reach: Array | None = None) -> Array:
    """``chance(t) * u_i(t)`` for every terminal ``t`` and player ``i``: shape (terminals, players).

    In exact mode only terminals below a chance move cost multiplications.
    ``reach``: :func:`chance_reach`, when already computed.
    """
    if reach is None:
        reach = chance_reach(game, numbers)
    if not numbers.exact:
        return reach[:, None] * numbers.leaf_payoff
    weights = numbers.leaf_payoff.copy()
    drawn = np.flatnonzero(reach != 1)
    weights[drawn] = reach[drawn, None] * weights[drawn]
    return weights


def realization_plans(game: Game, probabilities: Sequence[Number]) -> tuple[Array, ...]:
    """The realization plan of every player's behaviour strategy.

    ``x[I a] = x[parent(I)] * prob(a | I)`` (vS), computed one sequence length
    at a time.

    Parameters
    ----------
    game
        Any game with perfect recall.
    probabilities
        A flat behaviour vector (``game.num_actions`` entries).

    Returns
    -------
    tuple of arrays
        One plan per player, indexed by that player's sequence numbers:
        object arrays of ``Fraction`` when every probability is rational
        (``Fraction`` or ``int``), float64 otherwise.

    Raises
    ------
    ValueError
        If the behaviour vector has the wrong length.
    """
    seqs = game_sequences(game)
    if len(probabilities) != game.num_actions:
        raise ValueError(
            f"a behaviour vector of this game has {game.num_actions} entries, not {len(probabilities)}"
        )
    exact = is_exact(probabilities)
    probs = as_numbers(probabilities, exact)
    plans = []
    for ps in seqs.players:
        x = np.empty(ps.size, dtype=object if exact else np.float64)
        x[0] = Fraction(1) if exact else 1.0
        x[1:] = probs[ps.positions]
        for level in ps.levels[1:]:  # first moves extend the empty sequence: x[0] = 1
            x[level] = x[level] * x[ps.seq_parent[level]]
        plans.append(x)
    return tuple(plans)


def behavior_from_plans(
    game: Game, plans: Sequence[Sequence[Number] | Array], fill: Fill = "uniform"
) -> list[Number]:
    """The flat behaviour vector of realization plans, one per player.

    ``prob(a | I) = x[I a] / x[parent(I)]`` (vS, after Kuhn 1953).

    Parameters
    ----------
    game
        Any game with perfect recall.
    plans
        One realization plan per player, indexed by sequence number.
    fill
        What to put at sets a plan does not reach (``x[parent(I)] = 0``; in
        float mode, at most :data:`UNREACHED`): see :data:`Fill`. Default:
        uniform, Gambit's centroid. Nash-consistent; not necessarily
        subgame-perfect.

    Returns
    -------
    list
        The flat behaviour vector (``game.num_actions`` entries): ``Fraction``
        when every entry of every plan is rational, float otherwise. In float
        mode small negative entries (solver noise) count as 0 and each set's
        probabilities are normalised to sum to 1.

    Raises
    ------
    ValueError
        If a plan has the wrong length, or (exact) violates its constraints.
    """
    seqs = game_sequences(game)
    if len(plans) != len(seqs.players):
        raise ValueError(f"need one realization plan per player ({len(seqs.players)}), got {len(plans)}")
    exact = all(is_exact(x) for x in plans)
    out = np.empty(game.num_actions, dtype=object if exact else np.float64)
    for ps, plan in zip(seqs.players, plans, strict=True):
        if len(plan) != ps.size:
            label = game.players.at(ps.player).label
            raise ValueError(f"{label} has {ps.size} sequences, but the plan has {len(plan)} entries")
        if not ps.infosets:
            continue
        x = as_numbers(plan, exact)
        sizes = ps.sizes
        parent_weight = x[ps.parent]
        moves = x[1:]
        if exact:
            totals = np.add.reduceat(moves, ps.first - 1)
            bad = (totals != parent_weight) | (np.minimum.reduceat(moves, ps.first - 1) < 0)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                s = game.infosets.at(ps.infosets[k])
                raise ValueError(
                    f"not a realization plan: at information set {s.name!r} the actions carry "
                    f"{totals[k]} (each must be >= 0) but the sequence leading there carries "
                    f"{parent_weight[k]}"
                )
            unreached = parent_weight == 0
            safe = parent_weight.copy()
            safe[unreached] = Fraction(1)
            denom = np.repeat(safe, sizes)
            behavior = moves / denom
        else:
            moves = np.maximum(moves, 0.0)
            totals = np.add.reduceat(moves, ps.first - 1)
            unreached = (parent_weight <= UNREACHED) | (totals <= UNREACHED)
            denom = np.repeat(np.where(unreached, 1.0, totals), sizes)
            behavior = moves / denom
        out[ps.positions] = behavior
        for k in np.flatnonzero(unreached).tolist():
            s = game.infosets.at(ps.infosets[k])
            out[s.offset : s.offset + len(s.actions)] = _filled(s, fill, exact)
    return out.tolist()


def _filled(s: Infoset, fill: Fill, exact: bool) -> list[Number]:
    m = len(s.actions)
    values: Sequence[Number]
    if fill == "uniform" and not exact:
        return [1 / m] * m  # float(Fraction(1, m)): both round 1/m once, to the nearest
    if fill == "uniform":
        values = [Fraction(1, m)] * m
    elif fill == "first":
        values = [Fraction(1)] + [Fraction(0)] * (m - 1)
    elif callable(fill):
        values = fill(s)
        if len(values) != m:
            raise ValueError(f"fill gave {len(values)} probabilities for {s.name!r}, which has {m} actions")
    else:
        raise ValueError(f"fill must be 'uniform', 'first' or a function, not {fill!r}")
    return [Fraction(v) if exact else float(v) for v in values]


def is_exact(values: Sequence[Number] | Array) -> bool:
    """Whether every entry is rational (Fraction, int, numpy integer): exact arithmetic.

    An empty vector counts as exact (a player without moves has the plan ``[1]``).
    """
    arr = np.asarray(values)
    if arr.size == 0 or arr.dtype.kind in "iub":
        return True
    if arr.dtype != object:
        return False
    return all(isinstance(v, _numbers.Rational) for v in arr.ravel().tolist())


def as_numbers(values: Sequence[Number] | Array, exact: bool) -> Array:
    """A vector as an object array of ``Fraction`` (exact) or float64."""
    if exact:
        return np.array([Fraction(v) for v in np.asarray(values).tolist()], dtype=object)
    return np.asarray(values, dtype=np.float64)


def _frozen(a: IntArray) -> IntArray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    a.setflags(write=False)
    return a


# ---------------------------------------------------------------------------------
# The two-player sequence form
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FloatEntries:
    """A float matrix by its entries (coordinate form; repeated positions add up).

    The float sequence form keeps its matrices this way so that building it
    needs numpy only: scipy (a tenth of a second or more to import) is loaded
    when a CSR matrix is first asked for (by ``lp``), not by ``lcp``, which
    works on dense arrays.
    """

    rows: IntArray
    cols: IntArray
    values: npt.NDArray[np.float64]
    shape: tuple[int, int]

    def toarray(self) -> npt.NDArray[np.float64]:
        """The dense float64 matrix."""
        out = np.zeros(self.shape)
        np.add.at(out, (self.rows, self.cols), self.values)
        return out

    def tocsr(self) -> csr_matrix:
        """The matrix in scipy's CSR format, duplicates summed and zeros dropped."""
        from scipy.sparse import csr_matrix

        m = csr_matrix((self.values, (self.rows, self.cols)), shape=self.shape)
        m.sum_duplicates()
        m.eliminate_zeros()
        return m


@dataclass(frozen=True, eq=False)
class SequenceForm:
    """The sequence form ``(A, B, E, e, F, f)`` of a two-player game (KMvS 1996).

    Treat every array and matrix as read-only: forms are cached and shared.

    Attributes
    ----------
    game
        The game.
    exact
        Whether the numbers are ``Fraction`` (exact) or float.
    sequences
        Per player: sequence number -> ``(infoset index, action index)`` of its
        last move, ``None`` for the empty sequence (number 0).
    A, B
        Payoffs to player 1 and 2, ``len(sequences[0]) x len(sequences[1])``:
        :class:`FloatEntries`, or in exact mode a dict ``{(s1, s2): Fraction}``
        of the non-zero entries (``A_dense()``, ``A_csr()`` convert).
    E, e
        Player 1's constraints ``E x = e``: same container as ``A``; ``e`` is a
        dense vector (object array of ``Fraction`` when exact, float64 otherwise),
        ``(1, 0, ..., 0)``.
    F, f
        Player 2's constraints ``F y = f``.
    structure
        Both players' :class:`PlayerSequences` (which set each row of ``E``/``F``
        belongs to, parent sequences, ...).
    reach
        The chance probability of each terminal (:func:`chance_reach`, in
        ``game.terminals`` order) that the payoffs were weighted with; None
        when not kept.
    """

    game: Game
    exact: bool
    sequences: tuple[tuple[tuple[int, int] | None, ...], tuple[tuple[int, int] | None, ...]]
    A: SparseMatrix
    B: SparseMatrix
    E: SparseMatrix
    e: Array
    F: SparseMatrix
    f: Array
    structure: tuple[PlayerSequences, PlayerSequences]
    reach: Array | None = field(default=None, repr=False)

    @property
    def sizes(self) -> tuple[int, int]:
        """Number of sequences of player 1 and of player 2 (empty ones included)."""
        return len(self.sequences[0]), len(self.sequences[1])

    # -- dense (exact: object arrays of Fraction; float: float64) -------------------
    def A_dense(self) -> Array:
        """``A`` as a dense array."""
        return self._dense(self.A, self.sizes)

    def B_dense(self) -> Array:
        """``B`` as a dense array."""
        return self._dense(self.B, self.sizes)

    def E_dense(self) -> Array:
        """``E`` as a dense array, ``(1 + player 1's sets) x n1``."""
        return self._dense(self.E, (len(self.e), self.sizes[0]))

    def F_dense(self) -> Array:
        """``F`` as a dense array, ``(1 + player 2's sets) x n2``."""
        return self._dense(self.F, (len(self.f), self.sizes[1]))

    # -- sparse float (CSR) for linear programming ---------------------------------
    def A_csr(self) -> csr_matrix:
        """``A`` as a float CSR matrix (converted from the exact one in exact mode)."""
        return self._csr(self.A, self.sizes)

    def B_csr(self) -> csr_matrix:
        """``B`` as a float CSR matrix."""
        return self._csr(self.B, self.sizes)

    def E_csr(self) -> csr_matrix:
        """``E`` as a float CSR matrix."""
        return self._csr(self.E, (len(self.e), self.sizes[0]))

    def F_csr(self) -> csr_matrix:
        """``F`` as a float CSR matrix."""
        return self._csr(self.F, (len(self.f), self.sizes[1]))

    def _dense(self, m: SparseMatrix, shape: tuple[int, int]) -> Array:
        if isinstance(m, dict):
            out = np.full(shape, Fraction(0), dtype=object)
            for (i, j), v in m.items():
                out[i, j] = v
            return out
        return m.toarray()

    def _csr(self, m: SparseMatrix, shape: tuple[int, int]) -> csr_matrix:
        if isinstance(m, dict):
            return _csr_from_dict(m, shape)
        return m.tocsr()

    # -- conversions -----------------------------------------------------------------
    def realization_from_behavior(self, probs: Sequence[Number]) -> tuple[Array, Array]:
        """The realization plans ``(x, y)`` of a flat behaviour vector.

        See :func:`realization_plans`: exact (object arrays of ``Fraction``)
        when every probability is rational, float64 otherwise.
        """
        x, y = realization_plans(self.game, probs)
        return x, y

    def behavior_from_realization(
        self, x: Sequence[Number] | Array, y: Sequence[Number] | Array, fill: Fill = "uniform"
    ) -> list[Number]:
        """The flat behaviour vector (length ``game.num_actions``) of plans ``x, y``.

        ``prob(a | I) = x[I a] / x[parent(I)]``; at sets the plans do not reach,
        the uniform distribution (``fill="uniform"``, Gambit's centroid), the
        first action (``fill="first"``) or ``fill(infoset)`` if it is a function.
        Exact when the inputs are rational (``Fraction``/``int``), float otherwise.
        See :func:`behavior_from_plans`.
        """
        return behavior_from_plans(self.game, (x, y), fill)

    def expected_payoffs(self, x: Sequence[Number], y: Sequence[Number]) -> tuple[Number, Number]:
        """``(x^T A y, x^T B y)``: exact when the form and both plans are."""
        n1, n2 = self.sizes
        if len(x) != n1 or len(y) != n2:
            raise ValueError(f"plans need {n1} and {n2} entries, got {len(x)} and {len(y)}")
        if self.exact and is_exact(x) and is_exact(y):
            xs, ys = as_numbers(x, True), as_numbers(y, True)
            assert isinstance(self.A, dict) and isinstance(self.B, dict)
            u1 = sum((v * xs[i] * ys[j] for (i, j), v in self.A.items()), start=Fraction(0))
            u2 = sum((v * xs[i] * ys[j] for (i, j), v in self.B.items()), start=Fraction(0))
            return u1, u2
        xf, yf = as_numbers(x, False), as_numbers(y, False)
        return float(xf @ (self.A_csr() @ yf)), float(xf @ (self.B_csr() @ yf))

    def sequence_label(self, player: int, q: int) -> str:
        """``"infoset:action"`` for sequence ``q`` of ``player`` (0 or 1); ``"(empty)"`` for 0."""
        last = self.sequences[player][q]
        if last is None:
            return "(empty)"
        s = self.game.infosets.at(last[0])
        return f"{s.name}:{s.actions[last[1]]}"


def sequence_form(game: Game, values: Mapping[str, Number], exact: bool = True) -> SequenceForm:
    """The sequence form of a two-player game with perfect recall at parameter ``values``.

    Built with array operations from the terminals' sequences (KMvS 1996):
    one entry of ``A``/``B`` per terminal (summed where sequence pairs repeat,
    zeros dropped), one row of ``E``/``F`` per information set. Cached per
    game, mode and parameter values.

    Parameters
    ----------
    game
        A game with exactly two players and perfect recall; chance is allowed.
    values
        Values of the parameters the game uses.
    exact
        ``Fraction`` entries (dicts of keys) when true, float CSR matrices otherwise.

    Raises
    ------
    SolverError
        If the game does not have exactly two players or has imperfect recall.
    GameError
        If the payoffs or chance probabilities cannot be evaluated at ``values``.
    """
    if len(game.players) != 2:
        raise SolverError(
            f"the sequence form is for 2-player games; {game.title!r} has {len(game.players)} "
            f"players ({', '.join(game.players)})"
        )
    key = (exact, tuple(sorted((k, values.get(k)) for k in game.used_parameters())))
    recent = game._cache.setdefault(_FORM_KEY, OrderedDict())
    assert isinstance(recent, OrderedDict)
    got = recent.get(key)
    if got is not None:
        recent.move_to_end(key)
        return cast(SequenceForm, got)
    form = _build_form(game, game.numbers(values, exact=exact))
    recent[key] = form
    if len(recent) > CACHE_SIZE:
        recent.popitem(last=False)
    return form


def _build_form(game: Game, numbers: Numbers) -> SequenceForm:
    exact = numbers.exact
    seqs = game_sequences(game)
    p1, p2 = seqs.players
    shape = (p1.size, p2.size)
    reach = chance_reach(game, numbers)
    reach.setflags(write=False)  # kept by the form, shared
    weights = terminal_weights(game, numbers, reach)
    q1 = seqs.at_terminal[:, 0]
    q2 = seqs.at_terminal[:, 1]
    payoff_a = weights[:, 0]
    payoff_b = weights[:, 1]
    rows_e, cols_e, data_e = _constraint_entries(p1)
    rows_f, cols_f, data_f = _constraint_entries(p2)
    A: SparseMatrix
    B: SparseMatrix
    E: SparseMatrix
    F: SparseMatrix
    if exact:
        A = _dict_sum(q1, q2, payoff_a)
        B = _dict_sum(q1, q2, payoff_b)
        E = _dict_sum(rows_e, cols_e, _fractions(data_e))
        F = _dict_sum(rows_f, cols_f, _fractions(data_f))
        e = np.array([Fraction(1)] + [Fraction(0)] * len(p1.infosets), dtype=object)
        f = np.array([Fraction(1)] + [Fraction(0)] * len(p2.infosets), dtype=object)
    else:
        A = _entries(q1, q2, payoff_a, shape)
        B = _entries(q1, q2, payoff_b, shape)
        E = _entries(rows_e, cols_e, data_e, (1 + len(p1.infosets), p1.size))
        F = _entries(rows_f, cols_f, data_f, (1 + len(p2.infosets), p2.size))
        e = np.zeros(1 + len(p1.infosets))
        f = np.zeros(1 + len(p2.infosets))
        e[0] = f[0] = 1.0
    e.setflags(write=False)
    f.setflags(write=False)
    return SequenceForm(
        game=game,
        exact=exact,
        sequences=(p1.sequences, p2.sequences),
        A=A,
        B=B,
        E=E,
        e=e,
        F=F,
        f=f,
        structure=(p1, p2),
        reach=reach,
    )


def _constraint_entries(ps: PlayerSequences) -> tuple[IntArray, IntArray, IntArray]:
    """Row, column and value of every non-zero of a player's constraint matrix."""
    k = len(ps.infosets)
    if ps.size <= SMALL_LEVELS:  # the same entries from Python lists
        sizes = ps.sizes.tolist()
        row_list = [0, *range(1, k + 1)]
        for row, count in enumerate(sizes, start=1):
            row_list += [row] * count
        col_list = [0, *ps.parent.tolist(), *range(1, ps.size)]
        data_list = [1] + [-1] * k + [1] * (ps.size - 1)
        return (np.array(row_list, dtype=np.int64), np.array(col_list, dtype=np.int64),
                np.array(data_list, dtype=np.int64))
    set_rows = 1 + np.arange(k, dtype=np.int64)
    rows = np.concatenate(([0], set_rows, np.repeat(set_rows, ps.sizes)))
    cols = np.concatenate(([0], ps.parent, np.arange(1, ps.size, dtype=np.int64)))
    data = np.concatenate(([1], np.full(k, -1), np.ones(ps.size - 1, dtype=np.int64)))
    return rows.astype(np.int64), cols.astype(np.int64), data.astype(np.int64)


def _fractions(values: IntArray) -> Array:
    """Small integers as shared ``Fraction`` objects."""
    shared = {v: Fraction(v) for v in set(values.tolist())}
    return np.array([shared[v] for v in values.tolist()], dtype=object)


def _dict_sum(rows: IntArray, cols: IntArray, values: Array) -> dict[tuple[int, int], Fraction]:
    """``{(row, col): sum of values}`` without the zeros, keys in row-major order.

    Entries are grouped with numpy first, so only repeated positions cost an
    addition (each a ``Fraction`` operation).
    """
    if not len(rows):
        return {}
    key = rows * (int(cols.max()) + 1) + cols
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.diff(key[order], prepend=-1))
    summed = values[order]
    if len(starts) < len(order):
        summed = np.add.reduceat(summed, starts)
    at = order[starts]
    return {
        (i, j): v
        for i, j, v in zip(rows[at].tolist(), cols[at].tolist(), summed.tolist(), strict=True)
        if v != 0
    }


def _csr(rows: IntArray, cols: IntArray, values: Array, shape: tuple[int, int]) -> csr_matrix:
    return _entries(rows, cols, values, shape).tocsr()


def _entries(rows: IntArray, cols: IntArray, values: Array, shape: tuple[int, int]) -> FloatEntries:
    return FloatEntries(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
                        np.asarray(values, dtype=np.float64), shape)


def _csr_from_dict(m: Mapping[tuple[int, int], Fraction], shape: tuple[int, int]) -> csr_matrix:
    keys = list(m)
    rows = np.array([i for i, _ in keys], dtype=np.int64)
    cols = np.array([j for _, j in keys], dtype=np.int64)
    values = np.array([float(v) for v in m.values()], dtype=np.float64)
    return _csr(rows, cols, values, shape)
