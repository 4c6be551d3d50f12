"""Distance to a flip: how far one parameter must move before the equilibrium path changes.

For a leader's values and each parameter with a declared range, the search
scans the range on a grid, takes the grid points nearest the leader's value on
each side where the equilibrium path differs, and narrows each boundary down
(in batch, to :data:`RELATIVE_TOLERANCE` of the range: about a millionth).
The nearest boundary, as a share of the parameter's range, says whether the
leader's choice is robust or rests on a hair.

Every trial value is an exact rational (grid points are ``low + k*(high -
low)/(points - 1)``, narrowing points lie between two such), so a game whose
chance probabilities are written ``p`` and ``1 - p`` stays a valid game at any
value in range: nothing is rounded before the expressions are evaluated.

Two ways to solve the trial points:

* **Batch** (:class:`policy.analysis.batch.BatchGame`, ``spe`` in floats over
  many samples at once), when the method is ``spe`` (or ``auto`` choosing it)
  and the batch solver accepts the game. All parameters' grid points are one
  batch; then every boundary is narrowed in lockstep, one batch per round
  (a call also solves the points the next round may ask where it bisects,
  and those of several rounds ahead in a game with subgames of imperfect
  information, the more of them the fewer boundaries are left). In a big game,
  where only the :data:`CONFIRMED` nearest flips are confirmed, a boundary
  that surely lies farther than that many other parameters' switches stops
  narrowing at its bracket (its flip reported unconfirmed, with the bracket's
  width as its tolerance).
  Each reported flip (in a big game, each among the :data:`CONFIRMED`
  nearest) is then checked by
  one exact, verified solve on each side of it (``Flip.confirmed``), at
  points where the batch solver sees no tie (an end of the bracket within
  its tie tolerance of the switch is moved out first, in floats); if the
  exact solves still disagree with the floats, the bracket widens, and
  failing that the parameter is searched again point by point. Several
  leaders' searches (:func:`distances_to_flip_many`) run side by side, each
  batch holding every leader's points.
* **Point by point** otherwise: one verified solve per trial point with the
  method asked for (exact where the method is), on a coarser grid
  (:data:`NASH_GRID`) and by bisection.

Solves are kept by their value, so the leader's own point and the grid
points are solved once. In batch, each parameter's grid is solved from the
leader's value outwards, a side at a time, up to the first point where the
path changes: the points beyond it would not change the bracket. Once one
side's change is found, the other side stops where a change could no longer
be the nearer (its bracket would start at least as far from the leader's
value as the found one ends, and the narrowing would drop it unnarrowed).
A point that cannot be solved (a probability leaving [0, 1], a solver that
gives up) makes that parameter's search fail with the reason
(``FlipSearch.failed``); the other parameters go on. In batch, that is a
point the scan reaches: an invalid game beyond the nearest change on its
side, or farther than a change found on the other side, is not tried.

A point where decisions only drop off the path, no choice changing (a chance
probability reached 0 and cut their branch off), has the leader's path: the
choices are the same and only the outcomes' odds changed, so it is no flip.

A change confined between two grid points can be missed: regions narrower
than a grid step (:attr:`FlipSearch.grid` points over each range: up to
:data:`GRID` in batch, fewer for big games, see :data:`GRID_WORK`;
:data:`NASH_GRID` point by point) are not guaranteed to be found. With a Nash
method the path is that of the equilibrium the method selects: where a game
has several equilibria, a "flip" may be the method selecting another one.
For perfect-information games, :func:`policy.analysis.regions` finds every
boundary exactly.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from policy.expr import ExprError
from policy.model import Game, GameError, Number
from policy.solvers.errors import SolverError

#: Most grid points over a parameter's range (batch solver).
GRID = 201
#: Grid points when each point needs a solve of its own (and fewest in batch).
NASH_GRID = 21
#: Batch work of one grid scan, in nodes times samples: a big game (a campaign of
#: thousands of nodes with dozens of parameters) gets fewer than GRID points.
GRID_WORK = 40_000_000
#: Batch work of one narrowing round, in nodes times samples.
ROUND_WORK = 1_000_000
#: Most points solved per boundary in one narrowing round (batch).
SECTIONS = 63
#: Narrowing in batch stops at this share of the parameter's range (about a millionth), or at
#: float resolution. A flip's place is a fact about a model whose parameters are known to a few
#: per cent at best, so a millionth of the range is finer than any reader uses; the rounds past
#: it would cost the most (their points lie so near a switch that the batch solver falls back to
#: solving its subgames one by one), and the JSON prints only the digits the bracket supports
#: (:func:`policy.render.data.flip_data`). Narrower than about 1e-9 would in any case be decided
#: by the batch's tie rule (:mod:`policy.tolerances`), not by the game.
RELATIVE_TOLERANCE = 2.0**-20
#: Grid points solved first on each side of the leader's value (batch); each later round asks twice as many.
SCAN_FIRST = 2
#: Most narrowing rounds in batch.
STEPS = 60
#: Where a narrowing round bisects (one point a boundary), also solve the next round's two
#: possible points in the same batch (:func:`_narrow_in_lockstep`): half the batch calls...
LOOK_AHEAD = True
#: ... and in a game with subgames of imperfect information (a batch call there costs mostly
#: per call: a lockstep run per subgame), the points of as many rounds ahead as keep a call's
#: points within this many.
AHEAD_POINTS = 96
#: Bisection steps when each point needs a solve (the boundary to 2**-16 of a grid step).
NASH_STEPS = 16
#: The nearest flips of a batch search that are confirmed by exact solves, at the least...
CONFIRMED = 3
#: ... and all of them while nodes times flips stays within this (small games).
CONFIRM_WORK = 200_000
#: Where an exact solve disagrees with the batch, the bracket widens by this factor a step...
WIDEN = 2
#: ... for at most this many steps, before the parameter is searched point by point.
WIDENINGS = 20

#: Most work of a point-by-point search, in nodes times grid solves: beyond it (a
#: campaign of thousands of nodes that the batch solver does not take) the search is
#: not run, and ``FlipSearch.skipped`` says why, rather than solving for an hour.
POINTWISE_WORK = 4_000_000

#: The errors that make one trial point unsolvable.
POINT_ERRORS = (GameError, SolverError, ExprError)

#: Points asked of the batch solver, answered by path and tie flag (see :func:`_drive`).
Request = list[tuple[str, Fraction]]
Answer = list[tuple[str, bool]]


@dataclass(frozen=True)
class Flip:
    """The nearest value of ``parameter`` at which the equilibrium path changes.

    ``boundary`` (the simplest rational in the final bracket) lies within
    ``tolerance`` of the true switch point; beyond it
    (in the direction of ``boundary - value``) the path is ``path_after``.
    ``confirmed``: the path on each side was found by a verified solve (always,
    point by point; in batch, for the :data:`CONFIRMED` nearest flips).
    """

    parameter: str
    value: float
    boundary: float
    low: float
    high: float
    path_before: str
    path_after: str
    tolerance: float
    confirmed: bool = True

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
    grid: int = 0
    """Grid points over each parameter's range."""
    batched: bool = False
    """Whether the trial points were solved by the batch solver."""
    solves: int = field(default=0, compare=False)
    """Verified solves made (batch samples not counted)."""
    skipped: str = ""
    """Why no parameter was searched (a game too big to search point by point), or empty."""


def exact_value(x: Number | Decimal) -> Fraction:
    """A value as an exact rational: a float at its shortest decimal (``0.1`` is 1/10)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{x!r} is not a finite number")
        return Fraction(Decimal(repr(x)))
    return Fraction(x)


def batch_game(game: Game, method: str, options: Mapping[str, Any] | None = None) -> Any:
    """The game compiled for the batch solver if it solves ``game`` for ``method``, else None.

    The batch solver runs ``spe``: it is used for ``spe`` and for ``auto``
    when ``auto`` chooses ``spe``, with no subgame method asked for, and when
    :class:`policy.analysis.batch.BatchGame` accepts the game (its refusal is
    kept, so that it is asked once).
    """
    from policy.analysis.sweep import _compiled
    from policy.solvers import choose_method

    if any(v is not None for v in (options or {}).values()):
        return None
    if method != "spe" and not (method == "auto" and choose_method(game) == "spe"):
        return None
    return _compiled(game)


def _same_choices(path: str, here: str | _Failure | None) -> str:
    """``here`` when ``path`` only lacks some of its decisions, else ``path``.

    A path whose every ``set=action`` word is one of ``here``'s has lost some
    decisions without a choice changing anywhere (a choice that changes, or a
    decision newly reached, brings a word of its own): a chance probability
    reached 0 and cut a branch off. The choices are the same, only the odds of
    the outcomes changed, so it is no flip.
    """
    if not isinstance(here, str) or path == here:
        return path
    words = set(path.split(", ")) if path else set()
    return here if words <= set(here.split(", ")) else path


class _Failure(Exception):
    """A trial point that could not be solved: the message says where and why."""


class _Trials:
    """Solves the game with one parameter moved from the leader's values, keeping every answer."""

    def __init__(
        self, game: Game, base: Mapping[str, Fraction], method: str, exact: bool | None, options: Mapping[str, Any]
    ) -> None:
        self.game = game
        self.base = dict(base)
        self.method = method
        self.exact = exact
        self.options = dict(options)
        self.compiled = batch_game(game, method, options)
        self.floats = {k: float(v) for k, v in base.items()}
        self._exact: dict[tuple[str, Fraction], str | _Failure] = {}
        self._batch: dict[tuple[str, Fraction], tuple[str, bool]] = {}
        self.solves = 0

    def values(self, name: str, x: Fraction) -> dict[str, Fraction]:
        v = dict(self.base)
        if name:
            v[name] = x
        return v

    def known(self, name: str, x: Fraction, path: str) -> None:
        """Keep a path already found by a verified solve."""
        self._exact[(name, x if name else Fraction(0))] = path

    def exact_path(self, name: str, x: Fraction) -> str:
        """The path of a verified solve (exact where the method is) with ``name`` at ``x``.

        ``name`` empty: the leader's own values. Raises :class:`_Failure`.
        """
        key = (name, x if name else Fraction(0))
        got = self._exact.get(key)
        if got is None:
            from policy.analysis.compare import path_text
            from policy.solvers import solve

            self.solves += 1
            try:
                result = solve(self.game, self.values(name, x), method=self.method, exact=self.exact, **self.options)
                got = path_text(result, result.equilibria[0])
            except POINT_ERRORS as err:
                where = f"at {name} = {_show(x)}: " if name else ""
                got = _Failure(where + " ".join(str(err).split()))
            if name and isinstance(got, str):
                got = _same_choices(got, self._exact.get(("", Fraction(0))))
            self._exact[key] = got
        if isinstance(got, _Failure):
            raise got
        return got

    def key(self, name: str, x: Fraction) -> tuple[str, Fraction]:
        return (name, x if name else Fraction(0))

    def batch_paths(self, points: Sequence[tuple[str, Fraction]]) -> Generator[Request, Answer, list[str]]:
        """The batch solver's path at each ``(parameter, value)`` point.

        A generator: the points not kept yet go to :func:`_drive` (which
        solves them in one batch, with other searches' points), and their
        answers come back. Raises :class:`GameError` or :class:`SolverError`
        when some point gives an invalid game.
        """
        return [path for path, _ in (yield from self.batch_answers(points))]

    def batch_answers(self, points: Sequence[tuple[str, Fraction]]) -> Generator[Request, Answer, Answer]:
        """As :meth:`batch_paths`, with whether a mover on each path is indifferent (within the batch's tie tolerance)."""
        todo = list(dict.fromkeys(p for p in points if self.key(*p) not in self._batch))
        if todo:
            got = yield todo
            own = ("", Fraction(0))
            for point, answer in sorted(zip(todo, got, strict=True), key=lambda pa: bool(pa[0][0])):
                if point[0] and own in self._batch:  # the leader's own point comes first
                    answer = (_same_choices(answer[0], self._batch[own][0]), answer[1])
                self._batch[self.key(*point)] = answer
        return [self._batch[self.key(*p)] for p in points]

    def samples(self, points: Sequence[tuple[str, Fraction]]) -> dict[str, np.ndarray]:
        """The batch solver's samples for ``points``: the leader's values, one parameter moved in each."""
        n = len(points)
        samples = {k: np.full(n, v) for k, v in self.floats.items()}
        for i, (name, x) in enumerate(points):
            if name:
                samples[name][i] = float(x)
        return samples

    def batch_failure(self, name: str, xs: Sequence[Fraction], err: Exception) -> str:
        """Why a parameter's batch failed: the first of ``xs`` whose game is invalid, with the reason."""
        for x in xs:
            try:
                self.game.numbers(self.values(name, x), exact=True)
            except POINT_ERRORS as e:
                return f"at {name} = {_show(x)}: " + " ".join(str(e).split())
        return " ".join(str(err).split())


@dataclass
class _Boundary:
    """One side's switch being narrowed: the path is ``here`` at ``inside``, ``after`` at ``outside``."""

    name: str
    inside: Fraction
    outside: Fraction
    after: str
    low: Fraction
    high: Fraction
    start: Fraction
    """The leader's value (path ``here``)."""
    far: Fraction = Fraction(0)
    """The grid point where the change was first seen."""
    dropped: bool = False
    """The other side's switch is surely nearer the leader's value."""
    coarse: bool = False
    """Left at its bracket: surely not among the flips to be confirmed (:func:`_narrow_in_lockstep`)."""
    start_at: tuple[Fraction, Fraction, int] | None = None
    """Where the exact confirmation starts (inside, outside, widenings done), from :func:`_prepare`."""

    def __post_init__(self) -> None:
        self.far = self.outside

    def nearest(self) -> Fraction:
        """How far from the leader's value the switch may be, at the least."""
        return abs(self.inside - self.start)

    def farthest(self) -> Fraction:
        return abs(self.outside - self.start)

    def halvings(self) -> int:
        """How many bisections the bracket still needs to reach :data:`RELATIVE_TOLERANCE` of the range."""
        ratio = abs(float(self.outside - self.inside)) / (RELATIVE_TOLERANCE * float(self.high - self.low))
        return math.ceil(math.log2(ratio)) if ratio > 1 else 0

    def done(self) -> bool:
        if self.dropped:
            return True
        a, b = float(self.inside), float(self.outside)
        width = abs(b - a)
        return width <= RELATIVE_TOLERANCE * float(self.high - self.low) or width <= 4 * math.ulp(
            max(abs(a), abs(b), 1e-300)
        )


def distances_to_flip(
    game: Game,
    values: Mapping[str, Fraction | float],
    method: str = "auto",
    parameters: Sequence[str] | None = None,
    exact: bool | None = None,
    confirm: int | None = None,
    path: str | None = None,
    **options: Any,
) -> FlipSearch:
    """Search each ranged parameter's range for the nearest change of the equilibrium path.

    Parameters
    ----------
    values
        The leader's values (every parameter of the game); floats are taken
        at their shortest decimal.
    method, exact, options
        As for :func:`policy.solvers.solve`, for the points solved one by one
        and for the confirmations.
    parameters
        Which parameters to search (default: every parameter with a range).
    confirm
        In batch, how many of the nearest flips to confirm by exact solves
        (default: all of them in a small game, see :data:`CONFIRM_WORK`, else
        :data:`CONFIRMED`).
    path
        The equilibrium path at ``values`` (:func:`policy.analysis.compare.path_text`)
        when already solved with the same method, to save a solve.

    Raises
    ------
    GameError, SolverError
        When the game cannot be solved at the leader's own values.
    """
    [found] = distances_to_flip_many(game, [values], method, parameters, exact, confirm, [path], **options)
    if isinstance(found, Exception):
        raise found
    return found


def distances_to_flip_many(
    game: Game,
    values: Sequence[Mapping[str, Fraction | float]],
    method: str = "auto",
    parameters: Sequence[str] | None = None,
    exact: bool | None = None,
    confirm: int | None = None,
    paths: Sequence[str | None] | None = None,
    **options: Any,
) -> list[FlipSearch | Exception]:
    """:func:`distances_to_flip` for several leaders' values at once.

    The searches run side by side: each batch of trial points (the grids,
    each narrowing round, the float checks before the confirmations) holds
    every leader's points, so the batch solver's cost per call is paid once
    for all of them. In the place of a leader whose own values cannot be
    solved (or whose search fails as a whole) stands the error
    (:class:`GameError`, :class:`SolverError` or :class:`ExprError`).
    ``paths[k]``: the equilibrium path at ``values[k]`` when already known.
    """
    names = parameters if parameters is not None else [n for n, p in game.parameters.items() if p.range]
    ranges: dict[str, tuple[Fraction, Fraction]] = {}
    for name in names:
        p = game.parameters[name]
        if p.range is not None and p.range[0] < p.range[1]:
            ranges[name] = (exact_value(p.range[0]), exact_value(p.range[1]))
    jobs: list[tuple[_Trials, Generator[Request, Answer, FlipSearch]] | Exception] = []
    for k, v in enumerate(values):
        try:
            trials = _Trials(game, {n: exact_value(x) for n, x in v.items()}, method, exact, options)
            jobs.append((trials, _search(trials, ranges, confirm, None if paths is None else paths[k])))
        except POINT_ERRORS as err:
            jobs.append(err)
    return _drive(game, jobs)


def _search(
    trials: _Trials, ranges: Mapping[str, tuple[Fraction, Fraction]], confirm: int | None, path: str | None
) -> Generator[Request, Answer, FlipSearch]:
    """One leader's search; yields the points it needs from the batch solver (see :func:`_drive`)."""
    game = trials.game
    if path is not None:
        trials.known("", Fraction(0), path)
    try:
        here_exact = trials.exact_path("", Fraction(0))
    except _Failure as err:
        raise SolverError(str(err)) from None
    if trials.compiled is not None:
        search = yield from _batch_search(trials, ranges, here_exact, confirm)
    elif (work := game.num_nodes * NASH_GRID * len(ranges)) > POINTWISE_WORK:
        refused = str(game._cache.get("batch_refused") or "")
        why = f"the batch solver does not take this game ({refused.split(';')[0]})" if refused else (
            f"method {trials.method} is solved point by point")
        search = FlipSearch(here_exact, (), (), {}, skipped=(
            f"not searched: {why}, and {NASH_GRID} points for each of {len(ranges)} parameters on "
            f"{game.num_nodes:,} nodes ({work:,} node-solves) is beyond the {POINTWISE_WORK:,} "
            "searched one by one"))
    else:
        search = _pointwise_search(trials, ranges, here_exact)
    return replace(search, solves=trials.solves)


def _drive(
    game: Game, jobs: Sequence[tuple[_Trials, Generator[Request, Answer, FlipSearch]] | Exception]
) -> list[FlipSearch | Exception]:
    """Run the searches side by side, solving all their pending points in one batch each time.

    When a batch of several searches' points fails (some point gives an
    invalid game), each search's points are solved again on their own, so
    that the error reaches the search it belongs to, as if it ran alone.
    """
    out: list[FlipSearch | Exception | None] = [j if isinstance(j, Exception) else None for j in jobs]
    pending: dict[int, Request] = {}

    def advance(k: int, answer: Answer | None = None, error: Exception | None = None) -> None:
        job = jobs[k]
        assert not isinstance(job, Exception)
        try:
            if error is not None:
                pending[k] = job[1].throw(error)
            else:
                pending[k] = job[1].send(answer)  # type: ignore[arg-type]  # None starts it
        except StopIteration as stop:
            out[k] = stop.value
        except POINT_ERRORS as err:
            out[k] = err

    for k, job in enumerate(jobs):
        if not isinstance(job, Exception):
            advance(k)
    while pending:
        asked = dict(pending)
        pending.clear()
        together: list[Answer] | None = None
        if len(asked) > 1 and len({frozenset(jobs[k][0].floats) for k in asked}) == 1:  # type: ignore[index]
            try:
                together = _solve_points(game, [(jobs[k], points) for k, points in asked.items()])  # type: ignore[misc]
            except POINT_ERRORS:
                together = None
        for i, (k, points) in enumerate(asked.items()):
            if together is not None:
                advance(k, together[i])
                continue
            try:
                [answer] = _solve_points(game, [(jobs[k], points)])  # type: ignore[list-item]
            except POINT_ERRORS as err:
                advance(k, error=err)
            else:
                advance(k, answer)
    return [x for x in out if x is not None]


def _solve_points(
    game: Game, asked: Sequence[tuple[tuple[_Trials, Any], Request]]
) -> list[Answer]:
    """Every search's points in one batch: each point's path and whether a mover on it is indifferent.

    Raises :class:`SolverError` naming the first point whose game is invalid.
    """
    from policy.analysis.sweep import solve_block

    owners = [(trials, point) for (trials, _), points in asked for point in points]
    parts = [trials.samples(points) for (trials, _), points in asked]
    samples = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    block = solve_block(game, samples, 0, "spe", summary=False)  # the paths, ties and failures only
    if block.failed:
        # A point the sweep would mark in its place fails the search here, so that the
        # parameter's search is reported failed with where and why.
        k = min(block.failed)
        name, x = owners[k][1]
        raise SolverError(f"at {name} = {_show(x)}: {block.failed[k]}")
    answers = [(block.path_words[int(i)], bool(t)) for i, t in zip(block.path_index.tolist(), block.tie.tolist(),
                                                                     strict=True)]
    out, start = [], 0
    for _, points in asked:
        out.append(answers[start : start + len(points)])
        start += len(points)
    return out


def _grid(lo: Fraction, hi: Fraction, points: int, x0: Fraction) -> list[Fraction]:
    """``points`` evenly spaced exact values from ``lo`` to ``hi``, with ``x0`` among them."""
    return sorted({lo + (hi - lo) * k / (points - 1) for k in range(points)} | {x0})


def _brackets(
    name: str, grid: Sequence[Fraction], paths: Sequence[str | None], x0: Fraction, here: str, lo: Fraction,
    hi: Fraction,
) -> list[_Boundary]:
    """On each side of ``x0``, the first grid step where the path stops being ``here``.

    Each bracket runs from the grid point before the change (path ``here``) to
    the point of the change; the nearer side comes first. A side whose scan
    stopped before any change (``None`` paths from there on) has no bracket.
    """
    k0 = grid.index(x0)
    out = []
    right = next((k for k in range(k0 + 1, len(grid)) if paths[k] != here), None)
    if right is not None and paths[right] is not None:
        out.append(_Boundary(name, grid[right - 1], grid[right], str(paths[right]), lo, hi, x0))
    left = next((k for k in range(k0 - 1, -1, -1) if paths[k] != here), None)
    if left is not None and paths[left] is not None:
        out.append(_Boundary(name, grid[left + 1], grid[left], str(paths[left]), lo, hi, x0))
    return sorted(out, key=lambda b: abs(b.inside - x0))


def _clamp(x: Fraction, lo: Fraction, hi: Fraction) -> Fraction:
    return min(max(x, lo), hi)


# ---------------------------------------------------------------------------------
# Point by point
# ---------------------------------------------------------------------------------
def _pointwise_search(trials: _Trials, ranges: Mapping[str, tuple[Fraction, Fraction]], here: str) -> FlipSearch:
    flips: list[Flip] = []
    stable: list[str] = []
    failed: dict[str, str] = {}
    for name, (lo, hi) in ranges.items():
        try:
            flip = _pointwise_parameter(trials, name, lo, hi, here, NASH_GRID)
        except _Failure as err:
            failed[name] = str(err)
            continue
        if flip is None:
            stable.append(name)
        else:
            flips.append(flip)
    flips.sort(key=lambda f: (f.share_of_range, f.parameter))
    return FlipSearch(here, tuple(flips), tuple(stable), failed, grid=NASH_GRID)


def _pointwise_parameter(
    trials: _Trials, name: str, lo: Fraction, hi: Fraction, here: str, points: int, steps: int = NASH_STEPS
) -> Flip | None:
    """The nearest flip of one parameter by verified solves: grid, then bisection. Raises :class:`_Failure`."""
    x0 = _clamp(trials.base[name], lo, hi)
    grid = _grid(lo, hi, points, x0)
    paths = [trials.exact_path(name, x) for x in grid]
    candidates: list[Flip] = []
    for b in _brackets(name, grid, paths, x0, here, lo, hi):
        if candidates and b.nearest() >= abs(exact_value(candidates[0].boundary) - x0):
            break  # the nearer side's switch is nearer than anything on this side
        for _ in range(steps):
            if b.done():
                break
            mid = (b.inside + b.outside) / 2
            path = trials.exact_path(name, mid)
            if path == here:
                b.inside = mid
            else:
                b.outside, b.after = mid, path
        candidates.append(_flip(trials, b, here, confirmed=True))
    return min(candidates, key=lambda f: abs(f.change)) if candidates else None


def _flip(trials: _Trials, b: _Boundary, here: str, confirmed: bool) -> Flip:
    inside, outside = float(b.inside), float(b.outside)
    # Within the bracket any point is as good; the simplest rational in it is the
    # switch itself when that is a short rational (as payoffs written with a few
    # digits make it), e.g. 1/3 rather than 0.33333333363.
    boundary = float(simplest_between(b.inside, b.outside))
    tolerance = max(abs(outside - inside), math.ulp(boundary))
    return Flip(b.name, float(trials.base[b.name]), boundary, float(b.low), float(b.high),
                here, b.after, tolerance, confirmed)


# ---------------------------------------------------------------------------------
# Batch, in lockstep
# ---------------------------------------------------------------------------------
def _batch_search(
    trials: _Trials, ranges: Mapping[str, tuple[Fraction, Fraction]], here_exact: str, confirm: int | None
) -> Generator[Request, Answer, FlipSearch]:
    game = trials.game
    nodes = max(1, game.num_nodes)
    points = max(NASH_GRID, min(GRID, GRID_WORK // (nodes * max(1, len(ranges)))))
    failed: dict[str, str] = {}
    grids: dict[str, list[Fraction]] = {}
    for name, (lo, hi) in ranges.items():
        grids[name] = _grid(lo, hi, points, _clamp(trials.base[name], lo, hi))
    paths = yield from _scan_outwards(trials, grids, failed)
    here = (yield from trials.batch_paths([("", Fraction(0))]))[0]
    boundaries: list[_Boundary] = []
    stable: list[str] = []
    for name, grid in grids.items():
        if name in failed:
            continue
        lo, hi = ranges[name]
        x0 = _clamp(trials.base[name], lo, hi)
        found = _brackets(name, grid, paths[name], x0, here, lo, hi)
        if not found:
            stable.append(name)
        boundaries += found
    flipping = len({b.name for b in boundaries})
    if confirm is None:
        confirm = flipping if game.num_nodes * flipping <= CONFIRM_WORK else CONFIRMED
    yield from _narrow_in_lockstep(trials, boundaries, here, keep=confirm if 0 < confirm < flipping else None)
    order = _nearest_first(trials, boundaries, here_exact)
    # The float checks before the confirmations of the nearest, in one batch.
    yield from _prepare(trials, [b for _, b in order[:confirm]], here_exact)
    # Confirm the nearest by exact solves on each side; redo point by point where they disagree.
    flips: list[Flip] = []
    while order:
        f, b = order.pop(0)
        confirmed = sum(g.confirmed for g in flips)
        if confirmed >= confirm:
            flips.append(f)
            continue
        if b.coarse and not b.done():
            # A nearer flip failed its confirmation, so another is confirmed in its place:
            # the parameters left are narrowed again, as the nearest were, and ordered anew
            # (their brackets alone do not order them).
            left = {b.name} | {other.name for _, other in order}
            mine = [x for x in boundaries if x.name in left]
            for x in mine:
                x.coarse = False
            need = confirm - confirmed
            yield from _narrow_in_lockstep(trials, mine, here, keep=need if need < len(left) else None)
            order = _nearest_first(trials, mine, here_exact)
            continue
        checked = yield from _confirm(trials, b, here_exact, failed, stable)
        if checked is not None:
            flips.append(checked)
    flips.sort(key=lambda f: (f.share_of_range, f.parameter))
    return FlipSearch(here_exact, tuple(flips), tuple(stable), failed, grid=points, batched=True)


def _nearest_first(trials: _Trials, boundaries: Sequence[_Boundary], here: str) -> list[tuple[Flip, _Boundary]]:
    """Each parameter's nearer boundary (of those not dropped) with its flip, nearest (as a share of range) first."""
    nearest: dict[str, tuple[Flip, _Boundary]] = {}
    for b in boundaries:
        if b.dropped:
            continue
        f = _flip(trials, b, here, confirmed=False)
        if b.name not in nearest or abs(f.change) < abs(nearest[b.name][0].change):
            nearest[b.name] = (f, b)
    return sorted(nearest.values(), key=lambda fb: (fb[0].share_of_range, fb[0].parameter))


def _scan_outwards(
    trials: _Trials, grids: Mapping[str, list[Fraction]], failed: dict[str, str]
) -> Generator[Request, Answer, dict[str, list[str | None]]]:
    """The batch solver's path at each grid point, from the leader's value outwards, up to the first change a side.

    Only the grid points up to the first change of path on each side of the
    leader's value make a bracket (:func:`_brackets`); the points beyond it
    are not solved (``None`` in their place), nor, once one side's change is
    found, the other side's points whose bracket would begin at least as far
    away as that change (:func:`_narrow_in_lockstep` would drop such a
    bracket before narrowing it: only the nearer switch of a parameter counts). Each round asks, for every side
    still open, the next :data:`SCAN_FIRST`, then twice as many points as the
    round before, with the leader's own point in the first round: all
    parameters' points (and, side by side, all leaders') in one batch a round.
    A parameter with no change on either side is solved to both ends of the
    range, so a parameter found stable was solved at every grid point. A round whose batch fails
    (some point gives an invalid game) is solved again one parameter at a
    time, and a parameter whose points fail is marked failed (``failed``),
    with the first grid point whose game is invalid.
    """
    paths: dict[str, list[str | None]] = {name: [None] * len(grid) for name, grid in grids.items()}
    # Per parameter and side: the next grid index to solve and the step (+1 or -1).
    sides: list[tuple[str, int, int]] = []
    starts: dict[str, Fraction] = {}
    for name, grid in grids.items():
        starts[name] = x0 = _clamp(trials.base[name], grid[0], grid[-1])
        k0 = grid.index(x0)
        sides += [(name, k0 + 1, 1), (name, k0 - 1, -1)]
    # Per parameter and side, how far from the leader's value its first change lies, once found.
    changes: dict[tuple[str, int], Fraction] = {}

    def wanted(name: str, j: int, step: int) -> bool:
        """Whether a change at grid index ``j`` could still be the parameter's nearest (see above)."""
        limit = changes.get((name, -step))
        return limit is None or abs(grids[name][j - step] - starts[name]) < limit
    here: str | None = None
    size = SCAN_FIRST
    while True:
        sides = [(name, k, step) for name, k, step in sides
                 if name not in failed and 0 <= k < len(grids[name])]
        if here is None:
            asked: list[tuple[str, Fraction]] = [("", Fraction(0))]
        elif not sides:
            return paths
        else:
            asked = []
        taken: list[tuple[str, list[int]]] = []
        for name, k, step in sides:
            ks = [j for j in range(k, k + step * size, step) if 0 <= j < len(grids[name]) and wanted(name, j, step)]
            taken.append((name, ks))
            asked += [(name, grids[name][j]) for j in ks]
        answers: dict[tuple[str, Fraction], str] = {}
        try:
            answers.update(zip(asked, (yield from trials.batch_paths(asked)), strict=True))
        except POINT_ERRORS:
            # Some parameter's points hold an invalid game: find which, one batch each.
            if here is None:  # the leader's own point; if it fails, the search fails
                answers[("", Fraction(0))] = (yield from trials.batch_paths([("", Fraction(0))]))[0]
            for name in dict.fromkeys(name for name, _ in taken):
                mine = [(name, grids[name][j]) for other, ks in taken if other == name for j in ks]
                try:
                    answers.update(zip(mine, (yield from trials.batch_paths(mine)), strict=True))
                except POINT_ERRORS as err:
                    failed[name] = trials.batch_failure(name, grids[name], err)
        if here is None:
            here = answers[("", Fraction(0))]
        following = []
        for (name, k, step), (_, ks) in zip(sides, taken, strict=True):
            if name in failed:
                continue
            for j in ks:
                paths[name][j] = answers[(name, grids[name][j])]
            first = next((j for j in ks if paths[name][j] != here), None)
            if first is not None:
                changes[(name, step)] = abs(grids[name][first] - starts[name])
            elif ks:
                following.append((name, k + step * size, step))
        sides = following
        size *= 2


def _narrow_in_lockstep(
    trials: _Trials, boundaries: list[_Boundary], here: str, keep: int | None = None
) -> Generator[Request, Answer, None]:
    """Narrow every boundary at once: each round, one batch of points inside every interval.

    ``keep``: only the flips of the ``keep`` parameters nearest the leader's
    values are confirmed (a big game, :data:`CONFIRMED`), so a boundary that
    surely lies farther, as a share of its range, than ``keep`` other
    parameters' switches is left at its bracket (``coarse``): its flip is
    reported unconfirmed, with the bracket's width as its tolerance. None:
    every boundary is narrowed to :data:`RELATIVE_TOLERANCE`.
    """
    nodes = max(1, trials.game.num_nodes)
    per_call = getattr(trials.compiled, "_nash", None) is not None
    sides: dict[str, list[_Boundary]] = {}
    for b in boundaries:
        sides.setdefault(b.name, []).append(b)
    for _ in range(STEPS):
        for pair in sides.values():
            if len(pair) == 2:
                near, far = sorted(pair, key=lambda b: b.nearest())
                far.dropped = far.dropped or far.nearest() >= near.farthest()
        if keep is not None:
            _settle(boundaries, keep)
        open_ = [b for b in boundaries if not b.done()]
        active = [b for b in open_ if not b.coarse]
        if not active:
            return
        # Sections as if the coarse were narrowed too: the others go through the very rounds,
        # so the very brackets, they would have had.
        sections = max(1, min(SECTIONS, ROUND_WORK // (nodes * len(open_))))
        # Rounds solved in one call: this one and, when it bisects, the next (LOOK_AHEAD); in a
        # game with subgames of imperfect information, whose batch calls cost mostly per call
        # (a lockstep run per subgame), as many more as fit in AHEAD_POINTS while needed.
        rounds = 2 if LOOK_AHEAD and sections == 1 else 1
        if LOOK_AHEAD and per_call:
            need = math.ceil(max(b.halvings() for b in active) / math.log2(sections + 1))
            while rounds < need and len(active) * ((sections + 1) ** (rounds + 1) - 1) <= AHEAD_POINTS:
                rounds += 1
        points: list[tuple[str, Fraction]] = []
        spans = []
        for b in active:
            xs = [b.inside + (b.outside - b.inside) * k / (sections + 1) for k in range(1, sections + 1)]
            spans.append((len(points), xs))
            points += [(b.name, x) for x in xs]
        ahead: list[tuple[str, Fraction]] = []
        if rounds > 1 and any(trials.key(*p) not in trials._batch for p in points):
            # The points the next rounds may ask lie on the grid that divides each bracket
            # into (sections + 1)**rounds: they are solved in this call too, and those rounds
            # find their answers kept. The rounds, and so the brackets, are the same as one
            # call a round.
            steps = (sections + 1) ** rounds
            own = steps // (sections + 1)
            for b in active:
                width = b.outside - b.inside
                ahead += [(b.name, b.inside + width * k / steps) for k in range(1, steps) if k % own]
        try:
            paths = (yield from trials.batch_paths(points + ahead))[: len(points)]
        except POINT_ERRORS:
            if not ahead:
                raise
            paths = yield from trials.batch_paths(points)  # a point ahead may be the invalid one
        for b, (start, xs) in zip(active, spans, strict=True):
            mine = paths[start : start + len(xs)]
            k = next((i for i, path in enumerate(mine) if path != here), None)
            if k is None:
                b.inside = xs[-1]
            else:
                b.outside, b.after = xs[k], mine[k]
                if k:
                    b.inside = xs[k - 1]


def _settle(boundaries: Sequence[_Boundary], keep: int) -> None:
    """Mark ``coarse`` each boundary that surely lies farther than ``keep`` other parameters' switches.

    A parameter's switch lies at most its nearest bracket's far end from the
    leader's value (as a share of its range); with ``bound`` the ``keep``-th
    least of those, a boundary whose near end is beyond ``bound`` has
    ``keep`` parameters surely nearer, whatever the narrowing finds. Brackets
    only shrink, so the mark stays right. A parameter with a bracket open on
    each side is not marked until one side is dropped (the nearer side is
    not known before).
    """
    reach: dict[str, Fraction] = {}
    sides: dict[str, int] = {}
    for b in boundaries:
        if not b.dropped:
            share = b.farthest() / (b.high - b.low)
            reach[b.name] = min(reach.get(b.name, share), share)
            sides[b.name] = sides.get(b.name, 0) + 1
    if len(reach) <= keep:
        return
    bound = sorted(reach.values())[keep - 1]
    for b in boundaries:
        # A parameter whose two sides are both still open is narrowed on until one is
        # dropped: only then is it known which side its nearest switch lies on.
        if not b.dropped and sides[b.name] == 1 and b.nearest() / (b.high - b.low) > bound:
            b.coarse = True


def _ends(b: _Boundary) -> tuple[Fraction, Fraction, Fraction, int]:
    """Where a confirmation starts: short rationals near each end of the bracket, its width, its direction."""
    width = abs(b.outside - b.inside)
    toward = 1 if b.far > b.start else -1
    # Short rationals near each end (within a tenth of the bracket) solve faster
    # exactly than the long ones the narrowing reached.
    inside = simplest_between(b.inside - toward * width / 10, b.inside)
    outside = simplest_between(b.outside, b.outside + toward * width / 10)
    return inside, outside, width, toward


def _ladder(b: _Boundary, end: Fraction, width: Fraction, toward: int, inward: bool) -> list[Fraction]:
    """An end of a bracket moved away from the switch by 2, 2 + 4, 2 + 4 + 8, ... widths, up to
    the leader's value (inside) or the grid point of the change (outside): the points a
    confirmation widens to (:func:`_confirm`), the first being ``end`` itself."""
    out = [end]
    x, step = end, width
    for _ in range(WIDENINGS):
        step *= WIDEN
        if inward:
            x = x - toward * step
            if (x - b.start) * toward <= 0:
                out.append(b.start)
                break
        else:
            x = x + toward * step
            if (b.far - x) * toward <= 0:
                out.append(b.far)
                break
        out.append(x)
    return out


def _prepare(trials: _Trials, boundaries: Sequence[_Boundary], here: str) -> Generator[Request, Answer, None]:
    """Ask the batch solver, ahead of the exact solves, where each confirmation should start.

    The narrowing stops where the batch solver's choice changes; within the
    batch's tie tolerance of the switch, that choice is its tie rule's, and
    an exact solve there may disagree. Each end of a bracket whose batch
    answer is a tie is moved outwards along its :func:`_ladder` to the first
    point where the batch solver sees no tie and the expected path; the
    exact solves of :func:`_confirm` then start there. The answers are
    kept (``_Boundary.start_at``); nothing here is trusted without the exact solves.
    """
    plans = []
    for b in boundaries:
        inside, outside, width, toward = _ends(b)
        plans.append((b, _ladder(b, inside, width, toward, True), _ladder(b, outside, width, toward, False)))
    try:
        first = yield from trials.batch_answers([(b.name, x) for b, ins, outs in plans for x in (ins[0], outs[0])])
    except POINT_ERRORS:
        return
    more: list[tuple[str, Fraction]] = []
    for k, (b, ins, outs) in enumerate(plans):
        (path_in, tie_in), (path_out, tie_out) = first[2 * k], first[2 * k + 1]
        if tie_in or path_in != here:
            more += [(b.name, x) for x in ins[1:]]
        if tie_out or path_out == here:
            more += [(b.name, x) for x in outs[1:]]
    try:
        yield from trials.batch_answers(more)
    except POINT_ERRORS:
        return
    for b, ins, outs in plans:
        answers_in = [trials._batch.get(trials.key(b.name, x)) for x in ins]
        answers_out = [trials._batch.get(trials.key(b.name, x)) for x in outs]
        k_in = next((k for k, a in enumerate(answers_in) if a is not None and a[0] == here and not a[1]), 0)
        k_out = next((k for k, a in enumerate(answers_out) if a is not None and a[0] != here and not a[1]), 0)
        b.start_at = (ins[k_in], outs[k_out], max(k_in, k_out))


def _confirm(
    trials: _Trials, b: _Boundary, here: str, failed: dict[str, str], stable: list[str]
) -> Generator[Request, Answer, Flip | None]:
    """A boundary found in batch, checked by a verified solve on each side.

    Where a verified solve disagrees with the batch (near a tie, which the
    batch judges within a relative tolerance), the bracket is widened, by a
    factor of :data:`WIDEN` at a time on the side that disagrees, until both
    sides agree; the tolerance reported is the bracket's width. The first
    exact solves are where :func:`_prepare` found the batch solver sure of
    its answer (on the way the widening would go). Failing that
    within :data:`WIDENINGS` steps, the parameter is searched again point by
    point. Returns None when it then turns out stable or unsearchable (noted
    in ``stable`` or ``failed``).
    """
    if b.start_at is None:
        yield from _prepare(trials, [b], here)
    try:
        inside0, outside0, width, toward = _ends(b)
        b.inside, b.outside = inside0, outside0
        if b.start_at is not None:
            b.inside, b.outside, steps = b.start_at
            width *= WIDEN**steps
        for _ in range(WIDENINGS):
            inside = trials.exact_path(b.name, b.inside)
            outside = trials.exact_path(b.name, b.outside)
            if inside == here and outside != here:
                return _flip(trials, replace(b, after=outside), here, confirmed=True)
            width *= WIDEN
            if inside != here:
                if b.inside == b.start:
                    break
                b.inside = b.inside - toward * width
                if (b.inside - b.start) * toward <= 0:
                    b.inside = b.start
            if outside == here:
                if b.outside == b.far:
                    break
                b.outside = b.outside + toward * width
                if (b.far - b.outside) * toward <= 0:
                    b.outside = b.far
        again = _pointwise_parameter(trials, b.name, b.low, b.high, here, NASH_GRID)
    except _Failure as err:
        failed[b.name] = str(err)
        return None
    if again is None:
        stable.append(b.name)
    return again


def simplest_between(a: Fraction, b: Fraction) -> Fraction:
    """The rational with the smallest denominator in the closed interval between ``a`` and ``b``.

    By continued fractions (the Stern-Brocot tree): the common start of the
    two ends' expansions, then the smallest integer that fits between them.
    """
    lo, hi = min(a, b), max(a, b)
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -simplest_between(-hi, -lo)
    whole = math.floor(lo)
    if whole == lo:
        return Fraction(whole)
    if whole + 1 <= hi:
        return Fraction(whole + 1)
    # lo and hi share the integer part: recurse on the reciprocals of the fractional parts.
    return whole + 1 / simplest_between(1 / (hi - whole), 1 / (lo - whole))


def _show(x: Fraction) -> str:
    """A trial value for a message: exact when short, else 10 significant digits."""
    text = str(x)
    return text if len(text) <= 12 else f"{float(x):.10g}"
