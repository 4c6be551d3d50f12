"""All isolated Nash equilibria of small n-player games (Gambit's ``enumpoly``).

Support enumeration with polynomial systems, on the reduced strategic form
(McKelvey and McLennan, "Computation of equilibria in finite games",
*Handbook of Computational Economics* 1, 1996; Gambit's
``enumpoly``, which solves the same systems by polyhedral homotopy or its own
polynomial solver). A mixed profile with supports ``S_1, ..., S_n`` is a Nash
equilibrium exactly when every player is indifferent among the strategies of
their support and none outside does better. Steps:

1. Build the reduced strategic form with exact payoffs.
2. For every profile of non-empty supports (smaller supports first), skip it
   if some supported strategy is strictly dominated by another strategy of the
   same player against every pure profile of the others' supports (it cannot
   be a best response there). Otherwise write the indifference system: the
   unknowns are ``sigma_i(s)`` for ``s`` in ``S_i`` except the first, whose
   weight is ``1`` minus the others'; for each player ``i`` and ``s`` in ``S_i``
   after the first, ``U_i(s) - U_i(first) = 0``, where ``U_i(s)`` is the
   expected payoff of ``s`` against the others' mixtures, a polynomial built
   from our exact (``Fraction``) payoffs as sympy objects (never from text).
   The system is square: as many equations as unknowns, each multilinear in
   the other players' weights.
3. Solve it exactly: a lexicographic Groebner basis (sympy), brought into
   shape position (each unknown a polynomial in the last, which is a root of
   one univariate polynomial); its roots are rational (exact) or algebraic
   (evaluated to ``DIGITS`` digits). Keep the real ones with every weight
   strictly positive (a weight of 0 belongs to a smaller support, where the
   same equilibrium is found).
4. Verify each candidate in the tree (:func:`policy.solvers.verify.verified_equilibrium`):
   this also rejects the solutions where a strategy outside the support does
   better. Rational solutions are verified exactly; an algebraic one is
   evaluated to ``DIGITS`` significant digits and verified in floating point.

What it finds: every equilibrium that is isolated within its support's
system. A support whose system has a continuum of solutions (degenerate games,
common with ties in payoffs) cannot be solved this way; such supports are
listed in a warning, and the result then says the list may be incomplete
(Gambit's ``enumpoly`` has the same limit). Numeric fallback: when sympy
cannot finish a support's system (not zero-dimensional, or beyond its
solver), the support is reported in that warning, not guessed at.

Size: the number of support profiles is the product over players of
``2**|S_i| - 1``; :mod:`policy.solvers.sizes` bounds it (``ENUMPOLY_SUPPORTS``)
and the number of unknowns in the largest system (``ENUMPOLY_UNKNOWNS``), and
:func:`policy.solvers.solve` refuses larger games before anything is built.

Exact mode: when every equilibrium found is rational the result is exact
(``Fraction`` probabilities, regret exactly 0); otherwise all are reported in
floating point with a warning naming how many are irrational.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import VerificationError, verified_equilibrium

#: Significant digits to which algebraic (irrational) solutions are evaluated.
DIGITS = 40
#: An evaluated root whose imaginary part is below this is real.
IMAGINARY = 1e-25
#: Separating unknowns tried (random integer weights from this seed) when a
#: Groebner basis is not in shape position.
SEPARATING_TRIES = 3
SEPARATING_SEED = 12

Support = tuple[tuple[int, ...], ...]


def supports(shape: Sequence[int]) -> Iterator[Support]:
    """Every profile of non-empty supports, smaller total size first."""
    per_player = [
        [c for k in range(1, size + 1) for c in itertools.combinations(range(size), k)]
        for size in shape
    ]
    everything = list(itertools.product(*per_player))
    everything.sort(key=lambda s: (sum(len(c) for c in s), s))
    yield from everything


def support_count(shape: Sequence[int]) -> int:
    """How many support profiles a strategic form of this shape has."""
    return math.prod(2**s - 1 for s in shape)


def largest_system(shape: Sequence[int]) -> int:
    """Unknowns of the largest indifference system (the full support)."""
    return sum(s - 1 for s in shape)


def _dominated(payoffs: npt.NDArray[Any], support: Support) -> bool:
    """Whether a supported strategy is strictly worse than another against every profile of the others' supports."""
    n = len(support)
    for i in range(n):
        index: list[Any] = [np.asarray(c) for c in support]
        index[i] = np.arange(payoffs.shape[1 + i])
        table = payoffs[i][np.ix_(*index)]
        table = np.moveaxis(table, i, 0).reshape(payoffs.shape[1 + i], -1)
        for s in support[i]:
            if any(all(a > b for a, b in zip(table[t], table[s], strict=True)) for t in range(len(table)) if t != s):
                return True
    return False


def _system(payoffs: npt.NDArray[Any], support: Support) -> tuple[list[Any], Any]:
    """The indifference polynomials of a support, in a lex-ordered ring over the rationals.

    Returns the polynomials and the ring (its generators are the unknowns,
    ``p<i>_<s>`` for player ``i``'s strategy ``s``). Coefficients are our exact
    payoffs, converted number by number; nothing is parsed.
    """
    from sympy.polys.domains import QQ
    from sympy.polys.orderings import lex
    from sympy.polys.rings import ring

    n = len(support)
    names = [f"p{i}_{s}" for i, chosen in enumerate(support) for s in chosen[1:]]
    R, *xs = ring(names, QQ, lex) if names else ring("unused", QQ, lex)
    weights: list[list[Any]] = []
    k = 0
    for chosen in support:
        own = xs[k : k + len(chosen) - 1] if names else []
        k += len(chosen) - 1
        weights.append([R.one - sum(own, R.zero), *own])
    equations: list[Any] = []
    for i, chosen in enumerate(support):
        if len(chosen) < 2:
            continue
        others = [j for j in range(n) if j != i]
        terms = []
        for cell in itertools.product(*(range(len(support[j])) for j in others)):
            term = R.one
            for j, c in zip(others, cell, strict=True):
                term = term * weights[j][c]
            terms.append((cell, term))
        values = []
        for s in chosen:
            total = R.zero
            for cell, term in terms:
                index = [0] * n
                index[i] = s
                for j, c in zip(others, cell, strict=True):
                    index[j] = support[j][c]
                p = Fraction(payoffs[(i, *index)])
                if p:
                    total += term * QQ(p.numerator, p.denominator)
            values.append(total)
        equations.extend(v - values[0] for v in values[1:])
    return equations, R


def _solutions(equations: list[Any], R: Any) -> list[list[Fraction | float]] | None:
    """The real solutions of a square polynomial system, values in the ring's generator order.

    ``Fraction`` for a rational root, float for an irrational one; None if the
    solutions are not finitely many or sympy cannot finish. The lexicographic
    Groebner basis (sympy's F5B algorithm) of a zero-dimensional system in
    general position has the shape ``x_j - f_j(x_k)`` (``j < k``), ``g(x_k)``
    (the shape lemma: Gianni and Mora, "Algebraic solution of systems of
    polynomial equations using Groebner bases", AAECC-5, 1989); then the rational roots of ``g``
    come from its linear factors over the rationals and give exact solutions,
    the other real roots are found to ``DIGITS`` digits. A basis of another
    shape is computed again with a separating unknown added (below).
    """
    import sympy
    from sympy.polys.groebnertools import groebner

    nonzero = [e for e in equations if e]
    if not nonzero:
        return [[]] if not equations else None
    unknowns = [sympy.Symbol(str(x)) for x in R.gens]
    if len(nonzero) < len(unknowns):
        return None  # fewer conditions than unknowns: a continuum
    try:
        basis = groebner(nonzero, R, method="f5b")
    except (NotImplementedError, ArithmeticError):
        return None
    if any(p.is_ground for p in basis):
        return []  # the basis is {1}: no solution
    k = len(unknowns)
    pure = {next(v for v, e in enumerate(p.LM) if e) for p in basis if sum(1 for e in p.LM if e) == 1}
    if len(pure) < k:
        return None  # not zero-dimensional: a continuum of solutions
    polys = [sympy.Poly(p.as_expr(), *unknowns) for p in basis]
    shaped = _shape(polys, unknowns)
    if shaped is not None:
        return _roots(*shaped, unknowns[-1])
    # Not in shape position (two solutions share a value of the last unknown):
    # a new last unknown, a combination of the others with random integer
    # weights, separates the solutions (generically; three tries).
    from sympy.polys.domains import QQ
    from sympy.polys.orderings import lex
    from sympy.polys.rings import ring

    rng = np.random.default_rng(SEPARATING_SEED)
    for _ in range(SEPARATING_TRIES):
        R2, *xs = ring([str(x) for x in R.gens] + ["separating"], QQ, lex)
        weights = [int(c) for c in rng.integers(1, 100, size=k)]
        link = xs[-1] - sum((c * x for c, x in zip(weights, xs[:-1], strict=True)), R2.zero)
        try:
            basis2 = groebner([p.set_ring(R2) for p in nonzero] + [link], R2, method="f5b")
        except (NotImplementedError, ArithmeticError):
            return None
        names = [*unknowns, sympy.Symbol("separating")]
        shaped = _shape([sympy.Poly(p.as_expr(), *names) for p in basis2], names)
        if shaped is not None:
            return [row[:-1] for row in _roots(*shaped, names[-1])]
    return None


def _roots(others: list[Any], g: Any, last: Any) -> list[list[Fraction | float]]:
    """The real solutions ``(f_1(r), ..., f_{k-1}(r), r)`` over the real roots ``r`` of ``g``."""
    import sympy

    out: list[list[Fraction | float]] = []
    for factor, _ in sympy.factor_list(g.as_expr(), last)[1]:
        f = sympy.Poly(factor, last)
        if f.degree() == 1:
            a, b = f.all_coeffs()
            root = -sympy.Rational(b) / sympy.Rational(a)
            value = Fraction(int(root.p), int(root.q))
            row: list[Fraction | float] = []
            for fj in others:
                v = sympy.Rational(fj.subs(last, root))
                row.append(Fraction(int(v.p), int(v.q)))
            out.append([*row, value])
            continue
        for root in f.nroots(n=DIGITS, maxsteps=500):
            real, imag = root.as_real_imag()
            if abs(float(imag)) > IMAGINARY:
                continue
            found: list[Fraction | float] = [float(fj.subs(last, real).evalf(DIGITS)) for fj in others]
            out.append([*found, float(real)])
    return out


def _shape(polys: Sequence[Any], unknowns: list[Any]) -> tuple[list[Any], Any] | None:
    """``(f_1, ..., f_{k-1}), g`` when a lex basis is ``x_j - f_j(x_k)``, ``g(x_k)``; else None."""
    import sympy

    last = unknowns[-1]
    solved: dict[Any, Any] = {}
    g = None
    for p in polys:
        free = set(p.as_expr().free_symbols)
        if free <= {last}:
            if g is not None:
                return None
            g = sympy.Poly(p.as_expr(), last)
            continue
        leading = [x for x in unknowns[:-1] if x in free]
        if len(leading) != 1 or leading[0] in solved:
            return None
        x = leading[0]
        linear = sympy.Poly(p.as_expr(), x)
        if linear.degree() != 1 or not linear.LC().is_number:
            return None
        solved[x] = sympy.expand(-linear.nth(0) / linear.LC())
    if g is None or len(solved) != len(unknowns) - 1:
        return None
    return [solved[x] for x in unknowns[:-1]], g


def _real_weights(support: Support, values: list[Fraction | float]) -> list[list[Fraction | float]] | None:
    """Each player's weights on its support at a solution; None unless all are positive."""
    out: list[list[Fraction | float]] = []
    k = 0
    for chosen in support:
        own = values[k : k + len(chosen) - 1]
        k += len(chosen) - 1
        first: Fraction | float = 1 - sum(own, Fraction(0))
        row = [first, *own]
        if any(w <= 0 for w in row):
            return None
        out.append(row)
    return out


def enumpoly_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = True,
) -> SolveResult:
    """Every isolated Nash equilibrium of the reduced strategic form, by support enumeration.

    Parameters
    ----------
    game
        A game with perfect recall, any number of players, small enough for
        :mod:`policy.solvers.sizes` (``ENUMPOLY_SUPPORTS`` support profiles,
        ``ENUMPOLY_UNKNOWNS`` unknowns).
    values
        The value of every parameter the game uses.
    exact
        Exact results when every equilibrium is rational (default); False
        reports all in floating point.
    all_equilibria
        Accepted for a uniform signature; all are always returned.

    Returns
    -------
    SolveResult
        Method ``"enumpoly"``; behaviour profiles sorted (more weight on
        earlier actions first), each verified. ``details``: ``shape``,
        ``supports`` (support profiles tried), ``unsolved`` (support profiles
        whose system has no finite solution set), ``mixed`` (per equilibrium,
        each player's strategy label -> probability, support only).

    Raises
    ------
    SolverError
        If the game is too big for the method (checked by the dispatcher too).
    """
    del all_equilibria
    from policy.representations.normal import reduced_normal_form
    from policy.solvers.enumpure import distinct_sorted
    from policy.solvers.sizes import ENUMPOLY_SUPPORTS, ENUMPOLY_UNKNOWNS, game_size

    size = game_size(game)
    if support_count(size.strategies) > ENUMPOLY_SUPPORTS or largest_system(size.strategies) > ENUMPOLY_UNKNOWNS:
        from policy.solvers.sizes import too_big

        raise SolverError(f"enumpoly: {too_big('enumpoly', size, exact)}")
    form = reduced_normal_form(game, values, exact=True)
    exact_numbers = game.numbers(values, exact=True)
    float_numbers = game.numbers(values, exact=False)
    payoffs = form.payoffs
    tried = 0
    unsolved: list[str] = []
    candidates: list[tuple[list[list[Fraction | float]], Support]] = []
    for support in supports(form.shape):
        if _dominated(payoffs, support):
            continue
        tried += 1
        equations, R = _system(payoffs, support)
        solutions = _solutions(equations, R)
        if solutions is None:
            unsolved.append(
                "(" + "; ".join(
                    ", ".join(form.strategies[i][s].label for s in chosen) for i, chosen in enumerate(support)
                ) + ")"
            )
            continue
        for solution in solutions:
            got = _real_weights(support, solution)
            if got is not None:
                candidates.append((got, support))
    found: list[tuple[Equilibrium, Any]] = []
    irrational = 0
    for mixed_support, support in candidates:
        rational = all(isinstance(w, Fraction) for row in mixed_support for w in row)
        use_exact = exact and rational
        mixed: list[list[Number]] = []
        for i, chosen in enumerate(support):
            row: list[Number] = [Fraction(0) if use_exact else 0.0] * form.shape[i]
            for s, w in zip(chosen, mixed_support[i], strict=True):
                row[s] = w if use_exact else float(w)
            mixed.append(row)
        probs = form.behavior_from_mixed(mixed)
        numbers = exact_numbers if use_exact else float_numbers
        try:
            eq = verified_equilibrium(
                game, numbers, [Fraction(p) if use_exact else float(p) for p in probs],
                what="enumpoly produced a profile",
            )
        except VerificationError:
            continue  # a strategy outside the support does better
        if not rational:
            irrational += 1
        labels = {
            form.strategies[i][s].label: mixed[i][s] for i, chosen in enumerate(support) for s in chosen
        }
        found.append((eq, labels))
    result_exact = exact and irrational == 0
    notes: list[str] = []
    if exact and irrational:
        notes.append(
            f"{irrational} equilibri{'um is' if irrational == 1 else 'a are'} irrational "
            f"(roots of polynomials); all are shown in floating point"
        )
        found = [
            (verified_equilibrium(game, float_numbers, [float(p) for p in eq.probabilities]), tag)
            for eq, tag in found
        ]
    if unsolved:
        notes.append(
            f"{len(unsolved)} support profile(s) have a continuum of solutions or could not be "
            f"solved exactly, so equilibria there are not listed: {', '.join(unsolved[:5])}"
            + (" ..." if len(unsolved) > 5 else "")
        )
    kept = distinct_sorted(found, result_exact)
    return SolveResult(
        game=game,
        method="enumpoly",
        exact=result_exact,
        parameters=dict(values),
        equilibria=tuple(eq for eq, _ in kept),
        warnings=tuple(notes),
        details={
            "shape": form.shape,
            "supports": tried,
            "unsolved": len(unsolved),
            "mixed": tuple(tag for _, tag in kept),
        },
    )
