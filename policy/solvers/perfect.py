"""Normal-form perfect equilibria of two-player games among the extreme equilibria.

R. Selten (1975), "Reexamination of the perfectness concept for equilibrium
points in extensive games", *International Journal of Game Theory* 4, 25-55:
an equilibrium is (trembling-hand) perfect when it is the limit of equilibria
of games in which every strategy must be played with a small positive
probability. For two players there is a plain test: an equilibrium of a
bimatrix game is perfect if and only if neither player's mixed strategy is
weakly dominated by another mixed strategy (E. van Damme, *Stability and
Perfection of Nash Equilibria*, 2nd ed., Springer 1991, Theorem 3.2.2).

An undominated mixed strategy is a best reply to some completely mixed
strategy of the other player, so whether it is undominated depends on its
support only; the perfect equilibria within a convex set of equilibria are
therefore a union of faces of it, and each face has an extreme equilibrium
among its vertices. Perfect equilibria exist (Selten 1975), so at least one of
the extreme equilibria is perfect. Steps:

1. build the reduced strategic form (:mod:`policy.representations.normal`)
   and list every extreme equilibrium exactly (:mod:`policy.solvers.vertex`);
2. for each player's mixed strategy ``x`` with payoff rows ``A`` (one row per
   own pure strategy, one column per pure strategy of the other player),
   solve exactly ``max sum(s)`` subject to ``A^T t - s = A^T x``,
   ``sum(t) = 1``, ``t, s >= 0``. The optimum is positive exactly when some
   mixture ``t`` does at least as well as ``x`` against every strategy of the
   other player and better against one: then ``t`` is the witness;
3. keep the equilibria where neither strategy is dominated, as behaviour
   profiles (Kuhn's theorem), verified in the tree like every other result.

The linear programs are solved by the simplex method in ``Fraction`` (two
phases, Bland's rule, which cannot cycle), so the verdict is exact whatever
the arithmetic asked for the profile. Perfection in the reduced strategic
form is the same as in the full one: the reduction removes duplicate rows
and columns only, which change no dominance.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policy.model import Game, Number
from policy.solvers.enumpure import distinct_sorted
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult, show_number
from policy.solvers.verify import VerificationError, as_numbers, verified_equilibrium

#: What ``Equilibrium.refinement`` says of the equilibria this method returns.
NAME = "normal-form perfect"

#: Budget of the enumeration of extreme equilibria (bases per polytope, seconds), as enummixed's.
MAX_BASES = 200_000
MAX_SECONDS = 300.0
#: Above this many reduced strategy profiles, one perfect equilibrium is traced
#: (:mod:`policy.solvers.tracing`) instead of enumerating them all: vertex
#: enumeration grows fast with the form (Romania 1940's 10 x 2187 takes minutes).
ENUMERATE_PROFILES = 5_000


@dataclass(frozen=True)
class Domination:
    """A player's mixed strategy weakly dominated by ``by`` (strategy label -> probability)."""

    player: str
    strategy: Mapping[str, Fraction]
    by: Mapping[str, Fraction]

    @property
    def text(self) -> str:
        return f"{self.player}'s {_mixture(self.strategy)} is weakly dominated by {_mixture(self.by)}"


def perfect_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    *,
    max_bases: int | None = None,
    max_seconds: float | None = None,
) -> SolveResult:
    """Every extreme equilibrium of a two-player game's reduced strategic form that is perfect.

    Returns
    -------
    SolveResult
        Method ``"perfect"``: the perfect extreme equilibria as behaviour
        profiles, each with ``refinement`` :data:`NAME`, sorted; ``details``:
        ``mixed`` (per equilibrium, each player's mixed strategy, support
        only) and ``discarded`` (per extreme equilibrium that is not perfect,
        its mixed strategies and the :class:`Domination` that rules it out).
        ``warnings`` name the discarded ones.

    Raises
    ------
    SolverError
        If the game does not have two players, or the strategic form is too
        large to enumerate within ``max_bases`` and ``max_seconds``.
    """
    del all_equilibria  # every perfect extreme equilibrium is returned
    if len(game.players) != 2:
        raise SolverError(
            f"perfect needs a two-player game, but {game.title!r} has {len(game.players)} "
            f"player{'' if len(game.players) == 1 else 's'}; "
            "for sequential equilibria of larger games use logit (its limit) or spe"
        )
    from policy.representations.normal import MAX_PROFILES, reduced_normal_form
    from policy.solvers.sizes import game_size, too_big
    from policy.solvers.vertex import VertexLimitError, extreme_equilibria

    problem = too_big("enummixed", game, True)
    if problem:
        return _traced(game, values, exact, f"too large to enumerate ({problem})")
    shape = game_size(game).strategies
    if math.prod(shape) > ENUMERATE_PROFILES:
        return _traced(
            game, values, exact,
            f"the reduced strategic form is {' x '.join(map(str, shape))}, more than {ENUMERATE_PROFILES:,} "
            "profiles to enumerate",
        )
    form = reduced_normal_form(game, values, exact=True, max_profiles=MAX_PROFILES)
    a = [[Fraction(v) for v in row] for row in form.payoffs[0].tolist()]
    b = [[Fraction(v) for v in row] for row in form.payoffs[1].tolist()]
    seconds = MAX_SECONDS if max_seconds is None else max_seconds
    deadline = time.monotonic() + seconds if math.isfinite(seconds) else None
    try:
        pairs = extreme_equilibria(a, b, limit=MAX_BASES if max_bases is None else max_bases,
                                   deadline=deadline).equilibria
    except VertexLimitError:
        return _traced(
            game, values, exact,
            f"the {len(a)} x {len(a[0])} strategic form has too many extreme equilibria to list within the "
            "budget (--max-bases, --max-seconds)",
        )
    columns = [list(col) for col in zip(*b, strict=True)]  # player 2's payoff rows
    labels = [[s.label for s in form.strategies[i]] for i in range(2)]
    numbers = game.numbers(values, exact=exact)
    found: list[tuple[Equilibrium, dict[str, dict[str, Fraction]]]] = []
    discarded: list[tuple[dict[str, dict[str, Fraction]], Domination]] = []
    for x, y in pairs:
        mixed = {game.players.at(i).label: _support(labels[i], sigma) for i, sigma in enumerate((x, y))}
        why = None
        for i, (rows, sigma) in enumerate(((a, x), (columns, y))):
            by = dominating(rows, list(sigma))
            if by is not None:
                player = game.players.at(i).label
                why = Domination(player, mixed[player], _support(labels[i], by))
                break
        if why is not None:
            discarded.append((mixed, why))
            continue
        probs = as_numbers(form.behavior_from_mixed([list(x), list(y)]), exact)
        try:
            eq = verified_equilibrium(game, numbers, probs)
        except VerificationError:
            if exact:
                raise SolverError(
                    f"internal error: the perfect equilibrium {mixed} failed verification; please report this game"
                ) from None
            continue
        found.append((dataclasses.replace(eq, refinement=NAME), mixed))
    kept = distinct_sorted(found, exact)
    if not kept:
        # Selten (1975): a perfect equilibrium exists, and one is extreme (module docstring).
        raise SolverError(
            f"internal error: no extreme equilibrium of {game.title!r} passed the perfection test"
            + ("" if exact else " in float mode; solve exactly (--exact)")
        )
    warnings = [f"not perfect, discarded: {d.text}" for _, d in discarded]
    return SolveResult(
        game=game,
        method="perfect",
        exact=exact,
        parameters=dict(values),
        equilibria=tuple(eq for eq, _ in kept),
        warnings=tuple(warnings),
        details={"mixed": tuple(m for _, m in kept), "discarded": tuple(discarded),
                 "extreme_points": len(pairs)},
    )


def _traced(game: Game, values: Mapping[str, Number], exact: bool, why: str) -> SolveResult:
    """One perfect equilibrium by the tracing procedure, saying why enumeration was not used."""
    from policy.solvers.tracing import tracing_solve

    result = tracing_solve(game, values, exact)
    return dataclasses.replace(result, warnings=(f"{why}: one perfect equilibrium by tracing", *result.warnings))


def dominating(rows: Sequence[Sequence[Fraction]], sigma: Sequence[Fraction]) -> list[Fraction] | None:
    """A mixture of ``rows`` that weakly dominates the mixture ``sigma`` of them, or None.

    ``rows[i][j]``: the payoff of own strategy ``i`` against the other
    player's strategy ``j``. Solves the linear program of the module
    docstring exactly.
    """
    m, n = len(rows), len(rows[0])
    target = [sum((sigma[i] * rows[i][j] for i in range(m)), Fraction(0)) for j in range(n)]
    # Variables t (m) then s (n); rows: one per column j, then sum(t) = 1.
    matrix = [[rows[i][j] for i in range(m)] + [Fraction(-int(k == j)) for k in range(n)] for j in range(n)]
    matrix.append([Fraction(1)] * m + [Fraction(0)] * n)
    rhs = target + [Fraction(1)]
    cost = [Fraction(0)] * m + [Fraction(1)] * n
    solved = simplex_max(cost, matrix, rhs)
    if solved is None:  # cannot happen: t = sigma, s = 0 is feasible
        raise SolverError("internal error: the dominance program of perfect is infeasible")
    value, z = solved
    return z[:m] if value > 0 else None


def simplex_max(
    cost: Sequence[Fraction], matrix: Sequence[Sequence[Fraction]], rhs: Sequence[Fraction]
) -> tuple[Fraction, list[Fraction]] | None:
    """``max cost . z`` subject to ``matrix z = rhs``, ``z >= 0``, exactly; None if infeasible.

    Two-phase simplex on a dense ``Fraction`` tableau with Bland's rule
    (smallest index enters and leaves), which terminates on degenerate
    programs. Raises :class:`SolverError` if the program is unbounded.
    """
    rows = [list(r) for r in matrix]
    b = list(rhs)
    for i in range(len(rows)):
        if b[i] < 0:
            rows[i] = [-v for v in rows[i]]
            b[i] = -b[i]
    m, n = len(rows), len(cost)
    # Tableau: original columns, one artificial per row, then the right-hand side.
    tab = [rows[i] + [Fraction(int(k == i)) for k in range(m)] + [b[i]] for i in range(m)]
    basis = [n + i for i in range(m)]
    phase_one = [Fraction(0)] * n + [Fraction(-1)] * m
    _run(tab, basis, phase_one, n + m)
    if _objective(tab, basis, phase_one) < 0:
        return None
    # Drive artificials at level zero out of the basis, or drop their (redundant) rows.
    for r in range(len(basis) - 1, -1, -1):
        if basis[r] >= n:
            col = next((j for j in range(n) if tab[r][j] != 0), None)
            if col is None:
                del tab[r], basis[r]
            else:
                _pivot(tab, basis, r, col)
    for row in tab:
        del row[n:n + m]
    if not _run(tab, basis, list(cost), n):
        raise SolverError("internal error: an unbounded program in perfect's dominance test")
    z = [Fraction(0)] * n
    for r, j in enumerate(basis):
        z[j] = tab[r][-1]
    return sum((c * v for c, v in zip(cost, z, strict=True)), Fraction(0)), z


def _objective(tab: list[list[Fraction]], basis: list[int], cost: Sequence[Fraction]) -> Fraction:
    return sum((cost[j] * tab[r][-1] for r, j in enumerate(basis)), Fraction(0))


def _run(tab: list[list[Fraction]], basis: list[int], cost: Sequence[Fraction], width: int) -> bool:
    """Pivot to optimality over the first ``width`` columns; False if unbounded."""
    while True:
        reduced = [cost[j] - sum((cost[basis[r]] * tab[r][j] for r in range(len(basis))), Fraction(0))
                   for j in range(width)]
        enter = next((j for j in range(width) if reduced[j] > 0 and j not in basis), None)
        if enter is None:
            return True
        best: tuple[Fraction, int, int] | None = None
        for r in range(len(basis)):
            if tab[r][enter] > 0:
                ratio = tab[r][-1] / tab[r][enter]
                key = (ratio, basis[r], r)
                if best is None or key[:2] < best[:2]:
                    best = key
        if best is None:
            return False
        _pivot(tab, basis, best[2], enter)


def _pivot(tab: list[list[Fraction]], basis: list[int], r: int, col: int) -> None:
    head = tab[r][col]
    tab[r] = [v / head for v in tab[r]]
    pivot_row = tab[r]
    for k in range(len(tab)):
        if k != r and tab[k][col] != 0:
            f = tab[k][col]
            tab[k] = [v - f * p for v, p in zip(tab[k], pivot_row, strict=True)]
    basis[r] = col


def _support(labels: Sequence[str], sigma: Sequence[Any]) -> dict[str, Fraction]:
    return {label: Fraction(p) for label, p in zip(labels, sigma, strict=True) if p != 0}


def _mixture(strategy: Mapping[str, Fraction]) -> str:
    if len(strategy) == 1:
        return next(iter(strategy))
    return " + ".join(f"{show_number(p)} {label}" for label, p in strategy.items())
