"""Subgame-perfect equilibrium by backward induction: ours against pygambit, in one run.

On the same seeded random perfect-information trees (two players, some chance
nodes, random payoffs) this times, side by side:

1. ``policy.solvers.backward.spe_solve`` in float mode and in exact (``Fraction``)
   mode, on a game built with ``policy.model.game_from_arrays``;
2. backward induction written in Python over pygambit 16.7's own tree (the same
   tree built with ``Game.new_tree``/``append_move``/``add_outcome``);
3. ``pygambit.nash.lcp_solve(g, rational=False)`` (sequence form, the default
   ``use_strategic=False``) on the small trees.

Tree construction is timed separately and excluded from solve timings. Fast
calls are timed best of 3 (a call under 1 s is repeated), slow ones once.
pygambit is used up to ``--gambit-max`` nodes or until one construction takes
more than ``--gambit-budget`` seconds; larger sizes are extrapolated linearly
from the largest size measured and marked ``*``. Exact mode and ``lcp_solve``
run in a forked child with a hard time limit and stop growing once one call
exceeds their budget.

The float SPE root payoff must equal the root payoff of the pygambit backward
induction (and of our exact mode) within 1e-9 wherever both ran; the script
exits with status 1 if not.

Run: ``python benchmarks/bench_spe.py [--sizes 1e3,1e4,1e5,1e6] [--seed S] [--quick]``
(see ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, NodeKind, game_from_arrays
from policy.solvers.backward import FLOAT_TIE_TOLERANCE, spe_solve

PLAYERS = ("P1", "P2")
AGREEMENT_TOLERANCE = 1e-9
#: A first run shorter than this is repeated and the best of REPEATS kept.
REPEAT_BELOW = 1.0
REPEATS = 3


# ---------------------------------------------------------------------------------
# Random trees
# ---------------------------------------------------------------------------------
@dataclass
class Tree:
    """A random perfect-information tree as breadth-first arrays."""

    num_children: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    player: npt.NDArray[np.int32]
    payoffs: npt.NDArray[Any]
    """One row per terminal (breadth-first order), one column per player."""
    chance_weights: dict[int, list[int]] = field(default_factory=dict)
    """Chance node -> positive integer weight per child (probability = weight / sum)."""

    @property
    def n(self) -> int:
        return len(self.num_children)

    @property
    def depth(self) -> int:
        depth, frontier, start = 0, 1, 0
        while start < self.n:
            kids = int(self.num_children[start : start + frontier].sum())
            start += frontier
            frontier = kids
            depth += 1
        return depth - 1


def random_tree(
    n: int,
    rng: np.random.Generator,
    payoffs: str = "float",
    p_internal: float = 0.5,
    max_children: int = 4,
    p_chance: float = 0.1,
) -> Tree:
    """A random tree of exactly ``n`` nodes, grown level by level.

    Each node of a level is internal with probability ``p_internal`` and then
    has 2..``max_children`` children (mean branching 1.5 with the defaults, so
    depth grows like log n: about 30 levels at 10^6 nodes). The last internal
    node is trimmed so the count is exact. An internal node is a chance node
    with probability ``p_chance``, else a decision of a uniformly drawn player.
    Payoffs: ``float`` uniform in [-100, 100) at full double precision, or
    ``int`` uniform integers in [-100, 100] (which makes ties common).
    """
    chunks: list[npt.NDArray[np.int64]] = []
    frontier, total = 1, 1
    while total < n:
        internal = rng.random(frontier) < p_internal
        if not internal.any():  # never let the tree die out before n nodes
            internal[rng.integers(frontier)] = True
        counts = np.where(internal, rng.integers(2, max_children + 1, frontier), 0)
        cum = total + np.cumsum(counts)
        if cum[-1] >= n:
            k = int(np.searchsorted(cum, n))
            counts[k] -= cum[k] - n
            counts[k + 1 :] = 0
            chunks.append(counts)
            break
        chunks.append(counts)
        total, frontier = int(cum[-1]), int(counts.sum())
    head = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    num_children = np.concatenate([head, np.zeros(n - len(head), dtype=np.int64)]).astype(np.int64)
    assert int(num_children.sum()) == n - 1

    inner = num_children > 0
    chance = inner & (rng.random(n) < p_chance)
    kind = np.full(n, NodeKind.TERMINAL, dtype=np.int8)
    kind[inner] = NodeKind.DECISION
    kind[chance] = NodeKind.CHANCE
    player = np.where(kind == NodeKind.DECISION, rng.integers(0, len(PLAYERS), n), -1).astype(
        np.int32
    )
    n_terminals = int((~inner).sum())
    if payoffs == "int":
        pay: npt.NDArray[Any] = rng.integers(-100, 101, (n_terminals, len(PLAYERS)))
    else:
        pay = rng.uniform(-100.0, 100.0, (n_terminals, len(PLAYERS)))
    chance_nodes = np.flatnonzero(chance)
    weights = rng.integers(1, 10, int(num_children[chance_nodes].sum())).tolist()
    chance_weights: dict[int, list[int]] = {}
    pos = 0
    for c, k in zip(chance_nodes.tolist(), num_children[chance_nodes].tolist(), strict=True):
        chance_weights[c] = weights[pos : pos + k]
        pos += k
    return Tree(num_children, kind, player, pay, chance_weights)


# ---------------------------------------------------------------------------------
# Building the games
# ---------------------------------------------------------------------------------
def build_ours(tree: Tree) -> Game:
    """The tree as a :class:`policy.model.Game` (exact rational probabilities)."""
    probabilities = {c: [Fraction(w, sum(ws)) for w in ws] for c, ws in tree.chance_weights.items()}
    return game_from_arrays(
        "random tree",
        PLAYERS,
        tree.num_children,
        tree.kind,
        tree.player,
        tree.payoffs.tolist(),
        probabilities,
    )


def build_gambit(tree: Tree) -> Any:
    """The same tree as a pygambit 16.7 game, breadth-first (same child order)."""
    import pygambit as gbt

    g = gbt.Game.new_tree(players=list(PLAYERS), title="random tree")
    players = [g.players[label] for label in PLAYERS]
    chance = g.players.chance
    labels = [f"a{k}" for k in range(int(tree.num_children.max(initial=0)))]
    payoffs = tree.payoffs.tolist()
    order = [g.root]  # gambit nodes in breadth-first order, grown as we go
    terminal = 0
    num_children = tree.num_children.tolist()
    kind = tree.kind.tolist()
    player = tree.player.tolist()
    for i in range(tree.n):
        node = order[i]
        k = num_children[i]
        if k == 0:
            outcome = g.add_outcome(f"o{terminal}", payoffs[terminal])
            g.set_outcome(node, outcome)
            terminal += 1
            continue
        if kind[i] == NodeKind.CHANCE:
            g.append_move(node, chance, labels[:k])
            ws = tree.chance_weights[i]
            total = sum(ws)
            g.set_chance_probs(node.infoset, [gbt.Rational(w, total) for w in ws])
        else:
            g.append_move(node, players[player[i]], labels[:k])
        order.extend(node.children)
    return g


# ---------------------------------------------------------------------------------
# Solving
# ---------------------------------------------------------------------------------
def gambit_backward_induction(g: Any) -> list[float]:
    """Root payoff of backward induction over pygambit's tree, in Python floats.

    Iterative depth-first post-order over ``node.children``; a chance node is
    worth the expectation of its children, a mover takes the first child whose
    payoff is within our tie tolerance of the best (the same rule as
    ``spe_solve`` in float mode). Outcomes at any node are added in.
    """
    labels = [p.label for p in g.players]
    index = {label: i for i, label in enumerate(labels)}
    n_players = len(labels)
    # The game's payoff scale, as spe_solve measures it (these trees carry
    # outcomes at terminals only, so the largest outcome payoff is the largest leaf payoff).
    scale = max((abs(float(o[p])) for o in g.outcomes for p in labels), default=0.0)
    tol = tolerances.tolerance(FLOAT_TIE_TOLERANCE, scale)

    def own(node: Any) -> list[float] | None:
        o = node.outcome
        return [float(o[p]) for p in labels] if o else None  # never None: test its truth

    def combine(node: Any, kids: list[list[float]]) -> list[float]:
        player = node.player
        if player.is_chance:
            probs = [float(a.prob) for a in node.infoset.actions]
            value = [probs[0] * x for x in kids[0]]
            for p, kid in zip(probs[1:], kids[1:], strict=True):
                value = [v + p * x for v, x in zip(value, kid, strict=True)]
        else:
            i = index[player.label]
            best = max(kid[i] for kid in kids)
            floor = best - tol
            value = next(kid for kid in kids if kid[i] >= floor)
        extra = own(node)
        return [v + e for v, e in zip(value, extra, strict=True)] if extra else value

    root = g.root
    if root.is_terminal:
        return own(root) or [0.0] * n_players
    stack: list[tuple[Any, list[Any], list[list[float]]]] = [(root, list(root.children), [])]
    while True:
        node, children, done = stack[-1]
        if len(done) < len(children):
            child = children[len(done)]
            if child.is_terminal:
                done.append(own(child) or [0.0] * n_players)
            else:
                stack.append((child, list(child.children), []))
            continue
        stack.pop()
        value = combine(node, done)
        if not stack:
            return value
        stack[-1][2].append(value)


def gambit_lcp(g: Any) -> list[float]:
    """``lcp_solve`` in floats on the sequence form; the first equilibrium's root payoffs."""
    import pygambit as gbt

    result = gbt.nash.lcp_solve(g, rational=False)
    profile = result.equilibria[0]
    return [float(profile.payoff(p)) for p in g.players]


def our_spe(game: Game, exact: bool) -> list[float]:
    """``spe_solve`` with the payoffs evaluated afresh; the root payoffs as floats."""
    # A game compiles its structure once (distinct expressions, level arrays:
    # the "first float solve" column). It also keeps its latest evaluations at
    # given parameter values; drop those so every repetition evaluates the
    # payoffs and probabilities again, as a solve at new parameter values does.
    game._cache.pop("numbers", None)
    result = spe_solve(game, {}, exact=exact)
    return [float(v) for v in result.equilibria[0].values]


# ---------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------
def timed_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """One call, after a full garbage collection (the collector stays on while timing)."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best of REPEATS when the first call is under REPEAT_BELOW seconds, else one call."""
    best, result = timed_once(fn)
    if best < REPEAT_BELOW:
        for _ in range(REPEATS - 1):
            best = min(best, timed_once(fn)[0])
    return best, result


def timed_forked(fn: Callable[[], Any], limit: float) -> tuple[float | None, Any]:
    """:func:`timed` in a forked child killed after ``limit`` s: ``(None, None)`` if it was."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(("ok", timed(fn)))
        except BaseException as err:  # report anything to the parent
            send.send(("error", f"{type(err).__name__}: {err}"))

    process = ctx.Process(target=child, daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(limit):
            process.kill()
            return None, None
        status, payload = receive.recv()
    finally:
        process.join()
        receive.close()
    if status != "ok":
        raise RuntimeError(payload)
    return payload  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------
@dataclass
class Row:
    nodes: int
    depth: int = 0
    terminals: int = 0
    chance_nodes: int = 0
    build_ours: float | None = None
    first_float: float | None = None
    build_gambit: float | None = None
    build_gambit_extrapolated: bool = False
    ours_float: float | None = None
    ours_exact: float | None = None
    ours_exact_note: str = ""
    gambit_bi: float | None = None
    gambit_bi_extrapolated: bool = False
    gambit_lcp: float | None = None
    gambit_lcp_note: str = ""
    root_float: list[float] | None = None
    root_exact: list[float] | None = None
    root_gambit_bi: list[float] | None = None
    root_gambit_lcp: list[float] | None = None
    agree: bool | None = None


def parse_sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def close(a: list[float], b: list[float]) -> bool:
    return all(
        abs(x - y) <= AGREEMENT_TOLERANCE * max(1.0, abs(x), abs(y))
        for x, y in zip(a, b, strict=True)
    )


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    sizes = sorted(set(args.sizes) | set(args.lcp_sizes))
    lcp_sizes = set(args.lcp_sizes)
    notes: list[str] = []
    rows: list[Row] = []
    exact_on, gambit_on, lcp_on = True, True, True
    for n in sizes:
        # One generator per size, seeded from (seed, n): a size's tree does not
        # depend on which other sizes run.
        rng = np.random.default_rng([args.seed, n])
        tree = random_tree(n, rng, payoffs=args.payoffs)
        row = Row(
            nodes=n,
            depth=tree.depth,
            terminals=int((tree.num_children == 0).sum()),
            chance_nodes=len(tree.chance_weights),
        )
        rows.append(row)
        log(f"[{n:>9,} nodes, depth {row.depth}] building our game ...")
        start = time.perf_counter()
        game = build_ours(tree)
        row.build_ours = time.perf_counter() - start

        # The first solve of a fresh game also fills lazy per-expression caches
        # (Expr.__hash__, Expr.constant); it is reported apart, and the solve
        # timings below are of later calls, each evaluating the payoffs afresh.
        log(f"[{n:>9,}] ours float, first call ...")
        row.first_float, _ = timed_once(partial(our_spe, game, exact=False))
        log(f"[{n:>9,}] ours float ...")
        row.ours_float, row.root_float = timed(partial(our_spe, game, exact=False))

        if exact_on and n <= args.exact_max:
            log(f"[{n:>9,}] ours exact ...")
            row.ours_exact, row.root_exact = timed_forked(
                partial(our_spe, game, exact=True), args.exact_budget * 3
            )
            if row.ours_exact is None:
                row.ours_exact_note = f"killed at {args.exact_budget * 3:g} s"
            if row.ours_exact is None or row.ours_exact > args.exact_budget:
                exact_on = False
                notes.append(
                    f"ours exact: stopped growing after {n:,} nodes (one run over {args.exact_budget:g} s)"
                )
        elif n > args.exact_max and exact_on:
            exact_on = False
            notes.append(f"ours exact: not run above {args.exact_max:,} nodes (--exact-max)")

        need_gambit = n in lcp_sizes and lcp_on
        if (gambit_on and n <= args.gambit_max) or need_gambit:
            log(f"[{n:>9,}] building the pygambit tree ...")
            start = time.perf_counter()
            g = build_gambit(tree)
            build = time.perf_counter() - start
            if gambit_on and n <= args.gambit_max:
                row.build_gambit = build
                log(f"[{n:>9,}] pygambit backward induction ({build:.2f} s to build) ...")
                row.gambit_bi, row.root_gambit_bi = timed(partial(gambit_backward_induction, g))
                if build > args.gambit_budget:
                    gambit_on = False
                    notes.append(
                        f"pygambit: stopped growing after {n:,} nodes (construction over "
                        f"{args.gambit_budget:g} s)"
                    )
            if need_gambit:
                log(f"[{n:>9,}] pygambit lcp_solve ...")
                limit = args.lcp_budget * 4
                row.gambit_lcp, row.root_gambit_lcp = timed_forked(partial(gambit_lcp, g), limit)
                if row.gambit_lcp is None:
                    row.gambit_lcp_note = f"killed at {limit:g} s"
                if row.gambit_lcp is None or row.gambit_lcp > args.lcp_budget:
                    lcp_on = False
                    notes.append(
                        f"gambit lcp: stopped growing after {n:,} nodes (one call over {args.lcp_budget:g} s)"
                    )
            del g
        del game, tree

        if row.root_gambit_bi is not None:
            row.agree = close(row.root_float, row.root_gambit_bi)  # type: ignore[arg-type]
        if row.root_exact is not None:
            ok = close(row.root_float, row.root_exact)  # type: ignore[arg-type]
            row.agree = ok if row.agree is None else row.agree and ok
        if row.agree is False:
            log(
                f"MISMATCH at {n:,} nodes: ours float {row.root_float}, ours exact "
                f"{row.root_exact}, pygambit BI {row.root_gambit_bi}"
            )

    # Extrapolate pygambit linearly from the largest size where it ran.
    measured = [r for r in rows if r.gambit_bi is not None and r.build_gambit is not None]
    if measured:
        base = max(measured, key=lambda r: r.nodes)
        for r in rows:
            if r.gambit_bi is None and r.nodes > base.nodes:
                scale = r.nodes / base.nodes
                r.gambit_bi = base.gambit_bi * scale  # type: ignore[operator]
                r.build_gambit = base.build_gambit * scale  # type: ignore[operator]
                r.gambit_bi_extrapolated = r.build_gambit_extrapolated = True
        if any(r.gambit_bi_extrapolated for r in rows):
            notes.append(
                f"* extrapolated linearly from the pygambit run at {base.nodes:,} nodes "
                f"(--gambit-max {args.gambit_max:,})"
            )
            # Say how pygambit really grew between the two largest measured sizes.
            big = sorted((r for r in measured if r.nodes >= 1000), key=lambda r: r.nodes)[-2:]
            if len(big) == 2 and big[0].build_gambit and big[0].gambit_bi:
                span = np.log(big[1].nodes / big[0].nodes)
                grow_build = np.log(big[1].build_gambit / big[0].build_gambit) / span  # type: ignore[operator]
                grow_bi = np.log(big[1].gambit_bi / big[0].gambit_bi) / span  # type: ignore[operator]
                notes.append(
                    f"  measured growth from {big[0].nodes:,} to {big[1].nodes:,} nodes: pygambit build "
                    f"~ n^{grow_build:.2f}, pygambit BI ~ n^{grow_bi:.2f}"
                    + (
                        "; the extrapolated build time is a lower bound"
                        if grow_build > 1.15
                        else ""
                    )
                )
    for r in rows:
        if r.root_gambit_lcp is not None and r.root_float is not None:
            if not all(
                abs(x - y) <= 1e-6 * max(1.0, abs(x))
                for x, y in zip(r.root_float, r.root_gambit_lcp, strict=True)
            ):
                shown = ", ".join(f"{x:.4g}" for x in r.root_gambit_lcp)
                spe = ", ".join(f"{x:.4g}" for x in r.root_float)
                notes.append(
                    f"gambit lcp at {r.nodes:,} nodes returned root payoffs ({shown}), the SPE gives "
                    f"({spe}): a Nash equilibrium that is not subgame-perfect"
                )
    return rows, notes


# ---------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------
def cell(x: float | None, star: bool = False, note: str = "") -> str:
    if x is None:
        return note or "-"
    text = f"{x:.3g}" if x < 1000 else f"{x:.0f}"
    if x < 1e-3:
        text = f"{x:.2e}"
    return text + ("*" if star else "")


def ratio(a: float | None, b: float | None, star: bool = False) -> str:
    if a is None or not b:
        return "-"
    r = a / b
    return (f"{r:.3g}" if r < 1000 else f"{r:,.0f}") + ("*" if star else "")


def table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(header)]
    fmt = " | ".join(f"{{:>{w}}}" for w in widths)
    out = [fmt.format(*header), "-+-".join("-" * w for w in widths)]
    out += [fmt.format(*line) for line in body]
    return "\n".join(out)


def report(rows: list[Row], notes: list[str]) -> str:
    solve = table(
        [
            "nodes",
            "ours float (s)",
            "ours exact (s)",
            "pygambit BI (s)",
            "gambit lcp (s)",
            "pygambit-BI/ours-float",
            "lcp/ours-float",
            "agree",
        ],
        [
            [
                f"{r.nodes:,}",
                cell(r.ours_float),
                cell(r.ours_exact, note=r.ours_exact_note),
                cell(r.gambit_bi, r.gambit_bi_extrapolated),
                cell(r.gambit_lcp, note=r.gambit_lcp_note),
                ratio(r.gambit_bi, r.ours_float, r.gambit_bi_extrapolated),
                ratio(r.gambit_lcp, r.ours_float),
                {True: "✓", False: "FAIL", None: "-"}[r.agree],
            ]
            for r in rows
        ],
    )
    build = table(
        [
            "nodes",
            "depth",
            "terminals",
            "chance nodes",
            "game_from_arrays (s)",
            "first float solve (s)",
            "pygambit build (s)",
        ],
        [
            [
                f"{r.nodes:,}",
                str(r.depth),
                f"{r.terminals:,}",
                f"{r.chance_nodes:,}",
                cell(r.build_ours),
                cell(r.first_float),
                cell(r.build_gambit, r.build_gambit_extrapolated),
            ]
            for r in rows
        ],
    )
    parts = ["Solve times (construction excluded)", solve, "", "Construction times", build]
    if notes:
        parts += ["", *notes]
    parts += [
        "",
        "agree: ✓ = our float SPE root payoff equals the pygambit backward-induction root payoff",
        "  and our exact one (where they ran) within 1e-9; '-' = nothing to compare against.",
        "ours float/exact: spe_solve evaluating payoffs afresh, after a first call; first float",
        "  solve = that first call on the freshly built game (it also compiles the game's",
        "  payoff expressions). pygambit BI: Python backward induction over the pygambit tree.",
        "gambit lcp: pygambit.nash.lcp_solve(g, rational=False), sequence form, one call.",
    ]
    return "\n".join(parts)


def machine() -> dict[str, str]:
    import pygambit

    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_name(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pygambit": pygambit.__version__,
        "load_before": load_average(),
    }


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews the timings."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=parse_sizes, default=None, help="node counts (default 1e3,1e4,1e5,1e6)"
    )
    parser.add_argument(
        "--lcp-sizes",
        type=parse_sizes,
        default=None,
        help="small node counts for lcp_solve (default 63,127,255)",
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--payoffs", choices=("float", "int"), default="float")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes only: a smoke run of a few seconds"
    )
    parser.add_argument("--exact-max", type=float, default=1e5, help="largest tree for exact mode")
    parser.add_argument(
        "--exact-budget", type=float, default=20.0, help="stop exact after a run this long (s)"
    )
    parser.add_argument(
        "--gambit-max", type=float, default=1e5, help="largest tree built in pygambit"
    )
    parser.add_argument(
        "--gambit-budget",
        type=float,
        default=60.0,
        help="stop pygambit after a construction this long (s)",
    )
    parser.add_argument(
        "--lcp-budget", type=float, default=15.0, help="stop lcp after a call this long (s)"
    )
    parser.add_argument("--json", metavar="FILE", help="also save the numbers as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or [1000, 10_000, 100_000]
        args.lcp_sizes = args.lcp_sizes or [63]
        args.gambit_max = min(args.gambit_max, 1e4)
        args.exact_max = min(args.exact_max, 1e4)
    args.sizes = args.sizes or [1000, 10_000, 100_000, 1_000_000]
    args.lcp_sizes = args.lcp_sizes if args.lcp_sizes is not None else [63, 127, 255]
    args.exact_max = int(args.exact_max)
    args.gambit_max = int(args.gambit_max)

    info = machine()
    command = "python benchmarks/bench_spe.py " + " ".join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    rows, notes = run(args)
    elapsed = time.perf_counter() - started
    info["load_after"] = load_average()
    print(f"# {command.strip()}")
    print(
        f"# {info['date']}, {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"numpy {info['numpy']}, pygambit {info['pygambit']}; seed {args.seed}, {args.payoffs} payoffs"
    )
    print(f"# 1-min load average before/after: {info['load_before']} / {info['load_after']}")
    print()
    print(report(rows, notes))
    print(f"\ntotal wall time {elapsed:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "command": command.strip(),
                    "machine": info,
                    "seed": args.seed,
                    "payoffs": args.payoffs,
                    "notes": notes,
                    "rows": [r.__dict__ for r in rows],
                    "wall_time": elapsed,
                },
                f,
                indent=1,
            )
    if any(r.agree is False for r in rows):
        print("FAIL: root payoffs disagree (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
