"""Big .efg files with distinct payoffs: reading and backward induction, ours against pygambit, in one run.

``bench_spe.py`` builds its trees in code with payoffs that repeat; a Gambit
user's file has a different number at nearly every terminal. Here, for each
size and number of players, one seeded random perfect-information tree (the
shape of ``bench_spe.random_tree``: 2-4 children, 10 % chance nodes with
rational probabilities, movers drawn at random) gets distinct integer payoffs
(each player's a random draw without repetition from 10 x terminals integers),
is written as an ``.efg`` file, and then, side by side, CPU time
(``time.process_time``; the machine is shared, so wall time would measure the
neighbours):

* reading the file: ``policy.gambit.read_efg`` and ``pygambit.read_efg``;
* ``spe_solve`` in float and exact mode on the game just read (the first
  solve: it includes evaluating the numbers, as on the command line);
* backward induction written in Python over pygambit's nodes
  (``bench_spe.gambit_backward_induction``, the same tie rule as ours), on the
  game pygambit read;
* at the largest size, the peak memory (maximum resident set) of
  ``python cli.py validate FILE`` and of
  ``python cli.py solve FILE --method spe --float --format json``, each in a
  child process.

Calls under 1 s are repeated and the best of 3 kept. pygambit runs in a
forked child killed after ``--gambit-limit`` seconds, up to ``--gambit-max``
nodes. The float root payoffs must equal pygambit's (within 1e-9 relative)
and our exact ones; the script exits 1 otherwise.

Run: ``python benchmarks/bench_efg_distinct.py [--sizes 1e3,1e4,1e5,1e6] [--players 2,3] [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import bench_spe  # noqa: E402
from bench_spe import close, gambit_backward_induction, random_tree, timed_forked  # noqa: E402

from policy.gambit import read_efg  # noqa: E402
from policy.model import NodeKind  # noqa: E402
from policy.solvers.backward import spe_solve  # noqa: E402

REPEAT_BELOW = 1.0
REPEATS = 3


def efg_text(n: int, players: int, seed: int) -> str:
    """The random tree of ``n`` nodes as the text of an .efg file, distinct payoffs at every terminal."""
    rng = np.random.default_rng([seed, n, players])
    # random_tree draws movers from bench_spe.PLAYERS: set it for this tree only, so
    # other users of bench_spe in the same process (tests import several benches) keep theirs.
    kept = bench_spe.PLAYERS
    bench_spe.PLAYERS = tuple(f"P{i + 1}" for i in range(players))
    try:
        tree = random_tree(n, rng, payoffs="int")
    finally:
        bench_spe.PLAYERS = kept
    terminals = int((tree.num_children == 0).sum())
    pay = np.stack([rng.permutation(10 * terminals)[:terminals] - 5 * terminals for _ in range(players)], axis=1)
    counts = tree.num_children.tolist()
    kind = tree.kind.tolist()
    mover = tree.player.tolist()
    first = np.concatenate(([1], 1 + np.cumsum(tree.num_children)[:-1])).tolist()
    terminal_number = (np.cumsum(tree.num_children == 0) - 1).tolist()
    rows = pay.tolist()
    names = " ".join(f'"P{i + 1}"' for i in range(players))
    out = [f'EFG 2 R "random tree, distinct payoffs" {{ {names} }}', '""', ""]
    stack = [0]
    sets = events = 0
    while stack:  # the file lists the tree in pre-order
        v = stack.pop()
        k = counts[v]
        if k == 0:
            t = terminal_number[v]
            out.append(f't "" {t + 1} "" {{ ' + ", ".join(map(str, rows[t])) + " }")
            continue
        stack.extend(range(first[v] + k - 1, first[v] - 1, -1))
        if kind[v] == NodeKind.CHANCE:
            events += 1
            weights = tree.chance_weights[v]
            total = sum(weights)
            actions = " ".join(f'"a{j}" {w}/{total}' for j, w in enumerate(weights))
            out.append(f'c "" {events} "" {{ {actions} }} 0')
        else:
            sets += 1
            actions = " ".join(f'"a{j}"' for j in range(k))
            out.append(f'p "" {mover[v] + 1} {sets} "" {{ {actions} }} 0')
    return "\n".join(out) + "\n"


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU time of one call (best of REPEATS when under REPEAT_BELOW s)."""
    best = float("inf")
    result = None
    for k in range(REPEATS):
        gc.collect()
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
        if k == 0 and best >= REPEAT_BELOW:
            break
    return best, result


def peak_memory_mb(command: list[str]) -> float:
    """Maximum resident set size of a child process running ``command``, in MB."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True, check=True, cwd=REPO)
    return int(done.stdout.strip()) / 1024  # Linux reports kB


@dataclass
class Row:
    nodes: int
    players: int
    terminals: int
    file_mb: float
    read: float
    spe_float: float
    spe_float_again: float
    spe_exact: float
    gambit_read: float | None = None
    gambit_bi: float | None = None
    root_float: list[float] | None = None
    root_exact: list[float] | None = None
    root_gambit: list[float] | None = None
    memory_validate_mb: float | None = None
    memory_solve_mb: float | None = None
    agree: bool = True


def measure(n: int, players: int, args: argparse.Namespace, folder: Path) -> Row:
    path = folder / f"tree_{n}_{players}.efg"
    path.write_text(efg_text(n, players, args.seed), encoding="utf-8")
    read_time, game = cpu(lambda: read_efg(path))

    def first_solve(exact: bool) -> Any:
        fresh = read_efg(path)  # a game just read: nothing evaluated yet
        start = time.process_time()
        result = spe_solve(fresh, {}, exact=exact)
        return time.process_time() - start, result

    float_time = min(first_solve(False)[0] for _ in range(REPEATS if n < 10**6 else 2))
    _, floats = first_solve(False)
    exact_time, exact = min((first_solve(True) for _ in range(REPEATS if n < 10**6 else 2)), key=lambda x: x[0])

    def again() -> Any:
        game._cache.pop("numbers", None)
        return spe_solve(game, {}, exact=False)

    again_time, _ = cpu(again)
    row = Row(
        nodes=n,
        players=players,
        terminals=len(game.terminals),
        file_mb=path.stat().st_size / 2**20,
        read=read_time,
        spe_float=float_time,
        spe_float_again=again_time,
        spe_exact=exact_time,
        root_float=[float(v) for v in floats.equilibria[0].values],
        root_exact=[float(v) for v in exact.equilibria[0].values],
    )
    if n <= args.gambit_max and not args.no_gambit:

        def gambit() -> tuple[float, float, list[float]]:
            import pygambit as gbt

            start = time.process_time()
            g = gbt.read_efg(str(path))
            read = time.process_time() - start
            bi_time, root = cpu(lambda: gambit_backward_induction(g))
            if read < REPEAT_BELOW:
                read = min(read, cpu(lambda: gbt.read_efg(str(path)))[0])
            return read, bi_time, root

        got = timed_forked(lambda: gambit(), args.gambit_limit)[1]
        if got is not None:
            row.gambit_read, row.gambit_bi, row.root_gambit = got
    row.agree = close(row.root_float, row.root_exact) and (
        row.root_gambit is None or close(row.root_float, row.root_gambit)
    )
    if n == max(args.sizes) and not args.no_memory:
        cli = str(REPO / "cli.py")
        row.memory_validate_mb = peak_memory_mb([sys.executable, cli, "validate", str(path)])
        row.memory_solve_mb = peak_memory_mb(
            [sys.executable, cli, "solve", str(path), "--method", "spe", "--float", "--format", "json"]
        )
    return row


def ratio(theirs: float | None, ours: float) -> str:
    return "" if theirs is None or ours <= 0 else f" ({theirs / ours:.0f}×)"


def seconds(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g} s"


def table(rows: list[Row]) -> str:
    lines = [
        "| nodes | players | read | pygambit read_efg | spe --float (first solve) | again | spe exact | "
        "BI over pygambit's nodes | agree |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.nodes:,} | {r.players} | {seconds(r.read)} | {seconds(r.gambit_read)}{ratio(r.gambit_read, r.read)} | "
            f"{seconds(r.spe_float)} | {seconds(r.spe_float_again)} | {seconds(r.spe_exact)} | "
            f"{seconds(r.gambit_bi)}{ratio(r.gambit_bi, r.spe_float)} | {'✓' if r.agree else 'FAIL'} |"
        )
    for r in rows:
        if r.memory_solve_mb is not None:
            lines.append("")
            lines.append(
                f"Peak memory at {r.nodes:,} nodes, {r.players} players ({r.file_mb:.0f} MB file): "
                f"`validate` {r.memory_validate_mb:.0f} MB, `solve --method spe --float --format json` "
                f"{r.memory_solve_mb:.0f} MB."
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e3,1e4,1e5,1e6")
    parser.add_argument("--players", default="2,3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gambit-max", type=float, default=1e5)
    parser.add_argument("--gambit-limit", type=float, default=300.0)
    parser.add_argument("--no-gambit", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--quick", action="store_true", help="sizes 1e3 and 1e4 only")
    parser.add_argument("--json", help="also write every number to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "1e3,1e4"
    args.sizes = bench_spe.parse_sizes(args.sizes)
    players = [int(p) for p in args.players.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            for p in players:
                rows.append(measure(n, p, args, Path(folder)))
                print(f"{n:>9,} nodes, {p} players: done", file=sys.stderr, flush=True)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"CPU time (time.process_time)")
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
    if not all(r.agree for r in rows):
        print("FAIL: root payoffs disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
