"""A normal-form perfect equilibrium of a two-player extensive game by the tracing procedure.

B. von Stengel, A. van den Elzen and D. Talman (2002), "Computing normal form
perfect equilibria for extensive two-person games", *Econometrica* 70(2),
693-715. The linear tracing procedure of Harsanyi and Selten, written on the
sequence form (Koller, Megiddo and von Stengel 1996) so that its size is
linear in the tree. From a completely mixed prior ``p, q`` (realization
plans), each player starts by answering the other's prior and the prior is
traded for actual play as an extra variable ``z0`` falls from 1 to 0:

    w_x = E^T u - A y - (A q) z0 >= 0,   x >= 0,   x . w_x = 0,
    w_y = F^T v - B^T x - (B^T p) z0 >= 0, y >= 0,  y . w_y = 0,
    E x + e z0 = e,   F y + f z0 = f,     u, v free,  0 <= z0 <= 1.

``x + z0 p`` and ``y + z0 q`` are realization plans; ``x`` is a best response
to ``y + z0 q`` (scaled by ``1 - z0``), and ``y`` likewise. Steps:

1. The start, ``z0 = 1``, ``x = y = 0``: a basis holding ``z0``, the free
   ``u, v``, the pure best response of each player to the other's prior
   (one action at every own information set, found by backward induction
   on the sequences), the slacks of the other sequences, and ``y``'s empty
   sequence; ``x``'s empty sequence and its slack are both out.
2. Complementary pivoting: ``x``'s empty sequence enters (``z0`` falls); then
   the complement of each leaving variable enters, the free variables never
   leave, and the ratio test is lexicographic (right-hand side, then the
   columns of the basis inverse) against degeneracy. The path ends when ``z0``
   leaves the basis: an equilibrium ``(x, y)`` of the game. When ``z0``
   ties for leaving, it leaves (so the last step has positive length in
   ``z0``; a lexicographic choice of another row could pivot on at
   ``z0 = 0`` to an equilibrium that is not perfect).
3. Along the last piece of the path, for small ``z0 > 0``, ``x`` answers the
   completely mixed ``y + z0 q`` and ``y`` answers ``x + z0 p``; that makes the
   end point a normal-form perfect equilibrium (the paper's main result, for
   every completely mixed prior; here the tie rule of step 2 keeps the last
   step of positive length in ``z0``, and step 4 checks the claim).
4. Verification, independent of the path: Nash regret exactly 0 in the tree
   (:func:`policy.solvers.verify.verified_equilibrium`), and for each player a
   linear program finds a completely mixed realization plan of the other
   player against which the player's plan is a best response (largest least
   sequence weight ``t``; ``t > 0`` certifies it). For two players an
   equilibrium is perfect exactly when both plans are such best responses
   (van Damme 1991, Theorem 3.2.2: undominated means a best response to a
   completely mixed strategy; a completely mixed realization plan is the plan
   of a completely mixed behaviour, hence of a completely mixed mixed strategy).

All arithmetic is in ``Fraction``: the tableau is dense, so the method suits
games of some hundreds of sequences, far beyond what enumeration of the
strategic form reaches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from fractions import Fraction

from policy.model import Game, Number
from policy.representations.sequence import PlayerSequences, behavior_from_plans, sequence_form
from policy.solvers.errors import SolverError
from policy.solvers.lcp import require_two_players
from policy.solvers.lemke import default_max_pivots
from policy.solvers.perfect import NAME, simplex_max
from policy.solvers.result import MAY_HAVE_OTHERS, SolveResult
from policy.solvers.verify import VerificationError, verified_equilibrium

Matrix = list[list[Fraction]]


@dataclasses.dataclass(frozen=True)
class Traced:
    """The end of the tracing path: realization plans and the number of pivots."""

    x: list[Fraction]
    y: list[Fraction]
    pivots: int


def uniform_prior(ps: PlayerSequences) -> list[Fraction]:
    """The realization plan of the behaviour that mixes uniformly at every own set."""
    plan = [Fraction(0)] * ps.size
    plan[0] = Fraction(1)
    sizes = ps.sizes.tolist()
    for level in ps.levels:
        for s in level.tolist():
            k = int(ps.owner[s])
            plan[s] = plan[int(ps.seq_parent[s])] / sizes[k]
    return plan


def tracing_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    max_pivots: int | None = None,
) -> SolveResult:
    """One normal-form perfect equilibrium of a two-player game, traced from the uniform prior.

    Returns
    -------
    SolveResult
        Method ``"perfect"``, one equilibrium with ``refinement`` :data:`policy.solvers.perfect.NAME`;
        ``details``: ``algorithm`` ``"tracing"``, ``pivots``, ``sequences``
        (both players'), ``witness`` (the least sequence weight of each
        player's completely mixed witness, step 4).

    Raises
    ------
    SolverError
        For a game without two players, ``all_equilibria``, the pivot bound,
        or (an internal error) a result that fails verification.
    """
    require_two_players(game, "perfect")
    if all_equilibria:
        raise SolverError(
            "perfect by tracing returns one normal-form perfect equilibrium; --all needs a game small "
            "enough to enumerate"
        )
    numbers = game.numbers(values, exact=True)
    form = sequence_form(game, values, exact=True)
    A = [[Fraction(v) for v in row] for row in form.A_dense().tolist()]
    B = [[Fraction(v) for v in row] for row in form.B_dense().tolist()]
    E = [[Fraction(v) for v in row] for row in form.E_dense().tolist()]
    F = [[Fraction(v) for v in row] for row in form.F_dense().tolist()]
    e = [Fraction(v) for v in form.e.tolist()]
    f = [Fraction(v) for v in form.f.tolist()]
    ps1, ps2 = form.structure
    p, q = uniform_prior(ps1), uniform_prior(ps2)
    n = len(A) + len(A[0]) + len(E) + len(F)
    limit = default_max_pivots(n) if max_pivots is None else max_pivots
    traced = trace(A, B, E, e, F, f, (ps1, ps2), p, q, limit)
    Bt = [list(col) for col in zip(*B, strict=True)]
    witness = (
        best_response_witness(A, E, F, f, traced.x),
        best_response_witness(Bt, F, E, e, traced.y),
    )
    if min(witness) <= 0:
        raise SolverError(
            f"internal error: the tracing end point of {game.title!r} is not certified perfect; please report this game"
        )
    probs_exact = behavior_from_plans(game, [traced.x, traced.y])
    probs: list[Number] = list(probs_exact) if exact else [float(v) for v in probs_exact]
    try:
        eq = verified_equilibrium(game, game.numbers(values, exact=exact) if not exact else numbers, probs,
                                  what="perfect (tracing) produced a profile")
    except VerificationError as err:
        raise SolverError(str(err)) from None
    eq = dataclasses.replace(eq, refinement=NAME)
    return SolveResult(
        game=game,
        method="perfect",
        exact=exact,
        parameters=dict(values),
        equilibria=(eq,),
        warnings=(
            "one normal-form perfect equilibrium, traced from the uniform prior (von Stengel, van den Elzen "
            "and Talman 2002); " + MAY_HAVE_OTHERS,
        ),
        details={"algorithm": "tracing", "pivots": traced.pivots, "sequences": (len(A), len(A[0])),
                 "witness": witness},
    )


def _best_reply_sequences(ps: PlayerSequences, gain: Sequence[Fraction]) -> set[int]:
    """One best action at every own set against the payoffs ``gain`` per sequence (backward induction)."""
    value = list(gain)
    chosen: set[int] = set()
    sizes = ps.sizes.tolist()
    # A set's actions extend its parent; longer parents are settled first.
    order = sorted(range(len(ps.infosets)), key=lambda k: -_length(ps, int(ps.parent[k])))
    for k in order:
        first = int(ps.first[k])
        options = range(first, first + sizes[k])
        best = max(options, key=lambda s: (value[s], -s))
        chosen.add(best)
        value[int(ps.parent[k])] += value[best]
    return chosen


def _length(ps: PlayerSequences, s: int) -> int:
    k = 0
    while s != 0:
        s = int(ps.seq_parent[s])
        k += 1
    return k


def trace(
    A: Matrix, B: Matrix, E: Matrix, e: Sequence[Fraction], F: Matrix, f: Sequence[Fraction],
    structure: tuple[PlayerSequences, PlayerSequences], p: Sequence[Fraction], q: Sequence[Fraction],
    limit: int,
) -> Traced:
    """Follow the tracing path from the priors ``p, q`` to its end (steps 1-2 of the module docstring)."""
    n1, n2, m1, m2 = len(A), len(A[0]), len(E), len(F)
    X, Y, U, V = 0, n1, n1 + n2, n1 + n2 + m1
    Z0 = V + m2
    WX, WY = Z0 + 1, Z0 + 1 + n1
    width = WY + n2
    rows = n1 + n2 + m1 + m2
    zero = Fraction(0)
    Aq = [sum((A[i][j] * q[j] for j in range(n2) if q[j]), zero) for i in range(n1)]
    Btp = [sum((B[i][j] * p[i] for i in range(n1) if p[i]), zero) for j in range(n2)]
    T: Matrix = [[zero] * (width + rows + 1) for _ in range(rows)]
    for i in range(n1):
        line = T[i]
        line[WX + i] = Fraction(-1)
        for k in range(m1):
            line[U + k] = E[k][i]
        for j in range(n2):
            line[Y + j] = -A[i][j]
        line[Z0] = -Aq[i]
    for j in range(n2):
        line = T[n1 + j]
        line[WY + j] = Fraction(-1)
        for k in range(m2):
            line[V + k] = F[k][j]
        for i in range(n1):
            line[X + i] = -B[i][j]
        line[Z0] = -Btp[j]
    for k in range(m1):
        line = T[n1 + n2 + k]
        for i in range(n1):
            line[X + i] = E[k][i]
        line[Z0] = Fraction(e[k])
        line[-1] = Fraction(e[k])
    for k in range(m2):
        line = T[n1 + n2 + m1 + k]
        for j in range(n2):
            line[Y + j] = F[k][j]
        line[Z0] = Fraction(f[k])
        line[-1] = Fraction(f[k])
    for i in range(rows):
        T[i][width + i] = Fraction(1)
    # Step 1: the starting basis.
    reply1 = _best_reply_sequences(structure[0], Aq)
    reply2 = _best_reply_sequences(structure[1], Btp)
    start = [Z0, *range(U, Z0), Y + 0]
    start += [X + s for s in sorted(reply1)] + [Y + s for s in sorted(reply2)]
    start += [WX + s for s in range(1, n1) if s not in reply1] + [WY + s for s in range(1, n2) if s not in reply2]
    basis: list[int] = [-1] * rows
    for col in start:
        r = next((i for i in range(rows) if basis[i] < 0 and T[i][col] != 0), None)
        if r is None:
            raise SolverError("internal error: the tracing procedure's starting basis is singular; please report this game")
        _pivot(T, r, col)
        basis[r] = col
    free = set(range(U, Z0))
    for i, v in enumerate(basis):
        if v not in free and T[i][-1] < 0:
            raise SolverError("internal error: the tracing procedure's start is infeasible; please report this game")

    def complement(v: int) -> int:
        if v < Y:
            return WX + v
        if v < U:
            return WY + v - Y
        if WX <= v < WY:
            return v - WX
        return v - WY + Y

    entering = X + 0
    pivots = 0
    while True:
        if pivots >= limit:
            raise SolverError(f"perfect: the tracing path did not end within {limit} pivots; raise --max-pivots")
        candidates = [i for i in range(rows) if basis[i] not in free and T[i][entering] > 0]
        if not candidates:
            raise SolverError(
                f"internal error: the tracing path ended on a ray after {pivots} pivots; please report this game"
            )
        r = _lex_least(T, candidates, entering, width, rows, basis.index(Z0))
        _pivot(T, r, entering)
        pivots += 1
        leaving, basis[r] = basis[r], entering
        if leaving == Z0:
            break
        entering = complement(leaving)
    value = [zero] * width
    for i, v in enumerate(basis):
        value[v] = T[i][-1]
    return Traced(value[X:Y], value[Y:U], pivots)


def _lex_least(T: Matrix, candidates: list[int], entering: int, width: int, rows: int, z0_row: int) -> int:
    """The row with the lexicographically least ``(rhs, basis inverse row) / entry``.

    A tie in the right-hand side that includes ``z0``'s row is won by it: the
    path stops the moment ``z0`` reaches 0, after a step of positive length
    in ``z0``, which is what makes the end point perfect (step 3).
    """
    tied = candidates
    for k, col in enumerate([width + rows, *range(width, width + rows)]):
        ratios = [T[i][col] / T[i][entering] for i in tied]
        least = min(ratios)
        tied = [i for i, v in zip(tied, ratios, strict=True) if v == least]
        if k == 0 and z0_row in tied:
            return z0_row
        if len(tied) == 1:
            break
    return tied[0]


def _pivot(T: Matrix, r: int, col: int) -> None:
    head = T[r][col]
    row = [v / head for v in T[r]]
    T[r] = row
    nonzero = [j for j, v in enumerate(row) if v]
    for k in range(len(T)):
        if k != r:
            g = T[k][col]
            if g:
                other = T[k]
                for j in nonzero:
                    other[j] -= g * row[j]


def best_response_witness(
    A: Matrix, E: Matrix, F: Matrix, f: Sequence[Fraction], x: Sequence[Fraction]
) -> Fraction:
    """The largest ``t`` such that ``x`` is a best response to a plan ``y`` with every ``y_s >= t``.

    ``A``: the player's payoffs (own sequences x other's), ``E`` the player's
    constraints, ``F y = f`` the other's. Solves exactly
    ``max t`` subject to ``F y = f``, ``E^T u - A y - s = 0`` with ``s_i = 0``
    where ``x_i > 0`` (best response, by linear programming duality),
    ``y_j - t - r_j = 0`` for the non-empty sequences, all but ``u`` non-negative.
    """
    n1, n2, m1, m2 = len(A), len(A[0]), len(E), len(F)
    if n2 == 1:
        return Fraction(1)  # the other player never moves: nothing to mix
    loose = [i for i in range(n1) if x[i] == 0]
    # Columns: y (n2), u+ (m1), u- (m1), s (loose), t, r (n2 - 1).
    cols = n2 + 2 * m1 + len(loose) + 1 + (n2 - 1)
    t_col = n2 + 2 * m1 + len(loose)
    matrix: Matrix = []
    rhs: list[Fraction] = []
    for k in range(m2):
        row = [Fraction(0)] * cols
        row[:n2] = F[k]
        matrix.append(row)
        rhs.append(Fraction(f[k]))
    for i in range(n1):
        row = [Fraction(0)] * cols
        for j in range(n2):
            row[j] = -A[i][j]
        for k in range(m1):
            row[n2 + k] = E[k][i]
            row[n2 + m1 + k] = -E[k][i]
        if i in loose:
            row[n2 + 2 * m1 + loose.index(i)] = Fraction(-1)
        matrix.append(row)
        rhs.append(Fraction(0))
    for j in range(1, n2):
        row = [Fraction(0)] * cols
        row[j] = Fraction(1)
        row[t_col] = Fraction(-1)
        row[t_col + j] = Fraction(-1)
        matrix.append(row)
        rhs.append(Fraction(0))
    cost = [Fraction(0)] * cols
    cost[t_col] = Fraction(1)
    solved = simplex_max(cost, matrix, rhs)
    if solved is None:
        return Fraction(-1)  # not a best response to anything: not an equilibrium plan
    return solved[0]
