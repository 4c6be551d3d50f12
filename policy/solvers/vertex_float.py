"""The extreme equilibria of a bimatrix game by float vertex enumeration, each answer made exact.

The float counterpart of :mod:`policy.solvers.vertex` (same polytopes, same
labels; Avis, Rosenberg, Savani and von Stengel 2010, "Enumeration of Nash
equilibria for two-player games", Economic Theory 42, section 3). With the
payoffs shifted positive, ``P = {x >= 0 : B^T x <= 1}`` (``x`` in ``R^m``)
and ``Q = {y >= 0 : A y <= 1}``; label ``i < m`` is ``x_i = 0`` or row ``i``
tight, label ``m + j`` column ``j`` tight or ``y_j = 0``; the extreme
equilibria are the completely labelled pairs of vertices, normalised.

Small games (at most :data:`SMALL_WORK`, see :func:`small_work`) are
enumerated in Python integers alone (:func:`_small_pairs`:
every basis of both polytopes solved, the completely labelled pairs kept),
where qhull's and numpy's fixed costs would be most of the time. Larger
games, in steps, for ``m <= n`` (otherwise the players are swapped first):

1. the vertices of ``P`` from qhull, as the facets of the polar polytope
   (:func:`hull_vertices`; QuantEcon's ``vertex_enumeration`` does the same
   for both polytopes), each with the bit mask of every constraint tight
   there;
2. partners solved, not enumerated (:func:`_solved_partners`): a vertex
   ``x`` of ``P`` with support ``S`` and tight columns ``T`` can only be
   completed by the vertices of the face of ``Q`` that is zero off ``T``
   and tight on ``S``. When ``x`` is simple (exactly ``m`` labels),
   ``|S| = |T|`` and that face is at most the solution of
   ``A[S, T] y_T = 1``; when ``x`` has surplus labels (a degenerate game),
   each vertex of the face solves such a system with as many more tight
   constraints chosen. The systems are screened by pure dominance (a row of
   ``S`` beaten on every column of ``T`` is no best reply; read from the
   masks in Python for a few vertices, :data:`PARTNERS_IN_PYTHON`, with
   numpy for more); a few left
   (:data:`EXACT_ONLY_SYSTEMS`) go straight to step 4, more are first
   solved all at once, batched by size, with numpy; one is dropped only when its
   solution violates ``y >= 0`` or ``A y <= 1`` by more than a bound on the
   solve's error (from the condition number, bounded through the
   determinant). So ``Q`` is not enumerated, which halves qhull's work, the
   bulk of the time;
3. where step 2 cannot decide alone (a singular system, too many systems,
   an even count in a game that may be nondegenerate, exact arithmetic
   disagreeing with qhull), both polytopes are enumerated and their label
   masks matched (:func:`_matched_partners`), the masks of simple vertices
   by one sorted join, those with surplus labels against all;
4. every candidate pair is solved again in rationals from its support
   (:class:`_ExactGame`: on the payoffs scaled to Python integers, Cramer's
   rule written out up to 4 unknowns, fraction-free elimination beyond) and
   kept only if it is an exact equilibrium.

The answers are thus exact equilibria shown in floats (each probability the
correctly rounded ratio of two integers). ``None`` means the enumeration
cannot vouch for its answer (qhull failed or disagrees with exact
arithmetic, or the count is even in a nondegenerate game, which has an odd
number of equilibria: Shapley 1974); the caller then runs the exact
enumeration.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

MixedPair = tuple[tuple[float, ...], tuple[float, ...]]


class ExactPair(NamedTuple):
    """An extreme equilibrium as positive integer multiples of the two mixed strategies.

    ``x`` and ``y`` are the row and column player's strategies times a
    positive integer each (the strategy is the vector over its sum); ``ay``
    is ``A y`` and ``xb`` is ``x B`` in the game's integer payoffs
    (:class:`_ExactGame`: ``A`` and ``B`` times their scales). Every strategy
    a player uses is a best reply, exactly: the largest entry of ``ay`` on
    ``x``'s support, of ``xb`` on ``y``'s.
    """

    x: list[int]
    xb: list[int]
    y: list[int]
    ay: list[int]

    def mixed(self) -> MixedPair:
        """The two mixed strategies in floats, each probability correctly rounded."""
        return _normalised(self.x), _normalised(self.y)

    def swapped(self) -> ExactPair:
        """The same equilibrium in the game with the players swapped (``B^T``, ``A^T``)."""
        return ExactPair(self.y, self.ay, self.x, self.xb)

#: A constraint is tight at a qhull vertex when its slack is at most this,
#: relative to the size of the rounding in computing it.
TIGHT = 1e-9
#: Safety factor on the forward-error bound of a batched solve (step 2):
#: error <= ERROR_SAFETY * k * eps * cond(M) * max |y|.
ERROR_SAFETY = 64.0
#: At most this many systems are solved for the partners of vertices with
#: surplus labels (step 2); beyond, both polytopes are enumerated instead.
MAX_FACE_SYSTEMS = 5000
#: Step 2 solves at most this many systems (those left by the dominance
#: screen) exactly, one by one, without screening them in floats first (the
#: batched float solve's fixed cost is more than a few exact solves).
EXACT_ONLY_SYSTEMS = 20
#: Systems of one size are solved in one batch; a size with fewer joins the
#: next larger size, padded (see :func:`_batches`).
MIN_BATCH = 256
#: Systems are first screened by pure dominance (:func:`_beaten_on`, a table
#: of ``2^n`` column sets a row) while the column player has at most this
#: many strategies.
DOMINANCE_MAX_COLUMNS = 16
#: ...and the test is made directly for each system's rows and every pair of
#: rows (not through that table) while systems times rows squared is at most this.
DOMINANCE_DIRECT = 1 << 15
#: Games with at most this much work for the integer path, ``sum over k of
#: C(m, k) C(n, k) k^2`` (the systems of each size, by a rough cost of each:
#: 4 x 4 320, 3 x 6 378, 2 x 14 392; 3 x 7 588 and 4 x 5 700 are not), are
#: enumerated in Python integers alone (:func:`_small_pairs`),
#: without qhull or numpy, whose fixed costs are most of the time at that size.
#: About where the two paths cost the same (0 turns the integer path off).
SMALL_WORK = 400
#: :func:`hull_vertices` calls scipy's qhull wrapper directly (False: through
#: ``ConvexHull``, the same facets; see :func:`_facets`).
QHULL_DIRECT = True
#: :func:`hull_vertices` merges the facets of one vertex in Python up to this
#: many facets (numpy's ``unique`` beyond: its fixed cost is most of the time below).
UNIQUE_IN_PYTHON = 256
#: Step 2 reads the vertices' masks into systems and screens them by pure
#: dominance in Python up to this many vertices of ``P`` (numpy beyond: its
#: fixed cost is most of the time below).
PARTNERS_IN_PYTHON = 64
#: ...with the positions of the bits of every mask up to this many bits kept in a table.
POSITIONS_MAX_WIDTH = 10
_EPS = float(np.finfo(np.float64).eps)


class _Unsure(Exception):
    """Exact arithmetic contradicts what the float enumeration assumed: it cannot vouch."""


def float_extreme_equilibria(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> list[MixedPair] | None:
    """Every extreme equilibrium of ``(A, B)`` (each player at least 2 strategies), exact, in floats.

    Parameters
    ----------
    a, b
        The row and column player's payoffs (``m x n``, floats or rationals).

    Returns
    -------
    list of (x, y) or None
        The extreme equilibria as pairs of mixed strategies, in no particular
        order, each an exact equilibrium rounded to floats; None when the
        float enumeration cannot vouch for its answer (see the module
        docstring).
    """
    found = exact_extreme_pairs(a, b)
    return None if found is None else [pair.mixed() for pair in found[0]]


def exact_extreme_pairs(
    a: npt.NDArray[Any], b: npt.NDArray[Any]
) -> tuple[list[ExactPair], tuple[int, int]] | None:
    """:func:`float_extreme_equilibria` with each answer as the exact integers it was checked in.

    Returns the equilibria (:class:`ExactPair`, in no particular order) and
    the scales ``(s_a, s_b)``: the integer payoffs are ``A s_a`` and ``B
    s_b``, so the row player's value at a pair is ``x . ay / (sum x sum y
    s_a)`` and the column player's ``xb . y / (sum x sum y s_b)``, exactly.
    None when the float enumeration cannot vouch for its answer.
    """
    m, n = a.shape
    if small_work(m, n) <= SMALL_WORK:
        game = _ExactGame(a, b)
        small = _small_pairs(game)
        return None if small is None else (small, game.scales)
    if m + n > 64:
        return None  # the label masks are 64-bit integers
    if m > n:
        swapped = exact_extreme_pairs(np.asarray(b).T, np.asarray(a).T)
        if swapped is None:
            return None
        turned, (scale_b, scale_a) = swapped
        return [pair.swapped() for pair in turned], (scale_a, scale_b)
    fa = _in_range(np.asarray(a, dtype=np.float64))
    fb = _in_range(np.asarray(b, dtype=np.float64))
    # P: x in R^m, label i for x_i = 0, m + j for column j tight.
    p = hull_vertices(fb - fb.min() + 1.0, np.arange(m + n))
    if p is None:
        return None
    game = _ExactGame(a, b)
    pairs: list[ExactPair] | None
    try:
        pairs = _solved_partners(fa, p, game)
    except _Unsure:
        pairs = None
    if pairs is None:
        pairs = _matched_partners(fa, p, game)
    return None if pairs is None else (pairs, game.scales)


#: The float steps (qhull, the screens) take a player's payoffs as they are while the
#: largest magnitude lies within 2**-RANGE_BITS .. 2**RANGE_BITS; beyond, they are first
#: multiplied by a power of two (:func:`_in_range`).
RANGE_BITS = 100


def _in_range(payoffs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A player's float payoffs brought to a largest magnitude near 1 when it is far from it.

    The polar points :func:`hull_vertices` gives qhull, and the sums it and
    the float screen form, overflow when payoffs are near the top of the
    float range (scipy's qhull then crashed the process: payoffs of 1e250 to
    1e300), and lose every difference when all are near its bottom. A
    positive factor changes no best reply, so it changes neither polytope's
    labels nor the equilibria; a power of two changes no number beyond
    those that underflow (entries more than about 2**1000 below the
    largest). The exact steps read the payoffs as given (:class:`_ExactGame`).
    Payoffs within :data:`RANGE_BITS` of 1 are returned as they are.
    """
    largest = float(np.abs(payoffs).max(initial=0.0))
    if largest == 0.0 or 2.0**-RANGE_BITS <= largest <= 2.0**RANGE_BITS:
        return payoffs
    return np.ldexp(payoffs, -math.frexp(largest)[1])


@functools.cache
def small_work(m: int, n: int) -> int:
    """How much work the integer path has in an ``m x n`` game (compared with :data:`SMALL_WORK`; kept per shape)."""
    return sum(math.comb(m, k) * math.comb(n, k) * k * k for k in range(1, min(m, n) + 1))


def _small_pairs(game: _ExactGame) -> list[ExactPair] | None:
    """Every extreme equilibrium of a small game, by trying every basis of both polytopes, exactly.

    A vertex of ``P`` is the solution of ``m`` independent tight constraints:
    rows outside a support ``S`` at zero and a set ``T`` of ``|S|`` columns
    tight, so solving ``pb[S, T]^T x = 1`` for every such pair (``C(m + n, m)
    - 1`` of them besides the origin) and keeping the solutions in ``P``
    finds every vertex, the degenerate ones included (several pairs give the
    same vertex; its full set of labels names it). When every vertex of
    ``P`` is simple, each one's only possible partner is solved for (as in
    step 2 below); otherwise, or when such a system is singular, ``Q`` is
    enumerated in the same way as ``P``. The
    extreme equilibria are the completely labelled pairs of vertices
    (Avis et al. 2010, section 3), the same set as the exact enumeration's;
    each is checked exactly (None if one failed, which the labels rule out).
    Everything is in Python integers (:class:`_ExactGame`): no rounding to
    vouch for.
    """
    m, n = len(game.a), len(game.a[0])
    xs = _small_vertices(game.pb, game.b, m, n, False)
    pairs: list[ExactPair] = []
    if all(mask.bit_count() == m for mask in xs):
        # Every vertex of P simple: its partners are solved for (the one
        # solution of pa[S, T] y = 1, as in step 2 below) instead of Q enumerated.
        for mask, (x, xb) in xs.items():
            found = game.y_point([i for i in range(m) if x[i]], [j for j in range(n) if mask >> (m + j) & 1])
            if found is False:  # singular: the partners may form a face of Q; enumerate Q
                pairs = []
                break
            if found is not None:
                y, ay = found
                if not _is_equilibrium(x, ay, y, xb):  # implied by the labels; the required exact check
                    return None
                pairs.append(ExactPair(x, xb, y, ay))
        else:
            return pairs
    ys = _small_vertices([list(col) for col in zip(*game.pa, strict=True)], game.bt_a, n, m, True)
    full = (1 << (m + n)) - 1
    for x_mask, (x, xb) in xs.items():
        for y_mask, (y, ay) in ys.items():
            if x_mask | y_mask == full:
                if not _is_equilibrium(x, ay, y, xb):  # implied by the labels; the required exact check
                    return None
                pairs.append(ExactPair(x, xb, y, ay))
    return pairs


def _small_vertices(
    shifted: list[list[int]], payoff: list[list[int]], m: int, n: int, column_player: bool
) -> dict[int, tuple[list[int], list[int]]]:
    """The vertices of ``{x >= 0 : x shifted <= 1}`` (``shifted`` ``m x n``, positive), by their labels.

    Each vertex comes as an integer multiple of ``x`` and the payoffs
    ``x payoff`` (the other player's, against ``x``, unshifted), keyed by the
    bit mask of its labels in the game's numbering: for the row player (P)
    bit ``i`` for ``x_i = 0`` and ``m + j`` for column ``j`` a best reply;
    for the column player (Q, ``column_player``, ``m`` and ``n`` swapped)
    bit ``j`` for row ``j`` a best reply and ``n + i`` for ``y_i = 0``.
    """
    found: dict[int, tuple[list[int], list[int]]] = {}
    own_shift, other_shift = (n, 0) if column_player else (0, m)
    # beats[j]: bit masks of the rows where some other column pays strictly
    # more than j; j is no best reply to an x whose support lies inside one.
    beats = [
        [sum(1 << i for i in range(m) if payoff[i][other] > payoff[i][j]) for other in range(n) if other != j]
        for j in range(n)
    ]
    for k in range(1, min(m, n) + 1):
        for rows in itertools.combinations(range(m), k):
            support = sum(1 << i for i in rows)
            replies = [j for j in range(n) if all(support & ~w for w in beats[j])]
            for cols in itertools.combinations(replies, k):
                solved = _solve_integer([[shifted[i][j] for i in rows] for j in cols])
                if solved is None or min(solved) < 0:
                    continue
                x = [0] * m
                for i, v in zip(rows, solved, strict=True):
                    x[i] = v
                xb = [sum([payoff[i][j] * x[i] for i in rows]) for j in range(n)]
                top = max(xb)
                if any(xb[j] != top for j in cols):
                    continue  # a column outside T pays more: not in the polytope
                mask = 0
                for i in range(m):
                    if not x[i]:
                        mask |= 1 << (i + own_shift)
                for j in range(n):
                    if xb[j] == top:
                        mask |= 1 << (j + other_shift)
                found.setdefault(mask, (x, xb))
    return found


def hull_vertices(
    g: npt.NDArray[np.float64], label: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]] | None:
    """The vertices of ``{x >= 0 : g^T x <= 1}`` (``g`` positive, ``d x k``): label masks and bases.

    By polar duality: with ``c`` the point ``1 / t`` times the ones vector,
    inside the polytope (``t`` twice the largest column sum), the polytope in
    ``z = x - c`` is ``{z : N z <= 1}`` for the ``d + k`` rows ``N`` (``-t e_i``
    for ``x_i >= 0``, ``g_j t / (t - s_j)`` for column ``j``), and its vertices
    are the facets of the convex hull of those rows (qhull): facet
    ``h . p + h0 = 0`` is the vertex ``z = -h / h0``. Row ``r`` carries label
    ``label[r]``. Each vertex comes with the mask of every row tight there
    (within :data:`TIGHT`, relative) and the labels of one simplex of qhull's
    facet, ``d`` independent constraints that fix it (a degenerate vertex's
    facet is split into several simplices, merged here by their tight
    masks). qhull runs with its default precision handling (``Qx`` from 5
    dimensions, as scipy sets it) plus ``Q5``, which skips its closing pass
    over every input point to measure how far outside its facet each lies
    (outer planes, for qhull's own checks): a third of the time at 15
    strategies, and the tight masks are recomputed here anyway. None if
    qhull fails.
    """
    ConvexHull, QhullError = _qhull()
    d, k = g.shape
    sums = g.sum(axis=0)
    t = 2.0 * float(sums.max())
    scale = t / (t - sums)
    # The rows N with a column of ones: a facet's equation (h, h0) times a
    # point gives h . N_r + h0 in one product.
    points = np.zeros((d + k, d + 1))
    points[:, d] = 1.0
    points[:d, :d].flat[:: d + 1] = -t
    points[d:, :d] = g.T * scale[:, None]
    try:
        simplices, equations = _facets(ConvexHull, points[:, :d], "Qx Q5" if d >= 5 else "Q5")
    except (QhullError, ValueError):
        return None
    # Row r is tight at the vertex z = -h / h0 when its slack 1 - z . N_r,
    # that is (h . N_r + h0) / h0, is within TIGHT of 0, relative to the
    # scale of the rounding in computing it (each product z_i N_ri is at
    # most |z|_max |N_r|_1 in size); multiplied through by |h0| > 0.
    # (einsum, not a matrix product: BLAS's threads cost more CPU than they save at these sizes.)
    distance = np.einsum("vi,ri->vr", equations, points)
    size = np.abs(equations)
    norms = np.empty(d + k)
    norms[:d] = t
    norms[d:] = sums * scale
    bound = size[:, :d].max(axis=1)[:, None] * norms
    bound += size[:, d:]
    tight = np.abs(distance, out=distance) <= np.multiply(bound, TIGHT, out=bound)
    # Bit label[r] of a vertex's mask is row r's tightness (the labels are
    # distinct, so the sum is the bitwise or).
    every = tight @ _label_weights(tuple(label.tolist()))
    if len(every) > UNIQUE_IN_PYTHON:
        masks, first = np.unique(every, return_index=True)
        return masks, label[simplices[first]]
    # np.unique's answer (the masks in increasing order, each with its first
    # facet) from a dict: fewer numpy calls where there are few vertices.
    firsts: dict[int, int] = {}
    for r, mask in enumerate(every.tolist()):
        firsts.setdefault(mask, r)
    ordered = sorted(firsts)
    return np.array(ordered, dtype=np.uint64), label[simplices[[firsts[v] for v in ordered]]]


@functools.lru_cache(maxsize=64)
def _label_weights(label: tuple[int, ...]) -> npt.NDArray[np.uint64]:
    """``2^label[r]`` for each row ``r``, as 64-bit integers (kept per labelling, read-only: two numpy calls fewer a hull)."""
    weights = np.uint64(1) << np.array(label, dtype=np.uint64)
    weights.setflags(write=False)
    return weights


def _facets(convex_hull: Any, points: npt.NDArray[np.float64], options: str) -> tuple[Any, Any]:
    """The simplices and equations of qhull's triangulated convex hull of ``points``.

    What ``scipy.spatial.ConvexHull(points, qhull_options=options)`` gives
    as ``simplices`` and ``equations``, from scipy's qhull wrapper without
    what ConvexHull adds (the hull's volume and area, facet neighbours,
    vertex lists): a fifth to a third of the call on the polytopes here.
    That wrapper (``scipy.spatial._qhull._Qhull``, as ConvexHull drives it:
    ``Qt`` required, triangulated) is not public; where it is missing or
    differs, ConvexHull itself runs.
    """
    if QHULL_DIRECT:
        try:
            from scipy.spatial._qhull import _Qhull

            qhull = _Qhull(b"i", points, options.encode(), required_options=b"Qt")
        except (ImportError, AttributeError, TypeError):
            pass
        else:
            try:
                qhull.triangulate()
                simplices, _, equations, _, _ = qhull.get_simplex_facet_array()
            finally:
                qhull.close()
            return simplices, equations
    hull = convex_hull(points, qhull_options=options)
    return hull.simplices, hull.equations


def _qhull() -> tuple[Any, type[Exception]]:
    """scipy's ``ConvexHull`` and ``QhullError``, imported on first use (scipy loads slowly) and kept."""
    global _QHULL
    if _QHULL is None:
        from scipy.spatial import ConvexHull, QhullError

        _QHULL = ConvexHull, QhullError
    return _QHULL


_QHULL: tuple[Any, type[Exception]] | None = None


def _solved_partners(
    fa: npt.NDArray[np.float64],
    p: tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]],
    game: _ExactGame,
) -> list[ExactPair] | None:
    """Step 2 of the module docstring: the partners of each vertex of ``P``, solved for.

    ``fa`` is ``A`` (``m x n``), ``p`` the label masks and bases of ``P``'s
    vertices (:func:`hull_vertices`). A vertex ``x`` with
    support ``S`` and tight columns ``T`` is partnered by the vertices of the
    face ``F = {y in Q : y = 0 off T, (A y)_i = 1 for i in S}`` of ``Q``. When
    ``x`` is simple, ``|S| = |T|`` and ``F`` is at most the one point solving
    ``A[S, T] y_T = 1``; when ``x`` has ``s = |T| - |S|`` surplus labels (a
    degenerate game), each vertex of ``F`` has ``s`` more constraints tight
    (``y_j = 0`` for ``j`` in ``T`` or ``(A y)_i = 1`` for ``i`` outside
    ``S``), so every choice of ``s`` of them is solved in the same way. None
    where this cannot decide (too many such choices, or an even count where
    the game may be nondegenerate); raises :class:`_Unsure` when a singular
    system or exact arithmetic says so.
    """
    m, n = fa.shape
    masks, bases = p
    masks_list = masks.tolist()
    if len(masks_list) <= PARTNERS_IN_PYTHON:
        head = _systems_in_python(fa, masks_list, game)
    else:
        head = _systems_in_numpy(fa, masks, game)
    if head is None:
        return None
    systems, any_surplus = head
    # Python lists from here: a few small vectors per candidate, where numpy's calls cost more.
    full_rows = (1 << m) - 1
    pairs: dict[tuple[int, tuple[int, ...]], ExactPair] = {}
    xs: dict[int, tuple[list[int], list[int]]] = {}
    for u, rows_, cols_ in systems:
        # The partner first: most candidates solved exactly have none (when
        # not screened in floats), and then x is not needed.
        found = game.y_point(rows_, cols_)
        if found is False and _surplus(masks_list[u], m):
            continue  # a singular choice of extra constraints: no vertex of F
        if found is False:
            raise _Unsure  # singular A[S, T]: the partners of x would form a face
        if found is None:
            continue
        if u not in xs:
            labels = set(bases[u].tolist())
            point = game.x_point([i for i in range(m) if i not in labels], [j - m for j in labels if j >= m])
            # qhull's vertex must be exactly what it seemed: that support, those best replies.
            mask = masks_list[u]
            if point is None or sum(1 << i for i, v in enumerate(point[0]) if v) != ~mask & full_rows:
                raise _Unsure
            top = max(point[1])
            if sum(1 << j for j, v in enumerate(point[1]) if v == top) != mask >> m:
                raise _Unsure
            xs[u] = point
        (x, xb), (y, ay) = xs[u], found
        if not _is_equilibrium(x, ay, y, xb):  # implied by the labels; the required exact check
            raise _Unsure
        divisor = math.gcd(*y)
        pairs[u, tuple(v // divisor for v in y)] = ExactPair(x, xb, y, ay)
    if not any_surplus and len(pairs) % 2 == 0:
        return None  # Q may be degenerate (then an even count is possible); let step 3 judge
    return list(pairs.values())


Systems = list[tuple[int, list[int], list[int]]]


def _surplus(mask: int, m: int) -> int:
    """How many labels a vertex of ``P`` with label mask ``mask`` has beyond ``m``."""
    return mask.bit_count() - m


def _face_choices(
    game: _ExactGame, rows: list[int], cols: list[int], s: int, m: int, so_far: int
) -> list[tuple[list[int], list[int]]] | None:
    """The systems of a vertex with ``s`` surplus labels: each choice of ``s`` more tight constraints.

    ``rows`` (the support ``S``) and ``cols`` (the tight columns ``T``); a
    choice sets ``y_j = 0`` for some ``j`` of ``T`` or makes a row outside
    ``S`` tight. None when ``so_far`` systems and these would pass
    :data:`MAX_FACE_SYSTEMS`; raises :class:`_Unsure` when the equations of
    the face are dependent.
    """
    extra = [(-1, j) for j in cols] + [(i, -1) for i in range(m) if i not in rows]
    if so_far + math.comb(len(extra), s) > MAX_FACE_SYSTEMS:
        return None
    # A singular choice is no vertex of F and is skipped; that misses no
    # vertex as long as the equations of F are independent.
    if not game.independent_rows(rows, cols):
        raise _Unsure
    return [
        (rows + [i for i, _ in chosen if i >= 0], [j for j in cols if (-1, j) not in chosen])
        for chosen in itertools.combinations(extra, s)
    ]


def _systems_in_python(fa: npt.NDArray[np.float64], masks: list[int], game: _ExactGame) -> tuple[Systems, bool] | None:
    """The systems of step 2 that pass the dominance screen (and the float one, when many), from Python masks.

    The same systems, in the same order, as :func:`_systems_in_numpy`, for
    few vertices (at most :data:`PARTNERS_IN_PYTHON`), where a loop over
    them costs less than numpy's calls on small arrays. Each: the vertex's
    position in ``masks``, the rows ``S'`` tight and the columns ``T'`` of
    ``y``'s support. Also whether some vertex has surplus labels. None where
    step 2 cannot decide.
    """
    m, n = fa.shape
    full_rows = (1 << m) - 1
    # beaters[i]: for each other row, the set of columns where it pays strictly
    # more than row i (row i is no best reply to a y on a subset of one).
    wins = ((fa[None, :, :] > fa[:, None, :]) @ (1 << np.arange(n))).tolist()
    beaters = [[w for w in set(row) if w] for row in wins]
    row_sets, col_sets = _positions(m), _positions(n)
    simple: Systems = []
    faces: Systems = []
    any_real = any_surplus = False
    face_systems = 0
    for u, mask in enumerate(masks):
        if mask == full_rows:
            continue  # the origin is no equilibrium
        any_real = True
        support = ~mask & full_rows
        tight = mask >> m
        rows = row_sets[support] if row_sets else [i for i in range(m) if support >> i & 1]
        cols = col_sets[tight] if col_sets else [j for j in range(n) if tight >> j & 1]
        s = len(cols) - len(rows)
        if not s:
            if not any(not tight & ~w for i in rows for w in beaters[i]):
                simple.append((u, rows, cols))
            continue
        any_surplus = True  # (fewer labels than m: no vertex; as in _systems_in_numpy, skipped)
        if s < 0:
            continue
        choices = _face_choices(game, rows, cols, s, m, face_systems)
        if choices is None:
            return None
        face_systems += len(choices)
        for rows_, cols_ in choices:
            col_mask = sum(1 << j for j in cols_)
            if not col_mask or not any(not col_mask & ~w for i in rows_ for w in beaters[i]):
                faces.append((u, sorted(rows_), cols_))  # rows in order, as numpy reads them
    if not any_real:
        return None
    systems = simple + faces
    if len(systems) <= EXACT_ONLY_SYSTEMS:
        return systems, any_surplus  # few enough to solve each exactly, without a float screen
    tight_rows = _bits(np.array([sum(1 << i for i in rows_) for _, rows_, _ in systems], dtype=np.uint64), m)
    y_cols = _bits(np.array([sum(1 << j for j in cols_) for _, _, cols_ in systems], dtype=np.uint64), n)
    keep = _float_screen(fa, tight_rows, y_cols)
    return [system for system, kept in zip(systems, keep.tolist(), strict=True) if kept], any_surplus


@functools.cache
def _positions(width: int) -> tuple[list[int], ...]:
    """For every bit mask below ``2^width``, the positions of its set bits (shared: not to be changed).

    Empty beyond :data:`POSITIONS_MAX_WIDTH` bits (the caller then computes them).
    """
    if width > POSITIONS_MAX_WIDTH:
        return ()
    return tuple([j for j in range(width) if mask >> j & 1] for mask in range(1 << width))


def _systems_in_numpy(
    fa: npt.NDArray[np.float64], masks: npt.NDArray[np.uint64], game: _ExactGame
) -> tuple[Systems, bool] | None:
    """:func:`_systems_in_python` with numpy, for many vertices."""
    m, n = fa.shape
    real_at = np.flatnonzero(masks != np.uint64((1 << m) - 1))  # the origin is no equilibrium
    masks = masks[real_at]
    if not masks.size:
        return None
    bits = _bits(masks, m + n)
    support, tight = ~bits[:, :m], bits[:, m:]
    in_support = np.count_nonzero(support, axis=1)
    surplus = np.count_nonzero(tight, axis=1) - in_support
    # The systems to solve: the simple vertices' own (S, T), then for each
    # vertex with surplus labels its choices (S', T'), |S'| = |T'|.
    owner = np.flatnonzero(surplus == 0)
    tight_rows, y_cols = support[owner], tight[owner]
    extra_owner: list[int] = []
    extra_rows: list[list[int]] = []
    extra_cols: list[list[int]] = []
    for u in np.flatnonzero(surplus > 0).tolist():
        rows = np.flatnonzero(support[u]).tolist()
        cols = np.flatnonzero(tight[u]).tolist()
        choices = _face_choices(game, rows, cols, int(surplus[u]), m, len(extra_owner))
        if choices is None:
            return None
        for rows_, cols_ in choices:
            extra_owner.append(u)
            extra_rows.append(rows_)
            extra_cols.append(cols_)
    if extra_owner:
        more_rows = np.zeros((len(extra_owner), m), dtype=bool)
        more_cols = np.zeros((len(extra_owner), n), dtype=bool)
        for r, (rows, cols) in enumerate(zip(extra_rows, extra_cols, strict=True)):
            more_rows[r, rows] = True
            more_cols[r, cols] = True
        owner = np.concatenate([owner, extra_owner])
        tight_rows = np.concatenate([tight_rows, more_rows])
        y_cols = np.concatenate([y_cols, more_cols])
    # Rows S' must be best replies to a y on T': none may be beaten on all of T'.
    if len(owner) * m * m <= DOMINANCE_DIRECT:
        # The same test as _beaten_on's table, made for these systems only:
        # row i of S' is beaten on T' when some row k wins on every column of T'.
        weights = 1 << np.arange(n)
        wins = (fa[None, :, :] > fa[:, None, :]) @ weights  # [i, k]: columns where k beats i
        col_masks = y_cols @ weights
        beaten = ((col_masks[:, None, None] & ~wins[None, :, :]) == 0).any(axis=2)  # [system, i]
        alive = ~(tight_rows & beaten).any(axis=1) | (col_masks == 0)
    elif n <= DOMINANCE_MAX_COLUMNS:
        beaten = _beaten_on(fa)
        col_masks = y_cols @ (1 << np.arange(n))
        alive = ~(tight_rows & beaten[:, col_masks].T).any(axis=1)
    else:
        alive = np.ones(len(owner), dtype=bool)
    if np.count_nonzero(alive) <= EXACT_ONLY_SYSTEMS:
        keep = alive  # few enough to solve each exactly, without a float screen
    else:
        keep = np.zeros(len(owner), dtype=bool)
        live = np.flatnonzero(alive)
        keep[live] = _float_screen(fa, tight_rows[live], y_cols[live])
    systems = [
        (u, [i for i, v in enumerate(r) if v], [j for j, v in enumerate(c) if v])
        for u, r, c in zip(
            real_at[owner[keep]].tolist(), tight_rows[keep].tolist(), y_cols[keep].tolist(), strict=True
        )
    ]
    return systems, bool(surplus.any())


def _float_screen(
    fa: npt.NDArray[np.float64], tight_rows: npt.NDArray[np.bool_], y_cols: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Which systems may have a partner in ``Q``, by batched float solves (:func:`_may_have_partner`)."""
    g = fa - fa.min() + 1.0
    sizes = np.count_nonzero(tight_rows, axis=1)
    keep = np.zeros(len(sizes), dtype=bool)
    for sel, k in _batches(sizes):
        keep[sel] = _may_have_partner(g, tight_rows[sel], y_cols[sel], sizes[sel], k)
    return keep


def _beaten_on(a: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """``out[i, T]``: whether some other row of ``a`` pays strictly more than row ``i`` in every column of ``T``.

    ``T`` is a bit mask over the ``n`` columns (``2^n`` of them). Such a row
    ``i`` is no best reply to any mixed strategy on ``T``. Each pair of rows
    marks the set of columns where the second beats the first; every subset
    of a marked set is then marked too, one column at a time (a superset
    passes its mark to the set without that column).
    """
    m, n = a.shape
    wins = (a[None, :, :] > a[:, None, :]) @ (1 << np.arange(n))  # [i, k]: columns where k beats i
    out = np.zeros((m, 1 << n), dtype=bool)
    out[np.repeat(np.arange(m), m), wins.ravel()] = True
    out[:, 0] = False  # a row is not beaten by itself (no columns); T is never empty
    for j in range(n):
        view = out.reshape(m, -1, 2, 1 << j)
        view[:, :, 0, :] |= view[:, :, 1, :]
    return out


def _batches(sizes: npt.NDArray[np.intp]) -> list[tuple[npt.NDArray[np.intp], int]]:
    """Systems grouped for batched solving: (their indices, the size they are padded to).

    Systems of one size go together; a size with fewer than
    :data:`MIN_BATCH` systems joins the next larger one (padding costs less
    than a batch's fixed overhead there).
    """
    order = np.argsort(sizes, kind="stable")
    if len(order) < MIN_BATCH:  # one batch, as the loop below would make it (the usual case in small games)
        return [(order, int(sizes[order[-1]]))] if len(order) else []
    values, starts = np.unique(sizes[order], return_index=True)
    out: list[tuple[npt.NDArray[np.intp], int]] = []
    begin = 0
    for value, end in zip(values.tolist(), [*starts[1:].tolist(), len(order)], strict=True):
        if end - begin >= MIN_BATCH or end == len(order):
            out.append((order[begin:end], value))
            begin = end
    return out


def _may_have_partner(
    g: npt.NDArray[np.float64],
    tight_rows: npt.NDArray[np.bool_],
    y_cols: npt.NDArray[np.bool_],
    sizes: npt.NDArray[np.intp],
    width: int,
) -> npt.NDArray[np.bool_]:
    """For each system (rows ``S`` tight, ``y`` zero off ``T``, ``|S| = |T| = k``): whether ``y`` may be in ``Q``.

    Solves ``g[S, T] y_T = 1`` for all systems at once, each padded to
    ``width`` with an identity block (``y`` 0 there), and keeps those whose
    ``y`` is not clearly outside ``Q``. The error of each computed ``y_j`` is
    bounded by ``ERROR_SAFETY k eps cond(M) max |y|`` (LU with partial
    pivoting is backward stable), where ``cond(M) < 2 / |det M| (|M|_F /
    sqrt k)^k`` (Guggenheimer, Edelman and Johnson 1995, "A simple estimate
    of the condition number of a linear system", College Mathematics
    Journal 26); the error of ``(g y)_i`` by row ``i``'s sum times that. A
    singular matrix (zero determinant in floats) is kept, to be decided
    exactly.
    """
    m, n = g.shape
    slots = np.arange(width)
    padded = slots[None, :] >= sizes[:, None]
    # Row slot t of a system is its t-th tight row, or row m + (t - k) of the
    # extended matrix; column slot t likewise with n: the padding meets an identity.
    rows = _slots(tight_rows, sizes, width, m)
    cols = _slots(y_cols, sizes, width, n)
    extended = np.zeros((m + width, n + width))
    extended[:m, :n] = g
    extended[m + slots, n + slots] = 1.0
    mat = extended[rows[:, :, None], cols[:, None, :]]
    sign, logdet = np.linalg.slogdet(mat)
    solvable = sign != 0
    if not solvable.all():
        mat[~solvable] = np.eye(width)
    y = np.linalg.solve(mat, (~padded).astype(np.float64)[:, :, None])[:, :, 0]
    frobenius = np.sqrt((np.einsum("vij,vij->v", mat, mat) - (width - sizes)) / sizes)
    log_cond = np.minimum(math.log(2.0) - logdet + sizes * np.log(frobenius), 300.0)
    relative = np.where(solvable, ERROR_SAFETY * sizes * _EPS * np.exp(log_cond), np.inf)
    error = relative * np.abs(y).max(axis=1)
    keep: npt.NDArray[np.bool_] = ~(y < -error[:, None]).any(axis=1)
    # Most systems have a negative y_j; the payoffs A y only for the others.
    left = np.flatnonzero(keep)
    full = np.zeros((len(left), n + width))
    full[np.arange(len(left))[:, None], cols[left]] = y[left]
    ay = np.einsum("vj,ij->vi", full[:, :n], g)
    # |(g y)_i - computed| <= sum_j g_ij |error of y_j| <= (row i's sum) * error
    over = (ay - 1.0 > g.sum(axis=1)[None, :] * error[left, None]) & ~tight_rows[left]
    keep[left[over.any(axis=1)]] = False
    return keep


def _slots(
    mask: npt.NDArray[np.bool_], sizes: npt.NDArray[np.intp], width: int, offset: int
) -> npt.NDArray[np.intp]:
    """Each row's set positions in order, then ``offset + t - size`` for slots ``t >= size``."""
    out: npt.NDArray[np.intp] = offset + np.arange(width)[None, :] - sizes[:, None]
    r, c = np.nonzero(mask)
    start = np.cumsum(sizes) - sizes
    out[r, np.arange(len(r)) - start[r]] = c
    return out


def _matched_partners(
    fa: npt.NDArray[np.float64],
    p: tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]],
    game: _ExactGame,
) -> list[ExactPair] | None:
    """Step 3 of the module docstring: both polytopes enumerated, their label masks matched.

    A pair is completely labelled when its masks cover every label: for
    vertices with exactly as many labels as their dimension that is one
    sorted intersection of masks with complements; the few vertices with
    more (degenerate games) are compared with all. Each pair is then solved
    in rationals from the constraints qhull found tight and checked exactly.
    None if qhull fails, a candidate is not an exact equilibrium, or a
    nondegenerate game gives an even count.
    """
    m, n = fa.shape
    # Q: y in R^n, label i for row i tight, m + j for y_j = 0.
    q = hull_vertices((fa - fa.min() + 1.0).T, np.concatenate([np.arange(m, m + n), np.arange(m)]))
    if q is None:
        return None
    (p_masks, p_sets), (q_masks, q_sets) = p, q
    full = np.uint64((1 << (m + n)) - 1)
    p_real = np.flatnonzero(p_masks != np.uint64((1 << m) - 1))
    q_real = np.flatnonzero(q_masks != np.uint64(((1 << n) - 1) << m))
    p_count = _popcount(p_masks[p_real])
    q_count = _popcount(q_masks[q_real])
    p_simple, p_surplus = p_real[p_count == m], p_real[p_count > m]
    q_simple, q_surplus = q_real[q_count == n], q_real[q_count > n]
    _, i_p, i_q = np.intersect1d(p_masks[p_simple] ^ full, q_masks[q_simple], return_indices=True)
    found = list(zip(p_simple[i_p].tolist(), q_simple[i_q].tolist(), strict=True))
    for u in p_surplus.tolist():
        found += [(u, v) for v in q_real[(p_masks[u] | q_masks[q_real]) == full].tolist()]
    for v in q_surplus.tolist():
        found += [(u, v) for u in p_simple[(p_masks[p_simple] | q_masks[v]) == full].tolist()]
    if not p_surplus.size and not q_surplus.size and len(found) % 2 == 0:
        return None
    xs: dict[int, tuple[list[int], list[int]] | None] = {}
    ys: dict[int, tuple[list[int], list[int]] | Literal[False] | None] = {}
    pairs: list[ExactPair] = []
    for u, v in found:
        if u not in xs:
            labels = set(p_sets[u].tolist())
            xs[u] = game.x_point([i for i in range(m) if i not in labels], [j - m for j in labels if j >= m])
        if v not in ys:
            labels = set(q_sets[v].tolist())
            ys[v] = game.y_point([i for i in labels if i < m], [j for j in range(n) if j + m not in labels])
        px, py = xs[u], ys[v]
        if not isinstance(px, tuple) or not isinstance(py, tuple):
            return None
        (x, xb), (y, ay) = px, py
        if not _is_equilibrium(x, ay, y, xb):
            return None
        pairs.append(ExactPair(x, xb, y, ay))
    return pairs


class _ExactGame:
    """The payoffs scaled to Python integers (exact), for solving supports and checking equilibria.

    ``a`` and ``b`` are ``A`` and ``B`` times the least common multiple of
    their entries' denominators (each float is a rational), which keeps
    every best response; ``pa`` and ``pb`` are those shifted to a minimum of
    1, the integer form of the polytopes ``Q`` and ``P``. Points of ``P`` and
    ``Q`` are kept as integer vectors, positive multiples of the points
    (the mixed strategy is the vector over its sum); each comes with the
    payoffs against it (``x B`` or ``A y``, in ``a`` and ``b``), whose
    maxima are the best replies.
    """

    def __init__(self, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> None:
        (self.a, scale_a), (self.b, scale_b) = _integer_matrix(a), _integer_matrix(b)
        #: ``self.a`` is ``A`` times the first, ``self.b`` is ``B`` times the second.
        self.scales = (scale_a, scale_b)
        low_a, low_b = min(map(min, self.a)), min(map(min, self.b))
        self.pa = [[v - low_a + 1 for v in row] for row in self.a]
        self.pb = [[v - low_b + 1 for v in row] for row in self.b]
        self.bt = [list(col) for col in zip(*self.b, strict=True)]

    @functools.cached_property
    def bt_a(self) -> list[list[int]]:
        """``A`` transposed: the payoffs against ``y``, by column (made when first asked: small games only)."""
        return [list(col) for col in zip(*self.a, strict=True)]

    def x_point(self, rows: list[int], cols: list[int]) -> tuple[list[int], list[int]] | None:
        """The point of ``P`` on support ``rows`` where columns ``cols`` are tight, and ``x B``.

        Solves ``pb[rows, cols]^T x = 1`` exactly. None if the system is not
        square or is singular, ``x`` is negative somewhere, or a column
        outside ``cols`` pays more against it (then it is not in ``P``).
        """
        solved = _solve_integer([[self.pb[i][j] for i in rows] for j in cols]) if len(rows) == len(cols) else None
        if solved is None or not rows or min(solved) < 0:
            return None
        x = [0] * len(self.pb)
        for i, v in zip(rows, solved, strict=True):
            x[i] = v
        xb = [sum(map(operator.mul, col, x)) for col in self.bt]  # x is 0 off rows
        top = max(xb)
        if any(xb[j] != top for j in cols):
            return None
        return x, xb

    def y_point(self, rows: list[int], cols: list[int]) -> tuple[list[int], list[int]] | Literal[False] | None:
        """The point of ``Q`` on support ``cols`` where rows ``rows`` are tight, and ``A y``.

        Solves ``pa[rows, cols] y = 1`` exactly. None if ``y`` is negative
        somewhere or a row outside ``rows`` pays more against it (it is not
        in ``Q``); False if the system is not square or is singular.
        """
        solved = _solve_integer([[self.pa[i][j] for j in cols] for i in rows]) if len(rows) == len(cols) else None
        if solved is None or not cols:
            return False
        if min(solved) < 0:
            return None
        y = [0] * len(self.pa[0])
        for j, v in zip(cols, solved, strict=True):
            y[j] = v
        ay = [sum(map(operator.mul, r, y)) for r in self.a]  # y is 0 off cols
        top = max(ay)
        if any(ay[i] != top for i in rows):
            return None
        return y, ay

    def independent_rows(self, rows: list[int], cols: list[int]) -> bool:
        """Whether the rows ``rows`` of ``pa`` restricted to ``cols`` are linearly independent (exact)."""
        return _rank([[self.pa[i][j] for j in cols] for i in rows]) == len(rows)


def _is_equilibrium(x: list[int], ay: list[int], y: list[int], xb: list[int]) -> bool:
    """Whether ``(x, y)`` is a Nash equilibrium, exactly, from the payoffs ``A y`` and ``x B``.

    Every pure strategy a player uses must be a best reply to the other's
    mixed strategy. Best replies do not change when a payoff matrix or a
    mixed strategy is multiplied by a positive number, so integer multiples
    (:class:`_ExactGame`) serve, and the comparison is in Python integers.
    """
    top_a, top_b = max(ay), max(xb)
    return all(ay[i] == top_a for i, w in enumerate(x) if w) and all(
        xb[j] == top_b for j, w in enumerate(y) if w
    )


def _solve_integer(matrix: list[list[int]]) -> list[int] | None:
    """``D x`` for the solution ``x`` of ``matrix x = 1`` (square, integers), ``D = |det|``; None if singular.

    Systems of 1 to 4 unknowns (most of the partner systems: the supports of
    the equilibria of random games up to 11 x 11 are mostly 2 to 4
    strategies) by Cramer's rule written out (:func:`_cramer`), larger ones
    by :func:`_solve_bareiss`; the same integers either way (``D x`` is
    unique).
    """
    if len(matrix) <= 4:
        return _cramer(matrix)
    return _solve_bareiss(matrix)


def _cramer(matrix: list[list[int]]) -> list[int] | None:
    """:func:`_solve_integer` for 1 to 4 unknowns, by Cramer's rule written out.

    ``x_j = det(M_j) / det(M)``, with ``M_j`` the matrix with column ``j``
    replaced by ones, and ``det(M_j)`` the sum of column ``j``'s cofactors.
    The 4 x 4 cofactors come from the twelve 2 x 2 minors of the top and
    bottom pairs of rows (Laplace's expansion by pairs of rows; Eberly, "The
    Laplace expansion theorem: computing the determinants and inverses of
    matrices", Geometric Tools, 2008): 54 products instead of Bareiss's
    loops, which cost more than their arithmetic at this size.
    """
    k = len(matrix)
    if k == 1:
        a = matrix[0][0]
        return None if not a else [1 if a > 0 else -1]
    if k == 2:
        (a, b), (c, d) = matrix
        det = a * d - b * c
        if not det:
            return None
        return [d - b, a - c] if det > 0 else [b - d, c - a]
    if k == 3:
        (a, b, c), (d, e, f), (g, h, i) = matrix
        c00, c01, c02 = e * i - f * h, f * g - d * i, d * h - e * g
        det = a * c00 + b * c01 + c * c02
        if not det:
            return None
        out = [
            c00 + c * h - b * i + b * f - c * e,
            c01 + a * i - c * g + c * d - a * f,
            c02 + b * g - a * h + a * e - b * d,
        ]
        return out if det > 0 else [-v for v in out]
    (a00, a01, a02, a03), (a10, a11, a12, a13), (a20, a21, a22, a23), (a30, a31, a32, a33) = matrix
    s0 = a00 * a11 - a10 * a01
    s1 = a00 * a12 - a10 * a02
    s2 = a00 * a13 - a10 * a03
    s3 = a01 * a12 - a11 * a02
    s4 = a01 * a13 - a11 * a03
    s5 = a02 * a13 - a12 * a03
    c0 = a20 * a31 - a30 * a21
    c1 = a20 * a32 - a30 * a22
    c2 = a20 * a33 - a30 * a23
    c3 = a21 * a32 - a31 * a22
    c4 = a21 * a33 - a31 * a23
    c5 = a22 * a33 - a32 * a23
    det = s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0
    if not det:
        return None
    # Row j of the adjugate summed (x = adj(M) 1 / det), its terms paired.
    out = [
        (a11 - a01) * c5 - (a12 - a02) * c4 + (a13 - a03) * c3
        + (a31 - a21) * s5 - (a32 - a22) * s4 + (a33 - a23) * s3,
        (a00 - a10) * c5 - (a02 - a12) * c2 + (a03 - a13) * c1
        + (a20 - a30) * s5 - (a22 - a32) * s2 + (a23 - a33) * s1,
        (a10 - a00) * c4 - (a11 - a01) * c2 + (a13 - a03) * c0
        + (a30 - a20) * s4 - (a31 - a21) * s2 + (a33 - a23) * s0,
        (a00 - a10) * c3 - (a01 - a11) * c1 + (a02 - a12) * c0
        + (a20 - a30) * s3 - (a21 - a31) * s1 + (a22 - a32) * s0,
    ]
    return out if det > 0 else [-v for v in out]


def _solve_bareiss(matrix: list[list[int]]) -> list[int] | None:
    """:func:`_solve_integer` by fraction-free elimination (any size).

    Bareiss (1968) on Python integers: after step
    ``c`` every entry below is the determinant of a minor, so the division
    by the previous pivot is exact, and the last pivot is the determinant
    ``D'``. Back substitution then gives ``D' x``, an integer vector by
    Cramer's rule, one entry at a time (each division exact for that
    reason).
    """
    k = len(matrix)
    rows = [[*row, 1] for row in matrix]
    previous = 1
    for c in range(k):
        pivot_row = rows[c]
        pivot = pivot_row[c]
        if not pivot:
            for p in range(c + 1, k):
                if rows[p][c]:
                    break
            else:
                return None
            rows[c], rows[p] = rows[p], rows[c]
            pivot_row = rows[c]
            pivot = pivot_row[c]
        # Only the columns right of c change (those left of it are never read
        # again: back substitution reads the diagonal and what is right of it).
        tail = pivot_row[c + 1 :]
        for i in range(c + 1, k):
            row = rows[i]
            f = row[c]
            if previous == 1:
                row[c + 1 :] = [v * pivot - f * w for v, w in zip(row[c + 1 :], tail, strict=True)]
            else:
                row[c + 1 :] = [(v * pivot - f * w) // previous for v, w in zip(row[c + 1 :], tail, strict=True)]
        previous = pivot
    det = previous
    out = [0] * k
    for i in range(k - 1, -1, -1):
        row = rows[i]
        total = det * row[k] - sum(map(operator.mul, row[i + 1 : k], out[i + 1 :]))
        out[i] = total // row[i]
    if det < 0:
        out = [-v for v in out]
    return out


def _rank(matrix: list[list[int]]) -> int:
    """The rank of an integer matrix (fraction-free elimination, exact)."""
    rows = [list(r) for r in matrix]
    rank = 0
    previous = 1
    for c in range(len(rows[0]) if rows else 0):
        p = next((i for i in range(rank, len(rows)) if rows[i][c]), None)
        if p is None:
            continue
        rows[rank], rows[p] = rows[p], rows[rank]
        pivot_row = rows[rank]
        pivot = pivot_row[c]
        for i in range(rank + 1, len(rows)):
            f = rows[i][c]
            rows[i] = [(v * pivot - f * w) // previous for v, w in zip(rows[i], pivot_row, strict=True)]
        previous = pivot
        rank += 1
    return rank


def _integer_matrix(a: npt.NDArray[Any]) -> tuple[list[list[int]], int]:
    """The float matrix ``a`` times the least common multiple of its entries' denominators (exact), and that multiple."""
    floats = np.asarray(a, dtype=np.float64).tolist()
    if all(v.is_integer() and -(2.0**53) < v < 2.0**53 for row in floats for v in row):
        return [[int(v) for v in row] for row in floats], 1  # integers already (the common case)
    ratios = [[v.as_integer_ratio() for v in row] for row in floats]
    scale = math.lcm(*(den for row in ratios for _, den in row))
    return [[num * (scale // den) for num, den in row] for row in ratios], scale


def _normalised(x: list[int]) -> tuple[float, ...]:
    """The mixed strategy ``x / sum x`` in floats (each correctly rounded)."""
    total = sum(x)
    return tuple([v / total for v in x])


def _bits(masks: npt.NDArray[np.uint64], width: int) -> npt.NDArray[np.bool_]:
    """Bit ``j`` of each mask, for ``j < width``, as a boolean matrix."""
    little = masks.astype("<u8").view(np.uint8).reshape(-1, 8)
    bits: npt.NDArray[np.bool_] = np.unpackbits(little, axis=1, count=width, bitorder="little").view(bool)
    return bits


def _popcount(masks: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """The number of set bits of each mask."""
    counts: npt.NDArray[np.intp] = np.unpackbits(masks.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
    return counts
