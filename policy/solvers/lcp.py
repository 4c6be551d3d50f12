"""Nash equilibria of two-player extensive games by the sequence-form LCP and Lemke's method.

Koller, Megiddo and von Stengel (1996), "Efficient computation of equilibria
for extensive two-person games", *Games and Economic Behavior* 14, 247-259
(KMvS); von Stengel, "Computing equilibria for two-person games", *Handbook of
Game Theory* 3, 2002, section 4. With the sequence form ``(A, B, E, e, F, f)``
of :mod:`policy.representations.sequence`, realization plans ``x, y`` are an
equilibrium exactly when, for some free ``p, q``,

    E x = e,  x >= 0,  E^T p - A y >= 0,  x . (E^T p - A y) = 0,
    F y = f,  y >= 0,  F^T q - B^T x >= 0,  y . (F^T q - B^T x) = 0,

(each plan is a best response: the constraints of the dual of the other
player's best-response linear program, and complementary slackness). Steps:

1. Shift the payoffs so that every terminal pays each player a negative amount
   (``u - max u - 1``); since a plan pair reaches the terminals with total
   probability 1, this subtracts a constant from each expected payoff and
   changes no equilibrium. ``A`` and ``B`` become non-positive. Payoffs are
   first measured in the power of two nearest the game's payoff scale, or for a
   player whose scale is far below the other's, nearest that player's own
   (:func:`policy.tolerances.payoff_units`; exact even in float64, and no
   equilibrium changes: one player's payoffs times a positive number), so
   that the shift and Lemke's float tolerances, which are on the scale of 1,
   are on the scale of the payoffs (otherwise payoffs of
   about 1e-12 would drown in the shift), and so that exact and float runs, and
   a game and the same game with payoffs scaled by a power of two, follow the
   same path.
2. Write the free ``p = p'' - p'`` and ``q = q'' - q'`` as differences of
   non-negative variables and each equation ``E x = e`` as two inequalities
   ``E x - e >= 0``, ``e - E x >= 0`` (complementary to ``p'`` and ``p''``), which
   gives a standard LCP ``w = c + M z`` with ``z = (x, y, p', p'', q', q'')``
   and ``M = [[0, -A, -E^T, E^T, 0, 0], [-B^T, 0, 0, 0, -F^T, F^T], [E, 0, ...],
   [-E, 0, ...], [0, F, ...], [0, -F, ...]]``.
3. Solve it by Lemke's method (:mod:`policy.solvers.lemke`) with a positive
   covering vector ``d``. The method cannot end on a ray: ``M`` is copositive
   (``z^T M z = -x^T (A + B) y >= 0``, the ``E``/``F`` blocks being skew), so
   the direction ``z'`` of a secondary ray keeps ``z0`` fixed and has
   ``x' = y' = 0`` (from ``E x' = 0``) and ``E^T r >= 0`` for ``r = p'' - p'``,
   likewise ``F^T s >= 0`` for ``s = q'' - q'``; multiplying by any realization
   plan gives ``c^T z' = e^T r + f^T s >= 0``, while complementarity along the
   ray needs ``c^T z' + z0 d^T z' = 0`` with ``z0 > 0`` and ``d^T z' > 0``
   (KMvS's argument, redone here for the split variables).
4. Turn the plans into behaviour, ``prob(a | I) = x[I a] / x[parent(I)]``. At an
   information set its owner's own plan never reaches the behaviour does not
   matter to anyone's payoff; the uniform distribution is put there (Gambit's
   centroid; ``fill="first"`` picks the first action instead). The profile is
   verified with :func:`policy.solvers.verify.verified_equilibrium` before it
   is returned: Nash regret exactly 0 (exact), or within ``tolerances.REGRET``
   times the payoff scale (float).

With ``all_equilibria`` Lemke's method runs from several covering vectors
(at most ``max_starts``). Along the path the term ``d z0`` in a player's rows
lowers the payoff of each sequence by ``d`` times ``z0``, so ``d`` acts like the
prior of the tracing procedure (von Stengel, van den Elzen and Talman 2002,
"Computing normal form perfect equilibria for extensive two-person games",
*Econometrica* 70): with ``d = 1 - A y~`` player 1 starts by answering the
prior ``y~``. The starts are: all ones; priors (uniform, and the k-th action at
every set, for each player or both); then, for each non-empty sequence, that
sequence penalised, and every other one penalised. Distinct equilibria are
collected. This finds several equilibria, not necessarily all.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, Number, Numbers
from policy.representations.sequence import (
    Fill,
    SequenceForm,
    chance_reach,
    game_sequences,
    sequence_form,
)
from policy.solvers.errors import SolverError
from policy.solvers.lemke import LemkeResult, default_max_pivots, lemke
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import (
    VerificationError,
    as_numbers,
    same_profile,
    verified_equilibrium,
)

#: With ``all_equilibria``: the weight that marks one sequence in a covering vector.
PENALTY = 8
#: With ``all_equilibria``: how many covering vectors are tried unless told otherwise.
DEFAULT_MAX_STARTS = 100

Array = npt.NDArray[Any]


# -------------------------------------------------------------------------------------
# Shared with lp
# -------------------------------------------------------------------------------------
def require_two_players(game: Game, method: str) -> None:
    """Raise :class:`SolverError` unless the game has exactly two players."""
    if len(game.players) != 2:
        raise SolverError(
            f"{method} solves 2-player games; {game.title!r} has {len(game.players)} "
            f"player{'' if len(game.players) == 1 else 's'} ({', '.join(game.players)}); use logit or enumpure"
        )


# -------------------------------------------------------------------------------------
# The LCP
# -------------------------------------------------------------------------------------
class SequenceLCP:
    """The LCP ``w = c + M z`` of a game's sequence form, with negative payoffs.

    ``sizes`` are ``(n1, n2, m1, m2)``: sequences and constraint rows of the
    two players; ``z = (x, y, p', p'', q', q'')`` has ``n1 + n2 + 2 m1 + 2 m2``
    entries. ``A`` and ``B`` are the shifted payoff matrices (dense).
    """

    def __init__(self, form: SequenceForm, numbers: Numbers) -> None:
        exact = form.exact
        game = form.game
        n1, n2 = form.sizes
        m1, m2 = len(form.e), len(form.f)
        self.sizes = (n1, n2, m1, m2)
        self.exact = exact
        zero: Number = Fraction(0) if exact else 0.0
        # Chance probability of the terminals each sequence pair leads to.
        seqs = game_sequences(game)
        reach = form.reach if form.reach is not None else chance_reach(game, numbers)
        P = np.full((n1, n2), zero, dtype=object if exact else np.float64)
        if exact:
            for t, (s1, s2) in enumerate(seqs.at_terminal.tolist()):
                P[s1, s2] = P[s1, s2] + reach[t]
        else:  # the same additions in the same (terminal) order, unbuffered
            np.add.at(P, (seqs.at_terminal[:, 0], seqs.at_terminal[:, 1]), reach)
        pay = numbers.leaf_payoff
        A, B = form.A_dense(), form.B_dense()
        units = tolerances.payoff_units(tolerances.payoff_scales(pay))
        if units != [1.0, 1.0]:  # each player's payoffs in that player's unit
            u: list[Number] = [Fraction(v) if exact else v for v in units]
            A, B = A / u[0], B / u[1]
            pay = pay / np.array(u, dtype=object if exact else np.float64)
        shift = [max(pay[:, i].tolist(), default=zero) + 1 for i in range(2)]
        self.A = A - shift[0] * P
        self.B = B - shift[1] * P
        E, F = form.E_dense(), form.F_dense()
        n = n1 + n2 + 2 * m1 + 2 * m2
        M = np.full((n, n), zero, dtype=object if exact else np.float64)
        x = slice(0, n1)
        y = slice(n1, n1 + n2)
        p1 = slice(n1 + n2, n1 + n2 + m1)
        p2 = slice(n1 + n2 + m1, n1 + n2 + 2 * m1)
        q1 = slice(n1 + n2 + 2 * m1, n1 + n2 + 2 * m1 + m2)
        q2 = slice(n1 + n2 + 2 * m1 + m2, n)
        M[x, y] = -self.A
        M[x, p1] = -E.T
        M[x, p2] = E.T
        M[y, x] = -self.B.T
        M[y, q1] = -F.T
        M[y, q2] = F.T
        M[p1, x] = E
        M[p2, x] = -E
        M[q1, y] = F
        M[q2, y] = -F
        c = np.full(n, zero, dtype=object if exact else np.float64)
        c[p1] = -form.e
        c[p2] = form.e
        c[q1] = -form.f
        c[q2] = form.f
        self.M = M
        self.c = c
        self.n = n

    def plans(self, z: Array) -> tuple[Array, Array]:
        """The realization plans ``(x, y)`` in a solution ``z``."""
        n1, n2, _, _ = self.sizes
        return z[:n1], z[n1 : n1 + n2]

    def covering_vectors(self, form: SequenceForm, several: bool = True) -> list[Array]:
        """Covering vectors for :func:`lcp_solve`: the default (all ones), then more if ``several``.

        Then tracing priors: for the uniform profile and for "the k-th action
        at every set" (k = 1, 2, ...), ``d = 1 - A y~`` on player 1's rows
        and ``1 - B^T x~`` on player 2's (both, or one player's only); then for
        each non-empty sequence, that sequence penalised (weight
        ``PENALTY``) and every other sequence penalised instead.
        """
        n1, n2, _, _ = self.sizes
        one: Number = Fraction(1) if self.exact else 1.0
        ones = np.full(self.n, one, dtype=object if self.exact else np.float64)
        out = [ones]
        if not several:
            return out
        widest = max((len(s.actions) for s in form.game.infosets.values()), default=1)
        for k, prior in enumerate(["uniform", *range(widest)]):
            x, y = _prior_plans(form, prior)
            for who in ((0, 1), (0,), (1,)) if k else ((0, 1),):
                d = ones.copy()
                if 0 in who:
                    d[:n1] = ones[:n1] - self.A.dot(y)
                if 1 in who:
                    d[n1 : n1 + n2] = ones[:n2] - self.B.T.dot(x)
                out.append(d)
        for j in [*range(1, n1), *range(n1 + 1, n1 + n2)]:
            d = ones.copy()
            d[j] = one * PENALTY
            out.append(d)
            d = ones * PENALTY
            d[n1 + n2 :] = one
            d[j] = one
            out.append(d)
        return out


def _prior_plans(form: SequenceForm, prior: str | int) -> tuple[Array, Array]:
    """Realization plans of a simple profile: uniform, or the ``prior``-th action (mod size) everywhere."""
    probs: list[Number] = []
    for s in form.game.infosets.values():
        m = len(s.actions)
        if prior == "uniform":
            probs += [Fraction(1, m)] * m
        else:
            probs += [Fraction(int(a == int(prior) % m)) for a in range(m)]
    if not form.exact:
        probs = [float(p) for p in probs]
    return form.realization_from_behavior(probs)


# -------------------------------------------------------------------------------------
# The solver
# -------------------------------------------------------------------------------------
def lcp_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    max_pivots: int | None = None,
    fill: Fill = "uniform",
    max_starts: int | None = None,
) -> SolveResult:
    """Nash equilibria of a two-player game with perfect recall, by Lemke's method on its sequence form.

    Parameters
    ----------
    game
        A 2-player game with perfect recall (chance moves allowed).
    values
        The value of every parameter the game uses.
    exact
        Rational arithmetic (integer pivoting) if True, float64 otherwise.
    all_equilibria
        Run Lemke's method from several covering vectors (see the module
        docstring) and return every distinct equilibrium found; not
        necessarily all equilibria of the game.
    max_pivots
        Bound on pivots per run (default: 1000 + 100 x the LCP's size); a run
        that reaches it raises :class:`SolverError`.
    fill
        Behaviour at information sets the owner's own plan never reaches:
        ``"uniform"`` (default), ``"first"``, or a function of the infoset.
    max_starts
        With ``all_equilibria``: try at most this many covering vectors
        (default ``DEFAULT_MAX_STARTS``, 100).

    Returns
    -------
    SolveResult
        Method ``"lcp"``; each equilibrium verified (Nash regret 0, exact, or
        within the float tolerance). ``details``: ``pivots`` (total over all
        runs), ``starts`` (runs made), ``lexicographic`` (ratio-test ties the
        lexicographic rule decided: a degenerate path), ``lcp_size``,
        ``float_paths`` (exact runs whose path was followed in floats and
        whose final basis was solved in rationals; see
        :func:`policy.solvers.lemke.lemke`).

    Raises
    ------
    SolverError
        If the game does not have two players, the pivot bound is reached, or
        (float) a solution fails verification.
    """
    require_two_players(game, "lcp")
    numbers = game.numbers(values, exact=exact)
    form = sequence_form(game, values, exact=exact)
    lcp = SequenceLCP(form, numbers)
    limit = default_max_pivots(lcp.n) if max_pivots is None else max_pivots
    starts = lcp.covering_vectors(form, all_equilibria)
    if max_starts is None:
        max_starts = DEFAULT_MAX_STARTS
    found: list[Equilibrium] = []
    warnings: list[str] = []
    pivots = 0
    lexicographic = 0
    float_paths = 0
    runs = 0
    failures: list[str] = []
    for d in starts[:max_starts]:
        runs += 1
        try:
            result = lemke(lcp.M, lcp.c, d, exact=exact, max_pivots=limit)
        except SolverError as err:
            if exact and not all_equilibria:
                raise
            failures.append(str(err))
            continue
        pivots += result.pivots
        lexicographic += result.lexicographic
        float_paths += result.float_path
        eq = _equilibrium_of(game, numbers, form, lcp, result, fill)
        if isinstance(eq, str):
            if exact and not all_equilibria:
                raise SolverError(eq)
            failures.append(eq)
            continue
        if not any(same_profile(eq.probabilities, other.probabilities, exact) for other in found):
            found.append(eq)
    if not found and not exact:
        # Rounding can still defeat the float path (a degenerate problem whose
        # ties it cannot tell from near-ties) or leave a solution that fails
        # verification: the same start in integer pivoting cannot.
        eq, extra = _exact_rescue(game, values, fill, limit)
        pivots += extra
        warnings.append(
            f"float Lemke gave no verified equilibrium ({failures[0]}); solved instead by "
            "lcp in exact arithmetic, the equilibrium shown in floats"
        )
        failures = []
        found.append(eq)
    if not found:
        raise SolverError(
            f"lcp found no verified equilibrium in {runs} run(s): {failures[0] if failures else ''}"
        )
    if failures:
        warnings.append(
            f"{len(failures)} of {runs} Lemke runs gave no verified equilibrium and were dropped "
            f"(first: {failures[0]})"
        )
    if all_equilibria:
        cut = f" (of {len(starts)}; max_starts limits them)" if runs < len(starts) else ""
        warnings.append(
            f"{len(found)} distinct equilibri{'um' if len(found) == 1 else 'a'} from {runs} "
            f"starting points{cut}; there may be others (lcp does not enumerate; enummixed "
            "lists all extreme equilibria of small games)"
        )
    return SolveResult(
        game=game,
        method="lcp",
        exact=exact,
        parameters=dict(values),
        equilibria=tuple(found),
        warnings=tuple(warnings),
        details={
            "pivots": pivots,
            "lexicographic": lexicographic,
            "starts": runs,
            "lcp_size": lcp.n,
            "float_paths": float_paths,
        },
    )


def _exact_rescue(
    game: Game, values: Mapping[str, Number], fill: Fill, limit: int
) -> tuple[Equilibrium, int]:
    """The default start solved in exact arithmetic, its equilibrium verified again in floats.

    For a float solve whose Lemke runs all failed. Returns the equilibrium
    (float probabilities) and the pivots taken.
    """
    numbers = game.numbers(values, exact=True)
    form = sequence_form(game, values, exact=True)
    lcp = SequenceLCP(form, numbers)
    result = lemke(lcp.M, lcp.c, exact=True, max_pivots=limit)
    eq = _equilibrium_of(game, numbers, form, lcp, result, fill)
    if isinstance(eq, str):
        raise SolverError(eq)
    floats = game.numbers(values, exact=False)
    try:
        return verified_equilibrium(game, floats, as_numbers(eq.probabilities, False)), result.pivots
    except VerificationError as err:
        raise SolverError(str(err)) from None


def _equilibrium_of(
    game: Game,
    numbers: Numbers,
    form: SequenceForm,
    lcp: SequenceLCP,
    result: LemkeResult,
    fill: Fill,
) -> Equilibrium | str:
    """The verified equilibrium of an LCP solution, or why there is none."""
    x, y = lcp.plans(result.z)
    try:
        probs = form.behavior_from_realization(x, y, fill)
    except ValueError as err:  # exact plans violating E x = e: a bug, not the user's
        return f"internal error: Lemke's solution is not a pair of realization plans ({err})"
    try:
        return verified_equilibrium(game, numbers, as_numbers(probs, numbers.exact))
    except VerificationError as err:
        how = "exact" if numbers.exact else "float"
        return (
            f"Lemke's solution has Nash regret {err.regret} in {how} arithmetic after "
            f"{result.pivots} pivots"
            + ("" if numbers.exact else "; try exact arithmetic")
        )
