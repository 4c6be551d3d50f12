"""A Nash equilibrium of an n-player game by simplicial subdivision with restarts (``simpdiv``).

Gambit's ``simpdiv`` follows van der Laan, Talman and van der Heyden,
"Simplicial variable dimension algorithms for solving the nonlinear
complementarity problem on a product of unit simplices using a general
labelling", *Mathematics of Operations Research* 12 (1987): a path of
simplices of a triangulation, restarted on a finer grid from the point where
the previous one ended, until the regret is small enough. This module uses
the same idea in its best-known restart form, Merrill's algorithm (Merrill,
"Applications and extensions of an algorithm that computes fixed points of
certain upper semi-continuous point to set mappings", PhD thesis, Michigan,
1972; as presented by Todd, *The Computation of Fixed Points and
Applications*, 1976, and Allgower and Georg, *Introduction to Numerical
Continuation Methods*, 1990, on piecewise-linear methods), on the reduced
strategic form.
Steps:

1. The equilibria are the fixed points of ``F(x) = P(x + V(P(x)))``, where
   ``P`` projects each player's block of ``x`` onto that player's simplex and
   ``V`` gives every pure strategy's expected payoff against the others
   (payoffs scaled to [0, 1] per player); ``F`` is continuous on all of
   ``R^N`` (``N`` pure strategies) with values in the product of simplices.
2. Triangulate the slab ``R^N x [0, 1]`` with Freudenthal's triangulation of
   mesh ``delta`` (vertices on the two levels only). A vertex at level 0 gets
   the label ``x0 - x`` (its only zero is the start ``x0``), at level 1 the
   label ``F(x) - x``. Starting from the level-0 simplex around ``x0``, the
   algorithm walks through (N+1)-simplices sharing a *completely labelled*
   facet (one whose labels have 0 in their convex hull), by a
   lexicographic ratio test as in the simplex method, and ends at a
   completely labelled facet in level 1: the convex combination of its
   vertices is an approximate fixed point, within about ``delta`` times the
   Lipschitz constant of ``F``.
3. Restart at that point with ``delta`` divided by ``REFINE``; each restart
   starts near a fixed point, so its path is short. After every restart the
   point is polished by Newton's method on the equations of its support (the
   local step of :mod:`policy.solvers.gnm`), and the result is accepted once
   its regret is below ``max_regret`` (relative to each player's payoff
   range) and it passes :func:`policy.solvers.verify.verified_equilibrium`
   in the tree.

Arithmetic: the path is followed in floating point (the grid points and
labels are exact binary fractions there, and the polish makes the answer as
accurate as float64 allows). With ``exact=True`` the equilibrium is turned
into nearby fractions with small denominators and kept exact if its regret
is exactly 0; otherwise the float one is returned with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import SolveResult
from policy.solvers.verify import VerificationError, verified_equilibrium

if TYPE_CHECKING:
    from policy.solvers.gnm import _Form, _Piece

FloatArray = npt.NDArray[np.float64]

#: First mesh of the grid.
FIRST_MESH = 0.25
#: The mesh is divided by this at each restart (Gambit's ``refine``).
REFINE = 2
#: Restarts at most (the mesh then is ``FIRST_MESH / REFINE**MAX_RESTARTS``).
MAX_RESTARTS = 45
#: Pivots of one path at most.
MAX_PIVOTS = 50_000
#: Default regret accepted, relative to each player's payoff range.
MAX_REGRET = 1e-9
#: The inverse of the basis is recomputed from its columns every this many pivots.
REFACTOR = 50
#: Coordinate ``k`` of the grid is shifted by ``k * shift`` (mod 1) meshes, with
#: the first of these irrational shifts (the golden ratio's fractional part,
#: then those of the square roots of 2 and 3: the shifts of the coordinates
#: are all distinct). When a path fails (float rounding in a degenerate ratio
#: test can make it cycle), it is followed again on the grid of the next shift.
GRID_SHIFTS = (0.6180339887498949, 0.41421356237309515, 0.7320508075688772)
#: Gauss-Newton steps of the polish at most, and its tolerance (scaled payoffs).
POLISH_STEPS = 30
POLISH_TOLERANCE = 1e-13
#: Ratio-test entries below this are taken as 0 (the lexicographic rule breaks ties).
PIVOT_TOLERANCE = 1e-12


def _fixed_point_map(form: _Form, x: FloatArray) -> FloatArray:
    """``P(P(x) + V(P(x)))`` (see the module docstring): its fixed points are the equilibria."""
    from policy.solvers.gnm import project, strategy_values

    sigma = [project(b)[0] for b in form.blocks(x)]
    values = strategy_values(form.payoffs, sigma)
    return np.concatenate([project(s + v)[0] for s, v in zip(sigma, values, strict=True)])


def _path(form: _Form, x0: FloatArray, mesh: float, shift: float = GRID_SHIFTS[0]) -> tuple[FloatArray, int]:
    """Merrill's path on the slab from ``x0`` at ``mesh``; the approximate fixed point and pivots."""
    n = len(x0)
    dim = n + 1  # the slab's dimension; index n is the level
    labels: dict[tuple[int, ...], FloatArray] = {}
    # The grid is shifted by distinct fractions of the mesh, so that the
    # start lies inside one simplex, not on a face shared by several.
    offset = (np.arange(1, n + 1) * shift) % 1.0

    def point(vertex: tuple[int, ...]) -> FloatArray:
        return (np.asarray(vertex[:n], dtype=np.float64) + offset) * mesh

    def column(vertex: tuple[int, ...]) -> FloatArray:
        got = labels.get(vertex)
        if got is None:
            x = point(vertex)
            label = x0 - x if vertex[n] == 0 else _fixed_point_map(form, x) - x
            got = labels[vertex] = np.append(1.0, label)
        return got

    def vertices(base: npt.NDArray[np.int64], perm: list[int]) -> list[tuple[int, ...]]:
        out = [tuple(int(v) for v in base)]
        point = base.copy()
        for k in perm:
            point[k] += 1
            out.append(tuple(int(v) for v in point))
        return out

    scaled = x0 / mesh - offset
    base = np.append(np.floor(scaled).astype(np.int64), 0)
    fraction = scaled - np.floor(scaled)
    perm = [int(k) for k in np.argsort(-fraction, kind="stable")] + [n]
    simplex = vertices(base, perm)
    basis = simplex[:-1]  # the level-0 facet around x0
    matrix = np.column_stack([column(v) for v in basis])
    inverse = np.linalg.inv(matrix)
    rhs = np.zeros(dim)
    rhs[0] = 1.0
    weights = inverse @ rhs
    entering = simplex[-1]
    for pivots in range(1, MAX_PIVOTS + 1):
        w = inverse @ column(entering)
        rows = [r for r in range(len(basis)) if w[r] > PIVOT_TOLERANCE]
        if not rows:
            raise SolverError("simpdiv: the path has no way on (degenerate labels)")
        # Lexicographic minimum ratio: (weight, rows of the inverse) / w.
        leave = min(rows, key=lambda r: (weights[r] / w[r], *(inverse[r] / w[r]).tolist()))
        # Pivot the basis.
        factor = inverse[leave] / w[leave]
        inverse = inverse - np.outer(w, factor)
        inverse[leave] = factor
        weights = inverse @ rhs
        leaving = basis[leave]
        basis[leave] = entering
        if pivots % REFACTOR == 0:  # rounding in the updated inverse: start afresh
            inverse = np.linalg.inv(np.column_stack([column(v) for v in basis]))
            weights = inverse @ rhs
        if all(v[n] == 1 for v in basis):
            kept = np.maximum(weights, 0.0)
            end = sum((float(kept[k]) * point(v) for k, v in enumerate(basis)), np.zeros(n))
            return end / max(float(kept.sum()), 1e-300), pivots
        # Move to the simplex across the facet without the leaving vertex.
        k = simplex.index(leaving)
        if k == 0:
            base = base.copy()
            base[perm[0]] += 1
            perm = perm[1:] + perm[:1]
        elif k == dim:
            base = base.copy()
            base[perm[-1]] -= 1
            perm = perm[-1:] + perm[:-1]
        else:
            perm = perm.copy()
            perm[k - 1], perm[k] = perm[k], perm[k - 1]
        if base[n] != 0:
            raise SolverError("simpdiv: the path left the slab (internal error; please report this game)")
        simplex = vertices(base, perm)
        (entering,) = [v for v in simplex if v not in basis]
    raise SolverError(f"simpdiv: no end of the path within {MAX_PIVOTS:,} pivots")


def _least_squares(piece: _Piece, z: FloatArray) -> FloatArray | None:
    """Gauss-Newton on ``psi(z) = 0`` of one piece, for equilibria that are not isolated.

    Where equilibria form a continuum the square Newton system of
    :mod:`policy.solvers.gnm` is singular; least-squares steps (the shortest
    correction) still reach a nearby point of the continuum.
    """
    x = np.append(z, 0.0)
    for _ in range(POLISH_STEPS):
        h = piece.residual(x)
        if float(np.max(np.abs(h), initial=0.0)) <= POLISH_TOLERANCE:
            return x
        d, *_ = np.linalg.lstsq(piece.jacobian(x)[:, :-1], -h, rcond=None)
        if not np.all(np.isfinite(d)):
            return None
        x[:-1] += d
    return None


def simpdiv_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    *,
    max_regret: float | None = None,
    refine: int | None = None,
) -> SolveResult:
    """One Nash equilibrium by simplicial subdivision, restarted on finer grids.

    Parameters
    ----------
    game
        Any game with perfect recall, any number of players (through its
        reduced strategic form).
    values
        The value of every parameter the game uses.
    exact
        If True (default), the float equilibrium is turned into nearby
        fractions and verified exactly; when that fails, the float one is
        returned with a warning.
    all_equilibria
        Not supported: one equilibrium (a warning says so).
    max_regret
        Accept a point once each player's regret is below this times that
        player's payoff range (default :data:`MAX_REGRET`); it must also pass
        the library's verification.
    refine
        Factor by which the mesh shrinks at each restart (default :data:`REFINE`).

    Returns
    -------
    SolveResult
        Method ``"simpdiv"``; ``details``: ``restarts``, ``pivots``, ``mesh``
        (of the last grid), ``shape``.

    Raises
    ------
    SolverError
        If no verified equilibrium is reached within :data:`MAX_RESTARTS`.
    """
    from policy.representations.normal import reduced_normal_form
    from policy.solvers.gnm import _newton, _Piece, project, scaled_form, strategy_values
    from policy.solvers.logit import nearby_exact

    tolerance = MAX_REGRET if max_regret is None else float(max_regret)
    factor = REFINE if refine is None else int(refine)
    if not tolerance > 0 or factor < 2:
        raise SolverError("simpdiv: max_regret must be > 0 and refine at least 2")
    form = reduced_normal_form(game, values, exact=False)
    numbers = game.numbers(values, exact=False)
    scaled = scaled_form(form.payoffs)
    x = np.concatenate([np.full(s, 1.0 / s) for s in scaled.shape])
    mesh = FIRST_MESH
    pivots = 0
    notes: list[str] = []
    if all_equilibria:
        notes.append("simpdiv finds one equilibrium; all were asked for: use enumpoly on small games")
    along_lambda = np.zeros(scaled.size + 1)
    along_lambda[-1] = 1.0
    for restart in range(1, MAX_RESTARTS + 1):
        end = None
        for shift in GRID_SHIFTS:
            try:
                end, more = _path(scaled, x, mesh, shift)
            except SolverError as err:
                failure = str(err)
                pivots += MAX_PIVOTS
                continue
            pivots += more
            break
        if end is None:
            raise SolverError(f"{failure}, on {len(GRID_SHIFTS)} shifted grids of mesh {mesh:.3g}")
        x = end
        candidates = [np.concatenate([project(b)[0] for b in scaled.blocks(x)])]
        # Polish: Newton's method on the support of the point (see gnm).
        sigma = [project(b)[0] for b in scaled.blocks(x)]
        z = np.concatenate([s + v for s, v in zip(sigma, strategy_values(scaled.payoffs, sigma), strict=True)])
        support = [project(b)[0] > 0 for b in scaled.blocks(z)]
        piece = _Piece(scaled, support, np.zeros(scaled.size))
        polished = _newton(piece, np.append(z, 0.0), along_lambda, 0.0)
        if polished is None:
            polished = _least_squares(piece, z)
        if polished is not None:
            p = piece.sigma(polished[:-1])
            if np.all(p >= -1e-12):
                candidates.insert(0, np.maximum(p, 0.0))
        for sigma_all in candidates:
            mixed = [b / float(b.sum()) for b in scaled.blocks(sigma_all)]
            regret = max(
                float(np.max(v) - v @ m)
                for v, m in zip(strategy_values(scaled.payoffs, mixed), mixed, strict=True)
            )
            if regret > tolerance:
                continue
            probs = [float(q) for q in form.behavior_from_mixed([m.tolist() for m in mixed])]
            try:
                eq = verified_equilibrium(game, numbers, probs, what="simpdiv produced a profile")
            except VerificationError:
                continue
            result_exact = False
            if exact:
                exact_eq = nearby_exact(game, game.numbers(values, exact=True), np.asarray(probs))
                if exact_eq is not None:
                    eq, result_exact = exact_eq, True
                else:
                    notes.append(
                        "simpdiv works in floating point and no exact equilibrium with small "
                        "denominators was found near its answer; the float equilibrium is shown"
                    )
            return SolveResult(
                game=game,
                method="simpdiv",
                exact=result_exact,
                parameters=dict(values),
                equilibria=(eq,),
                warnings=tuple(notes),
                details={"restarts": restart, "pivots": pivots, "mesh": mesh, "shape": form.shape},
            )
        x = candidates[-1]
        mesh /= factor
    raise SolverError(
        f"simpdiv: no verified equilibrium after {MAX_RESTARTS} restarts (mesh {mesh:.3g}); "
        "try gnm, logit or enumpoly"
    )

