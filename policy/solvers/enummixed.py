"""All extreme Nash equilibria of a two-player game (Gambit's ``enummixed``).

Mangasarian (1964), "Equilibrium points of bimatrix games", J. SIAM 12: every
Nash equilibrium of a bimatrix game is a convex combination of *extreme*
equilibria, finitely many, which are pairs of vertices of the players'
best-response polytopes; Avis, Rosenberg, Savani and von Stengel (2010),
"Enumeration of Nash equilibria for two-player games", Economic Theory 42,
give the labelled-polytope form used here. Steps:

1. build the reduced normal form of the game (two players, chance allowed):
   payoff matrices ``A`` (player 1) and ``B`` (player 2);
2. enumerate the vertices of ``P = {x >= 0 : B^T x <= 1}`` and
   ``Q = {y >= 0 : A y <= 1}`` (payoffs shifted positive), label each with the
   pure strategies that are unplayed or best responses there, and keep the
   completely labelled pairs, normalised to mixed strategies;

   * exact mode (default): :mod:`policy.solvers.vertex`, our own enumeration in
     integers and ``Fraction`` (reverse search with lexicographic pivoting,
     lrs-style; partners from faces of the larger polytope when the smaller
     one is degenerate);
   * float mode (:mod:`policy.solvers.vertex_float`): for small games (up
     to 4x4, 3x6, 2x14) every basis of a polytope solved in Python integers
     and each vertex's partners found (solved for, or from the other
     polytope's bases), exact throughout;
     otherwise the vertices of the
     polytope of the player with fewer strategies in floating point, as the
     facets of its polar polytope (scipy's qhull, as QuantEcon's
     ``vertex_enumeration`` does for both), labelled by all their tight
     constraints; the partner of each vertex is then solved for from its
     support's equations, all vertices at once with numpy (where that cannot
     decide, both polytopes are enumerated and their label masks matched);
     every pair is solved again in rationals from its support and kept only
     if it is an exact equilibrium. The answers are thus exact equilibria
     shown in floats. Where the float enumeration cannot vouch for its
     answer (qhull fails, as with a player who has one strategy; exact
     arithmetic contradicts it; an even count in a nondegenerate game, which
     has an odd number, Shapley 1974), the exact enumeration runs on the
     float payoffs (a float is a rational) instead,
     and a warning says so. On request (``use_nashpy``) nashpy's
     ``vertex_enumeration`` instead, with the payoffs first shifted so that
     the polytopes are bounded, falling back to ours if qhull fails;
3. turn each mixed equilibrium into a behaviour profile (Kuhn's theorem),
   merge profiles that coincide (several mixed strategies can induce the same
   behaviour; in float mode within :data:`policy.tolerances.PROFILE`), check
   every one in the tree with :func:`policy.solvers.verify.verified_equilibrium`
   (or, when the tree is a bimatrix table, as from a ``.nfg`` file, with the
   same regret computed on the payoff matrices read from its terminals,
   :func:`policy.solvers.verify_table.verified_table_equilibrium`), and sort.
   In float mode on a bimatrix table, the float enumeration's answers were
   already checked exactly on the table's own payoffs (the normal form of a
   table is the table), so each record is made from the integers of that
   check (:func:`_table_answers`: regret 0, each value the correctly rounded
   ratio of its exact value in the float payoffs, each a rational), without
   the walk to behaviour and a second check in floats, which cost a third to
   a half of the time on tables up to 9x9; profiles are merged only where
   their floats are equal.

Degenerate games (a mixed strategy with more pure best responses than the size
of its support; common in reduced normal forms of trees, where payoffs tie)
have infinitely many equilibria, forming convex sets (components). The method
returns their extreme points only, the same set as Gambit's ``enummixed``
(which, like us, lists each vertex pair; its optional clique output that groups
them into maximal convex sets is not reproduced here); a warning says so.
With ``use_nashpy``, qhull may miss vertices of degenerate polytopes. nashpy's support enumeration is not
used (it misses equilibria, nashpy issue #222), nor Lemke-Howson.
"""

from __future__ import annotations

import math
import time
import warnings as _warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, Number
from policy.solvers import vertex_float
from policy.solvers.enumpure import distinct_sorted
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import VerificationError, as_numbers, verified_equilibrium
from policy.solvers.verify_table import Table, table_of, verified_table_equilibrium
from policy.solvers.vertex import VertexLimitError, VertexTimeError, extreme_equilibria
from policy.solvers.vertex_float import ExactPair, exact_extreme_pairs

#: Exact enumeration stops with an error once it has visited more than this
#: many bases of one polytope (or of one face). The reverse search keeps one
#: dictionary and the vertices found, never the bases met, so this bounds its
#: time (with ``MAX_SECONDS``) more than its memory.
MAX_BASES = 200_000
#: ...or after this many seconds (checked between bases).
MAX_SECONDS = 300.0
#: Float mode: qhull enumerates the vertices only while each player has at
#: most this many strategies (the number of vertices, and qhull's time and
#: memory, grow exponentially with the dimension and have no budget; larger
#: games go to the exact enumeration, which has one: 15x15 takes about a
#: second, 18x18 about 40 s, before the reverse search). Also keeps the label
#: masks within 64 bits.
QHULL_MAX_STRATEGIES = 16
#: Float mode: probabilities from qhull at most this are round-off, set to 0
#: (the profile is verified afterwards either way).
SNAP = tolerances.PROBABILITY

MixedPair = tuple[tuple[Number, ...], tuple[Number, ...]]


def enummixed_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    *,
    max_profiles: int | None = None,
    max_bases: int | None = None,
    max_seconds: float | None = None,
    use_nashpy: bool = False,
    fill: Any = "uniform",
) -> SolveResult:
    """Every extreme Nash equilibrium of a two-player game's reduced normal form.

    Parameters
    ----------
    game
        A two-player game with perfect recall (chance allowed).
    values
        The value of every parameter the game uses.
    exact
        ``Fraction`` arithmetic and our own vertex enumeration if True;
        float64 otherwise.
    all_equilibria
        Accepted for a uniform signature; all extreme equilibria are always returned.
    max_profiles
        Refuse reduced normal forms with more pure profiles than this
        (default: ``normal.MAX_PROFILES``).
    max_bases
        Exact enumeration (and the float fallback) stops with an error once
        it has met more than this many bases of one polytope (default
        :data:`MAX_BASES`); ``--max-bases`` on the command line.
    max_seconds
        ...or after this many seconds (default :data:`MAX_SECONDS`);
        ``--max-seconds`` on the command line.
    use_nashpy
        Float mode only: our float enumeration, each answer made exact (False,
        default; see the module docstring), or nashpy's qhull-based vertex
        enumeration (True), whose answers are only checked in floats.
    fill
        Behaviour at information sets a player's own mixed strategy never
        reaches (see :data:`policy.representations.sequence.Fill`); it does not
        affect payoffs.

    Returns
    -------
    SolveResult
        Method ``"enummixed"``; behaviour profiles sorted (more weight on
        earlier actions first), each verified to have zero Nash regret (exact,
        and float mode on a bimatrix table, whose answers are exact
        equilibria shown in floats) or regret within the float tolerance. ``details``: ``shape``
        (strategies per player), ``mixed`` (per equilibrium, each player's
        mixed strategy as strategy label -> probability, support only),
        ``extreme_points`` (extreme equilibria of the normal form before
        merging equal behaviour), ``degenerate`` (exact mode: whether a vertex
        has surplus labels), ``backend`` (``vertex``: the exact enumeration;
        ``qhull``: the float one, answers made exact; ``bases``: small games
        in float mode, every basis tried in integers; ``nashpy``).

    Raises
    ------
    SolverError
        If the game does not have two players, the normal form or the
        enumeration is too large, or (internal error) an exact equilibrium
        fails verification.
    """
    del all_equilibria  # enumeration always finds all
    if len(game.players) != 2:
        raise SolverError(
            f"enummixed needs a two-player game, but {game.title!r} has {len(game.players)} "
            f"player{'' if len(game.players) == 1 else 's'}; use enumpure (pure equilibria) or logit"
        )
    from policy.representations.normal import MAX_PROFILES, reduced_normal_form

    form = reduced_normal_form(
        game, values, exact=exact, max_profiles=MAX_PROFILES if max_profiles is None else max_profiles
    )
    numbers = game.numbers(values, exact=exact)
    a, b = form.payoffs[0], form.payoffs[1]
    budget = _Budget(
        MAX_BASES if max_bases is None else max_bases,
        MAX_SECONDS if max_seconds is None else max_seconds,
    )
    warnings: list[str] = []
    degenerate: bool | None = None
    table = table_of(game)  # a bimatrix table: each answer checked on its payoff matrices
    if exact:
        result = _exact(a, b, budget)
        pairs: list[MixedPair] = [(x, y) for x, y in result.equilibria]
        degenerate = result.degenerate
        backend = "vertex"
    elif use_nashpy:
        try:
            pairs = _nashpy(a, b)
            backend = "nashpy"
        except Exception as err:  # qhull refuses flat or one-dimensional polytopes
            warnings.append(
                f"nashpy's vertex enumeration failed ({type(err).__name__}); "
                "used the exact enumeration on the float payoffs"
            )
            pairs = _exact_as_float(a, b, budget)
            backend = "vertex"
    else:
        exact_pairs, backend = _float_enumeration(a, b)
        direct = form._direct_positions if table is not None else None
        if exact_pairs is not None and table is not None and direct is not None:
            # A table: each answer's record made from the integers it was checked in.
            return _table_answers(game, values, form, table, direct, *exact_pairs, backend)
        if exact_pairs is None:
            warnings.append(
                "the float vertex enumeration was not used or could not vouch for its answer "
                f"(it runs up to {QHULL_MAX_STRATEGIES} strategies a player; qhull failed, or a "
                "candidate was not an exact equilibrium); used the exact enumeration on the float "
                "payoffs"
            )
            pairs = _exact_as_float(a, b, budget)
            backend = "vertex"
        else:
            pairs = [pair.mixed() for pair in exact_pairs[0]]
    found: list[tuple[Equilibrium, dict[str, dict[str, Number]]]] = []
    dropped = 0
    for x, y in pairs:
        probs = as_numbers(form.behavior_from_mixed([list(x), list(y)], fill=fill), exact)
        mixed = {
            game.players.at(i).label: {
                form.strategies[i][k].label: p for k, p in enumerate(sigma) if p != 0
            }
            for i, sigma in enumerate((x, y))
        }
        try:
            if table is None:
                eq = verified_equilibrium(game, numbers, probs)
            else:
                eq = verified_table_equilibrium(game, numbers, table, probs)
        except VerificationError:
            if exact:
                raise SolverError(
                    f"internal error: the extreme equilibrium {mixed} failed verification in the "
                    "tree; please report this game"
                ) from None
            dropped += 1
            continue
        found.append((eq, mixed))
    if dropped:
        warnings.append(
            f"dropped {dropped} candidate(s) from {backend} that failed verification (float "
            "rounding); solve exactly for a certain answer"
        )
    return _finish(game, values, form, found, exact=exact, merge_equal=exact, warnings=warnings,
                   degenerate=degenerate, backend=backend)


def _finish(
    game: Game,
    values: Mapping[str, Number],
    form: Any,
    found: list[tuple[Equilibrium, dict[str, dict[str, Number]]]],
    *,
    exact: bool,
    merge_equal: bool,
    warnings: list[str],
    degenerate: bool | None,
    backend: str,
) -> SolveResult:
    """The result from the verified answers (each with its mixed strategies): distinct, sorted, explained.

    ``merge_equal``: profiles are merged only when equal (exact answers, or
    exact equilibria shown in floats), else within the float tolerance.
    """
    kept = distinct_sorted(found, merge_equal)
    if degenerate:
        warnings.append(
            "degenerate game: equilibria form convex sets, of which only the extreme points are "
            "listed (as Gambit's enummixed does)"
        )
    if len(kept) < len(found):
        warnings.append(
            f"{len(found)} extreme equilibria of the normal form induce {len(kept)} distinct "
            "behaviour profiles"
        )
    if not kept:
        # Every finite game has an equilibrium (Nash 1951); none left means float trouble.
        message = "no equilibrium survived verification"
        if exact:
            raise SolverError(f"internal error: {message}; please report this game")
        raise SolverError(f"{message} in float mode; solve exactly (--exact)")
    return SolveResult(
        game=game,
        method="enummixed",
        exact=exact,
        parameters=dict(values),
        equilibria=tuple(eq for eq, _ in kept),
        warnings=tuple(warnings),
        details={
            "shape": form.shape,
            "mixed": tuple(mixed for _, mixed in kept),
            "extreme_points": len(found),
            "degenerate": degenerate,
            "backend": backend,
        },
    )


def _table_answers(
    game: Game,
    values: Mapping[str, Number],
    form: Any,
    table: Table,
    direct: tuple[tuple[int, ...], ...],
    pairs: list[ExactPair],
    scales: tuple[int, int],
    backend: str,
) -> SolveResult:
    """The float answer on a bimatrix table, each equilibrium's record made from its exact integers.

    The table is the normal form (each player's strategies are the actions
    of its one information set, the payoffs those of the terminals), so
    every pair was checked exactly on the tree's own payoffs
    (:class:`~policy.solvers.vertex_float.ExactPair`: each strategy a player
    uses a best reply), and its regret is 0. The record holds the
    probabilities in floats (each the correctly rounded ratio of two
    integers), each player's value as the correctly rounded ratio of its
    exact value (in the payoffs as float mode holds them: each float is a
    rational, so a payoff of 1/3 is its nearest float, as in every float
    solve), and the terminals' reach as products of the probabilities
    shown. The same record as the general path makes, built without the
    walk from mixed strategies to behaviour and the check again in floats
    that cost most of the time on small tables.
    """
    names = [game.players.at(i).label for i in range(2)]
    labels = [[s.label for s in own] for own in form.strategies]
    terminals = len(game.terminals)
    row_first = table.row_player == 0
    cell = table.cell.tolist()
    found: list[tuple[Equilibrium, dict[str, dict[str, Number]]]] = []
    for pair in pairs:
        x, y = pair.mixed()
        probs = [0.0] * game.num_actions
        for where, sigma in zip(direct, (x, y), strict=True):
            for k, v in zip(where, sigma, strict=True):
                probs[k] = v
        total = sum(pair.x) * sum(pair.y)
        worth = (
            sum(map(int.__mul__, pair.x, pair.ay)) / (total * scales[0]),
            sum(map(int.__mul__, pair.xb, pair.y)) / (total * scales[1]),
        )
        rows, cols = (x, y) if row_first else (y, x)
        reach = [0.0] * terminals
        for i, p in enumerate(rows):
            for j, position in enumerate(cell[i]):
                reach[position] = p * cols[j]
        eq = Equilibrium(game=game, probabilities=tuple(probs), values=worth, reach=tuple(reach), max_regret=0.0)
        mixed: dict[str, dict[str, Number]] = {
            names[i]: {labels[i][k]: p for k, p in enumerate(sigma) if p != 0} for i, sigma in enumerate((x, y))
        }
        found.append((eq, mixed))
    # Distinct exact equilibria: merged only where their floats coincide.
    return _finish(game, values, form, found, exact=False, merge_equal=True, warnings=[], degenerate=None,
                   backend=backend)


@dataclass(frozen=True)
class _Budget:
    """How far the vertex enumeration may go: bases met per polytope, and seconds."""

    bases: int
    seconds: float


def _exact(a: npt.NDArray[Any], b: npt.NDArray[Any], budget: _Budget) -> Any:
    """Our exact enumeration on ``Fraction`` matrices, within the budget."""
    if budget.bases < 1 or not budget.seconds > 0:
        raise SolverError("enummixed: --max-bases and --max-seconds must be positive")
    deadline = time.monotonic() + budget.seconds if math.isfinite(budget.seconds) else None
    try:
        return extreme_equilibria(a.tolist(), b.tolist(), limit=budget.bases, deadline=deadline)
    except VertexLimitError as err:
        shape = f"{a.shape[0]} x {a.shape[1]}"
        if isinstance(err, VertexTimeError):
            what = f"was not enumerated within {budget.seconds:g} s (max_seconds)"
            flag = "--max-seconds"
        else:
            what = f"has more than {budget.bases} bases to visit (max_bases)"
            flag = "--max-bases"
        raise SolverError(
            f"enummixed: the {shape} normal form {what}; use lcp for one equilibrium or "
            f"enumpure for the pure ones, or raise {flag}"
        ) from None


def _exact_as_float(a: npt.NDArray[Any], b: npt.NDArray[Any], budget: _Budget) -> list[MixedPair]:
    """Exact enumeration on the float payoffs (each float is a rational), rounded back."""
    exact_a = np.array([[Fraction(float(v)) for v in row] for row in a.tolist()], dtype=object)
    exact_b = np.array([[Fraction(float(v)) for v in row] for row in b.tolist()], dtype=object)
    result = _exact(exact_a, exact_b, budget)
    return [
        (tuple(float(v) for v in x), tuple(float(v) for v in y)) for x, y in result.equilibria
    ]


def _float_enumeration(
    a: npt.NDArray[Any], b: npt.NDArray[Any]
) -> tuple[tuple[list[ExactPair], tuple[int, int]] | None, str]:
    """Extreme equilibria by float vertex enumeration, each made exact (None where it cannot vouch), and how.

    :func:`policy.solvers.vertex_float.exact_extreme_pairs`, for games
    where each player has 2 to :data:`QHULL_MAX_STRATEGIES` strategies (None
    otherwise: qhull needs dimension 2, and has no budget). The backend is
    ``bases`` for the small games it enumerates in integers alone
    (:data:`policy.solvers.vertex_float.SMALL_WORK`), ``qhull`` otherwise.
    """
    m, n = a.shape
    if m < 2 or n < 2 or max(m, n) > QHULL_MAX_STRATEGIES:
        return None, "qhull"
    backend = "bases" if vertex_float.small_work(m, n) <= vertex_float.SMALL_WORK else "qhull"
    return exact_extreme_pairs(a, b), backend


def _nashpy(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> list[MixedPair]:
    """nashpy's vertex enumeration, on payoffs shifted to a minimum of 1.

    nashpy shifts only to a minimum of 0, which leaves a polytope unbounded when
    a strategy's payoffs are all the minimum; a shift to 1 keeps both bounded
    and changes no best response.
    """
    import nashpy

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a - a.min() + 1.0
    b = b - b.min() + 1.0
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        found = list(nashpy.Game(a, b).vertex_enumeration())
    return [_clean(x, y) for x, y in found]


def _clean(x: Sequence[float], y: Sequence[float]) -> MixedPair:
    """Mixed strategies with round-off (at most :data:`SNAP`) set to 0 and renormalised."""
    out = []
    for sigma in (x, y):
        v = np.asarray(sigma, dtype=np.float64)
        v = np.where(v <= SNAP, 0.0, v)
        total = float(v.sum())
        if total <= 0:
            raise SolverError("nashpy returned a zero strategy vector")
        out.append(tuple(float(p) for p in v / total))
    return out[0], out[1]
