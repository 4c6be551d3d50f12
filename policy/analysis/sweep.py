"""Sweeps: solve a game at many parameter values and summarise what changes.

Two ways to choose the values: a grid over one or two parameters
(:func:`grid_samples`), the others at a leader's values; or Monte Carlo draws
from the uncertainty a leader profile declares (:func:`monte_carlo_samples`,
see :class:`policy.leaders.Distribution`).

Perfect-information games, and with ``--method spe`` games whose information
sets of several members lie in proper subgames of two movers, are solved by
the batch solver (:mod:`policy.analysis.batch`, those subgames by Lemke's
method in lockstep: :mod:`policy.analysis.batch_subgames`), all samples of a
block at once. Others (and games the batch solver refuses, for the reason
:func:`batch_refusal` gives) are solved sample by sample with a Nash method,
in worker processes; every answer is a verified equilibrium, as always. Either way the samples are solved in
blocks, so a caller can show progress and stop between blocks (Ctrl-C keeps
what was done).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.analysis.errors import SweepError
from policy.leaders import Leader, LeaderError, LeaderValue
from policy.model import Game, Number

#: Samples per block of work (the unit of progress, interruption and distribution).
BLOCK = 1 << 14
#: Blocks of samples solved one by one (imperfect information) are smaller.
NASH_BLOCK = 64
#: The most samples one sweep solves (grid points, or Monte Carlo draws per leader).
#: Each sample keeps its parameters, outcome probabilities and payoffs in memory
#: (about a gigabyte per 10^7 samples of a game with a dozen outcomes); run a
#: larger Monte Carlo sweep in pieces with different ``--seed``.
MAX_SAMPLES = 10_000_000
#: Two-sided 95% normal quantile, for confidence intervals of outcome probabilities.
Z95 = 1.959963984540054

Array = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------------
# Choosing the samples
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Vary:
    """One parameter of a grid: ``points`` values from ``low`` to ``high`` inclusive."""

    name: str
    low: float
    high: float
    points: int = 101


def _declared_range(text: str, name: str, game: Game) -> Vary:
    """The grid of a bare ``--vary NAME``: the parameter's declared range, 101 points."""
    p = game.parameters.get(name)
    if p is None:
        declared = ", ".join(game.parameters) or "none"
        raise SweepError(f"--vary {text!r}: unknown parameter {name!r} (the game declares: {declared})")
    if p.range is None:
        raise SweepError(f"--vary {text!r}: the parameter declares no range; give one as {name}=LOW:HIGH")
    return Vary(name, float(p.range[0]), float(p.range[1]))


def parse_vary(text: str, game: Game | None = None) -> Vary:
    """``"p=0:1"``, ``"p=0:1:51"`` or ``"p"`` from ``--vary``.

    LOW and HIGH must be finite floats with a finite difference, POINTS a
    whole number from 2 to :data:`MAX_SAMPLES`. A bare NAME (as ``regions``
    takes it) sweeps the range ``game`` declares for the parameter.
    """
    name, sep, spec = text.partition("=")
    if not sep and game is not None and re.fullmatch(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*", name):
        return _declared_range(text, name.strip(), game)
    parts = spec.split(":")
    if not sep or not name.strip() or len(parts) not in (2, 3):
        raise SweepError(f"--vary {text!r}: expected NAME, NAME=LOW:HIGH or NAME=LOW:HIGH:POINTS")
    try:
        exact = [Fraction(p.strip()) for p in parts[:2]]
        points = int(parts[2]) if len(parts) == 3 else 101
    except (ValueError, ZeroDivisionError):
        raise SweepError(f"--vary {text!r}: LOW and HIGH must be numbers, POINTS a whole number") from None
    bounds = []
    for word, x in zip(("LOW", "HIGH"), exact, strict=True):
        try:
            bounds.append(float(x))
        except OverflowError:
            raise SweepError(f"--vary {text!r}: {word} is too large for a floating-point number") from None
    low, high = bounds
    if not low < high:
        raise SweepError(f"--vary {text!r}: LOW must be below HIGH")
    if not math.isfinite(high - low):
        raise SweepError(f"--vary {text!r}: HIGH - LOW is too large for a floating-point number")
    if points < 2:
        raise SweepError(f"--vary {text!r}: POINTS must be at least 2")
    if points > MAX_SAMPLES:
        raise SweepError(f"--vary {text!r}: POINTS must be at most {MAX_SAMPLES} (the most samples a sweep takes)")
    return Vary(name.strip(), low, high, points)


def grid_samples(
    game: Game, base: Mapping[str, Fraction], vary: Sequence[Vary]
) -> dict[str, Array]:
    """A grid over one or two parameters, the others at ``base``.

    With two parameters the grid is the product, the first parameter varying
    slowest. Every parameter gets an array of the same length.
    """
    if not 1 <= len(vary) <= 2:
        raise SweepError("--vary: give one or two parameters")
    names = [v.name for v in vary]
    if len(set(names)) != len(names):
        raise SweepError(f"--vary: {names[0]} given twice")
    for v in vary:
        if v.name not in game.parameters:
            declared = ", ".join(game.parameters) or "none"
            raise SweepError(f"--vary: unknown parameter {v.name!r} (the game declares: {declared})")
    total = math.prod(v.points for v in vary)
    if total > MAX_SAMPLES:
        raise SweepError(
            f"--vary: {' x '.join(str(v.points) for v in vary)} = {total} grid points, more than the "
            f"{MAX_SAMPLES} a sweep takes; use fewer POINTS"
        )
    axes = [np.linspace(v.low, v.high, v.points) for v in vary]
    mesh = np.meshgrid(*axes, indexing="ij")
    n = mesh[0].size
    out = {k: np.full(n, float(x)) for k, x in base.items()}
    for v, m in zip(vary, mesh, strict=True):
        out[v.name] = m.ravel()
    return out


def monte_carlo_samples(
    game: Game, leader: Leader, base: Mapping[str, Fraction], n: int, seed: int = 0
) -> dict[str, Array]:
    """N draws of the game's parameters from the uncertainty the leader declares.

    Parameters the leader fixes (or does not bind) stay at ``base``. In a
    campaign, a parameter that a state-chosen profile binds (``beta__q``) is
    drawn from that profile's declaration of ``q``. The draws depend only on
    the seed, the profiles and the game's parameter names: the parameters are
    drawn in sorted order from one ``numpy`` generator.
    """
    if n < 1:
        raise SweepError("--samples must be at least 1")
    if n > MAX_SAMPLES:
        raise SweepError(
            f"--samples {n}: at most {MAX_SAMPLES} samples per leader in one sweep; "
            "run more in pieces with different --seed"
        )
    rng = np.random.default_rng(seed)
    out = {k: np.full(n, float(x)) for k, x in base.items()}
    declared = _declarations(game, leader)
    for name in sorted(game.parameters):
        lv = declared(name)
        if lv is None or lv.distribution.kind == "fixed" or lv.range is None:
            continue
        lo, hi, mode = float(lv.range[0]), float(lv.range[1]), float(lv.value)
        kind = lv.distribution.kind
        if kind == "uniform":
            draw = rng.uniform(lo, hi, n)
        elif kind == "triangular":
            draw = rng.triangular(lo, mode, hi, n)
        elif kind == "beta":
            d = lv.distribution
            draw = lo + (hi - lo) * rng.beta(d.setting("a"), d.setting("b"), n)
        elif kind == "normal":
            from scipy import stats

            sd = lv.distribution.setting("sd")
            draw = stats.truncnorm.rvs(
                (lo - mode) / sd, (hi - mode) / sd, loc=mode, scale=sd, size=n, random_state=rng
            )
        else:  # pragma: no cover - load_leader admits only the kinds above
            raise LeaderError(f"{leader.file}: values.{name}.distribution: unknown kind {kind!r}")
        out[name] = np.asarray(draw, dtype=np.float64)
    return out


def uncertain_parameters(game: Game, leader: Leader) -> list[str]:
    """The game's parameters that a Monte Carlo sweep under ``leader`` draws."""
    declared = _declarations(game, leader)
    return [
        name
        for name in sorted(game.parameters)
        if (lv := declared(name)) is not None
        and lv.distribution.kind != "fixed"
        and lv.range is not None
    ]


def _declarations(game: Game, leader: Leader) -> Callable[[str], LeaderValue | None]:
    """Where each parameter's value and uncertainty are declared: ``leader``'s profile,
    or, in a campaign, the state-chosen profile that binds it (``beta__q``: ``beta``'s ``q``)."""
    from policy.campaign import campaign_of

    campaign = campaign_of(game)

    def declared(name: str) -> LeaderValue | None:
        if campaign is not None and (owner := campaign.owners.get(name)) is not None:
            return campaign.profiles[owner].values.get(campaign.origin[name])
        return leader.values.get(name)

    return declared


# ---------------------------------------------------------------------------------
# Solving them
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """The answers for a run of consecutive samples."""

    start: int
    behavior_sum: Array
    """(actions,): the flat behaviour vectors of the samples' equilibria, added up."""
    reach: Array
    """(samples, terminals): probability of each terminal."""
    payoffs: Array
    """(samples, players)."""
    tie: npt.NDArray[np.bool_]
    """(samples,): a mover on the path was indifferent, or the method found several equilibria."""
    path_index: npt.NDArray[np.int64]
    """(samples,): each sample's equilibrium path, as a position in ``path_words``."""
    path_words: tuple[str, ...]
    """The distinct equilibrium paths of the block, in words."""
    resolved: Mapping[str, int] = field(default_factory=dict)
    """Subgames the batch solver solved one by one instead of in lockstep, by reason."""

    @property
    def size(self) -> int:
        return int(self.path_index.shape[0])


@dataclass(frozen=True)
class SweepResult:
    """A game solved at N samples (``done`` of them, if the sweep was stopped early)."""

    game: Game
    method: str
    samples: Mapping[str, Array]
    """Every parameter's value at each of the N samples asked for."""
    varied: tuple[str, ...]
    behavior_sum: Array
    """(actions,): the samples' flat behaviour vectors added up."""
    reach: Array
    payoffs: Array
    tie: npt.NDArray[np.bool_]
    path_index: npt.NDArray[np.int64]
    """(N,): each sample's equilibrium path as a position in ``path_words``."""
    path_words: tuple[str, ...]
    requested: int
    leader: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    """For spe on a game of imperfect information: ``batch_refused`` (why the
    batch solver refused it), or ``batch_one_by_one`` (subgames it solved one by
    one rather than in lockstep, counted by reason)."""

    @property
    def done(self) -> int:
        return int(self.reach.shape[0])

    @property
    def interrupted(self) -> bool:
        return self.done < self.requested

    @property
    def paths(self) -> list[str]:
        """Each sample's equilibrium path in words."""
        return [self.path_words[int(k)] for k in self.path_index]

    def path_shares(self) -> list[tuple[str, float]]:
        """Each distinct equilibrium path and the share of samples that take it, commonest first."""
        if not self.done:
            return []
        counts = np.bincount(self.path_index, minlength=len(self.path_words))
        order = sorted(np.flatnonzero(counts).tolist(), key=lambda k: (-counts[k], k))
        return [(self.path_words[k], float(counts[k]) / self.done) for k in order]

    def choice_shares(self) -> dict[str, dict[str, float]]:
        """Information set -> action -> mean probability of the action in the samples' equilibria."""
        mean = self.behavior_sum / max(1, self.done)
        return {
            s.name: {a: float(mean[s.offset + k]) for k, a in enumerate(s.actions)}
            for s in self.game.infosets.values()
        }

    def outcome_probabilities(self) -> dict[str, tuple[float, float, float]]:
        """Terminal name -> (mean probability, 95% interval low, high) over the samples."""
        return _with_interval(
            {self.game.node_names[t]: self.reach[:, k] for k, t in enumerate(self.game.terminals.tolist())}
        )

    def fact_probabilities(self) -> dict[str, dict[str, tuple[float, float, float]]]:
        """Fact -> value -> (mean probability, 95% interval) over the samples."""
        from policy.analysis.compare import terminal_facts

        columns: dict[str, dict[str, Array]] = {}
        for k, facts in enumerate(terminal_facts(self.game)):
            for key, value in facts.items():
                col = columns.setdefault(key, {})
                col[value] = col.get(value, 0) + self.reach[:, k]
        return {key: _with_interval(vals) for key, vals in columns.items()}

    def tie_share(self) -> float:
        return float(self.tie.mean()) if self.done else 0.0


def _merge_paths(kept: Sequence[Block]) -> dict[str, Any]:
    """One table of path words for all blocks, and every sample's position in it."""
    words: dict[str, int] = {}
    parts = []
    for b in kept:
        recode = np.array([words.setdefault(w, len(words)) for w in b.path_words], dtype=np.int64)
        parts.append(recode[b.path_index] if len(recode) else b.path_index)
    index = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return {"path_index": index, "path_words": tuple(words)}


def _with_interval(columns: Mapping[str, Array]) -> dict[str, tuple[float, float, float]]:
    out = {}
    for name, col in columns.items():
        n = len(col)
        mean = float(col.mean()) if n else math.nan
        half = Z95 * float(col.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
        out[name] = (mean, max(0.0, mean - half), min(1.0, mean + half))
    return out


def blocks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive blocks covering ``range(n)``."""
    for start in range(0, n, size):
        yield start, min(n, start + size)


def take(samples: Mapping[str, Array], start: int, stop: int) -> dict[str, Array]:
    return {k: v[start:stop] for k, v in samples.items()}


def solve_block(
    game: Game, samples: Mapping[str, Array], start: int, method: str = "auto", reach: Array | None = None
) -> Block:
    """Solve one block of samples: batched when the game allows, else one by one.

    ``reach``, if given, is a (terminals, samples) array that receives the
    outcome probabilities; the block's ``reach`` is then its transpose.
    """
    if batchable(game, method):
        return _batch_block(game, samples, start, reach)
    block = _nash_block(game, samples, start, method)
    if reach is None:
        return block
    reach[:] = block.reach.T
    return dataclasses.replace(block, reach=reach.T)


def batchable(game: Game, method: str) -> bool:
    """Whether the batch solver solves ``game`` for ``method``: spe (or auto with perfect information),
    and a game it accepts (:func:`batch_refusal` says why not)."""
    if method in ("auto", "spe") and game.is_perfect_information:
        return True  # always accepted (compiled where the first block is solved)
    if method != "spe":
        return False
    return _compiled(game) is not None


def batch_refusal(game: Game) -> str | None:
    """Why the batch solver refuses ``game`` (solved one by one instead), or None."""
    _compiled(game)
    refused = game._cache.get("batch_refused")
    return refused if isinstance(refused, str) else None


def _compiled(game: Game) -> Any:
    from policy.analysis.batch import BatchGame
    from policy.solvers.errors import SolverError

    compiled = game._cache.get("batch")
    if isinstance(compiled, BatchGame):
        return compiled
    if "batch_refused" in game._cache:
        return None
    try:
        compiled = game._cache["batch"] = BatchGame(game)
    except SolverError as err:
        game._cache["batch_refused"] = str(err)
        return None
    return compiled


def _batch_block(game: Game, samples: Mapping[str, Array], start: int, reach: Array | None = None) -> Block:
    from policy.analysis.batch import path_words

    compiled = _compiled(game)
    result = compiled.solve(samples, outcome=reach)
    decision = result.decision_nodes
    behavior = result.action_counts().astype(np.float64)
    unique, inverse = _distinct_rows(result.path_columns())
    return Block(
        start=start,
        behavior_sum=behavior,
        reach=result.outcome_probability,
        payoffs=result.payoffs,
        tie=result.any_tie_on_path(),
        path_index=inverse,
        path_words=tuple(path_words(game, decision, row) for row in unique),
        resolved=dict(result.resolved),
    )


def _distinct_rows(columns: npt.NDArray[np.int16]) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int64]]:
    """The distinct rows of a small-integer matrix given by its columns, and each row's position among them.

    ``columns`` is (columns, rows): the matrix transposed, one decision node
    a row, so that each step below works on one contiguous array of samples.
    Entries are -1 or an action position. Rows are packed into one integer
    each, base ``radix``, as many columns at a time as fit in 62 bits; when
    one integer does not hold a whole row (big trees: a spliced campaign has
    hundreds of decision nodes), the packed pieces are numbered and the
    numbers combined piece by piece; columns that are the same in every row
    are left out. The distinct rows come in the order of
    their packed integer when one holds them (the last column weighs most),
    else in lexicographic order (as ``np.unique(axis=0)`` gives them).
    """
    width, n = columns.shape
    if width == 0:
        return np.zeros((min(n, 1), 0), dtype=np.int16), np.zeros(n, dtype=np.int64)
    radix = int(columns.max(initial=0)) + 2
    per_key = max(1, int(62 // math.log2(radix)))
    while radix**per_key >= 2**62:
        per_key -= 1
    # Columns equal in every row tell no rows apart (most of a big tree is off every path).
    varying = columns[(columns != columns[:, :1]).any(axis=1)] if n else columns
    ids = np.zeros(n, dtype=np.int64)
    for start in range(0, len(varying), per_key):
        key = np.zeros(n, dtype=np.int64)
        for row in varying[start : start + per_key][::-1]:  # the last column weighs most
            key *= radix
            key += row
            key += 1
        if start == 0:
            _, ids = np.unique(key, return_inverse=True)
            continue
        part_values, part = np.unique(key, return_inverse=True)
        _, ids = np.unique(np.ravel(ids) * len(part_values) + np.ravel(part), return_inverse=True)
    ids = np.ravel(ids).astype(np.int64)
    _, first = np.unique(ids, return_index=True)
    unique = np.ascontiguousarray(columns[:, first].T)
    if width <= per_key:
        return unique, ids  # numbered in the order of the packed integer already
    order = np.lexsort(unique.T[::-1])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return unique[order], rank[ids]


def _nash_block(game: Game, samples: Mapping[str, Array], start: int, method: str) -> Block:
    from policy.analysis.compare import path_text

    n = len(next(iter(samples.values()))) if samples else 1
    behavior = np.zeros(game.num_actions)
    reach = np.zeros((n, len(game.terminals)))
    payoffs = np.zeros((n, len(game.players)))
    tie = np.zeros(n, dtype=bool)
    paths: dict[str, int] = {}
    index = np.zeros(n, dtype=np.int64)
    for i in range(n):
        values = {k: float(v[i]) for k, v in samples.items()}
        result = _solve_robustly(game, values, method)
        eq = result.equilibria[0]
        behavior += np.asarray(eq.probabilities, dtype=np.float64)
        reach[i] = np.asarray(eq.reach, dtype=np.float64)
        payoffs[i] = np.asarray(eq.values, dtype=np.float64)
        tie[i] = bool(result.ties) or len(result.equilibria) > 1
        index[i] = paths.setdefault(path_text(result, eq), len(paths))
    return Block(start, behavior, reach, payoffs, tie, index, tuple(paths))


def _solve_robustly(game: Game, values: Mapping[str, float], method: str) -> Any:
    """Solve in floats; near a degenerate point, where floats may fail to verify, exactly."""
    from policy.solvers import solve
    from policy.solvers.errors import SolverError

    try:
        return solve(game, values, method=method, exact=False)
    except SolverError:
        exact: dict[str, Number] = {k: Fraction(x) for k, x in values.items()}
        return solve(game, exact, method=method, exact=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's worker processes at once, so that Ctrl-C does not wait for their blocks."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()


def run_sweep(
    game: Game,
    samples: Mapping[str, Array],
    *,
    method: str = "auto",
    varied: Sequence[str] = (),
    leader: str = "",
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    block_size: int | None = None,
) -> SweepResult:
    """Solve ``game`` at every sample, block by block.

    Parameters
    ----------
    samples
        Every parameter the game uses, each an array of the same length N.
    workers
        Processes for games solved sample by sample (default: the number of
        CPUs; 1 solves in this process). Ignored when ``executor`` is given.
    executor
        Where blocks run (a ``concurrent.futures`` executor, or a Dask
        ``distributed.Client`` which offers the same ``submit``).
    progress
        Called with ``(samples done, N)`` after each block.

    A ``KeyboardInterrupt`` between blocks ends the sweep with the blocks done
    so far (``result.interrupted`` is then true); it is not re-raised.
    """
    lengths = {len(v) for v in samples.values()}
    if len(lengths) != 1:
        raise SweepError("every parameter needs the same number of samples")
    n = lengths.pop()
    batched = batchable(game, method)
    size = block_size or (BLOCK if batched else NASH_BLOCK)
    spans = list(blocks(n, size))
    done: list[Block] = []
    futures: list[Any] = []
    owned: ProcessPoolExecutor | None = None
    if executor is None and not batched:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count > 1 and len(spans) > 1:
            # Workers ignore Ctrl-C: the terminal sends it to the whole process
            # group, and this process alone decides what stops (see below).
            owned = executor = ProcessPoolExecutor(
                max_workers=count, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)
            )
    # Every sample's outcome probabilities, terminal by terminal, filled as blocks come
    # (the batch solver writes its blocks here itself: no copy, no fresh memory).
    table = np.empty((len(game.terminals), n))
    try:
        if executor is None:
            for start, stop in spans:
                done.append(solve_block(game, take(samples, start, stop), start, method, table[:, start:stop]))
                if progress:
                    progress(stop, n)
        else:
            shared: Any = game
            if hasattr(executor, "scatter"):  # a Dask client: send the game to each worker once
                shared = executor.scatter(game, broadcast=True)
            futures = [
                executor.submit(solve_block, shared, take(samples, start, stop), start, method)
                for start, stop in spans
            ]
            finished = 0
            for future in futures:
                block = future.result()
                table[:, block.start : block.start + block.size] = block.reach.T
                done.append(block)
                finished += block.size
                if progress:
                    progress(finished, n)
    except KeyboardInterrupt:
        if owned is not None:
            _stop_workers(owned)
        cancel = getattr(executor, "cancel", None)  # a Dask client: drop the blocks not yet solved
        if cancel is not None and futures:
            with contextlib.suppress(Exception):
                cancel(futures, force=True)
    finally:
        if owned is not None:
            owned.shutdown(wait=False, cancel_futures=True)
    done.sort(key=lambda b: b.start)
    # Keep only the unbroken run from the first sample.
    kept: list[Block] = []
    expected = 0
    for b in done:
        if b.start != expected:
            break
        kept.append(b)
        expected += b.size
    from policy.solvers import choose_method

    players, actions = len(game.players), game.num_actions
    return SweepResult(
        game=game,
        method=choose_method(game) if method == "auto" else method,
        samples=dict(samples),
        varied=tuple(varied),
        behavior_sum=sum((b.behavior_sum for b in kept), start=np.zeros(actions)),
        reach=table[:, :expected].T,
        payoffs=np.concatenate([b.payoffs for b in kept]) if kept else np.zeros((0, players)),
        tie=np.concatenate([b.tie for b in kept]) if kept else np.zeros(0, dtype=bool),
        **_merge_paths(kept),
        requested=n,
        leader=leader,
        details=_batch_details(game, method, kept),
    )


def _batch_details(game: Game, method: str, kept: Sequence[Block]) -> dict[str, Any]:
    """``details`` of a sweep: why the batch solver refused the game, or what it solved one by one."""
    if method != "spe" or game.is_perfect_information:
        return {}
    refused = batch_refusal(game)
    if refused is not None:
        return {"batch_refused": refused}
    counts: dict[str, int] = {}
    for b in kept:
        for reason, k in b.resolved.items():
            counts[reason] = counts.get(reason, 0) + k
    return {"batch_one_by_one": counts}
