"""Nash equilibria of n-player games by the global Newton method (Gambit's ``gnm``).

Govindan and Wilson, "A global Newton method to compute Nash equilibria",
*Journal of Economic Theory* 110 (2003), 65-86, on the reduced strategic form.

The method rests on Kohlberg and Mertens' structure theorem: the graph of
equilibria over the space of games is homeomorphic to that space. Add to each
pure strategy ``s`` of player ``i`` a bonus ``lambda * b_i(s)`` that does not
depend on the others' choices (``b`` a random direction). In the coordinates
``z`` (one per pure strategy) of the homeomorphism, a profile is
``sigma = r(z)``, each player's block of ``z`` projected onto that player's
simplex (Euclidean projection), and the equilibria of the game with bonus
``g`` are exactly the ``z`` with::

    psi(z) = z - r(z) - V(r(z)) = g

where ``V_i(s)`` is player ``i``'s expected payoff of ``s`` against the others'
mixed strategies. Steps:

1. Build the reduced strategic form (float); divide each player's payoffs by
   their range (an affine change: the same equilibria).
2. Draw ``b`` (seeded). For ``lambda`` large enough each player's strategy of
   largest bonus is strictly dominant, and the game ``G + lambda b`` has that
   one pure equilibrium; its ``z`` starts the path.
3. Follow the curve ``psi(z) = lambda b`` in ``(z, lambda)`` as ``lambda``
   falls: ``psi`` is smooth while the supports of ``r(z)`` stay the same
   (``r`` is then affine), so each such piece is followed by Euler predictor
   steps along the tangent and Newton corrections, with a step length that
   grows after easy steps and is halved after failures. When a strategy's
   projected weight reaches 0 (it leaves the support) or a strategy outside
   reaches the projection's threshold (it enters), the crossing point is
   solved for exactly (Newton's method with the boundary as an extra
   equation), the support is changed and the path leaves the boundary on the
   side of the new piece, so the path does not lose its way at a support
   change as a tracker that ignored the kinks might.
4. Every crossing of ``lambda = 0`` is an equilibrium of the game itself: it
   is found by Newton's method on the piece with ``lambda = 0`` as the extra
   equation (the local Newton refinement), the profile ``r(z)`` is turned
   into a behaviour profile (Kuhn's theorem) and verified in the tree
   (:func:`policy.solvers.verify.verified_equilibrium`) before it is kept.
   The first one ends the search; with ``all_equilibria`` the path is followed
   on until ``lambda`` is so negative that the perturbed game has a single
   equilibrium again (the path cannot return to 0), which gives the odd number
   of equilibria on the path (as Gambit's ``gnm`` returns those on its
   perturbation's path).

If the path is lost (steps too short, or too many), another seeded direction
is tried, up to ``RESTARTS`` times, and :class:`SolverError` is raised if none
succeeds.

Exact mode: the method works in floating point. With ``exact=True`` each
equilibrium found is turned into nearby fractions with small denominators and
kept exact if its regret is exactly 0; otherwise the float result is returned
with ``exact`` False and a warning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import VerificationError, verified_equilibrium

FloatArray = npt.NDArray[np.float64]

#: Default seed of the perturbation direction.
SEED = 0
#: Directions tried in all (the first, then this many minus one more).
RESTARTS = 3
#: Steps along the path at most (predictor steps, accepted or not).
MAX_STEPS = 20_000
#: First step length, and the largest growth of the step after an easy step.
FIRST_STEP = 0.05
MAX_ACCEL = 1.5
#: Largest step (times 1 + |lambda|) and smallest (below it the path is lost).
MAX_STEP = 0.5
MIN_STEP = 1e-12
#: Newton corrections per step at most, and the tolerance that ends them.
MAX_CORRECTOR = 8
CORRECTOR_TOLERANCE = 1e-11
#: A step is retried shorter if its tangent turns by more than this (radians).
MAX_ANGLE = 0.3
#: The starting lambda is this times the least one at which the bonus strategies dominate.
START_MARGIN = 1.5
#: A boundary is crossed when a weight (or threshold gap) is past 0 by more than this.
BOUNDARY_SLACK = 1e-13
#: Newton iterations to place a boundary or a crossing of lambda = 0.
MAX_LOCATE = 30
LOCATE_TOLERANCE = 1e-14


@dataclass(frozen=True)
class _Form:
    """The strategic form as the path sees it."""

    payoffs: FloatArray
    """(players, S_1, ..., S_n), each player's payoffs scaled to the range [0, 1]."""
    shape: tuple[int, ...]
    offsets: tuple[int, ...]
    """First coordinate of each player's block in ``z``."""

    @property
    def size(self) -> int:
        return sum(self.shape)

    def blocks(self, v: FloatArray) -> list[FloatArray]:
        return [v[o : o + s] for o, s in zip(self.offsets, self.shape, strict=True)]


def strategy_values(payoffs: FloatArray, sigmas: Sequence[FloatArray]) -> list[FloatArray]:
    """``V_i(s)``: each player's expected payoff of each pure strategy against the others' mixtures.

    ``payoffs`` has shape ``(n, S_1, ..., S_n)``; ``sigmas`` one mixed strategy per player.
    """
    n = len(sigmas)
    out = []
    for i in range(n):
        table = payoffs[i]
        for j in range(n - 1, -1, -1):  # last axes first: earlier axes keep their place
            if j != i:
                table = np.tensordot(table, sigmas[j], axes=([j], [0]))
        out.append(np.asarray(table, dtype=np.float64))
    return out


def value_jacobian(form: _Form, sigmas: Sequence[FloatArray]) -> FloatArray:
    """``d V_i(s) / d sigma_j(t)`` for all strategies ``s`` of ``i`` and ``t`` of ``j`` (0 for j = i)."""
    n = len(sigmas)
    out = np.zeros((form.size, form.size))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            table = form.payoffs[i]
            for k in range(n - 1, -1, -1):
                if k not in (i, j):
                    table = np.tensordot(table, sigmas[k], axes=([k], [0]))
            block = table if i < j else table.T  # axes (i, j) in order
            oi, oj = form.offsets[i], form.offsets[j]
            out[oi : oi + form.shape[i], oj : oj + form.shape[j]] = block
    return out


def project(z: FloatArray) -> tuple[FloatArray, float]:
    """Euclidean projection of ``z`` onto the simplex, and its threshold ``v``.

    The projection is ``max(z - v, 0)`` with ``v`` such that it sums to 1.
    """
    u = np.sort(z)[::-1]
    total = np.cumsum(u) - 1.0
    k = np.arange(1, len(z) + 1)
    count = int(np.max(np.flatnonzero(u - total / k > 0))) + 1
    v = float(total[count - 1] / count)
    return np.maximum(z - v, 0.0), v


class _Piece:
    """The smooth piece of ``psi`` for fixed supports: ``r`` is affine there."""

    def __init__(self, form: _Form, support: Sequence[npt.NDArray[np.bool_]], b: FloatArray) -> None:
        self.form = form
        self.support = [s.copy() for s in support]
        self.b = b
        n = form.size
        d = np.zeros((n, n))
        for o, s in zip(form.offsets, self.support, strict=True):
            idx = o + np.flatnonzero(s)
            d[np.ix_(idx, idx)] = np.eye(len(idx)) - 1.0 / len(idx)
        self.dr = d
        # Boundary functions g(z) = z_s - v_i(z), linear: rows of G.
        g = np.eye(n)
        for o, size, s in zip(form.offsets, form.shape, self.support, strict=True):
            idx = o + np.flatnonzero(s)
            g[o : o + size, idx] -= 1.0 / len(idx)
        self.g = g
        self.g0 = np.concatenate(
            [np.full(size, 1.0 / int(s.sum())) for size, s in zip(form.shape, self.support, strict=True)]
        )
        self.inside = np.concatenate(self.support)

    def gaps(self, z: FloatArray) -> FloatArray:
        """``z_s - v_i``: the weight of ``s`` when supported, its shortfall from entering otherwise."""
        return np.asarray(self.g @ z + self.g0, dtype=np.float64)

    def sigma(self, z: FloatArray) -> FloatArray:
        return np.where(self.inside, self.gaps(z), 0.0)

    def residual(self, x: FloatArray) -> FloatArray:
        z, lam = x[:-1], float(x[-1])
        sig = self.sigma(z)
        values = np.concatenate(strategy_values(self.form.payoffs, self.form.blocks(sig)))
        return np.asarray(z - sig - values - lam * self.b, dtype=np.float64)

    def jacobian(self, x: FloatArray) -> FloatArray:
        z = x[:-1]
        sig = self.sigma(z)
        dv = value_jacobian(self.form, self.form.blocks(sig))
        n = self.form.size
        jac = np.empty((n, n + 1))
        jac[:, :n] = np.eye(n) - self.dr - dv @ self.dr
        jac[:, n] = -self.b
        return jac

    def violation(self, z: FloatArray) -> FloatArray:
        """How far each strategy is on the wrong side of its boundary (positive: crossed)."""
        gaps = self.gaps(z)
        return np.where(self.inside, -gaps, gaps)


class _Lost(Exception):
    """The path could not be followed further."""


def _tangent(jac: FloatArray, previous: FloatArray | None) -> FloatArray | None:
    """Unit null vector of ``jac`` (n x (n+1)), turned to agree with ``previous``."""
    _, sv, vt = np.linalg.svd(jac)
    t = vt[-1]
    if len(sv) and sv[-1] < 1e-12 * max(sv[0], 1.0):
        return None  # the null space is not a line here
    if previous is not None and float(t @ previous) < 0:
        t = -t
    return np.asarray(t, dtype=np.float64)


def _newton(piece: _Piece, x: FloatArray, extra: FloatArray, target: float) -> FloatArray | None:
    """Solve ``psi = lambda b`` on ``piece`` together with ``extra . x = target``."""
    for _ in range(MAX_LOCATE):
        h = piece.residual(x)
        e = float(extra @ x) - target
        if max(float(np.max(np.abs(h), initial=0.0)), abs(e)) <= LOCATE_TOLERANCE:
            return x
        system = np.vstack([piece.jacobian(x), extra[None, :]])
        try:
            d = np.linalg.solve(system, -np.append(h, e))
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(d)):
            return None
        x = x + d
    h = piece.residual(x)
    return x if float(np.max(np.abs(h), initial=0.0)) <= 1e3 * LOCATE_TOLERANCE else None


def _correct(piece: _Piece, y: FloatArray, t: FloatArray, step: float) -> tuple[FloatArray, int] | None:
    """Newton corrections of the predicted ``y`` in the hyperplane normal to ``t``."""
    previous = math.inf
    for it in range(1, MAX_CORRECTOR + 1):
        h = piece.residual(y)
        system = np.vstack([piece.jacobian(y), t[None, :]])
        try:
            d = np.linalg.solve(system, -np.append(h, 0.0))
        except np.linalg.LinAlgError:
            return None
        size = float(np.linalg.norm(d))
        if not math.isfinite(size) or size > 0.5 * step + 1e-9 or size > 0.8 * previous:
            return None
        y = y + d
        if size <= CORRECTOR_TOLERANCE * (1.0 + float(np.linalg.norm(y))):
            return y, it
        previous = size
    return None


@dataclass
class _Path:
    """What one run along the path found."""

    crossings: list[FloatArray]
    """Mixed profiles (concatenated per player) where lambda crossed 0."""
    steps: int


def _follow(form: _Form, b: FloatArray, all_crossings: bool, max_steps: int) -> _Path:
    """Follow ``psi(z) = lambda b`` from large lambda down; see the module docstring."""
    blocks_b = form.blocks(b)
    gaps = []
    low_gaps = []
    support = []
    for bb in blocks_b:
        order = np.sort(bb)
        gaps.append(order[-1] - order[-2] if len(bb) > 1 else math.inf)
        low_gaps.append(order[1] - order[0] if len(bb) > 1 else math.inf)
        mask = np.zeros(len(bb), dtype=bool)
        mask[int(np.argmax(bb))] = True
        support.append(mask)
    least_gap = min(gaps)
    lam0 = START_MARGIN / least_gap if math.isfinite(least_gap) else 1.0
    end = -(START_MARGIN / min(low_gaps) if math.isfinite(min(low_gaps)) else 1.0)
    sigma0 = np.concatenate([s.astype(np.float64) for s in support])
    values = np.concatenate(strategy_values(form.payoffs, form.blocks(sigma0)))
    x = np.append(sigma0 + values + lam0 * b, lam0)
    piece = _Piece(form, support, b)
    n = form.size
    along_lambda = np.zeros(n + 1)
    along_lambda[-1] = 1.0
    t = _tangent(piece.jacobian(x), None)
    if t is None:
        raise _Lost
    if t[-1] > 0:
        t = -t
    step = FIRST_STEP
    crossings: list[FloatArray] = []
    steps = 0
    while steps < max_steps:
        steps += 1
        scale = 1.0 + abs(float(x[-1]))
        got = _correct(piece, x + step * t, t, step)
        t_new = None if got is None else _tangent(piece.jacobian(got[0]), t)
        if got is None or t_new is None or float(t_new @ t) < math.cos(MAX_ANGLE):
            step /= 2
            if step < MIN_STEP * scale:
                raise _Lost
            continue
        y, iterations = got
        # Events along the step: lambda crossing 0 (an equilibrium) and a
        # strategy crossing its boundary (a new piece); the first boundary
        # ends the step there.
        over = piece.violation(y[:-1])
        crossed = np.flatnonzero(over > BOUNDARY_SLACK)
        boundary = None
        if crossed.size:
            before = piece.violation(x[:-1])
            share = np.clip(-before[crossed] / (over[crossed] - before[crossed]), 0.0, 1.0)
            k = int(np.argmin(share))
            s = int(crossed[k])
            row = np.append(piece.g[s], 0.0)
            placed = _newton(piece, x + share[k] * (y - x), row, -float(piece.g0[s]))
            if placed is None:
                step /= 2
                if step < MIN_STEP * scale:
                    raise _Lost
                continue
            boundary = (s, placed)
            y = placed
        lam_x, lam_y = float(x[-1]), float(y[-1])
        if (lam_x > 0 >= lam_y) or (lam_x < 0 <= lam_y):
            share0 = lam_x / (lam_x - lam_y)
            at = _newton(piece, x + share0 * (y - x), along_lambda, 0.0)
            if at is not None:
                crossings.append(piece.sigma(at[:-1]))
                if not all_crossings:
                    return _Path(crossings, steps)
        if boundary is not None:
            s, placed = boundary
            support = [sup.copy() for sup in piece.support]
            player = max(i for i, o in enumerate(form.offsets) if o <= s)
            local = s - form.offsets[player]
            support[player][local] = not support[player][local]
            if not support[player].any():
                raise _Lost
            leaving = piece.inside[s]
            piece = _Piece(form, support, b)
            t_new = _tangent(piece.jacobian(placed), t)
            if t_new is None:
                raise _Lost
            # Leave the boundary into the new piece: a strategy that left keeps
            # its gap below 0, one that entered its weight above 0.
            rate = float(np.append(piece.g[s], 0.0) @ t_new)
            if (leaving and rate > 0) or (not leaving and rate < 0):
                t_new = -t_new
            x, t = placed, t_new
            continue
        x, t = y, t_new
        if all_crossings and float(x[-1]) < end and t[-1] < 0:
            return _Path(crossings, steps)
        growth = MAX_ACCEL if iterations <= 2 else (1.0 if iterations <= 4 else 0.5)
        step = min(step * growth, MAX_STEP * (1.0 + abs(float(x[-1]))))
    raise _Lost


def scaled_form(payoffs: Any) -> _Form:
    """The strategic form with each player's payoffs scaled to [0, 1] (same equilibria)."""
    table = np.asarray(payoffs, dtype=np.float64)
    scaled = np.empty_like(table)
    for i in range(table.shape[0]):
        low, high = float(table[i].min()), float(table[i].max())
        scaled[i] = (table[i] - low) / (high - low if high > low else 1.0)
    shape = tuple(int(s) for s in table.shape[1:])
    offsets = tuple(int(o) for o in np.cumsum((0, *shape[:-1])))
    return _Form(scaled, shape, offsets)


def gnm_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = False,
    all_equilibria: bool = False,
    *,
    seed: int | None = None,
    max_steps: int | None = None,
) -> SolveResult:
    """Nash equilibria on the global Newton path of a random perturbation.

    Parameters
    ----------
    game
        Any game with perfect recall, any number of players (through its
        reduced strategic form).
    values
        The value of every parameter the game uses.
    exact
        The path is followed in floating point; if True, each equilibrium is
        also turned into fractions and verified exactly, falling back to float
        with a warning.
    all_equilibria
        Follow the path to its end and return every equilibrium on it (an odd
        number), not only the first.
    seed
        Seed of the perturbation direction (default :data:`SEED`); another
        seed may lead to other equilibria.
    max_steps
        Steps along one path at most (default :data:`MAX_STEPS`).

    Returns
    -------
    SolveResult
        Method ``"gnm"``; ``details``: ``seed`` (of the direction that
        succeeded), ``steps``, ``shape`` (strategies per player).

    Raises
    ------
    SolverError
        If the path is lost for every direction tried.
    """
    from policy.representations.normal import reduced_normal_form
    from policy.solvers.enumpure import distinct_sorted
    from policy.solvers.logit import nearby_exact

    first_seed = SEED if seed is None else int(seed)
    limit = MAX_STEPS if max_steps is None else int(max_steps)
    if limit < 1:
        raise SolverError("gnm: max_steps must be at least 1")
    form = reduced_normal_form(game, values, exact=False)
    numbers = game.numbers(values, exact=False)
    scaled = scaled_form(form.payoffs)
    notes: list[str] = []
    path: _Path | None = None
    used = first_seed
    total_steps = 0
    for attempt in range(RESTARTS):
        used = first_seed + attempt
        rng = np.random.default_rng(used)
        b = rng.standard_normal(scaled.size)
        b /= float(np.linalg.norm(b))
        try:
            # A path can run off towards an infinite lambda, its steps growing
            # with |lambda|, until its numbers overflow (past 1e154 their
            # squared norms do; seen in compare's flip searches on a 3-player
            # game). Then they are inf or nan, which halves the step until the
            # path is lost and the next seed is tried; and the path's only
            # output, its crossings of lambda = 0, is verified in the tree
            # before any is kept. So numpy's overflow warnings there are noise.
            with np.errstate(over="ignore", invalid="ignore"):
                path = _follow(scaled, b, all_equilibria, limit)
        except _Lost:
            total_steps += limit
            continue
        total_steps += path.steps
        if path.crossings:
            break
        path = None
    if path is None:
        raise SolverError(
            f"gnm: the global Newton path was lost for seeds {first_seed} to {used}; "
            "try another --seed, or logit, simpdiv or enumpoly"
        )
    if used != first_seed:
        notes.append(f"gnm: the path of seed {first_seed} was lost; seed {used} was used")
    found: list[tuple[Equilibrium, Any]] = []
    exact_numbers = game.numbers(values, exact=True) if exact else None
    all_exact = exact
    for sigma in path.crossings:
        mixed = [np.clip(p, 0.0, None) / float(np.clip(p, 0.0, None).sum()) for p in scaled.blocks(sigma)]
        probs = [float(p) for p in form.behavior_from_mixed([m.tolist() for m in mixed])]
        try:
            eq = verified_equilibrium(game, numbers, probs, what="gnm produced a profile")
        except VerificationError as err:
            notes.append(f"dropped a crossing of lambda = 0 that failed verification ({err})")
            continue
        if exact_numbers is not None:
            exact_eq = nearby_exact(game, exact_numbers, np.asarray(probs))
            if exact_eq is not None:
                eq = exact_eq
            else:
                all_exact = False
        found.append((eq, None))
    if not found:
        raise SolverError("gnm: no equilibrium on the path passed verification; try another --seed")
    if exact and not all_exact:
        notes.append(
            "gnm works in floating point and not every equilibrium has small denominators; "
            "float equilibria are shown"
        )
        found = [
            (verified_equilibrium(game, numbers, [float(p) for p in eq.probabilities]), None)
            for eq, _ in found
        ]
    kept = distinct_sorted(found, exact and all_exact)
    if not all_equilibria:
        notes.append("gnm returns the first equilibrium on its path; --all follows the path to its end")
    return SolveResult(
        game=game,
        method="gnm",
        exact=exact and all_exact,
        parameters=dict(values),
        equilibria=tuple(eq for eq, _ in kept),
        warnings=tuple(notes),
        details={"seed": used, "steps": total_steps, "shape": form.shape},
    )
