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
what was done). A big batched sweep runs its blocks in worker processes, one
per CPU (``jobs``); the blocks are the same whatever the number of processes
and their sums are taken in block order, so every output is the same bit for
bit.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
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
from policy.expr import ExprError
from policy.leaders import Leader, LeaderError, LeaderValue
from policy.model import Game, GameError, NodeKind, Number
from policy.solvers.errors import SolverError

#: Samples per block of work (the unit of progress, interruption and distribution).
BLOCK = 1 << 14
#: At most about this many (decision node, sample) cells in a batch block's path table.
BLOCK_CELLS = 1 << 25
#: Blocks of samples solved one by one (imperfect information) are smaller.
NASH_BLOCK = 64
#: A batched sweep of fewer (sample, node) cells than this stays in this process
#: unless ``jobs`` asks otherwise: its blocks take less time than starting workers.
JOBS_CELLS = 1 << 24
#: Memory set aside per worker when ``jobs`` is not given: the default never starts
#: more workers than the machine's memory holds at this much each (a worker holds one
#: block; on the bundled campaign about 0.8 GB at its peak).
WORKER_MEMORY = 1 << 31
#: The most samples one sweep solves (grid points, or Monte Carlo draws per leader).
#: Each sample keeps its parameters, payoffs, path, the probability of each
#: value of each fact, and (games with at most :data:`ROW_TERMINALS`
#: terminals) its outcome probabilities in memory (about a gigabyte per 10^7
#: samples of a game with a dozen outcomes); run a larger Monte Carlo sweep in
#: pieces with different ``--seed``.
MAX_SAMPLES = 10_000_000
#: Games with at most this many terminals keep every sample's probability of
#: every terminal (sparse: the terminals reached), for the CSV of samples and the
#: line plot. Bigger games (a spliced campaign has tens of thousands) keep, per
#: sample, only the probability of each fact's values (a campaign's end states),
#: and per terminal the mean and spread over the samples (the outcome table):
#: memory then grows with the samples, not with samples times terminals. Their
#: CSV lists the facts (:func:`policy.render.sweep.sweep_csv_chunks`).
ROW_TERMINALS = 256
#: ... unless the sweep is small: at most this many (sample, terminal) cells
#: (a grid of 101 points over a campaign), when the rows are kept anyway (for
#: the line plot).
ROW_CELLS = 1 << 24
#: Two-sided 95% normal quantile, for confidence intervals of outcome probabilities.
Z95 = 1.959963984540054
#: The errors that make one sample fail: it is reported in its place and the sweep goes on
#: (a probability outside [0, 1] at that sample, a solver that gives up there).
SAMPLE_ERRORS = (GameError, SolverError, ExprError)
#: The path word of a sample whose solve failed (the reasons are in ``SweepResult.failed``).
FAILED_PATH = "(failed: no equilibrium found)"

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
class OutcomeRows:
    """Every sample's probability of every terminal, kept sparse (the terminals reached).

    Row ``i``'s terminals are ``index[start[i]:start[i + 1]]`` (positions in
    ``game.terminals``, increasing), their probabilities the same slice of
    ``value``. Indexing gives dense rows as the (samples, terminals) table
    would: ``rows[i]``, ``rows[a:b]``, ``rows[:, k]``; ``np.asarray(rows)``
    the whole table.
    """

    start: npt.NDArray[np.int64]
    index: npt.NDArray[np.int64]
    value: Array
    width: int

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.start) - 1, self.width)

    def rows(self, lo: int, hi: int) -> Array:
        """Rows ``lo`` to ``hi`` (exclusive), dense."""
        lo, hi = max(0, lo), max(lo, min(hi, self.shape[0]))
        out = np.zeros((hi - lo, self.width))
        a, b = int(self.start[lo]), int(self.start[hi])
        counts = np.diff(self.start[lo : hi + 1])
        out[np.repeat(np.arange(hi - lo), counts), self.index[a:b]] = self.value[a:b]
        return out

    def column(self, k: int) -> Array:
        """Every sample's probability of terminal ``k``."""
        out = np.zeros(self.shape[0])
        hit = np.flatnonzero(self.index == k)
        out[np.searchsorted(self.start, hit, side="right") - 1] = self.value[hit]
        return out

    def __getitem__(self, key: Any) -> Array:
        rows, col = key if isinstance(key, tuple) else (key, slice(None))
        if isinstance(rows, slice) and rows == slice(None) and isinstance(col, (int, np.integer)):
            return self.column(int(col))
        if isinstance(rows, (int, np.integer)):
            i = int(rows) + (self.shape[0] if rows < 0 else 0)
            if not 0 <= i < self.shape[0]:
                raise IndexError(f"sample {rows} out of range")
            return self.rows(i, i + 1)[0][col]
        lo, hi, step = rows.indices(self.shape[0])
        if step != 1:
            return np.asarray(self)[rows, col]
        return self.rows(lo, hi)[:, col]

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        out = self.rows(0, self.shape[0])
        return out if dtype is None else out.astype(dtype)

    @staticmethod
    def of_pairs(n: int, sample: npt.NDArray[np.int64], index: npt.NDArray[np.int64], value: Array,
                 width: int) -> OutcomeRows:
        """From (sample, terminal, probability) triples sorted by sample, then terminal."""
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(sample, minlength=n), out=start[1:])
        return OutcomeRows(start, index.astype(np.int32), np.asarray(value, dtype=np.float64), width)

    @staticmethod
    def joined(parts: Sequence[OutcomeRows], width: int) -> OutcomeRows:
        if not parts:
            return OutcomeRows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0), width)
        shift = np.cumsum([0] + [int(p.start[-1]) for p in parts[:-1]])
        start = np.concatenate([np.zeros(1, dtype=np.int64), *(p.start[1:] + k for p, k in zip(parts, shift, strict=True))])
        return OutcomeRows(start, np.concatenate([p.index for p in parts]),
                           np.concatenate([p.value for p in parts]), width)


@dataclass(frozen=True)
class Block:
    """The answers for a run of consecutive samples."""

    start: int
    behavior_sum: Array
    """(actions,): the flat behaviour vectors of the samples' equilibria, added up."""
    outcome_mean: Array
    """(terminals,): each terminal's probability, averaged over the block's samples."""
    outcome_m2: Array
    """(terminals,): the sum over the samples of each probability's squared distance from that mean."""
    facts: Array
    """(samples, fact values): each sample's probability of each value of each fact (:func:`fact_columns`)."""
    rows: OutcomeRows | None
    """Every sample's probability of every terminal, when kept (:data:`ROW_TERMINALS`)."""
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
    failed: Mapping[int, str] = field(default_factory=dict)
    """Samples (by position in the sweep) whose solve failed, and why. They take the path
    :data:`FAILED_PATH`, no outcome, NaN payoffs, and count in no mean."""

    @property
    def size(self) -> int:
        return int(self.path_index.shape[0])

    @property
    def solved(self) -> int:
        """Samples solved (the size less the failures)."""
        return self.size - len(self.failed)


def fact_columns(game: Game) -> tuple[tuple[tuple[str, str], ...], npt.NDArray[np.int64]]:
    """The (fact, value) pairs the terminals state, and, per fact, each terminal's column (-1: none).

    Pairs come in the order the terminals state them first (terminal order,
    then the order of the facts on the terminal), as
    :meth:`SweepResult.fact_probabilities` lists them.
    """
    cached = game._cache.get("sweep_fact_columns")
    if cached is not None:
        return cached  # type: ignore[return-value]
    from policy.analysis.compare import terminal_facts

    pairs: dict[tuple[str, str], int] = {}
    keys: dict[str, int] = {}
    per_terminal = terminal_facts(game)
    for facts in per_terminal:
        for key, value in facts.items():
            keys.setdefault(key, len(keys))
            pairs.setdefault((key, value), len(pairs))
    table = np.full((len(keys), len(per_terminal)), -1, dtype=np.int64)
    for t, facts in enumerate(per_terminal):
        for key, value in facts.items():
            table[keys[key], t] = pairs[(key, value)]
    out = (tuple(pairs), table)
    game._cache["sweep_fact_columns"] = out
    return out


def _summarise(
    game: Game, n: int, sample: npt.NDArray[np.int64], item: npt.NDArray[np.int64], value: Array, rows: bool,
    solved: int | None = None,
) -> dict[str, Any]:
    """A block's outcome fields from its (sample, terminal, probability) triples, sorted by sample then terminal.

    ``solved``: the samples the means are over (default ``n``; fewer when some failed and have no triples).
    """
    width = len(game.terminals)
    solved = n if solved is None else solved
    count = np.bincount(item, minlength=width)
    mean = np.bincount(item, weights=value, minlength=width) / max(1, solved)
    # Unreached terminals are zeros: (0 - mean)^2 each.
    m2 = np.bincount(item, weights=(value - mean[item]) ** 2, minlength=width) + (solved - count) * mean**2
    pairs, table = fact_columns(game)
    facts = np.zeros(n * len(pairs))
    for column in table:
        col = column[item]
        has = col >= 0
        facts += np.bincount(sample[has] * len(pairs) + col[has], weights=value[has], minlength=n * len(pairs))
    return {
        "outcome_mean": mean,
        "outcome_m2": m2,
        "facts": facts.reshape(n, len(pairs)),
        "rows": OutcomeRows.of_pairs(n, sample, item, value, width) if rows else None,
    }


def _pooled(blocks: Sequence[Block], width: int) -> tuple[Array, Array]:
    """The mean and summed squared deviations of every terminal's probability over all the blocks' samples."""
    mean, m2, n = np.zeros(width), np.zeros(width), 0
    for b in blocks:
        k = b.solved
        if not k:
            continue
        if not n:
            mean, m2, n = b.outcome_mean.copy(), b.outcome_m2.copy(), k
            continue
        delta = b.outcome_mean - mean
        total = n + k
        mean = mean + delta * (k / total)
        m2 = m2 + b.outcome_m2 + delta**2 * (n * k / total)
        n = total
    return mean, m2


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
    outcome_mean: Array
    """(terminals,): each terminal's probability averaged over the samples."""
    outcome_m2: Array
    """(terminals,): summed squared deviations from that mean (for the intervals)."""
    facts: Array
    """(N, fact values): each sample's probability of each (fact, value) of :func:`fact_columns`."""
    rows: OutcomeRows | None
    """Every sample's probability of every terminal (see ``rows`` of :func:`run_sweep`), or None."""
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
    failed: Mapping[int, str] = field(default_factory=dict)
    """Samples whose solve failed (even exactly), by position, and why: each is in the
    results with the path :data:`FAILED_PATH` and counts in no mean or share but the paths'."""
    error: str = ""
    """Why the sweep stopped before its last sample, when an error stopped it (one line);
    empty when it ran to the end or Ctrl-C stopped it."""

    @property
    def done(self) -> int:
        return int(self.path_index.shape[0])

    @property
    def solved(self) -> int:
        """Samples done and solved (``done`` less the failures)."""
        return self.done - len(self.failed)

    def solved_mask(self) -> npt.NDArray[np.bool_]:
        """(done,): whether each sample done was solved (False where it failed)."""
        mask = np.ones(self.done, dtype=bool)
        if self.failed:
            mask[[k for k in self.failed if k < self.done]] = False
        return mask

    @property
    def reach(self) -> OutcomeRows:
        """(N, terminals): each sample's probability of each terminal, as kept in ``rows``."""
        if self.rows is None:
            raise SweepError(
                f"this sweep kept no per-sample outcome probabilities (the game has {len(self.game.terminals)} "
                f"terminals, more than {ROW_TERMINALS}, at {self.requested} samples); "
                "use fewer samples, the facts' probabilities or the outcome means"
            )
        return self.rows

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
        mean = self.behavior_sum / max(1, self.solved)
        return {
            s.name: {a: float(mean[s.offset + k]) for k, a in enumerate(s.actions)}
            for s in self.game.infosets.values()
        }

    def outcome_probabilities(self) -> dict[str, tuple[float, float, float]]:
        """Terminal name -> (mean probability, 95% interval low, high) over the samples solved."""
        n = self.solved
        names = [self.game.node_names[t] for t in self.game.terminals.tolist()]
        return {
            name: _interval(float(mean), float(m2), n)
            for name, mean, m2 in zip(names, self.outcome_mean.tolist(), self.outcome_m2.tolist(), strict=True)
        }

    def fact_probabilities(self) -> dict[str, dict[str, tuple[float, float, float]]]:
        """Fact -> value -> (mean probability, 95% interval) over the samples solved."""
        pairs, _ = fact_columns(self.game)
        facts = self.facts[self.solved_mask()] if self.failed else self.facts
        out: dict[str, dict[str, tuple[float, float, float]]] = {}
        for k, (key, value) in enumerate(pairs):
            out.setdefault(key, {})[value] = _with_interval({"": facts[:, k]})[""]
        return out

    def tie_share(self) -> float:
        """The share of the samples solved where a mover on the path is indifferent."""
        return float(self.tie.sum()) / self.solved if self.solved else 0.0

    def mean_payoffs(self) -> list[float | None]:
        """Each player's expected payoff averaged over the samples solved (None: none solved)."""
        if not self.solved:
            return [None] * len(self.game.players)
        payoffs = self.payoffs[self.solved_mask()] if self.failed else self.payoffs
        return [float(x) for x in payoffs.mean(axis=0)]


def _merge_paths(kept: Sequence[Block]) -> dict[str, Any]:
    """One table of path words for all blocks, and every sample's position in it."""
    words: dict[str, int] = {}
    parts = []
    for b in kept:
        recode = np.array([words.setdefault(w, len(words)) for w in b.path_words], dtype=np.int64)
        parts.append(recode[b.path_index] if len(recode) else b.path_index)
    index = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return {"path_index": index, "path_words": tuple(words)}


def _interval(mean: float, m2: float, n: int) -> tuple[float, float, float]:
    """(mean, 95% interval) from a mean and summed squared deviations over n samples."""
    if not n:
        mean = math.nan  # as the mean of no samples; the interval's ends as _with_interval gives them
    half = Z95 * math.sqrt(max(0.0, m2) / (n - 1)) / math.sqrt(n) if n > 1 else 0.0
    return (mean, max(0.0, mean - half), min(1.0, mean + half))


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
    game: Game, samples: Mapping[str, Array], start: int, method: str = "auto", rows: bool | None = None,
    summary: bool = True,
) -> Block:
    """Solve one block of samples: batched when the game allows, else one by one.

    ``rows``: keep every sample's probability of every terminal (default:
    when the game has at most :data:`ROW_TERMINALS` terminals or the block
    at most :data:`ROW_CELLS` cells). ``summary`` False (batched blocks only,
    for a caller that reads only the paths, ties and failures, as the
    distance-to-a-flip search does): the outcome and fact fields and the
    behaviour sum are left at zero, ``facts`` with no columns, and not computed.
    """
    keep = _keep_rows(game, len(next(iter(samples.values()), ())), rows)
    if batchable(game, method):
        return _batch_block(game, samples, start, keep and summary, summary)
    return _nash_block(game, samples, start, method, keep)


def _keep_rows(game: Game, n: int, rows: bool | None) -> bool:
    """Whether a sweep of ``n`` samples keeps every sample's outcome probabilities (``rows`` None: the default)."""
    if rows is not None:
        return rows
    terminals = len(game.terminals)
    return terminals <= ROW_TERMINALS or n * terminals <= ROW_CELLS


def batchable(game: Game, method: str) -> bool:
    """Whether the batch solver solves ``game`` for ``method``: spe (or auto where auto
    chooses spe, as :func:`policy.solvers.choose_method` says), and a game it accepts
    (:func:`batch_refusal` says why not)."""
    if method in ("auto", "spe") and game.is_perfect_information:
        return True  # always accepted (compiled where the first block is solved)
    if method == "auto":
        from policy.solvers import choose_method

        method = choose_method(game, exact=False)
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


def _batch_block(game: Game, samples: Mapping[str, Array], start: int, rows: bool, summary: bool = True) -> Block:
    """One block by the batch solver; samples it cannot solve are reported in their place.

    The batch solver stops at the first sample whose numbers are invalid (a
    probability outside [0, 1], say) and names it: that sample is marked
    failed and the rest are tried again in halves, so that a few bad samples
    cost a few batch solves. An error that names no sample sends the block
    to the solver one sample at a time (``spe``), which marks each failure.
    """
    try:
        return _batch_solved(game, samples, start, rows, summary)
    except SAMPLE_ERRORS as err:
        if _failing_sample(err) is None:
            return _nash_block(game, samples, start, "spe", rows)
    n = len(next(iter(samples.values())))
    failed: dict[int, str] = {}
    good = _sift(_compiled(game), samples, np.arange(n), start, failed)
    sub = _batch_solved(game, _pick(samples, good), start, rows, summary) if len(good) else None
    return _spread(game, sub, good, n, start, failed, rows, summary)


def _failing_sample(err: Exception) -> int | None:
    """The sample a batch solver's error names (``at sample K, ...``), or None."""
    found = re.search(r"\bat sample (\d+), ", str(err))
    return int(found.group(1)) if found else None


def _reason(err: Exception) -> str:
    """An error as one line, without the position of the sample in a batch."""
    return re.sub(r"\bat sample \d+, ", "", " ".join(str(err).split()))


def _pick(samples: Mapping[str, Array], index: npt.NDArray[np.int64]) -> dict[str, Array]:
    return {k: v[index] for k, v in samples.items()}


def _sift(compiled: Any, samples: Mapping[str, Array], index: npt.NDArray[np.int64], start: int,
          failed: dict[int, str]) -> npt.NDArray[np.int64]:
    """The samples among ``index`` the batch solver solves; the others go into ``failed`` with why."""
    good: list[npt.NDArray[np.int64]] = []
    stack = [index]
    while stack:
        part = stack.pop()
        try:
            compiled.solve(_pick(samples, part))
        except SAMPLE_ERRORS as err:
            k = _failing_sample(err)
            if k is None or not 0 <= k < len(part):
                raise
            failed[start + int(part[k])] = _reason(err)
            rest = np.delete(part, k)
            half = len(rest) // 2
            stack += [x for x in (rest[half:], rest[:half]) if len(x)]
            continue
        good.append(part)
    return np.sort(np.concatenate(good)) if good else np.zeros(0, dtype=np.int64)


def _spread(game: Game, sub: Block | None, good: npt.NDArray[np.int64], n: int, start: int,
            failed: Mapping[int, str], rows: bool, summary: bool = True) -> Block:
    """A block of ``n`` samples from ``sub``, the block of those at ``good``, the others failed."""
    pairs = fact_columns(game)[0] if summary else ()
    width, players = len(game.terminals), len(game.players)
    facts = np.zeros((n, len(pairs)))
    payoffs = np.full((n, players), np.nan)
    tie = np.zeros(n, dtype=bool)
    words = (*(sub.path_words if sub is not None else ()), FAILED_PATH)
    index = np.full(n, len(words) - 1, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    kept: OutcomeRows | None = None
    if sub is not None:
        facts[good] = sub.facts
        payoffs[good] = sub.payoffs
        tie[good] = sub.tie
        index[good] = sub.path_index
        if sub.rows is not None:
            counts[good] = np.diff(sub.rows.start)
            begin = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=begin[1:])
            kept = OutcomeRows(begin, sub.rows.index, sub.rows.value, width)
    if rows and kept is None:
        kept = OutcomeRows(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0), width)
    return Block(
        start=start,
        behavior_sum=sub.behavior_sum if sub is not None else np.zeros(game.num_actions),
        outcome_mean=sub.outcome_mean if sub is not None else np.zeros(width),
        outcome_m2=sub.outcome_m2 if sub is not None else np.zeros(width),
        facts=facts,
        rows=kept if rows else None,
        payoffs=payoffs,
        tie=tie,
        path_index=index,
        path_words=words,
        resolved=dict(sub.resolved) if sub is not None else {},
        failed=dict(failed),
    )


def _batch_solved(game: Game, samples: Mapping[str, Array], start: int, rows: bool, summary: bool = True) -> Block:
    """One block by the batch solver, every sample solved (else its error); ``summary``: see :func:`solve_block`."""
    from policy.analysis.batch import path_words

    compiled = _compiled(game)
    result = compiled.solve(samples)
    decision = result.decision_nodes
    unique, inverse = _distinct_rows(result.path_columns())
    if summary:
        reached = result.outcome_reach
        behavior = result.action_counts().astype(np.float64)
        fields = _summarise(game, result.size, reached.sample, reached.item, reached.probability, rows)
    else:
        width = len(game.terminals)
        behavior = np.zeros(game.num_actions)
        fields = {"outcome_mean": np.zeros(width), "outcome_m2": np.zeros(width),
                  "facts": np.zeros((result.size, 0)), "rows": None}
    return Block(
        start=start,
        behavior_sum=behavior,
        **fields,
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
    if len(first) < 2 or not len(varying):
        return unique, ids
    # Lexicographic order of the whole rows: the columns equal in every row never decide it,
    # so the varying ones alone are sorted (a campaign's rows have some 15,000 columns).
    order = np.lexsort(varying[:, first][::-1])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return unique[order], rank[ids]


def _nash_block(game: Game, samples: Mapping[str, Array], start: int, method: str, rows: bool = True) -> Block:
    from policy.analysis.compare import path_text

    n = len(next(iter(samples.values()))) if samples else 1
    behavior = np.zeros(game.num_actions)
    reach = np.zeros((n, len(game.terminals)))
    payoffs = np.zeros((n, len(game.players)))
    tie = np.zeros(n, dtype=bool)
    paths: dict[str, int] = {}
    index = np.zeros(n, dtype=np.int64)
    failed: dict[int, str] = {}
    for i in range(n):
        values = {k: float(v[i]) for k, v in samples.items()}
        try:
            result = _solve_robustly(game, values, method)
        except SAMPLE_ERRORS as err:
            failed[start + i] = _reason(err)
            payoffs[i] = np.nan
            index[i] = paths.setdefault(FAILED_PATH, len(paths))
            continue
        eq = result.equilibria[0]
        behavior += np.asarray(eq.probabilities, dtype=np.float64)
        reach[i] = np.asarray(eq.reach, dtype=np.float64)
        payoffs[i] = np.asarray(eq.values, dtype=np.float64)
        tie[i] = bool(result.ties) or len(result.equilibria) > 1
        index[i] = paths.setdefault(path_text(result, eq), len(paths))
    sample, item = np.nonzero(reach)  # by sample, then terminal
    return Block(start, behavior, **_summarise(game, n, sample, item, reach[sample, item], rows, n - len(failed)),
                 payoffs=payoffs, tie=tie, path_index=index, path_words=tuple(paths), failed=failed)


def _solve_robustly(game: Game, values: Mapping[str, float], method: str) -> Any:
    """Solve in floats; near a degenerate point, where floats may fail to verify, exactly.

    When the exact solve fails too, its error is raised (the sample fails).
    """
    from policy.solvers import solve
    from policy.solvers.errors import SolverError

    try:
        return solve(game, values, method=method, exact=False)
    except SolverError:
        exact: dict[str, Number] = {k: Fraction(x) for k, x in values.items()}
        return solve(game, exact, method=method, exact=True)


#: In a worker process of a batched sweep: the game, the samples, the method and ``rows``.
_WORKER: dict[str, Any] = {}


def _start_worker(game: Game, samples: Mapping[str, Array], method: str, rows: bool) -> None:
    """Set up a worker of a batched sweep. It ignores Ctrl-C (the terminal sends it to the
    whole process group; the sweep's own process decides what stops)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(game=game, samples=samples, method=method, rows=rows)


def _worker_block(start: int, stop: int) -> Block:
    """Samples ``start`` to ``stop`` of the sweep a worker was set up with, solved."""
    w = _WORKER
    return solve_block(w["game"], take(w["samples"], start, stop), start, w["method"], w["rows"])


def _batch_pool(game: Game, samples: Mapping[str, Array], method: str, rows: bool,
                jobs: int) -> ProcessPoolExecutor:
    """Worker processes for a batched sweep's blocks.

    Where processes can be forked (Linux, macOS), they are, after the game is
    compiled here: each worker starts with the compiled game and the samples
    without copying them. Elsewhere each worker receives them once and
    compiles the game at its first block.
    """
    return forked_pool(game, jobs, _start_worker, (game, samples, method, rows))


def can_fork() -> bool:
    """Whether worker processes can be forked here (Linux, macOS), inheriting what this one holds."""
    return "fork" in multiprocessing.get_all_start_methods()


def forked_pool(game: Game, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> ProcessPoolExecutor:
    """``jobs`` worker processes set up by ``initializer(*initargs)``, forked where possible
    after ``game`` is compiled for the batch solver here (so no worker compiles it again)."""
    context: Any = multiprocessing.get_context()
    if can_fork():
        _compiled(game)
        context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=initializer, initargs=initargs)


def _batch_jobs(jobs: int | None, game: Game, n: int, blocks: int) -> int:
    """Processes for a batched sweep of ``n`` samples in ``blocks`` blocks (``jobs`` None: the default)."""
    if jobs is None:
        if n * game.num_nodes < JOBS_CELLS:
            return 1
        jobs = min(os.cpu_count() or 1, _memory() // WORKER_MEMORY)
    return max(1, min(jobs, blocks))


def _memory() -> int:
    """The machine's memory in bytes (a large number where the system does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 1 << 62


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's worker processes at once, so that Ctrl-C does not wait for their blocks."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
    else:
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
    # A worker ended while it was sending its block leaves half a message in the
    # result pipe. The pool's manager thread then waits for the rest, and since this
    # process holds the pipe's write end too, no end of file ever comes: the
    # interpreter, which joins that thread at exit, hung after printing the partial
    # results (seen about one Ctrl-C in ten). With this process's copy closed, the
    # workers' end is an end of file there; the thread marks the pool broken and ends.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.close()


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
    rows: bool | None = None,
    jobs: int | None = None,
) -> SweepResult:
    """Solve ``game`` at every sample, block by block.

    Parameters
    ----------
    samples
        Every parameter the game uses, each an array of the same length N.
    workers
        Processes for games solved sample by sample (default: the number of
        CPUs; 1 solves in this process). Ignored when ``executor`` is given.
    jobs
        Processes for the blocks of a game the batch solver takes (1: this
        process). By default one per CPU (no more than the memory holds at
        :data:`WORKER_MEMORY` each) when the sweep has several blocks and at
        least :data:`JOBS_CELLS` (sample, node) cells, else 1. The
        draws are fixed before the blocks are handed out and the blocks'
        sums are added in block order, so the result is the same bit for
        bit whatever the number. Ignored when ``executor`` is given.
    executor
        Where blocks run (a ``concurrent.futures`` executor, or a Dask
        ``distributed.Client`` which offers the same ``submit``).
    progress
        Called with ``(samples done, N)`` after each block.
    rows
        Keep every sample's probability of every terminal (``result.rows``,
        sparse). By default only for games with at most :data:`ROW_TERMINALS`
        terminals, or sweeps of at most :data:`ROW_CELLS` (sample, terminal)
        cells; otherwise per sample only the facts' probabilities are kept,
        and per terminal the mean and spread over the samples.

    A sample that cannot be solved (:data:`SAMPLE_ERRORS`, also when solved
    exactly after floats failed) is reported in its place (``result.failed``)
    and the sweep goes on; when every sample fails, the first one's error is
    raised as a :class:`SweepError`. A ``KeyboardInterrupt`` between blocks
    ends the sweep with the blocks done so far (``result.interrupted`` is
    then true); it is not re-raised. Any other error after the first block
    does the same, its message in ``result.error``; before it, it is raised.
    """
    lengths = {len(v) for v in samples.values()}
    if len(lengths) != 1:
        raise SweepError("every parameter needs the same number of samples")
    n = lengths.pop()
    batched = batchable(game, method)
    keep = _keep_rows(game, n, rows)
    size = block_size or (_batch_block_size(game) if batched else NASH_BLOCK)
    spans = list(blocks(n, size))
    done: list[Block] = []
    futures: list[Any] = []
    stopped = ""
    owned: ProcessPoolExecutor | None = None
    pooled = False  # a pool of this sweep's own that holds the game and samples
    if executor is None and not batched:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count > 1 and len(spans) > 1:
            # Workers ignore Ctrl-C: the terminal sends it to the whole process
            # group, and this process alone decides what stops (see below).
            owned = executor = ProcessPoolExecutor(
                max_workers=count, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)
            )
    elif executor is None:
        count = _batch_jobs(jobs, game, n, len(spans))
        if count > 1:
            owned = executor = _batch_pool(game, samples, method, keep, count)
            pooled = True
    try:
        if executor is None:
            for start, stop in spans:
                done.append(solve_block(game, take(samples, start, stop), start, method, keep))
                if progress:
                    progress(stop, n)
        else:
            shared: Any = game
            if hasattr(executor, "scatter"):  # a Dask client: send the game to each worker once
                shared = executor.scatter(game, broadcast=True)
            if pooled:
                futures = [executor.submit(_worker_block, start, stop) for start, stop in spans]
            else:
                futures = [
                    executor.submit(solve_block, shared, take(samples, start, stop), start, method, keep)
                    for start, stop in spans
                ]
            finished = 0
            for future in futures:
                block = future.result()
                done.append(block)
                finished += block.size
                if progress:
                    progress(finished, n)
    except (KeyboardInterrupt, Exception) as err:
        if owned is not None:
            _stop_workers(owned)
        cancel = getattr(executor, "cancel", None)  # a Dask client: drop the blocks not yet solved
        if cancel is not None and futures:
            with contextlib.suppress(Exception):
                cancel(futures, force=True)
        if not isinstance(err, KeyboardInterrupt):
            if not done:
                raise
            stopped = " ".join(str(err).split()) or type(err).__name__
    finally:
        if owned is not None:
            # After the last block the workers are waited for (they have nothing left
            # to do); after Ctrl-C or an error they were ended above.
            owned.shutdown(wait=len(done) == len(spans), cancel_futures=True)
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

    failed = {k: why for b in kept for k, why in b.failed.items()}
    if failed and expected == n and len(failed) == n:
        first = min(failed)
        raise SweepError(f"every sample failed to solve; sample {first}: {failed[first]}")
    players, actions = len(game.players), game.num_actions
    mean, m2 = _pooled(kept, len(game.terminals))
    pairs, _ = fact_columns(game)
    return SweepResult(
        game=game,
        method=choose_method(game, exact=False) if method == "auto" else method,
        samples=dict(samples),
        varied=tuple(varied),
        behavior_sum=sum((b.behavior_sum for b in kept), start=np.zeros(actions)),
        outcome_mean=mean,
        outcome_m2=m2,
        facts=np.concatenate([b.facts for b in kept]) if kept else np.zeros((0, len(pairs))),
        rows=OutcomeRows.joined([b.rows for b in kept if b.rows is not None], len(game.terminals)) if keep else None,
        payoffs=np.concatenate([b.payoffs for b in kept]) if kept else np.zeros((0, players)),
        tie=np.concatenate([b.tie for b in kept]) if kept else np.zeros(0, dtype=bool),
        **_merge_paths(kept),
        requested=n,
        leader=leader,
        details=_batch_details(game, method, kept),
        failed=failed,
        error=stopped,
    )


def _batch_block_size(game: Game) -> int:
    """Samples per block for the batch solver: :data:`BLOCK`, fewer for a big tree.

    A block's answers include a (decision nodes, samples) table of the choices
    on each sample's path (to tell the paths apart); it is kept to about
    :data:`BLOCK_CELLS` cells. With subgames of imperfect information, a
    multiple of :data:`policy.analysis.batch.NASH_CHUNK` when larger (their
    lockstep runs go by such blocks).
    """
    from policy.analysis.batch import NASH_CHUNK

    decisions = int(np.count_nonzero(game.kind == NodeKind.DECISION))
    size = min(BLOCK, max(256, BLOCK_CELLS // max(1, decisions)))
    if not game.is_perfect_information and size > NASH_CHUNK:
        size -= size % NASH_CHUNK  # whole blocks of the lockstep Lemke runs
    return size


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
