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

The vertices of each polytope are found by reverse search (Avis and Fukuda
1992, "A pivoting algorithm for convex hulls and vertex enumeration of
arrangements and polyhedra", Discrete and Computational Geometry 8) over the
bases of its slack system ``M z + s = 1``, kept as an lrs-style dictionary
(only the nonbasic columns) and pivoted in integers (every entry is an
integer multiple of the current basis determinant, so the update
``(a_rc a_ij - a_ic a_rj) / det`` divides exactly; Edmonds 1967, as used for
Lemke-Howson by von Stengel, "Computing equilibria for two-person games",
Handbook of Game Theory 3, 2002, section 2.6). The leaving variable is chosen
by the lexicographic minimum ratio test, as in Avis's lrs, which amounts to
perturbing the right hand side ``1`` to ``1 + (eps, eps^2, ...)``: the
perturbed polytope is simple, its vertices are the lexico-feasible bases, one
pivot apart when adjacent, and every vertex of the unperturbed polytope is
the basic solution of at least one of them. A degenerate game (one where
some vertex has more labels than its dimension) has more bases than
vertices; duplicates are merged. When the polytope of the player with fewer
strategies is degenerate, the other's vertices are taken only from the faces
that can complete one of its vertices (as lrsnash does), which is what lets
Kuhn poker's 27 x 64 strategic form finish.

Everything is exact: payoffs are ``Fraction`` or ``int``, scaled to integers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

Rational = Fraction | int


class VertexLimitError(ValueError):
    """The search met more bases than the caller allowed."""


class VertexTimeError(VertexLimitError):
    """The search went past the caller's deadline."""


PAIRING_FACTOR = 20
"""Label comparisons allowed when pairing vertices, per base of the limit."""


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


def polytope_vertices(
    matrix: Sequence[Sequence[int]], limit: int | None = None, deadline: float | None = None
) -> Polytope:
    """Every vertex of ``{z >= 0 : M z <= 1}`` for an integer matrix ``M`` with entries >= 1.

    Reverse search (Avis and Fukuda 1992, "A pivoting algorithm for convex
    hulls and vertex enumeration of arrangements and polyhedra", Discrete and
    Computational Geometry 8; with the lexicographic rule of Avis's lrs for
    degenerate polytopes). The simplex method minimising ``sum z``, with
    Bland's rule for the entering variable (the lowest index whose reduced
    cost is negative) and the lexicographic ratio test for the leaving one,
    runs from every lexico-feasible basis to the origin's basis, the unique
    optimum, without cycling: its pivots form a tree on the bases, rooted at
    the origin. The search walks that tree depth first from the root, taking
    from each basis the pivots that the simplex method would undo; whether
    it would is read off the current tableau (the reduced costs after the
    pivot), so no set of bases met is kept and memory is one tableau plus a
    stack of entering variables as deep as the tree. Each vertex is the
    basic solution of at least one lexico-feasible basis; duplicates (a
    degenerate vertex has several) are merged.

    Parameters
    ----------
    matrix
        ``k`` rows of ``d`` positive integers (positive entries keep the
        polytope bounded).
    limit
        Stop with :class:`VertexLimitError` as soon as more than this many
        bases have been visited; this bounds the time (memory is bounded by
        the number of vertices).
    deadline
        A ``time.monotonic()`` value after which the search stops with
        :class:`VertexTimeError` (checked between bases).

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
    total = d + k
    # The dictionary (lrs's form): variables z_0..z_{d-1}, then the slacks
    # s_0..s_{k-1} as d..d+k-1. Row i < k holds the basic variable basis[i];
    # column p < d the nonbasic variable cobasis[p], column d the right hand
    # side. Row k: the reduced costs of the objective sum z, then minus its
    # value. The columns of basic variables (det times unit vectors) are not
    # stored. All entries are `det` times those of the tableau, with det > 0,
    # so fraction-free pivots keep them integers.
    table = [[*matrix[i], 1] for i in range(k)]
    table.append([1] * d + [0])
    basis = list(range(d, total))
    cobasis = list(range(d))
    row_of = [-1] * d + list(range(k))
    pos_of = list(range(d)) + [-1] * k
    det = 1
    found: dict[int, tuple[Fraction, ...]] = {}
    degenerate = False
    bases = 0
    # (entering variable taken from the parent, the variable it replaced)
    path: list[tuple[int, int]] = []
    nxt = 0  # next candidate entering variable at the current basis
    fresh = True
    while True:
        if fresh:
            fresh = False
            bases += 1
            if limit is not None and bases > limit:
                raise VertexLimitError(f"more than {limit} bases")
            if deadline is not None and time.monotonic() > deadline:
                raise VertexTimeError(f"time budget spent after {bases} bases")
            # A vertex is the only point of the polytope where its tight
            # constraints are, so they (the zero variables) identify it.
            zeros = (1 << total) - 1
            for i, var in enumerate(basis):
                if table[i][d]:
                    zeros &= ~(1 << var)
            if zeros not in found:
                point = [Fraction(0)] * d
                for i, var in enumerate(basis):
                    if var < d and table[i][d]:
                        point[var] = Fraction(table[i][d], det)
                found[zeros] = tuple(point)
                if zeros.bit_count() > d:
                    degenerate = True
        cost = table[k]
        moved = False
        while nxt < total:
            enter = nxt
            nxt += 1
            col = pos_of[enter]
            # The simplex method undoes this pivot only if it worsens the
            # objective (positive reduced cost) ...
            if col < 0 or cost[col] <= 0:
                continue
            row = _leaving_row(table, col, d, k, row_of, pos_of, det)
            if row < 0:
                continue
            leave = basis[row]
            # ... and no lower-indexed variable improves it afterwards
            # (the leaving one does: its new reduced cost is negative).
            pivot_row = table[row]
            a = pivot_row[col]
            ce = cost[col]
            if any(
                var < leave and q != col and a * cost[q] < ce * pivot_row[q]
                for q, var in enumerate(cobasis)
            ):
                continue
            table, det = _pivot(table, row, col, det)
            basis[row], cobasis[col] = enter, leave
            row_of[enter], pos_of[enter] = row, -1
            row_of[leave], pos_of[leave] = -1, col
            path.append((enter, leave))
            nxt = 0
            fresh = moved = True
            break
        if moved:
            continue
        if not path:
            break
        enter, leave = path.pop()
        row, col = row_of[enter], pos_of[leave]
        table, det = _pivot(table, row, col, det)
        basis[row], cobasis[col] = leave, enter
        row_of[leave], pos_of[leave] = row, -1
        row_of[enter], pos_of[enter] = -1, col
        nxt = enter + 1
    return Polytope(
        vertices=tuple(found.values()), zeros=tuple(found), degenerate=degenerate, bases=bases
    )


def _leaving_row(
    table: list[list[int]], col: int, d: int, k: int, row_of: list[int], pos_of: list[int], det: int
) -> int:
    """The row that leaves when the variable of column ``col`` enters: the lexicographic minimum ratio.

    Rows are compared by ``(rhs, B^-1 row) / pivot entry``, where column ``j``
    of ``B^-1`` is that of slack ``j`` (``det`` times a unit vector when the
    slack is basic); the rows of ``B^-1`` are independent, so the minimum is
    unique. -1 if no row bounds the step.
    """
    best = -1
    for i in range(k):
        row = table[i]
        a = row[col]
        if a <= 0:
            continue
        if best < 0:
            best = i
            continue
        other = table[best]
        b = other[col]
        left, right = row[d] * b, other[d] * a
        if left != right:
            if left < right:
                best = i
            continue
        for var in range(d, d + k):
            p = pos_of[var]
            if p >= 0:
                left, right = row[p] * b, other[p] * a
            else:
                r = row_of[var]
                left = det * b if r == i else 0
                right = det * a if r == best else 0
            if left != right:
                if left < right:
                    best = i
                break
    return best


def _pivot(table: list[list[int]], row: int, col: int, det: int) -> tuple[list[list[int]], int]:
    """The dictionary after an integer pivot on ``(row, col)``, and its determinant (kept positive).

    The entering variable's column becomes that of the leaving one: ``det``
    in the pivot row, minus the old column elsewhere. The pivot row is kept.
    """
    pivot_row = table[row]
    a = pivot_row[col]
    out: list[list[int]] = []
    for i, r in enumerate(table):
        c = r[col]
        if i == row:
            new = list(r)
            new[col] = det
        elif c == 0:
            new = [(a * v) // det for v in r]
        else:
            new = [(a * v - c * p) // det for v, p in zip(r, pivot_row, strict=True)]
            new[col] = -c
        out.append(new)
    if a < 0:
        out = [[-v for v in r] for r in out]
        a = -a
    return out, a


def extreme_equilibria(
    payoff_a: Sequence[Sequence[Rational]],
    payoff_b: Sequence[Sequence[Rational]],
    limit: int | None = None,
    deadline: float | None = None,
) -> ExtremeEquilibria:
    """Every extreme Nash equilibrium of the bimatrix game ``(A, B)``, exactly.

    Parameters
    ----------
    payoff_a, payoff_b
        The row and column player's payoffs, ``m`` rows of ``n`` numbers each.
    limit
        Passed to :func:`polytope_vertices` for each polytope; the matching of
        vertices into pairs is also stopped (:class:`VertexLimitError`) after
        ``PAIRING_FACTOR * limit`` label comparisons.
    deadline
        A ``time.monotonic()`` value after which the enumeration stops with
        :class:`VertexTimeError`.

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
    if m > n:
        # Enumerate the polytope of lower dimension in full (see below): swap the players.
        swapped = extreme_equilibria(
            [list(col) for col in zip(*payoff_b, strict=True)],
            [list(col) for col in zip(*payoff_a, strict=True)],
            limit,
            deadline,
        )
        flipped = [(y, x) for x, y in swapped.equilibria]
        flipped.sort(key=lambda pair: tuple(-v for v in (*pair[0], *pair[1])))
        return ExtremeEquilibria(
            equilibria=tuple(flipped),
            degenerate=swapped.degenerate,
            vertices=(swapped.vertices[1], swapped.vertices[0]),
        )
    a = integer_matrix(payoff_a)
    b = integer_matrix(payoff_b)
    bt = [[b[i][j] for i in range(m)] for j in range(n)]
    # x in R^m: bits 0..m-1 are x_i = 0, m+j tight column j
    p = polytope_vertices(bt, limit, deadline)
    if p.degenerate:
        return _by_faces(a, p, limit, deadline)
    # y in R^n: bits 0..n-1 are y_j = 0, n+i tight row i
    q = polytope_vertices(a, limit, deadline)
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
    # A vertex of P has at least m labels, one of Q at least n. A pair is
    # completely labelled when the y labels contain the m + n - |lx| missing
    # ones: for x with exactly m labels and y with exactly n that is one
    # dictionary look-up; only label sets with surplus (degenerate vertices)
    # need comparing with many.
    surplus_y = [ly for ly in y_by_labels if ly.bit_count() > n]
    budget = None if limit is None else PAIRING_FACTOR * limit
    checks = 0
    pairs: list[tuple[tuple[Fraction, ...], tuple[Fraction, ...]]] = []
    for lx, xs in x_by_labels.items():
        need = full & ~lx
        if lx.bit_count() > m:
            candidates: list[int] = list(y_by_labels)
        else:
            candidates = ([need] if need in y_by_labels else []) + surplus_y
        checks += len(candidates)
        if budget is not None and checks > budget:
            raise VertexLimitError(f"more than {budget} label comparisons pairing the vertices")
        if deadline is not None and time.monotonic() > deadline:
            raise VertexTimeError("time budget spent pairing the vertices")
        for ly in candidates:
            if ly & need != need:
                continue
            for x in xs:
                sx = sum(x)
                for y in y_by_labels[ly]:
                    sy = sum(y)
                    pairs.append((tuple(v / sx for v in x), tuple(v / sy for v in y)))
    pairs.sort(key=lambda pair: tuple(-v for v in (*pair[0], *pair[1])))
    return ExtremeEquilibria(
        equilibria=tuple(pairs),
        degenerate=p.degenerate or q.degenerate,
        vertices=(len(p.vertices), len(q.vertices)),
    )


def _by_faces(a: list[list[int]], p: Polytope, limit: int | None, deadline: float | None) -> ExtremeEquilibria:
    """The extreme equilibria from every vertex of ``P`` and the matching faces of ``Q``.

    As lrsnash does (Avis, Rosenberg, Savani and von Stengel 2010, section
    5): the partners of a vertex ``x`` of ``P`` are the vertices ``y`` of
    ``Q`` that are zero outside the columns ``J`` tight at ``x`` and make
    every row in the support of ``x`` tight. Those are the vertices of
    ``{y' >= 0 : A[:, J] y' <= 1}`` (a face of ``Q``, of dimension ``|J|``,
    enumerated once per ``J``) with those rows tight, placed in ``J``. Used
    when ``P`` is degenerate (so the game is, whatever ``Q`` is): ``Q`` can
    then have far more bases than its faces together (Kuhn poker's 27 x 64
    strategic form). ``vertices`` counts ``P``'s and the faces' vertices.
    """
    m, n = len(a), len(a[0])
    faces: dict[int, Polytope] = {}
    pairs: list[tuple[tuple[Fraction, ...], tuple[Fraction, ...]]] = []
    for x, z in zip(p.vertices, p.zeros, strict=True):
        if not any(x):
            continue
        if deadline is not None and time.monotonic() > deadline:
            raise VertexTimeError("time budget spent pairing the vertices")
        cols = [j for j in range(n) if z >> (m + j) & 1]
        face = faces.get(z >> m)
        if face is None:
            face = polytope_vertices([[row[j] for j in cols] for row in a], limit, deadline)
            faces[z >> m] = face
        t = len(cols)
        need = 0
        for i in range(m):
            if not z >> i & 1:
                need |= 1 << (t + i)
        sx = sum(x)
        for y_face, zy in zip(face.vertices, face.zeros, strict=True):
            if zy & need != need or not any(y_face):
                continue
            sy = sum(y_face)
            y = [Fraction(0)] * n
            for j, v in zip(cols, y_face, strict=True):
                y[j] = v / sy
            pairs.append((tuple(v / sx for v in x), tuple(y)))
    pairs.sort(key=lambda pair: tuple(-v for v in (*pair[0], *pair[1])))
    return ExtremeEquilibria(
        equilibria=tuple(pairs),
        degenerate=True,
        vertices=(len(p.vertices), sum(len(f.vertices) for f in faces.values())),
    )
