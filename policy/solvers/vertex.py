"""Exact vertex enumeration of best-response polytopes, and the extreme equilibria of a bimatrix game.

Mangasarian (1964), "Equilibrium points of bimatrix games", J. SIAM 12, showed
that the equilibria of a bimatrix game ``(A, B)`` are convex combinations of
finitely many extreme equilibria, each a pair of vertices of two polytopes; the
form used here is that of Avis, Rosenberg, Savani and von Stengel (2010),
"Enumeration of Nash equilibria for two-player games", Economic Theory 42,
section 3. With both payoff matrices made positive (adding a constant changes
no equilibrium),

* ``P = {x in R^m : x >= 0, B^T x <= 1}`` and ``Q = {y in R^n : A y <= 1, y >= 0}``
  are bounded polytopes;
* a point has *label* ``i`` (a row, ``0 <= i < m``) when ``x_i = 0`` in ``P``, or
  ``(A y)_i = 1`` in ``Q``; label ``m + j`` (a column) when ``(B^T x)_j = 1`` in
  ``P``, or ``y_j = 0`` in ``Q``;
* ``(x, y) != (0, 0)`` is *completely labelled* when every one of the ``m + n``
  labels is a label of ``x`` or of ``y``; then ``(x / sum x, y / sum y)`` is a
  Nash equilibrium, and the extreme equilibria are exactly the normalised
  completely labelled pairs of vertices.

The vertices of each polytope are found by a breadth-first search over the
bases of its slack system ``M z + s = 1``, pivoting in integers (every tableau
entry is an integer multiple of the current basis determinant, so the update
``(a_rc a_ij - a_ic a_rj) / det`` divides exactly; Edmonds 1967, as used for
Lemke-Howson by von Stengel, "Computing equilibria for two-person games",
Handbook of Game Theory 3, 2002, section 2.6). The leaving variable is chosen
by the lexicographic minimum ratio test, which amounts to perturbing the right
hand side ``1`` to ``1 + (eps, eps^2, ...)``: the perturbed polytope is simple,
its vertices are the lexico-feasible bases, one pivot apart when adjacent, and
its graph is connected (Balinski 1961), so the search reaches all of them; every
vertex of the unperturbed polytope is the basic solution of at least one of
them. A degenerate game (one where some vertex has more labels than its
dimension) has more bases than vertices; duplicates are merged.

Everything is exact: payoffs are ``Fraction`` or ``int``, scaled to integers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

Rational = Fraction | int


class VertexLimitError(ValueError):
    """The search met more bases than the caller allowed."""


@dataclass(frozen=True)
class Polytope:
    """The vertices of ``{z >= 0 : M z <= 1}`` (``M`` positive), with their zero sets.

    ``vertices[k]`` is a vertex and ``zeros[k]`` a bit mask: bit ``j < d`` is set
    when ``z_j = 0``, bit ``d + i`` when row ``i`` is tight (``(M z)_i = 1``).
    ``degenerate`` says whether some vertex is on more than ``d`` of these
    facets; ``bases`` counts the lexico-feasible bases visited.
    """

    vertices: tuple[tuple[Fraction, ...], ...]
    zeros: tuple[int, ...]
    degenerate: bool
    bases: int


@dataclass(frozen=True)
class ExtremeEquilibria:
    """The extreme equilibria of a bimatrix game as mixed strategy pairs (exact)."""

    equilibria: tuple[tuple[tuple[Fraction, ...], tuple[Fraction, ...]], ...]
    degenerate: bool
    """Whether a vertex of either polytope has more labels than its dimension."""
    vertices: tuple[int, int]
    """How many vertices ``P`` and ``Q`` have (the origin included)."""


def integer_matrix(rows: Sequence[Sequence[Rational]]) -> list[list[int]]:
    """The matrix shifted so that its smallest entry is 1, then scaled to integers.

    Both changes keep the best responses, hence the equilibria, of the player
    whose payoffs these are.
    """
    entries = [Fraction(v) for row in rows for v in row]
    if not entries:
        raise ValueError("empty payoff matrix")
    shift = 1 - min(entries)
    shifted = [[Fraction(v) + shift for v in row] for row in rows]
    scale = math.lcm(*(v.denominator for row in shifted for v in row))
    return [[int(v * scale) for v in row] for row in shifted]


def polytope_vertices(matrix: Sequence[Sequence[int]], limit: int | None = None) -> Polytope:
    """Every vertex of ``{z >= 0 : M z <= 1}`` for an integer matrix ``M`` with entries >= 1.

    Parameters
    ----------
    matrix
        ``k`` rows of ``d`` positive integers (positive entries keep the
        polytope bounded).
    limit
        Stop with :class:`VertexLimitError` after this many bases.

    Returns
    -------
    Polytope
        The vertices in the order found (the origin first) and their zero sets.
    """
    k = len(matrix)
    d = len(matrix[0]) if k else 0
    if not k or not d or any(len(row) != d for row in matrix):
        raise ValueError("the matrix must be a non-empty rectangle")
    if any(v < 1 for row in matrix for v in row):
        raise ValueError("the matrix must have positive entries (bounded polytope)")
    rhs = d + k
    # Row i: the constraint whose basic variable is basis[i]; columns z_0..z_{d-1},
    # s_0..s_{k-1}, then the right hand side. All entries are `det` times the
    # entries of the tableau B^-1 [M I 1].
    start = [list(matrix[i]) + [int(i == j) for j in range(k)] + [1] for i in range(k)]
    start_basis = tuple(range(d, d + k))
    seen = {frozenset(start_basis)}
    queue: deque[tuple[list[list[int]], tuple[int, ...], int]] = deque([(start, start_basis, 1)])
    found: dict[tuple[Fraction, ...], int] = {}
    degenerate = False
    bases = 0
    while queue:
        table, basis, det = queue.popleft()
        bases += 1
        if limit is not None and bases > limit:
            raise VertexLimitError(f"more than {limit} bases")
        point = [Fraction(0)] * d
        zeros = (1 << rhs) - 1
        for i, var in enumerate(basis):
            value = table[i][rhs]
            if value:
                zeros &= ~(1 << var)
                if var < d:
                    point[var] = Fraction(value, det)
        if zeros.bit_count() > d:
            degenerate = True
        found.setdefault(tuple(point), zeros)
        in_basis = set(basis)
        for enter in range(rhs):
            if enter in in_basis:
                continue
            row = _leaving_row(table, enter, d, k)
            if row < 0:
                continue  # no bound in this direction; cannot happen for M > 0
            nxt = basis[:row] + (enter,) + basis[row + 1 :]
            key = frozenset(nxt)
            if key in seen:
                continue
            seen.add(key)
            queue.append((_pivot(table, row, enter, det), nxt, table[row][enter]))
    return Polytope(
        vertices=tuple(found), zeros=tuple(found.values()), degenerate=degenerate, bases=bases
    )


def _leaving_row(table: list[list[int]], enter: int, d: int, k: int) -> int:
    """The row that leaves when ``enter`` enters: the lexicographic minimum ratio.

    Rows are compared by ``(rhs, B^-1 row) / pivot entry``; the rows of
    ``B^-1`` are independent, so the minimum is unique. -1 if no row bounds
    the step.
    """
    rhs = d + k
    order = (rhs, *range(d, d + k))
    best = -1
    for i, row in enumerate(table):
        a = row[enter]
        if a <= 0:
            continue
        if best < 0:
            best = i
            continue
        b = table[best][enter]
        for col in order:
            left, right = row[col] * b, table[best][col] * a
            if left != right:
                if left < right:
                    best = i
                break
    return best


def _pivot(table: list[list[int]], row: int, col: int, det: int) -> list[list[int]]:
    """A new tableau after an integer pivot on ``(row, col)`` (the pivot row is kept)."""
    pivot_row = table[row]
    a = pivot_row[col]
    out: list[list[int]] = []
    for i, r in enumerate(table):
        if i == row:
            out.append(list(r))
            continue
        c = r[col]
        if c == 0:
            out.append([(a * v) // det for v in r])
        else:
            out.append([(a * v - c * p) // det for v, p in zip(r, pivot_row, strict=True)])
    return out


def extreme_equilibria(
    payoff_a: Sequence[Sequence[Rational]],
    payoff_b: Sequence[Sequence[Rational]],
    limit: int | None = None,
) -> ExtremeEquilibria:
    """Every extreme Nash equilibrium of the bimatrix game ``(A, B)``, exactly.

    Parameters
    ----------
    payoff_a, payoff_b
        The row and column player's payoffs, ``m`` rows of ``n`` numbers each.
    limit
        Passed to :func:`polytope_vertices` for each polytope.

    Returns
    -------
    ExtremeEquilibria
        Pairs ``(x, y)`` of mixed strategies (tuples of ``Fraction`` summing to
        1), sorted so that strategies putting more weight on earlier pure
        strategies come first.
    """
    m = len(payoff_a)
    n = len(payoff_a[0]) if m else 0
    if len(payoff_b) != m or any(len(r) != n for r in (*payoff_a, *payoff_b)):
        raise ValueError("A and B must be matrices of the same shape")
    a = integer_matrix(payoff_a)
    b = integer_matrix(payoff_b)
    bt = [[b[i][j] for i in range(m)] for j in range(n)]
    p = polytope_vertices(bt, limit)  # x in R^m: bits 0..m-1 are x_i = 0, m+j tight column j
    q = polytope_vertices(a, limit)  # y in R^n: bits 0..n-1 are y_j = 0, n+i tight row i
    full = (1 << (m + n)) - 1
    low = (1 << n) - 1
    x_by_labels: dict[int, list[tuple[Fraction, ...]]] = {}
    for x, z in zip(p.vertices, p.zeros, strict=True):
        if any(x):
            x_by_labels.setdefault(z, []).append(x)
    y_by_labels: dict[int, list[tuple[Fraction, ...]]] = {}
    for y, z in zip(q.vertices, q.zeros, strict=True):
        if any(y):
            labels = (z >> n) | ((z & low) << m)
            y_by_labels.setdefault(labels, []).append(y)
    pairs: list[tuple[tuple[Fraction, ...], tuple[Fraction, ...]]] = []
    for lx, xs in x_by_labels.items():
        for ly, ys in y_by_labels.items():
            if lx | ly != full:
                continue
            for x in xs:
                sx = sum(x)
                for y in ys:
                    sy = sum(y)
                    pairs.append((tuple(v / sx for v in x), tuple(v / sy for v in y)))
    pairs.sort(key=lambda pair: tuple(-v for v in (*pair[0], *pair[1])))
    return ExtremeEquilibria(
        equilibria=tuple(pairs),
        degenerate=p.degenerate or q.degenerate,
        vertices=(len(p.vertices), len(q.vertices)),
    )
