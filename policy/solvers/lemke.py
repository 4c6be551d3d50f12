"""Lemke's complementary pivoting algorithm for a linear complementarity problem.

The problem (LCP): given an ``n x n`` matrix ``M`` and a vector ``q``, find
``z >= 0`` with ``w = q + M z >= 0`` and ``w . z = 0``. Lemke (1965) adds an
artificial variable ``z0`` with a positive covering vector ``d``,

    w = q + M z + d z0,

and follows a path of almost-complementary basic solutions (Cottle, Pang and
Stone, *The Linear Complementarity Problem*, 1992, section 4.4; von Stengel,
"Computing equilibria for two-person games", *Handbook of Game Theory* 3, 2002,
sections 3.6 and 4):

1. If ``q >= 0``, ``z = 0`` solves the problem.
2. Otherwise ``z0`` enters at the smallest value that makes ``w >= 0``; the
   ``w`` of the row that limits it leaves.
3. The complement of the variable that just left enters (``z_i`` for ``w_i``
   and back); the minimum-ratio test picks the variable that leaves.
4. When ``z0`` leaves, the basis is complementary: a solution. When no
   variable limits the entering one, the path ends on a ray and the method
   fails (this cannot happen for the game LCPs built in :mod:`policy.solvers.lcp`).

Ties in the ratio test are broken by the lexicographic rule (compare the rows
of the current basis inverse, scaled like the ratio, in turn), the usual
perturbation argument that rules out cycling on degenerate problems (von
Stengel 2002, on degenerate games and the lexicographic method; Cottle, Pang
and Stone 1992, chapter 4, on degeneracy); a tie with ``z0``'s row lets ``z0`` leave, which
ends the path at once. The sequence-form LCPs of :mod:`policy.solvers.lcp`
need it at nearly every step: each constraint ``E x = e`` is written as two
inequalities, both tight at every realization plan.

Two arithmetics:

* float: the Gauss-Jordan tableau in float64. Degenerate ties are decided by
  entries of the basis inverse that are often exactly 0, and come back from
  floating point as rounding noise; noise divided by a small pivot-column
  entry could pass for a real difference and send the path off into cycles
  among degenerate bases. So entries within :data:`FLOAT_ZERO` of 0, relative
  to the largest entry of their row, count as 0 in the ratio test, ratios
  within :data:`FLOAT_RATIO_TIE` of each other (relative) tie, the tableau is
  computed afresh from the data every :data:`FLOAT_REFACTOR` pivots (a failed
  run is tried again with :data:`FLOAT_REFACTOR_CAREFUL`), and a
  basis met twice (which the exact rule never does) stops the run at once
  with a :class:`SolverError` rather than at the pivot bound. At the end the
  values of the final basis are solved again from the original data, for
  accuracy. Since the ties are decided on the floats' last bits, the work is
  cut only in ways that leave every bit as it was (exact zeros not
  subtracted, the same operations in the same order, no BLAS sums; the one
  BLAS call, a matrix product with an inner dimension of 1, makes single
  rounded products and sums nothing): a faster
  version must follow the very same path (``tests/test_lemke.py`` records
  some, and checks the refactorization against a plain computation bit for
  bit). Only the nonbasic columns and the right-hand side are stored (the
  basic ones are unit vectors; the basis inverse's rows are put together
  from the stored columns when the lexicographic rule needs them), which
  halves the work per pivot and per refactorization without changing a bit.
* exact: first the float path is followed, and its final complementary basis
  solved in rationals (:func:`_crossover`): one linear system of the size of
  the support, checked exactly (``z >= 0``, ``w >= 0``). The float path
  makes the exact path's lexicographic decisions, so this normally gives the
  very solution integer pivoting would, hundreds of times faster on games
  with rational chance probabilities. If the float path fails or its basis
  does not check, the tableau is pivoted in integers from the start
  (*integer pivoting*: Edmonds 1967; Bareiss 1968; von Stengel 2002, section
  3.6): every entry is the basis determinant ``D`` times the entry of the
  reduced tableau; pivoting on ``(r, s)`` keeps row ``r`` and replaces every
  other row ``i`` by ``(T_i T_rs - T_is T_r) / D``, a division that is always
  exact. Rational input is scaled row by row to integers first (scaling
  ``w_i`` by a positive number changes nothing). While the entries are small
  the tableau is an int64 array (no product can overflow); once an entry
  reaches 2**31 it moves to Python integers.

A bound on pivots makes the method stop with a :class:`SolverError` instead of
running on.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import ne
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.solvers.errors import SolverError

#: A float pivot entry must exceed this times the largest entry of its column
#: (tableau noise below it is treated as 0). Not in policy.tolerances yet.
FLOAT_PIVOT = 1e-11
#: Two float ratios within this (relative to their size) tie in the ratio test
#: and go to the lexicographic rule. Not in policy.tolerances yet.
FLOAT_RATIO_TIE = 1e-10
#: An entry of the float tableau at most this times the largest entry of its row
#: is rounding noise and counts as 0 in the ratio test (the entries are sums of
#: products of the row's basis-inverse entries with the data, so their noise
#: scales with the row).
FLOAT_ZERO = 1e-10
#: Every this many pivots the float tableau is computed afresh from the
#: original data and the basis (one LU solve), so that rounding from the
#: rank-one updates does not pile up along a long path; a run that fails is
#: tried once more with the shorter period :data:`FLOAT_REFACTOR_CAREFUL`
#: (slower, closer to the exact path on long degenerate paths).
FLOAT_REFACTOR = 100
FLOAT_REFACTOR_CAREFUL = 10
#: A ratio-test decision that used an entry within this factor above the
#: noise level (:data:`FLOAT_ZERO`) is made again on a tableau computed afresh.
FLOAT_DOUBT = 1e4

#: The float basis is solved again from the original data at the end; the
#: result is kept when it agrees with the tableau's within this.
FLOAT_REFINE = 1e-6
#: Integer pivoting runs on int64 arrays (fast) while every tableau entry is
#: below this in size, so that ``T_ij T_rs - T_is T_rj`` cannot overflow; on
#: Python integers (exact at any size) after that.
SMALL_INTEGER = 2**31
#: Maximum and minimum of an array (or along an axis) without the Python
#: layer of ``ndarray.max``; the float path calls them tens of thousands of times.
_MAX = np.maximum.reduce
_MIN = np.minimum.reduce
#: The sign bit of a float64 (see :func:`_least_by_bytes`).
_SIGN_BIT = np.uint64(1 << 63)
#: Blocks of the lexicographic rule with more entries than this compare
#: their rows as byte strings, smaller ones as Python lists (the array path).
SMALL_BLOCK = 256
#: LCPs of at most this size follow the float path of :func:`_lemke_small`
#: (every row updated at each pivot, the ratio tests decided in Python) and
#: solve the final basis on sparse rows in Python (:func:`_basis_values`).
#: Larger LCPs take the array code throughout, where numpy's cost per call
#: matters less. The two take the same path, bit for bit.
SMALL_LCP = 100
#: In :func:`_lemke_small`, a tie whose rows have more basis-inverse entries
#: that are not 0 than this is decided in numpy (as in the array path), a
#: smaller one in Python on those entries.
SMALL_TIE_ENTRIES = 64

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class LemkeResult:
    """A solution of an LCP found by Lemke's method.

    ``z`` solves ``w = q + M z >= 0, z >= 0, w . z = 0`` (``Fraction`` entries
    in exact mode, float64 otherwise); ``pivots`` counts the pivoting steps;
    ``basis`` lists the basic variables at the end (``i`` for ``w_i``,
    ``n + i`` for ``z_i``); ``lexicographic`` counts the ratio tests that
    tied and were decided by the lexicographic rule (0 on a nondegenerate path);
    ``float_path`` says that an exact solution was found by following the path
    in floats and solving only its final basis in rationals (see
    :func:`lemke`).
    """

    z: Array
    pivots: int
    basis: tuple[int, ...]
    lexicographic: int = 0
    float_path: bool = False


def default_max_pivots(n: int) -> int:
    """The default bound on pivots for an LCP of size ``n``.

    Lemke's method takes a number of pivots of the order of ``n`` on typical
    game LCPs; the bound leaves a wide margin and only stops runaway paths.
    """
    return 1000 + 100 * n


def lemke(
    M: npt.ArrayLike | Sequence[Sequence[Any]],
    q: npt.ArrayLike | Sequence[Any],
    d: npt.ArrayLike | Sequence[Any] | None = None,
    *,
    exact: bool = True,
    max_pivots: int | None = None,
) -> LemkeResult:
    """Solve the LCP ``w = q + M z >= 0, z >= 0, w . z = 0`` by Lemke's method.

    Parameters
    ----------
    M, q
        The problem: a square matrix and a vector of integers or ``Fraction``
        objects (exact) or of floats.
    d
        The covering vector, every entry positive; all ones by default.
        Different covering vectors may lead to different solutions.
    exact
        Rational data and an exact solution if True (the float path, its
        final basis solved in rationals, else integer pivoting; see the
        module docstring), float64 otherwise.
    max_pivots
        Stop with :class:`SolverError` after this many pivots
        (default :func:`default_max_pivots`).

    Returns
    -------
    LemkeResult
        The solution ``z`` and the number of pivots.

    Raises
    ------
    SolverError
        If the pivot bound is reached, or the path ends on a ray.
    """
    n = len(q)  # type: ignore[arg-type]
    if d is None:
        d = [1] * n
    limit = default_max_pivots(n) if max_pivots is None else max_pivots
    if exact:
        return _lemke_exact(M, q, d, limit)
    try:
        return _lemke_float(M, q, d, limit)
    except SolverError:
        return _lemke_float(M, q, d, limit, FLOAT_REFACTOR_CAREFUL)


# -------------------------------------------------------------------------------------
# Shared bookkeeping
# -------------------------------------------------------------------------------------
def _complement(variable: int, n: int) -> int:
    return variable + n if variable < n else variable - n


def _no_solution(pivots: int) -> SolverError:
    return SolverError(
        f"no equilibrium found after {pivots} pivots: Lemke's path ended on a ray "
        "(the problem has no solution this method can reach); please report this game"
    )


def _too_many(limit: int) -> SolverError:
    return SolverError(
        f"no equilibrium found after {limit} pivots (the limit); "
        "raise it with --max-pivots (max_pivots in the library) to search longer"
    )


def _check_shapes(n: int, m_shape: tuple[int, ...], d_len: int) -> None:
    if m_shape != (n, n) or d_len != n:
        raise ValueError(f"LCP of size {n} needs an {n}x{n} matrix and a covering vector of {n}")


# -------------------------------------------------------------------------------------
# Exact: integer pivoting
# -------------------------------------------------------------------------------------
def integer_rows(rows: Any, width: int) -> tuple[Array, int]:
    """Rational rows scaled one by one to integers (by the least common denominator).

    Returns an object array of Python ints, ``len(rows) x width``, and the
    largest entry in size. Only non-zero entries are converted, so sparse
    input is cheap.
    """
    data = np.asarray(rows, dtype=object)
    if data.ndim != 2 or data.shape[1] != width:
        raise ValueError(f"expected rows of {width} numbers, got an array of shape {data.shape}")
    out = np.zeros(data.shape, dtype=object)
    biggest = 0
    for i in range(data.shape[0]):
        row = data[i]
        nz = np.flatnonzero(row != 0)
        entries = [v if isinstance(v, int) else Fraction(v) for v in row[nz].tolist()]
        scale = math.lcm(*(v.denominator for v in entries if isinstance(v, Fraction)))
        ints = [v * scale if isinstance(v, int) else v.numerator * (scale // v.denominator) for v in entries]
        out[i, nz] = ints
        biggest = max(biggest, max(map(abs, ints), default=0))
    return out, biggest


def integer_pivot(T: Array, r: int, s: int, det: int) -> tuple[Array, int]:
    """One step of integer pivoting on ``(r, s)``; returns the new tableau and determinant.

    ``T`` holds ``det`` times the reduced tableau of the current basis. Row
    ``r`` is kept, every other row ``i`` becomes ``(T_i T_rs - T_is T_r) / det``
    (an exact division), and the new determinant is ``T_rs``; signs are flipped
    so that it stays positive. An int64 tableau whose entries reach
    :data:`SMALL_INTEGER` continues in Python integers.
    """
    pivot = int(T[r, s])
    row = T[r].copy()
    T = (T * pivot - np.outer(T[:, s], row)) // det
    T[r] = row
    if pivot < 0:
        T = -T
        pivot = -pivot
    if T.dtype != object and int(np.abs(T).max(initial=0)) >= SMALL_INTEGER:
        T = T.astype(object)  # Python ints: products could overflow int64 from now on
    return T, pivot


def _tableau(M: Any, q: Any, d: Any) -> Array:
    """The tableau ``[I | -L M | -L d | L q]``, ``L`` scaling each row to integers.

    int64 when every entry is below :data:`SMALL_INTEGER`, Python integers otherwise.
    """
    n = len(q)
    qs = [Fraction(x) for x in q]
    ds = [Fraction(x) for x in d]
    if len(ds) != n:
        _check_shapes(n, (n, n), len(ds))
    if any(x <= 0 for x in ds):
        raise ValueError("the covering vector must be positive")
    data = np.asarray(M, dtype=object)
    _check_shapes(n, data.shape if n else (0, 0), n)
    block = np.empty((n, n + 2), dtype=object)
    block[:, :n] = data
    block[:, n] = ds
    block[:, n + 1] = qs
    ints, biggest = integer_rows(block, n + 2)
    small = biggest < SMALL_INTEGER
    T = np.zeros((n, 2 * n + 2), dtype=np.int64 if small else object)
    T[:, :n] = np.eye(n, dtype=np.int64)
    T[:, n:] = ints.astype(np.int64) if small else ints
    T[:, n : 2 * n + 1] *= -1
    return T


def _lex_min_rows(
    T: Array, rows: list[int], divisor: list[int], n: int, z0_row: int
) -> tuple[int, bool]:
    """The row with the lexicographically least ``(rhs, basis inverse row) / divisor``.

    ``divisor[k]`` is the positive pivot-column entry of ``rows[k]``. A tie in
    the first component that includes ``z0_row`` is won by it. Ratios are
    compared by cross-multiplying (all integers). The flag says whether the
    lexicographic rule was needed.
    """
    tied = _least(T, 2 * n + 1, rows, divisor)
    if len(tied) == 1:
        return tied[0][0], False
    if any(r == z0_row for r, _ in tied):
        return z0_row, False
    for col in range(n):  # the columns of w hold D times the basis inverse
        tied = _least(T, col, [r for r, _ in tied], [div for _, div in tied])
        if len(tied) == 1:
            break
    return tied[0][0], True


def _least(T: Array, col: int, rows: list[int], divisor: list[int]) -> list[tuple[int, int]]:
    """The ``(row, divisor)`` pairs where ``T[row, col] / divisor`` is least."""
    best_num, best_div = int(T[rows[0], col]), divisor[0]
    tied = [(rows[0], divisor[0])]
    for r, div in zip(rows[1:], divisor[1:], strict=True):
        num = int(T[r, col])
        left, right = num * best_div, best_num * div
        if left < right:
            best_num, best_div = num, div
            tied = [(r, div)]
        elif left == right:
            tied.append((r, div))
    return tied


def _lemke_exact(M: Any, q: Any, d: Any, limit: int) -> LemkeResult:
    n = len(q)
    ds = [Fraction(x) for x in d]
    _check_shapes(n, np.asarray(M, dtype=object).shape if n else (0, 0), len(ds))
    if any(x <= 0 for x in ds):
        raise ValueError("the covering vector must be positive")
    if all(Fraction(x) >= 0 for x in q):
        return LemkeResult(np.array([Fraction(0)] * n, dtype=object), 0, tuple(range(n)))
    crossed = _crossover(M, q, d, limit)
    if crossed is not None:
        return crossed
    # The integer tableau only now: the float path usually gives the answer.
    T = _tableau(M, q, d)
    z0, rhs = 2 * n, 2 * n + 1
    basis = list(range(n))
    det = 1
    # Step 2: z0 enters; its column is -L d < 0 in every row.
    r, tie = _lex_min_rows(T, list(range(n)), [-int(T[i, z0]) for i in range(n)], n, -1)
    lexicographic = int(tie)
    entering = z0
    pivots = 0
    while True:
        if pivots >= limit:
            raise _too_many(limit)
        # A positive determinant makes every later pivot entry positive.
        T, det = integer_pivot(T, r, entering, det)
        pivots += 1
        leaving = basis[r]
        basis[r] = entering
        if leaving == z0:
            break
        entering = _complement(leaving, n)
        column = T[:, entering]
        rows = [i for i in range(n) if column[i] > 0]
        if not rows:
            raise _no_solution(pivots)
        z0_row = basis.index(z0)
        r, tie = _lex_min_rows(T, rows, [int(column[i]) for i in rows], n, z0_row)
        lexicographic += tie
    z = np.array([Fraction(0)] * n, dtype=object)
    for i, v in enumerate(basis):
        if v >= n:
            z[v - n] = Fraction(int(T[i, rhs]), int(det))
    return LemkeResult(z, pivots, tuple(basis), lexicographic)


def _crossover(M: Any, q: Any, d: Any, limit: int) -> LemkeResult | None:
    """An exact solution from the float path's final basis, or None if that basis does not give one.

    Lemke's method ends in a complementary basis: for each ``i`` either
    ``w_i`` or ``z_i`` is basic. With ``S`` the indices of the basic ``z_i``,
    the solution is ``z_S = -M_SS^{-1} q_S`` and ``z_i = 0`` elsewhere; it
    solves the LCP exactly when ``z_S >= 0`` and ``w = q + M z >= 0`` hold in
    rationals (complementarity holds by construction). One rational solve of
    size ``|S|`` replaces hundreds of integer pivots on the whole tableau
    (whose entries grow to hundreds of digits with rational data). The float
    path takes the lexicographic decisions of the exact one, so it normally
    ends in the same basis; where rounding has sent it elsewhere, that basis
    is still checked exactly, and if the check fails (or the float path
    fails) the caller pivots in integers from the start.
    """
    for period in (FLOAT_REFACTOR, FLOAT_REFACTOR_CAREFUL):
        try:
            found = _lemke_float(M, q, d, limit, period)
        except (SolverError, ValueError, ArithmeticError):
            continue
        solution = _exact_basis_solution(M, q, found)
        if solution is not None:
            return solution
    return None


def _exact_basis_solution(M: Any, q: Any, found: LemkeResult) -> LemkeResult | None:
    """The float result's basis solved and checked in rationals (see :func:`_crossover`)."""
    n = len(found.z)
    support = sorted(v - n for v in found.basis if n <= v < 2 * n)
    data = np.asarray(M, dtype=object)
    rhs = [Fraction(x) for x in q]
    z = np.array([Fraction(0)] * n, dtype=object)
    if support:
        k = len(support)
        system = np.empty((k, k + 1), dtype=object)
        system[:, :k] = data[np.ix_(support, support)]
        system[:, k] = [-rhs[i] for i in support]
        solution = _solve_rational(system)
        if solution is None:
            return None
        z[support] = solution
    if any(v < 0 for v in z[support]):
        return None
    others = [i for i in range(n) if i not in set(support)]
    for i in others:
        row = data[i, support]
        if rhs[i] + sum((a * b for a, b in zip(row.tolist(), z[support].tolist(), strict=True) if a), Fraction(0)) < 0:
            return None
    return LemkeResult(z, found.pivots, found.basis, found.lexicographic, float_path=True)


def _solve_rational(system: Array) -> list[Fraction] | None:
    """The solution of the square system ``[A | b]`` (rational entries), or None if ``A`` is singular.

    Gauss-Jordan elimination by integer pivoting (:func:`integer_pivot`, exact
    divisions throughout) on the rows scaled to integers.
    """
    k = system.shape[0]
    T, biggest = integer_rows(system, k + 1)
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
    return [Fraction(int(T[r, k]), int(det)) for r in used]


# -------------------------------------------------------------------------------------
# Float
# -------------------------------------------------------------------------------------
def _lex_min_rows_float(
    T: Array, rows: Array, n: int, column: int, z0_row: int, zero: Array
) -> tuple[int, bool, bool]:
    """:func:`_lex_min_rows` for a float tableau, with rounding noise kept out of the comparisons.

    The lexicographic rule decides between rows whose ratios are equal in
    exact arithmetic, and in a degenerate
    sequence-form LCP nearly every step is such a tie, decided by entries of
    the basis inverse that are often exactly 0. In floats those zeros come
    back as rounding noise, and dividing noise by a small pivot-column entry
    can make it look like a real difference, which sends the path off the
    exact one into cycles of degenerate bases (von Stengel 2002, "Computing
    equilibria for two-person games", *Handbook of Game Theory* 3, on the
    lexicographic method). So each entry of row ``i`` at
    most ``zero[i]`` in size (:data:`FLOAT_ZERO` times the largest entry of
    the row) counts as 0, and two ratios tie when they are within
    :data:`FLOAT_RATIO_TIE` of each other relative to their size. The last
    flag returned says that an entry the decision used lies within
    :data:`FLOAT_DOUBT` times that noise level: the caller then recomputes
    the tableau from the data and decides again.
    """
    rhs = 2 * n + 1
    return _lex_choice(
        T[rows, column], T[rows, rhs], rows, z0_row, zero[rows], lambda tied: T[tied, :n])


def _lex_choice(
    div: Array, rhs: Array, rows: Array, z0_row: int, small: Array, inverse: Any
) -> tuple[int, bool, bool]:
    """The rule of :func:`_lex_min_rows_float` on the candidate rows' data.

    ``div`` and ``rhs`` are the candidate rows' entries in the entering
    column and the right-hand side (``rhs`` a fresh array, changed here),
    ``small`` their noise levels, and ``inverse(tied)`` gives the
    basis-inverse rows of some of them (a fresh float64 array; columns 0 in
    all of those rows may be left out).
    """
    values, doubt = _denoised(rhs, small)
    tied = _ties(values / div).nonzero()[0]
    if tied.size == 1:
        return int(rows[tied[0]]), False, doubt
    if z0_row in rows[tied]:
        return z0_row, False, doubt
    # All candidates' basis-inverse rows at once; only the columns where they
    # differ at all can split the tie, so the loop visits those only.
    block, noisy = _denoised(inverse(rows[tied]), small[tied, None])
    doubt = doubt or noisy
    block /= div[tied, None]
    # Columns equal in every row decide nothing (each row stays tied there),
    # so the whole block goes to the rule.
    return int(rows[tied[_lex_least(block)]]), True, doubt


def _lex_least(block: Array) -> int:
    """The row of ``block`` that the rule of :func:`_ties`, applied column by column, keeps first.

    Column by column, only the rows still tied whose entry is within
    :data:`FLOAT_RATIO_TIE` of the least (relative) are kept. When no entry
    is that close to the least without equalling it, this is the exact
    lexicographic minimum (the first one if rows are equal); otherwise the
    columns are gone through one by one. The two give the same row. Columns
    equal in every row decide nothing (each row stays tied there). The
    minimum is found by comparing Python lists for small blocks (a few tied
    rows by tens of columns, where numpy's cost per call dominates), and
    byte strings for large ones (:func:`_least_by_bytes`).
    """
    rows, width = block.shape
    if not width:
        return 0  # every row ties in every column (none): the first
    if block.size > SMALL_BLOCK:
        block = block[:, (block != block[0]).any(axis=0)]  # the columns that can split the tie
        if not block.shape[1]:
            return 0
        least = _least_by_bytes(block)
        best_row = block[least]
        # Each other row is equal to the least up to its first differing
        # column, where it is larger: it stays tied until then and is dropped
        # there unless the two are close.
        first = (block != best_row).argmax(axis=1)
        there = block[np.arange(rows), first]
        low = best_row[first]
        close = bool(((there != low) & (
            there - low <= FLOAT_RATIO_TIE * np.maximum(np.abs(there), np.abs(low)))).any())
    else:
        return _lex_least_lists(block.tolist())
    if not close:
        return least
    return _column_rule(block.T.tolist())


def _lex_least_lists(table: list[list[float]]) -> int:
    """:func:`_lex_least` of a block given as a list of rows, by comparing Python lists."""
    least = min(range(len(table)), key=table.__getitem__)  # floats compare as numbers: -0.0 == 0.0
    best = table[least]
    close = False
    for row in table:
        differ = list(map(ne, row, best))  # the first difference found in C
        if True in differ:
            p = differ.index(True)
            v, low_v = row[p], best[p]
            if v - low_v <= FLOAT_RATIO_TIE * max(abs(v), abs(low_v)):
                close = True
                break
    if not close:
        return least
    return _column_rule([list(column) for column in zip(*table, strict=True)])


def _tied_lowest(left: list[int], here: list[float]) -> list[int]:
    """The rows of ``left`` whose values ``here`` tie with the lowest: ``v - lowest <=
    FLOAT_RATIO_TIE * max(|v|, |lowest|)``, written out (equal values always tie)."""
    lowest = min(here)
    size = -lowest if lowest < 0 else lowest
    return [i for i, v in zip(left, here, strict=True) if v == lowest or v - lowest <= FLOAT_RATIO_TIE * (
        size if (v if v >= 0 else -v) <= size else (v if v >= 0 else -v))]


def _column_rule(columns: list[list[float]]) -> int:
    """The row the tie rule of :func:`_ties`, applied to ``columns`` one at a time, keeps first."""
    left = list(range(len(columns[0]))) if columns else [0]
    for values in columns:
        here = [values[i] for i in left]
        left = _tied_lowest(left, here)
        if len(left) == 1:
            break
    return left[0]


def _least_by_bytes(block: Array) -> int:
    """The lexicographically least row of a float block (the first of equal ones), by byte strings.

    Each row becomes a byte string that compares like the row: every float
    becomes an unsigned integer of the same order (sign bit set for the
    positive ones, all bits flipped for the negative ones; -0.0 is made 0.0
    first, as the comparison of floats has them equal), written most
    significant byte first. Bytes compare in C, without a Python float per entry.
    """
    rows, width = block.shape
    bits = (block + 0.0).view(np.uint64)
    flip = (bits.view(np.int64) >> 63).view(np.uint64) | _SIGN_BIT  # all ones if negative
    keys = (bits ^ flip).astype(">u8").tobytes()
    step = 8 * width
    chunks = [keys[i : i + step] for i in range(0, rows * step, step)]
    return min(range(rows), key=chunks.__getitem__)


def _denoised(values: Array, small: Array) -> tuple[Array, bool]:
    """``values`` (a fresh array, changed in place) with the entries at most ``small`` in size set to 0.

    Also whether some entry is too close to that noise level to be sure it
    is or is not 0 (above it, but within :data:`FLOAT_DOUBT` times it).
    """
    size = np.abs(values)
    noise = size <= small
    # The entries within FLOAT_DOUBT times the noise level include the noise.
    doubt = bool(np.count_nonzero(size <= FLOAT_DOUBT * small) > np.count_nonzero(noise))
    np.putmask(values, noise, 0.0)
    return values, doubt


def _ties(ratios: Array) -> Array:
    """Which ratios equal the least one within :data:`FLOAT_RATIO_TIE` (relative)."""
    best = _MIN(ratios)
    if best == 0.0:  # the degenerate case: the rule keeps exactly the zeros
        return np.asarray(ratios <= 0.0)
    return np.asarray(ratios - best <= FLOAT_RATIO_TIE * np.maximum(np.abs(ratios), abs(best)))


def _row_zero(T: Array) -> Array:
    """Per row, the size below which an entry of the float tableau counts as 0."""
    return np.asarray(FLOAT_ZERO * np.abs(T).max(axis=1))


def _refactored(original: Array, basis: list[int], T: Array) -> Array:
    """The tableau of ``basis`` solved afresh from the original data (``T`` if singular).

    The basis matrix is mostly unit columns (the basic ``w_i``), so only the
    rows whose ``w`` is not basic form a real system, of the size ``k`` of
    the basic ``z`` (and ``z0``); the rows of the basic ``w`` follow by
    substitution. Both steps use elementwise numpy only, not BLAS or LAPACK:
    their results do not depend on how many threads those use (so the path
    is the same on every machine), and a loaded machine does not make
    multithreaded LAPACK on a small system cost a tenth of a second. Columns
    that are 0 in all the rows of the system stay 0 in its solution and are
    left out of both steps.
    """
    n = len(basis)
    order = np.asarray(basis)
    is_z = order >= n
    other_rows = is_z.nonzero()[0]
    unit_rows = (~is_z).nonzero()[0]
    w = order[unit_rows]
    columns = order[other_rows]
    constrained = np.ones(n, dtype=bool)
    constrained[w] = False
    R = original[constrained]
    # The columns of the system (those of the basic z, in the order of their
    # rows), then every other column not 0 throughout.
    nonzero: Array = np.asarray(R.any(axis=0))
    if not nonzero[columns].all():
        return T  # a zero column: singular
    nonzero[columns] = False
    live = np.concatenate([columns, nonzero.nonzero()[0]])
    solved = _gauss_jordan(R[:, live])
    if solved is None:
        return T
    fresh = np.zeros_like(original)
    fresh[unit_rows] = original[w]
    part = fresh[:, live]
    part[other_rows] = solved
    # Row i of a basic w_i loses coupling[i, j] * solved[j] for each of its
    # (few) non-zero couplings, in increasing j; step t subtracts the t-th
    # term of every row at once, so each row sees its terms in that order
    # (the same rounding as one column of couplings at a time).
    coupling = original[w][:, columns]
    hit, col = coupling.nonzero()  # row by row, columns increasing
    if hit.size:
        rank = np.arange(hit.size) - hit.searchsorted(hit)  # the term's place in its row
        by_rank = np.argsort(rank, kind="stable")
        ends = rank[by_rank].searchsorted(np.arange(1, int(rank.max()) + 2)).tolist()
        targets = unit_rows[hit[by_rank]]
        terms = coupling[hit, col][by_rank, None] * solved[col[by_rank]]  # all at once
        start = 0
        for end in ends:
            part[targets[start:end]] -= terms[start:end]
            start = end
    fresh[:, live] = part
    # The columns of the basic variables are unit vectors. Those of the
    # basic w_i already are (the identity's, untouched); those of the basic
    # z are the system's, which elimination leaves as unit vectors up to
    # the signs of zeros: written out.
    fresh[:, columns] = 0.0
    fresh[other_rows, columns] = 1.0
    return fresh


def _gauss_jordan(aug: Array) -> Array | None:
    """``A^-1 aug`` for ``A`` the first ``k`` columns of ``aug`` (``k x m``), by Gauss-Jordan elimination.

    With partial pivoting; None if ``A`` is singular; ``aug`` is overwritten.
    After step ``c`` the first ``c`` columns are unit vectors, and later steps
    would only subtract exact zeros from them, so each step works on the
    columns from ``c`` on.
    """
    k = aug.shape[0]
    least = FLOAT_PIVOT * max(1.0, float(np.abs(aug[:, :k]).max(initial=0.0)))
    for c in range(k):
        column = aug[:, c]  # a view: it follows the row swap and the division
        p = c + int(np.abs(column[c:]).argmax())
        pivot = float(column[p])
        if abs(pivot) <= least:
            return None
        if p != c:
            held = aug[p].copy()
            aug[p] = aug[c]
            aug[c] = held
        row = aug[c, c:]
        if pivot != 1.0:  # dividing by 1 changes no bit
            row /= pivot
        hit = column.nonzero()[0]  # the other rows would only lose exact zeros
        if hit.size > 1:
            hit = hit[hit != c]
            aug[hit, c:] -= np.multiply.outer(column[hit], row)
    return aug


def _lemke_float(M: Any, q: Any, d: Any, limit: int, refactor: int = FLOAT_REFACTOR) -> LemkeResult:
    """Lemke's path in float64 on a compact tableau: the nonbasic columns and the right-hand side.

    The columns of the basic variables are unit vectors (exactly: a pivot
    makes the entering column one, and leaves the other basic columns as
    they were), so they are not stored. Pivoting on ``(r, s)`` puts the
    leaving variable's column in the place of ``s``'s: that column was the
    unit vector of row ``r``, and it goes through the same operations as
    in the full tableau (row ``r`` divided by the pivot, the other rows less
    their multiple of row ``r``), so every stored number is, bit for bit,
    the number the full tableau would hold; the work per pivot is about
    halved. The largest entry of a row, which sets its noise level, is the
    largest stored one or the 1 of its basic variable, and it is computed
    again only for the rows a pivot changes.
    """
    Mf = np.asarray(M, dtype=np.float64)
    qf = np.asarray(q, dtype=np.float64).ravel()
    df = np.asarray(d, dtype=np.float64).ravel()
    n = qf.size
    _check_shapes(n, Mf.shape if n else (0, 0), df.size)
    if (df <= 0).any():
        raise ValueError("the covering vector must be positive")
    z0 = 2 * n
    if (qf >= 0).all():
        return LemkeResult(np.zeros(n), 0, tuple(range(n)))
    original = np.hstack([np.eye(n), -Mf, -df[:, None], qf[:, None]])
    basis = list(range(n))
    # Step 2: z0 enters; lexicographic minimum of (q, I) / d over all rows.
    first = _first_row_small(Mf, qf, df) if n <= SMALL_LCP else None
    if first is None:
        T_first = original.copy()
        T_first[:, z0] = df  # the ratio uses -column, which is d > 0
        first = _lex_min_rows_float(T_first, np.arange(n), n, z0, -1, _row_zero(T_first))[:2]
        del T_first
    r, tie = first
    lexicographic = int(tie)
    if n <= SMALL_LCP:
        return _lemke_small(original, r, lexicographic, limit, refactor)
    # The stored columns: the nonbasic variables (slot[v] says where v is,
    # -1 while it is basic), then the right-hand side, always last.
    held = np.arange(n, 2 * n + 2)
    slot = np.full(2 * n + 1, -1, dtype=np.intp)
    slot[n:] = np.arange(n + 1)
    C = original[:, held].copy()
    rhs = n + 1
    fresh = 0  # pivots since the tableau was last computed from the data
    entering = z0
    pivots = 0
    # The lexicographic rule never meets a basis twice (each has a distinct
    # lexicographic value of z0); in floats a repeat means rounding has put the
    # path off course, and it would go round until the pivot limit.
    # A set of basic variables is kept as the bit mask of its members.
    key = sum(1 << v for v in basis)
    seen = {key}
    z0_row = -1
    zero = np.empty(n)
    where = np.arange(n)  # the row of each basic w_j, -1 while w_j is nonbasic
    rowvar = np.arange(n)  # the basic variable of each row (basis as an array)
    while True:
        if pivots >= limit:
            raise _too_many(limit)
        k = int(slot[entering])
        factor = C[:, k].copy()
        leaving = basis[r]
        # The leaving variable's unit column takes the entering one's place
        # and is transformed with the rest.
        C[:, k] = 0.0
        C[r, k] = 1.0
        C[r] /= factor[r]
        factor[r] = 0.0
        hit = factor.nonzero()[0]  # the other rows would only lose exact zeros
        if hit.size:
            rest = C[hit]
            rest -= np.multiply.outer(factor[hit], C[r])
            C[hit] = rest
            zero[hit] = FLOAT_ZERO * np.maximum(_MAX(np.abs(rest), axis=1), 1.0)
        zero[r] = FLOAT_ZERO * max(float(_MAX(np.abs(C[r]))), 1.0)
        pivots += 1
        basis[r] = entering
        rowvar[r] = entering
        slot[leaving] = k
        slot[entering] = -1
        held[k] = leaving
        if leaving < n:
            where[leaving] = -1
        if entering < n:
            where[entering] = r
        if entering == z0:
            z0_row = r
        if leaving == z0:
            break
        key ^= (1 << leaving) | (1 << entering)
        if key in seen:
            raise _met_twice(pivots)
        seen.add(key)
        fresh += 1
        if fresh >= refactor:
            C, fresh = _refactored_held(original, basis, held, C), 0
            zero = _held_zero(C)
        entering = _complement(leaving, n)
        while True:
            column = C[:, slot[entering]]
            tol = np.maximum(FLOAT_PIVOT * max(1.0, float(_MAX(np.abs(column)))), zero)
            rows = (column > tol).nonzero()[0]
            if not rows.size:
                raise _no_solution(pivots)
            inverse = _HeldInverse(C, slot, where, rowvar, n)
            r, tie, doubt = _lex_choice(column[rows], C[rows, rhs], rows, z0_row, zero[rows], inverse)
            if not doubt or not fresh:
                break
            C, fresh = _refactored_held(original, basis, held, C), 0
            zero = _held_zero(C)
        lexicographic += tie
    return _float_result(original, basis, C[:, rhs].copy(), pivots, lexicographic)


def _first_row_small(Mf: Array, qf: Array, df: Array) -> tuple[int, bool] | None:
    """The first pivot row of :func:`_lemke_float` (``z0`` entering) and whether it tied, in Python.

    :func:`_lex_min_rows_float`'s decision on the first tableau
    ``[I, -M, d, q]`` without making it: row ``i``'s noise level is
    ``FLOAT_ZERO`` times its largest entry in size, the largest of 1 (its
    unit), ``|M_i|``, ``d_i`` and ``|q_i|``; the ratios are ``q_i / d_i``
    (noise made 0), tied as :func:`_ties` ties them; a tie is decided on the
    tied rows' unit rows, each over its ``d``, by :func:`_lex_least`. None
    (the caller then builds the tableau) when a number is not finite.
    """
    n = len(qf)
    if not n:
        return None
    # Each row's largest entry in size, other than its unit (finite numbers
    # have the same largest whichever way it is found).
    size = np.maximum(np.maximum(_MAX(np.abs(Mf), axis=1), df), np.abs(qf))
    if not np.isfinite(size).all():  # as finite as M, d and q together
        return None
    zero = (FLOAT_ZERO * np.maximum(size, 1.0)).tolist()
    q, d = qf.tolist(), df.tolist()
    ratios = [(0.0 if (-qi if qi < 0 else qi) <= small else qi) / di for qi, di, small in zip(q, d, zero, strict=True)]
    best = min(ratios)
    if best == 0.0:  # as _ties
        tied = [i for i, x in enumerate(ratios) if x <= 0.0]
    else:
        low = abs(best)
        tied = [i for i, x in enumerate(ratios) if x - best <= FLOAT_RATIO_TIE * max(abs(x), low)]
    if len(tied) == 1:
        return tied[0], False
    # Each tied row's unit row: its 1 (unless that is noise in its row) over its d.
    # When every one is a positive finite number, each row is 0 but at its own
    # column, so column by column the rule drops the row whose column comes
    # first (its entry is above the others' 0 and not within a tie of it):
    # the last row is kept.
    units = [(1.0 if 1.0 > zero[i] else 0.0) / d[i] for i in tied]
    if min(units) > 0.0 and max(units) < math.inf:
        return tied[-1], True
    block = np.zeros((len(tied), n))
    block[np.arange(len(tied)), tied] = units
    return tied[_lex_least(block)], True


def _met_twice(pivots: int) -> SolverError:
    return SolverError(
        f"float Lemke met the same basis twice after {pivots} pivots "
        "(rounding in a degenerate problem); exact arithmetic avoids this"
    )


def _lemke_small(original: Array, r: int, lexicographic: int, limit: int, refactor: int) -> LemkeResult:
    """:func:`_lemke_float`'s path on an LCP of at most :data:`SMALL_LCP`, from its first pivot row ``r``.

    The same tableau, pivots and decisions, with fewer numpy calls, whose
    cost outweighs their arithmetic at this size:

    * a pivot updates every row (a row whose entry in the pivot column is 0
      loses 0 and changes at most in the sign of a zero, which no decision
      sees), in a few calls on the whole tableau;
    * the rows' noise levels are not computed at each pivot: every level
      lies between ``FLOAT_ZERO`` (a row's largest entry counts as at least
      1) and ``FLOAT_ZERO`` times a bound on the tableau's largest entry (at
      least 1; kept from the pivot row and column, see below), and an entry
      that is 0, at most the one or above :data:`FLOAT_DOUBT` times the
      other is decided by those bounds (noise; a real number, no doubt); the
      level of a row is computed, as before, only for an entry between them
      (:func:`_small_ratio_test`);
    * the ratio test is decided in Python on the candidate rows' numbers,
      and a tie on the tied rows' basis-inverse entries that are not 0.
    """
    n = original.shape[0]
    z0 = 2 * n
    rhs = n + 1
    held = np.arange(n, 2 * n + 2)  # the variable of each stored column (the right-hand side last)
    slot = [-1] * n + list(range(n + 1))  # the stored column of each variable, -1 while basic
    C = original[:, held].copy()
    scratch = np.empty_like(C)  # room for the rank-one update
    sizes = np.empty(C.shape[1])  # room for a row's sizes
    basis = list(range(n))
    free_w: list[int] = []  # the nonbasic w, in increasing order
    free_slots: list[int] = []  # their stored columns, in the same order
    key = (1 << n) - 1  # the basic variables as a bit mask (see _lemke_float)
    seen = {key}
    z0_row = -1
    fresh = 0
    entering = z0
    pivots = 0
    # An upper bound on every entry's size (so FLOAT_ZERO times it, at least
    # 1, bounds every row's noise level), kept up to date at each pivot
    # from the pivot row and column alone: row i becomes C_i - f_i p, so no
    # entry grows beyond bound + max|f| max|p| (times a margin for the two
    # roundings). Computed afresh with the tableau.
    bound = _largest(C)
    spread = float(_MAX(np.abs(C[:, slot[entering]])))  # the largest size in the pivot column
    while True:
        if pivots >= limit:
            raise _too_many(limit)
        k = slot[entering]
        factor = C[:, k].copy()
        leaving = basis[r]
        C[:, k] = 0.0
        C[r, k] = 1.0
        pivot_row = C[r]
        pivot_row /= factor[r]
        factor[r] = 0.0
        # The outer product as a matrix product with an inner dimension of 1:
        # each entry is one rounded product, as in np.multiply.outer (up to
        # the sign of a zero), in one fast call (tests/test_lemke.py).
        C -= np.dot(factor[:, None], pivot_row[None, :], out=scratch)
        row_size = float(_MAX(np.abs(pivot_row, out=sizes)))
        bound = max(row_size, (bound + spread * row_size) * _BOUND_MARGIN)
        pivots += 1
        basis[r] = entering
        slot[leaving] = k
        slot[entering] = -1
        held[k] = leaving
        if leaving < n:
            place = bisect.bisect(free_w, leaving)
            free_w.insert(place, leaving)
            free_slots.insert(place, k)
        if entering < n:
            place = free_w.index(entering)
            del free_w[place], free_slots[place]
        if entering == z0:
            z0_row = r
        if leaving == z0:
            break
        key ^= (1 << leaving) | (1 << entering)
        if key in seen:
            raise _met_twice(pivots)
        seen.add(key)
        fresh += 1
        if fresh >= refactor:
            C, fresh = _refactored_held(original, basis, held, C), 0
            bound = _largest(C)
        entering = _complement(leaving, n)
        while True:
            top = FLOAT_ZERO * max(bound, 1.0)
            choice = _small_ratio_test(C, slot, entering, basis, free_w, free_slots, z0_row, n, top)
            if choice is None:
                raise _no_solution(pivots)
            r, tie, doubt, spread = choice
            if not doubt or not fresh:
                break
            C, fresh = _refactored_held(original, basis, held, C), 0
            bound = _largest(C)
        lexicographic += tie
    return _float_result(original, basis, C[:, rhs].copy(), pivots, lexicographic)


#: The margin on :func:`_lemke_small`'s bound for two roundings (a product and
#: a difference) and those of the bound's own arithmetic.
_BOUND_MARGIN = 1.0 + 2.0**-49


def _largest(C: Array) -> float:
    """The largest entry of ``C`` in size."""
    return max(float(_MAX(C, axis=None)), -float(_MIN(C, axis=None)), 0.0)


def _row_level(C: Array, i: int) -> float:
    """Row ``i``'s noise level: :func:`_held_zero` of that row alone."""
    return FLOAT_ZERO * max(float(_MAX(np.abs(C[i]))), 1.0)


def _small_ratio_test(
    C: Array, slot: list[int], entering: int, basis: list[int], free_w: list[int], free_slots: list[int],
    z0_row: int, n: int, top: float,
) -> tuple[int, bool, bool, float] | None:
    """The ratio test of :func:`_lemke_small`: :func:`_lex_choice`'s decision, in Python.

    Returns the pivot row, whether the lexicographic rule decided, and
    whether an entry it used lies within :data:`FLOAT_DOUBT` of its row's
    noise level; None if no row limits the entering variable. The same
    candidate rows, noise levels, divisions and comparisons, number for
    number; a row's noise level is computed only where the bounds of
    :func:`_lemke_small` leave an entry undecided.
    """
    column = C[:, slot[entering]]
    spread = float(_MAX(np.abs(column)))
    least = FLOAT_PIVOT * max(1.0, spread)
    above = (column > least).nonzero()[0]  # the candidates and maybe some rows within their noise
    if not above.size:
        return None
    sure = FLOAT_DOUBT * top  # above this an entry is a real number and raises no doubt
    levels: dict[int, float] = {}
    doubt = False
    ups = column.take(above)
    values = C[:, -1].take(above)
    rows: list[int] = above.tolist()
    divs: list[float] = ups.tolist()
    listed = values.tolist()
    if min(divs) > top and not [v for v in listed if v and -sure <= v <= sure]:
        # The common case, decided by the bounds alone: every candidate's
        # entry is above its row's noise level, and every right-hand side is
        # a zero (of either sign: its ratio is a zero, which every
        # comparison below takes as 0) or above any noise level, so kept.
        # The same divisions, in one call.
        ratios: list[float] = (values / ups).tolist()
    else:
        rows, divs, listed, ratios, doubt = _ratios_by_levels(C, rows, divs, listed, top, sure, levels)
    if not rows:
        return None
    best = min(ratios)
    if best == 0.0:  # the degenerate case: the rule keeps exactly the zeros
        tied = [t for t, x in enumerate(ratios) if x <= 0.0]
    elif best > 0.0:  # every ratio is at least best, so the larger size is its own
        tied = [t for t, x in enumerate(ratios) if x - best <= FLOAT_RATIO_TIE * x]
    else:
        low = abs(best)
        tied = [t for t, x in enumerate(ratios) if x - best <= FLOAT_RATIO_TIE * max(abs(x), low)]
    if len(tied) == 1:
        return rows[tied[0]], False, doubt, spread
    tied_rows = [rows[t] for t in tied]
    if z0_row in tied_rows:
        return z0_row, False, doubt, spread
    # The basis-inverse rows of the tied rows (the w columns of the full
    # tableau): the stored columns of the nonbasic w, and the unit columns of
    # these rows' basic w (the unit columns of other rows' basic w are 0 in
    # all of them and decide nothing). Each row is kept as a dictionary of
    # its entries that are not 0, by the w they belong to.
    own = {t: basis[i] for t, i in enumerate(tied_rows) if basis[i] < n}
    table: list[dict[int, float]] = [{} for _ in tied_rows]
    if free_w:
        block = C.take(tied_rows, axis=0).take(free_slots, axis=1)
        at = block.ravel().nonzero()[0]  # the entries that are not 0 (a zero of either sign is 0 here too)
        # Counted as the block of all those columns would have them: an own
        # w's column read where the right-hand side is stored (-1).
        if own and at.size <= SMALL_TIE_ENTRIES:
            count = at.size + len(own) * sum(1 for t in tied if listed[t] != 0.0)
        else:
            count = at.size
        if count > SMALL_TIE_ENTRIES:
            return _numpy_tie(C, slot, tied_rows, tied, divs, own, free_w, doubt, spread)
        width = len(free_w)
        for place, v in zip(at.tolist(), block.take(at).tolist(), strict=True):
            t, p = divmod(place, width)
            if -FLOAT_ZERO <= v <= FLOAT_ZERO:
                continue  # noise: 0
            if -sure <= v <= sure:
                i = tied_rows[t]
                level = levels[i] if i in levels else levels.setdefault(i, _row_level(C, i))
                size = abs(v)
                if size <= level:
                    continue
                if size <= FLOAT_DOUBT * level:
                    doubt = True
            table[t][free_w[p]] = v / divs[tied[t]]
    for t, j in own.items():  # each row's own 1
        if 1.0 <= sure:
            i = tied_rows[t]
            level = levels[i] if i in levels else levels.setdefault(i, _row_level(C, i))
            if 1.0 <= level:
                continue
            if 1.0 <= FLOAT_DOUBT * level:
                doubt = True
        table[t][j] = 1.0 / divs[tied[t]]
    return tied_rows[_sparse_column_rule(table)], True, doubt, spread


def _ratios_by_levels(
    C: Array, candidates: list[int], ups: list[float], values: list[float], top: float, sure: float,
    levels: dict[int, float],
) -> tuple[list[int], list[float], list[float], list[float], bool]:
    """The ratio test's rows, their entries, right-hand sides (as given), ratios and doubt, where some entry
    needs its row's own noise level.

    ``candidates`` are the rows whose entering-column entry ``ups`` is above
    :data:`FLOAT_PIVOT`'s threshold, ``values`` their right-hand sides. A
    row whose entry is at most ``top`` (the bound on every noise level) is
    dropped if the entry is noise in its row; a right-hand side is 0 if it
    is noise (at most :data:`FLOAT_ZERO`, or at most its row's level when
    it is at most ``sure``), and raises doubt within :data:`FLOAT_DOUBT` of
    that level. The levels computed are kept in ``levels``.
    """
    doubt = False
    rows: list[int] = []
    divs: list[float] = []
    kept: list[float] = []
    ratios: list[float] = []
    for i, c, given in zip(candidates, ups, values, strict=True):
        if c <= top:  # maybe noise in its row
            level = levels[i] = _row_level(C, i)
            if c <= level:
                continue
        v = given
        if -FLOAT_ZERO <= v <= FLOAT_ZERO:  # noise in any row (0 included)
            v = 0.0
        elif -sure <= v <= sure:  # between the bounds: the row's own level decides
            level = levels[i] if i in levels else levels.setdefault(i, _row_level(C, i))
            size = abs(v)
            if size <= level:
                v = 0.0
            elif size <= FLOAT_DOUBT * level:
                doubt = True
        rows.append(i)
        divs.append(c)
        kept.append(given)
        ratios.append(v / c)
    return rows, divs, kept, ratios, doubt


def _numpy_tie(
    C: Array, slot: list[int], tied_rows: list[int], tied: list[int], divs: list[float], own: dict[int, int],
    free_w: list[int], doubt: bool, spread: float,
) -> tuple[int, bool, bool, float]:
    """A tie of :func:`_small_ratio_test` with many entries, decided in numpy as :func:`_lex_choice` does.

    On the rows' exact noise levels; the block holds every nonbasic ``w``'s
    column and the unit columns of the tied rows' own basic ``w``, in the
    order of the ``w``.
    """
    columns = sorted(free_w + list(own.values())) if own else free_w
    whole = C.take(tied_rows, axis=0)
    # A basic w's slot is -1 (the right-hand side): its unit column is written over it.
    block = whole.take([slot[j] for j in columns], axis=1)
    if own:
        places = [columns.index(j) for j in own.values()]
        block[:, places] = 0.0
        block[list(own), places] = 1.0
    small = FLOAT_ZERO * np.maximum(_MAX(np.abs(whole), axis=1), 1.0)
    block, noisy = _denoised(block, small[:, None])
    block /= np.array([divs[t] for t in tied])[:, None]
    return tied_rows[_lex_least(block)], True, doubt or noisy, spread


def _sparse_column_rule(table: list[dict[int, float]]) -> int:
    """:func:`_column_rule` of rows given as dictionaries of their entries that are not 0.

    The columns go in increasing order of their keys; a column with no entry
    in any row is 0 in all of them, keeps every row, and is not visited, nor
    is one equal in all the rows left.
    """
    left = list(range(len(table)))
    for j in sorted(set().union(*table)):
        here = [table[t].get(j, 0.0) for t in left]
        if here.count(here[0]) == len(here):
            continue  # equal everywhere (0 in rows without an entry): every row stays
        left = _tied_lowest(left, here)
        if len(left) == 1:
            break
    return left[0]


def _float_result(original: Array, basis: list[int], values: Array, pivots: int, lexicographic: int) -> LemkeResult:
    """The result of a float path that ended in ``basis`` with the basic variables' ``values``.

    The final basis is solved again from the original data (less
    accumulated error), unless it is so ill-conditioned that the two
    answers disagree. A ``z`` that comes out as a zero of either sign is
    written +0.0.
    """
    n = len(basis)
    if n <= SMALL_LCP:
        again = _basis_values(original, basis, values)
    else:
        again = _refactored_held(original, basis, np.array([2 * n + 1]), values[:, None])[:, 0]
    if _close(again, values):
        values = again
    z = [0.0] * n
    for v, value in zip(basis, values.tolist(), strict=True):
        if v >= n and value > 0.0:
            z[v - n] = value
    return LemkeResult(np.array(z), pivots, tuple(basis), lexicographic)


def _close(again: Array, values: Array) -> bool:
    """``np.allclose(again, values, rtol=FLOAT_REFINE, atol=FLOAT_REFINE)``, in fewer numpy calls.

    For finite numbers that test is ``|again - values| <= FLOAT_REFINE + FLOAT_REFINE |values|``
    everywhere, written out here; infinities and NaN go to numpy's own.
    """
    if not (math.isfinite(float(_MAX(np.abs(values), initial=0.0)))
            and math.isfinite(float(_MAX(np.abs(again), initial=0.0)))):
        return bool(np.allclose(again, values, rtol=FLOAT_REFINE, atol=FLOAT_REFINE))
    return bool((np.abs(again - values) <= FLOAT_REFINE + FLOAT_REFINE * np.abs(values)).all())


def _basis_values(original: Array, basis: list[int], values: Array) -> Array:
    """The right-hand side column of :func:`_refactored_held`, on sparse rows in Python.

    For small problems, where the system of the basic ``z`` has a few
    entries a row: the same Gauss-Jordan elimination (the same pivots,
    :func:`_gauss_jordan`), each row a dictionary of its entries that are
    not 0, so that only those are divided and subtracted, in the same order
    and with the same operations (an entry that is 0 would only change in
    the sign of a zero); then the rows of the basic ``w`` less their
    couplings' multiples, in the same order (only the couplings that are
    not 0). ``values`` comes back if the basis is singular.
    """
    n = len(basis)
    rhs = 2 * n + 1
    columns = [v for v in basis if v >= n]  # the basic z, in the order of their rows
    w_rows = [v for v in basis if v < n]
    basic_w = set(w_rows)
    system = [i for i in range(n) if i not in basic_w]
    k = len(columns)
    data = original.take(system, axis=0)
    block = data.take(columns, axis=1)
    right = data[:, rhs].tolist()
    live = any(right)
    # Rows by number (their place changes with the row swaps); holders[j]:
    # the rows with an entry in column j.
    rows: list[dict[int, float]] = [{} for _ in range(k)]
    holders: list[set[int]] = [set() for _ in range(k + 1)]
    at = block.ravel().nonzero()[0]  # row by row, columns increasing
    biggest = 0.0
    for place, v in zip(at.tolist(), block.take(at).tolist(), strict=True):
        i, j = divmod(place, k)
        rows[i][j] = v
        holders[j].add(i)
        size = v if v >= 0.0 else -v
        if size > biggest:
            biggest = size
    if not all(holders[:k]):
        return values  # a zero column: singular
    if live:
        for i, v in enumerate(right):
            if v:
                rows[i][k] = v
                holders[k].add(i)
    order = list(range(k))  # the row at each place
    place_of = list(range(k))
    least = FLOAT_PIVOT * max(1.0, biggest)
    for c in range(k):
        # The largest entry in size at places c and on (the first such place).
        best, p = -1.0, k
        for i in holders[c]:
            at_place = place_of[i]
            if at_place >= c:
                size = abs(rows[i][c])
                if size > best or (size == best and at_place < p):
                    best, p = size, at_place
        if best <= least:
            return values
        if p != c:
            moved, here = order[p], order[c]
            order[p], order[c] = here, moved
            place_of[moved], place_of[here] = c, p
        mine = order[c]
        pivot_row = rows[mine]
        pivot = pivot_row.pop(c)
        if pivot != 1.0:
            for j in pivot_row:
                pivot_row[j] /= pivot
        terms = list(pivot_row.items())
        pivot_row[c] = 1.0  # pivot / pivot
        for i in holders[c]:
            if i == mine:
                continue
            row = rows[i]
            f = row.pop(c)  # f - f * 1.0: exactly 0
            if f:
                for j, b in terms:
                    if j in row:
                        row[j] -= f * b
                    else:
                        holders[j].add(i)
                        row[j] = 0.0 - f * b
        holders[c] = {mine}
    out = [0.0] * n
    solved = [rows[i].get(k, 0.0) for i in order] if live else [0.0] * k
    place = 0
    for r, v in enumerate(basis):
        if v >= n:
            out[r] = solved[place]
            place += 1
    if w_rows:
        w_data = original.take(w_rows, axis=0)
        w_rhs = w_data[:, rhs].tolist()
        if live and k:
            coupled = w_data.take(columns, axis=1)
            at = coupled.ravel().nonzero()[0]  # row by row, columns increasing
            for place, coupling in zip(at.tolist(), coupled.take(at).tolist(), strict=True):
                unit, j = divmod(place, k)
                w_rhs[unit] -= coupling * solved[j]
        unit = 0
        for r, v in enumerate(basis):
            if v < n:
                out[r] = w_rhs[unit]
                unit += 1
    return np.array(out)


def _held_zero(C: Array) -> Array:
    """:func:`_row_zero` of the full tableau, from its stored columns (each row also holds a 1)."""
    return np.asarray(FLOAT_ZERO * np.maximum(_MAX(np.abs(C), axis=1), 1.0))


def _refactored_held(original: Array, basis: list[int], held: Array, C: Array) -> Array:
    """The columns ``held`` of :func:`_refactored`'s tableau, computed for those columns only.

    ``held`` lists nonbasic variables (and the right-hand side). The same
    system is solved with the same steps, carrying along only the held
    columns that are not 0 throughout it (each column of an elimination is
    computed on its own, so leaving the others out changes no bit of these);
    the rows of the basic ``w`` then lose their couplings' multiples of the
    solved rows in the same order. ``C`` comes back if the basis is singular.
    """
    n = len(basis)
    order = np.asarray(basis)
    is_z = order >= n
    other_rows = is_z.nonzero()[0]
    unit_rows = (~is_z).nonzero()[0]
    w = order[unit_rows]
    columns = order[other_rows]
    constrained = np.ones(n, dtype=bool)
    constrained[w] = False
    R = original[constrained]
    if not R[:, columns].any(axis=0).all():
        return C  # a zero column: singular
    sub = R[:, held]
    live = np.asarray(sub.any(axis=0)).nonzero()[0]  # places in held
    k = columns.size
    aug = np.empty((k, k + live.size))
    aug[:, :k] = R[:, columns]
    aug[:, k:] = sub[:, live]
    solved = _gauss_jordan(aug)
    if solved is None:
        return C
    carried = np.ascontiguousarray(solved[:, k:])  # whole rows gather fast below
    rows_w = original[w]
    fresh = np.empty((n, held.size))
    fresh[unit_rows] = rows_w[:, held]
    fresh[other_rows] = 0.0
    part = np.empty((n, live.size))
    part[other_rows] = carried
    coupling = rows_w[:, columns]
    hit, col = coupling.nonzero()  # row by row, columns increasing
    if hit.size:
        # As in _refactored: step t subtracts the t-th term of every row
        # (each term formed just before it is used: a product, then the
        # subtraction, as in the plain computation). The rows are put in
        # decreasing order of their number of terms, so that the rows with
        # a t-th term are the first ones: a slice, changed in place.
        count = np.bincount(hit, minlength=w.size)
        order = np.argsort(-count, kind="stable")
        start = count.cumsum() - count  # each row's first term among hit, col
        factors = coupling[hit, col]
        mine = rows_w[order][:, held[live]]  # the basic w's rows in the live columns
        many = count[order]
        first = start[order]
        for t in range(int(many[0])):
            m = int(np.count_nonzero(many > t))
            terms = first[:m] + t
            mine[:m] -= factors[terms, None] * carried[col[terms]]
        part[unit_rows[order]] = mine
    else:
        part[unit_rows] = rows_w[:, held[live]]
    fresh[:, live] = part
    return fresh


class _HeldInverse:
    """Rows of the basis inverse (the ``w`` columns of the full tableau) from the stored columns.

    A nonbasic ``w_j``'s column is stored (in ``slot[j]``); a basic one's is
    the unit vector of its row (``where[j]``); ``rowvar`` is the basic
    variable of each row.
    """

    def __init__(self, C: Array, slot: Array, where: Array, rowvar: Array, n: int) -> None:
        self.C, self.slot, self.where, self.rowvar, self.n = C, slot, where, rowvar, n

    def __call__(self, rows: Array) -> Array:
        """The basis-inverse rows of ``rows``, without the columns that are 0 in all of them.

        Those are the columns of the basic ``w`` of other rows; a column
        that is 0 throughout cannot split a tie (every row has the same
        entry) nor raise doubt (0 is noise at any level), so the rule of
        :func:`_lex_choice` decides the same without them, and the columns
        left keep their order.
        """
        n = self.n
        here = self.rowvar[rows]
        unit = (here < n).nonzero()[0]  # the rows (of ``rows``) that hold a basic w
        mark = self.where < 0  # the nonbasic w: stored
        mark[here[unit]] = True  # and the unit columns of these rows
        columns = mark.nonzero()[0]
        # Whole rows first (a fast gather), then their w columns; a basic
        # w's slot is -1, the right-hand side, overwritten with its unit column.
        block = self.C[rows][:, self.slot[columns]]
        place = columns.searchsorted(here[unit])
        block[:, place] = 0.0
        block[unit, place] = 1.0
        return block
