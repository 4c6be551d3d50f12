"""Distance to a flip: how far one parameter must move before the equilibrium path changes.

For a leader's values and each parameter with a declared range, the search
scans the range on a grid (the batch solver for perfect information, a Nash
method point by point otherwise), takes the grid points nearest the leader's
value on each side where the equilibrium path differs, and narrows each
boundary down by bisection. The nearest boundary, as a share of the
parameter's range, says whether the leader's choice is robust or rests on a
hair. A change confined between two grid points can be missed: the grid has
:data:`GRID` points (:data:`NASH_GRID` for games solved point by point), so
regions narrower than about 1/200 of a range (1/20 for Nash methods) are
not guaranteed to be found. With a Nash method the path is that of the
equilibrium the method selects: where a game has several equilibria, a
"flip" may be the method selecting another one.
For perfect-information games, :func:`policy.analysis.regions` finds every
boundary exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from policy.analysis.sweep import Block, solve_block
from policy.model import Game, GameError
from policy.solvers.errors import SolverError

#: Grid points over a parameter's range (batch solver).
GRID = 201
#: Grid points when each point needs a Nash solve.
NASH_GRID = 21
#: Narrowing steps; each divides the interval by SECTIONS + 1 (or 2, point by point).
STEPS = 40
#: Points solved per narrowing step with the batch solver.
SECTIONS = 63
#: Bisection steps when each point needs a Nash solve (the boundary to 2**-16 of a grid step).
NASH_STEPS = 16


@dataclass(frozen=True)
class Flip:
    """The nearest value of ``parameter`` at which the equilibrium path changes.

    ``boundary`` lies within ``tolerance`` of the true switch point; beyond it
    (in the direction of ``boundary - value``) the path is ``path_after``.
    """

    parameter: str
    value: float
    boundary: float
    low: float
    high: float
    path_before: str
    path_after: str
    tolerance: float

    @property
    def change(self) -> float:
        return self.boundary - self.value

    @property
    def share_of_range(self) -> float:
        """``|change|`` as a share of the parameter's declared range."""
        return abs(self.change) / (self.high - self.low)


@dataclass(frozen=True)
class FlipSearch:
    """Flips of every ranged parameter of a game at one leader's values."""

    path: str
    """The equilibrium path at the leader's values."""
    flips: tuple[Flip, ...]
    """The nearest flip of each parameter that has one, nearest (as a share of range) first."""
    stable: tuple[str, ...]
    """Parameters whose whole range leaves the path alone (on the grid)."""
    failed: Mapping[str, str]
    """Parameters whose range could not be searched, and why (e.g. a probability leaving [0, 1])."""


def _paths(block: Block) -> list[str]:
    return [block.path_words[int(k)] for k in block.path_index]


def _path_at(game: Game, values: Mapping[str, float], name: str, xs: Sequence[float], method: str) -> list[str]:
    samples = {k: np.full(len(xs), v) for k, v in values.items()}
    samples[name] = np.asarray(xs, dtype=np.float64)
    return _paths(solve_block(game, samples, 0, method))


def distances_to_flip(
    game: Game,
    values: Mapping[str, Fraction | float],
    method: str = "auto",
    parameters: Sequence[str] | None = None,
) -> FlipSearch:
    """Search each ranged parameter's range for the nearest change of the equilibrium path.

    Parameters
    ----------
    values
        The leader's values (every parameter of the game).
    parameters
        Which parameters to search (default: every parameter with a range).
    """
    base = {k: float(v) for k, v in values.items()}
    batched = method in ("auto", "spe") and game.is_perfect_information
    points = GRID if batched else NASH_GRID
    names = parameters if parameters is not None else [n for n, p in game.parameters.items() if p.range]
    here = _paths(solve_block(game, {k: np.array([v]) for k, v in base.items()}, 0, method))[0]
    flips: list[Flip] = []
    stable: list[str] = []
    failed: dict[str, str] = {}
    for name in names:
        p = game.parameters[name]
        if p.range is None:
            continue
        lo, hi = float(p.range[0]), float(p.range[1])
        if not lo < hi:
            continue
        x0 = min(max(base[name], lo), hi)
        grid = np.unique(np.concatenate([np.linspace(lo, hi, points), [x0]]))
        try:
            paths = _path_at(game, base, name, grid.tolist(), method)
        except (GameError, SolverError) as err:
            failed[name] = " ".join(str(err).split())
            continue
        k0 = int(np.searchsorted(grid, x0))
        candidates = []
        right = next((k for k in range(k0 + 1, len(grid)) if paths[k] != here), None)
        if right is not None:
            candidates.append(_bisect(game, base, name, x0, float(grid[right]), here, method, lo, hi))
        left = next((k for k in range(k0 - 1, -1, -1) if paths[k] != here), None)
        if left is not None:
            candidates.append(_bisect(game, base, name, x0, float(grid[left]), here, method, lo, hi))
        if not candidates:
            stable.append(name)
            continue
        flips.append(min(candidates, key=lambda f: abs(f.change)))
    flips.sort(key=lambda f: (f.share_of_range, f.parameter))
    return FlipSearch(here, tuple(flips), tuple(stable), failed)


def _bisect(
    game: Game,
    base: Mapping[str, float],
    name: str,
    inside: float,
    outside: float,
    here: str,
    method: str,
    lo: float,
    hi: float,
) -> Flip:
    """Narrow the switch between ``inside`` (path ``here``) and ``outside`` (another path).

    Each step solves ``SECTIONS`` points between the two at once (one point,
    i.e. bisection, for games solved point by point) and keeps the first
    change of path seen from ``inside``.
    """
    after = _path_at(game, base, name, [outside], method)[0]
    batched = method in ("auto", "spe") and game.is_perfect_information
    sections = SECTIONS if batched else 1
    for _ in range(STEPS if batched else NASH_STEPS):
        xs = np.linspace(inside, outside, sections + 2)[1:-1]
        if not len(xs) or xs[0] in (inside, outside):
            break
        paths = _path_at(game, base, name, xs.tolist(), method)
        k = next((i for i, path in enumerate(paths) if path != here), None)
        if k is None:
            inside = float(xs[-1])
        else:
            outside, after = float(xs[k]), paths[k]
            if k:
                inside = float(xs[k - 1])
        if abs(outside - inside) <= 4 * math.ulp(max(abs(inside), abs(outside), 1e-300)):
            break
    tolerance = abs(outside - inside)
    boundary = (inside + outside) / 2
    return Flip(name, base[name], boundary, lo, hi, here, after, max(tolerance, math.ulp(boundary)))
