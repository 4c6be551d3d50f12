"""A quasi-perfect equilibrium of a two-player game: the sequence-form LCP with a symbolic perturbation.

Miltersen and Sørensen (2010), "Computing a quasi-perfect equilibrium of a
two-player game", *Economic Theory* 42, 175-192; quasi-perfection is van
Damme's (1984), "A relation between perfect equilibria in extensive form games
and proper equilibria in normal form games", *IJGT* 13. Their observation: in
the sequence form (:mod:`policy.solvers.lcp`, Koller, Megiddo and von Stengel
1996) require every sequence ``s`` of either player to carry realization weight
at least ``eps**|s|`` (``|s|`` its number of moves, the empty sequence
unchanged). The Nash equilibria of this perturbed game, for all small enough
``eps > 0``, converge to a quasi-perfect equilibrium of the game (their
Lemma 1), which is sequential (van Damme 1984) and normal-form perfect. Steps:

1. Write ``x = x' + l(eps)``, ``y = y' + l(eps)`` with ``l_s = eps**|s|``. The
   LCP of :class:`policy.solvers.lcp.SequenceLCP` keeps its matrix ``M`` and
   its right-hand side becomes a polynomial in ``eps``::

       q(eps) = c + M[:, plans] l(eps) = q_0 + q_1 eps + ... + q_K eps**K

   (``q_0 = c``; ``q_k = M[:, plans] u_k``, ``u_k`` marking the sequences of
   length ``k``).
2. Run Lemke's method with ``eps`` kept symbolic (the path followed in floats
   and its last basis solved and checked in rationals; if that fails, exactly
   by integer pivoting, every tableau entry the basis determinant times the
   reduced one, von Stengel 2002, section 3.6): the ratio test compares the columns ``q_0, ..., q_K``
   in that order (the sign of a polynomial for infinitesimal ``eps`` is the
   sign of its lowest coefficient), then the columns of the basis inverse
   (the usual lexicographic rule against degeneracy). A tie in the ``q``
   columns that includes ``z0``'s row lets ``z0`` leave. At the end, the
   basic solution ``B^-1 q(eps)`` is a Nash equilibrium of the perturbed game
   for every small ``eps > 0``, as polynomials in ``eps``.
3. Read the realization weights ``x(eps), y(eps)`` as polynomials. Their
   leading terms give the limit behaviour at *every* information set,
   reached or not: ``prob(a | I) = lim x(I a) / x(parent(I))`` (the ratio of
   the leading coefficients when the orders agree, else 0), and the trembles
   (:class:`policy.solvers.result.Trembles`) of the actions it never takes,
   from which the sequential check draws its consistent beliefs.
4. Verify: Nash regret exactly 0 (:func:`policy.solvers.verify.verified_equilibrium`)
   and the sequential check of :mod:`policy.solvers.sequential` passes with
   those trembles; otherwise the solver reports an internal error.

In float mode (:func:`_float_solve`) step 2 is the same float path, so on a
path whose decisions are clear of the float tolerances it makes the exact
solve's pivots and ends at its basis; that basis is solved in float64 for
every column ``q_k`` at once, checked as in step 2 with coefficients below
:data:`FLOAT_COEFFICIENT` of their scale counted as 0, read as in step 3
(:func:`perturbed_end`, which takes many samples at once: the batch
solver's lockstep run, :func:`policy.analysis.batch_lemke.perturbed_lockstep`,
uses it too), and verified as in step 4 within the float tolerance. Where
any of that fails, the game is solved exactly and the answer converted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.model import Game, GameError, Number
from policy.representations.sequence import PlayerSequences, sequence_form
from policy.solvers.errors import SolverError
from policy.solvers.lcp import SequenceLCP, require_two_players
from policy.solvers.lemke import SMALL_INTEGER, default_max_pivots, integer_pivot, integer_rows
from policy.solvers.result import MAY_HAVE_OTHERS, SolveResult, Trembles
from policy.solvers.sequential import sequential_check
from policy.solvers.verify import VerificationError, verified_equilibrium

Array = npt.NDArray[Any]
Polynomial = list[Fraction]
"""Coefficients of ``eps**0, eps**1, ...``."""


def qpe_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    max_pivots: int | None = None,
) -> SolveResult:
    """One quasi-perfect equilibrium of a two-player game with perfect recall (exact).

    Parameters
    ----------
    game
        A 2-player game with perfect recall (chance allowed).
    values
        The value of every parameter the game uses.
    exact
        Rational arithmetic if True. With False the perturbed path is followed
        in float64 and its end read in floats (:func:`_float_solve`); where
        the float run cannot vouch for its end (a ray, the pivot bound, a
        final basis whose polynomials are not non-negative for small
        ``eps``, a profile that fails verification or the sequential check),
        the game is solved exactly and the equilibrium converted to floats
        and verified again in floating point.
    all_equilibria
        Not supported (one equilibrium is returned); refused when True.
    max_pivots
        Bound on Lemke's pivots (default 1000 + 100 x the LCP's size).

    Returns
    -------
    SolveResult
        Method ``"qpe"``, one equilibrium with ``refinement="quasi-perfect"``
        and its trembles. ``details``: ``pivots``, ``lcp_size``, ``degree``
        (the highest power of ``eps`` in the perturbation), ``float_path``
        (the basis came from the float path, checked exactly), and in float
        mode ``arithmetic``: ``"float"`` (the float run vouched for its end)
        or ``"exact"`` (it did not; solved exactly, then converted).

    Raises
    ------
    SolverError
        For a game without two players, ``all_equilibria``, the
        pivot bound, or (an internal error) a result that fails verification.
    """
    require_two_players(game, "qpe")
    if not exact:
        if all_equilibria:
            raise SolverError("qpe returns one quasi-perfect equilibrium; --all does not apply")
        found = _float_solve(game, values, max_pivots)
        if found is not None:
            return found
        from policy.solvers.exact_size import check_exact_size

        # Each float parameter as the decimal it prints as (0.4 -> 2/5), so that
        # chance probabilities that sum to 1 in floats sum to 1 exactly too.
        decimal = {k: Fraction(repr(v)) if isinstance(v, float) else v for k, v in values.items()}
        try:
            check_exact_size(game, game.numbers(decimal, exact=True))
        except GameError as err:
            raise SolverError(
                f"qpe solves in exact arithmetic, and {game.title!r} has numbers that are not exact at "
                f"these values ({err}); use lcp for a float equilibrium"
            ) from None
        return _as_float(qpe_solve(game, decimal, True, all_equilibria, max_pivots), values)
    if all_equilibria:
        raise SolverError("qpe returns one quasi-perfect equilibrium; --all does not apply")
    numbers = game.numbers(values, exact=True)
    form = sequence_form(game, values, exact=True)
    lcp = SequenceLCP(form, numbers)
    n1, n2, _, _ = lcp.sizes
    structures = form.structure
    lengths = [_lengths(ps) for ps in structures]
    degree = max((int(k.max(initial=0)) for k in lengths), default=0)
    Q = _perturbed_rhs(lcp, lengths, degree)
    limit = default_max_pivots(lcp.n) if max_pivots is None else max_pivots
    z, pivots, float_path = _symbolic_lemke(lcp.M, Q, limit)
    plans: list[list[Polynomial]] = []
    for offset, size, length in ((0, n1, lengths[0]), (n1, n2, lengths[1])):
        plan = []
        for q in range(size):
            poly = list(z[offset + q])
            if length[q] > 0:
                poly[int(length[q])] += 1
            plan.append(poly)
        plans.append(plan)
    probs, trembles = _limit_behavior(game, structures, plans)
    try:
        eq = verified_equilibrium(game, numbers, probs, what="qpe produced a profile")
    except VerificationError as err:
        raise SolverError(str(err)) from None
    eq = dataclasses.replace(eq, refinement="quasi-perfect", trembles=trembles)
    check = sequential_check(game, numbers, probs, trembles, max_tries=1, cut_off=False)
    if not check.verdict:
        raise SolverError(
            f"internal error: qpe's profile fails the sequential check ({check.text}); please report this game"
        )
    return SolveResult(
        game=game,
        method="qpe",
        exact=True,
        parameters=dict(values),
        equilibria=(eq,),
        warnings=(
            "one quasi-perfect equilibrium (Lemke's method from one start); " + MAY_HAVE_OTHERS,
        ),
        details={"pivots": pivots, "lcp_size": lcp.n, "degree": degree, "float_path": float_path},
    )


def _as_float(result: SolveResult, values: Mapping[str, Number]) -> SolveResult:
    """The exact result in floating point, verified again in float arithmetic (``--float``).

    The symbolic perturbation needs rational arithmetic, so float mode solves
    exactly and converts; the trembles (the certificate of the beliefs) carry over.
    """
    game = result.game
    numbers = game.numbers(values, exact=False)
    out = []
    for eq in result.equilibria:
        probs = [float(p) for p in eq.probabilities]
        try:
            got = verified_equilibrium(game, numbers, probs, what="qpe's profile in floating point")
        except VerificationError as err:
            raise SolverError(str(err)) from None
        out.append(dataclasses.replace(got, refinement=eq.refinement, trembles=eq.trembles))
    return dataclasses.replace(
        result, exact=False, equilibria=tuple(out), details={**result.details, "arithmetic": "exact"},
        warnings=(*result.warnings, "qpe solves in exact arithmetic; the result is shown in floating point"),
    )


def _lengths(ps: PlayerSequences) -> npt.NDArray[np.int64]:
    """The number of moves of each of a player's sequences (0 for the empty one)."""
    out = np.zeros(ps.size, dtype=np.int64)
    for k, level in enumerate(ps.levels, 1):
        out[level] = k
    return out


def _perturbed_rhs(lcp: SequenceLCP, lengths: list[npt.NDArray[np.int64]], degree: int) -> Array:
    """The columns ``q_0, ..., q_K`` of the perturbed right-hand side (step 1)."""
    n1, n2, _, _ = lcp.sizes
    Q = np.full((lcp.n, degree + 1), Fraction(0), dtype=object)
    Q[:, 0] = lcp.c
    both = np.concatenate([lengths[0], lengths[1]])
    plans = lcp.M[:, : n1 + n2]
    for k in range(1, degree + 1):
        marked = np.flatnonzero(both == k)
        if marked.size:
            Q[:, k] = plans[:, marked].sum(axis=1)
    return Q


def _symbolic_lemke(M: Array, Q: Array, limit: int) -> tuple[list[Polynomial], int, bool]:
    """Lemke's method on ``w = q(eps) + M z + z0``, ``eps`` symbolic (step 2).

    Returns each ``z_j`` as a polynomial in ``eps``, the number of pivots,
    and whether the float path's basis was used.
    First the path is followed in floats and its last basis solved and checked
    in rationals (:func:`_crossover`), as :func:`policy.solvers.lemke.lemke`
    does for ``lcp``; if that fails, the exact path by integer pivoting below.
    """
    crossed = _crossover(M, Q, limit)
    if crossed is not None:
        return crossed[0], crossed[1], True
    z, pivots = _integer_path(M, Q, limit)
    return z, pivots, False


#: Float path: ratios within this (relative) tie; pivot entries at most this (relative) count as 0.
FLOAT_TIE = 1e-9
FLOAT_PIVOT = 1e-11


def _crossover(M: Array, Q: Array, limit: int) -> tuple[list[Polynomial], int] | None:
    """The float path's last complementary basis, solved exactly and checked, or None.

    The check: every basic ``z`` and every ``w`` is, as a polynomial in
    ``eps``, zero or of positive lowest coefficient, so the basis gives a
    solution of the perturbed LCP for every small ``eps > 0``, which is all
    that Miltersen and Sørensen's argument needs (its limit is quasi-perfect,
    however the basis was found).
    """
    try:
        basis, pivots = _float_path(M, Q, limit)
    except (SolverError, ArithmeticError, ValueError):
        return None
    n, width = Q.shape
    support = sorted(v - n for v in basis if n <= v < 2 * n)
    data = np.asarray(M, dtype=object)
    z: list[Polynomial] = [[Fraction(0)] * width for _ in range(n)]
    if support:
        k = len(support)
        system = np.empty((k, k + width), dtype=object)
        system[:, :k] = data[np.ix_(support, support)]
        for col in range(width):
            system[:, k + col] = [-Fraction(Q[i, col]) for i in support]
        solution = _solve_columns(system, k)
        if solution is None:
            return None
        for j, row in zip(support, solution, strict=True):
            z[j] = row
    if not all(_nonnegative(z[j]) for j in support):
        return None
    # The rows of the support solve the system exactly (w = 0 there); the others
    # are checked, each over the support's columns where M is not 0.
    inside = set(support)
    for i in range(n):
        if i in inside:
            continue
        terms = [(j, data[i, j]) for j in support if data[i, j]]
        w = [Fraction(Q[i, col]) + sum((m * z[j][col] for j, m in terms), Fraction(0)) for col in range(width)]
        if not _nonnegative(w):
            return None
    return z, pivots


def _solve_columns(system: Array, k: int) -> list[list[Fraction]] | None:
    """The solutions of ``A x = b`` for every column ``b`` of ``system = [A | B]`` (``A`` is k x k),
    one row per unknown, or None if ``A`` is singular.

    :func:`policy.solvers.lemke._solve_rational` with all right-hand sides in
    one elimination: the same pivots (the first free row with a non-zero
    entry, column by column), so the same exact solutions.
    """
    width = system.shape[1] - k
    T, biggest = integer_rows(system, k + width)
    if biggest < SMALL_INTEGER:
        T = T.astype(np.int64)
    det = 1
    used: list[int] = []
    free = list(range(k))
    for col in range(k):
        r = next((i for i in free if T[i, col] != 0), None)
        if r is None:
            return None
        T, det = integer_pivot(T, r, col, det)
        free.remove(r)
        used.append(r)
    return [[Fraction(int(T[r, k + c]), int(det)) for c in range(width)] for r in used]


def _nonnegative(poly: Polynomial) -> bool:
    """Whether a polynomial in ``eps`` is >= 0 for every small ``eps > 0``."""
    return next((c > 0 for c in poly if c != 0), True)


def _float_path(M: Array, Q: Array, limit: int) -> tuple[list[int], int]:
    """The symbolic Lemke path in float64 (ratio ties within :data:`FLOAT_TIE`); the final basis."""
    n, width = Q.shape
    T = np.hstack([np.eye(n), -np.asarray(M, dtype=np.float64), -np.ones((n, 1)),
                   np.asarray(Q, dtype=np.float64)])
    z0 = 2 * n
    rhs = list(range(2 * n + 1, 2 * n + 1 + width))
    order = rhs + list(range(n))
    basis = list(range(n))
    first = T.copy()
    first[:, z0] = 1.0
    r = _lex_least_float(first, np.arange(n), z0, order, width, -1)
    entering = z0
    pivots = 0
    while True:
        if pivots >= limit:
            raise SolverError("pivot limit")
        T[r] /= T[r, entering]
        factor = T[:, entering].copy()
        factor[r] = 0.0
        T -= np.outer(factor, T[r])
        pivots += 1
        leaving = basis[r]
        basis[r] = entering
        if leaving == z0:
            return basis, pivots
        entering = leaving + n if leaving < n else leaving - n
        column = T[:, entering]
        rows = np.flatnonzero(column > FLOAT_PIVOT * max(1.0, float(np.abs(column).max())))
        if not rows.size:
            raise SolverError("ray")
        r = _lex_least_float(T, rows, entering, order, width, basis.index(z0))


def _lex_least_float(T: Array, rows: Array, entering: int, order: list[int], width: int, z0_row: int) -> int:
    """:func:`_lex_least` in floats: ratios within :data:`FLOAT_TIE` of the least tie."""
    div = T[rows, entering]
    for k, col in enumerate(order):
        ratio = T[rows, col] / div
        least = float(ratio.min())
        keep = ratio - least <= FLOAT_TIE * max(1.0, abs(least))
        rows, div = rows[keep], div[keep]
        if rows.size == 1:
            return int(rows[0])
        if k == width - 1 and z0_row in rows.tolist():
            return z0_row
    return int(rows[0])


def _integer_path(M: Array, Q: Array, limit: int) -> tuple[list[Polynomial], int]:
    """The exact symbolic path: the tableau ``[I | -L M | -L 1 | L Q]`` in integers (``L`` scales each row).

    Pivoted with :func:`policy.solvers.lemke.integer_pivot`.
    """
    n, width = Q.shape
    block = np.empty((n, n + 1 + width), dtype=object)
    block[:, :n] = M
    block[:, n] = Fraction(1)
    block[:, n + 1 :] = Q
    ints, _ = integer_rows(block, n + 1 + width)
    T = np.zeros((n, 2 * n + 1 + width), dtype=object)
    T[:, :n] = np.eye(n, dtype=np.int64).astype(object)
    T[:, n : 2 * n + 1] = -ints[:, : n + 1]
    T[:, 2 * n + 1 :] = ints[:, n + 1 :]
    z0 = 2 * n
    rhs = list(range(2 * n + 1, 2 * n + 1 + width))
    basis = list(range(n))
    det = 1
    # z0 enters; its column is -L 1 < 0 in every row: the row of least q(eps) / d leaves.
    r = _lex_least(T, list(range(n)), [-int(T[i, z0]) for i in range(n)], rhs, n, -1)
    entering = z0
    pivots = 0
    while True:
        if pivots >= limit:
            raise SolverError(f"qpe: no equilibrium found after {limit} pivots (the limit); raise --max-pivots")
        T, det = integer_pivot(T, r, entering, det)
        pivots += 1
        leaving = basis[r]
        basis[r] = entering
        if leaving == z0:
            break
        entering = leaving + n if leaving < n else leaving - n
        rows = [i for i in range(n) if T[i, entering] > 0]
        if not rows:
            raise SolverError(
                f"internal error: qpe's Lemke path ended on a ray after {pivots} pivots; please report this game"
            )
        r = _lex_least(T, rows, [int(T[i, entering]) for i in rows], rhs, n, basis.index(z0))
    z: list[Polynomial] = [[Fraction(0)] * width for _ in range(n)]
    for i, v in enumerate(basis):
        if n <= v < 2 * n:
            z[v - n] = [Fraction(int(T[i, c]), int(det)) for c in rhs]
    return z, pivots


def _lex_least(T: Array, rows: list[int], divisor: list[int], rhs: list[int], n: int, z0_row: int) -> int:
    """The row with the lexicographically least ``(q_0, ..., q_K, basis inverse row) / divisor``.

    A tie over all the ``q`` columns that includes ``z0_row`` is won by it.
    """
    tied = list(zip(rows, divisor, strict=True))
    for col in rhs:
        tied = _least(T, col, tied)
        if len(tied) == 1:
            return tied[0][0]
    if any(r == z0_row for r, _ in tied):
        return z0_row
    for col in range(n):
        tied = _least(T, col, tied)
        if len(tied) == 1:
            break
    return tied[0][0]


def _least(T: Array, col: int, tied: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ``(row, divisor)`` pairs with the least ``T[row, col] / divisor`` (cross-multiplied)."""
    best: list[tuple[int, int]] = []
    best_num, best_div = 0, 1
    for r, div in tied:
        num = int(T[r, col])
        if not best:
            best, best_num, best_div = [(r, div)], num, div
            continue
        left, right = num * best_div, best_num * div
        if left < right:
            best, best_num, best_div = [(r, div)], num, div
        elif left == right:
            best.append((r, div))
    return best


def _leading(poly: Polynomial) -> tuple[int, Fraction]:
    """The order and coefficient of a polynomial's lowest non-zero term."""
    for k, c in enumerate(poly):
        if c != 0:
            return k, c
    raise SolverError("internal error: qpe gave a sequence realization weight 0; please report this game")


def _limit_behavior(
    game: Game, structures: tuple[PlayerSequences, PlayerSequences], plans: list[list[Polynomial]]
) -> tuple[list[Number], Trembles]:
    """The limit behaviour at every set and the trembles of the unused actions (step 3)."""
    probs: list[Number] = [Fraction(0)] * game.num_actions
    order: dict[int, Fraction] = {}
    coefficient: dict[int, Number] = {}
    for ps, plan in zip(structures, plans, strict=True):
        leading = [_leading(p) for p in plan]
        for k, set_index in enumerate(ps.infosets):
            s = game.infosets.at(set_index)
            above_order, above_coef = leading[int(ps.parent[k])]
            for j in range(len(s.actions)):
                seq_order, seq_coef = leading[int(ps.first[k]) + j]
                ratio = seq_coef / above_coef
                if seq_order == above_order:
                    probs[s.offset + j] = ratio
                else:
                    order[s.offset + j] = Fraction(seq_order - above_order)
                    coefficient[s.offset + j] = ratio
            total = sum(probs[s.offset : s.offset + len(s.actions)], start=Fraction(0))
            if total != 1:
                raise SolverError(
                    f"internal error: qpe's limit behaviour at {s.name!r} sums to {total}; please report this game"
                )
    return probs, Trembles(order, coefficient)


# -------------------------------------------------------------------------------------
# Float mode: the same path, its end read in floats
# -------------------------------------------------------------------------------------
#: A coefficient of the float run's polynomials at most this times the scale of
#: its power of ``eps`` (at that sample) counts as 0.
FLOAT_COEFFICIENT = 1e-9
#: The limit behaviour at an information set must sum to 1 within this.
FLOAT_SUM = 1e-6

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class PlanLayout:
    """Where the two players' sequences sit in the LCP's ``z`` and in the behaviour vector.

    Per player (a pair of arrays each): ``first``, ``parent`` and ``sizes``
    per information set (the sequence of its first action, the sequence
    leading to it, its number of actions), ``positions`` the flat behaviour
    position of each non-empty sequence (as in
    :class:`policy.representations.sequence.PlayerSequences`); ``offsets``
    where each player's sequences start in ``z``; ``lengths`` (n,) the number
    of moves of each LCP variable's sequence (0 for the empty sequences and for
    the variables that are not plan entries); ``num_actions`` the length of the
    behaviour vector.
    """

    first: tuple[Ints, Ints]
    parent: tuple[Ints, Ints]
    sizes: tuple[Ints, Ints]
    positions: tuple[Ints, Ints]
    offsets: tuple[int, int]
    lengths: Ints
    num_actions: int

    @property
    def degree(self) -> int:
        """The highest power of ``eps`` in the perturbation."""
        return int(self.lengths.max(initial=0))

    @classmethod
    def of(
        cls,
        first: tuple[npt.ArrayLike, npt.ArrayLike],
        parent: tuple[npt.ArrayLike, npt.ArrayLike],
        sizes: tuple[npt.ArrayLike, npt.ArrayLike],
        positions: tuple[npt.ArrayLike, npt.ArrayLike],
        n: int,
        num_actions: int,
    ) -> PlanLayout:
        """The layout of an LCP of size ``n`` from each player's arrays.

        A sequence's length is its parent's plus one; the sequences of a set
        are consecutive, sets in order (``first``), so the lengths follow by
        repeating that step until nothing changes (at most once per set).
        """
        lengths = np.zeros(n, dtype=np.int64)
        offsets: list[int] = []
        arrays: list[tuple[Ints, ...]] = []
        offset = 0
        for f, p, k, pos in zip(first, parent, sizes, positions, strict=True):
            f_, p_, k_ = (np.asarray(a, dtype=np.int64) for a in (f, p, k))
            size = 1 + int(k_.sum())
            mine = np.zeros(size, dtype=np.int64)
            if len(f_):
                up = p_[np.repeat(np.arange(len(f_)), k_)]
                for _ in range(len(f_)):
                    step = mine[up] + 1
                    if (step == mine[1:]).all():
                        break
                    mine[1:] = step
            lengths[offset : offset + size] = mine
            offsets.append(offset)
            arrays.append((f_, p_, k_, np.asarray(pos, dtype=np.int64)))
            offset += size
        return cls(
            first=(arrays[0][0], arrays[1][0]),
            parent=(arrays[0][1], arrays[1][1]),
            sizes=(arrays[0][2], arrays[1][2]),
            positions=(arrays[0][3], arrays[1][3]),
            offsets=(offsets[0], offsets[1]),
            lengths=lengths,
            num_actions=num_actions,
        )

    @classmethod
    def of_structure(cls, structures: tuple[PlayerSequences, PlayerSequences], n: int, num_actions: int) -> PlanLayout:
        """The layout of a game's sequence form (:attr:`policy.representations.sequence.SequenceForm.structure`)."""
        return cls.of(
            (structures[0].first, structures[1].first),
            (structures[0].parent, structures[1].parent),
            (structures[0].sizes, structures[1].sizes),
            (structures[0].positions, structures[1].positions),
            n,
            num_actions,
        )


def perturbed_rhs(M: Floats, c: npt.ArrayLike, lengths: Ints) -> Floats:
    """(n, K + 1, S): the columns ``q_0, ..., q_K`` of step 1 in floats, for matrices ``M`` (n, n, S).

    ``c`` is the unperturbed right-hand side, (n,) or (n, S).
    """
    n, _, S = M.shape
    width = int(lengths.max(initial=0)) + 1
    Q = np.empty((n, width, S))
    Q[:, 0] = np.broadcast_to(np.asarray(c, dtype=np.float64).reshape(n, -1), (n, S))
    for k in range(1, width):
        Q[:, k] = M[:, np.flatnonzero(lengths == k)].sum(axis=1)
    return Q


@dataclasses.dataclass(frozen=True)
class PerturbedEnd:
    """The end of float runs of the perturbed path, read as polynomials in ``eps`` (samples last).

    ``behavior`` (actions, S) is the limit behaviour, ``order`` and
    ``coefficient`` (actions, S) the trembles of the actions it never takes
    (order 0 for the others), ``plans`` (n, S) the realization plans at the
    limit (``z``'s coefficients of ``eps**0``), and ``ok`` (S,) whether the
    run vouches for its end: the basis solved, every ``z`` and ``w`` zero or
    of positive lowest coefficient (beyond :data:`FLOAT_COEFFICIENT`), every
    realization weight's lowest coefficient positive, and the behaviour at
    each set summing to 1 (within :data:`FLOAT_SUM`).
    """

    behavior: Floats
    order: Ints
    coefficient: Floats
    plans: Floats
    ok: npt.NDArray[np.bool_]


def perturbed_end(M: Floats, Q: Floats, basis: Ints, layout: PlanLayout) -> PerturbedEnd:
    """Steps 2 (the check) and 3 of the module docstring in floats, for final bases ``basis`` (n, S).

    The basic ``z`` of each sample solve ``M[S, S] z_S = -Q[S]`` (``S`` the
    basic ``z``, whose ``w`` are not basic: the basis is complementary),
    every power of ``eps`` at once (``numpy.linalg.solve``).
    """
    n, width, S = Q.shape
    ok = np.ones(S, dtype=bool)
    z = np.zeros((S, n, width))
    is_z = (basis >= n) & (basis < 2 * n)
    count = np.count_nonzero(is_z, axis=0)
    m = int(count.max(initial=0))
    if m:
        rows = np.argsort(~is_z, axis=0, kind="stable")[:m]  # (m, S)
        live = (np.arange(m)[:, None] < count[None, :]).T  # (S, m)
        support = np.where(live, np.take_along_axis(basis, rows, axis=0).T - n, 0)  # (S, m)
        Ms = np.transpose(M, (2, 0, 1))
        idx = np.arange(S)[:, None, None]
        system = Ms[idx, support[:, :, None], support[:, None, :]]
        system = np.where(live[:, :, None] & live[:, None, :], system, np.eye(m)[None])
        rhs = -np.take_along_axis(np.transpose(Q, (2, 0, 1)), support[:, :, None], axis=1)
        rhs = np.where(live[:, :, None], rhs, 0.0)
        try:
            solution = np.linalg.solve(system, rhs)
        except np.linalg.LinAlgError:
            solution = np.zeros_like(rhs)
            for s in range(S):
                try:
                    solution[s] = np.linalg.solve(system[s], rhs[s])
                except np.linalg.LinAlgError:
                    ok[s] = False
        ok &= np.isfinite(solution).all(axis=(1, 2))
        s_idx, j_idx = np.nonzero(live)
        z[s_idx, support[s_idx, j_idx]] = np.where(np.isfinite(solution[s_idx, j_idx]), solution[s_idx, j_idx], 0.0)
    Qs = np.transpose(Q, (2, 0, 1))
    Ms = np.transpose(M, (2, 0, 1))
    w = Qs + np.matmul(Ms, z)
    scale = np.maximum(1.0, np.maximum(np.abs(Qs).max(axis=1), np.abs(z).max(axis=1)))  # (S, width)
    w_scale = np.maximum(scale[:, None, :], np.abs(Qs) + np.matmul(np.abs(Ms), np.abs(z)))
    ok &= _lex_nonnegative(z, FLOAT_COEFFICIENT * scale[:, None, :]).all(axis=1)
    ok &= _lex_nonnegative(w, FLOAT_COEFFICIENT * w_scale).all(axis=1)
    # The realization weights x(eps) = z(eps) + eps**|s| and their leading terms.
    plans = z.copy()
    marked = np.flatnonzero(layout.lengths > 0)
    plans[:, marked, layout.lengths[marked]] += 1.0
    plan_scale = np.maximum(1.0, np.abs(plans).max(axis=1))[:, None, :]
    nonzero = np.abs(plans) > FLOAT_COEFFICIENT * plan_scale
    order = np.argmax(nonzero, axis=2)  # (S, n)
    lead = np.take_along_axis(plans, order[:, :, None], axis=2)[:, :, 0]
    behavior = np.zeros((layout.num_actions, S))
    t_order = np.zeros((layout.num_actions, S), dtype=np.int64)
    t_coef = np.zeros((layout.num_actions, S))
    for i in (0, 1):
        first, parent, sizes = layout.first[i], layout.parent[i], layout.sizes[i]
        if not len(first):
            continue
        lo = layout.offsets[i]
        size = 1 + int(sizes.sum())
        mine = slice(lo, lo + size)
        has = nonzero[:, mine].any(axis=2)  # (S, size)
        ords, coefs = order[:, mine].T, lead[:, mine].T  # (size, S)
        ok &= has.all(axis=1) & (coefs > 0).all(axis=0)
        up = parent[np.repeat(np.arange(len(first)), sizes)]
        here, above = ords[1:], ords[up]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = coefs[1:] / coefs[up]
        same = here == above
        ok &= (here >= above).all(axis=0)
        prob = np.where(same, ratio, 0.0)
        totals = np.add.reduceat(prob, first - 1, axis=0)
        ok &= (np.abs(totals - 1.0) <= FLOAT_SUM).all(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            prob = prob / np.repeat(totals, sizes, axis=0)
        pos = layout.positions[i]
        behavior[pos] = np.where(np.isfinite(prob), prob, 0.0)
        t_order[pos] = np.where(same, 0, here - above)
        t_coef[pos] = np.where(same, 0.0, ratio)
    return PerturbedEnd(behavior, t_order, t_coef, np.ascontiguousarray(z[:, :, 0].T), ok)


def _lex_nonnegative(values: Floats, zero: Floats) -> npt.NDArray[np.bool_]:
    """(S, rows): whether each polynomial (last axis) is 0 or has a positive lowest coefficient beyond ``zero``."""
    nonzero = np.abs(values) > zero
    first = np.argmax(nonzero, axis=2)
    lead = np.take_along_axis(values, first[:, :, None], axis=2)[:, :, 0]
    return np.asarray(~nonzero.any(axis=2) | (lead > 0))


def _float_solve(game: Game, values: Mapping[str, Number], max_pivots: int | None) -> SolveResult | None:
    """qpe in float64: the path of :func:`_float_path`, its end read by :func:`perturbed_end`, verified.

    None where the run does not vouch for its end, or its profile fails
    verification or the sequential check; the caller then solves exactly.
    """
    numbers = game.numbers(values, exact=False)
    form = sequence_form(game, values, exact=False)
    lcp = SequenceLCP(form, numbers)
    layout = PlanLayout.of_structure(form.structure, lcp.n, game.num_actions)
    M = np.asarray(lcp.M, dtype=np.float64)[:, :, None]
    Q = perturbed_rhs(M, lcp.c, layout.lengths)
    limit = default_max_pivots(lcp.n) if max_pivots is None else max_pivots
    with np.errstate(all="ignore"):
        try:
            basis, pivots = _float_path(M[:, :, 0], Q[:, :, 0], limit)
        except (SolverError, ArithmeticError, ValueError, IndexError):
            return None
        end = perturbed_end(M, Q, np.asarray(basis, dtype=np.int64)[:, None], layout)
    if not end.ok[0]:
        return None
    probs: list[Number] = end.behavior[:, 0].tolist()
    try:
        eq = verified_equilibrium(game, numbers, probs, what="qpe's float profile")
    except VerificationError:
        return None
    taken = end.order[:, 0]
    trembles = Trembles(
        {int(a): Fraction(int(taken[a])) for a in np.flatnonzero(taken > 0)},
        {int(a): float(end.coefficient[a, 0]) for a in np.flatnonzero(taken > 0)},
    )
    eq = dataclasses.replace(eq, refinement="quasi-perfect", trembles=trembles)
    if not sequential_check(game, numbers, probs, trembles, max_tries=1, cut_off=False).verdict:
        return None
    return SolveResult(
        game=game,
        method="qpe",
        exact=False,
        parameters=dict(values),
        equilibria=(eq,),
        warnings=("one quasi-perfect equilibrium (Lemke's method from one start); " + MAY_HAVE_OTHERS,),
        details={"pivots": pivots, "lcp_size": lcp.n, "degree": layout.degree, "float_path": True,
                 "arithmetic": "float"},
    )
