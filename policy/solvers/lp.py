"""Optimal strategies of two-player constant-sum extensive games by the sequence-form linear program.

Koller, Megiddo and von Stengel (1996), "Efficient computation of equilibria
for extensive two-person games", *Games and Economic Behavior* 14, 247-259,
section 3; von Stengel (1996), "Efficient computation of behavior strategies",
*Games and Economic Behavior* 14, 220-246. In a constant-sum game the
equilibrium strategies are the max-min strategies. With the sequence form
``(A, B, E, e, F, f)`` of :mod:`policy.representations.sequence`, player 1's
realization plan ``x`` guarantees ``min {x^T A y : F y = f, y >= 0}``, which by
linear programming duality is ``max {f^T q : F^T q <= A^T x}``; so

    maximise f^T q  over x, q  subject to  F^T q - A^T x <= 0,  E x = e,  x >= 0

gives an optimal plan ``x`` and the value ``f^T q`` to player 1. Player 2's
plan comes from the same program with the roles swapped (``B^T``, ``F``, ``E``).
Steps:

1. Check the game is constant-sum: every terminal's payoffs add to the same
   number (else :class:`SolverError`, naming two terminals).
2. Solve both programs with HiGHS on sparse matrices (highspy, HiGHS's own
   Python package, whose solver object keeps its state: a program of the same
   shape as one solved before in this thread, as in a sweep, a flip search or a
   map of regions over one game, starts from that program's optimal basis
   instead of from scratch; :class:`_WarmStarts`), and from the optimum found
   a second program picks the optimal face's canonical point (the least of a
   fixed generic cost on the face), so that the answer does not depend on
   where the simplex started. Without highspy,
   ``scipy.optimize.linprog(method="highs")``, always from scratch, HiGHS's own
   optimum), payoffs measured in the power of two nearest the game's
   payoff scale, or for a player whose scale is far below the other's, nearest
   that player's own (:func:`policy.tolerances.payoff_units`; each program
   holds one player's payoffs only): HiGHS's tolerances are
   absolute, and a game whose payoffs are all about 1e-12 would be all ties to it.
   Dividing by a power of two is exact and changes no optimal plan.
3. Recover each solution exactly: the variables HiGHS puts at zero and the
   inequalities it makes tight fix a vertex; that square-or-overdetermined
   linear system is solved again exactly, by integer pivoting (free directions,
   if any, set to the rounded float solution), and checked for feasibility. In
   float mode the same system is solved in float64, which removes the solver's
   tolerance-sized errors (HiGHS works to about 1e-7).
4. Turn the plans into behaviour (uniform at information sets the owner's own
   plan never reaches) and verify the profile with
   :func:`policy.solvers.verify.verified_equilibrium`: Nash regret exactly 0 in
   exact mode, within ``tolerances.REGRET`` times the payoff scale in float
   mode. The two values must add to the constant. Nothing unverified is returned.
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, Number, Numbers
from policy.representations.sequence import Fill, SequenceForm, sequence_form
from policy.solvers.errors import SolverError
from policy.solvers.lcp import require_two_players
from policy.solvers.lemke import SMALL_INTEGER, integer_pivot, integer_rows
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import (
    VerificationError,
    as_numbers,
    payoff_scales,
    verified_equilibrium,
)

FLOAT_TIE_TOLERANCE = tolerances.TIE
#: A float LP variable or slack at most this (times the payoff scale) counts as
#: zero when the active set is read off HiGHS's solution; HiGHS's own
#: feasibility tolerance is 1e-7. Tried in turn until one gives a verified
#: solution. Not in policy.tolerances yet.
ACTIVE_TOLERANCES = (1e-6, 1e-9, 1e-4)
#: The float active system is solved by LSQR to this relative tolerance, in at
#: most this many iterations per unknown.
LSQR_TOLERANCE = 1e-14
LSQR_ITERATIONS = 4
#: ...after the normal equations ``(M M^T + eps I) w = r``, ``eps`` this times
#: the largest entry of ``M M^T``, refined at most this many times.
NORMAL_RIDGE = 1e-12
NORMAL_REFINEMENTS = 5
#: Free directions of the exact system are set to the float solution rounded to
#: fractions with at most this denominator.
ROUNDING_DENOMINATOR = 10**6
#: The optimal bases of this many program shapes are kept per thread (the
#: most recently used; see :class:`_WarmStarts`).
WARM_SHAPES = 16
#: Whether programs start from a kept basis (False: every one from scratch,
#: as linprog does; for comparisons).
WARM_START = True

#: A reduced cost this close to zero counts as zero in the check that an optimum is unique.
UNIQUE_DUAL = 1e-9
#: Whether each program's answer is the canonical point of its optimal face
#: (:meth:`_HighsSolver._canonical_point`), so that a warm start may be kept
#: (False: a warm optimum that may not be unique is solved again from scratch,
#: and the answer is whichever optimum HiGHS reaches from scratch).
CANONICAL = True
#: The seed of the canonical point's cost vector (:func:`canonical_weights`).
CANONICAL_SEED = 20261206

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class _Program:
    """One player's max-min program: ``max f^T q : F^T q - G^T x <= 0, E x = e, x >= 0``.

    ``G`` is the player's payoff matrix (own sequences x opponent's), ``E, e``
    the player's constraints, ``F, f`` the opponent's: float CSR matrices and
    float vectors. ``rational`` holds the same five as dense ``Fraction``
    arrays, made on demand (for the exact recovery only).
    """

    G: Any
    E: Any
    e: Array
    F: Any
    f: Array
    rational_source: Callable[[], tuple[Array, Array, Array, Array, Array]]

    @functools.cached_property
    def rational(self) -> tuple[Array, Array, Array, Array, Array]:
        return self.rational_source()


@dataclass(frozen=True)
class _Solution:
    plan: Array
    value: Number


def lp_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    fill: Fill = "uniform",
) -> SolveResult:
    """Solve a two-player constant-sum game by the sequence-form linear program.

    Parameters
    ----------
    game
        A 2-player game with perfect recall whose terminal payoffs add up to
        the same constant everywhere (zero-sum, for instance).
    values
        The value of every parameter the game uses.
    exact
        Recover and verify an exact rational solution if True; float64 otherwise.
    all_equilibria
        Not supported: one pair of optimal strategies is returned (with a
        warning), since the optimal strategies form a polytope; every pair in it
        has the same value.
    fill
        Behaviour at information sets the owner's own plan never reaches:
        ``"uniform"`` (default), ``"first"``, or a function of the infoset.

    Returns
    -------
    SolveResult
        Method ``"lp"``; one verified equilibrium; ``details["value"]`` is the
        value of the game to player 1 (exact ``Fraction`` when ``exact``).

    Raises
    ------
    SolverError
        If the game is not 2-player constant-sum, the program fails, or no
        solution passes verification (exact recovery failing included).
    """
    require_two_players(game, "lp")
    numbers = game.numbers(values, exact=exact)
    total = _constant_sum(game, numbers)
    form = sequence_form(game, values, exact=exact)
    units = tolerances.payoff_units(payoff_scales(numbers))
    programs = _programs(form, units)
    floats = [_solve_float(program, player) for player, program in enumerate(programs)]
    warnings = []
    try:
        eq, lp_value = _recover(game, numbers, form, programs, floats, total, fill, units)
    except SolverError as err:
        if not exact:
            raise
        # HiGHS works in floats: within about 1e-9 of a degenerate game its
        # basis may not be the exact one. Lemke's algorithm in integer
        # pivoting finds an equilibrium, and in a constant-sum game every
        # equilibrium is a pair of optimal strategies.
        from policy.solvers.lcp import lcp_solve

        eq = lcp_solve(game, values, exact=True, fill=fill).equilibria[0]
        lp_value = eq.values[0]
        warnings.append(f"{err}; solved instead by lcp in exact arithmetic (an equilibrium of a "
                        "constant-sum game is a pair of optimal strategies)")
    if all_equilibria:
        warnings.append(
            "lp returns one pair of optimal strategies; every optimal pair has the same value "
            "(enummixed lists the extreme equilibria of small games)"
        )
    return SolveResult(
        game=game,
        method="lp",
        exact=exact,
        parameters=dict(values),
        equilibria=(eq,),
        warnings=tuple(warnings),
        details={
            "value": eq.values[0],
            "lp_value": lp_value,
            "constant": total if exact else float(total),
        },
    )


def off_constant_sum(numbers: Numbers) -> list[int]:
    """Terminals (by position) whose two payoffs add up to another sum than the first terminal's.

    Exact sums are compared exactly; float sums at the scale of the payoffs
    added (:mod:`policy.tolerances`). Empty for a constant-sum game.
    """
    pay = numbers.leaf_payoff
    if not pay.shape[0]:
        return []
    sums = pay[:, 0] + pay[:, 1]
    first = sums[0]
    if numbers.exact:
        return [k for k, s in enumerate(sums.tolist()) if s != first]
    size = tolerances.magnitude(pay).sum(axis=1)
    tol = tolerances.tolerance(FLOAT_TIE_TOLERANCE, np.maximum(size, size[0]))
    return np.flatnonzero(np.abs(sums - first) > tol).tolist()


def _constant_sum(game: Game, numbers: Numbers) -> Number:
    """The constant the payoffs of every terminal add up to, or :class:`SolverError`."""
    pay = numbers.leaf_payoff
    if not pay.shape[0]:
        raise SolverError(f"{game.title!r} has no terminal nodes")
    sums = pay[:, 0] + pay[:, 1]
    first = sums[0]
    off = off_constant_sum(numbers)
    if off:
        names = game.node_names
        t0, t1 = int(game.terminals[0]), int(game.terminals[off[0]])
        raise SolverError(
            f"lp needs a constant-sum game, but the payoffs add up to {_show(first)} at terminal "
            f"{names[t0]!r} and to {_show(sums[off[0]])} at {names[t1]!r}; "
            "use lcp for general 2-player games"
        )
    return first


def _show(x: Any) -> str:
    if isinstance(x, Fraction):
        return str(x)
    return f"{float(x):.6g}"


def _programs(form: SequenceForm, units: Sequence[float]) -> tuple[_Program, _Program]:
    """Both players' programs, each player's payoffs divided by that player's unit (a power of two)."""
    A, B, E, F = form.A_csr() / units[0], form.B_csr() / units[1], form.E_csr(), form.F_csr()
    e = np.asarray(form.e, dtype=np.float64)
    f = np.asarray(form.f, dtype=np.float64)

    def exact_arrays(player: int) -> tuple[Array, Array, Array, Array, Array]:
        if form.exact:
            A_, B_ = form.A_dense() / Fraction(units[0]), form.B_dense() / Fraction(units[1])
            E_, F_ = form.E_dense(), form.F_dense()
            e_, f_ = np.asarray(form.e), np.asarray(form.f)
        else:  # float data taken at face value (every float is a fraction)
            A_, B_, E_, F_ = (_fractions(m.toarray()) for m in (A, B, E, F))
            e_, f_ = _fractions(e), _fractions(f)
        return (A_, E_, e_, F_, f_) if player == 0 else (B_.T, F_, f_, E_, e_)

    return (
        _Program(G=A, E=E, e=e, F=F, f=f, rational_source=lambda: exact_arrays(0)),
        _Program(G=B.T.tocsr(), E=F, e=f, F=E, f=e, rational_source=lambda: exact_arrays(1)),
    )


# -------------------------------------------------------------------------------------
# Float solution by HiGHS
# -------------------------------------------------------------------------------------
def _solve_float(program: _Program, player: int) -> Array:
    """HiGHS's solution ``(x, q)`` of one program, as one float vector."""
    from scipy.optimize import linprog

    G, E, F = program.G, program.E, program.F
    n, m = G.shape[0], F.shape[0]
    c = np.concatenate([np.zeros(n), -program.f])
    warm = _WARM.solver()
    if warm is not None:
        return warm.solve(player, c, program)
    a_ub, a_eq = _constraints(G, E, F)
    bounds = [(0.0, None)] * n + [(None, None)] * m
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=np.zeros(a_ub.shape[0]),
        A_eq=a_eq,
        b_eq=program.e,
        bounds=bounds,
        method="highs",
    )
    if res.status != 0 or res.x is None:
        raise SolverError(
            f"the linear program of player {player + 1} failed in HiGHS: {res.message}"
        )
    return np.asarray(res.x, dtype=np.float64)


def _constraints(G: Any, E: Any, F: Any) -> tuple[Any, Any]:
    """The program's constraint matrices: ``[-G^T, F^T] z <= 0`` and ``[E, 0] z = e``."""
    from scipy import sparse

    a_ub = sparse.hstack([-G.T, F.T], format="csr")
    a_eq = sparse.hstack([E, sparse.csr_matrix((E.shape[0], F.shape[0]))], format="csr")
    return a_ub, a_eq


@dataclass(frozen=True)
class _Shape:
    """A program's constraint matrix ``[[-G^T, F^T], [E, 0]]`` by columns, less its values.

    ``gather`` takes the values from ``(-G.data, E.data, F.data)`` joined, in
    the matrix's order; ``upper`` is the number of inequality rows.
    """

    indptr: Array
    indices: Array
    gather: Array
    upper: int


class _HighsSolver:
    """One HiGHS solver object, and the last :data:`WARM_SHAPES` program shapes with their optimal bases.

    A program's shape is its player, its size and the positions of its
    nonzeros; the programs of one game at different parameter values share
    it (only the payoffs change), and any basis of a program is a valid
    starting point for another of the same shape: HiGHS's simplex then
    needs only the pivots between the two optima, usually few when the
    payoffs moved little. The optimum found is
    an optimum of the program either way, recovered and verified the same
    way. Which optimum, where there are several (the optimal strategies of
    a zero-sum game form a polytope, as in Kuhn's poker), would depend on the
    starting basis; so the answer is the optimal face's canonical point
    (:meth:`_canonical_point`), the same from any start. Where that cannot be
    vouched for (its own optimum may not be unique), the program is solved
    again from scratch and HiGHS's optimum taken, so the answer never depends
    on the programs solved before it.
    """

    def __init__(self, highspy: Any) -> None:
        self.highspy = highspy
        # highspy.Highs enables its callbacks on construction, which logs HiGHS's
        # banner to stdout before any option can be set; its base class (the
        # solver proper) logs nothing once output_flag is off.
        cls = next((k for k in highspy.Highs.__mro__ if k.__name__ == "_Highs"), highspy.Highs)
        self.highs = cls()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)  # no worker threads: safe across fork()
        self.shapes: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()
        self.bases: dict[tuple[Any, ...], Any] = {}
        self.face_bases: dict[tuple[Any, ...], Any] = {}  # the canonical points' (second programs')
        self.warm_runs = 0
        self.fallbacks = 0
        self.iterations = 0  # HiGHS's simplex iterations, every run counted (for benchmarks)

    def shape(self, player: int, G: Any, E: Any, F: Any) -> tuple[tuple[Any, ...], _Shape]:
        """The program's shape and its key (player, sizes, nonzero positions), kept as the most recent."""
        key = (player, G.shape, E.shape, F.shape,
               *(hash(a.tobytes()) for M in (G, E, F) for a in (M.indptr, M.indices)))
        found = self.shapes.get(key)
        if found is None:
            # The matrix built once with each stored entry's number as its value
            # (1, 2, ...; negated for G): the order they land in is the gather.
            sizes = np.cumsum([0, G.nnz, E.nnz, F.nnz])
            number = [M.copy() for M in (G, E, F)]
            for k, M in enumerate(number):
                M.data = np.arange(sizes[k] + 1, sizes[k + 1] + 1, dtype=np.float64)
            a_ub, a_eq = _constraints(*number)
            from scipy import sparse

            matrix = sparse.vstack([a_ub, a_eq], format="csc")
            matrix.sort_indices()
            gather = np.abs(matrix.data).astype(np.intp) - 1
            found = _Shape(matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32), gather, a_ub.shape[0])
            self.shapes[key] = found
            while len(self.shapes) > WARM_SHAPES:
                gone = self.shapes.popitem(last=False)[0]
                self.bases.pop(gone, None)
                self.face_bases.pop(gone, None)
        self.shapes.move_to_end(key)
        return key, found

    def solve(self, player: int, c: Array, program: _Program) -> Array:
        """The program ``min c z : [-G^T, F^T] z <= 0, [E, 0] z = e, z[:n] >= 0`` (the rest free),
        from the kept basis of its shape if any."""
        hp = self.highspy
        G, E, F = (_canonical(M) for M in (program.G, program.E, program.F))
        key, shape = self.shape(player, G, E, F)
        n = G.shape[0]
        cols, rows = n + F.shape[0], shape.upper + E.shape[0]
        inf = hp.kHighsInf
        lp = hp.HighsLp()
        lp.num_col_, lp.num_row_ = cols, rows
        lp.col_cost_ = c
        lp.col_lower_ = np.concatenate([np.zeros(n), np.full(cols - n, -inf)])
        lp.col_upper_ = np.full(cols, inf)
        lp.row_lower_ = np.concatenate([np.full(shape.upper, -inf), program.e])
        lp.row_upper_ = np.concatenate([np.zeros(shape.upper), program.e])
        lp.a_matrix_.format_ = hp.MatrixFormat.kColwise
        lp.a_matrix_.start_ = shape.indptr
        lp.a_matrix_.index_ = shape.indices
        lp.a_matrix_.value_ = np.concatenate([-G.data, E.data, F.data])[shape.gather]
        highs = self.highs
        if highs.passModel(lp) == hp.HighsStatus.kError:
            raise SolverError(f"the linear program of player {player + 1} was refused by HiGHS")
        basis = self.bases.get(key) if WARM_START else None
        warm = basis is not None and highs.setBasis(basis) == hp.HighsStatus.kOk
        highs.run()
        self.iterations += highs.getInfo().simplex_iteration_count
        status = highs.getModelStatus()
        if warm and status != hp.HighsModelStatus.kOptimal:
            highs.clearSolver()  # the kept basis did not help: from scratch
            warm = False
            highs.run()
            self.iterations += highs.getInfo().simplex_iteration_count
            status = highs.getModelStatus()
        if status != hp.HighsModelStatus.kOptimal:
            self.bases.pop(key, None)
            raise SolverError(
                f"the linear program of player {player + 1} failed in HiGHS: {highs.modelStatusToString(status)}"
            )
        kept = highs.getBasis()
        if kept.valid:
            self.bases[key] = kept
        if CANONICAL:
            point = self._canonical_point(highs, c, key)
            if point is not None:
                self.warm_runs += warm
                return point
        elif not warm or self._unique(highs):
            self.warm_runs += warm
            return np.array(highs.getSolution().col_value, dtype=np.float64)
        # The optimum reached may be one of several and no canonical one was
        # found: from scratch, so that the answer never depends on which program
        # was solved before (a sweep's point and a solve agree).
        if highs.passModel(lp) == hp.HighsStatus.kError:
            raise SolverError(f"the linear program of player {player + 1} was refused by HiGHS")
        highs.clearSolver()
        highs.run()
        self.iterations += highs.getInfo().simplex_iteration_count
        status = highs.getModelStatus()
        if status != hp.HighsModelStatus.kOptimal:
            raise SolverError(
                f"the linear program of player {player + 1} failed in HiGHS: {highs.modelStatusToString(status)}"
            )
        self.fallbacks += 1
        return np.array(highs.getSolution().col_value, dtype=np.float64)

    def _canonical_point(self, highs: Any, c: Array, key: tuple[Any, ...]) -> Array | None:
        """The optimal face's point of least ``w . z`` (:func:`canonical_weights`), if it is the only one.

        ``highs`` holds the program at an optimum, of value ``v``. The row
        ``c . z <= v`` is added (the optimal face; not widened: a wider slab
        has vertices off the face, on edges leaving it, whose regret the
        verification sees, while HiGHS's own feasibility tolerance, 1e-7,
        absorbs the round-off in ``v``) and the cost changed to ``w``; the
        simplex goes on from the optimum it has, or from the last canonical
        point's basis of the same shape where one is kept (in a sweep the
        canonical point moves little). For
        generic ``w`` the face has a single point of least ``w . z``, a vertex
        of the face and so of the program, whatever optimum the first run
        reached: the answer no longer depends on the basis a warm start came
        from. None if that second program fails or its optimum may not be the
        only one (:meth:`_unique`).
        """
        hp = self.highspy
        value = float(highs.getInfo().objective_function_value)
        cols = len(c)
        where = np.flatnonzero(c).astype(np.int32)
        highs.addRow(-hp.kHighsInf, value, len(where), where, c[where].astype(np.float64))
        highs.changeColsCost(cols, np.arange(cols, dtype=np.int32), canonical_weights(cols))
        basis = self.face_bases.get(key) if WARM_START else None
        if basis is not None and highs.setBasis(basis) != hp.HighsStatus.kOk:
            basis = None
        highs.run()
        self.iterations += highs.getInfo().simplex_iteration_count
        if basis is not None and highs.getModelStatus() != hp.HighsModelStatus.kOptimal:
            highs.clearSolver()  # the kept basis did not help: from scratch
            highs.run()
            self.iterations += highs.getInfo().simplex_iteration_count
        if highs.getModelStatus() != hp.HighsModelStatus.kOptimal or not self._unique(highs):
            self.face_bases.pop(key, None)
            return None
        kept = highs.getBasis()
        if kept.valid:
            self.face_bases[key] = kept
        return np.array(highs.getSolution().col_value, dtype=np.float64)


    def _unique(self, highs: Any) -> bool:
        """Whether the optimum found is the program's only one: no non-basic column or row
        has a reduced cost of (about) zero, so no edge of the feasible set keeps the cost
        (the dual is not degenerate). Then a warm start and a cold one end at the same point."""
        basic = self.highspy.HighsBasisStatus.kBasic
        basis, solution = highs.getBasis(), highs.getSolution()
        for statuses, duals in ((basis.col_status, solution.col_dual), (basis.row_status, solution.row_dual)):
            small = np.flatnonzero(np.abs(np.asarray(duals, dtype=np.float64)) <= UNIQUE_DUAL)
            if any(statuses[k] != basic for k in small.tolist()):
                return False
        return True


@functools.lru_cache(maxsize=64)
def canonical_weights(cols: int) -> Array:
    """The cost ``w`` whose least value picks the canonical point of an optimal face.

    Fixed pseudo-random numbers in ``[1, 2)`` (seeded by
    :data:`CANONICAL_SEED`; the same for every program of ``cols`` columns),
    generic, so that the least ``w . z`` over a face is almost surely reached at
    one vertex. Positive on ``x`` (``x >= 0``, bounded by ``E x = e``) and on
    ``q``: each ``q`` is bounded below on the optimal face, through the
    constraint of the sequence leading to its information set, by the root's
    value. Read-only (cached).
    """
    out = np.random.default_rng(CANONICAL_SEED).uniform(1.0, 2.0, cols)
    out.flags.writeable = False
    return out


def _canonical(matrix: Any) -> Any:
    """A CSR matrix with sorted indices and no duplicate entries (the matrix itself if it has them)."""
    if matrix.has_canonical_format:
        return matrix
    out = matrix.copy()
    out.sum_duplicates()
    return out


class _WarmStarts(threading.local):
    """Each thread's :class:`_HighsSolver` (a HiGHS object is not to be shared between threads).

    Made on first use, again in a child process after ``fork()`` (the
    parent's object is left alone there). None when highspy does not import:
    the caller then uses ``scipy.optimize.linprog``.
    """

    def __init__(self) -> None:
        self.pid = -1
        self.current: _HighsSolver | None = None

    def solver(self) -> _HighsSolver | None:
        if self.pid != os.getpid():
            self.pid = os.getpid()
            try:
                import highspy
            except ImportError:
                self.current = None
            else:
                self.current = _HighsSolver(highspy)
        return self.current


_WARM = _WarmStarts()


# -------------------------------------------------------------------------------------
# Recovery and verification
# -------------------------------------------------------------------------------------
def _recover(
    game: Game,
    numbers: Numbers,
    form: SequenceForm,
    programs: tuple[_Program, _Program],
    floats: list[Array],
    total: Number,
    fill: Fill,
    units: Sequence[float],
) -> tuple[Equilibrium, Number]:
    """Re-solve each program's active system, verify, and return the equilibrium and LP value.

    The programs measure each player's payoffs in ``units[player]``; the value
    returned is in the game's own.
    """
    exact = numbers.exact
    attempts: list[tuple[str, bool]] = [("exact", True)] if exact else [("polished", False), ("exact", True)]
    reasons: list[str] = []
    for (how, rational), tolerance in itertools.product(attempts, ACTIVE_TOLERANCES):
        solutions = []
        for player, (program, vector) in enumerate(zip(programs, floats, strict=True)):
            got = _active_solution(program, vector, rational, tolerance)
            if got is None:
                reasons.append(
                    f"{how}, zero below {tolerance:g}: the active system of player {player + 1} "
                    "has no feasible solution"
                )
                break
            solutions.append(got)
        if len(solutions) < 2:
            continue
        x, y = solutions[0].plan, solutions[1].plan
        if not exact and rational:
            x = np.array([float(v) for v in x])
            y = np.array([float(v) for v in y])
        v1, v2 = (s.value * (Fraction(u) if rational else u) for s, u in zip(solutions, units, strict=True))
        if exact and v1 + v2 != total:
            reasons.append(f"{how}, zero below {tolerance:g}: values {v1} and {v2} do not add up to {total}")
            continue
        probs = as_numbers(form.behavior_from_realization(list(x), list(y), fill), exact)
        try:
            eq = verified_equilibrium(game, numbers, probs)
        except VerificationError as err:
            reasons.append(f"{how}, zero below {tolerance:g}: Nash regret {err.regret}")
            continue
        return eq, (v1 if exact else float(v1))
    raise SolverError(
        "lp could not recover a verified solution from HiGHS's answer ("
        + "; ".join(reasons)
        + ")"
        + ("" if exact else "; try exact arithmetic")
    )


def _active_solution(
    program: _Program, vector: Array, rational: bool, tolerance: float
) -> _Solution | None:
    """Solve ``E x = e`` and the tight rows of ``F^T q = G^T x`` with the zero ``x`` fixed at 0.

    The active set is read off the float ``vector = (x, q)``: entries of ``x``
    and slacks at most ``tolerance`` (times the payoff scale for slacks) count
    as zero. Returns ``None`` if the system is inconsistent or its solution
    infeasible.
    """
    from scipy import sparse

    G, E, F = program.G, program.E, program.F
    n, m = G.shape[0], F.shape[0]
    x_f, q_f = vector[:n], vector[n:]
    scale = 1.0  # payoffs are measured in the game's payoff unit (see _programs)
    slack = G.T @ x_f - F.T @ q_f  # >= 0 when feasible
    support = np.flatnonzero(x_f > tolerance)
    tight = np.flatnonzero(slack <= tolerance * scale)
    # Unknowns: x on the support, then q. Rows: E x = e, then the tight constraints.
    k = len(support)
    if rational:
        Gr, Er, er, Fr, fr = program.rational
        zero = Fraction(0)
        rows = np.full((Er.shape[0] + len(tight), k + m), zero, dtype=object)
        rows[: Er.shape[0], :k] = Er[:, support]
        rows[Er.shape[0] :, :k] = -Gr[support][:, tight].T
        rows[Er.shape[0] :, k:] = Fr[:, tight].T
        rhs = [*er.tolist(), *([zero] * len(tight))]
        hint = [*x_f[support].tolist(), *q_f.tolist()]
        sol = _solve_rational(rows.tolist(), rhs, hint)
        if sol is None:
            return None
        x = np.full(n, zero, dtype=object)
        x[support] = sol[:k]
        q = np.array(sol[k:], dtype=object)
        full_slack = Gr.T.dot(x) - Fr.T.dot(q)
        if any(v < 0 for v in x) or any(v < 0 for v in full_slack):
            return None
        return _Solution(x, fr.dot(q))
    matrix = sparse.vstack(
        [
            sparse.hstack([E[:, support], sparse.csr_matrix((E.shape[0], m))]),
            sparse.hstack([-G[support][:, tight].T, F[:, tight].T]),
        ],
        format="csr",
    )
    rhs_f = np.concatenate([program.e, np.zeros(len(tight))])
    guess = np.concatenate([x_f[support], q_f])
    # The active system's least-norm solution, from the system alone: where
    # the active set fixes the point (full column rank, as at the canonical
    # vertex) it is that point, computed from the same numbers however HiGHS
    # reached it, so that the float answer does not depend on the path.
    # Otherwise (free directions: the least-norm solution is another point)
    # the least-change correction of the float solution onto the system.
    # Both sparse throughout: M^T w with M M^T w = r (the least-norm solution
    # when the rows are independent), by sparse LU; LSQR from zero (which
    # converges to the least-norm solution of a consistent system; Paige and
    # Saunders 1982) when M M^T is singular.
    solution = _least_norm(matrix, rhs_f)
    if not np.abs(solution - guess).max(initial=0.0) <= tolerance * max(1.0, float(np.abs(guess).max(initial=0.0))):
        solution = guess + _least_norm(matrix, rhs_f - matrix @ guess)
    if np.abs(matrix @ solution - rhs_f).max(initial=0.0) > tolerance * scale:
        return None
    x_out = np.zeros(n)
    x_out[support] = np.maximum(solution[:k], 0.0)
    return _Solution(x_out, float(program.f @ solution[k:]))


def _least_norm(matrix: Any, residual: Array) -> Array:
    """The least-norm ``d`` with ``matrix d = residual`` (sparse ``matrix``), near enough.

    ``d = M^T w`` with ``(M M^T + eps I) w = r``, by sparse LU, refined a few
    times on what is left of ``r`` (the small ``eps`` keeps ``M M^T``
    invertible when tight constraints repeat one another, as at a degenerate
    vertex); LSQR (Paige and Saunders 1982) if that leaves a residual.
    """
    from scipy import sparse
    from scipy.sparse.linalg import lsqr, splu

    rows = matrix.shape[0]
    delta = np.zeros(matrix.shape[1])
    if not rows:
        return delta
    goal = LSQR_TOLERANCE * max(1.0, float(np.abs(residual).max(initial=0.0)))
    normal = (matrix @ matrix.T).tocsc()
    size = float(abs(normal).max()) if normal.nnz else 1.0
    try:
        lu = splu((normal + sparse.identity(rows, format="csc") * (NORMAL_RIDGE * size)).tocsc())
    except RuntimeError:
        lu = None
    if lu is not None:
        left = residual
        for _ in range(NORMAL_REFINEMENTS):
            delta = delta + matrix.T @ lu.solve(left)
            left = residual - matrix @ delta
            if not np.isfinite(left).all():
                break
            if np.abs(left).max(initial=0.0) <= goal:
                return np.asarray(delta)
    return np.asarray(lsqr(matrix, residual, atol=LSQR_TOLERANCE, btol=LSQR_TOLERANCE,
                           iter_lim=LSQR_ITERATIONS * (matrix.shape[1] + 1))[0])


def _fractions(a: Array) -> Array:
    """An array of ``Fraction`` (float entries converted exactly)."""
    if a.dtype == object:
        return a
    return np.array(
        [Fraction(v) for v in a.ravel().tolist()], dtype=object
    ).reshape(a.shape)


def _solve_rational(
    rows: list[list[Any]], rhs: Sequence[Fraction], hint: Sequence[float]
) -> list[Fraction] | None:
    """A solution of ``rows z = rhs`` in exact arithmetic, or ``None`` if inconsistent.

    Gauss-Jordan elimination by integer pivoting (:func:`policy.solvers.lemke.integer_pivot`)
    on the system scaled to integers; variables without a pivot (free
    directions) take the value of ``hint`` rounded to a fraction with a bounded
    denominator.
    """
    width = len(hint)
    if not rows:
        return [Fraction(v).limit_denominator(ROUNDING_DENOMINATOR) for v in hint]
    augmented = [[*row, b] for row, b in zip(rows, rhs, strict=True)]
    T, biggest = integer_rows(augmented, width + 1)
    if biggest < SMALL_INTEGER:
        T = T.astype(np.int64)
    det = 1
    pivot_rows: list[tuple[int, int]] = []  # (row, column)
    free = [True] * len(augmented)
    for col in range(width):
        candidates = [i for i in range(T.shape[0]) if free[i] and T[i, col] != 0]
        if not candidates:
            continue
        r = candidates[0]
        T, det = integer_pivot(T, r, col, det)
        free[r] = False
        pivot_rows.append((r, col))
    if any(free[i] and T[i, width] != 0 for i in range(T.shape[0])):
        return None  # a row reduced to 0 = non-zero
    pivot_cols = {col for _, col in pivot_rows}
    z = [Fraction(0)] * width
    for col in range(width):
        if col not in pivot_cols:
            z[col] = Fraction(hint[col]).limit_denominator(ROUNDING_DENOMINATOR)
    others = [col for col in range(width) if col not in pivot_cols and z[col] != 0]
    for r, col in pivot_rows:
        total = int(T[r, width]) - sum((int(T[r, j]) * z[j] for j in others), start=Fraction(0))
        z[col] = total / det
    return z
