"""Nash equilibria with imperfect information: ours against pygambit and nashpy, in one run.

Three benchmarks, each on seeded random games that every tool gets identically:

1. **Sequence form** (two players, chance, information sets, perfect recall):
   ``lcp`` (general-sum games) and ``lp`` (zero-sum games) of ``policy``, in
   exact and float arithmetic, against pygambit's ``lcp_solve`` and
   ``lp_solve`` with ``rational=True`` and ``rational=False`` (their default
   ``use_strategic=False``: the sequence form too). The trees are those of
   ``bench_spe.random_tree`` with integer payoffs (u2 = -u1 for ``lp``);
   decision nodes of one player with as many actions and the same own history
   are then put into information sets of about three nodes, at random, which
   keeps recall perfect. pygambit gets the same game through
   ``tests/conftest.py``'s ``to_pygambit``. Every answer is checked: its Nash
   regret is computed in the tree by ``policy.solvers.verify.behavior_regret``
   (exact for exact answers), and for pygambit's answers also by pygambit's own
   ``max_regret()`` while that finishes within a few seconds (it goes through
   the reduced strategic form), else its cheap ``agent_max_regret()``. An
   answer whose probabilities at some information set are negative or do not
   sum to 1 is not a behaviour profile: that is reported, and its regret is
   that of the answer rescaled set by set.
2. **enummixed** on random n x n bimatrix games (integer payoffs in
   [-100, 100]): ours exact and float, nashpy's ``vertex_enumeration`` and
   ``support_enumeration``, and pygambit's ``enummixed_solve`` (rational and
   float), comparing how many equilibria each finds. Our game is the table as a
   tree (``tests/games.py``'s ``table_game``), pygambit's the same table
   as a strategic game (``gambit_table``).
3. **Signalling** games: ``lcp`` exact and float against pygambit's
   ``lcp_solve`` rational and float on ``tests/games.py``'s
   ``random_signalling`` (chance picks one of T types with random rational
   priors, the sender sees it and sends one of M messages, the receiver sees
   only the message and picks one of A replies; integer payoffs in
   [-100, 100]), T = M = A in ``--signals`` (2, 4, 6, 8). Their sequence-form
   LCP is highly degenerate, the case where float Lemke needs its
   lexicographic rule most.

Each call runs in a forked child (``bench_spe.timed_forked``: best of 3 for
calls under 1 s) killed after ``--kill`` seconds. A tool stops growing after
its first call over ``--budget`` seconds (default 10). Times include building
each tool's own representation (sequence form, normal form) from the game
object, but not building the game objects themselves: our caches are cleared
before every call.

Run: ``python benchmarks/bench_nash.py [--quick] [--budget SECONDS]`` (see
``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "benchmarks")):  # tests.* helpers, bench_spe
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench_spe import (  # noqa: E402
    PLAYERS,
    load_average,
    log,
    machine,
    parse_sizes,
    random_tree,
    timed_forked,
)

from policy.model import Game, NodeKind, Number, game_from_arrays, own_sequences  # noqa: E402
from policy.representations.sequence import game_sequences  # noqa: E402
from policy.solvers import solve  # noqa: E402
from policy.solvers.enummixed import enummixed_solve  # noqa: E402
from policy.solvers.verify import behavior_regret, edge_weights, subgame_values  # noqa: E402

#: Mean number of nodes per information set (groups of compatible nodes are cut
#: into ceil(size / SET_SIZE) sets at random).
SET_SIZE = 3
#: pygambit's own max_regret() (through the strategic form) gets this long per
#: answer; after one time-out its agent_max_regret() is reported instead.
GAMBIT_REGRET_LIMIT = 5.0
#: Mixed strategies closer than this are one equilibrium when counting.
SAME_MIX = 1e-6
#: A float regret above this (payoffs are in [-100, 100]) is flagged.
REGRET_FLAG = 1e-6
#: An answer whose probabilities at some information set are negative or do not
#: sum to 1 by more than this is not a behaviour profile, and is flagged.
PROFILE_FLAG = 1e-9

DEFAULT_SIZES = [50, 100, 200, 364, 700, 1000, 1500, 2000, 3000, 5000, 10_000, 20_000]
QUICK_SIZES = [50, 100, 200]
DEFAULT_DIMS = [*range(2, 17), 18, 20, 24, 28, 32]
QUICK_DIMS = [2, 3, 4, 5]
#: T = M = A for the random signalling games (types, messages, replies).
DEFAULT_SIGNALS = [2, 4, 6, 8]
QUICK_SIGNALS = [2, 3, 4]

Profiles = list[list[Number]]
MixedPairs = list[tuple[list[Number], list[Number]]]


# ---------------------------------------------------------------------------------
# Games
# ---------------------------------------------------------------------------------
def imperfect_game(
    n: int, seed: int, zero_sum: bool, perturb: Callable[[npt.NDArray[Any]], npt.NDArray[Any]] | None = None
) -> Game:
    """A random 2-player game of exactly ``n`` nodes with information sets and perfect recall.

    The tree, chance nodes and integer payoffs come from ``bench_spe.random_tree``
    (``u2 = -u1`` when ``zero_sum``); ``perturb``, if given, maps player 1's
    payoffs (one per terminal) to new ones first, leaving the tree and its
    information sets as they are. Decision nodes of the same player with as
    many actions and the same own history (:func:`policy.model.own_sequences`)
    could share an information set without breaking perfect recall; each such
    group is cut at random into sets of about :data:`SET_SIZE` nodes.
    """
    rng = np.random.default_rng([seed, n, int(zero_sum)])
    tree = random_tree(n, rng, payoffs="int")
    payoffs = tree.payoffs.copy()
    if perturb is not None:
        payoffs = payoffs.astype(np.float64)
        payoffs[:, 0] = perturb(payoffs[:, 0])
    if zero_sum:
        payoffs[:, 1] = -payoffs[:, 0]
    probabilities = {c: [Fraction(w, sum(ws)) for w in ws] for c, ws in tree.chance_weights.items()}
    arrays = (tree.num_children, tree.kind, tree.player, payoffs.tolist(), probabilities)
    plain = game_from_arrays("random", PLAYERS, *arrays)
    history = own_sequences(plain)
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for v in np.flatnonzero(tree.kind == NodeKind.DECISION).tolist():
        p = int(tree.player[v])
        groups[(p, int(tree.num_children[v]), int(history[v, p]))].append(v)
    names: list[str | None] = [None] * n
    for g, members in enumerate(groups.values()):
        parts = rng.integers(0, math.ceil(len(members) / SET_SIZE), len(members)).tolist()
        for v, part in zip(members, parts, strict=True):
            names[v] = f"h{g}.{part}"
    return game_from_arrays("random", PLAYERS, *arrays, infoset_names=names)


def bimatrix(n: int, seed: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Two random ``n x n`` integer payoff matrices in [-100, 100]."""
    rng = np.random.default_rng([seed, n, 2])
    return rng.integers(-100, 101, (n, n)), rng.integers(-100, 101, (n, n))


# ---------------------------------------------------------------------------------
# The tools (each returns something small and picklable: it runs in a child)
# ---------------------------------------------------------------------------------
def ours_sequence(game: Game, method: str, exact: bool) -> Profiles:
    """``policy.solvers.solve`` from a cold game; the behaviour vectors found."""
    game._cache.clear()  # sequence form, evaluated numbers: all rebuilt every call
    result = solve(game, {}, method=method, exact=exact)
    return [list(eq.probabilities) for eq in result.equilibria]


def gambit_sequence(g: Any, order: Sequence[Any], method: str, rational: bool) -> Profiles:
    """pygambit's ``lcp_solve``/``lp_solve``; each profile read out in our action order."""
    import pygambit as gbt

    run = gbt.nash.lcp_solve if method == "lcp" else gbt.nash.lp_solve
    convert: Callable[[Any], Number] = Fraction if rational else float
    return [[convert(eq[a]) for a in order] for eq in run(g, rational=rational).equilibria]


def ours_enummixed(game: Game, exact: bool) -> MixedPairs:
    """Our ``enummixed`` on the table as a tree; each equilibrium as two mixed strategies."""
    game._cache.clear()
    # Called directly (not through solve) to lift the cap on bases: --kill bounds it here.
    result = enummixed_solve(game, {}, exact=exact, max_bases=10**12)
    rows, cols = sorted(game.infosets.values(), key=lambda s: s.player.index)
    out: MixedPairs = []
    for eq in result.equilibria:
        p = eq.probabilities
        out.append(
            (
                list(p[rows.offset : rows.offset + len(rows.actions)]),
                list(p[cols.offset : cols.offset + len(cols.actions)]),
            )
        )
    return out


def nashpy_enumeration(a: npt.NDArray[Any], b: npt.NDArray[Any], how: str) -> MixedPairs:
    """nashpy's ``vertex_enumeration`` or ``support_enumeration``, as a nashpy user calls it."""
    import warnings

    import nashpy

    game = nashpy.Game(a, b)
    with warnings.catch_warnings():  # support enumeration warns on degenerate games
        warnings.simplefilter("ignore")
        found = game.vertex_enumeration() if how == "vertex" else game.support_enumeration()
        return [(list(map(float, x)), list(map(float, y))) for x, y in found]


def quantecon_enumeration(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> MixedPairs:
    """QuantEcon's ``vertex_enumeration`` (qhull and numba), as a QuantEcon user calls it."""
    from quantecon.game_theory import NormalFormGame, Player, vertex_enumeration

    g = NormalFormGame((Player(np.asarray(a, dtype=float)), Player(np.asarray(b, dtype=float).T)))
    return [(list(map(float, x)), list(map(float, y))) for x, y in vertex_enumeration(g)]


def _have_quantecon() -> bool:
    """Whether QuantEcon imports (an optional benchmark dependency)."""
    try:
        import quantecon.game_theory  # noqa: F401
    except ImportError:
        return False
    return True


def gambit_enummixed(g: Any, rational: bool) -> MixedPairs:
    """pygambit's ``enummixed_solve`` on the strategic game."""
    import pygambit as gbt

    convert: Callable[[Any], Number] = Fraction if rational else float
    out: MixedPairs = []
    for eq in gbt.nash.enummixed_solve(g, rational=rational).equilibria:
        x, y = ([convert(eq[s]) for s in player.strategies] for player in g.players)
        out.append((x, y))
    return out


# ---------------------------------------------------------------------------------
# Checking answers
# ---------------------------------------------------------------------------------
def profile_defect(game: Game, probabilities: Sequence[Number]) -> tuple[float, int]:
    """How far an answer is from a behaviour profile.

    The largest ``|sum - 1|`` or negative probability over the information
    sets, and how many sets are off by more than :data:`PROFILE_FLAG`.
    """
    worst, bad = 0.0, 0
    for s in game.infosets.values():
        probs = probabilities[s.offset : s.offset + len(s.actions)]
        off = max(abs(float(sum(probs)) - 1.0), -float(min(probs)))
        worst = max(worst, off)
        bad += off > PROFILE_FLAG
    return worst, bad


def rescaled(game: Game, probabilities: Sequence[Number]) -> list[Number]:
    """The answer made a behaviour profile: negatives set to 0, each set divided by its sum.

    A set whose probabilities are all 0 gets the uniform distribution.
    """
    out = list(probabilities)
    for s in game.infosets.values():
        part = [max(p, 0 * p) for p in out[s.offset : s.offset + len(s.actions)]]
        total = sum(part)
        if total > 0:
            out[s.offset : s.offset + len(s.actions)] = [p / total for p in part]
        else:
            out[s.offset : s.offset + len(s.actions)] = [(0 * total + 1) / len(part)] * len(part)
    return out


def tree_regret(game: Game, probabilities: Sequence[Number], exact: bool) -> tuple[Number, Number]:
    """Nash regret of a behaviour profile in the tree (our verify), and player 1's payoff."""
    numbers = game.numbers({}, exact=exact)
    regret, _ = behavior_regret(game, numbers, probabilities)
    values = subgame_values(game, numbers, edge_weights(game, numbers, probabilities))
    return regret, values[0, 0]


def gambit_profile(
    g: Any, order: Sequence[Any], probabilities: Sequence[Number], rational: bool
) -> Any:
    """A pygambit behaviour profile with these probabilities (our action order)."""
    profile = g.mixed_behavior_profile(rational=rational)
    for action, p in zip(order, probabilities, strict=True):
        profile[action] = Fraction(p) if rational else float(p)
    return profile


def gambit_max_regret(
    g: Any, order: Sequence[Any], probabilities: Sequence[Number], rational: bool
) -> float:
    return float(gambit_profile(g, order, probabilities, rational).max_regret())


def bimatrix_regret(
    a: npt.NDArray[Any], b: npt.NDArray[Any], x: Sequence[Number], y: Sequence[Number]
) -> Number:
    """How much either player gains by a best reply to a mixed pair (exactly for ``Fraction`` pairs)."""
    dtype: Any = object if all(isinstance(v, Fraction) for v in (*x, *y)) else np.float64
    xs, ys = np.array(x, dtype=dtype), np.array(y, dtype=dtype)
    ay, xb = a.astype(dtype).dot(ys), xs.dot(b.astype(dtype))
    regret: Number = max(max(ay) - xs.dot(ay), max(xb) - xb.dot(ys))
    return regret


def distinct(pairs: MixedPairs) -> int:
    """How many different mixed pairs (within :data:`SAME_MIX`)."""
    kept: list[npt.NDArray[np.float64]] = []
    for x, y in pairs:
        v = np.array([*x, *y], dtype=np.float64)
        if not any(len(v) == len(k) and np.abs(v - k).max() <= SAME_MIX for k in kept):
            kept.append(v)
    return len(kept)


# ---------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------
@dataclass
class Tool:
    key: str
    label: str
    ours: bool
    exact: bool
    against: str | None = None
    """For other tools: the key of our tool their time is divided by."""
    on: bool = True
    largest_under: int | None = None
    first_over: int | None = None
    over_time: float | None = None
    over_killed: bool = False
    regret_on: bool = True
    """pygambit only: whether its own max_regret() still finishes in time."""


@dataclass
class Cell:
    seconds: float | None = None
    status: str = "ok"
    """ok, killed, error: ..., or no equilibrium."""
    equilibria: int | None = None
    regret: float | None = None
    """Largest Nash regret over the answers (our verify, in the tree or the table)."""
    exact_zero: bool = False
    """An exact answer whose regret is exactly 0."""
    own_regret: float | None = None
    own_regret_kind: str = ""
    """pygambit's own check: "max" (max_regret) or "agent" (agent_max_regret)."""
    defect: float = 0.0
    """See :func:`profile_defect`: 0 for a behaviour profile."""
    value: float | None = None
    """Player 1's expected payoff in the first answer."""


@dataclass
class SizeRow:
    size: int
    info: dict[str, int] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    build: dict[str, float] = field(default_factory=dict)


def measure(fn: Callable[[], Any], kill: float) -> tuple[Cell, Any]:
    """Time ``fn`` in a forked child; a cell with the time or why there is none."""
    try:
        seconds, payload = timed_forked(fn, kill)
    except RuntimeError as err:  # the child raised: record it, keep going
        return Cell(status=f"error: {err}"[:90]), None
    if seconds is None:
        return Cell(status="killed"), None
    return Cell(seconds=seconds), payload


def account(tool: Tool, size: int, cell: Cell, budget: float, kill: float) -> None:
    """Update the tool's budget record after one call; stop it once a call passes the budget."""
    if cell.status == "killed":
        tool.on, tool.first_over, tool.over_time, tool.over_killed = False, size, kill, True
    elif cell.seconds is not None and cell.seconds > budget:
        tool.on, tool.first_over, tool.over_time = False, size, cell.seconds
    elif cell.seconds is not None:
        tool.largest_under = size


def sequence_tools(method: str) -> list[Tool]:
    ours_exact, ours_float = f"ours {method} exact", f"ours {method} float"
    return [
        Tool(ours_exact, f"{method} exact", ours=True, exact=True),
        Tool(ours_float, f"{method} --float", ours=True, exact=False),
        Tool(
            f"gambit {method} rational", f"gambit {method}_solve rational", False, True, ours_exact
        ),
        Tool(f"gambit {method} float", f"gambit {method}_solve float", False, False, ours_float),
    ]


def enummixed_tools() -> list[Tool]:
    """The tools; every other one's time is divided by our default, exact mode's."""
    ours = "ours enummixed exact"
    return [
        Tool(ours, "enummixed exact", ours=True, exact=True),
        Tool("ours enummixed float", "enummixed --float", True, False, ours),
        Tool("nashpy vertex", "nashpy vertex_enumeration", False, False, ours),
        Tool("nashpy support", "nashpy support_enumeration", False, False, ours),
        Tool("gambit enummixed rational", "gambit enummixed_solve rational", False, True, ours),
        Tool("gambit enummixed float", "gambit enummixed_solve float", False, False, ours),
        *([Tool("quantecon vertex", "QuantEcon vertex_enumeration", False, False, "ours enummixed float")]
          if _have_quantecon() else []),
    ]


def bench_sequence(
    method: str, args: argparse.Namespace, signalling: bool = False
) -> tuple[list[Tool], list[SizeRow], list[str]]:
    """``lcp`` on general-sum or ``lp`` on zero-sum games of growing size.

    With ``signalling``: ``lcp`` on ``tests.games.random_signalling`` games
    with ``T = M = A = n`` for each ``n`` in ``args.signals``.
    """
    tools = sequence_tools(method)
    rows: list[SizeRow] = []
    notes: list[str] = []
    for n in args.signals if signalling else args.sizes:
        active = [t for t in tools if t.on]
        if not active:
            break
        start = time.perf_counter()
        if signalling:
            from tests.games import random_signalling

            game = random_signalling(n, n, n, args.seed)
        else:
            game = imperfect_game(n, args.seed, zero_sum=method == "lp")
        seqs = game_sequences(game)
        row = SizeRow(
            n,
            info={
                "infosets": len(game.infosets),
                "sequences": int(sum(p.size for p in seqs.players)),
                "depth": len(game.levels) - 1,
            },
        )
        row.build["ours"] = time.perf_counter() - start
        rows.append(row)
        g, order = None, []
        if any(not t.ours for t in active):
            from tests.conftest import to_pygambit

            start = time.perf_counter()
            g, actions = to_pygambit(game, {})
            row.build["gambit"] = time.perf_counter() - start
            order = [actions[(s.name, a)] for s in game.infosets.values() for a in s.actions]
        log(
            f"[{method} {f'{n}x{n}x{n} signalling' if signalling else f'{n:>6,} nodes'}, "
            f"{row.info['infosets']} information sets, {row.info['sequences']} sequences]"
        )
        for tool in active:
            if tool.ours:
                fn = partial(ours_sequence, game, method, tool.exact)
            else:
                fn = partial(gambit_sequence, g, order, method, tool.exact)
            log(f"  {tool.key} ...")
            cell, profiles = measure(fn, args.kill)
            row.cells[tool.key] = cell
            account(tool, n, cell, args.budget, args.kill)
            if profiles is None:
                continue
            if not profiles:
                cell.status = "no equilibrium"
                notes.append(f"{tool.label} at {n:,} nodes returned no equilibrium")
                continue
            cell.equilibria = len(profiles)
            defects = [profile_defect(game, p) for p in profiles]
            cell.defect = max(d for d, _ in defects)
            if cell.defect > PROFILE_FLAG:
                sets = max(k for _, k in defects)
                notes.append(
                    f"{tool.label} at {n:,} nodes: not a behaviour profile: at {sets} information "
                    f"set(s) the probabilities are negative or do not sum to 1 (off by up to "
                    f"{cell.defect:.2g}); regrets are of the answer rescaled at each set (uniform where all are 0)"
                )
            checks = [
                tree_regret(game, p if d <= PROFILE_FLAG else rescaled(game, p), tool.exact)
                for p, (d, _) in zip(profiles, defects, strict=True)
            ]
            worst = max(r for r, _ in checks)
            cell.regret = float(worst)
            cell.exact_zero = tool.exact and worst == 0
            cell.value = float(checks[0][1])
            if not tool.ours:
                own_regret(tool, cell, g, order, profiles)
            own = cell.own_regret if cell.own_regret is not None else 0.0
            if (cell.regret > REGRET_FLAG and not cell.exact_zero) or own > REGRET_FLAG:
                notes.append(
                    f"{tool.label} at {n:,} nodes: Nash regret {cell.regret:.3g} by our check "
                    f"in the tree, pygambit's own {cell.own_regret_kind} regret {own:.3g} "
                    "(payoffs in [-100, 100])"
                )
        if method == "lp":
            reference = row.cells.get(f"ours {method} exact")
            for key, cell in row.cells.items():
                if reference is None or reference.value is None or cell.value is None:
                    continue
                if abs(cell.value - reference.value) > 1e-6:
                    notes.append(
                        f"{key} at {n:,} nodes: value {cell.value:.6g}, ours exact "
                        f"{reference.value:.6g}"
                    )
        del game, g, order
    return tools, rows, notes


def own_regret(tool: Tool, cell: Cell, g: Any, order: Sequence[Any], profiles: Profiles) -> None:
    """pygambit's own regret of its answers: max_regret() while it is quick, else agent_max_regret()."""
    if tool.regret_on:
        worst = 0.0
        for p in profiles:
            seconds, got = timed_forked(
                partial(gambit_max_regret, g, order, p, tool.exact), GAMBIT_REGRET_LIMIT
            )
            if seconds is None:
                tool.regret_on = False
                break
            worst = max(worst, got)
        else:
            cell.own_regret, cell.own_regret_kind = worst, "max"
            return
    cell.own_regret = max(
        float(gambit_profile(g, order, p, tool.exact).agent_max_regret()) for p in profiles
    )
    cell.own_regret_kind = "agent"


def bench_enummixed(args: argparse.Namespace) -> tuple[list[Tool], list[SizeRow], list[str]]:
    """All extreme equilibria of random n x n bimatrix games."""
    import pygambit as gbt  # noqa: F401  (imported before forking)

    from tests.games import gambit_table, table_game

    tools = enummixed_tools()
    rows: list[SizeRow] = []
    notes: list[str] = []
    if not _have_quantecon():
        notes.append("QuantEcon is not installed: its column is left out (pip install quantecon)")
    for n in args.dims:
        active = [t for t in tools if t.on]
        if not active:
            break
        a, b = bimatrix(n, args.seed)
        game = table_game([a.tolist(), b.tolist()], title=f"{n}x{n}")
        g = gambit_table([a.tolist(), b.tolist()])
        row = SizeRow(n)
        rows.append(row)
        log(f"[enummixed {n}x{n}]")
        for tool in active:
            fn: Callable[[], MixedPairs]
            if tool.key.startswith("ours"):
                fn = partial(ours_enummixed, game, tool.exact)
            elif tool.key.startswith("quantecon"):
                fn = partial(quantecon_enumeration, a, b)
            elif tool.key.startswith("nashpy"):
                fn = partial(nashpy_enumeration, a, b, tool.key.split()[1])
            else:
                fn = partial(gambit_enummixed, g, tool.exact)
            log(f"  {tool.key} ...")
            cell, pairs = measure(fn, args.kill)
            row.cells[tool.key] = cell
            account(tool, n, cell, args.budget, args.kill)
            if pairs is None:
                continue
            cell.equilibria = distinct(pairs)
            if pairs:
                worst = max(bimatrix_regret(a, b, x, y) for x, y in pairs)
                cell.regret, cell.exact_zero = float(worst), tool.exact and worst == 0
            if len(pairs) != cell.equilibria:
                notes.append(
                    f"{tool.label} at {n}x{n}: {len(pairs)} answers, {cell.equilibria} distinct"
                )
            if cell.regret is not None and cell.regret > REGRET_FLAG and not cell.exact_zero:
                notes.append(f"{tool.label} at {n}x{n}: an answer with regret {cell.regret:.3g}")
        counts = {k: c.equilibria for k, c in row.cells.items() if c.equilibria is not None}
        if len(set(counts.values())) > 1:
            shown = ", ".join(f"{k} {v}" for k, v in counts.items())
            notes.append(f"{n}x{n}: equilibrium counts disagree: {shown}")
        del game, g
    return tools, rows, notes


def warm_up() -> None:
    """Import and exercise every solver once in this process, so forked children start warm."""
    import nashpy
    import pygambit as gbt

    from tests.conftest import to_pygambit
    from tests.games import gambit_table, table_game

    for zero_sum, method in ((False, "lcp"), (True, "lp")):
        game = imperfect_game(30, 0, zero_sum)
        for exact in (True, False):
            ours_sequence(game, method, exact)
        g, _ = to_pygambit(game, {})
        for rational in (True, False):
            gambit_sequence(g, [], method, rational)
    a, b = bimatrix(3, 0)
    game = table_game([a.tolist(), b.tolist()])
    for exact in (True, False):
        ours_enummixed(game, exact)
    list(nashpy.Game(a, b).vertex_enumeration())
    if _have_quantecon():
        quantecon_enumeration(a, b)  # numba compiles here, not in the timed children
    list(nashpy.Game(a, b).support_enumeration())
    g = gambit_table([a.tolist(), b.tolist()])
    for rational in (True, False):
        gbt.nash.enummixed_solve(g, rational=rational)


# ---------------------------------------------------------------------------------
# n players: gnm, simpdiv, enumpoly, logit against pygambit (issue 12)
# ---------------------------------------------------------------------------------
#: Shapes of the random n-player tables (integer payoffs in [-99, 99]).
NPLAYER_SHAPES = [(2, 2, 2), (3, 3, 3), (4, 4, 4), (5, 5, 5), (2, 2, 2, 2), (3, 3, 3, 3)]
QUICK_NPLAYER_SHAPES = [(2, 2, 2), (3, 3, 3), (2, 2, 2, 2)]
#: Games per shape.
NPLAYER_GAMES = 3
#: Two mixed profiles within this in every probability are the same equilibrium.
NPLAYER_SAME = 1e-4


def nplayer_table(shape: Sequence[int], seed: int) -> list[Any]:
    """Per-player integer payoffs in [-99, 99] of a random table (as tests/test_enumpoly.py)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-99, 100, size=tuple(shape)).astype(object) for _ in shape]


def _ours_mixed(method: str, game: Game) -> list[list[list[float]]]:
    from tests.games import mixed_of

    options: dict[str, Any] = {"all_equilibria": method == "gnm"}
    if method in ("simpdiv", "enumpoly"):
        options["exact"] = method == "enumpoly"
    result = solve(game, {}, method=method, **options)
    return [[[float(p) for p in sigma] for sigma in mixed_of(eq)] for eq in result.equilibria]


def _gambit_mixed(method: str, payoffs: list[Any]) -> list[list[list[float]]]:
    import pygambit as gbt

    from tests.games import gambit_table

    g = gambit_table(payoffs)
    if method == "gnm":
        found = gbt.nash.gnm_solve(g)
    elif method == "simpdiv":
        found = gbt.nash.simpdiv_solve(g.mixed_strategy_profile(rational=True))
    elif method == "enumpoly":
        found = gbt.nash.enumpoly_solve(g, use_strategic=True)
    else:
        found = gbt.nash.logit_solve(g)
    return [[[float(e[s]) for s in p.strategies] for p in g.players] for e in found.equilibria]


def _gambit_regret(payoffs: list[Any], mixed: list[list[float]]) -> float:
    from tests.test_enumpoly import gambit_regret_of

    return gambit_regret_of(payoffs, mixed)


def _same(a: list[list[float]], b: list[list[float]]) -> bool:
    return all(
        abs(x - y) <= NPLAYER_SAME for sa, sb in zip(a, b, strict=True) for x, y in zip(sa, sb, strict=True)
    )


def bench_nplayer(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each method, ours and pygambit's, on the same random tables: time, count, regret, agreement."""
    from policy.solvers.sizes import too_big
    from tests.games import table_game

    rows: list[dict[str, Any]] = []
    for shape in args.nplayer_shapes:
        for method in ("gnm", "simpdiv", "logit", "enumpoly"):
            row: dict[str, Any] = {"shape": "x".join(map(str, shape)), "method": method, "games": 0,
                                   "ours": [], "theirs": [], "n_ours": 0, "n_theirs": 0,
                                   "regret": 0.0, "agree": 0, "their_fail": 0, "our_fail": 0}
            for k in range(NPLAYER_GAMES):
                payoffs = nplayer_table(shape, args.seed + k)
                game = table_game(payoffs)
                if too_big(method, game, method == "enumpoly") is not None:
                    break
                log(f"n-player {method} {row['shape']} game {k} ...")
                row["games"] += 1
                # A child that raises (RuntimeError) or dies (EOFError: pygambit's
                # gnm_solve crashed with "double free or corruption" here) fails.
                try:
                    ours_t, ours = timed_forked(partial(_ours_mixed, method, game), args.kill)
                except (RuntimeError, EOFError):
                    ours_t, ours = None, None
                try:
                    theirs_t, theirs = timed_forked(partial(_gambit_mixed, method, payoffs), args.kill)
                except (RuntimeError, EOFError):
                    theirs_t, theirs = None, None
                if ours is None:
                    row["our_fail"] += 1
                else:
                    row["ours"].append(ours_t)
                    row["n_ours"] += len(ours)
                    scale = max(float(np.max(p)) - float(np.min(p)) for p in payoffs)
                    row["regret"] = max([row["regret"]] + [_gambit_regret(payoffs, m) / scale for m in ours])
                if theirs is None:
                    row["their_fail"] += 1
                else:
                    row["theirs"].append(theirs_t)
                    row["n_theirs"] += len(theirs)
                if ours is not None and theirs is not None:
                    if method == "enumpoly":
                        agree = all(any(_same(t, o) for o in ours) for t in theirs)
                    elif method == "gnm":
                        agree = bool(ours) and bool(theirs)  # other perturbations: counted, not matched
                    else:
                        agree = any(_same(t, o) for t in theirs for o in ours)
                    row["agree"] += int(agree)
            if row["games"]:
                rows.append(row)
    return rows


def nplayer_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The n-player results as a markdown table."""
    out = [
        "| game | method | games | ours (median s) | pygambit (median s) | ratio theirs/ours "
        "| equilibria ours / theirs | agree | largest regret of ours (pygambit, / payoff range) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ours = float(np.median(r["ours"])) if r["ours"] else None
        theirs = float(np.median(r["theirs"])) if r["theirs"] else None
        ratio = f"{theirs / ours:.2g}" if ours and theirs else "-"
        fails = ""
        if r["our_fail"] or r["their_fail"]:
            fails = f" (failed or killed: ours {r['our_fail']}, theirs {r['their_fail']})"
        out.append(
            f"| {r['shape']} | {r['method']} | {r['games']} | "
            f"{'-' if ours is None else f'{ours:.3g}'} | {'-' if theirs is None else f'{theirs:.3g}'} | "
            f"{ratio} | {r['n_ours']} / {r['n_theirs']} | {r['agree']}/{r['games']}{fails} | "
            f"{r['regret']:.1e} |"
        )
    return out


# ---------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------
def seconds_text(cell: Cell | None, kill: float) -> str:
    if cell is None:
        return ""
    if cell.status == "killed":
        return f">{kill:g} s (killed)"
    if cell.seconds is None:
        return cell.status
    s = cell.seconds
    return f"{s:.2g} s" if s < 0.01 else f"{s:.3g} s" if s < 100 else f"{s:.0f} s"


def ratio_text(theirs: Cell | None, ours: Cell | None, kill: float) -> str:
    """Their time over ours; bounds when one side was killed."""
    if theirs is None or ours is None:
        return "-"
    t, o = theirs.seconds, ours.seconds
    if t is not None and o is not None and o > 0:
        r = t / o
        return f"{r:.2g}x" if r < 10 else f"{r:.0f}x"
    if theirs.status == "killed" and o:
        return f">{kill / o:.0f}x"
    if ours.status == "killed" and t:
        return f"<{t / kill:.2g}x"
    return "-"


def regret_text(cell: Cell | None) -> str:
    if cell is None or cell.regret is None:
        return "" if cell is None else "-"
    if cell.exact_zero:
        text = "0"
    else:
        text = f"{cell.regret:.1e}"
    if cell.own_regret is not None:
        mark = "" if cell.own_regret_kind == "max" else "ᵃ"
        own = "0" if cell.own_regret == 0 else f"{cell.own_regret:.1e}"
        text += f" / {own}{mark}"
    if cell.defect > PROFILE_FLAG:
        text += f" [sums off {cell.defect:.1e}]"
    if cell.regret > REGRET_FLAG and not cell.exact_zero:
        text += " !"
    return text


def size_text(size: int, first: str) -> str:
    """A row's size as its first column shows it: nodes, n x n, or T x M x A."""
    if first == "nodes":
        return f"{size:,}"
    if first == "game":
        return f"{size}x{size}"
    return f"{size}x{size}x{size}"


def timing_table(
    title: str,
    first: str,
    tools: list[Tool],
    rows: list[SizeRow],
    args: argparse.Namespace,
    extra: Sequence[str] = (),
) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.MARKDOWN if args.markdown else box.SIMPLE_HEAD)
    table.add_column(first, justify="right")
    for key in extra:
        table.add_column(key, justify="right")
    by_key = {t.key: t for t in tools}
    for tool in tools:
        table.add_column(tool.label + (" (ratio)" if tool.against else ""), justify="right")
    for row in rows:
        cells = [size_text(row.size, first)]
        cells += [str(row.info.get(key, "")) for key in extra]
        for tool in tools:
            cell = row.cells.get(tool.key)
            text = seconds_text(cell, args.kill)
            if cell is not None and tool.against:
                text += f" ({ratio_text(cell, row.cells.get(by_key[tool.against].key), args.kill)})"
            cells.append(text)
        table.add_row(*cells)
    return table


def check_table(
    title: str,
    first: str,
    tools: list[Tool],
    rows: list[SizeRow],
    args: argparse.Namespace,
    counts: bool,
) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.MARKDOWN if args.markdown else box.SIMPLE_HEAD)
    table.add_column(first, justify="right")
    for tool in tools:
        table.add_column(tool.label, justify="right")
    for row in rows:
        cells = [size_text(row.size, first)]
        for tool in tools:
            cell = row.cells.get(tool.key)
            text = regret_text(cell)
            if counts and cell is not None and cell.equilibria is not None:
                text = f"{cell.equilibria} (regret {text})"
            cells.append(text)
        table.add_row(*cells)
    return table


def budget_lines(tools: list[Tool], unit: str, args: argparse.Namespace, tried: int) -> list[str]:
    lines = []
    for t in tools:
        under = f"{t.largest_under:,} {unit}" if t.largest_under is not None else "none"
        if t.first_over is None:
            over = f"not passed (largest tried {tried:,} {unit})"
        else:
            how = f"killed at {args.kill:g} s" if t.over_killed else f"{t.over_time:.3g} s"
            over = f"{t.first_over:,} {unit} ({how})"
        lines.append(
            f"  {t.label:<34} largest under {args.budget:g} s: {under:<14} first over: {over}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, budget 2 s: about a minute"
    )
    parser.add_argument(
        "--budget", type=float, default=10.0, help="a tool stops growing after a call this long (s)"
    )
    parser.add_argument(
        "--kill",
        type=float,
        default=None,
        help="a call is killed after this long (default 6 x budget)",
    )
    parser.add_argument(
        "--sizes", type=parse_sizes, default=None, help="node counts for lcp and lp"
    )
    parser.add_argument(
        "--dims", type=parse_sizes, default=None, help="n for the n x n enummixed games"
    )
    parser.add_argument(
        "--signals", type=parse_sizes, default=None,
        help="T = M = A for the signalling lcp games",
    )
    parser.add_argument(
        "--parts", default="lcp,lp,enummixed,signalling,nplayer", help="which benchmarks to run"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    parser.add_argument("--json", metavar="FILE", help="also save every number as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.budget = min(args.budget, 2.0)
        args.sizes = args.sizes or QUICK_SIZES
        args.dims = args.dims or QUICK_DIMS
        args.signals = args.signals or QUICK_SIGNALS
    args.sizes = sorted(args.sizes or DEFAULT_SIZES)
    args.dims = sorted(args.dims or DEFAULT_DIMS)
    args.signals = sorted(args.signals or DEFAULT_SIGNALS)
    args.nplayer_shapes = QUICK_NPLAYER_SHAPES if args.quick else NPLAYER_SHAPES
    args.kill = args.kill or 6 * args.budget
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]

    from rich.console import Console

    console = Console(width=240, highlight=False)
    info = machine()
    command = "python benchmarks/bench_nash.py " + " ".join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    log("warming up (imports, first calls) ...")
    warm_up()
    results: dict[str, tuple[list[Tool], list[SizeRow], list[str]]] = {}
    nplayer_rows: list[dict[str, Any]] = []
    for part in parts:
        if part == "nplayer":
            nplayer_rows = bench_nplayer(args)
        elif part == "enummixed":
            results[part] = bench_enummixed(args)
        elif part == "signalling":
            results[part] = bench_sequence("lcp", args, signalling=True)
        else:
            results[part] = bench_sequence(part, args)
    elapsed = time.perf_counter() - started
    info["load_after"] = load_average()

    console.print(f"# {command.strip()}")
    console.print(
        f"# {info['date']}, {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"numpy {info['numpy']}, pygambit {info['pygambit']}; seed {args.seed}; budget "
        f"{args.budget:g} s, calls killed at {args.kill:g} s"
    )
    console.print(
        f"# 1-min load average before/after: {info['load_before']} / {info['load_after']}"
    )
    failed = False
    for part, (tools, rows, notes) in results.items():
        console.print()
        if part == "enummixed":
            console.print(
                timing_table(
                    "enummixed on random n x n bimatrix games: time (their time / ours)",
                    "game",
                    tools,
                    rows,
                    args,
                )
            )
            console.print(
                check_table(
                    "enummixed: distinct equilibria found (largest regret of any, in the table)",
                    "game",
                    tools,
                    rows,
                    args,
                    counts=True,
                )
            )
            unit, tried = "(n)", rows[-1].size if rows else 0
        elif part == "signalling":
            first = "types x messages x replies"
            console.print(
                timing_table(
                    "lcp on random signalling games (T types, M messages, A replies; T = M = A): "
                    "time (their time / ours)",
                    first,
                    tools,
                    rows,
                    args,
                    extra=("infosets", "sequences"),
                )
            )
            console.print(
                check_table(
                    "signalling lcp: Nash regret of the answers (our check in the tree / pygambit's own; ᵃ = agent regret)",
                    first,
                    tools,
                    rows,
                    args,
                    counts=False,
                )
            )
            unit, tried = "(T = M = A)", rows[-1].size if rows else 0
        else:
            kind = "general-sum" if part == "lcp" else "zero-sum"
            console.print(
                timing_table(
                    f"{part} on random {kind} games with information sets: time (their time / ours)",
                    "nodes",
                    tools,
                    rows,
                    args,
                    extra=("infosets", "sequences"),
                )
            )
            console.print(
                check_table(
                    f"{part}: Nash regret of the answers (our check in the tree / pygambit's own; ᵃ = agent regret)",
                    "nodes",
                    tools,
                    rows,
                    args,
                    counts=False,
                )
            )
            unit, tried = "nodes", rows[-1].size if rows else 0
        console.print(f"Budget {args.budget:g} s ({part}):")
        for line in budget_lines(tools, unit, args, tried):
            console.print(line)
        for note in notes:
            console.print(f"note: {note}")
        for tool in tools:
            if tool.ours and any(
                (c := r.cells.get(tool.key)) is not None
                and c.regret is not None
                and ((c.regret > REGRET_FLAG and not c.exact_zero) or c.defect > PROFILE_FLAG)
                for r in rows
            ):
                failed = True
    if nplayer_rows:
        console.print(
            "\nn players: random tables, ours (gnm --all, simpdiv float, logit, enumpoly exact) "
            "against pygambit (gnm_solve, simpdiv_solve, logit_solve, enumpoly_solve on the "
            "strategic form); agree: logit and simpdiv the same equilibrium, enumpoly every one "
            "of Gambit's among ours, gnm both found some"
        )
        for line in nplayer_lines(nplayer_rows):
            console.print(line)
        if any(r["regret"] > REGRET_FLAG for r in nplayer_rows):
            failed = True
    console.print(f"\ntotal wall time {elapsed:.0f} s")
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump(
                {
                    "command": command.strip(),
                    "machine": info,
                    "budget": args.budget,
                    "kill": args.kill,
                    "seed": args.seed,
                    "parts": {
                        part: {
                            "tools": [asdict(t) for t in tools],
                            "rows": [asdict(r) for r in rows],
                            "notes": notes,
                        }
                        for part, (tools, rows, notes) in results.items()
                    },
                    "nplayer": nplayer_rows,
                    "wall_time": elapsed,
                },
                f,
                indent=1,
            )
    if failed:
        print("FAIL: one of our answers has a regret above the flag (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
